"""No signature, string to sign or secret in any log line.

Row: CVE-2017-8761 (signatures logged in full ⇒ replay from logs) and the
observed "signature in logs" (a SigV2 Authorization signature in clear in the
proxy access log). The proxy here logs request headers (``log_headers``) and
runs swift3, tempauth and proxy-logging at DEBUG, so every line any of them
writes is searched. ``reveal_sensitive_prefix`` (16) characters may show.
"""
from __future__ import annotations

import os
from urllib.parse import quote

import pytest

from swift3compat_dev.cluster import ProxySpec
from tests.functional.conftest import DEFAULT_S3_OPTIONS
from tests.security.s3raw import Creds, RawS3, http_date, v2_string_to_sign

REVEALED = 16
SECRET = 'testing2'         # test2:tester2's secret: a word no log line has otherwise


@pytest.fixture(scope='module')
def logging_proxy(swift_cluster):
    debug = {'log_level': 'DEBUG'}
    spec = ProxySpec(
        name='proxy-log-redaction', s3_options={**DEFAULT_S3_OPTIONS, **debug},
        filters={'proxy-logging': {'use': 'egg:swift#proxy_logging',
                                   'log_headers': 'true', **debug},
                 'tempauth': {'use': 'egg:swift#tempauth', **debug,
                              'user_test2_tester2': f'{SECRET} .admin'}})
    return swift_cluster.add_proxy(spec)


def _windows(secret: str) -> set[str]:
    """Every substring one character longer than what may be revealed, as
    sent and as (doubly) percent-encoded in a logged query string."""
    out = set()
    for i in range(len(secret) - REVEALED):
        window = secret[i:i + REVEALED + 1]
        encoded = quote(window, safe='')
        out.update((window, encoded, quote(window, safe='/'), quote(encoded, safe='')))
    return out


def test_cve_2017_8761_no_signature_in_any_log_line(logging_proxy, make_bucket_name):
    client = RawS3('127.0.0.1', logging_proxy.port, Creds('test2:tester2', SECRET))
    wrong = RawS3('127.0.0.1', logging_proxy.port, Creds('test2:tester2', 'not-the-secret'))
    bucket = make_bucket_name('log-redaction')
    log_path = logging_proxy.process.log_path
    start = os.path.getsize(log_path)
    signatures: list[str] = []
    secrets_to_hide: list[str] = [SECRET]

    def send(c: RawS3, *args, **kwargs):
        resp = c.send(*args, **kwargs)
        signatures.append(resp.signature)
        return resp

    assert send(client, 'PUT', f'/{bucket}').status == 200
    for auth in ('v2', 'v4', 'v2-query', 'v4-query'):
        assert send(client, 'PUT', f'/{bucket}/k-{auth}', body=b'x', auth=auth).status == 200
        assert send(client, 'GET', f'/{bucket}/k-{auth}', auth=auth).status == 200
        assert send(client, 'GET', f'/{bucket}/missing', auth=auth).status == 404
        assert send(wrong, 'GET', f'/{bucket}/k-{auth}', auth=auth).status == 403
        assert send(client, 'GET', f'/{bucket}', params=[('acl', '')], auth=auth).status == 200
    headers = {'date': http_date(), 'host': f'127.0.0.1:{logging_proxy.port}'}
    sts = v2_string_to_sign('GET', f'/{bucket}/k-v2', (), headers, headers['date'])
    secrets_to_hide.append(sts)
    secrets_to_hide.append(sts.replace('\n', '#012'))

    with open(log_path, 'rb') as f:
        f.seek(start)
        log = f.read().decode('utf-8', 'replace')
    assert bucket in log, 'the proxy logged nothing about these requests'
    assert 'Authorization' in log or 'authorization' in log, \
        'log_headers did not log the request headers: the test would prove nothing'
    for sig in signatures:
        leaked = [w for w in _windows(sig) if w in log]
        assert not leaked, f'signature {sig[:8]}... logged: {leaked[:3]}'
    for secret in secrets_to_hide:
        assert secret not in log
