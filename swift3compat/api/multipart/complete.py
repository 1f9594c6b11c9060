"""CompleteMultipartUpload (an SLO manifest of the parts) and
AbortMultipartUpload."""
from __future__ import annotations

import base64
import hashlib
import random
import time
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional

import eventlet

from swift.common.swob import HeaderKeyDict

from swift3compat import errors
from swift3compat.swift import sse as encryption
from swift3compat.http import xml
from swift3compat.http.request import S3Request
from swift3compat.http.response import S3Response, xml_response
from swift3compat.swift import (checksums, locks, object_lock, objects, sysmeta,
                                upload_claims, uploads)
from swift3compat.swift.backend import Backend


# How long an Abort waits for a Complete of the upload (which holds the
# claim for milliseconds, unless its proxy died) before answering SlowDown
ABORT_WAIT = 10.0


def abort_multipart_upload(req: S3Request, backend: Backend) -> S3Response:
    """Under the upload's claim, as a Complete: an Abort never deletes the
    parts of a manifest a Complete is writing.  A Complete that finished
    first makes the Abort NoSuchUpload, as on AWS."""
    upload = uploads.find_upload(req, backend)
    claim = upload_claims.CompleteClaim(backend, upload.container,
                                        upload.upload_id)
    deadline = time.time() + ABORT_WAIT
    while not claim.take():
        for _ in upload_claims.wait_for_others(
                backend, upload.container, upload.upload_id, eventlet.sleep,
                deadline):
            pass
        if time.time() >= deadline:
            raise errors.SlowDown()
    try:
        marker = uploads.upload_name(req.key, upload.upload_id)
        current = backend.request('HEAD', req.bucket, req.key,
                                  query={'multipart-manifest': 'get'},
                                  ok=(404,))
        completed = current.status_int != 404 and current.headers.get(
            uploads.UPLOAD_ID_SYSMETA) == upload.upload_id
        gone = backend.request('DELETE', upload.container, marker,
                               ok=(404,)).status_int == 404
        # completed: by a Complete whose proxy died before it removed the
        # marker (removed now); the parts are the object's
        if gone or completed:
            raise errors.NoSuchUpload(UploadId=upload.upload_id)
        uploads.delete_parts(req, backend, upload.container, upload.upload_id)
    finally:
        claim.release()
    return S3Response(204)


@dataclass
class Requested:
    number: int
    etag: str
    checksums: Dict[str, str]       # algorithm name -> base64


def _parse_complete(req: S3Request, body: bytes) -> List[Requested]:
    root = xml.parse(body, 'CompleteMultipartUpload')
    parts: List[Requested] = []
    for node in xml.children(root, 'Part'):
        number, etag = xml.text(node, 'PartNumber'), \
            xml.text(node, 'ETag')
        if number is None or etag is None or not number.strip().isdigit():
            raise errors.MalformedXML()
        sums = {a.name: xml.text(node, a.xml_name).strip()
                for a in checksums.ALGORITHMS.values()
                if xml.text(node, a.xml_name) is not None}
        parts.append(Requested(int(number), etag.strip().strip('"').lower(),
                               sums))
    if not parts:
        raise errors.MalformedXML()
    if len(parts) > req.conf.max_upload_part_num:
        raise errors.InvalidPart('You have attempted to upload more than '
                                 'the maximum number of parts.')
    for before, after in zip(parts, parts[1:]):
        if after.number <= before.number:
            raise errors.InvalidPartOrder(UploadId=req.query['uploadId'])
    return parts


