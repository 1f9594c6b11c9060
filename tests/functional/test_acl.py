"""S3 ACLs (s3_acl = true) against the real cluster: canned ACLs, explicit
grants, AccessControlPolicy bodies, grants across tempauth accounts, and
what PUT ?acl must leave alone.

Canonical ids: an account owner (tempauth ``.admin``) acts as its Swift
account (``AUTH_test``), a non-admin user as its user id (``test:tester3``).
"""
from __future__ import annotations

import http.client
import json
import urllib.parse

import pytest
from botocore.exceptions import ClientError

from tests.functional.raw_s3 import RawS3

OWNER = 'AUTH_test'
OTHER = 'AUTH_test2'
ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers'
AUTH_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers'
LOG_DELIVERY = 'http://acs.amazonaws.com/groups/s3/LogDelivery'


def _code(exc: ClientError) -> str:
    return exc.response['Error']['Code']


def grants(resp) -> set:
    """{(grantee, permission)} of a Get*Acl response; grantee is the
    canonical id or the group URI."""
    out = set()
    for grant in resp['Grants']:
        grantee = grant['Grantee']
        out.add((grantee.get('ID') or grantee['URI'], grant['Permission']))
    return out


def denied(call, *args, **kwargs) -> str:
    with pytest.raises(ClientError) as exc:
        call(*args, **kwargs)
    return _code(exc.value)


@pytest.fixture(scope='module')
def other(s3_client_factory):
    """Account test2's admin."""
    return s3_client_factory('test2:tester2')


@pytest.fixture(scope='module')
def nonadmin(s3_client_factory):
    """test:tester3, a user of account test without .admin."""
    return s3_client_factory('test:tester3')


@pytest.fixture
def bucket(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    return bucket_name


# -- defaults and rendering ------------------------------------------------------
def test_default_acls_and_xml(s3, bucket, s3_endpoint):
    resp = s3.get_bucket_acl(Bucket=bucket)
    assert resp['Owner'] == {'ID': OWNER, 'DisplayName': OWNER}
    assert grants(resp) == {(OWNER, 'FULL_CONTROL')}
    s3.put_object(Bucket=bucket, Key='k', Body=b'x')
    assert grants(s3.get_object_acl(Bucket=bucket, Key='k')) == \
        {(OWNER, 'FULL_CONTROL')}
    assert s3.list_buckets()['Owner']['ID'] == OWNER
    listing = s3.list_objects(Bucket=bucket)
    assert listing['Contents'][0]['Owner']['ID'] == OWNER
    raw = s3.get_bucket_acl(Bucket=bucket)['ResponseMetadata']
    assert raw['HTTPHeaders']['content-type'] == 'application/xml'


# -- canned ACLs -----------------------------------------------------------------
CANNED_BUCKET = {
    'private': set(),
    'public-read': {(ALL_USERS, 'READ')},
    'public-read-write': {(ALL_USERS, 'READ'), (ALL_USERS, 'WRITE')},
    'authenticated-read': {(AUTH_USERS, 'READ')},
    'log-delivery-write': {(LOG_DELIVERY, 'WRITE'),
                           (LOG_DELIVERY, 'READ_ACP')},
    # on a bucket, the bucket-owner-* ACLs are the owner alone
    'bucket-owner-read': set(),
    'bucket-owner-full-control': set(),
}


@pytest.mark.parametrize('canned', sorted(CANNED_BUCKET))
def test_every_canned_acl_on_create_and_put(s3, make_bucket_name, canned):
    expected = {(OWNER, 'FULL_CONTROL')} | CANNED_BUCKET[canned]
    name = make_bucket_name('canned-' + canned)
    s3.create_bucket(Bucket=name, ACL=canned)
    assert grants(s3.get_bucket_acl(Bucket=name)) == expected
    s3.put_bucket_acl(Bucket=name, ACL='private')
    assert grants(s3.get_bucket_acl(Bucket=name)) == {(OWNER, 'FULL_CONTROL')}
    s3.put_bucket_acl(Bucket=name, ACL=canned)
    assert grants(s3.get_bucket_acl(Bucket=name)) == expected
    obj_expected = {(OWNER, 'FULL_CONTROL')} | {
        g for g in CANNED_BUCKET[canned] if g[0] != LOG_DELIVERY}
    if canned == 'log-delivery-write':
        obj_expected |= CANNED_BUCKET[canned]
    s3.put_object(Bucket=name, Key='o', Body=b'x', ACL=canned)
    assert grants(s3.get_object_acl(Bucket=name, Key='o')) == obj_expected
    s3.put_object_acl(Bucket=name, Key='o', ACL='private')
    s3.put_object_acl(Bucket=name, Key='o', ACL=canned)
    assert grants(s3.get_object_acl(Bucket=name, Key='o')) == obj_expected


def test_unknown_canned_acl_is_invalid(s3, bucket):
    assert denied(s3.put_bucket_acl, Bucket=bucket, ACL='public') == \
        'InvalidArgument'
    assert denied(s3.put_object, Bucket=bucket, Key='k', Body=b'x',
                  ACL='nope') == 'InvalidArgument'
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key='k')


