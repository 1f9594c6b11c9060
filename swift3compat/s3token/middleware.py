"""The ``s3token`` filter: Keystone EC2 credentials for S3 requests.

``swift3`` parses an S3 request's signature and publishes it in
``environ['swift3.auth_details']``; ``s3token`` turns it into a Keystone
identity.  It asks Keystone (``POST {auth_uri}/s3tokens``, authenticated with a
service token) whether the signature is right, then sets the identity headers
and ``keystone.token_info`` that ``keystoneauth`` authorizes with, and rewrites
the account segment of the Swift path from the access key to
``reseller_prefix + project_id``.  After a first success it keeps the user's EC2
secret, encrypted, in memcache (see ``secret_cache``) so later requests are
checked locally with ``auth_details['check_signature']`` -- which also lets
``swift3`` verify aws-chunked chunk signatures.

Enable it in ``proxy-server.conf``::

    [pipeline:main]
    pipeline = catch_errors proxy-logging cache swift3 s3token authtoken
               keystone proxy-logging proxy-server

    [filter:s3token]
    use = egg:swift3compat#s3token
    auth_uri = http://keystone.example.com:5000/v3
    memcache_secret_key = <long random string>
    # service credentials (any keystoneauth1 plugin; see auth_type)
    auth_type = password
    auth_url = http://keystone.example.com:5000/v3
    username = swift
    password = <password>
    user_domain_name = Default
    system_scope = all

``authtoken`` is optional.  keystonemiddleware's ``auth_token`` removes every
identity header and rejects a request without ``X-Auth-Token`` (or marks it
``Invalid`` with ``delay_auth_decision``), so when ``authtoken`` directly follows
``s3token``, requests that ``s3token`` authenticated are handed to the filter
*after* ``authtoken``; native Swift requests still go through it.  ``authtoken``
may also come before ``swift3`` (Swift's own layout) with
``delay_auth_decision = true``.

A revoked or deleted EC2 credential keeps working for at most
``secret_cache_duration`` seconds on proxies that cached it.
"""
from __future__ import annotations

import base64
import logging
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from keystoneauth1 import exceptions as ksa_exc
from keystonemiddleware import auth_token
from swift.common.swob import Response, str_to_wsgi
from swift.common.utils import cache_from_env, generate_trans_id, get_logger

from swift3compat import errors
from swift3compat.s3token import access as service_access
from swift3compat.s3token.options import (S3TokenConfigError,
                                          check_option_names,
                                          load_service_session, parse_options,
                                          reseller_prefix)
from swift3compat.s3token.secret_cache import CachedCredential, SecretCache

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]

# Identity a client could claim; removed from every request no earlier
# authtoken has vouched for (environ key prefixes, i.e. HTTP_ + header).
_IDENTITY_PREFIXES = (
    'HTTP_X_IDENTITY_STATUS', 'HTTP_X_SERVICE_', 'HTTP_X_USER',
    'HTTP_X_TENANT', 'HTTP_X_PROJECT', 'HTTP_X_DOMAIN', 'HTTP_X_ROLE',
    'HTTP_X_IS_ADMIN_PROJECT', 'HTTP_OPENSTACK_SYSTEM_SCOPE',
)
# Tokens stay on native Swift requests (authtoken needs them), but an
# S3 request never carries one.
_TOKEN_KEYS = ('HTTP_X_AUTH_TOKEN', 'HTTP_X_STORAGE_TOKEN',
               'HTTP_X_SERVICE_TOKEN')
_NATIVE_KEEP = ('HTTP_X_SERVICE_TOKEN',)

# The S3 errors s3token answers with.
S3_ERRORS = {cls.code: cls for cls in (errors.AccessDenied, errors.InvalidAccessKeyId,
                                        errors.SignatureDoesNotMatch,
                                        errors.ServiceUnavailable)}


