"""Racing clients and multipart helpers for the multi-proxy suite."""
from __future__ import annotations

import os
import threading
from typing import Callable, Optional, Sequence

from lxml import etree

from tests.security.s3raw import SOCKET_TIMEOUT, RawS3, Response


def race(calls: Sequence[Callable[[], Response]]) -> list[Response]:
    """Run ``calls`` in threads released together; their responses in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Optional[Response]] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(i: int, call: Callable[[], Response]) -> None:
        barrier.wait()
        try:
            results[i] = call()
        except BaseException as err:   # reported below, with the others
            errors.append(err)
    threads = [threading.Thread(target=run, args=(i, c), daemon=True)
               for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SOCKET_TIMEOUT + 30)
    assert not errors, errors
    assert all(r is not None for r in results), 'a racing request did not answer'
    return results  # type: ignore[return-value]


def create_upload(raw: RawS3, bucket: str, key: str) -> str:
    created = raw.send('POST', f'/{bucket}/{key}', params=[('uploads', '')])
    assert created.status == 200, created
    return etree.fromstring(created.body).findtext('{*}UploadId')


def upload_parts(raw: RawS3, bucket: str, key: str, upload_id: str,
                 parts: Sequence[bytes]) -> list[str]:
    etags = []
    for number, data in enumerate(parts, 1):
        resp = raw.send('PUT', f'/{bucket}/{key}', params=[
            ('partNumber', str(number)), ('uploadId', upload_id)], body=data)
        assert resp.status == 200, resp
        etags.append(resp.headers['etag'])
    return etags


def complete_body(etags: Sequence[str], numbers: Sequence[int]) -> bytes:
    return ('<CompleteMultipartUpload>' + ''.join(
        f'<Part><PartNumber>{n}</PartNumber><ETag>{etags[n - 1]}</ETag></Part>'
        for n in numbers) + '</CompleteMultipartUpload>').encode()


def complete(raw: RawS3, bucket: str, key: str, upload_id: str, body: bytes,
             headers=None) -> Response:
    return raw.send('POST', f'/{bucket}/{key}', params=[('uploadId', upload_id)],
                    body=body, headers=headers)


def completed_etag(resp: Response) -> Optional[str]:
    """The ETag of a successful CompleteMultipartUpload (which may stream a
    200 whose body is an <Error>), else None."""
    if resp.status != 200:
        return None
    root = etree.fromstring(resp.body)
    if not root.tag.endswith('CompleteMultipartUploadResult'):
        return None
    return root.findtext('{*}ETag')


def error_code(resp: Response) -> Optional[str]:
    """The S3 error code, also of a 200 whose streamed body is an <Error>."""
    if resp.code:
        return resp.code
    try:
        root = etree.fromstring(resp.body)
    except etree.XMLSyntaxError:
        return None
    return root.findtext('Code') if root.tag == 'Error' else None


def multipart_object(raw: RawS3, bucket: str, key: str, parts: int = 3,
                     size: int = 2000) -> bytes:
    """Write ``key`` as a completed multipart object; its content."""
    upload_id = create_upload(raw, bucket, key)
    data = [os.urandom(size) for _ in range(parts)]
    etags = upload_parts(raw, bucket, key, upload_id, data)
    resp = complete(raw, bucket, key, upload_id,
                    complete_body(etags, range(1, parts + 1)))
    assert completed_etag(resp), resp
    return b''.join(data)
