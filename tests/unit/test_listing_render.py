"""The fast listing rendering (issue 18) writes exactly what the straight
implementation it replaced wrote: the reference functions below are the
previous code, verbatim."""
from __future__ import annotations

import random
import re
from datetime import datetime, timedelta
from typing import List, Optional

import pytest

from swift.common.utils import parse_header

from swift3compat.api import bucket
from swift3compat.http import listing, xml
from swift3compat.http.request import _identity, _url_encode

# -- the previous implementations ------------------------------------------------
_ILLEGAL = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')
_ESCAPES = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;',
            '\r': '&#13;'}
_SPECIAL = re.compile('[&<>"\r]')
_SECOND = timedelta(seconds=1)


def ref_escape_text(value: str) -> str:
    if _SPECIAL.search(value):
        value = _SPECIAL.sub(lambda m: _ESCAPES[m.group()], value)
    if _ILLEGAL.search(value):
        value = _ILLEGAL.sub(lambda m: '&#x%x;' % ord(m.group()), value)
    return value


def ref_elem(name: str, value: Optional[object]) -> str:
    if value is None:
        return ''
    return '<%s>%s</%s>' % (name, ref_escape_text(str(value)), name)


def ref_listing_time(value: str) -> str:
    date, _, fraction = value.partition('.')
    stamp = datetime.fromisoformat(date)
    if fraction.rstrip('Z').strip('0'):
        stamp += _SECOND
    return stamp.isoformat() + '.000Z'


def ref_owner_xml(owner_id: str, display: Optional[str] = None) -> str:
    return '<Owner>%s%s</Owner>' % (ref_elem('ID', owner_id),
                                    ref_elem('DisplayName',
                                             display or owner_id))


def ref_listing_etag(entry: dict) -> str:
    etag, params = parse_header(entry['hash'])
    return params.get('s3_etag') or etag


def ref_contents(entries: List[dict], enc, owner: Optional[str]) -> tuple:
    out: List[str] = []
    prefixes: List[str] = []
    for e in entries:
        if 'subdir' in e:
            prefixes.append('<CommonPrefixes>%s</CommonPrefixes>'
                            % ref_elem('Prefix', enc(e['subdir'])))
            continue
        etag = ref_listing_etag(e)
        out.append(''.join((
            '<Contents>', ref_elem('Key', enc(e['name'])),
            '<LastModified>', ref_listing_time(e['last_modified']),
            '</LastModified>',
            '<ETag>&quot;', ref_escape_text(etag), '&quot;</ETag>',
            '<Size>', str(e['bytes']), '</Size>',
            ref_owner_xml(owner) if owner else '',
            '<StorageClass>STANDARD</StorageClass></Contents>')))
    return out, prefixes


# -- cases ----------------------------------------------------------------------
NAMES = ['plain', 'a/b/c', 'with space', 'caf\u00e9/\u65e5\u672c', '\U0001f600',
         'a&b', '<tag>', 'q"uote', "apos'", 'cr\rlf\n', 'tab\tx', 'ctl\x01\x1f',
         '\ufffe\uffff', 'amp&amp;', ']]>', 'plus+sign', '%41', '~!*()',
         '\u2028sep', 'a' * 1024]
HASHES = ['d41d8cd98f00b204e9800998ecf8427e',
          '0123456789abcdef0123456789abcdef; s3_etag=89ab-3',
          'abc;s3_etag="q&<"', 'abc; other=1', 'a&b<c>', 'abc; s3_etag=',
          'x; s3_etag=y; slo_etag=z']
TIMES = ['2026-12-06T23:10:05.123456', '2026-12-06T23:10:05.000000',
         '2026-12-06T23:10:05', '2026-12-06T23:10:59.000001',
         '2026-12-31T23:59:59.999999', '2024-02-29T23:59:59.5',
         '2026-12-06T23:10:05.000000Z', '2026-12-06T23:10:05.5Z',
         '2026-12-06 23:10:05.5', '2026-12-06T23:10:00.0']
OWNERS = [None, '', 'AUTH_test', 'test:tester', 'a&<b>"', 'caf\u00e9']


def _entries(seed: int, count: int) -> List[dict]:
    rnd = random.Random(seed)
    out: List[dict] = []
    for i in range(count):
        if rnd.random() < 0.1:
            out.append({'subdir': rnd.choice(NAMES) + '/'})
            continue
        out.append({'name': rnd.choice(NAMES) + str(i),
                    'hash': rnd.choice(HASHES),
                    'bytes': rnd.choice([0, 1, 1024, 5 * 2 ** 40]),
                    'last_modified': rnd.choice(TIMES),
                    'content_type': 'application/octet-stream'})
    return out


@pytest.mark.parametrize('owner', OWNERS)
@pytest.mark.parametrize('enc', [_identity, _url_encode])
def test_contents_as_before(owner, enc):
    for seed in range(20):
        entries = _entries(seed, 60)
        assert bucket._contents(entries, enc, owner) == \
            ref_contents(entries, enc, owner)


def test_escape_as_before():
    values = NAMES + HASHES + [chr(c) for c in range(0x20)] + [
        '\ud800', 'x\udfffy', '\ud7ff\ue000', '', '&&', '\r\r']
    for value in values:
        assert xml.escape_text(value) == ref_escape_text(value)
        assert xml.elem('K', value) == ref_elem('K', value)
        assert bool(xml.needs_escape(value)) == (
            ref_escape_text(value) != value)


def _outcome(func, value):
    try:
        return func(value)
    except (ValueError, OverflowError) as err:
        return type(err)


def test_listing_time_as_before():
    rnd = random.Random(18)
    values = TIMES + [
        '', 'x', '2026-13-06T23:10:05.1', '2026-02-30T23:10:05',
        '2026-12-06T24:10:05.1', '2026-12-06T23:60:05.1',
        '2026-12-06T23:10:60.1', '2026-W49-7T23:10:05.1',
        '20261206T231005.5', '2026-12-06X23:10:05.5',
        '2026-12-06T23:10:05+00:00.1', '9999-12-31T23:59:59.1',
        '\u0968\u0966\u0968\u0966-12-06T23:10:05.1', '2026-12-06T23:10']
    for _ in range(20000):
        values.append('%04d-%02d-%02d%s%02d:%02d:%02d%s' % (
            rnd.randint(1, 9999), rnd.randint(0, 13), rnd.randint(0, 32),
            rnd.choice('TTT x'), rnd.randint(0, 24), rnd.randint(0, 60),
            rnd.randint(0, 61), rnd.choice(
                ['', '.', '.0', '.000000', '.%06d' % rnd.randint(0, 999999),
                 '.1Z', 'Z', '+01:00'])))
    for value in values:
        assert _outcome(listing.listing_time, value) == \
            _outcome(ref_listing_time, value), value
