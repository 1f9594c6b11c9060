"""S3 Object Lock, the pure model: no WSGI, no Swift.

What is parsed and decided here:

* the bucket configuration (``PUT/GET ?object-lock``): ``ObjectLockEnabled``
  and an optional default retention (mode + ``Days`` or ``Years``), and its
  one-line stored form (``encode_config`` / ``decode_config``);
* a version's lock: retention (mode + retain-until date) and legal hold,
  from the ``x-amz-object-lock-*`` request headers, the ``?retention`` and
  ``?legal-hold`` documents, and their stored form (``Lock.from_stored`` /
  ``Lock.stored``);
* the decisions, all against a ``now`` given by the caller (the proxy's
  clock): may this version be deleted or overwritten (``deletion_block``),
  may its retention change (``check_retention_change``).

Every error is the one AWS sends (error classes from ``swift3compat.errors``
and the two below).
"""
from __future__ import annotations

import calendar
import re
import time
from dataclasses import dataclass, replace
from typing import Any, Callable, Dict, List, Optional, Tuple

from swift3compat import errors

GOVERNANCE = 'GOVERNANCE'
COMPLIANCE = 'COMPLIANCE'
MODES = (GOVERNANCE, COMPLIANCE)
ON, OFF = 'ON', 'OFF'
ENABLED = 'Enabled'

# Request / response headers
MODE_HEADER = 'x-amz-object-lock-mode'
UNTIL_HEADER = 'x-amz-object-lock-retain-until-date'
HOLD_HEADER = 'x-amz-object-lock-legal-hold'
BYPASS_HEADER = 'x-amz-bypass-governance-retention'
BUCKET_ENABLED_HEADER = 'x-amz-bucket-object-lock-enabled'

# AWS's limits on a default retention period.
MAX_DAYS = 36500
MAX_YEARS = 100
DAYS_PER_YEAR = 365

XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/'


def missing_configuration() -> errors.S3Error:
    """Lock parameters on a bucket without Object Lock."""
    return errors.InvalidRequest('Bucket is missing Object Lock Configuration')


def protected() -> errors.S3Error:
    return errors.AccessDenied(
        'Access Denied because object protected by object lock.')


def checksum_required() -> errors.S3Error:
    return errors.InvalidRequest(
        'Content-MD5 OR x-amz-checksum- HTTP header is required for Put '
        'Object requests with Object Lock parameters')


def versioning_locked() -> errors.S3Error:
    return errors.InvalidBucketState(
        'An Object Lock configuration is present on this bucket, so the '
        'versioning state cannot be changed.')


def versioning_required() -> errors.S3Error:
    return errors.InvalidBucketState(
        "Versioning must be 'Enabled' on the bucket to apply a Object Lock "
        "configuration")


# -- dates --------------------------------------------------------------------
_ISO = re.compile(
    r'^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?'
    r'(Z|z|[+-]\d{2}:?\d{2})?$')


def parse_date(text: str) -> float:
    """An ISO 8601 date-time (``2030-01-01T00:00:00Z``,
    ``...00.000Z``, ``...+02:00``, no zone: UTC) → epoch seconds.
    ValueError when it is not one."""
    match = _ISO.match(text.strip())
    if not match:
        raise ValueError('not an ISO 8601 date-time: %r' % text)
    year, month, day, hour, minute, second = (int(g) for g in
                                              match.groups()[:6])
    fraction = match.group(7) or ''
    zone = match.group(8) or 'Z'
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and
            minute < 60 and second < 61):
        raise ValueError('not a valid date-time: %r' % text)
    # validates the day of the month too
    time.strptime('%04d-%02d-%02d' % (year, month, day), '%Y-%m-%d')
    epoch: float = calendar.timegm((year, month, day, hour, minute, second,
                                    0, 0, 0))
    if fraction:
        epoch += int(fraction[:3].ljust(3, '0')) / 1000.0
    if zone not in ('Z', 'z'):
        sign = -1 if zone[0] == '+' else 1
        digits = zone[1:].replace(':', '')
        epoch += sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return epoch


def format_date(epoch: float) -> str:
    """Epoch seconds → ``2030-01-01T00:00:00.000Z`` (AWS's form)."""
    millis = int(round(epoch * 1000))
    seconds, ms = divmod(millis, 1000)
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(seconds)) + \
        '.%03dZ' % ms


