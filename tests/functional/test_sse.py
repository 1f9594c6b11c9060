"""S3 server-side encryption end to end: boto3 and awscli against a proxy with
``sse`` + Swift's ``encryption``; every object checked on the object server's
disk (tests/functional/at_rest.py)."""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import subprocess
from urllib.parse import unquote_plus

import boto3.s3.transfer
import pytest
from botocore.exceptions import ClientError

from swift3compat_dev.cluster import PIPELINES, ProxySpec
from tests.functional.at_rest import metadata_text, object_file, object_files

ACCOUNT = 'AUTH_test'
PROBE = b'swift3compat SSE probe, plaintext never on disk. '
KEY = os.urandom(32)
OTHER_KEY = os.urandom(32)
MiB = 1024 * 1024


def body(size: int) -> bytes:
    return (PROBE * (size // len(PROBE) + 1))[:size]


def _b64() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def sse_pipeline() -> tuple:
    names = list(PIPELINES['swift3compat'])
    at = len(names) - 1             # before the last proxy-logging
    return tuple(names[:at] + ['sse', 'encryption'] + names[at:])


def sse_proxy(swift_cluster, tmp_path_factory, name, **s3_options):
    key_file = tmp_path_factory.mktemp(name) / 'keys.conf'
    key_file.write_text(
        f'[sse]\nroot_secret = {_b64()}\ndefault_kms_key_id = k-default\n'
        f'[kms_key:k-default]\nsecret = {_b64()}\n'
        f'[kms_key:arn:aws:kms:us-east-1:000000000000:key/k1]\n'
        f'secret = {_b64()}\n')
    options = {'storage_domain': 'localhost', 's3_acl': 'true',
               'server_side_encryption': 'true', **s3_options}
    return swift_cluster.add_proxy(ProxySpec(
        name=name, s3_options=options, pipeline=sse_pipeline(),
        filters={'sse': {'use': 'egg:swift3compat#sse',
                         'key_file': str(key_file)},
                 'encryption': {'use': 'egg:swift#encryption'}}))


@pytest.fixture(scope='module')
def proxy(swift_cluster, tmp_path_factory):
    proxy = sse_proxy(swift_cluster, tmp_path_factory, 'proxy-sse',
                      sse_customer_allow_http='true')
    yield proxy
    swift_cluster.stop_server(proxy.spec.name)


@pytest.fixture(scope='module')
def s3e(s3_client_factory, proxy):
    return s3_client_factory(proxy=proxy)


@pytest.fixture
def bucket(s3e, bucket_name):
    s3e.create_bucket(Bucket=bucket_name)
    return bucket_name


@pytest.fixture
def disk(swift_cluster):
    def read(bucket, key):
        return object_file(swift_cluster.devices_dir, ACCOUNT, bucket, key)
    return read


def assert_ciphertext(disk, bucket, key, plain):
    _path, metadata, data = disk(bucket, key)
    assert len(data) == len(plain)
    assert PROBE[:20] not in data
    assert 'probe-meta' not in metadata_text(metadata)


SSE_C = {'SSECustomerAlgorithm': 'AES256', 'SSECustomerKey': KEY}
SSE_C_OTHER = {'SSECustomerAlgorithm': 'AES256', 'SSECustomerKey': OTHER_KEY}
KMS_ARN = 'arn:aws:kms:us-east-1:000000000000:key/k1'


def code_of(err) -> tuple:
    return (err.value.response['ResponseMetadata']['HTTPStatusCode'],
            err.value.response['Error'].get('Code'))


# -- single PUT -------------------------------------------------------------------
def test_sse_s3_round_trip(s3e, bucket, disk):
    data = body(100_000)
    resp = s3e.put_object(Bucket=bucket, Key='o', Body=data,
                          ServerSideEncryption='AES256',
                          Metadata={'m': 'probe-meta'})
    assert resp['ServerSideEncryption'] == 'AES256'
    assert resp['ETag'] == '"%s"' % hashlib.md5(data).hexdigest()
    assert_ciphertext(disk, bucket, 'o', data)
    got = s3e.get_object(Bucket=bucket, Key='o')
    assert got['Body'].read() == data
    assert got['ServerSideEncryption'] == 'AES256'
    assert got['Metadata'] == {'m': 'probe-meta'}
    head = s3e.head_object(Bucket=bucket, Key='o')
    assert head['ServerSideEncryption'] == 'AES256'
    part = s3e.get_object(Bucket=bucket, Key='o', Range='bytes=777-70000')
    assert part['Body'].read() == data[777:70001]
    listed = s3e.list_objects_v2(Bucket=bucket)['Contents'][0]
    assert listed['ETag'] == resp['ETag'] and listed['Size'] == len(data)
    # conditional requests compare the S3 ETag
    assert s3e.get_object(Bucket=bucket, Key='o', IfMatch=resp['ETag'])[
        'Body'].read() == data
    with pytest.raises(ClientError) as err:
        s3e.get_object(Bucket=bucket, Key='o', IfMatch='"%s"' % ('0' * 32))
    assert code_of(err)[0] == 412


def test_sse_kms_round_trip(s3e, bucket, disk):
    data = body(50_000)
    context = base64.b64encode(json.dumps({'dept': 'x'}).encode()).decode()
    resp = s3e.put_object(Bucket=bucket, Key='o', Body=data,
                          ServerSideEncryption='aws:kms',
                          SSEKMSKeyId=KMS_ARN, SSEKMSEncryptionContext=context,
                          BucketKeyEnabled=True)
    assert resp['ServerSideEncryption'] == 'aws:kms'
    assert resp['SSEKMSKeyId'] == KMS_ARN
    assert resp['BucketKeyEnabled'] is True
    assert resp['ETag'] != '"%s"' % hashlib.md5(data).hexdigest()
    assert_ciphertext(disk, bucket, 'o', data)
    got = s3e.get_object(Bucket=bucket, Key='o')
    assert got['Body'].read() == data
    assert got['SSEKMSKeyId'] == KMS_ARN and got['ETag'] == resp['ETag']
    assert s3e.get_object(Bucket=bucket, Key='o', Range='bytes=5-9')[
        'Body'].read() == data[5:10]
    listed = s3e.list_objects_v2(Bucket=bucket)['Contents'][0]
    assert listed['ETag'] == resp['ETag']
    assert s3e.get_object(Bucket=bucket, Key='o', IfMatch=resp['ETag'])[
        'Body'].read() == data


def test_sse_kms_default_and_unknown_key(s3e, bucket):
    resp = s3e.put_object(Bucket=bucket, Key='o', Body=b'x' * 10,
                          ServerSideEncryption='aws:kms')
    assert resp['SSEKMSKeyId'] == 'k-default'
    with pytest.raises(ClientError) as err:
        s3e.put_object(Bucket=bucket, Key='p', Body=b'x',
                       ServerSideEncryption='aws:kms', SSEKMSKeyId='nope')
    assert code_of(err) == (400, 'KMS.NotFoundException')
    with pytest.raises(ClientError):
        s3e.head_object(Bucket=bucket, Key='p')


def test_sse_c_round_trip(s3e, bucket, disk):
    data = body(200_000)
    resp = s3e.put_object(Bucket=bucket, Key='o', Body=data,
                          Metadata={'m': 'probe-meta'}, **SSE_C)
    assert resp['SSECustomerAlgorithm'] == 'AES256'
    assert resp['SSECustomerKeyMD5'] == base64.b64encode(
        hashlib.md5(KEY).digest()).decode()
    assert resp['ETag'] != '"%s"' % hashlib.md5(data).hexdigest()
    assert_ciphertext(disk, bucket, 'o', data)
    _path, metadata, _data = disk(bucket, 'o')
    assert base64.b64encode(KEY).decode() not in metadata_text(metadata)
    assert resp['SSECustomerKeyMD5'] not in metadata_text(metadata)
    got = s3e.get_object(Bucket=bucket, Key='o', **SSE_C)
    assert got['Body'].read() == data
    assert got['Metadata'] == {'m': 'probe-meta'}
    assert got['SSECustomerAlgorithm'] == 'AES256'
    assert s3e.get_object(Bucket=bucket, Key='o', Range='bytes=1000-1999',
                          **SSE_C)['Body'].read() == data[1000:2000]
    head = s3e.head_object(Bucket=bucket, Key='o', **SSE_C)
    assert head['ContentLength'] == len(data)
    with pytest.raises(ClientError) as err:
        s3e.get_object(Bucket=bucket, Key='o')
    assert code_of(err) == (400, 'InvalidRequest')
    with pytest.raises(ClientError) as err:
        s3e.head_object(Bucket=bucket, Key='o')
    assert code_of(err)[0] == 400


def test_sse_c_wrong_key_gets_403_and_no_byte(s3e, bucket, proxy):
    s3e.put_object(Bucket=bucket, Key='o', Body=body(10_000), **SSE_C)
    with pytest.raises(ClientError) as err:
        s3e.get_object(Bucket=bucket, Key='o', **SSE_C_OTHER)
    assert code_of(err) == (403, 'AccessDenied')
    # the raw response: an error document, nothing of the object
    import requests
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    creds = s3e._request_signer._credentials
    url = f'http://localhost:{proxy.port}/{bucket}/o'
    headers = {
        'x-amz-server-side-encryption-customer-algorithm': 'AES256',
        'x-amz-server-side-encryption-customer-key':
            base64.b64encode(OTHER_KEY).decode(),
        'x-amz-server-side-encryption-customer-key-MD5':
            base64.b64encode(hashlib.md5(OTHER_KEY).digest()).decode()}
    request = AWSRequest('GET', url, headers=headers)
    S3SigV4Auth(creds, 's3', 'us-east-1').add_auth(request)
    raw = requests.get(url, headers=dict(request.headers), timeout=30)
    assert raw.status_code == 403
    assert PROBE[:10] not in raw.content
    assert raw.content.startswith(b'<?xml')


@pytest.mark.parametrize('headers,code', [
    ({'x-amz-server-side-encryption-customer-algorithm': 'AES128'},
     'InvalidEncryptionAlgorithmError'),
    ({'x-amz-server-side-encryption-customer-key-MD5': 'AAAAAAAAAAAAAAAAAAAAAA=='},
     'InvalidArgument'),
    ({'x-amz-server-side-encryption': 'AES256'}, 'InvalidArgument'),
])
def test_sse_c_bad_requests(s3e, bucket, headers, code):
    def tweak(params, **_):
        params['headers'].update(headers)
    s3e.meta.events.register('before-call.s3.PutObject', tweak)
    try:
        with pytest.raises(ClientError) as err:
            s3e.put_object(Bucket=bucket, Key='o', Body=b'x', **SSE_C)
    finally:
        s3e.meta.events.unregister('before-call.s3.PutObject', tweak)
    assert code_of(err) == (400, code)


def test_sse_c_over_plain_http_refused(swift_cluster, tmp_path_factory,
                                       s3_client_factory):
    strict = sse_proxy(swift_cluster, tmp_path_factory, 'proxy-sse-strict')
    try:
        client = s3_client_factory(proxy=strict)
        client.create_bucket(Bucket='t-sse-strict')
        with pytest.raises(ClientError) as err:
            client.put_object(Bucket='t-sse-strict', Key='o', Body=b'x',
                              **SSE_C)
        assert code_of(err) == (400, 'InvalidRequest')
        assert 'secure connection' in err.value.response['Error']['Message']
        # behind a TLS terminator that says so
        def forwarded(params, **_):
            params['headers']['X-Forwarded-Proto'] = 'https'
        client.meta.events.register('before-call.s3.PutObject', forwarded)
        client.put_object(Bucket='t-sse-strict', Key='o', Body=b'x', **SSE_C)
        # SSE-S3 needs no TLS
        client.put_object(Bucket='t-sse-strict', Key='p', Body=b'x',
                          ServerSideEncryption='AES256')
    finally:
        swift_cluster.stop_server(strict.spec.name)


def test_disabled_endpoint_answers_501(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=bucket_name, Key='o', Body=b'x',
                      ServerSideEncryption='AES256')
    assert code_of(err)[0] == 501


# -- objects written before encryption was configured ---------------------------
def test_plaintext_objects_stay_readable(s3, s3e, bucket_name, disk):
    s3.create_bucket(Bucket=bucket_name)
    s3.put_object(Bucket=bucket_name, Key='old', Body=PROBE * 10)
    _p, _m, data = disk(bucket_name, 'old')
    assert data == PROBE * 10           # the default proxy has no encryption
    got = s3e.get_object(Bucket=bucket_name, Key='old')
    assert got['Body'].read() == PROBE * 10
    assert 'ServerSideEncryption' not in got
    s3e.put_object(Bucket=bucket_name, Key='new-plain', Body=PROBE)
    assert disk(bucket_name, 'new-plain')[2] == PROBE


# -- multipart --------------------------------------------------------------------
def _segments(swift_cluster, bucket):
    return [f for f in object_files(swift_cluster.devices_dir,
                                    f'/{ACCOUNT}/{bucket}+segments/')
            if not f[0].endswith('.meta')]


def test_sse_c_multipart(s3e, bucket, swift_cluster):
    parts = [body(5 * MiB), os.urandom(1000) + PROBE * 100]
    data = b''.join(parts)
    upload = s3e.create_multipart_upload(Bucket=bucket, Key='mpu', **SSE_C)
    assert upload['SSECustomerAlgorithm'] == 'AES256'
    uid = upload['UploadId']
    with pytest.raises(ClientError) as err:
        s3e.upload_part(Bucket=bucket, Key='mpu', UploadId=uid, PartNumber=1,
                        Body=parts[0])
    assert code_of(err) == (400, 'InvalidRequest')
    with pytest.raises(ClientError) as err:
        s3e.upload_part(Bucket=bucket, Key='mpu', UploadId=uid, PartNumber=1,
                        Body=parts[0], **SSE_C_OTHER)
    assert code_of(err)[0] in (400, 403)
    etags = []
    for number, part in enumerate(parts, 1):
        resp = s3e.upload_part(Bucket=bucket, Key='mpu', UploadId=uid,
                               PartNumber=number, Body=part, **SSE_C)
        assert resp['SSECustomerAlgorithm'] == 'AES256'
        etags.append({'PartNumber': number, 'ETag': resp['ETag']})
    done = s3e.complete_multipart_upload(
        Bucket=bucket, Key='mpu', UploadId=uid,
        MultipartUpload={'Parts': etags}, **SSE_C)
    assert done['ETag'].endswith('-2"')
    for _path, _meta, raw in _segments(swift_cluster, bucket):
        assert PROBE[:20] not in raw
    assert s3e.get_object(Bucket=bucket, Key='mpu', **SSE_C)[
        'Body'].read() == data
    rng = 'bytes=%d-%d' % (5 * MiB - 100, 5 * MiB + 99)
    assert s3e.get_object(Bucket=bucket, Key='mpu', Range=rng, **SSE_C)[
        'Body'].read() == data[5 * MiB - 100:5 * MiB + 100]
    with pytest.raises(ClientError) as err:
        s3e.get_object(Bucket=bucket, Key='mpu')
    assert code_of(err) == (400, 'InvalidRequest')
    with pytest.raises(ClientError) as err:
        s3e.get_object(Bucket=bucket, Key='mpu', **SSE_C_OTHER)
    assert code_of(err)[0] == 403
    s3e.delete_object(Bucket=bucket, Key='mpu')     # no key needed


@pytest.mark.parametrize('extra', [
    {'ServerSideEncryption': 'AES256'},
    {'ServerSideEncryption': 'aws:kms', 'SSEKMSKeyId': KMS_ARN},
    SSE_C,
], ids=['sse-s3', 'sse-kms', 'sse-c'])
def test_transfer_manager_multipart(s3e, bucket, swift_cluster, extra):
    data = body(11 * MiB)
    config = boto3.s3.transfer.TransferConfig(
        multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB,
        max_concurrency=2)
    s3e.upload_fileobj(io.BytesIO(data), bucket, 'big', ExtraArgs=extra,
                       Config=config)
    head = s3e.head_object(Bucket=bucket, Key='big', **(
        SSE_C if extra is SSE_C else {}))
    assert head['ContentLength'] == len(data)
    assert head['ETag'].endswith('-3"')
    if extra is not SSE_C:
        assert head['ServerSideEncryption'] == extra['ServerSideEncryption']
    segments = _segments(swift_cluster, bucket)
    assert len(segments) >= 3
    for _path, _meta, raw in segments:
        assert PROBE[:20] not in raw
    out = io.BytesIO()
    s3e.download_fileobj(bucket, 'big', out, Config=config, ExtraArgs=(
        SSE_C if extra is SSE_C else None))
    assert out.getvalue() == data


# -- copies ---------------------------------------------------------------------
COPY_SOURCE_C = {'CopySourceSSECustomerAlgorithm': 'AES256',
                 'CopySourceSSECustomerKey': KEY}


def test_copy_between_modes(s3e, bucket, disk):
    data = body(30_000)
    s3e.put_object(Bucket=bucket, Key='c', Body=data, **SSE_C)
    src = {'Bucket': bucket, 'Key': 'c'}
    with pytest.raises(ClientError) as err:
        s3e.copy_object(Bucket=bucket, Key='s3', CopySource=src,
                        ServerSideEncryption='AES256')
    assert code_of(err) == (400, 'InvalidRequest')
    resp = s3e.copy_object(Bucket=bucket, Key='s3', CopySource=src,
                           ServerSideEncryption='AES256', **COPY_SOURCE_C)
    assert resp['ServerSideEncryption'] == 'AES256'
    assert_ciphertext(disk, bucket, 's3', data)
    assert s3e.get_object(Bucket=bucket, Key='s3')['Body'].read() == data
    resp = s3e.copy_object(Bucket=bucket, Key='kms',
                           CopySource={'Bucket': bucket, 'Key': 's3'},
                           ServerSideEncryption='aws:kms')
    assert resp['SSEKMSKeyId'] == 'k-default'
    assert_ciphertext(disk, bucket, 'kms', data)
    resp = s3e.copy_object(Bucket=bucket, Key='c2',
                           CopySource={'Bucket': bucket, 'Key': 'kms'},
                           **SSE_C_OTHER)
    assert resp['SSECustomerAlgorithm'] == 'AES256'
    assert_ciphertext(disk, bucket, 'c2', data)
    assert s3e.get_object(Bucket=bucket, Key='c2', **SSE_C_OTHER)[
        'Body'].read() == data
    # copy without SSE headers: the destination is not encrypted
    s3e.copy_object(Bucket=bucket, Key='plain',
                    CopySource={'Bucket': bucket, 'Key': 'kms'})
    assert disk(bucket, 'plain')[2] == data
    got = s3e.get_object(Bucket=bucket, Key='plain')
    assert got['Body'].read() == data and 'ServerSideEncryption' not in got
    # rotate an SSE-C key in place
    s3e.copy_object(Bucket=bucket, Key='c', CopySource=src,
                    **SSE_C_OTHER, **COPY_SOURCE_C)
    assert s3e.get_object(Bucket=bucket, Key='c', **SSE_C_OTHER)[
        'Body'].read() == data


def test_upload_part_copy_from_sse_c(s3e, bucket, swift_cluster):
    data = body(6 * MiB)
    s3e.put_object(Bucket=bucket, Key='src', Body=data, **SSE_C)
    uid = s3e.create_multipart_upload(Bucket=bucket, Key='dst',
                                      ServerSideEncryption='AES256')['UploadId']
    part = s3e.upload_part_copy(Bucket=bucket, Key='dst', UploadId=uid,
                                PartNumber=1,
                                CopySource={'Bucket': bucket, 'Key': 'src'},
                                **COPY_SOURCE_C)
    s3e.complete_multipart_upload(
        Bucket=bucket, Key='dst', UploadId=uid, MultipartUpload={'Parts': [
            {'PartNumber': 1, 'ETag': part['CopyPartResult']['ETag']}]})
    got = s3e.get_object(Bucket=bucket, Key='dst')
    assert got['Body'].read() == data
    assert got['ServerSideEncryption'] == 'AES256'


# -- bucket default encryption --------------------------------------------------
def test_bucket_default_encryption(s3e, bucket, disk):
    with pytest.raises(ClientError) as err:
        s3e.get_bucket_encryption(Bucket=bucket)
    assert code_of(err) == (404,
                            'ServerSideEncryptionConfigurationNotFoundError')
    s3e.put_object(Bucket=bucket, Key='before', Body=PROBE)
    s3e.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
        'Rules': [{'ApplyServerSideEncryptionByDefault': {
            'SSEAlgorithm': 'aws:kms', 'KMSMasterKeyID': KMS_ARN},
            'BucketKeyEnabled': True}]})
    config = s3e.get_bucket_encryption(Bucket=bucket)[
        'ServerSideEncryptionConfiguration']['Rules'][0]
    assert config['ApplyServerSideEncryptionByDefault'] == {
        'SSEAlgorithm': 'aws:kms', 'KMSMasterKeyID': KMS_ARN}
    assert config['BucketKeyEnabled'] is True
    resp = s3e.put_object(Bucket=bucket, Key='after', Body=PROBE * 3)
    assert resp['ServerSideEncryption'] == 'aws:kms'
    assert resp['SSEKMSKeyId'] == KMS_ARN
    assert_ciphertext(disk, bucket, 'after', PROBE * 3)
    assert disk(bucket, 'before')[2] == PROBE
    assert s3e.get_object(Bucket=bucket, Key='before')['Body'].read() == PROBE
    # a request's own choice wins
    resp = s3e.put_object(Bucket=bucket, Key='own', Body=PROBE,
                          ServerSideEncryption='AES256')
    assert resp['ServerSideEncryption'] == 'AES256'
    # multipart and copies get the default too
    uid = s3e.create_multipart_upload(Bucket=bucket, Key='mpu')
    assert uid['ServerSideEncryption'] == 'aws:kms'
    s3e.abort_multipart_upload(Bucket=bucket, Key='mpu',
                               UploadId=uid['UploadId'])
    resp = s3e.copy_object(Bucket=bucket, Key='copied',
                           CopySource={'Bucket': bucket, 'Key': 'before'})
    assert resp['ServerSideEncryption'] == 'aws:kms'
    assert_ciphertext(disk, bucket, 'copied', PROBE)
    s3e.delete_bucket_encryption(Bucket=bucket)
    with pytest.raises(ClientError):
        s3e.get_bucket_encryption(Bucket=bucket)
    s3e.put_object(Bucket=bucket, Key='later', Body=PROBE)
    assert disk(bucket, 'later')[2] == PROBE


