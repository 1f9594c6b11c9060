"""The pure ACL model: canned ACLs, grant headers, AccessControlPolicy
parsing and rendering, the sysmeta JSON form and permission evaluation."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from swift3compat import errors
from swift3compat.model import acl
from swift3compat.model.acl import (ACL, ALL_USERS, AUTHENTICATED_USERS, FULL_CONTROL,
                                    LOG_DELIVERY, READ, READ_ACP, WRITE, WRITE_ACP,
                                    Grant, Grantee, Owner, Principal)

OWNER = Owner('AUTH_test')
BUCKET_OWNER = Owner('AUTH_bucket')
ME = Principal(frozenset({'AUTH_test', 'test:tester'}), 'AUTH_test', True)
OTHER = Principal(frozenset({'AUTH_test2', 'test2:tester2'}), 'AUTH_test2',
                  True)
USER3 = Principal(frozenset({'test:tester3'}), 'test:tester3', True)


def summary(policy: ACL) -> set:
    return {(g.grantee.kind, g.grantee.value, g.permission)
            for g in policy.grants}


# -- canned ---------------------------------------------------------------------
@pytest.mark.parametrize('name,extra', [
    ('private', set()),
    ('public-read', {('Group', ALL_USERS, READ)}),
    ('public-read-write', {('Group', ALL_USERS, READ),
                           ('Group', ALL_USERS, WRITE)}),
    ('authenticated-read', {('Group', AUTHENTICATED_USERS, READ)}),
    ('log-delivery-write', {('Group', LOG_DELIVERY, WRITE),
                            ('Group', LOG_DELIVERY, READ_ACP)}),
    ('bucket-owner-read', {('CanonicalUser', 'AUTH_bucket', READ)}),
    ('bucket-owner-full-control', {('CanonicalUser', 'AUTH_bucket',
                                    FULL_CONTROL)}),
])
def test_canned_acls(name, extra):
    policy = acl.canned(name, OWNER, BUCKET_OWNER)
    assert policy.owner == OWNER
    assert summary(policy) == {('CanonicalUser', 'AUTH_test', FULL_CONTROL)
                               } | extra


@pytest.mark.parametrize('name', ['bucket-owner-read',
                                  'bucket-owner-full-control'])
def test_bucket_owner_acls_for_the_bucket_owner_or_a_bucket(name):
    for bucket_owner in (OWNER, None):
        assert acl.canned(name, OWNER, bucket_owner).is_owner_only()


def test_unknown_canned_acl():
    with pytest.raises(errors.InvalidArgument):
        acl.canned('public', OWNER)
    with pytest.raises(errors.NotImplemented):
        acl.canned('aws-exec-read', OWNER)


# -- grant headers ----------------------------------------------------------------
def test_grant_header_values():
    grantees = acl.parse_grantees(
        'x-amz-grant-read',
        'id="AUTH_test2", uri="http://acs.amazonaws.com/groups/global/'
        'AllUsers",ID=test:tester3 ,  uri=http://acs.amazonaws.com/groups/'
        's3/LogDelivery')
    assert grantees == [Grantee.user('AUTH_test2'), Grantee.group(ALL_USERS),
                        Grantee.user('test:tester3'),
                        Grantee.group(LOG_DELIVERY)]


@pytest.mark.parametrize('value,error', [
    ('emailAddress="a@example.com"', errors.UnresolvableGrantByEmailAddress),
    ('uri="http://acs.amazonaws.com/groups/global/Nobody"',
     errors.InvalidArgument),
    ('nickname="x"', errors.InvalidArgument),
    ('id=""', errors.InvalidArgument),
    ('', errors.InvalidArgument),
    ('id="a" id="b"', errors.InvalidArgument),
    ('id="<x>"', errors.InvalidArgument),
    ('id="%s"' % ('x' * 300), errors.InvalidArgument),
    ('id=" padded"', errors.InvalidArgument),
])
def test_bad_grant_header_values(value, error):
    with pytest.raises(error):
        acl.parse_grantees('x-amz-grant-read', value)


def test_grant_headers_make_exactly_these_grants():
    policy = acl.from_grant_headers({
        'x-amz-grant-read': 'id="AUTH_test2", id="AUTH_test2"',
        'x-amz-grant-write-acp': 'id="test:tester3"',
        'x-amz-grant-full-control': 'id="AUTH_test"'}, OWNER)
    assert summary(policy) == {
        ('CanonicalUser', 'AUTH_test2', READ),
        ('CanonicalUser', 'test:tester3', WRITE_ACP),
        ('CanonicalUser', 'AUTH_test', FULL_CONTROL)}


def test_too_many_grants():
    value = ', '.join('id="u%d"' % i for i in range(acl.MAX_GRANTS + 1))
    with pytest.raises(errors.MalformedACLError):
        acl.from_grant_headers({'x-amz-grant-read': value}, OWNER)


# -- AccessControlPolicy ---------------------------------------------------------
POLICY = (
    b'<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    b'<Owner><ID>AUTH_test</ID><DisplayName>whatever</DisplayName></Owner>'
    b'<AccessControlList>'
    b'<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    b'xsi:type="CanonicalUser"><ID>AUTH_test</ID></Grantee>'
    b'<Permission>FULL_CONTROL</Permission></Grant>'
    b'<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    b'xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers'
    b'</URI></Grantee><Permission>READ</Permission></Grant>'
    b'</AccessControlList></AccessControlPolicy>')


def test_policy_round_trip():
    policy = acl.from_xml(POLICY)
    assert policy.owner == OWNER
    assert summary(policy) == {('CanonicalUser', 'AUTH_test', FULL_CONTROL),
                               ('Group', ALL_USERS, READ)}
    assert acl.from_xml(policy.to_xml()) == policy
    root = etree.fromstring(policy.to_xml())
    ns = {'s3': 'http://s3.amazonaws.com/doc/2006-03-01/',
          'xsi': 'http://www.w3.org/2001/XMLSchema-instance'}
    assert root.findtext('s3:Owner/s3:ID', namespaces=ns) == 'AUTH_test'
    types = [g.get('{%s}type' % ns['xsi']) for g in
             root.iterfind('.//s3:Grantee', namespaces=ns)]
    assert types == ['CanonicalUser', 'Group']


@pytest.mark.parametrize('body', [
    b'', b'junk', b'<Other/>',
    b'<AccessControlPolicy><AccessControlList/></AccessControlPolicy>',
    b'<AccessControlPolicy><Owner><ID></ID></Owner><AccessControlList/>'
    b'</AccessControlPolicy>',
    POLICY.replace(b'xsi:type="Group"', b''),
    POLICY.replace(b'xsi:type="Group"', b'xsi:type="Alien"'),
    POLICY.replace(b'>READ<', b'>READALL<'),
    POLICY.replace(b'<Grantee xmlns:xsi="http://www.w3.org/2001/'
                   b'XMLSchema-instance" xsi:type="Group"><URI>'
                   b'http://acs.amazonaws.com/groups/global/AllUsers</URI>'
                   b'</Grantee>', b''),
    b'<!DOCTYPE a [<!ENTITY e "AUTH_test">]>' + POLICY,
])
def test_malformed_policies(body):
    with pytest.raises(errors.MalformedACLError):
        acl.from_xml(body)


def test_policy_errors_from_grantees():
    with pytest.raises(errors.UnresolvableGrantByEmailAddress):
        acl.from_xml(POLICY.replace(
            b'xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/'
            b'AllUsers</URI>', b'xsi:type="AmazonCustomerByEmail">'
            b'<EmailAddress>a@example.com</EmailAddress>'))
    with pytest.raises(errors.InvalidArgument):
        acl.from_xml(POLICY.replace(b'global/AllUsers', b'global/Nobody'))


# -- what a request asks for -----------------------------------------------------------
def test_from_request():
    assert acl.from_request({}, b'', OWNER) is None
    assert summary(acl.from_request({'x-amz-acl': 'public-read'}, b'',
                                    OWNER)) == summary(
        acl.canned('public-read', OWNER))
    assert acl.from_request({}, POLICY, OWNER) == acl.from_xml(POLICY)
    with pytest.raises(errors.InvalidRequest):
        acl.from_request({'x-amz-acl': 'private',
                          'x-amz-grant-read': 'id="x"'}, b'', OWNER)
    with pytest.raises(errors.UnexpectedContent):
        acl.from_request({'x-amz-grant-read': 'id="x"'}, POLICY, OWNER)
    with pytest.raises(errors.AccessDenied):
        acl.from_request({}, POLICY, Owner('AUTH_test2'))


# -- storage form ---------------------------------------------------------------------------
def test_json_round_trip_and_compactness():
    policy = acl.canned('public-read-write', OWNER)
    text = policy.to_json()
    assert ' ' not in text and len(text) < 128
    assert ACL.from_json(text) == policy


@pytest.mark.parametrize('text', [
    '', '[]', '{"o": 1, "g": []}', '{"o": "a", "g": [["x", "a", "READ"]]}',
    '{"o": "a", "g": [["u", "a", "ALL"]]}',
    '{"o": "a", "g": [["g", "Martians", "READ"]]}', '{"o": "a"}'])
def test_bad_json(text):
    with pytest.raises(ValueError):
        ACL.from_json(text)


_IDS = st.text(st.characters(blacklist_categories=('Cs', 'Cc')),
               min_size=1, max_size=40).filter(acl.valid_id)
_GRANTEES = st.one_of(_IDS.map(Grantee.user),
                      st.sampled_from(sorted(acl.GROUP_URIS)).map(
                          Grantee.group))
_ACLS = st.builds(lambda owner, grants: ACL(Owner(owner), tuple(grants)),
                  _IDS, st.lists(st.builds(Grant, _GRANTEES,
                                           st.sampled_from(acl.PERMISSIONS)),
                                 max_size=8, unique=True))


@given(_ACLS)
def test_any_acl_survives_json_and_xml(policy):
    assert ACL.from_json(policy.to_json()) == policy
    assert acl.from_xml(policy.to_xml()) == policy


# -- evaluation ----------------------------------------------------------------------------------
def test_owner_keeps_acp_rights_only():
    policy = ACL(OWNER, (Grant(Grantee.user('AUTH_test2'), READ),))
    assert acl.permits(policy, ME, READ_ACP)
    assert acl.permits(policy, ME, WRITE_ACP)
    assert not acl.permits(policy, ME, READ)
    assert not acl.permits(policy, ME, WRITE)
    assert acl.permits(policy, OTHER, READ)
    assert not acl.permits(policy, OTHER, READ_ACP)


def test_full_control_implies_everything():
    policy = ACL(OWNER, (Grant(Grantee.user('test:tester3'), FULL_CONTROL),))
    for permission in (READ, WRITE, READ_ACP, WRITE_ACP, FULL_CONTROL):
        assert acl.permits(policy, USER3, permission)
        assert not acl.permits(policy, OTHER, permission)


def test_groups():
    public = acl.canned('public-read', OWNER)
    authenticated = acl.canned('authenticated-read', OWNER)
    logs = acl.canned('log-delivery-write', OWNER)
    assert acl.permits(public, acl.ANONYMOUS, READ)
    assert not acl.permits(public, acl.ANONYMOUS, WRITE)
    assert not acl.permits(authenticated, acl.ANONYMOUS, READ)
    assert acl.permits(authenticated, OTHER, READ)
    for who in (acl.ANONYMOUS, OTHER, USER3):
        assert not acl.permits(logs, who, WRITE)
    assert not acl.permits(acl.private(OWNER), acl.ANONYMOUS, READ_ACP)


def test_canonical_ids_ignore_case():
    """s3cmd --acl-grant lowercases ids."""
    policy = acl.from_grant_headers({'x-amz-grant-read': 'id="auth_test2"',
                                     'x-amz-grant-full-control':
                                     'id="auth_test"'}, OWNER)
    assert acl.permits(policy, OTHER, READ)
    assert policy.is_owner_only() is False
    assert acl.from_grant_headers({'x-amz-grant-full-control':
                                   'id="auth_TEST"'}, OWNER).is_owner_only()
    assert acl.is_owner(ACL(Owner('auth_test'), ()), ME)
    lowered = POLICY.replace(b'<ID>AUTH_test</ID>', b'<ID>auth_test</ID>')
    assert acl.from_request({}, lowered, OWNER) == acl.from_xml(lowered)


def test_public_and_owner_only():
    assert acl.private(OWNER).is_owner_only()
    assert not acl.canned('bucket-owner-read', OWNER, BUCKET_OWNER).is_public()
    assert not acl.canned('bucket-owner-read', OWNER,
                          BUCKET_OWNER).is_owner_only()
    assert not acl.canned('log-delivery-write', OWNER).is_public()
    for name in ('authenticated-read', 'public-read', 'public-read-write'):
        policy = acl.canned(name, OWNER)
        assert policy.is_public()
        assert policy.without_public() == acl.private(OWNER)


def test_only_full_control_for():
    full = acl.canned('bucket-owner-full-control', OWNER, BUCKET_OWNER)
    assert full.only_full_control_for('AUTH_bucket', 'AUTH_test')
    assert acl.private(OWNER).only_full_control_for('AUTH_bucket',
                                                    'AUTH_test')
    assert not full.only_full_control_for('AUTH_bucket')
    assert not acl.canned('bucket-owner-read', OWNER, BUCKET_OWNER
                          ).only_full_control_for('AUTH_bucket', 'AUTH_test')
