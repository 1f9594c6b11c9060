"""No orphaned bytes: every segment is referenced by a live manifest (any
version) or by an upload in progress, once the collector has run.

Issue 13 found 16 parts (48 MiB) in ten small scenarios left in
``<bucket>+segments`` where nothing in S3 could see or delete them. Each
scenario here ends with ``collect_garbage`` (the sweeper's segment collector
with no grace period) and then counts what is orphaned, through the native
Swift API of the account.
"""
from __future__ import annotations

import json
import os
from typing import Callable

import pytest
from lxml import etree

from tests.multiproxy.helpers import (complete, complete_body, completed_etag,
                                      create_upload, multipart_object, upload_parts)

SEGMENTS = '+segments'


def _manifest_segments(native, container: str, name: str, version: str = '') -> set:
    params = {'multipart-manifest': 'get'}
    if version:
        params['version-id'] = version
    resp = native.call('GET', '/%s/%s' % (container, _q(name)), params=params)
    if resp.status_code != 200 or resp.headers.get('X-Static-Large-Object') != 'True':
        return set()
    return {segment['name'].split('/', 2)[2] for segment in json.loads(resp.content)}


def _q(name: str) -> str:
    from urllib.parse import quote
    return quote(name, safe='')


def orphans(native, bucket: str) -> tuple[list[str], int]:
    """(names, bytes) of ``bucket``'s segments nothing references."""
    segments = native.listing(bucket + SEGMENTS)
    if not segments:
        return [], 0
    exists = native.call('HEAD', '/' + bucket).status_code == 204
    in_progress = {e['name'].rsplit('\x01', 1)[1] for e in segments
                   if e['name'].startswith('u/')} if exists else set()
    referenced: set = set()
    if exists:
        entries = native.listing(bucket, versions='')
        for entry in entries:
            if entry.get('content_type') == 'application/x-deleted;swift_deleted=1':
                continue
            referenced |= _manifest_segments(native, bucket, entry['name'],
                                             entry.get('version_id', ''))
    lost = [e for e in segments if e['name'].startswith('p/') and
            e['name'] not in referenced and
            e['name'].split('/')[1] not in in_progress]
    if not exists:      # the whole container of a deleted bucket
        lost = segments
    return [e['name'] for e in lost], sum(e['bytes'] for e in lost)


@pytest.fixture
def collect_garbage(internal_client, bucket) -> Callable[[], object]:
    """Run the segment collector on the test's bucket, without grace period."""
    from swift3compat.sweeper.segments import SegmentCollector

    def run():
        return SegmentCollector(internal_client, '.swift3compat', grace=0) \
            .collect_bucket('AUTH_test', bucket)
    return run


def _collect_and_check(native, bucket: str, collect_garbage) -> None:
    before = orphans(native, bucket)
    print(f'\norphaned before the collector: {len(before[0])} segments, '
          f'{before[1]} bytes')
    collect_garbage()
    assert orphans(native, bucket) == ([], 0)


def _versioning(raw, bucket: str, status: str) -> None:
    body = (f'<VersioningConfiguration><Status>{status}</Status>'
            '</VersioningConfiguration>').encode()
    resp = raw.send('PUT', f'/{bucket}', params=[('versioning', '')], body=body)
    assert resp.status == 200, resp


def _version_ids(raw, bucket: str, key: str) -> list[str]:
    resp = raw.send('GET', f'/{bucket}', params=[('versions', '')])
    root = etree.fromstring(resp.body)
    return [v.findtext('{*}VersionId') for v in root.iter('{*}Version')
            if v.findtext('{*}Key') == key]


def _put_over(raw, bucket):
    raw.send('PUT', f'/{bucket}/obj', body=b'plain')


def _copy_over(raw, bucket):
    assert raw.send('PUT', f'/{bucket}/src', body=b'source').status == 200
    resp = raw.send('PUT', f'/{bucket}/obj', headers={'x-amz-copy-source': f'/{bucket}/src'})
    assert resp.status == 200, resp


