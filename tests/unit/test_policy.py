"""Bucket policy parsing, validation and deny-first evaluation."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, strategies as st

from swift3compat import errors
from swift3compat.api import routes
from swift3compat.model import policy
from swift3compat.model.policy import ALLOW, DENY, Context

BUCKET = 'pub'
OBJ = 'arn:aws:s3:::pub/*'
ANON = frozenset()
OWNER = frozenset({'AUTH_test', 'test:tester'})


def doc(*statements, **top):
    return json.dumps({'Version': '2012-10-17', **top,
                       'Statement': list(statements)})


def stmt(effect='Allow', principal='*', action='s3:GetObject',
         resource=OBJ, **extra):
    out = {'Effect': effect, 'Principal': principal, 'Action': action,
           'Resource': resource}
    out.update(extra)
    return out


def ctx(action='s3:GetObject', key='k', ids=ANON, **kw):
    return Context(action, policy.resource_arn(BUCKET, key), ids, **kw)


PUBLIC_READ = policy.parse(doc(stmt()), BUCKET)


# -- evaluation ---------------------------------------------------------------
def test_public_read_allows_anonymous_get_only():
    assert policy.evaluate(PUBLIC_READ, ctx()) == ALLOW
    assert policy.evaluate(PUBLIC_READ, ctx('s3:PutObject')) is None
    assert policy.evaluate(PUBLIC_READ, ctx('s3:ListBucket', None)) is None


def test_no_policy_no_verdict():
    assert policy.evaluate(None, ctx()) is None


def test_explicit_deny_beats_allow_in_any_order():
    for order in ((stmt(), stmt('Deny')), (stmt('Deny'), stmt())):
        p = policy.parse(doc(*order), BUCKET)
        assert policy.evaluate(p, ctx()) == DENY


def test_authorize_is_deny_first():
    assert policy.authorize(DENY, lambda: True) is False
    assert policy.authorize(ALLOW, lambda: False) is True
    assert policy.authorize(None, lambda: True) is True
    assert policy.authorize(None, lambda: False) is False


def test_principals():
    p = policy.parse(doc(stmt(principal={'AWS': [
        'arn:aws:iam::AUTH_test2:root', 'test:tester3']})), BUCKET)
    assert policy.evaluate(p, ctx(ids=frozenset({'AUTH_test2'}))) == ALLOW
    assert policy.evaluate(p, ctx(ids=frozenset({'test:tester3'}))) == ALLOW
    assert policy.evaluate(p, ctx(ids=frozenset({'test:tester'}))) is None
    assert policy.evaluate(p, ctx()) is None
    canonical = policy.parse(doc(stmt(principal={'CanonicalUser': 'u1'})),
                             BUCKET)
    assert policy.evaluate(canonical, ctx(ids=frozenset({'u1'}))) == ALLOW
    star = policy.parse(doc(stmt(principal={'AWS': '*'})), BUCKET)
    assert policy.evaluate(star, ctx()) == ALLOW


@pytest.mark.parametrize('pattern,action,matches', [
    ('s3:Get*', 's3:GetObject', True),
    ('s3:Get*', 's3:GetBucketAcl', True),
    ('s3:Get*', 's3:PutObject', False),
    ('s3:*', 's3:DeleteObject', True),
    ('*', 's3:DeleteObject', True),
    ('s3:getobject', 's3:GetObject', True),      # actions ignore case
    ('s3:GetObjec?', 's3:GetObject', True),
    ('s3:Put*', 's3:PutObjectAcl', True),
    ('s3:List*', 's3:ListBucket', True),
    ('s3:Delete*', 's3:DeleteObjectVersion', True),
    ('s3:Delete*', 's3:PutObject', False),
])
def test_action_wildcards(pattern, action, matches):
    p = policy.parse(doc(stmt(action=pattern, resource=[
        'arn:aws:s3:::pub', OBJ])), BUCKET)
    key = None if action in policy.BUCKET_ACTIONS else 'k'
    assert (policy.evaluate(p, ctx(action, key)) == ALLOW) is matches


@pytest.mark.parametrize('resource,key,matches', [
    ('arn:aws:s3:::pub/public/*', 'public/a.txt', True),
    ('arn:aws:s3:::pub/public/*', 'private/a.txt', False),
    ('arn:aws:s3:::pub/*.jpg', 'a/b/c.jpg', True),
    ('arn:aws:s3:::pub/?.txt', 'a.txt', True),
    ('arn:aws:s3:::pub/?.txt', 'ab.txt', False),
    ('arn:aws:s3:::pub/exact', 'exact', True),
    ('arn:aws:s3:::pub/exact', 'Exact', False),    # resources keep case
    ('arn:aws:s3:::pub/a[b]', 'a[b]', True),       # no character classes
])
def test_resource_wildcards(resource, key, matches):
    p = policy.parse(doc(stmt(resource=resource)), BUCKET)
    assert (policy.evaluate(p, ctx(key=key)) == ALLOW) is matches


def test_not_action_and_not_resource():
    p = policy.parse(doc(
        {'Effect': 'Deny', 'Principal': '*', 'NotAction': 's3:GetObject',
         'Resource': OBJ},
        {'Effect': 'Allow', 'Principal': '*', 'Action': 's3:*',
         'NotResource': 'arn:aws:s3:::pub/secret/*'}), BUCKET)
    assert policy.evaluate(p, ctx('s3:PutObject')) == DENY
    assert policy.evaluate(p, ctx('s3:GetObject', 'open')) == ALLOW
    assert policy.evaluate(p, ctx('s3:GetObject', 'secret/x')) is None


def test_source_ip_condition():
    p = policy.parse(doc(stmt(Condition={'IpAddress': {
        'aws:SourceIp': ['10.0.0.0/8', '2001:db8::/32']}})), BUCKET)
    assert policy.evaluate(p, ctx(source_ip='10.1.2.3')) == ALLOW
    assert policy.evaluate(p, ctx(source_ip='2001:db8::1')) == ALLOW
    assert policy.evaluate(p, ctx(source_ip='127.0.0.1')) is None
    assert policy.evaluate(p, ctx(source_ip=None)) is None
    deny = policy.parse(doc(stmt('Deny', Condition={'NotIpAddress': {
        'aws:sourceip': '127.0.0.1/32'}})), BUCKET)
    assert policy.evaluate(deny, ctx(source_ip='127.0.0.1')) is None
    assert policy.evaluate(deny, ctx(source_ip='10.0.0.1')) == DENY


def test_secure_transport_condition():
    p = policy.parse(doc(stmt('Deny', action='s3:*', Condition={
        'Bool': {'aws:SecureTransport': 'false'}})), BUCKET)
    assert policy.evaluate(p, ctx(secure_transport=False)) == DENY
    assert policy.evaluate(p, ctx(secure_transport=True)) is None
    json_bool = policy.parse(doc(stmt(Condition={
        'Bool': {'aws:SecureTransport': True}})), BUCKET)
    assert policy.evaluate(json_bool, ctx(secure_transport=True)) == ALLOW


def test_prefix_condition_and_missing_keys():
    listing = {'Effect': 'Allow', 'Principal': '*',
               'Action': 's3:ListBucket', 'Resource': 'arn:aws:s3:::pub',
               'Condition': {'StringLike': {'s3:prefix': ['home/*', '']}}}
    p = policy.parse(doc(listing), BUCKET)
    assert policy.evaluate(p, ctx('s3:ListBucket', None,
                                  prefix='home/x/')) == ALLOW
    assert policy.evaluate(p, ctx('s3:ListBucket', None, prefix='')) == ALLOW
    assert policy.evaluate(p, ctx('s3:ListBucket', None,
                                  prefix='etc/')) is None
    # s3:prefix absent from the request: a positive operator fails ...
    assert policy.evaluate(p, ctx('s3:ListBucket', None)) is None
    # ... and a negated one holds.
    negated = dict(listing, Condition={'StringNotEquals': {
        's3:prefix': 'secret/'}})
    p = policy.parse(doc(negated), BUCKET)
    assert policy.evaluate(p, ctx('s3:ListBucket', None)) == ALLOW
    assert policy.evaluate(p, ctx('s3:ListBucket', None,
                                  prefix='secret/')) is None
    ci = dict(listing, Condition={'StringEqualsIgnoreCase': {
        's3:prefix': 'Docs/'}})
    p = policy.parse(doc(ci), BUCKET)
    assert policy.evaluate(p, ctx('s3:ListBucket', None,
                                  prefix='docs/')) == ALLOW


def test_conditions_are_anded_values_ored():
    p = policy.parse(doc(stmt(Condition={
        'IpAddress': {'aws:SourceIp': ['10.0.0.0/8', '192.168.0.0/16']},
        'Bool': {'aws:SecureTransport': 'true'}})), BUCKET)
    assert policy.evaluate(p, ctx(source_ip='192.168.1.1',
                                  secure_transport=True)) == ALLOW
    assert policy.evaluate(p, ctx(source_ip='192.168.1.1',
                                  secure_transport=False)) is None


def test_is_public():
    assert policy.is_public(PUBLIC_READ)
    assert not policy.is_public(None)
    restricted = policy.parse(doc(stmt(Condition={'IpAddress': {
        'aws:SourceIp': '10.0.0.0/8'}})), BUCKET)
    assert not policy.is_public(restricted)
    everywhere = policy.parse(doc(stmt(Condition={'IpAddress': {
        'aws:SourceIp': '0.0.0.0/0'}})), BUCKET)
    assert policy.is_public(everywhere)
    named = policy.parse(doc(stmt(principal={'AWS': 'AUTH_x'})), BUCKET)
    assert not policy.is_public(named)
    assert not policy.is_public(policy.parse(doc(stmt('Deny')), BUCKET))


# -- validation -----------------------------------------------------------------
@pytest.mark.parametrize('body', [
    b'', b'not json', b'[]', b'"x"', b'\xff{}',
    doc(),                                           # empty Statement list
    json.dumps({'Version': '2012-10-17'}),           # no Statement
    doc(stmt(), Version='2020-01-01'),
    doc(stmt(), Extra=1),
    doc(stmt(effect='allow')),
    doc({'Effect': 'Allow', 'Action': 's3:GetObject', 'Resource': OBJ}),
    # no Resource (s3-tests' test_bucket_logging_owner sends this one)
    doc({'Effect': 'Allow', 'Principal': '*',
         'Action': ['s3:PutBucketLogging']}),
    doc(stmt(NotPrincipal={'AWS': 'x'})),
    doc(stmt(principal={'Service': 'lambda.amazonaws.com'})),
    doc(stmt(principal={'AWS': 'arn:aws:iam::123:user/bob'})),
    doc(stmt(principal={'AWS': 'AUTH_*'})),
    doc(stmt(principal={'AWS': []})),
    doc(stmt(action='ec2:RunInstances')),
    doc(stmt(action='s3:NoSuchAction')),
    doc(stmt(action='s3:Frob*')),
    doc(stmt(action=[])),
    doc(stmt(resource='arn:aws:s3:::other/*')),
    doc(stmt(resource='arn:aws:s3:::pubx/*')),
    doc(stmt(resource='arn:aws:s3:::*')),
    doc(stmt(resource='*')),
    doc(stmt(action='s3:GetObject', resource='arn:aws:s3:::pub')),
    doc(stmt(action='s3:ListBucket', resource=OBJ)),
    doc(stmt(action='s3:ListAllMyBuckets', resource='arn:aws:s3:::pub')),
    doc(stmt(NotAction='s3:GetObject')),             # Action and NotAction
    doc(stmt(Condition={'DateGreaterThan': {'aws:CurrentTime': 'x'}})),
    doc(stmt(Condition={'StringEquals': {'aws:NoSuchKey': 'x'}})),
    doc(stmt(Condition={'StringEquals': {'s3:ExistingObjectTag/': 'x'}})),
    doc(stmt(Condition={'StringSortOf': {'s3:prefix': 'x'}})),
    doc(stmt(Condition={'ForSomeValues:StringLike': {'s3:prefix': 'x'}})),
    doc(stmt(Condition={'NullIfExists': {'s3:prefix': 'true'}})),
    doc(stmt(Condition={'ForAnyValue:Null': {'s3:prefix': 'true'}})),
    doc(stmt(Condition={'Null': {'s3:prefix': 'perhaps'}})),
    doc(stmt(Condition={'NumericLessThan': {'s3:max-keys': 'ten'}})),
    doc(stmt(Condition={'NumericLessThan': {'s3:max-keys': 'nan'}})),
    doc(stmt(Condition={'DateLessThan': {'aws:CurrentTime': '2020-13-01'}})),
    doc(stmt(Condition={'BinaryEquals': {'aws:UserAgent': '***'}})),
    doc(stmt(Condition={'ArnLike': {'aws:SourceArn': 'not-an-arn'}})),
    doc(stmt(Condition={'StringEquals': {'s3:prefix': None}})),
    doc(stmt(Condition={'IpAddress': {'aws:SourceIp': 'not-an-ip'}})),
    doc(stmt(Condition={'Bool': {'aws:SecureTransport': 'maybe'}})),
    doc(stmt(Condition={'StringLike': {'s3:prefix': {'a': 1}}})),
    doc(stmt(Condition={'IpAddress': {}})),
    doc(stmt(Condition=[])),
    doc(stmt(Sid='a'), stmt(Sid='a')),     # (test_put_bucket_logging_policy_wildcard)
    doc(stmt(Sid='a'), stmt(), stmt(Sid='a')),
    doc(stmt(Sid=1)),
    doc(stmt(Unknown=1)),
    b'{"Statement": [' + b' ' * policy.MAX_POLICY_SIZE + b']}',
])
def test_malformed(body):
    with pytest.raises(errors.MalformedPolicy):
        policy.parse(body, BUCKET)


def test_valid_documents_are_stored_compact():
    p = policy.parse(doc(stmt(Sid='PublicRead'), Id='x'), BUCKET)
    assert ' ' not in p.text
    assert json.loads(p.text)['Statement'][0]['Sid'] == 'PublicRead'
    one = policy.parse(json.dumps({'Statement': stmt()}), BUCKET)
    assert len(one.statements) == 1
    assert policy.load(p.text, BUCKET) == p


@given(st.text(max_size=60), st.text(max_size=60))
def test_wildcard_without_metacharacters_is_equality(pattern, value):
    pattern = pattern.replace('*', '').replace('?', '')
    assert bool(policy.wildcard(pattern).match(value)) is (pattern == value)


@given(st.text(max_size=30), st.text(max_size=30))
def test_star_suffix_is_startswith(prefix, rest):
    prefix = prefix.replace('*', '').replace('?', '')
    assert policy.wildcard(prefix + '*').match(prefix + rest)


# -- actions of routes ------------------------------------------------------------
@pytest.mark.parametrize('route,version,action', [
    (('object', '', 'GET'), False, 's3:GetObject'),
    (('object', '', 'HEAD'), False, 's3:GetObject'),
    (('object', '', 'GET'), True, 's3:GetObjectVersion'),
    (('object', '', 'DELETE'), True, 's3:DeleteObjectVersion'),
    (('object', '', 'PUT'), False, 's3:PutObject'),
    (('bucket', '', 'GET'), False, 's3:ListBucket'),
    (('bucket', '', 'POST'), False, 's3:PutObject'),
    (('bucket', 'cors', 'DELETE'), False, 's3:PutBucketCORS'),
    (('bucket', 'cors', 'GET'), False, 's3:GetBucketCORS'),
    (('bucket', 'policy', 'DELETE'), False, 's3:DeleteBucketPolicy'),
    (('bucket', 'website', 'PUT'), False, 's3:PutBucketWebsite'),
    (('bucket', 'delete', 'POST'), False, 's3:DeleteObject'),
    (('object', 'uploadId', 'DELETE'), False, 's3:AbortMultipartUpload'),
])
def test_action_for(route, version, action):
    assert routes.action_for(*route, version=version) == action


def test_every_named_action_is_known():
    for level, sub, method in routes.ROUTE_TABLE:
        if routes.ROUTE_TABLE[(level, sub, method)].action is None:
            continue        # a CORS preflight: never reaches the backend
        for version in (False, True):
            action = routes.action_for(level, sub, method, version)
            assert action in policy.ALL_ACTIONS | policy.SERVICE_ACTIONS
    for sub in policy._BUCKET_CONFIGS:
        for method in ('GET', 'PUT'):
            assert routes.action_for('bucket', sub, method) in \
                policy.BUCKET_ACTIONS


def test_unlisted_routes_match_only_blanket_statements():
    action = routes.action_for('object', 'frobnicate', 'POST')
    deny_all = policy.parse(doc(stmt('Deny', action='s3:*')), BUCKET)
    assert policy.evaluate(deny_all, ctx(action)) == DENY
    assert policy.evaluate(PUBLIC_READ, ctx(action)) is None


# -- Sid -----------------------------------------------------------------------------
def test_sid_is_optional_and_unique_only_when_present():
    """minio-py's policies: several statements with ``"Sid": ""``."""
    p = policy.parse(doc(stmt(Sid=''), stmt(Sid=''), stmt(), stmt(),
                         stmt(Sid='a'), stmt(Sid='b')), BUCKET)
    assert len(p.statements) == 6


