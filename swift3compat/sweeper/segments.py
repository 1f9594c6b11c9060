"""The segment collector: no multipart bytes left where S3 cannot see them.

Multipart parts live in ``<bucket>+segments`` (``p/<upload id>/<part>``, next to
the upload markers ``u/<key>\\x01<upload id>`` and Complete claims
``c/<upload id>/<token>``). A part is **live** when its upload is in progress
(its marker exists, or a Complete holds a live claim on it) or when a manifest
of the bucket, current or any older version, names it. Everything else is an
orphan: parts a Complete left out, parts of an object overwritten, copied over
or deleted without its parts, of a version deleted by id, and the whole
segments container of a deleted bucket (markers included: those uploads must
not come back if the bucket is created again). Uploads older than the bucket
itself (an earlier bucket of that name) are orphans too.

The collector deletes orphans older than ``grace`` seconds (default one day:
a Complete, an UploadPart or a listing running meanwhile never loses a part).
Per bucket it lists the segments container *before* the bucket, so an upload
that completes in between is seen either as in progress or by its manifest.
Each DELETE carries a timestamp just after the segment's own: a segment
written again since (Swift answers 409) is left alone. Any number of
collectors may run on any nodes (``processes``/``process`` split the
buckets); a run that stops simply starts again: it keeps no state but the
registry.

Not collected: buckets with Swift's legacy versioning (``X-Versions-Location`` or
``X-History-Location``, set through the Swift API; S3 versioning uses Swift's
object versioning, which the collector reads), whose archived manifests live in
a container it does not read; and segments that manifests outside their bucket
(e.g. written through the Swift API) reference are not known to it.

Which buckets: the registry container ``segments`` of the reserved account
(``lifecycle_registry_account``), one entry ``<account>/<bucket>`` per segments
container, written by the proxy when it creates one; ``collect_bucket`` takes
any bucket directly. ``report`` mode deletes nothing and returns, per account,
the orphaned segments and bytes (``swift3compat-segments CONF --report``).
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Set, Tuple

from swift.common.utils import Timestamp

SEGMENTS = '+segments'
REGISTRY_CONTAINER = 'segments'
CLAIM_STALE = 120                   # swift3compat.swift.upload_claims.CLAIM_STALE
DEFAULT_GRACE = 24 * 3600
_LISTING_LIMIT = 1000

LOG = logging.getLogger(__name__)


@dataclass
class Found:
    """Orphans of one account: how many segments, how many bytes."""

    segments: int = 0
    bytes: int = 0
    deleted: int = 0
    names: List[str] = field(default_factory=list)

    def add(self, other: 'Found') -> None:
        self.segments += other.segments
        self.bytes += other.bytes
        self.deleted += other.deleted
        self.names += other.names


def listing_time(entry: dict) -> float:
    return float(Timestamp.from_isoformat(entry['last_modified']))


def _upload_id_of(name: str) -> str:
    if name.startswith('u/'):
        return name.rsplit('\x01', 1)[-1]
    return name.split('/', 2)[1] if name.count('/') >= 2 else ''


def _upload_time(upload_id: str) -> Optional[float]:
    """Upload ids start with their creation time in microseconds (hex)."""
    try:
        return int(upload_id[:16], 16) / 1e6
    except ValueError:
        return None


def _is_manifest(entry: dict) -> bool:
    """A static large object's listing entry (SLO lists swift_bytes)."""
    return 'swift_bytes=' in entry.get('content_type', '') or \
        's3_etag=' in entry.get('hash', '')


class LegacyVersioning(Exception):
    """The bucket archives old versions with Swift's legacy versioning."""


