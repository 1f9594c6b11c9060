"""S3 Object Lock through the S3 API (boto3), against a real Swift cluster:
every operation and the exact AWS error of each misuse.

The proxy runs with ``object_lock = true``, the ``objectlock`` filter and a
short Object Lock "day" (see object_lock_support).  Far-future dates are
used where a lock must hold for the test, short default retentions where
the test shows the version becomes deletable once it has passed.
"""
from __future__ import annotations

import datetime
import json

import pytest
import requests
from botocore.exceptions import ClientError

from tests.functional.object_lock_support import (
    LOCK_DAY, code, md5_b64, start_lock_proxy, status, swift_api, wait_past)
from tests.functional.raw_s3 import RawS3

FAR = datetime.datetime(2100, 1, 1, tzinfo=datetime.timezone.utc)
SOSAPI = '.system-d26a9498-cb7c-4a87-a44a-8ae204f5ba6c/'


@pytest.fixture(scope='module')
def proxy(swift_cluster):
    return start_lock_proxy(swift_cluster, 'proxy-object-lock')


@pytest.fixture(scope='module')
def s3(s3_client_factory, proxy):
    return s3_client_factory(proxy=proxy)


@pytest.fixture(scope='module')
def s3_plain(s3_client_factory, proxy):
    """A client that sends no checksum unless an operation requires one."""
    return s3_client_factory(proxy=proxy,
                             request_checksum_calculation='when_required')


@pytest.fixture
def bucket(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name, ObjectLockEnabledForBucket=True)
    return bucket_name


@pytest.fixture(scope='module')
def raw(proxy, s3_users):
    user = s3_users['test:tester']
    return RawS3('http://localhost:%d' % proxy.port, user.access_key,
                 user.key)


def put_locked(s3, bucket, key='k', mode='GOVERNANCE', until=FAR, body=b'x',
               **extra):
    return s3.put_object(Bucket=bucket, Key=key, Body=body,
                         ObjectLockMode=mode, ObjectLockRetainUntilDate=until,
                         **extra)


def release(s3, bucket, key, version):
    """Remove what a GOVERNANCE test left (legal hold off, bypass delete)."""
    s3.put_object_legal_hold(Bucket=bucket, Key=key, VersionId=version,
                             LegalHold={'Status': 'OFF'})
    s3.delete_object(Bucket=bucket, Key=key, VersionId=version,
                     BypassGovernanceRetention=True)


# -- bucket configuration -------------------------------------------------------------
def test_create_bucket_with_object_lock(s3, bucket):
    assert s3.get_bucket_versioning(Bucket=bucket)['Status'] == 'Enabled'
    conf = s3.get_object_lock_configuration(Bucket=bucket)
    assert conf['ObjectLockConfiguration'] == {'ObjectLockEnabled': 'Enabled'}
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={
            'Status': 'Suspended'})
    assert (status(exc), code(exc)) == (409, 'InvalidBucketState')
    # Enabled again is fine
    s3.put_bucket_versioning(Bucket=bucket,
                             VersioningConfiguration={'Status': 'Enabled'})


@pytest.mark.parametrize('rule', [
    {'Mode': 'GOVERNANCE', 'Days': 1}, {'Mode': 'COMPLIANCE', 'Years': 1}])
def test_configuration_round_trip(s3, bucket, rule):
    conf = {'ObjectLockEnabled': 'Enabled',
            'Rule': {'DefaultRetention': rule}}
    s3.put_object_lock_configuration(Bucket=bucket,
                                     ObjectLockConfiguration=conf)
    got = s3.get_object_lock_configuration(Bucket=bucket)
    assert got['ObjectLockConfiguration'] == conf
    # the rule can be removed, Object Lock itself cannot
    s3.put_object_lock_configuration(
        Bucket=bucket, ObjectLockConfiguration={'ObjectLockEnabled': 'Enabled'})
    assert s3.get_object_lock_configuration(Bucket=bucket)[
        'ObjectLockConfiguration'] == {'ObjectLockEnabled': 'Enabled'}