# -- condition operators -----------------------------------------------------------------
def one(condition):
    return policy.parse(doc(stmt(Condition=condition)), BUCKET)


def allowed(p, **values):
    return policy.evaluate(p, ctx(values={k.lower(): tuple(v)
                                          for k, v in values.items()})) \
        == ALLOW


@pytest.mark.parametrize('operator,value,request_value,expected', [
    ('StringEquals', 'a', 'a', True), ('StringEquals', 'a', 'A', False),
    ('StringNotEquals', 'a', 'b', True), ('StringNotEquals', 'a', 'a', False),
    ('StringEqualsIgnoreCase', 'a', 'A', True),
    ('StringNotEqualsIgnoreCase', 'a', 'A', False),
    ('StringLike', 'a*c', 'abbc', True), ('StringLike', 'a?c', 'abbc', False),
    ('StringNotLike', 'a*', 'ba', True),
    ('NumericEquals', '10', '10.0', True), ('NumericEquals', 10, '11', False),
    ('NumericNotEquals', '10', '11', True),
    ('NumericLessThan', '10', '9', True), ('NumericLessThan', '10', '10', False),
    ('NumericLessThanEquals', '10', '10', True),
    ('NumericGreaterThan', '10', '11', True),
    ('NumericGreaterThanEquals', '10', '9', False),
    ('NumericLessThan', '10', 'x', False), ('NumericNotEquals', '10', 'x', True),
    ('DateEquals', '2020-01-01T00:00:00Z', '1577836800', True),
    ('DateNotEquals', '2020-01-01', '2020-01-01T00:00:01Z', True),
    ('DateLessThan', '2020-01-01T00:00:00Z', '2019-12-31T23:59:59Z', True),
    ('DateLessThanEquals', '2020-01-01T01:00:00+01:00', '2020-01-01T00:00:00Z',
     True),
    ('DateGreaterThan', '2020-01-01T00:00:00Z', '2020-01-01T00:00:00.5Z',
     True),
    ('DateGreaterThanEquals', 1577836800, '2019-12-31', False),
    ('Bool', 'true', 'true', True), ('Bool', True, 'false', False),
    ('BinaryEquals', 'ZXZpbA==', 'evil', True),
    ('BinaryEquals', 'ZXZpbA==', 'good', False),
    ('ArnLike', 'arn:aws:s3:::b*', 'arn:aws:s3:::bucket', True),
    ('ArnEquals', 'arn:aws:iam::*:root', 'arn:aws:iam::AUTH_x:root', True),
    ('ArnLike', 'arn:aws:s3:::b*', 'arn:aws:sqs:::bucket', False),
    ('ArnNotLike', 'arn:aws:s3:::b*', 'arn:aws:s3:::other', True),
    ('ArnNotEquals', 'arn:aws:s3:::b', 'arn:aws:s3:::b', False),
    ('IpAddress', '10.0.0.0/8', '10.2.3.4', True),
    ('NotIpAddress', '10.0.0.0/8', '10.2.3.4', False),
    ('IpAddress', '10.0.0.0/8', 'junk', False),
])
def test_operator_families(operator, value, request_value, expected):
    keys = {'Numeric': 's3:max-keys', 'Date': 'aws:CurrentTime',
            'Bool': 'aws:SecureTransport', 'Binary': 'aws:UserAgent',
            'Arn': 'aws:SourceArn', 'IpAddress': 'aws:SourceIp',
            'NotIpAddress': 'aws:SourceIp'}
    key = next((k for family, k in keys.items()
                if operator.startswith(family)), 's3:x-amz-acl')
    p = one({operator: {key: value}})
    assert allowed(p, **{key: [request_value]}) is expected


