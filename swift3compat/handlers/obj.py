"""Object operations: GetObject, HeadObject, PutObject, CopyObject,
DeleteObject."""
from __future__ import annotations

import base64
import email.errors
import email.header
import json
from typing import Dict, Optional, Tuple
from urllib.parse import quote, unquote

from swift.common import constraints

from swift3compat import access, errors, xmlutil
from swift3compat.auth.signature import content_md5_hex
from swift3compat import checksums
from swift3compat.backend import OBJECT_SYSMETA, Backend, wsgi_str
from swift3compat.handlers import multipart, tagging, versioning
from swift3compat.request import MAX_KEY_BYTES, S3Request, valid_bucket_name
from swift3compat.response import S3Response, iso8601, xml_response

STORAGE_CLASSES = frozenset([
    'STANDARD', 'REDUCED_REDUNDANCY', 'STANDARD_IA', 'ONEZONE_IA',
    'INTELLIGENT_TIERING', 'GLACIER', 'DEEP_ARCHIVE', 'GLACIER_IR',
    'OUTPOSTS', 'SNOW', 'EXPRESS_ONEZONE'])
STORAGE_CLASS_SYSMETA = OBJECT_SYSMETA + 'Storage-Class'
# Headers S3 stores with an object and returns on GET/HEAD, as they are.
STORED_HEADERS = ('Content-Encoding', 'Content-Disposition',
                  'Content-Language', 'Cache-Control', 'Expires')
# Content-Type and STORED_HEADERS together (bytes).  Swift keeps them with the
# object name and user metadata in the extended attributes of the object's
# file; what does not fit makes the object server answer 507, after which the
# proxy stops using that disk for everyone (error limiting).  AWS documents
# no limit of its own besides 8 KB of request headers.
MAX_STORED_HEADERS = 2048
_RESPONSE_OVERRIDES = {
    'response-content-type': 'Content-Type',
    'response-content-language': 'Content-Language',
    'response-expires': 'Expires',
    'response-cache-control': 'Cache-Control',
    'response-content-disposition': 'Content-Disposition',
    'response-content-encoding': 'Content-Encoding',
}
_PASSED_RESPONSE = ('Content-Type', 'Content-Length', 'Content-Range',
                    'Last-Modified', 'Accept-Ranges') + STORED_HEADERS
SWIFT_META = 'X-Object-Meta-'
S3_META = 'x-amz-meta-'
# User metadata beyond Swift's per-item limits, as a JSON object.
META_OVERFLOW = OBJECT_SYSMETA + 'Meta'


# -- metadata -----------------------------------------------------------------
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
    for key, value in req.environ.items():
        if key.startswith('HTTP_X_AMZ_META_'):
            name = key[16:].lower().replace('_', '-')
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


def _unsupported_headers(req: S3Request) -> None:
    sse = req.header('x-amz-server-side-encryption')
    if sse is not None:
        raise errors.NotImplemented(
            'Server-side encryption is not implemented by this endpoint')
    if req.header('x-amz-server-side-encryption-customer-algorithm'):
        raise errors.NotImplemented(
            'Server-side encryption with customer keys is not implemented')


def put_headers(req: S3Request) -> Dict[str, str]:
    """The Swift headers of an object PUT, from an allow-list."""
    _unsupported_headers(req)
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
    for name, value in swift_headers.items():
        title = name.title()
        if title.startswith(SWIFT_META):
            out[S3_META + title[len(SWIFT_META):].lower()] = \
                _returned_meta_value(value)
        elif title in _PASSED_RESPONSE:
            out[title] = value
        elif title == 'Etag':
            out['ETag'] = value if value.startswith('"') else '"%s"' % value
        elif title == STORAGE_CLASS_SYSMETA.title():
            out['x-amz-storage-class'] = value
        elif title == versioning.SWIFT_VERSION_ID:
            out[versioning.VERSION_ID] = value
        elif title == META_OVERFLOW.title() and value:
            out.update((S3_META + k, _returned_meta_value(v))
                       for k, v in json.loads(value).items())
    if multipart.is_multipart(swift_headers):
        out['ETag'] = '"%s"' % multipart.s3_etag_of(swift_headers)
    return out


# -- GET / HEAD ---------------------------------------------------------------
_CONDITIONALS = ('If-Match', 'If-None-Match', 'If-Modified-Since',
                 'If-Unmodified-Since')


