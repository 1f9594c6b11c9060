"""The conditional-write lease: one holder, fail closed, renewal, expiry."""
from __future__ import annotations

import io

import pytest
from swift.common.memcached import MemcacheConnectionError

from swift3compat import errors
from swift3compat.swift.locks import (LEASE_TTL, RENEW_EVERY, LeasedInput,
                                      LeaseLost, WriteLease)


class FakeCache:
    """memcached's semantics for incr/set/get/delete, with a clock."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self.data: dict = {}
        self.down = False

    def _alive(self, key):
        if self.down:
            raise MemcacheConnectionError('down')
        value, expires = self.data.get(key, (None, 0))
        if value is not None and expires <= self.clock():
            del self.data[key]
            return None
        return value

    def incr(self, key, delta=1, time=0):
        value = self._alive(key)
        new = delta if value is None else int(value) + delta
        expires = self.clock() + time if value is None else self.data[key][1]
        self.data[key] = (new, expires)
        return new

    def set(self, key, value, time=0, raise_on_error=False):
        self._alive(key)
        self.data[key] = (value, self.clock() + time)

    def get(self, key, raise_on_error=False):
        return self._alive(key)

    def delete(self, key):
        self._alive(key)
        self.data.pop(key, None)


@pytest.fixture
def clock():
    now = [1000.0]

    def read():
        return now[0]
    read.advance = lambda s: now.__setitem__(0, now[0] + s)
    return read


@pytest.fixture
def cache(clock):
    return FakeCache(clock)


def test_one_holder_then_free_after_release(cache, clock):
    first = WriteLease(cache, 'b', 'k', clock=clock)
    first.acquire()
    with pytest.raises(errors.ConditionalRequestConflict):
        WriteLease(cache, 'b', 'k', clock=clock).acquire()
    WriteLease(cache, 'b', 'other', clock=clock).acquire()
    first.release()
    WriteLease(cache, 'b', 'k', clock=clock).acquire()


@pytest.mark.parametrize('cache_state', ['none', 'down'])
def test_fails_closed_without_memcache(cache, clock, cache_state):
    if cache_state == 'down':
        cache.down = True
    lease = WriteLease(None if cache_state == 'none' else cache, 'b', 'k', clock=clock)
    with pytest.raises(errors.SlowDown):
        lease.acquire()


def test_dead_holder_frees_key_after_ttl(cache, clock):
    WriteLease(cache, 'b', 'k', clock=clock).acquire()      # never released
    clock.advance(LEASE_TTL - 1)
    with pytest.raises(errors.ConditionalRequestConflict):
        WriteLease(cache, 'b', 'k', clock=clock).acquire()
    clock.advance(2)
    WriteLease(cache, 'b', 'k', clock=clock).acquire()


def test_renewal_keeps_a_long_body_serialised(cache, clock):
    lease = WriteLease(cache, 'b', 'k', clock=clock)
    lease.acquire()
    body = LeasedInput(io.BytesIO(b'x' * 100), lease, 100)
    for _ in range(9):
        clock.advance(RENEW_EVERY)
        assert body.read(10) == b'x' * 10
        with pytest.raises(errors.ConditionalRequestConflict):
            WriteLease(cache, 'b', 'k', clock=clock).acquire()
    assert body.read(10) == b'x' * 10


def test_lost_lease_stops_the_body_before_its_end(cache, clock):
    lease = WriteLease(cache, 'b', 'k', clock=clock)
    lease.acquire()
    body = LeasedInput(io.BytesIO(b'x' * 100), lease, 100)
    assert body.read(50)
    cache.data.clear()                  # memcached restarted
    WriteLease(cache, 'b', 'k', clock=clock).acquire()      # someone else
    with pytest.raises(LeaseLost):
        body.read(50)                   # the end: checked before handing it on


def test_stalled_past_ttl_is_lost(cache, clock):
    lease = WriteLease(cache, 'b', 'k', clock=clock)
    lease.acquire()
    clock.advance(LEASE_TTL + 1)
    with pytest.raises(LeaseLost):
        lease.check()


def test_release_leaves_another_holder_alone(cache, clock):
    lease = WriteLease(cache, 'b', 'k', clock=clock)
    lease.acquire()
    clock.advance(LEASE_TTL + 1)        # expired; someone else takes it
    other = WriteLease(cache, 'b', 'k', clock=clock)
    other.acquire()
    lease.release()
    with pytest.raises(errors.ConditionalRequestConflict):
        WriteLease(cache, 'b', 'k', clock=clock).acquire()


class SpyLogger:
    def __init__(self) -> None:
        self.counted: list = []
        self.warned: list = []

    def increment(self, name):
        self.counted.append(name)

    def warning(self, *args):
        self.warned.append(args)


@pytest.mark.parametrize('cache_state,reason', [('none', 'no_memcache'),
                                                ('down', 'memcache_error')])
def test_refusals_are_logged_and_counted(cache, clock, cache_state, reason):
    logger = SpyLogger()
    cache.down = cache_state == 'down'
    lease = WriteLease(None if cache_state == 'none' else cache, 'b', 'k',
                       logger=logger, clock=clock)
    with pytest.raises(errors.SlowDown):
        lease.acquire()
    assert logger.counted == ['conditional_write.refused.%s' % reason]
    assert logger.warned
