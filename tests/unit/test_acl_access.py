"""The S3 ACL decision (swift3compat.authz.access.Guard) without a cluster: a
fake Backend serves container infos; everything else is the real code."""
from __future__ import annotations

import io
import logging
from typing import Dict, Optional

import pytest

from swift3compat import config, errors
from swift3compat.api import routes
from swift3compat.authz import access
from swift3compat.model import acl
from swift3compat.model.acl import ACL, Owner, Principal
from swift3compat.swift import bucket_config
from swift3compat.http.request import S3Request

OWNER = Principal(frozenset({'AUTH_test', 'test:tester'}), 'AUTH_test', True)
OTHER = Principal(frozenset({'AUTH_test2', 'test2:tester2'}), 'AUTH_test2',
                  True)


class _Recorder:
    """Takes the container POST of ``bucket_config.store``."""

    def __init__(self) -> None:
        self.headers: Dict[str, str] = {}

    def request(self, method: str, bucket: str, headers: Dict[str, str]
                ) -> None:
        self.headers.update(headers)


def _sysmeta(bucket_acl: Optional[ACL] = None, **configs: str
             ) -> Dict[str, str]:
    """Container info sysmeta with an ACL and bucket configurations
    (``public_access_block``, ``ownership``) stored as bucket_config does."""
    recorder = _Recorder()
    for name, value in configs.items():
        bucket_config.store(recorder, 'bkt', getattr(
            bucket_config, name.upper()), value, {})
    out = bucket_config.sysmeta_of(recorder.headers)
    if bucket_acl is not None:
        out['s3c-acl'] = bucket_acl.to_json()
    return out


class FakeIndex:
    def __init__(self, entries: Dict[str, str]) -> None:
        self.entries = entries
        self.claims = []

    def lookup(self, bucket: str) -> Optional[str]:
        return self.entries.get(bucket)

    def claim(self, bucket: str, account: str):
        self.claims.append((bucket, account))
        self.entries.setdefault(bucket, account)
        return self.entries[bucket], True


class FakeBackend:
    """Container infos by (account, bucket); no subrequests."""

    def __init__(self, req: S3Request, account: Optional[str],
                 containers: Dict[tuple, Dict[str, str]]) -> None:
        self.req = req
        self.account = account
        self.accounts: Dict[str, str] = {}
        self.containers = containers
        self.guard = None
        self.authorize = None
        self.signed = None

    def container_info(self, bucket: str, account: Optional[str] = None):
        account = account or self.accounts.get(bucket, self.account)
        sysmeta = self.containers.get((account, bucket))
        if sysmeta is None:
            return {'status': 404}
        return {'status': 204, 'sysmeta': sysmeta}


def guard_for(method: str, path: str, principal: Principal,
              containers, index=None, headers=None,
              **options: str) -> access.Guard:
    env = {'REQUEST_METHOD': method, 'PATH_INFO': path, 'QUERY_STRING': '',
           'wsgi.input': io.BytesIO(), 'REMOTE_ADDR': '127.0.0.1',
           'wsgi.url_scheme': 'http'}
    env.update({'HTTP_' + k.upper().replace('-', '_'): v
                for k, v in (headers or {}).items()})
    if '?' in path:
        env['PATH_INFO'], env['QUERY_STRING'] = path.split('?', 1)
    req = S3Request(env, config.load(dict({'s3_acl': 'true'}, **options)))
    backend = FakeBackend(req, principal.canonical_id
                          if principal.authenticated else None, containers)
    guard = access.Guard(req, backend, principal, logging.getLogger('test'))
    guard.index = FakeIndex(index or {})
    backend.guard = guard
    return guard


def check(guard: access.Guard, subresource: str = '') -> None:
    req = guard.req
    row = routes.ROUTE_TABLE[(req.level, subresource, req.method)]
    guard.check_route(row.permission, row.action_of(req))


PRIVATE = {('AUTH_test', 'bkt'): _sysmeta(acl.private(Owner('AUTH_test')))}


