"""Bucket CORS configurations: parse, store, and match browser requests.

Pure functions and values, no WSGI and no Swift.  ``api/cors.py``
serves PUT/GET/DELETE ``?cors`` and the browser side: preflight ``OPTIONS``
requests and the ``Access-Control-*`` headers of actual requests (errors and
presigned-URL requests included).  Nothing needs enabling: every bucket may
carry a configuration (a preflight needs ``s3_acl = true``, whose bucket
index finds the bucket of an unsigned request).

Matching follows AWS: the first rule whose ``AllowedOrigin`` (at most one
``*`` wildcard) matches the ``Origin``, whose ``AllowedMethod`` holds the
(requested) method and, for a preflight, whose ``AllowedHeader`` patterns
cover every ``Access-Control-Request-Headers`` entry, case-insensitively.
A rule whose origin is the lone ``*`` answers ``Access-Control-Allow-Origin:
*``; other rules echo the origin and allow credentials.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Pattern, Sequence, Tuple

from swift3compat import errors
from swift3compat.http import xml

MAX_RULES = 100
MAX_ID_LENGTH = 255
METHODS = ('GET', 'PUT', 'POST', 'DELETE', 'HEAD')
VARY = 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method'
_RULE_FIELDS = ('ID', 'AllowedHeader', 'AllowedMethod', 'AllowedOrigin',
                'ExposeHeader', 'MaxAgeSeconds')


def _pattern(value: str, ignore_case: bool) -> Pattern[str]:
    head, star, tail = value.partition('*')
    body = re.escape(head) + ('.*' + re.escape(tail) if star else '')
    return re.compile('(?:%s)\\Z' % body,
                      re.DOTALL | (re.IGNORECASE if ignore_case else 0))


@dataclass(frozen=True)
class Rule:
    id: Optional[str]
    origins: Tuple[str, ...]
    methods: Tuple[str, ...]
    headers: Tuple[str, ...]
    expose: Tuple[str, ...]
    max_age: Optional[int]

    def origin_matches(self, origin: str) -> bool:
        return any(_pattern(o, False).match(origin) for o in self.origins)

    def headers_allowed(self, requested: Sequence[str]) -> bool:
        patterns = [_pattern(h, True) for h in self.headers]
        return all(any(p.match(h) for p in patterns) for h in requested)

    def response_headers(self, origin: str) -> Dict[str, str]:
        """The headers every response that this rule allows carries."""
        out = {}
        if self.origins == ('*',):
            out['Access-Control-Allow-Origin'] = '*'
        else:
            out['Access-Control-Allow-Origin'] = origin
            out['Access-Control-Allow-Credentials'] = 'true'
        out['Access-Control-Allow-Methods'] = ', '.join(self.methods)
        if self.expose:
            out['Access-Control-Expose-Headers'] = ', '.join(self.expose)
        if self.max_age is not None:
            out['Access-Control-Max-Age'] = str(self.max_age)
        out['Vary'] = VARY
        return out


@dataclass(frozen=True)
class Configuration:
    rules: Tuple[Rule, ...]

    # -- storage: compact JSON in container sysmeta ------------------------
    def to_json(self) -> str:
        return json.dumps([[r.id, r.origins, r.methods, r.headers, r.expose,
                            r.max_age] for r in self.rules],
                          separators=(',', ':'), ensure_ascii=True)

    @classmethod
    def from_json(cls, text: str) -> 'Configuration':
        """Parse ``to_json`` output; ValueError when it is not that."""
        try:
            data = json.loads(text)
            if not isinstance(data, list) or not data:
                raise ValueError('expected a list of rules')
            rules = tuple(Rule(i, tuple(o), tuple(m), tuple(h), tuple(e), a)
                          for i, o, m, h, e, a in data)
        except (TypeError, ValueError) as exc:
            raise ValueError('not a CORS configuration: %s' % exc) from None
        return cls(rules)

    # -- GetBucketCors ---------------------------------------------------------
    def to_xml(self) -> bytes:
        parts = []
        for r in self.rules:
            parts.append('<CORSRule>')
            parts.append(xml.elem('ID', r.id))
            parts.extend(xml.elem('AllowedHeader', h) for h in r.headers)
            parts.extend(xml.elem('AllowedMethod', m) for m in r.methods)
            parts.extend(xml.elem('AllowedOrigin', o) for o in r.origins)
            parts.extend(xml.elem('ExposeHeader', e) for e in r.expose)
            parts.append(xml.elem('MaxAgeSeconds', r.max_age))
            parts.append('</CORSRule>')
        return xml.document('CORSConfiguration', parts)

    # -- matching ------------------------------------------------------------------
    def preflight(self, origin: str, method: str,
                  requested_headers: Sequence[str]) -> Optional[Rule]:
        """The rule that allows a preflight, or None."""
        for rule in self.rules:
            if rule.origin_matches(origin) and method in rule.methods and \
                    rule.headers_allowed(requested_headers):
                return rule
        return None

    def actual(self, origin: str, method: str) -> Optional[Rule]:
        """The rule that allows an actual cross-origin request, or None."""
        for rule in self.rules:
            if rule.origin_matches(origin) and method in rule.methods:
                return rule
        return None


def preflight_headers(rule: Rule, origin: str,
                      requested_headers: Sequence[str]) -> Dict[str, str]:
    """The headers of a successful preflight answer."""
    out = rule.response_headers(origin)
    if requested_headers:
        out['Access-Control-Allow-Headers'] = ', '.join(requested_headers)
    return out


def split_header_list(value: Optional[str]) -> List[str]:
    """``Access-Control-Request-Headers: a, B`` -> ['a', 'b']."""
    if not value:
        return []
    return [h.strip().lower() for h in value.split(',') if h.strip()]


# -- PutBucketCors -------------------------------------------------------------------
def _one_wildcard(kind: str, value: str) -> str:
    if value.count('*') > 1:
        raise errors.InvalidRequest('%s "%s" can not have more than one '
                                    'wildcard.' % (kind, value))
    return value


def _texts(node: Any, name: str) -> List[str]:
    return [(c.text or '').strip() for c in xml.children(node, name)]


def _rule(node: Any) -> Rule:
    for c in node:
        if isinstance(c.tag, str) and xml.local(c.tag) not in _RULE_FIELDS:
            raise errors.MalformedXML()
    ids = _texts(node, 'ID')
    origins = _texts(node, 'AllowedOrigin')
    methods = _texts(node, 'AllowedMethod')
    ages = _texts(node, 'MaxAgeSeconds')
    if len(ids) > 1 or len(ages) > 1 or not origins or not methods:
        raise errors.MalformedXML()
    if ids and len(ids[0]) > MAX_ID_LENGTH:
        raise errors.InvalidArgument('The ID must be no longer than 255 '
                                     'characters', ArgumentName='ID',
                                     ArgumentValue=ids[0][:300])
    for method in methods:
        if method not in METHODS:
            raise errors.InvalidRequest(
                'Found unsupported HTTP method in CORS config. Unsupported '
                'method is %s' % method)
    expose = _texts(node, 'ExposeHeader')
    for header in expose:
        if '*' in header:
            raise errors.InvalidRequest(
                'ExposeHeader "%s" contains wildcard. We currently do not '
                'support wildcard for ExposeHeader.' % header)
    max_age = None
    if ages:
        if not re.fullmatch(r'-?[0-9]{1,10}', ages[0]):
            raise errors.MalformedXML()
        max_age = int(ages[0])
    return Rule(ids[0] if ids else None,
                tuple(_one_wildcard('AllowedOrigin', o) for o in origins),
                tuple(dict.fromkeys(methods)),
                tuple(_one_wildcard('AllowedHeader', h)
                      for h in _texts(node, 'AllowedHeader')),
                tuple(expose), max_age)


def from_xml(body: bytes) -> Configuration:
    """Validate a CORSConfiguration document (PUT ?cors)."""
    root = xml.parse(body, 'CORSConfiguration')
    for c in root:
        if isinstance(c.tag, str) and xml.local(c.tag) != 'CORSRule':
            raise errors.MalformedXML()
    nodes = xml.children(root, 'CORSRule')
    if not nodes:
        raise errors.MalformedXML()
    if len(nodes) > MAX_RULES:
        raise errors.MalformedXML('The CORS configuration can have at most '
                                  '%d rules' % MAX_RULES)
    return Configuration(tuple(_rule(n) for n in nodes))
