"""Backend's subrequest responses (swift3compat.swift.backend._get_response)
are what swob's Request.get_response makes."""
from __future__ import annotations

import pytest
from swift.common.swob import Request

from swift3compat.swift import backend, sysmeta

CASES = [
    ('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', '3'),
                ('Etag', 'abc'), ('X-Object-Meta-Color', 'red'),
                ('x-object-sysmeta-s3c-acl', '{"o":"a"}'),
                ('X-Object-Meta-\xc3\xa9t\xc3\xa9', 'summer')]),
    ('204 No Content', []),
    ('404 Not Found', [('content-length', '0')]),
    ('200 OK', [('etag', 'a'), ('ETag', 'b'), ('etag', 'c')]),
    ('201 Created', [('X-Count', 5), ('X-Raw', b'\xe9'),
                     ('Last-Modified', 'Mon, 07 Dec 2026 01:00:00 GMT')]),
    ('401 Unauthorized', [('Content-Length', '0')]),
    ('401 Unauthorized', [('WWW-Authenticate', 'Swift realm="x"')]),
    ('412 Precondition Failed', [('x-trans-id', 'tx1'), ('X-Trans-Id', 'tx2')]),
]


@pytest.mark.parametrize('status, headers', CASES)
def test_same_response_as_swob(status, headers):
    def app(env, start_response):
        start_response(status, list(headers))
        return [b'abc']

    env = Request.blank('/v1/AUTH_test/b/k').environ
    expected = Request(dict(env)).get_response(app)
    for _ in range(2):      # the second time with the names remembered
        got = backend._get_response(Request(dict(env)), app)
        assert got.status == expected.status
        assert got.status_int == expected.status_int
        assert dict(got.headers) == dict(expected.headers)
        assert type(got.headers) is type(expected.headers)
        assert got.body == expected.body
        assert got.headers.get('etag') == expected.headers.get('etag')


@pytest.mark.parametrize('stored_name', [
    'x-object-transient-sysmeta-s3c-acl', 'X-Object-Transient-Sysmeta-S3c-Acl',
    'X-OBJECT-TRANSIENT-SYSMETA-S3C-ACL'])
def test_sysmeta_read_finds_any_spelling(stored_name):
    """sysmeta.read looks a stored name up as HeaderKeyDict.get would, in
    a subrequest's response headers and in plain dicts (unit fakes)."""
    def app(env, start_response):
        start_response('200 OK', [(stored_name, '{"o":"a"}')])
        return [b'']

    env = Request.blank('/v1/AUTH_test/b/k').environ
    for _ in range(2):      # the second time with the title remembered
        got = backend._get_response(Request(dict(env)), app)
        assert sysmeta.read(got.headers, sysmeta.OBJECT_ACL) == '{"o":"a"}'
        assert got.headers.get(sysmeta.OBJECT_ACL) == '{"o":"a"}'
        assert sysmeta.read(got.headers, sysmeta.LOCK_RETENTION) is None
    plain = {sysmeta.OBJECT_ACL: 'x'}
    assert sysmeta.read(plain, sysmeta.OBJECT_ACL) == 'x'
    assert sysmeta.read({}, sysmeta.OBJECT_ACL) is None
