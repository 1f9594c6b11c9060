"""The only module that speaks Swift: subrequests, auth hand-over, errors.

Every Swift subrequest of an S3 request is built here from an allow-list:
a fresh WSGI environment that carries the proxy's own machinery (cache,
transaction id, info cache) and nothing a client sent, except the headers a
handler passes explicitly.  Client headers such as ``X-Copy-From``,
``X-Backend-*``, ``X-*-Sysmeta-*`` or identity headers therefore never reach
Swift from an S3 request.

Authentication hand-over (see doc/architecture.md): the first subrequest
carries ``swift3.auth_details`` for the auth filter after us (tempauth,
s3token); once it has authenticated, its result (``swift.authorize``,
``REMOTE_USER``, identity headers, the real account) is reused for every
later subrequest of the same S3 request, with ``swift.authorize_override``.

With ``s3_acl`` the middleware authenticates first (``authenticate``, a
TEST subrequest that costs no backend request, or the proxy worker's
remembered tempauth result: ``auth_cache``) on a session backend, then
``swift3compat.authz.access`` decides with S3 ACLs, and the handler gets a
backend constructed with that decision (``guard``): consulted before and
after every subrequest, it gives the ``swift.authorize`` of allowed
subrequests and the accounts they go to (the bucket owner's, and those of
other buckets it located).
"""
from __future__ import annotations

from functools import lru_cache
from io import BytesIO
from typing import (Any, Callable, Dict, Iterable, Mapping, Optional, Protocol,
                    Tuple)
from urllib.parse import quote, urlencode

from swift.common.header_key_dict import HeaderKeyDict
from swift.common.request_helpers import get_object_transient_sysmeta
from swift.common.swob import Request as SwobRequest, Response as SwobResponse
from swift.common.utils import close_if_possible
from swift.proxy.controllers import base as _proxy_base
from swift.proxy.controllers.base import get_container_info

from swift3compat import errors
from swift3compat.auth.signature import SignedRequest
from swift3compat.http.request import S3Request
from swift3compat.swift import metadata_budget, sysmeta
from swift3compat.swift.auth_cache import AuthCache, Remembered

SWIFT_SOURCE = 'S3C'
# The request's container infos as ``Backend.container_info`` returned them,
# by info cache key: (the info cache entry they were made from, the info).
_INFO_MEMO = 'swift3compat.container_infos'

# What a subrequest inherits from the client's WSGI environment.
_INHERITED = ('HTTP_USER_AGENT', 'HTTP_HOST', 'SERVER_NAME', 'SERVER_PORT',
              'SERVER_PROTOCOL', 'REMOTE_ADDR', 'HTTP_X_FORWARDED_FOR',
              'wsgi.url_scheme', 'wsgi.errors', 'wsgi.version',
              'wsgi.multithread', 'wsgi.multiprocess', 'wsgi.run_once',
              'swift.cache', 'swift.trans_id', 'swift.infocache',
              'swift.base_labels', 'eventlet.posthooks', 'swift.log_info')
# What the auth filter leaves in an environment that later subrequests reuse.
_AUTH_RESULT = ('swift.authorize', 'swift.clean_acl', 'REMOTE_USER',
                'keystone.token_info', 'keystone.token_auth',
                'reseller_request', 'swift.access_logging')
_IDENTITY_PREFIXES = ('HTTP_X_USER', 'HTTP_X_PROJECT', 'HTTP_X_TENANT',
                      'HTTP_X_ROLE', 'HTTP_X_IDENTITY_STATUS',
                      'HTTP_X_DOMAIN', 'HTTP_X_SERVICE', 'HTTP_X_AUTH_TOKEN',
                      'HTTP_X_IS_ADMIN_PROJECT', 'HTTP_X_SYSTEM_SCOPE',
                      'HTTP_X_STORAGE_TOKEN')


def is_identity_header(env_key: str) -> bool:
    return env_key.startswith(_IDENTITY_PREFIXES)


