"""SigV2/SigV4 parsing and checking against published vectors and real
client signers (botocore, s3cmd)."""
from __future__ import annotations

import calendar
import io
import time
from urllib.parse import urlsplit

import pytest

from swift3compat import config, errors
from swift3compat.auth import signature, sigv4
from swift3compat.http.request import S3Request

# AWS's S3 SigV4 examples (docs: "Signature Calculations for the
# Authorization Header: Transferring Payload in a Single Chunk").
AKID = 'AKIAIOSFODNN7EXAMPLE'
SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
AWS_NOW = calendar.timegm((2013, 5, 24, 0, 0, 0))


def make_req(method='GET', path='/', query='', headers=None, body=b'',
             conf=None, vhost=True):
    env = {'REQUEST_METHOD': method, 'PATH_INFO': path,
           'QUERY_STRING': query, 'wsgi.input': io.BytesIO(body)}
    for name, value in (headers or {}).items():
        key = name.upper().replace('-', '_')
        env[key if key in ('CONTENT_TYPE', 'CONTENT_LENGTH')
            else 'HTTP_' + key] = value
    conf = conf or config.load({'storage_domain': 's3.amazonaws.com'}
                               if vhost else {})
    return S3Request(env, conf)


def test_aws_vector_get_object_with_range():
    req = make_req('GET', '/test.txt', headers={
        'Host': 'examplebucket.s3.amazonaws.com',
        'Range': 'bytes=0-9',
        'x-amz-content-sha256': sigv4.EMPTY_SHA256,
        'x-amz-date': '20130524T000000Z',
        'Authorization': 'AWS4-HMAC-SHA256 Credential=%s/20130524/us-east-1/'
                         's3/aws4_request,SignedHeaders=host;range;'
                         'x-amz-content-sha256;x-amz-date,Signature='
                         'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91'
                         '039c6036bdb41' % AKID})
    signed = signature.parse(req, now=AWS_NOW)
    assert signed.access_key == AKID
    assert signed.check_signature(SECRET)
    assert signed.signing_key is not None
    assert not signed.check_signature(SECRET + 'x')


def test_aws_vector_put_object():
    body = b'Welcome to Amazon S3.'
    req = make_req('PUT', '/test$file.text', body=body, headers={
        'Host': 'examplebucket.s3.amazonaws.com',
        'Date': 'Fri, 24 May 2013 00:00:00 GMT',
        'x-amz-storage-class': 'REDUCED_REDUNDANCY',
        'x-amz-content-sha256': '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e'
                                '99e42034a8b803f8b072',
        'x-amz-date': '20130524T000000Z',
        'Authorization': 'AWS4-HMAC-SHA256 Credential=%s/20130524/us-east-1/'
                         's3/aws4_request,SignedHeaders=date;host;'
                         'x-amz-content-sha256;x-amz-date;x-amz-storage-class,'
                         'Signature=98ad721746da40c64f1a55b78f14c238d841ea1'
                         '380cd77a1b5971af0ece108bd' % AKID})
    signed = signature.parse(req, now=AWS_NOW)
    assert signed.check_signature(SECRET)


def test_aws_vector_get_bucket_lifecycle():
    req = make_req('GET', '/', query='lifecycle', headers={
        'Host': 'examplebucket.s3.amazonaws.com',
        'x-amz-date': '20130524T000000Z',
        'x-amz-content-sha256': sigv4.EMPTY_SHA256,
        'Authorization': 'AWS4-HMAC-SHA256 Credential=%s/20130524/us-east-1/'
                         's3/aws4_request,SignedHeaders=host;'
                         'x-amz-content-sha256;x-amz-date,Signature=fea454c'
                         'a298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136'
                         '783543' % AKID})
    assert signature.parse(req, now=AWS_NOW).check_signature(SECRET)


