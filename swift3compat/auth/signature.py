"""Find and validate the S3 signature of a request (SigV2 / SigV4).

``parse(req)`` returns ``None`` for an anonymous request, or a
``SignedRequest`` whose ``check_signature(secret)`` the auth filter after
swift3 calls (Swift's tempauth does; so does our s3token).  Everything that
can be checked without the secret is checked here, before any backend
request: the form of the Authorization header or query parameters, the
request date against ``allowable_clock_skew``, presigned expiry, the
credential scope's region and service, and that every ``x-amz-*`` header is
covered by a SigV4 signature.

Security notes:

* comparisons are constant time (``hmac.compare_digest``);
* the signature and the string to sign are never logged;
* the derived SigV4 signing key is kept on the request only after a
  successful check, for aws-chunked chunk signatures.
"""
from __future__ import annotations

import email.utils
import hashlib
import hmac
import re
import time
from typing import Dict, List, Optional, Tuple
from urllib.parse import quote

from swift3compat import errors
from swift3compat.auth import sigv2, sigv4
from swift3compat.http.request import S3Request

MAX_PRESIGNED_EXPIRES = 7 * 24 * 3600
_ISO_DATE = re.compile(r'[0-9]{8}T[0-9]{6}Z')     # used with fullmatch
# An integer as AWS writes it: Python's int() would also take ' 10', '+10',
# '1_000' and non-ASCII digits.
_INTEGER = re.compile(r'-?[0-9]{1,30}')
_HEX64 = re.compile(r'^[0-9a-fA-F]{64}$')
STREAMING_PAYLOADS = frozenset([
    'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
    'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
    'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
])
_NO_DATE = 'AWS authentication requires a valid Date or x-amz-date header'


class SignedRequest:
    """A request's signature, ready to be checked with a secret."""

    def __init__(self, version: int, access_key: str, signature: str,
                 candidates: List[str], *, scope: Tuple[str, ...] = (),
                 amz_date: str = '', payload_hash: Optional[str] = None,
                 presigned: bool = False) -> None:
        self.version = version
        self.access_key = access_key
        self.signature = signature
        # Several canonical forms are tried only for SigV2, whose canonical
        # resource clients encode inconsistently; the first is the usual one.
        self.candidates = candidates
        self.scope = scope          # (date, region, service, 'aws4_request')
        self.amz_date = amz_date
        self.payload_hash = payload_hash
        self.presigned = presigned
        self.checked = False
        self.valid = False
        self.signing_key: Optional[bytes] = None
        self.secret: Optional[str] = None

    @property
    def string_to_sign(self) -> bytes:
        return self.candidates[0].encode('utf-8')

    def check_signature(self, secret: str) -> bool:
        """Constant-time check of the signature with ``secret``."""
        self.checked = True
        ok, key = self._verify(secret)
        if ok:
            self._accept(secret, key)
        return ok

    def check_remembered(self, secret: str) -> bool:
        """``check_signature`` with a secret remembered from an earlier
        request (``swift.auth_cache``): a match counts as checked; a
        mismatch leaves the request as it was, for the auth filter to
        decide (the secret may have changed)."""
        ok, key = self._verify(secret)
        if ok:
            self.checked = True
            self._accept(secret, key)
        return ok

    def _verify(self, secret: str) -> Tuple[bool, Optional[bytes]]:
        """Whether ``secret`` signed the request (constant-time compare),
        and the SigV4 signing key it derives."""
        provided = self.signature.encode('utf-8', 'surrogateescape')
        if self.version == 4:
            key = sigv4.signing_key(secret, *self.scope[:3])
            expected = sigv4.sign(key, self.candidates[0])
            return hmac.compare_digest(expected.encode('ascii'), provided), key
        ok = False
        for candidate in self.candidates:
            expected = sigv2.sign(secret, candidate)
            if hmac.compare_digest(expected.encode('ascii'), provided):
                ok = True
        return ok, None

    def _accept(self, secret: str, key: Optional[bytes]) -> None:
        if key is not None:
            self.signing_key = key
        self.secret = secret
        self.valid = True

    def auth_details(self) -> Dict[str, object]:
        """What the next auth filter reads from the WSGI environment."""
        return {'access_key': self.access_key,
                'signature': self.signature,
                'string_to_sign': self.string_to_sign,
                'check_signature': self.check_signature}

    def failure(self) -> errors.S3Error:
        """The error for a request the backend auth refused."""
        if self.checked and not self.valid:
            return errors.SignatureDoesNotMatch(
                AWSAccessKeyId=self.access_key,
                StringToSign=None)
        return errors.InvalidAccessKeyId(AWSAccessKeyId=self.access_key)


