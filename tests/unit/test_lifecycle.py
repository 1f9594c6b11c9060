"""The lifecycle rule model: AWS's validation, the stored form, and when
objects, versions and uploads expire."""
from __future__ import annotations

import calendar
from datetime import datetime

import pytest
from hypothesis import given, strategies as st
from lxml import etree

from swift3compat import errors
from swift3compat.model import lifecycle

DAY = 86400


def body(*rules: str) -> bytes:
    return ('<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/'
            '2006-03-01/">%s</LifecycleConfiguration>' % ''.join(rules)
            ).encode()


def rule(inner: str, status: str = 'Enabled', rule_id: str = 'r') -> str:
    ident = '<ID>%s</ID>' % rule_id if rule_id else ''
    return '<Rule>%s<Status>%s</Status>%s</Rule>' % (ident, status, inner)


def epoch(text: str) -> float:
    return float(calendar.timegm(datetime.strptime(
        text, '%Y-%m-%d %H:%M:%S').timetuple()))


# -- accepted ---------------------------------------------------------------------
def test_s3cmd_expire_body():
    # what `s3cmd expire --expiry-days=3 --expiry-prefix=logs/` sends
    sent = ('<LifecycleConfiguration>  <Rule>    <Filter>      <Prefix>logs/'
            '</Prefix>    </Filter>    <Status>Enabled</Status>    '
            '<Expiration>      <Days>3</Days>    </Expiration>  </Rule>'
            '</LifecycleConfiguration>').encode()
    config = lifecycle.parse(sent)
    (only,) = config.rules
    assert (only.filter.prefix, only.days, only.enabled) == ('logs/', 3, True)
    assert only.id      # AWS makes one up


def test_legacy_rule_prefix_and_date():
    config = lifecycle.parse(body(rule(
        '<Prefix>tmp/</Prefix><Expiration><Date>2030-01-01T00:00:00.000Z'
        '</Date></Expiration>')))
    (only,) = config.rules
    assert only.filter.form == lifecycle.LEGACY
    assert only.date == '2030-01-01T00:00:00.000Z'
    assert only.date_epoch == epoch('2030-01-01 00:00:00')


@pytest.mark.parametrize('date', ['2030-01-01', '2030-01-01T00:00:00Z',
                                  '2030-01-01T00:00:00+00:00',
                                  '2030-01-01T00:00:00.000Z'])
def test_date_forms(date):
    config = lifecycle.parse(body(rule(
        '<Filter/><Expiration><Date>%s</Date></Expiration>' % date)))
    assert config.rules[0].date == '2030-01-01T00:00:00.000Z'


def test_every_action_and_filter_round_trips():
    sent = body(
        rule('<Filter><And><Prefix>a/</Prefix><Tag><Key>k</Key><Value>v'
             '</Value></Tag><Tag><Key>k2</Key><Value></Value></Tag>'
             '<ObjectSizeGreaterThan>10</ObjectSizeGreaterThan>'
             '<ObjectSizeLessThan>100</ObjectSizeLessThan></And></Filter>'
             '<Expiration><Days>1</Days></Expiration>'
             '<NoncurrentVersionExpiration><NoncurrentDays>2</NoncurrentDays>'
             '<NewerNoncurrentVersions>3</NewerNoncurrentVersions>'
             '</NoncurrentVersionExpiration>', rule_id='and'),
        rule('<Filter><Tag><Key>t</Key><Value>1</Value></Tag></Filter>'
             '<Expiration><Days>5</Days></Expiration>', 'Disabled', 'tag'),
        rule('<Filter><Prefix></Prefix></Filter><Expiration>'
             '<ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker>'
             '</Expiration><AbortIncompleteMultipartUpload>'
             '<DaysAfterInitiation>7</DaysAfterInitiation>'
             '</AbortIncompleteMultipartUpload>', rule_id='mpu'),
        rule('<Filter><ObjectSizeLessThan>5</ObjectSizeLessThan></Filter>'
             '<Expiration><Days>9</Days></Expiration>', rule_id='small'),
        rule('<Filter></Filter><Expiration><Days>9</Days></Expiration>',
             rule_id='all'))
    config = lifecycle.parse(sent)
    assert lifecycle.from_json(lifecycle.to_json(config)) == config
    assert lifecycle.parse(lifecycle.to_xml(config)) == config
    rendered = etree.fromstring(lifecycle.to_xml(config))
    assert rendered.tag.endswith('LifecycleConfiguration')
    first = config.rules[0]
    assert first.filter.tags == (('k', 'v'), ('k2', ''))
    assert (first.filter.size_gt, first.filter.size_lt) == (10, 100)
    assert (first.noncurrent_days, first.newer_noncurrent_versions) == (2, 3)
    assert config.rules[2].expired_object_delete_marker is True
    assert config.rules[2].abort_days == 7


