"""Flexible checksums (swift3compat.swift.checksums): algorithms against their
check values, request parsing, verification while streaming, multipart
combination."""
from __future__ import annotations

import base64
import hashlib
import io
import os
import zlib
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from swift3compat import config
from swift3compat.swift import checksums
from swift3compat.auth import chunked
from swift3compat.http.body import BodyError
from swift3compat.http.request import S3Request

CHECK = b'123456789'     # the CRC catalogue's check input


@pytest.mark.parametrize('name,value', [
    ('CRC32', 0xCBF43926), ('CRC32C', 0xE3069283),
    ('CRC64NVME', 0xAE8B14860A799888)])
def test_crc_check_values(name, value):
    algorithm = checksums.ALGORITHMS[name]
    assert algorithm.digest(CHECK) == value.to_bytes(algorithm.size, 'big')


def test_hashes_and_streaming_equal_one_shot():
    data = os.urandom(100000)
    assert checksums.ALGORITHMS['SHA256'].digest(data) == \
        hashlib.sha256(data).digest()
    for algorithm in checksums.ALGORITHMS.values():
        hasher = algorithm.new()
        for i in range(0, len(data), 777):
            hasher.update(data[i:i + 777])
        assert hasher.digest() == algorithm.digest(data), algorithm.name


def test_crc32_uses_isal_when_installed():
    # isal is in test-requirements: the fast CRC32 must be the one used,
    # not silently the zlib fallback.
    pytest.importorskip('isal')
    assert checksums.CRC32_IMPLEMENTATION == 'isal'


@given(st.binary(max_size=3000), st.integers(0, 2 ** 32 - 1))
def test_crc32_equals_zlib(data, start):
    """Whichever CRC32 is installed, it continues a running value exactly
    as zlib does (the trailer is computed over many reads)."""
    assert checksums._crc32(data, start) == zlib.crc32(data, start)
    assert checksums._crc32(memoryview(data)) == zlib.crc32(data)


def request(headers):
    env = {'REQUEST_METHOD': 'PUT', 'PATH_INFO': '/bucket/k'}
    env.update(('HTTP_' + k.upper().replace('-', '_'), v)
               for k, v in headers.items())
    return S3Request(env, config.defaults())


def b64crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, 'big')).decode()


def test_declared_header():
    decl = checksums.declared(request({'x-amz-checksum-crc32': b64crc32(b'x'),
                                       'x-amz-sdk-checksum-algorithm': 'crc32'}))
    assert decl.algorithm.name == 'CRC32'
    assert decl.value == zlib.crc32(b'x').to_bytes(4, 'big')
    assert checksums.declared(request({})) is None


def test_declared_trailer():
    decl = checksums.declared(request({}), 'x-amz-checksum-crc64nvme')
    assert decl.algorithm.name == 'CRC64NVME' and decl.value is None


@pytest.mark.parametrize('headers,trailer,message', [
    ({'x-amz-checksum-crc32': 'AAAA'}, None, 'x-amz-checksum-crc32 header'),
    ({'x-amz-checksum-crc32': '!!!!!!=='}, None, 'header is invalid'),
    ({'x-amz-checksum-crc32': 'AAAAAA==', 'x-amz-checksum-sha1': 'x'}, None,
     'Multiple checksum'),
    ({'x-amz-checksum-crc32': 'AAAAAA=='}, 'x-amz-checksum-crc32c',
     'Multiple checksum'),
    ({}, 'x-amz-checksum-md5', 'x-amz-trailer'),
    ({'x-amz-checksum-crc32': 'AAAAAA==',
      'x-amz-sdk-checksum-algorithm': 'SHA256'}, None,
     'x-amz-sdk-checksum-algorithm'),
    ({'x-amz-sdk-checksum-algorithm': 'CRC32'}, None, 'no corresponding'),
    ({'x-amz-sdk-checksum-algorithm': 'MD5'}, None,
     'x-amz-sdk-checksum-algorithm'),
])
def test_declared_errors(headers, trailer, message):
    with pytest.raises(Exception) as info:
        checksums.declared(request(headers), trailer)
    assert info.value.code == 'InvalidRequest'
    assert message in info.value.message


class Decoder:
    """What the aws-chunked decoder leaves for the checksum layer."""
    def __init__(self, trailers):
        self.trailers_received = trailers


def put(req, data: bytes, length, trailers=None):
    req.environ['wsgi.input'] = io.BytesIO(data)
    if trailers is not None:
        req.environ[chunked.ENV_KEY] = Decoder(trailers)
    body, algorithm = checksums.upload_input(req, length)
    return body, algorithm


