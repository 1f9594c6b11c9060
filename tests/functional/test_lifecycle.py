"""Lifecycle configuration, x-amz-expiration, X-Delete-At on new objects and
the swift3compat-lifecycle sweeper, against a real Swift cluster.

The proxy here runs with ``lifecycle_day_seconds = 2``: a rule of N days
expires an object at the first multiple of 2 seconds after creation + 2N
seconds.  Tests wait for such moments to pass (they never assert how long
anything took) and then look at what Swift holds.
"""
from __future__ import annotations

import base64
import collections
import hashlib
import json
import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Dict, List, Optional

import pytest
import requests
from botocore.exceptions import ClientError
from tests.functional.raw_s3 import RawS3

from swift.common.internal_client import InternalClient
from swift.common.utils import readconf, set_swift_dir

from swift3compat_dev.cluster import Cluster, Proxy, render_ini
from swift3compat_dev.proxy_spec import internal_client_sections
from swift3compat.swift.expiry import EXPIRY_SYSMETA, REGISTRY_CONTAINER
from swift3compat.sweeper.lifecycle import STATE_SYSMETA, owned

DAY = 2
REGISTRY = '.swift3compat'
ACCOUNT = 'AUTH_test'


def _code(exc: pytest.ExceptionInfo) -> str:
    return exc.value.response['Error']['Code']


def _md5(body: bytes) -> str:
    return base64.b64encode(hashlib.md5(body).digest()).decode()


def rule(rule_id: str, days: Optional[int] = None, prefix: str = '',
         tags: Optional[Dict[str, str]] = None, **actions: Any) -> dict:
    if tags:
        conditions = [{'Key': k, 'Value': v} for k, v in tags.items()]
        rule_filter: dict = {'And': {'Prefix': prefix, 'Tags': conditions}} \
            if prefix or len(conditions) > 1 else {'Tag': conditions[0]}
    else:
        rule_filter = {'Prefix': prefix}
    out = {'ID': rule_id, 'Status': 'Enabled', 'Filter': rule_filter}
    if days is not None:
        out['Expiration'] = {'Days': days}
    out.update(actions)
    return out


def wait_past(epoch: float) -> None:
    time.sleep(max(0.0, epoch - time.time() + 0.5))