def _match_parts(req: S3Request, upload: uploads.Upload, requested: List[Requested],
                 stored: Dict[int, uploads.Part]) -> List[uploads.Part]:
    chosen = []
    for i, want in enumerate(requested):
        part = stored.get(want.number)
        if part is None or part.etag.lower() != want.etag:
            raise errors.InvalidPart(UploadId=upload.upload_id,
                                     PartNumber=want.number, ETag=want.etag)
        if upload.algorithm is not None:
            sent = want.checksums.get(upload.algorithm.name)
            if sent is not None and (part.checksum is None or checksums.b64(
                    part.checksum[1]) != sent):
                raise errors.InvalidPart(
                    'One or more of the specified parts could not be found. '
                    'The part may not have been uploaded, or the specified '
                    "entity tag or checksum may not match the part's.",
                    UploadId=upload.upload_id, PartNumber=want.number,
                    ETag=want.etag)
        if i < len(requested) - 1 and part.size < req.conf.min_segment_size:
            raise errors.EntityTooSmall(
                ProposedSize=part.size, MinSizeAllowed=req.conf.
                min_segment_size, PartNumber=part.number, ETag=part.etag)
        chosen.append(part)
    return chosen


def _object_checksum(req: S3Request, upload: uploads.Upload, parts: List[uploads.Part]
                     ) -> Dict[str, str]:
    """Sysmeta of the object's checksum; checks x-amz-checksum-* sent with
    Complete (the whole object's value for FULL_OBJECT uploads)."""
    algorithm = upload.algorithm or checksums.ALGORITHMS[
        checksums.DEFAULT_ALGORITHM]
    kind = upload.kind or checksums.FULL_OBJECT
    if any(p.checksum is None or p.checksum[0] is not algorithm
           for p in parts):
        return {}
    value = checksums.combine_parts(algorithm, kind, [
        (p.checksum[1], p.size) for p in parts])
    sent = req.header(algorithm.header)
    if sent is not None and upload.algorithm is not None and \
            sent.strip() != value:
        raise checksums.mismatch(algorithm)
    return checksums.object_sysmeta(algorithm, value, kind)


def _final_headers(upload: uploads.Upload) -> Dict[str, str]:
    """The object's headers, as CreateMultipartUpload was given them
    (metadata, content headers, storage class, tags, ACL)."""
    marker = upload.headers
    out = {'Content-Type': marker.get(uploads.CONTENT_TYPE_SYSMETA) or
           'binary/octet-stream'}
    for name, value in marker.items():
        title = name.title()
        if title.startswith((objects.SWIFT_META, sysmeta.OBJECT_SYSMETA.title(),
                             sysmeta.OBJECT_TRANSIENT.title())) or \
                title in objects.STORED_HEADERS:
            out[title] = value
    out.pop(uploads.CONTENT_TYPE_SYSMETA.title(), None)
    return out


def _read_complete(req: S3Request) -> List[Requested]:
    # No body lists no part: AWS answers MalformedXML, as for a
    # CompleteMultipartUpload without Part (boto/boto3#1635).
    body = xml.read_body(
        req.environ['wsgi.input'], req.content_length,
        xml.body_limit('CompleteMultipartUpload', req.conf), required=False)
    if not body:
        raise errors.MalformedXML()
    return _parse_complete(req, body)


def complete_multipart_upload(req: S3Request, backend: Backend
                              ) -> S3Response:
    """CompleteMultipartUpload, serialised per upload by claims in the
    segments container (``swift/upload_claims.py``): one Complete writes the
    manifest; another waits for it and then answers as AWS does (the same
    result for the same part list, NoSuchUpload otherwise)."""
    upload_id = uploads.requested_upload_id(req)
    try:
        upload = uploads.find_upload(req, backend)
    except errors.NoSuchUpload:
        return _already_completed(req, backend, upload_id, _read_complete(req))
    write = encryption.stored_write(
        req, upload.headers, encryption.read_key(req, strict=False))
    requested = _read_complete(req)
    completion = _Completion(req, backend, upload, requested)
    early = completion.start()
    if early is not None:
        return early
    headers = {'Content-Type': 'application/xml',
               **completion.version_headers, **write.response_headers()}
    if completion.body is not None:
        return S3Response(200, headers, completion.body)
    # Another Complete holds the upload: answer now and send keep-alive
    # bytes while it works (at once, not once 4 KiB are buffered).
    req.environ['eventlet.minimum_write_chunk_size'] = 0
    return S3Response(200, headers, completion.stream())