def upload(data: bytes, headers=None, trailers=None, length='auto',
           read=1000):
    req = request(headers or {})
    size = len(data) if length == 'auto' else length
    body, algorithm = put(req, data, size, trailers)
    out = []
    while True:
        part = body.read(read)
        if not part:
            break
        out.append(part)
    return body, algorithm, b''.join(out)


def test_upload_verifies_and_stores_header_checksum():
    body, algorithm, out = upload(b'hello', {'x-amz-checksum-crc32':
                                             b64crc32(b'hello')})
    assert out == b'hello' and algorithm.name == 'CRC32'
    footers = {}
    body.update_footers(footers)
    assert footers == {checksums.SYSMETA:
                       'CRC32 FULL_OBJECT ' + b64crc32(b'hello')}


@pytest.mark.parametrize('length', ['auto', None])
def test_wrong_checksum_withholds_the_last_bytes(length):
    data = b'x' * 5000
    req = request({'x-amz-checksum-crc32': b64crc32(b'other')})
    body, _ = put(req, data, len(data) if length else None)
    got = b''
    with pytest.raises(BodyError) as info:
        while True:
            part = body.read(1000)
            if not part:
                break
            got += part
    assert info.value.s3_error.code == 'BadDigest'
    assert 'CRC32 you specified' in info.value.s3_error.message
    assert len(got) < len(data) or length is None
    assert body.error is info.value
    footers = {}
    body.update_footers(footers)
    assert footers == {}


def test_empty_body_is_checked_before_the_put():
    with pytest.raises(BodyError):
        put(request({'x-amz-checksum-crc32': b64crc32(b'x')}), b'', 0)


def test_default_is_crc64nvme():
    body, algorithm, _out = upload(CHECK)
    footers = {}
    body.update_footers(footers)
    assert algorithm is None
    found = checksums.stored(footers)
    assert found.algorithm.name == 'CRC64NVME' and found.kind == 'FULL_OBJECT'
    assert base64.b64decode(found.value) == \
        (0xAE8B14860A799888).to_bytes(8, 'big')


def test_trailer_value_verified():
    good = {'x-amz-checksum-crc32': b64crc32(b'data')}
    body, _, out = upload(b'data', {'x-amz-trailer': 'x-amz-checksum-crc32'},
                          trailers=good)
    assert out == b'data' and body.results
    with pytest.raises(BodyError) as info:
        upload(b'data', {'x-amz-trailer': 'x-amz-checksum-crc32'},
               trailers={'x-amz-checksum-crc32': b64crc32(b'other')})
    assert info.value.s3_error.code == 'BadDigest'
    with pytest.raises(BodyError) as info:
        upload(b'data', {'x-amz-trailer': 'x-amz-checksum-crc32'},
               trailers={'x-amz-checksum-crc32': 'garbage'})
    assert info.value.s3_error.code == 'InvalidRequest'


def test_response_headers_only_when_asked_and_not_for_parts_of_objects():
    stored = checksums.object_sysmeta(checksums.ALGORITHMS['CRC32'],
                                      'AAAAAA==')
    enabled = request({'x-amz-checksum-mode': 'ENABLED'})
    assert checksums.response_headers(enabled, stored, False) == {
        'x-amz-checksum-crc32': 'AAAAAA==', 'x-amz-checksum-type': 'FULL_OBJECT'}
    assert checksums.response_headers(request({}), stored, False) == {}
    assert checksums.response_headers(enabled, stored, True) == {}
    assert checksums.response_headers(enabled, {}, False) == {}


def test_stored_reads_both_formats_and_nothing_unreadable():
    crc32 = checksums.ALGORITHMS['CRC32']
    one = checksums.object_sysmeta(crc32, 'AAAAAA==-3', checksums.COMPOSITE)
    assert list(one) == [checksums.SYSMETA]
    assert checksums.stored(one) == checksums.Stored(crc32, 'AAAAAA==-3',
                                                     'COMPOSITE')
    # objects written before the one-header format
    assert checksums.stored({checksums.ALGORITHM_SYSMETA: 'CRC32',
                             checksums.VALUE_SYSMETA: 'AAAAAA==',
                             checksums.TYPE_SYSMETA: 'COMPOSITE'}) == \
        checksums.Stored(crc32, 'AAAAAA==', 'COMPOSITE')
    assert checksums.stored({checksums.ALGORITHM_SYSMETA: 'CRC32',
                             checksums.VALUE_SYSMETA: 'AAAAAA=='}) == \
        checksums.Stored(crc32, 'AAAAAA==', 'FULL_OBJECT')
    for text in ('CRC32', 'CRC32 FULL_OBJECT', 'MD5 FULL_OBJECT AAAA',
                 'CRC32 PARTIAL AAAAAA==', ''):
        assert checksums.stored({checksums.SYSMETA: text}) is None


