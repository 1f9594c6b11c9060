"""Concurrent CompleteMultipartUpload of one upload through two proxies.

Issue 13: with part lists [1, 3] and [2, 3] both Completes answered 200 with
different ETags and the object then answered 500 (its manifest named parts
the other Complete had deleted). What must hold instead, whatever the timing:
the object reads back as exactly the parts of a Complete that answered 200;
two different part lists never both win (the loser gets NoSuchUpload, as on
AWS once the upload is gone); the same part list gives the same result twice.
"""
from __future__ import annotations

import os
import threading

import pytest

from tests.faults.test_faults import PartialRequest
from tests.multiproxy.conftest import wait_until_serving
from tests.multiproxy.helpers import (complete, complete_body, completed_etag,
                                      create_upload, error_code, race, upload_parts)


def _three_parts(raw, bucket, key):
    upload_id = create_upload(raw, bucket, key)
    parts = [os.urandom(1000 + i) for i in range(3)]
    return upload_id, parts, upload_parts(raw, bucket, key, upload_id, parts)


@pytest.mark.parametrize('attempt', range(3))
def test_different_part_lists_one_winner_object_readable(raws, bucket, attempt):
    raw_a, raw_b = raws
    upload_id, parts, etags = _three_parts(raw_a, bucket, 'obj')
    lists = ([1, 3], [2, 3])
    results = race([lambda raw=raw, numbers=numbers: complete(
        raw, bucket, 'obj', upload_id, complete_body(etags, numbers))
        for raw, numbers in zip(raws, lists)])
    winners = [numbers for numbers, r in zip(lists, results) if completed_etag(r)]
    assert len(winners) == 1, [(r.status, r.body[:200]) for r in results]
    loser = results[1 - lists.index(winners[0])]
    assert error_code(loser) == 'NoSuchUpload', loser
    got = raw_b.send('GET', f'/{bucket}/obj')
    assert got.status == 200, got
    assert got.body == b''.join(parts[n - 1] for n in winners[0])
    # The upload is gone for everyone, through either proxy.
    for raw in raws:
        listed = raw.send('GET', f'/{bucket}/obj', params=[('uploadId', upload_id)])
        assert listed.status == 404 and listed.code == 'NoSuchUpload', listed


def test_same_part_list_twice_same_result(raws, bucket):
    raw_a, raw_b = raws
    upload_id, parts, etags = _three_parts(raw_a, bucket, 'obj')
    body = complete_body(etags, [1, 2, 3])
    results = race([lambda raw=raw: complete(raw, bucket, 'obj', upload_id, body)
                    for raw in raws])
    tags = [completed_etag(r) for r in results]
    assert tags[0] and tags[0] == tags[1], [(r.status, r.body[:200]) for r in results]
    got = raw_a.send('GET', f'/{bucket}/obj')
    assert got.status == 200 and got.body == b''.join(parts)


def test_many_completes_of_many_lists(raws, bucket):
    """Six Completes, three part lists, both proxies: one list wins."""
    raw_a, _ = raws
    upload_id, parts, etags = _three_parts(raw_a, bucket, 'obj')
    lists = [[1, 2, 3], [1, 3], [2, 3]] * 2
    results = race([lambda i=i, numbers=numbers: complete(
        raws[i % 2], bucket, 'obj', upload_id, complete_body(etags, numbers))
        for i, numbers in enumerate(lists)])
    won = {tuple(numbers) for numbers, r in zip(lists, results) if completed_etag(r)}
    assert len(won) == 1, [(r.status, r.body[:200]) for r in results]
    winner = list(won.pop())
    for numbers, r in zip(lists, results):
        if numbers != winner:
            assert error_code(r) == 'NoSuchUpload', r
    got = raw_a.send('GET', f'/{bucket}/obj')
    assert got.status == 200 and got.body == b''.join(parts[n - 1] for n in winner)


def test_client_gone_mid_complete_leaves_no_partless_manifest(raws, bucket):
    """A Complete whose client disconnects: either the object is whole, or
    the upload is still there and completes; never a manifest without parts."""
    raw_a, raw_b = raws
    upload_id, parts, etags = _three_parts(raw_a, bucket, 'obj')
    body = complete_body(etags, [1, 3])
    gone = PartialRequest(raw_a, 'POST', f'/{bucket}/obj', body,
                          params=[('uploadId', upload_id)])
    gone.send(len(body))
    threading.Event().wait(0.05)
    gone.abort()
    second = complete(raw_b, bucket, 'obj', upload_id, complete_body(etags, [2, 3]))
    got = raw_b.send('GET', f'/{bucket}/obj')
    if completed_etag(second):
        assert got.status == 200 and got.body == parts[1] + parts[2]
    else:
        assert error_code(second) == 'NoSuchUpload', second
        assert got.status == 200 and got.body == parts[0] + parts[2], got


def test_object_server_stopped_during_racing_completes(raws, bucket, swift_cluster):
    raw_a, raw_b = raws
    upload_id, parts, etags = _three_parts(raw_a, bucket, 'obj')
    results = []
    threads = [threading.Thread(target=lambda raw=raw, numbers=numbers: results.append(
        (numbers, complete(raw, bucket, 'obj', upload_id, complete_body(etags, numbers)))))
        for raw, numbers in zip(raws, ([1, 3], [2, 3]))]
    for thread in threads:
        thread.start()
    swift_cluster.stop_server('object')
    for thread in threads:
        thread.join(120)
    swift_cluster.start_server('object')
    wait_until_serving(raws, bucket)
    winners = [numbers for numbers, r in results if completed_etag(r)]
    assert len(winners) <= 1, results
    if not winners:     # the upload survived: it completes now
        retry = complete(raw_b, bucket, 'obj', upload_id, complete_body(etags, [1, 3]))
        if completed_etag(retry):
            winners = [[1, 3]]
    got = raw_b.send('GET', f'/{bucket}/obj')
    assert got.status in (200, 404), got       # never an unreadable object
    if winners:
        assert got.status == 200, got
        assert got.body == b''.join(parts[n - 1] for n in winners[0])
    elif got.status == 200:
        assert got.body in (parts[0] + parts[2], parts[1] + parts[2])
