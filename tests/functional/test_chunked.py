"""aws-chunked uploads end to end: hand-built requests of the three
streaming variants (signed chunks, signed trailer, unsigned trailer), every
malformed case answered with AWS's error at once and nothing stored, and
boto3/awscli at their default settings over HTTPS (where they stream)."""
from __future__ import annotations

import base64
import hashlib
import os
import zlib
from typing import Any, Dict, List

import awscrt.checksums
import pytest
from botocore.exceptions import ClientError
from tests.functional.chunked_client import (SIGNED, SIGNED_TRAILER,
                                             UNSIGNED_TRAILER, ChunkedPut,
                                             TlsRelay, send)
from tests.functional.conftest import AwsCli

DATA = [os.urandom(65536), os.urandom(65536), os.urandom(1000)]
BODY = b''.join(DATA)


@pytest.fixture
def bucket(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    return bucket_name


@pytest.fixture
def put(s3_endpoint, s3_users, bucket):
    """``put(key, chunks, **ChunkedPut fields)`` -> ChunkedPut."""
    user = s3_users['test:tester']

    def make(key: str, chunks: List[bytes] = DATA, **kwargs: Any
             ) -> ChunkedPut:
        kwargs.setdefault('decoded_length', sum(map(len, chunks)))
        return ChunkedPut(s3_endpoint, user.access_key, user.key,
                          '/%s/%s' % (bucket, key), chunks, **kwargs)
    return make


def stored(s3, bucket, key) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as err:
        assert err.response['Error']['Code'] == '404'
        return False
    return True


def b64crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, 'big')).decode()


# -- the variants ------------------------------------------------------------------
@pytest.mark.parametrize('variant,trailer', [
    (SIGNED, None), (SIGNED_TRAILER, 'crc32c'), (UNSIGNED_TRAILER, 'crc32'),
    (UNSIGNED_TRAILER, 'crc64nvme'), (SIGNED_TRAILER, 'sha256')])
def test_variant_stores_the_decoded_body(s3, put, bucket, variant, trailer):
    resp = put('k', variant=variant, trailer=trailer,
               extra_headers={'content-type': 'text/plain'}).send()
    assert resp.status == 200, resp.body
    assert resp.headers['ETag'] == '"%s"' % hashlib.md5(BODY).hexdigest()
    got = s3.get_object(Bucket=bucket, Key='k', ChecksumMode='ENABLED')
    assert got['Body'].read() == BODY
    assert got['ContentType'] == 'text/plain'
    assert 'ContentEncoding' not in got          # aws-chunked is not stored
    if trailer:
        name = 'Checksum' + trailer.upper()
        assert got[name] == resp.headers['x-amz-checksum-' + trailer]
        assert got['ChecksumType'] == 'FULL_OBJECT'


def test_gzip_content_encoding_is_kept(s3, put, bucket):
    resp = put('k', extra_headers={'content-encoding': 'gzip,aws-chunked'}
               ).send()
    assert resp.status == 200, resp.body
    assert s3.head_object(Bucket=bucket, Key='k')['ContentEncoding'] == 'gzip'


def test_transfer_encoding_chunked(s3, put, bucket):
    for variant, trailer in ((SIGNED, None), (UNSIGNED_TRAILER, 'crc32')):
        resp = put('k', variant=variant, trailer=trailer).send(chunked=True)
        assert resp.status == 200, resp.body
        assert s3.get_object(Bucket=bucket, Key='k')['Body'].read() == BODY


@pytest.mark.parametrize('variant,trailer', [
    (SIGNED, None), (SIGNED_TRAILER, 'crc32'), (UNSIGNED_TRAILER, 'crc32')])
def test_empty_body(s3, put, bucket, variant, trailer):
    assert put('k', [], variant=variant, trailer=trailer).send().status == 200
    assert s3.get_object(Bucket=bucket, Key='k')['Body'].read() == b''
    bad = put('bad', [], variant=variant, trailer=trailer,
              tamper_signature=lambda i, sig: '0' * 64,
              trailer_value='AAAAAQ==' if trailer else None)
    if variant == UNSIGNED_TRAILER:
        assert bad.send().code == 'BadDigest'
    else:
        assert bad.send().code == 'SignatureDoesNotMatch'
    assert not stored(s3, bucket, 'bad')


def test_upload_part(s3, put, bucket):
    upload_id = s3.create_multipart_upload(
        Bucket=bucket, Key='m', ChecksumAlgorithm='CRC32')['UploadId']
    resp = put('m', variant=SIGNED_TRAILER, trailer='crc32',
               query='partNumber=1&uploadId=' + upload_id).send()
    assert resp.status == 200, resp.body
    assert resp.headers['x-amz-checksum-crc32'] == b64crc32(BODY)
    part = s3.list_parts(Bucket=bucket, Key='m', UploadId=upload_id)[
        'Parts'][0]
    assert part['ChecksumCRC32'] == b64crc32(BODY)
    wrong = put('m', variant=UNSIGNED_TRAILER, trailer='crc32c',
                query='partNumber=2&uploadId=' + upload_id).send()
    assert wrong.code == 'InvalidRequest'      # not the upload's algorithm


