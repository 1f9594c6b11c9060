"""The s3cmd 2.4 command matrix against a real Swift: every command either
works or answers a clean S3 error, and never changes data it was not asked
to change.  Each test runs with SigV4 and SigV2, path-style and
virtual-hosted-style (``<bucket>.localhost``, ``storage_domain =
localhost``).

Commands whose feature belongs to the bucket-configuration work (website,
CORS, policy, lifecycle/expire, tagging, ownership, block public access,
object lock, notification, restore) are checked through ``landed()``: while
the routing table has no row for them they must fail with the S3 error
NotImplemented and leave everything as it was; once a row lands the same
test expects the command to work and round-trip.  doc/s3cmd-matrix.md is
the resulting matrix.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sysconfig
import time
from dataclasses import dataclass
from typing import Any, Dict

import pytest
import requests
from botocore.exceptions import ClientError

from tests.functional.raw_s3 import landed

# The full matrix runs with s3cmd's default (SigV4, virtual-hosted) and
# with the opposite corner (SigV2, path-style); test_signing_smoke covers
# all four combinations.
CONFIGS = [('v4', 'virtual'), ('v2', 'path')]
ALL_CONFIGS = [('v4', 'virtual'), ('v4', 'path'), ('v2', 'virtual'),
               ('v2', 'path')]
MiB = 1024 * 1024


def _s3cmd_script() -> str:
    search = os.pathsep.join((sysconfig.get_path('scripts'),
                              os.environ.get('PATH', '')))
    script = shutil.which('s3cmd', path=search)
    if script is None:
        pytest.fail('s3cmd not found: pip install -r test-requirements.txt')
    return script


@dataclass
class S3cmd:
    """s3cmd with one config file; ``ok`` and ``fails`` check the result."""

    config: str
    script: str

    def __call__(self, *args: str, stdin: bytes = b''
                 ) -> subprocess.CompletedProcess:
        return subprocess.run([self.script, '-c',
                               self.config, *args], input=stdin,
                              capture_output=True, timeout=120)

    def ok(self, *args: str, stdin: bytes = b'') -> str:
        return self.ok_bytes(*args, stdin=stdin).decode('utf-8', 'replace')

    def ok_bytes(self, *args: str, stdin: bytes = b'') -> bytes:
        proc = self(*args, stdin=stdin)
        err = proc.stderr.decode('utf-8', 'replace')
        assert proc.returncode == 0, \
            f's3cmd {args}:\n{proc.stdout[-2000:]!r}\n{err}'
        assert 'WARNING: Retrying' not in err, err
        return proc.stdout

    def fails(self, code: str, *args: str) -> str:
        """The command fails with S3 error ``code`` (no retries, no
        traceback)."""
        proc = self(*args)
        out = (proc.stdout + proc.stderr).decode('utf-8', 'replace')
        assert proc.returncode != 0, f's3cmd {args} succeeded:\n{out}'
        assert re.search(r'ERROR: S3 error: \d{3} \(%s\)' % code, out), \
            f's3cmd {args}:\n{out}'
        assert 'Traceback' not in out and 'WARNING: Retrying' not in out
        return out


def _s3cmd(s3cmd_config, signature: str, style: str,
           extra: str = '') -> S3cmd:
    config = s3cmd_config(signature=signature, style=style)
    with open(config, 'a') as f:
        # Fail at once on a 5xx instead of sleeping through s3cmd's retries.
        f.write('max_retries = 0\n' + extra)
    return S3cmd(config, _s3cmd_script())


@pytest.fixture(params=CONFIGS, ids=['-'.join(c) for c in CONFIGS])
def s3cmd_run(request, s3cmd_config) -> S3cmd:
    return _s3cmd(s3cmd_config, *request.param)


@pytest.mark.parametrize('signature,style', ALL_CONFIGS,
                         ids=['-'.join(c) for c in ALL_CONFIGS])
def test_signing_smoke(s3cmd_config, s3, bucket_name, tmp_path, signature,
                       style):
    """Requests whose signatures differ by style: bucket, object, key with
    spaces and '+', sub-resources, copy, delete.  Path style runs with
    s3cmd's own default region, "US" (signed as such; an alias of
    us-east-1 in ``location_aliases``)."""
    extra = 'bucket_location = US\n' if style == 'path' else ''
    cmd = _s3cmd(s3cmd_config, signature, style, extra)
    uri = f's3://{bucket_name}'
    cmd.ok('mb', uri)
    data = os.urandom(1000)
    key = 'dir/a b+c@d.bin'
    cmd.ok('put', '--add-header=x-amz-meta-k:v', write(tmp_path / 'f', data),
           f'{uri}/{key}')
    assert f'{uri}/{key}' in cmd.ok('ls', '--recursive', uri)
    assert cmd.ok_bytes('get', f'{uri}/{key}', '-') == data
    assert 'Location:  us-east-1' in cmd.ok('info', uri)
    cmd.ok('setacl', '--acl-private', f'{uri}/{key}')
    cmd.ok('modify', '--mime-type=text/x-smoke', f'{uri}/{key}')
    head = s3.head_object(Bucket=bucket_name, Key=key)
    assert (head['ContentType'], head['Metadata']['k']) == \
        ('text/x-smoke', 'v')
    cmd.ok('del', f'{uri}/{key}')
    cmd.ok('rb', uri)


def snapshot(s3, bucket: str) -> Dict[str, Any]:
    """Everything about a bucket's objects a command could change."""
    state: Dict[str, Any] = {}
    for page in s3.get_paginator('list_objects_v2').paginate(Bucket=bucket):
        for obj in page.get('Contents', []):
            head = s3.head_object(Bucket=bucket, Key=obj['Key'])
            state[obj['Key']] = (obj['ETag'], obj['Size'],
                                 head['ContentType'], head['Metadata'],
                                 head.get('StorageClass', 'STANDARD'),
                                 head.get('CacheControl'))
    state['.acl'] = s3.get_bucket_acl(Bucket=bucket)['Grants']
    return state


