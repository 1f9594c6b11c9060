"""Multipart uploads on Swift SLO: how uploads are stored.

The upload layout and records used by the S3 API (``api.multipart``:
CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload,
AbortMultipartUpload, ListParts, ListMultipartUploads), by the multipart
side of GET/HEAD ``?partNumber=`` and of deletes, and by the sweeper.

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

CompleteMultipartUpload writes an SLO manifest at the key (in SLO's stored
format, itself: ``write_manifest`` says why and what that trades), whose sysmeta
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

import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple
from urllib.parse import quote, unquote

from eventlet import GreenPool
from swift.common.registry import get_swift_info
from swift.common.swob import HeaderKeyDict
from swift.common.utils import parse_content_type, parse_header

from swift3compat import errors
from swift3compat.http import xml
from swift3compat.http.request import S3Request
from swift3compat.swift import checksums, sysmeta
from swift3compat.swift.backend import Backend

SEGMENTS = '+segments'
UPLOADS = 'u/'
PARTS = 'p/'
SEP = '\x01'
# Stored names (swift.sysmeta is the registry)
UPLOAD_ID_SYSMETA = sysmeta.UPLOAD_ID
ETAG_SYSMETA = sysmeta.ETAG
CONTENT_TYPE_SYSMETA = sysmeta.UPLOAD_CONTENT_TYPE
OVERRIDE_ETAG = sysmeta.CONTAINER_UPDATE_OVERRIDE_ETAG
OVERRIDE_CONTENT_TYPE = sysmeta.CONTAINER_UPDATE_OVERRIDE_CONTENT_TYPE
UPLOAD_TYPE = sysmeta.UPLOAD_MARKER_TYPE
PART_TYPE = sysmeta.PART_TYPE
MAX_PART_SIZE = 5 * 1024 ** 3
LISTING_LIMIT = 10000          # Swift's container listing limit


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


def marker_type(algorithm: Optional[checksums.Algorithm],
                kind: Optional[str], initiator: Optional[str] = None,
                owner: Optional[str] = None) -> str:
    """The upload marker's content type: its checksum algorithm and type,
    who created the upload and, when another, who will own the object
    (ListMultipartUploads reads them from the listing)."""
    out = UPLOAD_TYPE
    if algorithm is not None:
        out += ';algorithm=%s;type=%s' % (algorithm.name, kind)
    if initiator:
        out += ';%s=%s' % (sysmeta.UPLOAD_INITIATOR_PARAM,
                           quote(initiator, safe=''))
    if owner and owner != initiator:
        out += ';%s=%s' % (sysmeta.UPLOAD_OWNER_PARAM, quote(owner, safe=''))
    return out


def upload_initiator(content_type: str) -> Tuple[Optional[str],
                                                 Optional[str]]:
    """(initiator, owner) of the upload (``marker_type``); None for what
    uploads created before did not record."""
    params = type_params(content_type)
    initiator = params.get(sysmeta.UPLOAD_INITIATOR_PARAM)
    initiator = unquote(initiator) if initiator else None
    owner = params.get(sysmeta.UPLOAD_OWNER_PARAM)
    return initiator, unquote(owner) if owner else initiator


def type_params(content_type: str) -> Dict[str, str]:
    return dict(parse_content_type(content_type or '')[1])


def upload_checksum(content_type: str) -> Tuple[Optional[checksums.Algorithm],
                                                Optional[str]]:
    params = type_params(content_type)
    return checksums.ALGORITHMS.get(params.get('algorithm', '')), \
        params.get('type')


def requested_upload_id(req: S3Request) -> str:
    upload_id = req.query.get('uploadId', '')
    if not valid_upload_id(upload_id):
        raise errors.NoSuchUpload(UploadId=upload_id)
    return upload_id


def find_upload(req: S3Request, backend: Backend) -> Upload:
    """The upload of ``?uploadId=`` (its marker's HEAD), or NoSuchUpload."""
    upload_id = requested_upload_id(req)
    container = segments_container(req.bucket)
    resp = backend.request('HEAD', container,
                           upload_name(req.key, upload_id), ok=(404,))
    if resp.status_int == 404:
        if not backend.container_exists(req.bucket):
            raise errors.NoSuchBucket(BucketName=req.bucket)
        raise errors.NoSuchUpload(UploadId=upload_id)
    algorithm, kind = upload_checksum(resp.headers.get('Content-Type'))
    return Upload(upload_id, container, resp.headers, algorithm, kind)


def requested_part_number(req: S3Request) -> int:
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


def quoted(etag: str) -> str:
    return '"%s"' % etag.strip('"')


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
        return xml.elem(algorithm.xml_name, checksums.b64(raw))


def _part_of(entry: dict) -> Part:
    params = type_params(entry.get('content_type', ''))
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


# -- AbortMultipartUpload ---------------------------------------------------------------------
def delete_all(req: S3Request, backend: Backend, container: str,
               names: List[str]) -> None:
    pool = GreenPool(max(req.conf.multi_delete_concurrency, 4))
    for _ in pool.imap(lambda name: backend.request(
            'DELETE', container, name, ok=(404,)), names):
        pass


def delete_parts(req: S3Request, backend: Backend, container: str,
                 upload_id: str, keep: Tuple[int, ...] = ()) -> None:
    parts = list_upload_parts(backend, container, upload_id)
    delete_all(req, backend, container, [
        part_name(upload_id, p.number) for p in parts
        if p.number not in keep])


# -- CompleteMultipartUpload ---------------------------------------------------------------------
def s3_etag(parts: List[Part]) -> str:
    digest = hashlib.md5(b''.join(bytes.fromhex(p.etag) for p in parts),
                         usedforsecurity=False).hexdigest()
    return '%s-%d' % (digest, len(parts))


def write_manifest(backend: Backend, bucket: str, key: str, upload_id: str,
                   parts: List[Part], headers: Dict[str, str]):
    """PUT the object's SLO manifest of ``parts`` (non-empty ones only; at
    least one), as SLO itself stores one, without SLO's check of each
    segment; the response (201, or 412 for ``If-None-Match: *``).

    Why not ``?multipart-manifest=put``: SLO HEADs every segment through
    the proxy, nine tenths of a Complete's work at 100 parts and a minute
    at 10,000 under load.  The parts and their etags and sizes come from
    the listing Complete just matched against the client's part list; the
    names are the upload's own, written by nothing but UploadPart.  What
    SLO's HEADs caught beyond that: a part overwritten or deleted since the
    listing, in the milliseconds until the manifest is written (SLO's
    window is as wide: it HEADs while it works), or overwritten while the
    container update of its UploadPart was still queued (the listing shows
    the earlier part) and then completed with the earlier part's ETag.
    In those cases SLO's GET finds the segment's etag or size differs from
    the manifest's and stops the body short; nothing is served wrong.

    The manifest is SLO's stored format (``slo.py``: segment name, bytes,
    hash, content_type, last_modified; its etag and size sysmeta; the
    listing's ``swift_bytes`` and ``slo_etag``), written with
    ``swift.slo_override`` (which Swift's container sync uses to write
    manifests as they are): SLO reads, copies and deletes it as its own."""
    kept = [p for p in parts if p.size]
    segments = [{'name': '/%s/%s' % (segments_container(bucket),
                                     part_name(upload_id, p.number)),
                 'bytes': p.size, 'hash': p.etag, 'content_type': PART_TYPE,
                 'last_modified': p.last_modified} for p in kept]
    limit = (get_swift_info().get('slo') or {}).get('max_manifest_segments')
    if limit is not None and len(segments) > int(limit):
        raise errors.InvalidRequest(
            'This service takes at most %s non-empty parts in an upload'
            % limit)
    body = json.dumps(segments).encode('ascii')
    size = sum(p.size for p in kept)
    slo_etag = hashlib.md5(''.join(p.etag for p in kept).encode('ascii'),
                           usedforsecurity=False).hexdigest()
    body_etag = hashlib.md5(body, usedforsecurity=False).hexdigest()
    headers = dict(headers)
    headers.update({
        sysmeta.STATIC_LARGE_OBJECT: 'True',
        sysmeta.SLO_ETAG: slo_etag,
        sysmeta.SLO_SIZE: str(size),
        'Etag': body_etag,
        # the listing's size is the object's, its etag carries both
        'Content-Type': '%s;swift_bytes=%d' % (headers['Content-Type'], size),
        OVERRIDE_ETAG: '%s%s; slo_etag=%s' % (
            body_etag, headers.get(OVERRIDE_ETAG, ''), slo_etag)})
    return backend.request('PUT', bucket, key, headers=headers, body=body,
                           ok=(412,), environ={
                               'swift.slo_override': True,
                               # lets swift_bytes through the proxy
                               'swift.content_type_overridden': True})


# -- GET/HEAD ?partNumber=, deletes -------------------------------------------------------------
def s3_etag_of(headers) -> str:
    """An object's S3 ETag (unquoted) from its Swift headers."""
    return (headers.get(ETAG_SYSMETA) or headers.get('Etag', '')).strip('"')


def is_multipart(headers) -> bool:
    return bool(sysmeta.read(headers, UPLOAD_ID_SYSMETA))


def parts_count(headers) -> int:
    etag = headers.get(ETAG_SYSMETA, '')
    count = etag.rpartition('-')[2]
    return int(count) if count.isdigit() else 1


def part_range(req: S3Request, backend: Backend
               ) -> Tuple[Optional[str], Dict[str, str]]:
    """For ``?partNumber=N``: the Range to read and the headers to add
    (``x-amz-mp-parts-count``); (None, {}) means the whole object."""
    number = requested_part_number(req)
    if req.header('range') is not None:
        raise errors.InvalidRequest('Cannot specify both Range header and '
                                    'partNumber query parameter')
    head = backend.request('HEAD', req.bucket, req.key,
                           query={'multipart-manifest': 'get'})
    if not is_multipart(head.headers):
        if number != 1:
            raise errors.InvalidPartNumber(PartNumberRequested=number,
                                           ActualPartCount=1)
        return None, {}
    count = parts_count(head.headers)
    if number > count:
        raise errors.InvalidPartNumber(PartNumberRequested=number,
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
            return 'bytes=%d-%d' % (offset, last), dict(
                checksums.part_response_headers(
                    req, head.headers,
                    lambda: _part_checksum(req, backend, head.headers,
                                           number)),
                **{'x-amz-mp-parts-count': str(count),
                   'Content-Range': 'bytes %d-%d/%d' % (offset, last, total),
                   'Content-Length': str(size)})
        offset += size
    # an empty final part (not in the manifest)
    raise errors.InvalidPartNumber('An empty part cannot be read by part number',
                                   PartNumberRequested=number,
                                   ActualPartCount=count)


def _part_checksum(req: S3Request, backend: Backend, headers, number: int
                   ) -> Optional[Tuple[checksums.Algorithm, bytes]]:
    """The checksum part ``number`` of a completed upload was sent with
    (its parts stay in the segments container)."""
    parts = list_upload_parts(backend, segments_container(req.bucket),
                              headers[UPLOAD_ID_SYSMETA], number - 1, 1)
    if not parts or parts[0].number != number:
        return None
    return parts[0].checksum


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


def may_hold_manifests(container_info: dict, untracked: bool = True
                       ) -> bool:
    """Whether the bucket (its container info) may hold a multipart object
    of its own: it has the Multipart flag, or (``untracked``) it was
    created before buckets were tracked (no Multipart-Tracked marker), so
    that its manifests may predate the flag."""
    info = container_info.get('sysmeta') or {}
    return bool(info.get(sysmeta.BUCKET_MULTIPART_INFO)) or (
        untracked and not info.get(sysmeta.BUCKET_MULTIPART_TRACKED_INFO))


def mark_multipart(backend: Backend, bucket: str) -> None:
    """Before a manifest lands in the bucket: set its Multipart flag, once
    (no request when the container info shows it already).  A flag that
    cannot be set fails the write: a manifest in an unflagged bucket would
    leave its parts behind when deleted."""
    info = backend.container_info(bucket).get('sysmeta') or {}
    if info.get(sysmeta.BUCKET_MULTIPART_INFO):
        return
    resp = backend.system_request('POST', backend.account or '', bucket,
                                  headers={sysmeta.BUCKET_MULTIPART: '1'})
    if resp.status_int == 404:
        raise errors.NoSuchBucket(BucketName=bucket)
    if not resp.is_success:
        raise errors.ServiceUnavailable()
    # The POST dropped the bucket's info from the request's info cache,
    # where the access log reads it; the manifest PUT would load it again
    # anyway: load it now.
    backend.container_info(bucket)


def doomed_by_delete(req: S3Request, backend: Backend,
                     version: Optional[str], key: Optional[str] = None, *,
                     untracked: bool = True) -> Optional[HeaderKeyDict]:
    """Before deleting ``key`` (the request's by default): the headers of
    the multipart object the delete will remove for good (not versioned),
    whose parts go after it.  A bucket that never held a multipart object
    has none: no HEAD then.  ``untracked``: look in buckets created before
    the flag, too (DeleteObject); DeleteObjects leaves their parts to the
    segment collector, as it always did."""
    if version is not None:
        return None
    info = backend.container_info(req.bucket)
    if _versioned(info) or not may_hold_manifests(info, untracked):
        return None
    resp = backend.request('HEAD', req.bucket,
                           req.key if key is None else key,
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
        out.update(dict.fromkeys(checksums.ALL_SYSMETA, ''))
    return out


def delete_segments(req: S3Request, backend: Backend, headers) -> None:
    """After deleting a multipart object (``headers`` from its HEAD with
    ``multipart-manifest=get``), delete its parts."""
    upload_id = headers.get(UPLOAD_ID_SYSMETA)
    if is_manifest(headers) and valid_upload_id(upload_id) and \
            not versioned(backend, req.bucket):
        delete_parts(req, backend, segments_container(req.bucket),
                     upload_id)


def versioned(backend: Backend, bucket: str) -> bool:
    """Whether the bucket keeps old versions (then they keep their parts)."""
    return _versioned(backend.container_info(bucket))


def _versioned(container_info: dict) -> bool:
    return 'versions-enabled' in container_info.get('sysmeta', {}) or \
        bool(container_info.get('versions'))


SEGMENTS_REGISTRY = 'segments'      # sweeper/segments.py reads it


def register_segments_container(backend: Backend, bucket: str) -> None:
    """Record ``<account>/<bucket>`` for the segment collector when the
    bucket's segments container is created (once per bucket, not per
    request).  Best effort: an unregistered container only waits for an
    operator's run of the collector on that bucket."""
    account = backend.req.conf.lifecycle_registry_account
    name = '%s/%s' % (backend.account, bucket)
    resp = backend.system_request('PUT', account, SEGMENTS_REGISTRY, name)
    if resp.status_int == 404:
        backend.system_request('PUT', account, SEGMENTS_REGISTRY)
        backend.system_request('PUT', account, SEGMENTS_REGISTRY, name)


def delete_segments_container(backend: Backend, bucket: str) -> None:
    """After DeleteBucket: the hidden container too, when it is empty.  When
    uploads are in progress their markers go at once (they must not come
    back if the bucket is created again); their parts are the segment
    collector's (the bucket is gone, so all of its segments are orphans)."""
    container = segments_container(bucket)
    resp = backend.request('DELETE', container, ok=(404, 409))
    if resp.status_int != 409:
        return
    listing = backend.request('GET', container, query={
        'format': 'json', 'prefix': UPLOADS, 'limit': str(LISTING_LIMIT)},
        ok=(404,))
    if listing.status_int == 404:
        return
    delete_all(backend.req, backend, container,
               [entry['name'] for entry in json.loads(listing.body or b'[]')])
    backend.request('DELETE', container, ok=(404, 409))
