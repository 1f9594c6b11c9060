"""S3 ACL enforcement (``s3_acl = true``): who asks, where the bucket is,
and whether S3's permission model lets the request through.

Operators enable it with ``s3_acl = true`` in ``[filter:swift3]``.  Then
bucket and object ACLs decide (Swift's container ACLs no longer matter for
S3 requests), grants work across accounts, anonymous requests are served
where an ACL allows them, and bucket names are unique across accounts
(``swift3compat.authz.bucket_index``).

How a request is decided (``enforce``, called by the middleware once the
request is routed):

1. Authenticate without a backend request: one ``TEST`` subrequest goes
   through the auth filter after us (tempauth, s3token + keystoneauth),
   which checks the signature and maps the access key to the caller's
   account; the proxy answers it 405 without contacting any server.  The
   caller *owns* that account when the auth filter's own authorize callback
   says so (tempauth ``.admin``, Keystone operator roles): it then acts as
   the account's canonical id (``AUTH_test``) and as its user id; other
   users act only as their user id (``test:tester3``, a Keystone user id).
2. Locate the bucket: the caller's own account first (Swift's cached
   container info), then the bucket index (memcache).
3. Check the route's permission (``ROUTE_PERMISSIONS``; routes not listed
   there need the bucket owner).  Bucket permissions are checked against the
   bucket ACL, which comes with Swift's cached container info; object
   permissions against the object ACL, which comes with the object's own
   GET/HEAD response (``Backend`` calls ``Guard.after`` before the handler
   sees it), so neither costs an extra backend request when the info cache
   is warm.
4. Subrequests then go to the bucket owner's account with a
   ``swift.authorize`` that lets them pass: the S3 decision has been made.
   ``Guard.before`` keeps them to what was decided: the bucket (and its
   ``<bucket>+...`` helper containers), objects read for a copy after their
   ACL allowed it, nothing else.  ListBuckets and CreateBucket keep the auth
   filter's own authorization on the caller's account.

Storage: bucket ACLs live in ``X-Container-Sysmeta-S3c-Acl``, object ACLs in
``X-Object-Transient-Sysmeta-S3c-Acl`` (transient sysmeta: PUT ?acl changes
it with a POST that keeps the data and the metadata, see api/acl.py).
Resources without a stored ACL (made through the Swift API or before
``s3_acl`` was turned on) belong to the account that holds them and are
private; ``allow_no_owner`` lets every authenticated user read them.

The bucket's own settings (``swift.bucket_config``, from the same cached
container info) shape the decision: PublicAccessBlock ``IgnorePublicAcls``
drops grants to AllUsers/AuthenticatedUsers, ``BlockPublicAcls`` refuses to
store them (AccessDenied); ObjectOwnership ``BucketOwnerEnforced`` disables
ACLs (the bucket owner owns and decides everything; setting any ACL but the
owner's full control is AccessControlListNotSupported) and
``BucketOwnerPreferred`` gives the bucket owner the objects written with
``bucket-owner-full-control``.
"""
from __future__ import annotations

from typing import Dict, Mapping, Optional, Set, Tuple
from urllib.parse import unquote

from swift.common.swob import Request as SwobRequest
from swift.common.utils import close_if_possible

from swift3compat import errors
from swift3compat.model import acl, policy
from swift3compat.model.acl import ACL, Owner, Principal
from swift3compat.swift import sysmeta
from swift3compat.swift.backend import Backend, split_object_path
from swift3compat.authz.bucket_index import BucketIndex
from swift3compat.swift import bucket_config
from swift3compat.authz import policy as bucket_policy
from swift3compat.http.request import S3Request

BUCKET_ACL = sysmeta.BUCKET_ACL
ENFORCED = 'BucketOwnerEnforced'      # ObjectOwnership: ACLs disabled
PREFERRED = 'BucketOwnerPreferred'
OBJECT_ACL = sysmeta.OBJECT_ACL
_BUCKET_ACL_INFO = sysmeta.BUCKET_ACL_INFO

# What a route needs: (kind, permission).
NATIVE = 'native'   # the auth filter decides, on the caller's own account
BUCKET = 'bucket'   # a permission on the bucket ACL
OBJECT = 'object'   # a permission on the object ACL
NONE = 'none'       # no backend access at all (CORS preflight)
OWNER = 'OWNER'     # pseudo permission: the bucket owner only
_READS = ('GET', 'HEAD')