def write(path, data: bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return str(path)


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def _status(exc: ClientError) -> int:
    return exc.response['ResponseMetadata']['HTTPStatusCode']


# -- buckets: mb, rb, ls, la, du, info -----------------------------------------
def test_bucket_commands(s3cmd_run, s3, bucket_name, tmp_path):
    cmd, uri = s3cmd_run, f's3://{bucket_name}'
    assert 'created' in cmd.ok('mb', uri)
    assert 'created' in cmd.ok('mb', uri)      # us-east-1: AWS answers 200
    today = time.strftime('%Y-%m-%d', time.gmtime())
    listing = cmd.ok('ls')
    assert re.search(r'^%s \d\d:\d\d  %s$' % (today, re.escape(uri)),
                     listing, re.M), listing
    assert cmd.ok('ls', uri) == ''
    info = cmd.ok('info', uri)
    for line in ('Location:  us-east-1', 'Payer:     BucketOwner',
                 'Versioning:none', 'Expiration rule: none',
                 'Policy:    none', 'CORS:      none'):
        assert line in info, info
    assert re.search(r'ACL: +\S+: FULL_CONTROL', info), info

    data = os.urandom(3000)
    cmd.ok('put', write(tmp_path / 'f', data), f'{uri}/dir/f')
    assert re.search(r'^\s+3000\s+1 objects %s/$' % re.escape(uri),
                     cmd.ok('du', uri), re.M)
    assert re.search(r'DIR\s+%s/dir/$' % re.escape(uri), cmd.ok('ls', uri))
    assert f'{uri}/dir/f' in cmd.ok('ls', '--recursive', uri)
    assert f'{uri}/dir/f' in cmd.ok('la', '--recursive')
    assert f'{uri}/dir/' in cmd.ok('la')
    cmd.fails('BucketNotEmpty', 'rb', uri)
    assert s3.get_object(Bucket=bucket_name,
                         Key='dir/f')['Body'].read() == data
    assert 'removed' in cmd.ok('rb', '--recursive', '--force', uri)
    with pytest.raises(ClientError) as exc:
        s3.head_bucket(Bucket=bucket_name)
    assert _status(exc.value) == 404
    cmd.fails('NoSuchBucket', 'ls', uri)
    cmd.fails('NoSuchBucket', 'rb', uri)


def test_bucket_location(s3cmd_run, s3, make_bucket_name):
    cmd = s3cmd_run
    for location in ('us-east-1', 'US'):
        name = make_bucket_name('loc-' + location)
        cmd.ok('mb', '--bucket-location=' + location, f's3://{name}')
        assert 'Location:  us-east-1' in cmd.ok('info', f's3://{name}')
        cmd.ok('rb', f's3://{name}')
    # EU (s3cmd's documented example) is in the default
    # location_constraints; s3cmd reads it back as eu-west-1.
    name = make_bucket_name('loc-eu')
    cmd.ok('mb', '--bucket-location=EU', f's3://{name}')
    assert 'Location:  eu-west-1' in cmd.ok('info', f's3://{name}')
    cmd.ok('rb', f's3://{name}')
    # A region this endpoint does not serve: the S3 error, and no bucket.
    name = make_bucket_name('loc-ap')
    cmd.fails('InvalidLocationConstraint', 'mb',
              '--bucket-location=ap-south-2', f's3://{name}')
    with pytest.raises(ClientError):
        s3.head_bucket(Bucket=name)


# -- objects: put, get, info, cp, mv, modify, del ------------------------------
def test_put_get_info(s3cmd_run, s3, bucket_name, tmp_path):
    cmd, uri = s3cmd_run, f's3://{bucket_name}'
    cmd.ok('mb', uri)
    data = {name: os.urandom(1000 + i) for i, name in enumerate(
        ('plain.txt', 'mime', 'header', 'rr', 'ia', 'stdin', 'dir/sub/x'))}
    data['plain.txt'] = b'plain text, so that s3cmd guesses text/plain\n'
    cmd.ok('put', write(tmp_path / 'plain.txt', data['plain.txt']),
           f'{uri}/plain.txt')
    cmd.ok('put', '--mime-type=application/x-custom',
           write(tmp_path / 'mime', data['mime']), f'{uri}/mime')
    cmd.ok('put', '--add-header=Cache-Control:max-age=60',
           '--add-header=x-amz-meta-colour:blue',
           write(tmp_path / 'header', data['header']), f'{uri}/header')
    cmd.ok('put', '--rr', write(tmp_path / 'rr', data['rr']), f'{uri}/rr')
    cmd.ok('put', '--storage-class=STANDARD_IA',
           write(tmp_path / 'ia', data['ia']), f'{uri}/ia')
    cmd.ok('put', '-', f'{uri}/stdin', stdin=data['stdin'])
    cmd.ok('put', write(tmp_path / 'x', data['dir/sub/x']),
           f'{uri}/dir/sub/x')

    (tmp_path / 'got').mkdir()
    cmd.ok('get', '--recursive', f'{uri}/', f'{tmp_path / "got"}/')
    assert _tree(tmp_path / 'got') == data
    assert cmd.ok_bytes('get', f'{uri}/stdin', '-') == data['stdin']
    head = {k: s3.head_object(Bucket=bucket_name, Key=k) for k in data}
    assert head['plain.txt']['ContentType'] == 'text/plain'
    assert head['mime']['ContentType'] == 'application/x-custom'
    assert head['header']['CacheControl'] == 'max-age=60'
    assert head['header']['Metadata']['colour'] == 'blue'
    assert head['rr']['StorageClass'] == 'REDUCED_REDUNDANCY'
    assert head['ia']['StorageClass'] == 'STANDARD_IA'
    # preserve_attrs: the s3cmd-attrs metadata round-trips with the md5.
    attrs = head['plain.txt']['Metadata']['s3cmd-attrs']
    assert f'md5:{md5(data["plain.txt"])}' in attrs

    info = cmd.ok('info', f'{uri}/rr')
    assert 'Storage:   REDUCED_REDUNDANCY' in info
    assert f'MD5 sum:   {md5(data["rr"])}' in info
    assert 'x-amz-meta-s3cmd-attrs:' in info
    info = cmd.ok('info', f'{uri}/mime')
    assert 'MIME type: application/x-custom' in info
    assert f'File size: {len(data["mime"])}' in info
    cmd.fails('NoSuchKey', 'info', f'{uri}/missing')
    # s3cmd looks the key up in a listing first: its own error, no request.
    proc = cmd('get', f'{uri}/missing', str(tmp_path / 'missing'))
    assert proc.returncode != 0 and b'does not exist' in proc.stderr
    total = sum(len(b) for b in data.values())
    assert re.search(r'^\s+%d\s+%d objects' % (total, len(data)),
                     cmd.ok('du', uri), re.M)


def test_cp_mv_modify_del(s3cmd_run, s3, bucket_name, tmp_path):
    cmd, uri = s3cmd_run, f's3://{bucket_name}'
    cmd.ok('mb', uri)
    data = os.urandom(5000)
    cmd.ok('put', '--mime-type=text/x-one', '--add-header=x-amz-meta-n:1',
           write(tmp_path / 'a', data), f'{uri}/a')
    etag = s3.head_object(Bucket=bucket_name, Key='a')['ETag']

    cmd.ok('cp', f'{uri}/a', f'{uri}/copy/a')
    got = s3.get_object(Bucket=bucket_name, Key='copy/a')
    assert got['Body'].read() == data
    assert got['ContentType'] == 'text/x-one'
    assert got['Metadata']['n'] == '1'

    cmd.ok('modify', '--mime-type=text/x-two', '--add-header=x-amz-meta-n:2',
           f'{uri}/copy/a')
    got = s3.get_object(Bucket=bucket_name, Key='copy/a')
    assert got['Body'].read() == data and got['ETag'] == etag
    assert got['ContentType'] == 'text/x-two'
    assert got['Metadata']['n'] == '2'
    assert 's3cmd-attrs' in got['Metadata']
    # The source was not touched.
    source = s3.head_object(Bucket=bucket_name, Key='a')
    assert (source['ContentType'], source['Metadata']['n']) == \
        ('text/x-one', '1')

    cmd.ok('mv', f'{uri}/copy/a', f'{uri}/moved/a')
    assert s3.get_object(Bucket=bucket_name,
                         Key='moved/a')['Body'].read() == data
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket_name, Key='copy/a')

    for i in range(3):
        cmd.ok('put', write(tmp_path / f't{i}', b'%d' % i),
               f'{uri}/tree/t{i}')
    cmd.ok('del', f'{uri}/a')
    cmd.ok('del', '--recursive', f'{uri}/tree/')
    keys = [o['Key'] for o in
            s3.list_objects_v2(Bucket=bucket_name).get('Contents', [])]
    assert keys == ['moved/a']
    cmd.ok('fixbucket', uri)
    assert [o['Key'] for o in s3.list_objects_v2(
        Bucket=bucket_name)['Contents']] == ['moved/a']