def wsgi_str(value: str) -> str:
    """A native str as WSGI carries it (UTF-8 bytes as latin-1)."""
    return value.encode('utf-8').decode('latin-1')


class GuardHooks(Protocol):
    """What a ``Backend`` asks of its guard (``authz.access.Guard``)."""

    bucket_account: Optional[str]
    other_accounts: Dict[str, str]
    authorize: Optional[Callable]

    def before(self, method: str, container: Optional[str],
               obj: Optional[str], headers: Optional[Mapping[str, str]]
               ) -> None: ...

    def owner_or_granted(self, action: str, key: Optional[str]) -> bool: ...

    def after(self, method: str, container: Optional[str],
              obj: Optional[str], resp: Any) -> None: ...


class Backend:
    """Swift subrequests on behalf of one S3 request."""

    def __init__(self, app, req: S3Request,
                 signed: Optional[SignedRequest], *,
                 guard: Optional[GuardHooks] = None,
                 principal: Optional[Any] = None,
                 session: Optional['Backend'] = None,
                 auth_cache: Optional[AuthCache] = None) -> None:
        """``guard`` (with ``s3_acl``) is the request's S3 ACL decision,
        made before the handler runs: it sees every subrequest and says
        which account each goes to.  ``principal`` is who asks (its
        ``canonical_id``, None when anonymous); ``session`` an
        authenticated backend of the same request whose authentication
        this one reuses; ``auth_cache`` the proxy's remembered
        authentication results (``authenticate``)."""
        self.app = app
        self.req = req
        # One info cache for the request and all its subrequests, as Swift
        # shares it with its own subrequests: the container info the proxy
        # loads for one subrequest serves the next and container_info().
        req.environ.setdefault('swift.infocache', {})
        self.signed = signed
        self.guard = guard
        self.principal = principal
        self.auth_cache = auth_cache
        self._account: Optional[str] = signed.access_key if signed else None
        self.authenticated = signed is None
        # The auth cache's entry this request was authenticated with (or
        # that its authentication made), if any.
        self.remembered: Optional[Remembered] = None
        self._auth_env: Dict[str, Any] = {}
        # Environment keys every later subrequest carries (Object Lock:
        # the objectlock filter's 'decided by swift3' mark).
        self.extra_env: Dict[str, Any] = {}
        if session is not None and session.authenticated:
            self._account = session._account
            self._auth_env = dict(session._auth_env)
            self.authenticated = True

    @property
    def account(self) -> Optional[str]:
        """The account subrequests go to: the route's bucket owner's once
        the guard located it, else the caller's (the access key until the
        auth filter said which account it maps to)."""
        if self.guard is not None and self.guard.bucket_account is not None:
            return self.guard.bucket_account
        return self._account

    @property
    def accounts(self) -> Mapping[str, str]:
        """Accounts of buckets other than the request's own (s3_acl: copy
        sources the guard located)."""
        return self.guard.other_accounts if self.guard is not None else {}

    @property
    def authorize(self) -> Optional[Callable]:
        """The ``swift.authorize`` of subrequests the guard allowed."""
        return self.guard.authorize if self.guard is not None else None

    @property
    def caller_id(self) -> Optional[str]:
        """The caller's canonical id (s3_acl), or None."""
        return getattr(self.principal, 'canonical_id', None)

    # -- paths -------------------------------------------------------------
    def path(self, container: Optional[str] = None,
             obj: Optional[str] = None, account: Optional[str] = None) -> str:
        account = account or self.accounts.get(container or '', self.account)
        parts = ['', 'v1', account or '']
        if container is not None:
            parts.append(container)
            if obj is not None:
                parts.append(obj)
        return wsgi_str('/'.join(parts))

    # -- subrequests -------------------------------------------------------
    def make_env(self, method: str, container: Optional[str] = None,
                 obj: Optional[str] = None,
                 headers: Optional[Dict[str, str]] = None,
                 query: Optional[Dict[str, str]] = None,
                 body: Optional[bytes] = None,
                 wsgi_input=None,
                 content_length: Optional[int] = None,
                 account: Optional[str] = None,
                 authorize: Optional[Callable] = None,
                 environ: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        base = self.req.environ
        env = {k: base[k] for k in _INHERITED if k in base}
        env['REQUEST_METHOD'] = method
        env['SCRIPT_NAME'] = ''
        env['PATH_INFO'] = self.path(container, obj, account)
        env['QUERY_STRING'] = urlencode(query, quote_via=quote) \
            if query else ''
        env['swift.source'] = SWIFT_SOURCE
        if not self.req.conf.force_swift_request_proxy_log:
            # proxy-logging logs the S3 request itself; not each subrequest
            env['swift.proxy_access_log_made'] = True
        if body is not None:
            env['wsgi.input'] = BytesIO(body)
            env['CONTENT_LENGTH'] = str(len(body))
        elif wsgi_input is not None:
            env['wsgi.input'] = wsgi_input
            if content_length is None:
                env['HTTP_TRANSFER_ENCODING'] = 'chunked'
            else:
                env['CONTENT_LENGTH'] = str(content_length)
        else:
            env['wsgi.input'] = BytesIO()
            if method in ('PUT', 'POST'):
                env['CONTENT_LENGTH'] = '0'
        for name, value in (headers or {}).items():
            key = name.upper().replace('-', '_')
            if key not in ('CONTENT_TYPE', 'CONTENT_LENGTH'):
                key = 'HTTP_' + key
            env[key] = value
        env.update(self.extra_env)
        if environ:
            env.update(environ)
        if self.authenticated:
            env.update(self._auth_env)
            authorize = authorize or self.authorize
            if authorize is not None:
                env['swift.authorize'] = authorize
                env['swift.authorize_override'] = True
        else:
            details = self.signed.auth_details()
            env['swift3.auth_details'] = details
            env['s3api.auth_details'] = details
        return env

    def request(self, method: str, container: Optional[str] = None,
                obj: Optional[str] = None, *,
                headers: Optional[Dict[str, str]] = None,
                query: Optional[Dict[str, str]] = None,
                body: Optional[bytes] = None,
                wsgi_input=None, content_length: Optional[int] = None,
                ok: Iterable[int] = (), account: Optional[str] = None,
                authorize: Optional[Callable] = None,
                kept_metadata: Optional[Dict[str, str]] = None,
                environ: Optional[Dict[str, Any]] = None) -> SwobResponse:
        """Run one subrequest; map failures to S3 errors.

        Statuses listed in ``ok`` are returned to the caller instead of
        raising (e.g. a 404 the handler wants to interpret itself).  A
        ``wsgi_input`` that failed (its ``error``: a bad chunk signature,
        checksum or payload hash) raises that error, whatever Swift said.
        ``account`` and ``authorize`` are for the guard's own reads;
        ``environ`` adds WSGI environment keys of the Swift layer's own
        (never a client's).

        An object PUT or POST is first held to the stored-metadata budget
        (``metadata_budget``): what Swift will pickle into the object's
        xattr, with ``kept_metadata`` (what a copy keeps of its source), may
        not exceed ``max_stored_metadata_size`` (MetadataTooLarge), so that
        no request can make the object server fail the write (507) and the
        proxy error-limit the device.
        """
        if obj is not None and method in ('PUT', 'POST'):
            metadata_budget.check(
                self.path(container, obj, account), headers or {},
                self.req.conf.max_stored_metadata_size, kept=kept_metadata,
                post_encrypted=method == 'POST' and bool(
                    self.req.conf.server_side_encryption))
        if self.guard is not None:
            self.guard.before(method, container, obj, headers)
        env = self.make_env(method, container, obj, headers, query, body,
                            wsgi_input, content_length, account, authorize,
                            environ)
        resp = _get_response(SwobRequest(env), self.app)
        self._after_auth(env, resp.status_int)
        if self.guard is not None:
            self.guard.after(method, container, obj, resp)
        failed = getattr(wsgi_input, 'error', None)
        if failed is not None:
            close_if_possible(resp.app_iter)
            raise failed
        status = resp.status_int
        if status < 300 or status == 304 or status in ok:
            return resp
        close_if_possible(resp.app_iter)
        raise self.error_for(status, container, obj, resp)

    def authenticate(self) -> Dict[str, Any]:
        """Authenticate now, before knowing which account to address
        (s3_acl): a TEST subrequest that the auth filter handles and the
        proxy answers 405 without any backend request.  Returns the
        environment the auth filter left.

        With an ``auth_cache``, a request whose signature verifies with
        the key remembered for its access key reuses that key's earlier
        result instead (``swift.auth_cache``: tempauth only); any other
        request makes the TEST subrequest, and the cache remembers what
        it decided."""
        signed, cache = self.signed, self.auth_cache
        if cache is not None and signed is not None:
            remembered = cache.lookup(signed)
            if remembered is not None:
                self._auth_env = remembered.carried()
                self._account = remembered.account
                self.authenticated = True
                self.remembered = remembered
                return dict(self._auth_env)
        env = self.make_env('TEST')
        env['swift.proxy_access_log_made'] = True
        resp = SwobRequest(env).get_response(self.app)
        close_if_possible(resp.app_iter)
        if resp.status_int == 503:
            raise errors.ServiceUnavailable()
        if not env.get('REMOTE_USER') and not (
                'keystone.token_info' in env and
                env.get('HTTP_X_IDENTITY_STATUS') == 'Confirmed'):
            raise self.signed.failure()
        self._after_auth(env, resp.status_int)
        if cache is not None and signed is not None and \
                self._account is not None:
            self.remembered = cache.remember(signed, self._auth_env,
                                             self._account)
        return env

    def system_request(self, method: str, account: str,
                       container: Optional[str] = None,
                       obj: Optional[str] = None,
                       headers: Optional[Dict[str, str]] = None) -> SwobResponse:
        """A subrequest of swift3's own bookkeeping (bucket index, lifecycle
        registry) in ``account``, authorized by swift3 itself: it carries no
        client identity and never the client's body.  The response body is
        closed; callers read status and headers."""
        env = self.make_env(method, container, obj, headers,
                            body=b'' if method == 'PUT' else None,
                            account=account)
        env.pop('swift3.auth_details', None)
        env.pop('s3api.auth_details', None)
        env['swift.authorize'] = _allow_all
        env['swift.authorize_override'] = True
        resp = SwobRequest(env).get_response(self.app)
        close_if_possible(resp.app_iter)
        return resp

    def _after_auth(self, env: Dict[str, Any], status: int) -> None:
        if self.authenticated:
            return
        # s3token leaves the S3 error code it answered with (e.g. Keystone
        # refused the signature) for us to render.
        code = env.get('swift3.auth_error')
        if code and status in (401, 403):
            raise errors.error_class(code)(
                AWSAccessKeyId=self.signed.access_key)
        if status == 401:
            raise self.signed.failure()
        if status == 403 and not self.signed.valid and \
                env.get('HTTP_X_IDENTITY_STATUS') != 'Confirmed':
            raise self.signed.failure()
        carried = {k: env[k] for k in _AUTH_RESULT if k in env}
        carried.update((k, v) for k, v in env.items()
                       if is_identity_header(k))
        carried['swift.authorize_override'] = True
        self._auth_env = carried
        account = env['PATH_INFO'].split('/')[2]
        self._account = account.encode('latin-1').decode('utf-8')
        self.authenticated = True

    def error_for(self, status: int, container: Optional[str],
                  obj: Optional[str], resp=None) -> errors.S3Error:
        """The S3 error for a Swift status on this resource."""
        if status == 401:
            return self.signed.failure() if self.signed else \
                errors.AccessDenied()
        if status == 403:
            return errors.AccessDenied()
        if status == 404:
            if obj is not None and self.container_exists(container):
                return errors.NoSuchKey(Key=self.req.key)
            return errors.NoSuchBucket(BucketName=container)
        if status == 412:
            return errors.PreconditionFailed(Condition=None)
        if status == 413:
            return errors.EntityTooLarge()
        if status == 416:
            return errors.InvalidRange()
        if status == 422:
            return errors.BadDigest()
        if status == 411:
            return errors.MissingContentLength()
        if status in (408, 499):
            return errors.RequestTimeout() if status == 408 else \
                errors.IncompleteBody()
        if status in (429, 498):
            return errors.SlowDown()
        if status in (503, 507):
            return errors.ServiceUnavailable()
        if status == 400:
            return errors.InvalidRequest()
        return errors.InternalError()

    # -- cached info -------------------------------------------------------
    def container_info(self, container: str,
                       account: Optional[str] = None) -> Dict[str, Any]:
        """Swift's cached container info (memcache/infocache), authorized
        as this request's user; ``status`` 404 when absent.

        Read-only: the same dict is returned again for as long as the
        request's info cache holds the entry it was made from.  Swift's
        ``get_container_info`` deep-copies its cached entry on every call
        (a few hundred Python calls); the handlers, the guard and the
        access log ask for the same bucket's info several times per request.
        A subrequest that changes the container (PUT, POST, DELETE) makes
        Swift drop or replace the entry, and the next call loads it again."""
        if account is None and not self.authenticated:
            # The account is known only once the auth filter ran.
            self.authenticate()
        infocache = self.req.environ['swift.infocache']
        memo = self.req.environ.setdefault(_INFO_MEMO, {})
        owner = account or self.accounts.get(container, self.account) or ''
        key = info_cache_key(owner, container)
        known = memo.get(key)
        if known is not None and infocache.get(key) is known[0]:
            return known[1]
        # The caches are the request's own (its swift.infocache and
        # swift.cache, which subrequests share): a subrequest's environment
        # is built only when Swift has to be asked.
        info = _cached_container_info(self.req.environ, self.app, owner,
                                      container)
        if info is None:
            env = self.make_env('HEAD', container, account=account)
            info = get_container_info(env, self.app, swift_source=SWIFT_SOURCE)
        source = infocache.get(key)
        if source is not None:
            memo[key] = (source, info)
        return info

    def container_exists(self, container: Optional[str]) -> bool:
        """Whether the bucket exists; ServiceUnavailable when Swift cannot
        tell (container servers down): NoSuchBucket would be a lie a client
        acts on (sync tools recreate the bucket)."""
        if not container:
            return False
        status = self.container_info(container).get('status') or 0
        if status >= 500:
            raise errors.ServiceUnavailable()
        return status in (200, 204, 0)


@lru_cache(maxsize=4096)
def info_cache_key(account: str, container: str) -> str:
    """Swift's info cache key of a container (``get_cache_key``, whose
    checks and conversions cost 3,000 instructions; a request looks up its
    bucket's key three times or more)."""
    return _proxy_base.get_cache_key(account, container)


# Swift's cache lookups behind get_container_info (private: present from
# Swift 2.32 on, with these signatures; if they change, every lookup takes
# get_container_info and only the speed differs).
_INFO_FROM_CACHES = getattr(_proxy_base, '_get_info_from_caches', None)
_RECORD_INFO_METRICS = getattr(_proxy_base, '_record_ac_info_cache_metrics', None)


def _cached_container_info(env: Dict[str, Any], app: Any, account: str,
                           container: str) -> Optional[Dict[str, Any]]:
    """The container info Swift has cached (info cache, else memcache),
    as ``get_container_info`` would return it but without its deep copy,
    or None (not cached, an older cache format, or Swift's helpers are not
    what we know): the caller then asks ``get_container_info``.

    The deep copy is about 170,000 instructions for a bucket's info, a
    tenth of what the S3 layer adds to a 1 KiB HEAD; ``Backend`` treats the
    info as read-only, so the top level is copied (for the fields made
    ints below) and the nested dicts are shared with Swift's info cache.
    On a memcache miss get_container_info reads memcache again before its
    HEAD: one more get per bucket each time the entry expires."""
    if _INFO_FROM_CACHES is None or _RECORD_INFO_METRICS is None:
        return None
    try:
        logged_app = app._pipeline_request_logging_app
        proxy_app = app._pipeline_final_app
    except AttributeError:
        logged_app = proxy_app = app
    try:
        found, state = _INFO_FROM_CACHES(proxy_app, env, account, container)
    except (TypeError, ValueError):      # another Swift's helper
        return None
    if not found or not isinstance(found, dict) or 'object_count' not in found \
            or (found.get('sysmeta') or {}).get('versions-container'):
        # get_container_info converts old entries and adds the bytes of a
        # versioned_writes archive container
        return None
    info = dict(found)
    for field in ('storage_policy', 'bytes', 'object_count'):
        value = info.get(field)
        info[field] = 0 if value is None else int(value)
    if info.get('sharding_state') is None:
        info['sharding_state'] = 'unsharded'
    _RECORD_INFO_METRICS(logged_app, state, container)
    return info


# What an object POST would drop unless sent again (besides user metadata
# and transient sysmeta); Content-Type is kept by Swift when not sent.
_KEPT_BY_POST = ('Content-Disposition', 'Content-Encoding', 'Cache-Control',
                 'Content-Language', 'Expires', 'X-Robots-Tag',
                 'X-Delete-At', 'X-Object-Manifest')
_SWIFT_META = sysmeta.OBJECT_USER_META.lower()
_TRANSIENT = get_object_transient_sysmeta('')
# Encryption keeps its own transient sysmeta; the decrypter hides it and the
# encrypter writes it again for the metadata we resend.
_CRYPTO_TRANSIENT = get_object_transient_sysmeta('crypto-')


def kept_by_object_post(head_headers) -> Dict[str, str]:
    """What an object POST must carry again to keep what the object has
    (``head_headers``: its HEAD response): a Swift object POST replaces
    user metadata, transient sysmeta and the headers above."""
    out: Dict[str, str] = {}
    for name, value in head_headers.items():
        lower = name.lower()
        if lower.startswith(_SWIFT_META) or (
                lower.startswith(_TRANSIENT)
                and not lower.startswith(_CRYPTO_TRANSIENT)):
            out[name] = value
    for name in _KEPT_BY_POST:
        if name in head_headers:
            out[name] = head_headers[name]
    return out


# HeaderKeyDict's title case of the response header names seen (bounded).
_TITLES: Dict[str, str] = {}
_TITLES_MAX = 4096


def _get_response(req: SwobRequest, app) -> SwobResponse:
    """``req.get_response(app)`` with the same result, built for less:
    swob's Response title-cases each header name twice (its HeaderKeyDict
    ``update`` and ``__setitem__``), about 5,000 instructions per header
    of every subrequest's response; here each name's title case is looked
    up, computed once per name per process."""
    status, headers, app_iter = req.call_application(app)
    resp = SwobResponse(status=status, app_iter=app_iter, request=req)
    out = resp.headers
    for name, value in dict(headers).items():
        title = _TITLES.get(name)
        if title is None:
            title = HeaderKeyDict._title(name)
            if len(_TITLES) < _TITLES_MAX:
                _TITLES[name] = title
        if value.__class__ is str:
            dict.__setitem__(out, title, value)
        else:
            out[title] = value      # None, bytes, numbers: HeaderKeyDict's way
    return resp


def _allow_all(_req) -> None:
    """``swift.authorize`` of system subrequests: allowed."""
    return None


def split_object_path(path: str) -> Tuple[str, str]:
    """'/bucket/key' (as in x-amz-copy-source) → (bucket, key)."""
    bucket, _, key = path.lstrip('/').partition('/')
    return bucket, key
