"""S3Response: what a handler returns, and the header/time helpers it uses.

A response is a status, a header list and a body (bytes or an iterator that
streams from Swift).  The middleware adds ``x-amz-request-id`` and
``x-amz-id-2`` to every response, errors included.
"""
from __future__ import annotations

import calendar
import email.utils
import time
from http import HTTPStatus
from datetime import datetime, timezone
from typing import Dict, Iterable, List, Optional, Tuple, Union

Body = Union[bytes, Iterable[bytes]]
# status -> reason phrase (an HTTPStatus lookup per response costs more)
_REASONS = {status.value: status.phrase for status in HTTPStatus}


class S3Response:
    def __init__(self, status: int = 200,
                 headers: Optional[Dict[str, str]] = None,
                 body: Body = b'', content_type: Optional[str] = None,
                 content_length: Optional[int] = None) -> None:
        self.status = status
        self.headers: Dict[str, str] = dict(headers or {})
        self.body = body
        if content_type:
            self.headers['Content-Type'] = content_type
        if 'Content-Length' in self.headers:
            pass  # e.g. HEAD: the length of the body a GET would return
        elif isinstance(body, bytes):
            self.headers['Content-Length'] = str(len(body))
        elif content_length is not None:
            self.headers['Content-Length'] = str(content_length)

    @property
    def status_line(self) -> str:
        return '%d %s' % (self.status, _REASONS.get(self.status, 'Unknown'))

    def header_list(self) -> List[Tuple[str, str]]:
        return list(self.headers.items())


def xml_response(body: bytes, status: int = 200,
                 headers: Optional[Dict[str, str]] = None) -> S3Response:
    return S3Response(status, headers, body, content_type='application/xml')


# -- times -----------------------------------------------------------------
def iso8601(value: Union[str, float, None]) -> str:
    """S3's listing timestamp '2009-10-12T17:50:30.000Z' from a Swift
    listing value ('2009-10-12T17:50:30.123456'), an epoch, or an HTTP
    date."""
    if value is None:
        return '1970-01-01T00:00:00.000Z'
    if isinstance(value, (int, float)):
        ts = float(value)
        return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(ts)) + \
            '.%03dZ' % int((ts % 1) * 1000)
    if value[:1].isdigit():
        date, _, frac = value.partition('.')
        return '%s.%sZ' % (date, (frac.rstrip('Z') + '000')[:3])
    parsed = email.utils.parsedate_tz(value)
    if not parsed:
        return '1970-01-01T00:00:00.000Z'
    return iso8601(float(email.utils.mktime_tz(parsed)))


def http_date(ts: float) -> str:
    return email.utils.formatdate(ts, usegmt=True)


def epoch_from_listing(value: str) -> float:
    """Swift listing time ('2009-10-12T17:50:30.123456') → epoch."""
    date, _, frac = value.partition('.')
    dt = datetime.strptime(date, '%Y-%m-%dT%H:%M:%S').replace(
        tzinfo=timezone.utc)
    return calendar.timegm(dt.timetuple()) + float('0.' + (frac or '0'))
