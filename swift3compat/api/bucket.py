"""Bucket operations: create, head, delete, location, ListObjects V1/V2."""
from __future__ import annotations

import json
from typing import Dict, List, Optional

from eventlet import GreenPool

from swift3compat import errors
from swift3compat.authz import access
from swift3compat.http import listing, xml
from swift3compat.http.request import S3Request
from swift3compat.http.response import S3Response, xml_response
from swift3compat.swift import bucket_config, object_lock, sysmeta, uploads
from swift3compat.swift.backend import Backend


_EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e'
_DLO_HEAD_CONCURRENCY = 8


def _region(req: S3Request) -> Dict[str, str]:
    return {'x-amz-bucket-region': req.conf.location}


# -- create / head / delete --------------------------------------------------
def _location_constraint(req: S3Request) -> Dict[str, str]:
    """The container PUT headers for the request's LocationConstraint: the
    storage policy ``location_constraints`` maps it to and the value asked
    for; InvalidLocationConstraint for a value this endpoint does not
    serve."""
    body = xml.read_body(req.environ['wsgi.input'], req.content_length,
                         xml.body_limit('CreateBucketConfiguration', req.conf),
                         required=False)
    if not body.strip():
        return {}
    root = xml.parse(body, 'CreateBucketConfiguration')
    location = (xml.text(root, 'LocationConstraint') or '').strip()
    if not location:
        return {}
    lowered = location.lower()
    mapped = {name.lower(): policy
              for name, policy in req.conf.location_constraints}
    if lowered not in mapped and lowered not in {
            req.conf.location.lower()} | {
            a.lower() for a in req.conf.location_aliases}:
        raise errors.InvalidLocationConstraint(
            'The specified location-constraint is not valid',
            LocationConstraint=location)
    headers = {} if location == req.conf.location else \
        {sysmeta.BUCKET_LOCATION: location}
    if mapped.get(lowered):
        headers['X-Storage-Policy'] = mapped[lowered]
    return headers


# canned ACLs that leave a BucketOwnerEnforced bucket's ACL the owner's alone
_OWNER_ONLY_ACLS = ('private', 'bucket-owner-full-control')


def _object_ownership(req: S3Request) -> Dict[str, str]:
    """Sysmeta for CreateBucket's ``x-amz-object-ownership`` (none without it).

    With BucketOwnerEnforced the request may not set an ACL that grants
    anything to anyone but the owner: InvalidBucketAclWithObjectOwnership."""
    value = req.header('x-amz-object-ownership')
    if value is None:
        return {}
    if value not in bucket_config.OWNERSHIP_VALUES:
        raise errors.InvalidArgument(
            'Invalid x-amz-object-ownership header: %s' % value,
            ArgumentName='x-amz-object-ownership', ArgumentValue=value)
    if value == 'BucketOwnerEnforced' and (
            req.header('x-amz-acl', 'private') not in _OWNER_ONLY_ACLS or
            any(name.startswith('x-amz-grant-') for name in req.headers())):
        raise errors.InvalidBucketAclWithObjectOwnership()
    return bucket_config.encode(bucket_config.OWNERSHIP, value, {})


def create_bucket(req: S3Request, backend: Backend) -> S3Response:
    location = _location_constraint(req)
    ownership = _object_ownership(req)
    # A PUT on an existing container moves its put timestamp, which is the
    # bucket's CreationDate in ListBuckets: look first.
    if backend.request('HEAD', req.bucket, ok=(404,)).status_int != 404:
        return _recreate(req, backend)
    headers = access.bucket_create_headers(req, backend)
    headers.update(object_lock.bucket_create_headers(req))
    headers.update(location)
    headers.update(ownership)
    # its Multipart flag is complete from now on (uploads.may_hold_manifests)
    headers[sysmeta.BUCKET_MULTIPART_TRACKED] = '1'
    access.omit_owner_bucket_acl(headers, backend)
    recorded = access.claim_bucket(req, backend)
    try:
        resp = backend.request('PUT', req.bucket, headers=headers,
                               ok=(202,))
    except errors.S3Error:
        if recorded:
            access.release_bucket(req, backend)
        raise
    if resp.status_int == 202:
        raise errors.BucketAlreadyOwnedByYou(BucketName=req.bucket)
    if object_lock.OBJECT_LOCK_HEADER in headers:
        object_lock.mark_account(backend)
    return S3Response(200, {'Location': '/%s' % req.bucket})


