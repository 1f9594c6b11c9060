"""The ``swift3`` Paste filter: S3 API requests in, Swift subrequests out.

Enable it in ``/etc/swift/proxy-server.conf`` before the auth filter that
checks S3 signatures (tempauth, or ``s3token`` + keystoneauth)::

    [pipeline:main]
    pipeline = catch_errors gatekeeper healthcheck proxy-logging cache
        listing_formats swift3 tempauth copy slo dlo versioned_writes
        symlink proxy-logging proxy-server

    [filter:swift3]
    use = egg:swift3compat#swift3
    # every option: etc/proxy-server.conf-sample, swift3compat/config.py

The request path, top to bottom:

1. ``S3Request`` parses bucket, key and query (path or virtual-host style);
2. ``auth.signature.parse`` validates the SigV2/SigV4 form, date and scope;
   the secret check itself happens in the auth filter after us through
   ``swift3.auth_details`` (doc/architecture.md);
3. ``routes.route`` picks the handler from the one routing table;
4. the handler translates to Swift subrequests through ``Backend``;
5. the response (or the ``S3Error``) is rendered with ``x-amz-request-id``
   and ``x-amz-id-2``.

Requests for the native Swift API (``/v1/...``, ``/auth/...``, ``/info``)
that carry no S3 signature pass through untouched.
"""
from __future__ import annotations

import binascii
import time
import uuid
from typing import Any, Dict, Iterable, Optional

from swift.common.registry import (register_sensitive_header,
                                   register_sensitive_param,
                                   register_swift_info)
from swift.common.utils import close_if_possible, get_logger

from swift3compat import __version__, config, errors, pipeline
from swift3compat.api import routes
from swift3compat.authz import access
from swift3compat.authz.bucket_index import BucketIndex
from swift3compat.authz.principal import principal_of
from swift3compat.auth import chunked, signature
from swift3compat.auth.payload import VerifiedInput
from swift3compat.auth.sigv4 import EMPTY_SHA256
from swift3compat.http.body import BodyError
from swift3compat.swift.auth_cache import AuthCache
from swift3compat.swift.backend import Backend
from swift3compat.swift.checksums import FooterApp
from swift3compat.swift.log_delivery import (BACKEND_ENV, REQUEST_ENV,
                                             WEBSITE_ENV, AccessLogs, release)
from swift3compat.api import cors as cors_handlers
from swift3compat.api import post_object
from swift3compat.api import website as website_handlers
from swift3compat.swift.uploads import check_slo
from swift3compat.http.request import S3Request
from swift3compat.http.response import S3Response

# Native Swift API paths; S3 bucket names cannot collide with v1 / v1.0.
_SWIFT_PREFIXES = ('/v1/', '/v1.0/', '/auth/')
_SWIFT_EXACT = ('/v1', '/v1.0', '/info', '/auth')
_S3_QUERY_AUTH = ('X-Amz-Algorithm=', 'X-Amz-Credential=', 'AWSAccessKeyId=')


