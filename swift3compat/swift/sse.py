"""Server-side encryption, the S3 side: what writes ask for, what reads must
present, the response headers (Put/Get/DeleteBucketEncryption are in
``api/encryption.py``).

The object handlers call in here; the keys themselves are the business of
the ``sse`` filter (``swift3compat.swift.crypto``) before Swift's
``encryption`` filter.  A write says what it wants with object sysmeta
(``crypto.write_headers``); SSE-C keys go to the request's key ring.
doc/encryption.md tells the whole story.

With ``server_side_encryption = false`` (the default) a write asking for
encryption is answered 501 as before, and nothing else happens: reads look at
two response headers, nothing more.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from typing import Dict, Optional

from swift.common.utils import close_if_possible

from swift3compat import errors
from swift3compat.http.request import S3Request
from swift3compat.model import encryption as enc
from swift3compat.swift import bucket_config as storage
from swift3compat.swift import crypto, sysmeta
from swift3compat.swift.backend import Backend

CONFIG = sysmeta.BUCKET_ENCRYPTION     # bucket configuration name
_CONFIG_COUNT = sysmeta.CONTAINER_INFO_PREFIX + CONFIG
SSE_ETAG = crypto.SSE_ETAG
LISTING_ETAG = sysmeta.CONTAINER_UPDATE_OVERRIDE_ETAG
_ANY_SSE = (enc.SSE, enc.CUSTOMER_ALGORITHM, enc.CUSTOMER + 'key',
            enc.CUSTOMER_KEY_MD5, enc.KMS_KEY_ID, enc.CONTEXT, enc.BUCKET_KEY)
_ANY_SSE_ENV = tuple('HTTP_' + name.upper().replace('-', '_')
                     for name in _ANY_SSE)


def _asks(env) -> bool:
    """Whether the request carries any SSE header (dict lookups only: the
    unencrypted hot path parses nothing)."""
    for name in _ANY_SSE_ENV:
        if name in env:
            return True
    return False


_PLAIN = enc.Stored()
_FORM = 'swift3compat.form'     # api/post_object.py ENV_KEY (a POST upload)


def enabled(req: S3Request) -> bool:
    return req.conf.server_side_encryption


def _secure(req: S3Request) -> bool:
    env = req.environ
    return env.get('wsgi.url_scheme') == 'https' or \
        env.get('HTTP_X_FORWARDED_PROTO', '').lower() == 'https'


def _sigv4(req: S3Request) -> bool:
    """AWS wants SigV4 for SSE-KMS on signed requests; browser POST forms
    (their policy signed either way) are not held to it."""
    if _FORM in req.environ:
        return True
    signed = getattr(req, 'auth', None)
    return signed is None or getattr(signed, 'version', 4) == 4


def not_enabled() -> errors.S3Error:
    return errors.NotImplemented(
        'Server-side encryption is not enabled on this endpoint')


# -- writes -------------------------------------------------------------------
@dataclass
class Write:
    """What one object write stores, sends to Swift and answers."""

    stored: enc.Stored = field(default_factory=enc.Stored)
    headers: Dict[str, str] = field(default_factory=dict)
    etag: Optional[str] = None      # the opaque S3 ETag of SSE-C/SSE-KMS
    customer: Optional[enc.CustomerKey] = None
    asked: bool = False             # by the request itself (not a default)

    def check(self, resp, backend: Backend, bucket: str, key: str) -> None:
        """Raise the S3 error of a failed write (status >= 300) that was
        sent with ``ok=REFUSABLE``."""
        if resp.status_int < 300:
            return
        close_if_possible(resp.app_iter)
        raise refused_write(resp) or backend.error_for(resp.status_int,
                                                       bucket, key)

    @property
    def ok(self):
        """The statuses a write must inspect itself (the sse filter's
        refusals); none when nothing is encrypted (the hot path)."""
        return REFUSABLE if self.headers else ()

    def response_headers(self, swift_headers=None) -> Dict[str, str]:
        stored = self.stored
        resolved = swift_headers.get(crypto.RESOLVED_KMS_KEY_ID) \
            if swift_headers is not None else None
        if resolved:
            stored = replace(stored, kms_key_id=resolved)
        out = enc.response_headers(stored, self.customer)
        if self.etag:
            out['ETag'] = '"%s"' % self.etag
        return out


NOTHING = Write()
REFUSABLE = (400, 403, 503)


def requested(req: S3Request) -> Optional[enc.Encryption]:
    """The encryption a write's own headers ask for."""
    if not _asks(req.environ):
        return None
    if not enabled(req):
        raise not_enabled()
    return enc.parse_write(req.header, secure=_secure(req),
                           sigv4=_sigv4(req),
                           allow_insecure=req.conf.sse_customer_allow_http)


