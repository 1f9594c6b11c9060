"""The per-process authentication cache (swift3compat.swift.auth_cache)."""
from __future__ import annotations

import io
from typing import Any, Dict, List

import pytest
from swift.common.middleware.tempauth import TempAuth

from swift3compat import config, errors
from swift3compat.auth import sigv2, sigv4
from swift3compat.auth.signature import SignedRequest
from swift3compat.http.request import S3Request
from swift3compat.swift.auth_cache import AuthCache, cacheable
from swift3compat.swift.backend import Backend

USERS = {'user_test_tester': 'testing .admin',
         'user_test_tester3': 'testing3'}
SCOPE = ('20260101', 'us-east-1', 's3')


def v2(access_key: str, secret: str, text: str = 'GET\n\n\n1\n/b') -> SignedRequest:
    return SignedRequest(2, access_key, sigv2.sign(secret, text), [text])


def v4(access_key: str, secret: str, text: str = 'AWS4-HMAC-SHA256\nx'
       ) -> SignedRequest:
    key = sigv4.signing_key(secret, *SCOPE)
    return SignedRequest(4, access_key, sigv4.sign(key, text), [text],
                         scope=SCOPE + ('aws4_request',))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Proxy:
    """Swift's proxy app for a TEST request: 405, no backend request."""

    def __init__(self) -> None:
        self.calls: List[str] = []

    def __call__(self, env: Dict[str, Any], start_response):
        self.calls.append(env['REQUEST_METHOD'])
        start_response('405 Method Not Allowed', [('Content-Length', '0')])
        return [b'']


@pytest.fixture
def tempauth():
    return TempAuth(Proxy(), dict(USERS))


def carried(tempauth, groups='test,test:tester,AUTH_test'):
    return {'REMOTE_USER': groups, 'swift.authorize': tempauth.authorize,
            'swift.authorize_override': True,
            'swift.access_logging': {'user_id': 'test:tester'}}


def filled(tempauth, clock=None, size=10):
    cache = AuthCache(60, size, clock or Clock())
    signed = v2('test:tester', 'testing')
    assert signed.check_signature('testing')
    cache.remember(signed, carried(tempauth), 'AUTH_test')
    return cache


def test_hit_verifies_the_request_s_own_signature(tempauth):
    cache = filled(tempauth)
    signed = v2('test:tester', 'testing', 'PUT\n\n\n2\n/b/k')
    entry = cache.lookup(signed)
    assert entry is not None and entry.account == 'AUTH_test'
    assert signed.checked and signed.valid and signed.secret == 'testing'
    assert entry.carried()['REMOTE_USER'] == 'test,test:tester,AUTH_test'


def test_hit_with_sigv4_derives_the_signing_key(tempauth):
    cache = filled(tempauth)
    signed = v4('test:tester', 'testing')
    assert cache.lookup(signed) is not None
    assert signed.signing_key == sigv4.signing_key('testing', *SCOPE)


def test_miss_for_an_unknown_access_key_leaves_the_request_alone(tempauth):
    cache = filled(tempauth)
    signed = v2('test:tester3', 'testing3')
    assert cache.lookup(signed) is None
    assert not signed.checked and not signed.valid


@pytest.mark.parametrize('make', [v2, v4])
def test_wrong_signature_falls_back_unchecked(tempauth, make):
    cache = filled(tempauth)
    signed = make('test:tester', 'not-testing')
    assert cache.lookup(signed) is None
    # nothing recorded: the auth filter decides, and its own check makes
    # the failure the same as without a cache
    assert not signed.checked and not signed.valid
    assert signed.secret is None and signed.signing_key is None
    assert isinstance(signed.failure(), errors.InvalidAccessKeyId)
    assert not signed.check_signature('testing')
    assert isinstance(signed.failure(), errors.SignatureDoesNotMatch)
    # the entry is kept for requests that are signed right
    assert cache.lookup(v2('test:tester', 'testing')) is not None


def test_entries_expire(tempauth):
    clock = Clock()
    cache = filled(tempauth, clock)
    clock.now += 59.9
    assert cache.lookup(v2('test:tester', 'testing')) is not None
    clock.now += 0.1
    assert cache.lookup(v2('test:tester', 'testing')) is None
    assert len(cache) == 0


def test_size_is_bounded_least_recently_used_first(tempauth):
    cache = AuthCache(60, 2, Clock())
    for name in ('a:a', 'b:b', 'c:c'):
        signed = v2(name, 'k-' + name)
        signed.check_signature('k-' + name)
        cache.remember(signed, carried(tempauth), 'AUTH_' + name[0])
        if name == 'b:b':
            assert cache.lookup(v2('a:a', 'k-a:a')) is not None   # a used
    assert len(cache) == 2
    assert cache.lookup(v2('b:b', 'k-b:b')) is None
    assert cache.lookup(v2('a:a', 'k-a:a')) is not None
    assert cache.lookup(v2('c:c', 'k-c:c')) is not None


def test_only_tempauth_results_of_a_verified_signature_are_kept(tempauth):
    cache = AuthCache(60, 10, Clock())
    unchecked = v2('test:tester', 'testing')
    cache.remember(unchecked, carried(tempauth), 'AUTH_test')
    refused = v2('test:tester', 'testing')
    refused.check_signature('other')
    cache.remember(refused, carried(tempauth), 'AUTH_test')
    assert len(cache) == 0
    assert cacheable(carried(tempauth))
    assert not cacheable({**carried(tempauth), 'swift.authorize': print})
    assert not cacheable({**carried(tempauth), 'REMOTE_USER': ''})
    assert not cacheable({**carried(tempauth),
                          'keystone.token_info': {'token': {}}})
    assert not cacheable({**carried(tempauth), 'HTTP_X_USER_ID': 'u'})


