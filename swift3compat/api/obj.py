"""Object operations: GetObject, HeadObject, PutObject, CopyObject,
DeleteObject."""
from __future__ import annotations

from typing import Any, Dict
from urllib.parse import quote


from swift3compat import errors
from swift3compat.model import conditions
from swift3compat.swift import sse as encryption
from swift3compat.authz import access
from swift3compat.http import xml
from swift3compat.http.body import content_md5_hex
from swift3compat.http.request import S3Request
from swift3compat.http.response import S3Response, iso8601, xml_response
from swift3compat.swift import checksums, locks, tags, uploads, versions
from swift3compat.swift import object_lock
from swift3compat.swift.backend import Backend
from swift3compat.swift.objects import (META_OVERFLOW, check_copy_source,
                                        check_delete_conditions,
                                        copy_source_head,
                                        object_response_headers,
                                        parse_copy_source, put_headers,
                                        storage_class)

_RESPONSE_OVERRIDES = {
    'response-content-type': 'Content-Type',
    'response-content-language': 'Content-Language',
    'response-expires': 'Expires',
    'response-cache-control': 'Cache-Control',
    'response-content-disposition': 'Content-Disposition',
    'response-content-encoding': 'Content-Encoding',
}
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
    presented = encryption.read_key(req)
    if 'If-Match' in get_headers or 'If-None-Match' in get_headers:
        # They compare the S3 ETag of multipart (and SSE-C/KMS) objects.
        get_headers['X-Backend-Etag-Is-At'] = encryption.etag_is_at(
            req, uploads.ETAG_SYSMETA)
    ok = (412, 416) + encryption.read_ok(req)
    part_headers: Dict[str, str] = {}
    if 'partNumber' in req.query:
        part, part_headers = uploads.part_range(req, backend)
        if part:
            get_headers['Range'] = part
    version = versions.requested_version(req)
    if version is None:
        resp = backend.request(method, req.bucket, req.key,
                               headers=get_headers, ok=ok + (404,))
        if resp.status_int == 404:
            raise versions.missing_current(backend, resp, req.bucket,
                                           req.key)
    else:
        resp = versions.request_version(req, backend, method, req.bucket,
                                        req.key, version,
                                        headers=get_headers, ok=ok)
    if resp.status_int == 412:
        raise errors.PreconditionFailed(Condition=_failed_condition(req))
    if resp.status_int == 416:
        size = resp.headers.get('Content-Range', '*/').rpartition('/')[2]
        raise errors.InvalidRange(RangeRequested=req.header('range'),
                                  ActualObjectSize=size)
    stored = None
    if resp.status_int != 304:
        stored = encryption.checked_read(req, resp, presented, backend,
                                         req.bucket, req.key)
    headers = object_response_headers(resp.headers)
    if version == 'null' and versions.VERSION_ID in headers:
        headers[versions.VERSION_ID] = 'null'   # also when Swift archived it
    if stored is not None and stored.encrypted:
        headers.update(encryption.object_headers(stored, presented,
                                                 resp.headers))
    headers.update(overrides)
    headers.update(part_headers)
    if resp.status_int == 304:
        headers.pop('Content-Length', None)
        headers.pop('Content-Type', None)
        return S3Response(304, headers)
    headers.update(checksums.response_headers(
        req, resp.headers, ranged='Range' in get_headers))
    headers.update(tags.response_headers(req, backend, resp.headers,
                                         method))
    headers.update(object_lock.response_headers(req, backend,
                                                resp.headers))
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
    write = encryption.for_write(req, backend, req.bucket)
    headers.update(write.headers)
    headers.update(access.object_create_headers(req, backend))
    headers.update(object_lock.new_version_headers(
        req, backend, put_object=not object_lock.is_form_upload(req)))
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
    headers.update(locks.conditional_put_check(req, backend))
    lifecycle_headers, expiration = tags.new_object_headers(
        req, backend, length, tags.put_headers(req))
    headers.update(lifecycle_headers)
    body, echoed = checksums.upload_input(req, length)
    lease = locks.write_lease(req)
    try:
        wsgi_input: Any = body
        small = checksums.read_small(req, body, length, backend.signed)
        if small is not None:
            wsgi_input, stored = small
            headers.update(stored)
            access.omit_owner_acl(headers, backend)
        resp = backend.request(
            'PUT', req.bucket, req.key, headers=headers,
            wsgi_input=wsgi_input if lease is None
            else locks.LeasedInput(wsgi_input, lease, length),
            content_length=length, ok=write.ok)
    except Exception:
        if lease is not None and lease.lost:
            # the write was aborted before Swift committed it
            raise errors.SlowDown() from None
        raise
    finally:
        if lease is not None:
            lease.release()
    write.check(resp, backend, req.bucket, req.key)
    out = {'ETag': resp.headers['Etag']
           if resp.headers['Etag'].startswith('"')
           else '"%s"' % resp.headers['Etag'],
           **versions.response_headers(resp.headers), **expiration}
    if write.stored.encrypted:
        out.update(write.response_headers(resp.headers))
    if echoed is not None:
        out[echoed.header] = checksums.b64(body.results[echoed.name])
    return S3Response(200, out)


