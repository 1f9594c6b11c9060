"""The ``sse`` Paste filter: S3 server-side encryption keys for Swift's encrypter.

Swift's ``encryption`` filter (encrypter + decrypter) already does everything
at rest: AES-CTR bodies under a random per-object body key wrapped by the
object key, encrypted ETags and user metadata, ranged reads, encrypted
listing ETags.  It asks for keys through ``env['swift.callback.fetch_crypto_
keys']``, normally installed by a keymaster.  This filter is that keymaster
for S3 objects; it sits just before ``encryption`` (after a cluster
``keymaster``/``kms_keymaster`` if there is one)::

    pipeline = ... swift3 tempauth copy slo dlo versioned_writes symlink
               [keymaster] sse encryption proxy-logging proxy-server

What a write gets is said by the object's own sysmeta on the PUT, which
``swift3`` sets from the S3 request (x-amz-server-side-encryption*, bucket
default encryption) and which Swift carries wherever the object goes
(copies, versions, multipart parts and manifests):

* ``X-Object-Sysmeta-S3c-Sse: AES256``: SSE-S3, object key
  HMAC(root secret, path);
* ``X-Object-Sysmeta-S3c-Sse: aws:kms`` (+ ``-Kms-Key-Id``, ``-Context``):
  SSE-KMS, object key HMAC(KMS key, path, context digest);
* ``X-Object-Sysmeta-S3c-Sse-C-Key-Mac``: SSE-C, the object key is the
  client's key, found in the request's key ring (below) by its salted MAC.

The key id Swift's encrypter stores with the object's crypto metadata names
the mode (``{'s3c': '1', 'm': 'S3'|'KMS'|'C', ...}``), so reads need nothing
from swift3 except SSE-C keys: swift3 puts the keys of one S3 request (the
object's and the copy source's) in the request's ``swift.infocache`` under
``KEY_RING``, the one environment entry that Swift shares with every
subrequest (copy's source GET, SLO segment reads, object versioning's moves).

Everything else is left alone: with a cluster keymaster before this filter
its callback serves every non-S3-SSE object (it is called for key ids that
are not ours); without one, writes that ask for nothing stay plaintext
(``swift.crypto.override``), so objects written before encryption was
configured, and those written without it, keep being read as they are.

A GET whose object was encrypted with an SSE-C key the request does not hold
is answered here, 403 (wrong key) or 400 (no key), without a byte of the
body (``X-Backend-S3c-Sse-Refused`` says which); a write naming a KMS key the
provider does not have is answered 400 the same way.
"""
from __future__ import annotations

import hashlib
import hmac
import os
from typing import Any, Callable, Dict, List, Mapping, Optional

from swift.common.exceptions import UnknownSecretIdError
from swift.common.middleware.crypto.crypto_utils import (
    CRYPTO_KEY_CALLBACK, Crypto, append_crypto_meta, dump_crypto_meta)
from swift.common.middleware.crypto.encrypter import encrypt_header_val
from swift.common.request_helpers import (get_object_transient_sysmeta,
                                          is_user_meta,
                                          strip_user_meta_prefix)
from swift.common.swob import Request, wsgi_to_str
from swift.common.utils import get_logger, split_path
from swift.common.wsgi import WSGIContext

from swift3compat.model import encryption
from swift3compat.swift import keyprovider, sysmeta

# -- the stored names (swift/sysmeta.py) ----------------------------------------
SSE = sysmeta.SSE
SSE_KMS_KEY_ID = sysmeta.SSE_KMS_KEY_ID
SSE_CONTEXT = sysmeta.SSE_CONTEXT
SSE_BUCKET_KEY = sysmeta.SSE_BUCKET_KEY
SSE_CUSTOMER_MAC = sysmeta.SSE_CUSTOMER_MAC
SSE_ETAG = sysmeta.SSE_ETAG
SSE_HEADERS = (SSE, SSE_KMS_KEY_ID, SSE_CONTEXT, SSE_BUCKET_KEY,
               SSE_CUSTOMER_MAC)
