"""The test harness's own tests: the cluster and the client fixtures work.

They use the native Swift API and Swift's own ``s3api`` (the peer we compare
against), so they pass or fail independently of swift3compat's middleware.
"""
from __future__ import annotations

import hashlib
import os
from typing import Any, Callable

import pytest
import requests

from swift3compat_dev.cluster import Cluster, Proxy, ProxySpec

S3API_OPTIONS = {'storage_domain': 'localhost'}


@pytest.fixture(scope='module')
def native_proxy(proxy_factory: Callable[..., Proxy]) -> Proxy:
    return proxy_factory('native')


@pytest.fixture(scope='module')
def s3api_proxy(proxy_factory: Callable[..., Proxy]) -> Proxy:
    return proxy_factory('s3api', **S3API_OPTIONS)


@pytest.fixture(scope='module')
def swift_session(native_proxy: Proxy) -> tuple[str, dict[str, str]]:
    """(storage URL, auth headers) of test:tester from tempauth's v1.0 auth."""
    resp = requests.get(f'{native_proxy.url}/auth/v1.0', timeout=10,
                        headers={'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing'})
    assert resp.status_code == 200
    assert resp.headers['X-Storage-Url'].endswith('/v1/AUTH_test')
    return resp.headers['X-Storage-Url'], {'X-Auth-Token': resp.headers['X-Auth-Token']}


def test_native_put_get(swift_session: tuple[str, dict[str, str]],
                        bucket_name: str) -> None:
    url, auth = swift_session
    body = os.urandom(100_000)
    assert requests.put(f'{url}/{bucket_name}', headers=auth, timeout=10).status_code == 201
    put = requests.put(f'{url}/{bucket_name}/obj', data=body, headers=auth, timeout=10)
    assert put.status_code == 201
    assert put.headers['Etag'] == hashlib.md5(body).hexdigest()
    got = requests.get(f'{url}/{bucket_name}/obj', headers=auth, timeout=10)
    assert got.status_code == 200
    assert got.content == body


def test_native_rejects_wrong_key(native_proxy: Proxy) -> None:
    resp = requests.get(f'{native_proxy.url}/auth/v1.0', timeout=10,
                        headers={'X-Auth-User': 'test:tester', 'X-Auth-Key': 'nope'})
    assert resp.status_code == 401


@pytest.mark.parametrize('style', ['path', 'virtual'])
def test_s3api_put_get(s3_client_factory: Callable[..., Any], s3api_proxy: Proxy,
                       bucket_name: str, style: str) -> None:
    client = s3_client_factory(style=style, proxy=s3api_proxy)
    body = os.urandom(200_000)
    client.create_bucket(Bucket=bucket_name)
    put = client.put_object(Bucket=bucket_name, Key='dir/obj', Body=body)
    assert put['ETag'] == f'"{hashlib.md5(body).hexdigest()}"'
    got = client.get_object(Bucket=bucket_name, Key='dir/obj')['Body'].read()
    assert hashlib.md5(got).hexdigest() == hashlib.md5(body).hexdigest()
    names = [b['Name'] for b in client.list_buckets()['Buckets']]
    assert bucket_name in names


def test_tempauth_users_accounts(s3_client_factory: Callable[..., Any],
                                 s3api_proxy: Proxy, bucket_name: str) -> None:
    """test:tester2 shares test:tester's account; test2:tester2 has its own."""
    owner = s3_client_factory(proxy=s3api_proxy)
    owner.create_bucket(Bucket=bucket_name)
    owner.put_object(Bucket=bucket_name, Key='k', Body=b'shared')
    colleague = s3_client_factory('test:tester2', proxy=s3api_proxy)
    assert colleague.get_object(Bucket=bucket_name, Key='k')['Body'].read() == b'shared'
    stranger = s3_client_factory('test2:tester2', proxy=s3api_proxy)
    with pytest.raises(stranger.exceptions.ClientError) as err:
        stranger.get_object(Bucket=bucket_name, Key='k')
    assert err.value.response['Error']['Code'] == 'NoSuchBucket'


