"""Per-upload Complete claims: one winner, losers withdraw, stale claims die."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from swift3compat.swift.upload_claims import CLAIM_STALE, RENEW_EVERY, CompleteClaim


class FakeContainer:
    """Objects with a listing that shows every PUT once it returned."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self.objects: dict[str, float] = {}
        self.listing_fails = False

    def request(self, method, container, obj=None, *, body=None, headers=None,
                query=None, ok=()):
        if method == 'PUT':
            self.objects[obj] = self.clock()
        elif method == 'DELETE':
            self.objects.pop(obj, None)
        elif method == 'GET':
            if self.listing_fails:
                raise RuntimeError('503')
            prefix = query['prefix']
            entries = [{'name': n, 'last_modified': datetime.fromtimestamp(
                t, timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%f')}
                for n, t in sorted(self.objects.items()) if n.startswith(prefix)]
            return SimpleNamespace(body=json.dumps(entries).encode())
        return SimpleNamespace(body=b'')


@pytest.fixture
def clock():
    now = [1_700_000_000.0]

    def read():
        return now[0]
    read.advance = lambda s: now.__setitem__(0, now[0] + s)
    return read


def test_first_claim_wins_second_loses_and_withdraws(clock):
    backend = FakeContainer(clock)
    first = CompleteClaim(backend, 'b+segments', 'u1', clock)
    assert first.take()
    second = CompleteClaim(backend, 'b+segments', 'u1', clock)
    assert not second.take()
    assert list(backend.objects) == [first.name]
    assert first.sole()
    assert CompleteClaim(backend, 'b+segments', 'u2', clock).take()    # another upload


def test_both_placed_before_listing_both_lose(clock):
    backend = FakeContainer(clock)
    a = CompleteClaim(backend, 'c', 'u', clock)
    b = CompleteClaim(backend, 'c', 'u', clock)
    a._put()
    b._put()
    assert a.others() and b.others()        # each sees the other: nobody wins


def test_winner_released_next_one_wins(clock):
    backend = FakeContainer(clock)
    a = CompleteClaim(backend, 'c', 'u', clock)
    assert a.take()
    a.release()
    assert CompleteClaim(backend, 'c', 'u', clock).take()


def test_stale_claim_of_a_dead_proxy_stops_counting(clock):
    backend = FakeContainer(clock)
    assert CompleteClaim(backend, 'c', 'u', clock).take()     # never released
    clock.advance(CLAIM_STALE - 5)
    assert not CompleteClaim(backend, 'c', 'u', clock).take()
    clock.advance(10)
    assert CompleteClaim(backend, 'c', 'u', clock).take()


def test_renewed_claim_stays_live(clock):
    backend = FakeContainer(clock)
    a = CompleteClaim(backend, 'c', 'u', clock)
    assert a.take()
    for _ in range(10):
        clock.advance(RENEW_EVERY)
        a.renew()
    assert not CompleteClaim(backend, 'c', 'u', clock).take()


def test_listing_failure_is_no_win(clock):
    backend = FakeContainer(clock)
    backend.listing_fails = True
    claim = CompleteClaim(backend, 'c', 'u', clock)
    with pytest.raises(RuntimeError):
        claim.take()
    assert backend.objects == {}
    assert not claim.sole()