_ENV = {name: 'HTTP_' + name.upper().replace('-', '_') for name in SSE_HEADERS}

# infocache entry: the SSE-C keys of the S3 request (a KeyRing)
KEY_RING = 'swift3compat.sse.keys'
# response headers from this filter to swift3
REFUSED = 'X-Backend-S3c-Sse-Refused'       # missing-key / wrong-key /
#                                             unknown-kms-key / unavailable
RESOLVED_KMS_KEY_ID = 'X-Backend-S3c-Sse-Kms-Key-Id'

KEY_ID_MARK = 's3c'
MODE_S3, MODE_KMS, MODE_C = 'S3', 'KMS', 'C'


class KeyRing:
    """SSE-C keys one S3 request presented (its own, the copy source's)."""

    def __init__(self) -> None:
        self._keys: List[encryption.CustomerKey] = []

    def add(self, key: Optional[encryption.CustomerKey]) -> None:
        if key is not None and key not in self._keys:
            self._keys.append(key)

    def find(self, mac: str) -> Optional[bytes]:
        for key in self._keys:
            if key.matches(mac):
                return key.key
        return None

    def __bool__(self) -> bool:
        return bool(self._keys)

    def __repr__(self) -> str:
        return 'KeyRing(%d keys)' % len(self._keys)


def key_ring(env: Dict[str, Any]) -> KeyRing:
    """The request's key ring (created on first use); ``env`` is the S3
    request's environment or any of its subrequests'."""
    infocache = env.setdefault('swift.infocache', {})
    ring = infocache.get(KEY_RING)
    if ring is None:
        ring = infocache[KEY_RING] = KeyRing()
    return ring


def write_headers(stored: encryption.Stored) -> Dict[str, str]:
    """The sysmeta a write carries for ``stored`` (every name, '' for the
    absent ones, so that a copy does not inherit its source's)."""
    return {
        SSE: stored.algorithm or '',
        SSE_KMS_KEY_ID: stored.kms_key_id or '',
        SSE_CONTEXT: stored.context or '',
        SSE_BUCKET_KEY: 'true' if stored.bucket_key else '',
        SSE_CUSTOMER_MAC: stored.customer_mac or '',
    }


_PLAIN = encryption.Stored()


def stored_from(headers: Mapping[str, str]) -> encryption.Stored:
    """What an object's (HEAD/GET response) headers say about its SSE."""
    algorithm = headers.get(SSE) or None
    if algorithm is None and not headers.get(SSE_CUSTOMER_MAC):
        return _PLAIN
    return encryption.Stored(
        algorithm, headers.get(SSE_KMS_KEY_ID) or None,
        headers.get(SSE_CONTEXT) or None,
        True if headers.get(SSE_BUCKET_KEY) == 'true' else None,
        headers.get(SSE_CUSTOMER_MAC) or None)


def _hmac(key: bytes, label: bytes, *parts: str) -> bytes:
    message = label + b'\0' + b'\0'.join(p.encode('utf-8') for p in parts)
    return hmac.new(key, message, hashlib.sha256).digest()


class _Write:
    """What one PUT/POST asks for, from its sysmeta headers."""

    __slots__ = ('mode', 'kms_key_id', 'context', 'customer_mac')

    def __init__(self, mode: str, kms_key_id: Optional[str] = None,
                 context: Optional[str] = None,
                 customer_mac: Optional[str] = None) -> None:
        self.mode = mode
        self.kms_key_id = kms_key_id
        self.context = context
        self.customer_mac = customer_mac


def _write_of(env: Dict[str, Any]) -> Optional[_Write]:
    mac = env.get(_ENV[SSE_CUSTOMER_MAC])
    if mac:
        return _Write(MODE_C, customer_mac=mac)
    algorithm = env.get(_ENV[SSE])
    if not algorithm:
        return None
    if algorithm == encryption.AES256:
        return _Write(MODE_S3)
    return _Write(MODE_KMS, env.get(_ENV[SSE_KMS_KEY_ID]) or None,
                  env.get(_ENV[SSE_CONTEXT]) or None)


