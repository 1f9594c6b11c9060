"""The bucket policy's say in the authorization decision (``verdict``).

``verdict`` is the seam the authorization path calls for each decision:
``policy.DENY`` (refuse, whatever the ACLs say), ``policy.ALLOW`` (permit,
whatever the ACLs say) or None (the ACLs decide).  The bucket owner keeps
Get/Put/DeleteBucketPolicy whatever the policy says, so that a policy can
always be fixed.  With the bucket's PublicAccessBlock
``RestrictPublicBuckets`` and a public policy, only callers of the owner's
account get the policy's Allow.  The policy API (``?policy``) is
``api.policy``.
"""
from __future__ import annotations

import logging
from typing import Any, Mapping, Optional

from swift3compat import errors
from swift3compat.http.request import S3Request
from swift3compat.model import policy
from swift3compat.model.acl import Principal
from swift3compat.swift import bucket_config


NAME = 'policy'
LOG = logging.getLogger('swift3compat.policy')
# Sysmeta values lose leading/trailing spaces; JSON escapes keep them.
_SPACE = '\\u0020'
# Listing actions carry s3:prefix ('' when the listing names none).
_LISTINGS = frozenset(['s3:ListBucket', 's3:ListBucketVersions',
                       's3:ListBucketMultipartUploads'])


def storable(text: str) -> str:
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


def verdict(req: S3Request, principal: Principal,
            caller_account: Optional[str], action: str, owner: str,
            sysmeta: Mapping[str, str], *, bucket: str,
            key: Optional[str] = None) -> Optional[str]:
    """The bucket policy's verdict on a request: ``policy.DENY``,
    ``policy.ALLOW`` or None (no statement applies; the ACLs decide).

    Called by the guard once ``bucket`` is located: ``owner`` is the
    account holding it and ``sysmeta`` its container sysmeta (Swift's cached
    container info), for the routed request (its ``action`` from the route
    table) or for another object it touches (``key``, ``action``: the
    source of a copy, each key of DeleteObjects).  ``caller_account`` is
    the account the caller authenticated in (None: anonymous).
    """
    if key is None and bucket == req.bucket:
        key = req.key if req.key is not None else _form_key(req)
    is_owner = owner in principal.ids
    if is_owner and action in policy.POLICY_ACTIONS:
        return None
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
