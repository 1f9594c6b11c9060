"""Client-side AWS Signature Version 4 for the benchmark client.

Minimal and fast on purpose: the benchmark measures the proxy, so the client
must not spend more than needed per request. ``sign`` returns the headers of a
header-signed request; ``chunked_signed`` and ``chunked_unsigned_trailer``
encode an aws-chunked body lazily (chunk by chunk) for streaming uploads.
Checked against AWS's published examples in tests/tools/test_bench_signer.py.
"""
from __future__ import annotations

import hashlib
import hmac
import time
import zlib
from base64 import b64encode
from functools import lru_cache
from typing import Iterable, Iterator, Mapping, Optional, Sequence
from urllib.parse import quote

ALGORITHM = 'AWS4-HMAC-SHA256'
EMPTY_SHA256 = hashlib.sha256(b'').hexdigest()
UNSIGNED = 'UNSIGNED-PAYLOAD'
STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD'
STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'
REGION = 'us-east-1'


def amz_now(now: Optional[float] = None) -> str:
    return time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(now))


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode('utf-8'), hashlib.sha256).digest()


@lru_cache(maxsize=64)
def signing_key(secret: str, date: str, region: str = REGION,
                service: str = 's3') -> bytes:
    key = _hmac(('AWS4' + secret).encode('utf-8'), date)
    for part in (region, service, 'aws4_request'):
        key = _hmac(key, part)
    return key


def canonical_query(params: Sequence[tuple[str, str]]) -> str:
    pairs = sorted((quote(k, safe='~'), quote(v, safe='~')) for k, v in params)
    return '&'.join(f'{k}={v}' for k, v in pairs)


def sign(method: str, host: str, path: str, params: Sequence[tuple[str, str]],
         headers: Mapping[str, str], payload_hash: str, access_key: str,
         secret: str, amz_date: Optional[str] = None,
         region: str = REGION) -> dict[str, str]:
    """All headers of the signed request: ``headers`` plus host, x-amz-date,
    x-amz-content-sha256 and Authorization. ``path`` is already URI-encoded;
    every ``x-amz-*`` header and ``content-*`` header is signed."""
    amz_date = amz_date or amz_now()
    out = {k.lower(): str(v) for k, v in headers.items()}
    out.update({'host': host, 'x-amz-date': amz_date,
                'x-amz-content-sha256': payload_hash})
    signed = sorted(h for h in out
                    if h == 'host' or h.startswith(('x-amz-', 'content-')))
    canonical = '\n'.join((
        method, path, canonical_query(params),
        ''.join(f'{h}:{" ".join(out[h].split())}\n' for h in signed),
        ';'.join(signed), payload_hash))
    scope = f'{amz_date[:8]}/{region}/s3/aws4_request'
    to_sign = '\n'.join((ALGORITHM, amz_date, scope,
                         hashlib.sha256(canonical.encode('utf-8')).hexdigest()))
    signature = hmac.new(signing_key(secret, amz_date[:8], region),
                         to_sign.encode('utf-8'), hashlib.sha256).hexdigest()
    out['authorization'] = (f'{ALGORITHM} Credential={access_key}/{scope}, '
                            f'SignedHeaders={";".join(signed)}, '
                            f'Signature={signature}')
    return out


def seed_signature(headers: Mapping[str, str]) -> str:
    return headers['authorization'].rpartition('Signature=')[2]


def chunk_signature(key: bytes, amz_date: str, previous: str, chunk_sha256: str,
                    region: str = REGION) -> str:
    to_sign = '\n'.join(('AWS4-HMAC-SHA256-PAYLOAD', amz_date,
                         f'{amz_date[:8]}/{region}/s3/aws4_request', previous,
                         EMPTY_SHA256, chunk_sha256))
    return hmac.new(key, to_sign.encode('ascii'), hashlib.sha256).hexdigest()


def chunked_signed_length(size: int, chunk: int) -> int:
    """Content-Length of a signed aws-chunked body of ``size`` bytes."""
    full, rest = divmod(size, chunk)
    sizes = [chunk] * full + ([rest] if rest else []) + [0]
    return sum(len(f'{n:x}') + 17 + 64 + 2 + n + 2 for n in sizes)


def chunked_signed(chunks: Iterable[bytes], headers: Mapping[str, str],
                   secret: str, region: str = REGION) -> Iterator[bytes]:
    """The signed aws-chunked encoding of ``chunks`` (then the final empty
    chunk), for the request signed into ``headers``."""
    amz_date = headers['x-amz-date']
    key = signing_key(secret, amz_date[:8], region)
    previous = seed_signature(headers)
    digests: dict[int, str] = {}
    for data in list(chunks) + [b'']:
        # the benchmark repeats a few buffers: hash each one once
        digest = digests.get(id(data))
        if digest is None:
            digest = digests[id(data)] = hashlib.sha256(data).hexdigest()
        previous = chunk_signature(key, amz_date, previous, digest, region)
        yield b'%x;chunk-signature=%s\r\n' % (len(data), previous.encode())
        if data:
            yield data
        yield b'\r\n'


def chunked_unsigned_trailer_length(size: int, chunk: int) -> int:
    """Content-Length of ``chunked_unsigned_trailer`` for ``size`` bytes."""
    full, rest = divmod(size, chunk)
    sizes = [chunk] * full + ([rest] if rest else [])
    trailer = len('x-amz-checksum-crc32:') + 8 + 4
    return sum(len(f'{n:x}') + 2 + n + 2 for n in sizes) + 3 + trailer


def chunked_unsigned_trailer(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """aws-chunked without signatures, with an x-amz-checksum-crc32 trailer."""
    crc = 0
    for data in chunks:
        crc = zlib.crc32(data, crc)
        yield b'%x\r\n' % len(data)
        yield data
        yield b'\r\n'
    checksum = b64encode(crc.to_bytes(4, 'big'))
    yield b'0\r\nx-amz-checksum-crc32:' + checksum + b'\r\n\r\n'
