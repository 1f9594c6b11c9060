"""Bucket CORS against a real Swift cluster: the configuration API (boto3,
awscli, s3cmd), preflights and the headers of actual requests."""
from __future__ import annotations

import http.client
import json
from typing import Dict, Optional
from urllib.parse import urlsplit

import botocore.exceptions
import pytest

ORIGIN = 'http://app.example:8000'
RULES = {'CORSRules': [
    {'ID': 'app', 'AllowedOrigins': [ORIGIN], 'AllowedMethods': ['GET', 'PUT'],
     'AllowedHeaders': ['content-type', 'x-amz-*'],
     'ExposeHeaders': ['ETag', 'x-amz-request-id'], 'MaxAgeSeconds': 600},
    {'AllowedOrigins': ['*'], 'AllowedMethods': ['GET', 'HEAD']},
]}


def raw(url: str, method: str = 'GET', headers: Optional[Dict[str, str]] = None,
        body: bytes = b''):
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, parts.path + ('?' + parts.query if parts.query else ''),
                     body=body or None, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


@pytest.fixture
def cors_bucket(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    s3.put_object(Bucket=bucket_name, Key='hello.txt', Body=b'hello')
    s3.put_bucket_cors(Bucket=bucket_name, CORSConfiguration=RULES)
    yield bucket_name
    for obj in s3.list_objects(Bucket=bucket_name).get('Contents', []):
        s3.delete_object(Bucket=bucket_name, Key=obj['Key'])
    s3.delete_bucket(Bucket=bucket_name)


def test_put_get_delete_with_boto3(s3, cors_bucket):
    rules = s3.get_bucket_cors(Bucket=cors_bucket)['CORSRules']
    assert rules[0]['ID'] == 'app'
    assert rules[0]['AllowedMethods'] == ['GET', 'PUT']
    assert rules[0]['MaxAgeSeconds'] == 600
    assert rules[1]['AllowedOrigins'] == ['*']
    s3.delete_bucket_cors(Bucket=cors_bucket)
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        s3.get_bucket_cors(Bucket=cors_bucket)
    assert exc.value.response['Error']['Code'] == 'NoSuchCORSConfiguration'


def test_invalid_configuration_is_refused(s3, cors_bucket):
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        s3.put_bucket_cors(Bucket=cors_bucket, CORSConfiguration={'CORSRules': [
            {'AllowedOrigins': ['*'], 'AllowedMethods': ['PATCH']}]})
    assert exc.value.response['Error']['Code'] == 'InvalidRequest'
    # the previous configuration is intact
    assert len(s3.get_bucket_cors(Bucket=cors_bucket)['CORSRules']) == 2


def test_other_users_cannot_read_or_change_it(s3_client_factory, cors_bucket):
    other = s3_client_factory('test2:tester2')
    for call in (lambda: other.get_bucket_cors(Bucket=cors_bucket),
                 lambda: other.delete_bucket_cors(Bucket=cors_bucket)):
        with pytest.raises(botocore.exceptions.ClientError) as exc:
            call()
        assert exc.value.response['Error']['Code'] == 'AccessDenied'


def test_awscli(awscli, s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    cli = awscli()
    cli.run('s3api', 'put-bucket-cors', '--bucket', bucket_name,
            '--cors-configuration', json.dumps(RULES))
    out = json.loads(cli.run('s3api', 'get-bucket-cors', '--bucket',
                             bucket_name).stdout)
    assert out['CORSRules'][0]['AllowedOrigins'] == [ORIGIN]
    cli.run('s3api', 'delete-bucket-cors', '--bucket', bucket_name)
    proc = cli.run('s3api', 'get-bucket-cors', '--bucket', bucket_name,
                   check=False)
    assert proc.returncode != 0 and 'NoSuchCORSConfiguration' in proc.stderr
    s3.delete_bucket(Bucket=bucket_name)


@pytest.mark.parametrize('signature', ['v4', 'v2'])
def test_s3cmd_setcors_delcors(s3cmd, s3cmd_config, s3, bucket_name, tmp_path,
                               signature):
    s3.create_bucket(Bucket=bucket_name)
    config = s3cmd_config(signature=signature)
    xml = tmp_path / 'cors.xml'
    xml.write_text(
        '<CORSConfiguration><CORSRule><AllowedOrigin>http://x.example'
        '</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>'
        '</CORSConfiguration>')
    s3cmd(config, 'setcors', str(xml), f's3://{bucket_name}')
    info = s3cmd(config, 'info', f's3://{bucket_name}').stdout
    assert 'http://x.example' in info
    assert s3.get_bucket_cors(Bucket=bucket_name)['CORSRules'][0][
        'AllowedOrigins'] == ['http://x.example']
    s3cmd(config, 'delcors', f's3://{bucket_name}')
    with pytest.raises(botocore.exceptions.ClientError):
        s3.get_bucket_cors(Bucket=bucket_name)
    s3.delete_bucket(Bucket=bucket_name)


# -- preflight ------------------------------------------------------------------
def test_preflight_allowed(s3_endpoint, cors_bucket):
    status, headers, body = raw(
        f'{s3_endpoint}/{cors_bucket}/new.txt', 'OPTIONS',
        {'Origin': ORIGIN, 'Access-Control-Request-Method': 'PUT',
         'Access-Control-Request-Headers': 'Content-Type, X-Amz-Meta-A'})
    assert status == 200, body
    assert headers['access-control-allow-origin'] == ORIGIN
    assert headers['access-control-allow-methods'] == 'GET, PUT'
    assert headers['access-control-allow-headers'] == 'content-type, x-amz-meta-a'
    assert headers['access-control-max-age'] == '600'
    assert headers['access-control-allow-credentials'] == 'true'


def test_preflight_of_a_presigned_url(s3, s3_endpoint, cors_bucket):
    """Browsers send the preflight to the presigned URL itself."""
    url = s3.generate_presigned_url('put_object', Params={
        'Bucket': cors_bucket, 'Key': 'up.txt'}, ExpiresIn=300)
    status, headers, body = raw(url, 'OPTIONS', {
        'Origin': ORIGIN, 'Access-Control-Request-Method': 'PUT'})
    assert status == 200, body
    assert headers['access-control-allow-origin'] == ORIGIN


@pytest.mark.parametrize('headers,status,code', [
    ({'Origin': 'http://evil.example', 'Access-Control-Request-Method': 'PUT'},
     403, 'AccessForbidden'),
    ({'Origin': ORIGIN, 'Access-Control-Request-Method': 'DELETE'},
     403, 'AccessForbidden'),
    ({'Origin': ORIGIN, 'Access-Control-Request-Method': 'PUT',
      'Access-Control-Request-Headers': 'authorization'}, 403, 'AccessForbidden'),
    ({'Access-Control-Request-Method': 'GET'}, 400, 'InvalidRequest'),
    ({'Origin': ORIGIN}, 400, 'InvalidRequest'),
])
def test_preflight_refused(s3_endpoint, cors_bucket, headers, status, code):
    got, _headers, body = raw(f'{s3_endpoint}/{cors_bucket}/x', 'OPTIONS', headers)
    assert got == status
    assert f'<Code>{code}</Code>'.encode() in body


def test_preflight_without_configuration_or_bucket(s3, s3_endpoint, bucket_name,
                                                   make_bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    for bucket in (bucket_name, make_bucket_name('missing')):
        status, _headers, body = raw(f'{s3_endpoint}/{bucket}/x', 'OPTIONS', {
            'Origin': ORIGIN, 'Access-Control-Request-Method': 'GET'})
        assert status == 403 and b'AccessForbidden' in body
    s3.delete_bucket(Bucket=bucket_name)


# -- actual requests ----------------------------------------------------------------
def test_headers_on_success_error_and_presigned(s3, s3_endpoint, cors_bucket):
    ok = s3.generate_presigned_url('get_object', Params={
        'Bucket': cors_bucket, 'Key': 'hello.txt'}, ExpiresIn=300)
    status, headers, body = raw(ok, headers={'Origin': ORIGIN})
    assert (status, body) == (200, b'hello')
    assert headers['access-control-allow-origin'] == ORIGIN
    assert headers['access-control-expose-headers'] == 'ETag, x-amz-request-id'
    missing = s3.generate_presigned_url('get_object', Params={
        'Bucket': cors_bucket, 'Key': 'missing'}, ExpiresIn=300)
    status, headers, _body = raw(missing, headers={'Origin': ORIGIN})
    assert status == 404
    assert headers['access-control-allow-origin'] == ORIGIN
    # a wrong signature: still readable by the page
    status, headers, _body = raw(ok.replace('X-Amz-Signature=', 'X-Amz-Signature=0'),
                                 headers={'Origin': 'http://other.example'})
    assert status == 403
    assert headers['access-control-allow-origin'] == '*'
    # no rule for this origin and method
    put = s3.generate_presigned_url('put_object', Params={
        'Bucket': cors_bucket, 'Key': 'p'}, ExpiresIn=300)
    status, headers, _body = raw(put, 'PUT', {'Origin': 'http://other.example'},
                                 body=b'x')
    assert status == 200
    assert 'access-control-allow-origin' not in headers
    assert 'Origin' in headers['vary']


def test_no_headers_without_origin_or_configuration(s3, s3_endpoint, cors_bucket):
    url = s3.generate_presigned_url('get_object', Params={
        'Bucket': cors_bucket, 'Key': 'hello.txt'}, ExpiresIn=300)
    _status, headers, _body = raw(url)
    assert not any(h.startswith('access-control-') for h in headers)
    s3.delete_bucket_cors(Bucket=cors_bucket)
    _status, headers, _body = raw(url, headers={'Origin': ORIGIN})
    assert not any(h.startswith('access-control-') for h in headers)