class Refused(Exception):
    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class _Keys:
    """The ``fetch_crypto_keys`` callback of one request."""

    def __init__(self, master: 'SSEKeyMaster', env: Dict[str, Any],
                 account: str, container: Optional[str],
                 obj: Optional[str], write: Optional[_Write],
                 delegate: Optional[Callable]) -> None:
        self.master = master
        self.env = env
        self.account = account
        self.container = container
        self.obj = obj
        self.write = write
        self.delegate = delegate
        self.refused: Optional[Refused] = None
        self.resolved_kms_key_id: Optional[str] = None
        self.plain_read = env['REQUEST_METHOD'] in ('GET', 'HEAD') and \
            'HTTP_IF_MATCH' not in env and 'HTTP_IF_NONE_MATCH' not in env

    # key ids ------------------------------------------------------------------
    def _path(self) -> str:
        return '/' + '/'.join(p for p in (self.account, self.container,
                                          self.obj) if p is not None)

    def _new_id(self) -> Dict[str, str]:
        provider = self.master.provider
        key_id = {KEY_ID_MARK: '1', 'p': self._path()}
        if provider.active_secret_id is not None:
            key_id['s'] = provider.active_secret_id
        write = self.write
        if write is None or write.mode == MODE_S3:
            key_id['m'] = MODE_S3
        elif write.mode == MODE_KMS:
            key_id['m'] = MODE_KMS
            key_id['k'] = self._kms_key_id(write.kms_key_id)
            digest = encryption.context_digest(write.context)
            if digest:
                key_id['x'] = digest
        else:
            key_id['m'] = MODE_C
            key_id['c'] = write.customer_mac or ''
        return key_id

    def _kms_key_id(self, requested: Optional[str]) -> str:
        if self.resolved_kms_key_id is None:
            try:
                self.resolved_kms_key_id = \
                    self.master.provider.resolve_kms_key_id(requested)
            except keyprovider.UnknownKey:
                raise Refused('unknown-kms-key', 400) from None
        return self.resolved_kms_key_id

    # keys -----------------------------------------------------------------------
    def _keys_for(self, key_id: Dict[str, str]) -> Dict[str, Any]:
        provider = self.master.provider
        try:
            root = provider.root_secret(key_id.get('s'))
        except keyprovider.UnknownKey:
            raise UnknownSecretIdError(key_id.get('s')) from None
        path = key_id['p']
        parts = path.split('/', 3)          # '', account, container, object
        keys: Dict[str, Any] = {'id': key_id, 'all_ids': [key_id]}
        if self.container is None:
            return keys
        keys['container'] = _hmac(root, b'sse-s3-container',
                                  '/'.join(parts[:3]))
        if self.obj is None:
            return keys
        mode = key_id.get('m')
        if mode == MODE_S3:
            keys['object'] = _hmac(root, b'sse-s3', path)
        elif mode == MODE_KMS:
            try:
                kms = provider.kms_key(key_id['k'])
            except keyprovider.UnknownKey:
                self.master.logger.error('SSE-KMS key %s is unavailable',
                                         key_id.get('k'))
                raise Refused('unavailable', 503) from None
            keys['object'] = _hmac(kms, b'sse-kms', path, key_id.get('x', ''))
        elif mode == MODE_C:
            ring = self.env.get('swift.infocache', {}).get(KEY_RING)
            key = ring.find(key_id.get('c', '')) if ring else None
            if key is None:
                if self.refused is None:
                    self.refused = Refused(
                        'wrong-key' if ring else 'missing-key',
                        403 if ring else 400)
                key = os.urandom(32)        # decrypts nothing: refused
            keys['object'] = key
        else:
            raise ValueError('unknown S3 SSE mode %r' % mode)
        return keys

    def __call__(self, key_id: Optional[Dict[str, str]] = None,
                 *args: Any, **kwargs: Any) -> Dict[str, Any]:
        if key_id:
            if key_id.get(KEY_ID_MARK) is None:
                if self.delegate is None:
                    raise UnknownSecretIdError(key_id.get('secret_id'))
                return self.delegate(key_id, *args, **kwargs)
            return self._keys_for(key_id)
        if self.write is None and self.delegate is not None:
            keys = dict(self.delegate(None, *args, **kwargs))
            keys['all_ids'] = list(keys.get('all_ids', [])) + \
                self._other_ids(None)
            return keys
        if self.plain_read:
            # the decrypter asks with no key id for unencrypted objects only:
            # nothing will be decrypted, and no condition compares ETag MACs
            return self.master.plain_keys
        key_id = self._new_id()
        keys = self._keys_for(key_id)
        keys['all_ids'] = [key_id] + self._other_ids(key_id)
        return keys

    def _other_ids(self, current: Optional[Dict[str, str]]
                   ) -> List[Dict[str, str]]:
        """SSE-S3 ids under the other root secrets (conditional requests
        compare ETag MACs made under any of them)."""
        if self.write is not None:
            return []
        out = []
        for sid in self.master.provider.secret_ids:
            key_id = {KEY_ID_MARK: '1', 'p': self._path(), 'm': MODE_S3}
            if sid is not None:
                key_id['s'] = sid
            if key_id != current:
                out.append(key_id)
        return out


