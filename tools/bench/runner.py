"""Start the cluster and the proxies, run the scenarios interleaved, collect samples.

Proxies, all on one set of backend servers and one memcached, one process each
(``workers = 0``, so a proxy's CPU time is one process's):

    native               the Swift API, tempauth token
    s3api, s3api+acl     Swift's s3api + tempauth, s3_acl off / on
    swift3compat(+acl)   swift3compat + tempauth, s3_acl off / on
    swift3compat+s3token swift3compat + s3token + keystoneauth, with the EC2
                         secret already in s3token's cache; its Keystone is a
                         local stub that counts calls and answers 503

Every round runs every scenario on every target, the target order rotated by
one each round, so slow drifts of the machine hit all targets alike. A sample
is (proxy CPU ns, wall seconds, requests, bytes) for one batch.
"""
from __future__ import annotations

import base64
import hashlib
import logging
import os
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional, Sequence

from swift3compat_dev.cluster import PIPELINES, TEMPAUTH_USERS, Cluster, Proxy, ProxySpec

from tools.bench import procstat, signer
from tools.bench.client import BenchError, Client, Op, Target
from tools.bench.scenarios import (CHUNKED_SIGNED, CHUNKED_TRAILER, MULTI_DELETE,
                                   MULTIPART, SMALL_BODY, SMALL_SHA256, Batch, Catalogue,
                                   Scenario, Sizes, big_put_op, bucket, create_bucket,
                                   delete_xml)

LOG = logging.getLogger(__name__)
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
USER = TEMPAUTH_USERS[0]
S3TOKEN_ACCESS = 'benchaccess'
S3TOKEN_SECRET = 'benchsecret'
S3TOKEN_PROJECT = 'benchproject'
MEMCACHE_SECRET_KEY = 'bench-memcache-secret-key-0123456789'
SETTLE = 0.05      # seconds for a proxy to finish a batch's deferred work


@dataclass
class Sample:
    cpu_ns: int
    wall_s: float
    count: int
    nbytes: int = 0


@dataclass
class Results:
    samples: dict[str, dict[str, list[Sample]]] = field(default_factory=dict)
    errors: dict[str, dict[str, str]] = field(default_factory=dict)
    rss: dict[str, dict[str, Any]] = field(default_factory=dict)
    s3token: dict[str, Any] = field(default_factory=dict)

    def add(self, scenario: str, target: str, sample: Sample) -> None:
        self.samples.setdefault(scenario, {}).setdefault(target, []).append(sample)

    def fail(self, scenario: str, target: str, err: Exception) -> None:
        self.errors.setdefault(scenario, {})[target] = str(err)[:500]

    def failed(self, scenario: str, target: str) -> bool:
        return target in self.errors.get(scenario, {})

    def to_json(self) -> dict[str, Any]:
        return {'samples': {s: {t: [asdict(x) for x in xs] for t, xs in by_t.items()}
                            for s, by_t in self.samples.items()},
                'errors': self.errors, 'rss': self.rss, 's3token': self.s3token}


# -- the Keystone stub ------------------------------------------------------------
class KeystoneStub:
    """Counts requests and answers every one with 503: a warm s3token cache
    must never ask it to validate a signature or a secret (``validations``).
    Other calls (``calls`` counts all) are s3token's start-up check of its
    service user, which this stub makes fail and s3token retries."""

    VALIDATION_PATHS = ('/s3tokens', '/OS-EC2/')

    def __init__(self) -> None:
        self.calls = 0
        self.validations = 0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                stub.calls += 1
                if any(p in self.path for p in stub.VALIDATION_PATHS):
                    stub.validations += 1
                self.send_response(503)
                self.send_header('Content-Length', '0')
                self.end_headers()

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f'http://127.0.0.1:{self.server.server_port}/v3'

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def s3token_filters(keystone: KeystoneStub) -> dict[str, dict[str, str]]:
    return {
        's3token': {'use': 'egg:swift3compat#s3token', 'auth_uri': keystone.url,
                    'auth_type': 'password', 'auth_url': keystone.url,
                    'username': 'swift', 'password': 'unused',
                    'user_domain_id': 'default', 'project_name': 'service',
                    'project_domain_id': 'default', 'http_timeout': '1',
                    'secret_cache_duration': '3600',
                    'memcache_secret_key': MEMCACHE_SECRET_KEY},
        'keystoneauth': {'use': 'egg:swift#keystoneauth',
                         'operator_roles': 'admin, swiftoperator'},
    }