# -- COPY -----------------------------------------------------------------------
def copy_object(req: S3Request, backend: Backend) -> S3Response:
    src_bucket, src_key, version = parse_copy_source(req)
    if version is not None and not versions.valid_version_id(version):
        raise versions.invalid_version(version)
    directive = req.header('x-amz-metadata-directive', 'COPY')
    if directive not in ('COPY', 'REPLACE'):
        raise errors.InvalidArgument('Unknown metadata directive.',
                                     ArgumentName='x-amz-metadata-directive',
                                     ArgumentValue=directive)
    source_key = encryption.copy_source_key(req)
    write = encryption.for_write(req, backend, req.bucket, copy=True)
    if (src_bucket, src_key) == (req.bucket, req.key) and \
            version is None and directive == 'COPY' and \
            not storage_class(req) and not write.asked:
        raise errors.InvalidRequest(
            "This copy request is illegal because it is trying to copy an "
            "object to itself without changing the object's metadata, "
            "storage class, website redirect location or encryption "
            "attributes.")
    # Check the source (existence, read access, x-amz-copy-source-if-*).
    src = copy_source_head(req, backend, src_bucket, src_key, version)
    check_copy_source(req, src.headers)
    if int(src.headers.get('Content-Length', 0)) > 5 * 1024 ** 3:
        raise errors.InvalidRequest(
            'The specified copy source is larger than the maximum allowable '
            'size for a copy source: 5368709120')
    src_stored = encryption.check_read(src.headers, source_key,
                                       copy_source=True)
    headers = {'X-Copy-From': quote('/%s/%s' % (src_bucket, src_key))}
    if directive == 'REPLACE':
        # Swift keeps the source's sysmeta even with X-Fresh-Metadata.
        headers[META_OVERFLOW] = ''
        headers.update(put_headers(req))
        headers['X-Fresh-Metadata'] = 'true'
    else:
        headers.update(storage_class(req))
    headers.update(access.object_create_headers(req, backend))
    headers.update(uploads.copy_headers(src.headers))
    headers.update(object_lock.new_version_headers(req, backend,
                                                   copy=True))
    headers.update(write.headers)
    if write.etag is None and src.headers.get(encryption.SSE_ETAG):
        # the source's listing ETag was its opaque one; not the copy's
        headers[encryption.LISTING_ETAG] = src.headers['Etag'].strip('"')
    lifecycle_headers, expiration = tags.new_object_headers(
        req, backend, int(src.headers.get('Content-Length', 0)),
        tags.copy_headers(req, src.headers))
    headers.update(lifecycle_headers)
    if src_bucket in backend.accounts:
        headers['X-Copy-From-Account'] = backend.accounts[src_bucket]
    # what Swift's copy keeps of the source counts against the budget too
    kept = {k: v for k, v in src.headers.items()
            if directive == 'COPY' or k.lower().startswith('x-object-sysmeta-')}
    resp = backend.request('PUT', req.bucket, req.key, headers=headers,
                           body=b'', query={'version-id': version}
                           if version else None, kept_metadata=kept,
                           ok=write.ok)
    write.check(resp, backend, req.bucket, req.key)
    etag = write.etag or resp.headers['Etag'].strip('"')
    body = xml.document('CopyObjectResult', [
        xml.elem('LastModified',
                 iso8601(resp.headers.get('Last-Modified'))),
        '<ETag>&quot;%s&quot;</ETag>' % etag])
    out = versions.response_headers(resp.headers)
    out.update(expiration)
    if write.stored.encrypted:
        out.update(write.response_headers(resp.headers))
        out.pop('ETag', None)
    if src_stored.customer_mac and source_key is not None:
        out['x-amz-copy-source-server-side-encryption-customer-algorithm'] = \
            'AES256'
    if versions.SWIFT_VERSION_ID in src.headers:
        out['x-amz-copy-source-version-id'] = \
            src.headers[versions.SWIFT_VERSION_ID]
    return xml_response(body, headers=out)


# -- DELETE ---------------------------------------------------------------------
def _delete_conditions(req: S3Request) -> Dict[str, str]:
    """DeleteObject's If-Match, x-amz-if-match-last-modified-time and
    x-amz-if-match-size, keyed as in DeleteObjects (ETag, LastModifiedTime,
    Size)."""
    wanted: Dict[str, str] = {}
    for name, header in (
            ('ETag', conditions.IF_MATCH),
            ('LastModifiedTime', conditions.IF_MATCH_LAST_MODIFIED_TIME),
            ('Size', conditions.IF_MATCH_SIZE)):
        value = req.header(header)
        if value is not None:
            wanted[name] = value
    if not conditions.valid_size(wanted.get('Size')):
        raise errors.InvalidArgument(
            'x-amz-if-match-size must be a non-negative integer',
            ArgumentName=conditions.IF_MATCH_SIZE,
            ArgumentValue=wanted['Size'])
    if not conditions.valid_time(wanted.get('LastModifiedTime')):
        raise errors.InvalidArgument(
            'x-amz-if-match-last-modified-time must be a date',
            ArgumentName=conditions.IF_MATCH_LAST_MODIFIED_TIME,
            ArgumentValue=wanted['LastModifiedTime'])
    return wanted


def delete_object(req: S3Request, backend: Backend) -> S3Response:
    version = versions.requested_version(req)
    wanted = _delete_conditions(req)
    if wanted:
        # Serialised with the key's conditional writes, as AWS does.
        locks.hold_write_lock(req)
    check_delete_conditions(backend, req.bucket, req.key, version, wanted)
    object_lock.check_delete(req, backend, req.key, version)
    doomed = uploads.doomed_by_delete(req, backend, version)
    out = versions.delete_key(backend, req.bucket, req.key, version)
    if doomed is not None:
        uploads.delete_segments(req, backend, doomed)
    return S3Response(204, out)