class SSEKeyMaster:
    """See the module docstring."""

    def __init__(self, app: Any, conf: Mapping[str, str],
                 provider: Optional[keyprovider.KeyProvider] = None) -> None:
        self.app = app
        self.logger = get_logger(dict(conf), log_route='sse')
        self.provider = provider or keyprovider.from_conf(conf)
        self.crypto = Crypto(conf)
        plain_id = {KEY_ID_MARK: '1', 'm': 'none'}
        self.plain_keys = {'object': os.urandom(32),
                           'container': os.urandom(32),
                           'id': plain_id, 'all_ids': [plain_id]}

    def server_keys(self, env: Dict[str, Any], account: str,
                    container: Optional[str], obj: Optional[str]
                    ) -> Dict[str, Any]:
        """SSE-S3 keys of a path (what object metadata of SSE-C objects
        and metadata-only POSTs are encrypted with)."""
        keys = _Keys(self, env, account, container, obj, None, None)
        return keys._keys_for(keys._new_id())

    def encrypt_metadata_for_server(self, env: Dict[str, Any],
                                    keys: Dict[str, Any]) -> None:
        """User metadata under server keys, as the encrypter would write
        it (its own helpers, its header names), before the encrypter sees
        the request: SSE-C objects keep metadata the server can read without
        the client's key (AWS does not encrypt metadata with it), so that
        metadata-only updates (tagging, ACLs) keep it."""
        req = Request(env)
        prefix = get_object_transient_sysmeta('crypto-meta-')
        crypto_meta = None
        for name, value in list(req.headers.items()):
            if not value or not is_user_meta('object', name):
                continue
            enc_val, crypto_meta = encrypt_header_val(
                self.crypto, value, keys['object'])
            req.headers[prefix + strip_user_meta_prefix('object', name)] = \
                append_crypto_meta(enc_val, crypto_meta)
            req.headers.pop(name)
        if crypto_meta:
            req.headers[get_object_transient_sysmeta('crypto-meta')] = \
                dump_crypto_meta({'cipher': crypto_meta['cipher'],
                                  'key_id': keys['id']})

    def __call__(self, env: Dict[str, Any], start_response: Callable):
        method = env['REQUEST_METHOD']
        if method not in ('GET', 'HEAD', 'PUT', 'POST'):
            return self.app(env, start_response)
        try:
            _, account, container, obj = split_path(
                env['PATH_INFO'], 3, 4, True)
        except ValueError:
            return self.app(env, start_response)
        delegate = env.get(CRYPTO_KEY_CALLBACK)
        write = None
        if method in ('PUT', 'POST') and obj is not None:
            write = _write_of(env)
            if write is None and delegate is None:
                if method == 'PUT':
                    # nothing asked, no cluster keymaster: stays plaintext
                    env['swift.crypto.override'] = True
                    return self.app(env, start_response)
                # POST: user metadata under the server's own keys
        names = (wsgi_to_str(account), container and wsgi_to_str(container),
                 obj and wsgi_to_str(obj))
        keys = _Keys(self, env, *names, write, delegate)
        if write is not None and write.mode == MODE_C and method == 'PUT':
            self.encrypt_metadata_for_server(
                env, self.server_keys(env, *names))
        env[CRYPTO_KEY_CALLBACK] = keys
        if write is None:
            if method != 'GET':
                return self.app(env, start_response)
            return self._get(env, start_response, keys)
        return _Context(self.app, keys).handle(env, start_response)

    def _get(self, env: Dict[str, Any], start_response: Callable,
             keys: _Keys):
        """A GET, answered without a byte of the body when the callback
        refused (SSE-C key missing or wrong); otherwise untouched."""
        refused_with: List = []

        def check_start(status, headers, exc_info=None):
            if keys.refused is None:
                return start_response(status, headers, exc_info)
            ours = sysmeta.OBJECT_SYSMETA.lower()
            refused_with.append([(h, v) for h, v in headers
                                 if h.lower().startswith(ours)])
            return None
        app_iter = self.app(env, check_start)
        if not refused_with:
            return app_iter
        close = getattr(app_iter, 'close', None)
        if close is not None:
            close()
        return _Context._refuse(keys.refused, refused_with[0],
                                start_response)


