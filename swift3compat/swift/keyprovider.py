"""Where SSE-S3 and SSE-KMS keys come from: one small interface, two providers.

``KeyProvider`` answers three questions for ``swift3compat.swift.crypto``:

* ``root_secret(secret_id)``: the root secret SSE-S3 object keys (and the
  container keys that protect listing ETags of every encrypted object) are
  derived from, per secret id, with ``active_secret_id`` the one new
  objects use (rotation: add a new id, make it active, keep the old ones);
* ``resolve_kms_key_id(requested)``: the key id an SSE-KMS write uses
  (``None``: the provider's default key), or ``UnknownKey``;
* ``kms_key(key_id)``: that key's bytes (at least 32), or ``UnknownKey``.

Providers (``key_provider`` in ``[filter:sse]``):

``keyfile``
    an INI file (``key_file``), for the all-in-one and the tests::

        [sse]
        root_secret = <base64 of >= 32 random bytes>
        root_secret_2026 = <base64>          # another secret id
        active_root_secret_id = 2026         # absent: the unnamed one
        default_kms_key_id = s3-default

        [kms_key:s3-default]
        secret = <base64 of >= 32 random bytes>

``castellan``
    Barbican (or any castellan backend) through castellan, as Swift's
    ``kms_keymaster`` does: the root secret(s) and every KMS key are
    symmetric AES keys of at least 256 bits stored in the key manager and
    read with the proxy's service credentials; an S3 KMS key id is the
    key manager's secret id (uuid), optionally allow-listed.
"""
from __future__ import annotations

import base64
import binascii
import configparser
import threading
import time
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

MIN_SECRET_BYTES = 32


class UnknownKey(LookupError):
    """No such key (or not one this proxy may use)."""


class KeyProviderError(ValueError):
    """A provider configuration that cannot work."""


def _secret(value: str, what: str) -> bytes:
    try:
        secret = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        secret = b''
    if len(secret) < MIN_SECRET_BYTES:
        raise KeyProviderError('%s must be the base64 encoding of at least '
                               '%d random bytes' % (what, MIN_SECRET_BYTES))
    return secret


def _multikey(conf: Mapping[str, str], name: str
              ) -> List[Tuple[Optional[str], str]]:
    """``name`` and ``name_<id>`` options → [(id or None, value)]."""
    out: List[Tuple[Optional[str], str]] = []
    for option, value in conf.items():
        if option == name:
            out.append((None, value))
        elif option.startswith(name + '_') and len(option) > len(name) + 1:
            out.append((option[len(name) + 1:], value))
    return out


class KeyProvider:
    """The interface; see the module docstring.  Each provider fills
    ``_roots`` (secret id -> root secret) in its constructor."""

    active_secret_id: Optional[str] = None
    _roots: Dict[Optional[str], bytes]

    def root_secret(self, secret_id: Optional[str]) -> bytes:
        try:
            return self._roots[secret_id]
        except KeyError:
            raise UnknownKey('root secret %s' % secret_id) from None

    @property
    def secret_ids(self) -> List[Optional[str]]:
        return sorted(self._roots, key=lambda s: s or '')

    def resolve_kms_key_id(self, requested: Optional[str]) -> str:
        raise NotImplementedError

    def kms_key(self, key_id: str) -> bytes:
        raise NotImplementedError


