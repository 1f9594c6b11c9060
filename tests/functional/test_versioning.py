"""S3 versioning on Swift's object versioning, through boto3 (real Swift)."""
from __future__ import annotations

import hashlib
import os
import pwd
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError
from swift3compat_dev.cluster import render_ini
from swift3compat_dev.proxy_spec import internal_client_sections
from tests.functional.raw_s3 import RawS3


@pytest.fixture
def s3_raw(s3_endpoint, s3_users):
    user = s3_users['test:tester']
    return RawS3(s3_endpoint, user.access_key, user.key)


def _code(exc: ClientError) -> str:
    return exc.response['Error']['Code']


def _status(exc: ClientError) -> int:
    return exc.response['ResponseMetadata']['HTTPStatusCode']


def _enable(s3, bucket: str) -> None:
    s3.put_bucket_versioning(Bucket=bucket,
                             VersioningConfiguration={'Status': 'Enabled'})


def _body(s3, bucket: str, key: str, **kwargs) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key, **kwargs)['Body'].read()


def _all_versions(s3, bucket: str, **kwargs) -> list:
    """(Key, VersionId, IsLatest, is_marker) of every version, one page."""
    resp = s3.list_object_versions(Bucket=bucket, **kwargs)
    out = [(v['Key'], v['VersionId'], v['IsLatest'], False)
           for v in resp.get('Versions', [])]
    out += [(m['Key'], m['VersionId'], m['IsLatest'], True)
            for m in resp.get('DeleteMarkers', [])]
    return sorted(out, key=lambda v: (v[0], -float(
        v[1] if v[1] != 'null' else 'inf')))


def test_versioning_configuration(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    resp = s3.get_bucket_versioning(Bucket=bucket_name)
    assert 'Status' not in resp
    _enable(s3, bucket_name)
    assert s3.get_bucket_versioning(Bucket=bucket_name)['Status'] == 'Enabled'
    s3.put_bucket_versioning(Bucket=bucket_name,
                             VersioningConfiguration={'Status': 'Suspended'})
    assert s3.get_bucket_versioning(
        Bucket=bucket_name)['Status'] == 'Suspended'
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_versioning(Bucket=bucket_name, VersioningConfiguration={
            'Status': 'Enabled', 'MFADelete': 'Enabled'}, MFA='123 456')
    assert _code(exc.value) == 'NotImplemented'
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_versioning(Bucket=bucket_name, VersioningConfiguration={
            'Status': 'enabled'})
    assert _code(exc.value) == 'MalformedXML'
    assert s3.get_bucket_versioning(
        Bucket=bucket_name)['Status'] == 'Suspended'
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_versioning(Bucket=bucket_name + '-nope',
                                 VersioningConfiguration={'Status': 'Enabled'})
    assert _code(exc.value) == 'NoSuchBucket'


def test_versioning_malformed_bodies(s3_raw, bucket_name, s3):
    s3.create_bucket(Bucket=bucket_name)
    for body in (b'', b'not xml', b'<Foo/>',
                 b'<VersioningConfiguration><Status>On</Status>'
                 b'</VersioningConfiguration>',
                 b'<VersioningConfiguration><Bogus/>'
                 b'</VersioningConfiguration>'):
        resp = s3_raw('PUT', f'/{bucket_name}?versioning', body=body)
        assert resp.status == 400, body
        assert resp.code in ('MalformedXML', 'MissingRequestBodyError'), body
    assert 'Status' not in s3.get_bucket_versioning(Bucket=bucket_name)


def test_version_ids_on_put_get_head_delete(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    _enable(s3, bucket_name)
    v1 = s3.put_object(Bucket=bucket_name, Key='k', Body=b'one')['VersionId']
    v2 = s3.put_object(Bucket=bucket_name, Key='k', Body=b'two')['VersionId']
    assert v1 and v2 and v1 != v2
    got = s3.get_object(Bucket=bucket_name, Key='k')
    assert got['Body'].read() == b'two' and got['VersionId'] == v2
    assert _body(s3, bucket_name, 'k', VersionId=v1) == b'one'
    head = s3.head_object(Bucket=bucket_name, Key='k', VersionId=v1)
    assert head['VersionId'] == v1 and head['ContentLength'] == 3
    assert head['ETag'] == '"%s"' % hashlib.md5(b'one').hexdigest()

    deleted = s3.delete_object(Bucket=bucket_name, Key='k')
    assert deleted['DeleteMarker'] is True
    marker = deleted['VersionId']
    assert marker not in (v1, v2)
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket_name, Key='k')
    assert _code(exc.value) == 'NoSuchKey'
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket_name, Key='k', VersionId=marker)
    assert _status(exc.value) == 405
    assert exc.value.response['ResponseMetadata']['HTTPHeaders'][
        'x-amz-delete-marker'] == 'true'
    assert _all_versions(s3, bucket_name) == [
        ('k', marker, True, True), ('k', v2, False, False),
        ('k', v1, False, False)]

    # Removing the delete marker brings the object back, as in S3.
    resp = s3.delete_object(Bucket=bucket_name, Key='k', VersionId=marker)
    assert resp['VersionId'] == marker and resp['DeleteMarker'] is True
    assert _body(s3, bucket_name, 'k') == b'two'
    # Removing the current version makes the previous one current.
    resp = s3.delete_object(Bucket=bucket_name, Key='k', VersionId=v2)
    assert resp['VersionId'] == v2 and 'DeleteMarker' not in resp
    got = s3.get_object(Bucket=bucket_name, Key='k')
    assert got['Body'].read() == b'one' and got['VersionId'] == v1
    assert _all_versions(s3, bucket_name) == [('k', v1, True, False)]
    # A version that does not exist: S3 answers 204 and changes nothing.
    s3.delete_object(Bucket=bucket_name, Key='k', VersionId=v2)
    assert _body(s3, bucket_name, 'k') == b'one'
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket_name, Key='k', VersionId=v2)
    assert _code(exc.value) == 'NoSuchVersion'
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket_name, Key='k', VersionId=v2)
    assert _status(exc.value) == 404


