"""An object's headers in Swift: what a PUT stores (user metadata within
Swift's limits, the headers S3 keeps, storage class) and what GET/HEAD
return, and the copy source of a CopyObject / UploadPartCopy."""
from __future__ import annotations

import base64
import email.errors
import email.header
import json
from typing import Dict, Optional, Tuple, cast
from urllib.parse import unquote

from swift.common import constraints
from swift.common.header_key_dict import HeaderKeyDict

from swift3compat import errors
from swift3compat.model import conditions
from swift3compat.http.request import MAX_KEY_BYTES, S3Request, valid_bucket_name
from swift3compat.swift import sysmeta, uploads, versions
from swift3compat.swift.backend import Backend, wsgi_str


STORAGE_CLASSES = frozenset([
    'STANDARD', 'REDUCED_REDUNDANCY', 'STANDARD_IA', 'ONEZONE_IA',
    'INTELLIGENT_TIERING', 'GLACIER', 'DEEP_ARCHIVE', 'GLACIER_IR',
    'OUTPOSTS', 'SNOW', 'EXPRESS_ONEZONE'])
STORAGE_CLASS_SYSMETA = sysmeta.STORAGE_CLASS
# Headers S3 stores with an object and returns on GET/HEAD, as they are.
STORED_HEADERS = ('Content-Encoding', 'Content-Disposition',
                  'Content-Language', 'Cache-Control', 'Expires')
# Content-Type and STORED_HEADERS together (bytes).  Swift keeps them with the
# object name and user metadata in the extended attributes of the object's
# file; what does not fit makes the object server answer 507, after which the
# proxy stops using that disk for everyone (error limiting).  AWS documents
# no limit of its own besides 8 KB of request headers.
MAX_STORED_HEADERS = 2048
_PASSED_RESPONSE = ('Content-Type', 'Content-Length', 'Content-Range',
                    'Last-Modified', 'Accept-Ranges') + STORED_HEADERS
SWIFT_META = sysmeta.OBJECT_USER_META
S3_META = 'x-amz-meta-'
# User metadata beyond Swift's per-item limits, as a JSON object.
META_OVERFLOW = sysmeta.META_OVERFLOW
_STORAGE_CLASS_TITLE = STORAGE_CLASS_SYSMETA.title()
_META_OVERFLOW_TITLE = META_OVERFLOW.title()
# Swift response header (title case) -> S3's: one dict lookup per header
# of every GET/HEAD
_RENAMED = {**{name: name for name in _PASSED_RESPONSE}, 'Etag': 'ETag',
            _STORAGE_CLASS_TITLE: 'x-amz-storage-class',
            versions.SWIFT_VERSION_ID: versions.VERSION_ID}


def _stored_meta_value(value: str) -> str:
    """A metadata value as stored: RFC 2047 encoded words (=?UTF-8?B?..?=)
    are decoded first, as AWS does (WSGI text in, WSGI text out)."""
    if '=?' not in value:
        return value
    try:
        text = str(email.header.make_header(
            email.header.decode_header(value)))
    except (email.errors.HeaderParseError, LookupError, UnicodeError,
            ValueError):
        return value
    return wsgi_str(text)


def _returned_meta_value(value: str) -> str:
    """A stored metadata value as AWS returns it: non-ASCII UTF-8 text
    RFC 2047 encoded, so that the header stays mail-safe."""
    if value.isascii():
        return value
    try:
        raw = value.encode('latin-1')
        raw.decode('utf-8')
    except UnicodeError:
        return value
    return '=?UTF-8?B?%s?=' % base64.b64encode(raw).decode('ascii')


def user_metadata(req: S3Request) -> Dict[str, str]:
    """x-amz-meta-* → Swift headers, within AWS's 2 KB limit."""
    items: Dict[str, str] = {}
    size = 0
    for name, value in req.headers().items():
        if name.startswith('x-amz-meta-'):
            name = name[11:]
            value = _stored_meta_value(value)
            size += len(name) + len(value.encode('latin-1'))
            items[name] = value
    if size > req.conf.max_meta_size:
        raise errors.MetadataTooLarge(MaxSizeAllowed=req.conf.max_meta_size)
    return swift_metadata(items)


