"""S3 server access log delivery: records buffered per target bucket, written
as log objects (doc/access-logging.md).

The middleware calls ``AccessLogs.wrap`` once per S3 request, with the
response it is about to return.  ``wrap`` reads the source bucket's logging
configuration from the container info that the request already loaded into
``swift.infocache`` (the bucket's sysmeta): a bucket without logging costs
a dictionary look-up, never a backend or memcache request.  A request that
never loaded its bucket's info (its signature was refused, an expired
presigned URL, a CORS preflight, a website endpoint request, a bucket
configuration write that dropped the cached info, UploadPart without
s3_acl) is looked up when its record would be made: the bucket index
(s3_acl; without it only an authenticated caller's own account is known)
and Swift's cached container info.  A failing look-up leaves the response
alone.

For a bucket with logging, the response body is wrapped to count the bytes
sent; when the server closes it the record is formatted
(``model.access_log``) and appended to this process's buffer for the target.
Nothing on the request path waits for storage: a greenthread (the proxy runs
under eventlet) writes each target's buffer as one log object every
``access_log_flush_interval`` seconds, at once when it reaches
``access_log_flush_bytes``, on SIGUSR2 ("flush now") and at process exit.
When the buffer already holds ``access_log_buffer_bytes``, new records are
dropped and counted (statsd ``access_log.dropped``, a log line per interval)
instead of blocking.

Every proxy worker writes its own log objects, under keys made unique by a
random string per batch: several proxies need no coordination, and a
crashed worker loses at most the records of one interval.

Log objects are written with one Swift PUT into the target bucket's account,
authorized by swift3 itself (the logging configuration was authorized when
it was set), owned by the target bucket's owner with the configured
``TargetGrants``.  They go to the application after the ``swift3`` filter,
so the writes are never S3 requests themselves and never logged: a bucket
that logs into itself makes no loop.
"""
from __future__ import annotations

import atexit
import calendar
import json
import os
import signal
import time
import dataclasses
import uuid
import weakref
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from swift.common.swob import Request as SwobRequest
from swift.common.utils import close_if_possible

from swift3compat import errors
from swift3compat.http.request import S3Request
from swift3compat.model import access_log
from swift3compat.model.acl import (ACL, FULL_CONTROL, Grant, Grantee, Owner,
                                    GROUP_URIS)
from swift3compat.swift import sysmeta
from swift3compat.swift.backend import Backend, info_cache_key, wsgi_str
from swift3compat.swift.bucket_config import LOGGING, load

SWIFT_SOURCE = 'S3C-LOG'
# The environment keys of the request (S3Request) when no backend was made
# for it (its signature was refused first), of a POST form upload's form,
# and of a website endpoint request's bucket.
REQUEST_ENV = 'swift3compat.request'
FORM_ENV = 'swift3compat.form'
WEBSITE_ENV = 'swift3compat.website'
BACKEND_ENV = 'swift3compat.backend'
# What refers back to the request's environment (S3Request.environ,
# Backend.req, the form's request): dropped once the response is done
# (``release``), so that a request's objects are freed by reference counting
# when the server lets go of the environment, instead of waiting, as one
# cycle of some thirty objects, for Python's cyclic garbage collector.
_REFERRING = (REQUEST_ENV, BACKEND_ENV, FORM_ENV)

TICK = 0.5        # seconds between checks of the flusher greenthread
_GROUPS_BY_URI = {uri: name for name, uri in GROUP_URIS.items()}

# (target account, target bucket, prefix, key format JSON, object ACL JSON,
#  source account, source bucket, EventTime day or '')
Target = Tuple[str, str, str, str, str, str, str, str]

_INSTANCES: 'weakref.WeakSet[AccessLogs]' = weakref.WeakSet()


def release(env: Dict[str, Any]) -> None:
    """Drop what refers back to ``env`` (see _REFERRING): once the response
    is done, or its access log record made."""
    for name in _REFERRING:
        env.pop(name, None)


def _flush_signal(_signum, _frame) -> None:
    """SIGUSR2: every AccessLogs of this process writes its buffers now
    (the flusher greenthread does it within TICK)."""
    for instance in list(_INSTANCES):
        instance.flush_requested = True


