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
* ``Condition``: every operator AWS documents -- ``String*``,
  ``Numeric*``, ``Date*``, ``Bool``, ``BinaryEquals``, ``IpAddress`` /
  ``NotIpAddress``, ``Arn*``, their ``...IfExists`` forms, ``Null``, and
  the ``ForAnyValue:`` / ``ForAllValues:`` set operators -- on AWS's
  global and S3 condition keys (``known_key``; the operators and keys
  live in ``policy_conditions``).  Values of one condition are ORed
  (ANDed for the negated operators: "none of them"), conditions are
  ANDed.  A key absent from the request fails a positive operator and
  satisfies a negated one, an ``...IfExists`` one and ``ForAllValues:``;
  ``Null`` tests the absence itself.  Which keys a request carries is the
  caller's business (``Context.values``).

Evaluation (``evaluate``): an explicit ``Deny`` wins; else an ``Allow`` that
applies; else no verdict (``None``), and the ACLs decide.  ``authorize``
combines a verdict with the ACL check in that order.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import (Any, Callable, Dict, FrozenSet, List, Mapping, Optional,
                    Pattern, Tuple, Union)

from swift3compat.model.policy_conditions import (CONTEXT_PARSERS, FAMILY,
                                                  FOR_ALL, FOR_ANY, NEGATED,
                                                  OPERATORS, condition_value,
                                                  known_key, malformed,
                                                  parse_operator, wildcard)

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
    """What a statement is matched against.

    ``values``: the request's condition keys (lower case, ``aws:referer``,
    ``s3:x-amz-acl``, ``s3:requestobjecttag/team``, ...) and their values
    (a tuple: one value for single-valued keys, any number for multivalued
    ones such as ``s3:requestobjecttagkeys``); a key that is not there is
    absent from the request.  ``source_ip``, ``secure_transport`` and
    ``prefix`` are the same as ``aws:sourceip``, ``aws:securetransport``
    and ``s3:prefix``.
    """

    action: str                       # 's3:GetObject'
    resource: str                     # resource_arn(bucket, key)
    principal_ids: FrozenSet[str]     # canonical ids; empty: anonymous
    source_ip: Optional[str] = None
    secure_transport: bool = False
    prefix: Optional[str] = None      # s3:prefix of listings, else None
    source_account: Optional[str] = None   # log delivery: the source's
    source_arn: Optional[str] = None       # account and bucket ARN
    values: Mapping[str, Tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Condition:
    """One condition key under one operator of a ``Condition`` block.

    ``operator`` is the base operator (``StringLike``, ``Null``, ...);
    ``qualifier`` is ``ForAnyValue``, ``ForAllValues`` or ``''``;
    ``if_exists`` is the ``...IfExists`` form.  ``values`` are parsed for
    the operator (str, float, bytes, bool or ip_network).
    """

    operator: str                     # base operator, e.g. 'StringLike'
    key: str                          # lower case, e.g. 'aws:sourceip'
    values: Tuple[Any, ...]           # str, bool or ip_network
    qualifier: str = ''
    if_exists: bool = False

    def holds(self, ctx: Context) -> bool:
        found = _context_values(ctx, self.key)
        if self.operator == 'Null':
            # Null: true means "the key is absent" (or empty).
            return bool((not found) == self.values[0])
        if self.qualifier == FOR_ALL:
            # Every request value must match; none at all passes.
            return all(self._one(v) for v in found)
        if not found:
            return self.if_exists or \
                (self.operator in NEGATED and self.qualifier != FOR_ANY)
        return any(self._one(v) for v in found)

    def _one(self, raw: str) -> bool:
        """This condition on one request value."""
        value = CONTEXT_PARSERS[FAMILY[self.operator]](raw)
        negated = self.operator in NEGATED
        if value is None:
            return negated
        test = OPERATORS[self.operator]
        # Values of a negated operator are ANDed: "none of them".
        return any(test(value, v) for v in self.values) != negated


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
                       and not c.if_exists and not c.qualifier
                       and not any(n.prefixlen == 0 for n in c.values)
                       for c in self.conditions)


@dataclass(frozen=True)
class Policy:
    statements: Tuple[Statement, ...]
    text: str                         # compact JSON: what is stored, returned


# -- matching ------------------------------------------------------------------------
def _any_match(patterns: Tuple[Pattern[str], ...], value: str) -> bool:
    return any(p.match(value) for p in patterns)


def _context_values(ctx: Context, key: str) -> Tuple[str, ...]:
    if key in ctx.values:
        return tuple(ctx.values[key])
    if key == 'aws:sourceip':
        return () if ctx.source_ip is None else (ctx.source_ip,)
    if key == 'aws:securetransport':
        return ('true' if ctx.secure_transport else 'false',)
    if key == 's3:prefix':
        return () if ctx.prefix is None else (ctx.prefix,)
    if key == 'aws:sourceaccount' and ctx.source_account is not None:
        return (ctx.source_account,)
    if key == 'aws:sourcearn' and ctx.source_arn is not None:
        return (ctx.source_arn,)
    return ()


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
def _as_list(value: Any, what: str) -> List[Any]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise malformed('%s must not be empty' % what)
    return items


