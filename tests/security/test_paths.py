"""Path tricks and bucket-name rules.

Row: "path tricks" of issue 8 (``..``, ``%2F``, NUL, overlong keys, invalid
UTF-8) and "bucket-name rules". S3 keys are opaque strings: ``..`` is a key
like any other and never climbs into another bucket; what cannot be a key or
a bucket name is refused with a 4xx S3 error, never a 500.
"""
from __future__ import annotations

import base64
import hashlib
from urllib.parse import quote, unquote, unquote_plus

import pytest
from lxml import etree

from tests.security.s3raw import is_s3_error


@pytest.fixture
def two_buckets(raw, make_bucket_name):
    names = [make_bucket_name('paths-a'), make_bucket_name('paths-b')]
    for name in names:
        assert raw.send('PUT', f'/{name}').status == 200
    return names


def _keys(raw, bucket: str) -> list[str]:
    resp = raw.send('GET', f'/{bucket}', params=[('encoding-type', 'url')])
    assert resp.status == 200, resp
    root = etree.fromstring(resp.body)
    return [unquote_plus(k.text) for k in root.iter('{*}Key')]


@pytest.mark.parametrize('raw_key,stored', [
    ('a/../c', 'a/../c'), ('../{b}/k', '../{b}/k'), ('%2e%2e/{b}/k', '../{b}/k'),
    ('..%2F{b}%2Fk', '../{b}/k'), ('x%2Fy', 'x/y'), ('/k', '/k'), ('./k', './k'),
    ('k/..', 'k/..'), ('k/.', 'k/.'), ('%2E%2E%5Ck', '..\\k'),
])
def test_dot_segments_are_literal_keys(raw, two_buckets, raw_key, stored):
    a, b = two_buckets
    raw_key, stored = raw_key.format(b=b), stored.format(b=b)
    resp = raw.send('PUT', f'/{a}/{raw_key}', body=b'literal')
    assert resp.status == 200, resp
    assert _keys(raw, a) == [stored]
    assert _keys(raw, b) == []
    assert raw.send('HEAD', f'/{a}/c').status == 404


@pytest.mark.parametrize('key', ['.', '..'])
def test_dot_keys_do_not_reach_the_bucket(raw, two_buckets, key):
    a, b = two_buckets
    resp = raw.send('PUT', f'/{a}/{key}', body=b'dot')
    assert resp.status == 200 or is_s3_error(resp) and resp.status < 500, resp
    assert raw.send('HEAD', f'/{a}').status == 200
    if resp.status == 200:
        assert raw.send('GET', f'/{a}/{key}').body == b'dot'
    assert _keys(raw, b) == []


def test_encoded_slash_in_bucket_segment(raw, two_buckets):
    a, _b = two_buckets
    resp = raw.send('PUT', f'/{a}%2Fk', body=b'x')
    assert resp.status == 200 or is_s3_error(resp) and resp.status < 500, resp


@pytest.mark.parametrize('raw_key', ['k%00', '%00', 'a%00b/../c'])
def test_nul_in_key_refused(raw, bucket, raw_key):
    resp = raw.send('PUT', f'/{bucket}/{raw_key}', body=b'x')
    assert resp.status == 400 and resp.code == 'InvalidURI', resp
    assert _keys(raw, bucket) == []


@pytest.mark.parametrize('where', ['path', 'query', 'header'])
def test_raw_nul_byte_is_not_a_500(raw, bucket, where):
    q, hdrs, _ = raw.sign('GET', f'/{bucket}/k')
    target = f'/{bucket}/k'
    if where == 'path':
        target = f'/{bucket}/k\x00x'
    elif where == 'query':
        target += '?prefix=\x00'
    else:
        hdrs['x-custom'] = 'a\x00b'
    resp = raw.request('GET', target, hdrs)
    assert 400 <= resp.status < 500, resp


def test_key_of_1024_bytes_round_trips(raw, bucket):
    key = 'k' * 1000 + '\u00e9' * 12     # 1000 + 24 bytes
    assert len(key.encode()) == 1024
    resp = raw.send('PUT', f'/{bucket}/{quote(key)}', body=b'long')
    assert resp.status == 200, resp
    assert raw.send('GET', f'/{bucket}/{quote(key)}').body == b'long'
    assert _keys(raw, bucket) == [key]


@pytest.mark.parametrize('key', ['k' * 1025, '\u00e9' * 513, '\u20ac' * 342],
                         ids=['1025-ascii', '1026-latin', '1026-euro'])
def test_overlong_key_refused(raw, bucket, key):
    resp = raw.send('PUT', f'/{bucket}/{quote(key)}', body=b'x')
    assert resp.status == 400 and resp.code == 'KeyTooLongError', resp
    assert _keys(raw, bucket) == []


