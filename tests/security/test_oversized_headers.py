"""Oversized headers are refused by the S3 layer before Swift sees them.

Row: the observed "oversized header → node outage": a PUT with a 7,000-byte
Content-Type got a 507 from the object server (its metadata did not fit the
filesystem's extended attributes), and the proxy then error-limited the only
object node, so every object request failed with 503 for a minute.

Each test runs on its own proxy (error limiting is per proxy process) and
ends with an ordinary PUT and GET through it: they fail if any request
before reached the object server and got a 507.
"""
from __future__ import annotations

import uuid

import pytest

from tests.functional.conftest import DEFAULT_S3_OPTIONS
from tests.security.s3raw import Creds, RawS3

STORED = ['content-type', 'content-disposition', 'content-encoding', 'content-language',
          'cache-control', 'expires']


@pytest.fixture
def fresh(proxy_factory, bucket_name):
    """A client of a proxy of this test only, and a bucket."""
    proxy = proxy_factory(**DEFAULT_S3_OPTIONS, log_name=f'oversize-{uuid.uuid4().hex[:8]}')
    raw = RawS3('127.0.0.1', proxy.port, Creds('test:tester', 'testing'))
    assert raw.send('PUT', f'/{bucket_name}').status == 200
    return raw, bucket_name


def _node_still_in_service(raw: RawS3, bucket: str) -> None:
    put = raw.send('PUT', f'/{bucket}/after', body=b'still works')
    assert put.status == 200, f'the object node was error-limited: {put}'
    assert raw.send('GET', f'/{bucket}/after').body == b'still works'


@pytest.mark.parametrize('header', STORED)
def test_7000_byte_stored_header_refused_before_swift(fresh, header):
    raw, bucket = fresh
    value = 'a/' + 'b' * 7000 if header == 'content-type' else 'x' * 7000
    resp = raw.send('PUT', f'/{bucket}/big', body=b'x', headers={header: value})
    assert resp.status == 400 and resp.code in (
        'MetadataTooLarge', 'RequestHeaderSectionTooLarge'), resp
    assert raw.send('HEAD', f'/{bucket}/big').status == 404
    _node_still_in_service(raw, bucket)


def test_stored_headers_together_refused(fresh):
    raw, bucket = fresh
    headers = {h: 'v' * 1200 for h in STORED}
    resp = raw.send('PUT', f'/{bucket}/big', body=b'x', headers=headers)
    assert resp.status == 400 and resp.code in (
        'MetadataTooLarge', 'RequestHeaderSectionTooLarge'), resp
    _node_still_in_service(raw, bucket)


def test_oversized_headers_on_copy_replace_refused(fresh):
    raw, bucket = fresh
    assert raw.send('PUT', f'/{bucket}/src', body=b'x').status == 200
    resp = raw.send('PUT', f'/{bucket}/dst', headers={
        'x-amz-copy-source': f'/{bucket}/src', 'x-amz-metadata-directive': 'REPLACE',
        'content-type': 'a/' + 'b' * 7000})
    assert resp.status == 400 and resp.code in (
        'MetadataTooLarge', 'RequestHeaderSectionTooLarge'), resp
    _node_still_in_service(raw, bucket)


def test_user_metadata_over_2kb_refused(fresh):
    raw, bucket = fresh
    resp = raw.send('PUT', f'/{bucket}/big', body=b'x',
                    headers={'x-amz-meta-big': 'v' * 2100})
    assert resp.status == 400 and resp.code == 'MetadataTooLarge', resp
    _node_still_in_service(raw, bucket)


def test_request_header_section_over_8kb_refused(fresh):
    raw, bucket = fresh
    headers = {f'x-custom-{i}': 'v' * 1000 for i in range(9)}
    resp = raw.send('GET', f'/{bucket}', add_after_signing=headers)
    assert resp.status == 400 and resp.code == 'RequestHeaderSectionTooLarge', resp
    _node_still_in_service(raw, bucket)


def test_ordinary_headers_still_accepted(fresh):
    raw, bucket = fresh
    headers = {'content-type': 'text/plain; charset=utf-8',
               'content-disposition': 'attachment; filename="' + 'f' * 200 + '.txt"',
               'cache-control': 'max-age=3600', 'x-amz-meta-a': 'v' * 1500}
    resp = raw.send('PUT', f'/{bucket}/ok', body=b'x', headers=headers)
    assert resp.status == 200, resp
    head = raw.send('HEAD', f'/{bucket}/ok')
    assert head.headers['content-disposition'] == headers['content-disposition']
