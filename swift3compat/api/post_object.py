"""Browser POST object: HTML form uploads (``POST /<bucket>`` with a
``multipart/form-data`` body), authorized by a signed policy document.

Nothing to enable: the ``swift3`` filter routes a POST on a bucket without
a sub-resource here.  The middleware calls ``read_form`` *before*
authentication, because the credentials are form fields:

* SigV4: ``x-amz-algorithm``, ``x-amz-credential``, ``x-amz-date``,
  ``x-amz-signature`` = hex HMAC-SHA256 of the base64 ``policy`` with the
  derived signing key;
* SigV2: ``AWSAccessKeyId``, ``signature`` = base64 HMAC-SHA1 of the base64
  ``policy`` with the secret;
* no credentials: an anonymous upload, which the bucket's ACL or policy
  must allow (``s3_acl = true``).

The signature check itself is the auth filter's (tempauth, s3token), through
the usual ``SignedRequest.check_signature``.  The policy document's
``expiration`` and ``conditions`` (exact match ``{"field": "value"}`` or
``["eq", "$field", "value"]``, ``["starts-with", "$field", "prefix"]``,
``["content-length-range", min, max]``) are checked here; every form field
except the credentials, ``file``, ``policy`` and ``x-ignore-*`` must be
covered by a condition.

Only the fields before the ``file`` part are read into memory (at most
``MAX_PRE_DATA`` bytes); the file part is streamed to Swift as the object
body, its size checked against ``content-length-range`` on the way (too
large or too small: nothing is stored).  The upload itself is a PutObject
(``handlers.obj``): metadata (``x-amz-meta-*``), ``Content-Type``,
``Cache-Control``, ``Content-Disposition``, ``Content-Encoding``,
``Expires``, ``acl`` and ``x-amz-storage-class`` fields become the
corresponding headers, and ``tagging`` (a ``<Tagging>`` document) the
object's tags, as PutObject's ``x-amz-tagging``.  The answer follows
``success_action_redirect`` (303 to that URL with ``bucket``, ``key`` and
``etag``) or ``success_action_status`` (200, 201 with a ``PostResponse``
document, or the default 204).
"""
from __future__ import annotations

import base64
import binascii
import calendar
import copy
import json
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import quote, urlencode, urlsplit

from swift.common.exceptions import ChunkReadError, MimeInvalid
from swift.common.utils import (mime_to_document_iters,
                                parse_content_disposition,
                                parse_content_type)

from swift3compat import errors
from swift3compat.auth import sigv4
from swift3compat.auth.signature import SignedRequest
from swift3compat.http import xml
from swift3compat.http.request import MAX_KEY_BYTES, S3Request
from swift3compat.http.response import S3Response
from swift3compat.http.body import BodyError
from swift3compat.model import tags
from swift3compat.swift.backend import Backend

MAX_PRE_DATA = 64 * 1024
# What reading the fields may take from the client at most: the MIME parser
# reads ahead (a line read takes a chunk), a few KiB per field.
MAX_PRE_READ = 1024 * 1024
MAX_OBJECT_SIZE = 5 * 1024 ** 3
READ_CHUNK = 65536
_MIME_CHUNK = 1024
ENV_KEY = 'swift3compat.form'
# Fields no policy condition needs to cover.
_EXEMPT = frozenset(['awsaccesskeyid', 'signature', 'file', 'policy',
                     'x-amz-signature'])
# Form fields that become request headers of the PutObject.
_HEADER_FIELDS = ('cache-control', 'content-disposition', 'content-encoding',
                  'expires', 'x-amz-storage-class',
                  'x-amz-server-side-encryption', 'x-amz-website-redirect-'
                  'location', 'x-amz-object-lock-mode',
                  'x-amz-object-lock-retain-until-date',
                  'x-amz-object-lock-legal-hold',
                  # server-side encryption (swift/sse.py)
                  'x-amz-server-side-encryption-aws-kms-key-id',
                  'x-amz-server-side-encryption-context',
                  'x-amz-server-side-encryption-bucket-key-enabled',
                  'x-amz-server-side-encryption-customer-algorithm',
                  'x-amz-server-side-encryption-customer-key',
                  'x-amz-server-side-encryption-customer-key-md5')
_EXPIRATION = re.compile(
    r'(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?Z')


def _policy_failed(what: str) -> errors.S3Error:
    return errors.AccessDenied('Invalid according to Policy: %s' % what)


# -- reading the form ---------------------------------------------------------
class _PreDataLimit:
    """``wsgi.input`` with a byte budget for everything before the file."""

    def __init__(self, wsgi_input, limit: int) -> None:
        self._input = wsgi_input
        self._left: Optional[int] = limit

    def _count(self, data: bytes) -> bytes:
        if self._left is not None:
            self._left -= len(data)
            if self._left < 0:
                raise errors.MaxPostPreDataLengthExceeded()
        return data

    def read(self, size: int = -1) -> bytes:
        return self._count(self._input.read(size))

    def readline(self, size: int = -1) -> bytes:
        return self._count(self._input.readline(size))

    def release(self) -> None:
        """The file part starts: no budget from now on."""
        self._left = None