# -- what must fail, and store nothing ---------------------------------------------
CASES: Dict[str, Dict[str, Any]] = {
    'wrong chunk signature': dict(
        put=dict(tamper_signature=lambda i, s: '0' * 64 if i == 1 else s),
        code='SignatureDoesNotMatch'),
    'wrong final signature': dict(
        put=dict(tamper_signature=lambda i, s: '1' * 64 if i == 3 else s),
        code='SignatureDoesNotMatch'),
    'wrong trailer signature': dict(
        put=dict(variant=SIGNED_TRAILER, trailer='crc32'),
        edit=lambda body: body.replace(b'x-amz-trailer-signature:',
                                       b'x-amz-trailer-signature:0'),
        code='SignatureDoesNotMatch'),
    'wrong trailer checksum (signed)': dict(
        put=dict(variant=SIGNED_TRAILER, trailer='crc32',
                 trailer_value='AAAAAA=='), code='BadDigest'),
    'wrong trailer checksum (unsigned)': dict(
        put=dict(variant=UNSIGNED_TRAILER, trailer='crc64nvme',
                 trailer_value='AAAAAAAAAAA='), code='BadDigest'),
    'malformed trailer checksum': dict(
        put=dict(variant=UNSIGNED_TRAILER, trailer='crc32',
                 trailer_value='nonsense'), code='InvalidRequest'),
    'reordered chunks': dict(
        edit=lambda body: _swap_first_chunks(body),
        code='SignatureDoesNotMatch'),
    'data changed': dict(
        edit=lambda body: body.replace(DATA[1][:100], b'x' * 100, 1),
        code='SignatureDoesNotMatch'),
    'bad hex size': dict(
        put=dict(variant=UNSIGNED_TRAILER, trailer='crc32'),
        edit=lambda body: b'zz' + body[5:], code='IncompleteBody'),
    'size overflow': dict(
        put=dict(variant=UNSIGNED_TRAILER, trailer='crc32'),
        edit=lambda body: b'ffffffffffffffff' + body[5:],
        code='IncompleteBody'),
    'chunk larger than decoded length': dict(
        put=dict(decoded_length=len(BODY) - 1), code='IncompleteBody'),
    'decoded length larger than data': dict(
        put=dict(decoded_length=len(BODY) + 1), code='IncompleteBody'),
    'missing final chunk': dict(
        put=dict(variant=UNSIGNED_TRAILER),
        edit=lambda body: body[:body.rindex(b'0\r\n')],
        code='IncompleteBody'),
    'trailer without CRLF': dict(
        put=dict(variant=UNSIGNED_TRAILER, trailer='crc32'),
        edit=lambda body: body[:-4], code='IncompleteBody'),
    'small chunk before another': dict(
        chunks=[b'x' * 100, DATA[0]], code='InvalidChunkSizeError'),
    'undeclared trailer': dict(
        put=dict(variant=UNSIGNED_TRAILER, trailer='crc32',
                 omit=('x-amz-trailer',)), code='MalformedTrailerError'),
    'missing decoded length': dict(
        put=dict(omit=('x-amz-decoded-content-length',)),
        code='MissingContentLength'),
}


def _swap_first_chunks(body: bytes) -> bytes:
    """The first two chunks in the other order (framing, not data, parsed:
    random data may hold CRLFs)."""
    def chunk_end(start: int) -> int:
        line_end = body.index(b'\r\n', start)
        size = int(body[start:line_end].split(b';')[0], 16)
        return line_end + 2 + size + 2
    first_end = chunk_end(0)
    second_end = chunk_end(first_end)
    return body[first_end:second_end] + body[:first_end] + body[second_end:]


@pytest.mark.parametrize('name', sorted(CASES))
def test_malformed_upload_is_refused_and_stores_nothing(s3, put, bucket,
                                                        name):
    case = CASES[name]
    s3.put_object(Bucket=bucket, Key='k', Body=b'before')
    upload = put('k', case.get('chunks', DATA), **case.get('put', {}))
    resp = upload.send(case.get('edit'), timeout=30)
    assert resp.code == case['code'], (resp.status, resp.body)
    assert s3.get_object(Bucket=bucket, Key='k')['Body'].read() == b'before'


def test_client_hanging_up_mid_body(s3, put, bucket):
    resp = put('k').send(timeout=30, cut=70000)
    assert resp.code in ('IncompleteBody', None), resp
    assert not stored(s3, bucket, 'k')


def test_streaming_headers_must_be_signed(s3_endpoint, s3_users, bucket, s3):
    user = s3_users['test:tester']
    upload = ChunkedPut(s3_endpoint, user.access_key, user.key,
                        '/%s/k' % bucket, DATA, len(BODY))
    headers, body = upload.prepare()
    headers['x-amz-decoded-content-length'] = str(len(BODY) - 1)
    resp = send(s3_endpoint, 'PUT', '/%s/k' % bucket, headers, [body])
    assert resp.status == 403
    assert not stored(s3, bucket, 'k')


