"""``x-amz-expected-bucket-owner`` (and ``x-amz-source-expected-bucket-owner``
for a copy source): AWS answers 403 AccessDenied when the header names an
account that does not own the bucket ("If the account ID that you provide
does not match the actual owner of the bucket, the request fails with the
HTTP status code 403 Forbidden"), on every bucket and object operation;
the right owner changes nothing.  The owner is the canonical id that
ListBuckets and GetBucketAcl report (the Swift account, ``AUTH_test``)."""
from __future__ import annotations

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.functional.conftest import REGION

OWNER = 'AUTH_test'
WRONG = 'AUTH_test2'


def _denied(call, **kwargs) -> None:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    response = info.value.response
    # a HEAD's error has no body: botocore names it by its status
    code = '403' if call.__name__.startswith('head_') else 'AccessDenied'
    assert (response['ResponseMetadata']['HTTPStatusCode'],
            response['Error']['Code']) == (403, code), kwargs


def _keys(s3, bucket: str) -> list:
    return [o['Key'] for o in s3.list_objects_v2(Bucket=bucket)
            .get('Contents', [])]


def _operations(s3, bucket: str, other: str):
    """(call, kwargs) of bucket and object operations on ``bucket``, each
    taking ExpectedBucketOwner; none changes anything when it succeeds."""
    return [
        (s3.head_bucket, {'Bucket': bucket}),
        (s3.list_objects, {'Bucket': bucket}),
        (s3.list_objects_v2, {'Bucket': bucket}),
        (s3.get_bucket_acl, {'Bucket': bucket}),
        (s3.get_bucket_versioning, {'Bucket': bucket}),
        (s3.get_object, {'Bucket': bucket, 'Key': 'k'}),
        (s3.head_object, {'Bucket': bucket, 'Key': 'k'}),
        (s3.get_object_tagging, {'Bucket': bucket, 'Key': 'k'}),
        (s3.put_object, {'Bucket': bucket, 'Key': 'k', 'Body': b'v1'}),
        (s3.copy_object, {'Bucket': other, 'Key': 'copy',
                          'CopySource': {'Bucket': bucket, 'Key': 'k'}}),
    ]


def test_a_wrong_expected_owner_is_refused(s3, make_bucket_name):
    bucket = make_bucket_name('ebo')
    other = make_bucket_name('ebo-other')
    for name in (bucket, other):
        s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=bucket, Key='k', Body=b'v1')
    for call, kwargs in _operations(s3, bucket, other):
        if call == s3.copy_object:
            continue        # its owner header is the destination's
        _denied(call, ExpectedBucketOwner=WRONG, **kwargs)
        call(ExpectedBucketOwner=OWNER, **kwargs)
    # writes with a wrong owner write nothing
    _denied(s3.put_object, Bucket=bucket, Key='new', Body=b'x',
            ExpectedBucketOwner=WRONG)
    _denied(s3.delete_object, Bucket=bucket, Key='k',
            ExpectedBucketOwner=WRONG)
    _denied(s3.delete_objects, Bucket=bucket,
            Delete={'Objects': [{'Key': 'k'}]}, ExpectedBucketOwner=WRONG)
    _denied(s3.put_object_tagging, Bucket=bucket, Key='k',
            Tagging={'TagSet': [{'Key': 'a', 'Value': 'b'}]},
            ExpectedBucketOwner=WRONG)
    _denied(s3.delete_bucket, Bucket=other, ExpectedBucketOwner=WRONG)
    assert _keys(s3, bucket) == ['k']
    assert s3.get_object_tagging(Bucket=bucket, Key='k')['TagSet'] == []
    s3.head_bucket(Bucket=other)
    # the copy: the destination's owner, then the source's
    copy = {'Bucket': other, 'Key': 'copy',
            'CopySource': {'Bucket': bucket, 'Key': 'k'}}
    _denied(s3.copy_object, ExpectedBucketOwner=WRONG, **copy)
    _denied(s3.copy_object, ExpectedSourceBucketOwner=WRONG, **copy)
    assert _keys(s3, other) == []
    s3.copy_object(ExpectedBucketOwner=OWNER, ExpectedSourceBucketOwner=OWNER,
                   **copy)
    assert _keys(s3, other) == ['copy']
    s3.delete_object(Bucket=bucket, Key='k', ExpectedBucketOwner=OWNER)
    assert _keys(s3, bucket) == []


def test_anonymous_and_other_accounts(s3, s3_client_factory, s3_endpoint,
                                      make_bucket_name):
    """The owner is the bucket's, not the caller's: another account and an
    anonymous caller name the bucket owner's account."""
    bucket = make_bucket_name('ebo-public')
    s3.create_bucket(Bucket=bucket, ACL='public-read-write')
    s3.put_object(Bucket=bucket, Key='k', Body=b'v1')
    anonymous = boto3.session.Session().client(
        's3', endpoint_url=s3_endpoint, region_name=REGION,
        aws_access_key_id='x', aws_secret_access_key='x',
        config=Config(signature_version=UNSIGNED,
                      s3={'addressing_style': 'path'},
                      retries={'mode': 'standard', 'total_max_attempts': 1}))
    other = s3_client_factory('test2:tester2')
    for client in (anonymous, other):
        _denied(client.list_objects, Bucket=bucket,
                ExpectedBucketOwner=OWNER + 'foo')
        _denied(client.put_object, Bucket=bucket, Key='bar', Body=b'coffee',
                ExpectedBucketOwner=WRONG)
        client.list_objects(Bucket=bucket, ExpectedBucketOwner=OWNER)
        client.put_object(Bucket=bucket, Key='bar', Body=b'coffee',
                          ExpectedBucketOwner=OWNER)
    assert _keys(s3, bucket) == ['bar', 'k']


def test_without_s3_acl(proxy_factory, s3_client_factory, make_bucket_name):
    """Without s3_acl a bucket is in the caller's account: that is the
    owner the headers must name."""
    s3 = s3_client_factory(proxy=proxy_factory(s3_acl='false'))
    bucket = make_bucket_name('ebo-noacl')
    s3.create_bucket(Bucket=bucket)
    _denied(s3.put_object, Bucket=bucket, Key='k', Body=b'x',
            ExpectedBucketOwner=WRONG)
    assert _keys(s3, bucket) == []
    s3.put_object(Bucket=bucket, Key='k', Body=b'x', ExpectedBucketOwner=OWNER)
    copy = {'Bucket': bucket, 'Key': 'copy',
            'CopySource': {'Bucket': bucket, 'Key': 'k'}}
    _denied(s3.copy_object, ExpectedSourceBucketOwner=WRONG, **copy)
    s3.copy_object(ExpectedSourceBucketOwner=OWNER, **copy)
    _denied(s3.list_objects_v2, Bucket=bucket, ExpectedBucketOwner=WRONG)
    assert _keys(s3, bucket) == ['copy', 'k']