def install_flush_signal() -> bool:
    """Make SIGUSR2 flush this process's buffers (unless something else
    already handles SIGUSR2).  Returns whether it is ours."""
    try:
        current = signal.getsignal(signal.SIGUSR2)
        if current in (signal.SIG_DFL, None, _flush_signal):
            signal.signal(signal.SIGUSR2, _flush_signal)
            return True
    except (ValueError, AttributeError, OSError):
        pass        # not the main thread, or no SIGUSR2 on this platform
    return False


class _Counted:
    """A response body that counts the bytes sent and makes the access log
    record when the server closes it.  Its own iterator (not a generator):
    Swift's ``reiterate`` (proxy-logging) closes the iterator it was given."""

    def __init__(self, body: Iterable[bytes], on_close) -> None:
        self.body = body
        self.chunks = iter(body)
        self.on_close = on_close
        self.sent = 0

    def __iter__(self) -> '_Counted':
        return self

    def __next__(self) -> bytes:
        chunk = next(self.chunks)
        self.sent += len(chunk)
        return chunk

    def close(self) -> None:
        try:
            close_if_possible(self.body)
        finally:
            on_close, self.on_close = self.on_close, None
            if on_close is not None:
                on_close(self)


class AccessLogs:
    """One proxy process's access log buffers and their writer."""

    def __init__(self, app, conf, logger,
                 operation: Callable[[Any], str],
                 bucket_account: Optional[
                     Callable[[Backend, str], Optional[str]]] = None
                 ) -> None:
        self.app = app
        self.operation = operation      # api.routes.log_operation
        # s3_acl: the account holding a bucket, from the bucket index
        # (authz.bucket_index), for requests that never located it
        self.bucket_account = bucket_account
        self.conf = conf
        self.logger = logger
        self.interval = conf.access_log_flush_interval
        self.flush_bytes = conf.access_log_flush_bytes
        self.max_bytes = conf.access_log_buffer_bytes
        self.region = conf.location
        self.buffers: Dict[Target, List[str]] = {}
        self.sizes: Dict[Target, int] = {}
        self.total = 0
        self.dropped = 0
        self.flush_requested = False
        self.cache = None            # the proxy's memcache (swift.cache)
        self._pid: Optional[int] = None
        self._flusher = None
        self._due = time.time() + self.interval
        _INSTANCES.add(self)
        install_flush_signal()
        atexit.register(_flush_at_exit, weakref.ref(self))

    # -- the request path ------------------------------------------------------
    def wrap(self, env: Dict[str, Any], status: int, headers,
             body: Iterable[bytes], error_code: Optional[str],
             request_id: str, host_id: str, started: float
             ) -> Iterable[bytes]:
        """``body``, counted and logged on close when the request's bucket
        has logging; else ``body`` itself."""
        if not self.conf.access_log_delivery:
            return body
        try:
            found = self.target_of(env)
        except Exception:
            # never fail the logged request
            self.logger.exception('swift3compat: access log configuration '
                                  'of %s', request_id)
            return body
        if found is None:
            return body
        config, source = found
        answered = time.time()

        def record(counted: _Counted) -> None:
            try:
                self.add(env, config, source, status, headers, counted.sent,
                         error_code, request_id, host_id, started, answered)
            except Exception:
                self.logger.exception('swift3compat: access log record of %s',
                                      request_id)
            finally:
                release(env)
        return _Counted(body, record)

    def target_of(self, env: Dict[str, Any]
                  ) -> Optional[Tuple[Dict[str, Any], Tuple[str, str]]]:
        """The logging configuration of the request's bucket and (owner,
        account) of that bucket; None when it has none.

        Usually from the container info this request already loaded.  A
        request that never located its bucket (refused authentication, an
        expired presigned URL, a CORS preflight, a configuration write that
        dropped the cached info) is looked up now: the bucket index
        (s3_acl) and Swift's cached container info, both memcache."""
        backend = env.get(BACKEND_ENV)
        req = backend.req if backend is not None else \
            env.get(REQUEST_ENV) or self._website_request(env)
        bucket = getattr(req, 'bucket', None)
        if not bucket:
            return None
        account = None
        if backend is not None and backend.authenticated:
            # with s3_acl the guard has set backend.account to the bucket's
            account = backend.accounts.get(bucket) or backend.account
        info = (env.get('swift.infocache') or {}).get(
            info_cache_key(account, bucket)) if account else None
        if info is None:
            if req.level == 'bucket' and req.method == 'PUT' and \
                    not req.query:
                return None     # CreateBucket: a new bucket has no logging
            found = self._look_up(req, account)
            if found is None:
                return None
            account, info = found
        if not account or not info or (info.get('status') or 0) // 100 != 2:
            return None
        meta = info.get('sysmeta') or {}
        stored = load(meta, LOGGING)
        if stored is None:
            return None
        try:
            config = json.loads(stored)
        except ValueError:
            return None
        owner = account
        acl_text = meta.get(sysmeta.BUCKET_ACL_INFO)
        if acl_text:
            try:
                owner = ACL.from_json(acl_text).owner.id
            except ValueError:
                pass
        return config, (owner, account)

    def _website_request(self, env: Dict[str, Any]) -> Optional[S3Request]:
        """A website endpoint request as the path-style GetObject it
        stands for (its bucket and key), kept for its record."""
        bucket = env.get(WEBSITE_ENV)
        if not bucket:
            return None
        sub = dict(env, PATH_INFO='/%s%s' % (bucket, env.get('PATH_INFO') or
                                             '/'),
                   HTTP_HOST='', QUERY_STRING='')
        for name in ('HTTP_AUTHORIZATION', 'RAW_PATH_INFO', 'REQUEST_URI'):
            sub.pop(name, None)
        try:
            req = S3Request(sub, self.conf)
        except errors.S3Error:
            return None         # not a name S3 requests can have
        env[REQUEST_ENV] = req
        return req

    def _look_up(self, req, account: Optional[str]
                 ) -> Optional[Tuple[str, Dict[str, Any]]]:
        """(account, container info) of a bucket this request did not
        load, or None."""
        lookup = Backend(self.app, req, None)
        if account is None:
            if self.bucket_account is None or not self.conf.s3_acl:
                return None     # without s3_acl, no credentials no account
            account = self.bucket_account(lookup, req.bucket)
            if account is None:
                return None
        return account, lookup.container_info(req.bucket, account=account)

    def add(self, env: Dict[str, Any], config: Dict[str, Any],
            source: Tuple[str, str], status: int, headers, sent: int,
            error_code: Optional[str], request_id: str, host_id: str,
            started: float, answered: float) -> None:
        owner, account = source
        backend = env.get(BACKEND_ENV)
        req = backend.req if backend is not None else env[REQUEST_ENV]
        if self.cache is None:
            self.cache = env.get('swift.cache')
        operation = 'WEBSITE.%s.OBJECT' % req.method \
            if env.get(WEBSITE_ENV) else self.operation(req)
        record = make_record(env, backend, req, owner, operation,
                             status, headers, sent,
                             error_code, request_id, host_id, started,
                             answered)
        line = access_log.format_record(record) + '\n'
        # DeleteObjects: a record of each deleted key too, as AWS
        for key, version in env.get(access_log.BATCH_DELETES_ENV) or ():
            line += access_log.format_record(dataclasses.replace(
                record, operation=access_log.BATCH_DELETE, key=key,
                http_status=204, error_code=None, bytes_sent=0,
                object_size=None, version_id=version)) + '\n'
        key_format = config.get('key_format') or {}
        day = access_log.event_day(started) if (
            key_format.get('format') == access_log.PARTITIONED and
            key_format.get('source', access_log.EVENT_TIME) ==
            access_log.EVENT_TIME) else ''
        target: Target = (
            config.get('account') or account, config['bucket'],
            config.get('prefix') or '',
            json.dumps(key_format, sort_keys=True) if key_format else '',
            _object_acl(config, account) if self.conf.s3_acl else '',
            account, req.bucket, day)
        self.append(target, line)

    # -- buffers -----------------------------------------------------------------
    def append(self, target: Target, line: str) -> None:
        self._check_process()
        size = len(line.encode('utf-8'))
        if self.total + size > self.max_bytes:
            self.dropped += 1
            self.logger.increment('access_log.dropped')
            return
        self.buffers.setdefault(target, []).append(line)
        self.sizes[target] = self.sizes.get(target, 0) + size
        self.total += size
        if self.sizes[target] >= self.flush_bytes:
            self.flush_requested = True
        self._ensure_flusher()

    def _check_process(self) -> None:
        """A forked worker starts with empty buffers and its own flusher."""
        pid = os.getpid()
        if self._pid != pid:
            self._pid = pid
            self.buffers, self.sizes, self.total = {}, {}, 0
            self._flusher = None
            self._due = time.time() + self.interval

    def _ensure_flusher(self) -> None:
        if self._flusher is None:
            import eventlet
            self._flusher = eventlet.spawn(self._run)

    def _run(self) -> None:
        import eventlet
        while True:
            eventlet.sleep(min(TICK, self.interval))
            try:
                self.tick(time.time())
            except Exception:
                self.logger.exception('swift3compat: access log flush')

    def tick(self, now: float) -> None:
        """Write what is due: everything at the interval or on request,
        otherwise the targets over ``access_log_flush_bytes``."""
        if now >= self._due or self.flush_requested:
            everything = now >= self._due or self._requested_all()
            self.flush_requested = False
            if now >= self._due:
                self._due = now + self.interval
            self.flush(everything)
            if self.dropped:
                self.logger.warning('swift3compat: %d access log records '
                                    'dropped: buffer full (%d bytes, '
                                    'access_log_buffer_bytes)',
                                    self.dropped, self.max_bytes)
                self.dropped = 0

    def _requested_all(self) -> bool:
        """A flush request for a full target writes that one only; SIGUSR2
        (no target over the size) writes everything."""
        return not any(size >= self.flush_bytes
                       for size in self.sizes.values())

    def flush(self, everything: bool = True) -> int:
        """Write buffered records as log objects; returns how many objects
        were written."""
        written = 0
        for target in list(self.buffers):
            if not everything and self.sizes.get(target, 0) < \
                    self.flush_bytes:
                continue
            lines = self.buffers.pop(target)
            self.total -= self.sizes.pop(target, 0)
            if self.write(target, lines):
                written += 1
        return written

    # -- writing -------------------------------------------------------------------
    def write(self, target: Target, lines: List[str]) -> bool:
        (account, bucket, prefix, key_format, object_acl, source_account,
         source_bucket, day) = target
        now = time.time()
        event = calendar.timegm(time.strptime(day, '%Y-%m-%d')) if day \
            else now
        key = access_log.object_key(
            prefix, json.loads(key_format) if key_format else None,
            uuid.uuid4().hex[:16].upper(), now, event, source_account,
            self.region, source_bucket)
        body = ''.join(lines).encode('utf-8')
        headers = {'Content-Type': 'text/plain'}
        if object_acl:
            headers[sysmeta.OBJECT_ACL] = object_acl
        path = '/'.join(('', 'v1', wsgi_str(account), wsgi_str(bucket),
                         wsgi_str(key)))
        environ = {'swift.source': SWIFT_SOURCE,
                   'swift.authorize': _allow_all,
                   'swift.authorize_override': True,
                   'swift3compat.access_log_write': True}
        if self.cache is not None:
            environ['swift.cache'] = self.cache
        try:
            resp = SwobRequest.blank(path, environ=environ, method='PUT',
                                     headers=headers, body=body
                                     ).get_response(self.app)
            close_if_possible(resp.app_iter)
            status = resp.status_int
        except Exception:
            self.logger.exception('swift3compat: access log write to %s/%s',
                                  bucket, key)
            status = 0
        if status // 100 == 2:
            self.logger.increment('access_log.objects')
            return True
        self.logger.increment('access_log.failed')
        self.logger.warning('swift3compat: access log object %s/%s not '
                            'written (status %s): %d records lost',
                            bucket, key, status, len(lines))
        return False


