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

The default (3584) is safe for ext4; on XFS set it up to 65536.
"""
from __future__ import annotations

import pickle  # measures a pickle, never loads one  # nosec B403
from typing import Iterable, Mapping, Optional, Tuple

from swift3compat import errors

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


def check(path: str, headers: Mapping[str, str], budget: int,
          kept: Optional[Mapping[str, str]] = None) -> int:
    """Raise MetadataTooLarge if writing ``headers`` (over ``kept``, the
    metadata a copy keeps from its source) would exceed ``budget``; the
    size, or a bound of it when that alone shows the headers fit (most
    requests: then nothing is pickled)."""
    items = list((kept or {}).items()) + list(headers.items())
    bound = size_bound(path, items)
    if bound <= budget:
        return bound
    size = stored_size(path, items)
    if size > budget:
        raise errors.MetadataTooLarge(
            'Your metadata headers exceed the maximum allowed metadata size: '
            'the name, metadata, tags and ACL of an object together may take '
            '%d bytes on this storage' % budget, MaxSizeAllowed=budget)
    return size
