"""S3 lifecycle rules: the model, AWS's validation, storage form, evaluation.

Pure code (no Swift, no WSGI): ``api/lifecycle.py`` parses a
PutBucketLifecycleConfiguration body with ``parse`` and stores ``to_json``
in container sysmeta; the object handlers and the sweeper
(``swift3compat.sweeper``) load it with ``from_json`` and ask
``current_expiry`` / ``noncurrent_expiry`` / ``upload_abort_time``.

Supported, as AWS defines them:

* ``Filter`` with ``Prefix``, ``Tag``, ``ObjectSizeGreaterThan``,
  ``ObjectSizeLessThan`` or ``And`` of those; an empty ``Filter``; the
  legacy rule-level ``Prefix`` (what older clients send);
* ``Expiration`` with ``Days``, ``Date`` or ``ExpiredObjectDeleteMarker``;
  ``NoncurrentVersionExpiration`` with ``NoncurrentDays`` and
  ``NewerNoncurrentVersions``; ``AbortIncompleteMultipartUpload`` with
  ``DaysAfterInitiation``.

Transitions (``Transition``, ``NoncurrentVersionTransition``) have nothing
to map to in Swift (a storage policy is fixed per container) and are
refused with NotImplemented rather than accepted and ignored, once the
configuration is valid otherwise (a bad date or day count is AWS's 400).

Times: a rule of N days expires an object N days after its creation,
rounded up to the next midnight UTC, as AWS does.  ``day`` (seconds) is a
parameter everywhere so that tests can shorten it
(``lifecycle_day_seconds``); midnight is then the next multiple of ``day``.
"""
from __future__ import annotations

import base64
import calendar
import json
import math
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, cast

from swift3compat import errors
from swift3compat.http import xml

MAX_RULES = 1000
MAX_ID_LENGTH = 255
MAX_NEWER_NONCURRENT = 100
ENABLED, DISABLED = 'Enabled', 'Disabled'

# Filter forms, kept so that GET returns the configuration as it was given.
LEGACY, EMPTY, PREFIX, TAG, AND, GREATER, LESS = (
    'legacy', 'empty', 'prefix', 'tag', 'and', 'gt', 'lt')

_DATE = re.compile(r'^(\d{4})-(\d{2})-(\d{2})'
                   r'(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?'
                   r'(Z|[+-]00:?00)?)?$')
_INT = re.compile(r'^\s*-?\d+\s*$')
_ACTIONS = ('Expiration', 'NoncurrentVersionExpiration',
            'AbortIncompleteMultipartUpload')
_TRANSITIONS = ('Transition', 'NoncurrentVersionTransition')
# TransitionStorageClass (AWS API reference)
TRANSITION_STORAGE_CLASSES = frozenset((
    'GLACIER', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING',
    'DEEP_ARCHIVE', 'GLACIER_IR'))
_RULE_CHILDREN = frozenset(('ID', 'Prefix', 'Filter', 'Status') + _ACTIONS
                           + _TRANSITIONS)


@dataclass(frozen=True)
class Filter:
    """Which objects a rule applies to; all given conditions must hold."""

    form: str = EMPTY
    prefix: str = ''
    tags: Tuple[Tuple[str, str], ...] = ()
    size_gt: Optional[int] = None
    size_lt: Optional[int] = None

    def matches_key(self, key: str, size: Optional[int]) -> bool:
        """Prefix and size conditions (what a listing can tell)."""
        if not key.startswith(self.prefix):
            return False
        if size is None:
            return self.size_gt is None and self.size_lt is None
        if self.size_gt is not None and not size > self.size_gt:
            return False
        return self.size_lt is None or size < self.size_lt

    def matches(self, key: str, size: Optional[int],
                tags: Mapping[str, str]) -> bool:
        return self.matches_key(key, size) and all(
            tags.get(k) == v for k, v in self.tags)


