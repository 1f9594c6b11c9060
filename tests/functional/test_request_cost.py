"""What a 1 KiB S3 request makes Swift's proxy do (issue 18, round 2).

The proxy pipeline is loaded in-process from the conf the cluster writes
(``tools.bench.pipeline_ir``: the bench's own configuration, s3_acl on,
tempauth), on the session cluster's servers, so that the proxy's internals
can be watched: which putter sends the object, how often the container
info is copied.  What is stored and answered is checked by the rest of the
suite; these tests pin the cheap path.
"""
from __future__ import annotations

import gc
import io
import os
import urllib.parse
from typing import Any, Callable, Dict, Optional

import pytest
from swift.common.swob import Request
from swift.proxy.controllers import obj as swift_obj

from swift3compat_dev.cluster import ProxySpec
from tests.functional.conftest import DEFAULT_S3_OPTIONS
from tools.bench import pipeline_ir, signer

BODY = b'x' * 1024


@pytest.fixture(scope='module')
def app(swift_cluster, tmp_path_factory) -> Any:
    spec = ProxySpec(name='inprocess', s3_options=dict(DEFAULT_S3_OPTIONS))
    conf = os.path.join(str(tmp_path_factory.mktemp('inprocess')), 'proxy.conf')
    with open(conf, 'w') as f:
        f.write(swift_cluster.proxy_conf(spec, 1))
    return pipeline_ir.load(conf)


def _requester(app, user: str = 'test:tester', key: str = 'testing'
               ) -> Callable[..., Any]:
    def request(method: str, path: str, body: Optional[bytes] = None,
                headers: Optional[Dict[str, str]] = None) -> Any:
        extra = dict(headers or {})
        if body is not None:
            extra['content-length'] = str(len(body))
        query = urllib.parse.parse_qsl(path.partition('?')[2],
                                       keep_blank_values=True)
        signed = signer.sign(method, 'localhost', path.partition('?')[0],
                             query, extra,
                             signer.UNSIGNED if body is not None
                             else signer.EMPTY_SHA256, user, key)
        env = {'REQUEST_METHOD': method, 'wsgi.input': io.BytesIO(body or b'')}
        return Request.blank(path, environ=env, headers=signed).get_response(app)
    return request


@pytest.fixture
def s3(app) -> Callable[..., Any]:
    return _requester(app)


@pytest.fixture
def putters(monkeypatch) -> Dict[str, int]:
    """How many object-server connections each of Swift's putters opened."""
    counts = {'Putter': 0, 'MIMEPutter': 0}
    for name in counts:
        cls = getattr(swift_obj, name)
        original = cls.__dict__['connect'].__func__

        def connect(klass, *args, _name=name, _original=original, **kwargs):
            if klass.__name__ == _name:
                counts[_name] += 1
            return _original(klass, *args, **kwargs)
        monkeypatch.setattr(cls, 'connect', classmethod(connect))
    return counts


def test_small_put_sends_its_checksum_as_headers(s3, putters, bucket_name):
    """A 1 KiB PutObject (s3_acl on: authenticated before the PUT) sends
    its checksum sysmeta with the PUT's headers: Swift's plain putter, as
    for a native PUT, not the MIME putter a footer needs."""
    assert s3('PUT', '/' + bucket_name).status_int == 200
    putters.update(Putter=0, MIMEPutter=0)
    resp = s3('PUT', '/%s/k' % bucket_name, BODY,
              {'x-amz-checksum-crc32': signer.b64encode(
                  signer.zlib.crc32(BODY).to_bytes(4, 'big')).decode()})
    assert resp.status_int == 200, resp.body
    assert putters == {'Putter': 1, 'MIMEPutter': 0}
    head = s3('HEAD', '/%s/k' % bucket_name,
              headers={'x-amz-checksum-mode': 'ENABLED'})
    assert head.headers['x-amz-checksum-crc32'] == \
        resp.headers['x-amz-checksum-crc32']