def _recreate(req: S3Request, backend: Backend) -> S3Response:
    """The owner creates a bucket it has: AWS answers 200 in us-east-1
    (legacy) and resets the bucket's ACL to what the request asks; every
    other region answers BucketAlreadyOwnedByYou."""
    if req.conf.location != 'us-east-1':
        raise errors.BucketAlreadyOwnedByYou(BucketName=req.bucket)
    acl_headers = access.bucket_create_headers(req, backend)
    if acl_headers:
        backend.request('POST', req.bucket, headers=acl_headers)
    return S3Response(200, {'Location': '/%s' % req.bucket})


def head_bucket(req: S3Request, backend: Backend) -> S3Response:
    backend.request('HEAD', req.bucket)
    return S3Response(200, _region(req))


def delete_bucket(req: S3Request, backend: Backend) -> S3Response:
    head = backend.request('HEAD', req.bucket)
    # Swift's object versioning drops an empty versions container before
    # it finds the bucket itself not empty (null versions): check first.
    if 'X-Versions-Enabled' in head.headers and \
            int(head.headers.get('X-Container-Object-Count', 0)):
        raise errors.BucketNotEmpty(BucketName=req.bucket)
    resp = backend.request('DELETE', req.bucket, ok=(409,))
    if resp.status_int == 409:
        raise errors.BucketNotEmpty(BucketName=req.bucket)
    uploads.delete_segments_container(backend, req.bucket)
    access.release_bucket(req, backend)
    return S3Response(204)


def get_location(req: S3Request, backend: Backend) -> S3Response:
    """The LocationConstraint the bucket was created with, else this
    endpoint's location (nothing for us-east-1, as AWS)."""
    head = backend.request('HEAD', req.bucket)
    location = head.headers.get(sysmeta.BUCKET_LOCATION) or req.conf.location
    value = '' if location == 'us-east-1' else location
    return xml_response(xml.document(
        'LocationConstraint', [xml.escape_text(value)]))


# -- listings -----------------------------------------------------------------
def _fetch(req: S3Request, backend: Backend, prefix: str, delimiter: str,
           marker: str, max_keys: int) -> tuple:
    """Up to ``max_keys`` entries after marker and whether more exist."""
    if max_keys == 0:
        return [], False
    query = {'format': 'json', 'limit': str(max_keys + 1)}
    if prefix:
        query['prefix'] = prefix
    if delimiter:
        query['delimiter'] = delimiter
    if marker:
        # A marker that is a CommonPrefix skips that whole prefix: Swift's
        # delimiter listing does so itself (and still lists "dir0" after
        # "dir/", which bumping the marker's last character would skip).
        query['marker'] = marker
    resp = backend.request('GET', req.bucket, query=query)
    entries = json.loads(resp.body or b'[]')
    truncated = len(entries) > max_keys
    return entries[:max_keys], truncated


def _dlo_sizes(req: S3Request, backend: Backend, entries: List[dict]
               ) -> None:
    """Swift lists a Dynamic Large Object manifest as the empty object it
    is: give it the size and ETag that a HEAD (and GET) report."""
    if not req.conf.listing_dlo_sizes:
        return

    def head(entry: dict) -> None:
        try:
            resp = backend.request('HEAD', req.bucket, entry['name'],
                                   ok=(404,))
        except errors.S3Error:
            return      # e.g. missing segments: list it as Swift does
        if resp.status_int == 200 and 'X-Object-Manifest' in resp.headers:
            entry['bytes'] = int(resp.headers.get('Content-Length') or 0)
            entry['hash'] = resp.headers.get('Etag', '').strip('"')

    empty = [e for e in entries
             if e.get('bytes') == 0 and e.get('hash') == _EMPTY_MD5]
    for _ in GreenPool(_DLO_HEAD_CONCURRENCY).imap(head, empty):
        pass