def test_owner_acl_mark_is_read_past_and_told():
    """A checksum marked as kept with the bucket owner's private ACL
    (checksums.mark_owner_acl) reads as the same checksum; the mark says
    so; headers without a checksum are not marked (the ACL stays)."""
    crc64 = checksums.ALGORITHMS['CRC64NVME']
    headers = dict(checksums.object_sysmeta(crc64, 'PTtSmg8Z558='),
                   Other='x')
    assert not checksums.owner_acl_marked(headers)
    assert checksums.mark_owner_acl(headers)
    assert checksums.mark_owner_acl(headers)        # once only
    assert headers[checksums.SYSMETA] == \
        'acl=owner CRC64NVME FULL_OBJECT PTtSmg8Z558='
    assert checksums.owner_acl_marked(headers)
    assert checksums.stored(headers) == checksums.Stored(
        crc64, 'PTtSmg8Z558=', 'FULL_OBJECT')
    empty: dict = {'Other': 'x'}
    assert not checksums.mark_owner_acl(empty)
    assert empty == {'Other': 'x'}
    assert not checksums.owner_acl_marked(empty)
    assert not checksums.owner_acl_marked(
        {checksums.ALGORITHM_SYSMETA: 'CRC32',
         checksums.VALUE_SYSMETA: 'AAAAAA=='})


@settings(max_examples=40, deadline=None)
@given(parts=st.lists(st.binary(max_size=3000), min_size=1, max_size=6),
       name=st.sampled_from(['CRC32', 'CRC32C', 'CRC64NVME']))
def test_full_object_combination_equals_whole(parts, name):
    algorithm = checksums.ALGORITHMS[name]
    combined = checksums.combine_parts(
        algorithm, checksums.FULL_OBJECT,
        [(algorithm.digest(p), len(p)) for p in parts])
    assert combined == checksums.b64(algorithm.digest(b''.join(parts)))


def test_composite_is_checksum_of_checksums():
    algorithm = checksums.ALGORITHMS['SHA256']
    digests = [hashlib.sha256(p).digest() for p in (b'a', b'b', b'c')]
    assert checksums.combine_parts(
        algorithm, checksums.COMPOSITE, [(d, 1) for d in digests]) == \
        checksums.b64(hashlib.sha256(b''.join(digests)).digest()) + '-3'


@pytest.mark.parametrize('algorithm,requested,expected', [
    (None, None, None), ('CRC32', None, 'COMPOSITE'),
    ('CRC64NVME', None, 'FULL_OBJECT'), ('CRC32C', 'full_object', 'FULL_OBJECT'),
    ('SHA1', 'COMPOSITE', 'COMPOSITE')])
def test_upload_type(algorithm, requested, expected):
    alg = checksums.ALGORITHMS[algorithm] if algorithm else None
    assert checksums.upload_type(alg, requested) == expected


@pytest.mark.parametrize('algorithm,requested', [
    ('SHA256', 'FULL_OBJECT'), ('CRC64NVME', 'COMPOSITE'), (None, 'COMPOSITE'),
    ('CRC32', 'OTHER')])
def test_upload_type_refused(algorithm, requested):
    alg = checksums.ALGORITHMS[algorithm] if algorithm else None
    with pytest.raises(Exception) as info:
        checksums.upload_type(alg, requested)
    assert info.value.code == 'InvalidRequest'


def test_part_param_roundtrip():
    algorithm = checksums.ALGORITHMS['CRC32C']
    raw = algorithm.digest(b'part')
    assert checksums.parse_part_param(checksums.part_param(algorithm, raw)) == \
        (algorithm, raw)
    for bad in (None, '', 'CRC32-zz', 'MD5-00', 'CRC32-00'):
        assert checksums.parse_part_param(bad) is None


# -- small bodies: read before the PUT, sysmeta as headers ------------------------
SIGNED = SimpleNamespace(checked=True, valid=True)


@pytest.mark.parametrize('headers', [
    {}, {'x-amz-checksum-crc32': b64crc32(b'x' * 1000)}])
def test_small_body_stores_what_the_footer_would(headers):
    data = b'x' * 1000
    streamed, _ = put(request(headers), data, len(data))
    assert streamed.read(65536) == data
    footers = {}
    streamed.update_footers(footers)

    req = request(headers)
    body, _ = put(req, data, len(data))
    small = checksums.read_small(req, body, len(data), SIGNED)
    assert small is not None
    wsgi_input, stored = small
    assert wsgi_input.read() == data
    assert stored == footers and checksums.stored(stored).value