@pytest.mark.parametrize('conf,expected', [
    ({'ObjectLockEnabled': 'Enabled', 'Rule': {'DefaultRetention': {
        'Mode': 'GOVERNANCE', 'Days': 1, 'Years': 1}}}, 'MalformedXML'),
    ({'ObjectLockEnabled': 'Enabled', 'Rule': {'DefaultRetention': {
        'Mode': 'GOVERNANCE', 'Days': 0}}}, 'InvalidRetentionPeriod'),
    ({'ObjectLockEnabled': 'Enabled', 'Rule': {'DefaultRetention': {
        'Mode': 'GOVERNANCE', 'Years': -1}}}, 'InvalidRetentionPeriod'),
    ({'ObjectLockEnabled': 'Enabled', 'Rule': {'DefaultRetention': {
        'Mode': 'governance', 'Years': 1}}}, 'MalformedXML'),
    ({'ObjectLockEnabled': 'Disabled', 'Rule': {'DefaultRetention': {
        'Mode': 'GOVERNANCE', 'Years': 1}}}, 'MalformedXML'),
])
def test_invalid_configurations(s3, bucket, conf, expected):
    with pytest.raises(ClientError) as exc:
        s3.put_object_lock_configuration(Bucket=bucket,
                                         ObjectLockConfiguration=conf)
    assert (status(exc), code(exc)) == (400, expected)


