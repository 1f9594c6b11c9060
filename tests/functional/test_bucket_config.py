"""PublicAccessBlock, OwnershipControls, RequestPayment and Logging
configurations against a real Swift cluster (boto3, awscli, s3cmd, raw)."""
from __future__ import annotations

import base64
import hashlib
import json

import pytest
from botocore.exceptions import ClientError
from tests.functional.raw_s3 import RawS3

PAB = {'BlockPublicAcls': True, 'IgnorePublicAcls': False,
       'BlockPublicPolicy': True, 'RestrictPublicBuckets': False}


def _code(exc: pytest.ExceptionInfo) -> str:
    return exc.value.response['Error']['Code']


@pytest.fixture
def bucket(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    return bucket_name


@pytest.fixture
def raw(s3_endpoint, s3_users):
    user = s3_users['test:tester']
    return RawS3(s3_endpoint, user.access_key, user.key)


def _md5(body: bytes) -> str:
    return base64.b64encode(hashlib.md5(body).digest()).decode()


# -- PublicAccessBlock -------------------------------------------------------
def test_public_access_block(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.get_public_access_block(Bucket=bucket)
    assert _code(exc) == 'NoSuchPublicAccessBlockConfiguration'
    s3.put_public_access_block(Bucket=bucket,
                               PublicAccessBlockConfiguration=PAB)
    assert s3.get_public_access_block(Bucket=bucket)[
        'PublicAccessBlockConfiguration'] == PAB
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        'RestrictPublicBuckets': True})
    assert s3.get_public_access_block(Bucket=bucket)[
        'PublicAccessBlockConfiguration'] == {
        'BlockPublicAcls': False, 'IgnorePublicAcls': False,
        'BlockPublicPolicy': False, 'RestrictPublicBuckets': True}
    resp = s3.delete_public_access_block(Bucket=bucket)
    assert resp['ResponseMetadata']['HTTPStatusCode'] == 204
    with pytest.raises(ClientError) as exc:
        s3.get_public_access_block(Bucket=bucket)
    assert _code(exc) == 'NoSuchPublicAccessBlockConfiguration'
    s3.head_bucket(Bucket=bucket)
    assert s3.list_objects_v2(Bucket=bucket)['KeyCount'] == 0


@pytest.mark.parametrize('body', [
    b'<PublicAccessBlockConfiguration><BlockPublicAcls>yes</BlockPublicAcls>'
    b'</PublicAccessBlockConfiguration>',
    b'<PublicAccessBlockConfiguration><Other>true</Other>'
    b'</PublicAccessBlockConfiguration>',
    b'<OwnershipControls/>',
])
def test_malformed_public_access_block(raw, s3, bucket, body):
    resp = raw('PUT', '/%s?publicAccessBlock' % bucket, body=body,
               headers={'Content-MD5': _md5(body)})
    assert (resp.status, resp.code) == (400, 'MalformedXML')
    with pytest.raises(ClientError) as exc:
        s3.get_public_access_block(Bucket=bucket)
    assert _code(exc) == 'NoSuchPublicAccessBlockConfiguration'


def test_config_of_missing_bucket(s3, make_bucket_name):
    name = make_bucket_name('none')
    with pytest.raises(ClientError) as exc:
        s3.put_public_access_block(Bucket=name,
                                   PublicAccessBlockConfiguration=PAB)
    assert _code(exc) == 'NoSuchBucket'
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_ownership_controls(Bucket=name)
    assert _code(exc) == 'NoSuchBucket'
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_logging(Bucket=name)
    assert _code(exc) == 'NoSuchBucket'


# -- OwnershipControls ---------------------------------------------------------
@pytest.mark.parametrize('value', ['BucketOwnerEnforced',
                                   'BucketOwnerPreferred', 'ObjectWriter'])
