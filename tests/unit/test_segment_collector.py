"""The segment collector's decisions, on a fake Swift (the real cluster runs
in tests/multiproxy/test_orphans.py)."""
from __future__ import annotations

import json
from types import SimpleNamespace

from swift3compat.sweeper.segments import SegmentCollector

NOW = 1_800_000_000.0
OLD = '2026-01-01T00:00:00.000000'


class FakeClient:
    def __init__(self, containers: dict, heads: dict) -> None:
        self.containers = containers        # name -> listing entries
        self.heads = heads                  # name -> headers (absent: 404)
        self.deleted: list = []

    def make_path(self, account, container, obj=None):
        return (account, container, obj)

    def make_request(self, method, path, headers, ok, params=None):
        _account, container, obj = path
        if method == 'GET' and obj is None:
            if container not in self.containers:
                return SimpleNamespace(status_int=404, body=b'', headers={})
            return SimpleNamespace(status_int=200, headers={},
                                   body=json.dumps(self.containers[container]).encode())
        if method == 'HEAD':
            if container not in self.heads:
                return SimpleNamespace(status_int=404, headers={})
            return SimpleNamespace(status_int=204, headers=self.heads[container])
        if method == 'DELETE':
            self.deleted.append((container, obj))
            return SimpleNamespace(status_int=204, headers={})
        return SimpleNamespace(status_int=404, headers={}, body=b'')


def _segments(*names):
    return [{'name': n, 'bytes': 10, 'last_modified': OLD} for n in names]


UPLOAD = '000600000000000011112222333344'


def test_orphaned_parts_of_a_finished_upload_are_collected():
    client = FakeClient({'b+segments': _segments('p/%s/00001' % UPLOAD), 'b': []},
                        {'b': {'X-Timestamp': '1700000000.00000'}})
    found = SegmentCollector(client, '.r', grace=0, clock=lambda: NOW) \
        .collect_bucket('AUTH_a', 'b')
    assert (found.segments, found.bytes, found.deleted) == (1, 10, 1)


def test_parts_of_an_upload_in_progress_are_kept():
    client = FakeClient({'b+segments': _segments('p/%s/00001' % UPLOAD,
                                                 'u/key\x01%s' % UPLOAD), 'b': []},
                        {'b': {'X-Timestamp': '1000.00000'}})
    found = SegmentCollector(client, '.r', grace=0, clock=lambda: NOW) \
        .collect_bucket('AUTH_a', 'b')
    assert found.segments == 0 and client.deleted == []


def test_young_segments_wait_for_the_grace_period():
    client = FakeClient({'b+segments': _segments('p/%s/00001' % UPLOAD), 'b': []},
                        {'b': {'X-Timestamp': '1000.00000'}})
    found = SegmentCollector(client, '.r', grace=10 ** 9, clock=lambda: NOW) \
        .collect_bucket('AUTH_a', 'b')
    assert found.segments == 0 and client.deleted == []


def test_legacy_versioned_bucket_left_alone():
    """Swift's legacy versioning archives manifests in a container the
    collector does not read: their parts would look orphaned."""
    for header in ('X-Versions-Location', 'X-History-Location'):
        client = FakeClient({'b+segments': _segments('p/%s/00001' % UPLOAD), 'b': []},
                            {'b': {'X-Timestamp': '1000.00000', header: 'archive'}})
        found = SegmentCollector(client, '.r', grace=0, clock=lambda: NOW) \
            .collect_bucket('AUTH_a', 'b')
        assert found.segments == 0 and client.deleted == []


def test_report_only_deletes_nothing():
    client = FakeClient({'b+segments': _segments('p/%s/00001' % UPLOAD), 'b': []},
                        {'b': {'X-Timestamp': '1000.00000'}})
    found = SegmentCollector(client, '.r', grace=0, report_only=True,
                             clock=lambda: NOW).collect_bucket('AUTH_a', 'b')
    assert found.segments == 1 and client.deleted == []