def next_expiry(created: float, days: int) -> float:
    """Latest moment an object created at or before ``created`` with an
    N-day rule expires (the proxy rounds up to a multiple of DAY)."""
    return (int((created + days * DAY) // DAY) + 1) * DAY


# -- fixtures -------------------------------------------------------------------------
@pytest.fixture(scope='module')
def lc_proxy(proxy_factory: Callable[..., Proxy]) -> Proxy:
    return proxy_factory('swift3compat', storage_domain='localhost',
                         s3_acl='true', lifecycle_day_seconds=str(DAY))


@pytest.fixture(scope='module')
def s3(s3_client_factory, lc_proxy):
    return s3_client_factory(proxy=lc_proxy)


@pytest.fixture
def bucket(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    return bucket_name


@pytest.fixture(scope='module')
def swift(lc_proxy) -> Callable[..., requests.Response]:
    """``swift(method, path, **kwargs)``: the native Swift API of test:tester
    on the lifecycle proxy (paths below the account)."""
    auth = requests.get(lc_proxy.url + '/auth/v1.0', timeout=10, headers={
        'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing'})
    url, token = auth.headers['X-Storage-Url'], auth.headers['X-Auth-Token']

    def call(method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop('headers', {}), **{'X-Auth-Token': token})
        return requests.request(method, url + path, headers=headers,
                                timeout=30, **kwargs)
    return call


@dataclass
class SweeperRun:
    returncode: int
    output: str
    stats: Dict[str, int]

    def of(self, bucket: str) -> Dict[str, int]:
        """What the pass did in ``bucket`` (the sweeper logs each bucket
        where it did something)."""
        return _stats(self.output, 'lifecycle swept %s/%s:' % (ACCOUNT,
                                                               bucket))


@pytest.fixture(scope='module')
def sweeper_conf(swift_cluster: Cluster, tmp_path_factory) -> Callable[..., str]:
    """``sweeper_conf(**section_options) -> path`` of a sweeper config
    (``[filter:swift3]`` like the proxy's, or ``[filter:<s3_section>]``, and
    ``[swift3compat-lifecycle]``)."""
    directory = tmp_path_factory.mktemp('sweeper')
    default = {'swift_dir': swift_cluster.etc_dir, 'user': _user(),
               'log_custom_handlers':
                   'swift3compat_dev.cluster.drop_syslog_handlers'}
    internal = directory / 'internal-client.conf'
    internal.write_text(render_ini(internal_client_sections(
        swift_cluster.etc_dir, swift_cluster.memcache_servers, _user())))
    serial = iter(range(10 ** 6))

    def write(s3_section: str = 'swift3', **options: str) -> str:
        path = directory / ('sweeper-%d.conf' % next(serial))
        path.write_text(render_ini([
            ('DEFAULT', default),
            ('filter:' + s3_section, {'use': 'egg:swift3compat#swift3',
                                      'lifecycle_day_seconds': str(DAY)}),
            ('swift3compat-lifecycle', {
                'internal_client_conf_path': str(internal), **options}),
        ]))
        return str(path)
    return write


def _user() -> str:
    return pwd.getpwuid(os.geteuid()).pw_name


def _stats(output: str, label: str = 'lifecycle pass done:'
           ) -> Dict[str, int]:
    for line in output.splitlines():
        if label in line:
            text = line.split(label, 1)[1]
            return {k: int(v) for k, v in
                    (item.split('=') for item in text.split())}
    return collections.defaultdict(int)


def _command(conf: str) -> List[str]:
    return [sys.executable, '-m', 'swift3compat.sweeper', conf, '--once',
            '-v']


@pytest.fixture(scope='module')
def sweep(sweeper_conf) -> Callable[..., SweeperRun]:
    """``sweep(**section_options)``: run the sweeper once; its stats."""
    def run(**options: str) -> SweeperRun:
        proc = subprocess.run(_command(sweeper_conf(**options)),
                              capture_output=True, text=True, timeout=300)
        output = proc.stdout + proc.stderr
        assert proc.returncode == 0, output
        stats = _stats(output)
        assert stats, output
        assert stats['errors'] == 0, output
        return SweeperRun(proc.returncode, output, stats)
    return run


@pytest.fixture(scope='module')
def internal(sweeper_conf):
    """An InternalClient on the cluster (for the registry's state)."""
    conf = readconf(sweeper_conf(), 'swift3compat-lifecycle')
    set_swift_dir(conf['swift_dir'])
    return InternalClient(conf['internal_client_conf_path'], 'test', 1)


def _listed(s3, bucket: str) -> List[str]:
    return [o['Key'] for o in s3.list_objects_v2(Bucket=bucket).get(
        'Contents', [])]


# -- the configuration ----------------------------------------------------------------
def test_lifecycle_configuration_round_trip(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert _code(exc) == 'NoSuchLifecycleConfiguration'
    rules = [
        rule('logs', 30, prefix='logs/'),
        rule('tmp', 1, tags={'tmp': 'yes'}),
        {'ID': 'old', 'Status': 'Disabled',
         'Filter': {'And': {'Prefix': 'a/', 'Tags': [
             {'Key': 'k', 'Value': 'v'}],
             'ObjectSizeGreaterThan': 10, 'ObjectSizeLessThan': 100}},
         'NoncurrentVersionExpiration': {'NoncurrentDays': 3,
                                         'NewerNoncurrentVersions': 2}},
        {'ID': 'markers', 'Status': 'Enabled', 'Filter': {},
         'Expiration': {'ExpiredObjectDeleteMarker': True},
         'AbortIncompleteMultipartUpload': {'DaysAfterInitiation': 7}},
        {'ID': 'dated', 'Status': 'Enabled', 'Filter': {'Prefix': 'd/'},
         'Expiration': {'Date': '2030-01-01T00:00:00Z'}},
    ]
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={'Rules': rules})
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)['Rules']
    assert [r['ID'] for r in got] == [r['ID'] for r in rules]
    assert got[0]['Filter'] == {'Prefix': 'logs/'}
    assert got[0]['Expiration'] == {'Days': 30}
    assert got[1]['Filter'] == {'Tag': {'Key': 'tmp', 'Value': 'yes'}}
    assert got[2]['Filter'] == rules[2]['Filter']
    assert got[2]['Status'] == 'Disabled'
    assert got[2]['NoncurrentVersionExpiration'] == {
        'NoncurrentDays': 3, 'NewerNoncurrentVersions': 2}
    assert got[3]['Expiration'] == {'ExpiredObjectDeleteMarker': True}
    assert got[3]['AbortIncompleteMultipartUpload'] == {
        'DaysAfterInitiation': 7}
    assert got[4]['Expiration']['Date'].isoformat() == \
        '2030-01-01T00:00:00+00:00'
    resp = s3.delete_bucket_lifecycle(Bucket=bucket)
    assert resp['ResponseMetadata']['HTTPStatusCode'] == 204
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert _code(exc) == 'NoSuchLifecycleConfiguration'
    s3.head_bucket(Bucket=bucket)


@pytest.mark.parametrize('rules,code', [
    ([rule('r', 0)], 'InvalidArgument'),
    ([rule('r', 1), rule('r', 2)], 'InvalidArgument'),
    ([{'ID': 'r', 'Status': 'Enabled', 'Filter': {}}], 'InvalidRequest'),
    ([{'ID': 'r', 'Status': 'Enabled', 'Filter': {},
       'Transitions': [{'Days': 30, 'StorageClass': 'GLACIER'}]}],
     'NotImplemented'),
    # a transition AWS refuses is its 400 (boto3 reads '20220927' as epoch
    # seconds: not at midnight), before the transition's 501
    ([{'ID': 'r', 'Status': 'Enabled', 'Filter': {},
       'Expiration': {'Date': '2030-01-01'},
       'Transitions': [{'Date': '20220927', 'StorageClass': 'GLACIER'}]}],
     'InvalidArgument'),
    ([{'ID': 'r', 'Status': 'Enabled', 'Filter': {},
       'Transitions': [{'Days': -1, 'StorageClass': 'GLACIER'}]}],
     'InvalidArgument'),
    ([{'ID': 'r', 'Status': 'Enabled', 'Filter': {},
       'Expiration': {'Date': '2030-01-01T12:00:00Z'}}], 'InvalidArgument'),
])
def test_invalid_configuration(s3, bucket, rules, code):
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_lifecycle_configuration(
            Bucket=bucket, LifecycleConfiguration={'Rules': rules})
    assert _code(exc) == code
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert _code(exc) == 'NoSuchLifecycleConfiguration'


def test_configuration_needs_an_integrity_header(s3, bucket, lc_proxy,
                                                 s3_users):
    user = s3_users['test:tester']
    raw = RawS3('http://localhost:%d' % lc_proxy.port, user.access_key,
                user.key)
    body = (b'<LifecycleConfiguration><Rule><Filter/><Status>Enabled'
            b'</Status><Expiration><Days>1</Days></Expiration></Rule>'
            b'</LifecycleConfiguration>')
    resp = raw('PUT', '/%s?lifecycle' % bucket, body=body)
    assert (resp.status, resp.code) == (400, 'InvalidRequest')
    resp = raw('PUT', '/%s?lifecycle' % bucket, body=b'<x/>',
               headers={'Content-MD5': _md5(b'<x/>')})
    assert (resp.status, resp.code) == (400, 'MalformedXML')
    resp = raw('PUT', '/%s?lifecycle' % bucket, body=body,
               headers={'Content-MD5': _md5(body)})
    assert resp.status == 200


def test_only_the_owner_configures(s3_client_factory, lc_proxy, s3, bucket):
    other = s3_client_factory('test2:tester2', proxy=lc_proxy)
    with pytest.raises(ClientError) as exc:
        other.put_bucket_lifecycle_configuration(
            Bucket=bucket, LifecycleConfiguration={'Rules': [rule('r', 1)]})
    assert _code(exc) in ('AccessDenied', 'NoSuchBucket')
    with pytest.raises(ClientError) as exc:
        other.delete_bucket_lifecycle(Bucket=bucket)
    assert _code(exc) in ('AccessDenied', 'NoSuchBucket')


# -- new objects ------------------------------------------------------------------------
def test_expiration_header_and_delete_at(s3, swift, bucket):
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={'Rules': [
            rule('short', 1, prefix='tmp/'), rule('long', 100)]})
    created = time.time()
    put = s3.put_object(Bucket=bucket, Key='tmp/a', Body=b'x')
    assert 'rule-id="short"' in put['Expiration']
    head = s3.head_object(Bucket=bucket, Key='tmp/a')
    assert head['Expiration'] == put['Expiration']
    got = s3.get_object(Bucket=bucket, Key='tmp/a')
    assert got['Expiration'] == put['Expiration']
    delete_at = int(swift('HEAD', '/%s/tmp/a' % bucket).headers[
        'X-Delete-At'])
    assert delete_at % DAY == 0
    assert created + DAY <= delete_at <= next_expiry(time.time(), 1)
    expiry_date = head['Expiration'].split('"')[1]
    assert parsedate_to_datetime(expiry_date).timestamp() == delete_at
    other = s3.put_object(Bucket=bucket, Key='keep', Body=b'y')
    assert 'rule-id="long"' in other['Expiration']


def test_no_rule_no_expiry(s3, swift, bucket):
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={'Rules': [
            rule('logs', 1, prefix='logs/'),
            {'ID': 'off', 'Status': 'Disabled', 'Filter': {},
             'Expiration': {'Days': 1}}]})
    put = s3.put_object(Bucket=bucket, Key='data/a', Body=b'x')
    assert 'Expiration' not in put
    assert 'Expiration' not in s3.head_object(Bucket=bucket, Key='data/a')
    assert 'X-Delete-At' not in swift('HEAD', '/%s/data/a' % bucket).headers


