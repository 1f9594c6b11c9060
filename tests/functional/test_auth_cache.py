"""The per-process authentication cache (``auth_cache_duration``, s3_acl).

A proxy with the test filter ``auth_probe`` between swift3 and tempauth
counts, per S3 request id, the ``TEST`` subrequests swift3 makes and the
subrequests that reach tempauth with S3 credentials: the first request of
an access key authenticates through tempauth, later ones whose signature
the remembered key verifies do not; a request signed with another secret
still goes to tempauth and is refused as before; ACL and bucket policy
decisions are the same from the cache.
"""
from __future__ import annotations

import json
import urllib.request
from typing import Any, Callable, Dict, Tuple

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from swift3compat_dev.cluster import Proxy, ProxySpec
from tests.functional.conftest import DEFAULT_S3_OPTIONS, REGION, endpoint_of

PROBE = 'tests.functional.auth_probe:filter_factory'


@pytest.fixture(scope='module')
def proxy(swift_cluster) -> Proxy:
    spec = ProxySpec(name='proxy-auth-cache', preset='swift3compat',
                     s3_options={**DEFAULT_S3_OPTIONS,
                                 'auth_pipeline_check': 'false'})
    spec = spec.replacing('swift3', ('auth_probe_control', 'swift3',
                                     'auth_probe'), {
        'auth_probe_control': {'paste.filter_factory': PROBE,
                               'role': 'control'},
        'auth_probe': {'paste.filter_factory': PROBE, 'role': 'count'}})
    return swift_cluster.add_proxy(spec)


@pytest.fixture(scope='module')
def client(proxy, s3_users) -> Callable[..., Any]:
    def make(user: str, secret: str = '', signature_version: str = 's3v4'
             ) -> Any:
        return boto3.session.Session().client(
            's3', endpoint_url=endpoint_of(proxy), region_name=REGION,
            aws_access_key_id=user,
            aws_secret_access_key=secret or s3_users[user].key,
            config=Config(signature_version=signature_version,
                          s3={'addressing_style': 'path'},
                          retries={'mode': 'standard',
                                   'total_max_attempts': 1}))
    return make


def auth_counts(proxy: Proxy, request_id: str) -> Tuple[int, int]:
    """(TEST subrequests, subrequests tempauth authenticated) of a request."""
    with urllib.request.urlopen(endpoint_of(proxy) + '/__auth_probe__') as r:
        counts = json.loads(r.read())
    return (counts['tests'].get(request_id, 0),
            counts['authenticated'].get(request_id, 0))


def request_id(resp: Dict[str, Any]) -> str:
    return resp['ResponseMetadata']['HTTPHeaders']['x-amz-request-id']


def failure(call: Callable[[], Any]) -> Tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call()
    resp = info.value.response
    return resp['Error']['Code'], request_id(resp)


def test_second_request_skips_the_authentication_subrequest(proxy, client):
    s3 = client('test2:tester2')
    first = s3.list_buckets()
    assert auth_counts(proxy, request_id(first)) == (1, 1)
    for _ in range(3):
        again = s3.list_buckets()
        assert auth_counts(proxy, request_id(again)) == (0, 0)
    assert again['Owner'] == first['Owner']
    assert again['Buckets'] == first['Buckets']


def test_sigv2_and_presigned_requests_use_the_cache(proxy, client,
                                                    make_bucket_name):
    s3 = client('test:tester2')
    bucket = make_bucket_name('authcache-v2')
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key='k', Body=b'data')
    v2 = client('test:tester2', signature_version='s3')
    resp = v2.head_object(Bucket=bucket, Key='k')
    assert auth_counts(proxy, request_id(resp)) == (0, 0)
    url = s3.generate_presigned_url('get_object', Params={
        'Bucket': bucket, 'Key': 'k'}, ExpiresIn=300)
    got = requests.get(url, timeout=30)
    assert got.status_code == 200 and got.content == b'data'
    assert auth_counts(proxy, got.headers['x-amz-request-id']) == (0, 0)
    bad = client('test:tester2', secret='not-the-key')
    url = bad.generate_presigned_url('get_object', Params={
        'Bucket': bucket, 'Key': 'k'}, ExpiresIn=300)
    refused = requests.get(url, timeout=30)
    assert refused.status_code == 403
    assert b'<Code>SignatureDoesNotMatch</Code>' in refused.content
    assert auth_counts(proxy, refused.headers['x-amz-request-id']) == (1, 1)


