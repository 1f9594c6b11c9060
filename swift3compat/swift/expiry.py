"""Lifecycle expiry of objects in Swift: ``X-Delete-At`` on new objects,
``x-amz-expiration`` on object responses, and the sweeper's registry.

How expiry is enforced:

* The configuration (``model.lifecycle``) is stored as JSON in the
  bucket's container sysmeta (``swift.bucket_config.store``); object
  requests read it from Swift's cached container info, so it costs no
  backend request on the object path.
* A new object (PUT, copy, PutObjectTagging changing which rules apply) in
  a bucket that never had versioning gets ``X-Delete-At`` when a rule gives
  it an expiry: Swift's object servers stop serving it at that time and
  Swift's object-expirer (or the sweeper) removes it.  The value is also
  kept in ``X-Object-Transient-Sysmeta-S3c-Expiry`` so that the sweeper can
  tell its own stamps from an ``X-Delete-At`` set through the Swift API.
  Versioned buckets are never stamped (X-Delete-At would destroy a version
  where S3 adds a delete marker): the sweeper expires them.
* PutBucketLifecycleConfiguration records the bucket in a registry
  (``lifecycle_registry_account``, container ``lifecycle``, one empty
  object ``<account>/<bucket>``) that the sweeper walks; the entry stays
  after DeleteBucketLifecycle until the sweeper has taken the stamps of
  the removed rules off the bucket's objects.  The registry is written
  with an internal subrequest (the caller has no access to that reserved
  account).
* GET/HEAD (and PUT) answer ``x-amz-expiration: expiry-date="...",
  rule-id="..."`` computed from the rules in force.
"""
from __future__ import annotations

import time
from functools import lru_cache
from typing import Dict, Mapping, Optional, Tuple
from urllib.parse import quote

from swift.common.utils import Timestamp

from swift3compat import errors
from swift3compat.http.request import S3Request
from swift3compat.http.response import http_date
from swift3compat.model import lifecycle
from swift3compat.swift import bucket_config, sysmeta
from swift3compat.swift.backend import Backend


NAME = 'lifecycle'                     # bucket_config storage name
REGISTRY_CONTAINER = 'lifecycle'
EXPIRY_SYSMETA = sysmeta.EXPIRY
DELETE_AT = 'X-Delete-At'
# Swift refuses an X-Delete-At that is already past when it arrives.
_MIN_DELAY = 2


@lru_cache(maxsize=512)
def parsed(text: str) -> lifecycle.Configuration:
    return lifecycle.from_json(text)


def registry_name(account: str, bucket: str) -> str:
    return '%s/%s' % (account, bucket)


class BucketRules:
    """The lifecycle view of one bucket: its rules (None without) and
    whether it ever had versioning (then objects are never stamped)."""

    def __init__(self, sysmeta: Mapping[str, str], legacy_versions=None
                 ) -> None:
        text = bucket_config.load(sysmeta, NAME)
        self.config = parsed(text) if text else None
        self.versioned = bool(sysmeta.get('versions-container') or
                              legacy_versions)

    @classmethod
    def of(cls, backend: Backend, bucket: str) -> 'BucketRules':
        """From Swift's cached container info (no backend request)."""
        info = backend.container_info(bucket)
        return cls(info.get('sysmeta') or {}, info.get('versions'))

    def expiry(self, key: str, size: Optional[int], created: float,
               tags: Mapping[str, str], day: int
               ) -> Optional[lifecycle.Expiry]:
        if self.config is None:
            return None
        return lifecycle.current_expiry(self.config, key, size, created,
                                        tags, day)

    def stamp_changes(self, key: str, size: Optional[int], head_headers,
                      tags: Mapping[str, str], day: int, now: float
                      ) -> Dict[str, Optional[str]]:
        """What makes an existing object's X-Delete-At agree with the rules
        (None removes a header); {} when it already does, or when its
        X-Delete-At was set through the Swift API (no marker of ours)."""
        current = head_headers.get(DELETE_AT) or None
        if current and head_headers.get(EXPIRY_SYSMETA) != current:
            return {}
        expiry = None if self.versioned else self.expiry(
            key, size, created_at(head_headers), tags, day)
        wanted = str(int(expiry[0])) if expiry else None
        if wanted == current:
            return {}
        if wanted is not None and expiry[0] < now + _MIN_DELAY:
            # Too late to set (Swift refuses an X-Delete-At in the past):
            # the sweeper deletes it when due.  A stamp that would hide it
            # before that goes; a later one can stay.
            wanted = None
            if not current or int(current) > expiry[0]:
                return {}
        return {DELETE_AT: wanted, EXPIRY_SYSMETA: wanted}