# -- a version's lock -----------------------------------------------------------
@dataclass(frozen=True)
class Retention:
    mode: str
    until: float        # epoch seconds (millisecond precision)

    @property
    def until_text(self) -> str:
        return format_date(self.until)

    def active(self, now: float) -> bool:
        return self.until > now


@dataclass(frozen=True)
class Lock:
    """What protects one object version."""

    retention: Optional[Retention] = None
    legal_hold: Optional[bool] = None     # None: never set

    # -- stored form: two short values (see swift.sysmeta) --------------
    @classmethod
    def from_stored(cls, retention: Optional[str],
                    legal_hold: Optional[str]) -> 'Lock':
        """From the stored values (``"<MODE> <date>"`` and ``ON``/``OFF``);
        empty or unreadable values mean nothing is set (never raises: a
        stored value is ours)."""
        parsed = None
        if retention:
            mode, _, until = retention.strip().partition(' ')
            try:
                if mode in MODES:
                    parsed = Retention(mode, parse_date(until))
            except ValueError:
                parsed = None
        hold = None
        if legal_hold:
            hold = legal_hold.strip().upper() == ON
        return cls(parsed, hold)

    @property
    def stored_retention(self) -> str:
        """The stored retention value ('' removes it)."""
        if self.retention is None:
            return ''
        return '%s %s' % (self.retention.mode, self.retention.until_text)

    @property
    def stored_legal_hold(self) -> str:
        if self.legal_hold is None:
            return ''
        return ON if self.legal_hold else OFF

    def is_set(self) -> bool:
        return self.retention is not None or self.legal_hold is not None

    def deletion_block(self, now: float, bypass: bool = False
                       ) -> Optional[str]:
        """Why this version may not be deleted or overwritten now (None:
        it may).  ``bypass``: the caller sent
        ``x-amz-bypass-governance-retention: true`` and may bypass."""
        if self.legal_hold:
            return 'legal hold'
        r = self.retention
        if r is not None and r.active(now):
            if r.mode == COMPLIANCE:
                return 'COMPLIANCE retention until %s' % r.until_text
            if not bypass:
                return 'GOVERNANCE retention until %s' % r.until_text
        return None

    def protected_until(self, now: float) -> Optional[float]:
        """While retention is active: until when (ignores legal hold)."""
        r = self.retention
        return r.until if r is not None and r.active(now) else None

    def response_headers(self) -> Dict[str, str]:
        """``x-amz-object-lock-*`` headers of GET/HEAD."""
        out = {}
        if self.retention is not None:
            out[MODE_HEADER] = self.retention.mode
            out[UNTIL_HEADER] = self.retention.until_text
        if self.legal_hold is not None:
            out[HOLD_HEADER] = self.stored_legal_hold
        return out


# -- request headers (PUT, copy, POST form fields, CreateMultipartUpload) -----
def lock_from_headers(get: Callable[[str], Optional[str]], now: float) -> Tuple[Lock, bool]:
    """The lock a write asks for with ``x-amz-object-lock-*`` (``get``:
    name → value or None, e.g. ``req.header``) and whether it asked for
    one at all.  AWS's InvalidArgument errors for bad values."""
    mode, until, hold = get(MODE_HEADER), get(UNTIL_HEADER), get(HOLD_HEADER)
    asked = any(v is not None for v in (mode, until, hold))
    retention = None
    if (mode is None) != (until is None):
        raise errors.InvalidArgument(
            'x-amz-object-lock-retain-until-date and x-amz-object-lock-mode '
            'must both be supplied',
            ArgumentName=MODE_HEADER if mode is None else UNTIL_HEADER,
            ArgumentValue=None)
    if mode is not None and until is not None:   # both or neither, above
        if mode not in MODES:
            raise errors.InvalidArgument('Unknown wormMode directive.',
                                         ArgumentName=MODE_HEADER,
                                         ArgumentValue=mode)
        try:
            epoch = parse_date(until)
        except ValueError:
            raise errors.InvalidArgument(
                'The retain until date must be provided in ISO 8601 format',
                ArgumentName=UNTIL_HEADER, ArgumentValue=until) from None
        if epoch <= now:
            raise errors.InvalidArgument(
                'The retain until date must be in the future!',
                ArgumentName=UNTIL_HEADER, ArgumentValue=until)
        retention = Retention(mode, epoch)
    legal_hold = None
    if hold is not None:
        if hold not in (ON, OFF):
            raise errors.InvalidArgument(
                "Legal Hold must be either of 'ON' or 'OFF'",
                ArgumentName=HOLD_HEADER, ArgumentValue=hold)
        legal_hold = hold == ON
    return Lock(retention, legal_hold), asked