class AuthFailure(Exception):
    """The request cannot be authenticated; ``code`` is an S3 error code."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code


def identity_headers(token: dict) -> dict[str, str]:
    """Return the identity headers auth_token would set for ``token``
    (a Keystone v3 token body)."""
    token = token['token']
    user, project = token['user'], token['project']
    roles = ','.join(role['name'] for role in token.get('roles', []))
    headers = {
        'X-Identity-Status': 'Confirmed',
        'X-Roles': roles,
        'X-User-Id': user['id'],
        'X-User-Name': user['name'],
        'X-User-Domain-Id': user['domain']['id'],
        'X-User-Domain-Name': user['domain']['name'],
        'X-Project-Id': project['id'],
        'X-Project-Name': project['name'],
        'X-Project-Domain-Id': project['domain']['id'],
        'X-Project-Domain-Name': project['domain']['name'],
        'X-Tenant-Id': project['id'],
        'X-Tenant-Name': project['name'],
    }
    if not all(isinstance(value, str) for value in headers.values()):
        raise ValueError('token has a non-string identity field')
    return headers


def rewrite_account(path_info: str, access_key: str,
                    account: str) -> str | None:
    """Replace the account segment of a WSGI ``/<version>/<access_key>/...``
    path with ``account``; None if that segment is not the access key.

    Only that segment is touched: the access key may also appear in a
    container or object name, and may itself contain ``/``.
    """
    version, sep, _rest = path_info[1:].partition('/')
    if not path_info.startswith('/') or not sep or not access_key:
        return None
    prefix = f'/{version}/{str_to_wsgi(access_key)}'
    tail = path_info[len(prefix):]
    if not path_info.startswith(prefix) or tail[:1] not in ('', '/'):
        return None
    return f'/{version}/{str_to_wsgi(account)}{tail}'


def s3_error(environ: dict, code: str) -> Response:
    """An AWS-style XML error response for ``code`` (see S3_ERRORS).

    The code is also left in ``environ['swift3.auth_error']`` for swift3.
    """
    error = S3_ERRORS[code]()
    request_id = environ.get('swift.trans_id') or generate_trans_id('')
    environ['swift3.auth_error'] = code
    return Response(status=error.status, body=error.body(request_id),
                    content_type='application/xml')


def _after_authtoken(app: WSGIApp) -> WSGIApp | None:
    """The app behind ``app`` if ``app`` is keystonemiddleware's auth_token;
    stop the proxy if auth_token sits further down, where it would undo
    s3token's work for every S3 request."""
    if isinstance(app, auth_token.BaseAuthProtocol):
        return app._app
    seen, depth, current = set(), 0, app
    while depth < 32 and id(current) not in seen:
        seen.add(id(current))
        current = getattr(current, 'app', None) or \
            getattr(current, '_app', None)
        if isinstance(current, auth_token.BaseAuthProtocol):
            raise S3TokenConfigError(
                'authtoken must come right after s3token (or before swift3 '
                'with delay_auth_decision = true): where it is now it would '
                'reject every request s3token authenticated')
        depth += 1
    return None


