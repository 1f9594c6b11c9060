"""Conditional writes (If-None-Match: * and If-Match on PutObject and
CompleteMultipartUpload), as Terraform/OpenTofu's S3 state locking uses
them."""
from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def bucket(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    return bucket_name


def error(info):
    return (info.value.response['ResponseMetadata']['HTTPStatusCode'],
            info.value.response['Error']['Code'])


def test_terraform_lock_sequence(s3, bucket):
    lock = 'state.tflock'
    s3.put_object(Bucket=bucket, Key=lock, Body=b'{"ID":"a"}',
                  IfNoneMatch='*')
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket=bucket, Key=lock, Body=b'{"ID":"b"}',
                      IfNoneMatch='*')
    assert error(info) == (412, 'PreconditionFailed')
    assert s3.get_object(Bucket=bucket, Key=lock)['Body'].read() == \
        b'{"ID":"a"}'
    # state written with If-Match on the ETag it read
    first = s3.put_object(Bucket=bucket, Key='state', Body=b'v1')['ETag']
    second = s3.put_object(Bucket=bucket, Key='state', Body=b'v2',
                           IfMatch=first)['ETag']
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket=bucket, Key='state', Body=b'v3', IfMatch=first)
    assert error(info) == (412, 'PreconditionFailed')
    assert s3.get_object(Bucket=bucket, Key='state')['ETag'] == second
    s3.delete_object(Bucket=bucket, Key=lock)
    s3.put_object(Bucket=bucket, Key=lock, Body=b'{"ID":"c"}',
                  IfNoneMatch='*')


def test_if_match_on_a_missing_key(s3, bucket):
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket=bucket, Key='nope', Body=b'x',
                      IfMatch='"%s"' % hashlib.md5(b'x').hexdigest())
    assert error(info) == (404, 'NoSuchKey')


def test_if_none_match_other_than_star(s3, bucket):
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket=bucket, Key='k', Body=b'x', IfNoneMatch='"abc"')
    assert error(info)[1] == 'NotImplemented'


def test_only_one_of_racing_creators_wins(s3, bucket):
    def create(n):
        try:
            s3.put_object(Bucket=bucket, Key='lock', Body=b'%d' % n,
                          IfNoneMatch='*')
            return n
        except ClientError as err:
            assert err.response['ResponseMetadata']['HTTPStatusCode'] in (
                409, 412)
            return None
    with ThreadPoolExecutor(8) as pool:
        winners = [n for n in pool.map(create, range(16)) if n is not None]
    assert len(winners) == 1
    assert s3.get_object(Bucket=bucket, Key='lock')['Body'].read() == \
        b'%d' % winners[0]


def complete(s3, bucket, key, body, **conditions):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)['UploadId']
    etag = s3.upload_part(Bucket=bucket, Key=key, PartNumber=1,
                          UploadId=upload_id, Body=body)['ETag']
    return s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload_id,
        MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': etag}]},
        **conditions)


def test_complete_multipart_conditions(s3, bucket):
    first = complete(s3, bucket, 'k', b'1', IfNoneMatch='*')['ETag']
    with pytest.raises(ClientError) as info:
        complete(s3, bucket, 'k', b'2', IfNoneMatch='*')
    assert error(info) == (412, 'PreconditionFailed')
    second = complete(s3, bucket, 'k', b'3', IfMatch=first)['ETag']
    assert second != first
    with pytest.raises(ClientError) as info:
        complete(s3, bucket, 'k', b'4', IfMatch=first)
    assert error(info) == (412, 'PreconditionFailed')
    assert s3.head_object(Bucket=bucket, Key='k')['ETag'] == second
    s3.put_object(Bucket=bucket, Key='plain', Body=b'p')
    complete(s3, bucket, 'plain', b'5', IfMatch='"%s"' % hashlib.md5(
        b'p').hexdigest())
