"""When objects get, keep, move or lose their X-Delete-At stamp
(``handlers.lifecycle.BucketRules``)."""
from __future__ import annotations

import pytest

from swift3compat.model import lifecycle
from swift3compat.swift import bucket_config
from swift3compat.swift.expiry import (DELETE_AT, EXPIRY_SYSMETA,
                                       BucketRules, expiration_value)

DAY = 100
CREATED = 1050.0          # data timestamp of the object
NOW = 1060.0


def rules(*days: int, versioned: bool = False, tag: str = '') -> BucketRules:
    body = ''.join(
        '<Rule><ID>r%d</ID><Filter>%s</Filter><Status>Enabled</Status>'
        '<Expiration><Days>%d</Days></Expiration></Rule>' % (
            i, '<Tag><Key>%s</Key><Value>1</Value></Tag>' % tag if tag
            else '', d) for i, d in enumerate(days))
    text = lifecycle.to_json(lifecycle.parse(
        ('<LifecycleConfiguration>%s</LifecycleConfiguration>' % body)
        .encode()))
    sysmeta = bucket_config.sysmeta_of(
        bucket_config.encode('lifecycle', text, {}))
    if versioned:
        sysmeta['versions-container'] = '%00versions%00b'
    return BucketRules(sysmeta)


def head(delete_at=None, marker=None):
    out = {'X-Backend-Data-Timestamp': '%.5f' % CREATED}
    if delete_at:
        out[DELETE_AT] = delete_at
    if marker:
        out[EXPIRY_SYSMETA] = marker
    return out


def changes(bucket_rules, headers, tags=None, now=NOW):
    return bucket_rules.stamp_changes('k', 1, headers, tags or {}, DAY, now)


def test_no_rules():
    assert BucketRules({}).config is None
    assert changes(BucketRules({}), head()) == {}
    # a stamp of ours goes with the rules
    assert changes(BucketRules({}), head('1200', '1200')) == {
        DELETE_AT: None, EXPIRY_SYSMETA: None}


def test_stamp_new_and_keep_agreeing():
    assert changes(rules(1), head()) == {DELETE_AT: '1200',
                                         EXPIRY_SYSMETA: '1200'}
    assert changes(rules(1), head('1200', '1200')) == {}


def test_rules_change_moves_the_stamp():
    assert changes(rules(3), head('1200', '1200')) == {
        DELETE_AT: '1400', EXPIRY_SYSMETA: '1400'}


def test_swift_users_delete_at_is_kept():
    assert changes(rules(1), head('5000')) == {}
    assert changes(BucketRules({}), head('5000', '4000')) == {}


def test_versioned_buckets_lose_stamps():
    assert changes(rules(1, versioned=True), head()) == {}
    assert changes(rules(1, versioned=True), head('1200', '1200')) == {
        DELETE_AT: None, EXPIRY_SYSMETA: None}


def test_tags_decide():
    assert changes(rules(1, tag='tmp'), head()) == {}
    assert changes(rules(1, tag='tmp'), head(), {'tmp': '1'}) == {
        DELETE_AT: '1200', EXPIRY_SYSMETA: '1200'}


@pytest.mark.parametrize('current,expected', [
    (None, {}),                     # the sweeper deletes it when due
    ('1200', {}),                   # already right
    ('1100', {DELETE_AT: None, EXPIRY_SYSMETA: None}),  # would hide it early
    ('1300', {}),                   # later: the sweeper is first
])
def test_too_late_to_stamp(current, expected):
    near = 1199.0                   # expiry 1200 is less than 2 s away
    assert changes(rules(1), head(current, current), now=near) == expected


def test_expiration_value():
    assert expiration_value((1200.0, 'rule 1/ü')) == (
        'expiry-date="Thu, 01 Jan 1970 00:20:00 GMT", '
        'rule-id="rule%201%2F%C3%BC"')
