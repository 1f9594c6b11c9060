"""Core S3 operations through boto3 against the real in-process Swift."""
from __future__ import annotations

import hashlib
import os

import pytest
from botocore.exceptions import ClientError


def _code(exc: ClientError) -> str:
    return exc.response['Error']['Code']


def test_bucket_lifecycle_and_object_round_trip(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    names = [b['Name'] for b in s3.list_buckets()['Buckets']]
    assert bucket_name in names
    data = os.urandom(100 * 1024 + 7)
    s3.put_object(Bucket=bucket_name, Key='dir/obj one', Body=data,
                  Metadata={'Color': 'blue'})
    got = s3.get_object(Bucket=bucket_name, Key='dir/obj one')
    body = got['Body'].read()
    assert hashlib.md5(body).hexdigest() == hashlib.md5(data).hexdigest()
    assert got['Metadata'] == {'color': 'blue'}
    assert got['ETag'] == '"%s"' % hashlib.md5(data).hexdigest()
    head = s3.head_object(Bucket=bucket_name, Key='dir/obj one')
    assert head['ContentLength'] == len(data)
    assert head['ContentType'] == 'binary/octet-stream'
    s3.delete_object(Bucket=bucket_name, Key='dir/obj one')
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket_name, Key='dir/obj one')
    assert _code(exc.value) == 'NoSuchKey'
    s3.delete_bucket(Bucket=bucket_name)
    with pytest.raises(ClientError) as exc:
        s3.head_bucket(Bucket=bucket_name)
    assert exc.value.response['ResponseMetadata']['HTTPStatusCode'] == 404
