"""A session token is refused: swift3compat has no STS, so none is valid.

botocore's own integration suite (test_bad_request_on_invalid_credentials)
expects S3 to answer a bad ``x-amz-security-token`` with 400; the token used
to be ignored and the request served.
"""
from __future__ import annotations

import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.functional.conftest import DEFAULT_USER, REGION


@pytest.fixture
def token_client(s3_endpoint, s3_users):
    creds = s3_users[DEFAULT_USER]

    def make(signature_version: str = 's3v4'):
        return boto3.session.Session().client(
            's3', endpoint_url=s3_endpoint, region_name=REGION,
            aws_access_key_id=creds.access_key,
            aws_secret_access_key=creds.key,
            aws_session_token='bad-token-causes-400',
            config=Config(signature_version=signature_version,
                          s3={'addressing_style': 'path'},
                          retries={'mode': 'standard',
                                   'total_max_attempts': 1}))
    return make


@pytest.mark.parametrize('signature_version', ['s3v4', 's3'])
def test_header_session_token_is_invalid(s3, token_client, bucket_name,
                                         signature_version):
    s3.create_bucket(Bucket=bucket_name)
    s3.put_object(Bucket=bucket_name, Key='foo.txt', Body=b'asdfasdf')
    client = token_client(signature_version)
    with pytest.raises(ClientError) as exc:
        client.head_object(Bucket=bucket_name, Key='foo.txt')
    assert exc.value.response['Error']['Code'] == '400'
    with pytest.raises(ClientError) as exc:
        client.get_object(Bucket=bucket_name, Key='foo.txt')
    assert exc.value.response['Error']['Code'] == 'InvalidToken'
    assert exc.value.response['ResponseMetadata']['HTTPStatusCode'] == 400
    with pytest.raises(ClientError) as exc:
        client.put_object(Bucket=bucket_name, Key='new', Body=b'x')
    assert exc.value.response['Error']['Code'] == 'InvalidToken'
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket_name, Key='new')
    assert exc.value.response['ResponseMetadata']['HTTPStatusCode'] == 404


@pytest.mark.parametrize('signature_version', ['s3v4', 's3'])
def test_presigned_session_token_is_invalid(s3, token_client, bucket_name,
                                            signature_version):
    s3.create_bucket(Bucket=bucket_name)
    s3.put_object(Bucket=bucket_name, Key='foo.txt', Body=b'asdfasdf')
    url = token_client(signature_version).generate_presigned_url(
        'get_object', Params={'Bucket': bucket_name, 'Key': 'foo.txt'})
    assert 'security-token=' in url.lower()
    with pytest.raises(urllib.request.HTTPError) as exc:
        urllib.request.urlopen(url)
    assert exc.value.code == 400
    assert b'<Code>InvalidToken</Code>' in exc.value.read()