def test_configuration_on_buckets_without_lock(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    with pytest.raises(ClientError) as exc:
        s3.get_object_lock_configuration(Bucket=bucket_name)
    assert (status(exc), code(exc)) == (
        404, 'ObjectLockConfigurationNotFoundError')
    conf = {'ObjectLockEnabled': 'Enabled', 'Rule': {'DefaultRetention': {
        'Mode': 'GOVERNANCE', 'Days': 1}}}
    for versioning in (None, 'Suspended'):
        if versioning:
            s3.put_bucket_versioning(Bucket=bucket_name,
                                     VersioningConfiguration={
                                         'Status': versioning})
        with pytest.raises(ClientError) as exc:
            s3.put_object_lock_configuration(Bucket=bucket_name,
                                             ObjectLockConfiguration=conf)
        assert (status(exc), code(exc)) == (409, 'InvalidBucketState')
    # an existing bucket with versioning enabled may turn it on, as on AWS
    s3.put_bucket_versioning(Bucket=bucket_name,
                             VersioningConfiguration={'Status': 'Enabled'})
    s3.put_object_lock_configuration(Bucket=bucket_name,
                                     ObjectLockConfiguration=conf)
    assert s3.get_object_lock_configuration(Bucket=bucket_name)[
        'ObjectLockConfiguration'] == conf
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_versioning(Bucket=bucket_name, VersioningConfiguration={
            'Status': 'Suspended'})
    assert code(exc) == 'InvalidBucketState'


def test_lock_operations_on_buckets_without_lock(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    s3.put_object(Bucket=bucket_name, Key='k', Body=b'x')
    calls = [
        lambda: s3.put_object_retention(Bucket=bucket_name, Key='k', Retention={
            'Mode': 'GOVERNANCE', 'RetainUntilDate': FAR}),
        lambda: s3.get_object_retention(Bucket=bucket_name, Key='k'),
        lambda: s3.put_object_legal_hold(Bucket=bucket_name, Key='k',
                                         LegalHold={'Status': 'ON'}),
        lambda: s3.get_object_legal_hold(Bucket=bucket_name, Key='k'),
        lambda: put_locked(s3, bucket_name),
        lambda: s3.put_object(Bucket=bucket_name, Key='k', Body=b'x',
                              ObjectLockLegalHoldStatus='ON'),
    ]
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert (status(exc), code(exc)) == (400, 'InvalidRequest')
        assert 'Object Lock' in exc.value.response['Error']['Message']


# -- object versions ----------------------------------------------------------------------
def test_put_with_lock_headers_and_get_head(s3, bucket):
    version = s3.put_object(
        Bucket=bucket, Key='k', Body=b'data', ObjectLockMode='GOVERNANCE',
        ObjectLockRetainUntilDate=FAR, ObjectLockLegalHoldStatus='ON'
    )['VersionId']
    for resp in (s3.head_object(Bucket=bucket, Key='k'),
                 s3.get_object(Bucket=bucket, Key='k', VersionId=version)):
        assert resp['ObjectLockMode'] == 'GOVERNANCE'
        assert resp['ObjectLockRetainUntilDate'] == FAR
        assert resp['ObjectLockLegalHoldStatus'] == 'ON'
    assert s3.get_object_retention(Bucket=bucket, Key='k')['Retention'] == {
        'Mode': 'GOVERNANCE', 'RetainUntilDate': FAR}
    assert s3.get_object_legal_hold(Bucket=bucket, Key='k', VersionId=version
                                    )['LegalHold'] == {'Status': 'ON'}
    release(s3, bucket, 'k', version)


def test_no_lock_configuration_on_a_version(s3, bucket):
    s3.put_object(Bucket=bucket, Key='k', Body=b'x')
    for call in (s3.get_object_retention, s3.get_object_legal_hold):
        with pytest.raises(ClientError) as exc:
            call(Bucket=bucket, Key='k')
        assert (status(exc), code(exc)) == (404,
                                            'NoSuchObjectLockConfiguration')
    head = s3.head_object(Bucket=bucket, Key='k')
    assert 'ObjectLockMode' not in head


@pytest.mark.parametrize('headers,message', [
    ({'x-amz-object-lock-mode': 'GOVERNANCE'}, 'must both be supplied'),
    ({'x-amz-object-lock-mode': 'FOREVER',
      'x-amz-object-lock-retain-until-date': '2100-01-01T00:00:00Z'},
     'Unknown wormMode directive.'),
    ({'x-amz-object-lock-mode': 'GOVERNANCE',
      'x-amz-object-lock-retain-until-date': '2001-01-01T00:00:00Z'},
     'The retain until date must be in the future!'),
    ({'x-amz-object-lock-mode': 'GOVERNANCE',
      'x-amz-object-lock-retain-until-date': 'someday'}, 'ISO 8601'),
    ({'x-amz-object-lock-legal-hold': 'maybe'}, "'ON' or 'OFF'"),
])
def test_bad_lock_headers(raw, bucket, headers, message):
    body = b'x'
    resp = raw('PUT', '/%s/k' % bucket, body=body, headers=dict(
        headers, **{'Content-MD5': md5_b64(body)}))
    assert (resp.status, resp.code) == (400, 'InvalidArgument')
    assert message.encode() in resp.body


def test_put_needs_an_integrity_header(s3_plain, raw, bucket):
    with pytest.raises(ClientError) as exc:
        put_locked(s3_plain, bucket)
    assert (status(exc), code(exc)) == (400, 'InvalidRequest')
    assert 'Content-MD5 OR x-amz-checksum-' in \
        exc.value.response['Error']['Message']
    # with Content-MD5, or any checksum (header or trailer), it works
    v1 = put_locked(s3_plain, bucket, ContentMD5=md5_b64(b'x'))['VersionId']
    v2 = put_locked(s3_plain, bucket, ChecksumAlgorithm='SHA256')['VersionId']
    for version in (v1, v2):
        release(s3_plain, bucket, 'k', version)
    # a default retention makes every PUT one "with Object Lock parameters"
    s3_plain.put_object_lock_configuration(
        Bucket=bucket, ObjectLockConfiguration={
            'ObjectLockEnabled': 'Enabled', 'Rule': {'DefaultRetention': {
                'Mode': 'GOVERNANCE', 'Days': 1}}})
    resp = raw('PUT', '/%s/plain' % bucket, body=b'y')
    assert (resp.status, resp.code) == (400, 'InvalidRequest')
    resp = raw('PUT', '/%s/plain' % bucket, body=b'y',
               headers={'Content-MD5': md5_b64(b'y')})
    assert resp.status == 200


def test_default_retention_applies_and_passes(s3, bucket):
    s3.put_object_lock_configuration(
        Bucket=bucket, ObjectLockConfiguration={
            'ObjectLockEnabled': 'Enabled', 'Rule': {'DefaultRetention': {
                'Mode': 'COMPLIANCE', 'Days': 1}}})
    before = datetime.datetime.now(datetime.timezone.utc)
    version = s3.put_object(Bucket=bucket, Key='k', Body=b'x')['VersionId']
    head = s3.head_object(Bucket=bucket, Key='k', VersionId=version)
    assert head['ObjectLockMode'] == 'COMPLIANCE'
    until = head['ObjectLockRetainUntilDate']
    assert until >= before + datetime.timedelta(seconds=LOCK_DAY - 1)
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=bucket, Key='k', VersionId=version,
                         BypassGovernanceRetention=True)
    assert (status(exc), code(exc)) == (403, 'AccessDenied')
    # an explicit retention wins over the default
    explicit = put_locked(s3, bucket, key='e')['VersionId']
    assert s3.head_object(Bucket=bucket, Key='e', VersionId=explicit)[
        'ObjectLockMode'] == 'GOVERNANCE'
    wait_past(until)
    s3.delete_object(Bucket=bucket, Key='k', VersionId=version)
    release(s3, bucket, 'e', explicit)


# -- deletes ---------------------------------------------------------------------------------
def test_delete_governance_needs_bypass(s3, bucket):
    version = put_locked(s3, bucket)['VersionId']
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=bucket, Key='k', VersionId=version)
    assert (status(exc), code(exc)) == (403, 'AccessDenied')
    # a plain delete only adds a delete marker
    marker = s3.delete_object(Bucket=bucket, Key='k')
    assert marker['DeleteMarker']
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=bucket, Key='k', VersionId=version)
    assert code(exc) == 'AccessDenied'
    s3.delete_object(Bucket=bucket, Key='k', VersionId=marker['VersionId'])
    resp = s3.delete_object(Bucket=bucket, Key='k', VersionId=version,
                            BypassGovernanceRetention=True)
    assert resp['ResponseMetadata']['HTTPStatusCode'] == 204
    assert 'Versions' not in s3.list_object_versions(Bucket=bucket)