class StaticKeyProvider(KeyProvider):
    """Keys given as bytes (what ``keyfile`` reads; tests build it)."""

    def __init__(self, root_secrets: Mapping[Optional[str], bytes],
                 active_secret_id: Optional[str] = None,
                 kms_keys: Optional[Mapping[str, bytes]] = None,
                 default_kms_key_id: Optional[str] = None) -> None:
        if not root_secrets:
            raise KeyProviderError('no root secret configured')
        if active_secret_id not in root_secrets:
            raise KeyProviderError('no root secret for active_root_secret_id '
                                   '%s' % active_secret_id)
        for secret in list(root_secrets.values()) + \
                list((kms_keys or {}).values()):
            if len(secret) < MIN_SECRET_BYTES:
                raise KeyProviderError('keys must be at least %d bytes'
                                       % MIN_SECRET_BYTES)
        self._roots = dict(root_secrets)
        self.active_secret_id = active_secret_id
        self._kms = dict(kms_keys or {})
        if default_kms_key_id is not None and \
                default_kms_key_id not in self._kms:
            raise KeyProviderError('default_kms_key_id %s has no key'
                                   % default_kms_key_id)
        self.default_kms_key_id = default_kms_key_id

    def resolve_kms_key_id(self, requested: Optional[str]) -> str:
        key_id = requested or self.default_kms_key_id
        if key_id is None or key_id not in self._kms:
            raise UnknownKey(key_id or 'default')
        return key_id

    def kms_key(self, key_id: str) -> bytes:
        try:
            return self._kms[key_id]
        except KeyError:
            raise UnknownKey(key_id) from None


def load_key_file(path: str) -> StaticKeyProvider:
    parser = configparser.RawConfigParser()
    parser.optionxform = str            # type: ignore[assignment]
    try:
        with open(path) as f:
            parser.read_file(f)
    except OSError as exc:
        raise KeyProviderError('cannot read key_file %s: %s'
                               % (path, exc.strerror)) from None
    if not parser.has_section('sse'):
        raise KeyProviderError('key_file %s has no [sse] section' % path)
    section = dict(parser.items('sse'))
    roots = {sid: _secret(value, '%s: root_secret%s' % (
        path, '_' + sid if sid else ''))
        for sid, value in _multikey(section, 'root_secret')}
    kms = {}
    for name in parser.sections():
        if name.startswith('kms_key:'):
            key_id = name[len('kms_key:'):]
            kms[key_id] = _secret(parser.get(name, 'secret', fallback=''),
                                  '%s: [%s] secret' % (path, name))
    try:
        return StaticKeyProvider(
            roots, section.get('active_root_secret_id') or None, kms,
            section.get('default_kms_key_id') or None)
    except KeyProviderError as exc:
        raise KeyProviderError('%s: %s' % (path, exc)) from None


