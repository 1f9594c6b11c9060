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
import os
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from keystoneauth1 import exceptions as ksa_exc
from keystoneauth1 import loading as ksa_loading
from keystoneauth1 import session as ksa_session
from keystonemiddleware import auth_token
from oslo_config import cfg
from swift.common.swob import Response, str_to_wsgi
from swift.common.utils import cache_from_env, generate_trans_id, get_logger
from swift.common.wsgi import ConfigFileError

from swift3compat import config, errors
from swift3compat.s3token import access as service_access
from swift3compat.s3token.secret_cache import CachedCredential, SecretCache

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]

# Every option of [filter:s3token], declared once.  The service credentials
# are the options of the keystoneauth1 plugin named by auth_type (auth_url,
# username, password, user_domain_name, project_name, system_scope, ...).
OPTS = [
    cfg.URIOpt('auth_uri', schemes=['http', 'https'],
               help='Keystone v3 endpoint, e.g. http://keystone:5000/v3; '
                    's3token POSTs to {auth_uri}/s3tokens. Required.'),
    cfg.FloatOpt('http_timeout', default=10.0, min=0.1, max=60.0,
                 help='Seconds to wait for Keystone (0.1-60).'),
    cfg.BoolOpt('insecure', default=False,
                help='Skip TLS certificate checks of Keystone (true/false; '
                     'any other value stops the proxy).'),
    cfg.StrOpt('cafile',
               help='PEM CA bundle to verify Keystone with; default: the '
                    'system CAs.'),
    cfg.StrOpt('certfile',
               help='PEM client certificate to present to Keystone.'),
    cfg.StrOpt('keyfile',
               help='Private key of certfile, if not inside certfile.'),
    cfg.StrOpt('reseller_prefix', default='AUTH',
               help="Account prefix, as in keystoneauth; an underscore is "
                    "appended unless already there; '' means no prefix."),
    cfg.BoolOpt('delay_auth_decision', default=False,
                help='On a rejected signature or unknown access key, pass '
                     'the request on unauthenticated instead of answering; '
                     'Keystone outages still get 503.'),
    cfg.IntOpt('secret_cache_duration', default=60, min=0, max=3600,
               help='Seconds an EC2 secret and identity stay cached '
                    '(encrypted) in memcache; a revoked credential works '
                    'this long. 0 disables the cache and aws-chunked '
                    'signature checks.'),
    cfg.IntOpt('negative_cache_duration', default=10, min=0, max=300,
               help='Seconds an access key that Keystone does not know is '
                    'refused without asking Keystone again. 0 disables.'),
    cfg.StrOpt('memcache_secret_key', secret=True,
               help='Secret (16+ characters) the cache encryption keys are '
                    'derived from; required when a cache duration is > 0. '
                    'Use the same value on every proxy.'),
    cfg.StrOpt('auth_type', default='password',
               help='keystoneauth1 plugin of the service user whose token '
                    'authorizes the s3tokens and EC2-secret calls.'),
]

_MIN_SECRET_KEY_CHARS = 16

# Options of swift3's and Swift's s3token that swift3compat does not read.
RETIRED_OPTS = {
    name: 'put the Keystone URL, with its version, in auth_uri (e.g. '
          'auth_uri = https://keystone:5000/v3)'
    for name in ('auth_host', 'auth_port', 'auth_protocol', 'auth_version')}
IGNORED_OPTS = {
    'region_name': "Swift's s3token option; s3token calls auth_uri and "
                   'needs no region',
}

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


class S3TokenConfigError(ConfigFileError):
    """A [filter:s3token] option is missing or wrong; the proxy stops."""


