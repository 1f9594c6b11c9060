"""Fixtures of the security regression suite.

The functional fixtures (a real Swift cluster, boto3 clients, tempauth users)
are re-exported from ``tests/functional/conftest.py``; this directory gets its
own session cluster, so tests here may error-limit or reconfigure proxies
without disturbing the functional suite. Added here:

* ``raw_factory(user='test:tester', proxy=None) -> RawS3``: signs and sends
  hostile requests byte for byte (``tests/security/s3raw.py``);
* ``raw``: ``raw_factory()``;
* ``swift_api(user) -> SwiftApi``: the native Swift API of a tempauth user, to
  prove what an S3 request did or did not change in Swift.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

import pytest
import requests

from swift3compat_dev.cluster import Proxy, TempauthUser
from tests.functional.conftest import *  # noqa: F401,F403 (fixtures)
from tests.functional.conftest import _default_proxy
from tests.security.s3raw import Creds, RawS3


@pytest.fixture(scope='session')
def raw_factory(proxy_factory: Callable[..., Proxy],
                s3_users: dict[str, TempauthUser]) -> Callable[..., RawS3]:
    def make(user: str = 'test:tester', proxy: Optional[Proxy] = None,
             **kwargs: Any) -> RawS3:
        target = proxy or _default_proxy(proxy_factory)
        creds = Creds(user, s3_users[user].key)
        return RawS3('127.0.0.1', target.port, creds, **kwargs)
    return make


@pytest.fixture(scope='session')
def raw(raw_factory: Callable[..., RawS3]) -> RawS3:
    return raw_factory()


@dataclass
class SwiftApi:
    """The native Swift API of one tempauth user (through a proxy)."""

    url: str
    token: str

    def call(self, method: str, path: str = '', **kwargs: Any) -> requests.Response:
        headers = {'X-Auth-Token': self.token, **kwargs.pop('headers', {})}
        return requests.request(method, self.url + path, headers=headers, timeout=30,
                                **kwargs)


@pytest.fixture(scope='session')
def swift_api(proxy_factory: Callable[..., Proxy],
              s3_users: dict[str, TempauthUser]) -> Callable[[str], SwiftApi]:
    cache: dict[str, SwiftApi] = {}

    def get(user: str = 'test:tester') -> SwiftApi:
        if user not in cache:
            proxy = _default_proxy(proxy_factory)
            resp = requests.get(f'{proxy.url}/auth/v1.0', timeout=30, headers={
                'X-Auth-User': user, 'X-Auth-Key': s3_users[user].key})
            assert resp.status_code == 200, resp.text
            cache[user] = SwiftApi(resp.headers['X-Storage-Url'],
                                   resp.headers['X-Auth-Token'])
        return cache[user]
    return get


@pytest.fixture
def bucket(raw: RawS3, bucket_name: str) -> str:
    """A new bucket of test:tester (created with a raw SigV4 request)."""
    resp = raw.send('PUT', f'/{bucket_name}')
    assert resp.status == 200, resp
    return bucket_name
