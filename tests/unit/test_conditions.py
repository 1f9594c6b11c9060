"""Copy-source and conditional-delete preconditions against the S3 view."""
from __future__ import annotations

import pytest

from swift3compat.model import conditions as c

ETAG = '0123456789abcdef0123456789abcdef-5'
WHEN = 1796587089                       # Sun, 06 Dec 2026 19:58:09 GMT
BEFORE, AFTER = 'Sat, 05 Dec 2026 19:58:09 GMT', 'Mon, 07 Dec 2026 19:58:09 GMT'
AT = 'Sun, 06 Dec 2026 19:58:09 GMT'


def test_parse_time():
    assert c.parse_time(AT) == WHEN
    assert c.parse_time('Sunday, 06-Dec-26 19:58:09 GMT') == WHEN
    assert c.parse_time('Sun Dec  6 19:58:09 2026') == WHEN
    assert c.parse_time('2026-12-06T19:58:09Z') == WHEN
    assert c.parse_time('2026-12-06T19:58:09.000Z') == WHEN
    assert c.parse_time('Sun, 06 Dec 2026 20:58:09 +0100') == WHEN
    for bad in (None, '', 'yesterday', '2026-13-06T19:58:09Z'):
        assert c.parse_time(bad) is None


@pytest.mark.parametrize('header,matches', [
    ('"%s"' % ETAG, True), (ETAG, True), ('W/"%s"' % ETAG, True),
    ('"x", "%s"' % ETAG, True), ('*', True), ('"x"', False),
    ('"%s"' % ETAG[:-2], False)])
def test_etag_matches(header, matches):
    assert c.etag_matches(header, '"%s"' % ETAG) is matches


@pytest.mark.parametrize('headers,failed', [
    ({}, None),
    ({c.COPY_IF_MATCH: '"%s"' % ETAG}, None),
    ({c.COPY_IF_MATCH: '"other"'}, c.COPY_IF_MATCH),
    ({c.COPY_IF_NONE_MATCH: '"%s"' % ETAG}, c.COPY_IF_NONE_MATCH),
    ({c.COPY_IF_NONE_MATCH: '"other"'}, None),
    ({c.COPY_IF_MODIFIED_SINCE: BEFORE}, None),
    ({c.COPY_IF_MODIFIED_SINCE: AT}, c.COPY_IF_MODIFIED_SINCE),
    ({c.COPY_IF_MODIFIED_SINCE: AFTER}, c.COPY_IF_MODIFIED_SINCE),
    ({c.COPY_IF_UNMODIFIED_SINCE: AFTER}, None),
    ({c.COPY_IF_UNMODIFIED_SINCE: AT}, None),
    ({c.COPY_IF_UNMODIFIED_SINCE: BEFORE}, c.COPY_IF_UNMODIFIED_SINCE),
    ({c.COPY_IF_MODIFIED_SINCE: 'not a date'}, None),
    # AWS: if-match true + if-unmodified-since false -> copied
    ({c.COPY_IF_MATCH: ETAG, c.COPY_IF_UNMODIFIED_SINCE: BEFORE}, None),
    # AWS: if-none-match false + if-modified-since true -> 412
    ({c.COPY_IF_NONE_MATCH: ETAG, c.COPY_IF_MODIFIED_SINCE: BEFORE},
     c.COPY_IF_NONE_MATCH),
    ({c.COPY_IF_NONE_MATCH: '"x"', c.COPY_IF_MODIFIED_SINCE: AFTER}, None),
])
def test_copy_source_failure(headers, failed):
    assert c.copy_source_failure(headers, '"%s"' % ETAG, WHEN) == failed


@pytest.mark.parametrize('if_match,time,size,failed', [
    (None, None, None, None),
    ('"%s"' % ETAG, AT, '5', None),
    ('*', None, None, None),
    ('"x"', None, None, c.IF_MATCH),
    (None, BEFORE, None, c.IF_MATCH_LAST_MODIFIED_TIME),
    (None, '2026-12-06T19:58:09Z', None, None),
    (None, None, '4', c.IF_MATCH_SIZE),
    ('"%s"' % ETAG, AT, '6', c.IF_MATCH_SIZE),
])
def test_delete_failure(if_match, time, size, failed):
    assert c.delete_failure(if_match, time, size, etag=ETAG,
                            last_modified=WHEN, object_size=5) == failed


def test_validity():
    assert c.valid_size('12') and c.valid_size(None)
    assert not c.valid_size('-1') and not c.valid_size('x')
    assert c.valid_time(AT) and not c.valid_time('soon')