def test_absent_keys_and_if_exists():
    positive = one({'StringEquals': {'aws:Referer': 'x'}})
    negated = one({'StringNotEquals': {'aws:Referer': 'x'}})
    if_exists = one({'StringEqualsIfExists': {'aws:Referer': 'x'}})
    numeric = one({'NumericLessThanIfExists': {'s3:max-keys': '5'}})
    assert not allowed(positive)
    assert allowed(negated)
    assert allowed(if_exists)
    assert allowed(if_exists, **{'aws:Referer': ['x']})
    assert not allowed(if_exists, **{'aws:Referer': ['y']})
    assert allowed(numeric)
    assert not allowed(numeric, **{'s3:max-keys': ['6']})


def test_null():
    absent = one({'Null': {'s3:x-amz-acl': 'true'}})
    present = one({'Null': {'s3:x-amz-acl': False}})
    assert allowed(absent) and not allowed(present)
    assert allowed(present, **{'s3:x-amz-acl': ['private']})
    assert not allowed(absent, **{'s3:x-amz-acl': ['private']})


def test_negated_values_are_anded():
    p = one({'StringNotEquals': {'s3:x-amz-acl': ['a', 'b']}})
    assert allowed(p, **{'s3:x-amz-acl': ['c']})
    assert not allowed(p, **{'s3:x-amz-acl': ['a']})
    assert not allowed(p, **{'s3:x-amz-acl': ['b']})


