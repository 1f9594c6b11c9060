"""Baseline: the raw signer's requests are accepted in every auth form.

Every "→ 403" in this suite is meaningful only because the same request,
untampered, succeeds; these tests prove that for each auth form.
"""
from __future__ import annotations

import hashlib

import pytest

AUTHS = ['v4', 'v4-query', 'v2', 'v2-query']


@pytest.mark.parametrize('auth', AUTHS)
def test_put_get_each_auth_form(raw, bucket_name, auth):
    assert raw.send('PUT', f'/{bucket_name}', auth='v4').status == 200
    body = b'baseline ' + auth.encode()
    put = raw.send('PUT', f'/{bucket_name}/k', body=body, auth=auth)
    assert put.status == 200, put
    assert put.headers['etag'] == '"%s"' % hashlib.md5(body).hexdigest()
    got = raw.send('GET', f'/{bucket_name}/k', auth=auth)
    assert got.status == 200, got
    assert got.body == body