# -- SDKs at their default settings over HTTPS ----------------------------------------
@pytest.fixture(scope='module')
def https(s3_proxy, tmp_path_factory):
    relay = TlsRelay(s3_proxy.port, str(tmp_path_factory.mktemp('tls')))
    yield relay
    relay.stop()


@pytest.fixture
def s3_https(https, s3_users):
    """boto3 with default checksum settings, through the HTTPS relay; its
    ``seen`` lists the headers of every request sent."""
    import boto3
    from botocore.config import Config
    user = s3_users['test:tester']
    client = boto3.session.Session().client(
        's3', endpoint_url=https.endpoint, region_name='us-east-1',
        aws_access_key_id=user.access_key, aws_secret_access_key=user.key,
        verify=https.cert, config=Config(s3={'addressing_style': 'path'},
                                         retries={'total_max_attempts': 1}))
    seen: List[Dict[str, str]] = []
    client.meta.events.register('before-send.s3.*', lambda request, **kw:
                                seen.append({k.lower(): _text(v) for k, v in
                                             request.headers.items()}))
    client.seen = seen
    return client


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else value


def test_boto3_streams_aws_chunked_over_https(s3_https, bucket, tmp_path):
    data = os.urandom(300000)
    s3_https.put_object(Bucket=bucket, Key='bytes', Body=data)
    headers = s3_https.seen[-1]
    assert headers['x-amz-content-sha256'] == UNSIGNED_TRAILER
    assert headers['x-amz-trailer'] == 'x-amz-checksum-crc32'
    got = s3_https.get_object(Bucket=bucket, Key='bytes')
    assert got['Body'].read() == data          # botocore checks the CRC32
    assert got['ChecksumCRC32'] == b64crc32(data)
    path = tmp_path / 'file'
    path.write_bytes(data)
    with open(path, 'rb') as f:
        s3_https.put_object(Bucket=bucket, Key='file', Body=f,
                            ChecksumAlgorithm='CRC64NVME')
    assert s3_https.seen[-1]['x-amz-trailer'] == 'x-amz-checksum-crc64nvme'
    head = s3_https.head_object(Bucket=bucket, Key='file',
                                ChecksumMode='ENABLED')
    assert base64.b64decode(head['ChecksumCRC64NVME']) == \
        awscrt.checksums.crc64nvme(data).to_bytes(8, 'big')


def test_boto3_multipart_over_https(s3_https, bucket, tmp_path):
    from boto3.s3.transfer import TransferConfig
    data = os.urandom(12 * 1024 * 1024 + 5)
    path = tmp_path / 'big'
    path.write_bytes(data)
    s3_https.upload_file(str(path), bucket, 'big', Config=TransferConfig(
        multipart_threshold=5 * 1024 * 1024,
        multipart_chunksize=5 * 1024 * 1024))
    parts = [h for h in s3_https.seen if 'x-amz-trailer' in h]
    assert len(parts) == 3
    out = tmp_path / 'out'
    s3_https.download_file(bucket, 'big', str(out))
    assert out.read_bytes() == data
    head = s3_https.head_object(Bucket=bucket, Key='big',
                                ChecksumMode='ENABLED')
    assert head['ETag'].endswith('-3"')


def test_awscli_over_https(awscli, https, s3, bucket, tmp_path):
    plain = awscli()
    cli = AwsCli(dict(plain.env, AWS_CA_BUNDLE=https.cert), https.endpoint)
    data = os.urandom(9 * 1024 * 1024 + 7)
    (tmp_path / 'big').write_bytes(data)
    cli.run('s3', 'cp', str(tmp_path / 'big'), 's3://%s/big' % bucket)
    cli.run('s3', 'cp', 's3://%s/big' % bucket, str(tmp_path / 'back'))
    assert (tmp_path / 'back').read_bytes() == data
    head = s3.head_object(Bucket=bucket, Key='big', ChecksumMode='ENABLED')
    assert head['ETag'].endswith('-2"') and 'ChecksumCRC32' in head
    (tmp_path / 'small').write_bytes(b'small')
    cli.run('s3api', 'put-object', '--bucket', bucket, '--key', 'small',
            '--body', str(tmp_path / 'small'))
    assert s3.head_object(Bucket=bucket, Key='small', ChecksumMode='ENABLED')[
        'ChecksumCRC32'] == b64crc32(b'small')


def test_unsigned_payload_with_aws_chunked_encoding(s3, put, bucket):
    """Some Java clients frame the body while declaring UNSIGNED-PAYLOAD."""
    resp = put('k', variant='UNSIGNED-PAYLOAD', trailer='crc32').send()
    assert resp.status == 200, resp.body
    assert s3.get_object(Bucket=bucket, Key='k')['Body'].read() == BODY