def _contents(entries: List[dict], enc, owner: Optional[str]) -> tuple:
    """<Contents> and <CommonPrefixes> of a listing's entries.

    This runs once per listed key: the owner (the same for every key) is
    written once, and escaping is skipped for the usual key and ETag that
    need none (one search each)."""
    out: List[str] = []
    prefixes: List[str] = []
    tail = '</Size>%s<StorageClass>STANDARD</StorageClass></Contents>' % (
        listing.owner_xml(owner) if owner else '')
    special, escape = xml.needs_escape, xml.escape_text
    listing_time = listing.listing_time
    for e in entries:
        if 'subdir' in e:
            prefixes.append('<CommonPrefixes>%s</CommonPrefixes>'
                            % xml.elem('Prefix', enc(e['subdir'])))
            continue
        key = enc(e['name'])
        if special(key):
            key = escape(key)
        etag = e['hash']
        if ';' in etag:
            etag = uploads.listing_etag(e)
        if special(etag):
            etag = escape(etag)
        out.append('<Contents><Key>%s</Key><LastModified>%s</LastModified>'
                   '<ETag>&quot;%s&quot;</ETag><Size>%s%s' % (
                       key, listing_time(e['last_modified']), etag,
                       e['bytes'], tail))
    return out, prefixes


def _last_name(entry: dict) -> str:
    return entry.get('subdir') or entry['name']


def list_objects(req: S3Request, backend: Backend) -> S3Response:
    if req.query.get('list-type') == '2':
        return _list_v2(req, backend)
    if 'list-type' in req.query:
        raise errors.InvalidArgument('Invalid List Type specified in Request',
                                     ArgumentName='list-type',
                                     ArgumentValue=req.query['list-type'])
    q = req.query
    prefix, delimiter = q.get('prefix', ''), q.get('delimiter', '')
    marker = q.get('marker', '')
    max_keys = listing.max_keys(req)
    enc = req.listing_encoder()
    entries, truncated = _fetch(req, backend, prefix, delimiter, marker,
                                max_keys)
    _dlo_sizes(req, backend, entries)
    # Objects are listed as the bucket owner's (their own owners are not
    # in Swift's listing).
    contents, prefixes = _contents(entries, enc, backend.account)
    next_marker = ''
    if truncated and delimiter and entries:
        next_marker = xml.elem('NextMarker', enc(_last_name(entries[-1])))
    body = xml.document('ListBucketResult', [
        xml.elem('Name', req.bucket),
        xml.elem('Prefix', enc(prefix)),
        xml.elem('Marker', enc(marker)),
        next_marker,
        xml.elem('MaxKeys', max_keys),
        xml.elem('Delimiter', enc(delimiter)) if delimiter else '',
        xml.elem('EncodingType', 'url') if 'encoding-type' in q else '',
        xml.elem('IsTruncated', 'true' if truncated else 'false'),
        ''.join(contents), ''.join(prefixes)])
    return xml_response(body, headers=_region(req))


def _list_v2(req: S3Request, backend: Backend) -> S3Response:
    q = req.query
    prefix, delimiter = q.get('prefix', ''), q.get('delimiter', '')
    token = q.get('continuation-token')
    start_after = q.get('start-after', '')
    if token is not None:
        marker = listing.decode_token(token)
    else:
        marker = start_after
    max_keys = listing.max_keys(req)
    enc = req.listing_encoder()
    fetch_owner = q.get('fetch-owner', 'false').lower() == 'true'
    entries, truncated = _fetch(req, backend, prefix, delimiter, marker,
                                max_keys)
    _dlo_sizes(req, backend, entries)
    contents, prefixes = _contents(
        entries, enc, backend.account if fetch_owner else None)
    parts = [xml.elem('Name', req.bucket),
             xml.elem('Prefix', enc(prefix)),
             xml.elem('MaxKeys', max_keys),
             xml.elem('Delimiter', enc(delimiter)) if delimiter else '',
             xml.elem('EncodingType', 'url') if 'encoding-type' in q
             else '',
             xml.elem('IsTruncated', 'true' if truncated else 'false'),
             xml.elem('KeyCount', len(entries)),
             xml.elem('ContinuationToken', token),
             xml.elem('StartAfter', enc(start_after))
             if 'start-after' in q else '']
    if truncated and entries:
        parts.append(xml.elem('NextContinuationToken',
                              listing.encode_token(_last_name(entries[-1]))))
    parts += contents + prefixes
    return xml_response(xml.document('ListBucketResult', parts),
                        headers=_region(req))