class Swift3Middleware:
    def __init__(self, app, conf: config.Config, logger=None) -> None:
        self.app = app
        self.backend_app = FooterApp(app)
        self.conf = conf
        self.logger = logger or get_logger(conf.raw,
                                           log_route=conf.log_name)
        self.access_logs = AccessLogs(app, conf, self.logger,
                                      routes.log_operation,
                                      self._bucket_account)
        # who an access key is, per process (tempauth results only)
        self.auth_cache = AuthCache(conf.auth_cache_duration,
                                    conf.auth_cache_size) \
            if conf.auth_cache_duration else None

    def _bucket_account(self, backend: Backend, bucket: str
                        ) -> Optional[str]:
        """The account holding ``bucket`` by the bucket index (s3_acl)."""
        return BucketIndex(backend, self.conf.bucket_index_account,
                           self.logger).lookup(bucket)

    # -- dispatch ------------------------------------------------------------
    def is_s3(self, env: Dict[str, Any]) -> bool:
        """S3 unless it is a native Swift API path without S3 auth."""
        authz = env.get('HTTP_AUTHORIZATION', '')
        if authz.startswith(('AWS ', 'AWS4-')):
            return True
        qs = env.get('QUERY_STRING', '')
        if any(p in qs for p in _S3_QUERY_AUTH):
            return True
        if self.conf.storage_domain:
            host = env.get('HTTP_HOST', '').lower().rsplit(':', 1)[0]
            if any(host.endswith('.' + d.lower())
                   for d in self.conf.storage_domain):
                return True
        if website_handlers.website_bucket(env, self.conf) is not None:
            return True
        path = env.get('PATH_INFO', '')
        return not (path in _SWIFT_EXACT or path.startswith(_SWIFT_PREFIXES))

    def __call__(self, env: Dict[str, Any], start_response) -> Iterable[bytes]:
        if not self.is_s3(env):
            return self.app(env, start_response)
        started = time.time()
        request_id = env.get('swift.trans_id') or 'tx' + uuid.uuid4().hex
        error_code = None
        env['swift3compat.logger'] = self.logger    # refusals are logged/counted
        try:
            resp = self.handle(env)
        except BodyError as err:
            resp = self.error_response(err.s3_error, request_id)
            error_code = err.s3_error.code
        except errors.S3Error as err:
            resp = self.error_response(err, request_id)
            self.logger.increment('errors.%s' % err.code)
            error_code = err.code
        except Exception:
            self.logger.exception('Unhandled error in S3 request %s',
                                  request_id)
            resp = self.error_response(errors.InternalError(), request_id)
            error_code = 'InternalError'
        error_code = error_code or env.get(website_handlers.ERROR_CODE_ENV)
        if 'HTTP_ORIGIN' in env:
            resp.headers.update(cors_handlers.response_headers(env,
                                                               self.logger))
        # statsd: <log_name>.<handler>.<status>, e.g. swift3.get_object.200
        self.logger.increment('%s.%d' % (
            env.get('swift3compat.operation', 'unrouted'), resp.status))
        headers = resp.header_list()
        host_id = _host_id(request_id)
        headers.append(('x-amz-request-id', request_id))
        headers.append(('x-amz-id-2', host_id))
        start_response(resp.status_line, headers)
        if env['REQUEST_METHOD'] == 'HEAD':
            close_if_possible(resp.body)
            body: Iterable[bytes] = [b'']
        elif isinstance(resp.body, bytes):
            body = [resp.body]
        else:
            body = resp.body
        # server access logs (PutBucketLogging): one record per request
        logged = self.access_logs.wrap(env, resp.status, headers, body,
                                       error_code, request_id, host_id,
                                       started)
        if logged is body:
            release(env)    # else when the record is made
        return logged

    def handle(self, env: Dict[str, Any]) -> S3Response:
        site = website_handlers.website_bucket(env, self.conf)
        if site is not None:
            env[WEBSITE_ENV] = site     # the access log's
            return website_handlers.serve(env, site, self)
        req = S3Request(env, self.conf)
        env[REQUEST_ENV] = req      # the access log's, whatever follows
        if req.method == 'OPTIONS':
            signed = None       # a CORS preflight carries no credentials
        elif post_object.is_form_upload(req) and \
                routes.subresource(req) == '':
            signed = post_object.prepare(req)   # credentials in the form
        else:
            signed = signature.parse(req)
        if signed is None and not self.conf.s3_acl and \
                req.method != 'OPTIONS':
            # Anonymous access needs S3 ACLs to say what is public.
            raise errors.AccessDenied()
        backend = Backend(self.backend_app, req, signed,
                          auth_cache=self.auth_cache)
        env[BACKEND_ENV] = backend   # for CORS response headers
        if signed is not None and post_object.ENV_KEY not in env:
            self._verify_payload(req, signed)
        try:
            row = routes.lookup(req)
        except (errors.NotImplemented, errors.MethodNotAllowed):
            # Authenticate before telling anyone what is not implemented.
            if signed is None:
                raise errors.AccessDenied() from None
            backend.request('HEAD', ok=(403, 404))
            raise
        env['swift3compat.operation'] = row.handler.__name__
        if self.conf.s3_acl:
            # Decided before the handler runs: the handler's backend is
            # built with the decision (the guard) and who asks.
            principal = principal_of(req, backend)
            guard = access.Guard(req, backend, principal, self.logger)
            backend = Backend(self.backend_app, req, signed, guard=guard,
                              principal=principal, session=backend)
            env[BACKEND_ENV] = backend
            guard.check_route(row.permission, row.action_of(req))
        else:
            access.check_own_bucket_owner(req, backend, row.permission)
        return row.handler(req, backend)

    def _verify_payload(self, req: S3Request,
                        signed: signature.SignedRequest) -> None:
        payload = signed.payload_hash
        if signed.version == 4 and chunked.applies(req, signed):
            chunked.install(req, signed)
            return
        if signed.version != 4 or payload is None or \
                payload == 'UNSIGNED-PAYLOAD':
            return
        has_body = req.content_length not in (None, 0) or \
            req.environ.get('HTTP_TRANSFER_ENCODING', '').lower() == 'chunked'
        if not has_body:
            if payload.lower() != EMPTY_SHA256:
                raise errors.XAmzContentSHA256Mismatch(
                    ClientComputedContentSHA256=payload,
                    S3ComputedContentSHA256=EMPTY_SHA256)
            return
        reader = VerifiedInput(req.environ['wsgi.input'], payload,
                               req.content_length)
        req.environ['wsgi.input'] = reader

    # -- errors ----------------------------------------------------------------
    def error_response(self, err: errors.S3Error,
                       request_id: str) -> S3Response:
        if err.status >= 500 and not isinstance(err, errors.NotImplemented):
            self.logger.warning('S3 %s: %s', err.code, request_id)
        return S3Response(err.status, err.headers,
                          err.body(request_id, _host_id(request_id)),
                          content_type='application/xml')


def _host_id(request_id: str) -> str:
    return binascii.b2a_base64(request_id.encode('ascii', 'replace'),
                               newline=False).decode('ascii')


def filter_factory(global_conf: Dict[str, str], **local_conf: str):
    raw = dict(global_conf, **local_conf)
    ignored = config.check_filter_names(local_conf)
    conf = config.load(raw)
    logger = get_logger(raw, log_route=conf.log_name)
    for warning in ignored:
        logger.warning(warning)
    if conf.auth_pipeline_check:
        pipeline.enforce(raw, logger)
    if conf.website_domain and not conf.s3_acl:
        raise config.ConfigError('[filter:swift3] website_domain needs '
                                 's3_acl = true: the website endpoint '
                                 'serves anonymous requests')
    register_sensitive_header('authorization')
    register_sensitive_param('Signature')
    register_sensitive_param('X-Amz-Signature')
    register_sensitive_param('X-Amz-Security-Token')
    register_swift_info('swift3compat', version=__version__,
                        location=conf.location,
                        max_bucket_listing=conf.max_bucket_listing,
                        max_multi_delete_objects=conf.max_multi_delete_objects,
                        max_upload_part_num=conf.max_upload_part_num,
                        min_segment_size=conf.min_segment_size,
                        allowable_clock_skew=conf.allowable_clock_skew,
                        s3_acl=conf.s3_acl)

    def factory(app):
        check_slo(conf, logger)
        return Swift3Middleware(app, conf, logger)
    return factory
