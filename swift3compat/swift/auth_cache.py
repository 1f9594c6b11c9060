"""Who an access key is, remembered per proxy process (tempauth only).

With ``s3_acl`` every signed request first authenticates with a ``TEST``
subrequest through the auth filter (``Backend.authenticate``): a second
pass through Swift's pipeline and proxy for every S3 request.  Swift's
tempauth authenticates an S3 request by calling our ``check_signature``
with the user's key; when it accepted the request, this cache remembers,
for that access key, the key that verified the signature, the
authentication result the later subrequests carry (``REMOTE_USER``,
``swift.authorize``...) and the account.

A later request with the same access key is authenticated here only if
*its own* signature verifies with the remembered key (constant-time, like
tempauth's check); any other request -- another signature, an unknown or
expired entry -- goes through the auth filter as before, which alone
decides failures: nothing is ever refused from the cache.

Only results of Swift's tempauth are kept: its users and keys are read
from the proxy configuration at start-up, so within one process the
result for an access key and key cannot change (a configuration change
restarts the workers, which empties the cache).  Other auth filters
(s3token + keystoneauth: Keystone tokens, revocable credentials, its own
secret cache) keep the TEST subrequest.  ``auth_cache_duration`` bounds
how long an entry lives anyway; ``auth_cache_size`` how many there are
(least recently used dropped first).  Keys are never logged.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from swift.common.middleware.tempauth import TempAuth

from swift3compat.auth.signature import SignedRequest


@dataclass(frozen=True)
class Remembered:
    """One access key's authentication result."""

    account: str
    env: Mapping[str, Any]
    expires: float
    secret: str = field(repr=False)
    # What the request path derived from this result alone and keeps with
    # it (``authz.principal``: who the caller is); dropped with the entry.
    derived: Dict[str, Any] = field(default_factory=dict, repr=False,
                                    compare=False)
    # the keys of ``env`` whose values are dicts (copied by ``carried``)
    dict_keys: Tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, 'dict_keys', tuple(
            k for k, v in self.env.items() if isinstance(v, dict)))

    def carried(self) -> Dict[str, Any]:
        """A fresh copy of the carried environment (mutable values, such
        as ``swift.access_logging``, are not shared between requests)."""
        env = dict(self.env)
        for key in self.dict_keys:
            env[key] = dict(env[key])
        return env


def cacheable(carried: Mapping[str, Any]) -> bool:
    """Whether an authentication result may be remembered: tempauth's
    (its ``swift.authorize``), with a user and no Keystone identity."""
    authorize = carried.get('swift.authorize')
    if not isinstance(getattr(authorize, '__self__', None), TempAuth):
        return False
    if not carried.get('REMOTE_USER'):
        return False
    return not any(k.startswith(('keystone.', 'HTTP_X_')) for k in carried)


def owner_by_groups(carried: Mapping[str, Any], account: str) -> bool:
    """Whether tempauth's authorize makes the identity in ``carried`` an
    owner of ``account`` (``swift_owner``) by its groups alone: the account
    is one of its groups (``.admin``) and the account's ``require_group``,
    if any, is one too.  Only then does the answer not depend on the
    account's ``X-Account-Access-Control``, which can change at any time."""
    tempauth = getattr(carried.get('swift.authorize'), '__self__', None)
    if not isinstance(tempauth, TempAuth):
        return False
    groups = (carried.get('REMOTE_USER') or '').split(',')
    if account not in groups:
        return False
    prefix = tempauth._get_account_prefix(account)
    if prefix is None:
        return False
    require = tempauth.account_rules.get(prefix, {}).get('require_group')
    return not require or require in groups


class AuthCache:
    """A bounded LRU of ``Remembered`` results, by access key."""

    def __init__(self, duration: float, size: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.duration = duration
        self.size = size
        self._clock = clock
        self._entries: 'OrderedDict[str, Remembered]' = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, signed: SignedRequest) -> Optional[Remembered]:
        """The remembered result for ``signed``'s access key if the
        request's signature verifies with the remembered key, else None
        (the auth filter decides)."""
        entry = self._entries.get(signed.access_key)
        if entry is None:
            return None
        if entry.expires <= self._clock():
            self._entries.pop(signed.access_key, None)
            return None
        if not signed.check_remembered(entry.secret):
            return None
        self._entries.move_to_end(signed.access_key)
        return entry

    def remember(self, signed: SignedRequest, carried: Mapping[str, Any],
                 account: str) -> Optional[Remembered]:
        """Keep what the auth filter decided for ``signed``, if it is
        tempauth's and the key that verified the signature is known; the
        new entry, or None."""
        if not (signed.valid and signed.secret is not None
                and cacheable(carried)):
            return None
        entry = self._entries[signed.access_key] = Remembered(
            account=account, env=dict(carried),
            expires=self._clock() + self.duration, secret=signed.secret)
        self._entries.move_to_end(signed.access_key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return entry