def bypass_requested(get: Callable[[str], Optional[str]]) -> bool:
    value = get(BYPASS_HEADER)
    return value is not None and value.strip().lower() == 'true'


# -- bucket configuration ---------------------------------------------------------
@dataclass(frozen=True)
class DefaultRetention:
    mode: str
    days: Optional[int] = None
    years: Optional[int] = None

    def seconds(self, day_seconds: int) -> int:
        days = self.days if self.days is not None else \
            (self.years or 0) * DAYS_PER_YEAR
        return days * day_seconds

    def retention(self, now: float, day_seconds: int) -> Retention:
        """The retention a new version written at ``now`` gets."""
        return Retention(self.mode, float(int(now + self.seconds(
            day_seconds))))


@dataclass(frozen=True)
class LockConfig:
    """A bucket's Object Lock configuration (``enabled`` is always true
    for a stored one; there is no way back)."""

    enabled: bool = True
    default: Optional[DefaultRetention] = None

    def new_version_lock(self, asked: Lock, now: float,
                         day_seconds: int) -> Lock:
        """The lock of a new version: what the write asked for, with the
        default retention where it asked for none."""
        if asked.retention is None and self.default is not None:
            return replace(asked, retention=self.default.retention(
                now, day_seconds))
        return asked

    def requires_checksum(self, asked: bool) -> bool:
        """Does a PutObject need Content-MD5 or an x-amz-checksum-*?"""
        return asked or self.default is not None


def encode_config(cfg: LockConfig) -> str:
    """Stored form: ``Enabled``, ``Enabled GOVERNANCE 30d``,
    ``Enabled COMPLIANCE 1y``."""
    if cfg.default is None:
        return ENABLED
    d = cfg.default
    period = '%dd' % d.days if d.days is not None else '%dy' % (d.years or 0)
    return '%s %s %s' % (ENABLED, d.mode, period)


def decode_config(text: Optional[str]) -> Optional[LockConfig]:
    """The stored configuration, or None: Object Lock is not enabled."""
    if not text:
        return None
    words = text.split()
    if not words or words[0] != ENABLED:
        return None
    if len(words) == 3 and words[1] in MODES and words[2][:-1].isdigit() \
            and words[2][-1:] in ('d', 'y'):
        number = int(words[2][:-1])
        default = DefaultRetention(words[1], days=number) \
            if words[2].endswith('d') else \
            DefaultRetention(words[1], years=number)
        return LockConfig(True, default)
    return LockConfig(True, None)


def _children(node: Any) -> Dict[str, List[Any]]:
    out: Dict[str, List[Any]] = {}
    for child in node:
        if not isinstance(child.tag, str):
            continue
        out.setdefault(_local(child.tag), []).append(child)
    return out


def _local(tag: str) -> str:
    return tag.rpartition('}')[2]


def _only(children: Dict[str, List[Any]], name: str,
          required: bool = False) -> Any:
    nodes = children.get(name, [])
    if len(nodes) > 1 or (required and not nodes):
        raise errors.MalformedXML()
    return nodes[0] if nodes else None


def _text(node: Any) -> str:
    return str(node.text or '').strip()


def _allowed_children(children: Dict[str, List[Any]], names: Tuple[str, ...]) -> None:
    if set(children) - set(names):
        raise errors.MalformedXML()


