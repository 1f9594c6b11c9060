"""Faults under S3 requests: the right S3 error, and afterwards nothing lost.

Issue 8, "fault injection": the object or container server stopped in the
middle of a PUT, a GET and a CompleteMultipartUpload; memcached down; disk
full (507) from the object server; a client that goes away mid-upload. Each
gets an S3 error a client understands (ServiceUnavailable for a backend
that is down or full, IncompleteBody for a short body, never InternalError
here), and once the servers are back no partial or corrupt object is
visible, no completed object is lost and multipart state is consistent.
"""
from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest
from lxml import etree

from swift3compat_dev.cluster import Cluster
from tests.faults.conftest import wait_until_serving
from tests.security.s3raw import SOCKET_TIMEOUT, RawS3, is_s3_error, wire

MB = 1024 * 1024


class PartialRequest:
    """A signed request whose body is sent in steps, on a socket of our own."""

    def __init__(self, raw: RawS3, method: str, path: str, body: bytes,
                 params=(), headers=None) -> None:
        q, hdrs, _ = raw.sign(method, path, params, headers, body, payload='UNSIGNED-PAYLOAD')
        query = '&'.join(f'{k}={v}' for k, v in q)
        hdrs['content-length'] = str(len(body))
        head = f'{method} {path}{"?" + query if query else ""} HTTP/1.1\r\n' + ''.join(
            f'{k}: {v}\r\n' for k, v in hdrs.items()) + 'connection: close\r\n\r\n'
        self.body = body
        self.sent = 0
        self.method = method
        self.sock = socket.create_connection((raw.host, raw.port), timeout=SOCKET_TIMEOUT)
        self.sock.sendall(wire(head))

    def send(self, size: int) -> None:
        try:
            self.sock.sendall(self.body[self.sent:self.sent + size])
        except OSError:
            pass        # the server gave up on us already; read its answer
        self.sent += size

    def response(self) -> tuple[int, bytes]:
        resp = http.client.HTTPResponse(self.sock, method=self.method)
        resp.begin()
        try:
            return resp.status, resp.read()
        finally:
            self.sock.close()

    def abort(self) -> None:
        self.sock.close()


def _status_code(status: int, body: bytes) -> tuple[int, str]:
    code = ''
    if body.strip().startswith(b'<?xml'):
        root = etree.fromstring(body)
        code = root.findtext('Code') or '' if root.tag == 'Error' else ''
    return status, code


def _content(raw: RawS3, bucket: str, key: str) -> tuple[int, bytes]:
    resp = raw.send('GET', f'/{bucket}/{key}')
    return resp.status, resp.body


# -- object server stopped mid-PUT -------------------------------------------------
@pytest.mark.parametrize('existing', [False, True], ids=['new-key', 'overwrite'])
def test_object_server_stopped_mid_put(raw, bucket, swift_cluster: Cluster, existing):
    if existing:
        assert raw.send('PUT', f'/{bucket}/k', body=b'original').status == 200
    body = os.urandom(4 * MB)
    put = PartialRequest(raw, 'PUT', f'/{bucket}/k', body)
    put.send(MB)
    swift_cluster.stop_server('object')
    put.send(len(body))
    status, code = _status_code(*put.response())
    assert (status, code) == (503, 'ServiceUnavailable'), (status, code)
    swift_cluster.start_server('object')
    wait_until_serving(raw, bucket)
    status, content = _content(raw, bucket, 'k')
    if existing:
        assert content == b'original'
    else:
        assert status == 404


# -- object server stopped mid-GET --------------------------------------------------
def test_object_server_stopped_mid_get(raw, bucket, swift_cluster: Cluster):
    body = os.urandom(40 * MB)
    assert raw.send('PUT', f'/{bucket}/big', body=body, payload='UNSIGNED-PAYLOAD') \
        .status == 200
    q, hdrs, _ = raw.sign('GET', f'/{bucket}/big')
    conn = http.client.HTTPConnection(raw.host, raw.port, timeout=SOCKET_TIMEOUT)
    conn.request('GET', f'/{bucket}/big', headers=hdrs)
    resp = conn.getresponse()
    assert resp.status == 200
    first = resp.read(MB)
    swift_cluster.stop_server('object')
    rest = b''
    try:
        while True:
            chunk = resp.read(MB)
            if not chunk:
                break
            rest += chunk
    except (http.client.IncompleteRead, ConnectionError) as err:
        rest += getattr(err, 'partial', b'')
    conn.close()
    got = first + rest
    # The client sees a short body, never a wrong one (AWS cuts the connection).
    assert len(got) < len(body)
    assert got == body[:len(got)]
    swift_cluster.start_server('object')
    wait_until_serving(raw, bucket)
    status, content = _content(raw, bucket, 'big')
    assert status == 200 and hashlib.md5(content).digest() == hashlib.md5(body).digest()