def test_compliance_cannot_be_deleted_or_shortened(s3, bucket):
    until = datetime.datetime.now(datetime.timezone.utc) + \
        datetime.timedelta(seconds=5)
    version = put_locked(s3, bucket, mode='COMPLIANCE', until=until
                         )['VersionId']
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=bucket, Key='k', VersionId=version,
                         BypassGovernanceRetention=True)
    assert (status(exc), code(exc)) == (403, 'AccessDenied')
    shorter = until - datetime.timedelta(seconds=2)
    for retention in ({'Mode': 'COMPLIANCE', 'RetainUntilDate': shorter},
                      {'Mode': 'GOVERNANCE', 'RetainUntilDate': until}):
        with pytest.raises(ClientError) as exc:
            s3.put_object_retention(Bucket=bucket, Key='k', Retention=retention,
                                    BypassGovernanceRetention=True)
        assert (status(exc), code(exc)) == (403, 'AccessDenied')
    # extending is allowed
    longer = until + datetime.timedelta(seconds=2)
    s3.put_object_retention(Bucket=bucket, Key='k', Retention={
        'Mode': 'COMPLIANCE', 'RetainUntilDate': longer})
    assert s3.get_object_retention(Bucket=bucket, Key='k')['Retention'][
        'RetainUntilDate'] == longer.replace(
            microsecond=longer.microsecond // 1000 * 1000)
    wait_past(longer)
    s3.delete_object(Bucket=bucket, Key='k', VersionId=version)


def test_governance_changes(s3, bucket):
    version = put_locked(s3, bucket)['VersionId']
    shorter = FAR - datetime.timedelta(days=1)
    with pytest.raises(ClientError) as exc:
        s3.put_object_retention(Bucket=bucket, Key='k', Retention={
            'Mode': 'GOVERNANCE', 'RetainUntilDate': shorter})
    assert code(exc) == 'AccessDenied'
    with pytest.raises(ClientError) as exc:   # AWS needs the bypass here too
        s3.put_object_retention(Bucket=bucket, Key='k', Retention={
            'Mode': 'COMPLIANCE', 'RetainUntilDate': FAR})
    assert code(exc) == 'AccessDenied'
    s3.put_object_retention(Bucket=bucket, Key='k', VersionId=version,
                            Retention={'Mode': 'GOVERNANCE',
                                       'RetainUntilDate': shorter},
                            BypassGovernanceRetention=True)
    assert s3.get_object_retention(Bucket=bucket, Key='k')['Retention'][
        'RetainUntilDate'] == shorter
    with pytest.raises(ClientError) as exc:
        s3.put_object_retention(Bucket=bucket, Key='k', Retention={
            'Mode': 'GOVERNANCE', 'RetainUntilDate': datetime.datetime(
                2001, 1, 1, tzinfo=datetime.timezone.utc)})
    assert (status(exc), code(exc)) == (400, 'InvalidArgument')
    with pytest.raises(ClientError) as exc:
        s3.put_object_retention(Bucket=bucket, Key='k', Retention={
            'Mode': 'governance', 'RetainUntilDate': FAR})
    assert (status(exc), code(exc)) == (400, 'MalformedXML')
    s3.delete_object(Bucket=bucket, Key='k', VersionId=version,
                     BypassGovernanceRetention=True)


def test_legal_hold_blocks_delete(s3, bucket):
    version = s3.put_object(Bucket=bucket, Key='k', Body=b'x',
                            ObjectLockLegalHoldStatus='ON')['VersionId']
    for bypass in (False, True):
        with pytest.raises(ClientError) as exc:
            s3.delete_object(Bucket=bucket, Key='k', VersionId=version,
                             BypassGovernanceRetention=bypass)
        assert (status(exc), code(exc)) == (403, 'AccessDenied')
    with pytest.raises(ClientError) as exc:
        s3.put_object_legal_hold(Bucket=bucket, Key='k',
                                 LegalHold={'Status': 'abc'})
    assert (status(exc), code(exc)) == (400, 'MalformedXML')
    s3.put_object_legal_hold(Bucket=bucket, Key='k',
                             LegalHold={'Status': 'OFF'})
    assert s3.get_object_legal_hold(Bucket=bucket, Key='k')['LegalHold'] == \
        {'Status': 'OFF'}
    s3.delete_object(Bucket=bucket, Key='k', VersionId=version)


def test_delete_objects(s3, bucket):
    v1 = put_locked(s3, bucket, key='k1')['VersionId']
    v2 = s3.put_object(Bucket=bucket, Key='k2', Body=b'x')['VersionId']
    resp = s3.delete_objects(Bucket=bucket, Delete={'Objects': [
        {'Key': 'k1', 'VersionId': v1}, {'Key': 'k2', 'VersionId': v2}]})
    assert [(d['Key'], d['VersionId']) for d in resp['Deleted']] == \
        [('k2', v2)]
    assert [(e['Key'], e['VersionId'], e['Code']) for e in resp['Errors']] \
        == [('k1', v1, 'AccessDenied')]
    resp = s3.delete_objects(Bucket=bucket, BypassGovernanceRetention=True,
                             Delete={'Objects': [{'Key': 'k1',
                                                  'VersionId': v1}]})
    assert not resp.get('Errors')
    assert [d['VersionId'] for d in resp['Deleted']] == [v1]


def test_bypass_only_for_allowed_callers(s3, s3_client_factory, proxy,
                                         bucket):
    version = put_locked(s3, bucket)['VersionId']
    other = s3_client_factory('test:tester3', proxy=proxy)
    arn = 'arn:aws:s3:::%s/*' % bucket
    delete_only = {'Version': '2012-10-17', 'Statement': [{
        'Effect': 'Allow', 'Principal': {'AWS': ['test:tester3']},
        'Action': ['s3:DeleteObjectVersion', 's3:DeleteObject',
                   's3:PutObjectRetention'],
        'Resource': [arn]}]}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(delete_only))
    with pytest.raises(ClientError) as exc:
        other.delete_object(Bucket=bucket, Key='k', VersionId=version,
                            BypassGovernanceRetention=True)
    assert (status(exc), code(exc)) == (403, 'AccessDenied')
    with pytest.raises(ClientError) as exc:
        other.put_object_retention(
            Bucket=bucket, Key='k', BypassGovernanceRetention=True,
            Retention={'Mode': 'GOVERNANCE', 'RetainUntilDate':
                       FAR - datetime.timedelta(days=1)})
    assert code(exc) == 'AccessDenied'
    with_bypass = json.loads(json.dumps(delete_only))
    with_bypass['Statement'][0]['Action'].append(
        's3:BypassGovernanceRetention')
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(with_bypass))
    other.delete_object(Bucket=bucket, Key='k', VersionId=version,
                        BypassGovernanceRetention=True)