def test_carried_values_are_not_shared_between_requests(tempauth):
    cache = filled(tempauth)
    first = cache.lookup(v2('test:tester', 'testing')).carried()
    first['swift.access_logging']['user_id'] = 'changed'
    second = cache.lookup(v2('test:tester', 'testing')).carried()
    assert second['swift.access_logging'] == {'user_id': 'test:tester'}


def test_repr_hides_the_secret(tempauth):
    cache = filled(tempauth)
    assert 'testing' not in repr(cache.lookup(v2('test:tester', 'testing'))
                                 ).replace('test:tester', '')


# -- Backend.authenticate ---------------------------------------------------

def backend(app, signed, cache):
    env = {'REQUEST_METHOD': 'GET', 'PATH_INFO': '/', 'QUERY_STRING': '',
           'wsgi.input': io.BytesIO()}
    return Backend(app, S3Request(env, config.defaults()), signed,
                   auth_cache=cache)


def test_authenticate_makes_the_test_subrequest_once_per_access_key():
    proxy = Proxy()
    app = TempAuth(proxy, dict(USERS))
    cache = AuthCache(60, 10, Clock())
    first = backend(app, v2('test:tester', 'testing'), cache)
    env = first.authenticate()
    assert proxy.calls == ['TEST'] and len(cache) == 1
    assert first.account == 'AUTH_test'
    second = backend(app, v2('test:tester', 'testing', 'HEAD\n\n\n3\n/b'),
                     cache)
    again = second.authenticate()
    assert proxy.calls == ['TEST']
    assert second.account == 'AUTH_test' and second.authenticated
    assert again['REMOTE_USER'] == env['REMOTE_USER']
    sub = second.make_env('HEAD', 'b')
    assert sub['PATH_INFO'] == '/v1/AUTH_test/b'
    assert sub['swift.authorize'] == app.authorize
    assert sub['swift.authorize_override'] is True
    assert 'swift3.auth_details' not in sub


def test_authenticate_with_a_wrong_secret_is_refused_as_without_cache():
    proxy = Proxy()
    app = TempAuth(proxy, dict(USERS))
    cache = AuthCache(60, 10, Clock())
    backend(app, v2('test:tester', 'testing'), cache).authenticate()
    wrong = backend(app, v2('test:tester', 'wrong'), cache)
    with pytest.raises(errors.SignatureDoesNotMatch):
        wrong.authenticate()
    assert proxy.calls == ['TEST', 'TEST']
    assert not wrong.authenticated
    unknown = backend(app, v2('test:nobody', 'x'), cache)
    with pytest.raises(errors.InvalidAccessKeyId):
        unknown.authenticate()
    assert len(cache) == 1


def test_without_a_cache_every_request_authenticates():
    proxy = Proxy()
    app = TempAuth(proxy, dict(USERS))
    for _ in range(2):
        backend(app, v2('test:tester', 'testing'), None).authenticate()
    assert proxy.calls == ['TEST', 'TEST']


def test_the_principal_of_an_admin_is_found_once_per_remembered_result():
    """authz.principal keeps an .admin's principal with the auth cache
    entry: later requests of the access key get it without asking
    tempauth's authorize again; other access keys have their own."""
    from swift3compat.authz import principal
    proxy = Proxy()
    app = TempAuth(proxy, dict(USERS))
    cache = AuthCache(60, 10, Clock())
    first = backend(app, v2('test:tester', 'testing'), cache)
    found = principal.authenticate(first.req, first)
    assert found.canonical_id == 'AUTH_test'
    assert found.ids == {'AUTH_test', 'test:tester'}
    second = backend(app, v2('test:tester', 'testing', 'HEAD\n\n\n3\n/b'),
                     cache)
    second.make_env = None      # the owner probe is not made again
    assert principal.authenticate(second.req, second) is found
    other = backend(app, v2('test:tester3', 'testing3'), cache)
    assert principal.authenticate(other.req, other).ids == {'test:tester3'}


def test_the_principal_of_others_is_found_every_time():
    """A user who is not an owner by its groups may become one through the
    account's X-Account-Access-Control (tempauth reads it from the account
    info): asked about on every request."""
    from swift3compat.authz import principal
    proxy = Proxy()
    app = TempAuth(proxy, dict(USERS))
    cache = AuthCache(60, 10, Clock())
    for text in ('GET\n\n\n1\n/b', 'HEAD\n\n\n3\n/b'):
        caller = backend(app, v2('test:tester3', 'testing3', text), cache)
        found = principal.authenticate(caller.req, caller)
        assert found.canonical_id == 'test:tester3'
        assert not caller.remembered.derived
    # the account info tempauth reads the account ACLs from, each time
    assert proxy.calls == ['TEST', 'HEAD', 'HEAD']


def test_owner_by_groups_needs_the_account_s_required_group(tempauth):
    from swift3compat.swift.auth_cache import owner_by_groups
    assert owner_by_groups(carried(tempauth), 'AUTH_test')
    assert not owner_by_groups(carried(tempauth, 'test,test:tester3'),
                               'AUTH_test')
    assert not owner_by_groups(carried(tempauth), 'AUTH_other')
    strict = TempAuth(Proxy(), dict(USERS, require_group='staff'))
    assert not owner_by_groups(carried(strict), 'AUTH_test')
    assert owner_by_groups(carried(strict, 'test,test:tester,AUTH_test,staff'),
                           'AUTH_test')
