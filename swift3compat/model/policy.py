"""Bucket policies: parse, validate and evaluate a safe subset, deny-first.

Pure functions and values, no WSGI and no Swift: ``api/policy.py``
stores and serves the documents (PUT/GET/DELETE ``?policy``,
``?policyStatus``) and gives the authorization path (``swift3compat.authz.access``,
``s3_acl = true``) the verdict of a bucket's policy on a request.  Operators
enable bucket policies with ``s3_acl = true`` in ``[filter:swift3]``.

The supported subset (anything else is ``MalformedPolicy``, never silently
ignored):

* ``Version`` 2012-10-17 or 2008-10-17, optional ``Id``; ``Statement`` is one
  object or a list; ``Sid`` is optional, and unique when given (an empty
  ``Sid`` counts as none);
* ``Effect``: ``Allow`` or ``Deny``;
* ``Principal``: ``"*"``, ``{"AWS": "*"}``, or ``{"AWS": [...]}`` /
  ``{"CanonicalUser": [...]}`` naming canonical ids: a Swift account
  (``AUTH_test``, also as ``arn:aws:iam::AUTH_test:root``), which matches
  whoever owns that account, or a user id (``test:tester``, a Keystone user
  id);
* ``Action`` / ``NotAction``: ``s3:<name>`` with ``*`` and ``?`` wildcards
  (``s3:Get*``, ``s3:*``) or ``*``; names must be S3 actions, and each must
  apply to one of the statement's resources;
* ``Resource`` / ``NotResource``: ``arn:aws:s3:::<bucket>`` and
  ``arn:aws:s3:::<bucket>/<key pattern>`` of *this* bucket, with wildcards;
* ``Condition`` on ``aws:SourceIp`` (``IpAddress``, ``NotIpAddress``, CIDR),
  ``aws:SecureTransport`` (``Bool``) and ``s3:prefix`` (``StringEquals``,
  ``StringNotEquals``, ``StringEqualsIgnoreCase``,
  ``StringNotEqualsIgnoreCase``, ``StringLike``, ``StringNotLike``).  Values
  of one condition are ORed, conditions are ANDed; a key absent from the
  request fails a positive operator and satisfies a negated one.

Evaluation (``evaluate``): an explicit ``Deny`` wins; else an ``Allow`` that
applies; else no verdict (``None``), and the ACLs decide.  ``authorize``
combines a verdict with the ACL check in that order.
"""
from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import (Any, Callable, Dict, FrozenSet, List, Mapping, Optional,
                    Pattern, Tuple, Union)

from swift3compat import errors

ALLOW = 'Allow'
DENY = 'Deny'
MAX_POLICY_SIZE = 20 * 1024
VERSIONS = ('2012-10-17', '2008-10-17')
ARN_PREFIX = 'arn:aws:s3:::'
# Service principals ({"Service": "logging.s3.amazonaws.com"}): the only
# service here is server access log delivery (swift/log_delivery.py).
LOGGING_SERVICE = 'logging.s3.amazonaws.com'
SERVICES = frozenset([LOGGING_SERVICE])
SERVICE_PREFIX = 'service:'
_IAM_ROOT = re.compile(r'^arn:aws:iam::([^:*?]+):root$')

# -- the S3 actions -------------------------------------------------------------
BUCKET_ACTIONS = frozenset('s3:' + a for a in (
    'CreateBucket', 'DeleteBucket', 'DeleteBucketPolicy',
    'DeleteBucketWebsite', 'DeleteBucketOwnershipControls',
    'GetAccelerateConfiguration', 'GetAnalyticsConfiguration',
    'GetBucketAcl', 'GetBucketCORS', 'GetBucketLocation', 'GetBucketLogging',
    'GetBucketNotification', 'GetBucketObjectLockConfiguration',
    'GetBucketOwnershipControls', 'GetBucketPolicy',
    'GetBucketPolicyStatus', 'GetBucketPublicAccessBlock',
    'GetBucketRequestPayment', 'GetBucketTagging', 'GetBucketVersioning',
    'GetBucketWebsite', 'GetEncryptionConfiguration',
    'GetIntelligentTieringConfiguration', 'GetInventoryConfiguration',
    'GetLifecycleConfiguration', 'GetMetricsConfiguration',
    'GetReplicationConfiguration', 'ListBucket',
    'ListBucketMultipartUploads', 'ListBucketVersions',
    'PutAccelerateConfiguration', 'PutAnalyticsConfiguration',
    'PutBucketAcl', 'PutBucketCORS', 'PutBucketLogging',
    'PutBucketNotification', 'PutBucketObjectLockConfiguration',
    'PutBucketOwnershipControls', 'PutBucketPolicy',
    'PutBucketPublicAccessBlock', 'PutBucketRequestPayment',
    'PutBucketTagging', 'PutBucketVersioning', 'PutBucketWebsite',
    'PutEncryptionConfiguration', 'PutIntelligentTieringConfiguration',
    'PutInventoryConfiguration', 'PutLifecycleConfiguration',
    'PutMetricsConfiguration', 'PutReplicationConfiguration'))
