"""``objectlock``: S3 Object Lock enforced on the native Swift API.

A lock that only the S3 API honours is no lock: anyone holding the
account's Swift credentials (its owner, a reseller admin) could DELETE the
version through ``/v1/AUTH_.../...``.  This small filter refuses, with
``403 Forbidden``, every request that would remove or change a locked
object version, whoever sends it:

* ``DELETE ?version-id=<id>`` of a version under retention or legal hold
  (a plain DELETE in a versioned container only writes a delete marker and
  passes); ``DELETE ?multipart-manifest=delete`` of a locked large object
  (it would delete the segments);
* an object ``POST`` (metadata, ``X-Delete-At``) to a locked version;
* a ``PUT``/``COPY`` that would overwrite a locked object instead of adding a
  version (a container whose versioning is not enabled);
* ``X-Delete-At`` / ``X-Delete-After`` on a write whose version would be
  locked (the object expirer would delete it behind everyone's back);
* writes and deletes of multipart segments (``<bucket>+segments``) of a
  bucket with Object Lock, except by the ``swift3`` filter itself;
* requests into Swift's versions container (``\\x00versions\\x00<bucket>``,
  reachable only by internal clients) that delete, overwrite or POST to a
  locked version;
* turning versioning off (``X-Versions-Enabled: false``) or legacy
  versioning on (``X-Versions-Location``, ``X-History-Location``) on a
  bucket with Object Lock;
* ``DELETE`` of an account that holds a bucket with Object Lock.

New objects written through the Swift API into a bucket with a default
retention get it, as S3 writes do.

The lock state is read from the version's (transient) system metadata,
which only ``swift3`` writes (the gatekeeper strips it from clients), with a
HEAD that asks every replica (``X-Newest``); "now" is this proxy's clock.

Requests that the ``swift3`` filter built (``swift.source`` ``S3C``, an
environment key no client can set) have had the S3 decision already:
their POSTs (tags, ACLs, retention changes) and multipart segments pass,
and a delete or overwrite passes when ``swift3`` marked it as checked
(``swift3compat.object_lock`` in the environment), e.g. a GOVERNANCE
bypass by an allowed caller.  Anything else is checked here too.

Place it after the auth filter, before ``copy``, ``slo``, ``dlo``,
``versioned_writes`` and ``symlink``::

    pipeline = catch_errors gatekeeper healthcheck proxy-logging cache
        listing_formats swift3 tempauth objectlock copy slo dlo
        versioned_writes symlink proxy-logging proxy-server

    [filter:objectlock]
    use = egg:swift3compat#objectlock

``swift3``'s pipeline check refuses to start a proxy with
``object_lock = true`` and no ``objectlock`` in that place.  The filter has
no options of its own: it reads ``object_lock_day_seconds`` from
``[filter:swift3]`` of the same file.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Dict, Optional, Tuple
from urllib.parse import parse_qs

from swift.common.middleware.versioned_writes.object_versioning import (
    build_versions_object_name)
from swift.common.request_helpers import get_reserved_name
from swift.common.swob import HTTPForbidden, Request, wsgi_quote
from swift.common.utils import config_true_value, get_logger, split_path
from swift.common.wsgi import make_pre_authed_request
from swift.proxy.controllers.base import (get_account_info,
                                          get_container_info)

from swift3compat import config
from swift3compat.model import object_lock as model
from swift3compat.swift import sysmeta

# Stored names (the registry: swift3compat.swift.sysmeta).
RETENTION_SYSMETA = sysmeta.LOCK_RETENTION
LEGAL_HOLD_SYSMETA = sysmeta.LOCK_LEGAL_HOLD
BUCKET_LOCK_SYSMETA = sysmeta.OBJECT_LOCK
BUCKET_LOCK_INFO = sysmeta.OBJECT_LOCK_INFO
ACCOUNT_LOCK_SYSMETA = sysmeta.ACCOUNT_OBJECT_LOCK
ACCOUNT_LOCK_INFO = sysmeta.ACCOUNT_OBJECT_LOCK_INFO
# The environment key swift3 sets on a delete/overwrite it has decided.
CHECKED = 'swift3compat.object_lock'
S3_SOURCE = 'S3C'
SWIFT_SOURCE = 'OL'
SEGMENTS_SUFFIX = '+segments'
VERSIONS_PREFIX = get_reserved_name('versions', '')

WSGIApp = Callable[[Dict[str, Any], Callable], Any]


def lock_of(headers) -> model.Lock:
    """The lock of a version from its HEAD/GET response headers."""
    return model.Lock.from_stored(headers.get(RETENTION_SYSMETA),
                                  headers.get(LEGAL_HOLD_SYSMETA))


def bucket_config(container_info: Dict[str, Any]
                  ) -> Optional[model.LockConfig]:
    """A bucket's Object Lock configuration from Swift's container info."""
    return model.decode_config(
        (container_info.get('sysmeta') or {}).get(BUCKET_LOCK_INFO))


def _versioning_enabled(container_info: Dict[str, Any]) -> bool:
    return config_true_value((container_info.get('sysmeta') or {}).get(
        'versions-enabled'))


class ObjectLockMiddleware:
    def __init__(self, app: WSGIApp, conf: Dict[str, str],
                 clock: Callable[[], float] = time.time) -> None:
        self.app = app
        self.logger = get_logger(conf, log_route='objectlock')
        self.clock = clock
        s3_conf = swift3_section(conf.get('__file__'))
        self.day_seconds = config.load(s3_conf).object_lock_day_seconds

    # -- WSGI ---------------------------------------------------------------
    def __call__(self, env: Dict[str, Any], start_response: Callable):
        method = env.get('REQUEST_METHOD')
        if method not in ('PUT', 'POST', 'DELETE', 'COPY'):
            return self.app(env, start_response)
        try:
            version, account, container, obj = split_path(
                env.get('PATH_INFO', ''), 2, 4, True)
        except ValueError:
            return self.app(env, start_response)
        if version not in ('v1', 'v1.0'):
            return self.app(env, start_response)
        try:
            refusal = self.check(Request(env), account, container, obj)
        except Exception:  # never let a check failure open the lock
            self.logger.exception('objectlock: check failed')
            refusal = 'the lock state could not be read'
        if refusal is None:
            return self.app(env, start_response)
        self.logger.info('objectlock: refused %s %s: %s', method,
                         env.get('PATH_INFO'), refusal)
        return HTTPForbidden(body=('Object Lock: %s\n' % refusal).encode(),
                             content_type='text/plain')(env, start_response)

    # -- decisions ------------------------------------------------------------
    def check(self, req: Request, account: str, container: Optional[str],
              obj: Optional[str]) -> Optional[str]:
        """Why ``req`` must be refused, or None."""
        if container is None:
            if req.method == 'DELETE':
                return self._account_delete(req, account)
            return None
        if obj is None:
            return self._container_write(req, account, container)
        if req.method == 'COPY':
            dest = self._copy_destination(req, account)
            if dest is None:
                return None
            account, container, obj = dest
        if container.startswith(VERSIONS_PREFIX):
            return self._versions_container(req, account, container, obj)
        if container.endswith(SEGMENTS_SUFFIX):
            return self._segments(req, account, container)
        return self._object(req, account, container, obj)

    def _info(self, req: Request, account: str, container: str
              ) -> Dict[str, Any]:
        env = dict(req.environ)
        env['PATH_INFO'] = '/v1/%s/%s' % (account, container)
        return get_container_info(env, self.app, swift_source=SWIFT_SOURCE)

    def _account_delete(self, req: Request, account: str) -> Optional[str]:
        env = dict(req.environ)
        env['PATH_INFO'] = '/v1/%s' % account
        info = get_account_info(env, self.app, swift_source=SWIFT_SOURCE)
        if (info.get('sysmeta') or {}).get(ACCOUNT_LOCK_INFO):
            return ('the account holds buckets with Object Lock; '
                    'it cannot be deleted')
        return None

    def _container_write(self, req: Request, account: str,
                         container: str) -> Optional[str]:
        if req.method not in ('PUT', 'POST'):
            return None
        changes = [h for h in ('X-Versions-Location', 'X-History-Location',
                               'X-Remove-Versions-Location',
                               'X-Remove-History-Location')
                   if h in req.headers]
        enabled = req.headers.get('X-Versions-Enabled')
        if enabled is not None and not config_true_value(enabled):
            changes.append('X-Versions-Enabled')
        if not changes:
            return None
        if container.startswith(VERSIONS_PREFIX):
            container = container[len(VERSIONS_PREFIX):]
        cfg = bucket_config(self._info(req, account, container))
        if cfg is None:
            return None
        return ('the bucket has Object Lock: its versioning cannot be '
                'changed (%s)' % ', '.join(changes))

    def _copy_destination(self, req: Request, account: str
                          ) -> Optional[Tuple[str, str, str]]:
        dest = req.headers.get('Destination')
        if not dest:
            return None
        dest_account = req.headers.get('Destination-Account', account)
        try:
            container, obj = split_path('/' + dest.lstrip('/'), 2, 2, True)
        except ValueError:
            return None
        return dest_account, container, obj

    def _from_swift3(self, req: Request) -> bool:
        return req.environ.get('swift.source') == S3_SOURCE

    def _segments(self, req: Request, account: str, container: str
                  ) -> Optional[str]:
        if self._from_swift3(req):
            return None
        bucket = container[:-len(SEGMENTS_SUFFIX)]
        if bucket_config(self._info(req, account, bucket)) is None:
            return None
        return ('the segments of multipart uploads of a bucket with Object '
                'Lock are changed through S3 only')

    def _versions_container(self, req: Request, account: str,
                            container: str, obj: str) -> Optional[str]:
        """A request straight into Swift's versions container (internal
        clients only: clients cannot name reserved containers)."""
        if self._trusted(req):
            return None
        bucket = container[len(VERSIONS_PREFIX):]
        cfg = bucket_config(self._info(req, account, bucket))
        if cfg is None:
            return None
        head = self._head('/v1/%s/%s/%s' % (account, container, obj), req)
        if head is None:
            return None
        return self._protects(req, lock_of(head))

    def _trusted(self, req: Request) -> bool:
        if not self._from_swift3(req):
            return False
        return req.method == 'POST' or bool(req.environ.get(CHECKED))

    def _object(self, req: Request, account: str, container: str,
                obj: str) -> Optional[str]:
        if self._trusted(req):
            return None
        info = self._info(req, account, container)
        cfg = bucket_config(info)
        if cfg is None:
            return None
        if not self._authorized(req, info):
            return None     # the proxy refuses it anyway
        params = parse_qs(req.environ.get('QUERY_STRING', ''))
        version = (params.get('version-id') or [None])[0]
        path = '/v1/%s/%s/%s' % (account, container, obj)
        if req.method in ('PUT', 'COPY'):
            return self._write(req, cfg, info, path, version)
        if req.method == 'POST':
            head = self._head(path, req)
            return None if head is None else self._protects(
                req, lock_of(head))
        # DELETE
        destroys = version is not None or \
            'multipart-manifest' in params or \
            not _versioning_enabled(info)
        if not destroys:
            return None     # a delete marker; every version stays
        head = self._head(path, req, version)
        return None if head is None else self._protects(req, lock_of(head))

    def _write(self, req: Request, cfg: model.LockConfig,
               info: Dict[str, Any], path: str,
               version: Optional[str]) -> Optional[str]:
        if version is not None:
            return None   # object_versioning: makes a version current
        now = self.clock()
        if _versioning_enabled(info):
            new_lock = model.Lock()
            if RETENTION_SYSMETA not in req.headers and \
                    cfg.default is not None:
                new_lock = cfg.new_version_lock(new_lock, now,
                                                self.day_seconds)
                req.headers[RETENTION_SYSMETA] = new_lock.stored_retention
            else:
                new_lock = lock_of(req.headers)
            if new_lock.deletion_block(now) is not None and (
                    'X-Delete-At' in req.headers or
                    'X-Delete-After' in req.headers):
                return ('X-Delete-At cannot be set on a version under '
                        'Object Lock')
            return None
        # versioning off: the write replaces the current object
        head = self._head(path, req)
        if head is None:
            return None
        return self._protects(req, lock_of(head))

    def _protects(self, req: Request, lock: model.Lock) -> Optional[str]:
        block = lock.deletion_block(self.clock())
        if block is None:
            return None
        return 'the object version is protected (%s)' % block

    def _authorized(self, req: Request, info: Dict[str, Any]) -> bool:
        """Would the proxy let this request through?  (A refusal here must
        not tell an unauthorized caller about a lock.)"""
        authorize = req.environ.get('swift.authorize')
        if authorize is None or req.environ.get('swift.authorize_override'):
            return True
        probe = Request(dict(req.environ))
        probe.acl = info.get('write_acl')
        return authorize(probe) is None

    def _head(self, path: str, req: Request,
              version: Optional[str] = None):
        """HEAD the object (following a versioning symlink), or one
        version; None when it does not exist."""
        headers = {'X-Newest': 'true', 'X-Backend-Allow-Reserved-Names':
                   'true'}
        query = 'version-id=%s' % version if version else ''
        sub = make_pre_authed_request(req.environ, method='HEAD',
                                      path=wsgi_quote(path),
                                      headers=headers,
                                      swift_source=SWIFT_SOURCE)
        sub.environ['QUERY_STRING'] = query
        resp = sub.get_response(self.app)
        if resp.status_int == 404:
            return None
        if resp.status_int >= 300:
            raise IOError('HEAD %s: %s' % (path, resp.status))
        return resp.headers


def versions_object_path(account: str, bucket: str, key: str,
                         version: str) -> str:
    """Where Swift keeps one version (for tests and tools)."""
    return '/v1/%s/%s%s/%s' % (account, VERSIONS_PREFIX, bucket,
                               build_versions_object_name(key, version))


def swift3_section(conf_path: Optional[str]) -> Dict[str, str]:
    """The conf of the proxy's swift3 filter, found by what it loads
    (``swift3compat.sweeper.proxy_conf``), or nothing when no section loads
    it: an internal client's or the expirer's config has none."""
    if not conf_path:
        return {}
    from swift3compat.pipeline import Role
    from swift3compat.sweeper import proxy_conf
    sections = proxy_conf.filter_sections(conf_path)
    if not any(s.role is Role.SWIFT3 for s in sections):
        return {}
    return proxy_conf.find_swift3_filter(conf_path, '',
                                         'filter:objectlock')[1]


def filter_factory(global_conf: Dict[str, str], **local_conf: str
                   ) -> Callable[[WSGIApp], ObjectLockMiddleware]:
    """Paste entry point: ``use = egg:swift3compat#objectlock``.  The
    filter has no options of its own: any name in its section is refused
    (a typo must not pass silently)."""
    config.check_names(local_conf, (),
                       config.filter_section(local_conf, 'objectlock'))
    conf = dict(global_conf, **local_conf)

    def objectlock_filter(app: WSGIApp) -> ObjectLockMiddleware:
        return ObjectLockMiddleware(app, conf)
    return objectlock_filter
