"""ListObjects V1 and V2 as third-party conformance suites (ceph s3-tests'
``test_bucket_list*`` / ``test_bucket_listv2*``) and AWS expect them:
delimiters of any character, prefixes, markers, start-after, continuation
tokens, max-keys, url encoding, fetch-owner and the elements each response
carries.  Every case runs against V1 and V2 where both exist.

Buckets are filled once per key set (module scope) and only read afterwards.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import quote_plus

import pytest
from botocore.exceptions import ClientError

V1_V2 = pytest.mark.parametrize('version', [1, 2])


def _code(exc: ClientError) -> Tuple[int, str]:
    return (exc.response['ResponseMetadata']['HTTPStatusCode'],
            exc.response['Error']['Code'])


def keys_of(resp: Dict[str, Any]) -> List[str]:
    return [c['Key'] for c in resp.get('Contents', [])]


def prefixes_of(resp: Dict[str, Any]) -> List[str]:
    return [p['Prefix'] for p in resp.get('CommonPrefixes', [])]


def list_call(s3, version: int, bucket: str, *, marker: Optional[str] = None,
              **params: Any) -> Dict[str, Any]:
    """ListObjects (V1, ``marker`` → Marker) or V2 (``marker`` →
    StartAfter)."""
    if marker is not None:
        params['Marker' if version == 1 else 'StartAfter'] = marker
    call = s3.list_objects if version == 1 else s3.list_objects_v2
    return call(Bucket=bucket, **params)


@pytest.fixture(scope='module')
def filled(s3, make_bucket_name):
    """``filled(keys) -> bucket``: one bucket per key set, each object's
    body its own name."""
    made: Dict[Tuple[str, ...], str] = {}

    def get(keys: Tuple[str, ...]) -> str:
        if keys not in made:
            bucket = make_bucket_name('listing')
            s3.create_bucket(Bucket=bucket)
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda k: s3.put_object(
                    Bucket=bucket, Key=k, Body=k.encode('utf-8')), keys))
            made[keys] = bucket
        return made[keys]
    return get


BAR_BAZ_CAB_FOO = ('bar', 'baz', 'cab', 'foo')


# -- delimiters ----------------------------------------------------------------
@V1_V2
@pytest.mark.parametrize('keys,delimiter,want_keys,want_prefixes', [
    (('foo/bar', 'foo/bar/xyzzy', 'quux/thud', 'asdf'), '/',
     ['asdf'], ['foo/', 'quux/']),
    (BAR_BAZ_CAB_FOO, 'a', ['foo'], ['ba', 'ca']),
    (('b%ar', 'b%az', 'c%ab', 'foo'), '%', ['foo'], ['b%', 'c%']),
    (('b ar', 'b az', 'c ab', 'foo'), ' ', ['foo'], ['b ', 'c ']),
    (('b.ar', 'b.az', 'c.ab', 'foo'), '.', ['foo'], ['b.', 'c.']),
    (BAR_BAZ_CAB_FOO, '\n', list(BAR_BAZ_CAB_FOO), []),
    (BAR_BAZ_CAB_FOO, '/', list(BAR_BAZ_CAB_FOO), []),
], ids=['slash', 'alt', 'percent', 'space', 'dot', 'unreadable',
        'not-present'])
def test_delimiter(s3, filled, version, keys, delimiter, want_keys,
                   want_prefixes):
    resp = list_call(s3, version, filled(keys), Delimiter=delimiter)
    assert resp['Delimiter'] == delimiter
    assert keys_of(resp) == want_keys
    assert prefixes_of(resp) == want_prefixes
    if version == 2:
        assert resp['KeyCount'] == len(want_keys) + len(want_prefixes)


@V1_V2
@pytest.mark.parametrize('params', [{'Delimiter': ''}, {}],
                         ids=['empty', 'absent'])
def test_no_delimiter_element_without_delimiter(s3, filled, version, params):
    resp = list_call(s3, version, filled(BAR_BAZ_CAB_FOO), **params)
    assert 'Delimiter' not in resp
    assert keys_of(resp) == list(BAR_BAZ_CAB_FOO)
    assert prefixes_of(resp) == []


# -- prefixes --------------------------------------------------------------------
FOO_QUUX = ('foo/bar', 'foo/baz', 'quux')
B_A = ('b/a/c', 'b/a/g', 'b/a/r', 'g')


@V1_V2
@pytest.mark.parametrize('keys,params,want_keys,want_prefixes', [
    (FOO_QUUX, {'Prefix': 'foo/'}, ['foo/bar', 'foo/baz'], []),
    (('bar', 'baz', 'foo'), {'Prefix': 'ba'}, ['bar', 'baz'], []),
    (FOO_QUUX, {'Prefix': ''}, list(FOO_QUUX), []),
    (FOO_QUUX, {'Prefix': 'd'}, [], []),
    (FOO_QUUX, {'Prefix': '\n'}, [], []),
    (('foo/bar', 'foo/baz/xyzzy', 'quux/thud', 'asdf'),
     {'Prefix': 'foo/', 'Delimiter': '/'}, ['foo/bar'], ['foo/baz/']),
    (('bar', 'bazar', 'cab', 'foo'), {'Prefix': 'ba', 'Delimiter': 'a'},
     ['bar'], ['baza']),
    (B_A, {'Prefix': '/', 'Delimiter': 'd'}, [], []),
    (B_A, {'Prefix': 'b', 'Delimiter': 'z'}, ['b/a/c', 'b/a/g', 'b/a/r'], []),
    (B_A, {'Prefix': 'y', 'Delimiter': 'z'}, [], []),
    (('asdf/',), {'Prefix': 'asdf/', 'Delimiter': '/'}, ['asdf/'], []),
    (('_bla/1', '_bla/2', '_bla/3', '_bla/4', 'abcd'), {'Prefix': '_bla/'},
     ['_bla/1', '_bla/2', '_bla/3', '_bla/4'], []),
], ids=['basic', 'alt', 'empty', 'not-present', 'unreadable',
        'delimiter-basic', 'delimiter-alt', 'delimiter-prefix-absent',
        'delimiter-absent', 'both-absent', 'key-ends-with-delimiter',
        'underscore'])
def test_prefix(s3, filled, version, keys, params, want_keys, want_prefixes):
    """botocore asks for encoding-type=url and decodes V1's Prefix element
    only in V2: AWS encodes it in both (aws-sdk-java#611), so a V1 Prefix
    reaches the caller still encoded (s3-tests expects it decoded)."""
    resp = list_call(s3, version, filled(keys), **params)
    assert resp['Prefix'] == (params['Prefix'] if version == 2 else
                              quote_plus(params['Prefix'], safe='/'))
    assert keys_of(resp) == want_keys
    assert prefixes_of(resp) == want_prefixes
    assert resp['IsTruncated'] is False


# -- paging with a delimiter ------------------------------------------------------
# (prefix, max-keys, keys, prefixes, truncated) per page, following NextMarker
# (V1) or NextContinuationToken (V2) from the first page.
PAGED = [
    (('asdf', 'boo/bar', 'boo/baz/xyzzy', 'cquux/thud', 'cquux/bla'), [
        ('', 1, [(['asdf'], []), ([], ['boo/']), ([], ['cquux/'])]),
        ('', 2, [(['asdf'], ['boo/']), ([], ['cquux/'])]),
        ('boo/', 1, [(['boo/bar'], []), ([], ['boo/baz/'])]),
        ('boo/', 2, [(['boo/bar'], ['boo/baz/'])]),
    ]),
    (('_obj1_', '_under1/bar', '_under1/baz/xyzzy', '_under2/thud',
      '_under2/bla'), [
        ('', 1, [(['_obj1_'], []), ([], ['_under1/']), ([], ['_under2/'])]),
        ('', 2, [(['_obj1_'], ['_under1/']), ([], ['_under2/'])]),
        ('_under1/', 1, [(['_under1/bar'], []), ([], ['_under1/baz/'])]),
        ('_under1/', 2, [(['_under1/bar'], ['_under1/baz/'])]),
    ]),
]


@V1_V2
@pytest.mark.parametrize('keys,walks', PAGED, ids=['plain', 'underscore'])
def test_paging_with_delimiter(s3, filled, version, keys, walks):
    bucket = filled(keys)
    for prefix, max_keys, pages in walks:
        token: Optional[str] = None
        for number, (want_keys, want_prefixes) in enumerate(pages):
            last = number == len(pages) - 1
            params: Dict[str, Any] = dict(Prefix=prefix, Delimiter='/',
                                          MaxKeys=max_keys)
            if token is not None:
                params['Marker' if version == 1 else
                       'ContinuationToken'] = token
            resp = list_call(s3, version, bucket, **params)
            where = (prefix, max_keys, number)
            assert keys_of(resp) == want_keys, where
            assert prefixes_of(resp) == want_prefixes, where
            assert resp['IsTruncated'] is not last, where
            if version == 1:
                # NextMarker is the last key or common prefix returned
                want_next = None if last else (want_keys + want_prefixes)[-1]
                assert resp.get('NextMarker') == want_next, where
                token = resp.get('NextMarker')
            else:
                assert ('NextContinuationToken' in resp) is not last, where
                token = resp.get('NextContinuationToken')


def test_delimiter_does_not_skip_keys_after_a_big_prefix(s3, filled):
    """A common prefix hiding ~1000 keys, then keys sorting just after
    it ('#' and '+' sort before '/')."""
    after = ['1999', '1999#', '1999+', '2000']
    keys = tuple(['0/'] + ['0/%d' % i for i in range(1000, 1999)] + after)
    resp = s3.list_objects(Bucket=filled(keys), Delimiter='/')
    assert keys_of(resp) == after
    assert prefixes_of(resp) == ['0/']
    assert resp['IsTruncated'] is False


# -- max-keys --------------------------------------------------------------------
FOUR = ('bar', 'baz', 'foo', 'quxx')


@V1_V2
def test_max_keys(s3, filled, version):
    bucket = filled(FOUR)
    resp = list_call(s3, version, bucket, MaxKeys=1)
    assert (keys_of(resp), resp['IsTruncated']) == (['bar'], True)
    resp = list_call(s3, version, bucket, marker='bar')
    assert (keys_of(resp), resp['IsTruncated']) == (list(FOUR[1:]), False)
    resp = list_call(s3, version, bucket, MaxKeys=0)
    assert (keys_of(resp), resp['IsTruncated']) == ([], False)
    assert resp['MaxKeys'] == 0
    resp = list_call(s3, version, bucket)
    assert (keys_of(resp), resp['IsTruncated']) == (list(FOUR), False)
    assert resp['MaxKeys'] == 1000
    resp = list_call(s3, version, filled(('foo', 'bar', 'baz')), MaxKeys=2)
    assert (keys_of(resp), resp['IsTruncated']) == (['bar', 'baz'], True)
    resp = list_call(s3, version, filled(('foo', 'bar', 'baz')),
                     marker='baz', MaxKeys=2)
    assert (keys_of(resp), resp['IsTruncated']) == (['foo'], False)


@V1_V2
@pytest.mark.parametrize('value', ['blah', '-1', '1.5', ''])
def test_max_keys_invalid(s3, filled, version, value):
    bucket = filled(FOUR)
    operation = 'ListObjects' if version == 1 else 'ListObjectsV2'

    def add(params, **_):
        params['url'] += '&max-keys=' + value \
            if '?' in params['url'] else '?max-keys=' + value
    s3.meta.events.register('before-call.s3.' + operation, add)
    try:
        with pytest.raises(ClientError) as exc:
            list_call(s3, version, bucket)
    finally:
        s3.meta.events.unregister('before-call.s3.' + operation, add)
    assert _code(exc.value) == (400, 'InvalidArgument')


# -- markers, start-after, continuation tokens ----------------------------------
@V1_V2
@pytest.mark.parametrize('marker,want', [
    ('', list(FOUR)), ('\n', list(FOUR)), ('blah', ['foo', 'quxx']),
    ('zzz', [])], ids=['empty', 'unreadable', 'not-in-list', 'after-list'])
def test_marker(s3, filled, version, marker, want):
    resp = list_call(s3, version, filled(FOUR), marker=marker)
    echoed = 'Marker' if version == 1 else 'StartAfter'
    assert resp.get(echoed, '') == marker
    assert keys_of(resp) == want
    assert resp['IsTruncated'] is False


def test_marker_element_always_present_in_v1(s3, filled):
    resp = s3.list_objects(Bucket=filled(FOUR))
    assert resp['Marker'] == ''


def test_continuation_tokens(s3, filled):
    bucket = filled(FOUR)
    resp = s3.list_objects_v2(Bucket=bucket, ContinuationToken='')
    assert resp['ContinuationToken'] == ''
    assert (keys_of(resp), resp['IsTruncated']) == (list(FOUR), False)
    first = s3.list_objects_v2(Bucket=bucket, MaxKeys=1)
    token = first['NextContinuationToken']
    resp = s3.list_objects_v2(Bucket=bucket, ContinuationToken=token)
    assert resp['ContinuationToken'] == token
    assert (keys_of(resp), resp['IsTruncated']) == (list(FOUR[1:]), False)
    # StartAfter is echoed but the token decides where the page starts
    first = s3.list_objects_v2(Bucket=bucket, StartAfter='bar', MaxKeys=1)
    token = first['NextContinuationToken']
    resp = s3.list_objects_v2(Bucket=bucket, StartAfter='bar',
                              ContinuationToken=token)
    assert resp['ContinuationToken'] == token
    assert resp['StartAfter'] == 'bar'
    assert (keys_of(resp), resp['IsTruncated']) == (['foo', 'quxx'], False)


def test_bad_continuation_token(s3, filled):
    with pytest.raises(ClientError) as exc:
        s3.list_objects_v2(Bucket=filled(FOUR), ContinuationToken='!!')
    assert _code(exc.value) == (400, 'InvalidArgument')


# -- encoding, owner, returned data -------------------------------------------------
@V1_V2
def test_encoding_type_url(s3, filled, version):
    """A space is encoded as '+', as AWS does (s3-tests expects '%20',
    which AWS does not send; botocore decodes both with unquote_plus)."""
    keys = ('foo+1/bar', 'foo/bar/xyzzy', 'quux ab/thud', 'asdf+b')
    resp = list_call(s3, version, filled(keys), Delimiter='/',
                     EncodingType='url')
    assert resp['Delimiter'] == '/'
    assert keys_of(resp) == ['asdf%2Bb']
    assert prefixes_of(resp) == ['foo%2B1/', 'foo/', 'quux+ab/']


@pytest.mark.parametrize('params,owner', [
    ({'FetchOwner': True}, True), ({}, False), ({'FetchOwner': False}, False)])
def test_v2_fetch_owner(s3, filled, params, owner):
    resp = s3.list_objects_v2(Bucket=filled(FOO_QUUX), **params)
    assert ('Owner' in resp['Contents'][0]) is owner


def test_v2_key_count(s3, filled):
    resp = s3.list_objects_v2(Bucket=filled(('0', '1', '2', '3', '4')))
    assert resp['KeyCount'] == 5


def test_v1_returns_what_head_and_acl_say(s3, filled):
    bucket = filled(('bar', 'baz', 'foo'))
    for entry in s3.list_objects(Bucket=bucket)['Contents']:
        head = s3.head_object(Bucket=bucket, Key=entry['Key'])
        owner = s3.get_object_acl(Bucket=bucket, Key=entry['Key'])['Owner']
        assert entry['ETag'] == head['ETag']
        assert entry['Size'] == head['ContentLength']
        assert entry['Owner'] == owner
        assert entry['LastModified'].replace(microsecond=0) == \
            head['LastModified']
        assert entry['StorageClass'] == 'STANDARD'


def test_special_key_names(s3, filled):
    keys = (' ', '"', '$', '%', '&', "'", '<', '>', '_', '_ ', '_ _', '__')
    bucket = filled(keys)
    assert keys_of(s3.list_objects(Bucket=bucket)) == list(keys)
    for key in keys:
        body = s3.get_object(Bucket=bucket, Key=key)['Body'].read()
        assert body == key.encode('utf-8')


@V1_V2
def test_listing_a_missing_bucket(s3, make_bucket_name, version):
    with pytest.raises(ClientError) as exc:
        list_call(s3, version, make_bucket_name('absent'))
    assert _code(exc.value) == (404, 'NoSuchBucket')


@V1_V2
def test_allow_unordered_is_ignored_as_aws_does(s3, filled, version):
    """``allow-unordered`` is a Ceph extension; AWS ignores unknown query
    parameters, so the listing stays ordered and a delimiter stays
    allowed."""
    bucket = filled(('abc/ink', 'ado', 'bot', 'def/nim', 'xix'))
    operation = 'ListObjects' if version == 1 else 'ListObjectsV2'

    def add(params, **_):
        params['url'] += '&allow-unordered=true' \
            if '?' in params['url'] else '?allow-unordered=true'
    s3.meta.events.register('before-call.s3.' + operation, add)
    try:
        resp = list_call(s3, version, bucket, Delimiter='/')
    finally:
        s3.meta.events.unregister('before-call.s3.' + operation, add)
    assert keys_of(resp) == ['ado', 'bot', 'xix']
    assert prefixes_of(resp) == ['abc/', 'def/']