def test_small_put_with_a_wrong_checksum_stores_nothing(s3, putters,
                                                        bucket_name):
    assert s3('PUT', '/' + bucket_name).status_int == 200
    putters.update(Putter=0, MIMEPutter=0)
    resp = s3('PUT', '/%s/k' % bucket_name, BODY,
              {'x-amz-checksum-crc32': 'AAAAAA=='})
    assert resp.status_int == 400 and b'<Code>BadDigest</Code>' in resp.body
    assert putters == {'Putter': 0, 'MIMEPutter': 0}
    assert s3('HEAD', '/%s/k' % bucket_name).status_int == 404


@pytest.mark.parametrize('encoding', ['plain', 'aws-chunked'])
def test_streamed_put_reaches_swift_in_upload_read_size_pieces(
        app, s3, bucket_name, monkeypatch, encoding):
    """A streamed PutObject (more than one 64 KiB client chunk) is handed
    to Swift's proxy in upload_read_size pieces (256 KiB), also when the
    client sends it as 64 KiB aws-chunked chunks, and is stored whole:
    the proxy's per-piece, per-replica work is a quarter of what 64 KiB
    pieces cost."""
    assert s3('PUT', '/' + bucket_name).status_int == 200
    body = os.urandom(3 * 262144 + 1000)
    sent: list = []
    original = swift_obj.MIMEPutter.send_chunk

    def send_chunk(self, chunk, *args, **kwargs):
        sent.append((id(self), len(chunk)))
        return original(self, chunk, *args, **kwargs)
    monkeypatch.setattr(swift_obj.MIMEPutter, 'send_chunk', send_chunk)
    path = '/%s/big' % bucket_name
    if encoding == 'plain':
        resp = s3('PUT', path, body)
    else:
        chunks = [body[i:i + 65536] for i in range(0, len(body), 65536)]
        wire = b''.join(signer.chunked_unsigned_trailer(chunks))
        headers = {'content-encoding': 'aws-chunked',
                   'x-amz-decoded-content-length': str(len(body)),
                   'x-amz-trailer': 'x-amz-checksum-crc32',
                   'content-length': str(len(wire))}
        signed = signer.sign('PUT', 'localhost', path, [], headers,
                             signer.STREAMING_UNSIGNED_TRAILER,
                             'test:tester', 'testing')
        resp = Request.blank(path, environ={
            'REQUEST_METHOD': 'PUT', 'wsgi.input': io.BytesIO(wire)},
            headers=signed).get_response(app)
    assert resp.status_int == 200, resp.body
    one_putter = [size for putter, size in sent if putter == sent[0][0]]
    assert one_putter == [262144, 262144, 262144, 1000]
    assert s3('GET', path).body == body


@pytest.mark.parametrize('method', ['HEAD', 'GET', 'PUT'])
def test_container_info_is_not_deep_copied(s3, bucket_name, method, monkeypatch):
    """Swift's get_container_info deep-copies the cached info on every
    call; the guard, the handler and its helpers (Object Lock, lifecycle,
    encryption) read the bucket's info through one lookup, which takes it
    from Swift's caches without that copy when it is cached (here: in
    memcache, from the requests before)."""
    from swift3compat.swift import backend
    assert s3('PUT', '/' + bucket_name).status_int == 200
    assert s3('PUT', '/%s/k' % bucket_name, BODY).status_int == 200
    copied, cached = [], []
    original_copied = backend.get_container_info
    original_cached = backend._cached_container_info

    def counted_copied(env, app, **kwargs):
        copied.append(env['PATH_INFO'])
        return original_copied(env, app, **kwargs)

    def counted_cached(env, app, account, container):
        info = original_cached(env, app, account, container)
        cached.append((container, info is not None))
        return info
    monkeypatch.setattr(backend, 'get_container_info', counted_copied)
    monkeypatch.setattr(backend, '_cached_container_info', counted_cached)
    resp = s3(method, '/%s/k' % bucket_name,
              BODY if method == 'PUT' else None)
    assert resp.status_int == 200, resp.body
    assert cached == [(bucket_name, True)]
    assert copied == []


