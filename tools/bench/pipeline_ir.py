"""Instruction counts and call profiles of 1 KiB requests through a real
proxy pipeline loaded in-process (issue 18; doc/performance.md, "1 KiB
requests").

The pipeline is the bench's proxy configuration (``paste`` loaded from a conf
the cluster writes), driven with ``swob.Request.blank``: no WSGI server, no
client socket; the backend servers and memcached are the cluster's, out of
process.  Under ``callgrind`` the instruction count of a run is repeatable on
a loaded machine; a run of N requests minus a run of none is N requests::

    python -m tools.bench.pipeline_ir setup DIR &      # keeps running
    PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        python -m tools.bench.pipeline_ir drive DIR/acl.conf s3 40 HEAD
    ... the same with 0 ...

Faster and without the start-up in the count, ``loop`` instruments only the
N requests (callgrind's client requests, from a small C helper this module
compiles with ``cc`` and valgrind's headers into ``--helper-dir``)::

    PYTHONHASHSEED=0 valgrind --tool=callgrind --instr-atstart=no \\
        --collect-atstart=no --callgrind-out-file=OUT \\
        python -m tools.bench.pipeline_ir loop DIR/acl.conf s3 40 HEAD

and the ``summary:`` line of ``OUT.1`` divided by N is the instructions per
request (about 17 s a run instead of 90).  With ``--inside=MODULE:NAME``
(e.g. ``swift3compat.auth.signature:parse``, or a method:
``swift3compat.swift.backend:Backend.request``) only the instructions
inside that function are counted, its callees included; a function that
waits for a server also counts what other green threads run meanwhile.

``ratios DIR [METHODS]`` runs ``loop`` under callgrind for native Swift
and swift3compat with s3_acl on (PUT, GET, HEAD and DELETE by default) and
prints instructions per request and their ratio: issue 18's 1 KiB rows in
a measure the machine's load does not move (needs valgrind and ``cc``)::

    python -m tools.bench.pipeline_ir ratios [DIR]   # about a minute

``complete [DIR [PARTS]]`` does the same for CompleteMultipartUpload of
PARTS (100) parts of 1 KiB against Swift's s3api with s3_acl on (issue 18's
Complete row; ``loop-complete CONF N PARTS`` is its ``loop``: only the N
Complete requests are counted, not the uploads before them)::

    python -m tools.bench.pipeline_ir complete [DIR]   # about 3 minutes

``gc CONF KIND N METHOD`` counts the garbage collector's runs over N
requests and the time they take.

``profile CONF KIND N METHOD OUT`` runs the same N requests under cProfile
and writes pstats to OUT (exact call counts; ``compare`` prints the calls per
request of two such files side by side, biggest difference first).

KIND is ``s3`` (signed with the bench's signer, ``test:tester``) or
``native`` (a tempauth token).  Each run first creates the bucket and the
object and makes one request of METHOD (one-time work: imports, caches), in
the runs of none as well.  Each request is signed once per run (see
``requester``), so the client's work per request is a copy of its
environment, the same for both kinds.
"""
from __future__ import annotations

import io
import os
import sys
import time
from typing import Any, Callable, Optional

BODY = b'x' * 1024
HOST = 'localhost'


def load(conf: str) -> Any:
    import configparser

    from swift.common import constraints, utils
    from swift.common.storage_policy import reload_storage_policies
    from swift.common.wsgi import loadapp
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(conf)
    utils.set_swift_dir(parser.defaults().get('swift_dir'))
    constraints.reload_constraints()
    reload_storage_policies()
    return loadapp(conf)


