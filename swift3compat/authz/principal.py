"""Who asks (``s3_acl``): the principal of a request, found without a
backend request.

One ``TEST`` subrequest goes through the auth filter after us (tempauth,
s3token + keystoneauth), which checks the signature and maps the access key
to the caller's account; the proxy answers it 405 without contacting any
server.  The caller *owns* that account when the auth filter's own
authorize callback says so (tempauth ``.admin``, Keystone operator roles):
it then acts as the account's canonical id (``AUTH_test``) and as its user
id; other users act only as their user id (``test:tester3``, a Keystone user
id).  Anonymous requests are ``acl.ANONYMOUS``.
"""
from __future__ import annotations

from typing import Optional, cast

from swift.common.swob import Request as SwobRequest

from swift3compat.http.request import S3Request
from swift3compat.model import acl
from swift3compat.model.acl import Principal
from swift3compat.swift.auth_cache import owner_by_groups
from swift3compat.swift.backend import Backend

# Where the principal is kept with an auth cache entry (``Remembered.derived``).
_PRINCIPAL = 'principal'


def authenticate(req: S3Request, backend: Backend) -> Principal:
    """Authenticate a signed request (no backend request) and say who it
    is.

    Authenticated from the proxy's auth cache (tempauth), the principal of
    an account owner by its groups (``.admin``) is kept with the cached
    result: it depends on nothing else (the identity the auth filter left,
    its account, its groups).  Other callers are asked about every time
    (tempauth consults the account's ACLs, which can change)."""
    env = backend.authenticate()
    remembered = backend.remembered
    if remembered is not None:
        known = remembered.derived.get(_PRINCIPAL)
        if known is not None:
            return cast(Principal, known)
    principal = _principal(req, backend, env)
    if remembered is not None and \
            principal.canonical_id == remembered.account and \
            owner_by_groups(remembered.env, remembered.account):
        remembered.derived[_PRINCIPAL] = principal
    return principal


def _principal(req: S3Request, backend: Backend, env) -> Principal:
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


def principal_of(req: S3Request, session: Backend) -> Principal:
    """Who asks: authenticated (``authenticate``) or anonymous."""
    if session.signed is None:
        return acl.ANONYMOUS
    return authenticate(req, session)