def s3token_identity() -> dict[str, Any]:
    domain = {'id': 'default', 'name': 'Default'}
    return {'token': {
        'user': {'id': 'benchuser', 'name': 'bench', 'domain': domain},
        'project': {'id': S3TOKEN_PROJECT, 'name': 'bench', 'domain': domain},
        'roles': [{'name': 'swiftoperator'}]}}


def memcache_ring(servers: str) -> Any:
    """Swift's memcache client, logging to stderr only."""
    from swift.common.memcached import MemcacheRing
    from swift.common.utils import get_logger
    logger = get_logger({'log_custom_handlers':
                         'swift3compat_dev.cluster.drop_syslog_handlers'},
                        log_route='bench-memcache')
    return MemcacheRing([servers], logger=logger)


def prefill_secret_cache(memcache_servers: str) -> None:
    """Put the stub user's EC2 secret in s3token's cache, as a first
    successful request with a reachable Keystone would have."""
    from swift3compat.s3token.secret_cache import CachedCredential, SecretCache
    ring = memcache_ring(memcache_servers)
    SecretCache(MEMCACHE_SECRET_KEY, 3600, 10).put(
        ring, S3TOKEN_ACCESS, CachedCredential(S3TOKEN_SECRET, s3token_identity()))


# -- proxies ------------------------------------------------------------------------
PROFILE_FILTER = {'paste.filter_factory': 'tools.bench.profiling:filter_factory'}


def proxy_specs(keystone: Optional[KeystoneStub], profile: bool = False,
                names: Optional[Sequence[str]] = None) -> dict[str, ProxySpec]:
    """Name -> spec of every benchmarked proxy (only ``names`` if given)."""
    common = {'min_segment_size': '1'}   # 1 KiB parts for CompleteMultipartUpload
    specs: dict[str, tuple[str, dict[str, str], dict[str, Any]]] = {
        'native': ('native', {}, {}),
        's3api': ('s3api', {**common, 's3_acl': 'false'}, {}),
        's3api+acl': ('s3api', {**common, 's3_acl': 'true'}, {}),
        'swift3compat': ('swift3compat', {**common, 's3_acl': 'false'}, {}),
        'swift3compat+acl': ('swift3compat', {**common, 's3_acl': 'true'}, {}),
    }
    if keystone is not None:
        pipeline = tuple(f for name in PIPELINES['swift3compat'] for f in
                         (('s3token', 'keystoneauth') if name == 'tempauth' else (name,)))
        specs['swift3compat+s3token'] = ('swift3compat', {**common, 's3_acl': 'false'},
                                         {'pipeline': pipeline,
                                          'filters': s3token_filters(keystone)})
    # "<target>@<N>": the same proxy with N workers (issue 18's scaling of
    # requests/s with the number of proxy workers); only when asked for.
    for name in names or ():
        base, at, workers = name.partition('@')
        if at and base in specs and workers.isdigit() and int(workers) > 0:
            preset, s3_options, extra = specs[base]
            specs[name] = (preset, s3_options, {**extra, 'workers': int(workers)})
    out = {}
    for name, (preset, s3_options, extra) in specs.items():
        if names is not None and name not in names:
            continue
        pipeline = extra.get('pipeline', PIPELINES[preset])
        filters = dict(extra.get('filters', {}))
        if profile:
            pipeline = ('bench_profile',) + tuple(pipeline)
            filters['bench_profile'] = PROFILE_FILTER
        out[name] = ProxySpec(name=name.replace('+', '-').replace('@', '-w'),
                              preset=preset, s3_options=s3_options,
                              pipeline=tuple(pipeline), filters=filters,
                              workers=extra.get('workers', 0))
    return out


def make_target(name: str, proxy: Proxy) -> Target:
    host, port = '127.0.0.1', proxy.port
    base = name.partition('@')[0]
    if base == 'native':
        return Target(name, 'native', host, port, proxy.pids())
    if base.endswith('s3token'):
        return Target(name, 's3', host, port, proxy.pids(),
                      account=f'AUTH_{S3TOKEN_PROJECT}', access_key=S3TOKEN_ACCESS,
                      secret=S3TOKEN_SECRET)
    return Target(name, 's3', host, port, proxy.pids(), access_key=USER.access_key,
                  secret=USER.key, s3_acl=base.endswith('+acl'))


def native_token(client: Client, target: Target) -> None:
    """Fetch a tempauth token for the native target."""
    reply = client.send(target.raw(), Op('GET', 'auth', 'v1.0', headers={
        'X-Auth-User': USER.access_key, 'X-Auth-Key': USER.key}))
    target.token = reply.headers['x-auth-token']


