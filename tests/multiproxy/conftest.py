"""Fixtures of the multi-proxy fault suite (issue 13).

Production runs several proxies on one cluster and one memcache pool; this
suite does too. Its session cluster is its own (tests stop, freeze and kill
its servers) and runs on a loopback XFS image when it can (``filesystem='auto'``).

* ``proxy_a``, ``proxy_b``: two swift3compat proxies on the same rings and
  memcached (1-byte multipart parts allowed, error-limited nodes forgotten
  after a second);
* ``raw_a``, ``raw_b``, ``raws``: ``RawS3`` clients of ``test:tester`` on them;
* ``swift_native``: the native Swift API of ``AUTH_test`` (to see segments);
* ``memcached``: stop/start/freeze/thaw the memcached process;
* ``restore`` (autouse): after each test every stopped server runs again,
  memcached is thawed, and both proxies serve object requests again.
"""
from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from typing import Any, Iterator

import pwd

import pytest
import requests

from swift3compat_dev.cluster import Cluster, Proxy, ProxySpec, render_ini
from swift3compat_dev.proxy_spec import internal_client_sections
from tests.functional.conftest import *  # noqa: F401,F403 (fixtures)
from tests.functional.conftest import DEFAULT_S3_OPTIONS
from tests.security.s3raw import Creds, RawS3

SERVERS = ('account', 'container', 'object', 'memcached')
RECOVERY = 90.0     # how long a restarted cluster may take to serve again
OPTIONS = {**DEFAULT_S3_OPTIONS, 'min_segment_size': '1'}
APP_OPTIONS = {'error_suppression_interval': '1', 'conn_timeout': '0.5',
               'node_timeout': '10', 'client_timeout': '10'}


@pytest.fixture(scope='session')
def swift_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    cluster = Cluster(str(tmp_path_factory.mktemp('mpcluster')), filesystem='auto')
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def _proxy(cluster: Cluster, name: str) -> Proxy:
    # Swift error-limits a failing memcache server for error_suppression_interval
    # (60 s by default); 5 s here keeps that behaviour and the suite short.
    cache = {'use': 'egg:swift#memcache', 'memcache_servers': cluster.memcache_servers,
             'error_suppression_interval': '5'}
    return cluster.add_proxy(ProxySpec(name=name, s3_options=OPTIONS,
                                       app_options=APP_OPTIONS,
                                       filters={'cache': cache}))


@pytest.fixture(scope='session')
def proxy_a(swift_cluster: Cluster) -> Proxy:
    return _proxy(swift_cluster, 'proxy-a')


@pytest.fixture(scope='session')
def proxy_b(swift_cluster: Cluster) -> Proxy:
    return _proxy(swift_cluster, 'proxy-b')


def raw_of(proxy: Proxy, user: str = 'test:tester', key: str = 'testing') -> RawS3:
    return RawS3('127.0.0.1', proxy.port, Creds(user, key))


@pytest.fixture(scope='session')
def raw_a(proxy_a: Proxy) -> RawS3:
    return raw_of(proxy_a)


@pytest.fixture(scope='session')
def raw_b(proxy_b: Proxy) -> RawS3:
    return raw_of(proxy_b)


@pytest.fixture(scope='session')
def raws(raw_a: RawS3, raw_b: RawS3) -> tuple[RawS3, RawS3]:
    return raw_a, raw_b


@dataclass
class SwiftNative:
    """The native Swift API of AUTH_test, through proxy A (tempauth)."""

    base: str
    auth_url: str
    token: str = ''

    def call(self, method: str, path: str = '', **kwargs: Any) -> requests.Response:
        for _ in range(2):
            if not self.token:
                resp = requests.get(self.auth_url, timeout=30, headers={
                    'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing'})
                resp.raise_for_status()
                self.token = resp.headers['X-Auth-Token']
            headers = {'X-Auth-Token': self.token, **kwargs.pop('headers', {})}
            resp = requests.request(method, self.base + path, headers=headers,
                                    timeout=30, **kwargs)
            if resp.status_code != 401:
                return resp
            self.token = ''
        return resp

    def listing(self, container: str, **params: str) -> list[dict]:
        """The whole listing of a container ([] when it does not exist)."""
        out: list[dict] = []
        marker = ''
        while True:
            resp = self.call('GET', '/' + requests.utils.quote(container),
                             params={'format': 'json', 'marker': marker, **params})
            if resp.status_code == 404:
                return out
            resp.raise_for_status()
            page = resp.json()
            if not page:
                return out
            out.extend(page)
            marker = page[-1].get('name', page[-1].get('subdir'))


