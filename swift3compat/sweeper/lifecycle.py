"""``swift3compat-lifecycle``: apply S3 lifecycle rules to what already is
in Swift.

The proxy (``handlers/lifecycle.py``) stores the rules and gives new objects
Swift's ``X-Delete-At``; this sweeper does the rest, for every bucket in the
lifecycle registry (``lifecycle_registry_account``, container
``lifecycle``):

* deletes current objects whose expiry has passed (also those written
  before the rules, through the Swift API, or by chunked uploads that could
  not be stamped), and their multipart parts; in a versioned bucket it
  adds a delete marker instead, as S3 does;
* deletes noncurrent versions (``NoncurrentVersionExpiration``, honouring
  ``NewerNoncurrentVersions``) and expired object delete markers;
* aborts multipart uploads older than ``AbortIncompleteMultipartUpload``;
* after the rules of a bucket change (or are deleted), walks the whole
  bucket once and makes each object's ``X-Delete-At`` agree with the new
  rules: it stamps objects the rules now expire, moves or removes the
  stamps it or the proxy set before (never an ``X-Delete-At`` set through
  the Swift API), so that objects are not deleted by rules that no longer
  exist.

Safe to run anywhere, any number of times, on several nodes at once: it
only deletes an object after a fresh HEAD says its expiry has passed, and
the DELETE (or metadata POST) carries a timestamp just after the object's
own (plus ``X-If-Delete-At`` when it has one), so an object written in
between is never touched (Swift answers 409/412).  Progress is saved in
the registry entry every ``checkpoint`` objects: a run that stops resumes
where it was.  ``processes``/``process`` split the buckets between sweepers
(e.g. one per node) instead of each doing all of them.

Running it (as the ``swift`` user, like Swift's own daemons)::

    swift3compat-lifecycle /etc/swift/proxy-server.conf --once   # cron job
    swift3compat-lifecycle /etc/swift/proxy-server.conf           # daemon

It reads two sections of that file: the swift3 filter's (the same
``lifecycle_day_seconds`` and ``lifecycle_registry_account`` as the proxy;
found by what it loads, ``use = egg:swift3compat#swift3``, whatever its name,
e.g. ``[filter:s3api]``: see ``swift3compat.sweeper.proxy_conf``) and
``[swift3compat-lifecycle]`` (``OPTIONS`` in ``swift3compat.sweeper.config``,
and Swift's daemon options ``user``, ``log_name``, ``log_level``, ...).  It talks to Swift
through ``swift.common.internal_client`` with the file named by
``internal_client_conf_path``: a proxy pipeline without auth (the usual
``/etc/swift/internal-client.conf``), which must contain
``versioned_writes`` (``allow_object_versioning = true``) and ``symlink``
for versioned buckets::

    [pipeline:main]
    pipeline = catch_errors proxy-logging cache versioned_writes symlink
        proxy-server
"""
from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import dataclass
from typing import Dict, Iterator, List, Mapping, Optional, Tuple

from swift.common.daemon import Daemon, run_daemon
from swift.common.internal_client import InternalClient
from swift.common.utils import (Timestamp, drain_and_close, get_logger,
                                parse_options, set_swift_dir)

from swift3compat import config
from swift3compat.model import lifecycle
from swift3compat.swift import bucket_config, sysmeta
from swift3compat.swift import object_lock
from swift3compat.swift import tags as tagging
from swift3compat.swift import uploads as multipart
from swift3compat.swift.expiry import (
    DELETE_AT, REGISTRY_CONTAINER, BucketRules, created_at)
from swift3compat.swift.versions import DELETE_MARKER_CONTENT_TYPE
from swift3compat.sweeper import proxy_conf
from swift3compat.sweeper.config import (SECTION, check_config,
                                         check_option_names, load_options,
                                         swift3_conf)

STATE_SYSMETA = sysmeta.SWEEP_STATE
USER_AGENT = 'swift3compat-lifecycle'
_LISTING_LIMIT = 1000
_OK = (2,)


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


def rules_hash(sysmeta: Mapping[str, str], rules: BucketRules) -> str:
    text = bucket_config.load(sysmeta, 'lifecycle') or ''
    return hashlib.md5(('%s|%s' % (text, rules.versioned)).encode(),
                       usedforsecurity=False).hexdigest()


def owned(name: str, processes: int, process: int) -> bool:
    digest = hashlib.md5(name.encode('utf-8'), usedforsecurity=False)
    return int(digest.hexdigest(), 16) % processes == process


def _container_sysmeta(headers) -> Dict[str, str]:
    """All container sysmeta of a HEAD response, keyed as in Swift's
    container info (``s3c-lifecycle-0``, ``versions-container``)."""
    prefix = 'x-container-sysmeta-'
    return {k.lower()[len(prefix):]: v for k, v in headers.items()
            if k.lower().startswith(prefix)}


def _listing_time(entry: dict) -> float:
    return float(Timestamp.from_isoformat(entry['last_modified']))


