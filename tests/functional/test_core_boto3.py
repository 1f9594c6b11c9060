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


@pytest.fixture
def bucket(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    return bucket_name


def test_list_objects_v1_v2_paging_and_delimiters(s3, bucket):
    keys = ['a/1', 'a/2', 'b/1', 'c', 'd/x/1', 'e\u00e9 f+g']
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b'x')
    # V1 with delimiter: common prefixes and NextMarker on each page
    seen, marker, pages = [], '', 0
    while True:
        resp = s3.list_objects(Bucket=bucket, Delimiter='/', MaxKeys=2,
                               Marker=marker)
        pages += 1
        seen += [c['Key'] for c in resp.get('Contents', [])]
        seen += [p['Prefix'] for p in resp.get('CommonPrefixes', [])]
        if not resp['IsTruncated']:
            break
        marker = resp['NextMarker']
    assert sorted(seen) == ['a/', 'b/', 'c', 'd/', 'e\u00e9 f+g']
    assert pages == 3
    # V2 paging with continuation tokens, fetch-owner and start-after
    paginator = s3.get_paginator('list_objects_v2')
    got = [c['Key'] for page in paginator.paginate(
        Bucket=bucket, PaginationConfig={'PageSize': 2}) for c in
        page.get('Contents', [])]
    assert got == sorted(keys)
    resp = s3.list_objects_v2(Bucket=bucket, StartAfter='b/1',
                              FetchOwner=True)
    assert [c['Key'] for c in resp['Contents']] == ['c', 'd/x/1',
                                                   'e\u00e9 f+g']
    assert resp['KeyCount'] == 3 and 'Owner' in resp['Contents'][0]
    resp = s3.list_objects_v2(Bucket=bucket, Prefix='d/', Delimiter='/')
    assert resp['CommonPrefixes'] == [{'Prefix': 'd/x/'}]
    # botocore decodes only when it chose encoding-type=url itself
    resp = s3.list_objects(Bucket=bucket, Prefix='e', EncodingType='url')
    assert [c['Key'] for c in resp['Contents']] == ['e%C3%A9+f%2Bg']


def test_key_with_xml_illegal_character_is_listed(s3, bucket):
    s3.put_object(Bucket=bucket, Key='ctl\x01key', Body=b'x')
    try:
        resp = s3.list_objects_v2(Bucket=bucket, EncodingType='url')
        assert [c['Key'] for c in resp['Contents']] == ['ctl%01key']
        # botocore's default (it adds encoding-type=url and decodes)
        resp = s3.list_objects(Bucket=bucket)
        assert [c['Key'] for c in resp['Contents']] == ['ctl\x01key']
    finally:
        # clients that list without encoding-type (s3cmd la) choke on it, as
        # they do on AWS: leave no such key in the shared account
        s3.delete_object(Bucket=bucket, Key='ctl\x01key')


def test_ranges_and_conditionals(s3, bucket):
    data = bytes(range(256)) * 4
    etag = s3.put_object(Bucket=bucket, Key='r', Body=data)['ETag']
    assert s3.get_object(Bucket=bucket, Key='r', Range='bytes=10-19'
                         )['Body'].read() == data[10:20]
    assert s3.get_object(Bucket=bucket, Key='r', Range='bytes=-5'
                         )['Body'].read() == data[-5:]
    assert s3.get_object(Bucket=bucket, Key='r', Range='bytes=1000-'
                         )['Body'].read() == data[1000:]
    # AWS answers a multi-range request with the whole object
    whole = s3.get_object(Bucket=bucket, Key='r', Range='bytes=0-1,5-6')
    assert whole['Body'].read() == data
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key='r', Range='bytes=5000-6000')
    assert _code(exc.value) == 'InvalidRange'
    assert s3.get_object(Bucket=bucket, Key='r', IfMatch=etag
                         )['Body'].read() == data
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key='r', IfMatch='"nope"')
    assert _code(exc.value) == 'PreconditionFailed'
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key='r', IfNoneMatch=etag)
    assert exc.value.response['ResponseMetadata']['HTTPStatusCode'] == 304
    resp = s3.get_object(Bucket=bucket, Key='r',
                         ResponseContentType='text/x-test',
                         ResponseContentDisposition='attachment')
    assert resp['ContentType'] == 'text/x-test'
    assert resp['ContentDisposition'] == 'attachment'


