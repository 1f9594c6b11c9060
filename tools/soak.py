#!/usr/bin/env python3
"""Bounded load soak for swift3compat: concurrent S3 clients for a fixed time.

Runs ``--clients`` boto3 clients on loopback for ``--duration`` seconds, half
of them as ``test:tester`` and half as ``test2:tester2`` (two tempauth
accounts), mixing PUT, GET, HEAD, LIST, COPY, DELETE and multipart uploads.
Each client owns its keys, so it knows what every object must contain; at
the end every object is read back and compared, and every listing checked.
Then it reports ops/s, errors by S3 error code and p50/p99 latency, and stops
by itself (a client that hangs past the deadline is reported, not waited
for).

By default it builds and starts its own one-machine cluster in a temporary
directory (``swift3compat_dev.cluster``) and removes it afterwards::

    python tools/soak.py --duration 60 --clients 8
    python tools/soak.py --duration 600 --json soak.json
    python tools/soak.py --endpoint http://localhost:8080 --duration 60   # a running SAIO

Exit status: 0 when no request got a 5xx and every object verified; 1
otherwise; 2 when a client did not stop.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

USERS = {'test:tester': 'testing', 'test2:tester2': 'testing2'}
REGION = 'us-east-1'
OPS = {'put': 30, 'get': 25, 'head': 10, 'list': 10, 'copy': 5, 'delete': 12, 'multipart': 8}
HANG_GRACE = 60.0


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    problems: Counter = field(default_factory=Counter)     # found while running
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, op: str, seconds: float, status: int, code: Optional[str]) -> None:
        with self.lock:
            self.latencies[op].append(seconds)
            self.statuses[status] += 1
            if code:
                self.errors[f'{op}:{code}'] += 1

    def problem(self, name: str) -> None:
        with self.lock:
            self.problems[name] += 1


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def make_client(endpoint: str, user: str, pool: int = 4) -> Any:
    return boto3.session.Session().client(
        's3', endpoint_url=endpoint, region_name=REGION,
        aws_access_key_id=user, aws_secret_access_key=USERS[user],
        config=Config(signature_version='s3v4', s3={'addressing_style': 'path'},
                      retries={'mode': 'standard', 'total_max_attempts': 1},
                      max_pool_connections=pool, connect_timeout=10, read_timeout=60))


class Worker(threading.Thread):
    """One client: its own keys under ``w<n>/`` in its account's bucket."""

    def __init__(self, index: int, endpoint: str, user: str, bucket: str, deadline: float,
                 stats: Stats, max_size: int, part_size: int, seed: int) -> None:
        super().__init__(name=f'soak-{index}', daemon=True)
        self.client = make_client(endpoint, user)
        self.bucket = bucket
        self.prefix = f'w{index}/'
        self.deadline = deadline
        self.stats = stats
        self.max_size = max_size
        self.part_size = part_size
        self.rng = random.Random(seed)
        self.expected: dict[str, Optional[str]] = {}     # key -> md5 (None: deleted)
        self.serial = 0
        self.multipart_supported = True

    # -- one timed call ----------------------------------------------------------
    def call(self, op: str, fn: Callable[[], Any], ok_codes: tuple[str, ...] = ()
             ) -> tuple[Any, Optional[str]]:
        start = time.perf_counter()
        try:
            result = fn()
        except ClientError as err:
            status = err.response.get('ResponseMetadata', {}).get('HTTPStatusCode', 0)
            code = err.response.get('Error', {}).get('Code') or str(status)
            self.stats.record(op, time.perf_counter() - start, status,
                              None if code in ok_codes else code)
            return None, code
        except BotoCoreError as err:
            self.stats.record(op, time.perf_counter() - start, 0, type(err).__name__)
            return None, type(err).__name__
        status = result.get('ResponseMetadata', {}).get('HTTPStatusCode', 200) \
            if isinstance(result, dict) else 200
        self.stats.record(op, time.perf_counter() - start, status, None)
        return result, None

    # -- operations ------------------------------------------------------------
    def new_key(self) -> str:
        self.serial += 1
        return f'{self.prefix}{self.serial:06d}'

    def some_key(self, present: bool = True) -> Optional[str]:
        keys = [k for k, v in self.expected.items() if (v is not None) == present]
        return self.rng.choice(keys) if keys else None

    def body(self) -> bytes:
        size = self.rng.choice([0, 1, self.rng.randrange(1, self.max_size + 1)])
        return os.urandom(size)

    def op_put(self) -> None:
        key = self.some_key() if self.rng.random() < 0.3 else None
        key = key or self.new_key()
        data = self.body()
        _, code = self.call('put', lambda: self.client.put_object(
            Bucket=self.bucket, Key=key, Body=data))
        if code is None:
            self.expected[key] = hashlib.md5(data).hexdigest()

    def op_get(self) -> None:
        key = self.some_key()
        if key is None:
            return self.op_put()

        def get() -> dict:
            resp = self.client.get_object(Bucket=self.bucket, Key=key)
            resp['data'] = resp['Body'].read()
            return resp
        resp, code = self.call('get', get)
        if code is None and hashlib.md5(resp['data']).hexdigest() != self.expected[key]:
            self.stats.problem('corrupt-read')

    def op_head(self) -> None:
        key = self.some_key(present=self.rng.random() < 0.8)
        if key is None:
            return self.op_put()
        absent = self.expected[key] is None
        self.call('head', lambda: self.client.head_object(Bucket=self.bucket, Key=key),
                  ok_codes=('404',) if absent else ())

    def op_list(self) -> None:
        resp, code = self.call('list', lambda: self.client.list_objects_v2(
            Bucket=self.bucket, Prefix=self.prefix, MaxKeys=1000))
        if code is None and not resp.get('IsTruncated'):
            listed = {o['Key'] for o in resp.get('Contents', [])}
            present = {k for k, v in self.expected.items() if v is not None}
            if listed != present:
                self.stats.problem('listing-mismatch')

    def op_copy(self) -> None:
        src = self.some_key()
        if src is None:
            return self.op_put()
        dst = self.new_key()
        _, code = self.call('copy', lambda: self.client.copy_object(
            Bucket=self.bucket, Key=dst, CopySource={'Bucket': self.bucket, 'Key': src}))
        if code is None:
            self.expected[dst] = self.expected[src]

    def op_delete(self) -> None:
        key = self.some_key()
        if key is None:
            return self.op_put()
        _, code = self.call('delete', lambda: self.client.delete_object(
            Bucket=self.bucket, Key=key))
        if code is None:
            self.expected[key] = None

    def op_multipart(self) -> None:
        if not self.multipart_supported:
            return self.op_put()
        key = self.new_key()
        created, code = self.call('multipart', lambda: self.client.create_multipart_upload(
            Bucket=self.bucket, Key=key))
        if code == 'NotImplemented':
            self.multipart_supported = False
            return None
        if code is not None:
            return None
        upload_id = created['UploadId']
        parts_data = [os.urandom(self.part_size), os.urandom(self.rng.randrange(1, 4096))]
        parts = []
        for number, data in enumerate(parts_data, 1):
            part, code = self.call('multipart', lambda n=number, d=data: self.client.upload_part(
                Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=n, Body=d))
            if code is not None:
                self.call('multipart', lambda: self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=key, UploadId=upload_id))
                return None
            parts.append({'PartNumber': number, 'ETag': part['ETag']})
        _, code = self.call('multipart', lambda: self.client.complete_multipart_upload(
            Bucket=self.bucket, Key=key, UploadId=upload_id,
            MultipartUpload={'Parts': parts}))
        if code is None:
            self.expected[key] = hashlib.md5(b''.join(parts_data)).hexdigest()
        return None

    def run(self) -> None:
        names = list(OPS)
        weights = [OPS[n] for n in names]
        while time.monotonic() < self.deadline:
            getattr(self, 'op_' + self.rng.choices(names, weights)[0])()

    # -- the end -----------------------------------------------------------------
    def verify(self) -> Counter:
        """Read every key back; compare content, absence and the listing."""
        problems: Counter = Counter()
        for key, md5 in sorted(self.expected.items()):
            try:
                data = self.client.get_object(Bucket=self.bucket, Key=key)['Body'].read()
            except ClientError as err:
                code = err.response.get('Error', {}).get('Code')
                if md5 is not None or code != 'NoSuchKey':
                    problems[f'lost:{code}'] += 1
                continue
            if md5 is None:
                problems['deleted-but-present'] += 1
            elif hashlib.md5(data).hexdigest() != md5:
                problems['corrupt'] += 1
        listed = set()
        try:
            for page in self.client.get_paginator('list_objects_v2').paginate(
                    Bucket=self.bucket, Prefix=self.prefix):
                listed.update(o['Key'] for o in page.get('Contents', []))
        except ClientError as err:
            problems[f"listing:{err.response.get('Error', {}).get('Code')}"] += 1
            return +problems
        present = {k for k, v in self.expected.items() if v is not None}
        problems['listing-missing'] += len(present - listed)
        problems['listing-extra'] += len(listed - present)
        return +problems