def test_retention_and_legal_hold_permissions(s3, s3_client_factory, proxy,
                                              bucket):
    version = put_locked(s3, bucket)['VersionId']
    other = s3_client_factory('test:tester3', proxy=proxy)
    for call in (
            lambda: other.get_object_retention(Bucket=bucket, Key='k'),
            lambda: other.get_object_legal_hold(Bucket=bucket, Key='k'),
            lambda: other.put_object_legal_hold(
                Bucket=bucket, Key='k', LegalHold={'Status': 'ON'}),
            lambda: other.get_object_lock_configuration(Bucket=bucket),
            lambda: other.put_object_lock_configuration(
                Bucket=bucket, ObjectLockConfiguration={
                    'ObjectLockEnabled': 'Enabled'})):
        with pytest.raises(ClientError) as exc:
            call()
        assert code(exc) == 'AccessDenied'
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        'Version': '2012-10-17', 'Statement': [{
            'Effect': 'Allow', 'Principal': {'AWS': ['test:tester3']},
            'Action': ['s3:GetObjectRetention', 's3:GetObjectLegalHold',
                       's3:GetBucketObjectLockConfiguration'],
            'Resource': ['arn:aws:s3:::%s' % bucket,
                         'arn:aws:s3:::%s/*' % bucket]}]}))
    assert other.get_object_retention(Bucket=bucket, Key='k')['Retention'][
        'Mode'] == 'GOVERNANCE'
    other.get_object_lock_configuration(Bucket=bucket)
    s3.delete_object(Bucket=bucket, Key='k', VersionId=version,
                     BypassGovernanceRetention=True)


