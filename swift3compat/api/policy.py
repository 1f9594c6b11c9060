"""Bucket policies: PUT/GET/DELETE ``?policy``, GET ``?policyStatus``.

Enable with ``s3_acl = true`` in ``[filter:swift3]``: policies grant and
deny through the same decision as S3 ACLs (``swift3compat.authz``), so
without ``s3_acl`` PutBucketPolicy answers NotImplemented rather than
storing a policy nobody enforces.

The document is validated by ``swift3compat.model.policy`` (MalformedPolicy for
anything outside the supported subset), stored as compact JSON in container
sysmeta (``swift.bucket_config.store``, name ``policy``) and read back from
Swift's cached container info, parsed once per process.  Its say in each
authorization decision is ``authz.policy.verdict``.
``BlockPublicPolicy`` refuses to store a public policy (AccessDenied).
"""
from __future__ import annotations

import json

from swift3compat import errors
from swift3compat.authz.access import guard_of
from swift3compat.authz.policy import NAME, bucket_policy, storable, stored_text
from swift3compat.http import xml
from swift3compat.http.body import read_config_body
from swift3compat.http.request import S3Request
from swift3compat.http.response import S3Response, xml_response
from swift3compat.model import policy
from swift3compat.swift import bucket_config
from swift3compat.swift.backend import Backend


# -- the configuration API ------------------------------------------------------
def get_bucket_policy(req: S3Request, backend: Backend) -> S3Response:
    text = stored_text(bucket_config.head_bucket(backend, req.bucket))
    if text is None:
        raise errors.NoSuchBucketPolicy(BucketName=req.bucket)
    body = json.dumps(json.loads(text), separators=(',', ':'),
                      ensure_ascii=False).encode('utf-8')
    return S3Response(200, body=body, content_type='application/json')


def put_bucket_policy(req: S3Request, backend: Backend) -> S3Response:
    guard = guard_of(backend)
    if guard is None:
        raise errors.NotImplemented('Bucket policies need s3_acl = true on '
                                    'this endpoint')
    body = read_config_body(req, integrity_required=False)
    if not body.strip():
        raise errors.MalformedPolicy('Policies must be valid JSON and the '
                                     "first byte must be '{'")
    document = policy.parse(body, req.bucket)
    current = bucket_config.head_bucket(backend, req.bucket)
    if policy.is_public(document) and \
            bucket_config.public_access_block(current).block_public_policy:
        raise errors.AccessDenied()
    bucket_config.store(backend, req.bucket, NAME, storable(document.text),
                        current)
    guard.ensure_indexed()      # anonymous callers must find it
    return S3Response(204)


def delete_bucket_policy(req: S3Request, backend: Backend) -> S3Response:
    bucket_config.remove(backend, req.bucket, NAME)
    return S3Response(204)


def get_bucket_policy_status(req: S3Request, backend: Backend
                             ) -> S3Response:
    sysmeta = bucket_config.head_bucket(backend, req.bucket)
    document = bucket_policy(sysmeta, req.bucket)
    if document is None:
        raise errors.NoSuchBucketPolicy(BucketName=req.bucket)
    return xml_response(xml.document('PolicyStatus', [xml.elem(
        'IsPublic', 'true' if policy.is_public(document) else 'false')]))
