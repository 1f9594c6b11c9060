"""One lifecycle pass over one bucket (``BucketSweep``), and the progress
(``State``) and counts (``Stats``) it keeps.

What to delete, stamp or abort, and the conditions that keep it safe
(fresh HEADs, timestamps just after the object's own, Object Lock) are
here; ``swift3compat.sweeper.lifecycle`` (the daemon) decides which
buckets to sweep and when, saves the progress, and holds the Swift client
every request goes through.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, List, Optional

from swift.common.utils import Timestamp

from swift3compat.model import lifecycle
from swift3compat.model.object_lock import LockConfig
from swift3compat.swift import object_lock
from swift3compat.swift import tags as tagging
from swift3compat.swift import upload_claims
from swift3compat.swift import uploads as multipart
from swift3compat.swift.expiry import DELETE_AT, BucketRules, created_at
from swift3compat.swift.versions import DELETE_MARKER_CONTENT_TYPE

if TYPE_CHECKING:
    from swift3compat.sweeper.lifecycle import Sweeper


# -- progress -----------------------------------------------------------------------------
@dataclass
class State:
    """A bucket's sweep progress, kept in its registry entry."""

    rules: str = ''         # hash of the rules of the pass in progress
    marker: str = ''        # last object done in that pass
    reconciled: str = ''    # hash of the rules every stamp agrees with

    @classmethod
    def parse(cls, text: Optional[str]) -> 'State':
        try:
            return cls(**json.loads(text or '{}'))
        except (TypeError, ValueError):
            return cls()


@dataclass
class Stats:
    buckets: int = 0
    expired: int = 0
    delete_markers_added: int = 0
    noncurrent_deleted: int = 0
    delete_markers_removed: int = 0
    uploads_aborted: int = 0
    stamped: int = 0
    unregistered: int = 0
    skipped_changed: int = 0
    skipped_locked: int = 0
    errors: int = 0

    def line(self) -> str:
        return ' '.join('%s=%d' % item for item in vars(self).items())

    def add(self, other: 'Stats') -> None:
        for name, value in vars(other).items():
            setattr(self, name, getattr(self, name) + value)


class _ClaimBackend:
    """What ``upload_claims`` asks of a Backend, for the sweeper's client:
    its ``request`` on one account (``ok``: statuses returned, not raised;
    2xx always are)."""

    def __init__(self, sweeper: 'Sweeper', account: str) -> None:
        self.sweeper = sweeper
        self.account = account

    def request(self, method: str, container: str, obj: Optional[str] = None,
                *, body: Optional[bytes] = None,
                headers: Optional[Dict[str, str]] = None,
                query: Optional[Dict[str, str]] = None, ok=()):
        headers = dict(headers or {})
        if body is not None:
            if body:
                raise ValueError('claims are empty objects')
            headers['Content-Length'] = '0'
        return self.sweeper._request(method, self.account, container, obj,
                                     headers=headers, params=query,
                                     ok=(2,) + tuple(ok))


def _listing_time(entry: dict) -> float:
    return float(Timestamp.from_isoformat(entry['last_modified']))


