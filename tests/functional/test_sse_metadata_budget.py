"""The stored-metadata budget counts what Swift's encrypter adds: an encrypted
write that would not fit the object's xattr gets 400 MetadataTooLarge and
stores nothing (no 507, no error-limited device), one that fits is stored
within the budget (measured on the object server's disk)."""
from __future__ import annotations

import pickle

import pytest
from botocore.exceptions import ClientError
from swift.obj.diskfile import PICKLE_PROTOCOL, _encode_metadata

from swift3compat.swift.metadata_budget import DEFAULT_BUDGET
from tests.functional.at_rest import object_files
from tests.functional.test_sse import (ACCOUNT, KMS_ARN, MiB, SSE_C, body,
                                       code_of, sse_proxy)

SSE_S3 = {'ServerSideEncryption': 'AES256'}
SSE_KMS = {'ServerSideEncryption': 'aws:kms', 'SSEKMSKeyId': KMS_ARN}
MODES = [SSE_S3, SSE_KMS, SSE_C]
IDS = ['sse-s3', 'sse-kms', 'sse-c']
# Fits in plaintext (about 2.1 KB stored), not once encrypted.
TOO_BIG = {'k%d' % i: 'v' * 150 for i in range(9)}
# Two small keys: fit encrypted (five do not: about 3.6-4 KB stored).
FITS = {}


@pytest.fixture(scope='module')
def proxy(swift_cluster, tmp_path_factory):
    proxy = sse_proxy(swift_cluster, tmp_path_factory, 'proxy-sse-budget',
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


def stored(swift_cluster, bucket, key):
    """Bytes pickled into the xattr of every .data file of the object."""
    want = '/%s/%s/%s' % (ACCOUNT, bucket, key)
    return [len(pickle.dumps(_encode_metadata(meta), PICKLE_PROTOCOL))
            for _p, meta, _d in object_files(swift_cluster.devices_dir, want)
            if _encode_metadata(meta)[b'name'] == want.encode()]


@pytest.mark.parametrize('sse', MODES, ids=IDS)
def test_encrypted_put_object_over_budget_refused(s3e, bucket, sse,
                                                  swift_cluster):
    s3e.put_object(Bucket=bucket, Key='plain', Body=b'x' * 100,
                   Metadata=TOO_BIG)      # plaintext: fits
    with pytest.raises(ClientError) as err:
        s3e.put_object(Bucket=bucket, Key='enc', Body=b'x' * 100,
                       Metadata=TOO_BIG, **sse)
    assert code_of(err) == (400, 'MetadataTooLarge')
    assert stored(swift_cluster, bucket, 'enc') == []
    s3e.put_object(Bucket=bucket, Key='fits', Body=b'x' * 100,
                   Metadata=FITS, **sse)
    sizes = stored(swift_cluster, bucket, 'fits')
    assert sizes and max(sizes) <= DEFAULT_BUDGET, sizes
    get_sse = SSE_C if sse is SSE_C else {}
    assert s3e.get_object(Bucket=bucket, Key='fits', **get_sse)[
        'Metadata'] == FITS
    # the device was never error-limited: the next request works
    assert s3e.head_object(Bucket=bucket, Key='plain')['Metadata'] == TOO_BIG


def _multipart(s3e, bucket, key, metadata, sse):
    uid = s3e.create_multipart_upload(Bucket=bucket, Key=key,
                                      Metadata=metadata, **sse)['UploadId']
    part_sse = SSE_C if sse is SSE_C else {}
    parts = []
    for number, part in enumerate([body(5 * MiB), b'tail'], 1):
        etag = s3e.upload_part(Bucket=bucket, Key=key, UploadId=uid,
                               PartNumber=number, Body=part,
                               **part_sse)['ETag']
        parts.append({'PartNumber': number, 'ETag': etag})
    return lambda: s3e.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=uid,
        MultipartUpload={'Parts': parts}, **part_sse)


# The manifest stores about 400 bytes more than the upload's marker (the
# upload id, the S3 ETag, the encrypted container-listing etag with its
# key id): metadata the encrypted marker holds, the encrypted manifest cannot
# (an SSE-C key id also carries the key's MAC).
MANIFEST_TOO_BIG = {'sse-s3': {'k0': 'v' * 200}, 'sse-c': {'k0': 'v'}}


@pytest.mark.parametrize('sse,name', [(SSE_S3, 'sse-s3'), (SSE_C, 'sse-c')],
                         ids=['sse-s3', 'sse-c'])
def test_encrypted_complete_multipart_over_budget_refused(
        s3e, bucket, sse, name, swift_cluster):
    complete = _multipart(s3e, bucket, 'big', MANIFEST_TOO_BIG[name], sse)
    with pytest.raises(ClientError) as err:
        complete()
    # an error after CompleteMultipartUpload's 200 (its keep-alive blanks):
    # botocore reports it as a 500
    assert code_of(err) in ((400, 'MetadataTooLarge'),
                            (500, 'MetadataTooLarge'))
    assert stored(swift_cluster, bucket, 'big') == []
    _multipart(s3e, bucket, 'fits', FITS, sse)()
    sizes = stored(swift_cluster, bucket, 'fits')
    assert sizes and max(sizes) <= DEFAULT_BUDGET, sizes
    get_sse = SSE_C if sse is SSE_C else {}
    head = s3e.head_object(Bucket=bucket, Key='fits', **get_sse)
    assert head['Metadata'] == FITS and head['ContentLength'] == 5 * MiB + 4
