"""Bucket policies against a real Swift cluster: the configuration API
(boto3, awscli, s3cmd), validation, and enforcement (deny-first, anonymous
public read) through the S3 ACL authorization path."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import botocore.exceptions
import pytest



def public_read(bucket: str, prefix: str = '') -> dict:
    return {'Version': '2012-10-17', 'Statement': [{
        'Sid': 'PublicRead', 'Effect': 'Allow', 'Principal': '*',
        'Action': 's3:GetObject',
        'Resource': f'arn:aws:s3:::{bucket}/{prefix}*'}]}


def error_code(call) -> str:
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        call()
    return exc.value.response['Error']['Code']


def anonymous_get(endpoint: str, bucket: str, key: str):
    try:
        with urllib.request.urlopen(f'{endpoint}/{bucket}/{key}', timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


@pytest.fixture
def bucket(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    for key in ('public/a.txt', 'private/b.txt'):
        s3.put_object(Bucket=bucket_name, Key=key, Body=key.encode())
    yield bucket_name
    s3.delete_bucket_policy(Bucket=bucket_name)
    for obj in s3.list_objects(Bucket=bucket_name).get('Contents', []):
        s3.delete_object(Bucket=bucket_name, Key=obj['Key'])
    s3.delete_bucket(Bucket=bucket_name)


# -- the configuration API ------------------------------------------------------
def test_put_get_delete_and_status(s3, bucket):
    assert error_code(lambda: s3.get_bucket_policy(Bucket=bucket)) == \
        'NoSuchBucketPolicy'
    assert error_code(lambda: s3.get_bucket_policy_status(Bucket=bucket)) == \
        'NoSuchBucketPolicy'
    document = public_read(bucket, 'public/')
    document['Statement'][0]['Sid'] = 'Public read with spaces'
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(document, indent=2))
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)['Policy']) == document
    assert s3.get_bucket_policy_status(Bucket=bucket)['PolicyStatus'] == \
        {'IsPublic': True}
    s3.delete_bucket_policy(Bucket=bucket)
    assert error_code(lambda: s3.get_bucket_policy(Bucket=bucket)) == \
        'NoSuchBucketPolicy'


def test_large_policy_round_trips(s3, bucket):
    statements = [{'Sid': f'S{i}', 'Effect': 'Deny',
                   'Principal': {'AWS': [f'user{i}:x']}, 'Action': 's3:PutObject',
                   'Resource': f'arn:aws:s3:::{bucket}/dir {i}/*'} for i in range(80)]
    document = {'Version': '2012-10-17', 'Statement': statements}
    assert len(json.dumps(document)) > 3 * 4096
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(document))
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)['Policy']) == document
    assert s3.get_bucket_policy_status(Bucket=bucket)['PolicyStatus'] == \
        {'IsPublic': False}


@pytest.mark.parametrize('mutate', [
    lambda d, b: d['Statement'][0].update(Resource='arn:aws:s3:::other-bucket/*'),
    lambda d, b: d['Statement'][0].update(Action='s3:Frobnicate'),
    lambda d, b: d['Statement'][0].update(Principal={'Service': 'x'}),
    lambda d, b: d['Statement'][0].update(Condition={'DateLessThan': {
        'aws:CurrentTime': 'next year'}}),
    lambda d, b: d['Statement'][0].pop('Principal'),
])
def test_malformed_policies(s3, bucket, mutate):
    document = public_read(bucket)
    mutate(document, bucket)
    assert error_code(lambda: s3.put_bucket_policy(
        Bucket=bucket, Policy=json.dumps(document))) == 'MalformedPolicy'


def test_only_the_owner_manages_policies(s3_client_factory, s3, bucket):
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(public_read(bucket)))
    other = s3_client_factory('test2:tester2')
    assert error_code(lambda: other.get_bucket_policy(Bucket=bucket)) == 'AccessDenied'
    assert error_code(lambda: other.put_bucket_policy(
        Bucket=bucket, Policy=json.dumps(public_read(bucket)))) == 'AccessDenied'
    assert error_code(lambda: other.delete_bucket_policy(Bucket=bucket)) == \
        'AccessDenied'


def test_awscli(awscli, s3, bucket):
    cli = awscli()
    cli.run('s3api', 'put-bucket-policy', '--bucket', bucket, '--policy',
            json.dumps(public_read(bucket)))
    got = json.loads(cli.run('s3api', 'get-bucket-policy', '--bucket', bucket).stdout)
    assert json.loads(got['Policy']) == public_read(bucket)
    status = json.loads(cli.run('s3api', 'get-bucket-policy-status', '--bucket',
                                bucket).stdout)
    assert status['PolicyStatus']['IsPublic'] is True
    cli.run('s3api', 'delete-bucket-policy', '--bucket', bucket)
    proc = cli.run('s3api', 'get-bucket-policy', '--bucket', bucket, check=False)
    assert proc.returncode != 0 and 'NoSuchBucketPolicy' in proc.stderr


@pytest.mark.parametrize('signature', ['v4', 'v2'])
def test_s3cmd_setpolicy_delpolicy(s3cmd, s3cmd_config, s3, bucket, tmp_path,
                                   signature):
    config = s3cmd_config(signature=signature)
    path = tmp_path / 'policy.json'
    path.write_text(json.dumps(public_read(bucket, 'public/')))
    s3cmd(config, 'setpolicy', str(path), f's3://{bucket}')
    assert f'arn:aws:s3:::{bucket}/public/*' in \
        s3cmd(config, 'info', f's3://{bucket}').stdout
    s3cmd(config, 'delpolicy', f's3://{bucket}')
    assert error_code(lambda: s3.get_bucket_policy(Bucket=bucket)) == \
        'NoSuchBucketPolicy'


def test_without_s3_acl_policies_are_not_stored(proxy_factory, s3_client_factory,
                                                make_bucket_name):
    client = s3_client_factory(proxy=proxy_factory(storage_domain='localhost',
                                                   s3_acl='false'))
    name = make_bucket_name('noacl')
    client.create_bucket(Bucket=name)
    assert error_code(lambda: client.put_bucket_policy(
        Bucket=name, Policy=json.dumps(public_read(name)))) == 'NotImplemented'
    client.delete_bucket(Bucket=name)


# -- enforcement ------------------------------------------------------------------
def test_public_read_for_anonymous_clients(s3, s3_endpoint, bucket):
    assert anonymous_get(s3_endpoint, bucket, 'public/a.txt')[0] == 403
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(public_read(bucket, 'public/')))
    assert anonymous_get(s3_endpoint, bucket, 'public/a.txt') == (200, b'public/a.txt')
    assert anonymous_get(s3_endpoint, bucket, 'private/b.txt')[0] == 403
    s3.delete_bucket_policy(Bucket=bucket)
    assert anonymous_get(s3_endpoint, bucket, 'public/a.txt')[0] == 403


def test_explicit_deny_beats_acl_and_allow(s3, s3_client_factory, bucket):
    s3.put_object_acl(Bucket=bucket, Key='public/a.txt', ACL='public-read')
    other = s3_client_factory('test2:tester2')
    assert other.get_object(Bucket=bucket, Key='public/a.txt')['Body'].read() == \
        b'public/a.txt'
    document = public_read(bucket)
    document['Statement'].append({
        'Effect': 'Deny', 'Principal': {'AWS': ['AUTH_test2']},
        'Action': 's3:GetObject', 'Resource': f'arn:aws:s3:::{bucket}/public/*'})
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(document))
    assert error_code(lambda: other.get_object(Bucket=bucket, Key='public/a.txt')) == \
        'AccessDenied'
    # the owner still reads, and can always change the policy
    assert s3.get_object(Bucket=bucket, Key='public/a.txt')['Body'].read()


def test_deny_applies_to_the_owner_but_not_to_policy_changes(s3, bucket):
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        'Version': '2012-10-17', 'Statement': [{
            'Effect': 'Deny', 'Principal': '*', 'Action': ['s3:Delete*', 's3:Put*'],
            'Resource': [f'arn:aws:s3:::{bucket}', f'arn:aws:s3:::{bucket}/*']}]}))
    assert error_code(lambda: s3.delete_object(Bucket=bucket, Key='public/a.txt')) == \
        'AccessDenied'
    assert error_code(lambda: s3.put_object(Bucket=bucket, Key='n', Body=b'')) == \
        'AccessDenied'
    assert s3.get_object(Bucket=bucket, Key='public/a.txt')['Body'].read()
    s3.delete_bucket_policy(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key='n', Body=b'')


def test_grant_to_another_account_with_conditions(s3, s3_client_factory, bucket):
    other = s3_client_factory('test2:tester2')
    assert error_code(lambda: other.list_objects(Bucket=bucket)) == 'AccessDenied'
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        'Version': '2012-10-17', 'Statement': [{
            'Effect': 'Allow', 'Principal': {'AWS': 'arn:aws:iam::AUTH_test2:root'},
            'Action': 's3:ListBucket', 'Resource': f'arn:aws:s3:::{bucket}',
            'Condition': {'StringLike': {'s3:prefix': 'public/*'},
                          'IpAddress': {'aws:SourceIp': '127.0.0.0/8'}}}]}))
    keys = [o['Key'] for o in other.list_objects(Bucket=bucket, Prefix='public/')
            ['Contents']]
    assert keys == ['public/a.txt']
    assert error_code(lambda: other.list_objects(Bucket=bucket, Prefix='private/')) \
        == 'AccessDenied'
    assert error_code(lambda: other.list_objects(Bucket=bucket)) == 'AccessDenied'


def test_source_ip_outside_the_range_is_not_granted(s3, s3_endpoint, bucket):
    document = public_read(bucket)
    document['Statement'][0]['Condition'] = {
        'IpAddress': {'aws:SourceIp': ['192.0.2.0/24', '127.0.0.1/32']}}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(document))
    assert anonymous_get(s3_endpoint, bucket, 'public/a.txt')[0] == 200
    document['Statement'][0]['Condition'] = {
        'IpAddress': {'aws:SourceIp': '192.0.2.0/24'}}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(document))
    assert anonymous_get(s3_endpoint, bucket, 'public/a.txt')[0] == 403
    assert s3.get_bucket_policy_status(Bucket=bucket)['PolicyStatus'] == \
        {'IsPublic': False}


def test_insecure_transport_denied(s3, bucket):
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        'Version': '2012-10-17', 'Statement': [{
            'Effect': 'Deny', 'Principal': '*', 'Action': 's3:GetObject',
            'Resource': f'arn:aws:s3:::{bucket}/*',
            'Condition': {'Bool': {'aws:SecureTransport': 'false'}}}]}))
    assert error_code(lambda: s3.get_object(Bucket=bucket, Key='public/a.txt')) == \
        'AccessDenied'


def test_deny_holds_for_each_key_of_delete_objects(s3, bucket):
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        'Version': '2012-10-17', 'Statement': [{
            'Effect': 'Deny', 'Principal': '*', 'Action': 's3:DeleteObject',
            'Resource': f'arn:aws:s3:::{bucket}/private/*'}]}))
    result = s3.delete_objects(Bucket=bucket, Delete={'Objects': [
        {'Key': 'private/b.txt'}, {'Key': 'public/a.txt'}]})
    assert [d['Key'] for d in result.get('Deleted', [])] == ['public/a.txt']
    assert [(e['Key'], e['Code']) for e in result['Errors']] == [
        ('private/b.txt', 'AccessDenied')]
    assert s3.get_object(Bucket=bucket, Key='private/b.txt')['Body'].read()


def test_deny_holds_for_the_source_of_a_copy(s3, bucket):
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        'Version': '2012-10-17', 'Statement': [{
            'Effect': 'Deny', 'Principal': '*', 'Action': 's3:GetObject',
            'Resource': f'arn:aws:s3:::{bucket}/private/*'}]}))
    assert error_code(lambda: s3.copy_object(
        Bucket=bucket, Key='public/copy', CopySource={
            'Bucket': bucket, 'Key': 'private/b.txt'})) == 'AccessDenied'
    s3.copy_object(Bucket=bucket, Key='public/copy2',
                   CopySource={'Bucket': bucket, 'Key': 'public/a.txt'})