def probe(client: Client, target: Target) -> None:
    """Record which optional S3 features ``target`` serves (a 2xx answer)."""
    name = bucket(target, 'probe')
    create_bucket(client, target, name)
    attempts: dict[str, Op] = {
        CHUNKED_SIGNED: big_put_op(target, name, 'chunked', 1000,
                                   signer.STREAMING_SIGNED),
        CHUNKED_TRAILER: big_put_op(target, name, 'trailer', 1000,
                                    signer.STREAMING_UNSIGNED_TRAILER),
        MULTIPART: Op('POST', name, 'mpu', params=[('uploads', None)]),
    }
    for feature, op in attempts.items():
        op.expect = (200,)
        try:
            client.send(target, op)
        except BenchError:
            continue
        target.supports.add(feature)
    client.send(target, Op('PUT', name, 'k', body=SMALL_BODY, payload=SMALL_SHA256))
    body = delete_xml(['k'])
    try:
        client.send(target, Op(
            'POST', name, params=[('delete', None)], body=body,
            payload=hashlib.sha256(body).hexdigest(), expect=(200,),
            headers={'Content-MD5': base64.b64encode(hashlib.md5(body).digest()).decode()}))
    except BenchError:
        return
    target.supports.add(MULTI_DELETE)


# -- measuring ----------------------------------------------------------------------
def measure(client: Client, target: Target, batch: Batch) -> Sample:
    """Proxy CPU and wall time of one batch; then its cleanup, unmeasured."""
    run = client.run if batch.concurrency > 1 else client.run_serial
    before = procstat.total_cpu_ns(target.pids)
    start = time.perf_counter()
    run(target, batch.ops, batch.keep_body)
    wall = time.perf_counter() - start
    time.sleep(SETTLE)
    cpu = procstat.total_cpu_ns(target.pids) - before
    if batch.cleanup:
        client.run(target, batch.cleanup)
    return Sample(cpu, wall, batch.count, batch.nbytes)


