"""The aws-chunked decoder (swift3compat.auth.chunked): AWS's published
vectors, every malformed framing, and the rule that the last byte of a body
is never handed to Swift before everything after it was checked."""
from __future__ import annotations

import hashlib
import hmac
import io
import tracemalloc
from typing import List, Optional, Sequence, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from swift3compat import errors
from swift3compat.auth import chunked, sigv4
from swift3compat.auth.signature import SignedRequest
from swift3compat.http.body import BodyError

SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
SCOPE = ('20130524', 'us-east-1', 's3', 'aws4_request')
AMZ_DATE = '20130524T000000Z'
KEY = sigv4.signing_key(SECRET, *SCOPE[:3])
A1, A2 = b'a' * 65536, b'a' * 1024

# https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
AWS_SEED = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9'
AWS_SIGS = ('ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
            '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
            'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9')
# .../sigv4-streaming-trailers.html
AWS_T_SEED = '106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e'
AWS_T_SIGS = ('b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2',
              '1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7',
              '2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992')
AWS_TRAILER = b'x-amz-checksum-crc32c:sOO8/Q=='
AWS_T_SIG = 'd81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435'


def signed_request(seed: str, key: Optional[bytes] = KEY) -> SignedRequest:
    signed = SignedRequest(4, 'AKIAIOSFODNN7EXAMPLE', seed, [''], scope=SCOPE,
                           amz_date=AMZ_DATE,
                           payload_hash=chunked.SIGNED)
    signed.signing_key = key
    signed.checked = signed.valid = key is not None
    return signed


def aws_body(sigs: Sequence[str] = AWS_SIGS, trailer: bytes = b'') -> bytes:
    return (b'10000;chunk-signature=%s\r\n%s\r\n' % (sigs[0].encode(), A1) +
            b'400;chunk-signature=%s\r\n%s\r\n' % (sigs[1].encode(), A2) +
            b'0;chunk-signature=%s\r\n' % sigs[2].encode() + trailer + b'\r\n')


def decoder(body: bytes, length: int, seed: Optional[str] = AWS_SEED, *,
            trailers: Tuple[str, ...] = (), trailer_ok: bool = False,
            signed_trailer: bool = False, key: Optional[bytes] = KEY
            ) -> chunked.AwsChunkedInput:
    signer = chunked.ChunkSigner(signed_request(seed, key)) if seed else None
    return chunked.AwsChunkedInput(io.BytesIO(body), length, signer=signer,
                                   trailers=trailers, trailer_ok=trailer_ok,
                                   signed_trailer=signed_trailer)


def drain(dec: chunked.AwsChunkedInput, size: int = 65536
          ) -> Tuple[bytes, Optional[errors.S3Error]]:
    """What the decoder handed out, and the S3 error it ended with."""
    out = []
    try:
        while True:
            part = dec.read(size)
            if not part:
                return b''.join(out), None
            out.append(part)
    except BodyError as err:
        return b''.join(out), err.s3_error


# -- a client-side encoder for the cases AWS did not publish --------------------
def sign_chain(seed: str, chunks: List[bytes], trailer: bytes = b''
               ) -> Tuple[List[str], str]:
    prefix = '%s\n%s\n' % (AMZ_DATE, '/'.join(SCOPE))
    previous, sigs = seed, []
    for data in chunks + [b'']:
        previous = sigv4.sign(KEY, 'AWS4-HMAC-SHA256-PAYLOAD\n' + prefix +
                              previous + '\n' + sigv4.EMPTY_SHA256 + '\n' +
                              hashlib.sha256(data).hexdigest())
        sigs.append(previous)
    trailer_sig = sigv4.sign(KEY, 'AWS4-HMAC-SHA256-TRAILER\n' + prefix +
                             previous + '\n' +
                             hashlib.sha256(trailer).hexdigest())
    return sigs, trailer_sig