ROUTE_PERMISSIONS: Dict[Tuple[str, str, str], Tuple[str, Optional[str]]] = {
    ('service', '', 'GET'): (NATIVE, None),
    ('bucket', '', 'PUT'): (NATIVE, None),
    ('bucket', '', 'GET'): (BUCKET, acl.READ),
    ('bucket', '', 'HEAD'): (BUCKET, acl.READ),
    ('bucket', '', 'DELETE'): (BUCKET, OWNER),
    ('bucket', '', 'OPTIONS'): (NONE, None),
    ('bucket', '', 'POST'): (BUCKET, acl.WRITE),     # browser form upload
    ('bucket', 'acl', 'GET'): (BUCKET, acl.READ_ACP),
    ('bucket', 'acl', 'PUT'): (BUCKET, acl.WRITE_ACP),
    ('bucket', 'delete', 'POST'): (BUCKET, acl.WRITE),
    ('bucket', 'location', 'GET'): (BUCKET, acl.READ),
    ('bucket', 'versions', 'GET'): (BUCKET, acl.READ),
    ('bucket', 'uploads', 'GET'): (BUCKET, acl.READ),
    ('object', '', 'GET'): (OBJECT, acl.READ),
    ('object', '', 'HEAD'): (OBJECT, acl.READ),
    ('object', '', 'PUT'): (BUCKET, acl.WRITE),
    ('object', '', 'DELETE'): (BUCKET, acl.WRITE),
    ('object', '', 'OPTIONS'): (NONE, None),
    ('object', 'acl', 'GET'): (OBJECT, acl.READ_ACP),
    ('object', 'acl', 'PUT'): (OBJECT, acl.WRITE_ACP),
    ('object', 'tagging', 'GET'): (OBJECT, acl.READ),
    ('object', 'attributes', 'GET'): (OBJECT, acl.READ),
    ('object', 'uploads', 'POST'): (BUCKET, acl.WRITE),
    ('object', 'uploadId', 'PUT'): (BUCKET, acl.WRITE),
    ('object', 'uploadId', 'POST'): (BUCKET, acl.WRITE),
    ('object', 'uploadId', 'DELETE'): (BUCKET, acl.WRITE),
    ('object', 'uploadId', 'GET'): (BUCKET, acl.READ),
}
DEFAULT_PERMISSION = (BUCKET, OWNER)


def allow(_req) -> None:
    """``swift.authorize`` once the S3 ACLs have allowed a request."""
    return None


def _exists(info: Mapping) -> bool:
    """Whether Swift's container info says the bucket exists;
    ServiceUnavailable when Swift could not tell (container servers down),
    rather than a NoSuchBucket a client would act on."""
    status = info.get('status') or 0
    if status >= 500:
        raise errors.ServiceUnavailable()
    return status in (200, 204)


# -- who asks --------------------------------------------------------------------
def authenticate(req: S3Request, backend: Backend) -> Principal:
    """Authenticate a signed request (no backend request) and say who it
    is."""
    env = backend.authenticate()
    account = backend.account
    user_id = env.get('HTTP_X_USER_ID') or _tempauth_user(
        env.get('REMOTE_USER', ''))
    ids = {user_id} if user_id else set()
    owner = _owns_account(req, backend)
    if owner:
        ids.add(account)
    return Principal(frozenset(ids), account if owner else user_id, True)


def _tempauth_user(remote_user: str) -> Optional[str]:
    """tempauth's REMOTE_USER is 'account,account:user,AUTH_account...'."""
    groups = remote_user.split(',')
    return groups[1] if len(groups) > 1 else (groups[0] or None)


def _owns_account(req: S3Request, backend: Backend) -> bool:
    """Whether the auth filter's own authorization makes the caller an
    owner of its account (tempauth .admin, Keystone operator role)."""
    env = backend.make_env('HEAD', req.bucket or 'bucket')
    authorize = env.get('swift.authorize')
    if authorize is None:
        return False
    probe = SwobRequest(env)
    return authorize(probe) is None and bool(env.get('swift_owner'))


def enforce(req: S3Request, backend: Backend, subresource: str,
            logger) -> None:
    """Decide a routed request under S3 ACLs; raise AccessDenied (or
    NoSuchBucket) when it may not proceed.  Leaves ``backend.guard`` set."""
    principal = authenticate(req, backend) if backend.signed is not None \
        else acl.ANONYMOUS
    req.user_id = principal.canonical_id
    guard = Guard(req, backend, principal, logger)
    backend.guard = guard
    guard.check_route(subresource)


