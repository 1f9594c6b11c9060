"""The Object Lock model: AWS's validation and errors, the stored forms,
and who may delete or weaken a lock when."""
from __future__ import annotations

import calendar
from datetime import datetime, timezone

import pytest
from hypothesis import given, strategies as st
from lxml import etree

from swift3compat import errors
from swift3compat.model import object_lock as ol

NOW = float(calendar.timegm((2026, 1, 1, 0, 0, 0, 0, 0, 0)))
DAY = 86400


def xml(text: str):
    return etree.fromstring(text.encode())


def headers(**values):
    table = {k.replace('_', '-'): v for k, v in values.items()}
    return lambda name: table.get(name)


def code_of(excinfo) -> str:
    return excinfo.value.code


# -- dates ----------------------------------------------------------------------
@pytest.mark.parametrize('text,expected', [
    ('2030-01-01T00:00:00Z', '2030-01-01T00:00:00.000Z'),
    ('2030-01-01T00:00:00.000Z', '2030-01-01T00:00:00.000Z'),
    ('2030-01-01T00:00:00.413000Z', '2030-01-01T00:00:00.413Z'),
    ('2030-01-01T00:00:00', '2030-01-01T00:00:00.000Z'),
    ('2030-01-01T02:00:00+02:00', '2030-01-01T00:00:00.000Z'),
    ('2029-12-31T19:00:00-0500', '2030-01-01T00:00:00.000Z'),
])
def test_dates_normalised(text, expected):
    assert ol.format_date(ol.parse_date(text)) == expected


@pytest.mark.parametrize('text', [
    '', 'tomorrow', '2030-02-30T00:00:00Z', '2030-13-01T00:00:00Z',
    '1577836800', '2030-01-01', '2030-01-01T25:00:00Z'])
def test_bad_dates(text):
    with pytest.raises(ValueError):
        ol.parse_date(text)


@given(st.datetimes(min_value=datetime(1971, 1, 1),
                    max_value=datetime(2999, 12, 31)))
