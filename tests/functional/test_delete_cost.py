"""DeleteObject without the pre-delete HEAD (issue 18 item 2).

A bucket records that it has held a multipart object (container sysmeta
``Multipart``, set before CompleteMultipartUpload writes a manifest); only
then, or in a bucket created before the flag existed (no ``Multipart-Tracked``
marker from CreateBucket), does a delete HEAD the object first to find the
parts to delete after it.  Everywhere else a DeleteObject costs one backend
DELETE, as a native Swift DELETE does.  Backend requests are counted from the
storage servers' logs (``test_acl_cost.backend_requests``).
"""
from __future__ import annotations

import configparser
import glob
import hashlib
import os
import urllib.parse
from typing import Dict, List, Optional, Tuple

import pytest
import requests

from swift3compat.swift import sysmeta
from tests.functional.test_acl_cost import backend_requests
from tests.functional.test_multipart import _segment_names, upload

ACCOUNT = 'AUTH_test'


def request_id(resp: dict) -> str:
    return resp['ResponseMetadata']['HTTPHeaders']['x-amz-request-id']


def methods(cluster, resp: dict) -> List[str]:
    """'METHOD /container[/object]' of each backend request of an S3
    request (device and partition left out)."""
    out = []
    for line in backend_requests(cluster, request_id(resp)):
        method, path = line.split(' ', 1)
        path = urllib.parse.unquote(path.split('?', 1)[0])
        out.append('%s %s' % (method, path.split('/', 4)[-1]))
    return out


def stored_flags(cluster, bucket: str) -> Dict[str, Optional[str]]:
    """The bucket's Multipart flag and marker as its container database
    stores them."""
    from swift.container.backend import ContainerBroker
    conf = configparser.ConfigParser()
    conf.read(os.path.join(cluster.etc_dir, 'swift.conf'))
    digest = hashlib.md5(('%s/%s/%s%s' % (
        conf.get('swift-hash', 'swift_hash_path_prefix', fallback=''),
        ACCOUNT, bucket,
        conf.get('swift-hash', 'swift_hash_path_suffix', fallback='')
    )).encode('utf-8')).hexdigest()
    found = glob.glob(os.path.join(cluster.devices_dir, '*', 'containers',
                                   '*', digest[-3:], digest, digest + '.db'))
    assert len(found) == 1, found
    metadata = ContainerBroker(found[0]).metadata
    return {name: metadata.get(header.title(), ('', ''))[0] or None
            for name, header in (('flag', sysmeta.BUCKET_MULTIPART),
                                 ('tracked', sysmeta.BUCKET_MULTIPART_TRACKED))}


def swift_api(cluster) -> Tuple[str, Dict[str, str]]:
    proxy = next(iter(cluster.proxies.values()))
    auth = requests.get(proxy.url + '/auth/v1.0', headers={
        'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing'})
    return auth.headers['X-Storage-Url'], {
        'X-Auth-Token': auth.headers['X-Auth-Token']}


@pytest.fixture(scope='module')
def clients(proxy_factory, s3_client_factory):
    """s3_acl on and off; both allow 1-byte parts."""
    return {mode: s3_client_factory(proxy=proxy_factory(
        storage_domain='localhost', s3_acl=mode, min_segment_size='1'))
        for mode in ('true', 'false')}


@pytest.fixture(params=['true', 'false'], ids=['acl', 'no-acl'])
def client(request, clients):
    return clients[request.param]


@pytest.fixture
def tracked(request) -> str:
    """CreateBucket's multipart tracking marker: with s3_acl it also says
    that the bucket's ACL is its owner's private one (none stored)."""
    return 'acl=owner' if request.node.callspec.params['client'] == 'true' \
        else '1'


@pytest.fixture
def bucket(client, bucket_name):
    client.create_bucket(Bucket=bucket_name)
    return bucket_name


def complete(client, bucket: str, key: str, parts: List[bytes]) -> dict:
    upload_id, done = upload(client, bucket, key, parts)
    return client.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload_id,
        MultipartUpload={'Parts': done})


def delete_objects(client, bucket: str, *keys: str) -> dict:
    resp = client.delete_objects(Bucket=bucket, Delete={
        'Objects': [{'Key': key} for key in keys]})
    assert sorted(d['Key'] for d in resp['Deleted']) == sorted(keys)
    return resp


