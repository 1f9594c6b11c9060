"""Tag validation, the x-amz-tagging header, tag storage in Swift headers,
and the object POST that keeps everything but what it changes."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st
from swift.common.swob import HeaderKeyDict

from swift3compat import errors
from swift3compat.model import tags as tag_model
from swift3compat.swift import tags as tag_storage

LETTERS = st.characters(categories=('L', 'N', 'Zs')) | st.sampled_from(
    list('+-=._:/@'))


@pytest.mark.parametrize('tags', [
    [],
    [('k', '')],
    [('a' * 128, 'b' * 256)],
    [('k%d' % i, 'v') for i in range(10)],
    [('ключ', 'värde'), ('日本語', '値'), ('a b+c-d=e.f_g:h/i@j', '')],
])
def test_valid_tags(tags):
    assert tag_model.validate(tags, tag_model.MAX_OBJECT_TAGS) == tags


@pytest.mark.parametrize('tags,message', [
    ([('k%d' % i, 'v') for i in range(11)], 'cannot be greater than 10'),
    ([('k', 'a'), ('k', 'b')], 'same key'),
    ([('a' * 129, 'v')], 'TagKey you have provided is too long'),
    ([('k', 'v' * 257)], 'TagValue you have provided is too long'),
    ([('', 'v')], 'TagKey you have provided is invalid'),
    ([('k;', 'v')], 'TagKey you have provided is invalid'),
    ([('k', 'v%')], 'TagValue you have provided is invalid'),
    ([('k', 'v\n')], 'TagValue you have provided is invalid'),
    ([('aws:x', 'v')], 'prefixed with aws:'),
    ([('AWS:x', 'v')], 'prefixed with aws:'),
])
def test_invalid_tags(tags, message):
    with pytest.raises(errors.InvalidTag) as exc:
        tag_model.validate(tags, tag_model.MAX_OBJECT_TAGS)
    assert message in exc.value.message


def test_bucket_limit():
    tags = [('k%d' % i, 'v') for i in range(50)]
    assert tag_model.validate(tags, tag_model.MAX_BUCKET_TAGS) == tags
    with pytest.raises(errors.InvalidTag):
        tag_model.validate(tags + [('x', 'y')], tag_model.MAX_BUCKET_TAGS)


@pytest.mark.parametrize('header,tags', [
    ('a=1&b=2', [('a', '1'), ('b', '2')]),
    ('a=&b', [('a', ''), ('b', '')]),
    ('k%20x=v%2Fw', [('k x', 'v/w')]),
    ('%E6%97%A5=%E5%80%A4', [('日', '値')]),
    ('', []),
])
def test_header(header, tags):
    assert tag_model.parse_header(header) == tags


@pytest.mark.parametrize('header', ['a=1&a=2', 'a=%FF'])
def test_bad_header(header):
    with pytest.raises(errors.InvalidArgument):
        tag_model.parse_header(header)


def test_xml_round_trip():
    tags = [('a', '1'), ('b <&>', '"x"'), ('日', '')]
    assert tag_model.parse_xml(tag_model.tagging_xml(tags)) == tags


@given(st.lists(st.tuples(st.text(LETTERS, min_size=1, max_size=128),
                          st.text(LETTERS, max_size=256)),
                max_size=10, unique_by=lambda t: t[0]))
def test_tags_survive_swift_headers(tags):
    headers = HeaderKeyDict(tag_storage.tag_headers(tags))
    for value in headers.values():
        value.encode('latin-1')     # a WSGI string
        assert value == value.strip(' ')    # HTTP strips the ends
    assert tag_storage.object_tags(headers) == tags


def test_tags_are_read_in_order_and_blank_ones_skipped():
    headers = {'X-Object-Transient-Sysmeta-S3c-Tag-10': 'c=3',
               'X-Object-Transient-Sysmeta-S3c-Tag-2': 'b=2',
               'x-object-transient-sysmeta-s3c-tag-0': 'a=1',
               'X-Object-Transient-Sysmeta-S3c-Tag-3': '',
               'X-Object-Transient-Sysmeta-S3c-Tag-x': 'no=1'}
    assert tag_storage.object_tags(headers) == [('a', '1'), ('b', '2'),
                                                ('c', '3')]


HEAD = HeaderKeyDict({
    'Content-Type': 'text/plain', 'Content-Length': '5', 'Etag': 'abc',
    'X-Object-Meta-Color': 'red', 'X-Object-Meta-Size': 'L',
    'X-Object-Transient-Sysmeta-S3c-Acl': '{"o":"x"}',
    'X-Object-Transient-Sysmeta-S3c-Tag-0': 'old=1',
    'X-Object-Transient-Sysmeta-S3c-Tag-1': 'old=2',
    'X-Object-Transient-Sysmeta-Crypto-Meta': 'secret',
    'X-Object-Sysmeta-S3c-Storage-Class': 'STANDARD_IA',
    'Content-Disposition': 'inline', 'Content-Encoding': 'gzip',
    'Cache-Control': 'no-cache', 'Expires': 'soon', 'X-Delete-At': '99',
    'X-Object-Manifest': 'c/p', 'X-Static-Large-Object': 'True',
    'Last-Modified': 'x', 'X-Timestamp': '1700000000.12345',
    'X-Backend-Timestamp': '1700000000.12345_0000000000000002',
})


def _lower(headers):
    return {k.lower(): v for k, v in headers.items()}


def test_post_keeps_everything_a_post_would_drop():
    out = tag_storage.post_headers(HEAD, tag_storage.tag_headers([('new', 'v')]),
                                   'x-object-transient-sysmeta-s3c-tag-')
    assert _lower(out) == _lower({
        'X-Object-Meta-Color': 'red', 'X-Object-Meta-Size': 'L',
        'X-Object-Transient-Sysmeta-S3c-Acl': '{"o":"x"}',
        'X-Object-Transient-Sysmeta-S3c-Tag-0': 'new=v',
        'Content-Disposition': 'inline', 'Content-Encoding': 'gzip',
        'Cache-Control': 'no-cache', 'Expires': 'soon', 'X-Delete-At': '99',
        'X-Object-Manifest': 'c/p',
        'X-Timestamp': '1700000000.12345_0000000000000003'})


def test_post_without_drop_prefix_keeps_all_and_removes_on_none():
    out = HeaderKeyDict(tag_storage.post_headers(
        HEAD, {'x-delete-at': None, 'X-New': '1'}))
    assert 'X-Delete-At' not in out and out['X-New'] == '1'
    assert out['X-Object-Transient-Sysmeta-S3c-Tag-1'] == 'old=2'
    assert out['X-Object-Meta-Color'] == 'red'


def test_timestamp_after():
    assert tag_storage.timestamp_after({'X-Backend-Timestamp':
                                        '1700000000.12345'}) == {
        'X-Timestamp': '1700000000.12345_0000000000000001'}
    assert tag_storage.timestamp_after({}) == {}


class FakeReq:
    def __init__(self, headers):
        self._headers = headers

    def header(self, name, default=None):
        return self._headers.get(name.lower(), default)


@pytest.mark.parametrize('req_headers,expected', [
    ({}, [('src', '1'), ('other', '2')]),
    ({'x-amz-tagging-directive': 'COPY', 'x-amz-tagging': 'a=1'},
     [('src', '1'), ('other', '2')]),
    ({'x-amz-tagging-directive': 'REPLACE', 'x-amz-tagging': 'a=1'},
     [('a', '1')]),
    ({'x-amz-tagging-directive': 'REPLACE'}, []),
])
def test_copy_headers(req_headers, expected):
    source = tag_storage.tag_headers([('src', '1'), ('other', '2')])
    out = tag_storage.copy_headers(FakeReq(req_headers), source)
    assert tag_storage.object_tags(out) == expected
    # tags of the source beyond the new set are blanked
    assert set(out) == set(source) | set(tag_storage.tag_headers(expected))


def test_copy_headers_bad_directive():
    with pytest.raises(errors.InvalidArgument):
        tag_storage.copy_headers(FakeReq({'x-amz-tagging-directive': 'MOVE'}),
                                 {})


def test_object_tags_from_titled_and_plain_headers():
    """A swob response's HeaderKeyDict (title-cased names) and a plain
    dict of any case give the same tags, in index order."""
    from swift.common.header_key_dict import HeaderKeyDict
    from swift3compat.swift import tags as swift_tags
    prefix = swift_tags.TAG_SYSMETA
    raw = {prefix.lower() + '1': 'b=2', prefix.upper() + '0': 'a=1',
           prefix + '10': 'k=%20v', prefix + 'x': 'no=index', prefix + '2': '',
           'X-Object-Meta-Tag-3': 'not=a tag', 'Etag': 'e'}
    expected = [('a', '1'), ('b', '2'), ('k', ' v')]
    assert swift_tags.object_tags(raw) == expected
    assert swift_tags.object_tags(HeaderKeyDict(raw)) == expected


@pytest.mark.parametrize('new', [[], [('a', '1')], [('a', '1'), ('b', '2')]])
def test_object_tags_of_a_stored_copy(new):
    """What a copy stores (the source's headers, then copy_headers' own:
    tags numbered from 0, the source's extra ones blanked) reads back as
    the new tags, from a swob response too (which looks at tag 0 first)."""
    from swift.common.header_key_dict import HeaderKeyDict
    source = tag_storage.tag_headers([('s', '1'), ('t', '2'), ('u', '3')])
    stored = HeaderKeyDict(source)
    stored.update(tag_storage.copy_headers(FakeReq(
        {'x-amz-tagging-directive': 'REPLACE',
         'x-amz-tagging': '&'.join('%s=%s' % kv for kv in new)}), source))
    assert tag_storage.object_tags(stored) == new
