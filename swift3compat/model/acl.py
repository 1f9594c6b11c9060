"""The S3 access control model: owners, grants, canned ACLs, permissions.

Pure functions and values, no WSGI and no Swift: the handlers and
``swift3compat.authz.access`` (enforcement, ``s3_acl = true``) build on it, and it
is unit-tested on its own.

* ``ACL(owner, grants)``: an access control list; ``to_json``/``from_json``
  give the compact form stored in Swift sysmeta, ``to_xml`` the
  ``AccessControlPolicy`` document of GET ``?acl``.
* ``from_request(headers, body, ...)``: the ACL a request asks for, from
  ``x-amz-acl`` (canned), ``x-amz-grant-*`` headers or an
  ``AccessControlPolicy`` body, with AWS's errors for bad or conflicting
  input.
* ``permits(acl, principal, permission)``: the S3 permission check. The owner
  always keeps READ_ACP and WRITE_ACP; FULL_CONTROL implies every
  permission; ``AllUsers`` matches everybody, ``AuthenticatedUsers`` every
  signed caller, ``LogDelivery`` nobody (there is no log delivery here).

Canonical user IDs are opaque strings: ``swift3compat.authz.access`` uses the Swift
account (``AUTH_test``) for whoever Swift considers an owner of that account
and the user id (``test:tester``, a Keystone user id) for other users.  They
are compared without regard to case, because s3cmd lowercases the ids of
``--acl-grant``: Swift accounts whose names differ only in case are one
grantee here.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Tuple

from swift3compat import errors
from swift3compat.http import xml

READ = 'READ'
WRITE = 'WRITE'
READ_ACP = 'READ_ACP'
WRITE_ACP = 'WRITE_ACP'
FULL_CONTROL = 'FULL_CONTROL'
PERMISSIONS = (FULL_CONTROL, WRITE, WRITE_ACP, READ, READ_ACP)

GROUP_PREFIX = 'http://acs.amazonaws.com/groups/'
ALL_USERS = 'AllUsers'
AUTHENTICATED_USERS = 'AuthenticatedUsers'
LOG_DELIVERY = 'LogDelivery'
GROUP_URIS: Dict[str, str] = {
    ALL_USERS: GROUP_PREFIX + 'global/AllUsers',
    AUTHENTICATED_USERS: GROUP_PREFIX + 'global/AuthenticatedUsers',
    LOG_DELIVERY: GROUP_PREFIX + 's3/LogDelivery',
}
_GROUPS_BY_URI = {uri: name for name, uri in GROUP_URIS.items()}

USER = 'CanonicalUser'
GROUP = 'Group'
EMAIL = 'AmazonCustomerByEmail'

GRANT_HEADERS: Dict[str, str] = {
    'x-amz-grant-read': READ,
    'x-amz-grant-write': WRITE,
    'x-amz-grant-read-acp': READ_ACP,
    'x-amz-grant-write-acp': WRITE_ACP,
    'x-amz-grant-full-control': FULL_CONTROL,
}
CANNED = ('private', 'public-read', 'public-read-write', 'authenticated-read',
          'bucket-owner-read', 'bucket-owner-full-control',
          'log-delivery-write')
MAX_GRANTS = 100
MAX_ID_LENGTH = 256
# Printable, no XML specials, no surrounding white space.
_ID_CHARS = re.compile(r'^(?!\s)[^\x00-\x1f\x7f"<>&]+(?<!\s)$')
# One "type=value" item of an x-amz-grant-* header; value quoted or bare.
_GRANT_ITEM = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^,"]*?))\s*(?:,|$)')


@dataclass(frozen=True)
class Owner:
    id: str

    @property
    def display_name(self) -> str:
        return self.id


@dataclass(frozen=True)
class Grantee:
    """A canonical user (``kind=USER``, ``value`` its id) or a group
    (``kind=GROUP``, ``value`` its short name: AllUsers, ...)."""

    kind: str
    value: str

    @classmethod
    def user(cls, user_id: str) -> 'Grantee':
        return cls(USER, user_id)

    @classmethod
    def group(cls, name: str) -> 'Grantee':
        return cls(GROUP, name)


@dataclass(frozen=True)
class Grant:
    grantee: Grantee
    permission: str


_PUBLIC = (Grantee.group(ALL_USERS), Grantee.group(AUTHENTICATED_USERS))


@dataclass(frozen=True)
class Principal:
    """Who makes a request: the canonical ids it acts as, the id recorded
    as owner of what it creates (None: anonymous), and whether it signed."""

    ids: FrozenSet[str]
    canonical_id: Optional[str]
    authenticated: bool


ANONYMOUS = Principal(frozenset(), None, False)


@dataclass(frozen=True)
class ACL:
    owner: Owner
    grants: Tuple[Grant, ...]

    # -- storage ------------------------------------------------------------
    def to_json(self) -> str:
        """Compact JSON for sysmeta: {"o": owner, "g": [[kind, value, perm]]}
        with kind ``u`` (canonical user) or ``g`` (group short name).
        Written once per ACL value and process (every object PUT stores
        one, mostly its owner's private ACL)."""
        return _json_of(self)

    def _to_json(self) -> str:
        return json.dumps(
            {'o': self.owner.id,
             'g': [['u' if g.grantee.kind == USER else 'g', g.grantee.value,
                    g.permission] for g in self.grants]},
            separators=(',', ':'))

    @classmethod
    def from_json(cls, text: str) -> 'ACL':
        """Parse ``to_json`` output; ValueError when it is not that.

        Each text is parsed once per process (``_parsed``): ACLs are
        immutable, and every request reads its bucket's and its object's."""
        return _parsed(text)

    @classmethod
    def _from_json(cls, text: str) -> 'ACL':
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get('o'), str) \
                or not isinstance(data.get('g'), list):
            raise ValueError('not an ACL')
        grants = []
        for item in data['g']:
            if not (isinstance(item, list) and len(item) == 3
                    and item[0] in ('u', 'g') and item[2] in PERMISSIONS
                    and isinstance(item[1], str)):
                raise ValueError('bad grant %r' % (item,))
            if item[0] == 'g' and item[1] not in GROUP_URIS:
                raise ValueError('unknown group %r' % item[1])
            kind = USER if item[0] == 'u' else GROUP
            grants.append(Grant(Grantee(kind, item[1]), item[2]))
        return cls(Owner(data['o']), tuple(grants))

    # -- rendering ------------------------------------------------------------
    def to_xml(self) -> bytes:
        """The AccessControlPolicy document of GetBucketAcl/GetObjectAcl."""
        return xml.document('AccessControlPolicy', [
            owner_xml(self.owner), '<AccessControlList>',
            ''.join(_grant_xml(g) for g in self.grants),
            '</AccessControlList>'])

    # -- queries ------------------------------------------------------------------
    def is_owner_only(self) -> bool:
        """True when nobody but the owner is granted anything."""
        return all(g.grantee.kind == USER and same_id(g.grantee.value,
                                                       self.owner.id)
                   for g in self.grants)

    def is_public(self) -> bool:
        """True when the ACL grants anything to AllUsers or
        AuthenticatedUsers (what PublicAccessBlock calls public)."""
        return any(g.grantee in _PUBLIC for g in self.grants)

    def without_public(self) -> 'ACL':
        """The ACL without its public grants (IgnorePublicAcls)."""
        return ACL(self.owner, tuple(g for g in self.grants
                                     if g.grantee not in _PUBLIC))

    def only_full_control_for(self, *ids: str) -> bool:
        """True when every grant is FULL_CONTROL to one of ``ids`` (what a
        bucket with ACLs disabled still accepts)."""
        return all(g.permission == FULL_CONTROL and g.grantee.kind == USER
                   and any(same_id(g.grantee.value, i) for i in ids)
                   for g in self.grants)