# -- the guard ---------------------------------------------------------------------
class Guard:
    """The S3 ACL decisions of one request, consulted by ``Backend``."""

    def __init__(self, req: S3Request, backend: Backend,
                 principal: Principal, logger) -> None:
        self.req = req
        self.backend = backend
        self.principal = principal
        self.logger = logger
        self.own_account = backend.account if principal.authenticated \
            else None
        self.index = BucketIndex(backend, req.conf.bucket_index_account,
                                 logger)
        self.kind = NATIVE
        self.subresource = ''
        self.bucket_acls: Dict[str, ACL] = {}
        self.sysmeta: Dict[str, Mapping[str, str]] = {}
        self.accounts: Dict[str, str] = {}
        self.pending: Dict[Tuple[str, str], str] = {}
        self.verified: Set[Tuple[str, str]] = set()

    # -- route ---------------------------------------------------------------
    def check_route(self, subresource: str) -> None:
        req = self.req
        kind, permission = ROUTE_PERMISSIONS.get(
            (req.level, subresource, req.method), DEFAULT_PERMISSION)
        if req.level == 'service':
            kind = NATIVE
        self.kind = kind
        self.subresource = subresource
        if kind == NONE:
            return
        if kind == NATIVE:
            if not self.principal.authenticated:
                raise errors.AccessDenied()
            return
        bucket_acl = self.locate(req.bucket)
        self.backend.account = self.accounts[req.bucket]
        self.backend.authorize = allow
        if kind == BUCKET:
            self._require(bucket_acl, permission)
        else:
            self.pending[(req.bucket, req.key)] = permission
        source = self._copy_source()
        if source is not None:
            self._expect_read(*source)

    def _copy_source(self) -> Optional[Tuple[str, str]]:
        """The copy source named by the request, if any.  Only saves a
        HEAD: the X-Copy-From of the copy itself is what ``before``
        checks."""
        raw = self.req.header('x-amz-copy-source')
        if raw is None or self.req.method != 'PUT' or \
                self.req.level != 'object':
            return None
        bucket, key = split_object_path(unquote(raw.partition('?')[0]))
        return (bucket, key) if bucket and key else None

    def _require(self, bucket_acl: ACL, permission: Optional[str]) -> None:
        if not self.decide(self.req.bucket, bucket_acl, permission):
            raise errors.AccessDenied()

    def decide(self, bucket: str, resource_acl: ACL,
               permission: Optional[str], key: Optional[str] = None,
               action: Optional[str] = None) -> bool:
        """Deny-first: the bucket policy's verdict (on the routed request,
        or on ``key`` / ``action``), then the ACLs (``allows``)."""
        verdict = bucket_policy.verdict(
            self.req, self.backend, self.principal, self.own_account,
            self.subresource, bucket=bucket, key=key, action=action)
        return policy.authorize(verdict, lambda: self.allows(
            bucket, resource_acl, permission))

    def allows(self, bucket: str, resource_acl: ACL,
               permission: Optional[str]) -> bool:
        """The S3 ACL decision on ``bucket`` or one of its objects
        (``resource_acl``), with the bucket's ownership and public access
        settings."""
        if self.ownership(bucket) == ENFORCED or permission == OWNER:
            return acl.is_owner(self.bucket_acls[bucket], self.principal)
        if self.public_access_block(bucket).ignore_public_acls:
            resource_acl = resource_acl.without_public()
        return acl.permits(resource_acl, self.principal, permission)

    def ownership(self, bucket: Optional[str] = None) -> Optional[str]:
        return bucket_config.object_ownership(
            self.sysmeta[bucket or self.req.bucket])

    def public_access_block(self, bucket: Optional[str] = None
                            ) -> bucket_config.PublicAccessBlock:
        return bucket_config.public_access_block(
            self.sysmeta[bucket or self.req.bucket])

    # -- where buckets are ------------------------------------------------------
    def locate(self, bucket: str) -> ACL:
        """Find the account holding ``bucket`` and its ACL (NoSuchBucket)."""
        if bucket in self.bucket_acls:
            return self.bucket_acls[bucket]
        account, info = self._find(bucket)
        self.accounts[bucket] = account
        if bucket != self.req.bucket:
            self.backend.accounts[bucket] = account
        self.sysmeta[bucket] = info.get('sysmeta') or {}
        self.bucket_acls[bucket] = self.stored_acl(
            self.sysmeta[bucket].get(_BUCKET_ACL_INFO), Owner(account))
        return self.bucket_acls[bucket]

    def _find(self, bucket: str) -> Tuple[str, Mapping]:
        if self.own_account is not None:
            info = self.backend.container_info(bucket,
                                               account=self.own_account)
            if _exists(info):
                return self.own_account, info
        account = self.index.lookup(bucket)
        if account is not None and account != self.own_account:
            info = self.backend.container_info(bucket, account=account)
            if _exists(info):
                return account, info
        raise errors.NoSuchBucket(BucketName=bucket)

    def stored_acl(self, text: Optional[str], owner: Owner) -> ACL:
        """An ACL from sysmeta; private to ``owner`` when there is none."""
        if text:
            try:
                return ACL.from_json(text)
            except ValueError:
                self.logger.warning('swift3compat: unreadable ACL %r on '
                                    '%s; treating it as private', text,
                                    self.req.resource)
        default = acl.private(owner)
        if self.req.conf.allow_no_owner:
            default = ACL(owner, default.grants + (acl.Grant(
                acl.Grantee.group(acl.AUTHENTICATED_USERS), acl.READ),))
        return default

    # -- what handlers read --------------------------------------------------------
    def bucket_acl(self, bucket: Optional[str] = None) -> ACL:
        return self.locate(bucket or self.req.bucket)

    def object_acl(self, headers, bucket: Optional[str] = None) -> ACL:
        """The ACL of an object from its GET/HEAD response headers."""
        owner = self.bucket_acl(bucket).owner
        if self.ownership(bucket) == ENFORCED:
            return acl.private(owner)
        return self.stored_acl(headers.get(OBJECT_ACL), owner)

    def creator(self) -> Owner:
        """The owner of what this request creates (anonymous writes belong
        to the bucket owner)."""
        if self.principal.canonical_id is None:
            return self.bucket_acl().owner
        return Owner(self.principal.canonical_id)

    def owns(self, bucket_acl: ACL) -> bool:
        return acl.is_owner(bucket_acl, self.principal)

    def settle(self, wanted: ACL, is_object: bool) -> ACL:
        """The ACL to store for ``wanted`` under the bucket's settings
        (BlockPublicAcls, ObjectOwnership); makes sure the bucket can be
        found by whoever it grants something."""
        bucket_owner = self.bucket_acl().owner
        if self.ownership() == ENFORCED:
            if not wanted.only_full_control_for(bucket_owner.id,
                                                wanted.owner.id):
                raise errors.AccessControlListNotSupported()
            return acl.private(bucket_owner) if is_object else wanted
        if wanted.is_public() and \
                self.public_access_block().block_public_acls:
            raise errors.AccessDenied()
        if is_object and self.ownership() == PREFERRED and \
                acl.Grant(acl.Grantee.user(bucket_owner.id),
                          acl.FULL_CONTROL) in wanted.grants:
            wanted = ACL(bucket_owner, wanted.grants)
        if not wanted.is_owner_only():
            self.ensure_indexed()
        return wanted

    def ensure_indexed(self) -> None:
        """Make sure anonymous callers can find the route's bucket (it may
        predate the index)."""
        bucket = self.req.bucket
        if self.index.lookup(bucket) is None:
            self.index.claim(bucket, self.accounts[bucket])

    # -- Backend hooks ---------------------------------------------------------------
    def before(self, method: str, container: Optional[str],
               obj: Optional[str], headers: Optional[Mapping[str, str]]
               ) -> None:
        """Refuse a subrequest the S3 decision did not cover."""
        if self.kind == NATIVE:
            return
        if self.kind == NONE:
            raise errors.AccessDenied()
        if method not in _READS:
            self._verify_pending()
            copy_from = (headers or {}).get('X-Copy-From')
            if copy_from is not None:
                self._check_copy_from(copy_from,
                                      (headers or {}).get('X-Copy-From-Account'))
        bucket = self.req.bucket
        if method == 'DELETE' and obj is not None and container == bucket \
                and self.subresource == 'delete':
            self._check_deleted_key(obj)
        if container is None:
            if not self.owns(self.bucket_acl()):
                raise errors.AccessDenied()
        elif container != bucket and not container.startswith(bucket + '+'):
            if obj is None or method not in _READS:
                raise errors.AccessDenied()
            self._expect_read(container, obj)

    def _check_deleted_key(self, key: str) -> None:
        """DeleteObjects: a policy Deny on one key refuses that key."""
        if bucket_policy.verdict(
                self.req, self.backend, self.principal, self.own_account,
                self.subresource, key=key,
                action='s3:DeleteObject') == policy.DENY:
            raise errors.AccessDenied()

    def _expect_read(self, container: str, obj: str) -> None:
        self.locate(container)
        if (container, obj) not in self.verified:
            self.pending.setdefault((container, obj), acl.READ)

    def _verify_pending(self) -> None:
        for container, obj in list(self.pending):
            self.backend.request('HEAD', container, obj, ok=(404,))
            if (container, obj) in self.pending:
                raise self.backend.error_for(404, container, obj)

    def _check_copy_from(self, value: str, account: Optional[str]) -> None:
        container, obj = split_object_path(unquote(value))
        self._expect_read(container, obj)
        self._verify_pending()
        if (account or self.backend.account) != self.accounts[container]:
            raise errors.AccessDenied()

    def after(self, method: str, container: Optional[str],
              obj: Optional[str], resp) -> None:
        """Check an object's ACL on its own GET/HEAD response."""
        permission = self.pending.get((container, obj))
        if permission is None or method not in _READS:
            return
        status = resp.status_int
        routed = (container, obj) == (self.req.bucket, self.req.key)
        if status == 404:
            # Only those who may list the bucket learn that a key is absent.
            if not self.decide(container, self.bucket_acl(container),
                               acl.READ, obj, 's3:ListBucket'):
                close_if_possible(resp.app_iter)
                raise errors.AccessDenied()
            return
        if status >= 300 and status not in (304, 412, 416):
            return
        if not self.decide(container, self.object_acl(resp.headers, container),
                           permission, obj, None if routed else 's3:GetObject'):
            close_if_possible(resp.app_iter)
            raise errors.AccessDenied()
        del self.pending[(container, obj)]
        self.verified.add((container, obj))