def requester(app: Any, kind: str) -> tuple[Callable[..., Any], str]:
    """A function making one request, and the object's path.

    Each request's environment is copied from one built (and, for S3,
    signed) once per method: the client's share of a request is a dict copy
    and a ``BytesIO``, the same for both kinds.  S3 signatures stay valid
    for the run (the clock skew allowed is 15 minutes) and are checked in
    full on every request."""
    from swift.common.swob import Request

    from tools.bench import signer
    templates: dict[tuple[str, str, bool], dict[str, Any]] = {}

    def template(method: str, path: str, data: Any) -> dict[str, Any]:
        key = (method, path, data is not None)
        env = templates.get(key)
        if env is None:
            if kind == 'native':
                headers = {'X-Auth-Token': token}
                if data is not None:
                    headers['Content-Length'] = str(len(data))
            else:
                payload = signer.EMPTY_SHA256 if data is None else signer.UNSIGNED
                extra = {} if data is None else {'content-length': str(len(data))}
                headers = signer.sign(method, HOST, path, [], extra, payload,
                                      'test:tester', 'testing')
            env = templates[key] = Request.blank(
                path, environ={'REQUEST_METHOD': method}, headers=headers).environ
        return env

    def req(method: str, path: str, data: Any = None) -> Any:
        env = dict(template(method, path, data))
        env['wsgi.input'] = io.BytesIO(data or b'')
        return Request(env).get_response(app)

    token = ''
    if kind == 'native':
        resp = Request.blank('/auth/v1.0', headers={
            'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing'}).get_response(app)
        token = resp.headers['X-Auth-Token']
        # not the S3 bucket: that one is created by S3 (its ACL, multipart
        # tracking), as S3 clients' buckets are
        base = '/v1/AUTH_test/irn'
        req('PUT', base)
        return req, base + '/k'
    if req('HEAD', '/irb').status_int == 404:
        # once: CreateBucket again resets the bucket's ACL (us-east-1)
        req('PUT', '/irb')
    return req, '/irb/k'


def one(req: Callable[..., Any], obj: str, method: str) -> None:
    resp = req(method, obj, BODY if method == 'PUT' else None)
    body = resp.body      # drain the response
    if resp.status_int >= 300:
        raise SystemExit(f'{method} {obj}: {resp.status} {body[:300]!r}')


def drive(conf: str, kind: str, n: int, method: str) -> None:
    app = load(conf)
    req, obj = requester(app, kind)
    one(req, obj, 'PUT')
    one(req, obj, method)           # warm-up, in the runs of none too
    for _ in range(n):
        one(req, obj, method)


_HELPER = r'''
#include <valgrind/callgrind.h>
void instrument(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void toggle(void) { CALLGRIND_TOGGLE_COLLECT; }
void dump(void) { CALLGRIND_DUMP_STATS_AT("loop"); CALLGRIND_STOP_INSTRUMENTATION; }
'''
_HELPER_NAME = 'pipeline_ir_cg2'


def helper(directory: str) -> Any:
    """The callgrind client-request helper (built once into ``directory``)."""
    import ctypes
    import subprocess  # nosec B404: cc on a source of our own
    lib = os.path.join(directory, _HELPER_NAME + '.so')
    if not os.path.exists(lib):
        os.makedirs(directory, exist_ok=True)
        source = os.path.join(directory, _HELPER_NAME + '.c')
        with open(source, 'w') as f:
            f.write(_HELPER)
        subprocess.run(['cc', '-O2', '-shared', '-fPIC', '-o', lib, source],
                       check=True)  # nosec B603 B607
    return ctypes.CDLL(lib)


def counted_inside(lib: Any, spec: str, gate: Optional[list] = None) -> None:
    """Make ``MODULE:NAME`` toggle callgrind's collection on entry and exit
    (the outermost call only; none while ``gate[0]`` is false)."""
    import functools
    import importlib
    module, _, path = spec.partition(':')
    owner: Any = importlib.import_module(module)
    *parents, name = path.split('.')
    for parent in parents:
        owner = getattr(owner, parent)
    original = owner.__dict__[name] if isinstance(owner, type) \
        else getattr(owner, name)
    kind = type(original) if isinstance(
        original, (classmethod, staticmethod)) else None
    func = original.__func__ if kind else original
    depth = [0]

    gate = gate if gate is not None else [True]

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not gate[0]:
            return func(*args, **kwargs)
        if not depth[0]:
            lib.toggle()
        depth[0] += 1
        try:
            return func(*args, **kwargs)
        finally:
            depth[0] -= 1
            if not depth[0]:
                lib.toggle()
    setattr(owner, name, kind(wrapper) if kind else wrapper)