# -- explicit grants --------------------------------------------------------------
def test_grant_headers(s3, bucket):
    s3.put_bucket_acl(Bucket=bucket, GrantRead='id="%s", uri="%s"' % (
        OTHER, AUTH_USERS), GrantFullControl='id=%s' % OWNER,
        GrantWriteACP='id="test:tester3"')
    assert grants(s3.get_bucket_acl(Bucket=bucket)) == {
        (OTHER, 'READ'), (AUTH_USERS, 'READ'), (OWNER, 'FULL_CONTROL'),
        ('test:tester3', 'WRITE_ACP')}
    s3.put_object(Bucket=bucket, Key='g', Body=b'x',
                  GrantRead='uri="%s"' % ALL_USERS,
                  GrantReadACP='id="%s"' % OTHER)
    assert grants(s3.get_object_acl(Bucket=bucket, Key='g')) == {
        (ALL_USERS, 'READ'), (OTHER, 'READ_ACP')}


def test_bad_grants(s3, bucket):
    assert denied(s3.put_bucket_acl, Bucket=bucket,
                  GrantRead='emailAddress="someone@example.com"') == \
        'UnresolvableGrantByEmailAddress'
    assert denied(s3.put_bucket_acl, Bucket=bucket,
                  GrantRead='uri="http://acs.amazonaws.com/groups/x"') == \
        'InvalidArgument'
    assert denied(s3.put_bucket_acl, Bucket=bucket,
                  GrantRead='nickname="bob"') == 'InvalidArgument'
    assert denied(s3.put_bucket_acl, Bucket=bucket, ACL='public-read',
                  GrantRead='id="%s"' % OTHER) == 'InvalidRequest'
    assert grants(s3.get_bucket_acl(Bucket=bucket)) == \
        {(OWNER, 'FULL_CONTROL')}


def _policy(owner: str, *grant_list) -> dict:
    return {'Owner': {'ID': owner}, 'Grants': list(grant_list)}


def _user(cid: str, permission: str) -> dict:
    return {'Grantee': {'Type': 'CanonicalUser', 'ID': cid},
            'Permission': permission}


def _group(uri: str, permission: str) -> dict:
    return {'Grantee': {'Type': 'Group', 'URI': uri},
            'Permission': permission}


def test_access_control_policy_body(s3, bucket):
    s3.put_bucket_acl(Bucket=bucket, AccessControlPolicy=_policy(
        OWNER, _user(OWNER, 'FULL_CONTROL'), _group(ALL_USERS, 'READ'),
        _user(OTHER, 'WRITE')))
    assert grants(s3.get_bucket_acl(Bucket=bucket)) == {
        (OWNER, 'FULL_CONTROL'), (ALL_USERS, 'READ'), (OTHER, 'WRITE')}
    # the owner in the body must be the bucket's owner
    assert denied(s3.put_bucket_acl, Bucket=bucket, AccessControlPolicy=_policy(
        OTHER, _user(OTHER, 'FULL_CONTROL'))) == 'AccessDenied'
    email = {'Grantee': {'Type': 'AmazonCustomerByEmail',
                         'EmailAddress': 'x@example.com'},
             'Permission': 'READ'}
    assert denied(s3.put_bucket_acl, Bucket=bucket, AccessControlPolicy=_policy(
        OWNER, email)) == 'UnresolvableGrantByEmailAddress'
    assert s3.get_bucket_acl(Bucket=bucket)['Owner']['ID'] == OWNER