# -- sync ----------------------------------------------------------------------
def _tree(root) -> Dict[str, bytes]:
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            out[os.path.relpath(path, root)] = open(path, 'rb').read()
    return out


def test_sync(s3cmd_run, s3, bucket_name, tmp_path):
    cmd, uri = s3cmd_run, f's3://{bucket_name}'
    cmd.ok('mb', uri)
    local = tmp_path / 'local'
    files = {'a.txt': b'alpha', 'sub/b.bin': os.urandom(20000),
             'sub/deep/c': b'', 'space name': b'spaces'}
    for name, body in files.items():
        write(local / name, body)

    out = cmd.ok('sync', f'{local}/', f'{uri}/up/')
    assert out.count('upload:') == len(files), out
    assert cmd.ok('sync', f'{local}/', f'{uri}/up/').count('upload:') == 0

    write(local / 'a.txt', b'alpha changed')
    os.remove(local / 'space name')
    out = cmd.ok('sync', '--delete-removed', f'{local}/', f'{uri}/up/')
    assert out.count('upload:') == 1 and out.count('delete:') == 1, out
    files['a.txt'] = b'alpha changed'
    del files['space name']

    down = tmp_path / 'down'
    cmd.ok('sync', f'{uri}/up/', f'{down}/')
    assert _tree(down) == files
    assert 'download:' not in cmd.ok('sync', f'{uri}/up/', f'{down}/')

    out = cmd.ok('sync', f'{uri}/up/', f'{uri}/copy/')
    assert out.count('remote copy:') == len(files), out
    assert 'remote copy:' not in cmd.ok('sync', f'{uri}/up/', f'{uri}/copy/')
    copied = {o['Key'][len('copy/'):]: o['ETag'] for o in s3.list_objects_v2(
        Bucket=bucket_name, Prefix='copy/')['Contents']}
    assert copied == {k: '"%s"' % md5(v) for k, v in files.items()}