def loop(conf: str, kind: str, n: int, method: str,
         helper_dir: str = '/tmp/pipeline_ir',
         inside: Optional[str] = None) -> None:
    """``drive``, with only the N requests instrumented (run under
    callgrind with --instr-atstart=no --collect-atstart=no), or only what
    runs inside the function ``inside`` names.  Each DELETE deletes an
    object: a PUT before it, not counted."""
    lib = helper(helper_dir)
    gate = [True]
    if inside:
        counted_inside(lib, inside, gate)
    app = load(conf)
    req, obj = requester(app, kind)
    refill = method == 'DELETE'
    one(req, obj, 'PUT')
    one(req, obj, method)
    if refill:
        one(req, obj, 'PUT')
    one(req, obj, method)
    lib.instrument()
    if refill:
        for _ in range(n):
            gate[0] = False
            one(req, obj, 'PUT')
            gate[0] = True
            if not inside:
                lib.toggle()
            one(req, obj, method)
            if not inside:
                lib.toggle()
    else:
        if not inside:
            lib.toggle()
        for _ in range(n):
            one(req, obj, method)
        if not inside:
            lib.toggle()
    lib.dump()


def s3_call(app: Any, method: str, path: str,
            params: Optional[list[tuple[str, str]]] = None,
            body: bytes = b'', ok: tuple[int, ...] = ()) -> Any:
    """One signed S3 request (signed payload) and its response, drained."""
    import hashlib
    from urllib.parse import quote

    from swift.common.swob import Request

    from tools.bench import signer
    params = params or []
    headers = signer.sign(method, HOST, path, params,
                          {'content-length': str(len(body))} if body else {},
                          hashlib.sha256(body).hexdigest(), 'test:tester',
                          'testing')
    query = '&'.join(f'{quote(k)}={quote(v)}' if v else quote(k)
                     for k, v in params)
    env = Request.blank(path + ('?' + query if query else ''),
                        environ={'REQUEST_METHOD': method},
                        headers=headers).environ
    env['wsgi.input'] = io.BytesIO(body)
    resp = Request(env).get_response(app)
    body = resp.body        # drains it
    if resp.status_int >= 300 and resp.status_int not in ok:
        raise SystemExit(f'{method} {path}: {resp.status} {body[:300]!r}')
    return resp


def prepared_complete(app: Any, key: str, parts: int) -> Callable[[], Any]:
    """Create a multipart upload of ``parts`` 1 KiB parts and return the
    CompleteMultipartUpload that finishes it, signed, not yet sent."""
    from tools.bench.scenarios import complete_xml, upload_id
    path = '/irb/' + key
    upload = upload_id(s3_call(app, 'POST', path, [('uploads', '')]).body)
    etags = [s3_call(app, 'PUT', path, [('partNumber', str(n)),
                                        ('uploadId', upload)], BODY)
             .headers['etag'] for n in range(1, parts + 1)]
    body = complete_xml(etags)
    return lambda: s3_call(app, 'POST', path, [('uploadId', upload)], body)


def loop_complete(conf: str, n: int, parts: int,
                  helper_dir: str = '/tmp/pipeline_ir') -> None:
    """``loop`` for CompleteMultipartUpload: N uploads of ``parts`` parts,
    only the Complete requests instrumented (run it under callgrind as
    ``loop``; any S3 layer's conf, e.g. s3api's)."""
    lib = helper(helper_dir)
    app = load(conf)
    run = f'mpu-{time.time_ns()}'   # new keys: no object replaced
    s3_call(app, 'PUT', '/irb', ok=(409,))     # s3api: BucketAlreadyOwnedByYou
    prepared_complete(app, f'{run}-warm', parts)()
    lib.instrument()
    for i in range(n):
        complete = prepared_complete(app, f'{run}-{i}', parts)
        lib.toggle()
        complete()
        lib.toggle()
    lib.dump()


def profile(conf: str, kind: str, n: int, method: str, out: str) -> None:
    import cProfile
    app = load(conf)
    req, obj = requester(app, kind)
    one(req, obj, 'PUT')
    one(req, obj, method)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        one(req, obj, method)
    prof.disable()
    prof.dump_stats(out)


