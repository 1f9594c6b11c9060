"""AWS Signature Version 2 (S3 "AWS" auth and query-string auth).

Pure functions.  The canonical resource keeps only the sub-resources that
AWS (and s3cmd's ``sign_request_v2``) include, sorted, with unencoded values.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Iterable, Mapping, Tuple

# Sub-resources and response overrides that are part of the SigV2
# canonical resource (AWS's list; s3cmd signs the same names).
SIGNED_SUBRESOURCES = frozenset([
    'accelerate', 'acl', 'analytics', 'cors', 'delete', 'encryption',
    'intelligent-tiering', 'inventory', 'legal-hold', 'lifecycle',
    'location', 'logging', 'metrics', 'notification', 'object-lock',
    'ownershipControls', 'partNumber', 'policy', 'policyStatus',
    'publicAccessBlock', 'replication', 'requestPayment', 'restore',
    'retention', 'select', 'tagging', 'torrent', 'uploadId', 'uploads',
    'versionId', 'versioning', 'versions', 'website', 'attributes',
    'response-cache-control', 'response-content-disposition',
    'response-content-encoding', 'response-content-language',
    'response-content-type', 'response-expires',
])


def canonical_resource(path: str, params: Iterable[Tuple[str, str]]) -> str:
    """``path`` is the resource as the client wrote it ("/bucket/key")."""
    subs = sorted((k, v) for k, v in params if k in SIGNED_SUBRESOURCES)
    if not subs:
        return path
    return path + '?' + '&'.join(k + ('=' + v if v != '' else '')
                                 for k, v in subs)


def amz_headers(headers: Mapping[str, str]) -> str:
    """``x-amz-*`` headers, lowercased, sorted, one per line."""
    lines = sorted('%s:%s\n' % (k, v.strip()) for k, v in headers.items()
                   if k.startswith('x-amz-'))
    return ''.join(lines)


def string_to_sign(method: str, content_md5: str, content_type: str,
                   date: str, amz: str, resource: str) -> str:
    return '%s\n%s\n%s\n%s\n%s%s' % (method, content_md5, content_type, date,
                                     amz, resource)


def sign(secret: str, to_sign: str) -> str:
    digest = hmac.new(secret.encode('utf-8'), to_sign.encode('utf-8'),
                      hashlib.sha1).digest()
    return base64.b64encode(digest).decode('ascii')