@pytest.mark.parametrize('body', [
    b'not xml',
    b'<AccessControlPolicy><Owner><ID>AUTH_test</ID></Owner>'
    b'</AccessControlPolicy>',
    b'<AccessControlPolicy><Owner><ID>AUTH_test</ID></Owner>'
    b'<AccessControlList><Grant><Grantee><ID>AUTH_test</ID></Grantee>'
    b'<Permission>READ</Permission></Grant></AccessControlList>'
    b'</AccessControlPolicy>',
    b'<AccessControlPolicy><Owner><ID>AUTH_test</ID></Owner>'
    b'<AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/'
    b'XMLSchema-instance" xsi:type="CanonicalUser"><ID>AUTH_test</ID>'
    b'</Grantee><Permission>EVERYTHING</Permission></Grant>'
    b'</AccessControlList></AccessControlPolicy>',
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM '
    b'"file:///etc/passwd">]><AccessControlPolicy><Owner><ID>&e;</ID>'
    b'</Owner><AccessControlList/></AccessControlPolicy>',
])
def test_malformed_policy(s3_endpoint, s3_users, bucket, body):
    raw = RawS3(s3_endpoint, 'test:tester', s3_users['test:tester'].key)
    resp = raw('PUT', '/%s?acl' % bucket, body=body)
    assert (resp.status, resp.code) == (400, 'MalformedACLError')
    assert b'root:' not in resp.body


def test_policy_with_headers_is_unexpected_content(s3_endpoint, s3_users,
                                                   bucket):
    raw = RawS3(s3_endpoint, 'test:tester', s3_users['test:tester'].key)
    body = (b'<AccessControlPolicy><Owner><ID>AUTH_test</ID></Owner>'
            b'<AccessControlList/></AccessControlPolicy>')
    resp = raw('PUT', '/%s?acl' % bucket, body=body,
               headers={'x-amz-acl': 'public-read'})
    assert (resp.status, resp.code) == (400, 'UnexpectedContent')
    resp = raw('PUT', '/%s?acl' % bucket)
    assert (resp.status, resp.code) == (400, 'MissingSecurityHeader')


# -- PUT ?acl in a versioned bucket (ceph/s3-tests test_object_put_acl_mtime,
# test_versioned_object_acl*) ------------------------------------------------
def test_put_object_acl_versioned(s3, other, bucket):
    s3.put_bucket_versioning(Bucket=bucket,
                             VersioningConfiguration={'Status': 'Enabled'})
    v1 = s3.put_object(Bucket=bucket, Key='k', Body=b'one')['VersionId']
    v2 = s3.put_object(Bucket=bucket, Key='k', Body=b'two')['VersionId']
    modified = s3.head_object(Bucket=bucket, Key='k')['LastModified']
    # the latest version, by key: its ACL changes, its data and date do not
    s3.put_object_acl(Bucket=bucket, Key='k', ACL='public-read')
    assert grants(s3.get_object_acl(Bucket=bucket, Key='k')) == \
        {(OWNER, 'FULL_CONTROL'), (ALL_USERS, 'READ')}
    head = s3.head_object(Bucket=bucket, Key='k')
    assert (head['VersionId'], head['LastModified']) == (v2, modified)
    assert s3.get_object(Bucket=bucket, Key='k')['Body'].read() == b'two'
    # one older version, by versionId: only that one
    s3.put_object_acl(Bucket=bucket, Key='k', VersionId=v1,
                      GrantRead='id="%s"' % OTHER)
    assert grants(s3.get_object_acl(Bucket=bucket, Key='k', VersionId=v1)) == \
        {(OTHER, 'READ')}
    assert other.get_object(Bucket=bucket, Key='k', VersionId=v1)[
        'Body'].read() == b'one'
    assert grants(s3.get_object_acl(Bucket=bucket, Key='k', VersionId=v2)) == \
        {(OWNER, 'FULL_CONTROL'), (ALL_USERS, 'READ')}
    assert s3.get_object(Bucket=bucket, Key='k')['VersionId'] == v2