def swift_metadata(items: Dict[str, str]) -> Dict[str, str]:
    """User metadata as X-Object-Meta-* where Swift's constraints allow
    (256-byte values, 128-byte names, 90 items, 4 KB), the rest as JSON in
    META_OVERFLOW, so that everything AWS accepts is kept."""
    out: Dict[str, str] = {}
    overflow: Dict[str, str] = {}
    total = 0
    for name, value in sorted(items.items()):
        size = len(name) + len(value)
        if len(name) <= constraints.MAX_META_NAME_LENGTH and \
                len(value) <= constraints.MAX_META_VALUE_LENGTH and \
                len(out) < constraints.MAX_META_COUNT and \
                total + size <= constraints.MAX_META_OVERALL_SIZE:
            out[SWIFT_META + name] = value
            total += size
        else:
            overflow[name] = value
    if overflow:
        out[META_OVERFLOW] = json.dumps(overflow, ensure_ascii=False,
                                        separators=(',', ':'))
    return out


def storage_class(req: S3Request) -> Dict[str, str]:
    value = req.header('x-amz-storage-class')
    if value is None:
        return {}
    if value not in STORAGE_CLASSES:
        raise errors.InvalidStorageClass(StorageClassRequested=value)
    if value == 'STANDARD':
        return {}
    return {STORAGE_CLASS_SYSMETA: value}


def put_headers(req: S3Request) -> Dict[str, str]:
    """The Swift headers of an object PUT, from an allow-list (server-side
    encryption: swift/sse.py)."""
    headers = user_metadata(req)
    headers.update(storage_class(req))
    headers['Content-Type'] = req.header('content-type') or \
        'binary/octet-stream'
    for name in STORED_HEADERS:
        value = req.header(name)
        if value is not None:
            headers[name] = value
    # aws-chunked describes the request body, never the object (AWS)
    encodings = [e.strip() for e in headers.get('Content-Encoding', '')
                 .split(',') if e.strip()]
    if any(e.lower() == 'aws-chunked' for e in encodings):
        kept = [e for e in encodings if e.lower() != 'aws-chunked']
        if kept:
            headers['Content-Encoding'] = ', '.join(kept)
        else:
            del headers['Content-Encoding']
    stored = sum(len(headers[name]) for name in ('Content-Type',) + STORED_HEADERS
                 if name in headers)
    if stored > MAX_STORED_HEADERS:
        raise errors.MetadataTooLarge(MaxSizeAllowed=MAX_STORED_HEADERS)
    return headers


def object_response_headers(swift_headers) -> Dict[str, str]:
    """Swift object response headers → S3 ones (allow-list)."""
    out: Dict[str, str] = {}
    # A swob response's HeaderKeyDict has its names title-cased already.
    titled = isinstance(swift_headers, HeaderKeyDict)
    for name, value in swift_headers.items():
        title = name if titled else name.title()
        renamed = _RENAMED.get(title)
        if renamed is not None:
            out[renamed] = value
        elif title.startswith(SWIFT_META):
            out[S3_META + title[len(SWIFT_META):].lower()] = \
                _returned_meta_value(value)
        elif title == _META_OVERFLOW_TITLE and value:
            out.update((S3_META + k, _returned_meta_value(v))
                       for k, v in json.loads(value).items())
    if uploads.is_multipart(swift_headers):
        out['ETag'] = '"%s"' % uploads.s3_etag_of(swift_headers)
    else:
        etag = out.get('ETag')
        if etag is not None and not etag.startswith('"'):
            out['ETag'] = '"%s"' % etag
    return out


def parse_copy_source(req: S3Request) -> Tuple[str, str, Optional[str]]:
    raw = req.header('x-amz-copy-source', '')
    path, _, query = raw.partition('?')
    try:
        path = unquote(path, errors='strict')
    except UnicodeDecodeError:
        raise errors.InvalidArgument('Invalid copy source encoding',
                                     ArgumentName='x-amz-copy-source') from None
    bucket, _, key = path.lstrip('/').partition('/')
    version = None
    if query:
        name, _, value = query.partition('=')
        if name != 'versionId':
            raise errors.InvalidArgument(
                'Unsupported copy source parameter.',
                ArgumentName='x-amz-copy-source', ArgumentValue=raw)
        version = unquote(value)
    if not bucket or not key or len(key.encode('utf-8')) > MAX_KEY_BYTES or \
            not valid_bucket_name(bucket, req.conf.dns_compliant_bucket_names):
        raise errors.InvalidArgument('Copy Source must mention the source '
                                     'bucket and key: sourcebucket/sourcekey',
                                     ArgumentName='x-amz-copy-source',
                                     ArgumentValue=raw)
    return bucket, key, version