# -- dates --------------------------------------------------------------
def _parse_iso(value: str) -> Optional[float]:
    """``YYYYMMDDTHHMMSSZ`` (already matched by ``_ISO_DATE``) → epoch, or
    None where ``time.strptime`` refuses it (20200230T000000Z, year 0):
    the same results without strptime's locale and regex machinery (5 µs
    → 1 µs, once per request)."""
    year, month, day = int(value[0:4]), int(value[4:6]), int(value[6:8])
    hour, minute, second = int(value[9:11]), int(value[11:13]), \
        int(value[13:15])
    if not (year and 1 <= month <= 12 and hour <= 23 and minute <= 59 and
            second <= 61) or not 1 <= day <= _days(year, month):
        return None
    # calendar.timegm's arithmetic, without its datetime round trip
    days = _DAYS_BEFORE[month] + day - 1 + (month > 2 and _leap(year))
    years = year - 1
    days += years * 365 + years // 4 - years // 100 + years // 400 - \
        _EPOCH_DAYS
    return float(((days * 24 + hour) * 60 + minute) * 60 + second)


_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_DAYS_BEFORE = tuple(sum(_MONTH_DAYS[:m]) for m in range(13))
_EPOCH_DAYS = 1969 * 365 + 1969 // 4 - 1969 // 100 + 1969 // 400


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days(year: int, month: int) -> int:
    return _MONTH_DAYS[month] + (month == 2 and _leap(year))


def _parse_http_date(value: str) -> Optional[float]:
    if _ISO_DATE.fullmatch(value):
        return _parse_iso(value)
    try:
        parsed = email.utils.parsedate_tz(value)
    except (TypeError, ValueError, IndexError):
        return None
    if not parsed:
        return None
    try:
        return float(email.utils.mktime_tz(parsed))
    except (OverflowError, ValueError):
        return None


def _iso(ts: float) -> str:
    return time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(ts))


def _check_skew(ts: float, now: float, skew: int) -> None:
    if ts < 0:
        # Before the epoch: AWS calls this an invalid date, not a skew.
        raise errors.AccessDenied(_NO_DATE)
    if abs(now - ts) > skew:
        raise errors.RequestTimeTooSkewed(
            RequestTime=time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(
                min(max(ts, 0), 253402300799))),
            ServerTime=_iso(now),
            MaxAllowedSkewMilliseconds=skew * 1000)


def _request_time(req: S3Request) -> Tuple[float, str]:
    """The x-amz-date (preferred) or Date header: (epoch, raw string)."""
    raw = req.header('x-amz-date')
    if raw is None:
        raw = req.header('date')
    if not raw:
        raise errors.AccessDenied(_NO_DATE)
    ts = _parse_http_date(raw)
    if ts is None:
        raise errors.AccessDenied(_NO_DATE)
    return ts, raw


# -- entry point -----------------------------------------------------------
def parse(req: S3Request, now: Optional[float] = None) -> Optional[SignedRequest]:
    """The request's signature, or None for an anonymous request."""
    now = time.time() if now is None else now
    authz = req.header('authorization') or None  # empty = anonymous
    q = req.query
    presigned_v4 = 'X-Amz-Algorithm' in q or 'X-Amz-Credential' in q
    presigned_v2 = 'AWSAccessKeyId' in q or 'Signature' in q
    _refuse_repeated_auth_params(req)
    if authz is not None and (presigned_v4 or presigned_v2):
        raise errors.InvalidArgument(
            'Only one auth mechanism allowed; only the X-Amz-Algorithm query '
            'parameter, Signature query string parameter or the '
            'Authorization header should be specified',
            ArgumentName='Authorization', ArgumentValue=authz[:20])
    if authz is not None:
        if authz.startswith('AWS4-HMAC-SHA256'):
            return _no_session_token(req, _header_v4(req, authz, now))
        if authz.startswith('AWS '):
            return _no_session_token(req, _header_v2(req, authz, now))
        if authz.startswith('AWS4-ECDSA-P256-SHA256'):
            raise errors.NotImplemented(
                'Signature Version 4A (AWS4-ECDSA-P256-SHA256) is not '
                'implemented')
        raise errors.InvalidArgument('Unsupported Authorization Type',
                                     ArgumentName='Authorization',
                                     ArgumentValue=authz.split(' ')[0][:40])
    if presigned_v4:
        return _no_session_token(req, _query_v4(req, now))
    if presigned_v2:
        return _no_session_token(req, _query_v2(req, now))
    return None


