"""Who the caller is comes from the signature only.

Rows: swift3 bug 1561199 (auth data in client-controllable headers ⇒
impersonation through the native Swift API), "s3token header spoofing"
(identity headers from clients) and the observed "identity spoof"
(X-User-Name / X-Tenant-Name beside a valid signature read and deleted another
user's object; X-User-Name alone caused a 500).
"""
from __future__ import annotations

import base64

import pytest
import requests

from tests.security.inprocess import InProcess
from tests.security.s3raw import http_date, v2_signature, v2_string_to_sign

# What Keystone's auth_token, tempauth and Swift put in a request's headers
# to say who the caller is; a client sending them must change nothing.
SPOOFED = {
    'X-User-Name': 'tester', 'X-User-Id': 'tester', 'X-User': 'tester',
    'X-User-Domain-Id': 'default', 'X-User-Domain-Name': 'Default',
    'X-Tenant-Name': 'test', 'X-Tenant-Id': 'AUTH_test', 'X-Tenant': 'test',
    'X-Project-Name': 'test', 'X-Project-Id': 'test',
    'X-Project-Domain-Id': 'default', 'X-Domain-Id': 'default',
    'X-Roles': 'admin,ResellerAdmin,.admin,.reseller_admin', 'X-Role': 'admin',
    'X-Identity-Status': 'Confirmed', 'X-Service-Identity-Status': 'Confirmed',
    'X-Service-Roles': 'service,admin', 'X-Service-Project-Id': 'test',
    'X-Is-Admin-Project': 'True', 'X-System-Scope': 'all',
    'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing',
    'X-Remote-User': 'test:tester', 'X-Storage-User': 'test:tester',
    'Swift.Authorize-Override': 'true', 'S3api.Auth-Details': 'x',
}


@pytest.fixture
def private_object(raw, bucket):
    """test:tester's object that test:tester3 (no .admin) may not read."""
    assert raw.send('PUT', f'/{bucket}/private', body=b'tester only').status == 200
    return bucket, 'private'


@pytest.fixture
def tester3(raw_factory):
    return raw_factory('test:tester3')


def test_tester3_baseline_has_no_access(tester3, private_object):
    bucket, key = private_object
    resp = tester3.send('GET', f'/{bucket}/{key}')
    assert resp.status == 403 and resp.code == 'AccessDenied', resp


@pytest.mark.parametrize('auth', ['v4', 'v2', 'v4-query'])
def test_identity_headers_spoofed_have_no_effect(tester3, private_object, raw, auth,
                                                 swift_api):
    """Spoofed identity headers, signed along (so the signature is valid)."""
    bucket, key = private_object
    headers = dict(SPOOFED, **{'X-Auth-Token': swift_api('test:tester').token,
                               'X-Storage-Token': swift_api('test:tester').token,
                               'X-Service-Token': swift_api('admin:admin').token})
    signed = ['host', 'x-amz-content-sha256', 'x-amz-date'] + \
        [h.lower() for h in headers] if auth == 'v4' else None
    get = tester3.send('GET', f'/{bucket}/{key}', headers=headers, auth=auth,
                       sign_headers=signed if auth == 'v4' else None)
    assert get.status == 403 and get.code == 'AccessDenied', get
    listing = tester3.send('GET', f'/{bucket}', headers=headers, auth=auth,
                           sign_headers=signed if auth == 'v4' else None)
    assert listing.status == 403 and listing.code == 'AccessDenied', listing
    delete = tester3.send('DELETE', f'/{bucket}/{key}', headers=headers, auth=auth,
                          sign_headers=signed if auth == 'v4' else None)
    assert delete.status == 403 and delete.code == 'AccessDenied', delete
    assert raw.send('GET', f'/{bucket}/{key}').body == b'tester only'


@pytest.mark.parametrize('name', sorted(SPOOFED))
def test_single_identity_header_is_not_a_500(tester3, private_object, name):
    bucket, key = private_object
    resp = tester3.send('GET', f'/{bucket}/{key}', add_after_signing={name: SPOOFED[name]})
    assert resp.status == 403 and resp.code == 'AccessDenied', resp