def test_ownership_controls(s3, bucket, value):
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_ownership_controls(Bucket=bucket)
    assert _code(exc) == 'OwnershipControlsNotFoundError'
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={
        'Rules': [{'ObjectOwnership': value}]})
    assert s3.get_bucket_ownership_controls(Bucket=bucket)[
        'OwnershipControls'] == {'Rules': [{'ObjectOwnership': value}]}
    s3.delete_bucket_ownership_controls(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_ownership_controls(Bucket=bucket)
    assert _code(exc) == 'OwnershipControlsNotFoundError'
    s3.head_bucket(Bucket=bucket)


@pytest.mark.parametrize('value', ['BucketOwnerEnforced',
                                   'BucketOwnerPreferred', 'ObjectWriter'])
def test_create_bucket_with_object_ownership(s3, make_bucket_name, value):
    # CreateBucket's x-amz-object-ownership (ceph/s3-tests
    # test_create_bucket_{bucket_owner_enforced,bucket_owner_preferred,object_writer})
    name = make_bucket_name('own')
    s3.create_bucket(Bucket=name, ObjectOwnership=value)
    try:
        assert s3.get_bucket_ownership_controls(Bucket=name)[
            'OwnershipControls'] == {'Rules': [{'ObjectOwnership': value}]}
    finally:
        s3.delete_bucket(Bucket=name)


@pytest.mark.parametrize('kwargs, code', [
    ({'ObjectOwnership': 'Nobody'}, 'InvalidArgument'),
    ({'ObjectOwnership': 'BucketOwnerEnforced', 'ACL': 'public-read'},
     'InvalidBucketAclWithObjectOwnership'),
    ({'ObjectOwnership': 'BucketOwnerEnforced', 'GrantRead': 'id="AUTH_test2"'},
     'InvalidBucketAclWithObjectOwnership'),
])
def test_create_bucket_with_bad_object_ownership(s3, make_bucket_name, kwargs, code):
    name = make_bucket_name('own')
    with pytest.raises(ClientError) as exc:
        s3.create_bucket(Bucket=name, **kwargs)
    assert _code(exc) == code
    with pytest.raises(ClientError) as exc:
        s3.head_bucket(Bucket=name)
    assert exc.value.response['Error']['Code'] == '404'


def test_create_bucket_enforced_with_owner_only_acl(s3, make_bucket_name):
    name = make_bucket_name('own')
    s3.create_bucket(Bucket=name, ObjectOwnership='BucketOwnerEnforced',
                     ACL='private')
    s3.delete_bucket(Bucket=name)


@pytest.mark.parametrize('rules', [
    [{'ObjectOwnership': 'Nobody'}],
    [{'ObjectOwnership': 'ObjectWriter'}, {'ObjectOwnership': 'ObjectWriter'}],
])
def test_bad_ownership_controls(s3, bucket, rules):
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={
            'Rules': rules})
    assert _code(exc) == 'MalformedXML'


def test_owner_only(s3, s3_client_factory, bucket):
    other = s3_client_factory('test2:tester2')
    with pytest.raises(ClientError) as exc:
        other.put_public_access_block(Bucket=bucket,
                                      PublicAccessBlockConfiguration=PAB)
    assert _code(exc) in ('AccessDenied', 'NoSuchBucket')
    with pytest.raises(ClientError) as exc:
        other.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={
            'Rules': [{'ObjectOwnership': 'ObjectWriter'}]})
    assert _code(exc) in ('AccessDenied', 'NoSuchBucket')


# -- RequestPayment -----------------------------------------------------------------
def test_request_payment(s3, bucket):
    assert s3.get_bucket_request_payment(Bucket=bucket)['Payer'] == \
        'BucketOwner'
    s3.put_bucket_request_payment(Bucket=bucket, RequestPaymentConfiguration={
        'Payer': 'BucketOwner'})
    s3.put_bucket_request_payment(
        Bucket=bucket, RequestPaymentConfiguration={'Payer': 'Requester'})
    assert s3.get_bucket_request_payment(Bucket=bucket)['Payer'] == \
        'Requester'
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_request_payment(
            Bucket=bucket, RequestPaymentConfiguration={'Payer': 'Me'})
    assert _code(exc) == 'MalformedXML'


# -- Logging ---------------------------------------------------------------------------
def test_logging(s3, bucket, make_bucket_name):
    assert 'LoggingEnabled' not in s3.get_bucket_logging(Bucket=bucket)
    target = make_bucket_name('logs')
    s3.create_bucket(Bucket=target)
    enabled = {'TargetBucket': target, 'TargetPrefix': 'access/',
               'TargetGrants': [
                   {'Grantee': {'Type': 'Group', 'URI': 'http://acs.amazonaws'
                                '.com/groups/global/AllUsers'},
                    'Permission': 'READ'},
                   {'Grantee': {'Type': 'CanonicalUser', 'ID': 'AUTH_test'},
                    'Permission': 'FULL_CONTROL'}],
               'TargetObjectKeyFormat': {'PartitionedPrefix': {
                   'PartitionDateSource': 'DeliveryTime'}}}
    s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={
        'LoggingEnabled': enabled})
    got = s3.get_bucket_logging(Bucket=bucket)['LoggingEnabled']
    assert got['TargetBucket'] == target
    assert got['TargetPrefix'] == 'access/'
    assert got['TargetObjectKeyFormat'] == enabled['TargetObjectKeyFormat']
    assert [g['Permission'] for g in got['TargetGrants']] == [
        'READ', 'FULL_CONTROL']
    assert got['TargetGrants'][0]['Grantee']['URI'].endswith('/AllUsers')
    assert got['TargetGrants'][1]['Grantee']['ID'] == 'AUTH_test'
    s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={})
    assert 'LoggingEnabled' not in s3.get_bucket_logging(Bucket=bucket)


