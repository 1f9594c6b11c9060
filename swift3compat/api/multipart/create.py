"""CreateMultipartUpload."""
from __future__ import annotations

from typing import Optional

from swift3compat import errors
from swift3compat.swift import sse as encryption
from swift3compat.authz import access
from swift3compat.http import xml
from swift3compat.http.request import S3Request
from swift3compat.http.response import S3Response, xml_response
from swift3compat.model.acl import ACL
from swift3compat.swift import checksums, objects, tags, uploads
from swift3compat.swift import object_lock
from swift3compat.swift.backend import Backend


def _ensure_segments_container(backend: Backend, bucket: str) -> str:
    container = uploads.segments_container(bucket)
    head = backend.request('HEAD', bucket)
    if backend.container_info(container).get('status') not in (200, 204):
        headers = {}
        policy = head.headers.get('X-Storage-Policy')
        if policy:
            headers['X-Storage-Policy'] = policy
        backend.request('PUT', container, headers=headers, ok=(202,))
        uploads.register_segments_container(backend, bucket)
    return container


def create_multipart_upload(req: S3Request, backend: Backend) -> S3Response:
    _check_enabled(req)
    headers = objects.put_headers(req)
    write = encryption.for_write(req, backend, req.bucket, multipart=True)
    headers.update(write.headers)
    headers.update(tags.put_headers(req))
    headers.update(object_lock.upload_headers(req, backend))
    headers.update(access.object_create_headers(req, backend))
    name = req.header('x-amz-checksum-algorithm')
    algorithm = checksums.algorithm_named(name) if name else None
    kind = checksums.upload_type(algorithm, req.header('x-amz-checksum-type'))
    container = _ensure_segments_container(backend, req.bucket)
    upload_id = uploads.new_upload_id()
    headers[uploads.CONTENT_TYPE_SYSMETA] = headers.pop('Content-Type')
    headers['Content-Type'] = uploads.marker_type(
        algorithm, kind, backend.caller_id or backend.account,
        _object_owner(headers))
    resp = backend.request('PUT', container,
                           uploads.upload_name(req.key, upload_id),
                           headers=headers, body=b'', ok=write.ok)
    write.check(resp, backend, container, req.key)
    out = write.response_headers(resp.headers)
    if algorithm is not None and kind is not None:
        out.update({'x-amz-checksum-algorithm': algorithm.name,
                    'x-amz-checksum-type': kind})
    return xml_response(xml.document('InitiateMultipartUploadResult', [
        xml.elem('Bucket', req.bucket), xml.elem('Key', req.key),
        xml.elem('UploadId', upload_id)]), headers=out)


def _object_owner(headers) -> Optional[str]:
    """The owner of the object the upload makes, from its ACL (s3_acl)."""
    stored = headers.get(access.OBJECT_ACL)
    if not stored:
        return None
    try:
        return ACL.from_json(stored).owner.id
    except ValueError:
        return None


def _check_enabled(req: S3Request) -> None:
    if not req.conf.allow_multipart_uploads:
        raise errors.NotImplemented('Multipart uploads are disabled on this '
                                    'endpoint')