@dataclass(frozen=True)
class Rule:
    id: str
    enabled: bool
    filter: Filter
    days: Optional[int] = None
    date: Optional[str] = None           # ISO 8601, midnight UTC
    expired_object_delete_marker: Optional[bool] = None
    noncurrent_days: Optional[int] = None
    newer_noncurrent_versions: Optional[int] = None
    abort_days: Optional[int] = None

    @property
    def date_epoch(self) -> Optional[float]:
        return None if self.date is None else _epoch(self.date)


@dataclass(frozen=True)
class Configuration:
    rules: Tuple[Rule, ...] = field(default_factory=tuple)

    @property
    def has_tag_filters(self) -> bool:
        return any(r.filter.tags for r in self.rules if r.enabled)

    @property
    def has_size_filters(self) -> bool:
        return any(r.filter.size_gt is not None or r.filter.size_lt is not None
                   for r in self.rules if r.enabled)


# -- parsing (AWS validation) ---------------------------------------------------
def parse(body: bytes) -> Configuration:
    """A PutBucketLifecycleConfiguration body → Configuration, or the S3
    error AWS answers for it."""
    root = xml.parse(body, 'LifecycleConfiguration')
    nodes = [n for n in root if isinstance(n.tag, str)]
    if not nodes or any(xml.local(n.tag) != 'Rule' for n in nodes):
        raise errors.MalformedXML()
    if len(nodes) > MAX_RULES:
        raise errors.InvalidArgument(
            'The number of lifecycle rules must not exceed the allowed limit '
            'of %d rules' % MAX_RULES, ArgumentName='LifecycleConfiguration')
    rules = [_parse_rule(node) for node in nodes]
    seen = set()
    for rule in rules:
        if rule.id in seen:
            raise errors.InvalidArgument(
                'Rule ID must be unique. Found same ID for more than one '
                'rule', ArgumentName='ID', ArgumentValue=rule.id)
        seen.add(rule.id)
    # A configuration AWS would refuse answers its 400 first; a valid one
    # with a transition is what is not implemented.
    if any(name in _children(node) for node in nodes
           for name in _TRANSITIONS):
        raise errors.NotImplemented(
            'Lifecycle transitions are not implemented: Swift keeps an '
            'object in its container\'s storage policy')
    return Configuration(tuple(rules))


def _children(node: Any) -> Dict[str, List[Any]]:
    out: Dict[str, List[Any]] = {}
    for child in node:
        if isinstance(child.tag, str):
            out.setdefault(xml.local(child.tag), []).append(child)
    return out


def _single(children: Dict[str, List[Any]], name: str) -> Any:
    nodes = children.get(name, [])
    if len(nodes) > 1:
        raise errors.MalformedXML()
    return nodes[0] if nodes else None


def _text(node: Any) -> str:
    return (node.text or '').strip() if node is not None else ''


def _parse_rule(node: Any) -> Rule:
    children = _children(node)
    if set(children) - _RULE_CHILDREN:
        raise errors.MalformedXML()
    for step in children.get('Transition', []):
        _check_transition(step)
    for step in children.get('NoncurrentVersionTransition', []):
        _check_noncurrent_transition(step)
    rule_id = _text(_single(children, 'ID')) if 'ID' in children else ''
    if len(rule_id) > MAX_ID_LENGTH:
        raise errors.InvalidArgument(
            'ID length should not exceed allowed limit of %d'
            % MAX_ID_LENGTH, ArgumentName='ID', ArgumentValue=rule_id)
    if not rule_id:
        rule_id = base64.b64encode(str(uuid.uuid4()).encode()).decode()
    status = _text(_single(children, 'Status'))
    if status not in (ENABLED, DISABLED):
        raise errors.MalformedXML()
    rule_filter = _parse_rule_filter(children)
    fields = dict(id=rule_id, enabled=status == ENABLED, filter=rule_filter)
    if not any(name in children for name in _ACTIONS + _TRANSITIONS):
        raise errors.InvalidRequest(
            'At least one action needs to be specified in a rule')
    fields.update(_parse_expiration(_single(children, 'Expiration'),
                                    rule_filter))
    fields.update(_parse_noncurrent(
        _single(children, 'NoncurrentVersionExpiration')))
    abort = _single(children, 'AbortIncompleteMultipartUpload')
    if abort is not None:
        if rule_filter.tags or rule_filter.size_gt is not None or \
                rule_filter.size_lt is not None:
            raise errors.InvalidRequest(
                'AbortIncompleteMultipartUpload cannot be specified with '
                'Tags or object size filters.')
        fields['abort_days'] = _positive(
            _single(_children(abort), 'DaysAfterInitiation'),
            'DaysAfterInitiation', 'AbortIncompleteMultipartUpload')
    return Rule(**fields)  # type: ignore[arg-type]  # fields typed by parser


