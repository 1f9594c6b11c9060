"""Racing conditional writes through two proxies, with memcached up and failing.

Issue 13: with memcached down, frozen or just restarted (Swift error-limits it
for 60 s), 20 racing ``If-None-Match: *`` or ``If-Match`` PUTs gave 2-7 "winners"
(200) of which one body survived: lost updates reported as successes. A proxy
killed while holding a key's lock blocked that key for 300 s.

What must hold: with memcached up exactly one racer wins and the object is its
body; when memcached cannot serialise, no racer wins without serialisation
(at most one 200, whose body is the object; the others 412, 409 or 503
SlowDown); a dead proxy's lock frees the key within seconds.
"""
from __future__ import annotations

import os
import time
import uuid

import pytest

from tests.faults.test_faults import PartialRequest
from tests.multiproxy.helpers import complete, complete_body, completed_etag, \
    create_upload, error_code, race, upload_parts

RACERS = 20
LOSER_CODES = {'PreconditionFailed', 'ConditionalRequestConflict', 'SlowDown'}
# A key locked by a proxy that died must be writable again before this
# (the lock's lifetime after a crash is seconds, not LOCK_TTL = 300 s).
DEAD_LOCK_DEADLINE = 30.0


def _bodies() -> list[bytes]:
    tag = uuid.uuid4().hex
    return [f'{tag}-racer-{i}'.encode() for i in range(RACERS)]


def _race_puts(raws, bucket, key, headers) -> tuple[list[int], list, list[bytes]]:
    bodies = _bodies()
    results = race([lambda i=i: raws[i % 2].send(
        'PUT', f'/{bucket}/{key}', body=bodies[i], headers=headers)
        for i in range(RACERS)])
    winners = [i for i, r in enumerate(results) if r.status == 200]
    return winners, results, bodies


def _check(raws, bucket, key, winners, results, bodies, *, exactly_one: bool,
           before: bytes = b'') -> None:
    summary = sorted((r.status, error_code(r)) for r in results)
    if exactly_one:
        assert len(winners) == 1, summary
    else:
        assert len(winners) <= 1, summary
    for i, r in enumerate(results):
        if i not in winners:
            assert error_code(r) in LOSER_CODES, (i, r)
    got = raws[1].send('GET', f'/{bucket}/{key}')
    if winners:
        assert got.status == 200 and got.body == bodies[winners[0]], (got, summary)
    elif before:
        assert got.status == 200 and got.body == before
    else:
        assert got.status == 404, got


def _if_match_headers(raw, bucket, key) -> tuple[dict, bytes]:
    before = b'before-' + uuid.uuid4().hex.encode()
    put = raw.send('PUT', f'/{bucket}/{key}', body=before)
    assert put.status == 200, put
    return {'if-match': put.headers['etag']}, before


# -- memcached up ------------------------------------------------------------------
def test_if_none_match_race_one_winner(raws, bucket):
    winners, results, bodies = _race_puts(raws, bucket, 'k', {'if-none-match': '*'})
    _check(raws, bucket, 'k', winners, results, bodies, exactly_one=True)


def test_if_match_race_one_winner(raws, bucket):
    headers, before = _if_match_headers(raws[0], bucket, 'k')
    winners, results, bodies = _race_puts(raws, bucket, 'k', headers)
    _check(raws, bucket, 'k', winners, results, bodies, exactly_one=True)


def test_conditional_completes_race_one_winner(raws, bucket):
    """If-None-Match: * on CompleteMultipartUpload of two uploads of one key."""
    uploads = []
    for _ in range(2):
        upload_id = create_upload(raws[0], bucket, 'k')
        parts = [os.urandom(500)]
        etags = upload_parts(raws[0], bucket, 'k', upload_id, parts)
        uploads.append((upload_id, complete_body(etags, [1]), parts[0]))
    results = race([lambda raw=raw, up=up: complete(
        raw, bucket, 'k', up[0], up[1], headers={'if-none-match': '*'})
        for raw, up in zip(raws, uploads)])
    won = [up for up, r in zip(uploads, results) if completed_etag(r)]
    assert len(won) == 1, [(r.status, r.body[:300]) for r in results]
    got = raws[1].send('GET', f'/{bucket}/k')
    assert got.status == 200 and got.body == won[0][2]


