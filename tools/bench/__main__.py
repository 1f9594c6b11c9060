"""Command line: ``python -m tools.bench [run|profile|report] ...`` (run by default).

    python -m tools.bench --quick              # a minute or two
    python -m tools.bench                      # the full run (~20 minutes)
    python -m tools.bench --scenarios get_1k,list_1000 --targets native,swift3compat
    python -m tools.bench profile --targets swift3compat --count 2000
    python -m tools.bench count                # memcache/backend requests per request
    python -m tools.bench report bench-results/results.json   # re-render

Results go to ``--out`` (default ``bench-results/``): results.json, results.md,
results.png; ``profile`` writes ``profile-<target>-<scenario>.pstats`` there and
prints the top functions.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pstats
import signal
import subprocess
import sys
import time
from collections import Counter
from typing import Any, Optional, Sequence

from tools.bench import procstat, report
from tools.bench.client import Op
from tools.bench.runner import Bench
from tools.bench.scenarios import Sizes

DEFAULT_OUT = 'bench-results'
PROFILED = 'put_1k,get_1k,head_1k,delete_1k,list_1000,list_delimiter'


def _names(value: Optional[str]) -> Optional[list[str]]:
    return [v.strip() for v in value.split(',') if v.strip()] if value else None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog='python -m tools.bench',
                                description=__doc__.split('\n')[0])
    p.add_argument('command', nargs='?', default='run',
                   choices=('run', 'profile', 'count', 'report'))
    p.add_argument('file', nargs='?', help='results.json to re-render (report)')
    p.add_argument('--quick', action='store_true', help='small counts (1-2 minutes)')
    p.add_argument('--out', default=DEFAULT_OUT, help='output directory')
    p.add_argument('--scenarios', help='comma-separated scenario names (default: all)')
    p.add_argument('--targets', help='comma-separated proxies (default: all)')
    p.add_argument('--rounds', type=int, help='override the number of rounds')
    p.add_argument('--heavy-rounds', type=int,
                   help='override the rounds of big-object, multipart and bulk '
                   'scenarios (default: 3, or --rounds if fewer)')
    p.add_argument('--no-rss', action='store_true', help='skip the RSS upload')
    p.add_argument('--data-dir', help='cluster data dir (default: a temporary dir; '
                   'BENCH_TMPDIR chooses where)')
    p.add_argument('--count', type=int, default=1000,
                   help='profile: requests per profiled scenario')
    p.add_argument('--sampler', choices=('py-spy', 'cprofile'), default='py-spy',
                   help='profile: py-spy (sampling, needs `pip install py-spy`; '
                   'accurate) or cProfile in the proxy (exact calls, 5x overhead '
                   'that inflates small functions)')
    return p


def sizes_for(args: argparse.Namespace) -> Sizes:
    sizes = Sizes.quick() if args.quick else Sizes.full()
    if args.rounds:
        sizes = dataclasses.replace(sizes, rounds=args.rounds,
                                    heavy_rounds=min(sizes.heavy_rounds, args.rounds))
    if args.heavy_rounds:
        sizes = dataclasses.replace(sizes, heavy_rounds=args.heavy_rounds,
                                    rounds=max(sizes.rounds, args.heavy_rounds))
    return sizes


def run(args: argparse.Namespace) -> int:
    sizes = sizes_for(args)
    started = time.time()
    load_start = [round(x, 2) for x in os.getloadavg()]
    # The proxies import the tree as it is now: a commit made while the run
    # lasts (often an hour) must not be named as the one measured.
    measured = report.machine()
    with Bench(sizes, args.data_dir, _names(args.scenarios), _names(args.targets)) as bench:
        results = bench.run(rss=not args.no_rss)
        doc = {
            'mode': 'quick' if args.quick else 'full',
            'started': time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started)),
            'duration_s': time.time() - started,
            'machine': dict(measured, load_average_start=load_start,
                            load_average=[round(x, 2) for x in os.getloadavg()]),
            'sizes': dataclasses.asdict(sizes),
            'targets': [{'name': t.name, 'api': t.api, 's3_acl': t.s3_acl,
                         'supports': sorted(t.supports)} for t in bench.targets],
            'scenarios': [{'name': s.name, 'label': s.label, 'unit': s.unit,
                           'kind': s.kind, 'needs': s.needs, 'native': s.native_name}
                          for s in bench.scenarios],
            'results': results.to_json(),
        }
    write(doc, args.out)
    return 0


def write(doc: dict[str, Any], out: str) -> None:
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, 'results.json'), 'w') as f:
        json.dump(doc, f, indent=1)
    text = report.markdown(doc)
    with open(os.path.join(out, 'results.md'), 'w') as f:
        f.write(text)
    report.chart(doc, os.path.join(out, 'results.png'))
    print(text)
    print(f'written to {out}/results.json, results.md, results.png')


def profile(args: argparse.Namespace) -> int:
    """Profile each target's proxy process while it serves ``--count``
    requests of each scenario (one client thread)."""
    scenarios = _names(args.scenarios or PROFILED)
    targets = _names(args.targets or 'swift3compat')
    sizes = dataclasses.replace(sizes_for(args), small_requests=args.count,
                                list_requests=max(args.count // 20, 5), concurrency=1)
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    in_proxy = args.sampler == 'cprofile'
    with Bench(sizes, args.data_dir, scenarios, targets, profile=in_proxy) as bench:
        for scenario in bench.scenarios:
            for target in bench.targets:
                if scenario.applies(target):
                    scenario.setup(bench.client, target, sizes)
        for scenario in bench.scenarios:
            for target in bench.targets:
                if scenario.applies(target):
                    batch = scenario.batch(bench.client, target, sizes, 0)
                    stem = os.path.join(out, f'profile-{target.name}-{scenario.name}')
                    if in_proxy:
                        _cprofile(bench, target, batch, stem + '.pstats')
                    else:
                        _py_spy(bench, target, batch, stem + '.collapsed')
    return 0


def _cprofile(bench: Bench, target: Any, batch: Any, path: str) -> None:
    # the profile filter answers before any auth: no signature needed
    control = target.raw()
    bench.client.send(control, Op('GET', '__bench_profile__', 'start', expect=(204,)))
    bench.client.run_serial(target, batch.ops, batch.keep_body)
    bench.client.send(control, Op('GET', '__bench_profile__', 'stop',
                                  params=[('path', path)], expect=(204,)))
    stats = pstats.Stats(path)
    print(f'\n=== {target.name}: {stats.total_tt / batch.count * 1e6:.0f} µs CPU per '
          f'request under cProfile ({batch.count} requests); {path}')
    stats.sort_stats('tottime').print_stats(25)
    stats.sort_stats('cumulative').print_stats('swift3compat', 30)


def _py_spy(bench: Bench, target: Any, batch: Any, path: str) -> None:
    spy = subprocess.Popen(['py-spy', 'record', '--pid', str(target.pids[0]),
                            '--rate', '1000', '--format', 'raw', '--nonblocking',
                            '--output', path], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    time.sleep(1.0)   # attached
    bench.client.run_serial(target, batch.ops, batch.keep_body)
    spy.send_signal(signal.SIGINT)
    spy.wait(60)
    print(f'\n=== {target.name}, {batch.count} requests: {path}')
    print(collapsed_summary(path))


# where a sample's CPU goes: the innermost frame of one of these, else "other"
LAYERS = (('swift3compat/', 'swift3compat'), ('swift/common/middleware/', None),
          ('swift/proxy/', 'swift proxy app'), ('swift/', 'swift common'),
          ('eventlet/', 'eventlet'), ('paste/', 'paste'))
# py-spy --nonblocking cannot always tell waiting from running: a sample whose
# innermost frame is the hub's poll is the proxy waiting for sockets
IDLE = 'Hub.do_poll ('


def _layer(frames: Sequence[str]) -> str:
    for frame in reversed(frames):
        for marker, name in LAYERS:
            if marker in frame:
                if name is None:   # one line per Swift middleware
                    module = frame.split(marker, 1)[1].split(':', 1)[0]
                    return 'swift middleware ' + module.split('/')[0].removesuffix('.py')
                return name
    return 'other (stdlib, wsgi server loop)'


def collapsed_summary(path: str, top: int = 25) -> str:
    """Per layer and per innermost function, the share of CPU samples."""
    layers: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    with open(path) as f:
        for line in f:
            stack, _, count = line.rstrip('\n').rpartition(' ')
            frames = stack.split(';')[2:]      # drop process and thread
            if not frames or frames[-1].startswith(IDLE):
                continue
            layers[_layer(frames)] += int(count)
            functions[frames[-1]] += int(count)
    total = sum(layers.values()) or 1
    lines = [f'{total} samples', 'by layer (innermost project frame):']
    lines += [f'  {100 * n / total:5.1f}%  {name}' for name, n in layers.most_common()]
    lines.append('by function (self):')
    lines += [f'  {100 * n / total:5.1f}%  {name}' for name, n in functions.most_common(top)]
    return '\n'.join(lines)


def count(args: argparse.Namespace) -> int:
    """Memcache commands and storage-server requests per request: exact
    counts, unlike CPU time, so they show an extra lookup at once."""
    scenarios = _names(args.scenarios or PROFILED)
    sizes = dataclasses.replace(sizes_for(args), small_requests=100,
                                list_requests=10, concurrency=1)
    with Bench(sizes, args.data_dir, scenarios, _names(args.targets)) as bench:
        for scenario in bench.scenarios:
            for target in bench.targets:
                if scenario.applies(target):
                    scenario.setup(bench.client, target, sizes)
        port = int(bench.cluster.memcache_servers.rsplit(':', 1)[1])
        print('| scenario | target | memcache get | memcache set | account | container '
              '| object |\n|---|---|---:|---:|---:|---:|---:|')
        for scenario in bench.scenarios:
            for target in bench.targets:
                if scenario.applies(target):
                    batch = scenario.batch(bench.client, target, sizes, 0)
                    before = procstat.request_counts(port, bench.data_dir)
                    bench.client.run_serial(target, batch.ops, batch.keep_body)
                    time.sleep(0.5)     # storage servers write their log lines
                    after = procstat.request_counts(port, bench.data_dir)
                    print(f'| {scenario.name} | {target.name} | ' + ' | '.join(
                        f'{(after[k] - before[k]) / batch.count:.2f}' for k in after) + ' |')
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parser().parse_args(argv)
    # stop the cluster and remove its data dir when killed, too
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    if args.command == 'report':
        if not args.file:
            parser().error('report needs a results.json file')
        with open(args.file) as f:
            write(json.load(f), args.out if args.out != DEFAULT_OUT
                  else os.path.dirname(os.path.abspath(args.file)))
        return 0
    commands = {'profile': profile, 'count': count, 'run': run}
    return commands[args.command](args)


if __name__ == '__main__':
    sys.exit(main())
