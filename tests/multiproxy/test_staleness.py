"""Bounded staleness of ACL and policy changes across proxies.

A grant or revocation made through one proxy is in force at the other within
Swift's container-info cache lifetime (the proxy that changes a bucket clears
the shared memcache entry; per-process caches live ``STALENESS`` at most).
"""
from __future__ import annotations

import json
import time

from tests.security.s3raw import Creds, RawS3

STALENESS = 15.0     # an upper bound; the cache lifetimes are lower


def _anonymous(raw) -> RawS3:
    return RawS3(raw.host, raw.port, Creds('', ''))


def _until(check, what: str) -> None:
    deadline = time.monotonic() + STALENESS
    while not check():
        assert time.monotonic() < deadline, f'{what}: still not in force'
        time.sleep(0.5)


def test_bucket_acl_grant_and_revoke(raws, bucket):
    raw_a, raw_b = raws
    assert raw_a.send('PUT', f'/{bucket}/k', body=b'public?').status == 200
    anon_b = _anonymous(raw_b)
    assert anon_b.send('GET', f'/{bucket}', auth='none').status == 403
    assert raw_a.send('PUT', f'/{bucket}', params=[('acl', '')],
                      headers={'x-amz-acl': 'public-read'}).status == 200
    _until(lambda: anon_b.send('GET', f'/{bucket}', auth='none').status == 200, 'grant')
    assert raw_a.send('PUT', f'/{bucket}', params=[('acl', '')],
                      headers={'x-amz-acl': 'private'}).status == 200
    _until(lambda: anon_b.send('GET', f'/{bucket}', auth='none').status == 403, 'revoke')


def test_bucket_policy_grant_and_revoke(raws, bucket):
    raw_a, raw_b = raws
    assert raw_a.send('PUT', f'/{bucket}/k', body=b'data').status == 200
    anon_b = _anonymous(raw_b)
    policy = json.dumps({'Version': '2012-10-17', 'Statement': [{
        'Effect': 'Allow', 'Principal': '*', 'Action': 's3:GetObject',
        'Resource': f'arn:aws:s3:::{bucket}/*'}]}).encode()
    resp = raw_a.send('PUT', f'/{bucket}', params=[('policy', '')], body=policy)
    assert resp.status in (200, 204), resp
    _until(lambda: anon_b.send('GET', f'/{bucket}/k', auth='none').status == 200,
           'policy grant')
    assert raw_a.send('DELETE', f'/{bucket}', params=[('policy', '')]).status == 204
    _until(lambda: anon_b.send('GET', f'/{bucket}/k', auth='none').status == 403,
           'policy revoke')
