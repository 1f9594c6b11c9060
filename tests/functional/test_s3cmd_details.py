"""Listing and info details that s3cmd and other clients depend on: real
bucket creation dates, Dynamic/Static Large Object sizes in listings,
Swift-internal containers never shown, metadata within AWS's limits."""
from __future__ import annotations

import datetime
import json

from urllib.parse import quote

import pytest
import requests
from botocore.exceptions import ClientError
from tests.functional.raw_s3 import RawS3


@pytest.fixture
def raw(s3_endpoint, s3_users):
    user = s3_users['test:tester']
    return RawS3(s3_endpoint, user.access_key, user.key)


@pytest.fixture(scope='module')
def swift(s3_endpoint):
    """(storage URL, auth headers) of test:tester on the native Swift API,
    through the same proxy (swift3 passes /auth and /v1 through)."""
    resp = requests.get(f'{s3_endpoint}/auth/v1.0', timeout=10, headers={
        'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing'})
    assert resp.status_code == 200
    return resp.headers['X-Storage-Url'], {
        'X-Auth-Token': resp.headers['X-Auth-Token']}


def _creation_date(s3, bucket: str) -> datetime.datetime:
    return next(b['CreationDate'] for b in s3.list_buckets()['Buckets']
                if b['Name'] == bucket)


def test_bucket_creation_date_is_real(s3, bucket_name):
    start = datetime.datetime.now(datetime.timezone.utc)
    s3.create_bucket(Bucket=bucket_name)
    end = datetime.datetime.now(datetime.timezone.utc)
    created = _creation_date(s3, bucket_name)
    slack = datetime.timedelta(seconds=1)   # listing precision is 1 ms
    assert start - slack <= created <= end + slack
    # Neither writes, nor configuration, nor re-creating move it.
    s3.put_object(Bucket=bucket_name, Key='k', Body=b'x')
    s3.put_bucket_versioning(Bucket=bucket_name,
                             VersioningConfiguration={'Status': 'Enabled'})
    s3.create_bucket(Bucket=bucket_name)    # us-east-1: 200, as on AWS
    assert _creation_date(s3, bucket_name) == created


def test_large_object_sizes_in_listings(s3, swift, bucket_name):
    url, auth = swift
    s3.create_bucket(Bucket=bucket_name)
    segments = bucket_name + '+segments'
    assert requests.put(f'{url}/{segments}', headers=auth,
                        timeout=10).status_code == 201
    etags = []
    for i, chunk in enumerate((b'a' * 1000, b'b' * 500)):
        resp = requests.put(f'{url}/{segments}/part/{i}', data=chunk,
                            headers=auth, timeout=10)
        etags.append(resp.headers['Etag'])
    resp = requests.put(f'{url}/{bucket_name}/dlo', data=b'', timeout=10,
                        headers={**auth,
                                 'X-Object-Manifest': f'{segments}/part/'})
    assert resp.status_code == 201
    manifest = [{'path': f'{segments}/part/{i}', 'etag': etag}
                for i, etag in enumerate(etags)]
    resp = requests.put(f'{url}/{bucket_name}/slo?multipart-manifest=put',
                        data=json.dumps(manifest), headers=auth, timeout=10)
    assert resp.status_code == 201
    s3.put_object(Bucket=bucket_name, Key='empty', Body=b'')

    head = {k: s3.head_object(Bucket=bucket_name, Key=k)
            for k in ('dlo', 'slo', 'empty')}
    assert [head[k]['ContentLength'] for k in ('dlo', 'slo', 'empty')] == \
        [1500, 1500, 0]
    for listing in (s3.list_objects(Bucket=bucket_name)['Contents'],
                    s3.list_objects_v2(Bucket=bucket_name)['Contents']):
        sizes = {o['Key']: o['Size'] for o in listing}
        assert sizes == {'dlo': 1500, 'slo': 1500, 'empty': 0}
        etags = {o['Key']: o['ETag'] for o in listing}
        assert etags['dlo'] == head['dlo']['ETag']
        assert etags['empty'] == head['empty']['ETag']
    # The segments container is Swift's business: not a bucket.
    assert segments not in [b['Name'] for b in s3.list_buckets()['Buckets']]


