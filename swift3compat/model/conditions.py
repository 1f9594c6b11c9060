"""Preconditions S3 evaluates itself, against the S3 view of an object.

Pure functions (no WSGI, no Swift).  The S3 ETag of a multipart object is
``"<md5 of the parts' md5s>-N"``, which Swift's own conditional handling
never sees on a HEAD of the copy source, so these are decided here:

* ``copy_source_failure``: CopyObject / UploadPartCopy
  ``x-amz-copy-source-if-match`` / ``-if-none-match`` /
  ``-if-modified-since`` / ``-if-unmodified-since``.  As AWS documents:
  if-match true and unmodified-since false copies; if-none-match false and
  modified-since true fails (RFC 7232's precedence: an ETag condition
  decides over the date condition of the same direction).
* ``delete_failure``: DeleteObject's ``If-Match``,
  ``x-amz-if-match-last-modified-time`` and ``x-amz-if-match-size`` (and the
  ``ETag`` / ``LastModifiedTime`` / ``Size`` of a DeleteObjects key).  A key
  that does not exist is not a failure (AWS answers 204).
"""
from __future__ import annotations

import calendar
import re
from datetime import datetime
from email.utils import parsedate_tz
from typing import Mapping, Optional

COPY_IF_MATCH = 'x-amz-copy-source-if-match'
COPY_IF_NONE_MATCH = 'x-amz-copy-source-if-none-match'
COPY_IF_MODIFIED_SINCE = 'x-amz-copy-source-if-modified-since'
COPY_IF_UNMODIFIED_SINCE = 'x-amz-copy-source-if-unmodified-since'
COPY_CONDITIONS = (COPY_IF_MATCH, COPY_IF_NONE_MATCH, COPY_IF_MODIFIED_SINCE,
                   COPY_IF_UNMODIFIED_SINCE)

IF_MATCH = 'If-Match'
IF_MATCH_LAST_MODIFIED_TIME = 'x-amz-if-match-last-modified-time'
IF_MATCH_SIZE = 'x-amz-if-match-size'

_ISO = re.compile(r'^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})'
                  r'(?:\.\d+)?(?:[Zz]|[+-]00:?00)?$')


def _bare(etag: str) -> str:
    etag = etag.strip()
    if etag.startswith('W/'):
        etag = etag[2:]
    return etag.strip('"')


def etag_matches(header: str, etag: str) -> bool:
    """Does an If-Match style list (``"a", "b"``, ``*``) name ``etag``?"""
    wanted = _bare(etag)
    return any(item.strip() == '*' or _bare(item) == wanted
               for item in header.split(','))


def parse_time(value: Optional[str]) -> Optional[int]:
    """An HTTP date (RFC 1123, RFC 850, asctime) or ISO 8601 UTC time, as
    whole epoch seconds; None when absent or not a date."""
    if value is None:
        return None
    value = value.strip()
    match = _ISO.match(value)
    if match:
        try:
            year, month, day, hour, minute, second = (
                int(g) for g in match.groups())
            return calendar.timegm(datetime(
                year, month, day, hour, minute, second).timetuple())
        except ValueError:
            return None
    parsed = parsedate_tz(value)
    if parsed is None:
        return None
    try:
        return calendar.timegm(parsed[:6] + (0, 1, 0)) - (parsed[9] or 0)
    except (ValueError, OverflowError):
        return None


def copy_source_failure(headers: Mapping[str, str], etag: str,
                        last_modified: Optional[int]) -> Optional[str]:
    """The ``x-amz-copy-source-if-*`` header (lower case keys in
    ``headers``) that fails for a source of ``etag`` (S3 ETag) last
    modified at ``last_modified`` (epoch seconds), or None."""
    if_match = headers.get(COPY_IF_MATCH)
    if if_match is not None:
        if not etag_matches(if_match, etag):
            return COPY_IF_MATCH
    else:
        since = parse_time(headers.get(COPY_IF_UNMODIFIED_SINCE))
        if since is not None and last_modified is not None and \
                last_modified > since:
            return COPY_IF_UNMODIFIED_SINCE
    if_none = headers.get(COPY_IF_NONE_MATCH)
    if if_none is not None:
        if etag_matches(if_none, etag):
            return COPY_IF_NONE_MATCH
    else:
        since = parse_time(headers.get(COPY_IF_MODIFIED_SINCE))
        if since is not None and last_modified is not None and \
                last_modified <= since:
            return COPY_IF_MODIFIED_SINCE
    return None


def delete_failure(if_match: Optional[str], last_modified_time: Optional[str],
                   size: Optional[str], *, etag: str,
                   last_modified: Optional[int], object_size: int
                   ) -> Optional[str]:
    """Which conditional-delete condition fails for an existing object
    (``IF_MATCH``, ``IF_MATCH_LAST_MODIFIED_TIME``, ``IF_MATCH_SIZE``), or
    None.  ``size`` must already be checked by ``valid_size``."""
    if if_match is not None and not etag_matches(if_match, etag):
        return IF_MATCH
    if last_modified_time is not None and \
            parse_time(last_modified_time) != last_modified:
        return IF_MATCH_LAST_MODIFIED_TIME
    if size is not None and int(size.strip()) != object_size:
        return IF_MATCH_SIZE
    return None


def valid_size(value: Optional[str]) -> bool:
    return value is None or value.strip().isdigit()


def valid_time(value: Optional[str]) -> bool:
    return value is None or parse_time(value) is not None