# -- container server down ----------------------------------------------------------
def test_container_server_down_listing_is_503_not_empty(raw, bucket, swift_cluster):
    assert raw.send('PUT', f'/{bucket}/k', body=b'x').status == 200
    swift_cluster.stop_server('container')
    resp = raw.send('GET', f'/{bucket}', params=[('list-type', '2')])
    assert resp.status == 503 and resp.code == 'ServiceUnavailable', resp
    swift_cluster.start_server('container')
    wait_until_serving(raw, bucket)
    listing = raw.send('GET', f'/{bucket}', params=[('list-type', '2')])
    assert b'<Key>k</Key>' in listing.body


def test_container_server_down_create_bucket(raw, bucket, make_bucket_name, swift_cluster):
    name = make_bucket_name('container-down')
    swift_cluster.stop_server('container')
    resp = raw.send('PUT', f'/{name}')
    assert resp.status == 503 and resp.code == 'ServiceUnavailable', resp
    swift_cluster.start_server('container')
    wait_until_serving(raw, bucket)
    assert raw.send('HEAD', f'/{name}').status == 404


def test_container_server_stopped_mid_put(raw, bucket, swift_cluster: Cluster):
    """The object is stored; its listing entry waits for the object updater.
    Either way the client is told the truth: 200 means the object reads back."""
    body = os.urandom(2 * MB)
    put = PartialRequest(raw, 'PUT', f'/{bucket}/k', body)
    put.send(MB)
    swift_cluster.stop_server('container')
    put.send(len(body))
    status, code = _status_code(*put.response())
    assert status == 200 or (status, code) == (503, 'ServiceUnavailable'), (status, code)
    swift_cluster.start_server('container')
    wait_until_serving(raw, bucket)
    got_status, content = _content(raw, bucket, 'k')
    if status == 200:
        assert got_status == 200 and content == body
    else:
        assert got_status == 404 or content == body


# -- multipart ------------------------------------------------------------------------
def _upload(raw: RawS3, bucket: str, key: str, parts: list[bytes]) -> tuple[str, bytes]:
    created = raw.send('POST', f'/{bucket}/{key}', params=[('uploads', '')])
    assert created.status == 200, created
    upload_id = etree.fromstring(created.body).findtext('{*}UploadId')
    xml = []
    for number, data in enumerate(parts, 1):
        resp = raw.send('PUT', f'/{bucket}/{key}', params=[
            ('partNumber', str(number)), ('uploadId', upload_id)], body=data)
        assert resp.status == 200, resp
        xml.append(f'<Part><PartNumber>{number}</PartNumber>'
                   f'<ETag>{resp.headers["etag"]}</ETag></Part>')
    complete = ('<CompleteMultipartUpload>' + ''.join(xml) +
                '</CompleteMultipartUpload>').encode()
    return upload_id, complete


def _complete(raw: RawS3, bucket: str, key: str, upload_id: str, body: bytes):
    return raw.send('POST', f'/{bucket}/{key}', params=[('uploadId', upload_id)], body=body)


def _completed_ok(resp) -> bool:
    """CompleteMultipartUpload may stream a 200 whose body is an <Error>."""
    if resp.status != 200:
        return False
    return etree.fromstring(resp.body).tag.endswith('CompleteMultipartUploadResult')


@pytest.mark.parametrize('server', ['object', 'container'])
def test_server_down_during_complete_multipart(raw, bucket, swift_cluster, server):
    parts = [os.urandom(300 * 1024), os.urandom(1000)]
    upload_id, complete = _upload(raw, bucket, 'mpu', parts)
    swift_cluster.stop_server(server)
    resp = _complete(raw, bucket, 'mpu', upload_id, complete)
    assert not _completed_ok(resp), resp
    assert resp.status == 503 and resp.code == 'ServiceUnavailable' or \
        resp.status == 200 and resp.code in ('ServiceUnavailable', 'SlowDown',
                                             'InternalError'), resp
    swift_cluster.start_server(server)
    wait_until_serving(raw, bucket)
    # The upload is intact and completes now; the object is exactly the parts.
    listed = raw.send('GET', f'/{bucket}/mpu', params=[('uploadId', upload_id)])
    assert listed.status == 200 and listed.body.count(b'<Part>') == 2, listed
    assert _completed_ok(_complete(raw, bucket, 'mpu', upload_id, complete))
    assert _content(raw, bucket, 'mpu') == (200, b''.join(parts))


def test_object_server_stopped_while_completing(raw, bucket, swift_cluster):
    """A race: the server goes away while CompleteMultipartUpload runs. The
    outcome may be either, never in between: a completed object equal to the
    parts and the upload gone, or the upload still there and completable."""
    parts = [os.urandom(300 * 1024) for _ in range(20)] + [b'end']
    upload_id, complete = _upload(raw, bucket, 'mpu', parts)
    results = []
    thread = threading.Thread(target=lambda: results.append(
        _complete(raw, bucket, 'mpu', upload_id, complete)))
    thread.start()
    swift_cluster.stop_server('object')
    thread.join(SOCKET_TIMEOUT + 10)
    assert results, 'CompleteMultipartUpload did not answer'
    swift_cluster.start_server('object')
    wait_until_serving(raw, bucket)
    if _completed_ok(results[0]):
        assert _content(raw, bucket, 'mpu') == (200, b''.join(parts))
        gone = raw.send('GET', f'/{bucket}/mpu', params=[('uploadId', upload_id)])
        assert gone.status == 404 and gone.code == 'NoSuchUpload', gone
    else:
        assert is_s3_error(results[0]) or results[0].code, results[0]
        retry = _complete(raw, bucket, 'mpu', upload_id, complete)
        assert _completed_ok(retry), retry
        assert _content(raw, bucket, 'mpu') == (200, b''.join(parts))