def test_small_empty_body_too():
    req = request({})
    body, _ = put(req, b'', 0)
    wsgi_input, stored = checksums.read_small(req, body, 0, SIGNED)
    assert wsgi_input.read() == b''
    assert checksums.stored(stored).algorithm.name == 'CRC64NVME'


def test_small_body_with_a_wrong_checksum_is_refused_before_the_put():
    req = request({'x-amz-checksum-crc32': b64crc32(b'y')})
    body, _ = put(req, b'x' * 1000, 1000)
    with pytest.raises(BodyError) as info:
        checksums.read_small(req, body, 1000, SIGNED)
    assert info.value.s3_error.code == 'BadDigest'


@pytest.mark.parametrize('case', [
    'not authenticated yet', 'bad signature', 'big', 'no length',
    'aws-chunked'])
def test_streamed_not_read_early(case):
    data = b'x' * 1000
    req = request({})
    length = len(data)
    signed = SIGNED
    if case == 'not authenticated yet':
        signed = SimpleNamespace(checked=False, valid=False)
    elif case == 'bad signature':
        signed = SimpleNamespace(checked=True, valid=False)
    if case == 'big':
        data = b'x' * (checksums.SMALL_PUT + 1)
        length = len(data)
    if case == 'no length':
        length = None
    body, _ = put(req, data, length)
    if case == 'aws-chunked':
        req.environ[chunked.ENV_KEY] = object()
    assert checksums.read_small(req, body, length, signed) is None
    assert body.read(len(data)) == data     # nothing was consumed


def test_short_small_body_is_left_to_swift():
    req = request({})
    body, _ = put(req, b'x' * 10, 1000)     # the client sent 10 of 1000
    wsgi_input, stored = checksums.read_small(req, body, 1000, SIGNED)
    assert wsgi_input.read() == b'x' * 10 and stored == {}


class Pieces:
    """An input giving at most ``piece`` bytes per read (as the aws-chunked
    decoder gives one chunk's data), recording what it was asked."""
    def __init__(self, data: bytes, piece: int) -> None:
        self.data = io.BytesIO(data)
        self.piece = piece
        self.asked: list = []

    def read(self, size=-1):
        self.asked.append(size)
        return self.data.read(min(size, self.piece))


@pytest.mark.parametrize('length', ['known', None])
def test_swift_gets_upload_read_size_pieces(length):
    """Swift's proxy asks for 64 KiB; it gets upload_read_size bytes, joined
    from as many reads of a decoder as it takes, and the checksum covers
    them all."""
    data = os.urandom(3 * 262144 + 1000)
    source = Pieces(data, 65536)
    body = checksums.ChecksummedInput(
        source, len(data) if length else None,
        [checksums.ALGORITHMS['CRC32']], dict, lambda b: {}, 262144)
    sizes = []
    while True:
        part = body.read(65536)
        if not part:
            break
        sizes.append(len(part))
    assert sizes == [262144, 262144, 262144, 1000]
    assert body.results == {'CRC32': zlib.crc32(data).to_bytes(4, 'big')}
    if length:
        # never asked for more than the body holds
        assert all(size <= 1000 for size in source.asked[-2:])


def test_bigger_reads_and_no_read_size_pass_through():
    data = b'y' * 300000
    body = checksums.ChecksummedInput(
        Pieces(data, 300000), len(data), [checksums.ALGORITHMS['CRC32']],
        dict, lambda b: {}, 262144)
    assert len(body.read(290000)) == 290000     # asked for more: as asked
    plain = checksums.ChecksummedInput(
        Pieces(data, 300000), len(data), [checksums.ALGORITHMS['CRC32']],
        dict, lambda b: {})
    assert len(plain.read(65536)) == 65536      # no read size: as asked


def test_upload_input_reads_the_configured_size():
    conf = config.defaults()
    assert conf.upload_read_size == 262144
    req = request({})
    body, _ = put(req, b'z' * 600000, 600000)
    assert len(body.read(65536)) == 262144


class Greedy(Pieces):
    """An input that gives more than asked (as ChecksummedInput itself
    does)."""
    def read(self, size=-1):
        self.asked.append(size)
        return self.data.read(self.piece)


def test_gather_never_asks_for_a_negative_size():
    """Past Content-Length (an input gave more than asked), a read asks
    the input for nothing: read(-n) would read everything that follows."""
    source = Greedy(b'a' * 108 + b'FOLLOWING', 108)
    body = checksums.ChecksummedInput(
        source, 100, [checksums.ALGORITHMS['CRC32']], dict, lambda b: {},
        262144)
    assert body.read(65536) == b'a' * 108
    source.piece = 1000
    body.read(65536)
    assert source.asked == [100, 0]