def test_invalid_version_ids(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    s3.put_object(Bucket=bucket_name, Key='k', Body=b'data')
    for version in ('garbage', '1e5', '1700000000.12345'):
        for call in (s3.get_object, s3.delete_object):
            with pytest.raises(ClientError) as exc:
                call(Bucket=bucket_name, Key='k', VersionId=version)
            assert _code(exc.value) == 'InvalidArgument', (call, version)
    # Unversioned bucket: the object is the null version.
    assert _body(s3, bucket_name, 'k', VersionId='null') == b'data'
    assert 'VersionId' not in s3.get_object(Bucket=bucket_name, Key='k')
    s3.delete_object(Bucket=bucket_name, Key='k', VersionId='null')
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket_name, Key='k')
    assert _status(exc.value) == 404


def test_null_version(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    s3.put_object(Bucket=bucket_name, Key='old', Body=b'before')
    _enable(s3, bucket_name)
    assert _all_versions(s3, bucket_name) == [('old', 'null', True, False)]
    got = s3.get_object(Bucket=bucket_name, Key='old', VersionId='null')
    assert got['Body'].read() == b'before' and got['VersionId'] == 'null'
    new = s3.put_object(Bucket=bucket_name, Key='old', Body=b'after')
    versions = _all_versions(s3, bucket_name)
    assert versions[0] == ('old', new['VersionId'], True, False)
    # Swift archives the null version under a timestamp id (a documented
    # difference from S3, which keeps "null").
    assert len(versions) == 2 and versions[1][1] != 'null'
    assert _body(s3, bucket_name, 'old', VersionId=versions[1][1]) == \
        b'before'
    # versionId=null still reads the null version Swift archived
    got = s3.get_object(Bucket=bucket_name, Key='old', VersionId='null')
    assert got['Body'].read() == b'before' and got['VersionId'] == 'null'
    assert s3.head_object(Bucket=bucket_name, Key='old',
                          VersionId='null')['ContentLength'] == 6
    # Tagging the new version moves its listing time past its version id:
    # it must not pass for the archived null version.
    s3.put_object_tagging(Bucket=bucket_name, Key='old',
                          VersionId=new['VersionId'],
                          Tagging={'TagSet': [{'Key': 't', 'Value': 'v'}]})
    # versionId=null deletes the archived null version, as S3 deletes its
    # null version; the current version stays.
    resp = s3.delete_object(Bucket=bucket_name, Key='old', VersionId='null')
    assert resp['VersionId'] == 'null'
    assert _body(s3, bucket_name, 'old') == b'after'
    assert _all_versions(s3, bucket_name) == [
        ('old', new['VersionId'], True, False)]
    # No null version left: nothing more is deleted.
    s3.delete_object(Bucket=bucket_name, Key='old', VersionId='null')
    assert _body(s3, bucket_name, 'old') == b'after'
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket_name, Key='old', VersionId='null')
    assert _code(exc.value) == 'NoSuchVersion'