def test_tags_decide_and_tag_changes_restamp(s3, swift, bucket):
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={'Rules': [
            rule('tmp', 50, tags={'tmp': 'yes'})]})
    s3.put_object(Bucket=bucket, Key='a', Body=b'x', Metadata={'m': '1'})
    assert 'X-Delete-At' not in swift('HEAD', '/%s/a' % bucket).headers
    before = s3.head_object(Bucket=bucket, Key='a')
    s3.put_object_tagging(Bucket=bucket, Key='a', Tagging={'TagSet': [
        {'Key': 'tmp', 'Value': 'yes'}]})
    stamped = swift('HEAD', '/%s/a' % bucket).headers
    assert 'X-Delete-At' in stamped
    after = s3.head_object(Bucket=bucket, Key='a')
    assert 'rule-id="tmp"' in after['Expiration']
    assert (after['LastModified'], after['ETag'], after['Metadata']) == (
        before['LastModified'], before['ETag'], before['Metadata'])
    s3.delete_object_tagging(Bucket=bucket, Key='a')
    assert 'X-Delete-At' not in swift('HEAD', '/%s/a' % bucket).headers
    assert 'Expiration' not in s3.head_object(Bucket=bucket, Key='a')
    s3.put_object(Bucket=bucket, Key='b', Body=b'x', Tagging='tmp=yes')
    assert 'X-Delete-At' in swift('HEAD', '/%s/b' % bucket).headers


