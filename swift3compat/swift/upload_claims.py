"""Per-upload claims that serialise CompleteMultipartUpload (and
AbortMultipartUpload, which takes one too) across proxies.

Two Completes of one upload may run at once on different proxies (a client
retrying, two clients). Swift offers no compare-and-swap, and its
``If-None-Match: *`` is checked before the object is written, so two PUTs of
one name a few milliseconds apart both succeed. The claim therefore uses
distinct names and the container listing, and needs no memcache:

1. every Complete PUTs its own claim object ``c/<upload id>/<token>`` in the
   segments container (``token`` is unique: time in microseconds + random);
2. then it lists ``c/<upload id>/``; it **wins only if its own claim is the only
   live one**. A loser deletes its claim and waits for the others to end.

Why at most one wins: a Complete lists only after its own claim PUT returned,
and Swift's object server updates the container listing before the PUT
returns (when the container server answers). Of two Completes A and B, say
A's claim PUT returned first; B's listing comes after B's PUT returned, hence
after A's, so it shows A's claim (unless A already ended, and then A deleted
the upload marker first, which B checks after winning) and B loses. Both may
lose (each saw the other): both wait and retry, no harm done. A listing that
fails (container server down) is a refusal, never a win.

Limits: a container update that times out on the object server (container
server overloaded, not down) is queued as an async pending, and a listing
meanwhile can miss that claim. A claim not renewed for ``CLAIM_STALE``
seconds (a winner slowed past ``RENEW_EVERY`` renews it before it writes
the manifest) counts as dead, so a crashed proxy blocks the upload for two
minutes at most. The winner deletes
parts left out of its list only after its manifest is durable and only if
one more listing still shows its claim alone; otherwise the collector
(``swift3compat.sweeper.segments``) removes them after its grace period.
"""
from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timezone
from typing import Callable, List

CLAIMS = 'c/'
CLAIM_TYPE = 'application/x-s3c-claim'
CLAIM_STALE = 120           # seconds without renewal after which a claim is dead
RENEW_EVERY = 30            # seconds between renewals by the winner
# Swift's object expirer removes a claim its owner never deleted.
_DELETE_AFTER = str(CLAIM_STALE * 5)


def claim_prefix(upload_id: str) -> str:
    return CLAIMS + upload_id + '/'


def new_token() -> str:
    return '%016x%s' % (time.time_ns() // 1000, uuid.uuid4().hex[:16])


def listing_time(value: str) -> float:
    """A container listing's ``last_modified`` (UTC, no zone) as a timestamp."""
    try:
        parsed = datetime.strptime(value[:26], '%Y-%m-%dT%H:%M:%S.%f')
    except ValueError:
        parsed = datetime.strptime(value[:19], '%Y-%m-%dT%H:%M:%S')
    return parsed.replace(tzinfo=timezone.utc).timestamp()


class CompleteClaim:
    """One Complete's claim on an upload (``backend`` is a Backend)."""

    def __init__(self, backend, container: str, upload_id: str,
                 clock: Callable[[], float] = time.time) -> None:
        self.backend = backend
        self.container = container
        self.upload_id = upload_id
        self.name = claim_prefix(upload_id) + new_token()
        self.clock = clock
        self.placed = False
        self.renewed_at = 0.0

    def _put(self) -> None:
        self.backend.request('PUT', self.container, self.name, body=b'',
                             headers={'Content-Type': CLAIM_TYPE,
                                      'X-Delete-After': _DELETE_AFTER})
        self.placed = True
        self.renewed_at = self.clock()

    def others(self) -> List[str]:
        """Live claims of the upload other than ours (listing errors raise)."""
        resp = self.backend.request('GET', self.container, query={
            'format': 'json', 'prefix': claim_prefix(self.upload_id)})
        now = self.clock()
        return [entry['name'] for entry in json.loads(resp.body or b'[]')
                if entry['name'] != self.name and
                now - listing_time(entry['last_modified']) < CLAIM_STALE]

    def take(self) -> bool:
        """Place our claim; True if it is the only live one (we won). A loser's
        claim is withdrawn at once."""
        self._put()
        try:
            if not self.others():
                return True
        except Exception:
            self.release()
            raise
        self.release()
        return False

    def sole(self) -> bool:
        """Whether ours is still the only live claim (before deleting parts)."""
        try:
            return self.placed and not self.others()
        except Exception:
            return False

    def renew(self) -> None:
        """Keep our claim live (a new PUT, at most every RENEW_EVERY)."""
        if self.placed and self.clock() - self.renewed_at >= RENEW_EVERY:
            self._put()

    def release(self) -> None:
        if self.placed:
            self.placed = False
            self.backend.request('DELETE', self.container, self.name, ok=(404,))


def wait_for_others(backend, container: str, upload_id: str,
                    sleep: Callable[[float], None], deadline: float,
                    clock: Callable[[], float] = time.time):
    """Yield (for keep-alive bytes) while other live claims exist, until
    ``deadline`` (a ``clock`` value). Returns when none is left."""
    probe = CompleteClaim(backend, container, upload_id, clock)
    while clock() < deadline:
        if not probe.others():
            return
        yield
        sleep(1.0)