def test_multipart_commands(s3cmd_run, s3, bucket_name, tmp_path):
    cmd, uri = s3cmd_run, f's3://{bucket_name}'
    cmd.ok('mb', uri)
    big = os.urandom(11 * MiB)
    path = write(tmp_path / 'sync' / 'big', big)
    args = ('--multipart-chunk-size-mb=5', f'{tmp_path / "sync"}/',
            f'{uri}/')
    if not landed('object', 'uploads', 'POST'):     # multipart not built
        cmd.fails('NotImplemented', 'put', '--multipart-chunk-size-mb=5',
                  path, f'{uri}/big')
        assert 'Contents' not in s3.list_objects_v2(Bucket=bucket_name)
        return
    assert cmd.ok('sync', *args).count('upload:') == 1
    head = s3.head_object(Bucket=bucket_name, Key='big')
    assert head['ETag'].endswith('-3"') and head['ContentLength'] == len(big)
    # The second run compares the md5 in s3cmd-attrs: nothing to upload.
    assert 'upload:' not in cmd.ok('sync', *args)
    cmd.ok('get', f'{uri}/big', str(tmp_path / 'big.out'))
    assert md5((tmp_path / 'big.out').read_bytes()) == md5(big)

    upload = s3.create_multipart_upload(Bucket=bucket_name, Key='pending')
    s3.upload_part(Bucket=bucket_name, Key='pending', PartNumber=1,
                   UploadId=upload['UploadId'], Body=b'x' * (5 * MiB))
    out = cmd.ok('multipart', uri)
    assert upload['UploadId'] in out and f'{uri}/pending' in out
    out = cmd.ok('listmp', f'{uri}/pending', upload['UploadId'])
    assert re.search(r'\t1\t"%s"\t%d$' % (md5(b'x' * 5 * MiB), 5 * MiB),
                     out, re.M), out
    cmd.ok('abortmp', f'{uri}/pending', upload['UploadId'])
    assert upload['UploadId'] not in cmd.ok('multipart', uri)
    cmd.fails('NoSuchUpload', 'abortmp', f'{uri}/pending',
              upload['UploadId'])
    assert [o['Key'] for o in s3.list_objects_v2(
        Bucket=bucket_name)['Contents']] == ['big']


