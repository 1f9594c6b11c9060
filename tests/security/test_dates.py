"""Request dates, clock skew and presigned expiry.

Rows: CVE-2015-8466 (no Date and no x-amz-date ⇒ replayable forever) and
"presigned URL validation" (X-Amz-Expires > 604800, negative, non-numeric,
≥ 2^63; v2 Expires past / non-numeric) of security-classes.md.
"""
from __future__ import annotations

import time

import pytest

from tests.security.s3raw import canonical_query, http_date, is_s3_error

SKEW = 900      # allowable_clock_skew default


# -- CVE-2015-8466: a request without any date is never accepted ---------------
def test_cve_2015_8466_v2_signed_without_date_refused(raw, bucket):
    """Signed over an empty Date line, sent without Date and x-amz-date: a
    captured request like this would be valid forever."""
    resp = raw.send('GET', f'/{bucket}', auth='v2', headers={'date': ''},
                    drop_after_signing=['date'])
    assert resp.status == 403 and resp.code == 'AccessDenied', resp


def test_cve_2015_8466_v2_empty_date_header_refused(raw, bucket):
    resp = raw.send('GET', f'/{bucket}', auth='v2', headers={'date': ''})
    assert resp.status == 403 and resp.code == 'AccessDenied', resp


def test_cve_2015_8466_v4_without_date_refused(raw, bucket):
    resp = raw.send('GET', f'/{bucket}', auth='v4', drop_after_signing=['x-amz-date'])
    assert resp.status == 403 and resp.code == 'AccessDenied', resp


@pytest.mark.parametrize('auth', ['v2', 'v4'])
def test_cve_2015_8466_unparsable_date_refused(raw, bucket, auth):
    name = 'date' if auth == 'v2' else 'x-amz-date'
    resp = raw.send('GET', f'/{bucket}', auth=auth, headers={name: 'yesterday'})
    assert resp.status == 403 and resp.code == 'AccessDenied', resp


def test_x_amz_date_wins_over_date_when_current(raw, bucket):
    """Date from 1970 is ignored when x-amz-date is present and current."""
    resp = raw.send('GET', f'/{bucket}', auth='v2', headers={
        'date': 'Thu, 01 Jan 1970 00:00:00 GMT', 'x-amz-date': http_date()})
    assert resp.status == 200, resp


def test_x_amz_date_wins_over_date_when_stale(raw, bucket):
    """A current Date cannot refresh a stale x-amz-date (the replay case)."""
    resp = raw.send('GET', f'/{bucket}', auth='v2', headers={
        'date': http_date(), 'x-amz-date': http_date(time.time() - 2 * SKEW)})
    assert resp.status == 403 and resp.code == 'RequestTimeTooSkewed', resp


@pytest.mark.parametrize('auth', ['v2', 'v4'])
@pytest.mark.parametrize('offset', [-2 * SKEW, 2 * SKEW])
def test_skew_beyond_allowable_refused(raw, bucket, auth, offset):
    resp = raw.send('GET', f'/{bucket}', auth=auth, now=time.time() + offset)
    assert resp.status == 403 and resp.code == 'RequestTimeTooSkewed', resp


@pytest.mark.parametrize('auth', ['v2', 'v4'])
def test_skew_within_allowable_accepted(raw, bucket, auth):
    resp = raw.send('GET', f'/{bucket}', auth=auth, now=time.time() - SKEW / 3)
    assert resp.status == 200, resp


@pytest.mark.parametrize('value', ['Tue, 01 Jan 2300 00:00:00 GMT',
                                   'Fri, 31 Dec 9999 23:59:59 GMT'])
def test_far_future_dates_v2_are_skew_errors_not_500(raw, bucket, value):
    resp = raw.send('GET', f'/{bucket}', auth='v2', headers={'date': value})
    assert resp.status == 403 and resp.code == 'RequestTimeTooSkewed', resp


@pytest.mark.parametrize('value', ['23000101T000000Z', '99991231T235959Z'])
def test_far_future_dates_v4_are_skew_errors_not_500(raw, bucket, value):
    resp = raw.send('GET', f'/{bucket}', auth='v4', headers={'x-amz-date': value})
    assert resp.status == 403 and resp.code == 'RequestTimeTooSkewed', resp


@pytest.mark.parametrize('auth,value', [('v2', 'Mon, 01 Jan 1900 00:00:00 GMT'),
                                        ('v4', '19000101T000000Z'),
                                        ('v4', '00010101T000000Z')])
def test_pre_epoch_dates_refused_not_500(raw, bucket, auth, value):
    """AWS calls a date before 1970 invalid (AccessDenied) rather than skewed."""
    name = 'date' if auth == 'v2' else 'x-amz-date'
    resp = raw.send('GET', f'/{bucket}', auth=auth, headers={name: value})
    assert resp.status == 403 and resp.code in ('AccessDenied', 'RequestTimeTooSkewed'), resp


@pytest.mark.parametrize('value', ['Sat, 01 Jan 99999 00:00:00 GMT',
                                   'Sat, 01 Jan -1 00:00:00 GMT',
                                   'Sat, 99 Foo 2020 99:99:99 GMT', '\u00e9t\u00e9',
                                   '20200101T000000Z', '0' * 200])
def test_garbage_dates_are_s3_errors(raw, bucket, value):
    resp = raw.send('GET', f'/{bucket}', auth='v2', headers={'date': value})
    assert resp.status == 403 and resp.code in ('AccessDenied', 'RequestTimeTooSkewed'), resp


