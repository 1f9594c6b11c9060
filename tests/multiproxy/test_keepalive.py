"""CompleteMultipartUpload's keep-alive bytes reach the client while it waits.

Issue 13: eventlet holds writes under 4 KiB unless the response sets
``eventlet.minimum_write_chunk_size = 0``, so the XML declaration and the
whitespace a Complete sends while it waits stayed in the proxy until the end
(a 4,000-part Complete sent its first byte after 9 s). A Complete writes its
manifest before answering unless another Complete holds the upload; then it
answers at once and waits. No timing here: a claim of a "Complete on another
proxy" is placed by hand, so the Complete cannot end before it is withdrawn;
the upload must still be listed when the first bytes have arrived.
"""
from __future__ import annotations

import http.client
import os
import socket
import time

from lxml import etree

from tests.multiproxy.helpers import complete_body, create_upload, upload_parts
from tests.security.s3raw import SOCKET_TIMEOUT, wire

PARTS = 60


def test_first_bytes_arrive_while_complete_waits(raws, bucket, swift_native):
    raw_a, raw_b = raws
    upload_id = create_upload(raw_a, bucket, 'obj')
    parts = [os.urandom(100) for _ in range(PARTS)]
    etags = upload_parts(raw_a, bucket, 'obj', upload_id, parts)
    # another Complete's live claim (swift.upload_claims' layout)
    claim = '/%s+segments/c/%s/%016x%s' % (bucket, upload_id,
                                          time.time_ns() // 1000, 'f' * 16)
    placed = swift_native.call('PUT', claim, data=b'', headers={
        'Content-Type': 'application/x-s3c-claim'})
    assert placed.status_code == 201, placed
    body = complete_body(etags, range(1, PARTS + 1))
    q, headers, _ = raw_a.sign('POST', f'/{bucket}/obj', [('uploadId', upload_id)],
                               None, body)
    headers['content-length'] = str(len(body))
    head = f'POST /{bucket}/obj?uploadId={upload_id} HTTP/1.1\r\n' + ''.join(
        f'{k}: {v}\r\n' for k, v in headers.items()) + 'connection: close\r\n\r\n'
    sock = socket.create_connection((raw_a.host, raw_a.port), timeout=SOCKET_TIMEOUT)
    try:
        sock.sendall(wire(head) + body)
        resp = http.client.HTTPResponse(sock, method='POST')
        resp.begin()
        assert resp.status == 200, resp.status
        first = resp.read1(64)
        assert first.startswith(b'<?xml'), first
        listed = raw_b.send('GET', f'/{bucket}', params=[('uploads', '')])
        assert listed.status == 200, listed
        ids = [u.findtext('{*}UploadId')
               for u in etree.fromstring(listed.body).iter('{*}Upload')]
        assert upload_id in ids, 'the Complete had ended before its first bytes came'
        assert swift_native.call('DELETE', claim).status_code == 204
        rest = resp.read()
    finally:
        swift_native.call('DELETE', claim)
        sock.close()
    root = etree.fromstring(first + rest)
    assert root.tag.endswith('CompleteMultipartUploadResult'), first + rest
    got = raw_b.send('GET', f'/{bucket}/obj')
    assert got.status == 200 and got.body == b''.join(parts)