# -- ACLs, signed URLs ---------------------------------------------------------
def test_acl_commands(s3cmd_run, s3, s3_client_factory, s3_endpoint,
                      bucket_name, tmp_path):
    cmd, uri = s3cmd_run, f's3://{bucket_name}'
    cmd.ok('mb', uri)
    data = os.urandom(100)
    cmd.ok('put', '--acl-public', write(tmp_path / 'pub', data),
           f'{uri}/pub')
    content_type = s3.head_object(Bucket=bucket_name,
                                  Key='pub')['ContentType']
    cmd.ok('put', write(tmp_path / 'priv', data), f'{uri}/priv')
    url = f'{s3_endpoint}/{bucket_name}'
    resp = requests.get(f'{url}/pub', timeout=10)
    assert resp.status_code == 200 and resp.content == data
    resp = requests.get(f'{url}/priv', timeout=10)
    assert resp.status_code == 403 and b'<Code>AccessDenied</Code>' in \
        resp.content
    assert 'URL:' in cmd.ok('info', f'{uri}/pub')

    cmd.ok('setacl', '--acl-private', f'{uri}/pub')
    assert requests.get(f'{url}/pub', timeout=10).status_code == 403
    cmd.ok('setacl', '--acl-public', f'{uri}/priv')
    assert requests.get(f'{url}/priv', timeout=10).content == data

    other = s3_client_factory('test2:tester2')
    other_id = other.list_buckets()['Owner']['ID']
    cmd.ok('setacl', f'--acl-grant=read:{other_id}', f'{uri}/pub')
    assert other.get_object(Bucket=bucket_name,
                            Key='pub')['Body'].read() == data
    cmd.ok('setacl', f'--acl-revoke=read:{other_id}', f'{uri}/pub')
    with pytest.raises(ClientError) as exc:
        other.get_object(Bucket=bucket_name, Key='pub')
    assert _status(exc.value) == 403

    for i in range(2):
        cmd.ok('put', write(tmp_path / f'r{i}', data), f'{uri}/r/{i}')
    cmd.ok('setacl', '--acl-public', '--recursive', f'{uri}/r/')
    assert all(requests.get(f'{url}/r/{i}', timeout=10).status_code == 200
               for i in range(2))
    assert requests.get(url, timeout=10).status_code == 403
    cmd.ok('setacl', '--acl-public', uri)
    assert requests.get(url, timeout=10).status_code == 200
    # Content and metadata never change with an ACL.
    got = s3.get_object(Bucket=bucket_name, Key='pub')
    assert got['Body'].read() == data
    assert got['ContentType'] == content_type