@dataclass
class Form:
    """The fields before the file (lower-case names) and the file part."""

    fields: Dict[str, str]
    file: Any
    filename: str
    policy: Optional[Dict[str, Any]] = None
    key: Optional[str] = None
    size_range: Tuple[int, int] = (0, MAX_OBJECT_SIZE)
    size: Optional[int] = None      # of the stored file (the access log's)


def is_form_upload(req: S3Request) -> bool:
    return req.method == 'POST' and req.level == 'bucket'


def read_form(req: S3Request) -> Form:
    """Read the form up to its file part; the file is left to stream."""
    ctype, params = parse_content_type(req.header('content-type') or '')
    boundary = dict(params).get('boundary', '').strip('"')
    if ctype.lower() != 'multipart/form-data' or not boundary:
        raise errors.PreconditionFailed(
            'At least one of the pre-conditions you specified did not hold',
            Condition='Bucket POST must be of the enclosure-type '
                      'multipart/form-data')
    # The budget bounds memory; the fields themselves are held to
    # MAX_PRE_DATA.
    limited = _PreDataLimit(req.environ['wsgi.input'], MAX_PRE_READ)
    fields: Dict[str, str] = {}
    size = 0
    try:
        for headers, part in mime_to_document_iters(limited, boundary,
                                                    _MIME_CHUNK):
            _disp, attrs = parse_content_disposition(
                headers.get('Content-Disposition', ''))
            name = attrs.get('name', '').lower()
            if name == 'file':
                limited.release()
                return Form(fields, part, attrs.get('filename', ''))
            value = _read_value(part)
            size += len(name) + len(value)
            if size > MAX_PRE_DATA:
                raise errors.MaxPostPreDataLengthExceeded()
            if name and name not in fields:
                fields[name] = value
    except (MimeInvalid, ChunkReadError, UnicodeDecodeError):
        raise errors.MalformedPOSTRequest() from None
    raise errors.IncorrectNumberOfFilesInPostRequest()


def _read_value(part) -> str:
    chunks: List[bytes] = []
    while True:
        chunk = part.read(4 * _MIME_CHUNK)
        if not chunk:
            return b''.join(chunks).decode('utf-8')
        chunks.append(chunk)


# -- credentials and the policy document ----------------------------------------
def _parse_expiration(value: Any) -> float:
    match = _EXPIRATION.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise errors.InvalidPolicyDocument('Invalid Policy: Invalid \'expiration\' '
                                           'value: %r' % (value,))
    try:
        return float(calendar.timegm(time.strptime(
            '-'.join(match.groups()), '%Y-%m-%d-%H-%M-%S')))
    except ValueError:
        raise errors.InvalidPolicyDocument('Invalid Policy: Invalid \'expiration\' '
                                           'value: %r' % (value,)) from None


def decode_policy(encoded: str) -> Dict[str, Any]:
    try:
        doc = json.loads(base64.b64decode(encoded.encode('ascii'),
                                          validate=True))
    except (binascii.Error, ValueError, UnicodeError):
        raise errors.InvalidPolicyDocument('Invalid Policy: Invalid JSON.') from None
    if not isinstance(doc, dict) or 'expiration' not in doc or \
            not isinstance(doc.get('conditions'), list):
        raise errors.InvalidPolicyDocument('Invalid Policy: Policy missing '
                                           'expiration or conditions.')
    return doc


def _scope(req: S3Request, fields: Dict[str, str]
           ) -> Tuple[str, Tuple[str, ...], str]:
    algorithm = fields.get('x-amz-algorithm')
    if algorithm != sigv4.ALGORITHM:
        raise errors.InvalidArgument('Only AWS4-HMAC-SHA256 is supported',
                                     ArgumentName='x-amz-algorithm',
                                     ArgumentValue=algorithm)
    amz_date = fields.get('x-amz-date', '')
    if not re.fullmatch(r'[0-9]{8}T[0-9]{6}Z', amz_date):
        raise errors.InvalidArgument('Invalid x-amz-date',
                                     ArgumentName='x-amz-date',
                                     ArgumentValue=amz_date or None)
    credential = fields.get('x-amz-credential', '')
    parts = credential.rsplit('/', 4)
    regions = {r.lower() for r in
               (req.conf.location,) + req.conf.location_aliases}
    if len(parts) != 5 or not parts[0] or parts[1] != amz_date[:8] or \
            parts[2].lower() not in regions or parts[3] != 's3' or \
            parts[4] != 'aws4_request':
        raise errors.InvalidArgument('Invalid credential',
                                     ArgumentName='x-amz-credential',
                                     ArgumentValue=credential or None)
    return parts[0], tuple(parts[1:]), amz_date