LOCK_FIELDS = ('ObjectLockMode', 'ObjectLockRetainUntilDate',
               'ObjectLockLegalHoldStatus')


def lock_fields(resp):
    return {name: resp[name] for name in LOCK_FIELDS if name in resp}


def test_get_head_lock_headers_need_the_permissions(s3, s3_client_factory,
                                                    proxy, bucket):
    """AWS: x-amz-object-lock-mode and -retain-until-date only for
    s3:GetObjectRetention, -legal-hold only for s3:GetObjectLegalHold."""
    version = put_locked(s3, bucket, ObjectLockLegalHoldStatus='ON',
                         ContentMD5=md5_b64(b'x'))['VersionId']
    everything = {'ObjectLockMode': 'GOVERNANCE',
                  'ObjectLockRetainUntilDate': FAR,
                  'ObjectLockLegalHoldStatus': 'ON'}
    # the bucket owner sees them all
    assert lock_fields(s3.head_object(Bucket=bucket, Key='k')) == everything
    got = s3.get_object(Bucket=bucket, Key='k')
    got['Body'].read()
    assert lock_fields(got) == everything
    other = s3_client_factory('test:tester3', proxy=proxy)
    # a reader by ACL sees the object, not its lock
    s3.put_object_acl(Bucket=bucket, Key='k', VersionId=version,
                      GrantRead='id="test:tester3"')
    assert other.head_object(Bucket=bucket, Key='k')['ContentLength'] == 1
    assert lock_fields(other.head_object(Bucket=bucket, Key='k')) == {}
    got = other.get_object(Bucket=bucket, Key='k')
    assert got['Body'].read() == b'x'
    assert lock_fields(got) == {}

    def allow(*actions):
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
            'Version': '2012-10-17', 'Statement': [{
                'Effect': 'Allow', 'Principal': {'AWS': ['test:tester3']},
                'Action': list(actions),
                'Resource': ['arn:aws:s3:::%s/*' % bucket]}]}))
    # a reader by policy: the same
    s3.put_object_acl(Bucket=bucket, Key='k', VersionId=version,
                      ACL='private')
    allow('s3:GetObject')
    assert lock_fields(other.head_object(Bucket=bucket, Key='k')) == {}
    # s3:GetObjectRetention: mode and date, not the legal hold
    allow('s3:GetObject', 's3:GetObjectRetention')
    assert lock_fields(other.head_object(Bucket=bucket, Key='k')) == {
        'ObjectLockMode': 'GOVERNANCE', 'ObjectLockRetainUntilDate': FAR}
    # s3:GetObjectLegalHold: the legal hold only
    allow('s3:GetObject', 's3:GetObjectLegalHold')
    got = other.get_object(Bucket=bucket, Key='k')
    got['Body'].read()
    assert lock_fields(got) == {'ObjectLockLegalHoldStatus': 'ON'}
    s3.delete_bucket_policy(Bucket=bucket)
    release(s3, bucket, 'k', version)


# -- copy, multipart, POST ------------------------------------------------------------------
def test_copy_sets_its_own_lock(s3, bucket):
    src = put_locked(s3, bucket, key='src', mode='GOVERNANCE')['VersionId']
    # a copy does not inherit the source's lock
    copied = s3.copy_object(Bucket=bucket, Key='plain',
                            CopySource={'Bucket': bucket, 'Key': 'src'})
    assert 'ObjectLockMode' not in s3.head_object(Bucket=bucket, Key='plain')
    locked = s3.copy_object(Bucket=bucket, Key='locked', CopySource={
        'Bucket': bucket, 'Key': 'src'}, ObjectLockMode='COMPLIANCE',
        ObjectLockRetainUntilDate=FAR, ObjectLockLegalHoldStatus='ON')
    head = s3.head_object(Bucket=bucket, Key='locked')
    assert (head['ObjectLockMode'], head['ObjectLockLegalHoldStatus']) == \
        ('COMPLIANCE', 'ON')
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=bucket, Key='locked',
                         VersionId=locked['VersionId'])
    assert code(exc) == 'AccessDenied'
    s3.delete_object(Bucket=bucket, Key='plain',
                     VersionId=copied['VersionId'])
    release(s3, bucket, 'src', src)


