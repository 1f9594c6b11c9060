"""Malformed aws-chunked bodies: a quick 4xx, nothing stored, no spinning worker.

Row: CVE-2026-49017 (a truncated aws-chunked body sent Swift's decoder into
an infinite loop). Each case is a signed streaming PUT whose framing is then
broken: truncated chunk (the client goes away mid-chunk), missing final
chunk, bad hex size, size overflow, chunk larger than the decoded length,
trailer without its CRLF. A new key stays absent and an existing object
keeps its content. A decoder that spins never answers: the client socket
times out (``s3raw.SOCKET_TIMEOUT``) and the test fails.
"""
from __future__ import annotations

import base64
import hashlib
import zlib

import pytest

from tests.security.s3raw import amz_date, aws_chunked, v4_key

SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD'
UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'
DATA = bytes(range(256)) * 64           # 16 KiB: chunks of 8 KiB
CRC = ('x-amz-checksum-crc32', base64.b64encode(zlib.crc32(DATA).to_bytes(4, 'big')).decode())


def _streaming_put(raw, path: str, mode: str = SIGNED):
    """(headers, encoded body) of a valid streaming PUT of DATA."""
    date = amz_date()
    headers = {'x-amz-date': date, 'content-encoding': 'aws-chunked',
               'x-amz-decoded-content-length': str(len(DATA))}
    if mode == UNSIGNED_TRAILER:
        headers['x-amz-trailer'] = CRC[0]
    q, hdrs, sig = raw.sign('PUT', path, headers=headers, payload=mode)
    if mode == SIGNED:
        body = aws_chunked(DATA, [8192, 8192], seed=sig, amz_date=date,
                           key=v4_key(raw.creds.secret, date[:8]))
    else:
        body = aws_chunked(DATA, [8192, 8192], trailers=[CRC])
    return hdrs, body


def test_valid_streaming_put_baseline(raw, bucket):
    for mode in (SIGNED, UNSIGNED_TRAILER):
        hdrs, body = _streaming_put(raw, f'/{bucket}/k', mode)
        resp = raw.request('PUT', f'/{bucket}/k', hdrs, body)
        assert resp.status == 200, resp
        assert hashlib.md5(raw.send('GET', f'/{bucket}/k').body).hexdigest() == \
            hashlib.md5(DATA).hexdigest()


def _truncated_chunk(body: bytes) -> tuple[bytes, dict]:
    return body[:5000], {'content_length': len(body), 'half_close': True}


def _missing_final_chunk(body: bytes) -> tuple[bytes, dict]:
    return body[:body.rindex(b'0;chunk-signature')], {}


def _bad_hex_size(body: bytes) -> tuple[bytes, dict]:
    return b'zzzz' + body[4:], {}


def _size_overflow(body: bytes) -> tuple[bytes, dict]:
    return b'ffffffffffffffffffff' + body[4:], {}


def _chunk_over_decoded_length(body: bytes) -> tuple[bytes, dict]:
    return b'8000' + body[4:], {}          # 32 KiB declared in a 16 KiB object


def _half_close_before_final(body: bytes) -> tuple[bytes, dict]:
    return body[:body.rindex(b'0;chunk-signature')], {'content_length': len(body),
                                                      'half_close': True}


CASES = {'truncated-chunk': _truncated_chunk, 'missing-final-chunk': _missing_final_chunk,
         'bad-hex-size': _bad_hex_size, 'size-overflow': _size_overflow,
         'chunk-over-decoded-length': _chunk_over_decoded_length,
         'disconnect-before-final-chunk': _half_close_before_final}


@pytest.mark.parametrize('existing', [False, True], ids=['new-key', 'overwrite'])
@pytest.mark.parametrize('case', sorted(CASES))
def test_cve_2026_49017_malformed_aws_chunked(raw, bucket, case, existing):
    if existing:
        assert raw.send('PUT', f'/{bucket}/k', body=b'original').status == 200
    hdrs, body = _streaming_put(raw, f'/{bucket}/k')
    wire, options = CASES[case](body)
    resp = raw.request('PUT', f'/{bucket}/k', hdrs, wire, **options)
    assert resp.status == 400 and resp.code == 'IncompleteBody', resp
    got = raw.send('GET', f'/{bucket}/k')
    if existing:
        assert got.body == b'original'
    else:
        assert got.status == 404, got


@pytest.mark.parametrize('existing', [False, True], ids=['new-key', 'overwrite'])
def test_cve_2026_49017_trailer_without_crlf(raw, bucket, existing):
    if existing:
        assert raw.send('PUT', f'/{bucket}/k', body=b'original').status == 200
    hdrs, body = _streaming_put(raw, f'/{bucket}/k', UNSIGNED_TRAILER)
    resp = raw.request('PUT', f'/{bucket}/k', hdrs, body[:-2])
    assert resp.status == 400 and resp.code == 'IncompleteBody', resp
    got = raw.send('GET', f'/{bucket}/k')
    assert got.body == b'original' if existing else got.status == 404, got