def created_at(swift_headers) -> float:
    """When the object's data was written (a metadata POST does not
    count)."""
    for name in ('X-Backend-Data-Timestamp', 'X-Timestamp'):
        value = swift_headers.get(name)
        if value:
            return float(Timestamp(value))
    return time.time()


def _size(swift_headers) -> Optional[int]:
    value = swift_headers.get('Content-Length')
    return int(value) if value and value.isdigit() else None


def expiration_value(expiry: lifecycle.Expiry) -> str:
    """The ``x-amz-expiration`` header value AWS sends."""
    return 'expiry-date="%s", rule-id="%s"' % (http_date(expiry[0]),
                                               quote(expiry[1], safe=''))


def expiration_header(req: S3Request, backend: Backend, key: str,
                      swift_headers, tags: Mapping[str, str]
                      ) -> Dict[str, str]:
    """``x-amz-expiration`` for an object response (GET/HEAD/PUT), or {}."""
    sysmeta = backend.container_info(req.bucket).get('sysmeta') or {}
    if not bucket_config.stored(sysmeta, NAME):
        return {}       # no lifecycle rules (most buckets)
    rules = BucketRules.of(backend, req.bucket)
    if rules.config is None:
        return {}       # no lifecycle rules: no need to read the object's
    expiry = rules.expiry(
        key, _size(swift_headers), created_at(swift_headers), tags,
        req.conf.lifecycle_day_seconds)
    return {'x-amz-expiration': expiration_value(expiry)} if expiry else {}


def new_object_headers(req: S3Request, backend: Backend, key: str,
                       size: Optional[int], tags: Mapping[str, str]
                       ) -> Tuple[Dict[str, str], Dict[str, str]]:
    """For a new object: the Swift headers that make it expire as the
    bucket's rules say (X-Delete-At, its marker, and the X-Timestamp the
    expiry was computed from, so that rounding to midnight cannot differ)
    and the S3 response headers (``x-amz-expiration``)."""
    rules = BucketRules.of(backend, req.bucket)
    if rules.config is None:
        return {}, {}       # no lifecycle rules (most buckets)
    now = Timestamp.now()
    expiry = rules.expiry(key, size, float(now), tags,
                          req.conf.lifecycle_day_seconds)
    if expiry is None:
        return {}, {}
    s3_headers = {'x-amz-expiration': expiration_value(expiry)}
    if rules.versioned or expiry[0] < float(now) + _MIN_DELAY:
        return {}, s3_headers   # the sweeper expires these
    stamp = str(int(expiry[0]))
    return {DELETE_AT: stamp, EXPIRY_SYSMETA: stamp,
            'X-Timestamp': now.internal}, s3_headers


def updated_expiry_headers(req: S3Request, backend: Backend, key: str,
                           head_headers, tags: Mapping[str, str]
                           ) -> Dict[str, Optional[str]]:
    """For an object POST that changes ``tags``: the X-Delete-At the rules
    now give (see ``BucketRules.stamp_changes``)."""
    return BucketRules.of(backend, req.bucket).stamp_changes(
        key, _size(head_headers), head_headers, tags,
        req.conf.lifecycle_day_seconds, time.time())


def registry_request(backend: Backend, method: str,
                     obj: Optional[str] = None):
    return backend.system_request(
        method, backend.req.conf.lifecycle_registry_account,
        REGISTRY_CONTAINER, obj)


def register(req: S3Request, backend: Backend) -> None:
    """Record the bucket for the sweeper, after its configuration is
    stored: a sweeper that dropped the entry of a bucket without rules
    meanwhile (it deletes on the condition that the entry was not written
    since it looked) cannot leave the new rules unregistered."""
    name = registry_name(backend.account, req.bucket)
    resp = registry_request(backend, 'PUT', name)
    if resp.status_int == 404:
        registry_request(backend, 'PUT')
        resp = registry_request(backend, 'PUT', name)
    if not resp.is_success:
        raise errors.ServiceUnavailable(
            'The lifecycle registry is unavailable (is account_autocreate '
            '= true in the proxy?)')