def test_aws_vector_list_objects():
    req = make_req('GET', '/', query='max-keys=2&prefix=J', headers={
        'Host': 'examplebucket.s3.amazonaws.com',
        'x-amz-date': '20130524T000000Z',
        'x-amz-content-sha256': sigv4.EMPTY_SHA256,
        'Authorization': 'AWS4-HMAC-SHA256 Credential=%s/20130524/us-east-1/'
                         's3/aws4_request,SignedHeaders=host;'
                         'x-amz-content-sha256;x-amz-date,Signature=34b48302'
                         'e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69'
                         'dc6f7' % AKID})
    assert signature.parse(req, now=AWS_NOW).check_signature(SECRET)


def test_aws_vector_presigned_get():
    query = ('X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%s%%2F201305'
             '24%%2Fus-east-1%%2Fs3%%2Faws4_request&X-Amz-Date=20130524T00000'
             '0Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature'
             '=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d4'
             '04' % AKID)
    req = make_req('GET', '/test.txt', query=query,
                   headers={'Host': 'examplebucket.s3.amazonaws.com'})
    signed = signature.parse(req, now=AWS_NOW + 60)
    assert signed.presigned and signed.check_signature(SECRET)
    with pytest.raises(errors.AccessDenied, match='expired'):
        signature.parse(req, now=AWS_NOW + 86401)


def test_aws_sigv4_signing_key_derivation():
    # From the general SigV4 docs ("Derive a signing key").
    key = sigv4.signing_key('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
                            '20120215', 'us-east-1', 'iam')
    assert key.hex() == ('f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9'
                         'e090d414db404d')


def test_sign_with_a_reused_keyed_hmac_is_plain_hmac():
    """sigv4.sign copies one keyed HMAC per signing key: every signature
    is still HMAC-SHA256(key, string), also after other keys and strings."""
    import hashlib
    import hmac
    keys = [sigv4.signing_key(s, '20261207', 'us-east-1', 's3')
            for s in ('one', 'two')]
    for text in ('AWS4-HMAC-SHA256\nfirst', 'second', '\u00e9t\u00e9', ''):
        for key in keys + keys:
            assert sigv4.sign(key, text) == hmac.new(
                key, text.encode('utf-8'), hashlib.sha256).hexdigest()


# -- real client signers ------------------------------------------------------
def _botocore_signed(method, url, auth_cls, body=b'', headers=None,
                     region='us-east-1'):
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    creds = Credentials('test:tester', 'testing')
    request = AWSRequest(method=method, url=url, data=body,
                         headers=headers or {})
    if auth_cls.__name__ == 'HmacV1Auth':
        auth_cls(creds).add_auth(request)
    else:
        auth_cls(creds, 's3', region).add_auth(request)
    return request.prepare()


@pytest.mark.parametrize('path,query', [
    ('/bucket/key', ''),
    ('/bucket/dir/a%20b%2Bc%C3%A9', ''),
    ('/bucket', 'acl'),
    ('/bucket', 'prefix=a%2Fb&delimiter=%2F&max-keys=5'),
    ('/bucket/k', 'uploadId=abc&partNumber=3'),
    ('/bucket', 'object-lock'),
])
@pytest.mark.parametrize('version', ['v2', 'v4'])
def test_botocore_signatures_verify(path, query, version):
    from botocore.auth import HmacV1Auth, S3SigV4Auth
    url = 'http://127.0.0.1:8080%s%s' % (path, '?' + query if query else '')
    prepared = _botocore_signed('GET', url, HmacV1Auth if version == 'v2'
                                else S3SigV4Auth)
    parts = urlsplit(prepared.url)
    from urllib.parse import unquote
    env_path = unquote(parts.path).encode('utf-8').decode('latin-1')
    headers = dict(prepared.headers)
    headers['Host'] = '127.0.0.1:8080'
    req = make_req('GET', env_path, parts.query, headers, vhost=False)
    req.environ['RAW_PATH_INFO'] = parts.path
    assert signature.parse(req).check_signature('testing')