OBJECT_ACTIONS = frozenset('s3:' + a for a in (
    'AbortMultipartUpload', 'BypassGovernanceRetention', 'DeleteObject',
    'DeleteObjectTagging', 'DeleteObjectVersion',
    'DeleteObjectVersionTagging', 'GetObject', 'GetObjectAcl',
    'GetObjectAttributes', 'GetObjectLegalHold', 'GetObjectRetention',
    'GetObjectTagging', 'GetObjectTorrent', 'GetObjectVersion',
    'GetObjectVersionAcl', 'GetObjectVersionAttributes',
    'GetObjectVersionTagging', 'GetObjectVersionTorrent',
    'ListMultipartUploadParts', 'PutObject', 'PutObjectAcl',
    'PutObjectLegalHold', 'PutObjectRetention', 'PutObjectTagging',
    'PutObjectVersionAcl', 'PutObjectVersionTagging', 'RestoreObject'))
# Actions a bucket policy cannot name (they have no bucket resource).
SERVICE_ACTIONS = frozenset(['s3:ListAllMyBuckets'])
ALL_ACTIONS = BUCKET_ACTIONS | OBJECT_ACTIONS
# The owner keeps these whatever the policy says, so a policy cannot lock
# the owner out of fixing it (as on AWS for the account root).
POLICY_ACTIONS = frozenset(['s3:GetBucketPolicy', 's3:PutBucketPolicy',
                            's3:DeleteBucketPolicy'])

# Bucket configuration sub-resources: GET -> Get<name>, PUT and DELETE ->
# Put<name> (AWS has no separate delete action for most of them).
_BUCKET_CONFIGS: Dict[str, str] = {
    'accelerate': 'AccelerateConfiguration', 'acl': 'BucketAcl',
    'analytics': 'AnalyticsConfiguration', 'cors': 'BucketCORS',
    'encryption': 'EncryptionConfiguration',
    'intelligent-tiering': 'IntelligentTieringConfiguration',
    'inventory': 'InventoryConfiguration',
    'lifecycle': 'LifecycleConfiguration', 'logging': 'BucketLogging',
    'metrics': 'MetricsConfiguration',
    'notification': 'BucketNotification',
    'object-lock': 'BucketObjectLockConfiguration',
    'ownershipControls': 'BucketOwnershipControls',
    'policy': 'BucketPolicy', 'publicAccessBlock': 'BucketPublicAccessBlock',
    'replication': 'ReplicationConfiguration',
    'requestPayment': 'BucketRequestPayment', 'tagging': 'BucketTagging',
    'versioning': 'BucketVersioning', 'website': 'BucketWebsite',
}


def bucket_config_action(subresource: str, method: str) -> Optional[str]:
    """AWS's action for a bucket configuration sub-resource
    (``s3:GetBucketCORS``, ``s3:PutBucketCORS``), or None."""
    name = _BUCKET_CONFIGS.get(subresource)
    if name is None:
        return None
    verb = 'Get' if method in ('GET', 'HEAD') else 'Put'
    return 's3:' + verb + name


def resource_arn(bucket: str, key: Optional[str] = None) -> str:
    """The ARN of a bucket or of an object in it."""
    if key is None:
        return ARN_PREFIX + bucket
    return '%s%s/%s' % (ARN_PREFIX, bucket, key)


# -- values -----------------------------------------------------------------------
@dataclass(frozen=True)
class Context:
    """What a statement is matched against."""

    action: str                       # 's3:GetObject'
    resource: str                     # resource_arn(bucket, key)
    principal_ids: FrozenSet[str]     # canonical ids; empty: anonymous
    source_ip: Optional[str] = None
    secure_transport: bool = False
    prefix: Optional[str] = None      # s3:prefix of listings, else None
    source_account: Optional[str] = None   # log delivery: the source's
    source_arn: Optional[str] = None       # account and bucket ARN


