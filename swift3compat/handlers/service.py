"""ListBuckets (GET Service)."""
from __future__ import annotations

import json

from swift3compat import access, xmlutil
from swift3compat.backend import Backend
from swift3compat.request import S3Request, valid_bucket_name
from swift3compat.response import S3Response, iso8601, xml_response


def owner_xml(owner_id: str, display: str | None = None) -> str:
    return '<Owner>%s%s</Owner>' % (xmlutil.elem('ID', owner_id),
                                    xmlutil.elem('DisplayName',
                                                 display or owner_id))


def list_buckets(req: S3Request, backend: Backend) -> S3Response:
    buckets = []
    marker = ''
    while True:
        resp = backend.request('GET', query={'format': 'json',
                                             'marker': marker})
        page = json.loads(resp.body or b'[]')
        if not page:
            break
        for entry in page:
            name = entry['name']
            # Segment containers ("b+segments") and anything else that is no
            # valid bucket name are Swift-side details: never listed.
            if valid_bucket_name(name, req.conf.dns_compliant_bucket_names) \
                    and access.listed_bucket(req, backend, name):
                buckets.append(
                    '<Bucket>%s%s</Bucket>' % (
                        xmlutil.elem('Name', name),
                        xmlutil.elem('CreationDate',
                                     iso8601(entry.get('last_modified')))))
        marker = page[-1]['name']
        if len(page) < 10000:
            break
    body = xmlutil.document('ListAllMyBucketsResult', [
        owner_xml(req.user_id or backend.account),
        '<Buckets>', ''.join(buckets), '</Buckets>'])
    return xml_response(body)
