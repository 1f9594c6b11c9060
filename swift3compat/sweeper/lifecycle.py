"""``swift3compat-lifecycle``: apply S3 lifecycle rules to what already is
in Swift.

The proxy (``api/lifecycle.py``) stores the rules and gives new objects
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

This module is the daemon (registry, progress, Swift client); one pass
over one bucket is ``swift3compat.sweeper.lifecycle_bucket``.

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
from typing import Dict, Iterator, List, Mapping, Optional, Tuple

from swift.common.daemon import Daemon, run_daemon
from swift.common.internal_client import InternalClient
from swift.common.utils import (drain_and_close, get_logger,
                                parse_options, set_swift_dir)

from swift3compat import config
from swift3compat.swift import bucket_config, sysmeta
from swift3compat.swift import object_lock
from swift3compat.swift import tags as tagging
from swift3compat.swift.expiry import (
    REGISTRY_CONTAINER, BucketRules)
from swift3compat.sweeper import proxy_conf
from swift3compat.sweeper.lifecycle_bucket import BucketSweep, State, Stats
from swift3compat.sweeper.config import (SECTION, check_config,
                                         check_option_names, load_options,
                                         swift3_conf)

STATE_SYSMETA = sysmeta.SWEEP_STATE
USER_AGENT = 'swift3compat-lifecycle'
_LISTING_LIMIT = 1000
_OK = (2,)


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