# -- PUT ?acl changes nothing else (s3cmd-quirks #30) ---------------------------
def test_put_object_acl_keeps_data_and_metadata(s3, bucket):
    s3.put_object(Bucket=bucket, Key='keep', Body=b'payload',
                  ContentType='text/x-mine', Metadata={'a': '1', 'b': '2'},
                  ContentDisposition='attachment; filename="f"',
                  CacheControl='max-age=60', ContentEncoding='identity',
                  ContentLanguage='de', StorageClass='REDUCED_REDUNDANCY')
    before = s3.head_object(Bucket=bucket, Key='keep')
    listed_before = s3.list_objects(Bucket=bucket)['Contents']

    def xml_content_type(request, **_kwargs):
        # what s3cmd sends with setacl / after cp
        request.headers['Content-Type'] = 'application/xml'
    s3.meta.events.register('before-sign.s3.PutObjectAcl', xml_content_type)
    try:
        s3.put_object_acl(Bucket=bucket, Key='keep', AccessControlPolicy=_policy(
            OWNER, _user(OWNER, 'FULL_CONTROL'), _group(ALL_USERS, 'READ')))
        s3.put_object_acl(Bucket=bucket, Key='keep', ACL='authenticated-read')
    finally:
        s3.meta.events.unregister('before-sign.s3.PutObjectAcl',
                                  xml_content_type)
    after = s3.head_object(Bucket=bucket, Key='keep')
    for field in ('ContentType', 'Metadata', 'ContentDisposition',
                  'CacheControl', 'ContentEncoding', 'ContentLanguage',
                  'ETag', 'LastModified', 'ContentLength', 'StorageClass'):
        assert after.get(field) == before.get(field), field
    assert s3.get_object(Bucket=bucket, Key='keep')['Body'].read() == \
        b'payload'
    assert s3.list_objects(Bucket=bucket)['Contents'] == listed_before
    assert grants(s3.get_object_acl(Bucket=bucket, Key='keep')) == {
        (OWNER, 'FULL_CONTROL'), (AUTH_USERS, 'READ')}


def test_put_bucket_acl_keeps_bucket(s3, bucket):
    s3.put_object(Bucket=bucket, Key='k', Body=b'x')
    created = [b['CreationDate'] for b in s3.list_buckets()['Buckets']
               if b['Name'] == bucket]
    s3.put_bucket_acl(Bucket=bucket, ACL='public-read')
    assert [b['CreationDate'] for b in s3.list_buckets()['Buckets']
            if b['Name'] == bucket] == created
    assert [c['Key'] for c in s3.list_objects(Bucket=bucket)['Contents']] == \
        ['k']


# -- across accounts -----------------------------------------------------------------
def test_cross_account_read_grant(s3, other, bucket):
    s3.put_object(Bucket=bucket, Key='doc', Body=b'secret')
    assert denied(other.list_objects, Bucket=bucket) == 'AccessDenied'
    assert denied(other.head_bucket, Bucket=bucket) == '403'
    assert denied(other.get_object, Bucket=bucket, Key='doc') == \
        'AccessDenied'
    s3.put_bucket_acl(Bucket=bucket, GrantRead='id="%s"' % OTHER,
                      GrantFullControl='id="%s"' % OWNER)
    assert [c['Key'] for c in other.list_objects(Bucket=bucket)['Contents']] \
        == ['doc']
    other.head_bucket(Bucket=bucket)
    # bucket READ lists; reading an object needs the object's own grant
    assert denied(other.get_object, Bucket=bucket, Key='doc') == \
        'AccessDenied'
    # ... and a missing key is NoSuchKey for who may list
    assert denied(other.get_object, Bucket=bucket, Key='none') == 'NoSuchKey'
    s3.put_object_acl(Bucket=bucket, Key='doc', GrantRead='id="%s"' % OTHER)
    assert other.get_object(Bucket=bucket, Key='doc')['Body'].read() == \
        b'secret'
    # READ is not READ_ACP nor WRITE
    assert denied(other.get_object_acl, Bucket=bucket, Key='doc') == \
        'AccessDenied'
    assert denied(other.get_bucket_acl, Bucket=bucket) == 'AccessDenied'
    assert denied(other.put_object, Bucket=bucket, Key='new', Body=b'x') == \
        'AccessDenied'
    assert denied(other.delete_object, Bucket=bucket, Key='doc') == \
        'AccessDenied'
    assert denied(other.delete_bucket, Bucket=bucket) == 'AccessDenied'
    assert denied(other.put_bucket_acl, Bucket=bucket, ACL='public-read') == \
        'AccessDenied'


def test_missing_key_is_access_denied_without_list_permission(s3, other,
                                                              bucket):
    assert denied(other.get_object, Bucket=bucket, Key='none') == \
        'AccessDenied'
    assert denied(s3.get_object, Bucket=bucket, Key='none') == 'NoSuchKey'


