"""Veeam's Smart Object Storage API (SOSAPI 1.0): two generated objects in
every bucket,

* ``.system-d26a9498-cb7c-4a87-a44a-8ae204f5ba6c/system.xml``: the protocol
  version, the model, the capabilities (``CapacityInfo`` when the account
  has a quota) and recommendations (the DeleteObjects limit);
* ``.system-d26a9498-cb7c-4a87-a44a-8ae204f5ba6c/capacity.xml``: the
  account's quota (``X-Account-Meta-Quota-Bytes``, what Swift's
  ``account_quotas`` enforces), its bytes used and the difference.

They answer GET and HEAD for whoever may list the bucket (the capacity only
for the account's owner, who may read the account), are never stored and
never listed; a stored object of the same name is hidden.  See
doc/object-lock.md ("Backup tools").
"""
from __future__ import annotations

import hashlib
import time
from typing import Optional, Tuple

from swift3compat import __version__, errors
from swift3compat.http import xml
from swift3compat.http.request import S3Request
from swift3compat.http.response import S3Response, http_date
from swift3compat.swift.backend import Backend

PREFIX = '.system-d26a9498-cb7c-4a87-a44a-8ae204f5ba6c/'
SYSTEM = PREFIX + 'system.xml'
CAPACITY = PREFIX + 'capacity.xml'
QUOTA_HEADER = 'X-Account-Meta-Quota-Bytes'


def is_sosapi(key: Optional[str]) -> bool:
    return key in (SYSTEM, CAPACITY)


def _account_capacity(backend: Backend) -> Optional[Tuple[int, int]]:
    """(quota, bytes used) of the bucket owner's account, or None without
    a quota (or when the caller may not read the account)."""
    try:
        resp = backend.request('HEAD')
    except errors.AccessDenied:
        return None
    try:
        quota = int(resp.headers.get(QUOTA_HEADER) or -1)
        used = int(resp.headers.get('X-Account-Bytes-Used') or 0)
    except ValueError:
        return None
    return (quota, used) if quota >= 0 else None


def system_xml(req: S3Request, capacity: bool) -> bytes:
    flag = 'true' if capacity else 'false'
    return xml.document('SystemInfo', [
        # Quoted values, as the SOSAPI document shows them.
        '<ProtocolVersion>"1.0"</ProtocolVersion>',
        '<ModelName>"swift3compat %s"</ModelName>' % xml.escape_text(
            __version__),
        '<ProtocolCapabilities>%s%s%s</ProtocolCapabilities>' % (
            xml.elem('CapacityInfo', flag),
            xml.elem('UploadSessions', 'false'),
            xml.elem('IAMSTS', 'false')),
        '<SystemRecommendations>%s%s</SystemRecommendations>' % (
            xml.elem('S3MultiObjectDeleteLimit',
                     req.conf.max_multi_delete_objects),
            xml.elem('KbBlockSize', 1024)),
    ], ns=False)


def capacity_xml(quota: int, used: int) -> bytes:
    return xml.document('CapacityInfo', [
        xml.elem('Capacity', quota),
        xml.elem('Available', max(0, quota - used)),
        xml.elem('Used', used)], ns=False)


def get_or_head(req: S3Request, backend: Backend) -> S3Response:
    # The bucket must exist and the caller may list it (s3_acl decides on
    # the 404 of this HEAD, as for any absent key).
    backend.request('HEAD', req.bucket, req.key, ok=(404,))
    capacity = _account_capacity(backend)
    if req.key == SYSTEM:
        body = system_xml(req, capacity is not None)
    elif capacity is None:
        raise errors.NoSuchKey(Key=req.key)
    else:
        body = capacity_xml(*capacity)
    headers = {'Content-Type': 'application/xml',
               'Content-Length': str(len(body)),
               'ETag': '"%s"' % hashlib.md5(
                   body, usedforsecurity=False).hexdigest(),
               'Last-Modified': http_date(time.time())}
    return S3Response(200, headers, b'' if req.method == 'HEAD' else body)
