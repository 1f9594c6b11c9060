"""What the Object Lock tests share: a proxy with ``object_lock = true`` and
the ``objectlock`` filter, short lock "days", waiting for a retention to
pass, and the native Swift API of a tempauth user.

``LOCK_DAY`` seconds make an Object Lock "day" (``object_lock_day_seconds``,
a debug option) and ``LIFECYCLE_DAY`` a lifecycle one, so that a default
retention of 1 day outlasts a 1-day lifecycle rule and the tests can see
the sweeper skip a locked version, then delete it once the lock passed.
Tests wait for moments the server reported (a retain-until date) to pass;
they never assert how long anything took.
"""
from __future__ import annotations

import base64
import hashlib
import time
from datetime import datetime
from typing import Any, Callable, Dict, Optional

import requests

from swift3compat_dev.cluster import PIPELINES, Cluster, Proxy, ProxySpec

LOCK_DAY = 6
LIFECYCLE_DAY = 2
ACCOUNT = 'AUTH_test'


def lock_pipeline() -> tuple:
    names = list(PIPELINES['swift3compat'])
    names.insert(names.index('tempauth') + 1, 'objectlock')
    return tuple(names)


def start_lock_proxy(cluster: Cluster, name: str,
                     **s3_options: str) -> Proxy:
    options = {'storage_domain': 'localhost', 's3_acl': 'true',
               'object_lock': 'true',
               'object_lock_day_seconds': str(LOCK_DAY),
               'lifecycle_day_seconds': str(LIFECYCLE_DAY), **s3_options}
    return cluster.add_proxy(ProxySpec(
        name=name, pipeline=lock_pipeline(), s3_options=options,
        filters={'objectlock': {'use': 'egg:swift3compat#objectlock'}}))


def wait_past(moment: Any) -> None:
    """Sleep until ``moment`` (a datetime or epoch seconds) has passed."""
    epoch = moment.timestamp() if isinstance(moment, datetime) else moment
    time.sleep(max(0.0, epoch - time.time() + 0.5))


def md5_b64(body: bytes) -> str:
    return base64.b64encode(hashlib.md5(body).digest()).decode()


def code(exc: Any) -> str:
    return exc.value.response['Error']['Code']


def status(exc: Any) -> int:
    return exc.value.response['ResponseMetadata']['HTTPStatusCode']


def swift_api(proxy: Proxy, user: str = 'test:tester', key: str = 'testing'
              ) -> Callable[..., requests.Response]:
    """``call(method, path, **kwargs)``: the native Swift API of a tempauth
    user on ``proxy``; ``path`` is below ``/v1`` (``/AUTH_test/b/o``)."""
    auth = requests.get(proxy.url + '/auth/v1.0', timeout=10, headers={
        'X-Auth-User': user, 'X-Auth-Key': key})
    assert auth.status_code // 100 == 2, auth.text
    token = auth.headers['X-Auth-Token']

    def call(method: str, path: str, headers: Optional[Dict[str, str]] = None,
             **kwargs: Any) -> requests.Response:
        return requests.request(
            method, proxy.url + '/v1' + path, timeout=30,
            headers=dict(headers or {}, **{'X-Auth-Token': token}), **kwargs)
    return call
