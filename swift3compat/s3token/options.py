"""The ``[filter:s3token]`` options: declared once (``OPTS``), parsed and
checked at start (split from ``middleware.py``, issue #17).

``parse_options`` types every option and makes the cross-option checks;
``check_option_names`` refuses a typo (the service-user names are those of
the keystoneauth1 plugin ``auth_type`` names); ``load_service_session``
builds the service user's keystoneauth1 session.  Anything wrong is an
``S3TokenConfigError`` naming the option (never echoing a secret), and the
proxy stops.
"""
from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping
from typing import Any

from keystoneauth1 import exceptions as ksa_exc
from keystoneauth1 import loading as ksa_loading
from keystoneauth1 import session as ksa_session
from oslo_config import cfg
from swift.common.wsgi import ConfigFileError

from swift3compat import config

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


class S3TokenConfigError(ConfigFileError):
    """A [filter:s3token] option is missing or wrong; the proxy stops."""


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
        plugin: Any = ksa_loading.get_plugin_loader(auth_type.strip())
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
        loader: Any = ksa_loading.get_plugin_loader(values['auth_type'])
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
