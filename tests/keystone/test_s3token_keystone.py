"""s3token against a real Keystone, behind swift3 (and Swift's s3api), on real Swift.

Clients are boto3, awscli and s3cmd with Keystone EC2 credentials; the pipeline
is the seed's ``... cache swift3 s3token authtoken keystoneauth ...`` unless a
test says otherwise.  Error codes: swift3 renders s3token's own S3 error codes;
Swift's s3api maps every 403 from the auth filter to ``AccessDenied``.
"""
from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import urllib.parse
from typing import Any, Callable

import pytest
import requests
from botocore.exceptions import ClientError

from swift3compat_dev.cluster import Cluster, Proxy
from swift3compat.s3token.secret_cache import SecretCache

from tests.keystone.ks_helpers import FRONTS, REGION, make_client

ProxyFactory = Callable[..., Proxy]


def error_code(err: ClientError) -> str:
    return err.response['Error']['Code']


def expected(front: str, code: str) -> str:
    """What the client sees when s3token answers ``code`` behind ``front``."""
    if front == 's3api' and code in ('InvalidAccessKeyId', 'SignatureDoesNotMatch'):
        return 'AccessDenied'
    return code


def crud(client: Any, bucket: str) -> None:
    client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=bucket, Key='dir/hello.txt', Body=b'hello keystone')
    assert client.get_object(Bucket=bucket, Key='dir/hello.txt')['Body'].read() \
        == b'hello keystone'
    assert client.head_object(Bucket=bucket, Key='dir/hello.txt')['ContentLength'] == 14
    listed = client.list_objects_v2(Bucket=bucket)
    assert [o['Key'] for o in listed['Contents']] == ['dir/hello.txt']
    assert bucket in [b['Name'] for b in client.list_buckets()['Buckets']]
    client.delete_object(Bucket=bucket, Key='dir/hello.txt')
    client.delete_bucket(Bucket=bucket)


# -- clients ---------------------------------------------------------------------

# Swift's s3api hands Keystone a SigV2 string-to-sign that Keystone rejects for
# boto3's requests (its own check_signature accepts them): s3api + SigV2 is left out.
@pytest.mark.parametrize('front,signature', [('swift3', 's3v4'), ('swift3', 's3'),
                                             ('s3api', 's3v4')])
@pytest.mark.parametrize('authtoken', [True, False], ids=['authtoken', 'no-authtoken'])
def test_boto3_crud(ks_proxy: ProxyFactory, keystone: Any, bucket: str, front: str,
                    authtoken: bool, signature: str) -> None:
    proxy = ks_proxy(front, authtoken)
    crud(make_client(proxy, keystone.users['alice'].ec2, signature), bucket)


@pytest.mark.parametrize('front', FRONTS)
def test_objects_land_in_the_keystone_project_account(
        ks_proxy: ProxyFactory, keystone: Any, bucket: str, front: str) -> None:
    alice = keystone.users['alice']
    make_client(ks_proxy(front), alice.ec2).create_bucket(Bucket=bucket)
    token = keystone.user_session(alice).get_auth_headers()['X-Auth-Token']
    proxy = ks_proxy(front)
    resp = requests.get(f'{proxy.url}/v1/AUTH_{alice.project_id}?format=json',
                        headers={'X-Auth-Token': token}, timeout=30)
    assert resp.status_code == 200
    assert bucket in [c['name'] for c in resp.json()]