# -- memcached down ---------------------------------------------------------------------
def test_memcached_down_s3_still_works(raw, bucket, swift_cluster):
    swift_cluster.stop_server('memcached')
    body = os.urandom(100_000)
    assert raw.send('PUT', f'/{bucket}/k', body=body).status == 200
    assert _content(raw, bucket, 'k') == (200, body)
    assert b'<Key>k</Key>' in raw.send('GET', f'/{bucket}').body
    conditional = raw.send('PUT', f'/{bucket}/k', body=b'x', headers={'if-none-match': '*'})
    assert conditional.status == 412 and conditional.code == 'PreconditionFailed', conditional
    assert raw.send('DELETE', f'/{bucket}/k').status == 204
    assert raw.send('HEAD', f'/{bucket}/k').status == 404
    swift_cluster.start_server('memcached')


# -- 507 from the object server ----------------------------------------------------------
class InsufficientStorage(BaseHTTPRequestHandler):
    """Every request: 507, as an object server with a full disk answers."""

    def _answer(self) -> None:
        self.send_response(507)
        self.send_header('Content-Length', '0')
        self.end_headers()
        self.close_connection = True

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _answer

    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def full_disk(swift_cluster: Cluster) -> Iterator[None]:
    """The object server replaced by one that answers 507 on its port."""
    port = swift_cluster.ports['object']
    swift_cluster.stop_server('object')
    server = ThreadingHTTPServer(('127.0.0.1', port), InsufficientStorage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        swift_cluster.start_server('object')


def test_507_from_object_server(raw, bucket, swift_cluster):
    assert raw.send('PUT', f'/{bucket}/k', body=b'original').status == 200
    with full_disk(swift_cluster):
        for method, key, body in (('PUT', 'k', b'new content'), ('GET', 'k', b''),
                                  ('PUT', 'new', b'x'), ('DELETE', 'k', b'')):
            resp = raw.send(method, f'/{bucket}/{key}', body=body)
            assert resp.status == 503 and resp.code == 'ServiceUnavailable', (method, resp)
    wait_until_serving(raw, bucket)
    assert _content(raw, bucket, 'k') == (200, b'original')
    assert raw.send('HEAD', f'/{bucket}/new').status == 404


# -- the client goes away ------------------------------------------------------------------
@pytest.mark.parametrize('existing', [False, True], ids=['new-key', 'overwrite'])
def test_client_disconnects_mid_upload(raw, bucket, existing):
    if existing:
        assert raw.send('PUT', f'/{bucket}/k', body=b'original').status == 200
    put = PartialRequest(raw, 'PUT', f'/{bucket}/k', os.urandom(2 * MB))
    put.send(MB)
    put.abort()
    status, content = _content(raw, bucket, 'k')
    if existing:
        assert (status, content) == (200, b'original')
    else:
        assert status == 404


def test_client_disconnects_mid_part_upload(raw, bucket):
    created = raw.send('POST', f'/{bucket}/mpu', params=[('uploads', '')])
    upload_id = etree.fromstring(created.body).findtext('{*}UploadId')
    first = raw.send('PUT', f'/{bucket}/mpu', params=[('partNumber', '1'),
                                                      ('uploadId', upload_id)], body=b'part1')
    assert first.status == 200, first
    put = PartialRequest(raw, 'PUT', f'/{bucket}/mpu', os.urandom(2 * MB),
                         params=[('partNumber', '1'), ('uploadId', upload_id)])
    put.send(MB)
    put.abort()
    put2 = PartialRequest(raw, 'PUT', f'/{bucket}/mpu', os.urandom(2 * MB),
                          params=[('partNumber', '2'), ('uploadId', upload_id)])
    put2.send(MB)
    put2.abort()
    parts = raw.send('GET', f'/{bucket}/mpu', params=[('uploadId', upload_id)])
    assert parts.status == 200 and parts.body.count(b'<Part>') == 1, parts
    assert first.headers['etag'].encode() in parts.body.replace(b'&quot;', b'"')


def test_client_short_body_is_incomplete_body(raw, bucket):
    """A client that half-closes with bytes missing gets IncompleteBody."""
    put = PartialRequest(raw, 'PUT', f'/{bucket}/k', os.urandom(MB))
    put.send(1000)
    put.sock.shutdown(socket.SHUT_WR)
    status, code = _status_code(*put.response())
    assert status == 400 and code == 'IncompleteBody', (status, code)
    assert raw.send('HEAD', f'/{bucket}/k').status == 404
