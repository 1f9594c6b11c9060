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
from typing import Callable, Dict, Mapping, Optional

from swift.common.utils import Timestamp

from swift3compat import errors
from swift3compat.http.request import S3Request
from swift3compat.model import object_lock as model
from swift3compat.swift import sysmeta, versions
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


# What a version without stored lock values has (most): one shared value.
NO_LOCK = model.Lock.from_stored(None, None)


def lock_of(swift_headers) -> model.Lock:
    retention = sysmeta.read(swift_headers, sysmeta.LOCK_RETENTION)
    legal_hold = sysmeta.read(swift_headers, sysmeta.LOCK_LEGAL_HOLD)
    if not retention and not legal_hold:
        return NO_LOCK
    return model.Lock.from_stored(retention, legal_hold)


def stored(lock: model.Lock) -> Dict[str, str]:
    """The sysmeta of a version's lock ('' values clear what a copy
    source had)."""
    return {sysmeta.LOCK_RETENTION: lock.stored_retention,
            sysmeta.LOCK_LEGAL_HOLD: lock.stored_legal_hold}


def response_headers(req: S3Request, backend: Backend,
                     swift_headers) -> Dict[str, str]:
    """``x-amz-object-lock-*`` of a GET/HEAD response, as AWS shows them:
    mode and retain-until date only to a caller allowed
    ``s3:GetObjectRetention``, the legal hold only to one allowed
    ``s3:GetObjectLegalHold`` (the bucket owner, or whom the bucket policy
    grants them).  Decided by the request's guard from what it has already
    loaded (bucket ACL and policy): no backend request, and none at all for
    a version without a lock.  Without s3_acl the account's users have full
    control of its buckets and see them all."""
    headers = lock_of(swift_headers).response_headers()
    guard = backend.guard
    if not headers or guard is None:
        return headers
    if model.MODE_HEADER in headers and not guard.owner_or_granted(
            's3:GetObjectRetention', req.key):
        headers.pop(model.MODE_HEADER)
        headers.pop(model.UNTIL_HEADER, None)
    if model.HOLD_HEADER in headers and not guard.owner_or_granted(
            's3:GetObjectLegalHold', req.key):
        headers.pop(model.HOLD_HEADER)
    return headers


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
                        put_object: bool = False,
                        copy: bool = False) -> Dict[str, str]:
    """The lock sysmeta of a new version written by this request (PUT,
    copy, POST form, CompleteMultipartUpload): what its
    ``x-amz-object-lock-*`` ask for (``get``: where to read them, default
    the request headers), with the bucket's default retention.  Raises
    AWS's errors: InvalidArgument for bad values, InvalidRequest for lock
    parameters on a bucket without Object Lock, and (``put_object``) for a
    PutObject with lock parameters without an integrity header.  Empty
    (nothing stored) on buckets without Object Lock, except for a
    ``copy``, which must not keep its source's lock (Swift's copy starts
    from the source's sysmeta)."""
    get = get or req.header
    lock, asked = model.lock_from_headers(get, now())
    cfg = bucket_config(backend, req.bucket)
    if cfg is None:
        if asked:
            raise model.missing_configuration()
        return stored(model.Lock()) if copy else {}
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
    return guard.owner_or_granted('s3:BypassGovernanceRetention',
                                  key if key is not None else req.key)


def _head_version(req: S3Request, backend: Backend, key: str,
                  version: str):
    """The Swift HEAD headers of one version (None: absent or a delete
    marker)."""
    query = {'version-id': version}
    resp = backend.request('HEAD', req.bucket, key, query=query,
                           headers={'X-Newest': 'true'}, ok=(400, 404))
    if resp.status_int in (400, 404):
        return None
    return resp.headers


def check_delete(req: S3Request, backend: Backend, key: str,
                 version: Optional[str]) -> None:
    """DeleteObject (and each key of DeleteObjects): may ``version`` of
    ``key`` be deleted now?  AccessDenied if its lock forbids it; a
    delete allowed by the GOVERNANCE bypass marks the Swift requests that
    follow as decided (for the objectlock filter).  A delete without a
    version only adds a delete marker."""
    if version is None:
        return
    cfg = bucket_config(backend, req.bucket)
    if cfg is None:
        return
    headers = _head_version(req, backend, key, version)
    if headers is None:
        return
    lock = lock_of(headers)
    current = now()
    if lock.deletion_block(current) is None:
        return
    if lock.deletion_block(current, bypass=True) is None and \
            bypass_allowed(req, backend, key):
        backend.extra_env[CHECKED_ENV] = True
        return
    raise model.protected()


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