# -- one pass -------------------------------------------------------------------------------
class BucketSweep:
    """One pass over one bucket."""

    # The bucket's Object Lock configuration: versions it locks are
    # skipped (and deleted by a later pass once unlocked).
    lock_config: Optional[LockConfig] = None

    def __init__(self, sweeper: Sweeper, name: str, account: str,
                 bucket: str, rules: BucketRules, state: State,
                 stats: Stats, reconcile: bool) -> None:
        self.sweeper = sweeper
        self.stats = stats
        self.name = name
        self.account = account
        self.bucket = bucket
        self.rules = rules
        self.state = state
        self.reconcile = reconcile
        self.day = sweeper.day
        self.now = time.time()
        self.done = 0

    def _request(self, *args, **kwargs):
        return self.sweeper._request(*args, **kwargs)

    def _progress(self, marker: str) -> None:
        self.done += 1
        if self.done % self.sweeper.options.checkpoint == 0:
            self.state.marker = marker
            self.sweeper._save(self.name, self.state)

    # -- current objects, unversioned bucket -------------------------------------------------
    def objects(self) -> None:
        for entry in self.sweeper._listing(self.account, self.bucket,
                                           marker=self.state.marker):
            if 'name' in entry:
                self._object(entry)
                self._progress(entry['name'])

    def _object(self, entry: dict) -> None:
        key, size = entry['name'], entry.get('bytes')
        config = self.rules.config
        if not self.reconcile:
            possible = config and lifecycle.earliest_possible_expiry(
                config, key, size, _listing_time(entry), self.day)
            if not possible or possible > self.now:
                return
        head = self._request('HEAD', self.account, self.bucket, key,
                             headers={'X-Backend-Open-Expired': 'true'},
                             params={'multipart-manifest': 'get'},
                             ok=(2, 404))
        if head.status_int == 404:
            return
        tags = dict(tagging.object_tags(head.headers))
        expiry = self.rules.expiry(key, size, created_at(head.headers), tags,
                                   self.day)
        if expiry is not None and expiry[0] <= self.now:
            if self._locked(head.headers):
                self.stats.skipped_locked += 1
                return
            self._delete(key, head.headers)
            return
        changes = self.rules.stamp_changes(key, size, head.headers, tags,
                                           self.day, self.now)
        if changes:
            resp = self._request('POST', self.account, self.bucket, key,
                                 headers=tagging.post_headers(
                                     head.headers, changes),
                                 ok=(2, 404, 409))
            if resp.status_int == 409:
                self.stats.skipped_changed += 1
            elif resp.is_success:
                self.stats.stamped += 1

    def _delete(self, key: str, headers) -> None:
        """Delete an expired object, only as the HEAD saw it."""
        condition = tagging.timestamp_after(headers)
        if headers.get(DELETE_AT):
            condition['X-If-Delete-At'] = headers[DELETE_AT]
        resp = self._request('DELETE', self.account, self.bucket, key,
                             headers=condition, ok=(2, 404, 409, 412))
        if resp.status_int in (409, 412):
            self.stats.skipped_changed += 1
            return
        if resp.status_int == 404:
            return      # another sweeper (or Swift's expirer) was first
        self.stats.expired += 1
        upload_id = headers.get(multipart.UPLOAD_ID_SYSMETA)
        if upload_id and multipart.valid_upload_id(upload_id):
            self._delete_parts(upload_id)

    def _delete_parts(self, upload_id: str) -> None:
        container = multipart.segments_container(self.bucket)
        for part in self.sweeper._listing(
                self.account, container,
                prefix=multipart.part_prefix(upload_id)):
            self._request('DELETE', self.account, container, part['name'],
                          ok=(2, 404))

    # -- versioned bucket ------------------------------------------------------------------------
    def versions(self) -> None:
        """Walk the versions listing one key at a time (newest first)."""
        group: List[dict] = []
        for entry in self.sweeper._listing(self.account, self.bucket,
                                           marker=self.state.marker,
                                           versions=True):
            if 'name' not in entry:
                continue
            if group and entry['name'] != group[0]['name']:
                self._key_versions(group)
                self._progress(group[0]['name'])
                group = []
            group.append(entry)
        if group:
            self._key_versions(group)

    def _key_versions(self, group: List[dict]) -> None:
        config = self.rules.config
        key = group[0]['name']
        latest = group[0]
        remaining = len(group)
        if latest.get('content_type') != DELETE_MARKER_CONTENT_TYPE and \
                latest.get('is_latest') and self._expire_current(latest):
            remaining += 1      # the delete marker just added
        noncurrent = group[1:]
        for index, entry in enumerate(noncurrent):
            since = _listing_time(group[index])
            if self._noncurrent_expired(key, entry, index, since):
                if self._version_locked(key, entry):
                    self.stats.skipped_locked += 1
                    continue
                self._delete_version(key, entry)
                self.stats.noncurrent_deleted += 1
                remaining -= 1
        if remaining == 1 and \
                latest.get('content_type') == DELETE_MARKER_CONTENT_TYPE and \
                lifecycle.removes_expired_delete_markers(config, key):
            self._delete_version(key, latest)
            self.stats.delete_markers_removed += 1

    def _expire_current(self, entry: dict) -> bool:
        """Add a delete marker if the current version has expired."""
        key = entry['name']
        possible = lifecycle.earliest_possible_expiry(
            self.rules.config, key, entry.get('bytes'),
            _listing_time(entry), self.day)
        if possible is None or possible > self.now:
            return False
        head = self._request('HEAD', self.account, self.bucket, key,
                             ok=(2, 404))
        if head.status_int == 404 or \
                head.headers.get('X-Object-Version-Id') != \
                entry.get('version_id'):
            return False        # changed since the listing
        expiry = self.rules.expiry(
            key, entry.get('bytes'), created_at(head.headers),
            dict(tagging.object_tags(head.headers)), self.day)
        if expiry is None or expiry[0] > self.now:
            return False
        self._request('DELETE', self.account, self.bucket, key, ok=(2, 404))
        self.stats.delete_markers_added += 1
        return True

    def _noncurrent_expired(self, key: str, entry: dict, index: int,
                            since: float) -> bool:
        for rule in lifecycle.noncurrent_rules(self.rules.config):
            if not rule.filter.matches_key(key, entry.get('bytes')) or \
                    index < (rule.newer_noncurrent_versions or 0) or \
                    lifecycle.noncurrent_expiry(rule, since, self.day) > \
                    self.now:
                continue
            if not rule.filter.tags:
                return True
            head = self._request('HEAD', self.account, self.bucket, key,
                                 params={'version-id': entry['version_id']},
                                 ok=(2, 404))
            if head.status_int != 404 and rule.filter.matches(
                    key, entry.get('bytes'),
                    dict(tagging.object_tags(head.headers))):
                return True
        return False

    def _locked(self, headers) -> bool:
        """Does Object Lock keep this version now (this node's clock)?"""
        return object_lock.lock_of(headers).deletion_block(
            object_lock.now()) is not None

    def _version_locked(self, key: str, entry: dict) -> bool:
        if self.lock_config is None or not entry.get('version_id'):
            return False
        head = self._request('HEAD', self.account, self.bucket, key,
                             headers={'X-Newest': 'true'},
                             params={'version-id': entry['version_id']},
                             ok=(2, 404))
        return head.status_int != 404 and self._locked(head.headers)

    def _delete_version(self, key: str, entry: dict) -> None:
        self._request('DELETE', self.account, self.bucket, key,
                      params={'version-id': entry['version_id']},
                      ok=(2, 404))

    # -- multipart uploads -----------------------------------------------------------------------
    def uploads(self) -> None:
        container = multipart.segments_container(self.bucket)
        for entry in self.sweeper._listing(
                self.account, container, prefix=multipart.UPLOADS):
            key, _, upload_id = entry['name'][len(multipart.UPLOADS):] \
                .rpartition(multipart.SEP)
            when = lifecycle.upload_abort_time(
                self.rules.config, key, _listing_time(entry), self.day)
            if when is None or when > self.now:
                continue
            # Under the upload's claim, as an AbortMultipartUpload: never
            # delete the parts of a manifest a Complete is writing.  While
            # a Complete (or an Abort) holds it, the upload waits for the
            # next pass.
            claim = upload_claims.CompleteClaim(
                _ClaimBackend(self.sweeper, self.account), container,
                upload_id)
            if not claim.take():
                continue
            try:
                self._abort(container, entry['name'], key, upload_id)
            finally:
                claim.release()

    def _abort(self, container: str, marker: str, key: str,
               upload_id: str) -> None:
        gone = self._request('DELETE', self.account, container, marker,
                             ok=(2, 404)).status_int == 404
        completed = self._request(
            'HEAD', self.account, self.bucket, key,
            params={'multipart-manifest': 'get'}, ok=(2, 404))
        if completed.headers.get(multipart.UPLOAD_ID_SYSMETA) == upload_id:
            return      # the object's parts (its Complete's proxy died)
        if not gone:
            self.stats.uploads_aborted += 1
        # after an Abort elsewhere, whatever parts it left
        self._delete_parts(upload_id)