def test_owner_and_strangers_on_a_private_bucket():
    check(guard_for('GET', '/bkt', OWNER, PRIVATE))
    for principal in (OTHER, acl.ANONYMOUS):
        with pytest.raises(errors.AccessDenied):
            check(guard_for('GET', '/bkt', principal, PRIVATE,
                            index={'bkt': 'AUTH_test'}))


def test_buckets_are_found_in_the_own_account_then_the_index():
    guard = guard_for('GET', '/bkt', OTHER, PRIVATE, index={'bkt': 'AUTH_test'})
    with pytest.raises(errors.AccessDenied):
        check(guard)
    assert guard.bucket_account == 'AUTH_test'
    with pytest.raises(errors.NoSuchBucket):
        check(guard_for('GET', '/nothere', OTHER, PRIVATE))
    # a stale index entry is no bucket
    with pytest.raises(errors.NoSuchBucket):
        check(guard_for('GET', '/gone', OTHER, PRIVATE,
                        index={'gone': 'AUTH_test'}))


def test_route_permissions():
    shared = {('AUTH_test', 'bkt'): _sysmeta(acl.from_grant_headers(
        {'x-amz-grant-read': 'id="AUTH_test2"'}, Owner('AUTH_test')))}
    check(guard_for('GET', '/bkt', OTHER, shared, index={'bkt': 'AUTH_test'}))
    check(guard_for('HEAD', '/bkt', OTHER, shared, index={'bkt': 'AUTH_test'}))
    for method, path, sub in (('PUT', '/bkt/k', ''), ('DELETE', '/bkt', ''),
                              ('GET', '/bkt?acl', 'acl'),
                              ('GET', '/bkt?lifecycle', 'lifecycle'),
                              ('PUT', '/bkt?versioning', 'versioning')):
        with pytest.raises(errors.AccessDenied):
            check(guard_for(method, path, OTHER, shared,
                            index={'bkt': 'AUTH_test'}), sub)
    # object reads wait for the object's own ACL
    guard = guard_for('GET', '/bkt/k', OTHER, shared, index={'bkt': 'AUTH_test'})
    check(guard)
    assert guard.pending == {('bkt', 'k'): acl.READ}


def test_anonymous_callers_never_use_the_native_routes():
    with pytest.raises(errors.AccessDenied):
        check(guard_for('GET', '/', acl.ANONYMOUS, PRIVATE))
    with pytest.raises(errors.AccessDenied):
        check(guard_for('PUT', '/new', acl.ANONYMOUS, PRIVATE))


def test_buckets_without_an_acl_belong_to_their_account():
    bare = {('AUTH_test', 'bkt'): {}}
    check(guard_for('DELETE', '/bkt', OWNER, bare))
    guard = guard_for('GET', '/bkt', OTHER, bare, index={'bkt': 'AUTH_test'})
    with pytest.raises(errors.AccessDenied):
        check(guard)
    check(guard_for('GET', '/bkt', OTHER, bare, index={'bkt': 'AUTH_test'},
                    allow_no_owner='true'))
    broken = {('AUTH_test', 'bkt'): {'s3c-acl': '{not json'}}
    assert guard_for('GET', '/bkt', OWNER, broken).locate('bkt') == \
        acl.private(Owner('AUTH_test'))


def test_public_access_block_and_ownership_in_decisions():
    public = acl.canned('public-read', Owner('AUTH_test'))
    ignoring = {('AUTH_test', 'bkt'): _sysmeta(
        public, **{'public_access_block': '{"block_public_acls": false, '
                   '"block_public_policy": false, "ignore_public_acls": '
                   'true, "restrict_public_buckets": false}'})}
    with pytest.raises(errors.AccessDenied):
        check(guard_for('GET', '/bkt', acl.ANONYMOUS, ignoring,
                        index={'bkt': 'AUTH_test'}))
    enforced = {('AUTH_test', 'bkt'): _sysmeta(
        acl.canned('public-read-write', Owner('AUTH_test')),
        ownership='BucketOwnerEnforced')}
    check(guard_for('PUT', '/bkt/k', OWNER, enforced))
    with pytest.raises(errors.AccessDenied):
        check(guard_for('PUT', '/bkt/k', OTHER, enforced,
                        index={'bkt': 'AUTH_test'}))
    guard = guard_for('GET', '/bkt', OWNER, enforced)
    check(guard)
    stored = acl.canned('public-read', Owner('AUTH_test2'))
    assert guard.object_acl({access.OBJECT_ACL: stored.to_json()}) == \
        acl.private(Owner('AUTH_test'))


