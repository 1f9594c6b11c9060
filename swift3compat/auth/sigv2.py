"""AWS Signature Version 2 (S3 "AWS" auth and query-string auth).

Pure functions.  The canonical resource keeps only the sub-resources that
AWS (and s3cmd's ``sign_request_v2``) include, sorted, with unencoded values.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from typing import FrozenSet, Iterable, Mapping, Tuple

# Sub-resources in the SigV2 canonical resource.  Clients disagree about the
# ones added after SigV2 was frozen: s3cmd signs only COMMON, botocore signs
# EXTENDED; the server tries both forms (when they differ).
_RESPONSE_OVERRIDES = frozenset([
    'response-cache-control', 'response-content-disposition',
    'response-content-encoding', 'response-content-language',
    'response-content-type', 'response-expires'])
COMMON_SUBRESOURCES = frozenset([
    'acl', 'cors', 'delete', 'lifecycle', 'location', 'logging',
    'notification', 'partNumber', 'policy', 'requestPayment', 'restore',
    'tagging', 'torrent', 'uploadId', 'uploads', 'versionId', 'versioning',
    'versions', 'website']) | _RESPONSE_OVERRIDES
EXTENDED_SUBRESOURCES = COMMON_SUBRESOURCES | frozenset([
    'accelerate', 'analytics', 'inventory', 'metrics', 'object-lock',
    'replication', 'select', 'select-type'])


def canonical_resource(path: str, params: Iterable[Tuple[str, str]],
                       signed: FrozenSet[str] = COMMON_SUBRESOURCES) -> str:
    """``path`` is the resource as the client wrote it ("/bucket/key")."""
    subs = sorted((k, v) for k, v in params if k in signed)
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