def test_multipart_lock_applied_on_complete(s3, bucket):
    up = s3.create_multipart_upload(
        Bucket=bucket, Key='mp', ObjectLockMode='GOVERNANCE',
        ObjectLockRetainUntilDate=FAR, ObjectLockLegalHoldStatus='ON')
    part = s3.upload_part(Bucket=bucket, Key='mp', UploadId=up['UploadId'],
                          PartNumber=1, Body=b'abc')
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key='mp', UploadId=up['UploadId'], MultipartUpload={
            'Parts': [{'PartNumber': 1, 'ETag': part['ETag']}]})
    head = s3.head_object(Bucket=bucket, Key='mp')
    assert (head['ObjectLockMode'], head['ObjectLockLegalHoldStatus'],
            head['ObjectLockRetainUntilDate']) == ('GOVERNANCE', 'ON', FAR)
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=bucket, Key='mp',
                         VersionId=done['VersionId'],
                         BypassGovernanceRetention=True)
    assert code(exc) == 'AccessDenied'
    release(s3, bucket, 'mp', done['VersionId'])
    with pytest.raises(ClientError) as exc:
        s3.create_multipart_upload(Bucket=bucket, Key='bad',
                                   ObjectLockMode='GOVERNANCE')
    assert code(exc) == 'InvalidArgument'


def test_post_form_with_lock_fields(s3, bucket):
    fields = {'x-amz-object-lock-mode': 'GOVERNANCE',
              'x-amz-object-lock-retain-until-date': '2100-01-01T00:00:00Z',
              'x-amz-object-lock-legal-hold': 'ON'}
    post = s3.generate_presigned_post(
        bucket, 'form', Fields=dict(fields),
        Conditions=[{k: v} for k, v in fields.items()])
    resp = requests.post(post['url'], data=post['fields'],
                         files={'file': ('f', b'form data')}, timeout=30)
    assert resp.status_code == 204, resp.text
    head = s3.head_object(Bucket=bucket, Key='form')
    assert (head['ObjectLockMode'], head['ObjectLockLegalHoldStatus']) == \
        ('GOVERNANCE', 'ON')
    release(s3, bucket, 'form', head['VersionId'])


# -- the native Swift API ------------------------------------------------------------------
def test_swift_api_cannot_delete_a_locked_version(s3, proxy, bucket):
    until = datetime.datetime.now(datetime.timezone.utc) + \
        datetime.timedelta(seconds=6)
    version = put_locked(s3, bucket, mode='COMPLIANCE', until=until
                         )['VersionId']
    held = s3.put_object(Bucket=bucket, Key='held', Body=b'h',
                         ObjectLockLegalHoldStatus='ON')['VersionId']
    owner = swift_api(proxy)                                  # .admin
    reseller = swift_api(proxy, 'admin:admin', 'admin')       # reseller admin
    path = '/AUTH_test/%s/k' % bucket
    for call in (owner, reseller):
        resp = call('DELETE', path, params={'version-id': version})
        assert resp.status_code == 403, resp.text
        assert 'Object Lock' in resp.text
        resp = call('POST', path, headers={'X-Object-Meta-A': 'b'})
        assert resp.status_code == 403
        resp = call('POST', path, headers={'X-Delete-After': '1'})
        assert resp.status_code == 403
        resp = call('DELETE', '/AUTH_test/%s/held' % bucket,
                    params={'version-id': held})
        assert resp.status_code == 403
        resp = call('DELETE', path, params={'multipart-manifest': 'delete'})
        assert resp.status_code == 403
        resp = call('POST', '/AUTH_test/%s' % bucket,
                    headers={'X-Versions-Enabled': 'false'})
        assert resp.status_code == 403
    assert s3.get_object(Bucket=bucket, Key='k', VersionId=version)[
        'Body'].read() == b'x'
    assert s3.get_bucket_versioning(Bucket=bucket)['Status'] == 'Enabled'
    wait_past(until)
    assert owner('DELETE', path, params={'version-id': version}
                 ).status_code == 204
    s3.put_object_legal_hold(Bucket=bucket, Key='held',
                             LegalHold={'Status': 'OFF'})
    assert owner('DELETE', '/AUTH_test/%s/held' % bucket,
                 params={'version-id': held}).status_code == 204