def bucket_default(req: S3Request, backend: Backend, bucket: str
                   ) -> Optional[enc.ServerSide]:
    """The bucket's default encryption, from the container info the
    request already loaded (no extra request)."""
    if not enabled(req):
        return None
    info_sysmeta = backend.container_info(bucket).get('sysmeta') or {}
    if not info_sysmeta.get(_CONFIG_COUNT):
        return None
    return enc.load_bucket_encryption(storage.load(info_sysmeta, CONFIG))


def for_write(req: S3Request, backend: Backend, bucket: str, *,
              copy: bool = False, multipart: bool = False) -> Write:
    """The encryption of a new object (PutObject, CopyObject, POST upload,
    CreateMultipartUpload): the request's choice, else the bucket default.
    ``copy``: clear whatever the source had; ``multipart``: no opaque ETag
    (a multipart object has its own)."""
    asked = requested(req)
    if not enabled(req):
        return NOTHING          # nothing to do (asking for SSE raised 501)
    chosen = enc.for_write(asked, bucket_default(req, backend, bucket))
    write = write_of(req, chosen, copy=copy, multipart=multipart)
    write.asked = asked is not None
    return write


def write_of(req: S3Request, chosen: Optional[enc.Encryption], *,
             copy: bool = False, multipart: bool = False) -> Write:
    if chosen is None:
        if not copy:
            return Write()
        headers = crypto.write_headers(enc.Stored())
        headers[crypto.SSE_ETAG] = ''
        return Write(headers=headers)
    stored = enc.stored_of(chosen)
    customer = chosen if isinstance(chosen, enc.CustomerKey) else None
    if customer is not None:
        crypto.key_ring(req.environ).add(customer)
    headers = crypto.write_headers(stored)
    etag = None
    if not multipart and (stored.customer_mac or
                          stored.algorithm != enc.AES256):
        # AWS: SSE-C and SSE-KMS ETags are not the plaintext's MD5
        etag = uuid.uuid4().hex
        headers[crypto.SSE_ETAG] = etag
        headers[sysmeta.CONTAINER_UPDATE_OVERRIDE_ETAG] = etag
    elif copy:
        headers[crypto.SSE_ETAG] = ''
    return Write(stored, headers, etag, customer)


def stored_write(req: S3Request, headers, presented: Optional[
        enc.CustomerKey], what: str = 'upload') -> Write:
    """Parts and completion of a multipart upload: the upload's own
    encryption (its marker's ``headers``), checked against the SSE-C key the
    request presents."""
    stored = crypto.stored_from(headers)
    if stored.customer_mac:
        if presented is None or not presented.matches(stored.customer_mac):
            raise errors.InvalidRequest(
                'The multipart upload initiate requested encryption. '
                'Subsequent part requests must include the appropriate '
                'encryption parameters.' if presented is None else
                'The provided encryption parameters did not match the ones '
                'used originally.')
    elif presented is not None:
        raise errors.InvalidRequest(
            'The multipart upload initiate did not request encryption with '
            'customer provided keys.')
    return Write(stored, crypto.write_headers(stored) if stored.encrypted
                 else {}, None, presented)


