"""In-process micro benchmarks for instruction counting (``callgrind``).

    valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        python -m tools.bench.micro chunked-signed 8

runs one workload once over ``MIB`` MiB; under callgrind the instruction
count (``Collected``) is repeatable on a loaded machine, unlike CPU time.
Subtract the ``noop`` workload (interpreter start-up and imports) to get
the cost of the workload itself.  Workloads:

* ``chunked-signed``: decode a signed aws-chunked body (64 KiB chunks);
* ``chunked-trailer``: an unsigned one with a CRC32 trailer, through
  ``ChecksummedInput`` as PutObject does;
* ``plain-crc64``: a plain body through ``ChecksummedInput`` (CRC64NVME,
  the default checksum), as Swift's proxy reads it (64 KiB reads);
* ``sha256-floor``: hashlib.sha256 over the same bytes, the floor of a
  signed stream; ``copy-floor``: just the reads.
"""
from __future__ import annotations

import hashlib
import io
import sys
import zlib
import base64

from swift3compat.auth import chunked, sigv4
from swift3compat.auth.signature import SignedRequest  # noqa: F401

MIB = 1024 * 1024
CHUNK = 65536
SEED = 'a' * 64
KEY = b'k' * 32
SCOPE = ('20260101', 'us-east-1', 's3', 'aws4_request')
DATE = '20260101T000000Z'


class _Signed:
    signature = SEED
    amz_date = DATE
    scope = SCOPE
    signing_key = KEY
    checked = True
    valid = True


def _chunk_sig(previous: str, piece: bytes) -> str:
    to_sign = '\n'.join(('AWS4-HMAC-SHA256-PAYLOAD', DATE, '/'.join(SCOPE),
                         previous, sigv4.EMPTY_SHA256,
                         hashlib.sha256(piece).hexdigest()))
    return sigv4.sign(KEY, to_sign)


def body(size: int, signed: bool, trailer: bool) -> bytes:
    data = (b'0123456789abcdef' * (CHUNK // 16))
    out = []
    previous = SEED
    for _ in range(size // CHUNK):
        head = b'%x' % CHUNK
        if signed:
            previous = _chunk_sig(previous, data)
            head += b';chunk-signature=' + previous.encode()
        out.append(head + b'\r\n' + data + b'\r\n')
    head = b'0'
    if signed:
        head += b';chunk-signature=' + _chunk_sig(previous, b'').encode()
    out.append(head + b'\r\n')
    if trailer:
        crc = zlib.crc32(data * 0)
        for _ in range(size // CHUNK):
            crc = zlib.crc32(data, crc)
        value = base64.b64encode(crc.to_bytes(4, 'big')).decode()
        out.append(b'x-amz-checksum-crc32:%s\r\n' % value.encode())
    out.append(b'\r\n')
    return b''.join(out)


def drain(reader) -> int:
    total = 0
    while True:
        part = reader.read(CHUNK)
        if not part:
            return total
        total += len(part)


def main(argv) -> int:
    work = argv[0]
    size = int(argv[1]) * MIB if len(argv) > 1 else 8 * MIB
    if work == 'noop':
        return 0
    if work in ('sha256-floor', 'copy-floor', 'plain-crc64'):
        raw = io.BytesIO(b'x' * size)
        if work == 'sha256-floor':
            h = hashlib.sha256()
            for part in iter(lambda: raw.read(CHUNK), b''):
                h.update(part)
        elif work == 'copy-floor':
            drain(raw)
        else:
            from swift3compat.swift import checksums
            algo = checksums.ALGORITHMS['CRC64NVME']
            inp = checksums.ChecksummedInput(raw, size, [algo], dict,
                                             lambda b: {})
            drain(inp)
        return 0
    signed = work == 'chunked-signed'
    trailer = work == 'chunked-trailer'
    raw = io.BytesIO(body(size, signed, trailer))
    if work.startswith('chunked-'):
        # building the body is not part of the figure when it is subtracted
        # by the matching ``-build`` workload
        pass
    if argv[-1] == 'build':
        return 0
    dec = chunked.AwsChunkedInput(
        raw, size, signer=chunked.ChunkSigner(_Signed()) if signed else None,
        trailers=('x-amz-checksum-crc32',) if trailer else (),
        trailer_ok=not signed)
    reader = dec
    if trailer:
        from swift3compat.swift import checksums
        algo = checksums.ALGORITHMS['CRC32']

        def expected():
            value = dec.trailers_received[algo.header]
            return {algo.name: checksums.decode_value(algo, value)}
        reader = checksums.ChecksummedInput(dec, size, [algo], expected,
                                            lambda b: {})
    assert drain(reader) == size
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
