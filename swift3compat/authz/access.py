"""S3 ACL enforcement (``s3_acl = true``): who asks, where the bucket is,
and whether S3's permission model lets the request through.

Operators enable it with ``s3_acl = true`` in ``[filter:swift3]``.  Then
bucket and object ACLs decide (Swift's container ACLs no longer matter for
S3 requests), grants work across accounts, anonymous requests are served
where an ACL allows them, and bucket names are unique across accounts
(``swift3compat.authz.bucket_index``).

How a request is decided (``Guard.check_route``, called by the middleware
once the request is routed, before its handler runs; the guard is then
given to the handler's ``Backend``):

1. Authenticate without a backend request (``authz.principal``): one
   ``TEST`` subrequest goes through the auth filter after us (tempauth,
   s3token + keystoneauth),
   which checks the signature and maps the access key to the caller's
   account; the proxy answers it 405 without contacting any server.  The
   caller *owns* that account when the auth filter's own authorize callback
   says so (tempauth ``.admin``, Keystone operator roles): it then acts as
   the account's canonical id (``AUTH_test``) and as its user id; other
   users act only as their user id (``test:tester3``, a Keystone user id).
2. Locate the bucket: the caller's own account first (Swift's cached
   container info), then the bucket index (memcache).
3. Check the route's permission (its row in ``api.routes``, which names
   one for every route).  Bucket permissions are checked against the
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

from typing import Callable, Dict, Mapping, Optional, Set, Tuple, cast
from urllib.parse import unquote

from swift.common.utils import close_if_possible

from swift3compat import errors
from swift3compat.model import acl, policy
from swift3compat.model.acl import ACL, Owner, Principal
from swift3compat.swift import checksums, sysmeta, tags, versions
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
_TRACKED = sysmeta.BUCKET_MULTIPART_TRACKED
_TRACKED_INFO = sysmeta.BUCKET_MULTIPART_TRACKED_INFO

# What a route needs: (kind, permission).
NATIVE = 'native'   # the auth filter decides, on the caller's own account
BUCKET = 'bucket'   # a permission on the bucket ACL
OBJECT = 'object'   # a permission on the object ACL
NONE = 'none'       # no backend access at all (CORS preflight)
OWNER = 'OWNER'     # pseudo permission: the bucket owner only
_READS = ('GET', 'HEAD')
EXPECTED_OWNER = 'x-amz-expected-bucket-owner'
SOURCE_EXPECTED_OWNER = 'x-amz-source-expected-bucket-owner'

# A route's required permission (its row in ``api.routes``): (kind, ACL
# permission), e.g. (BUCKET, acl.READ), (OBJECT, acl.WRITE_ACP), (BUCKET,
# OWNER), (NATIVE, None), (NONE, None).
Permission = Tuple[str, Optional[str]]
KINDS = (NATIVE, BUCKET, OBJECT, NONE)


def check_expected_owner(req: S3Request, header: str,
                         owner_id: Optional[str]) -> None:
    """AccessDenied when the request names (``x-amz-expected-bucket-owner``,
    or ``x-amz-source-expected-bucket-owner`` for a copy source) an
    account that does not own the bucket: "If the account ID that you
    provide does not match the actual owner of the bucket, the request
    fails with the HTTP status code 403 Forbidden (access denied)"."""
    expected = req.header(header)
    if expected is not None and expected.strip() != owner_id:
        raise errors.AccessDenied()


def check_own_bucket_owner(req: S3Request, backend: Backend,
                           permission: Permission) -> None:
    """Without s3_acl every bucket (a copy source too) is in the caller's
    account: the expected owners are checked against it, once
    authenticated.  Costs nothing on a request without the headers."""
    if permission[0] in (NATIVE, NONE) or req.bucket is None:
        return
    wanted = [header for header in (EXPECTED_OWNER, SOURCE_EXPECTED_OWNER)
              if req.header(header) is not None]
    if not wanted:
        return
    if not backend.authenticated:
        backend.authenticate()
    for header in wanted:
        check_expected_owner(req, header, backend.account)


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


