"""Helpers for functional tests.

* ``RawS3``: raw signed S3 requests with exact paths, query strings and bodies
  that SDKs will not send (``DELETE /b?lifecycle``, malformed XML, ...),
  signed with botocore's own signers (SigV4 or SigV2), sent with http.client.
* ``landed(level, sub, method)``: whether a routing-table row is a real
  handler yet, so that tests of features other engineers are building flip
  from "clean error, nothing changed" to "works" when the row lands.
"""
from __future__ import annotations

import http.client
from dataclasses import dataclass
from typing import Dict, Optional
from urllib.parse import urlsplit

from botocore.auth import HmacV1Auth, S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from lxml import etree

from swift3compat.api import routes

# Handlers that answer for a feature that is not implemented: the 404 of an
# unset configuration, or a PUT that accepts only the default.
_PLACEHOLDERS = ('unset_', 'only_default_')


def landed(level: str, sub: str, method: str) -> bool:
    """Is the routing-table row (level, sub-resource, method) a real
    handler (not missing, not a placeholder)?"""
    handler = routes.ROUTES.get((level, sub, method))
    return handler is not None and \
        not handler.__name__.startswith(_PLACEHOLDERS)


@dataclass
class RawResponse:
    status: int
    headers: Dict[str, str]
    body: bytes

    @property
    def code(self) -> Optional[str]:
        """The S3 error code of an XML error body, else None."""
        if not self.body.startswith(b'<?xml') and \
                not self.body.startswith(b'<Error'):
            return None
        root = etree.fromstring(self.body)
        node = root.find('Code')
        return node.text if node is not None else None


class RawS3:
    """``RawS3(endpoint, access_key, secret)(method, path_and_query, ...)``."""

    def __init__(self, endpoint: str, access_key: str, secret: str,
                 region: str = 'us-east-1') -> None:
        self.endpoint = endpoint
        self.credentials = Credentials(access_key, secret)
        self.region = region

    def __call__(self, method: str, path: str, *, body: bytes = b'',
                 headers: Optional[Dict[str, str]] = None,
                 signature: str = 'v4', host: Optional[str] = None
                 ) -> RawResponse:
        url = self.endpoint + path
        parts = urlsplit(url)
        all_headers = dict(headers or {})
        if host:
            all_headers['Host'] = host
        request = AWSRequest(method=method, url=url, data=body,
                             headers=all_headers)
        if signature == 'v4':
            request.context['payload_signing_enabled'] = True
            S3SigV4Auth(self.credentials, 's3', self.region).add_auth(request)
        elif signature == 'v2':
            HmacV1Auth(self.credentials).add_auth(request)
        conn = http.client.HTTPConnection(parts.hostname, parts.port,
                                          timeout=60)
        try:
            target = parts.path + ('?' + parts.query if parts.query else '')
            conn.request(method, target, body=body or None,
                         headers=dict(request.headers.items()))
            resp = conn.getresponse()
            return RawResponse(resp.status, dict(resp.getheaders()),
                               resp.read())
        finally:
            conn.close()