def _no_session_token(req: S3Request, signed: SignedRequest) -> SignedRequest:
    """Refuse a session token: there is no STS here, so no token is valid.
    Ignoring it would accept what AWS refuses (400 InvalidToken) and hide
    a client's wrong credentials."""
    if req.header('x-amz-security-token') is not None or any(
            name.lower() == 'x-amz-security-token' for name in req.query):
        raise errors.InvalidToken()
    return signed


# Query parameters that carry authentication; each may appear once.
_V4_QUERY_AUTH = ('X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature',
                  'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Expires',
                  'X-Amz-Security-Token')
_V2_QUERY_AUTH = ('AWSAccessKeyId', 'Signature', 'Expires')


def _refuse_repeated_auth_params(req: S3Request) -> None:
    """A repeated authentication query parameter is refused: S3Request.query
    keeps the first, the canonical query string signs all of them, and other
    filters may read another one."""
    seen = set()
    for name, _value in req.params:
        if name in _V4_QUERY_AUTH or name in _V2_QUERY_AUTH:
            if name in seen:
                if name in _V4_QUERY_AUTH:
                    raise errors.AuthorizationQueryParametersError(
                        'Query-string authentication parameters must not be '
                        'repeated: %s' % name)
                raise errors.InvalidArgument(
                    'Query-string authentication parameters must not be '
                    'repeated', ArgumentName=name, ArgumentValue=name)
            seen.add(name)


def _signing_headers(req: S3Request, names: Optional[List[str]] = None
                     ) -> Dict[str, str]:
    """Header values as the client signed them (all, or those of ``names``
    the request has).  Signatures cover the bytes sent, and SDKs send (and
    sign) non-ASCII values as UTF-8, which WSGI hands over as latin-1 text;
    values that are no UTF-8 are kept as they are."""
    headers = req.headers()
    out = {}
    for name in headers if names is None else names:
        value = headers.get(name)
        if value is None:
            continue
        if value.isascii():
            out[name] = value
            continue
        try:
            out[name] = value.encode('latin-1').decode('utf-8')
        except (UnicodeEncodeError, UnicodeDecodeError):
            out[name] = value
    return out


# -- SigV2 -------------------------------------------------------------------
def _v2_resources(req: S3Request) -> List[str]:
    """Canonical resources to try: as sent, and as re-encoded by us."""
    prefix = '/' + req.vhost_bucket if req.vhost_bucket else ''
    decoded = req.path_info.encode('latin-1')
    forms = []
    for form in (prefix + req.raw_path, prefix + quote(decoded, safe='/~')):
        # A bucket's canonical resource is "/bucket/": botocore signs that
        # for "/bucket"; s3cmd sends the slash.
        slashed = form + '/' if req.key is None and req.bucket and \
            not form.endswith('/') else form
        for variant in (form, slashed):
            if variant not in forms:
                forms.append(variant)
    resources = []
    for form in forms:
        for signed in (sigv2.COMMON_SUBRESOURCES,
                       sigv2.EXTENDED_SUBRESOURCES):
            resource = sigv2.canonical_resource(form, req.params, signed)
            if resource not in resources:
                resources.append(resource)
    return resources


def _v2_candidates(req: S3Request, dates: List[str]) -> List[str]:
    headers = _signing_headers(req)
    amz = sigv2.amz_headers(headers)
    return [sigv2.string_to_sign(req.method, headers.get('content-md5', ''),
                                 headers.get('content-type', ''), date, amz,
                                 resource)
            for date in dates for resource in _v2_resources(req)]


def _header_v2(req: S3Request, authz: str, now: float) -> SignedRequest:
    access_key, sep, signature = authz[4:].strip().rpartition(':')
    if not sep or not access_key or not signature:
        raise errors.InvalidArgument('AWS authorization header is invalid.  '
                                     'Expected AwsAccessKeyId:signature',
                                     ArgumentName='Authorization',
                                     ArgumentValue=authz[:40])
    ts, _raw = _request_time(req)
    _check_skew(ts, now, req.conf.allowable_clock_skew)
    # With x-amz-date present the Date line is empty (x-amz-date is signed
    # among the x-amz-* headers), though clients sending both sign Date.
    dates = [req.header('date', '')]
    if req.header('x-amz-date') is not None and dates[0]:
        dates.append('')
    elif req.header('x-amz-date') is not None:
        dates = ['']
    return SignedRequest(2, access_key, signature, _v2_candidates(req, dates))


