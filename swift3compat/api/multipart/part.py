"""UploadPart and UploadPartCopy: the part body is checksummed as it
streams into the segments container."""
from __future__ import annotations

from typing import Dict, Optional, Tuple

from swift3compat import errors
from swift3compat.swift import sse as encryption
from swift3compat.auth import chunked
from swift3compat.http import xml
from swift3compat.http.body import content_md5_hex
from swift3compat.http.request import S3Request
from swift3compat.http.response import S3Response, iso8601, xml_response
from swift3compat.swift import checksums, objects, uploads, versions
from swift3compat.swift.backend import Backend


def _part_input(req: S3Request, upload: uploads.Upload, wsgi_input,
                length: Optional[int]) -> Tuple[checksums.ChecksummedInput,
                                                Optional[checksums.Algorithm]]:
    """The part body: the client's checksum verified, the upload's computed
    (CRC64NVME when the upload has none) and stored with the part."""
    trailer = chunked.trailer_names(req)
    decl = checksums.declared(req, trailer[0] if trailer else None)
    if decl is not None and upload.algorithm is not None and \
            decl.algorithm is not upload.algorithm:
        raise errors.InvalidRequest(
            'Checksum Type mismatch occurred, expected checksum Type: %s, '
            'actual checksum Type: %s' % (upload.algorithm.name.lower(),
                                          decl.algorithm.name.lower()))
    keep = upload.algorithm or checksums.ALGORITHMS[
        checksums.DEFAULT_ALGORITHM]
    algorithms = [keep] + ([decl.algorithm] if decl and
                           decl.algorithm is not keep else [])
    expected = checksums.expected_values(req, decl)

    def footers(body: checksums.ChecksummedInput) -> Dict[str, str]:
        raw = body.results[keep.name]
        out = checksums.object_sysmeta(keep, checksums.b64(raw))
        out[uploads.OVERRIDE_CONTENT_TYPE] = '%s;%s=%s' % (
            uploads.PART_TYPE, checksums.PART_PARAM, checksums.part_param(keep, raw))
        return out
    body = checksums.ChecksummedInput(wsgi_input, length, algorithms,
                                      expected, footers,
                                      req.conf.upload_read_size)
    if length == 0:
        body.finish()
    return body, decl.algorithm if decl else None


def _body_length(req: S3Request) -> Optional[int]:
    length = req.content_length
    if length is None and req.header('transfer-encoding', '').lower() != \
            'chunked':
        raise errors.MissingContentLength()
    if length is not None and length > uploads.MAX_PART_SIZE:
        raise errors.EntityTooLarge(ProposedSize=length,
                                    MaxSizeAllowed=uploads.MAX_PART_SIZE)
    return length


def upload_part(req: S3Request, backend: Backend) -> S3Response:
    if req.header('x-amz-copy-source') is not None:
        return upload_part_copy(req, backend)
    number = uploads.requested_part_number(req)
    upload = uploads.find_upload(req, backend)
    write = encryption.stored_write(
        req, upload.headers, encryption.read_key(req, strict=False))
    length = _body_length(req)
    body, echoed = _part_input(req, upload, req.environ['wsgi.input'], length)
    headers = {'Content-Type': uploads.PART_TYPE, **write.headers}
    md5 = content_md5_hex(req.header('content-md5'))
    if md5:
        headers['ETag'] = md5
    resp = backend.request('PUT', upload.container,
                           uploads.part_name(upload.upload_id, number),
                           headers=headers, wsgi_input=body,
                           content_length=length, ok=write.ok)
    write.check(resp, backend, upload.container, req.key)
    out = write.response_headers(resp.headers)
    out['ETag'] = uploads.quoted(resp.headers['Etag'])
    for algorithm in filter(None, (echoed, upload.algorithm)):
        out[algorithm.header] = checksums.b64(body.results[algorithm.name])
    return S3Response(200, out)


