"""Fixtures of the fault-injection suite.

The functional fixtures are re-exported from ``tests/functional/conftest.py``;
this directory gets its own session cluster, because these tests stop and
start its servers. Added here:

* ``fault_proxy``: a swift3compat proxy that forgets error-limited nodes after
  one second (``error_suppression_interval``; the default 60 s would make
  every test after a fault wait) and accepts 1-byte multipart parts;
* ``raw``: a ``RawS3`` client of ``test:tester`` on it;
* ``restore``: after each test, every stopped server is started again and
  the proxy answers object requests again.
"""
from __future__ import annotations

import time
from typing import Iterator

import pytest

from swift3compat_dev.cluster import Cluster, Proxy, ProxySpec
from tests.functional.conftest import *  # noqa: F401,F403 (fixtures)
from tests.functional.conftest import DEFAULT_S3_OPTIONS
from tests.security.s3raw import Creds, RawS3

SERVERS = ('account', 'container', 'object', 'memcached')
RECOVERY = 60.0     # how long a restarted cluster may take to serve again


@pytest.fixture(scope='session')
def fault_proxy(swift_cluster: Cluster) -> Proxy:
    return swift_cluster.add_proxy(ProxySpec(
        name='proxy-faults', s3_options={**DEFAULT_S3_OPTIONS, 'min_segment_size': '1'},
        app_options={'error_suppression_interval': '1', 'conn_timeout': '0.5',
                     'node_timeout': '10', 'client_timeout': '10'}))


@pytest.fixture(scope='session')
def raw(fault_proxy: Proxy) -> RawS3:
    return RawS3('127.0.0.1', fault_proxy.port, Creds('test:tester', 'testing'))


@pytest.fixture
def bucket(raw: RawS3, bucket_name: str) -> str:
    resp = raw.send('PUT', f'/{bucket_name}')
    assert resp.status == 200, resp
    return bucket_name


def wait_until_serving(raw: RawS3, bucket: str) -> None:
    """Poll (bounded) until an object PUT and GET work through the proxy."""
    deadline = time.monotonic() + RECOVERY
    while True:
        put = raw.send('PUT', f'/{bucket}/.probe', body=b'probe')
        if put.status == 200 and raw.send('GET', f'/{bucket}/.probe').status == 200:
            raw.send('DELETE', f'/{bucket}/.probe')
            return
        if time.monotonic() > deadline:
            raise AssertionError(f'the cluster did not recover: {put}')
        time.sleep(0.5)


@pytest.fixture(autouse=True)
def restore(swift_cluster: Cluster, raw: RawS3, make_bucket_name) -> Iterator[None]:
    yield
    for name in SERVERS:
        server = swift_cluster.servers.get(name)
        if server is not None and not server.running:
            swift_cluster.start_server(name)
    probe = make_bucket_name('probe')
    deadline = time.monotonic() + RECOVERY
    while raw.send('PUT', f'/{probe}').status != 200:
        assert time.monotonic() < deadline, 'the cluster did not recover'
        time.sleep(0.5)
    wait_until_serving(raw, probe)
