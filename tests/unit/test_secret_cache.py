"""Unit tests of swift3compat.s3token.secret_cache: sealed memcache entries."""
from __future__ import annotations

import base64
import json

import pytest

from swift3compat.s3token.secret_cache import CachedCredential, SecretCache

KEY = 'a memcache secret key for tests'
SECRET = 'Sup3rS3cretEC2secretValue0123456789abcd'
TOKEN = {'token': {'user': {'id': 'u1', 'name': 'alice'},
                   'project': {'id': 'p1', 'name': 'demo'},
                   'roles': [{'name': 'member'}]}}


class JsonMemcache:
    """Stores values JSON-serialized, as Swift's MemcacheRing does."""

    def __init__(self) -> None:
        self.raw: dict[str, bytes] = {}
        self.times: dict[str, int] = {}

    def get(self, key: str) -> object:
        raw = self.raw.get(key)
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value: object, time: int = 0) -> None:
        self.raw[key] = json.dumps(value).encode()
        self.times[key] = time


@pytest.fixture
def cache() -> SecretCache:
    return SecretCache(KEY, ttl=60, negative_ttl=10)


def test_round_trip_and_ttl(cache: SecretCache) -> None:
    memcache = JsonMemcache()
    cache.put(memcache, 'AKID', CachedCredential(SECRET, TOKEN))
    got = cache.get(memcache, 'AKID')
    assert got == CachedCredential(SECRET, TOKEN)
    assert list(memcache.times.values()) == [60]


def test_no_plaintext_in_memcache(cache: SecretCache) -> None:
    memcache = JsonMemcache()
    cache.put(memcache, 'AKIDVISIBLE', CachedCredential(SECRET, TOKEN))
    [(name, raw)] = memcache.raw.items()
    for clear in (SECRET, 'AKIDVISIBLE', 'alice', 'demo', 'member'):
        assert clear.encode() not in raw
        assert clear not in name
    # nor in base64 of the secret at any alignment
    for shift in range(3):
        encoded = base64.b64encode(b'x' * shift + SECRET.encode())[4:20]
        assert encoded not in raw


def test_other_key_cannot_open(cache: SecretCache) -> None:
    memcache = JsonMemcache()
    cache.put(memcache, 'AKID', CachedCredential(SECRET, TOKEN))
    other = SecretCache('another memcache secret key', ttl=60, negative_ttl=10)
    assert other.get(memcache, 'AKID') is None
    # the other key also names entries differently
    assert other.memcache_key('secret', 'AKID') != cache.memcache_key('secret', 'AKID')


def test_tampered_entry_is_a_miss(cache: SecretCache) -> None:
    memcache = JsonMemcache()
    cache.put(memcache, 'AKID', CachedCredential(SECRET, TOKEN))
    [name] = memcache.raw
    value = json.loads(memcache.raw[name])
    raw = bytearray(base64.b64decode(value[3:]))
    raw[-1] ^= 1
    memcache.set(name, 'v1:' + base64.b64encode(bytes(raw)).decode())
    assert cache.get(memcache, 'AKID') is None


def test_entry_moved_to_other_access_key_is_a_miss(cache: SecretCache) -> None:
    memcache = JsonMemcache()
    cache.put(memcache, 'VICTIM', CachedCredential(SECRET, TOKEN))
    victim_entry = memcache.get(cache.memcache_key('secret', 'VICTIM'))
    memcache.set(cache.memcache_key('secret', 'ATTACKER'), victim_entry)
    assert cache.get(memcache, 'ATTACKER') is None
    assert cache.get(memcache, 'VICTIM') is not None


@pytest.mark.parametrize('junk', [None, 1, '', 'v1:', 'v1:!!!notbase64', 'v0:abcd',
                                  ['list'], 'v1:' + base64.b64encode(b'short').decode()])
def test_junk_values_are_misses(cache: SecretCache, junk: object) -> None:
    name = cache.memcache_key('secret', 'AKID')
    assert cache.open(name, junk) is None


def test_negative_entries(cache: SecretCache) -> None:
    memcache = JsonMemcache()
    assert not cache.is_unknown(memcache, 'NOPE')
    cache.mark_unknown(memcache, 'NOPE')
    assert cache.is_unknown(memcache, 'NOPE')
    assert not cache.is_unknown(memcache, 'OTHER')
    assert memcache.times[cache.memcache_key('unknown', 'NOPE')] == 10


def test_negative_cache_disabled() -> None:
    cache = SecretCache(KEY, ttl=60, negative_ttl=0)
    memcache = JsonMemcache()
    cache.mark_unknown(memcache, 'NOPE')
    assert memcache.raw == {}
    assert not cache.is_unknown(memcache, 'NOPE')


@pytest.mark.parametrize('access_key', ['with/slash', 'with:colon', 'pct%41',
                                        'ünïcödé', 'sp ace', 'x' * 300, '\udcff'])
def test_memcache_key_names_are_safe(cache: SecretCache, access_key: str) -> None:
    name = cache.memcache_key('secret', access_key)
    assert name.startswith('s3token/secret/')
    assert len(name) < 100 and name.isascii() and ' ' not in name
    memcache = JsonMemcache()
    cache.put(memcache, access_key, CachedCredential(SECRET, TOKEN))
    assert cache.get(memcache, access_key).secret == SECRET