def _query_v2(req: S3Request, now: float) -> SignedRequest:
    q = req.query
    if not all(q.get(k) for k in ('AWSAccessKeyId', 'Signature', 'Expires')):
        raise errors.AccessDenied(
            'Query-string authentication requires the Signature, Expires and '
            'AWSAccessKeyId parameters')
    if not _INTEGER.fullmatch(q['Expires']):
        raise errors.AccessDenied(
            'Invalid date (should be seconds since epoch): %s' % q['Expires'])
    expires = int(q['Expires'])
    if expires < now:
        raise errors.AccessDenied('Request has expired', Expires=_iso_ms(
            expires), ServerTime=_iso_ms(now))
    # A '+' in an unencoded signature arrives as a space.
    signature = q['Signature'].replace(' ', '+')
    return SignedRequest(2, q['AWSAccessKeyId'], signature,
                         _v2_candidates(req, [q['Expires']]), presigned=True)


def _iso_ms(ts: float) -> str:
    ts = min(max(ts, 0), 253402300799)
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(ts))


# -- SigV4 -------------------------------------------------------------------
def _check_scope(req: S3Request, credential: str, amz_date: str,
                 presigned: bool) -> Tuple[str, Tuple[str, ...]]:
    err = errors.AuthorizationQueryParametersError if presigned else \
        errors.AuthorizationHeaderMalformed
    what = 'X-Amz-Credential parameter' if presigned else \
        'authorization header'
    parts = credential.rsplit('/', 4)
    if len(parts) != 5 or not parts[0]:
        raise err('The %s is malformed; the Credential is mal-formed; '
                  'expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/'
                  'aws4_request".' % what)
    access_key, date, region, service, terminal = parts
    location = req.conf.location
    if region != location and region.lower() not in (
            a.lower() for a in (location,) + req.conf.location_aliases):
        raise err("The %s is malformed; the region '%s' is wrong; "
                  "expecting '%s'" % (what, region, location),
                  Region=location,
                  # a HEAD answer has no body: SDKs find the region here
                  headers={'x-amz-bucket-region': location})
    if service != 's3':
        raise err("The %s is malformed; incorrect service '%s'. This "
                  "endpoint belongs to 's3'." % (what, service))
    if terminal != 'aws4_request':
        raise err("The %s is malformed; incorrect terminal '%s'. This "
                  "endpoint uses 'aws4_request'." % (what, terminal))
    if date != amz_date[:8]:
        raise err('The %s is malformed; Invalid credential date. Date is '
                  'not the same as X-Amz-Date.' % what)
    return access_key, (date, region, service, terminal)


def _check_signed_headers(req: S3Request, signed: List[str],
                          presigned: bool) -> None:
    if 'host' not in signed:
        raise errors.AccessDenied(
            'There were headers present in the request which were not '
            'signed', HeadersNotSigned='host')
    present = req.headers()
    unsigned = sorted(h for h in present if h.startswith('x-amz-')
                      and h not in signed
                      and not (presigned and h == 'x-amz-content-sha256'))
    if unsigned:
        raise errors.AccessDenied(
            'There were headers present in the request which were not '
            'signed', HeadersNotSigned=', '.join(unsigned))


def _payload_hash(req: S3Request, presigned: bool) -> str:
    value = req.header('x-amz-content-sha256')
    if value is None:
        if presigned:
            return sigv4.UNSIGNED_PAYLOAD
        raise errors.InvalidRequest(
            'Missing required header for this request: x-amz-content-sha256')
    if value == sigv4.UNSIGNED_PAYLOAD or value in STREAMING_PAYLOADS or \
            _HEX64.match(value):
        return value
    raise errors.InvalidArgument(
        'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, '
        'STREAMING-UNSIGNED-PAYLOAD-TRAILER, '
        'STREAMING-AWS4-HMAC-SHA256-PAYLOAD, '
        'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.',
        ArgumentName='x-amz-content-sha256', ArgumentValue=value[:80])


def _v4_string_to_sign(req: S3Request, signed: List[str], amz_date: str,
                       scope: Tuple[str, ...], payload: str,
                       drop_param: Optional[str]) -> str:
    headers = _signing_headers(req, signed)
    params = [(k, v) for k, v in req.params if k != drop_param]
    canonical = sigv4.canonical_request(
        req.method, sigv4.canonical_uri(req.path_info.encode('latin-1')),
        sigv4.canonical_query(params), headers, signed, payload)
    return sigv4.string_to_sign(amz_date, '/'.join(scope), canonical)


