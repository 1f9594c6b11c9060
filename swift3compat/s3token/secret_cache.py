"""Encrypted, authenticated memcache entries for the s3token filter.

After Keystone has accepted an S3 signature, ``s3token`` keeps the user's EC2
secret and the identity Keystone returned in memcache, so that later requests
with the same access key are verified locally.  Unlike Swift's own s3token,
nothing is stored in the clear:

* every entry is sealed with AES-256-GCM (``cryptography``); the key is derived
  with HKDF-SHA256 from the operator's ``memcache_secret_key``, so a memcache
  reader learns nothing and a memcache writer cannot forge or alter an entry;
* the memcache key is an HMAC of the access key (no access key in memcache key
  names), and it is bound to the ciphertext as associated data, so an entry
  cannot be moved from one access key to another;
* unknown access keys get a short *negative* entry, so a flood of requests
  with a made-up key costs Keystone one call per ``negative_cache_duration``.

Operators enable it through the ``[filter:s3token]`` options
``secret_cache_duration``, ``negative_cache_duration`` and
``memcache_secret_key`` (the ``cache`` filter must come earlier in the
pipeline); this module has no options of its own.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_PREFIX = 's3token'
_FORMAT = 'v1'
_NONCE_BYTES = 12


@dataclass(frozen=True)
class CachedCredential:
    """What a positive cache entry holds once decrypted."""

    secret: str
    token: dict


def _derive(master: bytes, purpose: bytes) -> bytes:
    """Return a 32-byte key for ``purpose`` derived from the master secret."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b'swift3compat s3token ' + purpose).derive(master)


class SecretCache:
    """Seal, store, fetch and open s3token's memcache entries.

    ``memcache`` arguments are Swift ``MemcacheRing`` objects (or anything
    with the same ``get``/``set``/``delete`` methods); memcache errors are
    treated as cache misses by the ring itself.
    """

    def __init__(self, secret_key: str, ttl: int, negative_ttl: int) -> None:
        master = secret_key.encode('utf-8')
        self._aead = AESGCM(_derive(master, b'cache encryption'))
        self._name_key = _derive(master, b'cache key names')
        self.ttl = ttl
        self.negative_ttl = negative_ttl

    def memcache_key(self, kind: str, access_key: str) -> str:
        """Return the memcache key of ``kind`` (``secret``/``unknown``)."""
        message = f'{kind}\0{access_key}'.encode('utf-8', 'surrogateescape')
        digest = hmac.new(self._name_key, message, hashlib.sha256).hexdigest()
        return f'{KEY_PREFIX}/{kind}/{digest}'

    def seal(self, name: str, credential: CachedCredential) -> str:
        """Encrypt and authenticate ``credential`` for memcache key ``name``."""
        plaintext = json.dumps({'secret': credential.secret,
                                'token': credential.token},
                               separators=(',', ':')).encode('utf-8')
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext, self._aad(name))
        return f'{_FORMAT}:{base64.b64encode(nonce + sealed).decode()}'

    def open(self, name: str, value: Any) -> CachedCredential | None:
        """Return the credential sealed in ``value``, or None if it is not
        an intact entry made with this key for this memcache key."""
        if not isinstance(value, str) or not value.startswith(_FORMAT + ':'):
            return None
        try:
            raw = base64.b64decode(value[len(_FORMAT) + 1:], validate=True)
            plaintext = self._aead.decrypt(raw[:_NONCE_BYTES],
                                           raw[_NONCE_BYTES:],
                                           self._aad(name))
            data = json.loads(plaintext)
            return CachedCredential(secret=data['secret'],
                                    token=data['token'])
        except (binascii.Error, InvalidTag, ValueError, KeyError, TypeError):
            return None

    def get(self, memcache: Any, access_key: str) -> CachedCredential | None:
        """Return the cached credential of ``access_key``, if any."""
        name = self.memcache_key('secret', access_key)
        return self.open(name, memcache.get(name))

    def put(self, memcache: Any, access_key: str,
            credential: CachedCredential) -> None:
        """Cache ``credential`` for ``ttl`` seconds."""
        name = self.memcache_key('secret', access_key)
        memcache.set(name, self.seal(name, credential), time=self.ttl)

    def is_unknown(self, memcache: Any, access_key: str) -> bool:
        """True if Keystone recently said it does not know ``access_key``."""
        if not self.negative_ttl:
            return False
        return bool(memcache.get(self.memcache_key('unknown', access_key)))

    def mark_unknown(self, memcache: Any, access_key: str) -> None:
        """Remember for ``negative_ttl`` seconds that Keystone does not
        know ``access_key``."""
        if self.negative_ttl:
            memcache.set(self.memcache_key('unknown', access_key), 1,
                         time=self.negative_ttl)

    @staticmethod
    def _aad(name: str) -> bytes:
        return f'{_FORMAT}|{name}'.encode('ascii')