def test_swift_users_delete_at_survives_tagging(s3, swift, bucket):
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={'Rules': [
            rule('tmp', 50, tags={'tmp': 'yes'})]})
    s3.put_object(Bucket=bucket, Key='a', Body=b'x')
    mine = str(int(time.time()) + 100000)
    assert swift('POST', '/%s/a' % bucket,
                 headers={'X-Delete-At': mine}).status_code == 202
    s3.put_object_tagging(Bucket=bucket, Key='a', Tagging={'TagSet': [
        {'Key': 'tmp', 'Value': 'yes'}]})
    assert swift('HEAD', '/%s/a' % bucket).headers['X-Delete-At'] == mine


def test_copy_gets_the_destination_rules(s3, swift, bucket,
                                         make_bucket_name):
    plain = make_bucket_name('plain')
    s3.create_bucket(Bucket=plain)
    s3.put_object(Bucket=plain, Key='src', Body=b'x')
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={'Rules': [rule('r', 50)]})
    resp = s3.copy_object(Bucket=bucket, Key='dst',
                          CopySource={'Bucket': plain, 'Key': 'src'})
    assert 'rule-id="r"' in resp['Expiration']
    assert 'X-Delete-At' in swift('HEAD', '/%s/dst' % bucket).headers
    assert 'X-Delete-At' not in swift('HEAD', '/%s/src' % plain).headers


def test_versioned_buckets_are_not_stamped(s3, swift, bucket):
    s3.put_bucket_versioning(Bucket=bucket,
                             VersioningConfiguration={'Status': 'Enabled'})
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={'Rules': [rule('r', 50)]})
    put = s3.put_object(Bucket=bucket, Key='a', Body=b'x')
    assert 'rule-id="r"' in put['Expiration']
    assert 'X-Delete-At' not in swift('HEAD', '/%s/a' % bucket).headers


# -- the sweeper -----------------------------------------------------------------------------
def test_sweeper_deletes_expired_and_keeps_the_rest(s3, swift, sweep, bucket):
    """The issue's acceptance test: an expired object is gone after the
    sweeper runs; a non-matching one is untouched."""
    s3.put_object(Bucket=bucket, Key='before/old', Body=b'1')
    s3.put_object(Bucket=bucket, Key='keep/me', Body=b'2',
                  Metadata={'m': 'v'})
    created = time.time()
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={'Rules': [
            rule('tmp', 1, prefix='tmp/'),
            rule('before', 1, prefix='before/')]})
    s3.put_object(Bucket=bucket, Key='tmp/new', Body=b'3')
    wait_past(next_expiry(time.time(), 1))
    # Swift already hides the stamped object; the one written before the
    # rules is still served until the sweeper gets to it.
    assert s3.get_object(Bucket=bucket, Key='before/old')['Body'].read() \
        == b'1'
    assert sorted(_listed(s3, bucket)) == ['before/old', 'keep/me',
                                           'tmp/new']
    run = sweep()
    assert run.of(bucket)['expired'] == 2
    assert _listed(s3, bucket) == ['keep/me']
    for key in ('before/old', 'tmp/new'):
        with pytest.raises(ClientError) as exc:
            s3.head_object(Bucket=bucket, Key=key)
        assert exc.value.response['Error']['Code'] == '404'
    kept = s3.get_object(Bucket=bucket, Key='keep/me')
    assert (kept['Body'].read(), kept['Metadata']) == (b'2', {'m': 'v'})
    assert kept['LastModified'].timestamp() <= created + 1
    # idempotent: nothing left to do
    again = sweep()
    assert again.of(bucket)['expired'] == 0
    assert again.of(bucket)['stamped'] == 0
    assert _listed(s3, bucket) == ['keep/me']