def _parse_v4_header(authz: str) -> Dict[str, str]:
    fields: Dict[str, str] = {}
    for part in authz[len(sigv4.ALGORITHM):].split(','):
        name, sep, value = part.strip().partition('=')
        if not sep:
            continue
        if name in fields:
            # Two Signature= (or Credential=, SignedHeaders=): which one a
            # verifier and a logger or another filter read must never differ.
            raise errors.AuthorizationHeaderMalformed(
                'The authorization header is malformed; the %s component '
                'appears more than once.' % name[:40])
        fields[name] = value.strip()
    if not all(fields.get(k) for k in ('Credential', 'SignedHeaders',
                                       'Signature')):
        raise errors.AuthorizationHeaderMalformed(
            'The authorization header is malformed; the authorization '
            'header requires three components: Credential, SignedHeaders, '
            'and Signature.')
    return fields


def _header_v4(req: S3Request, authz: str, now: float) -> SignedRequest:
    fields = _parse_v4_header(authz)
    amz = req.header('x-amz-date')
    if amz is not None:
        ts = _parse_iso(amz) if _ISO_DATE.fullmatch(amz) else None
        if ts is None:
            raise errors.AccessDenied(_NO_DATE)
        amz_date = amz
    else:
        ts, _raw = _request_time(req)
        amz_date = _iso(ts)
    _check_skew(ts, now, req.conf.allowable_clock_skew)
    access_key, scope = _check_scope(req, fields['Credential'], amz_date,
                                     presigned=False)
    signed = fields['SignedHeaders'].lower().split(';')
    _check_signed_headers(req, signed, presigned=False)
    payload = _payload_hash(req, presigned=False)
    sts = _v4_string_to_sign(req, signed, amz_date, scope, payload, None)
    return SignedRequest(4, access_key, fields['Signature'], [sts],
                         scope=scope, amz_date=amz_date, payload_hash=payload)


def _query_v4(req: S3Request, now: float) -> SignedRequest:
    q = req.query
    required = ('X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature',
                'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Expires')
    if not all(q.get(k) for k in required):
        raise errors.AuthorizationQueryParametersError(
            'Query-string authentication version 4 requires the '
            'X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, '
            'X-Amz-SignedHeaders, and X-Amz-Expires parameters.')
    if q['X-Amz-Algorithm'] != sigv4.ALGORITHM:
        raise errors.AuthorizationQueryParametersError(
            'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"')
    amz_date = q['X-Amz-Date']
    ts = _parse_http_date(amz_date) if _ISO_DATE.fullmatch(amz_date) else None
    if ts is None:
        raise errors.AuthorizationQueryParametersError(
            "X-Amz-Date must be in the ISO8601 Long Format "
            "\"yyyyMMdd'T'HHmmss'Z'\"")
    if not _INTEGER.fullmatch(q['X-Amz-Expires']):
        raise errors.AuthorizationQueryParametersError(
            'X-Amz-Expires should be a number')
    expires = int(q['X-Amz-Expires'])
    if expires < 0:
        raise errors.AuthorizationQueryParametersError(
            'X-Amz-Expires must be non-negative')
    if expires > MAX_PRESIGNED_EXPIRES:
        raise errors.AuthorizationQueryParametersError(
            'X-Amz-Expires must be less than a week (in seconds); that is, '
            'the given X-Amz-Expires must be less than 604800 seconds')
    if ts - now > req.conf.allowable_clock_skew:
        raise errors.AccessDenied('Request is not valid yet')
    if now > ts + expires:
        raise errors.AccessDenied('Request has expired',
                                  **{'X-Amz-Expires': expires,
                                     'Expires': _iso_ms(ts + expires),
                                     'ServerTime': _iso_ms(now)})
    access_key, scope = _check_scope(req, q['X-Amz-Credential'], amz_date,
                                     presigned=True)
    signed = q['X-Amz-SignedHeaders'].lower().split(';')
    _check_signed_headers(req, signed, presigned=True)
    payload = _payload_hash(req, presigned=True)
    if payload in STREAMING_PAYLOADS:
        raise errors.NotImplemented(
            'Streaming uploads with a presigned URL are not implemented')
    sts = _v4_string_to_sign(req, signed, amz_date, scope, payload,
                             'X-Amz-Signature')
    return SignedRequest(4, access_key, q['X-Amz-Signature'], [sts],
                         scope=scope, amz_date=amz_date, payload_hash=payload,
                         presigned=True)


# -- body checks ---------------------------------------------------------------
def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
