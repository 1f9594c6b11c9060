"""A client signing for another region finds the right one, HEAD included.

botocore's integration suite (TestRegionRedirect.test_redirects_head_bucket)
asks HeadBucket from a client configured for the wrong region: a HEAD
answer has no body, so the SDK can only learn the region from the
``x-amz-bucket-region`` header of the 400 AuthorizationHeaderMalformed.
"""
from __future__ import annotations

import boto3
import pytest
from botocore.config import Config

from tests.functional.conftest import DEFAULT_USER, REGION
from tests.functional.raw_s3 import RawS3


@pytest.fixture
def wrong_region_client(s3_endpoint, s3_users):
    creds = s3_users[DEFAULT_USER]
    return boto3.session.Session().client(
        's3', endpoint_url=s3_endpoint, region_name='eu-central-1',
        aws_access_key_id=creds.access_key, aws_secret_access_key=creds.key,
        config=Config(s3={'addressing_style': 'path'},
                      retries={'mode': 'standard', 'total_max_attempts': 1}))


def test_wrong_region_error_names_the_region(s3, s3_endpoint, s3_users,
                                             bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    creds = s3_users[DEFAULT_USER]
    raw = RawS3(s3_endpoint, creds.access_key, creds.key,
                region='eu-central-1')
    for method in ('HEAD', 'GET'):
        got = raw(method, f'/{bucket_name}')
        assert got.status == 400
        headers = {k.lower(): v for k, v in got.headers.items()}
        assert headers.get('x-amz-bucket-region') == REGION
        if method == 'GET':
            assert got.code == 'AuthorizationHeaderMalformed'


def test_head_bucket_from_wrong_region_is_redirected(s3, wrong_region_client,
                                                     bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    s3.put_object(Bucket=bucket_name, Key='k', Body=b'x')
    got = wrong_region_client.head_bucket(Bucket=bucket_name)
    assert got['ResponseMetadata']['HTTPHeaders'][
        'x-amz-bucket-region'] == REGION
    head = wrong_region_client.head_object(Bucket=bucket_name, Key='k')
    assert head['ContentLength'] == 1