def test_delete_current_archived_null_version(s3, bucket_name):
    """s3-tests' test_versioning_obj_plain_null_version_overwrite: the null
    version, current again after the newer version was deleted, is
    deleted by versionId=null; nothing is left."""
    s3.create_bucket(Bucket=bucket_name)
    s3.put_object(Bucket=bucket_name, Key='k', Body=b'fooz')
    _enable(s3, bucket_name)
    s3.put_object(Bucket=bucket_name, Key='k', Body=b'zzz')
    newer = s3.get_object(Bucket=bucket_name, Key='k')['VersionId']
    s3.delete_object(Bucket=bucket_name, Key='k', VersionId=newer)
    assert _body(s3, bucket_name, 'k') == b'fooz'
    s3.delete_object(Bucket=bucket_name, Key='k', VersionId='null')
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket_name, Key='k')
    assert _code(exc.value) == 'NoSuchKey'
    assert _all_versions(s3, bucket_name) == []
    s3.delete_bucket(Bucket=bucket_name)


def test_delete_null_version_restores_previous(s3, bucket_name):
    """Deleting the current null version makes the previous version
    current (the null version written while suspended)."""
    s3.create_bucket(Bucket=bucket_name)
    _enable(s3, bucket_name)
    v1 = s3.put_object(Bucket=bucket_name, Key='k', Body=b'one')['VersionId']
    s3.put_bucket_versioning(Bucket=bucket_name,
                             VersioningConfiguration={'Status': 'Suspended'})
    s3.put_object(Bucket=bucket_name, Key='k', Body=b'two')
    assert _body(s3, bucket_name, 'k') == b'two'
    s3.delete_object(Bucket=bucket_name, Key='k', VersionId='null')
    assert _body(s3, bucket_name, 'k') == b'one'
    assert _all_versions(s3, bucket_name) == [('k', v1, True, False)]