def test_other_account_cannot_reach_in_with_identity_headers(raw_factory, private_object,
                                                             swift_api):
    bucket, key = private_object
    other = raw_factory('test2:tester2')
    headers = dict(SPOOFED, **{'X-Auth-Token': swift_api('test:tester').token})
    resp = other.send('GET', f'/{bucket}/{key}', add_after_signing=headers)
    assert resp.status in (403, 404) and resp.body != b'tester only', resp


def test_valid_swift_token_does_not_replace_a_bad_signature(raw, private_object,
                                                            swift_api):
    bucket, key = private_object
    token = swift_api('test:tester').token
    for auth in ('v2', 'v4'):
        q, hdrs, _sig = raw.sign('GET', f'/{bucket}/{key}', auth=auth)
        hdrs['authorization'] = hdrs['authorization'][:-8] + 'AAAAAAAA'
        hdrs['x-auth-token'] = token
        resp = raw.request('GET', f'/{bucket}/{key}', hdrs)
        assert resp.status == 403 and resp.code == 'SignatureDoesNotMatch', resp


# -- bug 1561199: no authentication from client headers on the Swift API --------
def test_bug_1561199_string_to_sign_as_token_on_native_api(raw, s3_proxy, private_object,
                                                          s3_users):
    """A captured SigV2 request (signature + string to sign) used against the
    native API, the way swift3 < 1.12 let tempauth accept it."""
    bucket, key = private_object
    headers = {'date': http_date(), 'host': f'127.0.0.1:{s3_proxy.port}'}
    path = f'/v1/AUTH_test/{bucket}/{key}'
    creds = raw.creds
    for target in (f'/{bucket}/{key}', path):
        sts = v2_string_to_sign('GET', target, (), headers, headers['date'])
        sig = v2_signature(creds, 'GET', target, (), headers, headers['date'])
        token = base64.urlsafe_b64encode(sts.encode()).decode()
        both = requests.get(s3_proxy.url + path, timeout=30, headers=dict(
            headers, **{'X-Auth-Token': token, 'Authorization': f'AWS {creds.access_key}:{sig}'}))
        assert both.status_code in (400, 401, 403), both.text
        assert b'tester only' not in both.content
        token_only = requests.get(s3_proxy.url + path, timeout=30,
                                  headers=dict(headers, **{'X-Auth-Token': token}))
        assert token_only.status_code == 401, token_only.text


def test_bug_1561199_auth_details_only_through_environ():
    """Every subrequest gets the auth details from the WSGI environment, and no
    client header (whatever its name) reaches Swift as one."""
    app = InProcess()
    assert app.request('PUT', '/bucket').status == 200
    app.swift.seen.clear()
    resp = app.request('GET', '/bucket/missing', add_after_signing=SPOOFED)
    assert resp.status == 404, resp
    assert app.swift.seen
    for env in app.swift.seen:
        details = env.get('s3api.auth_details')
        assert details is None or callable(details['check_signature'])
        spoofed_keys = {'HTTP_' + h.upper().replace('-', '_') for h in SPOOFED}
        assert not spoofed_keys & set(env), sorted(spoofed_keys & set(env))


@pytest.mark.parametrize('method,path', [('GET', '/bucket'), ('PUT', '/bucket/k'),
                                         ('GET', '/bucket/k'), ('DELETE', '/bucket/k'),
                                         ('GET', '/'), ('HEAD', '/bucket')])
def test_identity_headers_never_reach_swift(method, path):
    """Whatever auth middleware follows swift3 (tempauth, keystoneauth, a
    custom one): no subrequest carries a client's identity header."""
    app = InProcess()
    app.request('PUT', '/bucket')
    app.request('PUT', '/bucket/k', body=b'x')
    app.swift.seen.clear()
    token = {'X-Auth-Token': 'AUTH_tk_spoofed', 'X-Storage-Token': 'AUTH_tk_spoofed',
             'X-Service-Token': 'AUTH_tk_spoofed'}
    app.request(method, path, add_after_signing=dict(SPOOFED, **token))
    assert app.swift.seen
    for env in app.swift.seen:
        leaked = sorted(k for k in env if k.startswith('HTTP_') and k[5:].replace('_', '-')
                        .lower() in {h.lower() for h in list(SPOOFED) + list(token)})
        assert not leaked, (env['PATH_INFO'], leaked)
