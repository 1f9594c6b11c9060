"""Fixtures for the functional suite: a real Swift cluster and real S3 clients.

One cluster (account, container and object servers + memcached, see
``swift3compat_dev.cluster``) runs per session under pytest's temp dir, its device
on a loopback XFS image when it can be mounted (root, xfsprogs), as Swift's
SAIO runs, else on a plain directory. Proxies are
started on demand, one per distinct (preset, S3 options), and kept for the session:

* ``s3_proxy`` / ``s3_endpoint``: the ``swift3compat`` pipeline (tempauth) with
  ``DEFAULT_S3_OPTIONS``; what most tests use.
* ``proxy_factory(preset='swift3compat', **s3_options)``: another proxy on the same
  rings, e.g. ``proxy_factory(s3_acl='false')`` or ``proxy_factory('s3api')``.

Clients, all defaulting to ``s3_proxy`` and the user ``test:tester``:

* ``s3``: a boto3 client (path style, SigV4); ``s3_client_factory`` makes others
  (``style='virtual'`` uses ``<bucket>.localhost``, which needs nss-myhostname).
* ``s3cmd_config(...)`` writes an s3cmd config file and returns its path;
  ``s3cmd(config, *args)`` runs s3cmd with it.
* ``awscli(...)`` returns an ``AwsCli`` whose ``run(*args)`` runs ``aws`` with its
  own config/credentials files and ``--endpoint-url``.
* ``s3_users``: the tempauth users by access key (``test:tester``, ``test:tester2``,
  ``test:tester3`` (no .admin), ``test2:tester2``, ``admin:admin``).
* ``bucket_name`` / ``make_bucket_name``: names no other test uses.

When a test using the cluster fails, the end of each proxy's log is added to the
report. The servers' logs are in ``<tmp>/cluster*/log/``.
"""
from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional

import boto3
import pytest
from botocore.config import Config

from swift3compat_dev.cluster import (TEMPAUTH_USERS, Cluster, Proxy, ProxySpec,
                                  TempauthUser, wildcard_localhost_resolves)
from swift3compat_dev.servers import log_tail

DEFAULT_S3_OPTIONS = {'storage_domain': 'localhost', 's3_acl': 'true'}
REGION = 'us-east-1'
DEFAULT_USER = 'test:tester'


@pytest.fixture(scope='session')
def swift_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    cluster = Cluster(str(tmp_path_factory.mktemp('cluster')), filesystem='auto')
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope='session')
def proxy_factory(swift_cluster: Cluster) -> Callable[..., Proxy]:
    """``proxy_factory(preset='swift3compat', **s3_options) -> Proxy``, cached."""
    proxies: dict[tuple, Proxy] = {}
    serial = itertools.count()

    def get(preset: str = 'swift3compat', **s3_options: str) -> Proxy:
        key = (preset, tuple(sorted(s3_options.items())))
        if key not in proxies:
            spec = ProxySpec(name=f'proxy{next(serial)}-{preset}', preset=preset,
                             s3_options=s3_options)
            proxies[key] = swift_cluster.add_proxy(spec)
        return proxies[key]
    return get


@pytest.fixture(scope='session')
def s3_proxy(proxy_factory: Callable[..., Proxy]) -> Proxy:
    return _default_proxy(proxy_factory)


def _default_proxy(proxy_factory: Callable[..., Proxy]) -> Proxy:
    """``s3_proxy``, started only when a client asks for it."""
    return proxy_factory('swift3compat', **DEFAULT_S3_OPTIONS)


def endpoint_of(proxy: Proxy) -> str:
    """The proxy's URL by name (``localhost``), so that virtual hosts work."""
    return f'http://localhost:{proxy.port}'


@pytest.fixture(scope='session')
def s3_endpoint(s3_proxy: Proxy) -> str:
    return endpoint_of(s3_proxy)


@pytest.fixture(scope='session')
def s3_users() -> dict[str, TempauthUser]:
    return {user.access_key: user for user in TEMPAUTH_USERS}


def _require_virtual_hosts() -> None:
    if not wildcard_localhost_resolves():
        pytest.fail('<bucket>.localhost does not resolve, so virtual-hosted-style '
                    'requests cannot reach the proxy: install libnss-myhostname '
                    '(.ci/run does)')


@pytest.fixture(scope='session')
def s3_client_factory(proxy_factory: Callable[..., Proxy], s3_users: dict[str, TempauthUser]
                      ) -> Callable[..., Any]:
    """``s3_client_factory(user, style='path'|'virtual', signature_version='s3v4',
    proxy=None, **botocore_config)`` -> a boto3 S3 client that does not retry."""
    def make(user: str = DEFAULT_USER, *, style: str = 'path',
             signature_version: str = 's3v4', proxy: Optional[Proxy] = None,
             **config: Any) -> Any:
        if style == 'virtual':
            _require_virtual_hosts()
        creds = s3_users[user]
        options = {'retries': {'mode': 'standard', 'total_max_attempts': 1}, **config}
        endpoint = endpoint_of(proxy or _default_proxy(proxy_factory))
        return boto3.session.Session().client(
            's3', endpoint_url=endpoint, region_name=REGION,
            aws_access_key_id=creds.access_key, aws_secret_access_key=creds.key,
            config=Config(signature_version=signature_version,
                          s3={'addressing_style': style}, **options))
    return make