def _flush_at_exit(ref) -> None:
    instance = ref()
    if instance is not None and instance._pid == os.getpid() and \
            instance.buffers:
        try:
            instance.flush(True)
        except Exception:
            # the interpreter is exiting: nothing left to report to, and an
            # exit hook must not raise; the records are lost (documented)
            instance.logger.increment('access_log.failed')


def _allow_all(_req) -> None:
    return None


def _object_acl(config: Dict[str, Any], source_account: str) -> str:
    """The ACL of log objects: owned by the target bucket's owner, with the
    configuration's TargetGrants (canonical users and groups)."""
    owner = Owner(config.get('owner') or config.get('account') or
                  source_account)
    grants = [Grant(Grantee.user(owner.id), FULL_CONTROL)]
    for grant in config.get('grants') or ():
        if grant.get('type') == 'CanonicalUser':
            grants.append(Grant(Grantee.user(grant['value']),
                                grant['permission']))
        elif grant.get('type') == 'Group' and \
                grant['value'] in _GROUPS_BY_URI:
            grants.append(Grant(Grantee.group(_GROUPS_BY_URI[grant['value']]),
                                grant['permission']))
    return ACL(owner, tuple(grants)).to_json()


# -- what a request looked like ---------------------------------------------------------
def _header(headers, name: str) -> Optional[str]:
    lower = name.lower()
    for key, value in headers:
        if key.lower() == lower:
            return value
    return None


