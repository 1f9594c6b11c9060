"""A Paste filter that profiles a whole proxy process with cProfile (CPU time).

Benchmark tooling, never for production. ``python -m tools.bench profile``
puts it first in a proxy's pipeline::

    [filter:bench_profile]
    paste.filter_factory = tools.bench.profiling:filter_factory

and drives it through two control requests (any method):

* ``/__bench_profile__/start``: start a new profile (the previous is dropped);
* ``/__bench_profile__/stop?path=FILE``: stop and write pstats to FILE.

Everything between start and stop is profiled: eventlet's hub, the WSGI server,
every filter and the proxy app, with ``time.process_time_ns`` as the clock so
that time spent waiting for backends does not count.
"""
from __future__ import annotations

import cProfile
import time
from typing import Any, Callable, Iterable, Optional
from urllib.parse import parse_qs

CONTROL = '/__bench_profile__/'


class ProfileMiddleware:
    def __init__(self, app: Callable) -> None:
        self.app = app
        self.profiler: Optional[cProfile.Profile] = None

    def __call__(self, env: dict, start_response: Callable) -> Iterable[bytes]:
        path = env.get('PATH_INFO', '')
        if not path.startswith(CONTROL):
            return self.app(env, start_response)
        action = path[len(CONTROL):]
        if action == 'start':
            self._stop()
            self.profiler = cProfile.Profile(time.process_time_ns, 1e-9)
            self.profiler.enable()
        elif action == 'stop':
            profiler = self._stop()
            target = parse_qs(env.get('QUERY_STRING', '')).get('path', [''])[0]
            if profiler is None or not target:
                start_response('409 Conflict', [('Content-Length', '0')])
                return [b'']
            profiler.dump_stats(target)
        else:
            start_response('404 Not Found', [('Content-Length', '0')])
            return [b'']
        start_response('204 No Content', [])
        return [b'']

    def _stop(self) -> Optional[cProfile.Profile]:
        profiler, self.profiler = self.profiler, None
        if profiler is not None:
            profiler.disable()
        return profiler


def filter_factory(global_conf: dict, **local_conf: Any) -> Callable:
    return ProfileMiddleware