def test_copy_object_directives(s3, bucket):
    s3.put_object(Bucket=bucket, Key='src', Body=b'hello',
                  Metadata={'a': '1'}, ContentType='text/plain')
    s3.copy_object(Bucket=bucket, Key='dst',
                   CopySource={'Bucket': bucket, 'Key': 'src'})
    head = s3.head_object(Bucket=bucket, Key='dst')
    assert head['Metadata'] == {'a': '1'}
    assert head['ContentType'] == 'text/plain'
    s3.copy_object(Bucket=bucket, Key='dst2', CopySource='%s/src' % bucket,
                   MetadataDirective='REPLACE', Metadata={'b': '2'},
                   ContentType='text/x-new')
    head = s3.head_object(Bucket=bucket, Key='dst2')
    assert head['Metadata'] == {'b': '2'}
    assert head['ContentType'] == 'text/x-new'
    # self-copy: refused with COPY, allowed with REPLACE
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key='src',
                       CopySource={'Bucket': bucket, 'Key': 'src'})
    assert _code(exc.value) == 'InvalidRequest'
    s3.copy_object(Bucket=bucket, Key='src', MetadataDirective='REPLACE',
                   CopySource={'Bucket': bucket, 'Key': 'src'},
                   Metadata={'c': '3'})
    assert s3.head_object(Bucket=bucket, Key='src')['Metadata'] == {'c': '3'}
    # copy-source conditions and special characters in the source key
    s3.put_object(Bucket=bucket, Key='sp ace+\u00e9', Body=b'x')
    s3.copy_object(Bucket=bucket, Key='dst3',
                   CopySource={'Bucket': bucket, 'Key': 'sp ace+\u00e9'})
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key='dst4', CopySourceIfMatch='"no"',
                       CopySource={'Bucket': bucket, 'Key': 'src'})
    assert _code(exc.value) == 'PreconditionFailed'
    assert s3.get_object(Bucket=bucket, Key='dst3')['Body'].read() == b'x'


def test_delete_objects_quiet_and_verbose(s3, bucket):
    for i in range(5):
        s3.put_object(Bucket=bucket, Key='k%d' % i, Body=b'x')
    resp = s3.delete_objects(Bucket=bucket, Delete={'Objects': [
        {'Key': 'k0'}, {'Key': 'k1'}, {'Key': 'missing'}]})
    assert sorted(d['Key'] for d in resp['Deleted']) == ['k0', 'k1',
                                                         'missing']
    resp = s3.delete_objects(Bucket=bucket, Delete={
        'Objects': [{'Key': 'k2'}], 'Quiet': True})
    assert 'Deleted' not in resp
    keys = [c['Key'] for c in s3.list_objects_v2(Bucket=bucket)['Contents']]
    assert keys == ['k3', 'k4']


def test_metadata_limits_and_storage_class(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key='m', Body=b'',
                      Metadata={'big': 'x' * 2100})
    assert _code(exc.value) == 'MetadataTooLarge'
    s3.put_object(Bucket=bucket, Key='rr', Body=b'x',
                  StorageClass='REDUCED_REDUNDANCY')
    assert s3.head_object(Bucket=bucket, Key='rr')['StorageClass'] == \
        'REDUCED_REDUNDANCY'
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key='bad', Body=b'x',
                      StorageClass='NOPE')
    assert _code(exc.value) in ('InvalidStorageClass', 'InvalidArgument')


def test_content_md5_bad_digest_stores_nothing(s3, bucket):
    import base64
    wrong = base64.b64encode(hashlib.md5(b'other').digest()).decode()
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key='md5', Body=b'data',
                      ContentMD5=wrong)
    assert _code(exc.value) == 'BadDigest'
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key='md5')


def test_errors_for_missing_things(s3, bucket_name):
    with pytest.raises(ClientError) as exc:
        s3.list_objects(Bucket=bucket_name)
    assert _code(exc.value) == 'NoSuchBucket'
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket_name, Key='k')
    assert _code(exc.value) == 'NoSuchBucket'
    with pytest.raises(ClientError) as exc:
        s3.delete_bucket(Bucket=bucket_name)
    assert _code(exc.value) == 'NoSuchBucket'
    s3.create_bucket(Bucket=bucket_name)
    s3.create_bucket(Bucket=bucket_name)    # us-east-1: 200, as on AWS
    s3.put_object(Bucket=bucket_name, Key='k', Body=b'')
    with pytest.raises(ClientError) as exc:
        s3.delete_bucket(Bucket=bucket_name)
    assert _code(exc.value) == 'BucketNotEmpty'
    assert s3.get_bucket_location(Bucket=bucket_name)[
        'LocationConstraint'] is None