@pytest.mark.parametrize('method, key', [('HEAD', 'k'), ('GET', 'k'), ('PUT', 'k'),
                                         ('HEAD', 'missing'), ('GET', 'missing'),
                                         ('DELETE', 'k')])
def test_request_leaves_no_cyclic_garbage(s3, bucket_name, method, key):
    """A request's objects (S3Request, Backend, guard, the environment) are
    freed by reference counting once the response is done. A reference
    cycle through the environment left some thirty objects per request for
    Python's cyclic collector, which ran nearly twice as often as for a
    native request (pipeline_ir gc)."""
    assert s3('PUT', '/' + bucket_name).status_int == 200
    assert s3('PUT', '/%s/k' % bucket_name, BODY).status_int == 200
    gc.collect()
    gc.disable()
    try:
        resp = s3(method, '/%s/%s' % (bucket_name, key),
                  BODY if method == 'PUT' else None)
        status = resp.status_int
        body = resp.body    # read to the end, as a server does
        del resp, body
        found = gc.collect()
    finally:
        gc.enable()
    assert status in (200, 204, 404)
    assert found == 0


@pytest.fixture
def stored(monkeypatch) -> Callable[..., Dict[str, str]]:
    """``stored(s3, path)``: our headers (lowercase) stored with the
    object at ``path``, as its HEAD subrequest's response has them."""
    from swift3compat.swift import backend
    seen: Dict[str, Any] = {}
    original = backend._get_response

    def recorded(req, app):
        resp = original(req, app)
        if req.method == 'HEAD':
            seen.update(resp.headers)
        return resp
    monkeypatch.setattr(backend, '_get_response', recorded)

    def ours(s3, path: str) -> Dict[str, str]:
        seen.clear()
        assert s3('HEAD', path).status_int == 200
        return {k.lower(): v for k, v in seen.items() if '-s3c-' in k.lower()}
    return ours


def test_plain_put_stores_its_checksum_in_one_header(s3, bucket_name,
                                                     stored):
    """Each header stored with an object costs every later GET and HEAD
    of it (Swift parses and copies it a few times: about 60,000 to 90,000
    proxy instructions). A plain PutObject of the bucket owner with the
    default ACL stores one of ours: its checksum, marked as kept with the
    owner's private ACL instead of the ACL itself."""
    assert s3('PUT', '/' + bucket_name).status_int == 200
    assert s3('PUT', '/%s/k' % bucket_name, BODY).status_int == 200
    ours = stored(s3, '/%s/k' % bucket_name)
    assert sorted(ours) == ['x-object-sysmeta-s3c-checksum']
    assert ours['x-object-sysmeta-s3c-checksum'].startswith(
        'acl=owner CRC64NVME FULL_OBJECT ')
    head = s3('HEAD', '/%s/k' % bucket_name,
              headers={'x-amz-checksum-mode': 'ENABLED'})
    assert head.headers['x-amz-checksum-crc64nvme'] == \
        ours['x-object-sysmeta-s3c-checksum'].rpartition(' ')[2]
    acl = s3('GET', '/%s/k?acl' % bucket_name)
    assert acl.status_int == 200
    assert acl.body.count(b'<Grant>') == 1
    assert b'<ID>AUTH_test</ID>' in acl.body
    assert b'FULL_CONTROL' in acl.body


def test_other_acls_are_stored(app, s3, bucket_name, stored):
    """Any other ACL is stored as before, with an unmarked checksum: a
    canned one, and the private ACL of a writer that is not the bucket
    owner (test:tester3, a user without .admin, owns what it writes)."""
    assert s3('PUT', '/' + bucket_name,
              headers={'x-amz-acl': 'public-read-write'}).status_int == 200
    assert s3('PUT', '/%s/public' % bucket_name, BODY,
              headers={'x-amz-acl': 'public-read'}).status_int == 200
    user = _requester(app, 'test:tester3', 'testing3')
    assert user('PUT', '/%s/mine' % bucket_name, BODY).status_int == 200
    # (the bucket owner may not read test:tester3's private object)
    for key, reader in (('public', s3), ('mine', user)):
        ours = stored(reader, '/%s/%s' % (bucket_name, key))
        assert sorted(ours) == ['x-object-sysmeta-s3c-checksum',
                                'x-object-transient-sysmeta-s3c-acl'], key
        assert ours['x-object-sysmeta-s3c-checksum'].startswith('CRC64NVME ')
    assert '"test:tester3"' in stored(user, '/%s/mine' % bucket_name)[
        'x-object-transient-sysmeta-s3c-acl']


