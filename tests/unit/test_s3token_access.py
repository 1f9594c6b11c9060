"""The start-up check of the s3token service user (swift3compat.s3token.access),
against the fake Keystone of test_s3token; the real policy is checked in
tests/keystone/test_service_user_access.py."""
from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest

from swift3compat import s3token as entry_point
from swift3compat.s3token import access as s3token_access
from swift3compat.s3token import middleware as s3token
from swift3compat.s3token import options as s3token_options
from swift3compat.s3token.access import Who, _Probe
from tests.unit.test_s3token import (ALICE, FakeKeystone, FakeMemcache, LogCapture,
                                     Signer, _closed_port, base_conf, make_filter,
                                     s3_request)

LOGGER = logging.getLogger('test-s3token')


@pytest.fixture
def keystone() -> Iterator[FakeKeystone]:
    server = FakeKeystone()
    yield server
    server.close()


@pytest.fixture
def log() -> Iterator[LogCapture]:
    capture = LogCapture()
    LOGGER.setLevel(logging.DEBUG)
    LOGGER.addHandler(capture)
    yield capture
    LOGGER.removeHandler(capture)


@pytest.fixture(autouse=True)
def fresh_verdicts() -> Iterator[None]:
    s3token_access._VERDICTS.clear()
    yield
    s3token_access._VERDICTS.clear()


def start(keystone: FakeKeystone, **overrides: str) -> tuple:
    conf = base_conf(keystone, **overrides)
    args = s3token._access_check_args(conf, s3token_options.parse_options(conf), LOGGER)
    s3token_access.at_start(*args)
    return args


def test_allowed_user_is_checked_once(keystone: FakeKeystone, log: LogCapture) -> None:
    args = start(keystone)
    assert s3token_access.verdict(args[0]).state == 'ok'
    assert keystone.count('s3tokens') == 1 and keystone.count('ec2-list') == 1
    assert log.lines[-1] == (
        's3token: the service user swift (token scoped to project service, roles: '
        'service) may validate S3 signatures and read EC2 secrets')
    start(keystone)     # the proxy loads its pipeline twice; workers inherit
    assert keystone.count('s3tokens') == 1


def test_filter_factory_checks_at_start(keystone: FakeKeystone) -> None:
    entry_point.filter_factory({}, **base_conf(keystone))
    assert keystone.count('s3tokens') == 1 and keystone.count('ec2-list') == 1


def test_secret_cache_off_needs_no_secret_access(keystone: FakeKeystone,
                                                 log: LogCapture) -> None:
    keystone.ec2_list_status = 403
    args = start(keystone, secret_cache_duration='0')
    assert s3token_access.verdict(args[0]).state == 'ok'


def test_project_user_without_admin(keystone: FakeKeystone, log: LogCapture) -> None:
    keystone.ec2_list_status = 403
    args = start(keystone)
    verdict = s3token_access.verdict(args[0])
    assert verdict.state == 'problem'
    [line] = [x for x in log.lines if x.startswith('s3token:')]
    assert 'swift (token scoped to project service, roles: service) may not read EC2 ' \
        'secrets (Keystone answers 403), so nothing is cached' in line
    assert 'fix: give it the admin role on project service (openstack role add ' \
        '--project service --user swift admin), or the reader and service roles on ' \
        'the system with system_scope = all' in line
    assert 'swiftpass' not in line


def test_runtime_warning_names_the_fix(keystone: FakeKeystone, log: LogCapture) -> None:
    keystone.ec2_status = 403
    s3t = make_filter(keystone)
    s3_request(Signer(ALICE.access, ALICE.secret), memcache=FakeMemcache()).get_response(s3t)
    [line] = [x for x in log.lines if 'cannot read EC2 secrets' in x]
    assert 'HTTP 403' in line and 'admin role on project service' in line
    assert 'system reader role' not in line