def _delete_objects(raw, bucket):
    body = b'<Delete><Object><Key>obj</Key></Object></Delete>'
    import base64
    import hashlib
    resp = raw.send('POST', f'/{bucket}', params=[('delete', '')], body=body, headers={
        'content-md5': base64.b64encode(hashlib.md5(body).digest()).decode()})
    assert resp.status == 200 and b'<Deleted>' in resp.body, resp


def _delete_object(raw, bucket):
    assert raw.send('DELETE', f'/{bucket}/obj').status == 204


def _complete_over(raw, bucket):
    multipart_object(raw, bucket, 'obj', parts=2)


SCENARIOS = {'put-over': _put_over, 'copy-over': _copy_over,
             'delete-objects': _delete_objects, 'delete-object': _delete_object,
             'complete-over': _complete_over}


@pytest.mark.parametrize('name', ['delete-object', 'delete-objects'])
def test_deletes_through_the_other_proxy_take_the_parts_at_once(
        raws, bucket, swift_native, name):
    """The bucket's Multipart flag, set by a Complete through one proxy, is
    seen by a delete through the other, whose memcache view of the bucket
    predates it (Swift's container POST clears the shared entry): nothing
    is left for the collector."""
    raw_a, raw_b = raws
    assert raw_b.send('PUT', f'/{bucket}/plain', body=b'x').status == 200
    assert raw_b.send('DELETE', f'/{bucket}/plain').status == 204
    multipart_object(raw_a, bucket, 'obj')
    SCENARIOS[name](raw_b, bucket)
    assert orphans(swift_native, bucket) == ([], 0)


@pytest.mark.parametrize('name', list(SCENARIOS))
def test_overwritten_or_deleted_multipart_object(raws, bucket, swift_native,
                                                 collect_garbage, name):
    raw_a, raw_b = raws
    multipart_object(raw_a, bucket, 'obj')
    SCENARIOS[name](raw_b, bucket)
    _collect_and_check(swift_native, bucket, collect_garbage)


def test_versioned_delete_by_version_id(raws, bucket, swift_native, collect_garbage):
    raw_a, raw_b = raws
    _versioning(raw_a, bucket, 'Enabled')
    multipart_object(raw_a, bucket, 'obj')
    multipart_object(raw_a, bucket, 'obj')
    for version in _version_ids(raw_a, bucket, 'obj'):
        resp = raw_b.send('DELETE', f'/{bucket}/obj', params=[('versionId', version)])
        assert resp.status == 204, resp
    _collect_and_check(swift_native, bucket, collect_garbage)


def test_suspended_bucket_null_version_replaced(raws, bucket, swift_native,
                                                collect_garbage):
    raw_a, raw_b = raws
    _versioning(raw_a, bucket, 'Enabled')
    _versioning(raw_a, bucket, 'Suspended')
    multipart_object(raw_a, bucket, 'obj')          # the null version
    assert raw_b.send('PUT', f'/{bucket}/obj', body=b'new null').status == 200
    multipart_object(raw_a, bucket, 'obj2')
    assert raw_b.send('DELETE', f'/{bucket}/obj2').status == 204
    _collect_and_check(swift_native, bucket, collect_garbage)


def test_deleted_bucket_uploads_never_come_back(raws, bucket, swift_native,
                                                collect_garbage):
    raw_a, raw_b = raws
    upload_id = create_upload(raw_a, bucket, 'obj')
    upload_parts(raw_a, bucket, 'obj', upload_id, [os.urandom(3000)])
    resp = raw_b.send('DELETE', f'/{bucket}')
    assert resp.status == 204, resp
    _collect_and_check(swift_native, bucket, collect_garbage)
    assert raw_a.send('PUT', f'/{bucket}').status == 200
    listed = raw_b.send('GET', f'/{bucket}', params=[('uploads', '')])
    assert listed.status == 200 and upload_id.encode() not in listed.body, listed
    gone = raw_b.send('GET', f'/{bucket}/obj', params=[('uploadId', upload_id)])
    assert gone.status == 404 and gone.code == 'NoSuchUpload', gone


