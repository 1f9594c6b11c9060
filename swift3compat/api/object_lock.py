"""S3 Object Lock operations: Put/GetObjectLockConfiguration
(``?object-lock``), Put/GetObjectRetention (``?retention``),
Put/GetObjectLegalHold (``?legal-hold``).

The lock parts of other operations (CreateBucket, PutObject, CopyObject,
POST, multipart, GET/HEAD headers, deletes, PutBucketVersioning) call
``swift.object_lock``.  Design, storage and limits: doc/object-lock.md.
"""
from __future__ import annotations

from typing import Callable, Optional, TypeVar

from swift3compat import errors
from swift3compat.http import xml
from swift3compat.http.body import read_config_body
from swift3compat.http.request import S3Request
from swift3compat.http.response import S3Response, xml_response
from swift3compat.model import object_lock as model
from swift3compat.swift import object_lock as stored
from swift3compat.swift import sysmeta, tags, versions
from swift3compat.swift.backend import Backend

T = TypeVar('T')


# -- ?object-lock ----------------------------------------------------------------
def get_object_lock_configuration(req: S3Request, backend: Backend
                                  ) -> S3Response:
    cfg = stored.bucket_config(backend, req.bucket)
    if cfg is None:
        backend.request('HEAD', req.bucket)      # NoSuchBucket first
        raise errors.ObjectLockConfigurationNotFoundError(
            BucketName=req.bucket)
    return xml_response(model.config_xml(cfg))


def put_object_lock_configuration(req: S3Request, backend: Backend
                                  ) -> S3Response:
    body = read_config_body(req, integrity_required=False)
    head = backend.request('HEAD', req.bucket)
    cfg = model.parse_config(xml.parse(body))
    if not req.conf.object_lock:
        raise stored.unavailable()
    if (head.headers.get('X-Versions-Enabled') or '').lower() != 'true':
        raise model.versioning_required()
    backend.request('POST', req.bucket, headers={
        sysmeta.OBJECT_LOCK: model.encode_config(cfg)})
    stored.mark_account(backend)
    return S3Response(200)


# -- ?retention and ?legal-hold: one part of an object version's lock ---------
def _lock_part(req: S3Request, backend: Backend,
               part: Callable[[model.Lock], Optional[T]],
               to_xml: Callable[[T], str]) -> S3Response:
    """Get<Part>: the requested version's ``part`` of its lock, or
    NoSuchObjectLockConfiguration when it has none."""
    stored.require_lock_bucket(backend, req.bucket)
    head = tags.head_object(backend, req, versions.requested_version(req))
    value = part(stored.lock_of(head.headers))
    if value is None:
        raise errors.NoSuchObjectLockConfiguration()
    return xml_response(to_xml(value),
                        headers=versions.response_headers(head.headers))


def _post_lock(req: S3Request, backend: Backend,
               new_lock: Callable[[model.Lock], model.Lock]) -> S3Response:
    """Put<Part>: POST the requested version's lock as ``new_lock`` makes
    it from the current one (``tags.object_post``: HEAD, then POST, again
    on a conflict)."""
    version = versions.requested_version(req)

    def changes(head_headers):
        return stored.post_changes(new_lock(stored.lock_of(head_headers)))
    head = tags.object_post(req, backend, version, changes, '')
    return S3Response(200, versions.response_headers(head.headers))


def get_object_retention(req: S3Request, backend: Backend) -> S3Response:
    return _lock_part(req, backend, lambda lock: lock.retention,
                      model.retention_xml)


def put_object_retention(req: S3Request, backend: Backend) -> S3Response:
    body = read_config_body(req, integrity_required=False)
    stored.require_lock_bucket(backend, req.bucket)
    wanted = model.parse_retention(xml.parse(body), stored.now())

    def retained(current: model.Lock) -> model.Lock:
        try:
            model.check_retention_change(current, wanted, stored.now(),
                                         bypass=False)
        except errors.S3Error:
            # weakening: only with an allowed GOVERNANCE bypass
            model.check_retention_change(
                current, wanted, stored.now(),
                bypass=stored.bypass_allowed(req, backend))
        return model.Lock(wanted, current.legal_hold)
    return _post_lock(req, backend, retained)


def get_object_legal_hold(req: S3Request, backend: Backend) -> S3Response:
    return _lock_part(req, backend, lambda lock: lock.legal_hold,
                      model.legal_hold_xml)


def put_object_legal_hold(req: S3Request, backend: Backend) -> S3Response:
    body = read_config_body(req, integrity_required=False)
    stored.require_lock_bucket(backend, req.bucket)
    on = model.parse_legal_hold(xml.parse(body))
    return _post_lock(req, backend,
                      lambda current: model.Lock(current.retention, on))