class SegmentCollector:
    """Finds (and unless ``report_only`` deletes) orphaned segments."""

    def __init__(self, client, registry_account: str, grace: float = DEFAULT_GRACE,
                 report_only: bool = False, processes: int = 1, process: int = 0,
                 logger=None, clock=time.time) -> None:
        self.client = client
        self.registry_account = registry_account
        self.grace = grace
        self.report_only = report_only
        self.processes = processes
        self.process = process
        self.logger = logger or LOG
        self.clock = clock

    # -- Swift ------------------------------------------------------------------------------
    def _request(self, method: str, account: str, container: str,
                 obj: Optional[str] = None, headers=None, params=None,
                 ok: Tuple[int, ...] = (2,)):
        resp = self.client.make_request(
            method, self.client.make_path(account, container, obj),
            headers or {}, ok, params=params)
        return resp

    def _listing(self, account: str, container: str, versions: bool = False
                 ) -> Iterator[dict]:
        params = {'format': 'json', 'limit': str(_LISTING_LIMIT), 'marker': ''}
        if versions:
            params['versions'] = ''
        while True:
            resp = self._request('GET', account, container, params=params,
                                 ok=(2, 404))
            if resp.status_int == 404:
                return
            page = json.loads(resp.body or b'[]')
            yield from page
            if len(page) < _LISTING_LIMIT:
                return
            params['marker'] = page[-1].get('name') or page[-1].get('subdir')
            if versions:
                params['version_marker'] = page[-1].get('version_id') or ''

    def _bucket(self, account: str, bucket: str) -> Optional[float]:
        """The bucket's creation time, or None when it does not exist.
        LegacyVersioning when the container archives versions elsewhere."""
        resp = self._request('HEAD', account, bucket, ok=(2, 404))
        if resp.status_int == 404:
            return None
        if any(k.lower() in ('x-versions-location', 'x-history-location')
               for k in resp.headers):
            raise LegacyVersioning(bucket)
        return float(resp.headers.get('X-Timestamp') or 0)

    def _manifest_segments(self, account: str, bucket: str, entry: dict,
                           segments: str) -> Set[str]:
        params = {'multipart-manifest': 'get'}
        if entry.get('version_id'):
            params['version-id'] = entry['version_id']
        resp = self._request('GET', account, bucket, entry['name'], params=params,
                             ok=(2, 404))
        if resp.status_int == 404 or \
                resp.headers.get('X-Static-Large-Object', '').lower() != 'true':
            return set()
        out = set()
        for segment in json.loads(resp.body or b'[]'):
            container, _, name = segment.get('name', '').lstrip('/').partition('/')
            if container == segments:
                out.add(name)
        return out

    def _referenced(self, account: str, bucket: str, segments: str) -> Set[str]:
        """Segments named by any manifest in the bucket (all versions)."""
        entries: Iterator[dict]
        try:
            entries = iter(list(self._listing(account, bucket, versions=True)))
        except Exception:       # no object versioning in this cluster
            entries = self._listing(account, bucket)
        out: Set[str] = set()
        for entry in entries:
            if _is_manifest(entry):
                out |= self._manifest_segments(account, bucket, entry, segments)
        return out

    # -- one bucket ---------------------------------------------------------------------------
    def orphans(self, account: str, bucket: str) -> Tuple[List[dict], bool]:
        """(orphaned entries older than grace, bucket gone) of one bucket."""
        segments = bucket + SEGMENTS
        entries = list(self._listing(account, segments))       # first: see above
        try:
            created = self._bucket(account, bucket)
        except LegacyVersioning:
            # Swift's legacy versioning (set through the Swift API) keeps old
            # manifests in another container this collector does not read:
            # their parts would look orphaned.  Leave such a bucket alone.
            self.logger.warning('segments of %s/%s left alone: the container '
                                'has X-Versions-Location/X-History-Location',
                                account, bucket)
            return [], False
        now = self.clock()
        old = [e for e in entries if now - listing_time(e) >= self.grace]
        if created is None:
            return old, True
        live_uploads: Set[str] = set()
        stale_markers: List[dict] = []
        for entry in entries:
            name = entry['name']
            upload_id = _upload_id_of(name)
            if name.startswith('u/'):
                started = _upload_time(upload_id)
                if started is not None and created and started < created - 1:
                    stale_markers.append(entry)     # of an earlier bucket
                else:
                    live_uploads.add(upload_id)
            elif name.startswith('c/') and now - listing_time(entry) < CLAIM_STALE:
                live_uploads.add(upload_id)
        referenced = self._referenced(account, bucket, segments)
        lost = []
        for entry in old:
            name = entry['name']
            if name.startswith('p/'):
                if _upload_id_of(name) not in live_uploads and name not in referenced:
                    lost.append(entry)
            elif name.startswith('c/'):
                if now - listing_time(entry) >= CLAIM_STALE:
                    lost.append(entry)
        lost += [e for e in stale_markers if e in old]
        return lost, False

    def collect_bucket(self, account: str, bucket: str) -> Found:
        lost, gone = self.orphans(account, bucket)
        found = Found(len(lost), sum(int(e.get('bytes', 0)) for e in lost),
                      names=[e['name'] for e in lost])
        if self.report_only:
            return found
        segments = bucket + SEGMENTS
        for entry in lost:
            stamp = Timestamp(listing_time(entry), offset=1).internal
            resp = self._request('DELETE', account, segments, entry['name'],
                                 headers={'X-Timestamp': stamp},
                                 ok=(2, 404, 409))
            if resp.status_int // 100 == 2:
                found.deleted += 1
        if gone:
            self._request('DELETE', account, segments, ok=(2, 404, 409))
        if found.segments:
            self.logger.info('segments of %s/%s: %d orphaned (%d bytes), %d deleted',
                             account, bucket, found.segments, found.bytes,
                             found.deleted)
        return found

    # -- all buckets --------------------------------------------------------------------------
    def registered(self) -> Iterator[Tuple[str, str]]:
        from swift3compat.sweeper.lifecycle import owned
        for entry in self._listing(self.registry_account, REGISTRY_CONTAINER):
            account, _, bucket = entry['name'].partition('/')
            if bucket and owned(entry['name'], self.processes, self.process):
                yield account, bucket

    def run_once(self) -> Dict[str, Found]:
        """Every registered bucket; orphans per account."""
        per_account: Dict[str, Found] = {}
        for account, bucket in self.registered():
            try:
                found = self.collect_bucket(account, bucket)
            except Exception:
                self.logger.exception('segment collection of %s/%s failed',
                                      account, bucket)
                continue
            per_account.setdefault(account, Found()).add(found)
            if not self.report_only and self._gone(account, bucket):
                self._request('DELETE', self.registry_account, REGISTRY_CONTAINER,
                              '%s/%s' % (account, bucket), ok=(2, 404))
        return per_account

    def _gone(self, account: str, bucket: str) -> bool:
        resp = self._request('HEAD', account, bucket + SEGMENTS, ok=(2, 404))
        return resp.status_int == 404


