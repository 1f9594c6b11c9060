"""Bucket and object ACLs: GetBucketAcl, PutBucketAcl, GetObjectAcl,
PutObjectAcl (``?acl``).

With ``s3_acl = true`` (see ``swift3compat.authz.access``) the ACL is read from and
written to Swift sysmeta: the bucket's ``X-Container-Sysmeta-S3c-Acl`` with a
container POST (which changes nothing else), the object's
``X-Object-Transient-Sysmeta-S3c-Acl`` with an object POST.  A Swift object
POST replaces the object's user metadata and its Content-Disposition,
Content-Encoding, Cache-Control, Expires, X-Delete-At, ... (s3cmd-quirks #30:
s3api even changed the Content-Type): so the POST carries all of them again,
as the HEAD just before returned them, and never a Content-Type.  It is
sent with the object's own timestamp plus an offset, so Last-Modified does
not move and a write that came in between makes the POST fail with 409
instead of putting old metadata on new data; then it is retried.

Without ``s3_acl`` the owner of a bucket has full control and nothing else
is granted, which is what GET reports; a PUT that asks for exactly that
(canned ``private``, grants or a policy giving only the owner FULL_CONTROL)
is accepted, anything else is NotImplemented rather than silently ignored.
"""
from __future__ import annotations

from typing import Dict, Optional

from swift3compat import errors
from swift3compat.authz.access import (BUCKET_ACL, ENFORCED, OBJECT_ACL, Guard,
                                       guard_of, require_owner_only)
from swift3compat.http import xml
from swift3compat.http.request import S3Request
from swift3compat.http.response import S3Response, xml_response
from swift3compat.model import acl
from swift3compat.swift import versions
from swift3compat.swift.backend import Backend
from swift3compat.swift.tags import object_post


def _guard(backend: Backend) -> Guard:
    guard = guard_of(backend)
    if guard is None:      # not an assert: python -O would drop it
        raise RuntimeError('s3_acl routes run with a guard')
    return guard


# -- GET ?acl ----------------------------------------------------------------------
def get_acl(req: S3Request, backend: Backend) -> S3Response:
    if not req.conf.s3_acl:
        backend.request('HEAD', req.bucket, req.key)
        return xml_response(acl.private(acl.Owner(
            backend.caller_id or backend.account)).to_xml())
    guard = _guard(backend)
    if req.key is None:
        return xml_response(guard.bucket_acl().to_xml())
    version = versions.requested_version(req)
    if version is None:
        head = backend.request('HEAD', req.bucket, req.key)
    else:
        head = versions.request_version(req, backend, 'HEAD', req.bucket,
                                        req.key, version)
    return xml_response(guard.object_acl(head.headers).to_xml())


# -- PUT ?acl ----------------------------------------------------------------------
def _read_policy(req: S3Request) -> bytes:
    return xml.read_body(req.environ['wsgi.input'], req.content_length,
                         xml.body_limit('AccessControlPolicy', req.conf),
                         required=False)


def _wanted(req: S3Request, body: bytes, owner: acl.Owner,
            bucket_owner: Optional[acl.Owner]) -> acl.ACL:
    wanted = acl.from_request(req.headers(), body, owner, bucket_owner)
    if wanted is None:
        raise errors.MissingSecurityHeader(MissingHeaderName='x-amz-acl')
    return wanted


def put_acl(req: S3Request, backend: Backend) -> S3Response:
    body = _read_policy(req)
    if not req.conf.s3_acl:
        backend.request('HEAD', req.bucket, req.key)
        owner = acl.Owner(backend.caller_id or backend.account)
        require_owner_only(_wanted(req, body, owner, owner))
        return S3Response(200)
    guard = _guard(backend)
    if guard.ownership() == ENFORCED:
        # ACLs are disabled: "Requests to set ACLs or update ACLs fail with
        # a 400 error" (AWS, Object Ownership troubleshooting)
        raise errors.AccessControlListNotSupported()
    if req.key is None:
        current = guard.bucket_acl()
        wanted = guard.settle(_wanted(req, body, current.owner, None),
                              is_object=False)
        backend.request('POST', req.bucket,
                        headers={BUCKET_ACL: wanted.to_json()})
    else:
        _put_object_acl(req, backend, guard, body)
    return S3Response(200)


def _put_object_acl(req: S3Request, backend: Backend, guard: Guard,
                    body: bytes) -> None:
    """POST the new ACL to the object, or to the version it names (in a
    versioned bucket the key is a symlink to its latest version, which
    holds the ACL: ``tags.object_post`` addresses it)."""
    def changes(head_headers) -> Dict[str, Optional[str]]:
        current = guard.object_acl(head_headers)
        wanted = guard.settle(_wanted(req, body, current.owner,
                                      guard.bucket_acl().owner),
                              is_object=True)
        return {OBJECT_ACL: wanted.to_json()}
    object_post(req, backend, versions.requested_version(req), changes,
                OBJECT_ACL.lower())