def test_signurl(s3cmd_run, bucket_name, tmp_path):
    cmd, uri = s3cmd_run, f's3://{bucket_name}'
    cmd.ok('mb', uri)
    data = os.urandom(200)
    cmd.ok('put', write(tmp_path / 'k', data), f'{uri}/k')
    url = cmd.ok('signurl', f'{uri}/k', '+600').strip()
    resp = requests.get(url, timeout=10)
    assert resp.status_code == 200 and resp.content == data
    expired = cmd.ok('signurl', f'{uri}/k', str(int(time.time()) - 60))
    resp = requests.get(expired.strip(), timeout=10)
    assert resp.status_code == 403
    assert b'<Code>AccessDenied</Code>' in resp.content
    tampered = url.replace('/k?', '/other?')
    assert requests.get(tampered, timeout=10).status_code == 403


# -- versioning, payer, access log, notification -------------------------------
def test_setversioning(s3cmd_run, s3, bucket_name, tmp_path):
    cmd, uri = s3cmd_run, f's3://{bucket_name}'
    cmd.ok('mb', uri)
    cmd.ok('setversioning', uri, 'enable')
    assert 'Versioning:Enabled' in cmd.ok('info', uri)
    cmd.ok('put', write(tmp_path / 'v1', b'one'), f'{uri}/k')
    cmd.ok('put', write(tmp_path / 'v2', b'two'), f'{uri}/k')
    assert cmd.ok('ls', uri).count(f'{uri}/k') == 1
    versions = s3.list_object_versions(Bucket=bucket_name)['Versions']
    assert len(versions) == 2
    cmd.ok('del', f'{uri}/k')
    assert cmd.ok('ls', uri) == ''
    cmd.ok('setversioning', uri, 'disable')
    assert 'Versioning:Suspended' in cmd.ok('info', uri)
    # Old versions keep the bucket from being deleted, as on S3.
    cmd.fails('BucketNotEmpty', 'rb', uri)
    assert len(s3.list_object_versions(Bucket=bucket_name)['Versions']) == 2