def _object_size(req, status: int, headers) -> Optional[int]:
    if req.level != 'object':
        return None
    if req.method == 'PUT' and status // 100 == 2:
        return req.content_length
    if req.method in ('GET', 'HEAD') and status in (200, 206, 304):
        content_range = _header(headers, 'Content-Range') or ''
        total = content_range.rpartition('/')[2]
        if total.isdigit():
            return int(total)
        length = _header(headers, 'Content-Length')
        if length and length.isdigit():
            return int(length)
    return None


def _authentication(env: Dict[str, Any], signed
                    ) -> Tuple[Optional[str], Optional[str]]:
    """(signature version, authentication type) of the request; from
    what it carries when its signature was refused before being parsed
    (an expired presigned URL)."""
    authorization = env.get('HTTP_AUTHORIZATION', '')
    query = env.get('QUERY_STRING', '')
    if signed is not None:
        version: Optional[str] = 'SigV%d' % signed.version
    elif authorization.startswith('AWS4-') or 'X-Amz-Algorithm=' in query:
        version = 'SigV4'
    elif authorization.startswith('AWS ') or 'AWSAccessKeyId=' in query:
        version = 'SigV2'
    else:
        return None, None       # anonymous
    if authorization:
        return version, 'AuthHeader'
    if 'Signature=' in query:       # also X-Amz-Signature=
        return version, 'QueryString'
    return version, None        # a POST form: credentials in the form