def signed_request(req: S3Request, form: Form) -> Optional[SignedRequest]:
    """The form's signature over its policy, or None (anonymous)."""
    fields = form.fields
    encoded = fields.get('policy')
    if 'x-amz-signature' in fields:
        if encoded is None:
            raise errors.InvalidArgument(
                'Bucket POST must contain a field named \'policy\'.',
                ArgumentName='policy')
        access_key, scope, amz_date = _scope(req, fields)
        return SignedRequest(4, access_key, fields['x-amz-signature'],
                             [encoded], scope=scope, amz_date=amz_date)
    if 'signature' in fields or 'awsaccesskeyid' in fields:
        if encoded is None or not fields.get('awsaccesskeyid') or \
                not fields.get('signature'):
            raise errors.InvalidArgument(
                'Bucket POST must contain the fields AWSAccessKeyId, '
                'signature and policy.', ArgumentName='AWSAccessKeyId')
        return SignedRequest(2, fields['awsaccesskeyid'],
                             fields['signature'], [encoded])
    return None


def _field_name(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith('$'):
        raise errors.InvalidPolicyDocument('Invalid Policy: Invalid Condition: '
                                           '%r' % (value,))
    return value[1:].lower()


def _limits(condition: List[Any]) -> Tuple[int, int]:
    try:
        low, high = int(condition[1]), int(condition[2])
    except (TypeError, ValueError, IndexError):
        raise errors.InvalidPolicyDocument('Invalid Policy: Invalid '
                                           'content-length-range') from None
    return low, high


def check_policy(req: S3Request, form: Form, doc: Dict[str, Any],
                 now: float) -> Tuple[int, int]:
    """Check the form against the policy; returns the allowed file size
    range.  AccessDenied / InvalidPolicyDocument when it does not hold."""
    if _parse_expiration(doc['expiration']) < now:
        raise _policy_failed('Policy expired.')
    values = dict(form.fields, bucket=req.bucket, key=form.key)
    covered = set()
    size_range = (0, MAX_OBJECT_SIZE)
    for condition in doc['conditions']:
        if isinstance(condition, dict) and len(condition) == 1:
            ((name, expected),) = condition.items()
            condition = ['eq', '$' + name, expected]
        if not isinstance(condition, list) or not condition:
            raise errors.InvalidPolicyDocument('Invalid Policy: Invalid Simple-'
                                               'Condition: %r' % (condition,))
        operator = str(condition[0]).lower()
        if operator == 'content-length-range':
            size_range = _limits(condition)
            continue
        if operator not in ('eq', 'starts-with') or len(condition) != 3 or \
                not isinstance(condition[2], str):
            raise errors.InvalidPolicyDocument('Invalid Policy: Invalid Condition: '
                                               '%s' % json.dumps(condition))
        name = _field_name(condition[1])
        covered.add(name)
        value = values.get(name) or ''
        ok = value == condition[2] if operator == 'eq' else \
            value.startswith(condition[2])
        if not ok:
            raise _policy_failed('Policy Condition failed: %s'
                                 % json.dumps(condition))
    extra = sorted(n for n in form.fields if n not in covered and
                   n not in _EXEMPT and not n.startswith('x-ignore-'))
    if extra:
        raise _policy_failed('Extra input fields: %s' % ', '.join(extra))
    return size_range


def prepare(req: S3Request, now: Optional[float] = None
            ) -> Optional[SignedRequest]:
    """Read and check a form upload before authentication (the
    middleware's hook): returns its SignedRequest (None: anonymous) and
    leaves the form in the environment for ``post_object``."""
    form = read_form(req)
    key = form.fields.get('key')
    if key is None:
        raise errors.InvalidArgument(
            "Bucket POST must contain a field named 'key'.  If it is "
            'specified, please check the order of the fields.',
            ArgumentName='key')
    form.key = key.replace('${filename}', form.filename)
    if not form.key:
        raise errors.InvalidArgument('User key must have a length greater '
                                     'than 0.', ArgumentName='key')
    if len(form.key.encode('utf-8')) > MAX_KEY_BYTES:
        raise errors.KeyTooLongError(MaxSizeAllowed=MAX_KEY_BYTES)
    signed = signed_request(req, form)
    if 'policy' in form.fields:
        form.policy = decode_policy(form.fields['policy'])
        form.size_range = check_policy(
            req, form, form.policy, time.time() if now is None else now)
    req.environ[ENV_KEY] = form
    return signed


# -- the upload -------------------------------------------------------------------
class FileInput:
    """The file part as the object body: counts bytes and refuses a size
    outside the policy's range, so that Swift stores nothing."""

    def __init__(self, part, low: int, high: int) -> None:
        self._part = part
        self._low = low
        self._high = min(high, MAX_OBJECT_SIZE)
        self.size = 0
        self.error: Optional[BodyError] = None

    def read(self, size: int = -1) -> bytes:
        if self.error is not None:
            raise self.error
        chunk = self._part.read(size if size and size > 0 else READ_CHUNK)
        self.size += len(chunk)
        if self.size > self._high:
            self._fail(errors.EntityTooLarge(
                'Your proposed upload exceeds the maximum allowed size',
                ProposedSize=self.size, MaxSizeAllowed=self._high))
        if not chunk and self.size < self._low:
            self._fail(errors.EntityTooSmall(
                'Your proposed upload is smaller than the minimum allowed '
                'size', ProposedSize=self.size, MinSizeAllowed=self._low))
        return chunk

    def _fail(self, err: errors.S3Error) -> None:
        self.error = BodyError(err)
        raise self.error


def _put_request(req: S3Request, form: Form, body: FileInput) -> S3Request:
    """The PutObject the form stands for."""
    env = {k: v for k, v in req.environ.items()
           if not k.startswith('HTTP_') and
           k not in ('CONTENT_TYPE', 'CONTENT_LENGTH', 'QUERY_STRING')}
    env['swift3compat.form_upload'] = True
    env.update({'REQUEST_METHOD': 'PUT', 'wsgi.input': body,
                'HTTP_TRANSFER_ENCODING': 'chunked', 'QUERY_STRING': '',
                'CONTENT_TYPE': form.fields.get('content-type') or
                'binary/octet-stream'})
    for name in ('HTTP_HOST', 'HTTP_X_FORWARDED_PROTO'):
        if name in req.environ:
            env[name] = req.environ[name]
    for name, value in form.fields.items():
        if name.startswith('x-amz-meta-') or name in _HEADER_FIELDS:
            env['HTTP_' + name.upper().replace('-', '_')] = value
    if 'acl' in form.fields:
        env['HTTP_X_AMZ_ACL'] = form.fields['acl']
    if 'tagging' in form.fields:
        # a <Tagging> document (AWS's POST Object form); PutObject takes
        # the same tags as x-amz-tagging
        tag_set = tags.validate(
            tags.parse_xml(form.fields['tagging'].encode('utf-8')),
            tags.MAX_OBJECT_TAGS)
        env['HTTP_X_AMZ_TAGGING'] = urlencode(tag_set, quote_via=quote,
                                              safe='')
    put = copy.copy(req)
    put.environ = env
    put.method = 'PUT'
    put.key = form.key
    put.params, put.query = [], {}
    put._headers = None
    return put


def _object_url(req: S3Request, key: str) -> str:
    scheme = req.environ.get('wsgi.url_scheme', 'http')
    host = req.environ.get('HTTP_HOST', '')
    path = '/' + quote(key) if req.vhost_bucket else \
        '/%s/%s' % (req.bucket, quote(key))
    return '%s://%s%s' % (scheme, host, path)


def _redirect_target(url: str, req: S3Request, key: str, etag: str
                     ) -> Optional[str]:
    parts = urlsplit(url)
    if parts.scheme not in ('http', 'https') or not parts.netloc:
        return None
    query = urlencode({'bucket': req.bucket, 'key': key, 'etag': etag})
    return url + ('&' if parts.query else '?') + query


def post_object(req: S3Request, backend: Backend,
                put_object: Callable[[S3Request, Backend], S3Response]
                ) -> S3Response:
    """The form's file is stored by ``put_object`` (PutObject's handler,
    given by the route table: handlers do not import each other)."""
    form: Optional[Form] = req.environ.get(ENV_KEY)
    if form is None:        # not through the middleware's prepare()
        raise errors.MalformedPOSTRequest()
    body = FileInput(form.file, *form.size_range)
    resp = put_object(_put_request(req, form, body), backend)
    form.size = body.size
    etag = resp.headers.get('ETag', '')
    headers = {k: v for k, v in resp.headers.items()
               if k not in ('Content-Length',)}
    headers['Location'] = _object_url(req, form.key)
    redirect = form.fields.get('success_action_redirect') or \
        form.fields.get('redirect')
    target = _redirect_target(redirect, req, form.key, etag) \
        if redirect else None
    if target is not None:
        headers['Location'] = target
        return S3Response(303, headers)
    status = form.fields.get('success_action_status')
    if status == '200':
        return S3Response(200, headers)
    if status == '201':
        return S3Response(201, headers, xml.document('PostResponse', [
            xml.elem('Location', headers['Location']),
            xml.elem('Bucket', req.bucket),
            xml.elem('Key', form.key),
            xml.elem('ETag', etag)], ns=False),
            content_type='application/xml')
    return S3Response(204, headers)