@pytest.mark.parametrize('signature', ['v4', 'v2'])
def test_s3cmd_config_works(s3cmd_config: Callable[..., str], s3cmd: Callable[..., Any],
                            s3api_proxy: Proxy, bucket_name: str, tmp_path: Any,
                            signature: str) -> None:
    config = s3cmd_config(signature=signature, style='virtual', proxy=s3api_proxy)
    source = tmp_path / 'up'
    source.write_bytes(os.urandom(50_000))
    s3cmd(config, 'mb', f's3://{bucket_name}')
    s3cmd(config, 'put', str(source), f's3://{bucket_name}/up')
    s3cmd(config, 'get', f's3://{bucket_name}/up', str(tmp_path / 'down'))
    assert (tmp_path / 'down').read_bytes() == source.read_bytes()


def test_awscli_helper_works(awscli: Callable[..., Any], s3api_proxy: Proxy,
                             bucket_name: str) -> None:
    aws = awscli(proxy=s3api_proxy)
    aws.run('s3api', 'create-bucket', '--bucket', bucket_name)
    listing = aws.run('s3', 'ls').stdout
    assert bucket_name in listing


def test_object_server_stop_and_restart(swift_cluster: Cluster,
                                        s3_client_factory: Callable[..., Any],
                                        s3api_proxy: Proxy, bucket_name: str) -> None:
    client = s3_client_factory(proxy=s3api_proxy)
    client.create_bucket(Bucket=bucket_name)
    swift_cluster.stop_server('object')
    try:
        with pytest.raises(client.exceptions.ClientError) as err:
            client.put_object(Bucket=bucket_name, Key='k', Body=b'data')
        assert err.value.response['ResponseMetadata']['HTTPStatusCode'] == 503
    finally:
        swift_cluster.start_server('object')
    client.put_object(Bucket=bucket_name, Key='k', Body=b'data')
    assert client.get_object(Bucket=bucket_name, Key='k')['Body'].read() == b'data'


def test_proxy_with_extra_filter(swift_cluster: Cluster) -> None:
    spec = ProxySpec(name='proxy-crossdomain', preset='native').replacing(
        'healthcheck', ('healthcheck', 'crossdomain'),
        {'crossdomain': {'use': 'egg:swift#crossdomain'}})
    proxy = swift_cluster.add_proxy(spec)
    try:
        resp = requests.get(f'{proxy.url}/crossdomain.xml', timeout=10)
        assert resp.status_code == 200
        assert b'cross-domain-policy' in resp.content
    finally:
        swift_cluster.stop_server(spec.name)


def test_stop_leaves_no_process(tmp_path: Any) -> None:
    cluster = Cluster(str(tmp_path / 'c'), workers=1)
    try:
        cluster.start()
        cluster.add_proxy(ProxySpec(preset='native', workers=1))
        pids = [pid for server in cluster.servers.values() for pid in server.pids()]
        proxy_pids = cluster.proxy_pids()['proxy']
    finally:
        cluster.stop()
    assert len(proxy_pids) == 2  # Swift's master and one worker
    assert len(pids) >= 8  # 4 masters + 4 workers (+ memcached when installed)
    assert [pid for pid in pids if _alive(pid)] == []


def _alive(pid: int) -> bool:
    """Running or stopped, not gone and not a zombie waiting for init to reap it."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


def test_device_on_xfs_when_it_can_be(swift_cluster):
    """As Swift's SAIO: the device is a loopback XFS image when root and
    xfsprogs allow it (issue 13), else a plain directory, and says which."""
    from swift3compat_dev.loopfs import loop_mount_possible, mounted_source
    device = os.path.join(swift_cluster.devices_dir, 'd1')
    if loop_mount_possible('xfs') is None:
        assert swift_cluster.fs_type == 'xfs'
        assert mounted_source(device)[1] == 'xfs'
    else:
        assert swift_cluster.fs_type == 'dir'
        assert mounted_source(device) is None