def test_unicode_and_markup_survive_storage():
    config = lifecycle.parse(body(rule(
        '<Filter><Prefix>日本/&lt;x&gt;&amp;</Prefix></Filter>'
        '<Expiration><Days>1</Days></Expiration>', rule_id='ид')))
    stored = lifecycle.from_json(lifecycle.to_json(config))
    assert stored.rules[0].filter.prefix == '日本/<x>&'
    assert lifecycle.parse(lifecycle.to_xml(stored)) == config


# -- refused, as AWS refuses ------------------------------------------------------------
@pytest.mark.parametrize('sent', [
    b'<LifecycleConfiguration/>',
    b'<Lifecycle><Rule/></Lifecycle>',
    body('<Other/>'),
    body(rule('<Expiration><Days>1</Days></Expiration>')),     # no filter
    body(rule('<Prefix>a</Prefix><Filter/><Expiration><Days>1</Days>'
              '</Expiration>')),
    body(rule('<Filter/><Expiration><Days>1</Days></Expiration>',
              status='On')),
    body(rule('<Filter><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value>'
              '</Tag></Filter><Expiration><Days>1</Days></Expiration>')),
    # AWS: "A Filter can have exactly one of Prefix, Tag,
    # ObjectSizeGreaterThan, ObjectSizeLessThan, or And" (the forms of
    # s3-tests' test_lifecycle_expiration_size_gt/_tags2)
    body(rule('<Filter><Prefix></Prefix><ObjectSizeGreaterThan>2000'
              '</ObjectSizeGreaterThan></Filter><Expiration><Days>1</Days>'
              '</Expiration>')),
    body(rule('<Filter><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value>'
              '</Tag><And><Prefix>a</Prefix><Tag><Key>h</Key><Value>f'
              '</Value></Tag></And></Filter><Expiration><Days>1</Days>'
              '</Expiration>')),
    body(rule('<Filter/><Expiration><Days>1</Days><Date>2030-01-01'
              '</Date></Expiration>')),
    body(rule('<Filter/><Expiration></Expiration>')),
    body(rule('<Filter/><Expiration><Days>one</Days></Expiration>')),
    body(rule('<Filter><Tag><Key>k</Key></Tag></Filter><Expiration><Days>1'
              '</Days></Expiration>')),
    body(rule('<Filter/><Expiration><Days>1</Days></Expiration><Bogus/>')),
    body(rule('<Filter/><NoncurrentVersionExpiration></Noncurrent'
              'VersionExpiration>')),
    b'not xml',
])
def test_malformed(sent):
    with pytest.raises(errors.MalformedXML):
        lifecycle.parse(sent)


@pytest.mark.parametrize('sent,message', [
    (body(rule('<Filter/><Expiration><Days>0</Days></Expiration>')),
     "'Days' for Expiration action must be a positive integer"),
    (body(rule('<Filter/><Expiration><Days>-3</Days></Expiration>')),
     "'Days' for Expiration action must be a positive integer"),
    (body(rule('<Filter/><Expiration><Date>2030-01-01T10:00:00Z</Date>'
               '</Expiration>')), "'Date' must be at midnight GMT"),
    (body(rule('<Filter/><Expiration><Date>2030-13-01</Date>'
               '</Expiration>')), 'Invalid date'),
    (body(rule('<Filter/><Expiration><Days>1</Days></Expiration>'),
          rule('<Filter/><Expiration><Days>2</Days></Expiration>')),
     'Rule ID must be unique'),
    (body(rule('<Filter/><Expiration><Days>1</Days></Expiration>',
               rule_id='x' * 256)), 'ID length should not exceed'),
    (body(rule('<Filter/><NoncurrentVersionExpiration><NoncurrentDays>0'
               '</NoncurrentDays></NoncurrentVersionExpiration>')),
     "'NoncurrentDays' for NoncurrentVersionExpiration action must be a "
     'positive integer'),
    (body(rule('<Filter/><NoncurrentVersionExpiration><NoncurrentDays>1'
               '</NoncurrentDays><NewerNoncurrentVersions>101'
               '</NewerNoncurrentVersions></NoncurrentVersionExpiration>')),
     'NewerNoncurrentVersions'),
    (body(rule('<Filter/><AbortIncompleteMultipartUpload>'
               '<DaysAfterInitiation>0</DaysAfterInitiation>'
               '</AbortIncompleteMultipartUpload>')),
     "'DaysAfterInitiation' for AbortIncompleteMultipartUpload"),
    (body(rule('<Filter><And><ObjectSizeGreaterThan>9'
               '</ObjectSizeGreaterThan><ObjectSizeLessThan>9'
               '</ObjectSizeLessThan></And></Filter><Expiration><Days>1'
               '</Days></Expiration>')), 'ObjectSizeGreaterThan must be'),
    (body(rule('<Filter/><Expiration><Days>1</Days>'
               '<ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker>'
               '</Expiration>')), 'ExpiredObjectDeleteMarker cannot'),
])
def test_invalid_argument(sent, message):
    with pytest.raises(errors.InvalidArgument) as exc:
        lifecycle.parse(sent)
    assert message in exc.value.message