@dataclass(frozen=True)
class Condition:
    operator: str                     # base operator, e.g. 'StringLike'
    key: str                          # lower case, e.g. 'aws:sourceip'
    values: Tuple[Any, ...]           # str, bool or ip_network

    def holds(self, ctx: Context) -> bool:
        value = _context_value(ctx, self.key)
        negated = self.operator in _NEGATED
        if value is None:
            return negated
        matched = any(_OPERATORS[self.operator](value, v)
                      for v in self.values)
        return matched != negated


@dataclass(frozen=True)
class Statement:
    sid: Optional[str]
    effect: str
    principals: FrozenSet[str]        # '*' or canonical ids
    actions: Tuple[Pattern[str], ...]
    not_action: bool
    resources: Tuple[Pattern[str], ...]
    not_resource: bool
    conditions: Tuple[Condition, ...]

    def applies(self, ctx: Context) -> bool:
        if '*' not in self.principals and \
                not (self.principals & ctx.principal_ids):
            return False
        if _any_match(self.actions, ctx.action) == self.not_action:
            return False
        if _any_match(self.resources, ctx.resource) == self.not_resource:
            return False
        return all(c.holds(ctx) for c in self.conditions)

    def is_public(self) -> bool:
        """An Allow to everybody that no source address restricts."""
        if self.effect != ALLOW or '*' not in self.principals:
            return False
        return not any(c.key == 'aws:sourceip' and c.operator == 'IpAddress'
                       and not any(n.prefixlen == 0 for n in c.values)
                       for c in self.conditions)


@dataclass(frozen=True)
class Policy:
    statements: Tuple[Statement, ...]
    text: str                         # compact JSON: what is stored, returned


# -- matching ------------------------------------------------------------------------
def wildcard(pattern: str, ignore_case: bool = False) -> Pattern[str]:
    """A compiled IAM wildcard: ``*`` any run, ``?`` one character."""
    parts = ('.*' if c == '*' else '.' if c == '?' else re.escape(c)
             for c in pattern)
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile('(?:%s)\\Z' % ''.join(parts), flags)


def _any_match(patterns: Tuple[Pattern[str], ...], value: str) -> bool:
    return any(p.match(value) for p in patterns)


def _context_value(ctx: Context, key: str) -> Optional[Any]:
    if key == 'aws:sourceip':
        if ctx.source_ip is None:
            return None
        try:
            return ipaddress.ip_address(ctx.source_ip)
        except ValueError:
            return None
    if key == 'aws:securetransport':
        return ctx.secure_transport
    if key == 's3:prefix':
        return ctx.prefix
    if key == 'aws:sourceaccount':
        return ctx.source_account
    if key == 'aws:sourcearn':
        return ctx.source_arn
    return None


def _in_network(value: Any, network: Any) -> bool:
    return value.version == network.version and value in network


_OPERATORS: Dict[str, Callable[[Any, Any], bool]] = {
    'StringEquals': lambda value, v: value == v,
    'StringNotEquals': lambda value, v: value == v,
    'StringEqualsIgnoreCase': lambda value, v: value.lower() == v.lower(),
    'StringNotEqualsIgnoreCase': lambda value, v: value.lower() == v.lower(),
    'StringLike': lambda value, v: bool(wildcard(v).match(value)),
    'StringNotLike': lambda value, v: bool(wildcard(v).match(value)),
    'IpAddress': _in_network,
    'NotIpAddress': _in_network,
    'Bool': lambda value, v: value == v,
    'ArnEquals': lambda value, v: value == v,
    'ArnLike': lambda value, v: bool(wildcard(v).match(value)),
}
_NEGATED = frozenset(['StringNotEquals', 'StringNotEqualsIgnoreCase',
                      'StringNotLike', 'NotIpAddress'])
_STRING_OPERATORS = frozenset(o for o in _OPERATORS if o.startswith('String'))
_ARN_OPERATORS = frozenset(['ArnEquals', 'ArnLike'])
# Condition key (lower case) -> the operators that make sense for it.
_KEYS: Dict[str, FrozenSet[str]] = {
    'aws:sourceip': frozenset(['IpAddress', 'NotIpAddress']),
    'aws:securetransport': frozenset(['Bool']),
    's3:prefix': _STRING_OPERATORS,
    'aws:sourceaccount': _STRING_OPERATORS,
    'aws:sourcearn': _STRING_OPERATORS | _ARN_OPERATORS,
}


