"""The stored-metadata budget: no request may store more than a disk's xattrs hold.

Swift pickles an object's metadata (its name, user metadata, sysmeta, content
headers) into one extended attribute of the object's file. When the filesystem
refuses it, the object server answers 507 and the proxy error-limits the
device: with one device, every request then answers 503 for a minute. What
fits (``tools/xattr_limits.py``, doc/integrity.md):

* ext4 (4 KiB blocks, no ``ea_inode``): a 4028-byte value. A 1024-byte key with
  AWS's 2 KB of user metadata already pickles to 4160 bytes.
* XFS: 64 KiB per value (Swift splits larger metadata over several xattrs).

So every object PUT or POST the filter sends (PutObject, CopyObject, object
POSTs of tagging and ACLs, CreateMultipartUpload's marker, the manifest of
CompleteMultipartUpload, POST-form uploads) is measured first: the headers
Swift will store, with the object's path, pickled as the object server pickles
them, plus ``SWIFT_OVERHEAD`` for what Swift and its middlewares add (X-Timestamp,
ETag, Content-Length, SLO and copy sysmeta). Past ``max_stored_metadata_size``
the request gets AWS's 400 MetadataTooLarge and nothing reaches Swift.

When the write will be encrypted (the subrequest carries the SSE sysmeta the
``sse`` filter reads: SSE-C, SSE-S3, SSE-KMS, bucket default encryption),
Swift's encrypter stores more than we send: each ``X-Object-Meta-<k>`` becomes
``X-Object-Transient-Sysmeta-Crypto-Meta-<k>`` (base64 ciphertext plus
``; swift_meta=<quoted JSON>``), and it adds the body's crypto sysmeta, the
encrypted ETag, its MAC and the encrypted container-listing ETag, each
carrying the key id (with the object's path). ``encrypted_items`` rewrites
the headers the way the encrypter does, with Swift's own helpers and dummy
keys (CTR keeps lengths; base64 and the crypto-meta JSON lengths depend only
on lengths), so the measure is what the encrypter stores.

The default (3584) is safe for ext4; on XFS set it up to 65536.
"""
from __future__ import annotations

from base64 import b64encode
import pickle  # measures a pickle, never loads one  # nosec B403
from typing import Iterable, List, Mapping, Optional, Tuple

from swift3compat import errors
from swift3compat.swift import sysmeta

# What Swift adds to the headers we send, measured on Swift 2.3x with SLO,
# copy, versioned_writes and symlink in the pipeline, rounded up.
SWIFT_OVERHEAD = 400
DEFAULT_BUDGET = 3584
PICKLE_PROTOCOL = 2             # swift.obj.diskfile.PICKLE_PROTOCOL

_STORED_PREFIXES = ('x-object-meta-', 'x-object-sysmeta-',
                    'x-object-transient-sysmeta-')
_SYSMETA_PREFIXES = _STORED_PREFIXES[1:]
# The object server's allowed_headers, and what it keeps of its own.
_STORED_NAMES = frozenset((
    'content-type', 'content-encoding', 'content-disposition',
    'content-language', 'cache-control', 'expires', 'x-delete-at',
    'x-object-manifest', 'x-static-large-object', 'x-symlink-target',
    'x-symlink-target-account'))


def stored(name: str) -> bool:
    lower = name.lower()
    return lower.startswith(_STORED_PREFIXES) or lower in _STORED_NAMES


def _encode(value: str) -> bytes:
    return value.encode('utf8', 'surrogateescape')


def stored_size(path: str, headers: Iterable[Tuple[str, str]]) -> int:
    """Bytes Swift will pickle for an object at ``path`` (``/v1/a/c/o`` or
    ``/a/c/o``) written with ``headers`` (later names win, as in a dict)."""
    if path.startswith('/v1/'):
        path = path[3:]
    metadata = {b'name': _encode(path)}
    for name, value in headers:
        # the object server keeps sysmeta sent empty (measured on disk)
        if stored(name) and (value != '' or
                             name.lower().startswith(_SYSMETA_PREFIXES)):
            metadata[_encode(name.title())] = _encode(str(value))
    return len(pickle.dumps(metadata, PICKLE_PROTOCOL)) + SWIFT_OVERHEAD


# Pickle protocol 2 writes a bytes object as codecs.encode(<latin-1 text>,
# 'latin1'): its text (UTF-8, so up to 2 bytes per byte) and at most this
# many bytes of opcodes and memo references around it.
_PER_OBJECT = 60
_PER_DICT = 64


def _bound(text: str) -> int:
    """At least what one stored string adds to the pickle."""
    # UTF-8 (surrogateescape) takes at most 4 bytes per character
    size = len(text) if text.isascii() else 4 * len(text)
    return 2 * size + _PER_OBJECT


