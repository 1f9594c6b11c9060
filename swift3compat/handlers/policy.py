"""Bucket policies: PUT/GET/DELETE ``?policy``, GET ``?policyStatus``, and
``verdict``, the policy's say in the authorization decision.

Enable with ``s3_acl = true`` in ``[filter:swift3]``: policies grant and
deny through the same decision as S3 ACLs (``swift3compat.access``), so
without ``s3_acl`` PutBucketPolicy answers NotImplemented rather than
storing a policy nobody enforces.

The document is validated by ``swift3compat.policy`` (MalformedPolicy for
anything outside the supported subset), stored as compact JSON in container
sysmeta (``bucket_config.store``, name ``policy``) and read back from
Swift's cached container info, parsed once per process.

``verdict`` is the seam the authorization path calls for each decision:
``policy.DENY`` (refuse, whatever the ACLs say), ``policy.ALLOW`` (permit,
whatever the ACLs say) or None (the ACLs decide).  The bucket owner keeps
Get/Put/DeleteBucketPolicy whatever the policy says, so that a policy can
always be fixed.  With the bucket's PublicAccessBlock
``RestrictPublicBuckets`` and a public policy, only callers of the owner's
account get the policy's Allow; ``BlockPublicPolicy`` refuses to store a
public policy (AccessDenied).
"""
from __future__ import annotations

import json
import logging
from typing import Any, Mapping, Optional

from swift3compat import errors, policy, xmlutil
from swift3compat.acl import Principal
from swift3compat.backend import Backend
from swift3compat.handlers import bucket_config
from swift3compat.request import S3Request
from swift3compat.response import S3Response, xml_response

NAME = 'policy'
LOG = logging.getLogger('swift3compat.policy')
# Sysmeta values lose leading/trailing spaces; JSON escapes keep them.
_SPACE = '\\u0020'
# Listing actions carry s3:prefix ('' when the listing names none).
_LISTINGS = frozenset(['s3:ListBucket', 's3:ListBucketVersions',
                       's3:ListBucketMultipartUploads'])


def _stored(text: str) -> str:
    return text.replace(' ', _SPACE)


def stored_text(sysmeta: Mapping[str, str]) -> Optional[str]:
    """The bucket's policy document as stored (compact JSON), or None."""
    return bucket_config.load(sysmeta, NAME)


def bucket_policy(sysmeta: Mapping[str, str], bucket: str
                  ) -> Optional[policy.Policy]:
    """The bucket's parsed policy, or None.  A stored document that no
    longer parses raises MalformedPolicy (callers fail closed)."""
    text = stored_text(sysmeta)
    if text is None:
        return None
    return policy.load(text, bucket)


# -- the configuration API ------------------------------------------------------
def get_bucket_policy(req: S3Request, backend: Backend) -> S3Response:
    text = stored_text(bucket_config.head_bucket(backend, req.bucket))
    if text is None:
        raise errors.NoSuchBucketPolicy(BucketName=req.bucket)
    body = json.dumps(json.loads(text), separators=(',', ':'),
                      ensure_ascii=False).encode('utf-8')
    return S3Response(200, body=body, content_type='application/json')


def put_bucket_policy(req: S3Request, backend: Backend) -> S3Response:
    if backend.guard is None:
        raise errors.NotImplemented('Bucket policies need s3_acl = true on '
                                    'this endpoint')
    body = bucket_config.read_config_body(req, integrity_required=False)
    if not body.strip():
        raise errors.MalformedPolicy('Policies must be valid JSON and the '
                                     "first byte must be '{'")
    document = policy.parse(body, req.bucket)
    current = bucket_config.head_bucket(backend, req.bucket)
    if policy.is_public(document) and \
            bucket_config.public_access_block(current).block_public_policy:
        raise errors.AccessDenied()
    bucket_config.store(backend, req.bucket, NAME, _stored(document.text),
                        current)
    backend.guard.ensure_indexed()      # anonymous callers must find it
    return S3Response(204)


def delete_bucket_policy(req: S3Request, backend: Backend) -> S3Response:
    current = bucket_config.head_bucket(backend, req.bucket)
    bucket_config.store(backend, req.bucket, NAME, None, current)
    return S3Response(204)


def get_bucket_policy_status(req: S3Request, backend: Backend
                             ) -> S3Response:
    sysmeta = bucket_config.head_bucket(backend, req.bucket)
    document = bucket_policy(sysmeta, req.bucket)
    if document is None:
        raise errors.NoSuchBucketPolicy(BucketName=req.bucket)
    return xml_response(xmlutil.document('PolicyStatus', [xmlutil.elem(
        'IsPublic', 'true' if policy.is_public(document) else 'false')]))


# -- the authorization seam --------------------------------------------------------
def context(req: S3Request, principal: Principal, action: str, bucket: str,
            key: Optional[str]) -> policy.Context:
    """What the policy is evaluated against for this request."""
    prefix = req.query.get('prefix', '') if action in _LISTINGS else None
    return policy.Context(
        action=action, resource=policy.resource_arn(bucket, key),
        principal_ids=principal.ids,
        source_ip=req.environ.get('REMOTE_ADDR'),
        secure_transport=req.environ.get('wsgi.url_scheme') == 'https',
        prefix=prefix)


def request_action(req: S3Request, subresource: str) -> str:
    """The S3 action of the routed request."""
    return policy.action_for(req.level, subresource, req.method,
                             version='versionId' in req.query)


def verdict(req: S3Request, backend: Backend, principal: Principal,
            caller_account: Optional[str], subresource: str, *,
            bucket: Optional[str] = None, key: Optional[str] = None,
            action: Optional[str] = None) -> Optional[str]:
    """The bucket policy's verdict on a request: ``policy.DENY``,
    ``policy.ALLOW`` or None (no statement applies; the ACLs decide).

    Called by the authorization path once the bucket's account is known
    (``backend.accounts`` / ``backend.account``), for the routed request
    (defaults) or for another object it touches (``bucket``, ``key``,
    ``action``: the source of a copy, each key of DeleteObjects).
    ``caller_account`` is the account the caller authenticated in (None:
    anonymous).  The policy comes from Swift's cached container info.
    """
    bucket = bucket or req.bucket
    if key is None and bucket == req.bucket:
        key = req.key if req.key is not None else _form_key(req)
    action = action or request_action(req, subresource)
    owner = backend.accounts.get(bucket, backend.account)
    is_owner = owner is not None and owner in principal.ids
    if is_owner and action in policy.POLICY_ACTIONS:
        return None
    sysmeta = bucket_config.info_sysmeta(backend, bucket)
    try:
        document = bucket_policy(sysmeta, bucket)
    except errors.MalformedPolicy:
        LOG.error('swift3compat: unreadable bucket policy on %s; denying '
                  'everything but policy changes by the owner', bucket)
        return policy.DENY
    result = policy.evaluate(document, context(req, principal, action,
                                               bucket, key))
    if result == policy.ALLOW and caller_account != owner and \
            policy.is_public(document) and bucket_config.public_access_block(
                sysmeta).restrict_public_buckets:
        return None
    return result


def _form_key(req: S3Request) -> Optional[str]:
    """The object key of a browser form upload (POST on the bucket)."""
    form: Any = req.environ.get('swift3compat.form')
    return getattr(form, 'key', None)