# -- (b) a plain-object bucket: one backend DELETE ------------------------------
def test_plain_bucket_delete_is_one_backend_delete(swift_cluster, client,
                                                   bucket, tracked):
    assert stored_flags(swift_cluster, bucket) == {'flag': None,
                                                   'tracked': tracked}
    client.put_object(Bucket=bucket, Key='k', Body=b'data')
    resp = client.delete_object(Bucket=bucket, Key='k')
    assert methods(swift_cluster, resp) == ['DELETE %s/k' % bucket]
    # a key that is not there: the same single DELETE (404 is success)
    resp = client.delete_object(Bucket=bucket, Key='gone')
    assert methods(swift_cluster, resp) == ['DELETE %s/gone' % bucket]


def test_plain_bucket_delete_objects_heads_nothing(swift_cluster, client,
                                                   bucket):
    for key in ('a', 'b'):
        client.put_object(Bucket=bucket, Key=key, Body=b'data')
    resp = delete_objects(client, bucket, 'a', 'b')
    seen = methods(swift_cluster, resp)
    assert not [m for m in seen if m.startswith(('HEAD %s/' % bucket,
                                                 'GET %s/' % bucket))]
    assert sorted(m for m in seen if m.startswith('DELETE')) == [
        'DELETE %s/a' % bucket, 'DELETE %s/b' % bucket]


# -- (a) a bucket that held multipart objects: exact clean-up -----------------
def test_delete_object_removes_parts_at_once(swift_cluster, client, bucket,
                                             tracked):
    complete(client, bucket, 'mp', [b'1', b'2'])
    assert stored_flags(swift_cluster, bucket) == {'flag': '1',
                                                   'tracked': tracked}
    assert len(_segment_names(swift_cluster, bucket)) == 2
    resp = client.delete_object(Bucket=bucket, Key='mp')
    assert 'HEAD %s/mp' % bucket in methods(swift_cluster, resp)
    assert _segment_names(swift_cluster, bucket) == []
    # a plain object in such a bucket is HEADed too (it might have been one)
    client.put_object(Bucket=bucket, Key='plain', Body=b'data')
    resp = client.delete_object(Bucket=bucket, Key='plain')
    assert methods(swift_cluster, resp) == ['HEAD %s/plain' % bucket,
                                            'DELETE %s/plain' % bucket]


def test_delete_objects_removes_parts_at_once(swift_cluster, client, bucket):
    complete(client, bucket, 'mp1', [b'1', b'2'])
    complete(client, bucket, 'mp2', [b'3', b'4', b'5'])
    client.put_object(Bucket=bucket, Key='plain', Body=b'data')
    assert len(_segment_names(swift_cluster, bucket)) == 5
    delete_objects(client, bucket, 'mp1', 'mp2', 'plain')
    assert _segment_names(swift_cluster, bucket) == []
    assert 'Contents' not in client.list_objects_v2(Bucket=bucket)


def test_copy_of_a_multipart_object_keeps_the_source_parts(
        swift_cluster, client, bucket, make_bucket_name):
    """A copy is a plain object: deleting it (in a flagged bucket or not)
    leaves the source's parts."""
    complete(client, bucket, 'src', [b'aa', b'bb'])
    other = make_bucket_name('copy-target')
    client.create_bucket(Bucket=other)
    for target in (bucket, other):
        client.copy_object(Bucket=target, Key='copy',
                           CopySource={'Bucket': bucket, 'Key': 'src'})
        client.delete_object(Bucket=target, Key='copy')
        delete_objects(client, target, 'copy')
    assert len(_segment_names(swift_cluster, bucket)) == 2
    assert client.get_object(Bucket=bucket, Key='src')['Body'].read() == \
        b'aabb'


# -- (c) every path that writes a manifest sets the flag, once ----------------
def test_complete_sets_the_flag_once(swift_cluster, client, bucket):
    upload_id, done = upload(client, bucket, 'k', [b'1', b'2'])
    assert stored_flags(swift_cluster, bucket)['flag'] is None
    first = client.complete_multipart_upload(
        Bucket=bucket, Key='k', UploadId=upload_id,
        MultipartUpload={'Parts': done})
    seen = methods(swift_cluster, first)
    assert 'POST %s' % bucket in seen
    # the POST drops the bucket's cached info; it is loaded again once
    # (the manifest PUT needs it anyway)
    assert seen.count('HEAD %s' % bucket) <= 1
    assert stored_flags(swift_cluster, bucket)['flag'] == '1'
    second = complete(client, bucket, 'k2', [b'3'])
    assert 'POST %s' % bucket not in methods(swift_cluster, second)