def test_date_round_trip(moment):
    epoch = calendar.timegm(moment.timetuple()) + \
        (moment.microsecond // 1000) / 1000.0
    text = ol.format_date(epoch)
    assert ol.format_date(ol.parse_date(text)) == text
    assert abs(ol.parse_date(text) - epoch) < 0.001


# -- request headers --------------------------------------------------------------------
def test_headers_lock():
    lock, asked = ol.lock_from_headers(headers(**{
        'x-amz-object-lock-mode': 'COMPLIANCE',
        'x-amz-object-lock-retain-until-date': '2030-01-01T00:00:00Z',
        'x-amz-object-lock-legal-hold': 'ON'}), NOW)
    assert asked
    assert lock.retention == ol.Retention(
        'COMPLIANCE', ol.parse_date('2030-01-01T00:00:00Z'))
    assert lock.legal_hold is True
    assert lock.response_headers() == {
        'x-amz-object-lock-mode': 'COMPLIANCE',
        'x-amz-object-lock-retain-until-date': '2030-01-01T00:00:00.000Z',
        'x-amz-object-lock-legal-hold': 'ON'}


def test_no_headers_no_lock():
    lock, asked = ol.lock_from_headers(headers(), NOW)
    assert not asked and not lock.is_set()


@pytest.mark.parametrize('values,message', [
    ({'x-amz-object-lock-mode': 'GOVERNANCE'}, 'must both be supplied'),
    ({'x-amz-object-lock-retain-until-date': '2030-01-01T00:00:00Z'},
     'must both be supplied'),
    ({'x-amz-object-lock-mode': 'governance',
      'x-amz-object-lock-retain-until-date': '2030-01-01T00:00:00Z'},
     'Unknown wormMode directive.'),
    ({'x-amz-object-lock-mode': 'GOVERNANCE',
      'x-amz-object-lock-retain-until-date': 'soon'}, 'ISO 8601'),
    ({'x-amz-object-lock-mode': 'GOVERNANCE',
      'x-amz-object-lock-retain-until-date': '2025-01-01T00:00:00Z'},
     'must be in the future!'),
    ({'x-amz-object-lock-legal-hold': 'on'}, "either of 'ON' or 'OFF'"),
])
def test_bad_headers_invalid_argument(values, message):
    with pytest.raises(errors.S3Error) as exc:
        ol.lock_from_headers(headers(**values), NOW)
    assert code_of(exc) == 'InvalidArgument'
    assert message in exc.value.message


def test_bypass_header():
    assert ol.bypass_requested(headers(**{
        'x-amz-bypass-governance-retention': 'true'}))
    assert ol.bypass_requested(headers(**{
        'x-amz-bypass-governance-retention': 'True'}))
    assert not ol.bypass_requested(headers(**{
        'x-amz-bypass-governance-retention': 'false'}))
    assert not ol.bypass_requested(headers())


# -- stored forms -------------------------------------------------------------------------
def test_stored_lock_round_trip():
    lock = ol.Lock(ol.Retention('GOVERNANCE', NOW + 1.5), False)
    back = ol.Lock.from_stored(lock.stored_retention, lock.stored_legal_hold)
    assert back == lock
    assert lock.stored_retention == 'GOVERNANCE 2026-01-01T00:00:01.500Z'
    assert lock.stored_legal_hold == 'OFF'


@pytest.mark.parametrize('retention,hold', [
    ('', ''), (None, None), ('garbage', ''), ('GOVERNANCE notadate', ''),
    ('governance 2030-01-01T00:00:00.000Z', '')])
def test_unreadable_stored_is_unset(retention, hold):
    assert not ol.Lock.from_stored(retention, hold).is_set()


def test_stored_sizes_are_small():
    lock = ol.Lock(ol.Retention('COMPLIANCE', NOW), True)
    assert len(lock.stored_retention) + len(lock.stored_legal_hold) < 48


@pytest.mark.parametrize('cfg', [
    ol.LockConfig(True, None),
    ol.LockConfig(True, ol.DefaultRetention('GOVERNANCE', days=1)),
    ol.LockConfig(True, ol.DefaultRetention('COMPLIANCE', years=100)),
])
def test_config_round_trip(cfg):
    assert ol.decode_config(ol.encode_config(cfg)) == cfg
    assert ol.parse_config(etree.fromstring(ol.config_xml(cfg))) == cfg


def test_config_absent():
    assert ol.decode_config(None) is None
    assert ol.decode_config('') is None


# -- configuration documents ---------------------------------------------------------
def config_doc(inner: str) -> str:
    return ('<ObjectLockConfiguration xmlns="http://s3.amazonaws.com/doc/'
            '2006-03-01/">%s</ObjectLockConfiguration>' % inner)


def rule(inner: str) -> str:
    return '<Rule><DefaultRetention>%s</DefaultRetention></Rule>' % inner


@pytest.mark.parametrize('inner,code', [
    ('<ObjectLockEnabled>Enabled</ObjectLockEnabled>' +
     rule('<Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years>'),
     'MalformedXML'),
    ('<ObjectLockEnabled>Enabled</ObjectLockEnabled>' +
     rule('<Mode>GOVERNANCE</Mode><Days>0</Days>'), 'InvalidRetentionPeriod'),
    ('<ObjectLockEnabled>Enabled</ObjectLockEnabled>' +
     rule('<Mode>GOVERNANCE</Mode><Years>-1</Years>'),
     'InvalidRetentionPeriod'),
    ('<ObjectLockEnabled>Enabled</ObjectLockEnabled>' +
     rule('<Mode>GOVERNANCE</Mode><Years>101</Years>'),
     'InvalidRetentionPeriod'),
    ('<ObjectLockEnabled>Enabled</ObjectLockEnabled>' +
     rule('<Mode>GOVERNANCE</Mode><Days>36501</Days>'),
     'InvalidRetentionPeriod'),
    ('<ObjectLockEnabled>Enabled</ObjectLockEnabled>' +
     rule('<Mode>abc</Mode><Years>1</Years>'), 'MalformedXML'),
    ('<ObjectLockEnabled>Enabled</ObjectLockEnabled>' +
     rule('<Mode>governance</Mode><Years>1</Years>'), 'MalformedXML'),
    ('<ObjectLockEnabled>Enabled</ObjectLockEnabled>' +
     rule('<Days>1</Days>'), 'MalformedXML'),
    ('<ObjectLockEnabled>Enabled</ObjectLockEnabled>' +
     rule('<Mode>GOVERNANCE</Mode>'), 'MalformedXML'),
    ('<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule/>', 'MalformedXML'),
    ('<ObjectLockEnabled>Disabled</ObjectLockEnabled>' +
     rule('<Mode>GOVERNANCE</Mode><Years>1</Years>'), 'MalformedXML'),
    (rule('<Mode>GOVERNANCE</Mode><Years>1</Years>'), 'MalformedXML'),
    ('<ObjectLockEnabled>Enabled</ObjectLockEnabled>' +
     rule('<Mode>GOVERNANCE</Mode><Days>x</Days>'), 'MalformedXML'),
    ('<ObjectLockEnabled>Enabled</ObjectLockEnabled><Other/>',
     'MalformedXML'),
])
def test_bad_configurations(inner, code):
    with pytest.raises(errors.S3Error) as exc:
        ol.parse_config(xml(config_doc(inner)))
    assert code_of(exc) == code
    assert exc.value.status == 400


def test_config_without_rule_enables():
    cfg = ol.parse_config(xml(config_doc(
        '<ObjectLockEnabled>Enabled</ObjectLockEnabled>')))
    assert cfg == ol.LockConfig(True, None)
    assert ol.encode_config(cfg) == 'Enabled'


def test_default_retention_applies_to_new_versions():
    cfg = ol.LockConfig(True, ol.DefaultRetention('GOVERNANCE', days=2))
    lock = cfg.new_version_lock(ol.Lock(), NOW, DAY)
    assert lock.retention == ol.Retention('GOVERNANCE', NOW + 2 * DAY)
    # a short debug "day"
    assert cfg.new_version_lock(ol.Lock(), NOW, 3).retention.until == NOW + 6
    years = ol.LockConfig(True, ol.DefaultRetention('COMPLIANCE', years=1))
    assert years.new_version_lock(ol.Lock(), NOW, DAY).retention.until == \
        NOW + 365 * DAY
    # explicit retention wins; a legal hold alone still gets the default
    explicit = ol.Lock(ol.Retention('COMPLIANCE', NOW + 10), None)
    assert cfg.new_version_lock(explicit, NOW, DAY) == explicit
    held = cfg.new_version_lock(ol.Lock(None, True), NOW, DAY)
    assert held.legal_hold and held.retention.mode == 'GOVERNANCE'


def test_checksum_required():
    assert not ol.LockConfig(True, None).requires_checksum(False)
    assert ol.LockConfig(True, None).requires_checksum(True)
    assert ol.LockConfig(True, ol.DefaultRetention(
        'GOVERNANCE', days=1)).requires_checksum(False)
    assert ol.checksum_required().code == 'InvalidRequest'


# -- retention and legal hold documents --------------------------------------------------
def test_retention_document():
    r = ol.parse_retention(xml(
        '<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>'
        '2030-01-01T00:00:00Z</RetainUntilDate></Retention>'), NOW)
    assert r == ol.Retention('GOVERNANCE', ol.parse_date('2030-01-01T00:00:00Z'))
    assert ol.parse_retention(etree.fromstring(ol.retention_xml(r)), NOW) == r
    assert ol.parse_retention(xml('<Retention/>'), NOW) is None


@pytest.mark.parametrize('doc,code', [
    ('<Retention><Mode>governance</Mode><RetainUntilDate>'
     '2030-01-01T00:00:00Z</RetainUntilDate></Retention>', 'MalformedXML'),
    ('<Retention><Mode>abc</Mode><RetainUntilDate>'
     '2030-01-01T00:00:00Z</RetainUntilDate></Retention>', 'MalformedXML'),
    ('<Retention><Mode>GOVERNANCE</Mode></Retention>', 'MalformedXML'),
    ('<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>x'
     '</RetainUntilDate></Retention>', 'MalformedXML'),
    ('<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>'
     '2020-01-01T00:00:00Z</RetainUntilDate></Retention>', 'InvalidArgument'),
    ('<LegalHold/>', 'MalformedXML'),
])
def test_bad_retention_documents(doc, code):
    with pytest.raises(errors.S3Error) as exc:
        ol.parse_retention(xml(doc), NOW)
    assert code_of(exc) == code


def test_legal_hold_document():
    assert ol.parse_legal_hold(xml(
        '<LegalHold><Status>ON</Status></LegalHold>')) is True
    assert ol.parse_legal_hold(etree.fromstring(ol.legal_hold_xml(False))) \
        is False
    for bad in ('<LegalHold><Status>abc</Status></LegalHold>',
                '<LegalHold><Status>on</Status></LegalHold>',
                '<LegalHold/>', '<Retention/>'):
        with pytest.raises(errors.S3Error) as exc:
            ol.parse_legal_hold(xml(bad))
        assert code_of(exc) == 'MalformedXML'


# -- decisions ---------------------------------------------------------------------------
GOV = ol.Lock(ol.Retention('GOVERNANCE', NOW + 100), None)
COMP = ol.Lock(ol.Retention('COMPLIANCE', NOW + 100), None)
HOLD = ol.Lock(None, True)


def test_deletion_blocks():
    assert GOV.deletion_block(NOW) is not None
    assert GOV.deletion_block(NOW, bypass=True) is None
    assert COMP.deletion_block(NOW, bypass=True) is not None
    assert HOLD.deletion_block(NOW, bypass=True) == 'legal hold'
    assert ol.Lock(None, False).deletion_block(NOW) is None
    # once the date has passed
    assert GOV.deletion_block(NOW + 100) is None
    assert COMP.deletion_block(NOW + 100.001) is None
    assert ol.Lock(COMP.retention, True).deletion_block(NOW + 200) \
        == 'legal hold'


@given(st.sampled_from(ol.MODES), st.sampled_from(ol.MODES),
       st.integers(-50, 50), st.booleans(), st.integers(0, 200))
def test_retention_change_rules(old_mode, new_mode, delta, bypass, elapsed):
    old = ol.Lock(ol.Retention(old_mode, NOW + 100), None)
    now = NOW + elapsed
    wanted = ol.Retention(new_mode, NOW + 100 + delta)
    active = NOW + 100 > now
    weakening = new_mode != old_mode or delta < 0
    allowed = not active or not weakening or \
        (old_mode == 'GOVERNANCE' and bypass)
    if allowed:
        ol.check_retention_change(old, wanted, now, bypass)
    else:
        with pytest.raises(errors.S3Error) as exc:
            ol.check_retention_change(old, wanted, now, bypass)
        assert code_of(exc) == 'AccessDenied'
        assert exc.value.status == 403


def test_removing_retention():
    with pytest.raises(errors.S3Error):
        ol.check_retention_change(GOV, None, NOW, bypass=False)
    ol.check_retention_change(GOV, None, NOW, bypass=True)
    with pytest.raises(errors.S3Error):
        ol.check_retention_change(COMP, None, NOW, bypass=True)
    ol.check_retention_change(ol.Lock(), None, NOW, bypass=False)


def test_errors_as_aws():
    assert errors.NoSuchObjectLockConfiguration().status == 404
    assert ol.missing_configuration().code == 'InvalidRequest'
    assert ol.versioning_locked().status == 409
    assert ol.versioning_required().code == 'InvalidBucketState'
    assert ol.protected().code == 'AccessDenied'
    assert datetime.fromtimestamp(NOW, timezone.utc).year == 2026
