"""Backend's container info from Swift's caches without the deep copy
(swift3compat.swift.backend._cached_container_info) is what Swift's
get_container_info returns for the same cached entry."""
from __future__ import annotations

import json
from typing import Any, Dict

import pytest
from swift.common.swob import HeaderKeyDict, Request
from swift.proxy.controllers.base import get_cache_key, get_container_info, \
    headers_to_container_info

from swift3compat.swift import backend


class FakeMemcache:
    def __init__(self, entries: Dict[str, Any]) -> None:
        self.entries = entries
        self.gets = []

    def get(self, key, raise_on_error=False):
        self.gets.append(key)
        value = self.entries.get(key)
        # memcache hands back a fresh JSON decode each time
        return None if value is None else json.loads(json.dumps(value))


def no_backend(env, start_response):
    raise AssertionError('a cached lookup reached the backend')


def stored_info(extra_headers: Dict[str, str]) -> Dict[str, Any]:
    headers = HeaderKeyDict({
        'X-Backend-Storage-Policy-Index': '1', 'X-Container-Object-Count': '7',
        'X-Container-Bytes-Used': '7168', 'X-Container-Read': '.r:*',
        'X-Container-Meta-Color': 'blue', 'X-Backend-Sharding-State': 'unsharded',
        'X-Container-Sysmeta-S3c-Acl': '{"Owner":"test"}'})
    headers.update(extra_headers)
    return headers_to_container_info(headers, 200)


def env_with(entries: Dict[str, Any]) -> Dict[str, Any]:
    env = Request.blank('/v1/AUTH_test/b').environ
    env['swift.cache'] = FakeMemcache(entries)
    env['swift.infocache'] = {}
    return env


@pytest.mark.parametrize('changes', [{}, {'object_count': None},
                                     {'sharding_state': None}, {'bytes': 5}])
def test_same_info_as_get_container_info(changes):
    info = {**stored_info({}), **changes}
    key = get_cache_key('AUTH_test', 'b')
    expected = get_container_info(env_with({key: info}), no_backend)
    env = env_with({key: info})
    got = backend._cached_container_info(env, no_backend, 'AUTH_test', 'b')
    assert got == expected
    assert got['object_count'] == (0 if 'object_count' in changes else 7)
    # the entry is now in the request's info cache, as Swift's lookup leaves it
    assert key in env['swift.infocache']
    assert env['swift.cache'].gets == [key]
    # the second lookup is served by the info cache
    again = backend._cached_container_info(env, no_backend, 'AUTH_test', 'b')
    assert again == expected and env['swift.cache'].gets == [key]


def test_top_level_not_shared_with_swift():
    key = get_cache_key('AUTH_test', 'b')
    env = env_with({key: stored_info({})})
    got = backend._cached_container_info(env, no_backend, 'AUTH_test', 'b')
    got['object_count'] = 99
    assert env['swift.infocache'][key]['object_count'] == '7'


@pytest.mark.parametrize('entry', [
    None,                                                  # not cached
    {'status': 200, 'container_size': 3},                  # pre-2.x format
    {**stored_info({}), 'sysmeta': {'versions-container': 'arch'}},
])
def test_left_to_get_container_info(entry):
    key = get_cache_key('AUTH_test', 'b')
    env = env_with({key: entry} if entry else {})
    assert backend._cached_container_info(env, no_backend, 'AUTH_test', 'b') is None


def test_swift_helpers_are_the_known_ones():
    # With the Swift this runs on, the fast path is taken; a Swift whose
    # helpers moved would silently cost the deep copy again.
    assert backend._INFO_FROM_CACHES is not None
    assert backend._RECORD_INFO_METRICS is not None