def require_lock_bucket(backend: Backend, bucket: str) -> model.LockConfig:
    cfg = bucket_config(backend, bucket)
    if cfg is None:
        backend.request('HEAD', bucket)      # NoSuchBucket first
        raise model.missing_configuration()
    return cfg


def unavailable() -> errors.S3Error:
    return errors.NotImplemented(
        'Object Lock is not enabled on this endpoint (object_lock = false)')


# -- CreateBucket, multipart, POST ------------------------------------------------
OBJECT_LOCK_HEADER = sysmeta.OBJECT_LOCK


def bucket_create_headers(req: S3Request) -> Dict[str, str]:
    """CreateBucket with ``x-amz-bucket-object-lock-enabled: true``: the
    bucket is created versioned, with Object Lock enabled."""
    value = req.header(model.BUCKET_ENABLED_HEADER)
    if value is None or value.strip().lower() != 'true':
        return {}
    if not req.conf.object_lock:
        raise unavailable()
    if not versions.available():
        raise errors.NotImplemented(
            'Object Lock needs Swift object versioning (versioned_writes '
            'with allow_object_versioning = true)')
    return {'X-Versions-Enabled': 'true',
            sysmeta.OBJECT_LOCK: model.encode_config(model.LockConfig())}


# The lock a CreateMultipartUpload asked for, kept on the upload marker
# (not under the version's own names: the default retention is computed at
# CompleteMultipartUpload, when the version is written).
_UPLOAD_RETENTION = sysmeta.OBJECT_SYSMETA + 'Upload-Lock-Retention'
_UPLOAD_LEGAL_HOLD = sysmeta.OBJECT_SYSMETA + 'Upload-Lock-Legal-Hold'


def upload_headers(req: S3Request, backend: Backend) -> Dict[str, str]:
    lock, asked = model.lock_from_headers(req.header, now())
    if not asked:
        return {}
    if bucket_config(backend, req.bucket) is None:
        raise model.missing_configuration()
    return {_UPLOAD_RETENTION: lock.stored_retention,
            _UPLOAD_LEGAL_HOLD: lock.stored_legal_hold}


def complete_headers(req: S3Request, backend: Backend,
                     marker_headers: Mapping[str, str]) -> Dict[str, str]:
    """The lock sysmeta of the version CompleteMultipartUpload writes:
    what the upload asked for, with the default retention now."""
    cfg = bucket_config(backend, req.bucket)
    out = {_UPLOAD_RETENTION.title(): '', _UPLOAD_LEGAL_HOLD.title(): ''}
    if cfg is None:
        return out
    asked = model.Lock.from_stored(
        _get(marker_headers, _UPLOAD_RETENTION),
        _get(marker_headers, _UPLOAD_LEGAL_HOLD))
    out.update(stored(cfg.new_version_lock(
        asked, now(), req.conf.object_lock_day_seconds)))
    return out


def _get(headers: Mapping[str, str], name: str) -> Optional[str]:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def is_form_upload(req: S3Request) -> bool:
    """The PutObject of a browser POST (no Content-MD5 can be sent)."""
    return bool(req.environ.get('swift3compat.form_upload'))


def stamp_version(backend: Backend, bucket: str,
                  headers: Dict[str, str]) -> Dict[str, str]:
    """CompleteMultipartUpload's ``x-amz-version-id`` before the manifest
    is written: in a bucket with versioning enabled, give the manifest PUT
    its timestamp now, which is the version id Swift's object versioning
    will use (s3-tests and Object Lock clients delete by it)."""
    info = backend.container_info(bucket)
    enabled = ((info.get('sysmeta') or {}).get(
        sysmeta.VERSIONS_ENABLED_INFO) or '').lower() == 'true'
    if not enabled:
        return {}
    stamp = Timestamp.now()
    headers['X-Timestamp'] = stamp.internal
    return {versions.VERSION_ID: Timestamp(stamp, offset=0).internal}