def test_s3cmd_v2_signature_verifies():
    from S3.Config import Config as S3cmdConfig
    from S3.Crypto import sign_request_v2
    from S3.SortedDict import SortedDict
    cfg = S3cmdConfig()
    cfg.access_key, cfg.secret_key = 'test:tester', 'testing'
    headers = SortedDict(ignore_case=True)
    headers['x-amz-date'] = time.strftime('%a, %d %b %Y %H:%M:%S +0000',
                                          time.gmtime())
    headers['content-type'] = 'text/plain'
    signed_headers = sign_request_v2('PUT', '/bucket/obj', {'acl': None},
                                     headers)
    req = make_req('PUT', '/bucket/obj', 'acl', {
        'x-amz-date': headers['x-amz-date'], 'Content-Type': 'text/plain',
        'Authorization': signed_headers['Authorization']}, vhost=False)
    assert signature.parse(req).check_signature('testing')


# -- rejections -------------------------------------------------------------------
def test_no_date_is_access_denied_with_aws_message():
    req = make_req('GET', '/bkt/k', headers={'Authorization': 'AWS a:b'},
                   vhost=False)
    with pytest.raises(errors.AccessDenied) as exc:
        signature.parse(req)
    assert exc.value.message == ('AWS authentication requires a valid Date '
                                 'or x-amz-date header')


def test_clock_skew():
    old = time.strftime('%a, %d %b %Y %H:%M:%S GMT',
                        time.gmtime(time.time() - 3600))
    req = make_req('GET', '/bkt/k', headers={'Authorization': 'AWS a:b',
                                             'Date': old}, vhost=False)
    with pytest.raises(errors.RequestTimeTooSkewed):
        signature.parse(req)
    future = 'Mon, 01 Jan 2300 00:00:00 GMT'
    req = make_req('GET', '/bkt/k', headers={'Authorization': 'AWS a:b',
                                             'Date': future}, vhost=False)
    with pytest.raises(errors.RequestTimeTooSkewed):
        signature.parse(req)


def _v4_header(region='us-east-1', signed='host;x-amz-content-sha256;'
               'x-amz-date', date=None):
    date = date or time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())
    return date, {
        'Host': 'h', 'x-amz-date': date,
        'x-amz-content-sha256': sigv4.EMPTY_SHA256,
        'Authorization': 'AWS4-HMAC-SHA256 Credential=ak/%s/%s/s3/'
                         'aws4_request, SignedHeaders=%s, Signature=00'
                         % (date[:8], region, signed)}


def test_region_mismatch_carries_region():
    _date, headers = _v4_header(region='eu-west-1')
    with pytest.raises(errors.AuthorizationHeaderMalformed) as exc:
        signature.parse(make_req('GET', '/bkt', headers=headers, vhost=False))
    assert exc.value.fields['Region'] == 'us-east-1'
    assert b'<Region>us-east-1</Region>' in exc.value.body('tx')


def test_region_alias_us_is_accepted():
    _date, headers = _v4_header(region='US')
    signed = signature.parse(make_req('GET', '/bkt', headers=headers,
                                      vhost=False))
    assert signed.scope[1] == 'US'


def test_unsigned_amz_header_refused():
    _date, headers = _v4_header()
    headers['x-amz-copy-source'] = '/other/key'
    with pytest.raises(errors.AccessDenied) as exc:
        signature.parse(make_req('PUT', '/bkt/k', headers=headers,
                                 vhost=False))
    assert exc.value.fields['HeadersNotSigned'] == 'x-amz-copy-source'


def test_presigned_expiry_limits():
    base = ('X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ak%%2F%s%%2F'
            'us-east-1%%2Fs3%%2Faws4_request&X-Amz-Date=%s&X-Amz-Expires=%s'
            '&X-Amz-SignedHeaders=host&X-Amz-Signature=00')
    now = time.time()
    date = time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(now))
    for bad in ('604801', '-1', 'abc', str(2 ** 63)):
        req = make_req('GET', '/bkt/k', base % (date[:8], date, bad),
                       {'Host': 'h'}, vhost=False)
        with pytest.raises(errors.AuthorizationQueryParametersError):
            signature.parse(req, now=now)
    req = make_req('GET', '/bkt/k', base % (date[:8], date, '604800'),
                   {'Host': 'h'}, vhost=False)
    assert signature.parse(req, now=now).presigned