def collections(conf: str, kind: str, n: int, method: str) -> None:
    """How often Python's cyclic garbage collector runs over N requests, and
    for how long (``gc.callbacks``): work callgrind's counts of one request
    do not show, because a request's leftover cycles are collected later."""
    import gc
    app = load(conf)
    req, obj = requester(app, kind)
    one(req, obj, 'PUT')
    for _ in range(50):
        one(req, obj, method)
    runs = {0: 0, 1: 0, 2: 0}
    seconds = {0: 0.0, 1: 0.0, 2: 0.0}
    began: list[float] = []

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == 'start':
            began.append(time.perf_counter())
        elif began:
            runs[info['generation']] += 1
            seconds[info['generation']] += time.perf_counter() - began.pop()
    gc.callbacks.append(callback)
    try:
        for _ in range(n):
            one(req, obj, method)
    finally:
        gc.callbacks.remove(callback)
    for generation in (0, 1, 2):
        print(f'generation {generation}: {runs[generation]} collections, '
              f'{seconds[generation] / n * 1e6:.1f} µs per request')


def compare(a: str, b: str, n: int, top: int = 60) -> None:
    """Calls per request of two profiles (of ``n`` requests each)."""
    import pstats

    def calls(path: str) -> dict[str, tuple[float, float]]:
        stats = pstats.Stats(path).stats  # type: ignore[attr-defined]
        out = {}
        for (file, line, name), (_cc, nc, tt, _ct, _callers) in stats.items():
            key = f'{os.path.basename(os.path.dirname(file))}/' \
                  f'{os.path.basename(file)}:{line}({name})'
            prev = out.get(key, (0, 0.0))
            out[key] = (prev[0] + nc / n, prev[1] + tt / n)
        return out
    ca, cb = calls(a), calls(b)
    total_a = sum(v[0] for v in ca.values())
    total_b = sum(v[0] for v in cb.values())
    print(f'calls per request: {total_a:,.0f} -> {total_b:,.0f} '
          f'({total_b - total_a:+,.0f})')
    keys = sorted(set(ca) | set(cb),
                  key=lambda k: -abs(cb.get(k, (0, 0))[0] - ca.get(k, (0, 0))[0]))
    for key in keys[:top]:
        x, y = ca.get(key, (0, 0))[0], cb.get(key, (0, 0))[0]
        if x != y:
            print(f'{x:9.1f} {y:9.1f} {y - x:+9.1f}  {key}')


def start_cluster(data_dir: str) -> Any:
    """The cluster (started) and the proxies' confs (native, noacl, acl, s3api)
    written into ``data_dir``."""
    from swift3compat_dev.cluster import Cluster, ProxySpec
    cluster = Cluster(data_dir)
    cluster.start()
    s3 = {'storage_domain': HOST, 'min_segment_size': '1'}   # 1 KiB parts
    specs = {
        'native': ProxySpec(name='native', preset='native'),
        'noacl': ProxySpec(name='noacl', s3_options={**s3, 's3_acl': 'false'}),
        'acl': ProxySpec(name='acl', s3_options={**s3, 's3_acl': 'true'}),
        's3api': ProxySpec(name='s3api', preset='s3api',
                           s3_options={**s3, 's3_acl': 'true'}),
    }
    for name, spec in specs.items():
        with open(os.path.join(data_dir, name + '.conf'), 'w') as f:
            f.write(cluster.proxy_conf(spec, 1))
    return cluster


def setup(data_dir: str) -> None:
    cluster = start_cluster(data_dir)
    print('ready', flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        cluster.stop()


def instructions(conf: str, kind: str, n: int, method: str,
                 work_dir: str) -> float:
    """Instructions per request of ``loop`` under callgrind (the ``summary``
    of its dump divided by N).  PYTHONHASHSEED is fixed: dict and set
    layouts, and so the count, repeat from run to run."""
    return _callgrind(['loop', conf, kind, str(n), method], n, work_dir,
                      f'{os.path.basename(conf)}.{method}')


def _callgrind(args: list[str], n: int, work_dir: str, label: str) -> float:
    """This module run with ``args`` under callgrind, collection off at
    start: the instructions it collected, divided by ``n``."""
    import subprocess  # nosec B404: valgrind on this module
    out = os.path.join(work_dir, f'callgrind.{label}')
    for stale in (out, out + '.1'):
        if os.path.exists(stale):
            os.remove(stale)
    subprocess.run(
        ['valgrind', '--tool=callgrind', '--instr-atstart=no',
         '--collect-atstart=no', f'--callgrind-out-file={out}',
         sys.executable, '-m', 'tools.bench.pipeline_ir', *args],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, 'PYTHONHASHSEED': '0'})  # nosec B603 B607
    dump = out + '.1' if os.path.exists(out + '.1') else out
    with open(dump) as f:
        for line in f:
            if line.startswith('summary:'):
                return int(line.split()[1]) / n
    raise SystemExit(f'no summary in {dump}')