def test_collector_keeps_what_is_live(raws, bucket, swift_native, collect_garbage):
    """The collector removes nothing an object or an upload still needs."""
    raw_a, raw_b = raws
    content = multipart_object(raw_a, bucket, 'obj')
    upload_id = create_upload(raw_b, bucket, 'pending')
    etags = upload_parts(raw_b, bucket, 'pending', upload_id, [b'p1', b'p2'])
    collect_garbage()
    assert raw_a.send('GET', f'/{bucket}/obj').body == content
    done = complete(raw_b, bucket, 'pending', upload_id, complete_body(etags, [1, 2]))
    assert completed_etag(done), done
    assert raw_a.send('GET', f'/{bucket}/pending').body == b'p1p2'


def test_collector_keeps_old_versions(raws, bucket, swift_native, collect_garbage):
    """Parts of noncurrent versions are live: GET by versionId still works."""
    raw_a, raw_b = raws
    _versioning(raw_a, bucket, 'Enabled')
    first = multipart_object(raw_a, bucket, 'obj')
    second = multipart_object(raw_b, bucket, 'obj')
    assert raw_a.send('DELETE', f'/{bucket}/obj').status == 204     # a delete marker
    collect_garbage()
    versions = _version_ids(raw_a, bucket, 'obj')
    bodies = {raw_b.send('GET', f'/{bucket}/obj', params=[('versionId', v)]).body
              for v in versions}
    assert bodies == {first, second}
    assert orphans(swift_native, bucket) == ([], 0)


def test_deleted_bucket_recreated_before_the_collector(raws, bucket):
    """DeleteBucket itself drops the markers: no collector run needed."""
    raw_a, raw_b = raws
    upload_id = create_upload(raw_a, bucket, 'obj')
    upload_parts(raw_a, bucket, 'obj', upload_id, [b'part'])
    assert raw_b.send('DELETE', f'/{bucket}').status == 204
    assert raw_a.send('PUT', f'/{bucket}').status == 200
    listed = raw_b.send('GET', f'/{bucket}', params=[('uploads', '')])
    assert listed.status == 200 and upload_id.encode() not in listed.body, listed


def test_report_and_collect_through_the_registry(raws, bucket, swift_native,
                                                 internal_client, swift_cluster,
                                                 tmp_path):
    """swift3compat-segments finds the bucket in the registry the proxy wrote:
    --report counts per account and deletes nothing; a run collects."""
    import subprocess
    import sys

    from swift3compat_dev.cluster import render_ini
    raw_a, raw_b = raws
    multipart_object(raw_a, bucket, 'obj')
    assert raw_b.send('PUT', f'/{bucket}/obj', body=b'plain').status == 200
    before = orphans(swift_native, bucket)
    assert before[0], 'the scenario leaves orphans for the collector'
    conf = tmp_path / 'sweeper.conf'
    conf.write_text(render_ini([
        ('DEFAULT', {'swift_dir': swift_cluster.etc_dir}),
        ('filter:swift3', {'use': 'egg:swift3compat#swift3'}),
        ('swift3compat-lifecycle', {'internal_client_conf_path':
                                    internal_client.conf_path}),
    ]))

    def run(*args: str) -> str:
        proc = subprocess.run([sys.executable, '-m', 'swift3compat.sweeper.segments',
                               str(conf), '--grace', '0', *args],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout
    report = run('--report')
    assert 'AUTH_test orphaned: ' in report, report
    assert orphans(swift_native, bucket) == before          # nothing deleted
    run()
    assert orphans(swift_native, bucket) == ([], 0)
    assert raw_a.send('GET', f'/{bucket}/obj').body == b'plain'