def test_sweeper_stamps_older_objects_and_removes_stale_stamps(
        s3, swift, sweep, bucket):
    s3.put_object(Bucket=bucket, Key='old', Body=b'1', Metadata={'m': 'v'},
                  ContentDisposition='inline', Tagging='t=1')
    before = s3.head_object(Bucket=bucket, Key='old')
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={'Rules': [rule('r', 100)]})
    assert 'X-Delete-At' not in swift('HEAD', '/%s/old' % bucket).headers
    run = sweep()
    assert run.of(bucket)['stamped'] == 1
    stamped = swift('HEAD', '/%s/old' % bucket).headers
    assert 'X-Delete-At' in stamped
    after = s3.head_object(Bucket=bucket, Key='old')
    for field in ('LastModified', 'ETag', 'Metadata', 'ContentDisposition'):
        assert after[field] == before[field]
    assert s3.get_object_tagging(Bucket=bucket, Key='old')['TagSet'] == [
        {'Key': 't', 'Value': '1'}]
    s3.put_object(Bucket=bucket, Key='new', Body=b'2')
    assert 'X-Delete-At' in swift('HEAD', '/%s/new' % bucket).headers
    # the rules go: so do the stamps, at the next pass
    s3.delete_bucket_lifecycle(Bucket=bucket)
    run = sweep()
    for key in ('old', 'new'):
        assert 'X-Delete-At' not in swift('HEAD', '/%s/%s' % (
            bucket, key)).headers
    assert s3.head_object(Bucket=bucket, Key='old')['Metadata'] == {'m': 'v'}
    assert run.of(bucket)['stamped'] == 2
    # and then the registry entry
    assert sweep().of(bucket)['unregistered'] == 1


def test_sweeper_keeps_delete_at_set_through_swift(s3, swift, sweep,
                                                   bucket):
    s3.put_object(Bucket=bucket, Key='a', Body=b'1')
    mine = str(int(time.time()) + 100000)
    swift('POST', '/%s/a' % bucket, headers={'X-Delete-At': mine})
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={'Rules': [rule('r', 100)]})
    sweep()
    assert swift('HEAD', '/%s/a' % bucket).headers['X-Delete-At'] == mine
    s3.delete_bucket_lifecycle(Bucket=bucket)
    sweep()
    assert swift('HEAD', '/%s/a' % bucket).headers['X-Delete-At'] == mine


def test_sweeper_with_tag_rules(s3, sweep, bucket):
    s3.put_object(Bucket=bucket, Key='a', Body=b'1', Tagging='tmp=yes')
    s3.put_object(Bucket=bucket, Key='b', Body=b'2', Tagging='tmp=no')
    s3.put_object(Bucket=bucket, Key='c', Body=b'3')
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={'Rules': [
            rule('tmp', 1, tags={'tmp': 'yes'})]})
    wait_past(next_expiry(time.time(), 1))
    sweep()
    assert _listed(s3, bucket) == ['b', 'c']


def test_sweeper_with_and_tag_and_size_filters(s3, sweep, bucket):
    """Issue #12: And of Prefix, Tags and both size bounds; a lone size
    filter; each object is expired only when every condition holds."""
    bodies = {'logs/small': (b'1', 'tmp=yes&team=a'),
              'logs/mid': (b'1' * 50, 'tmp=yes&team=a'),
              'logs/mid-untagged': (b'1' * 50, 'team=a'),
              'logs/big': (b'1' * 500, 'tmp=yes&team=a'),
              'other/mid': (b'1' * 50, 'tmp=yes&team=a'),
              'huge': (b'2' * 2000, ''),
              'tiny': (b'2', '')}
    for key, (body, tags) in bodies.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body, Tagging=tags)
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={'Rules': [
            {'ID': 'and', 'Status': 'Enabled', 'Expiration': {'Days': 1},
             'Filter': {'And': {
                 'Prefix': 'logs/', 'Tags': [{'Key': 'tmp', 'Value': 'yes'},
                                             {'Key': 'team', 'Value': 'a'}],
                 'ObjectSizeGreaterThan': 10, 'ObjectSizeLessThan': 100}}},
            {'ID': 'big', 'Status': 'Enabled', 'Expiration': {'Days': 1},
             'Filter': {'ObjectSizeGreaterThan': 1000}}]})
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)['Rules']
    assert got[1]['Filter'] == {'ObjectSizeGreaterThan': 1000}
    assert got[0]['Filter']['And']['ObjectSizeLessThan'] == 100
    wait_past(next_expiry(time.time(), 1))
    sweep()
    assert sorted(_listed(s3, bucket)) == [
        'logs/big', 'logs/mid-untagged', 'logs/small', 'other/mid', 'tiny']