def test_cross_account_write_and_object_ownership(s3, other, bucket):
    s3.put_bucket_acl(Bucket=bucket, GrantWrite='id="%s"' % OTHER,
                      GrantFullControl='id="%s"' % OWNER)
    other.put_object(Bucket=bucket, Key='theirs', Body=b'from test2')
    resp = other.get_object_acl(Bucket=bucket, Key='theirs')
    assert resp['Owner']['ID'] == OTHER
    assert grants(resp) == {(OTHER, 'FULL_CONTROL')}
    # the bucket owner does not read what another account wrote ...
    assert denied(s3.get_object, Bucket=bucket, Key='theirs') == \
        'AccessDenied'
    # ... unless it is given bucket-owner-read / -full-control
    other.put_object(Bucket=bucket, Key='shared', Body=b'for owner',
                     ACL='bucket-owner-full-control')
    assert grants(s3.get_object_acl(Bucket=bucket, Key='shared')) == {
        (OTHER, 'FULL_CONTROL'), (OWNER, 'FULL_CONTROL')}
    assert s3.get_object(Bucket=bucket, Key='shared')['Body'].read() == \
        b'for owner'
    other.put_object(Bucket=bucket, Key='ro', Body=b'r',
                     ACL='bucket-owner-read')
    assert grants(other.get_object_acl(Bucket=bucket, Key='ro')) == {
        (OTHER, 'FULL_CONTROL'), (OWNER, 'READ')}
    # WRITE on the bucket deletes anything in it
    s3.delete_object(Bucket=bucket, Key='theirs')
    other.delete_object(Bucket=bucket, Key='shared')
    # the writer cannot change the bucket's ACL
    assert denied(other.put_bucket_acl, Bucket=bucket, ACL='private') == \
        'AccessDenied'


def test_acp_grants(s3, other, bucket):
    s3.put_bucket_acl(Bucket=bucket, GrantReadACP='id="%s"' % OTHER,
                      GrantWriteACP='id="%s"' % OTHER,
                      GrantFullControl='id="%s"' % OWNER)
    assert grants(other.get_bucket_acl(Bucket=bucket)) == {
        (OTHER, 'READ_ACP'), (OTHER, 'WRITE_ACP'), (OWNER, 'FULL_CONTROL')}
    assert denied(other.list_objects, Bucket=bucket) == 'AccessDenied'
    other.put_bucket_acl(Bucket=bucket, GrantRead='id="%s"' % OTHER,
                         GrantFullControl='id="%s"' % OWNER)
    other.list_objects(Bucket=bucket)
    # the owner keeps READ_ACP / WRITE_ACP even without a grant
    s3.put_bucket_acl(Bucket=bucket, GrantRead='id="%s"' % OTHER)
    assert grants(s3.get_bucket_acl(Bucket=bucket)) == {(OTHER, 'READ')}
    assert denied(s3.list_objects, Bucket=bucket) == 'AccessDenied'
    s3.put_bucket_acl(Bucket=bucket, ACL='private')
    s3.list_objects(Bucket=bucket)


def test_authenticated_read_and_full_control(s3, other, bucket):
    s3.put_object(Bucket=bucket, Key='a', Body=b'auth', ACL='authenticated-read')
    assert other.get_object(Bucket=bucket, Key='a')['Body'].read() == b'auth'
    s3.put_bucket_acl(Bucket=bucket, GrantFullControl='id="%s"' % OTHER)
    other.put_object(Bucket=bucket, Key='b', Body=b'x')
    other.put_bucket_acl(Bucket=bucket, ACL='private')
    # private resets to the owner: AUTH_test, whoever asked
    assert grants(s3.get_bucket_acl(Bucket=bucket)) == \
        {(OWNER, 'FULL_CONTROL')}
    assert denied(other.list_objects, Bucket=bucket) == 'AccessDenied'


def test_same_account_users(s3, nonadmin, s3_client_factory, bucket):
    """Another .admin of the same account is an owner; a user without
    .admin is nobody until granted, whatever Swift container ACLs say."""
    s3.put_object(Bucket=bucket, Key='k', Body=b'data')
    admin2 = s3_client_factory('test:tester2')
    assert admin2.get_object(Bucket=bucket, Key='k')['Body'].read() == b'data'
    admin2.put_bucket_acl(Bucket=bucket, ACL='private')
    assert denied(nonadmin.list_objects, Bucket=bucket) == 'AccessDenied'
    assert denied(nonadmin.get_object, Bucket=bucket, Key='k') == \
        'AccessDenied'
    s3.put_bucket_acl(Bucket=bucket, GrantRead='id="test:tester3"',
                      GrantFullControl='id="%s"' % OWNER)
    s3.put_object_acl(Bucket=bucket, Key='k', GrantRead='id="test:tester3"')
    assert nonadmin.list_objects(Bucket=bucket)['Contents'][0]['Key'] == 'k'
    assert nonadmin.get_object(Bucket=bucket, Key='k')['Body'].read() == \
        b'data'
    # a non-admin user cannot create buckets (Swift's own decision)
    assert denied(nonadmin.list_buckets) == 'AccessDenied'


