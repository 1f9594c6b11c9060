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
import time
from typing import (Any, Callable, Dict, Iterator, Mapping, Optional,
                    Sequence, Tuple)
from urllib.parse import parse_qsl

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
EXISTING_TAG = 's3:existingobjecttag/'
# The tags of the object a request acts on, read only when a condition asks.
TagSource = Callable[[], Sequence[Tuple[str, str]]]


class _Values(Mapping[str, Tuple[str, ...]]):
    """The request's condition keys, with ``s3:ExistingObjectTag/<key>``
    read from the object (``tags``: a HEAD, or the response at hand) the
    first time a condition looks one up."""

    def __init__(self, values: Dict[str, Tuple[str, ...]],
                 tags: Optional[TagSource]) -> None:
        self._values = values
        self._tags = tags

    def _load(self) -> None:
        tags, self._tags = self._tags, None
        if tags is not None:
            for tag_key, value in tags():
                self._values[EXISTING_TAG + tag_key.lower()] = (value,)

    def __getitem__(self, key: str) -> Tuple[str, ...]:
        if key.startswith(EXISTING_TAG):
            self._load()
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        self._load()
        return iter(self._values)

    def __len__(self) -> int:
        self._load()
        return len(self._values)


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
            key: Optional[str], object_tags: Optional[TagSource] = None
            ) -> policy.Context:
    """What the policy is evaluated against for this request
    (``object_tags``: the existing object's, for s3:ExistingObjectTag)."""
    prefix = req.query.get('prefix', '') if action in _LISTINGS else None
    return policy.Context(
        action=action, resource=policy.resource_arn(bucket, key),
        principal_ids=principal.ids,
        source_ip=req.environ.get('REMOTE_ADDR'),
        secure_transport=req.environ.get('wsgi.url_scheme') == 'https',
        prefix=prefix, values=_Values(
            condition_values(req, principal, action),
            object_tags if key is not None else None))


# Request headers that are S3 condition keys of the same name (s3:<header>),
# and the object lock ones, which are named differently.
_HEADER_KEYS = (
    'x-amz-acl', 'x-amz-grant-read', 'x-amz-grant-write',
    'x-amz-grant-read-acp', 'x-amz-grant-write-acp',
    'x-amz-grant-full-control', 'x-amz-copy-source',
    'x-amz-metadata-directive', 'x-amz-storage-class',
    'x-amz-server-side-encryption',
    'x-amz-server-side-encryption-aws-kms-key-id',
    'x-amz-server-side-encryption-customer-algorithm',
    'x-amz-website-redirect-location', 'x-amz-content-sha256',
    'x-amz-object-ownership', 'if-match', 'if-none-match')
_LOCK_KEYS = (('object-lock-mode', 'x-amz-object-lock-mode'),
              ('object-lock-retain-until-date',
               'x-amz-object-lock-retain-until-date'),
              ('object-lock-legal-hold', 'x-amz-object-lock-legal-hold'))
_LISTING_KEYS = ('delimiter', 'max-keys')


def condition_values(req: S3Request, principal: Principal, action: str
                     ) -> Dict[str, Tuple[str, ...]]:
    """The condition keys (lower case) this request carries, as
    ``policy.Context.values``: time, client, caller, the S3 request
    headers, listing parameters, the tags of a new object.  ``s3:prefix``,
    ``aws:SourceIp`` and ``aws:SecureTransport`` are Context fields."""
    now = time.time()
    out: Dict[str, Tuple[str, ...]] = {
        'aws:currenttime': (time.strftime('%Y-%m-%dT%H:%M:%SZ',
                                          time.gmtime(now)),),
        'aws:epochtime': (str(int(now)),),
        'aws:principaltype': ('User' if principal.authenticated
                              else 'Anonymous',),
    }
    for name, header in (('aws:useragent', 'user-agent'),
                         ('aws:referer', 'referer')):
        value = req.header(header)
        if value is not None:
            out[name] = (value,)
    if principal.canonical_id is not None:
        out['aws:userid'] = (principal.canonical_id,)
    for header in _HEADER_KEYS:
        value = req.header(header)
        if value is not None:
            out['s3:' + header] = (value,)
    for key, header in _LOCK_KEYS:
        value = req.header(header)
        if value is not None:
            out['s3:' + key] = (value,)
    if 'versionId' in req.query:
        out['s3:versionid'] = (req.query['versionId'],)
    if action in _LISTINGS:
        for name in _LISTING_KEYS:
            if name in req.query:
                out['s3:' + name] = (req.query[name],)
    out.update(_signature_keys(req))
    tagging = req.header('x-amz-tagging')
    if tagging is not None:
        tags = parse_qsl(tagging, keep_blank_values=True)
        out['s3:requestobjecttagkeys'] = tuple(k for k, _v in tags)
        for tag_key, value in tags:
            out['s3:requestobjecttag/' + tag_key.lower()] = (value,)
    return out


def _signature_keys(req: S3Request) -> Dict[str, Tuple[str, ...]]:
    """s3:signatureversion and s3:authType."""
    authorization = req.header('authorization') or ''
    if authorization.startswith('AWS4-HMAC-SHA256'):
        return {'s3:signatureversion': ('AWS4-HMAC-SHA256',),
                's3:authtype': ('REST-HEADER',)}
    if authorization.startswith('AWS '):
        return {'s3:signatureversion': ('AWS',),
                's3:authtype': ('REST-HEADER',)}
    if 'X-Amz-Algorithm' in req.query:
        return {'s3:signatureversion': ('AWS4-HMAC-SHA256',),
                's3:authtype': ('REST-QUERY-STRING',)}
    if 'Signature' in req.query:
        return {'s3:signatureversion': ('AWS',),
                's3:authtype': ('REST-QUERY-STRING',)}
    if req.method == 'POST' and req.key is None and not req.query:
        return {'s3:authtype': ('POST',)}
    return {}


def verdict(req: S3Request, principal: Principal,
            caller_account: Optional[str], action: str, owner: str,
            sysmeta: Mapping[str, str], *, bucket: str,
            key: Optional[str] = None,
            object_tags: Optional[TagSource] = None) -> Optional[str]:
    """The bucket policy's verdict on a request: ``policy.DENY``,
    ``policy.ALLOW`` or None (no statement applies; the ACLs decide).

    Called by the guard once ``bucket`` is located: ``owner`` is the
    account holding it and ``sysmeta`` its container sysmeta (Swift's cached
    container info), for the routed request (its ``action`` from the route
    table) or for another object it touches (``key``, ``action``: the
    source of a copy, each key of DeleteObjects).  ``caller_account`` is
    the account the caller authenticated in (None: anonymous).
    ``object_tags`` gives the tags of the object acted on (the values of
    ``s3:ExistingObjectTag/<key>``); it is called only if a condition
    names one.
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
    if document is None:
        return None     # no policy: its context (headers, time) not needed
    result = policy.evaluate(document, context(req, principal, action,
                                               bucket, key, object_tags))
    if result == policy.ALLOW and caller_account != owner and \
            policy.is_public(document) and bucket_config.public_access_block(
                sysmeta).restrict_public_buckets:
        return None
    return result


def _form_key(req: S3Request) -> Optional[str]:
    """The object key of a browser form upload (POST on the bucket)."""
    form: Any = req.environ.get('swift3compat.form')
    return getattr(form, 'key', None)