def _parse_rule_filter(children: Dict[str, List[Any]]) -> Filter:
    legacy = _single(children, 'Prefix')
    node = _single(children, 'Filter')
    if (legacy is None) == (node is None):
        raise errors.MalformedXML()
    if legacy is not None:
        return Filter(LEGACY, prefix=legacy.text or '')
    parts = _children(node)
    if not parts:
        return Filter(EMPTY)
    if len(parts) != 1 or len(next(iter(parts.values()))) != 1:
        raise errors.MalformedXML()
    name, (child,) = next(iter(parts.items()))
    if name == 'Prefix':
        return Filter(PREFIX, prefix=child.text or '')
    if name == 'Tag':
        return Filter(TAG, tags=(_parse_tag(child),))
    if name == 'ObjectSizeGreaterThan':
        return _sized(Filter(GREATER, size_gt=_size(child)))
    if name == 'ObjectSizeLessThan':
        return _sized(Filter(LESS, size_lt=_size(child)))
    if name == 'And':
        return _parse_and(child)
    raise errors.MalformedXML()


def _parse_and(node: Any) -> Filter:
    parts = _children(node)
    if set(parts) - {'Prefix', 'Tag', 'ObjectSizeGreaterThan',
                     'ObjectSizeLessThan'}:
        raise errors.MalformedXML()
    prefix = _single(parts, 'Prefix')
    tags = tuple(_parse_tag(t) for t in parts.get('Tag', []))
    keys = [k for k, _v in tags]
    if len(set(keys)) != len(keys):
        raise errors.InvalidRequest('Duplicate Tag Keys are not allowed.')
    gt = _single(parts, 'ObjectSizeGreaterThan')
    lt = _single(parts, 'ObjectSizeLessThan')
    return _sized(Filter(
        AND, prefix=(prefix.text or '') if prefix is not None else '',
        tags=tags, size_gt=_size(gt) if gt is not None else None,
        size_lt=_size(lt) if lt is not None else None))


def _parse_tag(node: Any) -> Tuple[str, str]:
    parts = _children(node)
    key, value = _single(parts, 'Key'), _single(parts, 'Value')
    if key is None or value is None or set(parts) - {'Key', 'Value'}:
        raise errors.MalformedXML()
    return key.text or '', value.text or ''


def _size(node: Any) -> int:
    text = _text(node)
    if not _INT.match(text):
        raise errors.MalformedXML()
    value = int(text)
    if value < 0:
        raise errors.InvalidArgument(
            'Object size filters must be non-negative',
            ArgumentName=xml.local(node.tag), ArgumentValue=text)
    return value


def _sized(rule_filter: Filter) -> Filter:
    gt, lt = rule_filter.size_gt, rule_filter.size_lt
    if gt is not None and lt is not None and gt >= lt:
        raise errors.InvalidArgument(
            'ObjectSizeGreaterThan must be less than ObjectSizeLessThan',
            ArgumentName='ObjectSizeGreaterThan', ArgumentValue=str(gt))
    return rule_filter