class _Completion:
    """One CompleteMultipartUpload: claim, manifest, cleanup."""

    def __init__(self, req: S3Request, backend: Backend, upload: uploads.Upload,
                 requested: List[Requested]) -> None:
        self.req = req
        self.backend = backend
        self.upload = upload
        self.upload_id = upload.upload_id
        self.requested = requested
        self.claim = upload_claims.CompleteClaim(backend, upload.container,
                                                 upload.upload_id)
        self.won = False
        self.parts: List[uploads.Part] = []
        self.current: Optional[HeaderKeyDict] = None
        self.headers: Dict[str, str] = {}
        # x-amz-version-id, known before the answer starts when this
        # Complete won the claim at once
        self.version_headers: Dict[str, str] = {}
        self.etag = ''
        self.body: Optional[bytes] = None     # the result, when written at once

    # -- before the 200 is sent: errors get their own status --------------
    def start(self) -> Optional[S3Response]:
        """Complete the upload now if no other Complete holds it (the
        result in ``body``); None: another does, ``stream`` waits for it."""
        try:
            self.won = self.claim.take()
            if not self.won:
                return None
            if not self._marker_exists():
                return _already_completed(self.req, self.backend,
                                          self.upload_id, self.requested)
            self._prepare()
            self.body = self._write_manifest()
        finally:
            if self.won:
                self.claim.release()
                self._release_lease()
        return None

    def _marker_exists(self) -> bool:
        return self.backend.request(
            'HEAD', self.upload.container,
            uploads.upload_name(self.req.key, self.upload_id),
            ok=(404,)).status_int != 404

    def _prepare(self) -> None:
        req, upload = self.req, self.upload
        stored = {p.number: p for p in uploads.list_upload_parts(
            self.backend, upload.container, self.upload_id)}
        self.parts = _match_parts(req, upload, self.requested, stored)
        self.current = locks.conditional_write(req, self.backend)
        self.etag = uploads.s3_etag(self.parts)
        headers = _final_headers(upload)
        headers.update(object_lock.complete_headers(req, self.backend,
                                                    upload.headers))
        self.version_headers = object_lock.stamp_version(
            self.backend, req.bucket, headers)
        headers.update(_object_checksum(req, upload, self.parts))
        headers.update({uploads.UPLOAD_ID_SYSMETA: self.upload_id,
                        uploads.ETAG_SYSMETA: self.etag,
                        uploads.OVERRIDE_ETAG: '; s3_etag=%s' % self.etag})
        if req.header('if-none-match') is not None:
            headers['If-None-Match'] = '*'
        self.headers = headers
        # before the manifest exists: DeleteObject HEADs only in buckets
        # with the flag
        uploads.mark_multipart(self.backend, req.bucket)

    def _release_lease(self) -> None:
        lease = locks.write_lease(self.req)
        if lease is not None:
            lease.release()

    # -- the streamed answer ----------------------------------------------
    def stream(self) -> Iterator[bytes]:
        yield xml.XML_DECL.encode('ascii')
        try:
            outcome = yield from self._wait_for_winner()
            if outcome is not None:
                yield outcome[len(xml.XML_DECL):]
                return
            body = self._write_manifest()
        except errors.S3Error as err:
            body = _error_body(self.req, err)
        except Exception:
            body = _error_body(self.req, errors.InternalError())
        finally:
            self.claim.release()
            self._release_lease()
        yield body[len(xml.XML_DECL):]

    def _wait_for_winner(self):
        """Wait while another Complete holds the upload; then its result, or
        our own turn (the other one failed).  Yields keep-alive bytes."""
        for _ in range(3):
            deadline = time.time() + upload_claims.CLAIM_STALE + 10
            for _ in upload_claims.wait_for_others(
                    self.backend, self.upload.container, self.upload_id,
                    eventlet.sleep, deadline):
                yield b' '
            if not self._marker_exists():
                try:
                    return _already_completed(
                        self.req, self.backend, self.upload_id,
                        self.requested).body
                except errors.S3Error as err:
                    return _error_body(self.req, err)
            if self.claim.take():
                self.won = True
                self._prepare()
                return None
            # jitter, not a secret
            eventlet.sleep(random.uniform(0.05, 0.5))  # nosec B311
        raise errors.SlowDown()

    def _write_manifest(self) -> bytes:
        req, backend = self.req, self.backend
        headers = dict(self.headers)
        # a Complete slowed down (a 10,000-part listing on a loaded
        # container server) keeps its claim live
        self.claim.renew()
        lease = locks.write_lease(req)
        if lease is not None:
            try:
                lease.check(force=True)
            except locks.LeaseLost:
                raise errors.SlowDown() from None
        if any(p.size for p in self.parts):
            resp = uploads.write_manifest(backend, req.bucket, req.key,
                                          self.upload_id, self.parts, headers)
        else:
            # an object of empty parts is empty (and no SLO manifest)
            headers[uploads.OVERRIDE_ETAG] = hashlib.md5(
                b'', usedforsecurity=False).hexdigest() + \
                headers[uploads.OVERRIDE_ETAG]
            resp = backend.request('PUT', req.bucket, req.key,
                                   headers=headers, body=b'', ok=(412,))
        if resp.status_int == 412:
            raise errors.PreconditionFailed(Condition='If-None-Match')
        self._finish()
        return _result_document(req, self.etag, headers)

    def _finish(self) -> None:
        """The manifest is durable and ours: the marker goes, then the parts
        left out (only while our claim is still the only one; else the
        segment collector takes them), then a replaced object's parts."""
        req, backend, upload = self.req, self.backend, self.upload
        backend.request('DELETE', upload.container,
                        uploads.upload_name(req.key, self.upload_id), ok=(404,))
        if self.claim.sole():
            uploads.delete_parts(req, backend, upload.container, self.upload_id,
                                 keep=tuple(p.number for p in self.parts))
        if self.current is not None:
            _delete_replaced(req, backend, self.current, self.upload_id)