def _get_headers(req: S3Request) -> Dict[str, str]:
    headers = {}
    for name in _CONDITIONALS:
        value = req.header(name)
        if value is not None:
            headers[name] = value
    rng = req.header('range')
    # AWS serves one range; a multi-range request gets the whole object.
    if rng is not None and ',' not in rng:
        headers['Range'] = rng
    return headers


def _get_or_head(req: S3Request, backend: Backend, method: str
                 ) -> S3Response:
    overrides = {h: req.query[q] for q, h in _RESPONSE_OVERRIDES.items()
                 if q in req.query}
    if overrides and backend.signed is None:
        raise errors.InvalidRequest(
            'Request specific response headers cannot be used for anonymous '
            'GET requests.')
    get_headers = _get_headers(req)
    # Conditions compare the S3 ETag of multipart objects.
    get_headers['X-Backend-Etag-Is-At'] = multipart.ETAG_SYSMETA
    part_headers: Dict[str, str] = {}
    if 'partNumber' in req.query:
        part, part_headers = multipart.part_range(req, backend)
        if part:
            get_headers['Range'] = part
    version = versioning.requested_version(req)
    if version is None:
        resp = backend.request(method, req.bucket, req.key,
                               headers=get_headers, ok=(412, 416))
    else:
        resp = versioning.request_version(req, backend, method, req.bucket,
                                          req.key, version,
                                          headers=get_headers,
                                          ok=(412, 416))
    if resp.status_int == 412:
        raise errors.PreconditionFailed(Condition=_failed_condition(req))
    if resp.status_int == 416:
        size = resp.headers.get('Content-Range', '*/').rpartition('/')[2]
        raise errors.InvalidRange(RangeRequested=req.header('range'),
                                  ActualObjectSize=size)
    headers = object_response_headers(resp.headers)
    headers.update(overrides)
    headers.update(part_headers)
    if resp.status_int == 304:
        headers.pop('Content-Length', None)
        headers.pop('Content-Type', None)
        return S3Response(304, headers)
    headers.update(checksums.response_headers(
        req, resp.headers, ranged='Range' in get_headers))
    headers.update(tagging.response_headers(req, backend, resp.headers,
                                            method))
    if method == 'HEAD':
        # Swift ignores Range on HEAD: a part's HEAD is answered here.
        return S3Response(206 if 'Content-Range' in part_headers
                          else resp.status_int, headers)
    return S3Response(resp.status_int, headers, resp.app_iter)


def _failed_condition(req: S3Request) -> str:
    for name in ('If-Match', 'If-Unmodified-Since'):
        if req.header(name) is not None:
            return name
    return 'If-Match'


def get_object(req: S3Request, backend: Backend) -> S3Response:
    return _get_or_head(req, backend, 'GET')


def head_object(req: S3Request, backend: Backend) -> S3Response:
    return _get_or_head(req, backend, 'HEAD')


# -- PUT ------------------------------------------------------------------------
def put_object(req: S3Request, backend: Backend) -> S3Response:
    if req.header('x-amz-copy-source') is not None:
        return copy_object(req, backend)
    headers = put_headers(req)
    headers.update(access.object_create_headers(req, backend))
    md5 = content_md5_hex(req.header('content-md5'))
    if md5:
        headers['ETag'] = md5
    length = req.content_length
    if length is None and req.environ.get('HTTP_TRANSFER_ENCODING', '') \
            .lower() != 'chunked':
        raise errors.MissingContentLength()
    if length is not None and length > 5 * 1024 ** 3:
        raise errors.EntityTooLarge(ProposedSize=length,
                                    MaxSizeAllowed=5 * 1024 ** 3)
    headers.update(multipart.conditional_put_check(req, backend))
    lifecycle_headers, expiration = tagging.new_object_headers(
        req, backend, length, tagging.put_headers(req))
    headers.update(lifecycle_headers)
    body, echoed = checksums.upload_input(req, backend, length)
    resp = backend.request('PUT', req.bucket, req.key, headers=headers,
                           wsgi_input=body, content_length=length)
    out = {'ETag': resp.headers['Etag']
           if resp.headers['Etag'].startswith('"')
           else '"%s"' % resp.headers['Etag'],
           **versioning.response_headers(resp.headers), **expiration}
    if echoed is not None:
        out[echoed.header] = checksums.b64(body.results[echoed.name])
    return S3Response(200, out)


# -- COPY -----------------------------------------------------------------------
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


_COPY_CONDITIONS = {
    'x-amz-copy-source-if-match': 'If-Match',
    'x-amz-copy-source-if-none-match': 'If-None-Match',
    'x-amz-copy-source-if-modified-since': 'If-Modified-Since',
    'x-amz-copy-source-if-unmodified-since': 'If-Unmodified-Since',
}


