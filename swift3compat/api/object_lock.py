"""S3 Object Lock operations: Put/GetObjectLockConfiguration
(``?object-lock``), Put/GetObjectRetention (``?retention``),
Put/GetObjectLegalHold (``?legal-hold``).

The lock parts of other operations (CreateBucket, PutObject, CopyObject,
POST, multipart, GET/HEAD headers, deletes, PutBucketVersioning) call
``swift.object_lock``.  Design, storage and limits: doc/object-lock.md.
"""
from __future__ import annotations

from typing import Dict

from swift3compat import errors
from swift3compat.http import xml
from swift3compat.http.body import read_config_body
from swift3compat.http.request import S3Request
from swift3compat.http.response import S3Response, xml_response
from swift3compat.model import object_lock as model
from swift3compat.swift import object_lock as stored
from swift3compat.swift import sysmeta, tags, versions
from swift3compat.swift.backend import Backend


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


# -- ?retention ----------------------------------------------------------------------
def _version_header(head_headers) -> Dict[str, str]:
    return versions.response_headers(head_headers)


def get_object_retention(req: S3Request, backend: Backend) -> S3Response:
    stored.require_lock_bucket(backend, req.bucket)
    head = tags.head_object(backend, req, versions.requested_version(req))
    lock = stored.lock_of(head.headers)
    if lock.retention is None:
        raise model.NoSuchObjectLockConfiguration()
    return xml_response(model.retention_xml(lock.retention),
                        headers=_version_header(head.headers))


def put_object_retention(req: S3Request, backend: Backend) -> S3Response:
    body = read_config_body(req, integrity_required=False)
    stored.require_lock_bucket(backend, req.bucket)
    wanted = model.parse_retention(xml.parse(body), stored.now())
    version = versions.requested_version(req)

    def changes(head_headers):
        current = stored.lock_of(head_headers)
        try:
            model.check_retention_change(current, wanted, stored.now(),
                                         bypass=False)
        except errors.S3Error:
            # weakening: only with an allowed GOVERNANCE bypass
            model.check_retention_change(
                current, wanted, stored.now(),
                bypass=stored.bypass_allowed(req, backend))
        return stored.post_changes(model.Lock(wanted, current.legal_hold))
    head = tags.object_post(req, backend, version, changes, '')
    return S3Response(200, _version_header(head.headers))


# -- ?legal-hold --------------------------------------------------------------------
def get_object_legal_hold(req: S3Request, backend: Backend) -> S3Response:
    stored.require_lock_bucket(backend, req.bucket)
    head = tags.head_object(backend, req, versions.requested_version(req))
    lock = stored.lock_of(head.headers)
    if lock.legal_hold is None:
        raise model.NoSuchObjectLockConfiguration()
    return xml_response(model.legal_hold_xml(lock.legal_hold),
                        headers=_version_header(head.headers))


def put_object_legal_hold(req: S3Request, backend: Backend) -> S3Response:
    body = read_config_body(req, integrity_required=False)
    stored.require_lock_bucket(backend, req.bucket)
    on = model.parse_legal_hold(xml.parse(body))
    version = versions.requested_version(req)

    def changes(head_headers):
        current = stored.lock_of(head_headers)
        return stored.post_changes(model.Lock(current.retention, on))
    head = tags.object_post(req, backend, version, changes, '')
    return S3Response(200, _version_header(head.headers))
