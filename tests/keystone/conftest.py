"""A real Keystone and Swift for the s3token functional tests.

Once per test session: Keystone from PyPI in its own virtualenv
(``swift3compat/local_keystone.py``: installed on first use into
``~/.cache/swift3compat/keystone-venv``, bootstrapped on SQLite, served on
127.0.0.1) and a Swift cluster (``swift3compat_dev.cluster``). Proxies are started
on demand, one per (S3 front end, with authtoken or not, s3token options):

    pipeline = ... cache <swift3|s3api> s3token [authtoken] keystoneauth copy slo ...

``s3api`` is Swift's own S3 front end: s3token must work behind it too (it
reads ``s3api.auth_details``), which also tells s3token problems apart from
swift3 ones.  Users: ``alice`` (project ``alpha``) and ``bob`` (``beta``), each
with an EC2 credential.  Run with ``tox -e keystone`` or
``python -m pytest tests/keystone``.
"""
from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from typing import Any, Callable

import pytest

from swift3compat_dev.cluster import Cluster, Proxy, ProxySpec
from swift3compat_dev.servers import log_tail

from tests.keystone.ks_helpers import FRONT_OPTIONS, KEYSTONEAUTH, LocalKeystone

_TIMINGS: dict[str, float] = {}


@pytest.fixture(scope='session')
def keystone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKeystone]:
    server = LocalKeystone(str(tmp_path_factory.mktemp('keystone')))
    server.setup()
    _TIMINGS.update(install=server.install_seconds, bootstrap=server.bootstrap_seconds)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope='session')
def ks_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    cluster = Cluster(str(tmp_path_factory.mktemp('ks-cluster')))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope='session')
def ks_proxy(ks_cluster: Cluster, keystone: LocalKeystone) -> Callable[..., Proxy]:
    """``ks_proxy(front='swift3', authtoken=True, **s3token_options) -> Proxy``."""
    proxies: dict[tuple, Proxy] = {}
    serial = itertools.count()

    def get(front: str = 'swift3', authtoken: bool = True, **s3token: str) -> Proxy:
        key = (front, authtoken, tuple(sorted(s3token.items())))
        if key not in proxies:
            auth = ['s3token'] + (['authtoken'] if authtoken else []) + ['keystoneauth']
            preset = 'swift3compat' if front == 'swift3' else front
            spec = ProxySpec(name=f'ksproxy{next(serial)}-{front}', preset=preset,
                             s3_options=FRONT_OPTIONS[front]).replacing(
                'tempauth', auth, {
                    's3token': keystone.s3token_options(**s3token),
                    'authtoken': keystone.authtoken_options(),
                    'keystoneauth': KEYSTONEAUTH})
            proxies[key] = ks_cluster.add_proxy(spec)
        return proxies[key]
    return get


@pytest.fixture
def bucket() -> str:
    return 'ks-' + uuid.uuid4().hex[:16]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    report = yield
    if report.failed:
        cluster = getattr(item, 'funcargs', {}).get('ks_cluster')
        for proxy in (cluster.proxies.values() if cluster else ()):
            path = proxy.process.log_path
            report.sections.append((f'end of {path}', log_tail(path, 3000)))
        keystone = getattr(item, 'funcargs', {}).get('keystone')
        if keystone is not None:
            report.sections.append(('end of keystone.log', keystone.log_tail()))
    return report


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _TIMINGS:
        terminalreporter.write_line(
            f"keystone: virtualenv install {_TIMINGS['install']:.1f} s "
            f"(0 = already installed), bootstrap + provisioning "
            f"{_TIMINGS['bootstrap']:.1f} s")