@pytest.fixture(scope='session')
def s3(s3_client_factory: Callable[..., Any]) -> Any:
    """boto3 client of ``test:tester`` on ``s3_proxy``, path style, SigV4."""
    return s3_client_factory()


@pytest.fixture(scope='session')
def s3cmd_config(tmp_path_factory: pytest.TempPathFactory,
                 proxy_factory: Callable[..., Proxy],
                 s3_users: dict[str, TempauthUser]) -> Callable[..., str]:
    """``s3cmd_config(user, signature='v4'|'v2', style='path'|'virtual',
    proxy=None) -> path`` of a config file for ``s3cmd -c PATH``."""
    directory = tmp_path_factory.mktemp('s3cmd')
    serial = itertools.count()

    def write(user: str = DEFAULT_USER, *, signature: str = 'v4',
              style: str = 'path', proxy: Optional[Proxy] = None) -> str:
        if style == 'virtual':
            _require_virtual_hosts()
        creds = s3_users[user]
        host = f'localhost:{(proxy or _default_proxy(proxy_factory)).port}'
        host_bucket = f'%(bucket)s.{host}' if style == 'virtual' else host
        path = directory / f's3cfg-{next(serial)}'
        path.write_text(
            '[default]\n'
            f'access_key = {creds.access_key}\n'
            f'secret_key = {creds.key}\n'
            f'host_base = {host}\n'
            f'host_bucket = {host_bucket}\n'
            f'signature_v2 = {signature == "v2"}\n'
            'use_https = False\n'
            f'bucket_location = {REGION}\n')
        return str(path)
    return write


@pytest.fixture(scope='session')
def s3cmd() -> Callable[..., subprocess.CompletedProcess]:
    """``s3cmd(config_path, *args, check=True)``: run s3cmd, this Python's first."""
    search = os.pathsep.join((sysconfig.get_path('scripts'), os.environ.get('PATH', '')))
    script = shutil.which('s3cmd', path=search)
    if script is None:
        pytest.fail('s3cmd not found: pip install -r test-requirements.txt')

    def run(config: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([script, '-c', config, *args],
                              capture_output=True, text=True, timeout=120)
        if check:
            assert proc.returncode == 0, f's3cmd {args}:\n{proc.stdout}{proc.stderr}'
        return proc
    return run


@dataclass
class AwsCli:
    """The ``aws`` command line with its own config files and endpoint."""

    env: dict[str, str]
    endpoint_url: str

    def run(self, *args: str, check: bool = True,
            input: Optional[str] = None) -> subprocess.CompletedProcess:
        """Run ``aws --endpoint-url URL ARGS...``; output captured as text."""
        argv = [sys.executable, '-m', 'awscli', '--endpoint-url', self.endpoint_url,
                *args]
        return subprocess.run(argv, env=self.env, input=input, capture_output=True,
                              text=True, check=check, timeout=120)


@pytest.fixture(scope='session')
def awscli(tmp_path_factory: pytest.TempPathFactory,
           proxy_factory: Callable[..., Proxy],
           s3_users: dict[str, TempauthUser]) -> Callable[..., AwsCli]:
    """``awscli(user, style='path'|'virtual', signature_version='s3v4',
    proxy=None) -> AwsCli``."""
    def make(user: str = DEFAULT_USER, *, style: str = 'path',
             signature_version: str = 's3v4', proxy: Optional[Proxy] = None
             ) -> AwsCli:
        if style == 'virtual':
            _require_virtual_hosts()
        creds = s3_users[user]
        directory = tmp_path_factory.mktemp('awscli')
        config = directory / 'config'
        config.write_text(
            f'[default]\nregion = {REGION}\n'
            f's3 =\n    addressing_style = {style}\n'
            f'    signature_version = {signature_version}\n')
        credentials = directory / 'credentials'
        credentials.write_text(
            f'[default]\naws_access_key_id = {creds.access_key}\n'
            f'aws_secret_access_key = {creds.key}\n')
        env = {k: v for k, v in os.environ.items() if not k.startswith('AWS_')}
        env.update(AWS_CONFIG_FILE=str(config),
                   AWS_SHARED_CREDENTIALS_FILE=str(credentials),
                   AWS_EC2_METADATA_DISABLED='true', AWS_PAGER='')
        return AwsCli(env, endpoint_of(proxy or _default_proxy(proxy_factory)))
    return make


@pytest.fixture(scope='session')
def make_bucket_name() -> Callable[[str], str]:
    """``make_bucket_name(hint='') -> str``: a valid, never reused bucket name."""
    def make(hint: str = '') -> str:
        stem = re.sub(r'[^a-z0-9]+', '-', hint.lower()).strip('-')[:40]
        return '-'.join(filter(None, ('t', stem, uuid.uuid4().hex[:12])))
    return make


@pytest.fixture
def bucket_name(request: pytest.FixtureRequest,
                make_bucket_name: Callable[[str], str]) -> str:
    return make_bucket_name(request.node.name)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo
                              ) -> Iterator[None]:
    report = yield
    cluster = getattr(item, 'funcargs', {}).get('swift_cluster')
    if report.failed and cluster is not None:
        for proxy in cluster.proxies.values():
            path = proxy.process.log_path
            report.sections.append((f'end of {path}', log_tail(path, 3000)))
    return report