class S3Token:
    """WSGI filter authenticating swift3's requests against Keystone."""

    def __init__(self, app: WSGIApp, conf: Mapping[str, str],
                 logger: logging.Logger | logging.LoggerAdapter | None = None
                 ) -> None:
        values = parse_options(conf)
        self.app = app
        self.logger = logger or get_logger(dict(conf), log_route='s3token')
        self._downstream = _after_authtoken(app) or app
        self._reseller_prefix = reseller_prefix(values['reseller_prefix'])
        self._delay_auth_decision = values['delay_auth_decision']
        base = values['auth_uri'].rstrip('/')
        self._s3tokens_url = base + '/s3tokens'
        self._ec2_url = base + '/users/%s/credentials/OS-EC2/%s'
        self._session = load_service_session(conf, values)
        self._access_check = _access_check_args(conf, values, self.logger)
        self._cache = None
        if values['secret_cache_duration'] or \
                values['negative_cache_duration']:
            self._cache = SecretCache(values['memcache_secret_key'],
                                      values['secret_cache_duration'],
                                      values['negative_cache_duration'])
        self._warned: set[str] = set()

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        details = environ.get('swift3.auth_details') or \
            environ.get('s3api.auth_details')
        if environ.get('swift.authorize_override') and \
                'keystone.token_info' in environ:
            # swift3 reuses the identity of an earlier subrequest of the
            # same S3 request (doc/architecture.md): already authorized,
            # nothing for authtoken to do but undo it.
            if details is not None:
                self._rewrite(environ, details['access_key'],
                              environ['keystone.token_info'])
            return self._downstream(environ, start_response)
        if details is None:
            if 'keystone.token_info' not in environ:
                _purge(environ, _IDENTITY_PREFIXES, keep=_NATIVE_KEEP)
            return self.app(environ, start_response)
        _purge(environ, _IDENTITY_PREFIXES + _TOKEN_KEYS)
        try:
            token = self._authenticate(environ, details)
        except AuthFailure as failure:
            self.logger.info('s3token: access key %s: %s (%s)',
                             urllib.parse.quote(details['access_key']),
                             failure.code, failure)
            if self._delay_auth_decision and \
                    failure.code != 'ServiceUnavailable':
                return self.app(environ, start_response)
            return s3_error(environ, failure.code)(environ, start_response)
        for name, value in identity_headers(token).items():
            environ['HTTP_' + name.upper().replace('-', '_')] = \
                str_to_wsgi(value)
        environ['keystone.token_info'] = token
        self._rewrite(environ, details['access_key'], token)
        return self._downstream(environ, start_response)

    def _rewrite(self, environ: dict, access_key: str, token: dict) -> None:
        account = self._reseller_prefix + token['token']['project']['id']
        path = rewrite_account(environ['PATH_INFO'], access_key, account)
        if path is not None:
            environ['PATH_INFO'] = path

    def _authenticate(self, environ: dict, details: dict) -> dict:
        """Return the Keystone token of the request's signer or raise
        AuthFailure."""
        access_key = details['access_key']
        if not access_key:
            raise AuthFailure('InvalidAccessKeyId', 'empty access key')
        memcache = cache_from_env(environ, allow_none=True) \
            if self._cache else None
        check = details.get('check_signature')
        if memcache is None and self._cache:
            self._warn_once('no memcache', 'the cache filter is missing '
                            'from the pipeline: nothing is cached')
        if memcache is not None and self._cache.ttl and check:
            cached = self._cache.get(memcache, access_key)
            if cached is not None:
                if not check(cached.secret):
                    raise AuthFailure('SignatureDoesNotMatch',
                                      'cached secret rejects signature')
                return cached.token
        if memcache is not None and \
                self._cache.is_unknown(memcache, access_key):
            raise AuthFailure('InvalidAccessKeyId', 'negatively cached')
        try:
            token = self._validate(details)
        except AuthFailure as failure:
            if failure.code == 'InvalidAccessKeyId' and memcache is not None:
                self._cache.mark_unknown(memcache, access_key)
            raise
        if memcache is not None and self._cache.ttl and check:
            self._cache_secret(memcache, access_key, token, check)
        return token

    def _validate(self, details: dict) -> dict:
        """Ask Keystone's s3tokens API about the signature."""
        string_to_sign = details['string_to_sign']
        if isinstance(string_to_sign, str):
            string_to_sign = string_to_sign.encode('utf-8')
        body = {'credentials': {
            'access': details['access_key'],
            'token': base64.urlsafe_b64encode(string_to_sign).decode(),
            'signature': details['signature']}}
        status, reply = self._keystone('POST', self._s3tokens_url, body)
        if 200 <= status < 300:
            token = _v3_token(reply)
            if token is None:
                self.logger.error('s3token: Keystone s3tokens reply (HTTP '
                                  '%d) is not a v3 project token', status)
                raise AuthFailure('ServiceUnavailable', 'bad s3tokens reply')
            return token
        if status == 404:
            raise AuthFailure('InvalidAccessKeyId', 'Keystone: 404')
        if status == 401:
            raise AuthFailure(_classify_401(_error_message(reply)),
                              'Keystone: 401')
        if status == 400:
            raise AuthFailure('AccessDenied', 'Keystone: 400')
        self.logger.error('s3token: Keystone answered s3tokens with HTTP %d '
                          '(403: the service user lacks the service or '
                          'admin role)', status)
        raise AuthFailure('ServiceUnavailable', f'Keystone: {status}')

    def _cache_secret(self, memcache: Any, access_key: str, token: dict,
                      check: Callable[[str], bool]) -> None:
        """Fetch the EC2 secret, let swift3 derive its signing key from it
        and cache it with the identity."""
        url = self._ec2_url % (urllib.parse.quote(token['token']['user']['id'],
                                                  safe=''),
                               urllib.parse.quote(access_key, safe=''))
        try:
            status, reply = self._keystone('GET', url)
        except AuthFailure:
            return
        credential = reply.get('credential') \
            if status == 200 and isinstance(reply, dict) else None
        secret = credential.get('secret') \
            if isinstance(credential, dict) else None
        if not isinstance(secret, str):
            self._warn_once(f'secret {status}', self._read_failure(status))
            return
        if not check(secret):
            self.logger.error('s3token: the EC2 secret of access key %s does '
                              'not verify a signature Keystone accepted',
                              access_key)
            return
        self._cache.put(memcache, access_key,
                        CachedCredential(secret=secret, token=token))

    def _keystone(self, method: str, url: str,
                  body: dict | None = None) -> tuple[int, Any]:
        """Call Keystone with the service token; return (status, JSON or
        None).  Raise AuthFailure('ServiceUnavailable') if Keystone cannot
        be reached or the service user cannot log in."""
        try:
            resp = self._session.request(url, method, json=body,
                                         raise_exc=False, log=False,
                                         authenticated=True)
        except ksa_exc.HttpError as err:
            # raised while getting the service token
            self.logger.error('s3token: service user cannot get a token '
                              '(%s, HTTP %s)', type(err).__name__,
                              err.http_status)
            raise AuthFailure('ServiceUnavailable', 'service token') from None
        except ksa_exc.ClientException as err:
            self.logger.error('s3token: Keystone unreachable: %s: %s',
                              type(err).__name__, err)
            raise AuthFailure('ServiceUnavailable',
                              'Keystone unreachable') from None
        service_access.recheck_if_due(*self._access_check)
        try:
            return resp.status_code, resp.json()
        except ValueError:
            return resp.status_code, None

    def _read_failure(self, status: int) -> str:
        """The warning when an EC2 secret cannot be read, with the fix."""
        message = f'cannot read EC2 secrets (HTTP {status}): ' \
            f'{service_access.LOSS}'
        if status != 403:
            return message
        known = service_access.verdict(self._access_check[0])
        if known is not None and known.read_fix:
            return f'{message}; fix: {known.read_fix}'
        try:
            access = self._session.auth.get_access(self._session)
            fix = service_access.read_fix(service_access.Who.of(access))
        except Exception:  # only the message's detail is lost
            fix = ('give the service user the admin role on its project, or '
                   'the reader role on the system with system_scope = all')
        return f'{message}; fix: {fix}'

    def _warn_once(self, what: str, message: str) -> None:
        if what not in self._warned:
            self._warned.add(what)
            self.logger.warning('s3token: %s', message)