def _positive(node: Any, name: str, action: str) -> int:
    text = _text(node)
    if node is None or not _INT.match(text):
        raise errors.MalformedXML()
    value = int(text)
    if value <= 0:
        raise errors.InvalidArgument(
            "'%s' for %s action must be a positive integer" % (name, action),
            ArgumentName=name, ArgumentValue=text)
    return value


def _parse_expiration(node: Any, rule_filter: Filter) -> Dict[str, object]:
    if node is None:
        return {}
    parts = _children(node)
    if set(parts) - {'Days', 'Date', 'ExpiredObjectDeleteMarker'}:
        raise errors.MalformedXML()
    days, date = _single(parts, 'Days'), _single(parts, 'Date')
    marker = _single(parts, 'ExpiredObjectDeleteMarker')
    given = [n for n in (days, date, marker) if n is not None]
    if len(given) != 1:
        if marker is not None and given:
            raise errors.InvalidArgument(
                'ExpiredObjectDeleteMarker cannot be specified with Days or '
                'Date in a Lifecycle Expiration Policy.',
                ArgumentName='ExpiredObjectDeleteMarker')
        raise errors.MalformedXML()
    if days is not None:
        return {'days': _positive(days, 'Days', 'Expiration')}
    if date is not None:
        return {'date': _parse_date(_text(date))}
    value = _text(marker).lower()
    if value not in ('true', 'false'):
        raise errors.MalformedXML()
    if rule_filter.tags:
        raise errors.InvalidArgument(
            'ExpiredObjectDeleteMarker cannot be specified with tag filters.',
            ArgumentName='ExpiredObjectDeleteMarker')
    return {'expired_object_delete_marker': value == 'true'}


def _parse_date(text: str) -> str:
    match = _DATE.match(text)
    if not match:
        raise errors.InvalidArgument('Invalid date', ArgumentName='Date',
                                     ArgumentValue=text)
    year, month, day, hour, minute, second, frac, _zone = match.groups()
    try:
        parsed = datetime(int(year), int(month), int(day),
                          int(hour or 0), int(minute or 0), int(second or 0),
                          tzinfo=timezone.utc)
    except ValueError:
        raise errors.InvalidArgument('Invalid date', ArgumentName='Date',
                                     ArgumentValue=text) from None
    if parsed.hour or parsed.minute or parsed.second or \
            (frac and int(frac)):
        raise errors.InvalidArgument("'Date' must be at midnight GMT",
                                     ArgumentName='Date', ArgumentValue=text)
    return parsed.strftime('%Y-%m-%dT00:00:00.000Z')


def _non_negative(node: Any, name: str, action: str) -> int:
    text = _text(node)
    if node is None or not _INT.match(text):
        raise errors.MalformedXML()
    value = int(text)
    if value < 0:
        raise errors.InvalidArgument(
            "'%s' in %s action must be nonnegative" % (name, action),
            ArgumentName=name, ArgumentValue=text)
    return value


def _transition_storage_class(parts: Dict[str, List[Any]]) -> None:
    if _text(_single(parts, 'StorageClass')) not in TRANSITION_STORAGE_CLASSES:
        raise errors.MalformedXML()


def _check_transition(node: Any) -> None:
    """A ``Transition`` as AWS validates it (exactly one of ``Days`` /
    ``Date``, a transition ``StorageClass``); never stored."""
    parts = _children(node)
    if set(parts) - {'Days', 'Date', 'StorageClass'}:
        raise errors.MalformedXML()
    days, date = _single(parts, 'Days'), _single(parts, 'Date')
    if (days is None) == (date is None):
        raise errors.MalformedXML()
    _transition_storage_class(parts)
    if days is not None:
        _non_negative(days, 'Days', 'Transition')
    else:
        _parse_date(_text(date))