def test_suspended_bucket(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    _enable(s3, bucket_name)
    v1 = s3.put_object(Bucket=bucket_name, Key='k', Body=b'one')['VersionId']
    s3.put_bucket_versioning(Bucket=bucket_name,
                             VersioningConfiguration={'Status': 'Suspended'})
    s3.put_object(Bucket=bucket_name, Key='k', Body=b'two')
    s3.put_object(Bucket=bucket_name, Key='k', Body=b'three')
    assert _all_versions(s3, bucket_name) == [
        ('k', 'null', True, False), ('k', v1, False, False)]
    assert _body(s3, bucket_name, 'k', VersionId='null') == b'three'
    assert _body(s3, bucket_name, 'k', VersionId=v1) == b'one'


def test_list_object_versions_paging(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    s3.put_object(Bucket=bucket_name, Key='a', Body=b'a0')
    _enable(s3, bucket_name)
    for key in ('a', 'a', 'dir/x', 'dir/y', 'dir0', 'z'):
        s3.put_object(Bucket=bucket_name, Key=key, Body=key.encode())
    s3.delete_object(Bucket=bucket_name, Key='z')
    full = _all_versions(s3, bucket_name)
    assert len(full) == 8
    for max_keys in (1, 2, 3):
        seen, kwargs = [], {}
        while True:
            page = s3.list_object_versions(Bucket=bucket_name,
                                           MaxKeys=max_keys, **kwargs)
            items = page.get('Versions', []) + page.get('DeleteMarkers', [])
            assert len(items) <= max_keys
            seen += [(v['Key'], v['VersionId']) for v in items]
            if not page['IsTruncated']:
                break
            kwargs = {'KeyMarker': page['NextKeyMarker'],
                      'VersionIdMarker': page['NextVersionIdMarker']}
        assert sorted(seen) == sorted((k, v) for k, v, _l, _m in full)
        assert len(seen) == len(set(seen))

    # Delimiter: CommonPrefixes once, across pages, and 'dir0' not skipped.
    prefixes, keys, kwargs = [], [], {}
    while True:
        page = s3.list_object_versions(Bucket=bucket_name, Delimiter='/',
                                       MaxKeys=1, **kwargs)
        prefixes += [p['Prefix'] for p in page.get('CommonPrefixes', [])]
        keys += [v['Key'] for v in page.get('Versions', []) +
                 page.get('DeleteMarkers', [])]
        if not page['IsTruncated']:
            break
        kwargs = {'KeyMarker': page['NextKeyMarker']}
        if 'NextVersionIdMarker' in page:
            kwargs['VersionIdMarker'] = page['NextVersionIdMarker']
    assert prefixes == ['dir/']
    assert sorted(keys) == ['a', 'a', 'a', 'dir0', 'z', 'z']
    resp = s3.list_object_versions(Bucket=bucket_name, Prefix='dir/')
    assert sorted(v['Key'] for v in resp['Versions']) == ['dir/x', 'dir/y']
    with pytest.raises(ClientError) as exc:
        s3.list_object_versions(Bucket=bucket_name, VersionIdMarker='null')
    assert _code(exc.value) == 'InvalidArgument'


def test_copy_from_version(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    _enable(s3, bucket_name)
    v1 = s3.put_object(Bucket=bucket_name, Key='k', Body=b'one',
                       Metadata={'n': '1'})['VersionId']
    s3.put_object(Bucket=bucket_name, Key='k', Body=b'two')
    resp = s3.copy_object(Bucket=bucket_name, Key='copy', CopySource={
        'Bucket': bucket_name, 'Key': 'k', 'VersionId': v1})
    assert resp['CopySourceVersionId'] == v1
    assert resp['VersionId'] not in (None, v1)
    got = s3.get_object(Bucket=bucket_name, Key='copy')
    assert got['Body'].read() == b'one' and got['Metadata'] == {'n': '1'}
    # Copying an old version onto its own key restores it (an S3 idiom).
    s3.copy_object(Bucket=bucket_name, Key='k', CopySource={
        'Bucket': bucket_name, 'Key': 'k', 'VersionId': v1})
    assert _body(s3, bucket_name, 'k') == b'one'
    assert len(s3.list_object_versions(Bucket=bucket_name,
                                       Prefix='k')['Versions']) == 3
    marker = s3.delete_object(Bucket=bucket_name, Key='k')['VersionId']
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket_name, Key='x', CopySource={
            'Bucket': bucket_name, 'Key': 'k', 'VersionId': marker})
    assert _code(exc.value) == 'InvalidRequest'
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket_name, Key='x', CopySource={
            'Bucket': bucket_name, 'Key': 'k', 'VersionId': '1000000000.00000'})
    assert _code(exc.value) == 'NoSuchVersion'


def test_delete_objects_with_versions(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    _enable(s3, bucket_name)
    v1 = s3.put_object(Bucket=bucket_name, Key='a', Body=b'1')['VersionId']
    v2 = s3.put_object(Bucket=bucket_name, Key='a', Body=b'2')['VersionId']
    s3.put_object(Bucket=bucket_name, Key='b', Body=b'b')
    resp = s3.delete_objects(Bucket=bucket_name, Delete={'Objects': [
        {'Key': 'a', 'VersionId': v1}, {'Key': 'b'},
        {'Key': 'c', 'VersionId': 'bogus'}]})
    deleted = {d['Key']: d for d in resp['Deleted']}
    assert deleted['a']['VersionId'] == v1
    assert deleted['b']['DeleteMarker'] is True
    assert deleted['b']['DeleteMarkerVersionId']
    assert [(e['Key'], e['Code']) for e in resp['Errors']] == [
        ('c', 'InvalidArgument')]
    assert _all_versions(s3, bucket_name) == [
        ('a', v2, True, False),
        ('b', deleted['b']['DeleteMarkerVersionId'], True, True),
        ('b', _all_versions(s3, bucket_name)[2][1], False, False)]


def test_delete_versioned_bucket(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    s3.put_object(Bucket=bucket_name, Key='null-version', Body=b'x')
    _enable(s3, bucket_name)
    # Only a null version in the bucket: not empty, and still versioned
    # afterwards (Swift alone would drop its versions container here).
    with pytest.raises(ClientError) as exc:
        s3.delete_bucket(Bucket=bucket_name)
    assert _code(exc.value) == 'BucketNotEmpty'
    v = s3.put_object(Bucket=bucket_name, Key='k', Body=b'1')['VersionId']
    assert v != 'null'
    s3.delete_object(Bucket=bucket_name, Key='k')
    s3.delete_object(Bucket=bucket_name, Key='null-version',
                     VersionId='null')
    with pytest.raises(ClientError) as exc:
        s3.delete_bucket(Bucket=bucket_name)
    assert _code(exc.value) == 'BucketNotEmpty'
    for key, version, _latest, _marker in _all_versions(s3, bucket_name):
        s3.delete_object(Bucket=bucket_name, Key=key, VersionId=version)
    assert _all_versions(s3, bucket_name) == []
    s3.delete_bucket(Bucket=bucket_name)
    with pytest.raises(ClientError) as exc:
        s3.head_bucket(Bucket=bucket_name)
    assert _status(exc.value) == 404


# -- deleting every version leaves a bucket DeleteBucket deletes ---------------
def _nuke(s3, bucket: str) -> None:
    """s3-tests' teardown (nuke_bucket): DeleteObjects of every listed
    version, Quiet, then DeleteBucket."""
    resp = s3.list_object_versions(Bucket=bucket)
    objects = [{'Key': v['Key'], 'VersionId': v['VersionId']}
               for v in resp.get('Versions', []) +
               resp.get('DeleteMarkers', [])]
    if objects:
        out = s3.delete_objects(Bucket=bucket, Delete={
            'Objects': objects, 'Quiet': True})
        assert not out.get('Errors'), out['Errors']
    s3.delete_bucket(Bucket=bucket)


def _versioned_keys(s3, bucket: str, keys=('testobj', 'testobj-1'),
                    count: int = 5) -> None:
    s3.create_bucket(Bucket=bucket)
    _enable(s3, bucket)
    for key in keys:
        for n in range(count):
            s3.put_object(Bucket=bucket, Key=key, Body=b'content-%d' % n)


def test_delete_all_versions_then_bucket_in_a_loop(s3, make_bucket_name):
    """s3-tests' test_versioning_obj_list_marker and its teardown, again
    and again: no version symlink may stay behind."""
    for n in range(4):
        bucket = make_bucket_name('nuke%d' % n)
        _versioned_keys(s3, bucket)
        _nuke(s3, bucket)
        with pytest.raises(ClientError) as exc:
            s3.head_bucket(Bucket=bucket)
        assert _status(exc.value) == 404


def test_delete_same_versions_concurrently_then_bucket(s3_client_factory,
                                                       make_bucket_name):
    """Several clients delete the same versions at once (s3-tests'
    test_versioning_concurrent_multi_object_delete and its teardown):
    every one reports every version Deleted, and nothing stays behind."""
    clients = [s3_client_factory() for _ in range(4)]
    s3 = clients[0]
    for n in range(3):
        bucket = make_bucket_name('conc%d' % n)
        _versioned_keys(s3, bucket, keys=('k', 'k-1', 'l'), count=4)
        resp = s3.list_object_versions(Bucket=bucket)
        objects = [{'Key': v['Key'], 'VersionId': v['VersionId']}
                   for v in resp['Versions']]

        def delete(client, bucket=bucket, objects=objects):
            return client.delete_objects(Bucket=bucket,
                                         Delete={'Objects': objects})

        with ThreadPoolExecutor(len(clients)) as pool:
            results = list(pool.map(delete, clients))
        for result in results:
            assert not result.get('Errors'), result['Errors']
            assert len(result['Deleted']) == len(objects)
        assert 'Versions' not in s3.list_object_versions(Bucket=bucket)
        s3.delete_bucket(Bucket=bucket)


def test_delete_versions_one_by_one_concurrently_then_bucket(
        s3_client_factory, make_bucket_name):
    """DeleteObject ?versionId of one key's versions from several clients
    at once: a version already gone answers success, and DeleteBucket
    finds the bucket empty."""
    clients = [s3_client_factory() for _ in range(4)]
    s3 = clients[0]
    for n in range(3):
        bucket = make_bucket_name('one%d' % n)
        _versioned_keys(s3, bucket, keys=('k',), count=6)
        versions = [v['VersionId'] for v in
                    s3.list_object_versions(Bucket=bucket)['Versions']]

        def delete(client, bucket=bucket, versions=versions):
            # each client walks the versions from another end
            order = versions if clients.index(client) % 2 else \
                list(reversed(versions))
            return [client.delete_object(Bucket=bucket, Key='k',
                                         VersionId=v)['VersionId']
                    for v in order]

        with ThreadPoolExecutor(len(clients)) as pool:
            for deleted in pool.map(delete, clients):
                assert sorted(deleted) == sorted(versions)
        assert 'Versions' not in s3.list_object_versions(Bucket=bucket)
        s3.delete_bucket(Bucket=bucket)


def test_a_link_to_a_version_that_is_gone_is_removed(s3, swift_cluster,
                                                     bucket_name, tmp_path):
    """The state two clients deleting one key's versions at once can leave
    (one re-points the key at the version the other is deleting): the
    key's link names a version that is gone.  No listing of versions shows
    it; the next version delete of the key removes it and makes the newest
    remaining version current, and deleting every listed version leaves a
    bucket DeleteBucket deletes."""
    from swift.common.internal_client import InternalClient
    from swift.common.utils import set_swift_dir
    from swift3compat import objectlock
    s3.create_bucket(Bucket=bucket_name)
    _enable(s3, bucket_name)
    ids = [s3.put_object(Bucket=bucket_name, Key='k',
                         Body=b'%d' % n)['VersionId'] for n in range(3)]
    conf = tmp_path / 'internal-client.conf'
    conf.write_text(render_ini(internal_client_sections(
        swift_cluster.etc_dir, swift_cluster.memcache_servers,
        pwd.getpwuid(os.geteuid()).pw_name)))
    set_swift_dir(swift_cluster.etc_dir)
    client = InternalClient(str(conf), 'test', 1)
    # the current version's data goes, its link stays
    client.make_request(
        'DELETE', objectlock.versions_object_path('AUTH_test', bucket_name,
                                                  'k', ids[2]),
        {'X-Backend-Allow-Reserved-Names': 'true'}, (2,))
    assert [v[1] for v in _all_versions(s3, bucket_name)] == [ids[1], ids[0]]
    with pytest.raises(ClientError):
        s3.get_object(Bucket=bucket_name, Key='k')
    s3.delete_object(Bucket=bucket_name, Key='k', VersionId=ids[0])
    assert _body(s3, bucket_name, 'k') == b'1'
    assert _all_versions(s3, bucket_name) == [('k', ids[1], True, False)]
    s3.delete_object(Bucket=bucket_name, Key='k', VersionId=ids[1])
    assert _all_versions(s3, bucket_name) == []
    s3.delete_bucket(Bucket=bucket_name)


def test_object_attributes_of_versions(s3, bucket_name):
    """GetObjectAttributes answers x-amz-version-id and reads the version
    versionId names (s3-tests' test_get_versioned_object_attributes)."""
    attrs = ['ETag', 'ObjectSize']
    s3.create_bucket(Bucket=bucket_name)
    s3.put_object(Bucket=bucket_name, Key='k', Body=b'null')
    plain = s3.get_object_attributes(Bucket=bucket_name, Key='k',
                                     ObjectAttributes=attrs)
    assert 'VersionId' not in plain
    _enable(s3, bucket_name)
    first = s3.put_object(Bucket=bucket_name, Key='k', Body=b'foo')
    s3.put_object(Bucket=bucket_name, Key='k', Body=b'longer')
    current = s3.get_object_attributes(Bucket=bucket_name, Key='k',
                                       ObjectAttributes=attrs)
    assert current['ObjectSize'] == 6 and current['VersionId'] != \
        first['VersionId']
    old = s3.get_object_attributes(Bucket=bucket_name, Key='k',
                                   VersionId=first['VersionId'],
                                   ObjectAttributes=attrs)
    assert old['VersionId'] == first['VersionId']
    assert old['ObjectSize'] == 3
    assert old['ETag'] == first['ETag'].strip('"')
    marker = s3.delete_object(Bucket=bucket_name, Key='k')['VersionId']
    with pytest.raises(ClientError) as exc:
        s3.get_object_attributes(Bucket=bucket_name, Key='k',
                                 ObjectAttributes=attrs)
    assert _code(exc.value) == 'NoSuchKey'
    assert exc.value.response['ResponseMetadata']['HTTPHeaders'][
        'x-amz-delete-marker'] == 'true'
    with pytest.raises(ClientError) as exc:
        s3.get_object_attributes(Bucket=bucket_name, Key='k',
                                 VersionId=marker, ObjectAttributes=attrs)
    assert _status(exc.value) == 405
    with pytest.raises(ClientError) as exc:
        s3.get_object_attributes(Bucket=bucket_name, Key='k',
                                 VersionId='1700000000.12345',
                                 ObjectAttributes=attrs)
    assert _code(exc.value) == 'NoSuchVersion'
