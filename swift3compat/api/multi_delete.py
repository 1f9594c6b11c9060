"""DeleteObjects (POST /bucket?delete)."""
from __future__ import annotations

import hashlib
from typing import Dict, List, Optional, Tuple

from eventlet import GreenPool

from swift3compat import errors
from swift3compat.model import access_log, conditions
from swift3compat.http import xml
from swift3compat.http.body import content_md5_hex
from swift3compat.http.request import S3Request
from swift3compat.http.response import S3Response, xml_response
from swift3compat.swift import checksums, objects, uploads, versions
from swift3compat.swift import object_lock
from swift3compat.swift.backend import Backend


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


def _parse(req: S3Request, body: bytes
           ) -> Tuple[bool, List[Tuple[str, Optional[str], Dict[str, str]]]]:
    root = xml.parse(body, 'Delete')
    quiet = (xml.text(root, 'Quiet', 'false') or '').strip().lower() \
        == 'true'
    keys = []
    for node in xml.children(root, 'Object'):
        key = xml.text(node, 'Key')
        if key is None:
            raise errors.MalformedXML()
        # A conditional delete per key: ETag, LastModifiedTime, Size.
        wanted: Dict[str, str] = {}
        for name in ('ETag', 'LastModifiedTime', 'Size'):
            value = xml.text(node, name)
            if value is not None:
                wanted[name] = value
        if not conditions.valid_size(wanted.get('Size')) or \
                not conditions.valid_time(wanted.get('LastModifiedTime')):
            raise errors.MalformedXML()
        keys.append((key, xml.text(node, 'VersionId'), wanted))
    if not keys or len(keys) > req.conf.max_multi_delete_objects:
        raise errors.MalformedXML()
    return quiet, keys


def _deleted_version(version: Optional[str], headers: Dict[str, str]
                     ) -> str:
    """VersionId / DeleteMarker / DeleteMarkerVersionId of a Deleted."""
    parts = [xml.elem('VersionId', version)]
    if headers.get(versions.DELETE_MARKER) == 'true':
        parts += ['<DeleteMarker>true</DeleteMarker>',
                  xml.elem('DeleteMarkerVersionId',
                           headers[versions.VERSION_ID])]
    return ''.join(parts)


def delete_objects(req: S3Request, backend: Backend) -> S3Response:
    body = xml.read_body(req.environ['wsgi.input'], req.content_length,
                         xml.body_limit('Delete', req.conf))
    _check_integrity(req, body)
    quiet, keys = _parse(req, body)
    # Bucket must exist (and this authenticates the request once).
    backend.request('HEAD', req.bucket)

    def delete_one(item):
        key, version, wanted = item
        try:
            objects.check_delete_conditions(backend, req.bucket, key,
                                            version or None, wanted)
            object_lock.check_delete(req, backend, key, version or None)
            # a multipart object's parts go with it where the bucket's
            # flag says it may be one; in buckets that predate the flag
            # they are the segment collector's
            doomed = uploads.doomed_by_delete(req, backend, version or None,
                                              key, untracked=False)
            out = versions.delete_key(backend, req.bucket, key,
                                      version or None)
            if doomed is not None:
                uploads.delete_segments(req, backend, doomed)
            return key, version, out, None
        except errors.S3Error as err:
            return key, version, {}, err

    def delete_group(items):
        # One key's versions one after the other: deleting a current
        # version restores the newest remaining one, which must not be one
        # being deleted meanwhile (it would be left dangling, and
        # DeleteBucket would find the bucket not empty).
        return [delete_one(item) for item in items]

    groups: Dict[str, List[int]] = {}
    for index, item in enumerate(keys):
        groups.setdefault(item[0], []).append(index)
    indexes = list(groups.values())
    results: List[tuple] = [()] * len(keys)
    pool = GreenPool(req.conf.multi_delete_concurrency)
    for group, done in zip(indexes, pool.imap(
            delete_group, ([keys[i] for i in g] for g in indexes))):
        for index, result in zip(group, done):
            results[index] = result
    # the access log's BATCH.DELETE.OBJECT records, one per deleted key
    req.environ[access_log.BATCH_DELETES_ENV] = [
        (key, version or headers.get(versions.VERSION_ID))
        for key, version, headers, err in results if err is None]
    parts = []
    for key, version, headers, err in results:
        if err is None:
            if not quiet:
                parts.append('<Deleted>%s%s</Deleted>' % (
                    xml.elem('Key', key), _deleted_version(version,
                                                           headers)))
        else:
            parts.append('<Error>%s%s%s%s</Error>' % (
                xml.elem('Key', key), xml.elem('VersionId', version),
                xml.elem('Code', err.code),
                xml.elem('Message', err.message)))
    return xml_response(xml.document('DeleteResult', parts))