def test_set_operators():
    any_ = one({'ForAnyValue:StringLike': {
        's3:RequestObjectTagKeys': ['secret*', 'x']}})
    all_ = one({'ForAllValues:StringEquals': {
        's3:RequestObjectTagKeys': ['team', 'env']}})
    key = 's3:RequestObjectTagKeys'
    assert allowed(any_, **{key: ['a', 'secret1']})
    assert not allowed(any_, **{key: ['a', 'b']})
    assert not allowed(any_)                      # nothing: false
    assert allowed(all_, **{key: ['team', 'env']})
    assert allowed(all_, **{key: ['team']})
    assert not allowed(all_, **{key: ['team', 'owner']})
    assert allowed(all_)                          # nothing: true
    none_of = one({'ForAllValues:StringNotLike': {key: 'secret*'}})
    assert allowed(none_of, **{key: ['a', 'b']})
    assert not allowed(none_of, **{key: ['a', 'secret']})
    if_exists = one({'ForAnyValue:StringEqualsIfExists': {key: 'a'}})
    assert allowed(if_exists)


def test_tag_keys_and_case_of_keys():
    p = one({'StringEquals': {'s3:RequestObjectTag/Team': 'blue',
                              'S3:X-AMZ-ACL': 'private'}})
    assert allowed(p, **{'s3:requestobjecttag/team': ['blue'],
                         's3:x-amz-acl': ['private']})
    assert not allowed(p, **{'s3:requestobjecttag/team': ['red'],
                             's3:x-amz-acl': ['private']})


def test_keys_nobody_sends_here_are_accepted_and_absent():
    p = one({'StringEquals': {'aws:SourceVpce': 'vpce-1'}})
    assert not allowed(p)
    p = one({'StringNotEqualsIfExists': {'aws:PrincipalOrgID': 'o-1'}})
    assert allowed(p)


def test_legacy_context_fields_still_count():
    p = one({'IpAddressIfExists': {'aws:SourceIp': '10.0.0.0/8'},
             'Bool': {'aws:SecureTransport': 'true'}})
    assert policy.evaluate(p, ctx(source_ip='10.0.0.1',
                                  secure_transport=True)) == ALLOW
    assert policy.evaluate(p, ctx(source_ip='11.0.0.1',
                                  secure_transport=True)) is None