@lru_cache(maxsize=1024)
def _parsed(text: str) -> ACL:
    return ACL._from_json(text)


@lru_cache(maxsize=1024)
def _json_of(value: ACL) -> str:
    return value._to_json()


def same_id(one: str, other: str) -> bool:
    """Canonical ids are equal without regard to case (see above)."""
    return one.lower() == other.lower()


def owner_xml(owner: Owner) -> str:
    return '<Owner>%s%s</Owner>' % (xml.elem('ID', owner.id),
                                    xml.elem('DisplayName',
                                             owner.display_name))


def _grant_xml(grant: Grant) -> str:
    grantee = grant.grantee
    if grantee.kind == USER:
        inner = xml.elem('ID', grantee.value) + \
            xml.elem('DisplayName', grantee.value)
    else:
        inner = xml.elem('URI', GROUP_URIS[grantee.value])
    return ('<Grant><Grantee xmlns:xsi="%s" xsi:type="%s">%s</Grantee>'
            '<Permission>%s</Permission></Grant>'
            % (xml.XSI_NS, grantee.kind, inner, grant.permission))


# -- defaults and canned ACLs -------------------------------------------------
@lru_cache(maxsize=1024)
def private(owner: Owner) -> ACL:
    """The owner's full control, nothing else (an immutable value: made
    once per owner and process)."""
    return ACL(owner, (Grant(Grantee.user(owner.id), FULL_CONTROL),))