@pytest.mark.parametrize('sent,message', [
    (body(rule('<Filter/>')), 'At least one action'),
    (body(rule('<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>'
               '<AbortIncompleteMultipartUpload><DaysAfterInitiation>1'
               '</DaysAfterInitiation></AbortIncompleteMultipartUpload>')),
     'AbortIncompleteMultipartUpload cannot be specified with Tags'),
    (body(rule('<Filter><And><Tag><Key>k</Key><Value>1</Value></Tag><Tag>'
               '<Key>k</Key><Value>2</Value></Tag></And></Filter>'
               '<Expiration><Days>1</Days></Expiration>')),
     'Duplicate Tag Keys'),
])
def test_invalid_request(sent, message):
    with pytest.raises(errors.InvalidRequest) as exc:
        lifecycle.parse(sent)
    assert message in exc.value.message


def test_transitions_are_not_implemented():
    with pytest.raises(errors.NotImplemented):
        lifecycle.parse(body(rule(
            '<Filter/><Transition><Days>30</Days><StorageClass>GLACIER'
            '</StorageClass></Transition>')))


@pytest.mark.parametrize('transition, error', [
    # what boto3 sends for Date='20220927' (read as epoch seconds)
    ('<Transition><Date>1970-08-23T00:55:27Z</Date><StorageClass>GLACIER'
     '</StorageClass></Transition>', errors.InvalidArgument),
    ('<Transition><Date>2022-02-30</Date><StorageClass>GLACIER'
     '</StorageClass></Transition>', errors.InvalidArgument),
    ('<Transition><Date>20220927</Date><StorageClass>GLACIER'
     '</StorageClass></Transition>', errors.InvalidArgument),
    ('<Transition><Days>-1</Days><StorageClass>GLACIER</StorageClass>'
     '</Transition>', errors.InvalidArgument),
    ('<Transition><Days>x</Days><StorageClass>GLACIER</StorageClass>'
     '</Transition>', errors.MalformedXML),
    ('<Transition><Days>1</Days><Date>2030-01-01</Date><StorageClass>'
     'GLACIER</StorageClass></Transition>', errors.MalformedXML),
    ('<Transition><StorageClass>GLACIER</StorageClass></Transition>',
     errors.MalformedXML),
    ('<Transition><Days>30</Days><StorageClass>STANDARD</StorageClass>'
     '</Transition>', errors.MalformedXML),
    ('<Transition><Days>30</Days></Transition>', errors.MalformedXML),
    ('<NoncurrentVersionTransition><NoncurrentDays>-3</NoncurrentDays>'
     '<StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition>',
     errors.InvalidArgument),
    ('<NoncurrentVersionTransition><StorageClass>GLACIER</StorageClass>'
     '</NoncurrentVersionTransition>', errors.MalformedXML),
])
def test_transitions_are_validated_before_not_implemented(transition, error):
    """AWS's 400 for a transition it would refuse; NotImplemented only for
    one it would store."""
    with pytest.raises(error):
        lifecycle.parse(body(rule('<Filter/>' + transition)))


def test_a_valid_transition_is_not_implemented_after_every_rule_is_checked():
    transition = ('<Filter/><Transition><Date>2030-01-01T00:00:00Z</Date>'
                  '<StorageClass>GLACIER</StorageClass></Transition>'
                  '<NoncurrentVersionTransition><NoncurrentDays>0'
                  '</NoncurrentDays><StorageClass>DEEP_ARCHIVE</StorageClass>'
                  '</NoncurrentVersionTransition>')
    with pytest.raises(errors.NotImplemented):
        lifecycle.parse(body(rule(transition)))
    # a later rule AWS refuses: its 400, not the transition's 501
    with pytest.raises(errors.InvalidArgument):
        lifecycle.parse(body(rule(transition), rule(
            '<Filter/><Expiration><Days>0</Days></Expiration>',
            rule_id='r2')))