def test_sweeper_expires_multipart_objects_and_their_parts(s3, sweep, bucket,
                                                           swift):
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={'Rules': [rule('r', 1)]})
    upload = s3.create_multipart_upload(Bucket=bucket, Key='big')
    part = s3.upload_part(Bucket=bucket, Key='big', PartNumber=1,
                          UploadId=upload['UploadId'], Body=b'x' * 100)
    s3.complete_multipart_upload(
        Bucket=bucket, Key='big', UploadId=upload['UploadId'],
        MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': part['ETag']}]})
    segments = '/%s+segments?format=json' % bucket
    assert swift('GET', segments).json()
    wait_past(next_expiry(time.time(), 1))
    sweep()
    assert _listed(s3, bucket) == []
    assert swift('GET', segments).json() == []


def test_sweeper_aborts_stale_uploads(s3, sweep, bucket, swift):
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={'Rules': [
            rule('mpu', prefix='up/', AbortIncompleteMultipartUpload={
                'DaysAfterInitiation': 1})]})
    stale = s3.create_multipart_upload(Bucket=bucket, Key='up/stale')
    s3.upload_part(Bucket=bucket, Key='up/stale', PartNumber=1,
                   UploadId=stale['UploadId'], Body=b'x')
    other = s3.create_multipart_upload(Bucket=bucket, Key='other/k')
    wait_past(next_expiry(time.time(), 1))
    run = sweep()
    assert run.of(bucket)['uploads_aborted'] == 1
    uploads = s3.list_multipart_uploads(Bucket=bucket).get('Uploads', [])
    assert [u['UploadId'] for u in uploads] == [other['UploadId']]
    names = [e['name'] for e in swift(
        'GET', '/%s+segments?format=json' % bucket).json()]
    assert not [n for n in names if stale['UploadId'] in n]


def test_sweeper_leaves_an_upload_a_complete_holds(s3, sweep, bucket, swift):
    """The sweeper's abort takes the upload's claim, as an Abort does: while
    another holds it (a Complete writing its manifest on some proxy; placed
    by hand here) it deletes neither the upload nor its parts."""
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={'Rules': [
            rule('mpu', AbortIncompleteMultipartUpload={
                'DaysAfterInitiation': 1})]})
    upload = s3.create_multipart_upload(Bucket=bucket, Key='k')['UploadId']
    s3.upload_part(Bucket=bucket, Key='k', PartNumber=1, UploadId=upload,
                   Body=b'x')
    claim = '/%s+segments/c/%s/%016x%s' % (bucket, upload,
                                          time.time_ns() // 1000, 'e' * 16)
    placed = swift('PUT', claim, data=b'', headers={
        'Content-Type': 'application/x-s3c-claim'})
    assert placed.status_code == 201, placed.text

    def names():
        return [e['name'] for e in swift(
            'GET', '/%s+segments?format=json' % bucket).json()
            if upload in e['name'] and not e['name'].startswith('c/')]
    held = names()
    assert len(held) == 2, held       # the marker and the part
    wait_past(next_expiry(time.time(), 1))
    run = sweep()
    assert run.of(bucket)['uploads_aborted'] == 0
    assert names() == held
    assert [u['UploadId'] for u in s3.list_multipart_uploads(
        Bucket=bucket).get('Uploads', [])] == [upload]
    assert swift('DELETE', claim).status_code == 204
    run = sweep()
    assert run.of(bucket)['uploads_aborted'] == 1
    assert names() == []
    assert not s3.list_multipart_uploads(Bucket=bucket).get('Uploads')


def test_sweeper_on_versioned_buckets(s3, sweep, bucket):
    s3.put_bucket_versioning(Bucket=bucket,
                             VersioningConfiguration={'Status': 'Enabled'})
    v1 = s3.put_object(Bucket=bucket, Key='k', Body=b'1')['VersionId']
    v2 = s3.put_object(Bucket=bucket, Key='k', Body=b'2')['VersionId']
    v3 = s3.put_object(Bucket=bucket, Key='k', Body=b'3')['VersionId']
    s3.put_object(Bucket=bucket, Key='gone', Body=b'x')
    s3.delete_object(Bucket=bucket, Key='gone')
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={'Rules': [
            rule('noncurrent', prefix='k', NoncurrentVersionExpiration={
                'NoncurrentDays': 1, 'NewerNoncurrentVersions': 1}),
            {'ID': 'markers', 'Status': 'Enabled',
             'Filter': {'Prefix': 'gone'},
             'Expiration': {'ExpiredObjectDeleteMarker': True},
             'NoncurrentVersionExpiration': {'NoncurrentDays': 1}},
            rule('current', 1, prefix='cur/')]})
    s3.put_object(Bucket=bucket, Key='cur/x', Body=b'c')
    wait_past(next_expiry(time.time(), 1))
    run = sweep()
    versions = s3.list_object_versions(Bucket=bucket)
    kept = sorted((v['Key'], v['VersionId']) for v in versions.get(
        'Versions', []))
    # v1 is the oldest noncurrent beyond the one newer noncurrent kept
    assert ('k', v1) not in kept
    assert ('k', v2) in kept and ('k', v3) in kept
    # 'gone': its only version went, then its delete marker
    markers = [(m['Key'], m['IsLatest']) for m in versions.get(
        'DeleteMarkers', [])]
    assert ('cur/x', True) in markers
    assert run.of(bucket)['delete_markers_added'] == 1
    assert run.of(bucket)['noncurrent_deleted'] == 2      # v1, 'gone'
    assert run.of(bucket)['delete_markers_removed'] == 1
    assert not [k for k, v in kept if k == 'gone']
    assert not [k for k, _latest in markers if k == 'gone']
    assert s3.get_object(Bucket=bucket, Key='k')['Body'].read() == b'3'


