"""Every x-amz-* header is signed; every signed element is checked.

Rows: CVE-2026-71191/71192 (OSSA-2026-030) part 1: unsigned ``x-amz-*``
headers accepted beside a valid SigV4 (a presigned PUT plus an added
``x-amz-copy-source`` copies data the signer can read) and the cross-vendor
template: tamper each signed element (header value, omitted signed header,
path, query, method, expiry, SignedHeaders, date, scope) → refused.
"""
from __future__ import annotations

import pytest

from tests.security.s3raw import canonical_query, is_s3_error

SECRET = b'the signer can read this; the URL holder must not'
ADDED = {
    'x-amz-copy-source': None,      # filled in with the secret object's path
    'x-amz-copy-source-if-match': '*',
    'x-amz-copy-source-range': 'bytes=0-10',
    'x-amz-metadata-directive': 'REPLACE',
    'x-amz-acl': 'public-read',
    'x-amz-grant-read': 'uri="http://acs.amazonaws.com/groups/global/AllUsers"',
    'x-amz-grant-full-control': 'id="test2:tester2"',
    'x-amz-meta-owner': 'attacker',
    'x-amz-tagging': 'a=b',
    'x-amz-storage-class': 'GLACIER',
    'x-amz-object-lock-mode': 'COMPLIANCE',
    'x-amz-object-lock-retain-until-date': '2099-01-01T00:00:00Z',
    'x-amz-object-lock-legal-hold': 'ON',
    'x-amz-website-redirect-location': 'http://attacker.example/',
    'x-amz-server-side-encryption': 'AES256',
    'x-amz-decoded-content-length': '5',
    'x-amz-trailer': 'x-amz-checksum-crc32',
    'x-amz-checksum-sha256': 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=',
    'x-amz-expected-bucket-owner': 'test',
    'x-amz-request-payer': 'requester',
    'x-amz-security-token': 'token',
    'x-amz-date': '20200101T000000Z',
}
SPELLINGS = {'lower': str.lower, 'upper': str.upper, 'underscore': lambda h: h.replace('-', '_')}


@pytest.fixture
def scene(raw, bucket):
    """test:tester's bucket with a secret object and a presigned-upload target."""
    assert raw.send('PUT', f'/{bucket}/secret', body=SECRET).status == 200
    return bucket


def _assert_nothing_written(raw, bucket: str) -> None:
    head = raw.send('HEAD', f'/{bucket}/upload')
    assert head.status == 404, 'the tampered request wrote the object'
    assert raw.send('GET', f'/{bucket}/secret').body == SECRET


@pytest.mark.parametrize('spelling', sorted(SPELLINGS))
@pytest.mark.parametrize('header', sorted(ADDED))
def test_cve_2026_71191_presigned_put_plus_unsigned_header(raw, scene, header, spelling):
    value = ADDED[header] or f'/{scene}/secret'
    name = SPELLINGS[spelling](header)
    resp = raw.send('PUT', f'/{scene}/upload', body=b'hello', auth='v4-query',
                    add_after_signing={name: value})
    if spelling == 'underscore' and resp.status == 200:
        # eventlet drops header names with '_': the header never arrived, and
        # the upload must be exactly what was signed.
        got = raw.send('GET', f'/{scene}/upload')
        assert got.body == b'hello', got
        assert not [h for h in got.headers if h.startswith('x-amz-meta-')
                    or h == 'x-amz-storage-class'], got.headers
        return
    assert resp.status == 403 and resp.code == 'AccessDenied', resp
    assert header.encode() in resp.body       # HeadersNotSigned names it
    _assert_nothing_written(raw, scene)


@pytest.mark.parametrize('header', sorted(ADDED))
def test_cve_2026_71191_header_signed_put_plus_unsigned_header(raw, scene, header):
    value = ADDED[header] or f'/{scene}/secret'
    resp = raw.send('PUT', f'/{scene}/upload', body=b'hello', auth='v4',
                    add_after_signing={header: value} if header != 'x-amz-date' else {},
                    sign_headers=None if header != 'x-amz-date' else
                    ['host', 'x-amz-content-sha256'])
    assert resp.status == 403 and resp.code == 'AccessDenied', resp
    _assert_nothing_written(raw, scene)


@pytest.mark.parametrize('auth', ['v2', 'v2-query'])
@pytest.mark.parametrize('header', ['x-amz-copy-source', 'x-amz-acl', 'x-amz-meta-owner',
                                    'x-amz-metadata-directive', 'x-amz-storage-class'])