def canned(name: str, owner: Owner, bucket_owner: Optional[Owner] = None
           ) -> ACL:
    """The ACL of canned ACL ``name``; ``bucket_owner`` is None for a
    bucket (the bucket-owner-* ACLs then mean private, as on AWS)."""
    grants: List[Grant] = [Grant(Grantee.user(owner.id), FULL_CONTROL)]
    everyone = Grantee.group(ALL_USERS)
    if name == 'public-read':
        grants.append(Grant(everyone, READ))
    elif name == 'public-read-write':
        grants += [Grant(everyone, READ), Grant(everyone, WRITE)]
    elif name == 'authenticated-read':
        grants.append(Grant(Grantee.group(AUTHENTICATED_USERS), READ))
    elif name == 'log-delivery-write':
        log = Grantee.group(LOG_DELIVERY)
        grants += [Grant(log, WRITE), Grant(log, READ_ACP)]
    elif name in ('bucket-owner-read', 'bucket-owner-full-control'):
        if bucket_owner is not None and \
                not same_id(bucket_owner.id, owner.id):
            grants.append(Grant(Grantee.user(bucket_owner.id),
                                READ if name == 'bucket-owner-read'
                                else FULL_CONTROL))
    elif name != 'private':
        if name == 'aws-exec-read':
            raise errors.NotImplemented('The canned ACL aws-exec-read is '
                                        'not implemented')
        raise errors.InvalidArgument(None, ArgumentName='x-amz-acl',
                                     ArgumentValue=name)
    return ACL(owner, tuple(grants))


# -- x-amz-grant-* headers ------------------------------------------------------
def valid_id(value: str) -> bool:
    """Whether ``value`` can be a canonical user id in a grant."""
    return 0 < len(value) <= MAX_ID_LENGTH and bool(_ID_CHARS.match(value))


def _check_id(value: str) -> str:
    if not valid_id(value):
        raise errors.InvalidArgument('Invalid id', ArgumentName='id',
                                     ArgumentValue=value)
    return value


def _group_from_uri(uri: str) -> Grantee:
    name = _GROUPS_BY_URI.get(uri)
    if name is None:
        raise errors.InvalidArgument('Invalid group uri', ArgumentName='uri',
                                     ArgumentValue=uri)
    return Grantee.group(name)


def _unresolvable(email: str) -> errors.S3Error:
    return errors.UnresolvableGrantByEmailAddress(EmailAddress=email)


def parse_grantees(header: str, value: str) -> List[Grantee]:
    """The grantees of one ``x-amz-grant-*`` header value, e.g.
    ``id="AUTH_test2", uri="http://acs.amazonaws.com/groups/global/AllUsers"``."""
    grantees: List[Grantee] = []
    pos = 0
    value = value.strip()
    while pos < len(value):
        match = _GRANT_ITEM.match(value, pos)
        if match is None or match.end() == pos:
            raise errors.InvalidArgument(None, ArgumentName=header,
                                         ArgumentValue=value)
        pos = match.end()
        kind = match.group(1).lower()
        item = match.group(2) if match.group(2) is not None \
            else match.group(3)
        if kind == 'id':
            grantees.append(Grantee.user(_check_id(item)))
        elif kind == 'uri':
            grantees.append(_group_from_uri(item))
        elif kind == 'emailaddress':
            raise _unresolvable(item)
        else:
            raise errors.InvalidArgument(None, ArgumentName=header,
                                         ArgumentValue=value)
    if not grantees:
        raise errors.InvalidArgument(None, ArgumentName=header,
                                     ArgumentValue=value)
    return grantees