# -- memcached failing ----------------------------------------------------------------
@pytest.mark.parametrize('kind', ['if-none-match', 'if-match'])
def test_memcached_down_no_unserialised_winner(raws, bucket, memcached, kind):
    headers, before = ({'if-none-match': '*'}, b'') if kind == 'if-none-match' \
        else _if_match_headers(raws[0], bucket, 'k')
    memcached.stop()
    winners, results, bodies = _race_puts(raws, bucket, 'k', headers)
    memcached.start()
    _check(raws, bucket, 'k', winners, results, bodies, exactly_one=False,
           before=before)


@pytest.mark.parametrize('kind', ['if-none-match', 'if-match'])
def test_memcached_frozen_no_unserialised_winner(raws, bucket, memcached, kind):
    headers, before = ({'if-none-match': '*'}, b'') if kind == 'if-none-match' \
        else _if_match_headers(raws[0], bucket, 'k')
    memcached.freeze()
    try:
        winners, results, bodies = _race_puts(raws, bucket, 'k', headers)
    finally:
        memcached.thaw()
    _check(raws, bucket, 'k', winners, results, bodies, exactly_one=False,
           before=before)


def test_memcached_restarted_no_unserialised_winner(raws, bucket, memcached):
    """Right after a restart Swift still error-limits the memcache server
    (60 s): every cache call fails at once without trying it."""
    headers, before = _if_match_headers(raws[0], bucket, 'k')
    memcached.stop()
    for _ in range(6):          # enough failures for both proxies to error-limit it
        for raw in raws:
            raw.send('GET', f'/{bucket}/k')
            raw.send('HEAD', f'/{bucket}')
    memcached.start()
    winners, results, bodies = _race_puts(raws, bucket, 'k', headers)
    _check(raws, bucket, 'k', winners, results, bodies, exactly_one=False,
           before=before)


def test_refusal_is_slowdown_with_retry(raws, bucket, memcached):
    """What a refused conditional write answers: 503 SlowDown, an S3 error."""
    memcached.stop()
    resp = raws[0].send('PUT', f'/{bucket}/k', body=b'x',
                        headers={'if-none-match': '*'})
    memcached.start()
    assert resp.status in (200, 503), resp
    if resp.status == 503:
        assert resp.code == 'SlowDown', resp


# -- a proxy dies holding a lock ---------------------------------------------------------
def test_killed_proxy_lock_frees_key_in_seconds(raws, bucket, swift_cluster):
    raw_a, raw_b = raws
    body = os.urandom(2 * 1024 * 1024)
    held = PartialRequest(raw_a, 'PUT', f'/{bucket}/k', body,
                          headers={'if-none-match': '*'})
    held.send(64 * 1024)
    time.sleep(0.5)             # proxy A has checked the condition and streams
    # Now B cannot write the key: A holds it.
    blocked = raw_b.send('PUT', f'/{bucket}/k', body=b'b', headers={'if-none-match': '*'})
    assert blocked.status == 409 and blocked.code == 'ConditionalRequestConflict', blocked
    swift_cluster.servers['proxy-a'].stop(timeout=0)     # SIGTERM + SIGKILL at once
    held.abort()
    deadline = time.monotonic() + DEAD_LOCK_DEADLINE
    while True:
        resp = raw_b.send('PUT', f'/{bucket}/k', body=b'b',
                          headers={'if-none-match': '*'})
        if resp.status != 409:
            break
        assert time.monotonic() < deadline, 'the dead proxy still holds the key'
        time.sleep(1)
    assert resp.status == 200, resp
    assert raw_b.send('GET', f'/{bucket}/k').body == b'b'