def test_sweeper_resumes_where_it_stopped(s3, sweep, bucket, internal):
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={'Rules': [rule('r', 1)]})
    entry = '%s/%s' % (ACCOUNT, bucket)
    path = internal.make_path(REGISTRY, REGISTRY_CONTAINER, entry)
    assert STATE_SYSMETA not in internal.make_request('HEAD', path, {},
                                                      (2,)).headers
    sweep()     # the (empty) bucket agrees with its rules from now on
    state = json.loads(internal.make_request('HEAD', path, {}, (2,))
                       .headers[STATE_SYSMETA])
    assert state['marker'] == '' and state['reconciled'] == state['rules']
    for key in ('a', 'b', 'c', 'd'):
        s3.put_object(Bucket=bucket, Key=key, Body=b'x')
    # a pass that had done 'a' and 'b' when it stopped
    internal.make_request('POST', path, {STATE_SYSMETA: json.dumps(
        dict(state, marker='b'))}, (2,))
    wait_past(next_expiry(time.time(), 1))
    assert sweep().of(bucket)['expired'] == 2
    assert _listed(s3, bucket) == ['a', 'b']
    state = json.loads(internal.make_request('HEAD', path, {}, (2,))
                       .headers[STATE_SYSMETA])
    assert state['marker'] == ''
    assert sweep().of(bucket)['expired'] == 2
    assert _listed(s3, bucket) == []


def test_sweepers_share_buckets_by_process(s3, sweep, make_bucket_name):
    buckets = [make_bucket_name('share%d' % i) for i in range(6)]
    for name in buckets:
        s3.create_bucket(Bucket=name)
        s3.put_object(Bucket=name, Key='k', Body=b'x')
        s3.put_bucket_lifecycle_configuration(
            Bucket=name, LifecycleConfiguration={'Rules': [rule('r', 1)]})
    wait_past(next_expiry(time.time(), 1))
    mine = [name for name in buckets
            if owned('%s/%s' % (ACCOUNT, name), 2, 0)]
    sweep(processes='2', process='0')
    assert [name for name in buckets if not _listed(s3, name)] == mine
    sweep(processes='2', process='1')
    assert [name for name in buckets if _listed(s3, name)] == []


def test_sweepers_running_at_once(s3, sweeper_conf, make_bucket_name):
    buckets = [make_bucket_name('concurrent%d' % i) for i in range(3)]
    for name in buckets:
        s3.create_bucket(Bucket=name)
        s3.put_bucket_lifecycle_configuration(
            Bucket=name, LifecycleConfiguration={'Rules': [rule('r', 1)]})
        for i in range(5):
            s3.put_object(Bucket=name, Key='k%d' % i, Body=b'x')
    wait_past(next_expiry(time.time(), 1))
    conf = sweeper_conf(checkpoint='1')
    procs = [subprocess.Popen(_command(conf), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
             for _ in range(3)]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    stats = [_stats(out) for out in outputs]
    assert all(s and s['errors'] == 0 for s in stats), outputs
    for name in buckets:
        assert _listed(s3, name) == []
    # each object was deleted by one of them at least (two DELETEs of
    # the same version that reach the object server together both succeed)
    for name in buckets:
        label = 'lifecycle swept %s/%s:' % (ACCOUNT, name)
        assert sum(_stats(out, label)['expired'] for out in outputs) >= 5, \
            outputs


def test_sweeper_finds_the_filter_under_the_s3api_name(s3, sweeper_conf,
                                                      bucket):
    """Operators moving from Swift's s3api keep ``[filter:s3api]``."""
    s3.put_object(Bucket=bucket, Key='old', Body=b'x')
    s3.put_object(Bucket=bucket, Key='keep/me', Body=b'y')
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={'Rules': [
            rule('r', 1, prefix='old')]})
    wait_past(next_expiry(time.time(), 1))
    proc = subprocess.run(_command(sweeper_conf(s3_section='s3api')),
                          capture_output=True, text=True, timeout=300)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert _stats(output, 'lifecycle swept %s/%s:' % (ACCOUNT, bucket))[
        'expired'] == 1, output
    assert _listed(s3, bucket) == ['keep/me']