def test_payer_and_accesslog(s3cmd_run, s3, bucket_name, tmp_path):
    cmd, uri = s3cmd_run, f's3://{bucket_name}'
    cmd.ok('mb', uri)
    cmd.ok('put', write(tmp_path / 'k', b'data'), f'{uri}/k')
    before = snapshot(s3, bucket_name)
    assert 'Payer updated' in cmd.ok('payer', '--requester-pays', uri)
    assert 'Payer:     Requester' in cmd.ok('info', uri)
    assert 'Payer updated' in cmd.ok('payer', uri)
    assert 'Payer:     BucketOwner' in cmd.ok('info', uri)
    assert 'Logging Enabled: False' in cmd.ok('accesslog', uri)
    assert 'Logging Enabled: False' in cmd.ok('accesslog',
                                              '--no-access-logging', uri)
    target = f'--access-logging-target-prefix={uri}/logs/'
    if landed('bucket', 'logging', 'PUT'):
        assert 'Logging Enabled: True' in cmd.ok('accesslog', target, uri)
        assert f'{uri}/logs/' in cmd.ok('accesslog', uri)
        cmd.ok('accesslog', '--no-access-logging', uri)
    else:
        cmd.fails('NotImplemented', 'accesslog', target, uri)
    assert 'Logging Enabled: False' in cmd.ok('accesslog', uri)
    assert 'Configuration>' not in cmd.ok('getnotification', uri)
    cmd.ok('delnotification', uri)
    notification = write(tmp_path / 'notify.xml', (
        b'<NotificationConfiguration><TopicConfiguration><Topic>arn:aws:sns:'
        b'us-east-1:1:t</Topic><Event>s3:ObjectCreated:*</Event>'
        b'</TopicConfiguration></NotificationConfiguration>'))
    if landed('bucket', 'notification', 'PUT'):
        cmd.ok('setnotification', notification, uri)
    else:
        cmd.fails('NotImplemented', 'setnotification', notification, uri)
    assert snapshot(s3, bucket_name) == before


# -- bucket configuration (flips when the feature lands) -----------------------
LIFECYCLE = (b'<LifecycleConfiguration><Rule><ID>r</ID><Filter><Prefix>logs/'
             b'</Prefix></Filter><Status>Enabled</Status><Expiration><Days>7'
             b'</Days></Expiration></Rule></LifecycleConfiguration>')
CORS = (b'<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>'
        b'<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>')
POLICY = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
          '"Principal": "*", "Action": "s3:GetObject", "Resource": '
          '"arn:aws:s3:::%s/*"}]}')