def test_swift_api_writes_get_the_default_retention(s3, proxy, bucket):
    s3.put_object_lock_configuration(
        Bucket=bucket, ObjectLockConfiguration={
            'ObjectLockEnabled': 'Enabled', 'Rule': {'DefaultRetention': {
                'Mode': 'COMPLIANCE', 'Days': 1}}})
    owner = swift_api(proxy)
    path = '/AUTH_test/%s/native' % bucket
    resp = owner('PUT', path, data=b'native')
    assert resp.status_code == 201
    version = resp.headers['X-Object-Version-Id']
    head = s3.head_object(Bucket=bucket, Key='native', VersionId=version)
    assert head['ObjectLockMode'] == 'COMPLIANCE'
    assert owner('DELETE', path, params={'version-id': version}
                 ).status_code == 403
    assert owner('PUT', path, data=b'x', headers={'X-Delete-After': '5'}
                 ).status_code == 403
    wait_past(head['ObjectLockRetainUntilDate'])
    assert owner('DELETE', path, params={'version-id': version}
                 ).status_code == 204


def test_swift_api_cannot_delete_segments(s3, proxy, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key='mp',
                                    ObjectLockLegalHoldStatus='ON')
    part = s3.upload_part(Bucket=bucket, Key='mp', UploadId=up['UploadId'],
                          PartNumber=1, Body=b'abc')
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key='mp', UploadId=up['UploadId'], MultipartUpload={
            'Parts': [{'PartNumber': 1, 'ETag': part['ETag']}]})
    owner = swift_api(proxy)
    listing = owner('GET', '/AUTH_test/%s+segments' % bucket,
                    params={'format': 'json'}).json()
    assert listing
    for entry in listing:
        resp = owner('DELETE', '/AUTH_test/%s+segments/%s' % (
            bucket, entry['name']))
        assert resp.status_code == 403
    assert s3.get_object(Bucket=bucket, Key='mp')['Body'].read() == b'abc'
    s3.put_object_legal_hold(Bucket=bucket, Key='mp',
                             LegalHold={'Status': 'OFF'})
    s3.delete_object(Bucket=bucket, Key='mp', VersionId=done['VersionId'])


# -- Veeam SOSAPI --------------------------------------------------------------------------
def test_sosapi_documents(s3, proxy, bucket):
    system = s3.get_object(Bucket=bucket, Key=SOSAPI + 'system.xml')
    text = system['Body'].read().decode()
    assert '<ProtocolVersion>"1.0"</ProtocolVersion>' in text
    assert '<CapacityInfo>false</CapacityInfo>' in text
    # a quota on the account makes capacity reportable
    admin = swift_api(proxy, 'admin:admin', 'admin')
    assert admin('POST', '/AUTH_test', headers={
        'X-Account-Meta-Quota-Bytes': str(10 ** 12)}).status_code == 204
    try:
        s3.put_object(Bucket=bucket, Key='data', Body=b'z' * 1000)
        text = s3.get_object(Bucket=bucket, Key=SOSAPI + 'system.xml')[
            'Body'].read().decode()
        assert '<CapacityInfo>true</CapacityInfo>' in text
        capacity = s3.get_object(Bucket=bucket, Key=SOSAPI + 'capacity.xml')
        body = capacity['Body'].read().decode()
        assert '<Capacity>%d</Capacity>' % 10 ** 12 in body
        used = int(body.split('<Used>')[1].split('<')[0])
        available = int(body.split('<Available>')[1].split('<')[0])
        # the account's usage as Swift reports it (updated asynchronously
        # by the container updaters)
        account = admin('HEAD', '/AUTH_test')
        assert used == int(account.headers['X-Account-Bytes-Used'])
        assert available == 10 ** 12 - used
        assert s3.head_object(Bucket=bucket, Key=SOSAPI + 'capacity.xml')[
            'ContentLength'] > 0
    finally:
        admin('POST', '/AUTH_test', headers={
            'X-Remove-Account-Meta-Quota-Bytes': 'x'})
    versions = s3.list_object_versions(Bucket=bucket)
    assert not [v for v in versions.get('Versions', [])
                if v['Key'].startswith(SOSAPI)]
