"""DeleteObjects (POST /bucket?delete)."""
from __future__ import annotations

import hashlib
from typing import Dict, List, Optional, Tuple

from eventlet import GreenPool

from swift3compat import checksums, errors, xmlutil
from swift3compat.auth.signature import content_md5_hex
from swift3compat.backend import Backend
from swift3compat.handlers import versioning
from swift3compat.request import S3Request
from swift3compat.response import S3Response, xml_response



def _check_integrity(req: S3Request, body: bytes) -> None:
    md5 = content_md5_hex(req.header('content-md5'))
    if md5 is not None:
        # Content-MD5 is an integrity check the client asked for, not security.
        if hashlib.md5(body, usedforsecurity=False).hexdigest() != md5:
            raise errors.BadDigest()
        return
    declared = checksums.declared(req)
    if declared is not None:
        if declared.algorithm.digest(body) != declared.value:
            raise checksums.mismatch(declared.algorithm)
        return
    raise errors.InvalidRequest(
        'Missing required header for this request: Content-MD5 OR '
        'x-amz-checksum-*')


def _parse(req: S3Request, body: bytes) -> Tuple[bool, List[Tuple[str,
                                                                 Optional[str]]]]:
    root = xmlutil.parse(body, 'Delete')
    quiet = (xmlutil.text(root, 'Quiet', 'false') or '').strip().lower() \
        == 'true'
    keys = []
    for node in xmlutil.children(root, 'Object'):
        key = xmlutil.text(node, 'Key')
        if key is None:
            raise errors.MalformedXML()
        keys.append((key, xmlutil.text(node, 'VersionId')))
    if not keys or len(keys) > req.conf.max_multi_delete_objects:
        raise errors.MalformedXML()
    return quiet, keys


def _deleted_version(version: Optional[str], headers: Dict[str, str]
                     ) -> str:
    """VersionId / DeleteMarker / DeleteMarkerVersionId of a Deleted."""
    parts = [xmlutil.elem('VersionId', version)]
    if headers.get(versioning.DELETE_MARKER) == 'true':
        parts += ['<DeleteMarker>true</DeleteMarker>',
                  xmlutil.elem('DeleteMarkerVersionId',
                               headers[versioning.VERSION_ID])]
    return ''.join(parts)


def delete_objects(req: S3Request, backend: Backend) -> S3Response:
    body = xmlutil.read_body(req.environ['wsgi.input'], req.content_length,
                             req.conf.max_xml_body_size)
    _check_integrity(req, body)
    quiet, keys = _parse(req, body)
    # Bucket must exist (and this authenticates the request once).
    backend.request('HEAD', req.bucket)

    def delete_one(item):
        key, version = item
        try:
            return key, version, versioning.delete_key(
                backend, req.bucket, key, version or None), None
        except errors.S3Error as err:
            return key, version, {}, err

    pool = GreenPool(req.conf.multi_delete_concurrency)
    parts = []
    for key, version, headers, err in pool.imap(delete_one, keys):
        if err is None:
            if not quiet:
                parts.append('<Deleted>%s%s</Deleted>' % (
                    xmlutil.elem('Key', key), _deleted_version(version,
                                                               headers)))
        else:
            parts.append('<Error>%s%s%s%s</Error>' % (
                xmlutil.elem('Key', key), xmlutil.elem('VersionId', version),
                xmlutil.elem('Code', err.code),
                xmlutil.elem('Message', err.message)))
    return xml_response(xmlutil.document('DeleteResult', parts))