# -- copy ---------------------------------------------------------------------------
def test_copy_needs_read_on_the_source(s3, other, bucket, make_bucket_name):
    s3.put_object(Bucket=bucket, Key='src', Body=b'copy me',
                  Metadata={'m': 'v'})
    mine = make_bucket_name('copy-dst')
    other.create_bucket(Bucket=mine)
    source = {'Bucket': bucket, 'Key': 'src'}
    assert denied(other.copy_object, Bucket=mine, Key='c', CopySource=source) \
        == 'AccessDenied'
    s3.put_object_acl(Bucket=bucket, Key='src', GrantRead='id="%s"' % OTHER)
    other.copy_object(Bucket=mine, Key='c', CopySource=source,
                      ACL='public-read')
    assert other.get_object(Bucket=mine, Key='c')['Body'].read() == b'copy me'
    acl = other.get_object_acl(Bucket=mine, Key='c')
    assert acl['Owner']['ID'] == OTHER
    assert grants(acl) == {(OTHER, 'FULL_CONTROL'), (ALL_USERS, 'READ')}
    # within a bucket: WRITE on it does not give READ on its objects
    s3.put_object(Bucket=bucket, Key='private', Body=b'p')
    s3.put_bucket_acl(Bucket=bucket, GrantWrite='id="%s"' % OTHER,
                      GrantFullControl='id="%s"' % OWNER)
    assert denied(other.copy_object, Bucket=bucket, Key='stolen',
                  CopySource={'Bucket': bucket, 'Key': 'private'}) == \
        'AccessDenied'
    assert denied(s3.head_object, Bucket=bucket, Key='stolen') == '404'


# -- the global bucket namespace -----------------------------------------------------
def test_bucket_names_are_unique_across_accounts(s3, other, make_bucket_name):
    name = make_bucket_name('unique')
    s3.create_bucket(Bucket=name)
    assert denied(other.create_bucket, Bucket=name) == 'BucketAlreadyExists'
    s3.create_bucket(Bucket=name)       # the owner, in us-east-1: 200
    s3.delete_bucket(Bucket=name)
    other.create_bucket(Bucket=name)
    assert denied(s3.create_bucket, Bucket=name) == 'BucketAlreadyExists'
    other.delete_bucket(Bucket=name)


def test_re_create_resets_acl_in_us_east_1(s3, bucket):
    s3.put_bucket_acl(Bucket=bucket, ACL='public-read')
    s3.create_bucket(Bucket=bucket, ACL='private')
    assert (ALL_USERS, 'READ') not in grants(s3.get_bucket_acl(Bucket=bucket))


# -- s3_acl = false -------------------------------------------------------------------
@pytest.fixture(scope='module')
def plain(proxy_factory, s3_client_factory):
    proxy = proxy_factory(storage_domain='localhost', s3_acl='false')
    return s3_client_factory(proxy=proxy)


def test_without_s3_acl_only_the_owner(plain, make_bucket_name):
    name = make_bucket_name('plain')
    assert denied(plain.create_bucket, Bucket=name, ACL='public-read') == \
        'NotImplemented'
    plain.create_bucket(Bucket=name, ACL='private')
    assert grants(plain.get_bucket_acl(Bucket=name)) == \
        {(OWNER, 'FULL_CONTROL')}
    plain.put_bucket_acl(Bucket=name, ACL='private')
    plain.put_bucket_acl(Bucket=name, GrantFullControl='id="%s"' % OWNER)
    for kwargs in ({'ACL': 'public-read'}, {'GrantRead': 'id="%s"' % OTHER}):
        assert denied(plain.put_bucket_acl, Bucket=name, **kwargs) == \
            'NotImplemented'
    assert denied(plain.put_object, Bucket=name, Key='k', Body=b'x',
                  ACL='public-read') == 'NotImplemented'
    plain.put_object(Bucket=name, Key='k', Body=b'x',
                     ACL='bucket-owner-full-control')
    plain.put_object_acl(Bucket=name, Key='k', ACL='private')
    assert grants(plain.get_object_acl(Bucket=name, Key='k')) == \
        {(OWNER, 'FULL_CONTROL')}