def encode(chunks: List[bytes], seed: Optional[str] = 'seed' * 16,
           trailer: Optional[bytes] = None) -> bytes:
    """aws-chunked framing; signed when ``seed``; ``trailer`` lines (each
    ending in \\n, as canonicalised) are signed too when ``seed``."""
    canonical = trailer or b''
    sigs, trailer_sig = sign_chain(seed, chunks, canonical) if seed else \
        ([''] * (len(chunks) + 1), '')
    out = []
    for data, sig in zip(chunks + [b''], sigs):
        ext = b';chunk-signature=' + sig.encode() if seed else b''
        out.append(b'%x%s\r\n%s' % (len(data), ext, data))
        if data:
            out.append(b'\r\n')
    if trailer is not None:
        out.append(trailer.replace(b'\n', b'\r\n'))
        if seed:
            out.append(b'x-amz-trailer-signature:%s\r\n' % trailer_sig.encode())
    out.append(b'\r\n')
    return b''.join(out)


# -- AWS's published examples ----------------------------------------------------------
def test_aws_signed_example_decodes():
    data, err = drain(decoder(aws_body(), 66560))
    assert err is None and data == A1 + A2


def test_aws_signed_trailer_example_decodes():
    dec = decoder(aws_body(AWS_T_SIGS, AWS_TRAILER + b'\r\n' +
                           b'x-amz-trailer-signature:' + AWS_T_SIG.encode() +
                           b'\r\n'), 66560, AWS_T_SEED,
                  trailers=('x-amz-checksum-crc32c',), trailer_ok=True,
                  signed_trailer=True)
    data, err = drain(dec)
    assert err is None and data == A1 + A2
    assert dec.trailers_received == {'x-amz-checksum-crc32c': 'sOO8/Q=='}


def test_encoder_reproduces_aws_signatures():
    sigs, trailer_sig = sign_chain(AWS_T_SEED, [A1, A2], AWS_TRAILER + b'\n')
    assert tuple(sigs) == AWS_T_SIGS and trailer_sig == AWS_T_SIG
    assert tuple(sign_chain(AWS_SEED, [A1, A2])[0]) == AWS_SIGS


@pytest.mark.parametrize('size', [1, 7, 100, 65535, 65537, 200000])
def test_any_read_size_decodes_the_same(size):
    data, err = drain(decoder(aws_body(), 66560), size)
    assert err is None and data == A1 + A2


def test_read_all_and_zero():
    dec = decoder(aws_body(), 66560)
    assert dec.read(0) == b''
    assert dec.read() == A1 + A2
    assert dec.read(10) == b''


# -- tampering: signatures -------------------------------------------------------------
def chunk(data: bytes, sig: str) -> bytes:
    return b'%x;chunk-signature=%s\r\n%s\r\n' % (len(data), sig.encode(), data)


FINAL = b'0;chunk-signature=%s\r\n\r\n' % AWS_SIGS[2].encode()
TAMPERED = {
    'data byte changed': aws_body().replace(b'a\r\n400;', b'b\r\n400;'),
    'chunk signature changed': aws_body().replace(AWS_SIGS[1].encode(),
                                                  b'0' * 64),
    'chunk signature missing': aws_body().replace(
        b'400;chunk-signature=' + AWS_SIGS[1].encode(), b'400'),
    'final signature changed': aws_body().replace(AWS_SIGS[2].encode(),
                                                  AWS_SIGS[1].encode()),
    'final signature missing': aws_body().replace(
        b'0;chunk-signature=' + AWS_SIGS[2].encode(), b'0'),
    'chunks reordered': chunk(A2, AWS_SIGS[1]) + chunk(A1, AWS_SIGS[0]) + FINAL,
    'chunk dropped': chunk(A1, AWS_SIGS[0]) + FINAL,
    'chunk repeated': chunk(A1, AWS_SIGS[0]) + chunk(A1, AWS_SIGS[0]) + FINAL,
    'cut at a chunk boundary': chunk(A1, AWS_SIGS[0]) +
    b'0;chunk-signature=%s\r\n\r\n' % AWS_SIGS[1].encode(),
    'uppercase signature': aws_body().replace(AWS_SIGS[0].encode(),
                                              AWS_SIGS[0].upper().encode()),
}