def test_bucket_default_sse_s3(s3e, bucket, disk):
    s3e.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
        'Rules': [{'ApplyServerSideEncryptionByDefault': {
            'SSEAlgorithm': 'AES256'}}]})
    resp = s3e.put_object(Bucket=bucket, Key='o', Body=PROBE * 2)
    assert resp['ServerSideEncryption'] == 'AES256'
    assert_ciphertext(disk, bucket, 'o', PROBE * 2)


# -- awscli ---------------------------------------------------------------------
def test_awscli_round_trips(awscli, proxy, bucket, tmp_path, disk):
    cli = awscli(proxy=proxy)
    src = tmp_path / 'src'
    data = body(300_000)
    src.write_bytes(data)
    key_file = tmp_path / 'key'
    key_file.write_bytes(KEY)
    cases = {
        'aes': ['--sse', 'AES256'],
        'kms': ['--sse', 'aws:kms', '--sse-kms-key-id', KMS_ARN],
        'ssec': ['--sse-c', 'AES256', '--sse-c-key', f'fileb://{key_file}'],
    }
    for name, args in cases.items():
        cli.run('s3', 'cp', str(src), f's3://{bucket}/{name}', *args)
        assert_ciphertext(disk, bucket, name, data)
        out = tmp_path / f'out-{name}'
        read_args = args if name == 'ssec' else []
        cli.run('s3', 'cp', f's3://{bucket}/{name}', str(out), *read_args)
        assert out.read_bytes() == data
    head = json.loads(cli.run('s3api', 'head-object', '--bucket', bucket,
                              '--key', 'kms').stdout)
    assert head['ServerSideEncryption'] == 'aws:kms'
    failed = cli.run('s3', 'cp', f's3://{bucket}/ssec', str(tmp_path / 'x'),
                     check=False)
    assert failed.returncode != 0
    with pytest.raises(subprocess.CalledProcessError):
        cli.run('s3api', 'get-object', '--bucket', bucket, '--key', 'ssec',
                str(tmp_path / 'y'))


