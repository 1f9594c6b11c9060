"""Repeated authentication parameters are refused, through a real proxy.

Issue 13: ``Authorization: AWS4-HMAC-SHA256 Credential=..., Signature=<bad>,
Signature=<good>`` was accepted (the last Signature won). Whatever order, a
repeated component or query parameter is refused with AWS's error, and nothing
is written.
"""
from __future__ import annotations

import pytest

from tests.security.s3raw import is_s3_error


@pytest.fixture
def bucket(raw, bucket_name):
    assert raw.send('PUT', f'/{bucket_name}').status == 200
    return bucket_name


@pytest.mark.parametrize('order', ['bad-good', 'good-bad', 'good-good'])
def test_two_signatures_in_the_header(raw, bucket, order):
    _q, headers, sig = raw.sign('PUT', f'/{bucket}/k', body=b'data')
    bad = '0' * 64
    first, second = {'bad-good': (bad, sig), 'good-bad': (sig, bad),
                     'good-good': (sig, sig)}[order]
    authz = headers['authorization'].replace(f'Signature={sig}',
                                             f'Signature={first}, Signature={second}')
    resp = raw.request('PUT', f'/{bucket}/k', {**headers, 'authorization': authz},
                       b'data')
    assert resp.status == 400 and resp.code == 'AuthorizationHeaderMalformed', resp
    assert is_s3_error(resp)
    assert raw.send('HEAD', f'/{bucket}/k').status == 404


@pytest.mark.parametrize('name', ['X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Date'])
def test_repeated_presigned_v4_parameter(raw, bucket, name):
    params, headers, _sig = raw.sign('GET', f'/{bucket}', auth='v4-query')
    value = dict(params)[name]
    query = '&'.join(f'{k}={v}' for k, v in params) + f'&{name}={value}'
    resp = raw.request('GET', f'/{bucket}?{query}', headers)
    assert resp.status == 400 and resp.code == 'AuthorizationQueryParametersError', resp


@pytest.mark.parametrize('name', ['Signature', 'AWSAccessKeyId'])
def test_repeated_presigned_v2_parameter(raw, bucket, name):
    params, headers, _sig = raw.sign('GET', f'/{bucket}', auth='v2-query')
    value = dict(params)[name]
    query = '&'.join(f'{k}={v}' for k, v in params) + f'&{name}={value}'
    resp = raw.request('GET', f'/{bucket}?{query}', headers)
    assert resp.status == 400 and resp.code == 'InvalidArgument', resp