def test_allow_no_owner_does_not_open_an_object_stored_without_its_acl(
        app, s3, bucket_name, swift_cluster, tmp_path):
    """An object stored without its ACL (the bucket owner's private one,
    marked on its checksum) stays private when a proxy has allow_no_owner
    on, which opens objects without an S3 ACL (written through the Swift
    API: the control) to every authenticated user. Also after a Swift API
    POST, which drops every transient header."""
    spec = ProxySpec(name='no-owner', s3_options=dict(
        DEFAULT_S3_OPTIONS, allow_no_owner='true'))
    conf = tmp_path / 'proxy.conf'
    conf.write_text(swift_cluster.proxy_conf(spec, 1))
    open_app = pipeline_ir.load(str(conf))
    other = _requester(open_app, 'test2:tester2', 'testing2')
    assert s3('PUT', '/' + bucket_name).status_int == 200
    assert s3('PUT', '/%s/s3' % bucket_name, BODY).status_int == 200
    final = app._pipeline_final_app

    def swift_api(method: str, key: str, **headers: str) -> int:
        env = {'REQUEST_METHOD': method, 'wsgi.input': io.BytesIO(
            BODY if method == 'PUT' else b''),
            'swift.authorize': lambda req: None,
            'swift.authorize_override': True, 'swift.cache': None}
        if method == 'PUT':
            headers['Content-Length'] = str(len(BODY))
        return Request.blank('/v1/AUTH_test/%s/%s' % (bucket_name, key),
                             environ=env, headers=headers
                             ).get_response(final).status_int
    assert swift_api('PUT', 'native') == 201
    assert other('GET', '/%s/native' % bucket_name).status_int == 200
    assert other('GET', '/%s/s3' % bucket_name).status_int == 403
    assert swift_api('POST', 's3', **{'X-Object-Meta-Color': 'red'}) == 202
    assert other('GET', '/%s/s3' % bucket_name).status_int == 403
    assert s3('GET', '/%s/s3' % bucket_name).status_int == 200
    # written through the open proxy: the ACL is stored (not omitted)
    owner = _requester(open_app)
    assert owner('PUT', '/%s/open' % bucket_name, BODY).status_int == 200
    assert other('GET', '/%s/open' % bucket_name).status_int == 403


def test_object_stored_with_the_three_checksum_headers_reads_as_before(
        app, s3, bucket_name):
    """Objects written before the one-header format keep three headers
    (Checksum-Algorithm, -Type, -Value): an object stored so in the
    real cluster answers its checksum as before."""
    import base64
    import zlib

    from swift3compat.swift import sysmeta
    assert s3('PUT', '/' + bucket_name).status_int == 200
    crc = base64.b64encode(zlib.crc32(BODY).to_bytes(4, 'big')).decode()
    # straight to Swift's proxy app: sysmeta as an older swift3compat wrote it
    env = {'REQUEST_METHOD': 'PUT', 'wsgi.input': io.BytesIO(BODY),
           'swift.authorize': lambda req: None,
           'swift.authorize_override': True,
           'swift.cache': None}
    old = Request.blank('/v1/AUTH_test/%s/old' % bucket_name, environ=env,
                        headers={sysmeta.CHECKSUM_ALGORITHM: 'CRC32',
                                 sysmeta.CHECKSUM_TYPE: 'FULL_OBJECT',
                                 sysmeta.CHECKSUM_VALUE: crc,
                                 'Content-Length': str(len(BODY))})
    assert old.get_response(app._pipeline_final_app).status_int == 201
    head = s3('HEAD', '/%s/old' % bucket_name,
              headers={'x-amz-checksum-mode': 'ENABLED'})
    assert head.status_int == 200
    assert head.headers['x-amz-checksum-crc32'] == crc
    assert head.headers['x-amz-checksum-type'] == 'FULL_OBJECT'


