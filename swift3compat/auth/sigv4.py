"""AWS Signature Version 4 for S3: canonical request, string to sign, keys.

Pure functions, no WSGI: the request parser (``auth.parse``) feeds them and
the test suite checks them against AWS's published test vectors.  See
https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
"""
from __future__ import annotations

import hashlib
import hmac
import re
from functools import lru_cache
from typing import Iterable, Mapping, Sequence, Tuple
from urllib.parse import quote

ALGORITHM = 'AWS4-HMAC-SHA256'
EMPTY_SHA256 = hashlib.sha256(b'').hexdigest()
UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD'
# A path of unreserved characters and '/' only (non-empty): its own
# canonical URI.
_UNRESERVED_PATH = re.compile(rb'[A-Za-z0-9._~/-]+')


def uri_encode(value: bytes | str, safe: str = '') -> str:
    """Percent-encode everything but ``A-Za-z0-9-._~`` (and ``safe``)."""
    return quote(value, safe=safe + '~')


def canonical_uri(path: bytes) -> str:
    """S3's canonical URI: the decoded path, each byte encoded once."""
    if _UNRESERVED_PATH.fullmatch(path):
        return path.decode('ascii')     # nothing to encode
    return uri_encode(path, safe='/') or '/'


def canonical_query(params: Iterable[Tuple[str, str]]) -> str:
    """Sorted ``name=value`` pairs, both URI-encoded (``X-Amz-Signature``
    already removed by the caller for presigned URLs)."""
    encoded = sorted((uri_encode(k), uri_encode(v)) for k, v in params)
    return '&'.join('%s=%s' % kv for kv in encoded)


def canonical_header_value(value: str) -> str:
    """Leading and trailing whitespace removed, inner runs made one space
    (``\\s`` and ``str.split`` agree on what whitespace is)."""
    return ' '.join(value.split())


def canonical_request(method: str, uri: str, query: str,
                      headers: Mapping[str, str],
                      signed_headers: Sequence[str],
                      payload_hash: str) -> str:
    """The canonical request; ``headers`` are keyed by lowercase name."""
    lines = ''.join('%s:%s\n' % (h, canonical_header_value(headers.get(h, '')))
                    for h in signed_headers)
    return '\n'.join((method, uri, query, lines, ';'.join(signed_headers),
                      payload_hash))


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    return '\n'.join((ALGORITHM, amz_date, scope,
                      hashlib.sha256(canonical.encode('utf-8')).hexdigest()))


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode('utf-8'), hashlib.sha256).digest()


@lru_cache(maxsize=1024)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The derived key; cached because clients reuse one scope all day."""
    key = _hmac(('AWS4' + secret).encode('utf-8'), date)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, 'aws4_request')


@lru_cache(maxsize=1024)
def _keyed(key: bytes) -> 'hmac.HMAC':
    """An HMAC-SHA256 keyed with a signing key, to copy: with OpenSSL 3 a
    copy skips a fifth of what a new HMAC of a string to sign costs (its
    digest lookup and key setup), once per request."""
    return hmac.new(key, digestmod=hashlib.sha256)


def sign(key: bytes, to_sign: str) -> str:
    mac = _keyed(key).copy()
    mac.update(to_sign.encode('utf-8'))
    return mac.hexdigest()