def _check_noncurrent_transition(node: Any) -> None:
    parts = _children(node)
    if set(parts) - {'NoncurrentDays', 'StorageClass',
                     'NewerNoncurrentVersions'}:
        raise errors.MalformedXML()
    _transition_storage_class(parts)
    action = 'NoncurrentVersionTransition'
    _non_negative(_single(parts, 'NoncurrentDays'), 'NoncurrentDays', action)
    newer = _single(parts, 'NewerNoncurrentVersions')
    if newer is not None:
        _positive(newer, 'NewerNoncurrentVersions', action)


def _parse_noncurrent(node: Any) -> Dict[str, object]:
    if node is None:
        return {}
    parts = _children(node)
    if set(parts) - {'NoncurrentDays', 'NewerNoncurrentVersions'}:
        raise errors.MalformedXML()
    action = 'NoncurrentVersionExpiration'
    out: Dict[str, object] = {'noncurrent_days': _positive(
        _single(parts, 'NoncurrentDays'), 'NoncurrentDays', action)}
    newer = _single(parts, 'NewerNoncurrentVersions')
    if newer is not None:
        value = _positive(newer, 'NewerNoncurrentVersions', action)
        if value > MAX_NEWER_NONCURRENT:
            raise errors.InvalidArgument(
                "'NewerNoncurrentVersions' for %s action must be a positive "
                'integer up to %d' % (action, MAX_NEWER_NONCURRENT),
                ArgumentName='NewerNoncurrentVersions',
                ArgumentValue=str(value))
        out['newer_noncurrent_versions'] = value
    return out


def _epoch(iso: str) -> float:
    return float(calendar.timegm(
        datetime.strptime(iso[:10], '%Y-%m-%d').timetuple()))


# -- XML for GET ------------------------------------------------------------------
def to_xml(config: Configuration) -> bytes:
    return xml.document('LifecycleConfiguration',
                        [_rule_xml(rule) for rule in config.rules])


def _tag_xml(tag: Tuple[str, str]) -> str:
    return '<Tag>%s%s</Tag>' % (xml.elem('Key', tag[0]),
                                xml.elem('Value', tag[1]))


def _filter_xml(f: Filter) -> str:
    if f.form == LEGACY:
        return xml.elem('Prefix', f.prefix)
    if f.form == EMPTY:
        return '<Filter></Filter>'
    inner = ''.join((
        xml.elem('Prefix', f.prefix) if f.form in (PREFIX, AND) and
        (f.prefix or f.form == PREFIX) else '',
        ''.join(_tag_xml(t) for t in f.tags),
        xml.elem('ObjectSizeGreaterThan', f.size_gt),
        xml.elem('ObjectSizeLessThan', f.size_lt)))
    if f.form == AND:
        inner = '<And>%s</And>' % inner
    return '<Filter>%s</Filter>' % inner


def _rule_xml(rule: Rule) -> str:
    parts = [xml.elem('ID', rule.id), _filter_xml(rule.filter),
             xml.elem('Status', ENABLED if rule.enabled else DISABLED)]
    if rule.days is not None or rule.date is not None or \
            rule.expired_object_delete_marker is not None:
        marker = rule.expired_object_delete_marker
        parts.append('<Expiration>%s%s%s</Expiration>' % (
            xml.elem('Days', rule.days), xml.elem('Date', rule.date),
            xml.elem('ExpiredObjectDeleteMarker',
                     None if marker is None else str(marker).lower())))
    if rule.noncurrent_days is not None:
        parts.append('<NoncurrentVersionExpiration>%s%s'
                     '</NoncurrentVersionExpiration>' % (
                         xml.elem('NoncurrentDays', rule.noncurrent_days),
                         xml.elem('NewerNoncurrentVersions',
                                  rule.newer_noncurrent_versions)))
    if rule.abort_days is not None:
        parts.append('<AbortIncompleteMultipartUpload>%s'
                     '</AbortIncompleteMultipartUpload>' % xml.elem(
                         'DaysAfterInitiation', rule.abort_days))
    return '<Rule>%s</Rule>' % ''.join(parts)


# -- storage form -------------------------------------------------------------------
_FIELDS = ('days', 'date', 'expired_object_delete_marker', 'noncurrent_days',
           'newer_noncurrent_versions', 'abort_days')


