"""ListBuckets (GET Service), with AWS's optional paging: ``max-buckets``,
``continuation-token``, ``prefix`` and ``bucket-region``."""
from __future__ import annotations

import json
from typing import Iterator, List, Optional

from swift3compat import errors
from swift3compat.authz import access
from swift3compat.http import listing, xml
from swift3compat.http.request import S3Request, valid_bucket_name
from swift3compat.http.response import S3Response, iso8601, xml_response
from swift3compat.swift.backend import Backend

MAX_BUCKETS = 10000
_SWIFT_PAGE = 10000
_PAGING_PARAMS = ('max-buckets', 'continuation-token', 'prefix',
                  'bucket-region')


def _max_buckets(req: S3Request) -> Optional[int]:
    raw = req.query.get('max-buckets')
    if raw is None:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_BUCKETS:
        raise errors.InvalidArgument(
            'Argument max-buckets must be an integer between 1 and %d'
            % MAX_BUCKETS, ArgumentName='max-buckets', ArgumentValue=raw)
    return int(raw)


def _containers(backend: Backend, prefix: str, marker: str
                ) -> Iterator[dict]:
    """The account's containers after ``marker``, page by page."""
    while True:
        query = {'format': 'json', 'marker': marker}
        if prefix:
            query['prefix'] = prefix
        page = json.loads(backend.request('GET', query=query).body or b'[]')
        yield from page
        if len(page) < _SWIFT_PAGE:
            return
        marker = page[-1]['name']


def list_buckets(req: S3Request, backend: Backend) -> S3Response:
    limit = _max_buckets(req)
    prefix = req.query.get('prefix', '')
    token = req.query.get('continuation-token')
    marker = listing.decode_token(token) if token else ''
    paged = any(p in req.query for p in _PAGING_PARAMS)
    region = req.query.get('bucket-region')
    buckets: List[str] = []
    last = ''
    next_token = None
    if region is None or region == req.conf.location:
        for entry in _containers(backend, prefix, marker):
            name = entry['name']
            # Segment containers ("b+segments") and anything else that is
            # no valid bucket name are Swift-side details: never listed.
            if not valid_bucket_name(name,
                                     req.conf.dns_compliant_bucket_names) \
                    or not access.listed_bucket(req, backend, name):
                continue
            if limit is not None and len(buckets) == limit:
                next_token = listing.encode_token(last)
                break
            last = name
            buckets.append('<Bucket>%s%s%s</Bucket>' % (
                xml.elem('Name', name),
                xml.elem('CreationDate',
                         iso8601(entry.get('last_modified'))),
                xml.elem('BucketRegion', req.conf.location)
                if paged else ''))
    body = xml.document('ListAllMyBucketsResult', [
        listing.owner_xml(backend.caller_id or backend.account),
        '<Buckets>', ''.join(buckets), '</Buckets>',
        xml.elem('ContinuationToken', next_token),
        xml.elem('Prefix', prefix) if 'prefix' in req.query else ''])
    return xml_response(body)
