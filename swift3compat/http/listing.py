"""What every S3 listing shares: max-keys, continuation tokens, owners,
and LastModified as GET/HEAD report it."""
from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta

from swift3compat import errors
from swift3compat.http import xml
from swift3compat.http.request import S3Request


def owner_xml(owner_id: str, display: str | None = None) -> str:
    return '<Owner>%s%s</Owner>' % (xml.elem('ID', owner_id),
                                    xml.elem('DisplayName',
                                             display or owner_id))


def encode_token(name: str) -> str:
    """An opaque continuation token for listings resuming after ``name``."""
    return base64.urlsafe_b64encode(name.encode('utf-8')).decode('ascii')


def decode_token(token: str) -> str:
    """The name a continuation token resumes after (InvalidArgument when it
    is none of ours)."""
    try:
        return base64.b64decode(token.encode('ascii'), altchars=b'-_',
                                validate=True).decode('utf-8')
    except (binascii.Error, UnicodeError, ValueError):
        raise errors.InvalidArgument('The continuation token provided is '
                                     'incorrect',
                                     ArgumentName='continuation-token') \
            from None


_SECOND = timedelta(seconds=1)


def max_keys(req: S3Request) -> int:
    raw = req.query.get('max-keys')
    if raw is None:
        return req.conf.max_bucket_listing
    try:
        value = int(raw)
    except ValueError:
        raise errors.InvalidArgument('Provided max-keys not an integer or '
                                     'within integer range',
                                     ArgumentName='max-keys',
                                     ArgumentValue=raw) from None
    if value < 0:
        raise errors.InvalidArgument('Argument maxKeys must be an integer '
                                     'between 0 and 2147483647',
                                     ArgumentName='maxKeys',
                                     ArgumentValue=raw)
    return min(value, req.conf.max_bucket_listing)


def listing_time(value: str) -> str:
    """A listing's LastModified as GET/HEAD report it: Swift rounds an
    object's Last-Modified header up to the whole second, and clients (and
    conformance suites) expect the listing to agree with HEAD.

    Swift's listing value is '2009-10-12T17:50:30.123456' (UTC); this runs
    once per listed key, so it avoids strptime, and isoformat() for the
    usual value: 'YYYY-MM-DDTHH:MM:SS' that ``fromisoformat`` accepted is
    what ``isoformat`` writes back, and only a second of 59 carries."""
    date, _, fraction = value.partition('.')
    stamp = datetime.fromisoformat(date)
    if len(date) == 19 and date[4:17:3] == '--T::':
        if not fraction.rstrip('Z').strip('0'):
            return date + '.000Z'
        later = _LATER.get(date[17:])
        if later is not None:
            return date[:17] + later
        stamp += _SECOND
    elif fraction.rstrip('Z').strip('0'):
        stamp += _SECOND
    return stamp.isoformat() + '.000Z'


# seconds '00'-'58' -> the next one, as listing_time writes it
_LATER = {'%02d' % n: '%02d.000Z' % (n + 1) for n in range(59)}