# -- ACLs of new buckets and objects -------------------------------------------------------
def require_owner_only(wanted: Optional[ACL]) -> None:
    """Without s3_acl only the owner has access: accept a request for that,
    refuse anything else cleanly."""
    if wanted is not None and not wanted.is_owner_only():
        raise errors.NotImplemented('Grants to anyone but the owner need '
                                    's3_acl = true on this endpoint')


def bucket_create_headers(req: S3Request, backend: Backend) -> Dict[str, str]:
    """Sysmeta of a bucket being created: its ACL (s3_acl)."""
    owner = Owner(backend.account)
    if backend.guard is None:
        require_owner_only(acl.from_request(req.headers(), b'', owner))
        return {}
    wanted = acl.from_request(req.headers(), b'', owner) or acl.private(owner)
    return {BUCKET_ACL: wanted.to_json()}


def object_create_headers(req: S3Request, backend: Backend) -> Dict[str, str]:
    """Transient sysmeta of an object being written (PUT, copy, multipart
    completion): its ACL from x-amz-acl / x-amz-grant-* (s3_acl)."""
    guard: Optional[Guard] = backend.guard
    if guard is None:
        owner = Owner(req.user_id or backend.account)
        require_owner_only(acl.from_request(req.headers(), b'', owner, owner))
        return {}
    owner = guard.creator()
    wanted = acl.from_request(req.headers(), b'', owner,
                              guard.bucket_acl().owner) or acl.private(owner)
    return {OBJECT_ACL: guard.settle(wanted, is_object=True).to_json()}