def size_bound(path: str, items: Iterable[Tuple[str, str]]) -> int:
    """An upper bound of ``stored_size`` (every header counted, stored or
    not), without encoding or pickling anything."""
    total = _PER_DICT + SWIFT_OVERHEAD + _bound('name') + _bound(path)
    count = 1
    for name, value in items:
        total += _bound(name) + _bound(str(value))
        count += 1
    return total + 2 * (count // 1000 + 1)


# -- encryption (Swift's encrypter, after the sse filter) -----------------------
_SSE_MARKS = (sysmeta.SSE.lower(), sysmeta.SSE_CUSTOMER_MAC.lower())
_USER_META = 'x-object-meta-'
_CRYPTO_META = 'X-Object-Transient-Sysmeta-Crypto-Meta'
_OVERRIDE_ETAG = 'X-Object-Sysmeta-Container-Update-Override-Etag'
# placeholders as long as the longest values Swift or the sse filter uses
_ETAG = 'e' * 32                        # the plaintext MD5 the encrypter hides
_SLO_SUFFIX = '; slo_etag="%s"' % ('e' * 32)     # what SLO appends to ours
_SECRET_ID = 's' * 32                   # active_root_secret_id (sse filter conf)
_KMS_KEY_ID = 'k' * 64                  # default_kms_key_id (sse filter conf)
_DIGEST = 'd' * 24                      # encryption.context_digest


def encrypted(items: Iterable[Tuple[str, str]]) -> bool:
    """Whether the sse filter will have Swift encrypt this write."""
    return any(value and name.lower() in _SSE_MARKS for name, value in items)


def _key_id(path: str, values: Mapping[str, str]) -> dict:
    """A key id as long as the one the sse filter will make, at least."""
    key_id = {'s3c': '1', 'p': path, 's': _SECRET_ID}
    if values.get(sysmeta.SSE_CUSTOMER_MAC.lower()):
        key_id.update(m='C', c=values[sysmeta.SSE_CUSTOMER_MAC.lower()])
    elif values.get(sysmeta.SSE.lower()) == 'AES256':
        key_id['m'] = 'S3'
    else:
        key_id.update(m='KMS', k=values.get(sysmeta.SSE_KMS_KEY_ID.lower())
                      or _KMS_KEY_ID)
        if values.get(sysmeta.SSE_CONTEXT.lower()):
            key_id['x'] = _DIGEST
    return key_id


def encrypted_items(path: str, items: Iterable[Tuple[str, str]],
                    body: bool = True) -> List[Tuple[str, str]]:
    """``items`` as Swift's encrypter will store them (lengths exact, values
    not): user metadata encrypted, plus (``body``: a PUT) the crypto
    sysmeta it adds."""
    # imported when first needed: plain writes never load the crypto code
    from swift.common.middleware.crypto.crypto_utils import (
        Crypto, append_crypto_meta, dump_crypto_meta)
    crypto = Crypto()
    iv = b'\0' * crypto.iv_length
    cipher = crypto.cipher
    if path.startswith('/v1/'):
        path = path[3:]
    items = list(items)
    values = {name.lower(): str(value) for name, value in items}
    key_id = _key_id(path, values)

    def enc(value: str, **meta) -> str:
        ciphertext = b64encode(_encode(value)).decode('ascii')
        return append_crypto_meta(ciphertext, dict(meta, iv=iv, cipher=cipher))

    out: List[Tuple[str, str]] = []
    any_meta = False
    for name, value in items:
        value = str(value)
        if name.lower().startswith(_USER_META) and value:
            any_meta = True
            out.append(('%s-%s' % (_CRYPTO_META, name[len(_USER_META):]),
                        enc(value)))
        elif name.lower() != _OVERRIDE_ETAG.lower():
            out.append((name, value))
    if any_meta:
        out.append((_CRYPTO_META, dump_crypto_meta(
            {'cipher': cipher, 'key_id': key_id})))
    if not body:
        return out
    # the container-listing etag: the plaintext MD5, or (a manifest: we
    # send '; s3_etag=...') the manifest's MD5, ours, and SLO's slo_etag
    override = values.get(_OVERRIDE_ETAG.lower())
    if override is None:
        override = _ETAG
    else:
        override = _ETAG + override + _SLO_SUFFIX
    out += [
        ('X-Object-Sysmeta-Crypto-Etag', enc(_ETAG)),
        ('X-Object-Sysmeta-Crypto-Body-Meta', dump_crypto_meta({
            'body_key': {'key': b'\0' * crypto.key_length, 'iv': iv},
            'cipher': cipher, 'iv': iv, 'key_id': key_id})),
        ('X-Object-Sysmeta-Crypto-Etag-Mac', b64encode(b'\0' * 32).decode()),
        (_OVERRIDE_ETAG, enc(override, key_id=key_id))]
    return out


def check(path: str, headers: Mapping[str, str], budget: int,
          kept: Optional[Mapping[str, str]] = None,
          post_encrypted: bool = False) -> int:
    """Raise MetadataTooLarge if writing ``headers`` (over ``kept``, the
    metadata a copy keeps from its source) would exceed ``budget``; the
    size, or a bound of it when that alone shows the headers fit (most
    requests: then nothing is pickled).  ``post_encrypted``: a POST the
    encrypter will see (the sse filter is on): its user metadata is
    encrypted, whatever the headers say."""
    items = list((kept or {}).items()) + list(headers.items())
    bound = size_bound(path, items)
    # a scan of the names; plain writes still pickle nothing when they fit
    is_encrypted = encrypted(items)
    if post_encrypted:
        post_encrypted = any(value and name.lower().startswith(_USER_META)
                             for name, value in items)
    if bound <= budget and not (is_encrypted or post_encrypted):
        return bound
    if is_encrypted:
        size = stored_size(path, encrypted_items(path, items))
    elif post_encrypted:
        size = stored_size(path, encrypted_items(path, items, body=False))
    else:
        size = stored_size(path, items)
    if size > budget:
        raise errors.MetadataTooLarge(
            'Your metadata headers exceed the maximum allowed metadata size: '
            'the name, metadata, tags and ACL of an object together may take '
            '%d bytes on this storage' % budget, MaxSizeAllowed=budget)
    return size