class Bench:
    """One benchmark run: ``with Bench(sizes) as bench: results = bench.run()``."""

    def __init__(self, sizes: Sizes, data_dir: Optional[str] = None,
                 scenarios: Optional[Sequence[str]] = None,
                 targets: Optional[Sequence[str]] = None, profile: bool = False,
                 progress: Callable[[str], None] = print) -> None:
        self.sizes = sizes
        self._tmp = None if data_dir else tempfile.TemporaryDirectory(
            prefix='swift3compat-bench-', dir=os.environ.get('BENCH_TMPDIR'))
        self.data_dir = data_dir or self._tmp.name
        catalogue = Catalogue.standard(sizes)
        self.scenarios = [s for s in catalogue.scenarios
                          if scenarios is None or s.name in scenarios]
        self.target_names = targets
        self.profile = profile
        self.progress = progress
        self.cluster: Optional[Cluster] = None
        self.keystone: Optional[KeystoneStub] = None
        self.targets: list[Target] = []
        self.client = Client(sizes.concurrency)
        self.results = Results()

    def __enter__(self) -> Bench:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        # the proxies import tools.bench.profiling from this checkout
        os.environ['PYTHONPATH'] = os.pathsep.join(
            filter(None, (REPO, os.environ.get('PYTHONPATH'))))
        self.cluster = Cluster(self.data_dir)
        self.cluster.start()
        self.keystone = KeystoneStub()
        prefill_secret_cache(self.cluster.memcache_servers)
        specs = proxy_specs(self.keystone, self.profile, self.target_names)
        for name, spec in specs.items():
            self.progress(f'starting proxy {name}')
            self.targets.append(make_target(name, self.cluster.add_proxy(spec)))
        for target in self.targets:
            if target.api == 'native':
                native_token(self.client, target)
            else:
                probe(self.client, target)

    def stop(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.stop()
        if self.keystone is not None:
            self.keystone.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    def target(self, name: str) -> Target:
        return next(t for t in self.targets if t.name == name)

    # -- the run ------------------------------------------------------------------
    def run(self, rss: bool = True, s3token_micro: bool = True) -> Results:
        for scenario in self.scenarios:
            for target in self.targets:
                if scenario.applies(target):
                    self._guard(scenario, target, lambda s=scenario, t=target:
                                s.setup(self.client, t, self.sizes))
        for rnd in range(self.sizes.rounds):
            self.progress(f'round {rnd + 1}/{self.sizes.rounds}')
            order = self.targets[rnd % len(self.targets):] + \
                self.targets[:rnd % len(self.targets)]
            for scenario in self.scenarios:
                if rnd < scenario.rounds(self.sizes):
                    self._round(scenario, order, rnd)
        if rss:
            self.measure_rss()
        if s3token_micro and any(t.name.endswith('s3token') for t in self.targets):
            self.results.s3token = self.s3token_cost()
        return self.results

    def _round(self, scenario: Scenario, order: Sequence[Target], rnd: int) -> None:
        for target in order:
            if not scenario.applies(target) or \
                    self.results.failed(scenario.name, target.name):
                continue

            def one(target: Target = target) -> None:
                batch = scenario.batch(self.client, target, self.sizes, rnd)
                self.results.add(scenario.name, target.name,
                                 measure(self.client, target, batch))
            self._guard(scenario, target, one)

    def _guard(self, scenario: Scenario, target: Target, action: Callable[[], None]
               ) -> None:
        try:
            action()
        except BenchError as err:
            self.progress(f'  {scenario.name} on {target.name} failed: {err}')
            self.results.fail(scenario.name, target.name, err)

    # -- memory -----------------------------------------------------------------
    def measure_rss(self) -> None:
        """Peak RSS of each proxy during one streamed upload of rss_bytes."""
        size = self.sizes.rss_bytes
        modes = [('native', signer.UNSIGNED), ('s3api', signer.UNSIGNED),
                 ('swift3compat', signer.UNSIGNED), ('swift3compat', 'signed'),
                 ('swift3compat', signer.STREAMING_SIGNED)]
        for name, mode in modes:
            target = next((t for t in self.targets if t.name == name), None)
            if target is None or (mode == signer.STREAMING_SIGNED and
                                  CHUNKED_SIGNED not in target.supports):
                continue
            label = f'{name} {"UNSIGNED" if mode == signer.UNSIGNED else mode}'
            self.progress(f'RSS during a {size >> 20} MiB upload: {label}')
            op = big_put_op(target, bucket(target, 'big'), 'rss', size, mode)
            try:
                with procstat.RssSampler(target.pids[0]) as sampler:
                    start = time.perf_counter()
                    self.client.send(target, op)
                    wall = time.perf_counter() - start
            except BenchError as err:
                self.results.rss[label] = {'error': str(err)[:500]}
                continue
            self.client.send(target, Op('DELETE', bucket(target, 'big'), 'rss'))
            self.results.rss[label] = {
                'target': name, 'mode': mode, 'bytes': size,
                'baseline': sampler.baseline, 'peak': sampler.peak,
                'growth': sampler.peak - sampler.baseline, 'wall_s': wall}

    # -- s3token ------------------------------------------------------------------
    def s3token_cost(self, iterations: int = 2000) -> dict[str, Any]:
        """CPU of s3token's own work per request with a warm cache, measured
        in this process around the filter (its downstream app does nothing),
        and the number of Keystone calls made during the whole run."""
        return s3token_cost(self.cluster.memcache_servers, self.keystone, iterations)


def s3token_cost(memcache_servers: str, keystone: KeystoneStub,
                 iterations: int) -> dict[str, Any]:
    from swift3compat import config
    from swift3compat.auth import signature
    from swift3compat.http.request import S3Request
    from swift3compat.s3token.middleware import S3Token

    conf = s3token_filters(keystone)['s3token']
    conf = {k: v for k, v in conf.items() if k != 'use'}
    s3token = S3Token(lambda env, start: [b''], conf,
                      logger=logging.getLogger('bench.s3token'))
    ring = memcache_ring(memcache_servers)
    swift3_conf = config.defaults()
    calls_before = keystone.calls
    costs = []
    for _ in range(iterations):
        headers = signer.sign('HEAD', 'localhost', '/bench/key', [], {}, signer.EMPTY_SHA256,
                              S3TOKEN_ACCESS, S3TOKEN_SECRET)
        env = {'REQUEST_METHOD': 'HEAD', 'PATH_INFO': '/bench/key', 'QUERY_STRING': ''}
        env.update({'HTTP_' + k.upper().replace('-', '_'): v for k, v in headers.items()})
        details = signature.parse(S3Request(env, swift3_conf)).auth_details()
        sub = {'REQUEST_METHOD': 'HEAD', 'PATH_INFO': f'/v1/{S3TOKEN_ACCESS}/bench/key',
               'swift.cache': ring, 'swift3.auth_details': details}
        start = time.process_time_ns()
        s3token(sub, lambda status, headers: None)
        costs.append(time.process_time_ns() - start)
        if sub.get('HTTP_X_IDENTITY_STATUS') != 'Confirmed':
            raise BenchError('s3token did not authenticate from its cache')
    costs.sort()
    return {'iterations': iterations, 'median_us': costs[len(costs) // 2] / 1000,
            'p90_us': costs[len(costs) * 9 // 10] / 1000,
            'keystone_calls_during_micro': keystone.calls - calls_before,
            'keystone_calls_total': keystone.calls,
            'keystone_validations_total': keystone.validations}