# -- evaluation -------------------------------------------------------------------------
def evaluate(policy: Optional[Policy], ctx: Context) -> Optional[str]:
    """``DENY`` if a Deny statement applies, else ``ALLOW`` if an Allow
    does, else None (the policy says nothing about this request)."""
    if policy is None:
        return None
    verdict = None
    for statement in policy.statements:
        if statement.applies(ctx):
            if statement.effect == DENY:
                return DENY
            verdict = ALLOW
    return verdict


def authorize(verdict: Optional[str], acl_allows: Callable[[], bool]) -> bool:
    """Deny-first: an explicit Deny refuses, an Allow from the policy or
    the ACLs permits, anything else is an implicit deny."""
    if verdict == DENY:
        return False
    if verdict == ALLOW:
        return True
    return acl_allows()


def is_public(policy: Optional[Policy]) -> bool:
    """GetBucketPolicyStatus's IsPublic."""
    return policy is not None and any(s.is_public()
                                      for s in policy.statements)


# -- parsing ------------------------------------------------------------------------------
def _malformed(message: str) -> errors.S3Error:
    return errors.MalformedPolicy(message)


def _as_list(value: Any, what: str) -> List[Any]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise _malformed('%s must not be empty' % what)
    return items


def _strings(value: Any, what: str) -> List[str]:
    items = _as_list(value, what)
    if not all(isinstance(v, str) and v for v in items):
        raise _malformed('%s must be a string or a list of strings' % what)
    return items


def _principals(statement: Mapping[str, Any]) -> FrozenSet[str]:
    if 'NotPrincipal' in statement:
        raise _malformed('NotPrincipal is not supported')
    if 'Principal' not in statement:
        raise _malformed('Missing required field Principal')
    value = statement['Principal']
    if value == '*':
        return frozenset(['*'])
    if not isinstance(value, dict) or not value:
        raise _malformed('Invalid principal in policy')
    ids = set()
    for kind, names in value.items():
        if kind == 'Service':
            for name in _strings(names, 'Principal'):
                if name not in SERVICES:
                    raise _malformed('Invalid principal in policy')
                ids.add(SERVICE_PREFIX + name)
            continue
        if kind not in ('AWS', 'CanonicalUser'):
            raise _malformed('Invalid principal in policy')
        for name in _strings(names, 'Principal'):
            ids.add(_principal_id(kind, name))
    return frozenset(ids)


def _principal_id(kind: str, name: str) -> str:
    if name == '*' and kind == 'AWS':
        return '*'
    root = _IAM_ROOT.match(name)
    if root and kind == 'AWS':
        return root.group(1)
    if name.startswith('arn:') or '*' in name or '?' in name:
        raise _malformed('Invalid principal in policy')
    return name


def _actions(names: List[str]) -> Tuple[Pattern[str], ...]:
    patterns = []
    for name in names:
        if name == '*':
            name = 's3:*'
        if not name.lower().startswith('s3:'):
            raise _malformed('Policy has invalid action')
        pattern = wildcard(name, ignore_case=True)
        if not any(pattern.match(a) for a in ALL_ACTIONS | SERVICE_ACTIONS):
            raise _malformed('Policy has invalid action')
        patterns.append(pattern)
    return tuple(patterns)


def _resources(names: List[str], bucket: str) -> Tuple[Pattern[str], ...]:
    own = resource_arn(bucket)
    for name in names:
        if name != own and not name.startswith(own + '/'):
            raise _malformed('Policy has invalid resource')
    return tuple(wildcard(n) for n in names)


def _check_applicable(actions: Tuple[Pattern[str], ...], not_action: bool,
                      names: List[str], not_resource: bool,
                      bucket: str) -> None:
    """Every action must apply to one of the statement's resources."""
    if not_action or not_resource:
        return
    has_bucket = any(n == resource_arn(bucket) for n in names)
    has_object = any('/' in n[len(ARN_PREFIX):] for n in names)
    applicable = (BUCKET_ACTIONS if has_bucket else frozenset()) | \
        (OBJECT_ACTIONS if has_object else frozenset())
    for pattern in actions:
        if not any(pattern.match(a) for a in applicable):
            raise _malformed('Action does not apply to any resource(s) in '
                             'statement')


def _condition_value(operator: str, value: Any) -> Any:
    if operator in ('IpAddress', 'NotIpAddress'):
        try:
            return ipaddress.ip_network(str(value), strict=False)
        except ValueError:
            raise _malformed('Invalid IP address in policy') from None
    if operator == 'Bool':
        text = str(value).lower()
        if text not in ('true', 'false'):
            raise _malformed('Invalid value for Bool condition')
        return text == 'true'
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _malformed('Invalid condition value')
    return str(value)


