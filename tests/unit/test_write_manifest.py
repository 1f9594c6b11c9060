"""CompleteMultipartUpload's manifest, written in SLO's stored format
without SLO (swift.uploads.write_manifest); the functional test
test_manifest_is_the_one_slo_writes compares it with SLO's own."""
from __future__ import annotations

import hashlib
import json

import pytest

from swift3compat import errors
from swift3compat.swift import sysmeta, uploads
from swift3compat.swift.uploads import Part


class Recorder:
    def __init__(self) -> None:
        self.calls: list = []

    def request(self, method, container=None, obj=None, **kwargs):
        self.calls.append((method, container, obj, kwargs))
        return 'response'


def parts(*sizes: int) -> list:
    return [Part(n, hashlib.md5(b'%d' % n).hexdigest(), size,
                 '2026-12-07T10:00:0%d.123456' % n, None)
            for n, size in enumerate(sizes, 1)]


@pytest.fixture
def slo_limit(monkeypatch):
    info = {'slo': {'max_manifest_segments': 1000}}
    monkeypatch.setattr(uploads, 'get_swift_info', lambda: info)
    return info['slo']


def test_stored_format(slo_limit):
    backend = Recorder()
    given = parts(3, 0, 5)
    resp = uploads.write_manifest(backend, 'b', 'k', 'UP', given, {
        'Content-Type': 'text/plain', uploads.OVERRIDE_ETAG: '; s3_etag=x-3'})
    assert resp == 'response'
    [(method, container, obj, kwargs)] = backend.calls
    assert (method, container, obj) == ('PUT', 'b', 'k')
    segments = json.loads(kwargs['body'])
    # the empty part is left out, as SLO takes no empty segment
    assert segments == [
        {'name': '/b+segments/p/UP/00001', 'bytes': 3, 'hash': given[0].etag,
         'content_type': uploads.PART_TYPE,
         'last_modified': '2026-12-07T10:00:01.123456'},
        {'name': '/b+segments/p/UP/00003', 'bytes': 5, 'hash': given[2].etag,
         'content_type': uploads.PART_TYPE,
         'last_modified': '2026-12-07T10:00:03.123456'}]
    slo_etag = hashlib.md5((given[0].etag + given[2].etag).encode()).hexdigest()
    body_etag = hashlib.md5(kwargs['body']).hexdigest()
    headers = kwargs['headers']
    assert headers[sysmeta.STATIC_LARGE_OBJECT] == 'True'
    assert headers[sysmeta.SLO_ETAG] == slo_etag
    assert headers[sysmeta.SLO_SIZE] == '8'
    assert headers['Etag'] == body_etag
    assert headers['Content-Type'] == 'text/plain;swift_bytes=8'
    assert headers[uploads.OVERRIDE_ETAG] == \
        '%s; s3_etag=x-3; slo_etag=%s' % (body_etag, slo_etag)
    assert kwargs['environ'] == {'swift.slo_override': True,
                                 'swift.content_type_overridden': True}
    assert kwargs['ok'] == (412,)


def test_more_segments_than_slo_takes(slo_limit):
    slo_limit['max_manifest_segments'] = 2
    backend = Recorder()
    with pytest.raises(errors.InvalidRequest):
        uploads.write_manifest(backend, 'b', 'k', 'UP', parts(1, 1, 1),
                               {'Content-Type': 'a/b'})
    assert backend.calls == []
    # empty parts are no segments
    uploads.write_manifest(backend, 'b', 'k', 'UP', parts(1, 0, 1),
                           {'Content-Type': 'a/b'})
    assert len(backend.calls) == 1