class AuthFailure(Exception):
    """The request cannot be authenticated; ``code`` is an S3 error code."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code


def parse_options(conf: Mapping[str, str]) -> dict[str, Any]:
    """Return the typed value of every option in ``OPTS``.

    Empty values mean the default; anything a type rejects raises
    S3TokenConfigError naming the option (never echoing a secret).
    """
    values = {}
    for opt in OPTS:
        raw = conf.get(opt.name)
        if raw is None or not str(raw).strip():
            values[opt.dest] = opt.default
            continue
        try:
            values[opt.dest] = opt.type(str(raw).strip())
        except ValueError as err:
            shown = '<hidden>' if opt.secret else repr(raw)
            reason = err.args[0] if err.args else err
            raise S3TokenConfigError(
                f'[filter:s3token] {opt.name} = {shown}: {reason}') from None
    _check_options(values)
    return values


def _check_options(values: dict[str, Any]) -> None:
    """Cross-option checks that a single option type cannot make."""
    uri = values['auth_uri']
    if not uri:
        raise S3TokenConfigError(
            '[filter:s3token] auth_uri is required (Keystone v3 endpoint, '
            'e.g. http://keystone:5000/v3)')
    parts = urllib.parse.urlsplit(uri)
    if not parts.hostname or parts.query or parts.fragment \
            or '@' in parts.netloc:
        raise S3TokenConfigError(
            f'[filter:s3token] auth_uri = {uri!r}: needs a host and no '
            'user, query or fragment')
    for name in ('cafile', 'certfile', 'keyfile'):
        if values[name] and not os.path.isfile(values[name]):
            raise S3TokenConfigError(
                f'[filter:s3token] {name} = {values[name]!r}: no such file')
    if values['keyfile'] and not values['certfile']:
        raise S3TokenConfigError(
            '[filter:s3token] keyfile needs certfile')
    caching = values['secret_cache_duration'] or \
        values['negative_cache_duration']
    key = values['memcache_secret_key']
    if caching and (not key or len(key) < _MIN_SECRET_KEY_CHARS):
        raise S3TokenConfigError(
            '[filter:s3token] memcache_secret_key must be set (at least '
            f'{_MIN_SECRET_KEY_CHARS} characters, the same on every proxy) '
            'while secret_cache_duration or negative_cache_duration is > 0')


def check_option_names(local_conf: Mapping[str, str],
                       global_conf: Mapping[str, str]) -> list[str]:
    """Refuse an unknown name in the section (``local_conf``): a typo such
    as ``http_timout``.  The service-user names are those of the
    keystoneauth1 plugin ``auth_type`` names (an unknown plugin is reported
    by :func:`load_service_session`).  Returns warnings for options
    accepted and ignored."""
    auth_type = local_conf.get('auth_type') or \
        global_conf.get('auth_type') or 'password'
    try:
        plugin = ksa_loading.get_plugin_loader(auth_type.strip())
    except ksa_exc.NoMatchingPlugin:
        return []
    known = {opt.name for opt in OPTS} | \
        {opt.dest for opt in plugin.get_options()}
    try:
        return config.check_names(
            local_conf, known, config.filter_section(local_conf, 's3token'),
            ignored=IGNORED_OPTS, retired=RETIRED_OPTS)
    except config.ConfigError as err:
        raise S3TokenConfigError(str(err)) from None


def reseller_prefix(value: str) -> str:
    """Normalize a reseller prefix the way keystoneauth does (``''`` is the
    empty prefix)."""
    if value in ("''", '""'):
        return ''
    return value if value.endswith('_') else value + '_'


def load_service_session(conf: Mapping[str, str],
                         values: dict[str, Any]) -> ksa_session.Session:
    """Build the keystoneauth1 session of the service user from options."""
    try:
        loader = ksa_loading.get_plugin_loader(values['auth_type'])
    except ksa_exc.NoMatchingPlugin:
        raise S3TokenConfigError(
            f"[filter:s3token] auth_type = {values['auth_type']!r}: no such "
            'keystoneauth1 plugin') from None

    def getter(opt: ksa_loading.Opt) -> Any:
        raw = conf.get(opt.dest)
        if raw is None or not str(raw).strip():
            return opt.default
        try:
            return opt.type(str(raw).strip())
        except ValueError as err:
            raise S3TokenConfigError(
                f'[filter:s3token] {opt.dest}: {err}') from None

    try:
        auth = loader.load_from_options_getter(getter)
    except ksa_exc.MissingRequiredOptions as err:
        names = ', '.join(o.dest for o in err.options)
        raise S3TokenConfigError(
            f'[filter:s3token] the service user is not configured: set '
            f'{names} (Keystone refuses s3tokens calls without a service '
            'token)') from None
    if values['insecure']:
        verify: Any = False
    else:
        verify = values['cafile'] or True
    cert = values['certfile']
    if cert and values['keyfile']:
        cert = (cert, values['keyfile'])
    return ksa_session.Session(auth=auth, verify=verify, cert=cert,
                               timeout=values['http_timeout'],
                               user_agent='swift3compat-s3token')


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
