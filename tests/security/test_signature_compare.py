"""Signature comparison: constant time, and garbage signatures are 403s.

Row: "timing side-channel" (Swift fix 6142ce88c: non-constant-time compare;
2.27.0: non-base64 signatures gave 500s).
"""
from __future__ import annotations

import hmac

import pytest
from urllib.parse import urlencode

from swift3compat.auth import signature
from tests.security.s3raw import is_s3_error

GARBAGE = ['A', 'AAA', '!!!!', '====', 'not base64 at all', 'YQ=', 'YWJj' * 1000,
           '\u00e9\u00e8\u00ea', '\x7f\x01', 'a' * 27, 'a' * 29, 'a' * 63, 'a' * 65,
           'zz' * 32, ' ', 'Signature', '%00', ',', 'AAAA,Signature=BBBB']


def _signed(version: int) -> signature.SignedRequest:
    if version == 4:
        return signature.SignedRequest(4, 'AKID', 'ab' * 32, ['to sign'],
                                       scope=('20200101', 'us-east-1', 's3', 'aws4_request'))
    return signature.SignedRequest(2, 'AKID', 'c2lnbmF0dXJl', ['to sign', 'other form'])


@pytest.mark.parametrize('version', [2, 4])
def test_signature_compared_with_hmac_compare_digest(monkeypatch, version):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)
    monkeypatch.setattr(hmac, 'compare_digest', spy)
    signed = _signed(version)
    assert signed.check_signature('secret') is False
    assert calls, 'the signature was not compared with hmac.compare_digest'
    assert all(b == signed.signature.encode() for _a, b in calls)
    # SigV2 tries every canonical form, also after a match: no early exit.
    assert len(calls) == len(signed.candidates)


@pytest.mark.parametrize('version', [2, 4])
@pytest.mark.parametrize('value', GARBAGE)
def test_garbage_signature_checked_without_error(version, value):
    signed = _signed(version)
    signed.signature = value
    assert signed.check_signature('secret') is False


@pytest.mark.parametrize('value', GARBAGE)
def test_garbage_v2_header_signature_is_403(raw, bucket, value):
    q, hdrs, _ = raw.sign('GET', f'/{bucket}', auth='v2')
    hdrs['authorization'] = f'AWS {raw.creds.access_key}:{value}'
    resp = raw.request('GET', f'/{bucket}', hdrs)
    if value.strip():
        assert resp.status == 403 and is_s3_error(resp), resp
    else:   # no signature at all: a malformed header
        assert resp.status == 400 and resp.code == 'InvalidArgument', resp


@pytest.mark.parametrize('value', GARBAGE)
def test_garbage_v4_header_signature_is_403(raw, bucket, value):
    q, hdrs, sig = raw.sign('GET', f'/{bucket}', auth='v4')
    hdrs['authorization'] = hdrs['authorization'].replace(sig, value)
    resp = raw.request('GET', f'/{bucket}', hdrs)
    if 'Signature=' in value:   # a second Signature: ambiguous, refused (#13)
        assert resp.status == 400 and resp.code == 'AuthorizationHeaderMalformed', resp
    elif value.strip(' ,'):
        assert resp.status == 403 and is_s3_error(resp), resp
    else:   # no Signature component at all
        assert resp.status == 400 and resp.code == 'AuthorizationHeaderMalformed', resp


@pytest.mark.parametrize('auth,param', [('v2-query', 'Signature'),
                                        ('v4-query', 'X-Amz-Signature')])
@pytest.mark.parametrize('value', [v for v in GARBAGE if v.strip()])
def test_garbage_presigned_signature_is_403(raw, bucket, auth, param, value):
    q, hdrs, _ = raw.sign('GET', f'/{bucket}', auth=auth)
    q = [(k, value if k == param else v) for k, v in q]
    resp = raw.request('GET', f'/{bucket}?' + urlencode(q), hdrs)
    assert resp.status == 403 and is_s3_error(resp), resp


@pytest.mark.parametrize('authz', ['AWS', 'AWS ', 'AWS :', 'AWS test:tester:', 'AWS :sig',
                                   'AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA256 ',
                                   'AWS4-HMAC-SHA256 Credential=', 'AWS4-HMAC-SHA256 Signature=x',
                                   'AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, '
                                   'Signature=00', 'Bearer x', 'AWS4-ECDSA-P256-SHA256 x',
                                   'AWS4-HMAC-SHA256 Credential=test:tester/20200101/us-east-1/'
                                   's3/aws4_request,SignedHeaders=,Signature=00',
                                   '\x01AWS4-HMAC-SHA256 x', 'AWS test:tester\x7f\x1b'])
def test_malformed_authorization_is_4xx_s3_error(raw, bucket, authz):
    """Also with control characters, which the error document echoes
    (is_s3_error parses it: a character reference to one would not parse)."""
    q, hdrs, _ = raw.sign('GET', f'/{bucket}', auth='v4')
    hdrs['authorization'] = authz
    resp = raw.request('GET', f'/{bucket}', hdrs)
    assert is_s3_error(resp) and resp.status in (400, 403, 501), resp