def copy_source_conditions(req: S3Request) -> Dict[str, str]:
    """The request's ``x-amz-copy-source-if-*`` headers (lower case)."""
    return {name: cast(str, req.header(name))
            for name in conditions.COPY_CONDITIONS
            if req.header(name) is not None}


def check_copy_source(req: S3Request, source_headers) -> None:
    """PreconditionFailed unless the copy source (its Swift HEAD headers)
    meets the ``x-amz-copy-source-if-*`` conditions, compared with its S3
    ETag (``"...-N"`` for a multipart object) and Last-Modified."""
    wanted = copy_source_conditions(req)
    if not wanted:
        return
    # an SSE-C/KMS object's S3 ETag is its opaque one (swift/sse.py)
    etag = source_headers.get(sysmeta.SSE_ETAG) or \
        uploads.s3_etag_of(source_headers)
    failed = conditions.copy_source_failure(
        wanted, etag,
        conditions.parse_time(source_headers.get('Last-Modified')))
    if failed is not None:
        raise errors.PreconditionFailed(Condition=failed)


def copy_source_head(req: S3Request, backend: Backend, bucket: str,
                     key: str, version: Optional[str]):
    """HEAD the copy source (or one version of it): NoSuchKey,
    NoSuchVersion, or InvalidRequest for a delete marker."""
    if version is None:
        resp = backend.request('HEAD', bucket, key, ok=(404,))
        if resp.status_int == 404:
            raise backend.error_for(404, bucket, key)
        return resp
    try:
        return versions.request_version(req, backend, 'HEAD', bucket, key,
                                        version)
    except errors.MethodNotAllowed:
        raise errors.InvalidRequest(
            'The source of a copy request may not specifically refer to a '
            'delete marker by version id.') from None


def check_delete_conditions(backend: Backend, bucket: str, key: str,
                            version: Optional[str],
                            wanted: Dict[str, str]) -> None:
    """PreconditionFailed unless the object (or version) to delete has the
    ``ETag`` / ``LastModifiedTime`` / ``Size`` a conditional delete names
    (DeleteObject's If-Match, x-amz-if-match-last-modified-time and
    x-amz-if-match-size, or a DeleteObjects key's elements).

    A key that does not exist passes (DeleteObject's API reference: "if
    the object doesn't exist, the operation will return a 204").  A key
    whose current version is a delete marker fails: "If the latest
    version of the object is a delete marker, the object doesn't exist
    and the DeleteObject API will fail" (User Guide, conditional
    deletes), whatever the condition, ``If-Match: *`` included.  A
    version named by id is checked as it is (a delete marker version has
    nothing to compare, as a missing one)."""
    if not wanted:
        return
    query = {'version-id': version} if version else None
    head = backend.request('HEAD', bucket, key, query=query, ok=(400, 404))
    if head.status_int == 404 and version is None and \
            versions.current_delete_marker(backend, bucket, key):
        raise errors.PreconditionFailed(Condition=_first_condition(wanted))
    if head.status_int != 200:
        return
    failed = conditions.delete_failure(
        wanted.get('ETag'), wanted.get('LastModifiedTime'),
        wanted.get('Size'), etag=uploads.s3_etag_of(head.headers),
        last_modified=conditions.parse_time(head.headers.get('Last-Modified')),
        object_size=int(head.headers.get('Content-Length', 0)))
    if failed is not None:
        raise errors.PreconditionFailed(Condition=failed)


def _first_condition(wanted: Dict[str, str]) -> str:
    """The condition a PreconditionFailed names: the first one sent."""
    for name, header in (
            ('ETag', conditions.IF_MATCH),
            ('LastModifiedTime', conditions.IF_MATCH_LAST_MODIFIED_TIME),
            ('Size', conditions.IF_MATCH_SIZE)):
        if name in wanted:
            return header
    return conditions.IF_MATCH