@pytest.mark.parametrize('name', sorted(TAMPERED))
def test_tampered_signed_body_is_refused(name):
    length = 65536 if name in ('chunk dropped', 'cut at a chunk boundary') \
        else 66560
    data, err = drain(decoder(TAMPERED[name], length))
    assert err is not None
    assert err.code in ('SignatureDoesNotMatch', 'IncompleteBody')
    assert len(data) < length


def test_signature_errors_are_signature_errors():
    for name in ('data byte changed', 'chunk signature changed',
                 'chunk signature missing', 'final signature changed',
                 'chunks reordered', 'uppercase signature'):
        assert drain(decoder(TAMPERED[name], 66560))[1].code == \
            'SignatureDoesNotMatch', name


def test_error_is_sticky():
    dec = decoder(TAMPERED['data byte changed'], 66560)
    drain(dec)
    with pytest.raises(BodyError):
        dec.read(10)


def test_without_a_signing_key_signed_chunks_are_not_implemented():
    data, err = drain(decoder(aws_body(), 66560, key=None))
    assert err.code == 'NotImplemented' and data == b''


def test_after_a_failed_signature_check_no_key_means_mismatch():
    signed = signed_request(AWS_SEED, None)
    signed.checked = True
    dec = chunked.AwsChunkedInput(io.BytesIO(aws_body()), 66560,
                                  signer=chunked.ChunkSigner(signed))
    assert drain(dec)[1].code == 'SignatureDoesNotMatch'


# -- malformed framing (CVE-2026-49017 class: never loop, never hang) -----------
def unsigned(*parts: bytes) -> bytes:
    return b''.join(parts)


BIG = b'x' * 9000
MALFORMED = {
    # name: (body, decoded length, expected code)
    'truncated mid chunk': (unsigned(b'2328\r\n', BIG[:100]), 9000,
                            'IncompleteBody'),
    'truncated in the size line': (b'232', 9000, 'IncompleteBody'),
    'empty body': (b'', 9000, 'IncompleteBody'),
    'missing final chunk': (unsigned(b'2328\r\n', BIG, b'\r\n'), 9000,
                            'IncompleteBody'),
    'final chunk without CRLF': (unsigned(b'2328\r\n', BIG, b'\r\n0\r\n'),
                                 9000, 'IncompleteBody'),
    'bad hex size': (unsigned(b'zz\r\n', BIG), 9000, 'IncompleteBody'),
    'negative size': (unsigned(b'-1\r\n', BIG), 9000, 'IncompleteBody'),
    'empty size': (unsigned(b'\r\n', BIG), 9000, 'IncompleteBody'),
    'size with spaces': (unsigned(b' 2328\r\n', BIG), 9000, 'IncompleteBody'),
    'size overflow': (unsigned(b'ffffffffffffffff\r\n', BIG), 9000,
                      'IncompleteBody'),
    'size of 17 digits': (unsigned(b'00000000000002328\r\n', BIG), 9000,
                          'IncompleteBody'),
    'chunk larger than decoded length': (
        unsigned(b'2328\r\n', BIG, b'\r\n0\r\n\r\n'), 8999, 'IncompleteBody'),
    'data beyond decoded length': (
        unsigned(b'2328\r\n', BIG, b'\r\n1\r\nx\r\n0\r\n\r\n'), 9000,
        'IncompleteBody'),
    'decoded length larger than data': (
        unsigned(b'2328\r\n', BIG, b'\r\n0\r\n\r\n'), 9001, 'IncompleteBody'),
    'data not followed by CRLF': (
        unsigned(b'2328\r\n', BIG, b'XX0\r\n\r\n'), 9000, 'IncompleteBody'),
    'bare LF': (unsigned(b'2328\n', BIG, b'\n0\n\n'), 9000, 'IncompleteBody'),
    # (the decoder used to spin forever here: found by tests/fuzz)
    'input ending after a bare LF': (b'2328\n', 9000, 'IncompleteBody'),
    'trailers ending after a bare LF': (
        unsigned(b'2328\r\n', BIG, b'\r\n0\r\nx\n'), 9000, 'IncompleteBody'),
    'endless size line': (b'1' * 100000, 9000, 'IncompleteBody'),
    'trailer without CRLF': (unsigned(b'2328\r\n', BIG, b'\r\n0\r\n'
                                      b'x-amz-checksum-crc32:AAAAAA=='),
                             9000, 'IncompleteBody'),
    'trailing garbage': (unsigned(b'2328\r\n', BIG, b'\r\n0\r\n\r\nxyz'),
                         9000, 'IncompleteBody'),
    'small chunk before another': (
        unsigned(b'10\r\n', BIG[:16], b'\r\n2328\r\n', BIG, b'\r\n0\r\n\r\n'),
        9016, 'InvalidChunkSizeError'),
    'trailer when none may come': (
        unsigned(b'2328\r\n', BIG, b'\r\n0\r\nx-amz-checksum-crc32:AAAAAA=='
                 b'\r\n\r\n'), 9000, 'MalformedTrailerError'),
}