def test_path_beyond_request_line_limit_refused(raw, bucket):
    """eventlet refuses request lines over 8 KB (414) before swift3 runs."""
    resp = raw.send('PUT', f'/{bucket}/' + 'k' * 10000, body=b'x')
    assert resp.status in (400, 414), resp
    assert _keys(raw, bucket) == []


def test_overlong_copy_source_refused(raw, bucket):
    resp = raw.send('PUT', f'/{bucket}/dst', headers={
        'x-amz-copy-source': f'/{bucket}/' + 'k' * 1025})
    assert resp.status == 400 and resp.code == 'InvalidArgument', resp


@pytest.mark.parametrize('raw_key', ['%FF', 'a%C0%AFb', '%ED%A0%80', '%F4%90%80%80',
                                     'ok%E2%82'])
def test_invalid_utf8_key_refused(raw, bucket, raw_key):
    resp = raw.send('PUT', f'/{bucket}/{raw_key}', body=b'x')
    assert resp.status == 400 and resp.code == 'InvalidURI', resp
    assert _keys(raw, bucket) == []


def test_raw_invalid_utf8_byte_in_path_refused(raw, bucket):
    q, hdrs, _ = raw.sign('GET', f'/{bucket}/k')
    resp = raw.request('GET', f'/{bucket}/\xff', hdrs)
    assert resp.status == 400 and is_s3_error(resp), resp


@pytest.mark.parametrize('query', ['prefix=%FF', 'marker=%C0%AF', '%FF=1', 'delimiter=%ED%A0%80'])
def test_invalid_utf8_query_refused(raw, bucket, query):
    q, hdrs, _ = raw.sign('GET', f'/{bucket}', auth='v2')
    resp = raw.request('GET', f'/{bucket}?{query}', hdrs)
    assert 400 <= resp.status < 500 and is_s3_error(resp), resp


def test_invalid_utf8_copy_source_refused(raw, bucket):
    assert raw.send('PUT', f'/{bucket}/src', body=b'x').status == 200
    resp = raw.send('PUT', f'/{bucket}/dst', headers={'x-amz-copy-source': f'/{bucket}/%FF'})
    assert resp.status == 400 and resp.code == 'InvalidArgument', resp


def test_invalid_utf8_in_delete_xml_refused(raw, bucket):
    body = b'<Delete><Object><Key>\xff\xfe</Key></Object></Delete>'
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    resp = raw.send('POST', f'/{bucket}', params=[('delete', '')], body=body,
                    headers={'content-md5': md5})
    assert resp.status == 400 and resp.code == 'MalformedXML', resp


# Targets without a leading '/' ('*', 'b/k') and '//b/k' never reach swift3:
# Swift 2.38's proxy-logging fails on them with a 500 while labelling any
# S3-signed request (doc/security.md, "known limits").
@pytest.mark.parametrize('target', ['http://evil.example/{b}/k', 'http://evil.example{b}/k'])
def test_odd_request_targets_are_not_500(raw, bucket, target):
    q, hdrs, _ = raw.sign('GET', f'/{bucket}/k')
    resp = raw.request('GET', target.format(b=bucket), hdrs)
    assert resp.status < 500, resp


# -- bucket names ----------------------------------------------------------------
INVALID_BUCKETS = ['ab', 'a' * 64, 'UPPERCASE', 'under_score', '-leading', 'trailing-',
                   '.leading', 'trailing.', '192.168.1.1', 'a..b', 'a.-b', 'a-.b', 'xn--abc',
                   'abc-s3alias', 'sthree-abc', 'bucket+segments', 'has%20space',
                   '%C3%BCnicode', 'v1', 'a%2Bb', 'a;b', 'a%25b']


@pytest.mark.parametrize('name', INVALID_BUCKETS)
def test_invalid_bucket_name_refused(raw, swift_api, name):
    resp = raw.send('PUT', f'/{name}')
    assert resp.status == 400 and resp.code == 'InvalidBucketName', resp
    listing = swift_api().call('GET', params={'format': 'json'}).json()
    assert unquote(name) not in {c['name'] for c in listing}


@pytest.mark.parametrize('length', [3, 63])
def test_valid_bucket_name_edges_accepted(raw, make_bucket_name, length):
    base = make_bucket_name('x').replace('-', '')
    name = (base * 10)[:length]
    resp = raw.send('PUT', f'/{name}')
    assert resp.status in (200, 409), resp       # 409: a 3-char name made earlier
    assert raw.send('HEAD', f'/{name}').status == 200


def test_segment_container_is_not_reachable_as_bucket(raw, bucket):
    resp = raw.send('GET', f'/{bucket}+segments')
    assert resp.status == 400 and resp.code == 'InvalidBucketName', resp
