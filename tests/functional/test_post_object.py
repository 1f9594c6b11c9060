"""Browser POST object against a real Swift cluster: forms signed with SigV4
(boto3's generate_presigned_post) and SigV2, policy conditions, size ranges,
success_action_status / success_action_redirect."""
from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import os
import time
import uuid
from typing import Dict, List, Optional, Tuple

import botocore.exceptions
import pytest
from lxml import etree



def encode_form(fields: Dict[str, str], body: bytes, filename: str = 'f.bin',
                after: Optional[Dict[str, str]] = None) -> Tuple[str, bytes]:
    boundary = uuid.uuid4().hex
    parts: List[bytes] = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; '
                     f'name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                 f'filename="{filename}"\r\nContent-Type: application/octet-stream'
                 '\r\n\r\n'.encode() + body + b'\r\n')
    for name, value in (after or {}).items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; '
                     f'name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{boundary}--\r\n'.encode())
    return f'multipart/form-data; boundary={boundary}', b''.join(parts)


def post(port: int, bucket: str, fields: Dict[str, str], body: bytes, **kw):
    content_type, data = encode_form(fields, body, **kw)
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=120)
    try:
        conn.request('POST', f'/{bucket}', body=data, headers={
            'Content-Type': content_type, 'Host': f'localhost:{port}'})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def code_of(body: bytes) -> str:
    return etree.fromstring(body).findtext('Code')


def v2_form(user, bucket: str, key: str, conditions: list, **extra) -> Dict[str, str]:
    policy = base64.b64encode(json.dumps({
        'expiration': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(time.time() + 300)),
        'conditions': [{'bucket': bucket}, *conditions]}).encode()).decode()
    signature = base64.b64encode(hmac.new(user.key.encode(), policy.encode(),
                                          hashlib.sha1).digest()).decode()
    return {'key': key, 'AWSAccessKeyId': user.access_key, 'policy': policy,
            'signature': signature, **extra}