def claim_bucket(req: S3Request, backend: Backend) -> bool:
    """Before CreateBucket (s3_acl): BucketAlreadyOwnedByYou for an existing
    bucket of the caller, BucketAlreadyExists when another account holds
    the name; else the name is recorded for the caller.  Returns whether
    this call recorded it (``release_bucket`` undoes that on failure)."""
    guard: Optional[Guard] = backend.guard
    if guard is None:
        return False
    account = backend.account
    if _exists(backend.container_info(req.bucket)):
        guard.index.claim(req.bucket, account)
        raise errors.BucketAlreadyOwnedByYou(BucketName=req.bucket)
    holder, recorded = guard.index.claim(req.bucket, account)
    if holder != account:
        raise errors.BucketAlreadyExists(BucketName=req.bucket)
    return recorded


def release_bucket(req: S3Request, backend: Backend) -> None:
    """After DeleteBucket (or a failed CreateBucket): free the name."""
    guard: Optional[Guard] = backend.guard
    if guard is not None:
        guard.index.release(req.bucket, backend.account)


def listed_bucket(req: S3Request, backend: Backend, bucket: str) -> bool:
    """ListBuckets shows ``bucket`` (with ``check_bucket_owner``: only when
    the caller owns it; costs one cached container info per bucket)."""
    guard: Optional[Guard] = backend.guard
    if guard is None or not req.conf.check_bucket_owner:
        return True
    info = backend.container_info(bucket)
    return guard.owns(guard.stored_acl(
        info.get('sysmeta', {}).get(_BUCKET_ACL_INFO),
        Owner(backend.account)))
