"""Properties that say what a correct answer is, not only that there was one.

* the aws-chunked decoder returns exactly what was encoded (any chunking,
  signed or not, with trailers), fails on every truncation before handing
  out the last byte, and never returns changed data for a signed body;
* any key and query string signed by an independent SigV2/SigV4 signer (every
  auth form) is accepted, and the object reads back;
* the XML writer escapes any text so that it parses back to itself (no
  injection into listings or error documents), and the XML reader raises
  nothing but S3 errors.
"""
from __future__ import annotations

import re
import string
from urllib.parse import quote

import pytest
from hypothesis import assume, given, strategies as st

from swift3compat import errors
from swift3compat.api import routes
from swift3compat.http import xml
from swift3compat.http.body import BodyError
from tests.fuzz import targets as t

MODES = ['signed', 'unsigned-trailer', 'signed-trailer']
TRAILER = ('x-amz-checksum-crc32', 'AAAAAA==')


@st.composite
def chunked_bodies(draw):
    data = draw(st.binary(max_size=30000))
    size = draw(st.integers(8192, 20000))
    sizes = [len(data[i:i + size]) for i in range(0, len(data), size)]
    mode = draw(st.sampled_from(MODES))
    trailers = [TRAILER] if mode != 'signed' and draw(st.booleans()) else []
    body = t.encode_chunks(data, sizes, mode != 'unsigned-trailer', trailers,
                           sign_trailer=mode == 'signed-trailer')
    return data, mode, tuple(name for name, _ in trailers), body


@given(chunked_bodies())
def test_chunked_round_trip(case):
    data, mode, names, body = case
    decoded, trailers = t.decode(body, len(data), mode, names)
    assert decoded == data
    assert tuple(trailers) == names


@given(chunked_bodies(), st.data())
def test_chunked_truncation_fails_before_the_last_byte(case, draw):
    data, mode, names, body = case
    cut = draw.draw(st.integers(0, len(body) - 1))
    returned: list[bytes] = []
    with pytest.raises(BodyError) as exc:
        t.decode(body[:cut], len(data), mode, names, out=returned)
    assert exc.value.s3_error.status == 400
    if data:
        assert len(b''.join(returned)) < len(data), 'the whole body went out unchecked'


@given(chunked_bodies(), st.data())
def test_signed_chunked_body_never_changes_silently(case, draw):
    data, mode, names, body = case
    assume(mode != 'unsigned-trailer')
    pos = draw.draw(st.integers(0, len(body) - 1))
    flipped = body[:pos] + bytes([body[pos] ^ draw.draw(st.integers(1, 255))]) + \
        body[pos + 1:]
    try:
        decoded, _ = t.decode(flipped, len(data), mode, names)
    except BodyError as err:
        assert 400 <= err.s3_error.status < 500
    else:
        assert decoded == data      # e.g. a hex digit of a size changed case


KEY_CHARS = st.characters(blacklist_categories=('Cs',), blacklist_characters='\x00')
PARAM_NAME = st.text(string.ascii_letters + string.digits + '-_.~', min_size=1, max_size=10)
RESERVED = set(routes.SUBRESOURCES) | {'partNumber', 'versionId', 'x-id'}


@given(key=st.text(KEY_CHARS, min_size=1, max_size=60),
       params=st.lists(st.tuples(PARAM_NAME, st.text(KEY_CHARS, max_size=20)), max_size=3),
       safe=st.sampled_from(['/', '/~', "/~!*'()", '/:@,;=+$']),
       auth=st.sampled_from(['v4', 'v4-query', 'v2', 'v2-query']),
       body=st.binary(max_size=64))
def test_independently_signed_requests_are_accepted(key, params, safe, auth, body):
    params = [('p-' + name, value) for name, value in params if 'p-' + name not in RESERVED]
    assume(len(key.encode()) <= 1024)
    proc = t.app()
    path = '/bucket/' + quote(key, safe=safe)
    put = proc.request('PUT', path, params, body=body, auth=auth)
    assert put.status == 200, (path, params, put)
    got = proc.request('GET', path, params, auth=auth)
    assert got.status == 200 and got.body == body, (path, got)


XML_CHARS = st.characters(blacklist_categories=('Cs',),
                          blacklist_characters=''.join(map(chr, list(range(0, 9)) + [11, 12] +
                                                           list(range(14, 32)) +
                                                           [0xfffe, 0xffff])))


@given(st.text(XML_CHARS, max_size=200))
def test_xml_writer_round_trips_any_text(value):
    doc = xml.document('ListBucketResult', [xml.elem('Key', value)])
    root = xml.parse(doc)
    assert (xml.text(root, 'Key') or '') == value


@given(st.text(max_size=200))
def test_xml_writer_never_emits_markup_from_text(value):
    escaped = xml.escape_text(value)
    assert '<' not in escaped and '>' not in escaped and '"' not in escaped
    assert '&' not in re.sub(r'&(amp|lt|gt|quot|#[0-9]+|#x[0-9a-fA-F]+);', '', escaped)


@given(st.binary(max_size=4096))
def test_xml_reader_raises_only_s3_errors(body):
    try:
        xml.parse(body)
    except errors.S3Error:
        pass