def test_both_auth_mechanisms_refused():
    req = make_req('GET', '/bkt/k', 'AWSAccessKeyId=a&Signature=b&Expires=1',
                   {'Authorization': 'AWS a:b'}, vhost=False)
    with pytest.raises(errors.InvalidArgument):
        signature.parse(req)


def test_bad_payload_hash_value_refused():
    _date, headers = _v4_header()
    headers['x-amz-content-sha256'] = 'nope'
    with pytest.raises(errors.InvalidArgument):
        signature.parse(make_req('PUT', '/bkt/k', headers=headers,
                                 vhost=False))


@pytest.mark.parametrize('sig', ['', 'zz', '\u00e9' * 64, 'a' * 500])
def test_odd_signatures_fail_cleanly(sig):
    date, headers = _v4_header()
    headers['Authorization'] = headers['Authorization'].replace(
        'Signature=00', 'Signature=' + sig)
    req = make_req('GET', '/bkt', headers=headers, vhost=False)
    try:
        signed = signature.parse(req)
    except errors.S3Error:
        return
    assert signed.check_signature('secret') is False


def test_date_before_epoch_is_access_denied():
    req = make_req('GET', '/bkt/k', headers={
        'Authorization': 'AWS a:b', 'x-amz-date': 'Tue, 07 Jul 1950 21:53:04 GMT'},
        vhost=False)
    with pytest.raises(errors.AccessDenied):
        signature.parse(req)


def test_malformed_v2_header_is_invalid_argument():
    req = make_req('GET', '/bkt/k', headers={'Authorization': 'AWS HAHAHA',
                                             'Date': time.strftime(
                                                 '%a, %d %b %Y %H:%M:%S GMT',
                                                 time.gmtime())},
                   vhost=False)
    with pytest.raises(errors.InvalidArgument):
        signature.parse(req)


def test_empty_authorization_is_anonymous():
    req = make_req('GET', '/bkt/k', headers={'Authorization': ''},
                   vhost=False)
    assert signature.parse(req) is None


# -- duplicate authentication parameters (issue 13) ------------------------------
_GOOD_SIG = 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41'
_AWS_RANGE_HEADERS = {
    'Host': 'examplebucket.s3.amazonaws.com', 'Range': 'bytes=0-9',
    'x-amz-content-sha256': sigv4.EMPTY_SHA256, 'x-amz-date': '20130524T000000Z'}
_V4_FIELDS = ('AWS4-HMAC-SHA256 Credential=%s/20130524/us-east-1/s3/aws4_request,'
              'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date' % AKID)


@pytest.mark.parametrize('authz', [
    _V4_FIELDS + ',Signature=%s,Signature=%s' % ('0' * 64, _GOOD_SIG),
    _V4_FIELDS + ',Signature=%s,Signature=%s' % (_GOOD_SIG, '0' * 64),
    _V4_FIELDS + ',Signature=%s,Signature=%s' % (_GOOD_SIG, _GOOD_SIG),
    _V4_FIELDS + ',Credential=x/20130524/us-east-1/s3/aws4_request,Signature=' + _GOOD_SIG,
    _V4_FIELDS + ',SignedHeaders=host,Signature=' + _GOOD_SIG,
], ids=['bad-then-good', 'good-then-bad', 'same-twice', 'credential', 'signed-headers'])
def test_v4_header_with_a_repeated_component_is_malformed(authz):
    req = make_req('GET', '/test.txt', headers={**_AWS_RANGE_HEADERS,
                                                'Authorization': authz})
    with pytest.raises(errors.AuthorizationHeaderMalformed):
        signature.parse(req, now=AWS_NOW)