class _Context(WSGIContext):
    """Answers what the callback refused; reports the KMS key used."""

    def __init__(self, app: Any, keys: _Keys) -> None:
        super().__init__(app)
        self.keys = keys

    def handle(self, env: Dict[str, Any], start_response: Callable):
        write = self.keys.write
        if write is not None and write.mode == MODE_C:
            # never write under a key this request does not hold
            ring = env.get('swift.infocache', {}).get(KEY_RING)
            if not ring or ring.find(write.customer_mac or '') is None:
                return self._refuse(Refused(
                    'wrong-key' if ring else 'missing-key',
                    403 if ring else 400), [], start_response)
        if write is not None and write.mode == MODE_KMS:
            try:        # refuse an unknown key before reading any body
                resolved = self.keys._kms_key_id(self.keys.write.kms_key_id)
            except Refused as exc:
                return self._refuse(exc, [], start_response)
            env[_ENV[SSE_KMS_KEY_ID]] = resolved
        try:
            app_iter = self._app_call(env)
        except Refused as exc:
            return self._refuse(exc, [], start_response)
        headers = list(self._response_headers)
        if self.keys.resolved_kms_key_id is not None:
            headers.append((RESOLVED_KMS_KEY_ID,
                            self.keys.resolved_kms_key_id))
        start_response(self._response_status, headers,
                       self._response_exc_info)
        return app_iter

    @staticmethod
    def _refuse(refused: Refused, headers: List, start_response: Callable):
        status = {400: '400 Bad Request', 403: '403 Forbidden',
                  503: '503 Service Unavailable'}[refused.status]
        start_response(status, headers + [
            (REFUSED, refused.reason), ('Content-Length', '0'),
            ('Content-Type', 'text/plain')])
        return [b'']


def filter_factory(global_conf: Dict[str, str], **local_conf: str):
    conf = dict(global_conf, **local_conf)
    provider = keyprovider.from_conf(conf)

    def sse_filter(app):
        return SSEKeyMaster(app, conf, provider)
    return sse_filter