def main(argv: Optional[List[str]] = None) -> int:
    """``swift3compat-segments CONF [--report] [--grace S]``: one pass."""
    from swift.common.internal_client import InternalClient
    from swift.common.utils import readconf, set_swift_dir

    from swift3compat import config
    from swift3compat.sweeper.config import swift3_conf
    parser = argparse.ArgumentParser(description='Collect orphaned multipart '
                                     'segments (or --report them per account).')
    parser.add_argument('conf', help='proxy-server.conf with [filter:swift3] and '
                        '[swift3compat-lifecycle] (internal_client_conf_path)')
    parser.add_argument('--report', action='store_true',
                        help='delete nothing; print orphaned bytes per account')
    parser.add_argument('--grace', type=float, default=DEFAULT_GRACE,
                        help='leave segments younger than this (seconds)')
    parser.add_argument('--processes', type=int, default=1)
    parser.add_argument('--process', type=int, default=0)
    args = parser.parse_args(argv)
    section = readconf(args.conf, 'swift3compat-lifecycle')
    _name, swift3 = swift3_conf(args.conf, section.get('swift3_filter', ''))
    s3 = config.load(swift3)
    set_swift_dir(section.get('swift_dir', '/etc/swift'))
    client = InternalClient(section.get('internal_client_conf_path',
                                        '/etc/swift/internal-client.conf'),
                            'swift3compat-segments', 3)
    collector = SegmentCollector(client, s3.lifecycle_registry_account, args.grace,
                                 args.report, args.processes, args.process)
    result = collector.run_once()
    verb = 'orphaned' if args.report else 'collected'
    for account, found in sorted(result.items()):
        print('%s %s: %d segments, %d bytes' % (account, verb, found.segments,
                                                 found.bytes))
    total = Found()
    for found in result.values():
        total.add(found)
    print('total %s: %d segments, %d bytes' % (verb, total.segments, total.bytes))
    return 0


if __name__ == '__main__':
    sys.exit(main())