def _conditions(value: Any) -> Tuple[Condition, ...]:
    if not isinstance(value, dict):
        raise _malformed('Condition must be an object')
    out = []
    for operator, block in value.items():
        if operator not in _OPERATORS:
            raise _malformed('Invalid Condition type : %s' % operator)
        if not isinstance(block, dict) or not block:
            raise _malformed('Invalid Condition type : %s' % operator)
        for key, values in block.items():
            lowered = str(key).lower()
            if lowered not in _KEYS:
                raise _malformed('Policy has an invalid condition key')
            if operator not in _KEYS[lowered]:
                raise _malformed('Invalid Condition type : %s for key %s'
                                 % (operator, key))
            items = _as_list(values, 'Condition')
            out.append(Condition(operator, lowered, tuple(
                _condition_value(operator, v) for v in items)))
    return tuple(out)


_STATEMENT_FIELDS = frozenset(['Sid', 'Effect', 'Principal', 'NotPrincipal',
                               'Action', 'NotAction', 'Resource',
                               'NotResource', 'Condition'])


def _either(statement: Mapping[str, Any], name: str) -> Tuple[List[str], bool]:
    if (name in statement) == ('Not' + name in statement):
        raise _malformed('Statement must have exactly one of %s and Not%s'
                         % (name, name))
    negated = name not in statement
    return _strings(statement['Not' + name if negated else name], name), \
        negated


def _statement(raw: Any, bucket: str) -> Statement:
    if not isinstance(raw, dict):
        raise _malformed('Statement must be an object')
    unknown = set(raw) - _STATEMENT_FIELDS
    if unknown:
        raise _malformed('Unknown field %s' % sorted(unknown)[0])
    sid = raw.get('Sid')
    if sid is not None and not isinstance(sid, str):
        raise _malformed('Sid must be a string')
    effect = raw.get('Effect')
    if effect not in (ALLOW, DENY):
        raise _malformed('Invalid effect: %s' % (effect,))
    principals = _principals(raw)
    action_names, not_action = _either(raw, 'Action')
    resource_names, not_resource = _either(raw, 'Resource')
    actions = _actions(action_names)
    resources = _resources(resource_names, bucket)
    _check_applicable(actions, not_action, resource_names, not_resource,
                      bucket)
    conditions = _conditions(raw['Condition']) if 'Condition' in raw \
        else ()
    return Statement(sid, effect, principals, actions, not_action,
                     resources, not_resource, conditions)


def parse(body: Union[bytes, str], bucket: str) -> Policy:
    """Validate a PutBucketPolicy document for ``bucket``."""
    if isinstance(body, str):
        body = body.encode('utf-8')
    if len(body) > MAX_POLICY_SIZE:
        raise _malformed('Policies must be no more than %d bytes'
                         % MAX_POLICY_SIZE)
    try:
        doc = json.loads(body.decode('utf-8'))
    except (UnicodeDecodeError, ValueError):
        raise _malformed('Policies must be valid JSON and the first byte '
                         'must be \'{\'') from None
    return _from_document(doc, bucket)


def _from_document(doc: Any, bucket: str) -> Policy:
    if not isinstance(doc, dict):
        raise _malformed('Policies must be valid JSON and the first byte '
                         'must be \'{\'')
    unknown = set(doc) - {'Version', 'Id', 'Statement'}
    if unknown:
        raise _malformed('Unknown field %s' % sorted(unknown)[0])
    if 'Version' in doc and doc['Version'] not in VERSIONS:
        raise _malformed('The policy must contain a valid version string')
    if 'Id' in doc and not isinstance(doc['Id'], str):
        raise _malformed('Id must be a string')
    if 'Statement' not in doc:
        raise _malformed('Missing required field Statement')
    raw = doc['Statement']
    statements = tuple(_statement(s, bucket)
                       for s in _as_list(raw, 'Statement'))
    # Sid is optional; an empty one (minio-py writes "Sid": "") is none.
    sids = [s.sid for s in statements if s.sid]
    if len(sids) != len(set(sids)):
        raise _malformed('Statement IDs (SID) in a single policy must be '
                         'unique')
    text = json.dumps(doc, separators=(',', ':'), ensure_ascii=True)
    return Policy(statements, text)


@lru_cache(maxsize=512)
def load(text: str, bucket: str) -> Policy:
    """A stored policy (``Policy.text``, maybe with more JSON escapes),
    parsed once per process."""
    try:
        doc = json.loads(text)
    except ValueError:
        raise _malformed('The stored policy is not JSON') from None
    return _from_document(doc, bucket)