# -- presigned SigV4: X-Amz-Expires ---------------------------------------------
def test_presigned_v4_expires_one_week_accepted(raw, bucket):
    resp = raw.send('GET', f'/{bucket}', auth='v4-query', expires=604800)
    assert resp.status == 200, resp


@pytest.mark.parametrize('expires', ['604801', '-1', 'abc', '', str(2 ** 63),
                                     str(2 ** 64), str(10 ** 400), '1e3', '1.5',
                                     '1_000', '\u0661\u0660', ' 10', '+10', '0x10'])
def test_presigned_v4_bad_expires_refused(raw, bucket, expires):
    resp = raw.send('GET', f'/{bucket}', auth='v4-query', expires=expires)
    assert resp.status == 400 and resp.code == 'AuthorizationQueryParametersError', resp


def test_presigned_v4_expired_refused(raw, bucket):
    resp = raw.send('GET', f'/{bucket}', auth='v4-query', expires=60,
                    now=time.time() - 120)
    assert resp.status == 403 and resp.code == 'AccessDenied', resp
    assert b'Request has expired' in resp.body


def test_presigned_v4_not_yet_valid_refused(raw, bucket):
    resp = raw.send('GET', f'/{bucket}', auth='v4-query', expires=60,
                    now=time.time() + 2 * SKEW)
    assert resp.status == 403 and resp.code == 'AccessDenied', resp


@pytest.mark.parametrize('value', ['2020-01-01T00:00:00Z', '23000101T000000Z',
                                   '99999999T999999Z', 'now'])
def test_presigned_v4_bad_or_far_date_refused(raw, bucket, value):
    resp = raw.send('GET', f'/{bucket}', auth='v4-query',
                    params_after_signing=[('X-Amz-Date', value)])
    # X-Amz-Date appears twice now; the first (signed) one or the bad one is
    # used, and either way no 2xx/5xx may come out.
    assert is_s3_error(resp) and 400 <= resp.status < 500, resp


@pytest.mark.parametrize('value', ['23000101T000000Z', '99999999T999999Z',
                                   '20200230T000000Z', 'now'])
def test_presigned_v4_date_replaced_refused(raw, bucket, value):
    q, hdrs, _sig = raw.sign('GET', f'/{bucket}', auth='v4-query')
    q = [(k, value if k == 'X-Amz-Date' else v) for k, v in q]
    target = f'/{bucket}?' + '&'.join(f'{k}={v}' for k, v in q)
    resp = raw.request('GET', target, hdrs)
    assert is_s3_error(resp) and 400 <= resp.status < 500, resp


# -- presigned SigV2: Expires ------------------------------------------------------
def test_presigned_v2_expired_refused(raw, bucket):
    resp = raw.send('GET', f'/{bucket}', auth='v2-query', expires=str(int(time.time()) - 1))
    assert resp.status == 403 and resp.code == 'AccessDenied', resp
    assert b'Request has expired' in resp.body


@pytest.mark.parametrize('expires', ['abc', '-1', '1.5e9', '', ' ', '0x7fffffff',
                                     '\u0661\u0660', '1_000_000_000_000', '9' * 31])
def test_presigned_v2_bad_expires_refused(raw, bucket, expires):
    resp = raw.send('GET', f'/{bucket}', auth='v2-query', expires=expires)
    assert resp.status == 403 and resp.code == 'AccessDenied', resp


@pytest.mark.parametrize('expires', [str(2 ** 63), str(10 ** 29)])
def test_presigned_v2_far_future_expires_is_not_a_500(raw, bucket, expires):
    """SigV2 has no maximum lifetime (AWS accepts these); only a well-formed
    answer is required."""
    resp = raw.send('GET', f'/{bucket}', auth='v2-query', expires=expires)
    assert resp.status == 200, resp


def test_presigned_v2_expires_tampered_refused(raw, bucket):
    """Extending a presigned URL's lifetime invalidates its signature."""
    q, hdrs, _sig = raw.sign('GET', f'/{bucket}', auth='v2-query', expires=60)
    q = [(k, str(int(v) + 3600) if k == 'Expires' else v) for k, v in q]
    resp = raw.request('GET', f'/{bucket}?' + canonical_query(q), hdrs)
    assert resp.status == 403 and resp.code == 'SignatureDoesNotMatch', resp


def test_presigned_v4_expires_tampered_refused(raw, bucket):
    q, hdrs, _sig = raw.sign('GET', f'/{bucket}', auth='v4-query', expires=60)
    q = [(k, '3600' if k == 'X-Amz-Expires' else v) for k, v in q]
    resp = raw.request('GET', f'/{bucket}?' + canonical_query(q), hdrs)
    assert resp.status == 403 and resp.code == 'SignatureDoesNotMatch', resp


@pytest.mark.parametrize('value', ['20200230T000000Z', '99999999T999999Z',
                                   '2020010T000000Z', '20200101T000000Z\n',
                                   '\u0662\u0660\u0662\u0660\u0660\u0661\u0660\u0661T000000Z'])
def test_v4_impossible_x_amz_date_refused_not_500(raw, bucket, value):
    resp = raw.send('GET', f'/{bucket}', auth='v4', headers={'x-amz-date': value})
    assert resp.status == 403 and resp.code == 'AccessDenied', resp
