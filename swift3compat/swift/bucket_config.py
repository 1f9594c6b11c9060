"""Bucket configuration stored in container sysmeta.

Storage (``load`` / ``store``, used by every bucket configuration: public
access block, ownership, logging, tagging, lifecycle, CORS, website,
policy): each configuration is a text value (JSON, UTF-8, base64-encoded)
in ``X-Container-Sysmeta-S3c-<Name>-<i>`` chunks of at most ``CHUNK``
bytes, so that a large one (a lifecycle configuration of many rules) never
exceeds Swift's header line limit, plus ``X-Container-Sysmeta-S3c-<Name>``
holding the number of chunks: the newest writer's count wins, so chunks
left over by an older, longer value are never read.  A container POST that
carries only sysmeta keeps everything else.  Readers on the object path
take the value from Swift's cached container info (no extra backend
request); configuration GETs read the HEAD response that also checks the
caller's access.
"""
from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass
from typing import Callable, Dict, List, Mapping, Optional, TypeVar

from swift3compat.swift import sysmeta
from swift3compat.swift.backend import Backend

CHUNK = 4096
_INFO_PREFIX = sysmeta.CONTAINER_INFO_PREFIX   # get_container_info()['sysmeta'] keys
_HEADER_SYSMETA = sysmeta.CONTAINER_SYSMETA.lower()
PUBLIC_ACCESS_BLOCK = 'public-access-block'
OWNERSHIP = 'ownership'
OWNERSHIP_VALUES = ('BucketOwnerPreferred', 'ObjectWriter',
                    'BucketOwnerEnforced')
LOGGING = 'logging'
REQUEST_PAYMENT = 'request-payment'
T = TypeVar('T')


def sysmeta_of(headers: Mapping[str, str]) -> Dict[str, str]:
    """Our container sysmeta from a Swift container response's headers,
    keyed as in ``get_container_info()['sysmeta']`` (``s3c-name-0``)."""
    out = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower.startswith(_HEADER_SYSMETA):
            out[_INFO_PREFIX + lower[len(_HEADER_SYSMETA):]] = value
    return out


def info_sysmeta(backend: Backend, bucket: str) -> Dict[str, str]:
    """Our sysmeta from Swift's cached container info ({} if no bucket)."""
    info = backend.container_info(bucket)
    return {k: v for k, v in (info.get('sysmeta') or {}).items()
            if k.startswith(_INFO_PREFIX)}


def stored(sysmeta: Mapping[str, str], name: str) -> bool:
    """Whether configuration ``name`` may be stored (``load`` may still
    find it unreadable)."""
    return bool(sysmeta.get(_INFO_PREFIX + name))


def load(sysmeta: Mapping[str, str], name: str) -> Optional[str]:
    """The stored value of configuration ``name``, or None."""
    count = sysmeta.get(_INFO_PREFIX + name)
    if not count:
        return None
    try:
        parts = [sysmeta[_INFO_PREFIX + '%s-%d' % (name, i)]
                 for i in range(int(count))]
    except (KeyError, ValueError):
        return None       # a write in progress elsewhere; treat as unset
    try:
        return base64.b64decode(''.join(parts)).decode('utf-8')
    except (ValueError, UnicodeDecodeError):
        return None


def load_as(sysmeta: Mapping[str, str], name: str,
            parse: Callable[[str], T]) -> Optional[T]:
    """Configuration ``name`` as ``parse`` makes it from the stored value,
    or None when none is stored."""
    stored = load(sysmeta, name)
    if stored is None:
        return None
    return parse(stored)


def encode(name: str, value: Optional[str],
           current: Mapping[str, str]) -> Dict[str, str]:
    """The container POST headers that store ``value`` as configuration
    ``name`` (None removes it); ``current`` is the bucket's sysmeta as read
    before (to clear chunks no longer used)."""
    # base64: header values lose leading/trailing white space at chunk
    # edges and must not carry control characters.
    raw = None if value is None else \
        base64.b64encode(value.encode('utf-8')).decode('ascii')
    chunks: List[str] = [] if raw is None else [
        raw[i * CHUNK:(i + 1) * CHUNK]
        for i in range(max(1, math.ceil(len(raw) / CHUNK)))]
    prefix = sysmeta.CONTAINER_SYSMETA + name.title()
    headers = {prefix: str(len(chunks)) if chunks else ''}
    for i, chunk in enumerate(chunks):
        headers['%s-%d' % (prefix, i)] = chunk
    stale = _INFO_PREFIX + name + '-'
    for key in current:
        index = key[len(stale):]
        if key.startswith(stale) and index.isdigit() and \
                int(index) >= len(chunks):
            headers['%s-%s' % (prefix, index)] = ''
    return headers


def store(backend: Backend, bucket: str, name: str, value: Optional[str],
          current: Mapping[str, str]) -> None:
    """Write (or with None remove) configuration ``name`` (see
    ``encode``)."""
    backend.request('POST', bucket, headers=encode(name, value, current))


def head_bucket(backend: Backend, bucket: str) -> Dict[str, str]:
    """HEAD the bucket (existence, the caller's access); its sysmeta."""
    return sysmeta_of(backend.request('HEAD', bucket).headers)


def replace(backend: Backend, bucket: str, name: str,
            value: Optional[str]) -> None:
    """Put<Configuration>: HEAD the bucket first (NoSuchBucket, the
    caller's access), then store ``value`` as configuration ``name``
    (None removes it)."""
    store(backend, bucket, name, value, head_bucket(backend, bucket))


def remove(backend: Backend, bucket: str, name: str) -> None:
    """Delete<Configuration>: HEAD the bucket first, then remove
    configuration ``name`` (none stored is no error)."""
    replace(backend, bucket, name, None)


@dataclass(frozen=True)
class PublicAccessBlock:
    block_public_acls: bool = False
    ignore_public_acls: bool = False
    block_public_policy: bool = False
    restrict_public_buckets: bool = False


def public_access_block(sysmeta: Mapping[str, str]) -> PublicAccessBlock:
    """The bucket's PublicAccessBlock (all False when none is set), from
    ``info_sysmeta`` or ``sysmeta_of``."""
    stored = load(sysmeta, PUBLIC_ACCESS_BLOCK)
    if stored is None:
        return _NO_BLOCK
    return PublicAccessBlock(**json.loads(stored))


_NO_BLOCK = PublicAccessBlock()


def object_ownership(sysmeta: Mapping[str, str]) -> Optional[str]:
    """The bucket's ObjectOwnership setting, or None when none is set."""
    return load(sysmeta, OWNERSHIP)