def _container_headers(app, bucket: str) -> Dict[str, str]:
    """The bucket's container headers as Swift's proxy app answers them
    (sysmeta included: no gatekeeper there)."""
    env = {'REQUEST_METHOD': 'HEAD', 'swift.authorize': lambda req: None,
           'swift.authorize_override': True, 'swift.cache': None}
    resp = Request.blank('/v1/AUTH_test/%s' % bucket, environ=env
                         ).get_response(app._pipeline_final_app)
    assert resp.status_int == 204, resp.status
    return {k.lower(): v for k, v in resp.headers.items()}


def test_bucket_with_its_owners_private_acl_stores_no_acl(app, s3,
                                                          bucket_name):
    """CreateBucket with the default ACL stores none: its multipart
    tracking marker says "the owner's private ACL" instead. Any other
    ACL is stored as before."""
    assert s3('PUT', '/' + bucket_name).status_int == 200
    stored = _container_headers(app, bucket_name)
    assert 'x-container-sysmeta-s3c-acl' not in stored
    assert stored['x-container-sysmeta-s3c-multipart-tracked'] == 'acl=owner'
    acl = s3('GET', '/%s?acl' % bucket_name)
    assert acl.status_int == 200
    assert acl.body.count(b'<Grant>') == 1
    assert b'<ID>AUTH_test</ID>' in acl.body and b'FULL_CONTROL' in acl.body
    public = bucket_name + '-public'
    assert s3('PUT', '/' + public,
              headers={'x-amz-acl': 'public-read'}).status_int == 200
    stored = _container_headers(app, public)
    assert 'AllUsers' in stored['x-container-sysmeta-s3c-acl']
    assert stored['x-container-sysmeta-s3c-multipart-tracked'] == '1'
    assert s3('DELETE', '/' + public).status_int == 204


def test_allow_no_owner_does_not_open_a_bucket_stored_without_its_acl(
        app, s3, bucket_name, swift_cluster, tmp_path):
    """A bucket created without its ACL stays its owner's when a proxy has
    allow_no_owner on, which lets every authenticated user list a bucket
    without an S3 ACL (one created before s3_acl: the control, made so by
    removing an S3 bucket's ACL and mark behind the S3 layer's back)."""
    spec = ProxySpec(name='no-owner-b', s3_options=dict(
        DEFAULT_S3_OPTIONS, allow_no_owner='true'))
    conf = tmp_path / 'proxy.conf'
    conf.write_text(swift_cluster.proxy_conf(spec, 1))
    other = _requester(pipeline_ir.load(str(conf)), 'test2:tester2',
                       'testing2')
    assert s3('PUT', '/' + bucket_name).status_int == 200
    old = bucket_name + '-old'
    assert s3('PUT', '/' + old).status_int == 200
    final = app._pipeline_final_app
    cache = app
    while not hasattr(cache, 'memcache'):     # the cache filter's client
        cache = cache.app
    env = {'REQUEST_METHOD': 'POST', 'swift.authorize': lambda req: None,
           'swift.authorize_override': True, 'swift.cache': cache.memcache}
    assert Request.blank('/v1/AUTH_test/' + old, environ=env, headers={
        'X-Container-Sysmeta-S3c-Acl': '',
        'X-Container-Sysmeta-S3c-Multipart-Tracked': '1'}).get_response(
        final).status_int == 204
    assert 'x-container-sysmeta-s3c-acl' not in _container_headers(app, old)
    try:
        assert other('GET', '/%s' % old).status_int == 200
        assert other('GET', '/%s' % bucket_name).status_int == 403
    finally:
        assert s3('DELETE', '/' + old).status_int == 204