def test_settle():
    blocking = {('AUTH_test', 'bkt'): _sysmeta(
        acl.private(Owner('AUTH_test')),
        **{'public_access_block': '{"block_public_acls": true, '
           '"block_public_policy": false, "ignore_public_acls": false, '
           '"restrict_public_buckets": false}'})}
    guard = guard_for('PUT', '/bkt/k', OWNER, blocking)
    check(guard)
    with pytest.raises(errors.AccessDenied):
        guard.settle(acl.canned('authenticated-read', Owner('AUTH_test')),
                     is_object=True)
    shared = acl.from_grant_headers({'x-amz-grant-read': 'id="AUTH_test2"'},
                                    Owner('AUTH_test'))
    assert guard.settle(shared, is_object=True) == shared
    assert guard.index.claims == [('bkt', 'AUTH_test')]

    enforced = {('AUTH_test', 'bkt'): _sysmeta(
        acl.from_grant_headers({'x-amz-grant-write': 'id="AUTH_test2"'},
                               Owner('AUTH_test')),
        ownership='BucketOwnerEnforced')}
    guard = guard_for('PUT', '/bkt/k', OWNER, enforced)
    check(guard)
    with pytest.raises(errors.AccessControlListNotSupported):
        guard.settle(shared, is_object=True)
    full = acl.canned('bucket-owner-full-control', Owner('AUTH_test2'),
                      Owner('AUTH_test'))
    assert guard.settle(full, is_object=True) == \
        acl.private(Owner('AUTH_test'))

    preferred = {('AUTH_test', 'bkt'): _sysmeta(
        acl.private(Owner('AUTH_test')), ownership='BucketOwnerPreferred')}
    guard = guard_for('PUT', '/bkt/k', OWNER, preferred)
    check(guard)
    assert guard.settle(full, is_object=True).owner == Owner('AUTH_test')
    mine = acl.private(Owner('AUTH_test2'))
    assert guard.settle(mine, is_object=True) == mine


def test_subrequests_stay_within_the_decision():
    shared = {('AUTH_test', 'bkt'): _sysmeta(acl.canned(
        'public-read-write', Owner('AUTH_test'))),
        ('AUTH_test', 'other'): _sysmeta(acl.private(Owner('AUTH_test')))}
    guard = guard_for('PUT', '/bkt/k', OTHER, shared, index={
        'bkt': 'AUTH_test', 'other': 'AUTH_test'})
    check(guard)
    guard.before('PUT', 'bkt', 'k', {})
    guard.before('PUT', 'bkt+segments', 'k/1', {})
    for method, container, obj in (('PUT', 'other', 'k'),
                                   ('DELETE', 'other', None),
                                   ('GET', None, None)):
        with pytest.raises(errors.AccessDenied):
            guard.before(method, container, obj, {})
    # reading another bucket's object waits for that object's ACL
    guard.before('GET', 'other', 'x', {})
    assert guard.pending[('other', 'x')] == acl.READ
    assert guard.other_accounts == {'other': 'AUTH_test'}


def test_check_bucket_owner_hides_other_owners():
    containers = {('AUTH_test', 'mine'): _sysmeta(
        acl.private(Owner('AUTH_test'))),
        ('AUTH_test', 'bare'): {},
        ('AUTH_test', 'migrated'): _sysmeta(acl.private(Owner('someone')))}
    guard = guard_for('GET', '/', OWNER, containers,
                      check_bucket_owner='true')
    check(guard)
    assert [b for b in ('mine', 'bare', 'migrated')
            if access.listed_bucket(guard.req, guard.backend, b)] == \
        ['mine', 'bare']
    guard = guard_for('GET', '/', OWNER, containers)
    check(guard)
    assert all(access.listed_bucket(guard.req, guard.backend, b)
               for b in ('mine', 'bare', 'migrated'))
