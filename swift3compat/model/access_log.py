"""Amazon S3 server access log records and log object keys: pure functions.

A record is one line of space-separated fields, in AWS's order (the
"Amazon S3 server access log format")::

    bucket_owner bucket [time] remote_ip requester request_id operation key
    "request_uri" http_status error_code bytes_sent object_size total_time
    turn_around_time "referer" "user_agent" version_id host_id
    signature_version cipher_suite authentication_type host_header
    tls_version access_point_arn acl_required

``-`` stands for an empty, unknown or not applicable field (``"-"`` for the
quoted ones).  Every field is made safe for that grammar here: no space in
an unquoted field, no double quote inside a quoted one, no control
character (so a record is always exactly one line), and no secret: the
presigned-URL signature and session token parameters of the request-URI are
replaced by ``REDACTED`` (``redact_query``); signatures and tokens from
headers are never part of a record.

No WSGI and no Swift here: ``swift.log_delivery`` gathers the values from
a finished request and writes batches of records as log objects.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Tuple
from urllib.parse import quote, unquote_plus

DASH = '-'
REDACTED = 'REDACTED'
# A DeleteObjects logs one record of the request and one of each key it
# deleted (AWS's BATCH.DELETE.OBJECT); the handler leaves the deleted
# (key, version id) pairs in the request environment under this name.
BATCH_DELETE = 'BATCH.DELETE.OBJECT'
BATCH_DELETES_ENV = 'swift3compat.batch_deletes'
# Query parameters whose values are secrets (compared case-insensitively).
SECRET_PARAMS = frozenset(['signature', 'x-amz-signature',
                           'x-amz-security-token'])

# Resource names of the operation field, by (level, sub-resource): AWS's
# REST.<METHOD>.<RESOURCE>.  Operations on one sub-resource share a name,
# whatever the method (REST.GET.ACL, REST.PUT.ACL).
_LEVEL_NAMES = {'service': 'SERVICE', 'bucket': 'BUCKET', 'object': 'OBJECT'}


@dataclass
class Record:
    """One request, as the access log describes it (values, not text)."""

    bucket_owner: str
    bucket: str
    time: float                        # epoch seconds the request arrived
    remote_ip: Optional[str]
    requester: Optional[str]           # canonical id; None: anonymous
    request_id: str
    operation: str                     # REST.GET.OBJECT
    key: Optional[str]
    method: str
    raw_path: str                      # as sent, percent-encoded
    query: str                         # as sent (QUERY_STRING)
    protocol: str                      # HTTP/1.1
    http_status: int
    error_code: Optional[str]
    bytes_sent: int
    object_size: Optional[int]
    total_time_ms: Optional[int]
    turn_around_ms: Optional[int]
    referer: Optional[str]
    user_agent: Optional[str]
    version_id: Optional[str]
    host_id: Optional[str]
    signature_version: Optional[str]   # SigV2 / SigV4
    cipher_suite: Optional[str]
    authentication_type: Optional[str]  # AuthHeader / QueryString
    host_header: Optional[str]
    tls_version: Optional[str]
    access_point_arn: Optional[str] = None
    acl_required: bool = False


FIELD_NAMES = (
    'bucket_owner', 'bucket', 'time', 'remote_ip', 'requester', 'request_id',
    'operation', 'key', 'request_uri', 'http_status', 'error_code',
    'bytes_sent', 'object_size', 'total_time', 'turn_around_time', 'referer',
    'user_agent', 'version_id', 'host_id', 'signature_version',
    'cipher_suite', 'authentication_type', 'host_header', 'tls_version',
    'access_point_arn', 'acl_required')
QUOTED = frozenset(['request_uri', 'referer', 'user_agent'])


def operation(level: str, subresource: str, method: str,
              names: Optional[Mapping[Tuple[str, ...], str]] = None) -> str:
    """``REST.<METHOD>.<RESOURCE>``: the resource from ``names`` (the route
    table's ``LOG_RESOURCES``), else the level (OBJECT, BUCKET, SERVICE)."""
    resource = (names or {}).get((level, subresource, method)) or \
        (names or {}).get((level, subresource)) or \
        (subresource.upper().replace('-', '_') if subresource
         else _LEVEL_NAMES.get(level, level.upper()))
    return 'REST.%s.%s' % (method.upper(), resource)


# -- redaction -------------------------------------------------------------------
def redact_query(query: str) -> str:
    """The query string with the values of secret parameters replaced by
    ``REDACTED`` (names compared after percent-decoding, any case)."""
    if not query:
        return query
    out = []
    for item in query.split('&'):
        name = item.partition('=')[0]
        plain = _unquote_lower(name)
        if plain in SECRET_PARAMS:
            out.append(name + '=' + REDACTED)
        else:
            out.append(item)
    return '&'.join(out)


def _unquote_lower(name: str) -> str:
    return unquote_plus(name).strip().lower()


# -- field text --------------------------------------------------------------------
_UNSAFE = re.compile(r'[\x00-\x20\x7f"\\]')
_UNSAFE_QUOTED = re.compile(r'[\x00-\x1f\x7f"\\]')


def _escape(regex: 're.Pattern[str]', value: str) -> str:
    return regex.sub(lambda m: '%%%02X' % ord(m.group(0)), value)


def plain(value: object) -> str:
    """An unquoted field: '-' when empty, no space, quote or control
    character (percent-encoded)."""
    if value is None or value == '':
        return DASH
    text = str(value)
    if not text.isascii():
        text = quote(text, safe=''.join(chr(c) for c in range(0x21, 0x7f)))
    return _escape(_UNSAFE, text)


def quoted(value: object) -> str:
    """A double-quoted field: ``"-"`` when empty; no double quote, backslash
    or control character inside (percent-encoded)."""
    if value is None or value == '':
        return '"-"'
    text = str(value)
    if not text.isascii():
        text = quote(text, safe=''.join(chr(c) for c in range(0x20, 0x7f)))
    return '"%s"' % _escape(_UNSAFE_QUOTED, text)


def log_time(epoch: float) -> str:
    """``[06/Feb/2019:00:00:38 +0000]``."""
    return time.strftime('[%d/%b/%Y:%H:%M:%S +0000]', time.gmtime(epoch))


def _size(value: Optional[int], zero_is_dash: bool) -> str:
    if value is None or (zero_is_dash and value == 0):
        return DASH
    return str(int(value))


def request_uri(record: Record) -> str:
    """``GET /bucket/key?query HTTP/1.1`` with secrets redacted."""
    target = record.raw_path or '/'
    if record.query:
        target += '?' + redact_query(record.query)
    return '%s %s %s' % (record.method, target, record.protocol or 'HTTP/1.1')


def format_record(record: Record) -> str:
    """One log line (without the newline)."""
    key = None if record.key is None else quote(record.key, safe='/')
    values = {
        'bucket_owner': plain(record.bucket_owner),
        'bucket': plain(record.bucket),
        'time': log_time(record.time),
        'remote_ip': plain(record.remote_ip),
        'requester': plain(record.requester),
        'request_id': plain(record.request_id),
        'operation': plain(record.operation),
        'key': plain(key),
        'request_uri': quoted(request_uri(record)),
        'http_status': plain(record.http_status),
        'error_code': plain(record.error_code),
        'bytes_sent': _size(record.bytes_sent, True),
        'object_size': _size(record.object_size, False),
        'total_time': _size(record.total_time_ms, False),
        'turn_around_time': _size(record.turn_around_ms, False),
        'referer': quoted(record.referer),
        'user_agent': quoted(record.user_agent),
        'version_id': plain(record.version_id),
        'host_id': plain(record.host_id),
        'signature_version': plain(record.signature_version),
        'cipher_suite': plain(record.cipher_suite),
        'authentication_type': plain(record.authentication_type),
        'host_header': plain(record.host_header),
        'tls_version': plain(record.tls_version),
        'access_point_arn': plain(record.access_point_arn),
        'acl_required': 'Yes' if record.acl_required else DASH,
    }
    return ' '.join(values[name] for name in FIELD_NAMES)


# -- parsing (what log readers do; used by the tests and the docs) -------------------
_TOKEN = re.compile(r'\[[^\]]*\]|"[^"]*"|\S+')


def parse_line(line: str) -> Dict[str, str]:
    """The fields of one record by name (quotes and brackets kept off);
    ValueError when the line does not have exactly the fields above."""
    tokens = _TOKEN.findall(line.rstrip('\n'))
    if len(tokens) != len(FIELD_NAMES):
        raise ValueError('expected %d fields, got %d: %r'
                         % (len(FIELD_NAMES), len(tokens), line))
    out = {}
    for name, token in zip(FIELD_NAMES, tokens):
        if name in QUOTED:
            if not (token.startswith('"') and token.endswith('"')):
                raise ValueError('%s is not quoted: %r' % (name, token))
            token = token[1:-1]
        elif name == 'time':
            if not (token.startswith('[') and token.endswith(']')):
                raise ValueError('time is not bracketed: %r' % token)
            token = token[1:-1]
        out[name] = token
    return out


# -- log object keys ---------------------------------------------------------------
SIMPLE = 'simple'
PARTITIONED = 'partitioned'
EVENT_TIME = 'EventTime'
DELIVERY_TIME = 'DeliveryTime'


def object_key(prefix: str, key_format: Optional[Mapping[str, Any]], unique: str,
               delivery_time: float, event_time: float,
               source_account: str, region: str, source_bucket: str) -> str:
    """The key of a log object.

    SimplePrefix (the default)::

        [TargetPrefix]YYYY-MM-DD-hh-mm-ss-[UniqueString]

    PartitionedPrefix::

        [TargetPrefix][SourceAccountId]/[SourceRegion]/[SourceBucket]/
        YYYY/MM/DD/YYYY-MM-DD-hh-mm-ss-[UniqueString]

    with the delivery time, or with ``EventTime`` the day of the records'
    events and hh-mm-ss 00-00-00.
    """
    if not key_format or key_format.get('format') != PARTITIONED:
        return prefix + time.strftime('%Y-%m-%d-%H-%M-%S-',
                                      time.gmtime(delivery_time)) + unique
    if key_format.get('source', EVENT_TIME) == EVENT_TIME:
        day = time.gmtime(event_time)
        stamp = time.strftime('%Y-%m-%d-00-00-00-', day)
    else:
        day = time.gmtime(delivery_time)
        stamp = time.strftime('%Y-%m-%d-%H-%M-%S-', day)
    return '%s%s/%s/%s/%s%s%s' % (prefix, source_account, region,
                                  source_bucket,
                                  time.strftime('%Y/%m/%d/', day), stamp,
                                  unique)


def event_day(epoch: float) -> str:
    """The UTC day of an event (how EventTime batches are split)."""
    return time.strftime('%Y-%m-%d', time.gmtime(epoch))