@pytest.mark.parametrize('name', sorted(MALFORMED))
def test_malformed_unsigned_body(name):
    body, length, code = MALFORMED[name]
    data, err = drain(decoder(body, length, None))
    assert err is not None and err.code == code, err
    assert len(data) < length


def test_invalid_chunk_size_names_the_chunk():
    body, length, _code = MALFORMED['small chunk before another']
    err = drain(decoder(body, length, None))[1]
    assert err.fields == {'Chunk': 1, 'BadChunkSize': 16}


def test_incomplete_body_says_how_many_bytes():
    body, length, _code = MALFORMED['decoded length larger than data']
    err = drain(decoder(body, length, None))[1]
    assert err.fields == {'NumberBytesExpected': 9001,
                          'NumberBytesProvided': 9000}


def test_small_last_chunk_and_empty_body_are_fine():
    data, err = drain(decoder(encode([BIG, b'tail'], None), 9004, None))
    assert err is None and data == BIG + b'tail'
    data, err = drain(decoder(encode([], None), 0, None))
    assert err is None and data == b''


def test_empty_signed_body_is_checked():
    assert drain(decoder(encode([]), 0, 'seed' * 16)) == (b'', None)
    body = encode([]).replace(b'0;chunk-signature=', b'0;chunk-signature=0')
    assert drain(decoder(body[:-1] + b'', 0, 'seed' * 16))[1] is not None


# -- trailers -------------------------------------------------------------------------------
CRC = b'x-amz-checksum-crc32:NSRBwg==\n'


def trailer_decoder(body: bytes, seed: Optional[str], length: int = 9000,
                    names: Tuple[str, ...] = ('x-amz-checksum-crc32',)):
    return decoder(body, length, seed, trailers=names, trailer_ok=True,
                   signed_trailer=seed is not None)


@pytest.mark.parametrize('seed', [None, 'seed' * 16])
def test_trailer_received(seed):
    dec = trailer_decoder(encode([BIG], seed, CRC), seed)
    assert drain(dec) == (BIG, None)
    assert dec.trailers_received == {'x-amz-checksum-crc32': 'NSRBwg=='}


@pytest.mark.parametrize('seed', [None, 'seed' * 16])
@pytest.mark.parametrize('trailer,code', [
    (b'', 'MalformedTrailerError'),                                  # missing
    (CRC + b'x-amz-meta-x:1\n', 'MalformedTrailerError'),            # extra
    (b'x-amz-checksum-sha1:AAAA\n', 'MalformedTrailerError'),        # other
    (CRC + CRC, 'MalformedTrailerError'),                            # twice
    (b'x-amz-checksum-crc32\n', 'MalformedTrailerError'),            # no colon
])
def test_trailer_must_be_the_declared_one(seed, trailer, code):
    data, err = drain(trailer_decoder(encode([BIG], seed, trailer), seed))
    assert err.code == code and len(data) < 9000


