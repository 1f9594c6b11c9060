"""What Keystone's default policy lets the s3token service user do, measured on the
real Keystone (30.0.0), and what s3token's start-up check makes of it.

s3token needs ``POST /v3/s3tokens`` (``identity:s3tokens_validate``) and, for its
secret cache, another user's EC2 secret (``identity:ec2_get_credential``).  The
table in ``swift3compat/s3token/access.py`` and doc/migration.md say what is
measured here.
"""
from __future__ import annotations

import uuid
from typing import Any

import pytest
from keystoneauth1 import session as ksa_session
from keystoneauth1.identity import v3

from swift3compat.s3token import access as s3token_access
from swift3compat_dev.cluster import Cluster, ProxySpec
from swift3compat_dev.local_keystone import _get, _post, _put

from tests.keystone.ks_helpers import FRONT_OPTIONS, KEYSTONEAUTH, make_client

# name: (grants, token scope, may call s3tokens, may read another user's EC2 secret)
CASES = {
    'project-admin': ([('project', 'admin')], 'project', True, True),
    'project-service': ([('project', 'service')], 'project', True, False),
    'project-reader': ([('project', 'reader')], 'project', False, False),
    'project-member': ([('project', 'member')], 'project', False, False),
    # the service user: a project-scoped token cannot use system roles
    'project-service+system-reader': (
        [('project', 'service'), ('system', 'reader'), ('system', 'service')],
        'project', True, False),
    'system-service': ([('system', 'service')], 'system', True, False),
    'system-reader': ([('system', 'reader')], 'system', False, True),
    'system-member': ([('system', 'member')], 'system', False, True),
    'system-service+reader': ([('system', 'service'), ('system', 'reader')], 'system',
                              True, True),
    'system-admin': ([('system', 'admin')], 'system', True, True),
}


def admin_session(keystone: Any) -> ksa_session.Session:
    return keystone.session('admin', keystone.admin_password, project='admin')


def service_user(keystone: Any, grants: list[tuple[str, str]]) -> tuple[str, str]:
    """A new user with ``grants`` (on project ``service`` or the system)."""
    admin = admin_session(keystone)
    roles = {r['name']: r['id'] for r in _get(admin, '/roles')['roles']}
    service = _get(admin, '/projects?name=service')['projects'][0]['id']
    name, password = 'svc-' + uuid.uuid4().hex[:10], uuid.uuid4().hex
    user = _post(admin, '/users', {'user': {'name': name, 'password': password,
                                            'domain_id': 'default'}})['user']['id']
    for where, role in grants:
        target = f'/projects/{service}' if where == 'project' else '/system'
        _put(admin, f'{target}/users/{user}/roles/{roles[role]}')
    return name, password


def user_session(keystone: Any, name: str, password: str, scope: str,
                 timeout: float = 30) -> ksa_session.Session:
    kwargs: dict[str, str] = {'system_scope': 'all'} if scope == 'system' else {
        'project_name': 'service', 'project_domain_id': 'default'}
    return ksa_session.Session(auth=v3.Password(
        auth_url=keystone.url, username=name, password=password,
        user_domain_id='default', **kwargs), timeout=timeout)


@pytest.mark.parametrize('case', CASES)
def test_default_policy(keystone: Any, case: str) -> None:
    grants, scope, validates, reads = CASES[case]
    session = user_session(keystone, *service_user(keystone, grants), scope)
    alice = keystone.users['alice']
    secret = session.get(f'{keystone.url}/users/{alice.id}/credentials/OS-EC2/'
                         f'{alice.ec2.access}', raise_exc=False)
    assert secret.status_code == (200 if reads else 403)
    if reads:
        assert secret.json()['credential']['secret'] == alice.ec2.secret
    s3tokens = session.post(f'{keystone.url}/s3tokens', raise_exc=False, json={
        'credentials': {'access': uuid.uuid4().hex, 'token': 'eA==', 'signature': 'x'}})
    assert s3tokens.status_code == (404 if validates else 403)
    # /v3/credentials answers 200 to anyone but lists only what the policy allows
    listed = session.get(f'{keystone.url}/credentials?user_id={alice.id}&type=ec2',
                         raise_exc=False)
    assert listed.status_code == (200 if reads or scope == 'project' else 403)
    if listed.status_code == 200:
        assert bool(listed.json()['credentials']) == (reads or 'admin' in case)


@pytest.mark.parametrize('case', CASES)
def test_start_up_check(keystone: Any, case: str) -> None:
    grants, scope, validates, reads = CASES[case]
    name, password = service_user(keystone, grants)
    verdict = s3token_access.check(user_session(keystone, name, password, scope),
                                   keystone.url, needs_secrets=True)
    assert verdict.state == ('ok' if validates and reads else 'problem'), verdict
    text = ' '.join(verdict.problems)
    assert password not in text
    if case == 'project-service+system-reader':
        assert verdict.read_fix.startswith(
            'it has the reader role on the system, which a project-scoped token '
            'cannot use: set system_scope = all in [filter:s3token] instead of '
            'project_name')
    elif not reads and scope == 'project':
        assert f'openstack role add --project service --user {name} admin' in text
    elif not reads:
        assert f'openstack role add --system all --user {name} reader' in text
    if not validates:
        assert 'may not validate S3 signatures' in text


def test_keystone_down_is_unknown_not_fatal(keystone: Any) -> None:
    name, password = service_user(keystone, [('project', 'admin')])
    keystone.stop()
    try:
        verdict = s3token_access.check(user_session(keystone, name, password, 'project',
                                                    timeout=5),
                                       keystone.url, needs_secrets=True)
    finally:
        keystone.start()
    assert verdict.state == 'unknown'
    assert 'Keystone unreachable' in verdict.note


def test_proxy_says_at_start_what_to_change(keystone: Any, ks_cluster: Cluster) -> None:
    """The issue's set-up: Swift's project-scoped [filter:s3token] and a user with the
    reader role on the system.  The proxy starts, logs the fix once before any
    request, and S3 works (without the cache)."""
    grants = CASES['project-service+system-reader'][0]
    name, password = service_user(keystone, grants)
    s3token = keystone.s3token_options(username=name, password=password, system_scope='',
                                       project_name='service',
                                       project_domain_id='default')
    spec = ProxySpec(name='ksproxy-issue20', s3_options=FRONT_OPTIONS['swift3']).replacing(
        'tempauth', ['s3token', 'keystoneauth'],
        {'s3token': s3token, 'keystoneauth': KEYSTONEAUTH})
    proxy = ks_cluster.add_proxy(spec)
    with open(proxy.process.log_path) as f:
        log = f.read()
    fix = ('set system_scope = all in [filter:s3token] instead of project_name/project_id '
           'and project_domain_name/project_domain_id')
    assert log.count(fix) == 1, log[-3000:]
    assert password not in log
    make_client(proxy, keystone.users['alice'].ec2).list_buckets()
    with open(proxy.process.log_path) as f:
        log = f.read()
    assert 'cannot read EC2 secrets (HTTP 403)' in log
    assert 'system reader role' not in log
