"""Flexible checksums with boto3 at its default settings (it sends a CRC32
with every upload and asks for checksums on every GET): verified, stored,
returned on GET/HEAD, per part and combined for multipart uploads, in
ListParts and GetObjectAttributes; DeleteObjects with CRC32C/CRC64NVME."""
from __future__ import annotations

import base64
import hashlib
import os
import zlib

import awscrt.checksums as crt
import pytest
from botocore.exceptions import ClientError
from tests.functional.raw_s3 import RawS3

MIB = 1024 * 1024


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def crc32(data: bytes) -> str:
    return b64(zlib.crc32(data).to_bytes(4, 'big'))


def crc32c(data: bytes) -> str:
    return b64(crt.crc32c(data).to_bytes(4, 'big'))


def crc64nvme(data: bytes) -> str:
    return b64(crt.crc64nvme(data).to_bytes(8, 'big'))


def sha256(data: bytes) -> str:
    return b64(hashlib.sha256(data).digest())


@pytest.fixture
def bucket(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    return bucket_name


def code_of(info) -> str:
    return info.value.response['Error']['Code']


def test_default_put_sends_crc32_and_gets_it_back(s3, bucket):
    data = os.urandom(100000)
    resp = s3.put_object(Bucket=bucket, Key='k', Body=data)
    assert resp['ChecksumCRC32'] == crc32(data)
    got = s3.get_object(Bucket=bucket, Key='k', ChecksumMode='ENABLED')
    assert got['Body'].read() == data          # botocore verifies the CRC
    assert (got['ChecksumCRC32'], got['ChecksumType']) == \
        (crc32(data), 'FULL_OBJECT')
    head = s3.head_object(Bucket=bucket, Key='k', ChecksumMode='ENABLED')
    assert head['ChecksumCRC32'] == crc32(data)
    assert 'ChecksumCRC32' not in s3.head_object(Bucket=bucket, Key='k')
    ranged = s3.get_object(Bucket=bucket, Key='k', Range='bytes=0-9',
                           ChecksumMode='ENABLED')
    assert ranged['Body'].read() == data[:10]
    assert 'ChecksumCRC32' not in ranged


@pytest.mark.parametrize('algorithm,fn', [
    ('CRC32C', crc32c), ('CRC64NVME', crc64nvme), ('SHA1', None),
    ('SHA256', sha256)])
def test_each_algorithm(s3, bucket, algorithm, fn):
    data = os.urandom(5000)
    s3.put_object(Bucket=bucket, Key='k', Body=data,
                  ChecksumAlgorithm=algorithm)
    head = s3.head_object(Bucket=bucket, Key='k', ChecksumMode='ENABLED')
    value = fn(data) if fn else b64(hashlib.sha1(data).digest())
    assert head['Checksum' + algorithm] == value


@pytest.mark.parametrize('name', ['ChecksumCRC32', 'ChecksumCRC32C',
                                  'ChecksumCRC64NVME', 'ChecksumSHA256'])
def test_wrong_checksum_stores_nothing(s3, bucket, name):
    other = {'ChecksumCRC32': crc32, 'ChecksumCRC32C': crc32c,
             'ChecksumCRC64NVME': crc64nvme, 'ChecksumSHA256': sha256}[name]
    s3.put_object(Bucket=bucket, Key='k', Body=b'before')
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket=bucket, Key='k', Body=b'after',
                      **{name: other(b'else')})
    assert code_of(info) == 'BadDigest'
    assert s3.get_object(Bucket=bucket, Key='k')['Body'].read() == b'before'
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket=bucket, Key='k', Body=b'after',
                      **{name: 'not base64!'})
    assert code_of(info) == 'InvalidRequest'


def test_no_checksum_gets_crc64nvme(s3, s3_client_factory, bucket):
    plain = s3_client_factory(request_checksum_calculation='when_required')
    data = os.urandom(3000)
    plain.put_object(Bucket=bucket, Key='k', Body=data)
    head = s3.head_object(Bucket=bucket, Key='k', ChecksumMode='ENABLED')
    assert head['ChecksumCRC64NVME'] == crc64nvme(data)


@pytest.mark.parametrize('algorithm,kind', [
    ('CRC32', 'COMPOSITE'), ('CRC32', 'FULL_OBJECT'),
    ('CRC32C', 'FULL_OBJECT'), ('CRC64NVME', 'FULL_OBJECT'),
    ('SHA256', 'COMPOSITE'), ('SHA1', 'COMPOSITE')])