def to_json(config: Configuration) -> str:
    """Compact JSON for container sysmeta."""
    rules = []
    for rule in config.rules:
        f = rule.filter
        item: Dict[str, object] = {'id': rule.id, 'on': rule.enabled,
                                   'f': f.form}
        if f.prefix:
            item['p'] = f.prefix
        if f.tags:
            item['t'] = [list(t) for t in f.tags]
        if f.size_gt is not None:
            item['gt'] = f.size_gt
        if f.size_lt is not None:
            item['lt'] = f.size_lt
        for name in _FIELDS:
            value = getattr(rule, name)
            if value is not None:
                item[name] = value
        rules.append(item)
    return json.dumps(rules, separators=(',', ':'), sort_keys=True,
                      ensure_ascii=False)


def from_json(text: str) -> Configuration:
    rules = []
    for item in json.loads(text):
        rule_filter = Filter(item['f'], item.get('p', ''),
                             tuple(tuple(t) for t in item.get('t', ())),
                             item.get('gt'), item.get('lt'))
        rules.append(Rule(item['id'], item['on'], rule_filter,
                          **{n: item[n] for n in _FIELDS if n in item}))
    return Configuration(tuple(rules))


# -- evaluation -----------------------------------------------------------------------
def after_days(created: float, days: int, day: int) -> float:
    """``created`` + ``days``, rounded up to the next midnight (UTC; with a
    shortened ``day``, the next multiple of it)."""
    return float(math.ceil((created + days * day) / day) * day)


Expiry = Tuple[float, str]      # (epoch, rule id)


def _earliest(candidates: Iterable[Expiry]) -> Optional[Expiry]:
    return min(candidates, key=lambda c: c[0], default=None)


def current_expiry(config: Configuration, key: str, size: Optional[int],
                   created: float, tags: Mapping[str, str], day: int
                   ) -> Optional[Expiry]:
    """When the current version of ``key`` expires and by which rule (the
    earliest of the enabled rules that match), or None."""
    return _earliest(
        (_expiration_time(rule, created, day), rule.id)
        for rule in config.rules
        if rule.enabled and (rule.days or rule.date) and
        rule.filter.matches(key, size, tags))


def earliest_possible_expiry(config: Configuration, key: str,
                             size: Optional[int], created: float, day: int
                             ) -> Optional[float]:
    """The earliest expiry any rule could give ``key`` whatever its tags
    (what a listing can tell); None if no rule can expire it."""
    found = _earliest(
        (_expiration_time(rule, created, day), rule.id)
        for rule in config.rules
        if rule.enabled and (rule.days or rule.date) and
        rule.filter.matches_key(key, size))
    return found[0] if found else None


def _expiration_time(rule: Rule, created: float, day: int) -> float:
    if rule.date is not None:
        return cast(float, rule.date_epoch)
    return after_days(created, cast(int, rule.days), day)


def noncurrent_rules(config: Configuration) -> List[Rule]:
    return [r for r in config.rules
            if r.enabled and r.noncurrent_days is not None]


def noncurrent_expiry(rule: Rule, noncurrent_since: float, day: int
                      ) -> float:
    return after_days(noncurrent_since, cast(int, rule.noncurrent_days), day)


def removes_expired_delete_markers(config: Configuration, key: str) -> bool:
    return any(r.enabled and r.expired_object_delete_marker and
               r.filter.matches_key(key, None) for r in config.rules)


def upload_abort_time(config: Configuration, key: str, initiated: float,
                      day: int) -> Optional[float]:
    """When an incomplete multipart upload of ``key`` started at
    ``initiated`` is aborted, or None."""
    found = _earliest(
        (after_days(initiated, rule.abort_days, day), rule.id)
        for rule in config.rules
        if rule.enabled and rule.abort_days is not None and
        rule.filter.matches_key(key, None))
    return found[0] if found else None
