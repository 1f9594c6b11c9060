"""Write the hand-made seed corpus: ``python -m tests.fuzz.make_corpus``.

Each seed is the byte encoding of a meaningful input for one target (the
inverse of ``targets.Input``): ordinary requests of every auth form, every XML
operation with a valid and a hostile body, and valid, truncated and
malformed aws-chunked bodies. Fuzzers mutate these; inputs a fuzzer found a
problem with are added next to them by hand, named ``crash-<what>``.
"""
from __future__ import annotations

import os
from typing import Sequence

from tests.fuzz import targets as t

CORPUS = os.path.join(os.path.dirname(__file__), 'corpus')


class Encoder:
    """Builds the bytes ``targets.Input`` decodes into the given choices."""

    def __init__(self) -> None:
        self.out = bytearray()

    def int(self, value: int) -> 'Encoder':
        self.out += bytes([value >> 8 & 0xff, value & 0xff])
        return self

    def pick(self, options: Sequence, value) -> 'Encoder':
        return self.int(list(options).index(value))

    def bool(self, value: bool) -> 'Encoder':
        self.out.append(1 if value else 0)
        return self

    def bytes(self, data: bytes) -> 'Encoder':
        self.int(len(data))
        self.out += data
        return self

    def text(self, value: str) -> 'Encoder':
        return self.bytes(value.encode())

    def rest(self, data: bytes) -> bytes:
        return bytes(self.out + data)


def request_seed(method: str, auth: str, path: str, params=(), headers=(),
                 body: bytes = b'') -> bytes:
    e = Encoder().pick(t.METHODS, method).pick(t.AUTHS, auth)
    if path in t.PATHS:
        e.bool(True).pick(t.PATHS, path)
    else:
        e.bool(False).bytes(path.lstrip('/').encode())
    e.int(len(params))
    for name, value in params:
        if name in t.QUERY_NAMES:
            e.bool(True).pick(t.QUERY_NAMES, name)
        else:
            e.bool(False).text(name)
        e.text(value)
    e.int(len(headers))
    for name, value in headers:
        e.pick(t.HEADER_NAMES, name).bytes(value.encode('latin-1'))
    if auth == 'garbage':
        e.bytes(b'AWS4-HMAC-SHA256 Credential=x')
    return e.rest(body)


def chunked_seed(mode: str, trailers: Sequence[str], length: int, body: bytes) -> bytes:
    e = Encoder().pick(['signed', 'unsigned-trailer', 'signed-trailer'], mode)
    e.int(len(trailers))
    for name in trailers:
        e.pick(['x-amz-checksum-crc32', 'x-amz-checksum-sha256'], name)
    return e.int(length).rest(body)


def seeds() -> dict[str, dict[str, bytes]]:
    out: dict[str, dict[str, bytes]] = {name: {} for name in t.TARGETS}
    req = out['request']
    for auth in ('v4', 'v4-query', 'v2', 'v2-query'):
        req[f'put-object-{auth}'] = request_seed('PUT', auth, '/bucket/key', body=b'data')
        req[f'get-object-{auth}'] = request_seed('GET', auth, '/bucket/key')
    req['list-v2'] = request_seed('GET', 'v4', '/bucket', [('list-type', '2'),
                                                           ('prefix', 'k')])
    req['delete-metadata-table'] = request_seed('DELETE', 'v4', '/bucket',
                                                [('metadataTable', '')])
    req['anonymous'] = request_seed('GET', 'none', '/bucket/key')
    req['garbage-auth'] = request_seed('GET', 'garbage', '/bucket')
    req['nul-key'] = request_seed('PUT', 'v4', '/bucket/%00')
    req['copy'] = request_seed('PUT', 'v4', '/bucket/new', headers=[
        ('x-amz-copy-source', '/bucket/key')])
    req['uploads'] = request_seed('POST', 'v4', '/bucket/key', [('uploads', '')])
    req['range'] = request_seed('GET', 'v2', '/bucket/key', headers=[('range', 'bytes=1-3')])
    sig = out['signature']
    sig['v4-date'] = Encoder().int(0).int(0).int(0).int(2).pick(
        ['x-amz-date', 'date', 'x-amz-content-sha256', 'x-amz-security-token'],
        'x-amz-date').bytes(b'99999999T999999Z').rest(b'')
    sig['v4-query-expires'] = Encoder().int(0).int(1).int(0).int(1).int(3).bytes(
        b'604801').rest(b'')
    sig['v2-signature'] = Encoder().int(0).int(2).int(0).int(0).int(20).bytes(b'%%%').int(
        4).rest(b'')
    xml = out['xml']
    xxe = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    for i, (_m, _p, _q, root) in enumerate(t.XML_OPS):
        doc = b'<%s xmlns="http://s3.amazonaws.com/doc/2006-03-01/">%s</%s>' % (
            root.encode(), t.XML_FRAGMENTS[0], root.encode())
        xml[f'{root}-valid'] = Encoder().int(i).bool(False).rest(doc)
        xml[f'{root}-xxe'] = Encoder().int(i).bool(False).rest(xxe + doc.replace(
            b'key', b'&e;'))
    hdr = out['headers']
    hdr['ranges'] = Encoder().int(0).int(1).int(0).bool(False).int(5).int(0).bool(False) \
        .int(3).rest(b'')
    data = bytes(range(256)) * 40                      # 10,240 bytes
    ch = out['chunked']
    signed = t.encode_chunks(data, [8192, 2048], True)
    unsigned = t.encode_chunks(data, [8192, 2048], False, [('x-amz-checksum-crc32', 'AAAAAA==')])
    trailer = t.encode_chunks(data, [8192, 2048], True, [('x-amz-checksum-crc32', 'AAAAAA==')],
                              sign_trailer=True)
    ch['signed'] = chunked_seed('signed', [], len(data), signed)
    ch['unsigned-trailer'] = chunked_seed('unsigned-trailer', ['x-amz-checksum-crc32'],
                                          len(data), unsigned)
    ch['signed-trailer'] = chunked_seed('signed-trailer', ['x-amz-checksum-crc32'],
                                        len(data), trailer)
    ch['truncated-chunk'] = chunked_seed('signed', [], len(data), signed[:5000])
    ch['missing-final-chunk'] = chunked_seed('signed', [], len(data),
                                             signed[:signed.rindex(b'0;chunk-signature')])
    ch['bad-hex-size'] = chunked_seed('signed', [], len(data), b'zz' + signed[4:])
    ch['size-overflow'] = chunked_seed('signed', [], len(data),
                                       b'ffffffffffffffffff' + signed[4:])
    ch['chunk-over-decoded-length'] = chunked_seed('signed', [], 100, signed)
    ch['trailer-without-crlf'] = chunked_seed('unsigned-trailer', ['x-amz-checksum-crc32'],
                                              len(data), unsigned[:-2])
    ch['empty'] = chunked_seed('unsigned-trailer', [], 0, b'0\r\n\r\n')
    return out


def main() -> None:
    for target, files in seeds().items():
        directory = os.path.join(CORPUS, target)
        os.makedirs(directory, exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(directory, 'seed-' + name), 'wb') as f:
                f.write(data)


if __name__ == '__main__':
    main()
