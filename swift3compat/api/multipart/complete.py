"""CompleteMultipartUpload (an SLO manifest of the parts, answered over
SLO's heartbeats) and AbortMultipartUpload."""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Dict, Iterator, List

from swift.common.swob import HeaderKeyDict
from swift.common.utils import close_if_possible

from swift3compat import errors
from swift3compat.api import encryption
from swift3compat.http import xml
from swift3compat.http.request import S3Request
from swift3compat.http.response import S3Response, xml_response
from swift3compat.swift import checksums, locks, objects, sysmeta, uploads
from swift3compat.swift.backend import Backend


def abort_multipart_upload(req: S3Request, backend: Backend) -> S3Response:
    upload = uploads.find_upload(req, backend)
    backend.request('DELETE', upload.container,
                    uploads.upload_name(req.key, upload.upload_id), ok=(404,))
    uploads.delete_parts(req, backend, upload.container, upload.upload_id)
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


def complete_multipart_upload(req: S3Request, backend: Backend
                              ) -> S3Response:
    upload_id = uploads.requested_upload_id(req)
    try:
        upload = uploads.find_upload(req, backend)
    except errors.NoSuchUpload:
        return _already_completed(req, backend, upload_id)
    write = encryption.stored_write(
        req, upload.headers, encryption.read_key(req, strict=False))
    sse_headers = write.response_headers()
    requested = _parse_complete(req, xml.read_body(
        req.environ['wsgi.input'], req.content_length,
        req.conf.max_xml_body_size))
    stored = {p.number: p for p in uploads.list_upload_parts(
        backend, upload.container, upload_id)}
    parts = _match_parts(req, upload, requested, stored)
    current = locks.conditional_write(req, backend)
    etag = uploads.s3_etag(parts)
    headers = _final_headers(upload)
    headers.update(_object_checksum(req, upload, parts))
    headers.update({uploads.UPLOAD_ID_SYSMETA: upload_id, uploads.ETAG_SYSMETA: etag,
                    uploads.OVERRIDE_ETAG: '; s3_etag=%s' % etag})
    if req.header('if-none-match') is not None:
        headers['If-None-Match'] = '*'

    def finish() -> None:
        backend.request('DELETE', upload.container,
                        uploads.upload_name(req.key, upload_id), ok=(404,))
        uploads.delete_parts(req, backend, upload.container, upload_id,
                             keep=tuple(p.number for p in parts))
        if current is not None:
            _delete_replaced(req, backend, current, upload_id)
    manifest = [{'path': '/%s/%s' % (upload.container,
                                     uploads.part_name(upload_id, p.number)),
                 'etag': p.etag, 'size_bytes': p.size}
                for p in parts if p.size]
    if not manifest:
        # SLO takes no empty manifest: an object of empty parts is empty.
        headers[uploads.OVERRIDE_ETAG] = hashlib.md5(
            b'', usedforsecurity=False).hexdigest() + headers[uploads.OVERRIDE_ETAG]
        backend.request('PUT', req.bucket, req.key, headers=headers, body=b'')
        finish()
        result = _complete_result(req, etag, headers)
        result.headers.update(sse_headers)
        return result
    # SLO checks every segment (a minute for 10,000 under load): it answers
    # at once and sends whitespace while it works, and so do we, as AWS
    # does; a failure then comes as an Error document in the 200 response.
    headers['Accept'] = 'application/json'
    resp = backend.request('PUT', req.bucket, req.key, headers=headers,
                           query={'multipart-manifest': 'put',
                                  'heartbeat': 'on'},
                           body=json.dumps(manifest).encode('ascii'))
    return S3Response(200, {'Content-Type': 'application/xml',
                            **sse_headers},
                      _heartbeats(req, resp, upload_id, finish,
                                  lambda: _complete_result(req, etag,
                                                           headers).body))


def _heartbeats(req: S3Request, resp, upload_id: str, finish, result
                ) -> Iterator[bytes]:
    """The streamed CompleteMultipartUpload answer over SLO's heartbeats."""
    yield xml.XML_DECL.encode('ascii')
    try:
        final = []
        for chunk in resp.app_iter:
            if chunk.strip():
                final.append(chunk)
            else:
                yield b' '
        status = json.loads(b''.join(final)).get('Response Status', '')
        if not status.startswith('2'):
            raise _manifest_error(status, upload_id)
        finish()
        body = result()
    except errors.S3Error as err:
        body = _error_body(req, err)
    except Exception:
        body = _error_body(req, errors.InternalError())
    finally:
        close_if_possible(resp.app_iter)
    yield body[len(xml.XML_DECL):]


def _manifest_error(status: str, upload_id: str) -> errors.S3Error:
    code = status.split(' ', 1)[0]
    if code == '412':
        return errors.PreconditionFailed(Condition='If-None-Match')
    if code == '413':
        return errors.EntityTooLarge()
    if code == '400':
        return errors.InvalidPart(UploadId=upload_id)
    return errors.InternalError()


def _error_body(req: S3Request, err: errors.S3Error) -> bytes:
    request_id = req.environ.get('swift.trans_id', '')
    return err.body(request_id, base64.b64encode(
        request_id.encode('ascii', 'replace')).decode())


def _delete_replaced(req: S3Request, backend: Backend,
                     current: HeaderKeyDict, upload_id: str) -> None:
    """The parts of the multipart object a Complete replaced."""
    if current.get(uploads.UPLOAD_ID_SYSMETA) != upload_id:
        uploads.delete_segments(req, backend, current)


def _already_completed(req: S3Request, backend: Backend, upload_id: str
                       ) -> S3Response:
    """A retried Complete of an upload that completed: its result again."""
    resp = backend.request('HEAD', req.bucket, req.key,
                           query={'multipart-manifest': 'get'}, ok=(404,))
    if resp.status_int == 404 or \
            resp.headers.get(uploads.UPLOAD_ID_SYSMETA) != upload_id:
        raise errors.NoSuchUpload(UploadId=upload_id)
    return _complete_result(req, resp.headers[uploads.ETAG_SYSMETA], resp.headers)


def _complete_result(req: S3Request, etag: str, headers) -> S3Response:
    found = checksums.stored(headers)
    parts = [xml.elem('Location', 'http://%s/%s/%s' % (
        req.host or 'localhost', req.bucket, req.key)),
        xml.elem('Bucket', req.bucket), xml.elem('Key', req.key),
        '<ETag>&quot;%s&quot;</ETag>' % etag]
    if found is not None:
        parts += [xml.elem(found.algorithm.xml_name, found.value),
                  xml.elem('ChecksumType', found.kind)]
    return xml_response(xml.document('CompleteMultipartUploadResult',
                                     parts))