def test_internal_containers_hidden(s3, raw, swift, bucket_name):
    url, auth = swift
    s3.create_bucket(Bucket=bucket_name)
    s3.put_bucket_versioning(Bucket=bucket_name,
                             VersioningConfiguration={'Status': 'Enabled'})
    s3.put_object(Bucket=bucket_name, Key='k', Body=b'1')
    s3.put_object(Bucket=bucket_name, Key='k', Body=b'2')
    hidden = [bucket_name + '+segments', bucket_name.upper(),
              bucket_name + '_x', '.' + bucket_name]
    for name in hidden:
        assert requests.put(f'{url}/{name}', headers=auth,
                            timeout=10).status_code in (201, 202)
    names = [b['Name'] for b in s3.list_buckets()['Buckets']]
    assert bucket_name in names
    assert not set(hidden) & set(names)
    assert not [n for n in names if '\x00' in n or 'versions' in n
                and bucket_name in n and n != bucket_name]
    for name in hidden:
        resp = raw('GET', '/' + quote(name))
        assert (resp.status, resp.code) == (400, 'InvalidBucketName'), name


S3CMD_ATTRS = ('atime:1700000000/ctime:1700000000/gid:1000/gname:'
               + 'g' * 200 + '/md5:0123456789abcdef0123456789abcdef/'
               'mode:33188/mtime:1700000000/uid:1000/uname:' + 'u' * 200)


def test_long_metadata_within_aws_limits(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    meta = {'s3cmd-attrs': S3CMD_ATTRS, 'short': 'v',
            'long-' + 'n' * 150: 'x' * 300}
    assert len(S3CMD_ATTRS) > 256 and sum(
        len(k) + len(v) for k, v in meta.items()) <= 2048
    s3.put_object(Bucket=bucket_name, Key='k', Body=b'data', Metadata=meta)
    assert s3.head_object(Bucket=bucket_name, Key='k')['Metadata'] == meta
    got = s3.get_object(Bucket=bucket_name, Key='k')
    assert got['Metadata'] == meta
    # COPY keeps it, REPLACE replaces all of it.
    s3.copy_object(Bucket=bucket_name, Key='copy',
                   CopySource={'Bucket': bucket_name, 'Key': 'k'})
    assert s3.head_object(Bucket=bucket_name, Key='copy')['Metadata'] == meta
    s3.copy_object(Bucket=bucket_name, Key='copy', MetadataDirective='REPLACE',
                   CopySource={'Bucket': bucket_name, 'Key': 'k'},
                   Metadata={'new': 'only'})
    assert s3.head_object(Bucket=bucket_name, Key='copy')['Metadata'] == \
        {'new': 'only'}


def test_metadata_too_large(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket_name, Key='k', Body=b'data',
                      Metadata={'big': 'x' * 2100})
    assert exc.value.response['Error']['Code'] == 'MetadataTooLarge'
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket_name, Key='k')
    assert exc.value.response['ResponseMetadata']['HTTPStatusCode'] == 404


def test_delimiter_paging_resumes_after_a_common_prefix(s3, bucket_name):
    """s3cmd ls pages with NextMarker; a marker that is a CommonPrefix
    skips that prefix but not the keys right after it ('dir0')."""
    s3.create_bucket(Bucket=bucket_name)
    for key in ('dir/a', 'dir/b', 'dir0', 'e'):
        s3.put_object(Bucket=bucket_name, Key=key, Body=b'x')
    seen, marker = [], ''
    while True:
        page = s3.list_objects(Bucket=bucket_name, Delimiter='/', MaxKeys=1,
                               Marker=marker)
        seen += [c['Key'] for c in page.get('Contents', [])]
        seen += [p['Prefix'] for p in page.get('CommonPrefixes', [])]
        if not page['IsTruncated']:
            break
        marker = page['NextMarker']
    assert seen == ['dir/', 'dir0', 'e']
    seen, kwargs = [], {}
    while True:
        page = s3.list_objects_v2(Bucket=bucket_name, Delimiter='/',
                                  MaxKeys=1, **kwargs)
        seen += [c['Key'] for c in page.get('Contents', [])]
        seen += [p['Prefix'] for p in page.get('CommonPrefixes', [])]
        if not page['IsTruncated']:
            break
        kwargs = {'ContinuationToken': page['NextContinuationToken']}
    assert seen == ['dir/', 'dir0', 'e']
