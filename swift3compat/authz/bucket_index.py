"""The global bucket namespace: which Swift account holds each S3 bucket.

S3 has one bucket namespace; Swift has one per account.  With
``s3_acl = true`` swift3compat keeps an index in a reserved account
(``bucket_index_account``, default ``.swift3compat``): container
``buckets``, one empty object per bucket whose sysmeta names the account
that holds it.

* CreateBucket claims the name with a conditional PUT (``If-None-Match:
  *``), so a second account gets BucketAlreadyExists;
* DeleteBucket releases it;
* anonymous requests, and signed requests for a bucket of another account,
  find the account here.

Lookups are cached in memcache (``CACHE_TTL``; names not found for
``MISS_TTL``), so the index costs no backend request while the cache holds
the answer.  Accounts whose name starts with a dot are reserved in Swift:
the auth middlewares refuse them to clients.  The index container is created
on first use; that needs ``account_autocreate = true`` in the proxy (the
usual setting with Keystone), else CreateBucket answers ServiceUnavailable
and the log says why.
"""
from __future__ import annotations

from typing import Optional, Tuple


from swift3compat import errors
from swift3compat.swift import sysmeta

INDEX_CONTAINER = 'buckets'
ACCOUNT_SYSMETA = sysmeta.BUCKET_ACCOUNT
CACHE_TTL = 60       # seconds, as Swift's recheck_container_existence
MISS_TTL = 6         # as Swift caches a missing container
_CACHE_PREFIX = 'swift3compat/bucket/'


class BucketIndex:
    """Bucket → account lookups and claims for one S3 request."""

    def __init__(self, backend, account: str, logger) -> None:
        self.backend = backend
        self.account = account
        self.logger = logger
        self.cache = backend.req.environ.get('swift.cache')

    # -- subrequests ---------------------------------------------------------
    def _request(self, method: str, container: Optional[str] = None,
                 obj: Optional[str] = None, headers=None):
        return self.backend.system_request(method, self.account, container,
                                           obj, headers)

    def _fetch(self, bucket: str) -> Optional[str]:
        """The account holding ``bucket`` according to the index itself."""
        resp = self._request('HEAD', INDEX_CONTAINER, bucket)
        if resp.status_int == 404:
            account = None
        elif resp.is_success:
            account = resp.headers.get(ACCOUNT_SYSMETA) or None
        else:
            raise self._unavailable('lookup', bucket, resp.status_int)
        self._remember(bucket, account)
        return account

    def _unavailable(self, what: str, bucket: str, status: int
                     ) -> errors.S3Error:
        self.logger.error(
            'swift3compat bucket index: %s of %r in account %r answered %d'
            '%s', what, bucket, self.account, status,
            ' (is account_autocreate = true in the proxy?)'
            if status == 404 else '')
        return errors.ServiceUnavailable()

    # -- cache ---------------------------------------------------------------
    def _remember(self, bucket: str, account: Optional[str]) -> None:
        if self.cache is not None:
            self.cache.set(_CACHE_PREFIX + bucket, account or '',
                           time=CACHE_TTL if account else MISS_TTL)

    def _forget(self, bucket: str) -> None:
        if self.cache is not None:
            self.cache.delete(_CACHE_PREFIX + bucket)

    # -- API -------------------------------------------------------------------
    def lookup(self, bucket: str) -> Optional[str]:
        """The account holding ``bucket``, or None (cached)."""
        if self.cache is not None:
            cached = self.cache.get(_CACHE_PREFIX + bucket)
            if cached is not None:
                return cached or None
        return self._fetch(bucket)

    def claim(self, bucket: str, account: str) -> Tuple[str, bool]:
        """Record ``account`` as holder of ``bucket`` unless the name is
        taken.  Returns the holder and whether this call recorded it."""
        headers = {ACCOUNT_SYSMETA: account, 'If-None-Match': '*'}
        created_container = False
        for _attempt in range(3):
            resp = self._request('PUT', INDEX_CONTAINER, bucket, headers)
            if resp.status_int == 201:
                self._remember(bucket, account)
                return account, True
            if resp.status_int == 412:
                holder = self._fetch(bucket)
                if holder is not None:
                    return holder, False
                continue        # released meanwhile: try again
            if resp.status_int == 404 and not created_container:
                self._create_container()
                created_container = True
                continue
            raise self._unavailable('claim', bucket, resp.status_int)
        raise errors.ServiceUnavailable()

    def _create_container(self) -> None:
        resp = self._request('PUT', INDEX_CONTAINER)
        if not resp.is_success:
            raise self._unavailable('container creation', INDEX_CONTAINER,
                                    resp.status_int)

    def release(self, bucket: str, account: str) -> None:
        """Forget ``bucket`` if ``account`` holds it in the index."""
        if self._fetch(bucket) == account:
            resp = self._request('DELETE', INDEX_CONTAINER, bucket)
            if not resp.is_success and resp.status_int != 404:
                raise self._unavailable('release', bucket, resp.status_int)
        self._forget(bucket)