# -- the guard ---------------------------------------------------------------------
class Guard:
    """The S3 ACL decisions of one request, made before its handler runs
    (``check_route``) and consulted by the ``Backend`` it is given to for
    every subrequest (``before``, ``after``).

    ``session`` is the request's authenticated, unguarded backend: the
    guard looks buckets up through it (container info, bucket index) and
    reads the objects whose ACL it must see.  The accounts it locates
    (``bucket_account``, ``other_accounts``) and ``authorize`` are what the
    guarded backend sends its subrequests with.
    """

    def __init__(self, req: S3Request, session: Backend,
                 principal: Principal, logger) -> None:
        self.req = req
        self.backend = session
        self.principal = principal
        self.logger = logger
        self.own_account = session.account if principal.authenticated \
            else None
        self.index = BucketIndex(session, req.conf.bucket_index_account,
                                 logger)
        self.kind = NATIVE
        self.action: Optional[str] = None
        self.bucket_acls: Dict[str, ACL] = {}
        self.sysmeta: Dict[str, Mapping[str, str]] = {}
        self.accounts: Dict[str, str] = {}
        # What the guarded backend addresses: the route's bucket in its
        # owner's account, other buckets (copy sources) in theirs.
        self.bucket_account: Optional[str] = None
        self.other_accounts: Dict[str, str] = {}
        self.authorize: Optional[Callable] = None
        self.pending: Dict[Tuple[str, str], str] = {}
        self.verified: Set[Tuple[str, str]] = set()

    # -- route ---------------------------------------------------------------
    def check_route(self, permission: Permission, action: Optional[str]
                    ) -> None:
        """Decide the routed request: its route's ``permission`` and its
        policy ``action`` (both from its row in ``api.routes``)."""
        req = self.req
        kind, needed = permission
        if req.level == 'service':
            kind = NATIVE
        self.kind = kind
        self.action = action
        if kind == NONE:
            return
        if kind == NATIVE:
            if not self.principal.authenticated:
                raise errors.AccessDenied()
            return
        bucket_acl = self.locate(req.bucket)
        check_expected_owner(req, EXPECTED_OWNER, bucket_acl.owner.id)
        self.bucket_account = self.accounts[req.bucket]
        self.authorize = allow
        if kind == BUCKET:
            self._require(bucket_acl, needed)
        else:
            self.pending[(req.bucket, req.key)] = cast(str, needed)
        source = self._copy_source()
        if source is not None:
            self._expect_read(*source)
            check_expected_owner(req, SOURCE_EXPECTED_OWNER,
                                 self.bucket_acls[source[0]].owner.id)

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
               action: Optional[str] = None, object_headers=None) -> bool:
        """Deny-first: the bucket policy's verdict (on the routed request,
        or on ``key`` / ``action``), then the ACLs (``allows``).  The
        object's tags (s3:ExistingObjectTag) come from ``object_headers``
        (its GET/HEAD response), else from a HEAD if a condition asks."""
        target = key if key is not None else \
            self.req.key if bucket == self.req.bucket else None
        object_tags: Optional[bucket_policy.TagSource] = None
        if object_headers is not None:
            object_tags = lambda: tags.object_tags(object_headers)  # noqa: E731
        elif target is not None:
            object_tags = lambda: self._stored_tags(  # noqa: E731
                bucket, target)
        verdict = bucket_policy.verdict(
            self.req, self.principal, self.own_account,
            action or self.action or '', self.accounts[bucket],
            self.sysmeta[bucket], bucket=bucket, key=key,
            object_tags=object_tags)
        return policy.authorize(verdict, lambda: self.allows(
            bucket, resource_acl, permission))

    def _stored_tags(self, bucket: str, key: str) -> tags.Tags:
        """The tags of ``key`` (of the requested version, for the routed
        key); none when it does not exist."""
        query = {}
        version = self.req.query.get('versionId')
        if (bucket, key) == (self.req.bucket, self.req.key) and \
                version is not None and versions.valid_version_id(version):
            query['version-id'] = version
        resp = self.backend.request(
            'HEAD', bucket, key, query=query, ok=(400, 404),
            account=self.accounts[bucket], authorize=allow)
        if resp.status_int != 200:
            return []
        return tags.object_tags(resp.headers)

    def owner_or_granted(self, action: str, key: Optional[str]) -> bool:
        """The route's bucket owner, or a caller the bucket policy grants
        ``action`` on ``key`` (e.g. s3:BypassGovernanceRetention)."""
        bucket = self.req.bucket or ''
        return self.decide(bucket, self.bucket_acl(bucket), OWNER, key=key,
                           action=action)

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
            self.other_accounts[bucket] = account
        self.sysmeta[bucket] = info.get('sysmeta') or {}
        self.bucket_acls[bucket] = self.stored_bucket_acl(
            self.sysmeta[bucket], account)
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

    def stored_bucket_acl(self, info_sysmeta: Mapping[str, str],
                          account: str) -> ACL:
        """A bucket's ACL from its container info's sysmeta."""
        text = info_sysmeta.get(_BUCKET_ACL_INFO)
        if not text and info_sysmeta.get(_TRACKED_INFO) == \
                sysmeta.BUCKET_OWNER_ACL_MARK:
            # created without its ACL (omit_owner_bucket_acl): never one
            # that allow_no_owner opens
            return acl.private(Owner(account))
        return self.stored_acl(text, Owner(account))

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
        text = sysmeta.read(headers, OBJECT_ACL)
        if not text and checksums.owner_acl_marked(headers):
            # stored without its ACL (omit_owner_acl): never one that
            # allow_no_owner opens
            return acl.private(owner)
        return self.stored_acl(text, owner)

    def creator(self) -> Owner:
        """The owner of what this request creates (anonymous writes belong
        to the bucket owner)."""
        if self.principal.canonical_id is None:
            return self.bucket_acl().owner
        return Owner(self.principal.canonical_id)

    def owns(self, bucket_acl: ACL) -> bool:
        return acl.is_owner(bucket_acl, self.principal)

    def settle(self, wanted: ACL, is_object: bool,
               requested: bool = True) -> ACL:
        """The ACL to store for ``wanted`` under the bucket's settings
        (BlockPublicAcls, ObjectOwnership); makes sure the bucket can be
        found by whoever it grants something.  ``requested``: the request
        named the ACL (else ``wanted`` is the default, private).

        With BucketOwnerEnforced a new object may only name the bucket
        owner's full control (``bucket-owner-full-control``, or ``private``
        from the bucket owner), as AWS: anything else, including a writer's
        own ``private``, is AccessControlListNotSupported."""
        bucket_owner = self.bucket_acl().owner
        if self.ownership() == ENFORCED:
            full = acl.Grant(acl.Grantee.user(bucket_owner.id),
                             acl.FULL_CONTROL)
            if requested and not (
                    full in wanted.grants and wanted.only_full_control_for(
                        bucket_owner.id, wanted.owner.id)):
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
                and self.action == 's3:DeleteObject' and self.req.key is None:
            self._check_deleted_key(obj)
        if container is None:
            if not self.owns(self.bucket_acl()):
                raise errors.AccessDenied()
        elif not self._bucket_storage(container):
            if obj is None or method not in _READS:
                raise errors.AccessDenied()
            self._expect_read(container, obj)

    def _bucket_storage(self, container: str) -> bool:
        """The route's bucket, its ``<bucket>+...`` helper containers, or
        the container where Swift keeps its versions (all covered by the
        decision on the bucket)."""
        bucket = cast(str, self.req.bucket)
        return container == bucket or container.startswith(bucket + '+') \
            or (bucket in self.sysmeta and container ==
                versions.versions_container_of(self.sysmeta[bucket], bucket))

    def _check_deleted_key(self, key: str) -> None:
        """DeleteObjects (the bucket-level route of action s3:DeleteObject):
        a policy Deny on one key refuses that key."""
        bucket = self.req.bucket
        if bucket_policy.verdict(
                self.req, self.principal, self.own_account,
                's3:DeleteObject', self.accounts[bucket],
                self.sysmeta[bucket], bucket=bucket, key=key) == policy.DENY:
            raise errors.AccessDenied()

    def _expect_read(self, container: str, obj: str) -> None:
        self.locate(container)
        if (container, obj) not in self.verified:
            self.pending.setdefault((container, obj), acl.READ)

    def _verify_pending(self) -> None:
        """Read the objects whose ACL is still to be seen (a copy source
        before the copy); their HEAD goes to the account that holds them
        with the decision's authorization, and ``after`` checks it."""
        for container, obj in list(self.pending):
            resp = self.backend.request(
                'HEAD', container, obj, ok=(404,),
                account=self.accounts[container], authorize=allow)
            self.after('HEAD', container, obj, resp)
            if (container, obj) in self.pending:
                # located, so the bucket exists (Backend.error_for's 404)
                raise errors.NoSuchKey(Key=self.req.key)

    def _check_copy_from(self, value: str, account: Optional[str]) -> None:
        container, obj = split_object_path(unquote(value))
        self._expect_read(container, obj)
        self._verify_pending()
        if (account or self.bucket_account) != self.accounts[container]:
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
                           permission, obj, None if routed else 's3:GetObject',
                           object_headers=resp.headers):
            close_if_possible(resp.app_iter)
            raise errors.AccessDenied()
        del self.pending[(container, obj)]
        self.verified.add((container, obj))