def refused_write(resp) -> Optional[errors.S3Error]:
    """The S3 error for a write the ``sse`` filter refused."""
    reason = resp.headers.get(crypto.REFUSED)
    if reason == 'unknown-kms-key':
        return errors.KMSNotFound()
    if reason in ('missing-key', 'wrong-key'):
        return errors.InvalidRequest(
            'The provided encryption parameters did not match the ones '
            'used originally.')
    if reason == 'unavailable':
        return errors.ServiceUnavailable()
    return None


# -- reads --------------------------------------------------------------------
def read_key(req: S3Request, strict: bool = True
             ) -> Optional[enc.CustomerKey]:
    """The SSE-C key a read (GET, HEAD) or a multipart step (UploadPart,
    Complete: ``strict=False``, where clients repeat the upload's
    x-amz-server-side-encryption headers) presents; it joins the request's
    key ring."""
    if not enabled(req) or not _asks(req.environ):
        return None
    if strict:
        key = enc.parse_read(req.header, secure=_secure(req),
                             allow_insecure=req.conf.sse_customer_allow_http)
    else:
        key = enc.parse_customer_key(req.header)
        enc.require_secure(key, _secure(req), req.conf.sse_customer_allow_http)
    if key is not None:
        crypto.key_ring(req.environ).add(key)
    return key


def copy_source_key(req: S3Request) -> Optional[enc.CustomerKey]:
    if not enabled(req):
        return None
    key = enc.parse_copy_source(
        req.header, secure=_secure(req),
        allow_insecure=req.conf.sse_customer_allow_http)
    if key is not None:
        crypto.key_ring(req.environ).add(key)
    return key


def check_read(headers, presented: Optional[enc.CustomerKey],
               copy_source: bool = False) -> enc.Stored:
    """What the object (its Swift response ``headers``) was encrypted with;
    raises AWS's error when ``presented`` does not open it."""
    stored = crypto.stored_from(headers)
    if stored.encrypted or presented is not None:
        enc.check_read(stored, presented, copy_source)
    return stored


def read_ok(req: S3Request) -> tuple:
    """Statuses a GET must inspect itself: the sse filter's refusals."""
    return REFUSABLE if enabled(req) else ()


def etag_is_at(req: S3Request, multipart_etag: str) -> str:
    """X-Backend-Etag-Is-At of a GET/HEAD: conditions compare the S3 ETag
    (a multipart object's, an SSE-C/KMS object's)."""
    if not enabled(req):
        return multipart_etag
    return '%s, %s' % (multipart_etag, crypto.SSE_ETAG)


def checked_read(req: S3Request, resp, presented: Optional[enc.CustomerKey],
                 backend: Backend, bucket: str, key: str) -> enc.Stored:
    """After a GET/HEAD sent with ``ok=read_ok(req)``: the object's
    encryption, or the S3 error (its body closed unread)."""
    if not enabled(req):
        return _PLAIN
    try:
        if resp.status_int in REFUSABLE:
            if not resp.headers.get(crypto.REFUSED):
                raise backend.error_for(resp.status_int, bucket, key)
            check_read(resp.headers, presented)
            raise errors.AccessDenied()     # refused, yet the key matches
        return check_read(resp.headers, presented)
    except errors.S3Error:
        close_if_possible(resp.app_iter)
        raise


def object_headers(stored: enc.Stored, presented: Optional[enc.CustomerKey],
                   swift_headers) -> Dict[str, str]:
    """The SSE response headers of GET/HEAD (and the opaque ETag)."""
    if not stored.encrypted:
        return {}
    out = enc.response_headers(stored, presented)
    etag = swift_headers.get(crypto.SSE_ETAG)
    if etag:
        out['ETag'] = '"%s"' % etag
    return out