def test_multipart_checksums(s3, bucket, algorithm, kind):
    parts = [os.urandom(5 * MIB), os.urandom(1000)]
    upload = s3.create_multipart_upload(
        Bucket=bucket, Key='m', ChecksumAlgorithm=algorithm,
        ChecksumType=kind)
    assert (upload['ChecksumAlgorithm'], upload['ChecksumType']) == \
        (algorithm, kind)
    name = 'Checksum' + algorithm
    done = []
    for number, data in enumerate(parts, 1):
        resp = s3.upload_part(Bucket=bucket, Key='m', PartNumber=number,
                              UploadId=upload['UploadId'], Body=data,
                              ChecksumAlgorithm=algorithm)
        done.append({'PartNumber': number, 'ETag': resp['ETag'],
                     name: resp[name]})
    listed = s3.list_parts(Bucket=bucket, Key='m',
                           UploadId=upload['UploadId'])
    assert [p[name] for p in listed['Parts']] == [p[name] for p in done]
    assert (listed['ChecksumAlgorithm'], listed['ChecksumType']) == \
        (algorithm, kind)
    resp = s3.complete_multipart_upload(
        Bucket=bucket, Key='m', UploadId=upload['UploadId'],
        MultipartUpload={'Parts': done})
    digest = {'CRC32': lambda d: zlib.crc32(d).to_bytes(4, 'big'),
              'CRC32C': lambda d: crt.crc32c(d).to_bytes(4, 'big'),
              'CRC64NVME': lambda d: crt.crc64nvme(d).to_bytes(8, 'big'),
              'SHA1': lambda d: hashlib.sha1(d).digest(),
              'SHA256': lambda d: hashlib.sha256(d).digest()}[algorithm]
    if kind == 'COMPOSITE':
        expected = b64(digest(b''.join(digest(p) for p in parts))) + '-2'
    else:
        expected = b64(digest(b''.join(parts)))
    assert resp[name] == expected and resp['ChecksumType'] == kind
    got = s3.get_object(Bucket=bucket, Key='m', ChecksumMode='ENABLED')
    assert got['Body'].read() == b''.join(parts)    # FULL_OBJECT: verified
    assert (got[name], got['ChecksumType']) == (expected, kind)
    attrs = s3.get_object_attributes(
        Bucket=bucket, Key='m',
        ObjectAttributes=['ETag', 'Checksum', 'ObjectParts', 'ObjectSize',
                          'StorageClass'])
    assert attrs['Checksum'] == {name: expected, 'ChecksumType': kind}
    assert attrs['ObjectSize'] == sum(map(len, parts))
    assert attrs['ETag'] == resp['ETag'].strip('"')
    assert attrs['StorageClass'] == 'STANDARD'
    assert attrs['ObjectParts']['TotalPartsCount'] == 2   # <PartsCount>
    assert [(p['PartNumber'], p['Size'], p[name])
            for p in attrs['ObjectParts']['Parts']] == [
        (i + 1, len(d), done[i][name]) for i, d in enumerate(parts)]


def test_multipart_checksum_mismatches(s3, bucket):
    upload_id = s3.create_multipart_upload(
        Bucket=bucket, Key='m', ChecksumAlgorithm='CRC32')['UploadId']
    with pytest.raises(ClientError) as info:
        s3.upload_part(Bucket=bucket, Key='m', PartNumber=1,
                       UploadId=upload_id, Body=b'x', ChecksumCRC32C=crc32c(
                           b'x'))
    assert code_of(info) == 'InvalidRequest'
    with pytest.raises(ClientError) as info:
        s3.upload_part(Bucket=bucket, Key='m', PartNumber=1,
                       UploadId=upload_id, Body=b'x',
                       ChecksumCRC32=crc32(b'y'))
    assert code_of(info) == 'BadDigest'
    etag = s3.upload_part(Bucket=bucket, Key='m', PartNumber=1,
                          UploadId=upload_id, Body=b'x')['ETag']
    with pytest.raises(ClientError) as info:
        s3.complete_multipart_upload(
            Bucket=bucket, Key='m', UploadId=upload_id,
            MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': etag,
                                        'ChecksumCRC32': crc32(b'z')}]})
    assert code_of(info) == 'InvalidPart'
    with pytest.raises(ClientError) as info:
        s3.create_multipart_upload(Bucket=bucket, Key='m',
                                   ChecksumAlgorithm='SHA256',
                                   ChecksumType='FULL_OBJECT')
    assert code_of(info) == 'InvalidRequest'


