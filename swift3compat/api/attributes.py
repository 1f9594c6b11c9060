"""GetObjectAttributes (GET /bucket/key?attributes).

Answers what ``x-amz-object-attributes`` asks for among ``ETag``,
``Checksum``, ``ObjectParts``, ``StorageClass`` and ``ObjectSize``, from
one HEAD of the object (or of the version ``versionId`` names, answered
with its ``x-amz-version-id``); ``ObjectParts`` of a multipart object also reads
its parts' listing (paged by ``x-amz-max-parts`` and
``x-amz-part-number-marker``).
"""
from __future__ import annotations

from typing import List

from swift.common.header_key_dict import HeaderKeyDict

from swift3compat import errors
from swift3compat.swift import sse as encryption
from swift3compat.http import xml
from swift3compat.http.request import S3Request
from swift3compat.http.response import S3Response, xml_response
from swift3compat.swift import checksums, objects, uploads, versions
from swift3compat.swift.backend import Backend

ATTRIBUTES = ('ETag', 'Checksum', 'ObjectParts', 'StorageClass',
              'ObjectSize')


def _requested(req: S3Request) -> List[str]:
    raw = req.header('x-amz-object-attributes', '')
    names = [n.strip() for n in raw.split(',') if n.strip()]
    if not names:
        raise errors.InvalidArgument(
            'Invalid attribute name specified.',
            ArgumentName='x-amz-object-attributes', ArgumentValue=raw)
    for name in names:
        if name not in ATTRIBUTES:
            raise errors.InvalidArgument(
                'Invalid attribute name specified.',
                ArgumentName='x-amz-object-attributes', ArgumentValue=name)
    return names


def _number(req: S3Request, header: str, default: int) -> int:
    raw = req.header(header)
    if raw is None:
        return default
    if not raw.strip().isdigit():
        raise errors.InvalidArgument('Provided %s not an integer or within '
                                     'integer range' % header,
                                     ArgumentName=header, ArgumentValue=raw)
    return int(raw)


def _checksum(headers) -> str:
    found = checksums.stored(headers)
    if found is None:
        return ''
    return '<Checksum>%s%s</Checksum>' % (
        xml.elem(found.algorithm.xml_name, found.value),
        xml.elem('ChecksumType', found.kind))


def _object_parts(req: S3Request, backend: Backend, headers) -> str:
    if not uploads.is_multipart(headers):
        return ''
    count = uploads.parts_count(headers)
    limit = min(_number(req, 'x-amz-max-parts', 1000),
                req.conf.max_parts_listing)
    marker = _number(req, 'x-amz-part-number-marker', 0)
    parts = uploads.list_upload_parts(
        backend, uploads.segments_container(req.bucket),
        headers[uploads.UPLOAD_ID_SYSMETA], marker, limit + 1) \
        if limit else []
    truncated = len(parts) > limit
    parts = parts[:limit]
    out = [xml.elem('PartsCount', count),
           xml.elem('PartNumberMarker', marker),
           xml.elem('NextPartNumberMarker',
                    parts[-1].number if parts else marker),
           xml.elem('MaxParts', limit),
           xml.elem('IsTruncated', 'true' if truncated else 'false')]
    for part in parts:
        out.append('<Part>%s%s%s</Part>' % (
            xml.elem('PartNumber', part.number),
            xml.elem('Size', part.size), part.checksum_xml()))
    return '<ObjectParts>%s</ObjectParts>' % ''.join(out)


def get_object_attributes(req: S3Request, backend: Backend) -> S3Response:
    names = _requested(req)
    presented = encryption.read_key(req)
    version = versions.requested_version(req)
    if version is None:
        resp = backend.request('HEAD', req.bucket, req.key, ok=(404,))
        if resp.status_int == 404:
            raise versions.missing_current(backend, resp, req.bucket,
                                           req.key)
    else:
        resp = versions.request_version(req, backend, 'HEAD', req.bucket,
                                        req.key, version)
    headers = resp.headers
    if encryption.check_read(headers, presented).encrypted:
        headers = HeaderKeyDict(headers)    # SSE-C/KMS: an opaque ETag
        headers[uploads.ETAG_SYSMETA] = headers.get(
            encryption.SSE_ETAG) or uploads.s3_etag_of(headers)
    parts = {
        'ETag': lambda: xml.elem('ETag', uploads.s3_etag_of(headers)),
        'Checksum': lambda: _checksum(headers),
        'ObjectParts': lambda: _object_parts(req, backend, headers),
        'StorageClass': lambda: xml.elem(
            'StorageClass', headers.get(objects.STORAGE_CLASS_SYSMETA,
                                        'STANDARD')),
        'ObjectSize': lambda: xml.elem(
            'ObjectSize', headers.get('Content-Length', '0')),
    }
    body = [parts[name]() for name in ATTRIBUTES if name in names]
    out = {'Last-Modified': headers.get('Last-Modified', ''),
           **versions.response_headers(headers)}
    if version == 'null' and versions.VERSION_ID in out:
        out[versions.VERSION_ID] = 'null'   # also when Swift archived it
    return xml_response(xml.document('GetObjectAttributesResponse', body),
                        headers=out)