# -- the proxy refuses an SSE configuration without its pieces ------------------
def test_sse_without_its_filters_refuses_to_start(swift_cluster):
    from swift3compat_dev.servers import ClusterError
    spec = ProxySpec(name='proxy-sse-missing', s3_options={
        'server_side_encryption': 'true'})
    with pytest.raises(ClusterError) as exc:
        swift_cluster.add_proxy(spec)
    message = str(exc.value)
    assert 'server_side_encryption = true needs sse and encryption' in message
    assert 'symlink sse encryption proxy-logging proxy-server' in message


# -- a cluster keymaster already in the pipeline keeps working ------------------
def test_cluster_keymaster_keeps_encrypting_everything_else(
        swift_cluster, tmp_path_factory, s3_client_factory, make_bucket_name):
    key_file = tmp_path_factory.mktemp('sse-km') / 'keys.conf'
    key_file.write_text(f'[sse]\nroot_secret = {_b64()}\n')
    names = list(sse_pipeline())
    names.insert(names.index('sse'), 'keymaster')
    proxy = swift_cluster.add_proxy(ProxySpec(
        name='proxy-sse-keymaster', pipeline=tuple(names),
        s3_options={'storage_domain': 'localhost', 's3_acl': 'true',
                    'server_side_encryption': 'true',
                    'sse_customer_allow_http': 'true'},
        filters={'keymaster': {'use': 'egg:swift#keymaster',
                               'encryption_root_secret': _b64()},
                 'sse': {'use': 'egg:swift3compat#sse',
                         'key_file': str(key_file)},
                 'encryption': {'use': 'egg:swift#encryption'}}))
    try:
        client = s3_client_factory(proxy=proxy)
        bucket = make_bucket_name('keymaster')
        client.create_bucket(Bucket=bucket)
        data = body(20_000)
        client.put_object(Bucket=bucket, Key='plain', Body=data)
        _p, metadata, raw = object_file(swift_cluster.devices_dir, ACCOUNT,
                                        bucket, 'plain')
        assert PROBE[:20] not in raw                # the keymaster's key
        body_meta = unquote_plus(metadata['X-Object-Sysmeta-Crypto-Body-Meta'])
        assert '"s3c"' not in body_meta and '"path"' in body_meta
        got = client.get_object(Bucket=bucket, Key='plain')
        assert got['Body'].read() == data and 'ServerSideEncryption' not in got
        client.put_object(Bucket=bucket, Key='c', Body=data, **SSE_C)
        assert PROBE[:20] not in object_file(swift_cluster.devices_dir, ACCOUNT,
                                             bucket, 'c')[2]
        with pytest.raises(ClientError) as err:
            client.get_object(Bucket=bucket, Key='c')
        assert code_of(err) == (400, 'InvalidRequest')
        assert client.get_object(Bucket=bucket, Key='c', **SSE_C)[
            'Body'].read() == data
    finally:
        swift_cluster.stop_server(proxy.spec.name)


# -- the unencrypted hot path costs no extra backend request --------------------
@pytest.mark.parametrize('operation', ['PutObject', 'GetObject', 'HeadObject'])
def test_unencrypted_requests_cost_the_same_backend_requests(
        swift_cluster, s3, s3e, make_bucket_name, operation):
    from tests.functional.test_acl_cost import cost
    calls = {
        'PutObject': lambda c, b: c.put_object(Bucket=b, Key='k',
                                               Body=b'x' * 1024),
        'GetObject': lambda c, b: c.get_object(Bucket=b, Key='k'),
        'HeadObject': lambda c, b: c.head_object(Bucket=b, Key='k'),
    }
    spent = {}
    for name, client in (('sse-off', s3), ('sse-on', s3e)):
        bucket = make_bucket_name('cost-' + name)
        client.create_bucket(Bucket=bucket)
        client.put_object(Bucket=bucket, Key='k', Body=b'x' * 1024)
        spent[name] = cost(swift_cluster, calls[operation], client, bucket)
    assert spent['sse-on'] == spent['sse-off'], spent
    assert spent['sse-on'] >= 1