def guard_of(backend: Backend) -> Optional[Guard]:
    """The request's S3 ACL decision (s3_acl), None without s3_acl."""
    return cast(Optional[Guard], backend.guard)


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


def omit_owner_bucket_acl(headers: Dict[str, str], backend: Backend) -> None:
    """A new bucket whose ACL is its owner's private one (most buckets)
    stores no ACL: its multipart tracking marker (``headers``: a
    CreateBucket's, with it and the ACL from ``bucket_create_headers``)
    says so instead, and ``Guard.stored_bucket_acl`` reads it as that ACL.
    As ``omit_owner_acl`` for objects, and only with allow_no_owner off."""
    guard = guard_of(backend)
    if guard is None or guard.req.conf.allow_no_owner or \
            _TRACKED not in headers:
        return
    if headers.get(BUCKET_ACL) == \
            acl.private(Owner(backend.account or '')).to_json():
        del headers[BUCKET_ACL]
        headers[_TRACKED] = sysmeta.BUCKET_OWNER_ACL_MARK


def object_create_headers(req: S3Request, backend: Backend) -> Dict[str, str]:
    """Transient sysmeta of an object being written (PUT, copy, multipart
    completion): its ACL from x-amz-acl / x-amz-grant-* (s3_acl)."""
    guard = guard_of(backend)
    if guard is None:
        owner = Owner(backend.caller_id or backend.account)
        require_owner_only(acl.from_request(req.headers(), b'', owner, owner))
        return {}
    owner = guard.creator()
    requested = acl.from_request(req.headers(), b'', owner,
                                 guard.bucket_acl().owner)
    wanted = requested or acl.private(owner)
    return {OBJECT_ACL: guard.settle(wanted, is_object=True,
                                     requested=requested is not None
                                     ).to_json()}