def _error_body(req: S3Request, err: errors.S3Error) -> bytes:
    request_id = req.environ.get('swift.trans_id', '')
    return err.body(request_id, base64.b64encode(
        request_id.encode('ascii', 'replace')).decode())


def _delete_replaced(req: S3Request, backend: Backend,
                     current: HeaderKeyDict, upload_id: str) -> None:
    """The parts of the multipart object a Complete replaced."""
    if current.get(uploads.UPLOAD_ID_SYSMETA) != upload_id:
        uploads.delete_segments(req, backend, current)


def _requested_etag(requested: List[Requested]) -> Optional[str]:
    try:
        digests = b''.join(bytes.fromhex(p.etag) for p in requested)
    except ValueError:
        return None
    return '%s-%d' % (hashlib.md5(digests, usedforsecurity=False).hexdigest(),
                      len(requested))


def _already_completed(req: S3Request, backend: Backend, upload_id: str,
                       requested: List[Requested]) -> S3Response:
    """A Complete of an upload that completed: the same result for the same
    part list (a retry), NoSuchUpload for any other, as AWS answers."""
    resp = backend.request('HEAD', req.bucket, req.key,
                           query={'multipart-manifest': 'get'}, ok=(404,))
    if resp.status_int == 404 or \
            resp.headers.get(uploads.UPLOAD_ID_SYSMETA) != upload_id or \
            resp.headers.get(uploads.ETAG_SYSMETA) != _requested_etag(requested):
        raise errors.NoSuchUpload(UploadId=upload_id)
    return _complete_result(req, resp.headers[uploads.ETAG_SYSMETA], resp.headers)


def _complete_result(req: S3Request, etag: str, headers) -> S3Response:
    return xml_response(_result_document(req, etag, headers))


def _result_document(req: S3Request, etag: str, headers) -> bytes:
    found = checksums.stored(headers)
    parts = [xml.elem('Location', 'http://%s/%s/%s' % (
        req.host or 'localhost', req.bucket, req.key)),
        xml.elem('Bucket', req.bucket), xml.elem('Key', req.key),
        '<ETag>&quot;%s&quot;</ETag>' % etag]
    if found is not None:
        parts += [xml.elem(found.algorithm.xml_name, found.value),
                  xml.elem('ChecksumType', found.kind)]
    return xml.document('CompleteMultipartUploadResult', parts)