def test_console_script(sweeper_conf, s3, bucket):
    script = shutil.which('swift3compat-lifecycle', path=os.pathsep.join((
        sysconfig.get_path('scripts'), os.environ.get('PATH', ''))))
    assert script, 'pip install -e . installs the swift3compat-lifecycle script'
    s3.put_object(Bucket=bucket, Key='k', Body=b'x')
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={'Rules': [rule('r', 1)]})
    wait_past(next_expiry(time.time(), 1))
    proc = subprocess.run([script, sweeper_conf(), '--once', '-v'],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert _listed(s3, bucket) == []
    usage = subprocess.run([script], capture_output=True, text=True,
                           timeout=60)
    assert usage.returncode != 0
    assert 'missing config path' in usage.stdout + usage.stderr


def test_sweeper_forgets_deleted_buckets(s3, sweep, make_bucket_name,
                                         internal):
    name = make_bucket_name('gone')
    s3.create_bucket(Bucket=name)
    s3.put_bucket_lifecycle_configuration(
        Bucket=name, LifecycleConfiguration={'Rules': [rule('r', 1)]})
    path = internal.make_path(REGISTRY, REGISTRY_CONTAINER,
                              '%s/%s' % (ACCOUNT, name))
    assert internal.make_request('HEAD', path, {}, (2, 4)).status_int == 200
    s3.delete_bucket(Bucket=name)
    sweep()
    assert internal.make_request('HEAD', path, {}, (2, 4)).status_int == 404


def test_expiry_marker_is_internal(s3, swift, bucket):
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={'Rules': [rule('r', 50)]})
    s3.put_object(Bucket=bucket, Key='a', Body=b'x')
    headers = swift('HEAD', '/%s/a' % bucket).headers
    assert EXPIRY_SYSMETA not in headers
    assert not [h for h in s3.head_object(Bucket=bucket, Key='a')[
        'ResponseMetadata']['HTTPHeaders'] if 'sysmeta' in h]


# -- command-line clients -----------------------------------------------------------------------
def test_s3cmd_lifecycle(s3cmd, s3cmd_config, s3, bucket, lc_proxy, tmp_path,
                         sweep):
    config = s3cmd_config(proxy=lc_proxy)
    uri = 's3://%s' % bucket
    s3cmd(config, 'expire', uri, '--expiry-days=1', '--expiry-prefix=logs/')
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)['Rules']
    assert [(r['Filter'], r['Expiration']) for r in got] == [
        ({'Prefix': 'logs/'}, {'Days': 1})]
    assert 'logs/' in s3cmd(config, 'info', uri).stdout
    policy = tmp_path / 'lifecycle.xml'
    policy.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><LifecycleConfiguration>'
        '<Rule><ID>tmp</ID><Prefix>tmp/</Prefix><Status>Enabled</Status>'
        '<Expiration><Days>1</Days></Expiration></Rule>'
        '</LifecycleConfiguration>')
    s3cmd(config, 'setlifecycle', str(policy), uri)
    out = s3cmd(config, 'getlifecycle', uri).stdout
    assert '<ID>tmp</ID>' in out and '<Prefix>tmp/</Prefix>' in out
    source = tmp_path / 'f'
    source.write_bytes(b'data')
    s3cmd(config, 'put', str(source), uri + '/tmp/f')
    s3cmd(config, 'put', str(source), uri + '/keep/f')
    wait_past(next_expiry(time.time(), 1))
    sweep()
    assert _listed(s3, bucket) == ['keep/f']
    s3cmd(config, 'dellifecycle', uri)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert _code(exc) == 'NoSuchLifecycleConfiguration'
    s3cmd(config, 'expire', uri, '--expiry-date=2030-01-01T00:00:00.000Z')
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)['Rules']
    assert got[0]['Expiration']['Date'].year == 2030
    s3cmd(config, 'expire', uri)        # no days/date: removes the rules
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert _code(exc) == 'NoSuchLifecycleConfiguration'


def test_awscli_lifecycle(awscli, lc_proxy, s3, bucket):
    cli = awscli(proxy=lc_proxy)
    rules = {'Rules': [rule('logs', 30, prefix='logs/')]}
    cli.run('s3api', 'put-bucket-lifecycle-configuration', '--bucket', bucket,
            '--lifecycle-configuration', json.dumps(rules))
    out = json.loads(cli.run('s3api', 'get-bucket-lifecycle-configuration',
                             '--bucket', bucket).stdout)
    assert out['Rules'] == rules['Rules']
    s3.put_object(Bucket=bucket, Key='logs/a', Body=b'x')
    head = json.loads(cli.run('s3api', 'head-object', '--bucket', bucket,
                              '--key', 'logs/a').stdout)
    assert 'rule-id="logs"' in head['Expiration']
    cli.run('s3api', 'delete-bucket-lifecycle', '--bucket', bucket)
    proc = cli.run('s3api', 'get-bucket-lifecycle-configuration', '--bucket',
                   bucket, check=False)
    assert 'NoSuchLifecycleConfiguration' in proc.stderr
