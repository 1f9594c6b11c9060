"""ListParts and ListMultipartUploads."""
from __future__ import annotations

import json
from typing import Any, Dict, Generator, List, Optional, Tuple

from swift3compat import errors
from swift3compat.http import listing, xml
from swift3compat.http.request import S3Request
from swift3compat.http.response import S3Response, iso8601, xml_response
from swift3compat.swift import checksums, objects, uploads
from swift3compat.swift.backend import Backend


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


def _owner(backend: Backend, content_type: str) -> str:
    """Initiator and Owner of an upload: the account that created it and
    the owner of the object it makes (the bucket owner under Object
    Ownership), as its marker's content type says; the caller for uploads
    from before."""
    initiator, owner = uploads.upload_initiator(content_type)
    caller = backend.caller_id or backend.account
    initiator = initiator or caller
    owner = owner or caller
    return '<Initiator>%s%s</Initiator>%s' % (
        xml.elem('ID', initiator), xml.elem('DisplayName', initiator),
        listing.owner_xml(owner))


def _storage_class(headers) -> str:
    return headers.get(objects.STORAGE_CLASS_SYSMETA) or 'STANDARD'


def _checksum_fields(algorithm: Optional[checksums.Algorithm],
                     kind: Optional[str]) -> str:
    if algorithm is None:
        return ''
    return xml.elem('ChecksumAlgorithm', algorithm.name) + \
        xml.elem('ChecksumType', kind)


def list_parts(req: S3Request, backend: Backend) -> S3Response:
    upload = uploads.find_upload(req, backend)
    max_parts = _int_param(req, 'max-parts', req.conf.max_parts_listing,
                           req.conf.max_parts_listing)
    marker = _int_param(req, 'part-number-marker', 0,
                        req.conf.max_upload_part_num)
    parts = uploads.list_upload_parts(backend, upload.container, upload.upload_id,
                                      marker, max_parts + 1) if max_parts else []
    truncated = len(parts) > max_parts
    parts = parts[:max_parts]
    enc = req.listing_encoder()
    body = [xml.elem('Bucket', req.bucket),
            xml.elem('Key', enc(req.key)),
            xml.elem('UploadId', upload.upload_id),
            _owner(backend, upload.headers.get('Content-Type', '')),
            xml.elem('StorageClass', _storage_class(upload.headers)),
            xml.elem('PartNumberMarker', marker),
            xml.elem('NextPartNumberMarker',
                     parts[-1].number if parts else marker),
            xml.elem('MaxParts', max_parts),
            xml.elem('EncodingType', 'url')
            if 'encoding-type' in req.query else '',
            xml.elem('IsTruncated', 'true' if truncated else 'false')]
    for part in parts:
        body.append(''.join((
            '<Part>', xml.elem('PartNumber', part.number),
            xml.elem('LastModified', iso8601(part.last_modified)),
            '<ETag>&quot;%s&quot;</ETag>' % xml.escape_text(part.etag),
            xml.elem('Size', part.size), part.checksum_xml(), '</Part>')))
    body.append(_checksum_fields(upload.algorithm, upload.kind))
    return xml_response(xml.document('ListPartsResult', body))


def _split_upload(name: str) -> Tuple[str, str]:
    key, _, upload_id = name[len(uploads.UPLOADS):].rpartition(uploads.SEP)
    return key, upload_id


def _after(value: str) -> str:
    """The smallest marker past every name that starts with ``value``."""
    return value[:-1] + chr(ord(value[-1]) + 1)


def _upload_entries(backend: Backend, container: str, prefix: str,
                    marker: str
                    ) -> Generator[Dict[str, Any], Optional[str], None]:
    """Upload markers after ``marker``; ``send(new_marker)`` skips ahead."""
    while True:
        resp = backend.request('GET', container, query={
            'format': 'json', 'prefix': uploads.UPLOADS + prefix, 'marker': marker,
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
        marker = uploads.upload_name(key_marker, id_marker)
    elif key_marker:
        marker = uploads.UPLOADS + key_marker + uploads.SEP + 'g'   # past all its uploads
    else:
        marker = ''
    found: List[str] = []
    prefixes: List[str] = []
    last: Tuple[str, str] = ('', '')
    truncated = False
    entries = _upload_entries(backend, uploads.segments_container(req.bucket),
                              prefix, marker)
    skip = None
    while max_uploads:
        try:
            entry = entries.send(skip) if skip else next(entries)
        except StopIteration:
            break
        skip = None
        key, upload_id = _split_upload(entry['name'])
        if len(found) + len(prefixes) >= max_uploads:
            truncated = True
            break
        rest = key[len(prefix):]
        if delimiter and delimiter in rest:
            common = prefix + rest[:rest.index(delimiter) + len(delimiter)]
            prefixes.append('<CommonPrefixes>%s</CommonPrefixes>'
                            % xml.elem('Prefix', enc(common)))
            last = (common, '')
            skip = _after(uploads.UPLOADS + common)
            continue
        content_type = entry.get('content_type', '')
        algorithm, kind = uploads.upload_checksum(content_type)
        found.append(''.join((
            '<Upload>', xml.elem('Key', enc(key)),
            xml.elem('UploadId', upload_id), _owner(backend, content_type),
            '<StorageClass>STANDARD</StorageClass>',
            xml.elem('Initiated', iso8601(entry['last_modified'])),
            _checksum_fields(algorithm, kind), '</Upload>')))
        last = (key, upload_id)
    entries.close()
    body = [xml.elem('Bucket', req.bucket),
            xml.elem('KeyMarker', enc(key_marker)),
            xml.elem('UploadIdMarker', id_marker)]
    if truncated:
        body += [xml.elem('NextKeyMarker', enc(last[0])),
                 xml.elem('NextUploadIdMarker', last[1])]
    body += [xml.elem('Delimiter', enc(delimiter)) if delimiter else '',
             xml.elem('Prefix', enc(prefix)),
             xml.elem('MaxUploads', max_uploads),
             xml.elem('EncodingType', 'url') if 'encoding-type' in q
             else '',
             xml.elem('IsTruncated', 'true' if truncated else 'false')]
    body += found + prefixes
    return xml_response(xml.document('ListMultipartUploadsResult', body))