def test_logging_target_must_exist(s3, bucket, make_bucket_name):
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={
            'LoggingEnabled': {'TargetBucket': make_bucket_name('none'),
                               'TargetPrefix': ''}})
    assert _code(exc) == 'InvalidTargetBucketForLogging'
    assert 'LoggingEnabled' not in s3.get_bucket_logging(Bucket=bucket)


@pytest.mark.parametrize('inner', [
    b'<LoggingEnabled><TargetPrefix>p</TargetPrefix></LoggingEnabled>',
    b'<LoggingEnabled><TargetBucket>%s</TargetBucket></LoggingEnabled>',
    b'<Other/>',
])
def test_malformed_logging(raw, s3, bucket, inner):
    body = b'<BucketLoggingStatus>%s</BucketLoggingStatus>' % (
        inner.replace(b'%s', bucket.encode()) if b'%s' in inner else inner)
    resp = raw('PUT', '/%s?logging' % bucket, body=body)
    assert (resp.status, resp.code) == (400, 'MalformedXML')


# -- command-line clients ------------------------------------------------------------
def test_s3cmd_bucket_configuration(s3cmd, s3cmd_config, s3, bucket,
                                    make_bucket_name):
    config = s3cmd_config()
    uri = 's3://%s' % bucket
    s3cmd(config, 'setblockpublicaccess', uri,
          'BlockPublicAcls,RestrictPublicBuckets')
    assert s3.get_public_access_block(Bucket=bucket)[
        'PublicAccessBlockConfiguration'] == {
        'BlockPublicAcls': True, 'IgnorePublicAcls': False,
        'BlockPublicPolicy': False, 'RestrictPublicBuckets': True}
    s3cmd(config, 'setownership', uri, 'BucketOwnerPreferred')
    assert s3.get_bucket_ownership_controls(Bucket=bucket)[
        'OwnershipControls']['Rules'] == [
        {'ObjectOwnership': 'BucketOwnerPreferred'}]
    s3cmd(config, 'payer', uri)
    info = s3cmd(config, 'info', uri).stdout
    assert 'BucketOwnerPreferred' in info
    assert 'Payer:     BucketOwner' in info
    target = make_bucket_name('logs')
    s3.create_bucket(Bucket=target)
    s3cmd(config, 'accesslog', uri,
          '--access-logging-target-prefix=s3://%s/logs/' % target)
    assert s3.get_bucket_logging(Bucket=bucket)['LoggingEnabled'][
        'TargetBucket'] == target
    out = s3cmd(config, 'accesslog', uri).stdout
    assert 's3://%s/logs/' % target in out
    s3cmd(config, 'accesslog', uri, '--no-access-logging')
    assert 'LoggingEnabled' not in s3.get_bucket_logging(Bucket=bucket)


def test_awscli_bucket_configuration(awscli, s3, bucket):
    cli = awscli()
    cli.run('s3api', 'put-public-access-block', '--bucket', bucket,
            '--public-access-block-configuration', json.dumps(PAB))
    out = json.loads(cli.run('s3api', 'get-public-access-block', '--bucket',
                             bucket).stdout)
    assert out['PublicAccessBlockConfiguration'] == PAB
    cli.run('s3api', 'delete-public-access-block', '--bucket', bucket)
    cli.run('s3api', 'put-bucket-ownership-controls', '--bucket', bucket,
            '--ownership-controls',
            json.dumps({'Rules': [{'ObjectOwnership': 'ObjectWriter'}]}))
    out = json.loads(cli.run('s3api', 'get-bucket-ownership-controls',
                             '--bucket', bucket).stdout)
    assert out['OwnershipControls']['Rules'] == [
        {'ObjectOwnership': 'ObjectWriter'}]
    cli.run('s3api', 'delete-bucket-ownership-controls', '--bucket', bucket)
    proc = cli.run('s3api', 'get-bucket-ownership-controls', '--bucket',
                   bucket, check=False)
    assert 'OwnershipControlsNotFoundError' in proc.stderr