def test_default_multipart_gets_full_object_crc64nvme(s3, s3_client_factory,
                                                      bucket):
    plain = s3_client_factory(request_checksum_calculation='when_required')
    parts = [os.urandom(5 * MIB), b'end']
    upload_id = plain.create_multipart_upload(Bucket=bucket,
                                              Key='m')['UploadId']
    done = [{'PartNumber': n, 'ETag': plain.upload_part(
        Bucket=bucket, Key='m', PartNumber=n, UploadId=upload_id,
        Body=d)['ETag']} for n, d in enumerate(parts, 1)]
    plain.complete_multipart_upload(Bucket=bucket, Key='m',
                                    UploadId=upload_id,
                                    MultipartUpload={'Parts': done})
    head = s3.head_object(Bucket=bucket, Key='m', ChecksumMode='ENABLED')
    assert head['ChecksumCRC64NVME'] == crc64nvme(b''.join(parts))
    assert head['ChecksumType'] == 'FULL_OBJECT'


def test_plain_object_attributes(s3, bucket):
    s3.put_object(Bucket=bucket, Key='k', Body=b'hello', StorageClass='STANDARD_IA')
    attrs = s3.get_object_attributes(
        Bucket=bucket, Key='k', ObjectAttributes=['ETag', 'Checksum',
                                                  'ObjectParts', 'ObjectSize',
                                                  'StorageClass'])
    assert attrs['ETag'] == hashlib.md5(b'hello').hexdigest()
    assert attrs['Checksum'] == {'ChecksumCRC32': crc32(b'hello'),
                                 'ChecksumType': 'FULL_OBJECT'}
    assert attrs['ObjectSize'] == 5 and 'ObjectParts' not in attrs
    assert attrs['StorageClass'] == 'STANDARD_IA'
    with pytest.raises(ClientError) as info:
        s3.get_object_attributes(Bucket=bucket, Key='k',
                                 ObjectAttributes=['Nonsense'])
    assert code_of(info) == 'InvalidArgument'
    with pytest.raises(ClientError) as info:
        s3.get_object_attributes(Bucket=bucket, Key='nope',
                                 ObjectAttributes=['ETag'])
    assert code_of(info) == 'NoSuchKey'


@pytest.mark.parametrize('algorithm', ['CRC32', 'CRC32C', 'CRC64NVME',
                                       'SHA1', 'SHA256'])
def test_delete_objects_with_any_checksum(s3, bucket, algorithm):
    s3.put_object(Bucket=bucket, Key='k', Body=b'x')
    resp = s3.delete_objects(Bucket=bucket, ChecksumAlgorithm=algorithm,
                             Delete={'Objects': [{'Key': 'k'}]})
    assert [d['Key'] for d in resp['Deleted']] == ['k']


def test_delete_objects_wrong_crc64nvme(s3, bucket, s3_endpoint, s3_users):
    user = s3_users['test:tester']
    raw = RawS3(s3_endpoint, user.access_key, user.key)
    body = (b'<Delete><Object><Key>k</Key></Object></Delete>')
    s3.put_object(Bucket=bucket, Key='k', Body=b'x')
    resp = raw('POST', '/%s?delete' % bucket, body=body, headers={
        'x-amz-checksum-crc64nvme': crc64nvme(b'other')})
    assert resp.code == 'BadDigest'
    resp = raw('POST', '/%s?delete' % bucket, body=body, headers={
        'x-amz-checksum-crc32c': crc32c(body)})
    assert resp.status == 200
    assert s3.list_objects_v2(Bucket=bucket)['KeyCount'] == 0


def test_complete_checks_a_full_object_checksum(s3, bucket):
    parts = [os.urandom(5 * MIB), b'tail']
    for value, error in ((crc32(b'wrong'), 'BadDigest'),
                         (crc32(b''.join(parts)), None)):
        upload_id = s3.create_multipart_upload(
            Bucket=bucket, Key='m', ChecksumAlgorithm='CRC32',
            ChecksumType='FULL_OBJECT')['UploadId']
        done = []
        for number, data in enumerate(parts, 1):
            resp = s3.upload_part(Bucket=bucket, Key='m', PartNumber=number,
                                  UploadId=upload_id, Body=data,
                                  ChecksumAlgorithm='CRC32')
            done.append({'PartNumber': number, 'ETag': resp['ETag'],
                         'ChecksumCRC32': resp['ChecksumCRC32']})
        args = dict(Bucket=bucket, Key='m', UploadId=upload_id,
                    ChecksumCRC32=value, ChecksumType='FULL_OBJECT',
                    MultipartUpload={'Parts': done})
        if error:
            with pytest.raises(ClientError) as info:
                s3.complete_multipart_upload(**args)
            assert code_of(info) == error
        else:
            assert s3.complete_multipart_upload(**args)['ChecksumCRC32'] == \
                value