@pytest.mark.parametrize('version', ['s3v4', 's3'])
def test_wrong_secret_after_a_cache_fill_is_refused(proxy, client,
                                                    make_bucket_name, version):
    s3 = client('test:tester')
    bucket = make_bucket_name('authcache-bad')
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key='k', Body=b'data')
    assert auth_counts(proxy, request_id(
        s3.head_object(Bucket=bucket, Key='k'))) == (0, 0)
    bad = client('test:tester', secret='testing-but-wrong',
                 signature_version=version)
    for call in (lambda: bad.get_object(Bucket=bucket, Key='k'),
                 lambda: bad.put_object(Bucket=bucket, Key='k', Body=b'x'),
                 lambda: bad.list_objects(Bucket=bucket)):
        code, rid = failure(call)
        assert code == 'SignatureDoesNotMatch'
        # not answered from the cache: tempauth refused it, as before
        assert auth_counts(proxy, rid) == (1, 1)
    # another user's key does not pass as this access key's either
    other = client('test:tester', secret='testing2', signature_version=version)
    assert failure(lambda: other.head_bucket(Bucket=bucket))[0] in (
        '403', 'SignatureDoesNotMatch')
    assert s3.get_object(Bucket=bucket, Key='k')['Body'].read() == b'data'
    # an unknown access key is still unknown
    unknown = client('test:nobody', secret='x', signature_version=version)
    assert failure(lambda: unknown.list_objects(Bucket=bucket))[0] == \
        'InvalidAccessKeyId'


def test_acl_and_policy_decisions_are_unchanged(proxy, client,
                                                make_bucket_name):
    owner = client('test:tester')
    tester3 = client('test:tester3')
    bucket = make_bucket_name('authcache-acl')
    owner.create_bucket(Bucket=bucket)
    owner.put_object(Bucket=bucket, Key='private', Body=b'p')
    owner.put_object(Bucket=bucket, Key='granted', Body=b'g')
    owner.put_object(Bucket=bucket, Key='public/x', Body=b'x')
    # authenticated, then refused by the ACL: the cache is filled anyway
    code, rid = failure(lambda: tester3.get_object(Bucket=bucket,
                                                   Key='private'))
    assert (code, auth_counts(proxy, rid)) == ('AccessDenied', (1, 1))
    for _ in range(2):
        code, rid = failure(lambda: tester3.get_object(Bucket=bucket,
                                                       Key='private'))
        assert code == 'AccessDenied'
        assert auth_counts(proxy, rid) == (0, 0)
        assert failure(lambda: tester3.put_object(
            Bucket=bucket, Key='new', Body=b'n'))[0] == 'AccessDenied'
        assert failure(lambda: tester3.get_bucket_acl(
            Bucket=bucket))[0] == 'AccessDenied'
    owner.put_object_acl(Bucket=bucket, Key='granted',
                         GrantRead='id="test:tester3"')
    for _ in range(2):
        resp = tester3.get_object(Bucket=bucket, Key='granted')
        assert resp['Body'].read() == b'g'
        assert auth_counts(proxy, request_id(resp)) == (0, 0)
    owner.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        'Version': '2012-10-17', 'Statement': [{
            'Effect': 'Allow', 'Principal': {'AWS': ['test:tester3']},
            'Action': 's3:GetObject',
            'Resource': f'arn:aws:s3:::{bucket}/public/*'}, {
            'Effect': 'Deny', 'Principal': {'AWS': ['test:tester3']},
            'Action': 's3:GetObject',
            'Resource': f'arn:aws:s3:::{bucket}/granted'}]}))
    for _ in range(2):
        resp = tester3.get_object(Bucket=bucket, Key='public/x')
        assert resp['Body'].read() == b'x'
        assert auth_counts(proxy, request_id(resp)) == (0, 0)
        assert failure(lambda: tester3.get_object(
            Bucket=bucket, Key='granted'))[0] == 'AccessDenied'
        assert failure(lambda: tester3.get_object(
            Bucket=bucket, Key='private'))[0] == 'AccessDenied'
    # the owner (.admin: acts as AUTH_test) still owns it from the cache
    resp = owner.get_bucket_acl(Bucket=bucket)
    assert resp['Owner']['ID'] == 'AUTH_test'
    assert auth_counts(proxy, request_id(resp)) == (0, 0)