def omit_owner_acl(headers: Dict[str, str], backend: Backend) -> None:
    """Store no ACL for a new object whose ACL is its bucket owner's
    private one (most objects): each header stored costs every GET and
    HEAD of the object (doc/performance.md, "Round 7").  The object's
    checksum among ``headers`` is marked instead, and ``object_acl`` reads
    the mark as that ACL.  Only with allow_no_owner off: a proxy that does
    not know the mark then reads the missing ACL as the same one (with
    allow_no_owner on it would open the object to every authenticated
    user).  ``headers``: a PUT's, with the ACL from
    ``object_create_headers`` and the checksum sysmeta."""
    guard = guard_of(backend)
    if guard is None or guard.req.conf.allow_no_owner:
        return
    if headers.get(OBJECT_ACL) == \
            acl.private(guard.bucket_acl().owner).to_json() and \
            checksums.mark_owner_acl(headers):
        del headers[OBJECT_ACL]


def claim_bucket(req: S3Request, backend: Backend) -> bool:
    """Before CreateBucket (s3_acl): BucketAlreadyOwnedByYou for an existing
    bucket of the caller, BucketAlreadyExists when another account holds
    the name; else the name is recorded for the caller.  Returns whether
    this call recorded it (``release_bucket`` undoes that on failure)."""
    guard = guard_of(backend)
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
    guard = guard_of(backend)
    if guard is not None:
        guard.index.release(req.bucket, backend.account)


def listed_bucket(req: S3Request, backend: Backend, bucket: str) -> bool:
    """ListBuckets shows ``bucket`` (with ``check_bucket_owner``: only when
    the caller owns it; costs one cached container info per bucket)."""
    guard = guard_of(backend)
    if guard is None or not req.conf.check_bucket_owner:
        return True
    info = backend.container_info(bucket)
    return guard.owns(guard.stored_bucket_acl(
        info.get('sysmeta') or {}, backend.account or ''))