def parse_config(root: Any) -> LockConfig:
    """``<ObjectLockConfiguration>`` (a parsed root element) → LockConfig.
    MalformedXML / InvalidRetentionPeriod as AWS."""
    if _local(root.tag) != 'ObjectLockConfiguration':
        raise errors.MalformedXML()
    children = _children(root)
    _allowed_children(children, ('ObjectLockEnabled', 'Rule'))
    enabled = _only(children, 'ObjectLockEnabled')
    if enabled is None or _text(enabled) != ENABLED:
        raise errors.MalformedXML()
    rule = _only(children, 'Rule')
    if rule is None:
        return LockConfig(True, None)
    rule_children = _children(rule)
    _allowed_children(rule_children, ('DefaultRetention',))
    node = _only(rule_children, 'DefaultRetention', required=True)
    fields = _children(node)
    _allowed_children(fields, ('Mode', 'Days', 'Years'))
    mode = _only(fields, 'Mode', required=True)
    days, years = _only(fields, 'Days'), _only(fields, 'Years')
    if _text(mode) not in MODES or (days is None) == (years is None):
        raise errors.MalformedXML()
    period = _text(days if days is not None else years)
    try:
        number = int(period)
    except ValueError:
        raise errors.MalformedXML() from None
    if number <= 0:
        raise errors.InvalidRetentionPeriod()
    if (days is not None and number > MAX_DAYS) or \
            (years is not None and number > MAX_YEARS):
        raise errors.InvalidRetentionPeriod('Default retention period too large.')
    if days is not None:
        return LockConfig(True, DefaultRetention(_text(mode), days=number))
    return LockConfig(True, DefaultRetention(_text(mode), years=number))


def _esc(text: str) -> str:
    return text.replace('&', '&amp;').replace('<', '&lt;')


def config_xml(cfg: LockConfig) -> bytes:
    parts = ['<ObjectLockConfiguration xmlns="%s">' % XMLNS,
             '<ObjectLockEnabled>Enabled</ObjectLockEnabled>']
    if cfg.default is not None:
        d = cfg.default
        period = '<Days>%d</Days>' % d.days if d.days is not None else \
            '<Years>%d</Years>' % (d.years or 0)
        parts.append('<Rule><DefaultRetention><Mode>%s</Mode>%s'
                     '</DefaultRetention></Rule>' % (d.mode, period))
    parts.append('</ObjectLockConfiguration>')
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' +
            ''.join(parts)).encode('utf-8')


# -- ?retention and ?legal-hold documents -------------------------------------------
def parse_retention(root: Any, now: float) -> Optional[Retention]:
    """``<Retention>`` → Retention; None for an empty document (remove
    the retention)."""
    if _local(root.tag) != 'Retention':
        raise errors.MalformedXML()
    children = _children(root)
    _allowed_children(children, ('Mode', 'RetainUntilDate'))
    mode = _only(children, 'Mode')
    until = _only(children, 'RetainUntilDate')
    if mode is None and until is None:
        return None
    if mode is None or until is None or _text(mode) not in MODES:
        raise errors.MalformedXML()
    try:
        epoch = parse_date(_text(until))
    except ValueError:
        raise errors.MalformedXML() from None
    if epoch <= now:
        raise errors.InvalidArgument(
            'The retain until date must be in the future!',
            ArgumentName='RetainUntilDate', ArgumentValue=_text(until))
    return Retention(_text(mode), epoch)


def retention_xml(retention: Retention) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<Retention xmlns="%s"><Mode>%s</Mode><RetainUntilDate>%s'
            '</RetainUntilDate></Retention>' % (
                XMLNS, retention.mode, retention.until_text)).encode()


def parse_legal_hold(root: Any) -> bool:
    """``<LegalHold><Status>ON|OFF</Status></LegalHold>`` → on?"""
    if _local(root.tag) != 'LegalHold':
        raise errors.MalformedXML()
    children = _children(root)
    _allowed_children(children, ('Status',))
    status = _only(children, 'Status', required=True)
    if _text(status) not in (ON, OFF):
        raise errors.MalformedXML()
    return _text(status) == ON


def legal_hold_xml(on: bool) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<LegalHold xmlns="%s"><Status>%s</Status></LegalHold>' % (
                XMLNS, ON if on else OFF)).encode()


# -- decisions ------------------------------------------------------------------------
def check_retention_change(current: Lock, wanted: Optional[Retention],
                           now: float, bypass: bool) -> None:
    """May a version's retention become ``wanted`` (None: removed)?

    While the current retention is active, anything but keeping the mode
    and keeping or extending the date weakens it: under COMPLIANCE that is
    refused to everyone, under GOVERNANCE it needs the bypass (AWS also
    requires the bypass to move GOVERNANCE to COMPLIANCE).  AccessDenied
    otherwise."""
    old = current.retention
    if old is None or not old.active(now):
        return
    same_or_longer = wanted is not None and wanted.mode == old.mode and \
        wanted.until >= old.until
    if same_or_longer:
        return
    if old.mode == COMPLIANCE or not bypass:
        raise protected()