def test_without_s3_acl_no_anonymous_access(plain, proxy_factory,
                                            make_bucket_name):
    name = make_bucket_name('plain-anon')
    plain.create_bucket(Bucket=name)
    plain.put_object(Bucket=name, Key='k', Body=b'x')
    proxy = proxy_factory(storage_domain='localhost', s3_acl='false')
    conn = http.client.HTTPConnection('127.0.0.1', proxy.port, timeout=30)
    conn.request('GET', '/%s/%s' % (name, urllib.parse.quote('k')))
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    assert resp.status == 403 and b'<Code>AccessDenied</Code>' in body


# -- the bucket's PublicAccessBlock and ObjectOwnership ------------------------------
def _anonymous_status(endpoint: str, bucket: str, key: str) -> int:
    parts = urllib.parse.urlsplit(endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request('GET', '/%s/%s' % (bucket, urllib.parse.quote(key)))
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def _block(s3, bucket: str, **settings) -> None:
    config = {name: settings.get(name, False) for name in (
        'BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy',
        'RestrictPublicBuckets')}
    s3.put_public_access_block(Bucket=bucket,
                               PublicAccessBlockConfiguration=config)


def test_ignore_public_acls(s3, other, bucket, s3_endpoint):
    s3.put_bucket_acl(Bucket=bucket, ACL='public-read')
    s3.put_object(Bucket=bucket, Key='p', Body=b'p', ACL='public-read')
    s3.put_object(Bucket=bucket, Key='a', Body=b'a', ACL='authenticated-read')
    s3.put_object(Bucket=bucket, Key='g', Body=b'g',
                  GrantRead='id="%s"' % OTHER)
    assert _anonymous_status(s3_endpoint, bucket, 'p') == 200
    _block(s3, bucket, IgnorePublicAcls=True)
    assert _anonymous_status(s3_endpoint, bucket, 'p') == 403
    assert denied(other.get_object, Bucket=bucket, Key='a') == 'AccessDenied'
    assert denied(other.list_objects, Bucket=bucket) == 'AccessDenied'
    # grants to named accounts are not public: they still count
    assert other.get_object(Bucket=bucket, Key='g')['Body'].read() == b'g'
    # the ACLs are kept, only ignored
    assert (ALL_USERS, 'READ') in grants(s3.get_object_acl(Bucket=bucket,
                                                           Key='p'))
    s3.delete_public_access_block(Bucket=bucket)
    assert _anonymous_status(s3_endpoint, bucket, 'p') == 200


def test_block_public_acls(s3, bucket):
    _block(s3, bucket, BlockPublicAcls=True)
    for call, kwargs in ((s3.put_bucket_acl, {'ACL': 'public-read'}),
                         (s3.put_bucket_acl, {'GrantRead': 'uri="%s"'
                                              % AUTH_USERS}),
                         (s3.put_object, {'Key': 'k', 'Body': b'x',
                                          'ACL': 'public-read'})):
        assert denied(call, Bucket=bucket, **kwargs) == 'AccessDenied'
    assert denied(s3.head_object, Bucket=bucket, Key='k') == '404'
    s3.put_object(Bucket=bucket, Key='k', Body=b'x',
                  GrantRead='id="%s"' % OTHER)
    assert denied(s3.put_object_acl, Bucket=bucket, Key='k',
                  ACL='public-read-write') == 'AccessDenied'
    s3.put_bucket_acl(Bucket=bucket, ACL='private')


def _ownership(s3, bucket: str, value: str) -> None:
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={
        'Rules': [{'ObjectOwnership': value}]})


def test_bucket_owner_enforced_disables_acls(s3, other, bucket, s3_endpoint):
    s3.put_object(Bucket=bucket, Key='old', Body=b'o', ACL='public-read')
    s3.put_bucket_acl(Bucket=bucket, GrantWrite='id="%s"' % OTHER,
                      GrantFullControl='id="%s"' % OWNER)
    # ACLs can be disabled only once the bucket ACL is the owner's alone
    assert denied(_ownership, s3, bucket, 'BucketOwnerEnforced') == \
        'InvalidBucketAclWithObjectOwnership'
    s3.put_bucket_acl(Bucket=bucket, ACL='private')
    _ownership(s3, bucket, 'BucketOwnerEnforced')
    # what was public is not any more: only the bucket owner decides
    assert _anonymous_status(s3_endpoint, bucket, 'old') == 403
    assert denied(other.put_object, Bucket=bucket, Key='n', Body=b'x') == \
        'AccessDenied'
    assert denied(s3.put_object, Bucket=bucket, Key='k', Body=b'x',
                  ACL='public-read') == 'AccessControlListNotSupported'
    assert denied(s3.put_object_acl, Bucket=bucket, Key='old',
                  ACL='public-read') == 'AccessControlListNotSupported'
    assert denied(s3.put_bucket_acl, Bucket=bucket,
                  ACL='public-read') == 'AccessControlListNotSupported'
    # setting any ACL fails, even the owner's private one
    assert denied(s3.put_bucket_acl, Bucket=bucket,
                  ACL='private') == 'AccessControlListNotSupported'
    assert denied(s3.put_object_acl, Bucket=bucket, Key='old',
                  ACL='private') == 'AccessControlListNotSupported'
    s3.put_object(Bucket=bucket, Key='k', Body=b'x',
                  ACL='bucket-owner-full-control')
    s3.put_object(Bucket=bucket, Key='mine', Body=b'x', ACL='private')
    assert grants(s3.get_object_acl(Bucket=bucket, Key='old')) == \
        {(OWNER, 'FULL_CONTROL')}
    _ownership(s3, bucket, 'ObjectWriter')
    assert _anonymous_status(s3_endpoint, bucket, 'old') == 200


