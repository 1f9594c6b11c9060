"""Multipart uploads on Swift SLO.

CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload,
AbortMultipartUpload, ListParts, ListMultipartUploads, and the multipart
side of GET/HEAD ``?partNumber=`` and of deletes.

Layout.  Everything of a bucket's uploads lives in the container
``<bucket>+segments``, which is no valid bucket name, so ListBuckets never
shows it (it stays visible to the Swift API, so operators can see and clean
up what uploads use).  Swift's reserved-name containers would hide it
better, but SLO cannot read segments from them.  In it:

* ``u/<key>\\x01<upload id>``: one empty object per upload in progress,
  carrying what CreateMultipartUpload was given (metadata, content type,
  storage class, checksum algorithm).  ``\\x01`` sorts before anything a
  key holds, so a listing is in (key, upload id) order as AWS's is; upload
  ids start with the time in microseconds, so a key's uploads list in the
  order they were initiated.
* ``p/<upload id>/<part number, 5 digits>``: the parts.  Their checksums ride
  in their container-listing content type, so ListParts and Complete read
  one listing instead of a HEAD per part.

CompleteMultipartUpload writes an SLO manifest at the key, whose sysmeta
keeps the upload id, the AWS-style ETag ``"<md5 of the parts' md5s>-N"``
and the object's checksum; the ETag also goes into the container listing
(``s3_etag`` parameter of the listing etag, through SLO's
``X-Object-Sysmeta-Container-Update-Override-Etag`` mechanism, as Swift's
own S3 layer does, so listings of objects written by either read the same).

Operators: put ``slo`` after the auth filter in the proxy pipeline and set
its ``max_manifest_segments`` to at least ``max_upload_part_num`` (10000,
AWS's limit; SLO's default is 1000): the ``swift3`` filter logs an error at
start otherwise.  ``min_segment_size`` (5 MiB) is the smallest non-final
part.
"""
from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Tuple

from eventlet import GreenPool
from swift.common.memcached import MemcacheConnectionError
from swift.common.registry import get_swift_info
from swift.common.swob import HeaderKeyDict
from swift.common.utils import parse_content_type, parse_header

from swift3compat import access, checksums, errors, xmlutil
from swift3compat.auth import chunked
from swift3compat.auth.signature import content_md5_hex
from swift3compat.backend import OBJECT_SYSMETA, Backend
from swift3compat.handlers import obj, tagging
from swift3compat.handlers.service import owner_xml
from swift3compat.request import S3Request
from swift3compat.response import S3Response, iso8601, xml_response

SEGMENTS = '+segments'
UPLOADS = 'u/'
PARTS = 'p/'
SEP = '\x01'
UPLOAD_ID_SYSMETA = OBJECT_SYSMETA + 'Upload-Id'
# ours, in title case (ACL and tags are kept there)
TRANSIENT_SYSMETA = 'X-Object-Transient-Sysmeta-S3C-'
ETAG_SYSMETA = OBJECT_SYSMETA + 'Etag'
CONTENT_TYPE_SYSMETA = OBJECT_SYSMETA + 'Upload-Content-Type'
OVERRIDE_ETAG = 'X-Object-Sysmeta-Container-Update-Override-Etag'
OVERRIDE_CONTENT_TYPE = \
    'X-Object-Sysmeta-Container-Update-Override-Content-Type'
UPLOAD_TYPE = 'application/x-s3c-upload'
PART_TYPE = 'application/x-s3c-part'
MAX_PART_SIZE = 5 * 1024 ** 3
LISTING_LIMIT = 10000          # Swift's container listing limit
LOCK_TTL = 300                 # seconds a conditional write holds its key


InvalidPartNumber = errors.error_class('InvalidPartNumber')


def check_slo(conf, logger) -> None:
    """At proxy start: SLO must be there and take max_upload_part_num."""
    slo = get_swift_info().get('slo')
    if not conf.allow_multipart_uploads:
        return
    if slo is None:
        logger.error('swift3: slo is not in the proxy pipeline: multipart '
                     'uploads will fail; add it after the auth filter')
    elif slo.get('max_manifest_segments', 0) < conf.max_upload_part_num:
        logger.error('swift3: [filter:slo] max_manifest_segments = %s is '
                     'below max_upload_part_num = %s: completing uploads of '
                     'more parts will fail; raise it (AWS allows 10000)',
                     slo.get('max_manifest_segments'),
                     conf.max_upload_part_num)


# -- names ----------------------------------------------------------------------
def segments_container(bucket: str) -> str:
    return bucket + SEGMENTS