def test_user_who_may_not_validate(keystone: FakeKeystone, log: LogCapture) -> None:
    keystone.s3tokens_status, keystone.s3tokens_body = 403, {'error': {'code': 403}}
    start(keystone)
    [line] = [x for x in log.lines if x.startswith('s3token:')]
    assert 'may not validate S3 signatures' in line
    assert 'fix: give it the service role on project service (openstack role add ' \
        '--project service --user swift service)' in line


def test_service_login_refused(keystone: FakeKeystone, log: LogCapture) -> None:
    keystone.login_status = 401
    start(keystone)
    assert any('cannot get a token (HTTP 401)' in x for x in log.lines)


def test_keystone_down_at_start_then_rechecked(keystone: FakeKeystone, log: LogCapture,
                                               monkeypatch: Any) -> None:
    down = f'http://127.0.0.1:{_closed_port()}/v3'
    args = start(keystone, auth_uri=down, auth_url=down)
    assert s3token_access.verdict(args[0]).state == 'unknown'
    assert any("cannot check the service user's access (Keystone unreachable"
               in x for x in log.lines)
    # Keystone answers a request later: the check runs again, in the background
    monkeypatch.setattr(s3token_access, 'RECHECK_INTERVAL', 0.0)
    up = (args[0], lambda: s3token_options.load_service_session(
        base_conf(keystone), s3token_options.parse_options(base_conf(keystone))), keystone.url,
        True, LOGGER)
    s3token_access.recheck_if_due(*up)
    deadline = time.monotonic() + 10
    while s3token_access.verdict(args[0]).state == 'unknown' and \
            time.monotonic() < deadline:
        time.sleep(0.05)
    assert s3token_access.verdict(args[0]).state == 'ok'


def test_each_call_of_the_check_is_bounded(keystone: FakeKeystone) -> None:
    conf = base_conf(keystone, http_timeout='30')
    args = s3token._access_check_args(conf, s3token_options.parse_options(conf), LOGGER)
    assert args[1]().timeout == s3token_access.CHECK_TIMEOUT
    conf = base_conf(keystone, http_timeout='2')
    args = s3token._access_check_args(conf, s3token_options.parse_options(conf), LOGGER)
    assert args[1]().timeout == 2


def test_keystone_too_slow_at_start(keystone: FakeKeystone, log: LogCapture) -> None:
    keystone.delay = 3
    args = start(keystone, http_timeout='0.5')
    assert s3token_access.verdict(args[0]).state == 'unknown'
    assert any('ConnectTimeout' in x or 'Timeout' in x for x in log.lines)


WHO = Who('swift', 'Default', 'project', project='service', roles=('service',))


@pytest.mark.parametrize('system,expected', [
    (None, 'give it the admin role on project service'),
    (_Probe(validate=True, read=True),
     'it has the reader role on the system, which a project-scoped token cannot use: '
     'set system_scope = all in [filter:s3token] instead of project_name/project_id '
     'and project_domain_name/project_domain_id'),
    (_Probe(validate=False, read=True),
     'and give it the service role on the system (openstack role add --system all '
     '--user swift service)'),
])
def test_read_fix(system: _Probe | None, expected: str) -> None:
    assert expected in s3token_access.read_fix(WHO, system)


def test_read_fix_system_scope() -> None:
    who = Who('s3', 'Ops', 'system', roles=('service',))
    assert s3token_access.read_fix(who) == (
        'give it the reader role on the system (openstack role add --system all '
        '--user s3 --user-domain Ops reader)')


def test_start_up_check_has_a_deadline(keystone: FakeKeystone, log: LogCapture,
                                       monkeypatch: Any) -> None:
    """The proxy runs the check with green sockets: a hung call ends at the deadline."""
    import eventlet

    def hangs(*args: Any) -> None:
        eventlet.sleep(30)
    monkeypatch.setattr(s3token_access, 'check', hangs)
    monkeypatch.setattr(s3token_access, 'START_DEADLINE', 0.2)
    args = start(keystone)
    assert s3token_access.verdict(args[0]).state == 'unknown'
    assert any('no answer within 0.2 s' in x for x in log.lines)