class CastellanKeyProvider(KeyProvider):
    """Keys read from a castellan key manager (Barbican), cached a while.

    ``manager`` and ``context`` are castellan's ``KeyManager`` and the
    credentials object; ``from_conf`` builds them as Swift's
    ``kms_keymaster`` does.  Root secrets are read at start (a proxy that
    cannot read them must not serve encrypted objects); KMS keys on first
    use, then kept ``cache_seconds``.
    """

    def __init__(self, manager: Any, context: Any,
                 root_key_ids: Mapping[Optional[str], str],
                 active_secret_id: Optional[str] = None,
                 default_kms_key_id: Optional[str] = None,
                 allowed_kms_key_ids: Optional[List[str]] = None,
                 cache_seconds: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not root_key_ids:
            raise KeyProviderError('castellan: no root_key_id configured')
        if active_secret_id not in root_key_ids:
            raise KeyProviderError('castellan: no root_key_id for '
                                   'active_root_secret_id %s'
                                   % active_secret_id)
        self.manager = manager
        self.context = context
        self.active_secret_id = active_secret_id
        self.default_kms_key_id = default_kms_key_id
        self.allowed = set(allowed_kms_key_ids) \
            if allowed_kms_key_ids is not None else None
        self.cache_seconds = cache_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._cache: Dict[str, Tuple[float, bytes]] = {}
        self._roots = {sid: self._fetch(key_id)
                       for sid, key_id in root_key_ids.items()}

    def _fetch(self, key_id: str) -> bytes:
        try:
            key = self.manager.get(self.context, key_id)
        except Exception as exc:            # castellan raises many kinds
            if type(exc).__name__ in ('ManagedObjectNotFoundError',
                                      'KeyManagerError'):
                raise UnknownKey(key_id) from None
            raise
        if key is None:
            raise UnknownKey(key_id)
        algorithm = (getattr(key, 'algorithm', '') or '').lower()
        encoded = key.get_encoded() if hasattr(key, 'get_encoded') else None
        if isinstance(encoded, str):
            encoded = encoded.encode('utf-8')
        if algorithm != 'aes' or not encoded or \
                len(encoded) < MIN_SECRET_BYTES or \
                getattr(key, 'format', 'RAW') != 'RAW':
            raise UnknownKey('%s is not a RAW AES key of at least 256 bits'
                             % key_id)
        return encoded

    def resolve_kms_key_id(self, requested: Optional[str]) -> str:
        key_id = requested or self.default_kms_key_id
        if key_id is None:
            raise UnknownKey('default')
        if self.allowed is not None and key_id not in self.allowed and \
                key_id != self.default_kms_key_id:
            raise UnknownKey(key_id)
        self.kms_key(key_id)        # exists and is usable
        return key_id

    def kms_key(self, key_id: str) -> bytes:
        now = self.clock()
        with self._lock:
            hit = self._cache.get(key_id)
            if hit is not None and hit[0] > now:
                return hit[1]
        secret = self._fetch(key_id)
        with self._lock:
            self._cache[key_id] = (now + self.cache_seconds, secret)
        return secret

    @classmethod
    def from_conf(cls, conf: Mapping[str, str]) -> 'CastellanKeyProvider':
        """Build from ``[filter:sse]`` options (castellan's own names, as
        ``kms_keymaster`` takes them)."""
        try:
            from castellan import key_manager, options
            from castellan.common.credentials import keystone_password
            from oslo_config import cfg
        except ImportError:
            raise KeyProviderError('key_provider = castellan needs the '
                                   'castellan package (pip install '
                                   'castellan)') from None
        context = keystone_password.KeystonePassword(
            auth_url=conf.get('auth_endpoint'),
            username=conf.get('username'), password=conf.get('password'),
            project_name=conf.get('project_name'),
            user_domain_name=conf.get('user_domain_name'),
            project_domain_name=conf.get('project_domain_name'),
            user_id=conf.get('user_id'),
            user_domain_id=conf.get('user_domain_id'),
            trust_id=conf.get('trust_id'), domain_id=conf.get('domain_id'),
            domain_name=conf.get('domain_name'),
            project_id=conf.get('project_id'),
            project_domain_id=conf.get('project_domain_id'),
            reauthenticate=conf.get('reauthenticate'))
        oslo_conf = cfg.ConfigOpts()
        options.set_defaults(oslo_conf,
                             auth_endpoint=conf.get('auth_endpoint'),
                             barbican_endpoint=conf.get('barbican_endpoint'),
                             api_class=conf.get('api_class'))
        manager = key_manager.API(oslo_conf)
        return cls.from_manager(manager, context, conf)

    @classmethod
    def from_manager(cls, manager: Any, context: Any,
                     conf: Mapping[str, str]) -> 'CastellanKeyProvider':
        allowed = conf.get('kms_key_ids', '').strip()
        return cls(
            manager, context, dict(_multikey(conf, 'root_key_id')),
            conf.get('active_root_secret_id') or None,
            conf.get('default_kms_key_id') or None,
            [k.strip() for k in allowed.split(',') if k.strip()]
            if allowed else None,
            float(conf.get('key_cache_seconds', '300')))


PROVIDERS = ('keyfile', 'castellan')


def from_conf(conf: Mapping[str, str]) -> KeyProvider:
    """The provider ``[filter:sse]`` names."""
    kind = (conf.get('key_provider') or 'keyfile').strip()
    if kind == 'keyfile':
        path = (conf.get('key_file') or '').strip()
        if not path:
            raise KeyProviderError('[filter:sse] key_provider = keyfile '
                                   'needs key_file')
        return load_key_file(path)
    if kind == 'castellan':
        return CastellanKeyProvider.from_conf(conf)
    raise KeyProviderError('[filter:sse] key_provider = %s: expected one of '
                           '%s' % (kind, ', '.join(PROVIDERS)))