@pytest.fixture
def bucket(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    yield bucket_name
    for obj in s3.list_objects(Bucket=bucket_name).get('Contents', []):
        s3.delete_object(Bucket=bucket_name, Key=obj['Key'])
    s3.delete_bucket(Bucket=bucket_name)


def test_sigv4_presigned_post_201(s3, s3_proxy, bucket):
    presigned = s3.generate_presigned_post(
        bucket, 'uploads/${filename}',
        Fields={'success_action_status': '201', 'Content-Type': 'text/plain',
                'x-amz-meta-origin': 'form'},
        Conditions=[['starts-with', '$key', 'uploads/'], {'success_action_status': '201'},
                    ['starts-with', '$Content-Type', 'text/'],
                    {'x-amz-meta-origin': 'form'}, ['content-length-range', 1, 1024]],
        ExpiresIn=300)
    status, headers, body = post(s3_proxy.port, bucket, presigned['fields'], b'hi there',
                                 filename='note.txt')
    assert status == 201, body
    root = etree.fromstring(body)
    assert root.tag == 'PostResponse'
    assert root.findtext('Key') == 'uploads/note.txt'
    assert root.findtext('Bucket') == bucket
    etag = root.findtext('ETag')
    assert etag == '"%s"' % hashlib.md5(b'hi there').hexdigest() == headers['etag']
    got = s3.get_object(Bucket=bucket, Key='uploads/note.txt')
    assert got['Body'].read() == b'hi there'
    assert got['ContentType'] == 'text/plain'
    assert got['Metadata'] == {'origin': 'form'}


def test_sigv2_form_default_204_and_200(s3_users, s3, s3_proxy, bucket):
    user = s3_users['test:tester']
    fields = v2_form(user, bucket, 'v2.bin', [['starts-with', '$key', 'v2']])
    status, headers, body = post(s3_proxy.port, bucket, fields, b'\x00' * 10)
    assert (status, body) == (204, b'')
    assert headers['location'].endswith(f'/{bucket}/v2.bin')
    fields = v2_form(user, bucket, 'v2b.bin', [['starts-with', '$key', 'v2'],
                                               ['eq', '$success_action_status', '200']],
                     success_action_status='200')
    assert post(s3_proxy.port, bucket, fields, b'x')[0] == 200
    assert s3.head_object(Bucket=bucket, Key='v2b.bin')['ContentLength'] == 1


def test_redirect(s3, s3_proxy, bucket):
    target = 'http://app.example:8000/done?x=1'
    presigned = s3.generate_presigned_post(
        bucket, 'r.txt', Fields={'success_action_redirect': target},
        Conditions=[{'success_action_redirect': target}], ExpiresIn=300)
    status, headers, _body = post(s3_proxy.port, bucket, presigned['fields'], b'r')
    assert status == 303
    assert headers['location'].startswith(target + '&')
    assert f'bucket={bucket}' in headers['location'] and 'key=r.txt' in headers['location']


def test_large_file_streams(s3, s3_proxy, bucket):
    data = os.urandom(12 * 1024 * 1024 + 17)
    presigned = s3.generate_presigned_post(bucket, 'big.bin', ExpiresIn=300)
    status, headers, body = post(s3_proxy.port, bucket, presigned['fields'], data,
                                 after={'ignored': 'fields after the file'})
    assert status == 204, body
    assert headers['etag'] == '"%s"' % hashlib.md5(data).hexdigest()
    assert s3.get_object(Bucket=bucket, Key='big.bin')['Body'].read() == data


@pytest.mark.parametrize('size,code', [(2048, 'EntityTooLarge'), (3, 'EntityTooSmall')])
def test_content_length_range(s3, s3_proxy, bucket, size, code):
    presigned = s3.generate_presigned_post(
        bucket, 'sized', Conditions=[['content-length-range', 10, 1024]], ExpiresIn=300)
    status, _headers, body = post(s3_proxy.port, bucket, presigned['fields'], b'z' * size)
    assert (status, code_of(body)) == (400, code)
    with pytest.raises(botocore.exceptions.ClientError):
        s3.head_object(Bucket=bucket, Key='sized')


def test_refusals(s3, s3_users, s3_proxy, bucket):
    presigned = s3.generate_presigned_post(bucket, 'k', ExpiresIn=300)
    fields = dict(presigned['fields'])
    # a field the policy does not cover
    status, _h, body = post(s3_proxy.port, bucket, {**fields, 'acl': 'public-read'}, b'x')
    assert (status, code_of(body)) == (403, 'AccessDenied')
    assert b'Extra input fields: acl' in body
    # another key than the policy's
    status, _h, body = post(s3_proxy.port, bucket, {**fields, 'key': 'other'}, b'x')
    assert (status, code_of(body)) == (403, 'AccessDenied')
    # a tampered signature
    bad = {**fields, 'x-amz-signature': '0' * 64}
    status, _h, body = post(s3_proxy.port, bucket, bad, b'x')
    assert (status, code_of(body)) == (403, 'SignatureDoesNotMatch')
    # an expired policy (SigV2, signed correctly)
    user = s3_users['test:tester']
    policy = base64.b64encode(json.dumps({
        'expiration': '2020-01-01T00:00:00Z', 'conditions': [{'bucket': bucket}]}
    ).encode()).decode()
    sig = base64.b64encode(hmac.new(user.key.encode(), policy.encode(),
                                    hashlib.sha1).digest()).decode()
    status, _h, body = post(s3_proxy.port, bucket, {
        'key': 'k', 'AWSAccessKeyId': user.access_key, 'policy': policy,
        'signature': sig}, b'x')
    assert (status, code_of(body)) == (403, 'AccessDenied')
    assert b'Policy expired' in body
    # no form at all
    conn = http.client.HTTPConnection('127.0.0.1', s3_proxy.port, timeout=30)
    conn.request('POST', f'/{bucket}', body=b'a=b',
                 headers={'Content-Type': 'application/x-www-form-urlencoded'})
    resp = conn.getresponse()
    assert resp.status == 412
    conn.close()
    with pytest.raises(botocore.exceptions.ClientError):
        s3.head_object(Bucket=bucket, Key='k')


def test_other_users_need_write_access(s3_users, s3_proxy, bucket):
    fields = v2_form(s3_users['test2:tester2'], bucket, 'x', [['starts-with', '$key', '']])
    status, _h, body = post(s3_proxy.port, bucket, fields, b'x')
    assert (status, code_of(body)) == (403, 'AccessDenied')


def test_anonymous_upload_where_a_policy_allows_it(s3, s3_proxy, bucket):
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        'Version': '2012-10-17', 'Statement': [{
            'Effect': 'Allow', 'Principal': '*', 'Action': 's3:PutObject',
            'Resource': f'arn:aws:s3:::{bucket}/inbox/*'}]}))
    try:
        assert post(s3_proxy.port, bucket, {'key': 'inbox/a'}, b'anon')[0] == 204
        status, _h, body = post(s3_proxy.port, bucket, {'key': 'other/a'}, b'anon')
        assert (status, code_of(body)) == (403, 'AccessDenied')
        assert s3.get_object(Bucket=bucket, Key='inbox/a')['Body'].read() == b'anon'
    finally:
        s3.delete_bucket_policy(Bucket=bucket)


def test_tagging_field(s3, s3_users, s3_proxy, bucket):
    """The ``tagging`` field is a <Tagging> document: the object gets its
    tags as PutObject's x-amz-tagging would give them (tag count on GET,
    GetObjectTagging); a set AWS refuses is refused, nothing stored."""
    tagging = ('<Tagging><TagSet><Tag><Key>team</Key><Value>a b+c</Value>'
               '</Tag><Tag><Key>k=1</Key><Value></Value></Tag></TagSet>'
               '</Tagging>')
    user = s3_users['test:tester']
    fields = v2_form(user, bucket, 'tagged', [['starts-with', '$key', ''],
                                              ['starts-with', '$tagging', '']],
                     tagging=tagging)
    status, _h, body = post(s3_proxy.port, bucket, fields, b'data')
    assert (status, body) == (204, b''), body
    assert s3.get_object_tagging(Bucket=bucket, Key='tagged')['TagSet'] == [
        {'Key': 'team', 'Value': 'a b+c'}, {'Key': 'k=1', 'Value': ''}]
    assert s3.get_object(Bucket=bucket, Key='tagged')['TagCount'] == 2
    for bad, code in (('<Tagging><TagSet>', 'MalformedXML'),
                      ('<Tagging><TagSet><Tag><Key>aws:x</Key><Value>1</Value>'
                       '</Tag></TagSet></Tagging>', 'InvalidTag')):
        fields = v2_form(user, bucket, 'refused',
                         [['starts-with', '$key', ''],
                          ['starts-with', '$tagging', '']], tagging=bad)
        status, _h, body = post(s3_proxy.port, bucket, fields, b'data')
        assert (status, code_of(body)) == (400, code)
    with pytest.raises(botocore.exceptions.ClientError):
        s3.head_object(Bucket=bucket, Key='refused')