class _IterInput:
    """A Swift GET response body as a ``wsgi.input``."""

    def __init__(self, app_iter) -> None:
        self._iter = iter(app_iter)
        self._close = getattr(app_iter, 'close', None)
        self._pending = b''

    def read(self, size: Optional[int] = -1) -> bytes:
        while not self._pending:
            try:
                self._pending = next(self._iter)
            except StopIteration:
                return b''
        if size is None or size < 0:
            size = len(self._pending)
        out, self._pending = self._pending[:size], self._pending[size:]
        return out

    def close(self) -> None:
        if self._close:
            self._close()


def _copy_range(req: S3Request, size: int) -> Tuple[int, int]:
    raw = req.header('x-amz-copy-source-range')
    if raw is None:
        return 0, size
    first, sep, last = raw[len('bytes='):].partition('-') \
        if raw.startswith('bytes=') else ('', '', '')
    if not sep or not first.isdigit() or not last.isdigit() or \
            int(first) > int(last):
        raise errors.InvalidArgument(
            'The x-amz-copy-source-range value must be of the form '
            'bytes=first-last where first and last are the zero-based '
            'offsets of the first and last bytes to copy',
            ArgumentName='x-amz-copy-source-range', ArgumentValue=raw)
    if int(last) >= size:
        raise errors.InvalidRange(
            'The requested range is not satisfiable',
            RangeRequested=raw, ActualObjectSize=size)
    return int(first), int(last) - int(first) + 1


def upload_part_copy(req: S3Request, backend: Backend) -> S3Response:
    """UploadPartCopy: the source (range) streams through a GET into the
    part, so that its checksum is computed like an upload's."""
    number = uploads.requested_part_number(req)
    src_bucket, src_key, version = objects.parse_copy_source(req)
    if version is not None and not versions.valid_version_id(version):
        raise versions.invalid_version(version)
    upload = uploads.find_upload(req, backend)
    source_key = encryption.copy_source_key(req)
    write = encryption.stored_write(
        req, upload.headers, encryption.read_key(req, strict=False))
    src = objects.copy_source_head(req, backend, src_bucket, src_key, version)
    objects.check_copy_source(req, src.headers)
    encryption.check_read(src.headers, source_key, copy_source=True)
    start, length = _copy_range(req, int(src.headers['Content-Length']))
    if length > uploads.MAX_PART_SIZE:
        raise errors.InvalidRequest(
            'The specified copy source is larger than the maximum allowable '
            'size for a copy source: %d' % uploads.MAX_PART_SIZE)
    # The very object checked above, or 412 if it changed meanwhile.
    # (an SSE-C/KMS source's S3 ETag is its opaque one)
    get_headers = {'If-Match': '"%s"' % (src.headers.get(encryption.SSE_ETAG)
                                         or uploads.s3_etag_of(src.headers)),
                   'X-Backend-Etag-Is-At': encryption.etag_is_at(
                       req, uploads.ETAG_SYSMETA)}
    if length:
        get_headers['Range'] = 'bytes=%d-%d' % (start, start + length - 1)
    query = {'version-id': version} if version is not None else None
    data = backend.request('GET', src_bucket, src_key, headers=get_headers,
                           query=query, ok=(412,))
    if data.status_int == 412:
        raise errors.PreconditionFailed(
            Condition='x-amz-copy-source-if-match')
    source = _IterInput(data.app_iter)
    try:
        body, _echoed = _part_input(req, upload, source, length)
        resp = backend.request('PUT', upload.container,
                               uploads.part_name(upload.upload_id, number),
                               headers={'Content-Type': uploads.PART_TYPE,
                                        **write.headers},
                               wsgi_input=body, content_length=length,
                               ok=write.ok)
        write.check(resp, backend, upload.container, req.key)
    finally:
        source.close()
    parts = [xml.elem('LastModified',
                      iso8601(resp.headers.get('Last-Modified'))),
             '<ETag>&quot;%s&quot;</ETag>' % resp.headers['Etag'].strip('"')]
    if upload.algorithm is not None:
        parts.append(xml.elem(upload.algorithm.xml_name, checksums.b64(
            body.results[upload.algorithm.name])))
    out = write.response_headers(resp.headers)
    if versions.SWIFT_VERSION_ID in src.headers:
        out['x-amz-copy-source-version-id'] = \
            src.headers[versions.SWIFT_VERSION_ID]
    return xml_response(xml.document('CopyPartResult', parts), headers=out)
