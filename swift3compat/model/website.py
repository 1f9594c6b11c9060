"""Static website configurations: parse, store, and decide what to serve.

Pure functions and values, no WSGI and no Swift.  ``api/website.py``
serves PUT/GET/DELETE ``?website`` and the website endpoint itself: requests
whose Host is ``<bucket>.<website_domain>`` (option ``website_domain`` in
``[filter:swift3]``, e.g. ``s3-website.example.com``; empty disables the
endpoint).  The endpoint reads objects anonymously, so it needs
``s3_acl = true`` and objects readable by everybody (ACL or bucket policy),
as on AWS.

Supported: ``IndexDocument`` (a request for ``/`` or ``prefix/`` serves
``prefix/<Suffix>``; ``prefix`` without the slash redirects to ``prefix/``
when that index exists), ``ErrorDocument`` (served with the error's status
for 403 and 404), ``RedirectAllRequestsTo`` and ``RoutingRules``
(``KeyPrefixEquals`` and/or ``HttpErrorCodeReturnedEquals`` conditions;
``Protocol``, ``HostName``, ``ReplaceKeyPrefixWith`` or ``ReplaceKeyWith``,
``HttpRedirectCode`` redirects).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import quote

from swift3compat import errors
from swift3compat.http import xml

MAX_ROUTING_RULES = 50
PROTOCOLS = ('http', 'https')


@dataclass(frozen=True)
class RoutingRule:
    key_prefix: Optional[str] = None          # Condition/KeyPrefixEquals
    error_code: Optional[int] = None          # .../HttpErrorCodeReturnedEquals
    protocol: Optional[str] = None            # Redirect/...
    host: Optional[str] = None
    replace_prefix: Optional[str] = None
    replace_key: Optional[str] = None
    redirect_code: Optional[int] = None

    def matches(self, key: str, error_code: Optional[int]) -> bool:
        """Whether the rule applies to ``key``, before fetching it
        (``error_code`` None) or after fetching failed with that code."""
        if self.error_code != error_code:
            return False
        return self.key_prefix is None or key.startswith(self.key_prefix)

    def location(self, key: str, scheme: str, host: str) -> str:
        if self.replace_key is not None:
            new_key = self.replace_key
        elif self.replace_prefix is not None:
            new_key = self.replace_prefix + key[len(self.key_prefix or ''):]
        else:
            new_key = key
        return '%s://%s/%s' % (self.protocol or scheme, self.host or host,
                               quote(new_key, safe="/~!$&'()*+,;=:@"))

    @property
    def status(self) -> int:
        return self.redirect_code or 301


@dataclass(frozen=True)
class Configuration:
    index_suffix: Optional[str] = None
    error_key: Optional[str] = None
    redirect_host: Optional[str] = None       # RedirectAllRequestsTo
    redirect_protocol: Optional[str] = None
    rules: Tuple[RoutingRule, ...] = ()

    # -- storage: compact JSON in container sysmeta ------------------------
    def to_json(self) -> str:
        data = {k: v for k, v in asdict(self).items()
                if v is not None and k != 'rules'}
        if self.rules:
            data['rules'] = [{k: v for k, v in asdict(r).items()
                              if v is not None} for r in self.rules]
        return json.dumps(data, separators=(',', ':'), ensure_ascii=True)

    @classmethod
    def from_json(cls, text: str) -> 'Configuration':
        """Parse ``to_json`` output; ValueError when it is not that."""
        try:
            data: Dict[str, Any] = json.loads(text)
            rules = tuple(RoutingRule(**r) for r in data.pop('rules', []))
            return cls(rules=rules, **data)
        except (TypeError, ValueError, AttributeError) as exc:
            raise ValueError('not a website configuration: %s'
                             % exc) from None

    # -- GetBucketWebsite --------------------------------------------------
    def to_xml(self) -> bytes:
        parts: List[str] = []
        if self.redirect_host is not None:
            parts += ['<RedirectAllRequestsTo>',
                      xml.elem('HostName', self.redirect_host),
                      xml.elem('Protocol', self.redirect_protocol),
                      '</RedirectAllRequestsTo>']
        if self.index_suffix is not None:
            parts.append('<IndexDocument>%s</IndexDocument>'
                         % xml.elem('Suffix', self.index_suffix))
        if self.error_key is not None:
            parts.append('<ErrorDocument>%s</ErrorDocument>'
                         % xml.elem('Key', self.error_key))
        if self.rules:
            parts.append('<RoutingRules>')
            parts.extend(_rule_xml(r) for r in self.rules)
            parts.append('</RoutingRules>')
        return xml.document('WebsiteConfiguration', parts)

    # -- serving -----------------------------------------------------------------
    def redirect_all(self, key: str, scheme: str) -> Optional[str]:
        """The Location every request gets, with RedirectAllRequestsTo."""
        if self.redirect_host is None:
            return None
        return RoutingRule(protocol=self.redirect_protocol,
                           host=self.redirect_host).location(key, scheme, '')

    def rule_for(self, key: str, error_code: Optional[int] = None
                 ) -> Optional[RoutingRule]:
        return next((r for r in self.rules if r.matches(key, error_code)),
                    None)

    def index_key(self, key: str) -> str:
        """The object a request for ``key`` reads (index documents)."""
        if (key == '' or key.endswith('/')) and self.index_suffix:
            return key + self.index_suffix
        return key


def _rule_xml(rule: RoutingRule) -> str:
    condition = ''
    if rule.key_prefix is not None or rule.error_code is not None:
        condition = '<Condition>%s%s</Condition>' % (
            xml.elem('KeyPrefixEquals', rule.key_prefix),
            xml.elem('HttpErrorCodeReturnedEquals', rule.error_code))
    return '<RoutingRule>%s<Redirect>%s%s%s%s%s</Redirect></RoutingRule>' % (
        condition, xml.elem('Protocol', rule.protocol),
        xml.elem('HostName', rule.host),
        xml.elem('ReplaceKeyPrefixWith', rule.replace_prefix),
        xml.elem('ReplaceKeyWith', rule.replace_key),
        xml.elem('HttpRedirectCode', rule.redirect_code))


# -- PutBucketWebsite ---------------------------------------------------------------
def _only(node: Any, allowed: Tuple[str, ...]) -> None:
    seen = set()
    for c in node:
        if not isinstance(c.tag, str):
            continue
        name = xml.local(c.tag)
        if name not in allowed or name in seen:
            raise errors.MalformedXML()
        seen.add(name)


def _code(text: Optional[str], low: int, high: int, what: str
          ) -> Optional[int]:
    if text is None:
        return None
    text = text.strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise errors.InvalidArgument('The provided %s is not valid' % what,
                                     ArgumentName=what, ArgumentValue=text)
    return int(text)


def _protocol(text: Optional[str]) -> Optional[str]:
    if text is None:
        return None
    if text not in PROTOCOLS:
        raise errors.InvalidRequest('Invalid protocol, protocol can be http '
                                    'or https. If not defined the protocol '
                                    'will be selected automatically.')
    return text


def _routing_rule(node: Any) -> RoutingRule:
    _only(node, ('Condition', 'Redirect'))
    condition = xml.child(node, 'Condition')
    redirect = xml.child(node, 'Redirect')
    if redirect is None:
        raise errors.MalformedXML()
    prefix = code = None
    if condition is not None:
        _only(condition, ('KeyPrefixEquals', 'HttpErrorCodeReturnedEquals'))
        prefix = xml.text(condition, 'KeyPrefixEquals')
        code = _code(xml.text(condition, 'HttpErrorCodeReturnedEquals'),
                     400, 599, 'HttpErrorCodeReturnedEquals')
        if prefix is None and code is None:
            raise errors.InvalidRequest('Condition cannot be empty. To '
                                        'redirect all requests without a '
                                        'condition, the condition element '
                                        'shouldn\'t be present.')
    _only(redirect, ('Protocol', 'HostName', 'ReplaceKeyPrefixWith',
                     'ReplaceKeyWith', 'HttpRedirectCode'))
    replace_prefix = xml.text(redirect, 'ReplaceKeyPrefixWith')
    replace_key = xml.text(redirect, 'ReplaceKeyWith')
    if replace_prefix is not None and replace_key is not None:
        raise errors.InvalidRequest('You can only define ReplaceKeyPrefix or '
                                    'ReplaceKey but not both.')
    rule = RoutingRule(
        prefix, code, _protocol(xml.text(redirect, 'Protocol')),
        xml.text(redirect, 'HostName') or None, replace_prefix,
        replace_key, _code(xml.text(redirect, 'HttpRedirectCode'),
                           300, 399, 'HttpRedirectCode'))
    if rule == RoutingRule(prefix, code):
        raise errors.InvalidRequest('Redirect must contain at least one of '
                                    'the following: Protocol, HostName, '
                                    'ReplaceKeyPrefixWith, ReplaceKeyWith, '
                                    'HttpRedirectCode.')
    return rule


def _redirect_all(node: Any) -> Configuration:
    _only(node, ('HostName', 'Protocol'))
    host = (xml.text(node, 'HostName') or '').strip()
    if not host:
        raise errors.InvalidArgument('A host name must be provided',
                                     ArgumentName='HostName')
    return Configuration(redirect_host=host,
                         redirect_protocol=_protocol(
                             xml.text(node, 'Protocol')))


def from_xml(body: bytes) -> Configuration:
    """Validate a WebsiteConfiguration document (PUT ?website)."""
    root = xml.parse(body, 'WebsiteConfiguration')
    _only(root, ('RedirectAllRequestsTo', 'IndexDocument', 'ErrorDocument',
                 'RoutingRules'))
    redirect_all = xml.child(root, 'RedirectAllRequestsTo')
    index = xml.child(root, 'IndexDocument')
    error = xml.child(root, 'ErrorDocument')
    rules_node = xml.child(root, 'RoutingRules')
    if redirect_all is not None:
        if index is not None or error is not None or rules_node is not None:
            raise errors.InvalidRequest('RedirectAllRequestsTo cannot be '
                                        'provided in conjunction with other '
                                        'Routing Rules.')
        return _redirect_all(redirect_all)
    if index is None:
        raise errors.InvalidArgument('A value for IndexDocument Suffix must '
                                     'be provided if RedirectAllRequestsTo '
                                     'is empty', ArgumentName='IndexDocument')
    _only(index, ('Suffix',))
    suffix = xml.text(index, 'Suffix') or ''
    if not suffix or '/' in suffix:
        raise errors.InvalidArgument('The IndexDocument Suffix is not well '
                                     'formed', ArgumentName='IndexDocument',
                                     ArgumentValue=suffix)
    error_key = None
    if error is not None:
        _only(error, ('Key',))
        error_key = xml.text(error, 'Key') or ''
        if not error_key:
            raise errors.InvalidArgument('The ErrorDocument Key is not well '
                                         'formed',
                                         ArgumentName='ErrorDocument')
    rules: Tuple[RoutingRule, ...] = ()
    if rules_node is not None:
        _only_rules(rules_node)
        rules = tuple(_routing_rule(n)
                      for n in xml.children(rules_node, 'RoutingRule'))
        if not rules or len(rules) > MAX_ROUTING_RULES:
            raise errors.InvalidRequest('RoutingRules must hold between 1 '
                                        'and %d RoutingRule elements'
                                        % MAX_ROUTING_RULES)
    return Configuration(index_suffix=suffix, error_key=error_key,
                         rules=rules)


def _only_rules(node: Any) -> None:
    for c in node:
        if isinstance(c.tag, str) and xml.local(c.tag) != 'RoutingRule':
            raise errors.MalformedXML()