def ratios(data_dir: Optional[str] = None,
           methods: str = 'PUT,GET,HEAD,DELETE',
           n: int = 40) -> None:
    """Instructions per 1 KiB request, native Swift and swift3compat with
    s3_acl on, and their ratio: the 1 KiB rows of issue 18 in a measure
    that does not move with the machine's load (runs vary by about
    0.045 M).  ``data_dir`` is a running ``setup``'s; without it a cluster
    is started for the run."""
    _with_cluster(data_dir, lambda d, work: _print_ratios(d, methods, n, work))


def complete_ratio(data_dir: Optional[str] = None, parts: int = 100,
                   n: int = 2) -> None:
    """Instructions per CompleteMultipartUpload of ``parts`` 1 KiB parts,
    Swift's s3api and swift3compat (both with s3_acl on), and their ratio
    (issue 18's Complete row)."""
    def run(d: str, work: str) -> None:
        s3api, ours = (_callgrind(
            ['loop-complete', os.path.join(d, conf + '.conf'), str(n),
             str(parts)], n, work, f'complete.{conf}')
            for conf in ('s3api', 'acl'))
        print(f'| CompleteMultipartUpload, {parts} parts | s3api+acl (M instr) '
              '| swift3compat+acl | ratio |')
        print('|---|---:|---:|---:|')
        print(f'| | {s3api / 1e6:.1f} | {ours / 1e6:.1f} | '
              f'{ours / s3api:.3f} |', flush=True)
    _with_cluster(data_dir, run)


def _with_cluster(data_dir: Optional[str],
                  run: Callable[[str, str], None]) -> None:
    """``run(data_dir, work_dir)`` on a running ``setup``'s cluster, or on
    one started for it."""
    import shutil
    import tempfile
    if shutil.which('valgrind') is None:
        raise SystemExit('valgrind is not installed (apt-get install valgrind)')
    with tempfile.TemporaryDirectory(prefix='pipeline-ir-') as work:
        cluster = None
        if data_dir is None:
            data_dir = os.path.join(work, 'cluster')
            cluster = start_cluster(data_dir)
        try:
            run(data_dir, work)
        finally:
            if cluster is not None:
                cluster.stop()


def _print_ratios(data_dir: str, methods: str, n: int, work: str) -> None:
    print('| 1 KiB request | native (M instr) | swift3compat+acl | ratio |')
    print('|---|---:|---:|---:|')
    for method in methods.split(','):
        native = instructions(os.path.join(data_dir, 'native.conf'),
                              'native', n, method, work)
        s3 = instructions(os.path.join(data_dir, 'acl.conf'), 's3', n,
                          method, work)
        print(f'| {method} | {native / 1e6:.3f} | {s3 / 1e6:.3f} | '
              f'{s3 / native:.3f} |', flush=True)


def main(argv: list[str]) -> None:
    mode = argv[0]
    if mode == 'setup':
        setup(argv[1])
    elif mode == 'drive':
        drive(argv[1], argv[2], int(argv[3]), argv[4])
    elif mode == 'loop':
        options = dict(a.lstrip('-').partition('=')[::2] for a in argv[5:])
        loop(argv[1], argv[2], int(argv[3]), argv[4],
             options.get('helper-dir', '/tmp/pipeline_ir'),
             options.get('inside'))
    elif mode == 'loop-complete':
        loop_complete(argv[1], int(argv[2]), int(argv[3]))
    elif mode == 'profile':
        profile(argv[1], argv[2], int(argv[3]), argv[4], argv[5])
    elif mode == 'gc':
        collections(argv[1], argv[2], int(argv[3]), argv[4])
    elif mode == 'ratios':
        ratios(*argv[1:3])     # [DIR [METHODS]]
    elif mode == 'complete':   # [DIR [PARTS]]
        complete_ratio(argv[1] if len(argv) > 1 else None,
                       int(argv[2]) if len(argv) > 2 else 100)
    elif mode == 'compare':
        compare(argv[1], argv[2], int(argv[3]),
                int(argv[4]) if len(argv) > 4 else 60)
    else:
        raise SystemExit(__doc__)


if __name__ == '__main__':
    main(sys.argv[1:])