@pytest.fixture(scope='session')
def swift_native(proxy_a: Proxy) -> SwiftNative:
    url = f'http://127.0.0.1:{proxy_a.port}'
    return SwiftNative(url + '/v1/AUTH_test', url + '/auth/v1.0')


@pytest.fixture(scope='session')
def internal_client(swift_cluster: Cluster, tmp_path_factory):
    """An InternalClient on the cluster (no auth), as the sweeper uses."""
    from swift.common.internal_client import InternalClient
    from swift.common.utils import set_swift_dir
    path = tmp_path_factory.mktemp('internal') / 'internal-client.conf'
    path.write_text(render_ini(internal_client_sections(
        swift_cluster.etc_dir, swift_cluster.memcache_servers,
        pwd.getpwuid(os.geteuid()).pw_name)))
    set_swift_dir(swift_cluster.etc_dir)
    client = InternalClient(str(path), 'multiproxy-tests', 1)
    client.conf_path = str(path)
    return client


class Memcached:
    """The cluster's memcached: stop, start, freeze (SIGSTOP), thaw."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.frozen = False

    @property
    def server(self):
        return self.cluster.servers['memcached']

    def stop(self) -> None:
        self.thaw()
        self.cluster.stop_server('memcached')

    def start(self) -> None:
        self.cluster.start_server('memcached')

    def freeze(self) -> None:
        os.kill(self.server.pid, signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        if self.frozen and self.server.pid is not None:
            os.kill(self.server.pid, signal.SIGCONT)
        self.frozen = False


@pytest.fixture(scope='session')
def memcached(swift_cluster: Cluster) -> Memcached:
    if 'memcached' not in swift_cluster.servers:
        pytest.fail('memcached is not installed: this suite needs it')
    return Memcached(swift_cluster)


@pytest.fixture
def bucket(raw_a: RawS3, bucket_name: str) -> str:
    resp = raw_a.send('PUT', f'/{bucket_name}')
    assert resp.status == 200, resp
    return bucket_name


def wait_until_serving(raws: tuple[RawS3, ...], bucket: str) -> None:
    """Poll (bounded) until an object PUT and GET and a conditional PUT (which
    needs memcache) work through every proxy."""
    for n, raw in enumerate(raws):
        deadline = time.monotonic() + RECOVERY
        while True:
            put = raw.send('PUT', f'/{bucket}/.probe', body=b'probe')
            if put.status == 200 and raw.send('GET', f'/{bucket}/.probe').status == 200 \
                    and raw.send('PUT', f'/{bucket}/.probe-{n}-{time.monotonic()}',
                                 body=b'c', headers={'if-none-match': '*'}).status == 200:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f'the cluster did not recover: {put}')
            time.sleep(0.5)


@pytest.fixture(autouse=True)
def restore(swift_cluster: Cluster, raws, memcached: Memcached,
            make_bucket_name) -> Iterator[None]:
    yield
    memcached.thaw()
    for name in SERVERS + ('proxy-a', 'proxy-b'):
        server = swift_cluster.servers.get(name)
        if server is not None and not server.running:
            swift_cluster.start_server(name)
    probe = make_bucket_name('probe')
    deadline = time.monotonic() + RECOVERY
    while raws[0].send('PUT', f'/{probe}').status != 200:
        assert time.monotonic() < deadline, 'the cluster did not recover'
        time.sleep(0.5)
    wait_until_serving(raws, probe)