def _v3_token(reply: Any) -> dict | None:
    """Return the identity part of an s3tokens reply (catalog dropped), or
    None if the reply is not a v3 project-scoped token."""
    try:
        token = dict(reply['token'])
        identity_headers({'token': token})
    except (KeyError, TypeError, ValueError):
        return None
    token.pop('catalog', None)
    return {'token': token}


def _classify_401(message: str) -> str:
    """The S3 error for a Keystone 401 on s3tokens.

    Keystone hides the reason unless ``insecure_debug`` is on; a wrong secret
    is by far the usual cause, so only a specific reason that is not about the
    signature (disabled user or project, no role) gives AccessDenied.
    """
    text = message.lower()
    if not text or 'signature' in text or 'requires authentication' in text:
        return 'SignatureDoesNotMatch'
    return 'AccessDenied'


def _error_message(reply: Any) -> str:
    """The message of a Keystone error reply (for classification only)."""
    error = reply.get('error') if isinstance(reply, dict) else None
    message = error.get('message') if isinstance(error, dict) else None
    return message if isinstance(message, str) else ''


def _purge(environ: dict, prefixes: tuple[str, ...],
           keep: tuple[str, ...] = ()) -> None:
    for key in [k for k in environ
                if k.startswith(prefixes) and k not in keep]:
        del environ[key]


def _access_check_args(conf: Mapping[str, str], values: dict[str, Any],
                       logger: Any) -> tuple:
    """Arguments of ``service_access.at_start``/``recheck_if_due``: the
    check runs with its own short-lived session (never the filter's, whose
    connections forked workers inherit)."""
    check_values = dict(values, http_timeout=min(
        values['http_timeout'], service_access.CHECK_TIMEOUT))
    return (service_access.fingerprint(conf),
            lambda: load_service_session(conf, check_values),
            values['auth_uri'].rstrip('/'),
            bool(values['secret_cache_duration']), logger)


def filter_factory(global_conf: dict, **local_conf: str) -> Callable:
    """Paste entry point: ``use = egg:swift3compat#s3token``.

    Checks at once (bounded; Keystone being down does not stop the proxy)
    that the service user may do what s3token needs, and logs the fix
    otherwise (``s3token.access``).
    """
    warnings = check_option_names(local_conf, global_conf)
    conf = dict(global_conf, **local_conf)
    values = parse_options(conf)
    load_service_session(conf, values)      # option errors stop the proxy
    service_access.at_start(*_access_check_args(
        conf, values, get_logger(dict(conf), log_route='s3token')))

    def s3token_filter(app: WSGIApp) -> S3Token:
        s3token = S3Token(app, conf)
        for warning in warnings:
            s3token.logger.warning(warning)
        return s3token
    return s3token_filter