def copy_source_conditions(req: S3Request) -> Dict[str, str]:
    return {h: req.header(a) for a, h in _COPY_CONDITIONS.items()
            if req.header(a) is not None}


def copy_object(req: S3Request, backend: Backend) -> S3Response:
    src_bucket, src_key, version = parse_copy_source(req)
    if version is not None and not versioning.valid_version_id(version):
        raise versioning.invalid_version(version)
    directive = req.header('x-amz-metadata-directive', 'COPY')
    if directive not in ('COPY', 'REPLACE'):
        raise errors.InvalidArgument('Unknown metadata directive.',
                                     ArgumentName='x-amz-metadata-directive',
                                     ArgumentValue=directive)
    if (src_bucket, src_key) == (req.bucket, req.key) and \
            version is None and directive == 'COPY' and \
            not storage_class(req):
        raise errors.InvalidRequest(
            "This copy request is illegal because it is trying to copy an "
            "object to itself without changing the object's metadata, "
            "storage class, website redirect location or encryption "
            "attributes.")
    # Check the source (existence, read access, x-amz-copy-source-if-*).
    conditions = copy_source_conditions(req)
    src = _copy_source_head(req, backend, src_bucket, src_key, version,
                            conditions)
    if src.status_int in (304, 412):
        raise errors.PreconditionFailed(Condition=next(
            (a for a in _COPY_CONDITIONS if req.header(a) is not None),
            None))
    if src.status_int == 404:
        raise backend.error_for(404, src_bucket, src_key)
    if int(src.headers.get('Content-Length', 0)) > 5 * 1024 ** 3:
        raise errors.InvalidRequest(
            'The specified copy source is larger than the maximum allowable '
            'size for a copy source: 5368709120')
    headers = {'X-Copy-From': quote('/%s/%s' % (src_bucket, src_key))}
    if directive == 'REPLACE':
        # Swift keeps the source's sysmeta even with X-Fresh-Metadata.
        headers[META_OVERFLOW] = ''
        headers.update(put_headers(req))
        headers['X-Fresh-Metadata'] = 'true'
    else:
        _unsupported_headers(req)
        headers.update(storage_class(req))
    headers.update(access.object_create_headers(req, backend))
    headers.update(multipart.copy_headers(src.headers))
    lifecycle_headers, expiration = tagging.new_object_headers(
        req, backend, int(src.headers.get('Content-Length', 0)),
        tagging.copy_headers(req, src.headers))
    headers.update(lifecycle_headers)
    if src_bucket in backend.accounts:
        headers['X-Copy-From-Account'] = backend.accounts[src_bucket]
    resp = backend.request('PUT', req.bucket, req.key, headers=headers,
                           body=b'', query={'version-id': version}
                           if version else None)
    etag = resp.headers['Etag'].strip('"')
    body = xmlutil.document('CopyObjectResult', [
        xmlutil.elem('LastModified',
                     iso8601(resp.headers.get('Last-Modified'))),
        '<ETag>&quot;%s&quot;</ETag>' % etag])
    out = versioning.response_headers(resp.headers)
    out.update(expiration)
    if versioning.SWIFT_VERSION_ID in src.headers:
        out['x-amz-copy-source-version-id'] = \
            src.headers[versioning.SWIFT_VERSION_ID]
    return xml_response(body, headers=out)


def _copy_source_head(req: S3Request, backend: Backend, bucket: str,
                      key: str, version: Optional[str],
                      conditions: Dict[str, str]):
    """HEAD the copy source (or one version of it); 304/412 and 404 are
    left to the caller."""
    if version is None:
        return backend.request('HEAD', bucket, key, headers=conditions,
                               ok=(304, 412, 404))
    try:
        return versioning.request_version(req, backend, 'HEAD', bucket, key,
                                          version, headers=conditions,
                                          ok=(304, 412))
    except errors.MethodNotAllowed:
        raise errors.InvalidRequest(
            'The source of a copy request may not specifically refer to a '
            'delete marker by version id.') from None


# -- DELETE ---------------------------------------------------------------------
def delete_object(req: S3Request, backend: Backend) -> S3Response:
    version = versioning.requested_version(req)
    doomed = multipart.doomed_by_delete(req, backend, version)
    out = versioning.delete_key(backend, req.bucket, req.key, version)
    if doomed is not None:
        multipart.delete_segments(req, backend, doomed)
    return S3Response(204, out)