def make_record(env: Dict[str, Any], backend, req, owner: str,
                operation: str, status: int,
                headers, sent: int, error_code: Optional[str],
                request_id: str, host_id: str, started: float,
                answered: float) -> access_log.Record:
    """``backend``: None when the request was refused before one was
    made (its signature)."""
    signed = getattr(backend, 'signed', None)
    signature_version, auth_type = _authentication(env, signed)
    # s3_acl: the caller's canonical id; without it, the account signed
    # requests act as
    requester = getattr(backend, 'caller_id', None)
    if requester is None and signed is not None and backend.authenticated \
            and backend.guard is None:
        requester = backend.account
    version_id = _header(headers, 'x-amz-version-id') or \
        req.query.get('versionId')
    key = req.key
    size = _object_size(req, status, headers)
    form = env.get(FORM_ENV)
    if form is not None and req.method == 'POST' and key is None:
        key = getattr(form, 'key', None)        # a browser form upload
        if status // 100 == 2:
            size = getattr(form, 'size', None)
    now = time.time()
    return access_log.Record(
        bucket_owner=owner, bucket=req.bucket, time=started,
        remote_ip=env.get('REMOTE_ADDR'),
        requester=requester, request_id=request_id,
        operation=operation, key=key,
        method=env.get('REQUEST_METHOD', ''),
        raw_path=env.get('RAW_PATH_INFO') or req.raw_path,
        query=env.get('QUERY_STRING', ''),
        protocol=env.get('SERVER_PROTOCOL', 'HTTP/1.1'),
        http_status=status, error_code=error_code, bytes_sent=sent,
        object_size=size,
        total_time_ms=int((now - started) * 1000),
        turn_around_ms=int((answered - started) * 1000),
        referer=env.get('HTTP_REFERER'),
        user_agent=env.get('HTTP_USER_AGENT'),
        version_id=version_id, host_id=host_id,
        signature_version=signature_version,
        cipher_suite=None, authentication_type=auth_type,
        host_header=env.get('HTTP_HOST'),
        tls_version=None)