def new_upload_id() -> str:
    return '%016x%s' % (time.time_ns() // 1000, uuid.uuid4().hex[:16])


def valid_upload_id(upload_id: str) -> bool:
    return len(upload_id) == 32 and all(c in '0123456789abcdef'
                                        for c in upload_id)


def upload_name(key: str, upload_id: str) -> str:
    return UPLOADS + key + SEP + upload_id


def part_prefix(upload_id: str) -> str:
    return PARTS + upload_id + '/'


def part_name(upload_id: str, number: int) -> str:
    return '%s%05d' % (part_prefix(upload_id), number)


def part_number_of(name: str) -> int:
    return int(name.rsplit('/', 1)[1])


# -- the upload -------------------------------------------------------------------
@dataclass
class Upload:
    upload_id: str
    container: str                        # the segments container
    headers: HeaderKeyDict                # the marker's Swift headers
    algorithm: Optional[checksums.Algorithm]
    kind: Optional[str]                   # COMPOSITE / FULL_OBJECT


def _marker_type(algorithm: Optional[checksums.Algorithm],
                 kind: Optional[str]) -> str:
    if algorithm is None:
        return UPLOAD_TYPE
    return '%s;algorithm=%s;type=%s' % (UPLOAD_TYPE, algorithm.name, kind)


def _type_params(content_type: str) -> Dict[str, str]:
    return dict(parse_content_type(content_type or '')[1])


def _upload_checksum(content_type: str) -> Tuple[Optional[checksums.Algorithm],
                                                 Optional[str]]:
    params = _type_params(content_type)
    return checksums.ALGORITHMS.get(params.get('algorithm', '')), \
        params.get('type')


def _upload_id(req: S3Request) -> str:
    upload_id = req.query.get('uploadId', '')
    if not valid_upload_id(upload_id):
        raise errors.NoSuchUpload(UploadId=upload_id)
    return upload_id


def find_upload(req: S3Request, backend: Backend) -> Upload:
    """The upload of ``?uploadId=`` (its marker's HEAD), or NoSuchUpload."""
    upload_id = _upload_id(req)
    container = segments_container(req.bucket)
    resp = backend.request('HEAD', container,
                           upload_name(req.key, upload_id), ok=(404,))
    if resp.status_int == 404:
        if not backend.container_exists(req.bucket):
            raise errors.NoSuchBucket(BucketName=req.bucket)
        raise errors.NoSuchUpload(UploadId=upload_id)
    algorithm, kind = _upload_checksum(resp.headers.get('Content-Type'))
    return Upload(upload_id, container, resp.headers, algorithm, kind)


def _part_number(req: S3Request) -> int:
    raw = req.query.get('partNumber', '')
    try:
        number = int(raw)
    except ValueError:
        number = 0
    if not 1 <= number <= req.conf.max_upload_part_num or \
            not raw.isdigit():
        raise errors.InvalidArgument(
            'Part number must be an integer between 1 and %d, inclusive'
            % req.conf.max_upload_part_num,
            ArgumentName='partNumber', ArgumentValue=raw)
    return number


def _quoted(etag: str) -> str:
    return '"%s"' % etag.strip('"')


# -- CreateMultipartUpload ------------------------------------------------------------
def _ensure_segments_container(backend: Backend, bucket: str) -> str:
    container = segments_container(bucket)
    head = backend.request('HEAD', bucket)
    if backend.container_info(container).get('status') not in (200, 204):
        headers = {}
        policy = head.headers.get('X-Storage-Policy')
        if policy:
            headers['X-Storage-Policy'] = policy
        backend.request('PUT', container, headers=headers, ok=(202,))
    return container


def create_multipart_upload(req: S3Request, backend: Backend) -> S3Response:
    _check_enabled(req)
    headers = obj.put_headers(req)
    headers.update(tagging.put_headers(req))
    headers.update(access.object_create_headers(req, backend))
    name = req.header('x-amz-checksum-algorithm')
    algorithm = checksums.algorithm_named(name) if name else None
    kind = checksums.upload_type(algorithm, req.header('x-amz-checksum-type'))
    container = _ensure_segments_container(backend, req.bucket)
    upload_id = new_upload_id()
    headers[CONTENT_TYPE_SYSMETA] = headers.pop('Content-Type')
    headers['Content-Type'] = _marker_type(algorithm, kind)
    backend.request('PUT', container, upload_name(req.key, upload_id),
                    headers=headers, body=b'')
    out = {}
    if algorithm is not None:
        out = {'x-amz-checksum-algorithm': algorithm.name,
               'x-amz-checksum-type': kind}
    return xml_response(xmlutil.document('InitiateMultipartUploadResult', [
        xmlutil.elem('Bucket', req.bucket), xmlutil.elem('Key', req.key),
        xmlutil.elem('UploadId', upload_id)]), headers=out)


def _check_enabled(req: S3Request) -> None:
    if not req.conf.allow_multipart_uploads:
        raise errors.NotImplemented('Multipart uploads are disabled on this '
                                    'endpoint')


# -- UploadPart -------------------------------------------------------------------------
def _part_input(req: S3Request, upload: Upload, wsgi_input,
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
        out[OVERRIDE_CONTENT_TYPE] = '%s;%s=%s' % (
            PART_TYPE, checksums.PART_PARAM, checksums.part_param(keep, raw))
        return out
    body = checksums.ChecksummedInput(wsgi_input, length, algorithms,
                                      expected, footers)
    if length == 0:
        body.finish()
    return body, decl.algorithm if decl else None


def _body_length(req: S3Request) -> Optional[int]:
    length = req.content_length
    if length is None and req.header('transfer-encoding', '').lower() != \
            'chunked':
        raise errors.MissingContentLength()
    if length is not None and length > MAX_PART_SIZE:
        raise errors.EntityTooLarge(ProposedSize=length,
                                    MaxSizeAllowed=MAX_PART_SIZE)
    return length


def upload_part(req: S3Request, backend: Backend) -> S3Response:
    if req.header('x-amz-copy-source') is not None:
        return upload_part_copy(req, backend)
    number = _part_number(req)
    upload = find_upload(req, backend)
    length = _body_length(req)
    body, echoed = _part_input(req, upload, req.environ['wsgi.input'], length)
    headers = {'Content-Type': PART_TYPE}
    md5 = content_md5_hex(req.header('content-md5'))
    if md5:
        headers['ETag'] = md5
    previous = backend.body_reader
    backend.body_reader = body
    try:
        resp = backend.request('PUT', upload.container,
                               part_name(upload.upload_id, number),
                               headers=headers, wsgi_input=body,
                               content_length=length)
    finally:
        backend.body_reader = previous
    out = {'ETag': _quoted(resp.headers['Etag'])}
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
    number = _part_number(req)
    src_bucket, src_key, version = obj.parse_copy_source(req)
    if version not in (None, 'null'):
        raise errors.NotImplemented('Copying a part from an object version '
                                    'is not implemented')
    upload = find_upload(req, backend)
    conditions = obj.copy_source_conditions(req)
    src = backend.request('HEAD', src_bucket, src_key, headers=conditions,
                          ok=(304, 412, 404))
    if src.status_int in (304, 412):
        raise errors.PreconditionFailed(Condition=next(
            (h for h in req.headers() if h.startswith(
                'x-amz-copy-source-if-')), None))
    if src.status_int == 404:
        raise backend.error_for(404, src_bucket, src_key)
    start, length = _copy_range(req, int(src.headers['Content-Length']))
    if length > MAX_PART_SIZE:
        raise errors.InvalidRequest(
            'The specified copy source is larger than the maximum allowable '
            'size for a copy source: %d' % MAX_PART_SIZE)
    get_headers = dict(conditions)
    if length:
        get_headers['Range'] = 'bytes=%d-%d' % (start, start + length - 1)
    data = backend.request('GET', src_bucket, src_key, headers=get_headers)
    source = _IterInput(data.app_iter)
    try:
        body, _echoed = _part_input(req, upload, source, length)
        previous = backend.body_reader
        backend.body_reader = body
        try:
            resp = backend.request('PUT', upload.container,
                                   part_name(upload.upload_id, number),
                                   headers={'Content-Type': PART_TYPE},
                                   wsgi_input=body, content_length=length)
        finally:
            backend.body_reader = previous
    finally:
        source.close()
    parts = [xmlutil.elem('LastModified',
                          iso8601(resp.headers.get('Last-Modified'))),
             '<ETag>&quot;%s&quot;</ETag>' % resp.headers['Etag'].strip('"')]
    if upload.algorithm is not None:
        parts.append(xmlutil.elem(upload.algorithm.xml_name, checksums.b64(
            body.results[upload.algorithm.name])))
    return xml_response(xmlutil.document('CopyPartResult', parts))


# -- listing parts --------------------------------------------------------------------------
@dataclass
class Part:
    number: int
    etag: str
    size: int
    last_modified: str
    checksum: Optional[Tuple[checksums.Algorithm, bytes]]

    def checksum_xml(self) -> str:
        if self.checksum is None:
            return ''
        algorithm, raw = self.checksum
        return xmlutil.elem(algorithm.xml_name, checksums.b64(raw))


def _part_of(entry: dict) -> Part:
    params = _type_params(entry.get('content_type', ''))
    return Part(part_number_of(entry['name']), entry['hash'],
                int(entry['bytes']), entry['last_modified'],
                checksums.parse_part_param(params.get(checksums.PART_PARAM)))


def list_upload_parts(backend: Backend, container: str, upload_id: str,
                      after: int = 0, limit: int = LISTING_LIMIT
                      ) -> List[Part]:
    """Parts of an upload in part number order, after part ``after``."""
    prefix = part_prefix(upload_id)
    query = {'format': 'json', 'prefix': prefix, 'limit': str(limit)}
    if after:
        query['marker'] = part_name(upload_id, after)
    resp = backend.request('GET', container, query=query)
    return [_part_of(e) for e in json.loads(resp.body or b'[]')]


def _int_param(req: S3Request, name: str, default: int, hi: int) -> int:
    raw = req.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise errors.InvalidArgument(
            'Provided %s not an integer or within integer range' % name,
            ArgumentName=name, ArgumentValue=raw)
    return min(value, hi)


def _owner(req: S3Request, backend: Backend) -> str:
    owner = req.user_id or backend.account
    return '<Initiator>%s%s</Initiator>%s' % (
        xmlutil.elem('ID', owner), xmlutil.elem('DisplayName', owner),
        owner_xml(owner))


def _storage_class(headers) -> str:
    return headers.get(obj.STORAGE_CLASS_SYSMETA) or 'STANDARD'


def _checksum_fields(algorithm: Optional[checksums.Algorithm],
                     kind: Optional[str]) -> str:
    if algorithm is None:
        return ''
    return xmlutil.elem('ChecksumAlgorithm', algorithm.name) + \
        xmlutil.elem('ChecksumType', kind)


def list_parts(req: S3Request, backend: Backend) -> S3Response:
    upload = find_upload(req, backend)
    max_parts = _int_param(req, 'max-parts', req.conf.max_parts_listing,
                           req.conf.max_parts_listing)
    marker = _int_param(req, 'part-number-marker', 0,
                        req.conf.max_upload_part_num)
    parts = list_upload_parts(backend, upload.container, upload.upload_id,
                              marker, max_parts + 1) if max_parts else []
    truncated = len(parts) > max_parts
    parts = parts[:max_parts]
    enc = req.listing_encoder()
    body = [xmlutil.elem('Bucket', req.bucket),
            xmlutil.elem('Key', enc(req.key)),
            xmlutil.elem('UploadId', upload.upload_id),
            _owner(req, backend),
            xmlutil.elem('StorageClass', _storage_class(upload.headers)),
            xmlutil.elem('PartNumberMarker', marker),
            xmlutil.elem('NextPartNumberMarker',
                         parts[-1].number if parts else marker),
            xmlutil.elem('MaxParts', max_parts),
            xmlutil.elem('EncodingType', 'url')
            if 'encoding-type' in req.query else '',
            xmlutil.elem('IsTruncated', 'true' if truncated else 'false')]
    for part in parts:
        body.append(''.join((
            '<Part>', xmlutil.elem('PartNumber', part.number),
            xmlutil.elem('LastModified', iso8601(part.last_modified)),
            '<ETag>&quot;%s&quot;</ETag>' % xmlutil.escape_text(part.etag),
            xmlutil.elem('Size', part.size), part.checksum_xml(), '</Part>')))
    body.append(_checksum_fields(upload.algorithm, upload.kind))
    return xml_response(xmlutil.document('ListPartsResult', body))


# -- ListMultipartUploads --------------------------------------------------------------------
def _split_upload(name: str) -> Tuple[str, str]:
    key, _, upload_id = name[len(UPLOADS):].rpartition(SEP)
    return key, upload_id


def _after(value: str) -> str:
    """The smallest marker past every name that starts with ``value``."""
    return value[:-1] + chr(ord(value[-1]) + 1)


def _upload_entries(backend: Backend, container: str, prefix: str,
                    marker: str) -> Iterator[dict]:
    """Upload markers after ``marker``; ``send(new_marker)`` skips ahead."""
    while True:
        resp = backend.request('GET', container, query={
            'format': 'json', 'prefix': UPLOADS + prefix, 'marker': marker,
            'limit': '1000'}, ok=(404,))
        page = json.loads(resp.body or b'[]') if resp.status_int != 404 \
            else []
        if not page:
            return
        for entry in page:
            if entry['name'] <= marker:
                continue
            skip = yield entry
            if skip:
                marker = skip
                break
        else:
            marker = page[-1]['name']
            if len(page) < 1000:
                return


def list_multipart_uploads(req: S3Request, backend: Backend) -> S3Response:
    backend.request('HEAD', req.bucket)
    q = req.query
    prefix, delimiter = q.get('prefix', ''), q.get('delimiter', '')
    key_marker, id_marker = q.get('key-marker', ''), q.get('upload-id-marker',
                                                           '')
    max_uploads = _int_param(req, 'max-uploads', 1000, 1000)
    enc = req.listing_encoder()
    if key_marker and id_marker:
        marker = upload_name(key_marker, id_marker)
    elif key_marker:
        marker = UPLOADS + key_marker + SEP + 'g'   # past all its uploads
    else:
        marker = ''
    uploads: List[str] = []
    prefixes: List[str] = []
    last: Tuple[str, str] = ('', '')
    truncated = False
    entries = _upload_entries(backend, segments_container(req.bucket),
                              prefix, marker)
    skip = None
    while max_uploads:
        try:
            entry = entries.send(skip) if skip else next(entries)
        except StopIteration:
            break
        skip = None
        key, upload_id = _split_upload(entry['name'])
        if len(uploads) + len(prefixes) >= max_uploads:
            truncated = True
            break
        rest = key[len(prefix):]
        if delimiter and delimiter in rest:
            common = prefix + rest[:rest.index(delimiter) + len(delimiter)]
            prefixes.append('<CommonPrefixes>%s</CommonPrefixes>'
                            % xmlutil.elem('Prefix', enc(common)))
            last = (common, '')
            skip = _after(UPLOADS + common)
            continue
        algorithm, kind = _upload_checksum(entry.get('content_type', ''))
        uploads.append(''.join((
            '<Upload>', xmlutil.elem('Key', enc(key)),
            xmlutil.elem('UploadId', upload_id), _owner(req, backend),
            '<StorageClass>STANDARD</StorageClass>',
            xmlutil.elem('Initiated', iso8601(entry['last_modified'])),
            _checksum_fields(algorithm, kind), '</Upload>')))
        last = (key, upload_id)
    entries.close()
    body = [xmlutil.elem('Bucket', req.bucket),
            xmlutil.elem('KeyMarker', enc(key_marker)),
            xmlutil.elem('UploadIdMarker', id_marker)]
    if truncated:
        body += [xmlutil.elem('NextKeyMarker', enc(last[0])),
                 xmlutil.elem('NextUploadIdMarker', last[1])]
    body += [xmlutil.elem('Delimiter', enc(delimiter)) if delimiter else '',
             xmlutil.elem('Prefix', enc(prefix)),
             xmlutil.elem('MaxUploads', max_uploads),
             xmlutil.elem('EncodingType', 'url') if 'encoding-type' in q
             else '',
             xmlutil.elem('IsTruncated', 'true' if truncated else 'false')]
    body += uploads + prefixes
    return xml_response(xmlutil.document('ListMultipartUploadsResult', body))


# -- AbortMultipartUpload ---------------------------------------------------------------------
def _delete_all(req: S3Request, backend: Backend, container: str,
                names: List[str]) -> None:
    pool = GreenPool(max(req.conf.multi_delete_concurrency, 4))
    for _ in pool.imap(lambda name: backend.request(
            'DELETE', container, name, ok=(404,)), names):
        pass


def _delete_parts(req: S3Request, backend: Backend, container: str,
                  upload_id: str, keep: Tuple[int, ...] = ()) -> None:
    parts = list_upload_parts(backend, container, upload_id)
    _delete_all(req, backend, container, [
        part_name(upload_id, p.number) for p in parts
        if p.number not in keep])


def abort_multipart_upload(req: S3Request, backend: Backend) -> S3Response:
    upload = find_upload(req, backend)
    backend.request('DELETE', upload.container,
                    upload_name(req.key, upload.upload_id), ok=(404,))
    _delete_parts(req, backend, upload.container, upload.upload_id)
    return S3Response(204)


# -- CompleteMultipartUpload ---------------------------------------------------------------------
@dataclass
class Requested:
    number: int
    etag: str
    checksums: Dict[str, str]       # algorithm name -> base64


def _parse_complete(req: S3Request, body: bytes) -> List[Requested]:
    root = xmlutil.parse(body, 'CompleteMultipartUpload')
    parts: List[Requested] = []
    for node in xmlutil.children(root, 'Part'):
        number, etag = xmlutil.text(node, 'PartNumber'), \
            xmlutil.text(node, 'ETag')
        if number is None or etag is None or not number.strip().isdigit():
            raise errors.MalformedXML()
        sums = {a.name: xmlutil.text(node, a.xml_name).strip()
                for a in checksums.ALGORITHMS.values()
                if xmlutil.text(node, a.xml_name) is not None}
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


def _match_parts(req: S3Request, upload: Upload, requested: List[Requested],
                 stored: Dict[int, Part]) -> List[Part]:
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


def _object_checksum(req: S3Request, upload: Upload, parts: List[Part]
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


def s3_etag(parts: List[Part]) -> str:
    digest = hashlib.md5(b''.join(bytes.fromhex(p.etag) for p in parts),
                         usedforsecurity=False).hexdigest()
    return '%s-%d' % (digest, len(parts))


def _final_headers(upload: Upload) -> Dict[str, str]:
    """The object's headers, as CreateMultipartUpload was given them
    (metadata, content headers, storage class, tags, ACL)."""
    marker = upload.headers
    out = {'Content-Type': marker.get(CONTENT_TYPE_SYSMETA) or
           'binary/octet-stream'}
    for name, value in marker.items():
        title = name.title()
        if title.startswith((obj.SWIFT_META, OBJECT_SYSMETA.title(),
                             TRANSIENT_SYSMETA)) or \
                title in obj.STORED_HEADERS:
            out[title] = value
    out.pop(CONTENT_TYPE_SYSMETA.title(), None)
    return out


def _hold_write_lock(req: S3Request) -> None:
    """Serialise conditional writes of a key through memcache (Swift has no
    atomic conditional PUT): while one runs, another gets AWS's 409
    ConditionalRequestConflict.  Released when the response is done (or
    after LOCK_TTL); without memcache, writes are only checked, not
    serialised."""
    cache = req.environ.get('swift.cache')
    hooks = req.environ.get('eventlet.posthooks')
    if cache is None or hooks is None:
        return
    key = 'swift3compat/write/' + hashlib.sha256(
        ('%s/%s' % (req.bucket, req.key)).encode('utf-8')).hexdigest()
    try:
        count = cache.incr(key, 1, time=LOCK_TTL)
    except MemcacheConnectionError:
        return
    if count != 1:
        raise errors.ConditionalRequestConflict()
    hooks.append((lambda env: cache.delete(key), (), {}))


def _conditional(req: S3Request, backend: Backend
                 ) -> Optional[HeaderKeyDict]:
    """Check If-Match / If-None-Match of a write; the current object's
    headers (None when there is none)."""
    if_none = req.header('if-none-match')
    if if_none is not None and if_none.strip() != '*':
        raise errors.NotImplemented('If-None-Match only supports *',
                                    Header='If-None-Match')
    if if_none is not None or req.header('if-match') is not None:
        _hold_write_lock(req)
    current = backend.request('HEAD', req.bucket, req.key,
                              query={'multipart-manifest': 'get'},
                              ok=(404,))
    exists = current.status_int != 404
    if_match = req.header('if-match')
    if if_match is not None:
        if not exists:
            raise errors.NoSuchKey(Key=req.key)
        etag = current.headers.get(ETAG_SYSMETA) or current.headers.get(
            'Etag', '')
        if if_match.strip() != '*' and \
                _quoted(etag) not in [_quoted(e.strip())
                                      for e in if_match.split(',')]:
            raise errors.PreconditionFailed(Condition='If-Match')
    if if_none is not None and exists:
        raise errors.PreconditionFailed(Condition='If-None-Match')
    return current.headers if exists else None


def conditional_put_check(req: S3Request, backend: Backend) -> Dict[str, str]:
    """PutObject's conditional write: checks If-Match (HEAD, S3 ETag) and
    returns the headers that make Swift enforce If-None-Match: * itself."""
    if req.header('if-match') is None and req.header('if-none-match') is None:
        return {}
    _conditional(req, backend)
    if req.header('if-none-match') is not None:
        return {'If-None-Match': '*'}
    return {}


def complete_multipart_upload(req: S3Request, backend: Backend
                              ) -> S3Response:
    upload_id = _upload_id(req)
    try:
        upload = find_upload(req, backend)
    except errors.NoSuchUpload:
        return _already_completed(req, backend, upload_id)
    requested = _parse_complete(req, xmlutil.read_body(
        req.environ['wsgi.input'], req.content_length,
        req.conf.max_xml_body_size))
    stored = {p.number: p for p in list_upload_parts(
        backend, upload.container, upload_id)}
    parts = _match_parts(req, upload, requested, stored)
    current = _conditional(req, backend)
    etag = s3_etag(parts)
    headers = _final_headers(upload)
    headers.update(_object_checksum(req, upload, parts))
    headers.update({UPLOAD_ID_SYSMETA: upload_id, ETAG_SYSMETA: etag,
                    OVERRIDE_ETAG: '; s3_etag=%s' % etag})
    if req.header('if-none-match') is not None:
        headers['If-None-Match'] = '*'

    def finish() -> None:
        backend.request('DELETE', upload.container,
                        upload_name(req.key, upload_id), ok=(404,))
        _delete_parts(req, backend, upload.container, upload_id,
                      keep=tuple(p.number for p in parts))
        if current is not None:
            _delete_replaced(req, backend, current, upload_id)
    manifest = [{'path': '/%s/%s' % (upload.container,
                                     part_name(upload_id, p.number)),
                 'etag': p.etag, 'size_bytes': p.size}
                for p in parts if p.size]
    if not manifest:
        # SLO takes no empty manifest: an object of empty parts is empty.
        headers[OVERRIDE_ETAG] = hashlib.md5(
            b'', usedforsecurity=False).hexdigest() + headers[OVERRIDE_ETAG]
        backend.request('PUT', req.bucket, req.key, headers=headers, body=b'')
        finish()
        return _complete_result(req, etag, headers)
    # SLO checks every segment (a minute for 10,000 under load): it answers
    # at once and sends whitespace while it works, and so do we, as AWS
    # does; a failure then comes as an Error document in the 200 response.
    headers['Accept'] = 'application/json'
    resp = backend.request('PUT', req.bucket, req.key, headers=headers,
                           query={'multipart-manifest': 'put',
                                  'heartbeat': 'on'},
                           body=json.dumps(manifest).encode('ascii'))
    return S3Response(200, {'Content-Type': 'application/xml'},
                      _heartbeats(req, resp, upload_id, finish,
                                  lambda: _complete_result(req, etag,
                                                           headers).body))


def _heartbeats(req: S3Request, resp, upload_id: str, finish, result
                ) -> Iterator[bytes]:
    """The streamed CompleteMultipartUpload answer over SLO's heartbeats."""
    yield xmlutil.XML_DECL.encode('ascii')
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
        close = getattr(resp.app_iter, 'close', None)
        if close:
            close()
    yield body[len(xmlutil.XML_DECL):]


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
    if current.get(UPLOAD_ID_SYSMETA) != upload_id:
        delete_segments(req, backend, current)


def _already_completed(req: S3Request, backend: Backend, upload_id: str
                       ) -> S3Response:
    """A retried Complete of an upload that completed: its result again."""
    resp = backend.request('HEAD', req.bucket, req.key,
                           query={'multipart-manifest': 'get'}, ok=(404,))
    if resp.status_int == 404 or \
            resp.headers.get(UPLOAD_ID_SYSMETA) != upload_id:
        raise errors.NoSuchUpload(UploadId=upload_id)
    return _complete_result(req, resp.headers[ETAG_SYSMETA], resp.headers)


def _complete_result(req: S3Request, etag: str, headers) -> S3Response:
    found = checksums.stored(headers)
    parts = [xmlutil.elem('Location', 'http://%s/%s/%s' % (
        req.host or 'localhost', req.bucket, req.key)),
        xmlutil.elem('Bucket', req.bucket), xmlutil.elem('Key', req.key),
        '<ETag>&quot;%s&quot;</ETag>' % etag]
    if found is not None:
        parts += [xmlutil.elem(found.algorithm.xml_name, found.value),
                  xmlutil.elem('ChecksumType', found.kind)]
    return xml_response(xmlutil.document('CompleteMultipartUploadResult',
                                         parts))


# -- GET/HEAD ?partNumber=, deletes -------------------------------------------------------------
def s3_etag_of(headers) -> str:
    """An object's S3 ETag (unquoted) from its Swift headers."""
    return (headers.get(ETAG_SYSMETA) or headers.get('Etag', '')).strip('"')


def is_multipart(headers) -> bool:
    return bool(headers.get(UPLOAD_ID_SYSMETA))


def parts_count(headers) -> int:
    etag = headers.get(ETAG_SYSMETA, '')
    count = etag.rpartition('-')[2]
    return int(count) if count.isdigit() else 1


def part_range(req: S3Request, backend: Backend
               ) -> Tuple[Optional[str], Dict[str, str]]:
    """For ``?partNumber=N``: the Range to read and the headers to add
    (``x-amz-mp-parts-count``); (None, {}) means the whole object."""
    number = _part_number(req)
    if req.header('range') is not None:
        raise errors.InvalidRequest('Cannot specify both Range header and '
                                    'partNumber query parameter')
    head = backend.request('HEAD', req.bucket, req.key,
                           query={'multipart-manifest': 'get'})
    if not is_multipart(head.headers):
        if number != 1:
            raise InvalidPartNumber(PartNumberRequested=number,
                                    ActualPartCount=1)
        return None, {}
    count = parts_count(head.headers)
    if number > count:
        raise InvalidPartNumber(PartNumberRequested=number,
                                ActualPartCount=count)
    segments = json.loads(backend.request(
        'GET', req.bucket, req.key,
        query={'multipart-manifest': 'get'}).body or b'[]')
    total = sum(int(segment['bytes']) for segment in segments)
    offset = 0
    for segment in segments:
        size = int(segment['bytes'])
        if part_number_of(segment['name']) == number:
            last = offset + size - 1
            return 'bytes=%d-%d' % (offset, last), {
                'x-amz-mp-parts-count': str(count),
                'Content-Range': 'bytes %d-%d/%d' % (offset, last, total),
                'Content-Length': str(size)}
        offset += size
    # an empty final part (not in the manifest)
    raise InvalidPartNumber('An empty part cannot be read by part number',
                            PartNumberRequested=number,
                            ActualPartCount=count)


def listing_etag(entry: dict) -> str:
    """The S3 ETag of a container listing entry (a multipart object's is
    the ``s3_etag`` parameter of its listing etag)."""
    etag, params = parse_header(entry['hash'])
    return params.get('s3_etag') or etag


def is_manifest(headers) -> bool:
    """A multipart object's own manifest (HEAD ?multipart-manifest=get),
    not a copy of one: only then are the parts its own to delete."""
    return is_multipart(headers) and \
        headers.get('X-Static-Large-Object', '').lower() == 'true'


def doomed_by_delete(req: S3Request, backend: Backend,
                     version: Optional[str]) -> Optional[HeaderKeyDict]:
    """Before a DeleteObject: the headers of the multipart object it will
    remove for good (not versioned), whose parts go after it."""
    if version is not None or versioned(backend, req.bucket):
        return None
    resp = backend.request('HEAD', req.bucket, req.key,
                           query={'multipart-manifest': 'get'}, ok=(404,))
    if resp.status_int == 404 or not is_manifest(resp.headers):
        return None
    return resp.headers


def copy_headers(source_headers) -> Dict[str, str]:
    """Headers of a CopyObject from a multipart object: the copy is one
    plain object, so it keeps none of the upload's sysmeta (else deleting
    the copy would delete the source's parts), nor a COMPOSITE checksum,
    which describes parts it does not have."""
    if not is_multipart(source_headers):
        return {}
    out = {UPLOAD_ID_SYSMETA: '', ETAG_SYSMETA: ''}
    found = checksums.stored(source_headers)
    if found is not None and found.kind == checksums.COMPOSITE:
        out.update(dict.fromkeys((checksums.ALGORITHM_SYSMETA,
                                  checksums.VALUE_SYSMETA,
                                  checksums.TYPE_SYSMETA), ''))
    return out


def delete_segments(req: S3Request, backend: Backend, headers) -> None:
    """After deleting a multipart object (``headers`` from its HEAD with
    ``multipart-manifest=get``), delete its parts."""
    upload_id = headers.get(UPLOAD_ID_SYSMETA)
    if is_manifest(headers) and valid_upload_id(upload_id) and \
            not versioned(backend, req.bucket):
        _delete_parts(req, backend, segments_container(req.bucket),
                      upload_id)


def versioned(backend: Backend, bucket: str) -> bool:
    """Whether the bucket keeps old versions (then they keep their parts)."""
    info = backend.container_info(bucket)
    return 'versions-enabled' in info.get('sysmeta', {}) or \
        bool(info.get('versions'))


def delete_segments_container(backend: Backend, bucket: str) -> None:
    """After DeleteBucket: the hidden container too, when it is empty."""
    backend.request('DELETE', segments_container(bucket), ok=(404, 409))