# -- the sweeper ---------------------------------------------------------------------------
class Sweeper(Daemon):
    def __init__(self, conf: Mapping[str, str], logger=None,
                 client=None) -> None:
        super().__init__(conf)
        self.logger = logger or get_logger(conf, log_route=SECTION)
        check_option_names(conf['__file__'])
        self.options = load_options(conf)
        self.s3_section, s3_conf = swift3_conf(
            conf['__file__'], getattr(self.options, proxy_conf.OPTION))
        self.s3 = config.load(s3_conf)
        self.day = self.s3.lifecycle_day_seconds
        self.registry = self.s3.lifecycle_registry_account
        set_swift_dir(conf.get('swift_dir', '/etc/swift'))
        self.client = client or InternalClient(
            self.options.internal_client_conf_path, USER_AGENT,
            self.options.request_tries)
        self.stats = Stats()

    # -- daemon ---------------------------------------------------------------------------
    def run_once(self, *args, **kwargs) -> None:
        self.stats = Stats()
        for name in self._registry_entries():
            stats = Stats(buckets=1)
            try:
                self.sweep_bucket(name, stats)
            except Exception:
                stats.errors += 1
                self.logger.exception('lifecycle sweep of %s failed', name)
            if stats != Stats(buckets=1):
                self.logger.info('lifecycle swept %s: %s', name, stats.line())
            self.stats.add(stats)
        self.logger.info('lifecycle pass done: %s', self.stats.line())

    def run_forever(self, *args, **kwargs) -> None:
        while True:
            started = time.time()
            self.run_once()
            time.sleep(max(0.0, self.options.interval -
                           (time.time() - started)))

    # -- Swift requests -----------------------------------------------------------------------
    def _request(self, method: str, account: str, container: str,
                 obj: Optional[str] = None,
                 headers: Optional[Dict[str, str]] = None,
                 params: Optional[Dict[str, str]] = None,
                 ok: Tuple[int, ...] = _OK):
        resp = self.client.make_request(
            method, self.client.make_path(account, container, obj),
            headers or {}, ok, params=params)
        if method != 'GET':
            drain_and_close(resp)
        return resp

    def _listing(self, account: str, container: str, marker: str = '',
                 prefix: str = '', versions: bool = False,
                 version_marker: str = '') -> Iterator[dict]:
        params = {'format': 'json', 'limit': str(_LISTING_LIMIT)}
        if prefix:
            params['prefix'] = prefix
        if versions:
            params['versions'] = ''
        while True:
            params['marker'] = marker
            if version_marker:
                params['version_marker'] = version_marker
            resp = self._request('GET', account, container, params=params,
                                 ok=(2, 404))
            body = resp.body
            page = json.loads(body or b'[]') if resp.status_int != 404 \
                else []
            for entry in page:
                yield entry
            if len(page) < _LISTING_LIMIT:
                return
            marker = page[-1].get('name') or page[-1].get('subdir')
            version_marker = page[-1].get('version_id') or '' \
                if versions else ''

    def _registry_entries(self) -> Iterator[str]:
        for entry in self._listing(self.registry, REGISTRY_CONTAINER):
            name = entry['name']
            if owned(name, self.options.processes, self.options.process):
                yield name

    def _save(self, name: str, state: State) -> None:
        # best effort: 409 when another sweeper saved at the same moment
        self._request('POST', self.registry, REGISTRY_CONTAINER, name,
                      headers={STATE_SYSMETA: json.dumps(vars(state))},
                      ok=(2, 404, 409))

    # -- one bucket ----------------------------------------------------------------------------
    def sweep_bucket(self, name: str, stats: Stats) -> None:
        account, _, bucket = name.partition('/')
        entry = self._request('HEAD', self.registry, REGISTRY_CONTAINER, name,
                              ok=(2, 404))
        if entry.status_int == 404:
            return
        state = State.parse(entry.headers.get(STATE_SYSMETA))
        container = self._request('HEAD', account, bucket, ok=(2, 404))
        if container.status_int == 404:
            self._unregister(name, entry, stats)
            return
        sysmeta = _container_sysmeta(container.headers)
        rules = BucketRules(sysmeta, container.headers.get(
            'X-Versions-Location'))
        current = rules_hash(sysmeta, rules)
        if rules.config is None and state.reconciled == current:
            self._unregister(name, entry, stats)
            return
        if state.rules != current:
            state = State(rules=current, reconciled=state.reconciled)
        sweep = BucketSweep(self, name, account, bucket, rules, state,
                            stats, reconcile=state.reconciled != current)
        sweep.lock_config = object_lock.config_of(sysmeta)
        if not rules.versioned:
            sweep.objects()
        elif rules.config is not None:
            sweep.versions()    # (versions are never stamped)
        if rules.config is not None:
            sweep.uploads()
        self._save(name, State(rules=current, reconciled=current))

    def _unregister(self, name: str, entry, stats: Stats) -> None:
        """Drop a registry entry, unless it was written since ``entry``
        (its HEAD): the proxy registers again after storing new rules."""
        resp = self._request('DELETE', self.registry, REGISTRY_CONTAINER,
                             name, headers=tagging.timestamp_after(
                                 entry.headers), ok=(2, 404, 409))
        if resp.status_int != 409:
            stats.unregistered += 1


class BucketSweep:
    """One pass over one bucket."""

    # The bucket's Object Lock configuration: versions it locks are
    # skipped (and deleted by a later pass once unlocked).
    lock_config = None

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
            self._request('DELETE', self.account, container, entry['name'],
                          ok=(2, 404))
            completed = self._request(
                'HEAD', self.account, self.bucket, key,
                params={'multipart-manifest': 'get'}, ok=(2, 404))
            if completed.headers.get(multipart.UPLOAD_ID_SYSMETA) != \
                    upload_id:
                self._delete_parts(upload_id)
            self.stats.uploads_aborted += 1


def main(argv: Optional[List[str]] = None) -> None:
    """``swift3compat-lifecycle CONF [--once] [-v]``."""
    args = sys.argv[1:] if argv is None else argv
    paths = [a for a in args if not a.startswith('-')]
    try:
        if paths:
            check_config(paths[0])
    except config.ConfigError as err:
        sys.exit(f'swift3compat-lifecycle: {err}')
    conf_file, options = parse_options(once=True, test_args=argv)
    run_daemon(Sweeper, conf_file, section_name=SECTION, **options)


if __name__ == '__main__':
    main()