# -- the run --------------------------------------------------------------------
def start_cluster(data_dir: str, part_size: int, proxy_workers: int) -> tuple[Any, str]:
    from swift3compat_dev.cluster import Cluster, ProxySpec
    cluster = Cluster(data_dir)
    cluster.start()
    proxy = cluster.add_proxy(ProxySpec(
        name='soak-proxy', workers=proxy_workers,
        s3_options={'min_segment_size': str(part_size)}))
    return cluster, f'http://127.0.0.1:{proxy.port}'


def soak(endpoint: str, duration: float, clients: int, max_size: int, part_size: int,
         seed: int) -> dict[str, Any]:
    run = f'{int(time.time())}-{os.getpid()}'
    buckets = {}
    for user in USERS:
        bucket = f'soak-{run}-{user.split(":")[0]}'
        make_client(endpoint, user).create_bucket(Bucket=bucket)
        buckets[user] = bucket
    stats = Stats()
    users = list(USERS)
    start = time.monotonic()
    deadline = start + duration
    workers = [Worker(i, endpoint, users[i % len(users)], buckets[users[i % len(users)]],
                      deadline, stats, max_size, part_size, seed + i) for i in range(clients)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(max(0.0, deadline + HANG_GRACE - time.monotonic()))
    elapsed = time.monotonic() - start
    hung = [w.name for w in workers if w.is_alive()]
    problems: Counter = Counter(stats.problems)
    for w in workers:
        if not w.is_alive():
            problems.update(w.verify())
    all_latencies = [x for v in stats.latencies.values() for x in v]
    per_op = {op: {'count': len(v), 'p50_ms': round(percentile(v, 50) * 1000, 2),
                   'p99_ms': round(percentile(v, 99) * 1000, 2)}
              for op, v in sorted(stats.latencies.items())}
    server_errors = sum(n for status, n in stats.statuses.items() if status >= 500)
    return {
        'endpoint': endpoint, 'duration_s': round(elapsed, 1), 'clients': clients,
        'accounts': users, 'requests': len(all_latencies),
        'ops_per_s': round(len(all_latencies) / elapsed, 1) if elapsed else 0.0,
        'p50_ms': round(percentile(all_latencies, 50) * 1000, 2),
        'p99_ms': round(percentile(all_latencies, 99) * 1000, 2),
        'per_op': per_op, 'errors_by_code': dict(sorted(stats.errors.items())),
        'status_counts': {str(k): v for k, v in sorted(stats.statuses.items())},
        'server_errors_5xx': server_errors,
        'objects_verified': sum(len(w.expected) for w in workers),
        'verification_problems': dict(problems), 'hung_clients': hung,
        'multipart': 'on' if all(w.multipart_supported for w in workers) else
                     'NotImplemented by the server (PUTs instead)',
    }


def print_report(report: dict[str, Any]) -> None:
    print(f"soak: {report['requests']} requests in {report['duration_s']} s by "
          f"{report['clients']} clients on {report['endpoint']} "
          f"({', '.join(report['accounts'])})")
    print(f"  {report['ops_per_s']} ops/s; latency p50 {report['p50_ms']} ms, "
          f"p99 {report['p99_ms']} ms; multipart: {report['multipart']}")
    for op, s in report['per_op'].items():
        print(f"  {op:<10} {s['count']:>7}  p50 {s['p50_ms']:>8} ms  p99 {s['p99_ms']:>8} ms")
    print(f"  statuses: {report['status_counts']}; 5xx: {report['server_errors_5xx']}")
    print(f"  errors by code: {report['errors_by_code'] or 'none'}")
    print(f"  objects verified: {report['objects_verified']}; problems: "
          f"{report['verification_problems'] or 'none'}; hung clients: "
          f"{report['hung_clients'] or 'none'}")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--duration', type=float, default=60.0, help='seconds (default 60)')
    parser.add_argument('--clients', type=int, default=8, help='concurrent clients (8)')
    parser.add_argument('--endpoint', help='use a running proxy (tempauth users test:tester '
                        'and test2:tester2) instead of starting a cluster')
    parser.add_argument('--data-dir', help='cluster data dir (default: a temporary one, '
                        'removed afterwards)')
    parser.add_argument('--proxy-workers', type=int, default=0,
                        help='proxy worker processes of the own cluster (0: one process)')
    parser.add_argument('--max-size', type=int, default=256 * 1024,
                        help='largest object PUT (bytes)')
    parser.add_argument('--part-size', type=int, default=1024 * 1024,
                        help='multipart part size; the own cluster accepts it as '
                        'min_segment_size (the server must accept it)')
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--json', help='also write the report to this file')
    args = parser.parse_args(argv)
    cluster = None
    temp_dir = None
    endpoint = args.endpoint
    try:
        if endpoint is None:
            temp_dir = None if args.data_dir else tempfile.mkdtemp(prefix='swift3compat-soak-')
            cluster, endpoint = start_cluster(args.data_dir or temp_dir, args.part_size,
                                              args.proxy_workers)
        report = soak(endpoint, args.duration, args.clients, args.max_size, args.part_size,
                      args.seed)
    finally:
        if cluster is not None:
            cluster.stop()
        if temp_dir is not None:
            shutil.rmtree(temp_dir, ignore_errors=True)
    print_report(report)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(report, f, indent=2)
    if report['hung_clients']:
        return 2
    return 1 if report['server_errors_5xx'] or report['verification_problems'] else 0


if __name__ == '__main__':
    sys.exit(main())