def test_signed_trailer_tampering():
    good = encode([BIG], 'seed' * 16, CRC)
    sig = good.rsplit(b'x-amz-trailer-signature:', 1)[1][:64]
    cases = [good.replace(b'NSRBwg==', b'AAAAAA=='),
             good.replace(sig, b'0' * 64),
             good.replace(b'x-amz-trailer-signature:' + sig + b'\r\n', b'')]
    for body in cases:
        data, err = drain(trailer_decoder(body, 'seed' * 16))
        assert err.code == 'SignatureDoesNotMatch' and len(data) < 9000


def test_unsigned_trailer_value_is_not_signed():
    dec = trailer_decoder(encode([BIG], None, b'x-amz-checksum-crc32:AAAAAA==\n'),
                          None)
    assert drain(dec) == (BIG, None)     # checked by the checksum layer


# -- properties ---------------------------------------------------------------------------
sizes = st.lists(st.integers(8192, 20000), min_size=0, max_size=4)


@settings(max_examples=60, deadline=None)
@given(sizes=sizes, last=st.integers(0, 9000), read=st.integers(1, 70000),
       signed=st.booleans())
def test_roundtrip(sizes, last, read, signed):
    chunks = [bytes([i % 251]) * n for i, n in enumerate(sizes)]
    if last:
        chunks.append(b'z' * last)
    data = b''.join(chunks)
    seed = 'seed' * 16 if signed else None
    got, err = drain(decoder(encode(chunks, seed), len(data), seed), read)
    assert err is None and got == data


@settings(max_examples=150, deadline=None)
@given(position=st.floats(0, 1, exclude_max=True), value=st.integers(0, 255),
       read=st.integers(1, 70000))
def test_a_changed_byte_never_completes_a_different_body(position, value,
                                                         read):
    data = bytes(range(256)) * 40 + b'end'
    body = bytearray(encode([data[:9000], data[9000:]]))
    at = int(position * len(body))
    if body[at] == value:
        return
    body[at] = value
    got, err = drain(decoder(bytes(body), len(data), 'seed' * 16), read)
    if err is None:
        # Only an equivalent framing change can pass (hex digit case).
        assert got == data
    else:
        assert len(got) < len(data)


def test_memory_is_bounded_by_one_read():
    class Source(io.RawIOBase):
        """A 64 MiB aws-chunked body, generated as it is read."""
        def __init__(self):
            self.chunks = 1024
            self.pending = b''

        def read(self, size=-1):
            if not self.pending:
                if self.chunks < 0:
                    return b''
                self.pending = b'10000\r\n' + b'q' * 65536 + b'\r\n' \
                    if self.chunks else b'0\r\n\r\n'
                self.chunks -= 1
            out, self.pending = self.pending[:size], self.pending[size:]
            return out

    dec = chunked.AwsChunkedInput(Source(), 1024 * 65536)
    total = 0
    tracemalloc.start()
    try:
        while True:
            part = dec.read(65536)
            if not part:
                break
            total += len(part)
            assert len(dec._buf) <= chunked.MAX_LINE + chunked.READ_SIZE
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == 1024 * 65536
    # the source's pending chunk, the part returned and one line: no growth
    assert peak < 4 * (chunked.MAX_LINE + chunked.READ_SIZE)


def test_chunk_data_is_not_copied():
    """Aligned chunks: what the decoder returns is the raw input's object."""
    class Source(io.BytesIO):
        def read(self, size=-1):
            data = super().read(size)
            returned.append(data)
            return data

    returned = []
    data = b'd' * 65536
    dec = chunked.AwsChunkedInput(
        Source(b'10000\r\n' + data + b'\r\n0\r\n\r\n'), 65536)
    part = dec.read(65536)
    assert part == data
    assert any(part is r for r in returned)


def test_constant_time_compare_is_used(monkeypatch):
    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(chunked.hmac, 'compare_digest',
                        lambda a, b: calls.append(1) or real(a, b))
    drain(decoder(aws_body(), 66560))
    assert len(calls) == 3