def test_cve_2026_71191_sigv2_added_amz_header(raw, scene, auth, header):
    """SigV2 signs every x-amz-* header: adding one breaks the signature."""
    value = ADDED[header] or f'/{scene}/secret'
    resp = raw.send('PUT', f'/{scene}/upload', body=b'hello', auth=auth,
                    add_after_signing={header: value})
    assert resp.status == 403 and resp.code == 'SignatureDoesNotMatch', resp
    _assert_nothing_written(raw, scene)


def test_presigned_content_sha256_header_may_be_unsigned(raw, scene):
    """The one exception: clients send x-amz-content-sha256 with presigned URLs."""
    resp = raw.send('PUT', f'/{scene}/upload', body=b'hello', auth='v4-query',
                    add_after_signing={'x-amz-content-sha256': 'UNSIGNED-PAYLOAD'})
    assert resp.status == 200, resp


@pytest.mark.parametrize('payload', ['STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
                                     'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
                                     'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER'])
def test_presigned_link_with_streaming_body_not_implemented(raw, scene, payload):
    resp = raw.send('PUT', f'/{scene}/upload', body=b'5\r\nhello\r\n0\r\n\r\n',
                    auth='v4-query', add_after_signing={'x-amz-content-sha256': payload})
    assert resp.status == 501 and resp.code == 'NotImplemented', resp
    _assert_nothing_written(raw, scene)


# -- tamper with each signed element ----------------------------------------------
def _tampered(raw, bucket: str, auth: str, how: str):
    path = f'/{bucket}/upload'
    headers = {'x-amz-meta-color': 'blue', 'content-type': 'text/plain'}
    q, hdrs, sig = raw.sign('PUT', path, [('x-id', 'PutObject')], headers, b'hello',
                            auth=auth,
                            sign_headers=['content-type', 'host', 'x-amz-meta-color'] +
                            (['x-amz-content-sha256', 'x-amz-date'] if auth == 'v4' else []))
    method = 'PUT'
    if how == 'header_value':
        hdrs['x-amz-meta-color'] = 'red'
    elif how == 'content_type':
        hdrs['content-type'] = 'text/html'
    elif how == 'omit_signed_header':
        del hdrs['content-type']
    elif how == 'path':
        path = f'/{bucket}/upload2'
    elif how == 'bucket':
        path = f'/{bucket}x/upload'
    elif how == 'query_value':
        q = [(k, 'CopyObject' if k == 'x-id' else v) for k, v in q]
    elif how == 'query_added':
        q = q + [('versionId', 'null')]
    elif how == 'method':
        method = 'POST'
    elif how == 'expiry':
        q = [(k, '600' if k == 'X-Amz-Expires' else v) for k, v in q]
    elif how == 'signed_headers_list':
        if auth == 'v4':
            hdrs['authorization'] = hdrs['authorization'].replace('content-type;', '')
        else:
            q = [(k, v.replace('content-type;', '') if k == 'X-Amz-SignedHeaders' else v)
                 for k, v in q]
    elif how == 'date':
        if auth == 'v4':
            hdrs['x-amz-date'] = hdrs['x-amz-date'][:-2] + '00'
        else:
            q = [(k, v[:-2] + '00' if k == 'X-Amz-Date' else v) for k, v in q]
    elif how == 'scope_region':
        if auth == 'v4':
            hdrs['authorization'] = hdrs['authorization'].replace('/us-east-1/', '/US/')
        else:
            q = [(k, v.replace('/us-east-1/', '/US/') if k == 'X-Amz-Credential' else v)
                 for k, v in q]
    target = path + '?' + canonical_query(q)
    return raw.request(method, target, hdrs, b'hello')


TAMPERS = ['header_value', 'content_type', 'omit_signed_header', 'path', 'bucket',
           'query_value', 'query_added', 'method', 'expiry', 'signed_headers_list', 'date',
           'scope_region']


@pytest.mark.parametrize('auth,how', [(a, h) for a in ('v4', 'v4-query') for h in TAMPERS
                                      if (a, h) != ('v4', 'expiry')])
def test_tampered_signed_element_refused(raw, scene, auth, how):
    resp = _tampered(raw, scene, auth, how)
    assert is_s3_error(resp) and resp.status in (400, 403, 404, 405), resp
    if resp.status == 404:      # the tampered path names a bucket that does not exist
        assert resp.code == 'NoSuchBucket' and how == 'bucket', resp
    _assert_nothing_written(raw, scene)
    assert raw.send('HEAD', f'/{scene}/upload2').status == 404


@pytest.mark.parametrize('auth', ['v4', 'v4-query'])
def test_untampered_baseline_succeeds(raw, scene, auth):
    """The same request as above, unchanged, is accepted."""
    resp = _tampered(raw, scene, auth, 'none')
    assert resp.status == 200, resp
