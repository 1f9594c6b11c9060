"""Every sub-resource request against a real Swift leaves data alone.

Swift's s3api routed sub-resources it did not know to the plain operation:
``DELETE /b?lifecycle`` deleted an empty bucket, ``PUT /b/k?retention``
overwrote the object with the XML body, ``GET /b?lifecycle`` returned a
listing.  Here every sub-resource × method is sent, with an XML body, to an
empty bucket and to a bucket holding one object, and nothing may change.
"""
from __future__ import annotations

import hashlib

import pytest
from tests.functional.raw_s3 import RawS3, landed

from swift3compat.api import routes

DATA = b'probe object data \x00\xff' * 100
# Requests that legitimately create something are not probes.
NOT_PROBES = {('uploads', 'POST')}
METHODS = ('PUT', 'POST', 'DELETE')


@pytest.fixture
def raw(s3_endpoint, s3_users):
    user = s3_users['test:tester']
    return RawS3(s3_endpoint, user.access_key, user.key)


def _query(sub: str) -> str:
    return sub + '=probe' if sub in ('uploadId', 'id') else sub


def _state(s3, bucket: str) -> dict:
    """Everything a probe could alter, as comparable values."""
    listing = s3.list_objects(Bucket=bucket).get('Contents', [])
    state = {'keys': [(o['Key'], o['Size'], o['ETag']) for o in listing],
             'versioning': s3.get_bucket_versioning(Bucket=bucket).get(
                 'Status'),
             'acl': s3.get_bucket_acl(Bucket=bucket)['Grants']}
    for key, _size, _etag in state['keys']:
        got = s3.get_object(Bucket=bucket, Key=key)
        state[key] = (hashlib.md5(got['Body'].read()).hexdigest(),
                      got['ContentType'], got['Metadata'], got['ETag'])
    return state


def _probe_all(raw, bucket: str, key: str, signature: str) -> list:
    """Send every probe; return (what, status, code) of each."""
    results = []
    body = (b'<?xml version="1.0" encoding="UTF-8"?><Probe xmlns="http://s3.'
            b'amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></Probe>')
    for sub in routes.SUBRESOURCES:
        for method in METHODS:
            if (sub, method) in NOT_PROBES:
                continue
            for path in (f'/{bucket}', f'/{bucket}/{key}'):
                resp = raw(method, f'{path}?{_query(sub)}', body=body,
                           signature=signature)
                results.append((f'{method} {path}?{sub}', resp.status,
                                resp.code))
    return results


@pytest.mark.parametrize('signature', ['v4', 'v2'])
def test_subresource_probes_change_nothing(s3, raw, make_bucket_name,
                                           signature):
    empty, full = make_bucket_name('probe-empty'), make_bucket_name('probe')
    s3.create_bucket(Bucket=empty)
    s3.create_bucket(Bucket=full)
    s3.put_object(Bucket=full, Key='k', Body=DATA, ContentType='text/x-probe',
                  Metadata={'colour': 'blue'})
    before = {b: _state(s3, b) for b in (empty, full)}

    results = _probe_all(raw, empty, 'k', signature) + \
        _probe_all(raw, full, 'k', signature)

    assert {b: _state(s3, b) for b in (empty, full)} == before
    for what, status, code in results:
        # Each answer is a clean S3 answer: success or an XML error, never
        # an internal error or a signature mismatch.
        assert status < 300 or code is not None, what
        assert status != 500 and code != 'SignatureDoesNotMatch', \
            (what, status, code)


def test_subresource_gets_are_not_listings_or_objects(s3, raw, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    s3.put_object(Bucket=bucket_name, Key='k', Body=DATA)
    for sub in routes.SUBRESOURCES:
        bucket_resp = raw('GET', f'/{bucket_name}?{_query(sub)}')
        assert b'<ListBucketResult' not in bucket_resp.body, sub
        assert bucket_resp.status != 500, sub
        object_resp = raw('GET', f'/{bucket_name}/k?{_query(sub)}')
        assert DATA not in object_resp.body, sub
        assert object_resp.status != 500, sub


@pytest.mark.parametrize('sub,code', [
    ('lifecycle', 'NoSuchLifecycleConfiguration'),
    ('cors', 'NoSuchCORSConfiguration'),
    ('policy', 'NoSuchBucketPolicy'),
    ('policyStatus', 'NoSuchBucketPolicy'),
    ('tagging', 'NoSuchTagSet'),
    ('website', 'NoSuchWebsiteConfiguration'),
    ('object-lock', 'ObjectLockConfigurationNotFoundError'),
    ('ownershipControls', 'OwnershipControlsNotFoundError'),
    ('publicAccessBlock', 'NoSuchPublicAccessBlockConfiguration'),
    ('replication', 'ReplicationConfigurationNotFoundError'),
    ('encryption', 'ServerSideEncryptionConfigurationNotFoundError'),
])
def test_unset_configurations_answer_aws_404(raw, s3, bucket_name, sub,
                                             code):
    """Flips when the bucket-configuration issue implements ``sub``: then
    this expects the same 404 for a bucket where it was never set."""
    s3.create_bucket(Bucket=bucket_name)
    resp = raw('GET', f'/{bucket_name}?{sub}')
    assert (resp.status, resp.code) == (404, code)
    resp = raw('GET', f'/{bucket_name}-missing?{sub}')
    assert (resp.status, resp.code) == (404, 'NoSuchBucket')


def test_bucket_info_documents(s3, raw, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    assert s3.get_bucket_request_payment(Bucket=bucket_name)['Payer'] == \
        'BucketOwner'
    s3.put_bucket_request_payment(Bucket=bucket_name,
                                  RequestPaymentConfiguration={
                                      'Payer': 'BucketOwner'})
    s3.put_bucket_request_payment(Bucket=bucket_name,
                                  RequestPaymentConfiguration={
                                      'Payer': 'Requester'})
    assert s3.get_bucket_request_payment(Bucket=bucket_name)['Payer'] == \
        'Requester'
    assert 'LoggingEnabled' not in s3.get_bucket_logging(Bucket=bucket_name)
    s3.put_bucket_logging(Bucket=bucket_name, BucketLoggingStatus={})
    enabled = {'LoggingEnabled': {'TargetBucket': bucket_name,
                                  'TargetPrefix': 'log/'}}
    if landed('bucket', 'logging', 'PUT'):
        s3.put_bucket_logging(Bucket=bucket_name, BucketLoggingStatus=enabled)
        assert s3.get_bucket_logging(Bucket=bucket_name)['LoggingEnabled'][
            'TargetPrefix'] == 'log/'
    else:
        with pytest.raises(s3.exceptions.ClientError) as exc:
            s3.put_bucket_logging(Bucket=bucket_name,
                                  BucketLoggingStatus=enabled)
        assert exc.value.response['Error']['Code'] == 'NotImplemented'
    assert 'Status' not in s3.get_bucket_accelerate_configuration(
        Bucket=bucket_name)
    resp = raw('GET', f'/{bucket_name}?location')
    assert resp.status == 200 and b'<LocationConstraint' in resp.body