def from_grant_headers(headers: Mapping[str, str], owner: Owner) -> ACL:
    """The ACL of ``x-amz-grant-*`` headers: exactly the grants named (the
    owner keeps READ_ACP/WRITE_ACP implicitly, as on AWS)."""
    grants: List[Grant] = []
    for header, permission in GRANT_HEADERS.items():
        value = headers.get(header)
        if value is None:
            continue
        for grantee in parse_grantees(header, value):
            grant = Grant(grantee, permission)
            if grant not in grants:
                grants.append(grant)
    _check_count(grants)
    return ACL(owner, tuple(grants))


def _check_count(grants: List[Grant]) -> None:
    if len(grants) > MAX_GRANTS:
        raise errors.MalformedACLError('Too many grants: at most %d are '
                                       'allowed' % MAX_GRANTS)


# -- AccessControlPolicy XML -----------------------------------------------------
def from_xml(body: bytes) -> ACL:
    """Parse an AccessControlPolicy document (PUT ?acl)."""
    root = xml.parse(body, 'AccessControlPolicy',
                     error=errors.MalformedACLError)
    owner_node = xml.child(root, 'Owner')
    acl_node = xml.child(root, 'AccessControlList')
    if owner_node is None or acl_node is None:
        raise errors.MalformedACLError()
    owner_id = (xml.text(owner_node, 'ID') or '').strip()
    if not owner_id:
        raise errors.MalformedACLError()
    grants: List[Grant] = []
    for node in xml.children(acl_node, 'Grant'):
        grant = Grant(_grantee_from_xml(xml.child(node, 'Grantee')),
                      (xml.text(node, 'Permission') or '').strip())
        if grant.permission not in PERMISSIONS:
            raise errors.MalformedACLError()
        if grant not in grants:
            grants.append(grant)
    _check_count(grants)
    return ACL(Owner(owner_id), tuple(grants))


def _grantee_from_xml(node: Any) -> Grantee:
    if node is None:
        raise errors.MalformedACLError()
    kind = next((v for k, v in node.attrib.items()
                 if xml.local(k) == 'type'), None)
    if kind == USER:
        return Grantee.user(_check_id((xml.text(node, 'ID') or '')
                                      .strip()))
    if kind == GROUP:
        return _group_from_uri((xml.text(node, 'URI') or '').strip())
    if kind == EMAIL:
        raise _unresolvable((xml.text(node, 'EmailAddress') or '')
                            .strip())
    raise errors.MalformedACLError()


# -- what a request asks for ---------------------------------------------------------
def from_request(headers: Mapping[str, str], body: bytes, owner: Owner,
                 bucket_owner: Optional[Owner] = None) -> Optional[ACL]:
    """The ACL requested by ``x-amz-acl``, ``x-amz-grant-*`` or an
    AccessControlPolicy ``body`` (only PUT ?acl has one); None when the
    request names none.  ``headers`` are keyed by lowercase name.

    A body's owner must be ``owner`` (AccessDenied otherwise): PUT ?acl
    never changes who owns a resource.
    """
    canned_name = headers.get('x-amz-acl')
    has_grants = any(h in headers for h in GRANT_HEADERS)
    if canned_name is not None and has_grants:
        raise errors.InvalidRequest('Specifying both Canned ACLs and Header '
                                    'Grants is not allowed')
    if body.strip():
        if canned_name is not None or has_grants:
            raise errors.UnexpectedContent()
        acl = from_xml(body)
        if not same_id(acl.owner.id, owner.id):
            raise errors.AccessDenied()
        return acl
    if canned_name is not None:
        return canned(canned_name.strip(), owner, bucket_owner)
    if has_grants:
        return from_grant_headers(headers, owner)
    return None


# -- evaluation --------------------------------------------------------------------------
def _acts_as(principal: Principal, canonical_id: str) -> bool:
    return canonical_id.lower() in {i.lower() for i in principal.ids}


def _matches(grantee: Grantee, principal: Principal) -> bool:
    if grantee.kind == USER:
        return _acts_as(principal, grantee.value)
    if grantee.value == ALL_USERS:
        return True
    return grantee.value == AUTHENTICATED_USERS and principal.authenticated


def permits(acl: ACL, principal: Principal, permission: str) -> bool:
    """Whether ``acl`` gives ``principal`` the S3 ``permission``."""
    if permission in (READ_ACP, WRITE_ACP) and is_owner(acl, principal):
        return True
    return any(g.permission in (permission, FULL_CONTROL)
               and _matches(g.grantee, principal) for g in acl.grants)


def is_owner(acl: ACL, principal: Principal) -> bool:
    return _acts_as(principal, acl.owner.id)