def test_bucket_owner_preferred(s3, other, bucket):
    _ownership(s3, bucket, 'BucketOwnerPreferred')
    s3.put_bucket_acl(Bucket=bucket, GrantWrite='id="%s"' % OTHER,
                      GrantFullControl='id="%s"' % OWNER)
    other.put_object(Bucket=bucket, Key='given', Body=b'g',
                     ACL='bucket-owner-full-control')
    assert s3.get_object_acl(Bucket=bucket, Key='given')['Owner']['ID'] == \
        OWNER
    other.put_object(Bucket=bucket, Key='kept', Body=b'k')
    assert other.get_object_acl(Bucket=bucket, Key='kept')['Owner']['ID'] \
        == OTHER


def test_bucket_owner_enforced_writers_of_another_account(s3, other, bucket):
    """s3-tests' _test_object_ownership_bucket_owner_enforced: another
    account, let in by a bucket policy, writes without an ACL or with
    bucket-owner-full-control (the bucket owner owns the result) and gets
    AccessControlListNotSupported for any other ACL, its own private one
    included; an upload's Owner is the bucket owner, its Initiator the
    writer."""
    _ownership(s3, bucket, 'BucketOwnerEnforced')
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        'Version': '2012-10-17', 'Statement': [{
            'Effect': 'Allow', 'Principal': {'AWS': '*'}, 'Action': '*',
            'Resource': ['arn:aws:s3:::%s' % bucket,
                         'arn:aws:s3:::%s/*' % bucket]}]}))
    other.put_object(Bucket=bucket, Key='plain', Body=b'x')
    other.put_object(Bucket=bucket, Key='full', Body=b'x',
                     ACL='bucket-owner-full-control')
    for key in ('plain', 'full'):
        assert other.get_object_acl(Bucket=bucket, Key=key)['Owner'][
            'ID'] == OWNER
    source = {'Bucket': bucket, 'Key': 'plain'}
    for call, kwargs in (
            (other.put_object, {'Key': 'p', 'Body': b'x'}),
            (other.copy_object, {'Key': 'c', 'CopySource': source}),
            (other.create_multipart_upload, {'Key': 'm'})):
        assert denied(call, Bucket=bucket, ACL='private', **kwargs) == \
            'AccessControlListNotSupported', call
    other.copy_object(Bucket=bucket, Key='copy', CopySource=source,
                      ACL='bucket-owner-full-control')
    assert s3.get_object_acl(Bucket=bucket, Key='copy')['Owner']['ID'] == \
        OWNER
    upload = other.create_multipart_upload(
        Bucket=bucket, Key='up', ACL='bucket-owner-full-control')['UploadId']
    parts = other.list_parts(Bucket=bucket, Key='up', UploadId=upload)
    assert (parts['Owner']['ID'], parts['Initiator']['ID']) == (OWNER, OTHER)
    listed = s3.list_multipart_uploads(Bucket=bucket)['Uploads']
    assert [(u['Owner']['ID'], u['Initiator']['ID']) for u in listed] == [
        (OWNER, OTHER)]
    assert denied(other.put_bucket_acl, Bucket=bucket, ACL='private') == \
        'AccessControlListNotSupported'
    assert denied(other.put_object_acl, Bucket=bucket, Key='plain',
                  ACL='private') == 'AccessControlListNotSupported'
    other.abort_multipart_upload(Bucket=bucket, Key='up', UploadId=upload)
    s3.delete_bucket_policy(Bucket=bucket)
