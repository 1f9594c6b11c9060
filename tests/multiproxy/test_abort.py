"""AbortMultipartUpload against a CompleteMultipartUpload of the same upload.

An Abort that deleted parts while a Complete wrote its manifest left an
object whose body SLO cut short. An Abort now takes the upload's claim as a
Complete does (swift.upload_claims): while another holds it, the Abort
deletes nothing. No timing: the claim of "a Complete on another proxy" is
placed by hand.
"""
from __future__ import annotations

import os
import time

from tests.multiproxy.helpers import (complete, complete_body, completed_etag,
                                      create_upload, error_code, upload_parts)


def _claim(swift_native, bucket, upload_id):
    """A live claim of the upload, as another Complete's (its path)."""
    path = '/%s+segments/c/%s/%016x%s' % (bucket, upload_id,
                                         time.time_ns() // 1000, 'e' * 16)
    placed = swift_native.call('PUT', path, data=b'', headers={
        'Content-Type': 'application/x-s3c-claim'})
    assert placed.status_code == 201, placed
    return path


def _parts(swift_native, bucket, upload_id):
    return [o['name'] for o in swift_native.listing(
        bucket + '+segments', prefix=f'p/{upload_id}/')]


def test_abort_waits_for_a_complete_in_progress(raws, bucket, swift_native):
    raw_a, raw_b = raws
    upload_id = create_upload(raw_a, bucket, 'obj')
    parts = [os.urandom(100) for _ in range(3)]
    etags = upload_parts(raw_a, bucket, 'obj', upload_id, parts)
    claim = _claim(swift_native, bucket, upload_id)
    try:
        refused = raw_b.send('DELETE', '/%s/obj' % bucket,
                             params=[('uploadId', upload_id)])
        assert (refused.status, error_code(refused)) == (503, 'SlowDown'), refused
        assert len(_parts(swift_native, bucket, upload_id)) == 3
    finally:
        assert swift_native.call('DELETE', claim).status_code == 204
    # the Complete it waited for
    done = complete(raw_a, bucket, 'obj', upload_id,
                    complete_body(etags, [1, 2, 3]))
    assert completed_etag(done), done
    late = raw_b.send('DELETE', '/%s/obj' % bucket,
                      params=[('uploadId', upload_id)])
    assert (late.status, error_code(late)) == (404, 'NoSuchUpload'), late
    got = raw_b.send('GET', f'/{bucket}/obj')
    assert got.status == 200 and got.body == b''.join(parts)


def test_abort_after_a_complete_that_died_keeps_the_parts(raws, bucket,
                                                          swift_native):
    """A Complete whose proxy died after writing the manifest, before
    removing the upload marker: an Abort must not delete the object's parts."""
    raw_a, raw_b = raws
    upload_id = create_upload(raw_a, bucket, 'obj')
    parts = [os.urandom(100) for _ in range(2)]
    etags = upload_parts(raw_a, bucket, 'obj', upload_id, parts)
    segments = f'/{bucket}+segments/'
    marker = next(o['name'] for o in swift_native.listing(
        bucket + '+segments', prefix='u/obj'))
    saved = swift_native.call('COPY', segments + marker, headers={
        'Destination': f'{bucket}+segments/saved-marker'})
    assert saved.status_code == 201, saved
    done = complete(raw_a, bucket, 'obj', upload_id, complete_body(etags, [1, 2]))
    assert completed_etag(done), done
    back = swift_native.call('COPY', segments + 'saved-marker', headers={
        'Destination': f'{bucket}+segments/{marker}'})
    assert back.status_code == 201, back
    aborted = raw_b.send('DELETE', '/%s/obj' % bucket,
                         params=[('uploadId', upload_id)])
    assert (aborted.status, error_code(aborted)) == (404, 'NoSuchUpload'), aborted
    assert len(_parts(swift_native, bucket, upload_id)) == 2
    got = raw_b.send('GET', f'/{bucket}/obj')
    assert got.status == 200 and got.body == b''.join(parts)
    swift_native.call('DELETE', segments + 'saved-marker')
