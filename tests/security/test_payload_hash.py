"""A SigV4 body must match its signed x-amz-content-sha256 in every framing.

Rows: Swift bug 1765834 (``x-amz-content-sha256`` signed but the body never
hashed) and the observed "body hash bypass" (with ``Transfer-Encoding:
chunked`` and no Content-Length the hash was not checked). A mismatch stores
nothing, overwrites nothing and deletes nothing.
"""
from __future__ import annotations

import base64
import hashlib

import pytest

from tests.security.s3raw import UNSIGNED

FRAMINGS = [pytest.param(False, id='content-length'), pytest.param(True, id='chunked')]


def _same_length_forgery(body: bytes) -> bytes:
    return bytes(b ^ 0x20 for b in body)


@pytest.mark.parametrize('chunked', FRAMINGS)
def test_bug_1765834_new_object_not_stored(raw, bucket, swift_api, chunked):
    body = b'signed body ' * 1000
    resp = raw.send('PUT', f'/{bucket}/k', body=body, send_body=_same_length_forgery(body),
                    chunked=chunked)
    assert resp.status == 400 and resp.code == 'XAmzContentSHA256Mismatch', resp
    assert raw.send('HEAD', f'/{bucket}/k').status == 404
    listing = swift_api().call('GET', f'/{bucket}', params={'format': 'json'})
    assert listing.json() == []


@pytest.mark.parametrize('chunked', FRAMINGS)
def test_bug_1765834_existing_object_not_overwritten(raw, bucket, chunked):
    assert raw.send('PUT', f'/{bucket}/k', body=b'original').status == 200
    body = b'replacement, signed'
    resp = raw.send('PUT', f'/{bucket}/k', body=body, send_body=_same_length_forgery(body),
                    chunked=chunked)
    assert resp.status == 400 and resp.code == 'XAmzContentSHA256Mismatch', resp
    assert raw.send('GET', f'/{bucket}/k').body == b'original'


@pytest.mark.parametrize('chunked', FRAMINGS)
def test_body_longer_or_shorter_than_signed(raw, bucket, chunked):
    for wire in (b'signed body plus more', b'signed'):
        resp = raw.send('PUT', f'/{bucket}/k', body=b'signed body', send_body=wire,
                        chunked=chunked)
        assert resp.status == 400 and resp.code == 'XAmzContentSHA256Mismatch', resp
    assert raw.send('HEAD', f'/{bucket}/k').status == 404


@pytest.mark.parametrize('chunked', FRAMINGS)
def test_unsigned_payload_still_allowed(raw, bucket, chunked):
    resp = raw.send('PUT', f'/{bucket}/k', body=b'anything', payload=UNSIGNED,
                    chunked=chunked)
    assert resp.status == 200, resp
    assert raw.send('GET', f'/{bucket}/k').body == b'anything'


@pytest.mark.parametrize('case', ['upper', 'mixed'])
@pytest.mark.parametrize('chunked', FRAMINGS)
def test_hash_hex_case_insensitive(raw, bucket, case, chunked):
    body = b'09a2f9393 case test'
    digest = hashlib.sha256(body).hexdigest()
    digest = digest.upper() if case == 'upper' else ''.join(
        c.upper() if i % 2 else c for i, c in enumerate(digest))
    resp = raw.send('PUT', f'/{bucket}/k', body=body, payload=digest,
                    headers={'x-amz-content-sha256': digest}, chunked=chunked)
    assert resp.status == 200, resp
    assert raw.send('GET', f'/{bucket}/k').body == body


def test_empty_body_with_hash_of_content(raw, bucket):
    resp = raw.send('PUT', f'/{bucket}/k', body=b'content', send_body=b'')
    assert resp.status == 400 and resp.code == 'XAmzContentSHA256Mismatch', resp
    assert raw.send('HEAD', f'/{bucket}/k').status == 404


def test_content_with_hash_of_empty_body(raw, bucket):
    resp = raw.send('PUT', f'/{bucket}/k', body=b'', send_body=b'content')
    assert resp.status == 400 and resp.code == 'XAmzContentSHA256Mismatch', resp
    assert raw.send('HEAD', f'/{bucket}/k').status == 404


@pytest.mark.parametrize('chunked', FRAMINGS)
def test_forged_multi_delete_body_deletes_nothing(raw, bucket, chunked):
    assert raw.send('PUT', f'/{bucket}/keepme', body=b'x').status == 200
    assert raw.send('PUT', f'/{bucket}/victim', body=b'x').status == 200
    signed = b'<Delete><Object><Key>keepme</Key></Object></Delete>'
    forged = b'<Delete><Object><Key>victim</Key></Object></Delete>'
    md5 = base64.b64encode(hashlib.md5(forged).digest()).decode()
    resp = raw.send('POST', f'/{bucket}', params=[('delete', '')], body=signed,
                    send_body=forged, headers={'content-md5': md5}, chunked=chunked,
                    sign_headers=['host', 'x-amz-content-sha256', 'x-amz-date'])
    assert resp.status == 400 and resp.code == 'XAmzContentSHA256Mismatch', resp
    assert raw.send('HEAD', f'/{bucket}/victim').status == 200
    assert raw.send('HEAD', f'/{bucket}/keepme').status == 200


@pytest.mark.parametrize('chunked', FRAMINGS)
def test_forged_acl_body_refused(raw, bucket, chunked):
    body = b'<AccessControlPolicy/>'
    resp = raw.send('PUT', f'/{bucket}', params=[('acl', '')], body=body,
                    send_body=_same_length_forgery(body), chunked=chunked)
    assert resp.status == 400 and resp.code == 'XAmzContentSHA256Mismatch', resp


def test_forged_create_bucket_body_creates_nothing(raw, make_bucket_name):
    name = make_bucket_name('forged-create')
    body = (b'<CreateBucketConfiguration><LocationConstraint>us-east-1'
            b'</LocationConstraint></CreateBucketConfiguration>')
    resp = raw.send('PUT', f'/{name}', body=body, send_body=body.replace(b'us', b'eu'))
    assert resp.status == 400 and resp.code == 'XAmzContentSHA256Mismatch', resp
    assert raw.send('HEAD', f'/{name}').status == 404