def _aws(proxy: Proxy, cred: Any, tmp_path: Any, *args: str) -> subprocess.CompletedProcess:
    config = tmp_path / 'aws-config'
    config.write_text(f'[default]\nregion = {REGION}\n'
                      's3 =\n    addressing_style = path\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith('AWS_')}
    env.update(AWS_CONFIG_FILE=str(config), AWS_ACCESS_KEY_ID=cred.access,
               AWS_SECRET_ACCESS_KEY=cred.secret, AWS_EC2_METADATA_DISABLED='true',
               AWS_PAGER='', AWS_MAX_ATTEMPTS='1')
    return subprocess.run([sys.executable, '-m', 'awscli', '--endpoint-url',
                           f'http://localhost:{proxy.port}', *args],
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize('front', FRONTS)
def test_awscli_crud(ks_proxy: ProxyFactory, keystone: Any, bucket: str, front: str,
                     tmp_path: Any) -> None:
    proxy, cred = ks_proxy(front), keystone.users['alice'].ec2
    src = tmp_path / 'upload.bin'
    src.write_bytes(os.urandom(3 * 1024 * 1024 + 5))
    steps = [('s3', 'mb', f's3://{bucket}'),
             ('s3', 'cp', str(src), f's3://{bucket}/big.bin'),
             ('s3', 'cp', f's3://{bucket}/big.bin', str(tmp_path / 'back.bin')),
             ('s3', 'ls', f's3://{bucket}/')]
    for step in steps:
        result = _aws(proxy, cred, tmp_path, *step)
        assert result.returncode == 0, (step, result.stderr)
    assert (tmp_path / 'back.bin').read_bytes() == src.read_bytes()
    assert 'big.bin' in result.stdout
    for step in [('s3', 'rm', f's3://{bucket}/big.bin'), ('s3', 'rb', f's3://{bucket}')]:
        result = _aws(proxy, cred, tmp_path, *step)
        assert result.returncode == 0, (step, result.stderr)


def _s3cmd(proxy: Proxy, cred: Any, tmp_path: Any, signature: str,
           *args: str) -> subprocess.CompletedProcess:
    config = tmp_path / f's3cfg-{signature}'
    config.write_text(
        '[default]\n'
        f'access_key = {cred.access}\nsecret_key = {cred.secret}\n'
        f'host_base = localhost:{proxy.port}\nhost_bucket = localhost:{proxy.port}\n'
        f'signature_v2 = {signature == "v2"}\nuse_https = False\n'
        f'bucket_location = {REGION}\n')
    return subprocess.run(['s3cmd', '-c', str(config), *args], capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize('front', FRONTS)
@pytest.mark.parametrize('signature', ['v4', 'v2'])
def test_s3cmd_crud(ks_proxy: ProxyFactory, keystone: Any, bucket: str, front: str,
                    signature: str, tmp_path: Any) -> None:
    proxy, cred = ks_proxy(front), keystone.users['alice'].ec2
    src = tmp_path / 'file.txt'
    src.write_text('s3cmd with keystone\n')

    def run(*args: str) -> str:
        result = _s3cmd(proxy, cred, tmp_path, signature, *args)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result.stdout

    run('mb', f's3://{bucket}')
    run('put', str(src), f's3://{bucket}/file.txt')
    assert 'file.txt' in run('ls', f's3://{bucket}')
    run('get', f's3://{bucket}/file.txt', str(tmp_path / 'got.txt'))
    assert (tmp_path / 'got.txt').read_text() == 's3cmd with keystone\n'
    run('del', f's3://{bucket}/file.txt')
    run('rb', f's3://{bucket}')


# -- identity and isolation ------------------------------------------------------------

@pytest.mark.parametrize('front', FRONTS)
def test_cross_project_isolation(ks_proxy: ProxyFactory, keystone: Any, bucket: str,
                                 front: str) -> None:
    proxy = ks_proxy(front)
    alice = make_client(proxy, keystone.users['alice'].ec2)
    bob = make_client(proxy, keystone.users['bob'].ec2)
    alice.create_bucket(Bucket=bucket)
    alice.put_object(Bucket=bucket, Key='private', Body=b'alice only')
    try:
        # bob's requests land in bob's project: alice's bucket is not there
        with pytest.raises(ClientError) as err:
            bob.get_object(Bucket=bucket, Key='private')
        assert error_code(err.value) in ('NoSuchBucket', 'NoSuchKey', 'AccessDenied')
        assert bucket not in [b['Name'] for b in bob.list_buckets()['Buckets']]
        with pytest.raises(ClientError):
            bob.delete_object(Bucket=bucket, Key='private')
            bob.head_object(Bucket=bucket, Key='private')
        assert alice.get_object(Bucket=bucket, Key='private')['Body'].read() == b'alice only'
    finally:
        alice.delete_object(Bucket=bucket, Key='private')
        alice.delete_bucket(Bucket=bucket)


@pytest.mark.parametrize('front', FRONTS)
def test_signed_request_to_another_projects_account_is_denied(
        ks_proxy: ProxyFactory, keystone: Any, front: str) -> None:
    """The Swift path of a signed request is always the signer's own account."""
    proxy = ks_proxy(front)
    bob = keystone.users['bob']
    alice_account = f'AUTH_{keystone.users["alice"].project_id}'
    client = make_client(proxy, bob.ec2)
    with pytest.raises(ClientError) as err:
        client.list_objects_v2(Bucket=alice_account)
    assert error_code(err.value) in ('NoSuchBucket', 'AccessDenied', 'InvalidBucketName')


# -- failures ---------------------------------------------------------------------

@pytest.mark.parametrize('front', FRONTS)
def test_wrong_secret(ks_proxy: ProxyFactory, keystone: Any, front: str) -> None:
    cred = keystone.create_ec2(keystone.users['alice'])
    wrong = type(cred)(cred.access, 'x' * len(cred.secret))
    proxy = ks_proxy(front)
    for phase in ('cold', 'warm'):
        with pytest.raises(ClientError) as err:
            make_client(proxy, wrong).list_buckets()
        assert err.value.response['ResponseMetadata']['HTTPStatusCode'] == 403, phase
        assert error_code(err.value) == expected(front, 'SignatureDoesNotMatch'), phase
        make_client(proxy, cred).list_buckets()   # caches the right secret


@pytest.mark.parametrize('front', FRONTS)
def test_unknown_access_key(ks_proxy: ProxyFactory, keystone: Any, front: str) -> None:
    nobody = type(keystone.users['alice'].ec2)(uuid_hex(), 'secret')
    with pytest.raises(ClientError) as err:
        make_client(ks_proxy(front), nobody).list_buckets()
    assert err.value.response['ResponseMetadata']['HTTPStatusCode'] == 403
    assert error_code(err.value) == expected(front, 'InvalidAccessKeyId')


def uuid_hex() -> str:
    return os.urandom(16).hex()


@pytest.mark.parametrize('front', FRONTS)
def test_keystone_down(ks_proxy: ProxyFactory, keystone: Any, bucket: str,
                       front: str) -> None:
    """Cached credentials keep working while Keystone is down; others get 503."""
    alice = keystone.users['alice']
    cached, uncached = keystone.create_ec2(alice), keystone.create_ec2(alice)
    proxy = ks_proxy(front)
    client = make_client(proxy, cached)
    client.create_bucket(Bucket=bucket)
    keystone.stop()
    try:
        client.put_object(Bucket=bucket, Key='while-down', Body=b'still here')
        assert client.get_object(Bucket=bucket, Key='while-down')['Body'].read() \
            == b'still here'
        with pytest.raises(ClientError) as err:
            make_client(proxy, uncached).list_buckets()
        assert err.value.response['ResponseMetadata']['HTTPStatusCode'] == 503
        assert error_code(err.value) == 'ServiceUnavailable'
    finally:
        keystone.start()
    make_client(proxy, uncached).list_buckets()
    client.delete_object(Bucket=bucket, Key='while-down')
    client.delete_bucket(Bucket=bucket)


def _memcache_delete(cluster: Cluster, key: str) -> None:
    host, port = cluster.memcache_servers.split(':')
    hashed = hashlib.md5(key.encode()).hexdigest()   # Swift's MemcacheRing key
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(f'delete {hashed}\r\n'.encode())
        assert sock.recv(64) in (b'DELETED\r\n', b'NOT_FOUND\r\n')


@pytest.mark.parametrize('front', FRONTS)
def test_revoked_credential(ks_proxy: ProxyFactory, ks_cluster: Cluster, keystone: Any,
                            front: str) -> None:
    alice = keystone.users['alice']
    cred = keystone.create_ec2(alice)
    proxy, uncached_proxy = ks_proxy(front), ks_proxy(front, secret_cache_duration='0')
    make_client(proxy, cred).list_buckets()
    make_client(uncached_proxy, cred).list_buckets()
    keystone.delete_ec2(alice, cred.access)
    # without a cache, revocation is immediate
    with pytest.raises(ClientError) as err:
        make_client(uncached_proxy, cred).list_buckets()
    assert error_code(err.value) == expected(front, 'InvalidAccessKeyId')
    # with one, it takes effect when the entry expires (secret_cache_duration) ...
    make_client(proxy, cred).list_buckets()
    options = keystone.s3token_options()
    cache = SecretCache(options['memcache_secret_key'], 60, 10)
    _memcache_delete(ks_cluster, cache.memcache_key('secret', cred.access))
    # ... which deleting the entry stands in for
    with pytest.raises(ClientError) as err:
        make_client(proxy, cred).list_buckets()
    assert error_code(err.value) == expected(front, 'InvalidAccessKeyId')


# -- signed aws-chunked uploads (verified with the cached secret) ------------------------

def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signed_chunked_put(url: str, cred: Any, data: bytes, chunk_size: int,
                       tamper: bool = False) -> requests.Response:
    """PUT with STREAMING-AWS4-HMAC-SHA256-PAYLOAD (chunk signatures)."""
    parts = urllib.parse.urlsplit(url)
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime('%Y%m%dT%H%M%SZ'), now.strftime('%Y%m%d')
    scope = f'{day}/{REGION}/s3/aws4_request'
    chunks = [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)] + [b'']
    sizes = sum(len(f'{len(c):x};chunk-signature=') + 64 + 4 + len(c) for c in chunks)
    headers = {'host': parts.netloc, 'x-amz-date': amz_date,
               'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
               'x-amz-decoded-content-length': str(len(data)),
               'content-encoding': 'aws-chunked', 'content-length': str(sizes)}
    signed = sorted(headers)
    canonical = '\n'.join(['PUT', urllib.parse.quote(parts.path), '',
                           *(f'{h}:{headers[h]}' for h in signed), '',
                           ';'.join(signed), headers['x-amz-content-sha256']])
    key = ('AWS4' + cred.secret).encode()
    for part in (day, REGION, 's3', 'aws4_request'):
        key = _hmac(key, part)
    sts = '\n'.join(['AWS4-HMAC-SHA256', amz_date, scope,
                     hashlib.sha256(canonical.encode()).hexdigest()])
    previous = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    headers['authorization'] = (f'AWS4-HMAC-SHA256 Credential={cred.access}/{scope}, '
                                f'SignedHeaders={";".join(signed)}, Signature={previous}')
    body = b''
    empty = hashlib.sha256(b'').hexdigest()
    for chunk in chunks:
        chunk_sts = '\n'.join(['AWS4-HMAC-SHA256-PAYLOAD', amz_date, scope, previous,
                               empty, hashlib.sha256(chunk).hexdigest()])
        previous = hmac.new(key, chunk_sts.encode(), hashlib.sha256).hexdigest()
        payload = chunk[:-1] + b'X' if tamper and chunk else chunk
        body += f'{len(chunk):x};chunk-signature={previous}\r\n'.encode() + payload + b'\r\n'
    assert len(body) == sizes
    return requests.put(url, data=body, headers=headers, timeout=60)


@pytest.mark.parametrize('front', FRONTS)
def test_signed_aws_chunked_upload(ks_proxy: ProxyFactory, keystone: Any, bucket: str,
                                   front: str) -> None:
    proxy = ks_proxy(front)
    cred = keystone.create_ec2(keystone.users['alice'])   # cold: nothing cached yet
    client = make_client(proxy, cred)
    data = os.urandom(200 * 1024 + 17)
    url = f'http://localhost:{proxy.port}/{bucket}/chunked.bin'
    try:
        client.create_bucket(Bucket=bucket)
        resp = signed_chunked_put(url, cred, data, 64 * 1024)
        assert resp.status_code == 200, resp.text
        assert client.get_object(Bucket=bucket, Key='chunked.bin')['Body'].read() == data
        resp = signed_chunked_put(url.replace('chunked', 'tampered'), cred, data,
                                  64 * 1024, tamper=True)
        assert resp.status_code == 403, resp.text
        with pytest.raises(ClientError):
            client.head_object(Bucket=bucket, Key='tampered.bin')
    finally:
        for key in ('chunked.bin', 'tampered.bin'):
            client.delete_object(Bucket=bucket, Key=key)
        client.delete_bucket(Bucket=bucket)


# -- what is kept and logged ----------------------------------------------------------

def _memcache_dump(cluster: Cluster) -> bytes:
    host, port = cluster.memcache_servers.split(':')
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b'lru_crawler metadump all\r\n')
        listing = b''
        while not listing.endswith(b'END\r\n'):
            listing += sock.recv(65536)
        keys = [urllib.parse.unquote(line.split()[0].split(b'=', 1)[1].decode())
                for line in listing.splitlines() if line.startswith(b'key=')]
        raw = b''
        for key in keys:
            sock.sendall(f'get {key}\r\n'.encode())
            reply = b''
            while not reply.endswith(b'END\r\n'):
                reply += sock.recv(65536)
            raw += reply
    return raw


def test_no_plaintext_secret_in_memcache_or_logs(ks_proxy: ProxyFactory,
                                                 ks_cluster: Cluster,
                                                 keystone: Any, bucket: str) -> None:
    proxy = ks_proxy('swift3')
    alice = keystone.users['alice']
    client = make_client(proxy, alice.ec2)
    client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=bucket, Key='k', Body=b'v')
    client.delete_object(Bucket=bucket, Key='k')
    client.delete_bucket(Bucket=bucket)
    raw = _memcache_dump(ks_cluster)
    assert b's3token/' not in raw   # key names are hashed by Swift's MemcacheRing
    assert raw.count(b'"v1:') >= 1  # ... and our sealed entries are there
    for user in keystone.users.values():
        assert user.ec2.secret.encode() not in raw
        assert user.ec2.access.encode() not in raw
        assert user.password.encode() not in raw
    with open(proxy.process.log_path, 'rb') as f:
        log = f.read()
    for secret in [u.ec2.secret for u in keystone.users.values()] + [
            keystone.service_password]:
        assert secret.encode() not in log


def test_proxy_refuses_to_start_with_bad_options(ks_cluster: Cluster,
                                                 keystone: Any) -> None:
    from swift3compat_dev.cluster import ProxySpec
    from swift3compat_dev.servers import ClusterError
    spec = ProxySpec(name='ksproxy-bad', s3_options={'storage_domain': 'localhost'}
                     ).replacing('tempauth', ['s3token', 'keystoneauth'], {
                         's3token': keystone.s3token_options(insecure='flase'),
                         'keystoneauth': {'use': 'egg:swift#keystoneauth'}})
    with pytest.raises(ClusterError) as err:
        ks_cluster.add_proxy(spec)
    assert "insecure = 'flase'" in str(err.value)


def test_keystone_says_no_to_unauthenticated_s3tokens(keystone: Any) -> None:
    """Why s3token needs service credentials: current Keystone demands them."""
    resp = requests.post(keystone.url + '/s3tokens', timeout=30, json={'credentials': {
        'access': keystone.users['alice'].ec2.access, 'token': 'eA==',
        'signature': 'x'}})
    assert resp.status_code == 401
    assert json.loads(resp.text)['error']['code'] == 401