def test_complete_of_empty_parts_sets_the_flag(swift_cluster, client, bucket):
    """An object of empty parts is no SLO manifest, but it is written by
    the same Complete."""
    complete(client, bucket, 'empty', [b''])
    assert stored_flags(swift_cluster, bucket)['flag'] == '1'


def test_part_copies_and_copies_do_not_flag(swift_cluster, client, bucket,
                                            make_bucket_name):
    """CopyObject writes a plain object and UploadPartCopy a part in the
    segments container: neither puts a manifest in the bucket; the
    Complete that does sets the flag."""
    complete(client, bucket, 'src', [b'aa', b'bb'])
    target = make_bucket_name('part-copy')
    client.create_bucket(Bucket=target)
    client.copy_object(Bucket=target, Key='copy',
                       CopySource={'Bucket': bucket, 'Key': 'src'})
    upload_id = client.create_multipart_upload(Bucket=target,
                                               Key='k')['UploadId']
    part = client.upload_part_copy(
        Bucket=target, Key='k', UploadId=upload_id, PartNumber=1,
        CopySource={'Bucket': bucket, 'Key': 'src'})
    assert stored_flags(swift_cluster, target)['flag'] is None
    resp = client.delete_object(Bucket=target, Key='copy')
    assert methods(swift_cluster, resp) == ['DELETE %s/copy' % target]
    client.complete_multipart_upload(
        Bucket=target, Key='k', UploadId=upload_id,
        MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': part[
            'CopyPartResult']['ETag']}]})
    assert stored_flags(swift_cluster, target)['flag'] == '1'
    client.delete_object(Bucket=target, Key='k')
    assert _segment_names(swift_cluster, target) == []


def test_versioned_bucket_keeps_its_parts(swift_cluster, client, bucket):
    """Versioned buckets never HEAD before a delete (the delete writes a
    marker; old versions keep their parts); Complete still flags them."""
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={
        'Status': 'Enabled'})
    made = complete(client, bucket, 'mp', [b'1', b'2'])
    assert stored_flags(swift_cluster, bucket)['flag'] == '1'
    resp = client.delete_object(Bucket=bucket, Key='mp')
    assert resp['DeleteMarker'] is True
    assert not [m for m in methods(swift_cluster, resp)
                if m.startswith('HEAD %s/' % bucket)]
    assert len(_segment_names(swift_cluster, bucket)) == 2
    assert client.get_object(Bucket=bucket, Key='mp', VersionId=made[
        'VersionId'])['Body'].read() == b'12'


# -- buckets created before the flag ---------------------------------------
def test_untracked_bucket_keeps_the_head(swift_cluster, client,
                                         bucket_name):
    """A container without the CreateBucket marker (an older bucket, or one
    made through the Swift API) may hold manifests that predate the flag:
    DeleteObject HEADs there as before; DeleteObjects leaves their parts to
    the collector, as it did."""
    url, token = swift_api(swift_cluster)
    assert requests.put(url + '/' + bucket_name, headers=token).ok
    assert stored_flags(swift_cluster, bucket_name) == {'flag': None,
                                                        'tracked': None}
    for key in ('k', 'k2'):
        client.put_object(Bucket=bucket_name, Key=key, Body=b'data')
    resp = client.delete_object(Bucket=bucket_name, Key='k')
    assert methods(swift_cluster, resp) == ['HEAD %s/k' % bucket_name,
                                            'DELETE %s/k' % bucket_name]
    resp = delete_objects(client, bucket_name, 'k2')
    assert not [m for m in methods(swift_cluster, resp)
                if m.startswith('HEAD %s/' % bucket_name)]
    complete(client, bucket_name, 'mp', [b'1', b'2'])
    client.delete_object(Bucket=bucket_name, Key='mp')
    assert _segment_names(swift_cluster, bucket_name) == []