def test_bucket_configuration_commands(s3cmd_run, s3, bucket_name,
                                       tmp_path):
    cmd, uri = s3cmd_run, f's3://{bucket_name}'
    cmd.ok('mb', uri)
    cmd.ok('put', write(tmp_path / 'k', b'data'), f'{uri}/k')
    cmd.ok('put', write(tmp_path / 'l', b'log'), f'{uri}/logs/l')
    before = snapshot(s3, bucket_name)
    lifecycle = write(tmp_path / 'lifecycle.xml', LIFECYCLE)
    cors = write(tmp_path / 'cors.xml', CORS)
    policy = write(tmp_path / 'policy.json',
                   (POLICY % bucket_name).encode())

    if landed('bucket', 'website', 'PUT'):
        cmd.ok('ws-create', '--ws-index=index.html', uri)
        assert 'index.html' in cmd.ok('ws-info', uri)
        cmd.ok('ws-delete', uri)
    else:
        cmd.fails('NotImplemented', 'ws-create', '--ws-index=index.html',
                  uri)
        cmd.fails('NotImplemented', 'ws-delete', uri)
    assert 'No website configuration' in cmd.ok('ws-info', uri)

    if landed('bucket', 'cors', 'PUT'):
        cmd.ok('setcors', cors, uri)
        assert s3.get_bucket_cors(Bucket=bucket_name)['CORSRules']
        cmd.ok('delcors', uri)
    else:
        cmd.fails('NotImplemented', 'setcors', cors, uri)
        cmd.fails('NotImplemented', 'delcors', uri)

    if landed('bucket', 'policy', 'PUT'):
        cmd.ok('setpolicy', policy, uri)
        assert 's3:GetObject' in s3.get_bucket_policy(
            Bucket=bucket_name)['Policy']
        cmd.ok('delpolicy', uri)
    else:
        cmd.fails('NotImplemented', 'setpolicy', policy, uri)
        cmd.fails('NotImplemented', 'delpolicy', uri)

    if landed('bucket', 'lifecycle', 'PUT'):
        cmd.ok('setlifecycle', lifecycle, uri)
        assert '<Days>7</Days>' in cmd.ok('getlifecycle', uri)
        cmd.ok('dellifecycle', uri)
        cmd.ok('expire', '--expiry-days=30', uri)
        rules = s3.get_bucket_lifecycle_configuration(
            Bucket=bucket_name)['Rules']
        assert [r['Expiration']['Days'] for r in rules] == [30]
        cmd.ok('expire', uri)
    else:
        cmd.fails('NotImplemented', 'setlifecycle', lifecycle, uri)
        cmd.fails('NotImplemented', 'dellifecycle', uri)
        cmd.fails('NotImplemented', 'expire', '--expiry-days=30', uri)
        cmd.fails('NotImplemented', 'expire', uri)
    cmd.fails('NoSuchLifecycleConfiguration', 'getlifecycle', uri)

    if landed('bucket', 'tagging', 'PUT'):
        cmd.ok('settagging', uri, 'team=a&env=test')
        assert 'team' in cmd.ok('gettagging', uri)
        cmd.ok('deltagging', uri)
    else:
        cmd.fails('NotImplemented', 'settagging', uri, 'team=a')
        cmd.fails('NotImplemented', 'deltagging', uri)
    cmd.fails('NoSuchTagSet', 'gettagging', uri)
    if landed('object', 'tagging', 'PUT'):
        cmd.ok('settagging', f'{uri}/k', 'team=a')
        assert 'team' in cmd.ok('gettagging', f'{uri}/k')
        cmd.ok('deltagging', f'{uri}/k')
    else:
        cmd.fails('NotImplemented', 'settagging', f'{uri}/k', 'team=a')
        cmd.fails('NotImplemented', 'deltagging', f'{uri}/k')
    assert 'team' not in cmd.ok('gettagging', f'{uri}/k')

    if landed('bucket', 'ownershipControls', 'PUT'):
        cmd.ok('setownership', uri, 'BucketOwnerPreferred')
        rules = s3.get_bucket_ownership_controls(
            Bucket=bucket_name)['OwnershipControls']['Rules']
        assert rules == [{'ObjectOwnership': 'BucketOwnerPreferred'}]
        s3.delete_bucket_ownership_controls(Bucket=bucket_name)
    else:
        cmd.fails('NotImplemented', 'setownership', uri,
                  'BucketOwnerEnforced')
    if landed('bucket', 'publicAccessBlock', 'PUT'):
        cmd.ok('setblockpublicaccess', uri, 'BlockPublicPolicy')
        config = s3.get_public_access_block(
            Bucket=bucket_name)['PublicAccessBlockConfiguration']
        assert config['BlockPublicPolicy'] is True
        s3.delete_public_access_block(Bucket=bucket_name)
    else:
        cmd.fails('NotImplemented', 'setblockpublicaccess', uri,
                  'BlockPublicAcls,IgnorePublicAcls')

    # Object lock is never enabled on this bucket; restore of a STANDARD
    # object has nothing to restore.
    for args in (('setobjectretention', 'GOVERNANCE', '2030-01-01T00:00:00Z',
                  f'{uri}/k'), ('setobjectlegalhold', 'ON', f'{uri}/k')):
        sub = 'retention' if args[0] == 'setobjectretention' else \
            'legal-hold'
        cmd.fails('InvalidRequest' if landed('object', sub, 'PUT')
                  else 'NotImplemented', *args)
    cmd.fails('InvalidObjectState' if landed('object', 'restore', 'POST')
              else 'NotImplemented', 'restore', f'{uri}/k')

    # Every configuration reads as unset again ...
    info = cmd.ok('info', uri)
    for line in ('Ownership: none', 'Expiration rule: none',
                 'Block Public Access: none', 'Policy:    none',
                 'CORS:      none'):
        assert line in info, info
    # ... and nothing above touched the objects, their metadata or the ACL.
    assert snapshot(s3, bucket_name) == before