def test_v4_header_single_components_still_verify():
    req = make_req('GET', '/test.txt', headers={
        **_AWS_RANGE_HEADERS, 'Authorization': _V4_FIELDS + ',Signature=' + _GOOD_SIG})
    assert signature.parse(req, now=AWS_NOW).check_signature(SECRET)


@pytest.mark.parametrize('query,error', [
    ('X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2F20130524%2Fus-east-1'
     '%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400'
     '&X-Amz-SignedHeaders=host&X-Amz-Signature=aa&X-Amz-Signature=bb',
     errors.AuthorizationQueryParametersError),
    ('X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2F20130524%2Fus-east-1'
     '%2Fs3%2Faws4_request&X-Amz-Credential=b%2F20130524%2Fus-east-1%2Fs3%2F'
     'aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400'
     '&X-Amz-SignedHeaders=host&X-Amz-Signature=aa',
     errors.AuthorizationQueryParametersError),
    ('AWSAccessKeyId=a&Expires=9999999999&Signature=x&Signature=y',
     errors.InvalidArgument),
    ('AWSAccessKeyId=a&AWSAccessKeyId=b&Expires=9999999999&Signature=x',
     errors.InvalidArgument),
], ids=['v4-signature', 'v4-credential', 'v2-signature', 'v2-access-key'])
def test_repeated_query_auth_parameter_is_refused(query, error):
    req = make_req('GET', '/test.txt', query=query,
                   headers={'Host': 'examplebucket.s3.amazonaws.com'})
    with pytest.raises(error):
        signature.parse(req, now=AWS_NOW)

def test_iso_date_parse_matches_strptime() -> None:
    """The x-amz-date parser without strptime gives strptime's results,
    None where strptime refuses (day 30 of February, year 0, hour 24)."""
    import calendar
    import random
    import time as _time
    from swift3compat.auth.signature import _parse_iso

    def reference(value):
        try:
            return float(calendar.timegm(
                _time.strptime(value, '%Y%m%dT%H%M%SZ')))
        except ValueError:
            return None

    rnd = random.Random(18)
    values = ['20240229T235961Z', '20230229T000000Z', '00000101T000000Z',
              '99991231T235959Z', '20260101T240000Z', '20261301T000000Z']
    for _ in range(20000):
        values.append('%04d%02d%02dT%02d%02d%02dZ' % (
            rnd.choice([rnd.randint(0, 9999), rnd.randint(1999, 2030)]),
            rnd.choice([rnd.randint(0, 99), rnd.randint(1, 12)]),
            rnd.choice([rnd.randint(0, 99), rnd.randint(28, 31)]),
            rnd.choice([rnd.randint(0, 99), rnd.randint(0, 23)]),
            rnd.choice([rnd.randint(0, 99), rnd.randint(0, 59)]),
            rnd.choice([rnd.randint(0, 99), rnd.randint(0, 61)])))
    accepted = 0
    for value in values:
        assert _parse_iso(value) == reference(value), value
        accepted += reference(value) is not None
    assert accepted > 1000          # not a test of rejections only


def test_canonical_values_match_the_general_forms() -> None:
    """The fast paths of canonical_uri (nothing to encode) and
    canonical_header_value (str.split) give what quoting and the \\s+
    regular expression give."""
    import random
    import re
    from urllib.parse import quote

    from swift3compat.auth import sigv4
    rnd = random.Random(18)
    alphabet = 'aZ09._~-/ %+=:@é\t\n\x0b\x0c\r\x1c\x85\xa0\u2003'
    for _ in range(5000):
        text = ''.join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 12)))
        path = text.encode('utf-8')
        assert sigv4.canonical_uri(path) == (quote(path, safe='/~') or '/')
        assert sigv4.canonical_header_value(text) == \
            re.sub(r'\s+', ' ', text.strip())