def _strings(value: Any, what: str) -> List[str]:
    items = _as_list(value, what)
    if not all(isinstance(v, str) and v for v in items):
        raise malformed('%s must be a string or a list of strings' % what)
    return items


def _principals(statement: Mapping[str, Any]) -> FrozenSet[str]:
    if 'NotPrincipal' in statement:
        raise malformed('NotPrincipal is not supported')
    if 'Principal' not in statement:
        raise malformed('Missing required field Principal')
    value = statement['Principal']
    if value == '*':
        return frozenset(['*'])
    if not isinstance(value, dict) or not value:
        raise malformed('Invalid principal in policy')
    ids = set()
    for kind, names in value.items():
        if kind == 'Service':
            for name in _strings(names, 'Principal'):
                if name not in SERVICES:
                    raise malformed('Invalid principal in policy')
                ids.add(SERVICE_PREFIX + name)
            continue
        if kind not in ('AWS', 'CanonicalUser'):
            raise malformed('Invalid principal in policy')
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
        raise malformed('Invalid principal in policy')
    return name


def _actions(names: List[str]) -> Tuple[Pattern[str], ...]:
    patterns = []
    for name in names:
        if name == '*':
            name = 's3:*'
        if not name.lower().startswith('s3:'):
            raise malformed('Policy has invalid action')
        pattern = wildcard(name, ignore_case=True)
        if not any(pattern.match(a) for a in ALL_ACTIONS | SERVICE_ACTIONS):
            raise malformed('Policy has invalid action')
        patterns.append(pattern)
    return tuple(patterns)


def _resources(names: List[str], bucket: str) -> Tuple[Pattern[str], ...]:
    own = resource_arn(bucket)
    for name in names:
        if name != own and not name.startswith(own + '/'):
            raise malformed('Policy has invalid resource')
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
            raise malformed('Action does not apply to any resource(s) in '
                             'statement')


def _conditions(value: Any) -> Tuple[Condition, ...]:
    if not isinstance(value, dict):
        raise malformed('Condition must be an object')
    out = []
    for name, block in value.items():
        operator, qualifier, if_exists = parse_operator(str(name))
        if not isinstance(block, dict) or not block:
            raise malformed('Invalid Condition type : %s' % name)
        for key, values in block.items():
            lowered = str(key).lower()
            if not known_key(lowered):
                raise malformed('Policy has an invalid condition key')
            items = _as_list(values, 'Condition')
            parsed = tuple(condition_value(operator, v) for v in items)
            if operator == 'Null' and len(parsed) != 1:
                raise malformed('Null takes one value')
            out.append(Condition(operator, lowered, parsed, qualifier,
                                 if_exists))
    return tuple(out)


_STATEMENT_FIELDS = frozenset(['Sid', 'Effect', 'Principal', 'NotPrincipal',
                               'Action', 'NotAction', 'Resource',
                               'NotResource', 'Condition'])


def _either(statement: Mapping[str, Any], name: str) -> Tuple[List[str], bool]:
    if (name in statement) == ('Not' + name in statement):
        raise malformed('Statement must have exactly one of %s and Not%s'
                         % (name, name))
    negated = name not in statement
    return _strings(statement['Not' + name if negated else name], name), \
        negated


def _statement(raw: Any, bucket: str) -> Statement:
    if not isinstance(raw, dict):
        raise malformed('Statement must be an object')
    unknown = set(raw) - _STATEMENT_FIELDS
    if unknown:
        raise malformed('Unknown field %s' % sorted(unknown)[0])
    sid = raw.get('Sid')
    if sid is not None and not isinstance(sid, str):
        raise malformed('Sid must be a string')
    effect = raw.get('Effect')
    if effect not in (ALLOW, DENY):
        raise malformed('Invalid effect: %s' % (effect,))
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
        raise malformed('Policies must be no more than %d bytes'
                         % MAX_POLICY_SIZE)
    try:
        doc = json.loads(body.decode('utf-8'))
    except (UnicodeDecodeError, ValueError):
        raise malformed('Policies must be valid JSON and the first byte '
                         'must be \'{\'') from None
    return _from_document(doc, bucket)


def _from_document(doc: Any, bucket: str) -> Policy:
    if not isinstance(doc, dict):
        raise malformed('Policies must be valid JSON and the first byte '
                         'must be \'{\'')
    unknown = set(doc) - {'Version', 'Id', 'Statement'}
    if unknown:
        raise malformed('Unknown field %s' % sorted(unknown)[0])
    if 'Version' in doc and doc['Version'] not in VERSIONS:
        raise malformed('The policy must contain a valid version string')
    if 'Id' in doc and not isinstance(doc['Id'], str):
        raise malformed('Id must be a string')
    if 'Statement' not in doc:
        raise malformed('Missing required field Statement')
    raw = doc['Statement']
    statements = tuple(_statement(s, bucket)
                       for s in _as_list(raw, 'Statement'))
    # Sid is optional; an empty one (minio-py writes "Sid": "") is none.
    sids = [s.sid for s in statements if s.sid]
    if len(sids) != len(set(sids)):
        raise malformed('Statement IDs (SID) in a single policy must be '
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
        raise malformed('The stored policy is not JSON') from None
    return _from_document(doc, bucket)
