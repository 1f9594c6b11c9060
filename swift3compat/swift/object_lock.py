"""Object Lock in Swift: where a bucket's configuration and a version's lock
are stored, and the S3-side checks every write and delete path calls.

Stored (names in ``swift.sysmeta``):

* the bucket configuration: container sysmeta ``OBJECT_LOCK`` (one line,
  ``model.object_lock.encode_config``), read from Swift's cached container
  info;
* a version's retention and legal hold: object sysmeta ``LOCK_RETENTION``,
  ``LOCK_LEGAL_HOLD`` (kept with the version's data in Swift's versions
  container; object POSTs keep sysmeta they do not name);
* ``ACCOUNT_OBJECT_LOCK`` account sysmeta once an account holds a lock
  bucket (the ``objectlock`` filter refuses to DELETE such an account).

The ``objectlock`` filter (``swift3compat.objectlock``) enforces the same
locks on requests this module did not decide.
"""
from __future__ import annotations

import time
from typing import Callable, Dict, Optional, Tuple

from swift3compat import errors
from swift3compat.http.request import S3Request
from swift3compat.model import object_lock as model
from swift3compat.swift import sysmeta
from swift3compat.swift.backend import Backend

# The environment key of a subrequest whose lock decision swift3 made
# (objectlock.CHECKED).
CHECKED_ENV = 'swift3compat.object_lock'
_CHECKSUM_HEADERS = ('x-amz-checksum-crc32', 'x-amz-checksum-crc32c',
                     'x-amz-checksum-crc64nvme', 'x-amz-checksum-sha1',
                     'x-amz-checksum-sha256')


def now() -> float:
    """The proxy's clock: every lock decision is made against it."""
    return time.time()


def config_of(info_sysmeta) -> Optional[model.LockConfig]:
    return model.decode_config((info_sysmeta or {}).get(
        sysmeta.OBJECT_LOCK_INFO))


def bucket_config(backend: Backend, bucket: str
                  ) -> Optional[model.LockConfig]:
    """The bucket's Object Lock configuration (None: not enabled), from
    Swift's cached container info."""
    info = backend.container_info(bucket)
    return config_of(info.get('sysmeta'))


def lock_of(swift_headers) -> model.Lock:
    return model.Lock.from_stored(
        swift_headers.get(sysmeta.LOCK_RETENTION),
        swift_headers.get(sysmeta.LOCK_LEGAL_HOLD))


def stored(lock: model.Lock) -> Dict[str, str]:
    """The sysmeta of a version's lock ('' values clear what a copy
    source had)."""
    return {sysmeta.LOCK_RETENTION: lock.stored_retention,
            sysmeta.LOCK_LEGAL_HOLD: lock.stored_legal_hold}


def response_headers(swift_headers) -> Dict[str, str]:
    """``x-amz-object-lock-*`` of a GET/HEAD response."""
    return lock_of(swift_headers).response_headers()


def has_integrity_header(req: S3Request) -> bool:
    """Content-MD5 or an ``x-amz-checksum-*`` (header, or announced as an
    aws-chunked trailer)."""
    if req.header('content-md5') is not None:
        return True
    if any(req.header(h) is not None for h in _CHECKSUM_HEADERS):
        return True
    trailer = (req.header('x-amz-trailer') or '').lower()
    return 'x-amz-checksum-' in trailer


def new_version_headers(req: S3Request, backend: Backend, *,
                        get: Optional[Callable[[str], Optional[str]]] = None,
                        put_object: bool = False) -> Dict[str, str]:
    """The lock sysmeta of a new version written by this request (PUT,
    copy, POST form, CompleteMultipartUpload): what its
    ``x-amz-object-lock-*`` ask for (``get``: where to read them, default
    the request headers), with the bucket's default retention.  Raises
    AWS's errors: InvalidArgument for bad values, InvalidRequest for lock
    parameters on a bucket without Object Lock, and (``put_object``) for a
    PutObject with lock parameters without an integrity header.  Empty
    (nothing stored) on buckets without Object Lock."""
    get = get or req.header
    lock, asked = model.lock_from_headers(get, now())
    cfg = bucket_config(backend, req.bucket)
    if cfg is None:
        if asked:
            raise model.missing_configuration()
        return {}
    if put_object and cfg.requires_checksum(asked) and \
            not has_integrity_header(req):
        raise model.checksum_required()
    lock = cfg.new_version_lock(lock, now(), req.conf.object_lock_day_seconds)
    return stored(lock)


def bypass_allowed(req: S3Request, backend: Backend,
                   key: Optional[str] = None) -> bool:
    """``x-amz-bypass-governance-retention: true`` from a caller who may
    bypass: the bucket owner, or one the bucket policy allows
    ``s3:BypassGovernanceRetention`` (with s3_acl; without it, the caller
    has full control of the account's buckets)."""
    if not model.bypass_requested(req.header):
        return False
    guard = backend.guard
    if guard is None:
        return True
    from swift3compat.authz.access import OWNER
    return guard.decide(req.bucket, guard.bucket_acl(req.bucket), OWNER,
                        key=key if key is not None else req.key,
                        action='s3:BypassGovernanceRetention')


def check_delete(req: S3Request, backend: Backend, key: str,
                 version: Optional[str], head_version: Callable
                 ) -> bool:
    """May ``version`` of ``key`` be deleted now?  AccessDenied if a lock
    forbids it.  ``head_version(version)`` returns its Swift HEAD response
    headers (None when absent).  Returns whether the decision used the
    GOVERNANCE bypass (the Swift DELETE must then be marked as checked)."""
    if version is None:
        return False          # only a delete marker is added
    cfg = bucket_config(backend, req.bucket)
    if cfg is None:
        return False
    headers = head_version(version)
    if headers is None:
        return False
    lock = lock_of(headers)
    current = now()
    if lock.deletion_block(current) is None:
        return False
    if lock.deletion_block(current, bypass=True) is None and \
            bypass_allowed(req, backend, key):
        return True
    raise model.protected()


def mark_checked(env: Dict) -> None:
    env[CHECKED_ENV] = True


def post_changes(lock: model.Lock) -> Dict[str, Optional[str]]:
    """The object POST changes that store ``lock``; it also drops any
    X-Delete-At (the object expirer must not delete a locked version)."""
    changes: Dict[str, Optional[str]] = dict(stored(lock))
    changes['X-Delete-At'] = None
    return changes


def versioning_change_allowed(backend: Backend, bucket: str,
                              status: Optional[str]) -> None:
    """PutBucketVersioning: a lock bucket's versioning stays Enabled."""
    if status == 'Suspended' and bucket_config(backend, bucket) is not None:
        raise model.versioning_locked()


def mark_account(backend: Backend) -> None:
    """Note on the bucket owner's account that it holds a lock bucket."""
    backend.system_request('POST', backend.account, headers={
        sysmeta.ACCOUNT_OBJECT_LOCK: 'yes'})


def lock_state_of_version(head_headers) -> Tuple[model.Lock, bool]:
    lock = lock_of(head_headers)
    return lock, lock.is_set()


def require_lock_bucket(backend: Backend, bucket: str) -> model.LockConfig:
    cfg = bucket_config(backend, bucket)
    if cfg is None:
        backend.request('HEAD', bucket)      # NoSuchBucket first
        raise model.missing_configuration()
    return cfg


def unavailable() -> errors.S3Error:
    return errors.NotImplemented(
        'Object Lock is not enabled on this endpoint (object_lock = false)')