def test_recreate_outside_us_east_1_is_already_owned(s3_client_factory,
                                                     proxy_factory,
                                                     make_bucket_name):
    proxy = proxy_factory(location='eu-west-1', location_aliases='us-east-1')
    client = s3_client_factory(proxy=proxy)
    name = make_bucket_name()
    client.create_bucket(Bucket=name)
    with pytest.raises(ClientError) as exc:
        client.create_bucket(Bucket=name)
    assert _code(exc.value) == 'BucketAlreadyOwnedByYou'
    client.delete_bucket(Bucket=name)


def test_wrong_secret_and_unknown_key(s3_client_factory, s3_users, bucket):
    import boto3
    from botocore.config import Config
    client = s3_client_factory()
    endpoint = client.meta.endpoint_url
    for key, secret, code in (('test:tester', 'wrong',
                               'SignatureDoesNotMatch'),
                              ('nobody:none', 'x', 'InvalidAccessKeyId')):
        bad = boto3.session.Session().client(
            's3', endpoint_url=endpoint, region_name='us-east-1',
            aws_access_key_id=key, aws_secret_access_key=secret,
            config=Config(retries={'total_max_attempts': 1}))
        with pytest.raises(ClientError) as exc:
            bad.list_objects(Bucket=bucket)
        assert _code(exc.value) == code


@pytest.mark.parametrize('signature_version', ['s3', 's3v4'])
def test_presigned_get_and_put(s3_client_factory, bucket,
                               signature_version):
    import http.client
    import urllib.parse
    import urllib.request
    client = s3_client_factory(signature_version=signature_version)
    put_url = client.generate_presigned_url(
        'put_object', Params={'Bucket': bucket, 'Key': 'pre'}, ExpiresIn=300)
    # http.client, not urllib: urllib adds a Content-Type nobody signed.
    parts = urllib.parse.urlsplit(put_url)
    conn = http.client.HTTPConnection(parts.netloc)
    conn.request('PUT', parts.path + '?' + parts.query, body=b'presigned!')
    assert conn.getresponse().status == 200
    conn.close()
    get_url = client.generate_presigned_url(
        'get_object', Params={'Bucket': bucket, 'Key': 'pre'}, ExpiresIn=300)
    with urllib.request.urlopen(get_url) as resp:
        assert resp.read() == b'presigned!'
    tampered = get_url.replace('/pre?', '/pre2?')
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(tampered)
    assert exc.value.code == 403
    assert b'<Code>SignatureDoesNotMatch</Code>' in exc.value.read()


@pytest.mark.parametrize('signature_version', ['s3', 's3v4'])
def test_sigv2_and_sigv4_clients(s3_client_factory, make_bucket_name,
                                 signature_version):
    client = s3_client_factory(signature_version=signature_version)
    name = make_bucket_name()
    client.create_bucket(Bucket=name)
    data = os.urandom(4096)
    client.put_object(Bucket=name, Key='k/\u00fcml\u00e4ut', Body=data)
    assert client.get_object(Bucket=name, Key='k/\u00fcml\u00e4ut'
                             )['Body'].read() == data
    client.delete_object(Bucket=name, Key='k/\u00fcml\u00e4ut')
    client.delete_bucket(Bucket=name)


def test_lifecycle_applies_to_new_objects_without_s3_acl(s3_client_factory,
                                                        proxy_factory,
                                                        make_bucket_name):
    """Bucket configuration read before the first backend request is read
    from the caller's real account (not one named after the access key)."""
    proxy = proxy_factory(s3_acl='false')
    client = s3_client_factory(proxy=proxy)
    name = make_bucket_name()
    client.create_bucket(Bucket=name)
    client.put_bucket_lifecycle_configuration(
        Bucket=name, LifecycleConfiguration={'Rules': [{
            'ID': 'r1', 'Status': 'Enabled', 'Filter': {'Prefix': 'tmp/'},
            'Expiration': {'Days': 3}}]})
    client.put_object(Bucket=name, Key='tmp/x', Body=b'x')
    head = client.head_object(Bucket=name, Key='tmp/x')
    assert 'rule-id="r1"' in head['ResponseMetadata']['HTTPHeaders'][
        'x-amz-expiration']
    # ... and Swift itself will expire it: X-Delete-At was set on the PUT
    import urllib.request
    auth = urllib.request.urlopen(urllib.request.Request(
        proxy.url + '/auth/v1.0', headers={'X-Auth-User': 'test:tester',
                                           'X-Auth-Key': 'testing'}))
    token = auth.headers['X-Auth-Token']
    native = urllib.request.urlopen(urllib.request.Request(
        '%s/v1/AUTH_test/%s/tmp/x' % (proxy.url, name), method='HEAD',
        headers={'X-Auth-Token': token}))
    assert native.headers.get('X-Delete-At')