def test_too_many_rules():
    rules = [rule('<Filter/><Expiration><Days>1</Days></Expiration>',
                  rule_id='r%d' % i) for i in range(lifecycle.MAX_RULES + 1)]
    with pytest.raises(errors.InvalidArgument):
        lifecycle.parse(body(*rules))


# -- evaluation ---------------------------------------------------------------------------
def _config(*rules: str) -> lifecycle.Configuration:
    return lifecycle.parse(body(*rules))


def test_days_round_up_to_the_next_midnight():
    created = epoch('2024-03-10 15:30:00')
    assert lifecycle.after_days(created, 1, DAY) == \
        epoch('2024-03-12 00:00:00')
    assert lifecycle.after_days(epoch('2024-03-10 00:00:00'), 1, DAY) == \
        epoch('2024-03-11 00:00:00')


# Swift timestamps have microsecond precision (floats near 0 are not times)
@given(st.integers(0, 4 * 10 ** 15).map(lambda us: us / 10 ** 6),
       st.integers(1, 1000), st.integers(1, DAY))
def test_after_days_is_a_day_boundary_not_before_the_span(created, days,
                                                          day):
    when = lifecycle.after_days(created, days, day)
    assert when % day == 0
    assert created + days * day <= when < created + (days + 1) * day


def test_earliest_matching_rule_wins():
    config = _config(
        rule('<Filter><Prefix>logs/</Prefix></Filter><Expiration><Days>30'
             '</Days></Expiration>', rule_id='long'),
        rule('<Filter><And><Prefix>logs/</Prefix><Tag><Key>tmp</Key><Value>1'
             '</Value></Tag></And></Filter><Expiration><Days>1</Days>'
             '</Expiration>', rule_id='short'),
        rule('<Filter><Prefix>logs/</Prefix></Filter><Expiration><Days>1'
             '</Days></Expiration>', 'Disabled', 'off'))
    created = epoch('2024-03-10 15:30:00')
    assert lifecycle.current_expiry(config, 'logs/a', 1, created, {},
                                    DAY) == (epoch('2024-04-10 00:00:00'),
                                             'long')
    assert lifecycle.current_expiry(config, 'logs/a', 1, created,
                                    {'tmp': '1'}, DAY) == (
        epoch('2024-03-12 00:00:00'), 'short')
    assert lifecycle.current_expiry(config, 'other', 1, created,
                                    {'tmp': '1'}, DAY) is None
    assert lifecycle.earliest_possible_expiry(config, 'logs/a', 1, created,
                                              DAY) == \
        epoch('2024-03-12 00:00:00')


def test_size_filters():
    config = _config(rule(
        '<Filter><And><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan>'
        '<ObjectSizeLessThan>20</ObjectSizeLessThan></And></Filter>'
        '<Expiration><Days>1</Days></Expiration>'))
    assert [size for size in (None, 10, 11, 19, 20)
            if lifecycle.current_expiry(config, 'k', size, 0.0, {}, DAY)] \
        == [11, 19]


def test_date_rule_applies_to_objects_made_after_the_date():
    config = _config(rule('<Filter/><Expiration><Date>2024-01-01</Date>'
                          '</Expiration>'))
    assert lifecycle.current_expiry(config, 'k', 0, epoch(
        '2025-06-01 00:00:00'), {}, DAY)[0] == epoch('2024-01-01 00:00:00')


def test_noncurrent_and_uploads():
    config = _config(rule(
        '<Filter><Prefix>a</Prefix></Filter><NoncurrentVersionExpiration>'
        '<NoncurrentDays>2</NoncurrentDays></NoncurrentVersionExpiration>'
        '<AbortIncompleteMultipartUpload><DaysAfterInitiation>3'
        '</DaysAfterInitiation></AbortIncompleteMultipartUpload>'))
    (only,) = lifecycle.noncurrent_rules(config)
    assert lifecycle.noncurrent_expiry(only, 10.0, 100) == 300.0
    assert lifecycle.upload_abort_time(config, 'a/b', 10.0, 100) == 400.0
    assert lifecycle.upload_abort_time(config, 'b', 10.0, 100) is None
    assert lifecycle.current_expiry(config, 'a', 0, 0.0, {}, 100) is None


def test_expired_delete_markers():
    config = _config(rule('<Filter><Prefix>a</Prefix></Filter><Expiration>'
                          '<ExpiredObjectDeleteMarker>true'
                          '</ExpiredObjectDeleteMarker></Expiration>'))
    assert lifecycle.removes_expired_delete_markers(config, 'a/x')
    assert not lifecycle.removes_expired_delete_markers(config, 'b')
