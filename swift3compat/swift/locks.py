"""Conditional writes (If-Match / If-None-Match on PutObject and
CompleteMultipartUpload): the check against the current object, and the lease
that serialises conditional writes of one key.

Swift has no atomic conditional PUT: two proxies may both find a key absent
(or at the expected ETag) and both write it. A conditional write therefore
holds a lease on ``(bucket, key)`` in memcache, shared by all proxies, from
before its condition is checked until its object is durable.

Guarantees (issue 13):

* **One writer at a time.** The lease is taken with memcache ``incr`` (atomic
  in memcached): only the caller that creates the counter holds it; another
  conditional write of the key meanwhile gets AWS's 409
  ConditionalRequestConflict.
* **Fail closed.** When the lease cannot be had for any memcache reason (no
  memcache configured, server down, frozen past Swift's io_timeout,
  error-limited by Swift after errors, e.g. for 60 s after a restart) the write
  is refused with 503 SlowDown (retryable), never done unserialised. Logged
  (warning) and counted in statsd: ``conditional_write.refused.<reason>``.
* **Lifetime follows the request.** The lease lives ``LEASE_TTL`` (10 s) and is
  renewed while the body streams (at most every ``RENEW_EVERY``); a proxy that
  dies frees the key within ``LEASE_TTL``, not minutes. Before the last byte of
  the body is handed to Swift the lease is checked once more: if it was lost
  (expired while the proxy stalled, or memcached restarted and forgot it), the
  write is aborted before Swift commits it and answered 503 SlowDown.
* Released (deleted, if still ours) when the response is done.

Limits: memcached restarting between that last check and Swift's commit (a few
milliseconds) can let a second writer in; so can a proxy frozen longer than
``LEASE_TTL`` after its last check. Unconditional writes never take the lease
and are not serialised against conditional ones, as on AWS.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from typing import Callable, Dict, Optional

from swift.common.memcached import MemcacheConnectionError
from swift.common.swob import HeaderKeyDict

from swift3compat import errors
from swift3compat.http.request import S3Request
from swift3compat.swift import sysmeta
from swift3compat.swift.backend import Backend
from swift3compat.swift.uploads import quoted

LOG = logging.getLogger(__name__)

LEASE_TTL = 10          # seconds a lease lives without renewal
RENEW_EVERY = 3         # seconds between renewals while the body streams
_TOKEN_LOW = 10 ** 12
_TOKEN_SPAN = 8 * 10 ** 12
_KEY_PREFIX = 'swift3compat/write/'


class LeaseLost(Exception):
    """The lease expired or was forgotten while the body streamed."""


def lease_key(bucket: str, key: str) -> str:
    return _KEY_PREFIX + hashlib.sha256(
        ('%s/%s' % (bucket, key)).encode('utf-8')).hexdigest()


def _ours(value: object, token: int) -> bool:
    """Whether the stored counter is still our lease: our token, possibly
    incremented by writers that were refused since (fewer than 10**6)."""
    try:
        number = int(value)         # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False
    return token <= number < token + 10 ** 6


class WriteLease:
    """One conditional write's lease on a key."""

    def __init__(self, cache, bucket: str, key: str, logger=None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.cache = cache
        self.key = lease_key(bucket, key)
        self.logger = logger or LOG
        self.clock = clock
        self.token = _TOKEN_LOW + secrets.randbelow(_TOKEN_SPAN)
        self.renewed_at = 0.0
        self.held = False
        self.lost = False

    def _refuse(self, reason: str) -> errors.S3Error:
        increment = getattr(self.logger, 'increment', None)
        if increment is not None:
            increment('conditional_write.refused.%s' % reason)
        self.logger.warning('conditional write refused (%s): the write lease '
                            'cannot be had, so it would not be serialised',
                            reason)
        return errors.SlowDown()

    def acquire(self) -> None:
        """Take the lease or raise ConditionalRequestConflict (someone holds
        it) or SlowDown (memcache cannot serialise)."""
        if self.cache is None:
            raise self._refuse('no_memcache')
        try:
            count = self.cache.incr(self.key, 1, time=LEASE_TTL)
        except MemcacheConnectionError:
            raise self._refuse('memcache_error') from None
        if count != 1:
            raise errors.ConditionalRequestConflict()
        # Mark it ours: a random token instead of 1, checked at renewal.
        if not self._set() or not _ours(self._get(), self.token):
            raise self._refuse('memcache_lost_lease')
        self.held = True
        self.renewed_at = self.clock()

    def _get(self) -> Optional[object]:
        try:
            return self.cache.get(self.key, raise_on_error=True)
        except MemcacheConnectionError:
            return None

    def _set(self) -> bool:
        try:
            self.cache.set(self.key, self.token, time=LEASE_TTL,
                           raise_on_error=True)
            return True
        except MemcacheConnectionError:
            return False

    def check(self, force: bool = False) -> None:
        """Renew the lease if due (or ``force``); LeaseLost if it is gone."""
        if not self.held or self.lost:
            if self.lost:
                raise LeaseLost()
            return
        now = self.clock()
        if not force and now - self.renewed_at < RENEW_EVERY:
            return
        if now - self.renewed_at >= LEASE_TTL or not _ours(self._get(), self.token):
            self.lost = True
            self._refuse('lease_lost')
            raise LeaseLost()
        if not self._set():
            self.lost = True
            self._refuse('lease_lost')
            raise LeaseLost()
        self.renewed_at = now

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        if _ours(self._get(), self.token):
            try:
                self.cache.delete(self.key)
            except MemcacheConnectionError:
                pass        # it expires within LEASE_TTL


class LeasedInput:
    """``wsgi.input`` of a conditional write: renews the lease while the body
    streams and checks it once more before the end of the body is handed on;
    a lost lease makes the read fail, so Swift does not commit the object."""

    def __init__(self, wsgi_input, lease: WriteLease,
                 content_length: Optional[int]) -> None:
        self.wsgi_input = wsgi_input
        self.lease = lease
        self.left = content_length

    def _read(self, method, *args) -> bytes:
        self.lease.check()
        data = method(*args)
        if self.left is not None:
            self.left -= len(data)
        if not data or (self.left is not None and self.left <= 0):
            self.lease.check(force=True)
        return data

    def read(self, *args) -> bytes:
        return self._read(self.wsgi_input.read, *args)

    def readline(self, *args) -> bytes:
        return self._read(self.wsgi_input.readline, *args)

    def __getattr__(self, name: str):
        return getattr(self.wsgi_input, name)


LEASE_ENV = 'swift3compat.write_lease'


def hold_write_lock(req: S3Request) -> WriteLease:
    """Serialise conditional writes of a key: the request's WriteLease
    (409 ConditionalRequestConflict while another holds it, 503 SlowDown
    when memcache cannot serialise).  Released when the write is done, at
    the latest when the response is (or LEASE_TTL after a crash)."""
    lease = req.environ.get(LEASE_ENV)
    if lease is not None:
        return lease
    lease = WriteLease(req.environ.get('swift.cache'), req.bucket, req.key,
                       logger=req.environ.get('swift3compat.logger'))
    lease.acquire()
    req.environ[LEASE_ENV] = lease
    hooks = req.environ.get('eventlet.posthooks')
    if hooks is not None:
        hooks.append((lambda env: lease.release(), (), {}))
    return lease


def write_lease(req: S3Request) -> Optional[WriteLease]:
    """The lease a conditional write of this request holds, if any."""
    return req.environ.get(LEASE_ENV)


def conditional_write(req: S3Request, backend: Backend
                 ) -> Optional[HeaderKeyDict]:
    """Check If-Match / If-None-Match of a write; the current object's
    headers (None when there is none)."""
    if_none = req.header('if-none-match')
    if if_none is not None and if_none.strip() != '*':
        raise errors.NotImplemented('If-None-Match only supports *',
                                    Header='If-None-Match')
    refused: Optional[errors.S3Error] = None
    if if_none is not None or req.header('if-match') is not None:
        try:
            hold_write_lock(req)
        except errors.SlowDown as err:
            # A write whose condition fails is refused (412) with or without
            # the lease; only one that would go ahead needs it.
            refused = err
    current = backend.request('HEAD', req.bucket, req.key,
                              query={'multipart-manifest': 'get'},
                              ok=(404,))
    exists = current.status_int != 404
    if_match = req.header('if-match')
    if if_match is not None:
        if not exists:
            raise errors.NoSuchKey(Key=req.key)
        etag = current.headers.get(sysmeta.ETAG) or current.headers.get(
            'Etag', '')
        if if_match.strip() != '*' and \
                quoted(etag) not in [quoted(e.strip())
                                     for e in if_match.split(',')]:
            raise errors.PreconditionFailed(Condition='If-Match')
    if if_none is not None and exists:
        raise errors.PreconditionFailed(Condition='If-None-Match')
    if refused is not None:
        raise refused
    return current.headers if exists else None


def conditional_put_check(req: S3Request, backend: Backend) -> Dict[str, str]:
    """PutObject's conditional write: checks If-Match (HEAD, S3 ETag) and
    returns the headers that make Swift enforce If-None-Match: * itself."""
    if req.header('if-match') is None and req.header('if-none-match') is None:
        return {}
    conditional_write(req, backend)
    if req.header('if-none-match') is not None:
        return {'If-None-Match': '*'}
    return {}
