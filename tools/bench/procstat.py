"""Proxy CPU time and memory, read from /proc.

CPU time comes from ``/proc/<pid>/schedstat`` (nanoseconds on the CPU, kept by
the scheduler) and falls back to ``utime + stime`` of ``/proc/<pid>/stat``
(clock ticks) where schedstat is missing. It is the proxy's own accounting, so
it does not depend on what else runs on the machine.
"""
from __future__ import annotations

import os
import socket
import threading
from typing import Iterable, Optional

_TICK_NS = 1_000_000_000 // os.sysconf('SC_CLK_TCK')


def cpu_ns(pid: int) -> int:
    """CPU time used so far by ``pid`` (all its threads), in nanoseconds."""
    try:
        with open(f'/proc/{pid}/schedstat') as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        with open(f'/proc/{pid}/stat') as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * _TICK_NS


def total_cpu_ns(pids: Iterable[int]) -> int:
    return sum(cpu_ns(pid) for pid in pids)


def rss_bytes(pid: int) -> int:
    """Resident set size of ``pid``."""
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) * 1024
    return 0


class RssSampler:
    """Samples a process's RSS in a thread; ``peak`` once stopped."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self.pid = pid
        self.interval = interval
        self.baseline = rss_bytes(pid)
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def __enter__(self) -> RssSampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.peak = max(self.peak, rss_bytes(self.pid))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, rss_bytes(self.pid))


def memcached_stats(port: int) -> dict[str, str]:
    """``stats`` of the memcached listening on 127.0.0.1:``port``."""
    with socket.create_connection(('127.0.0.1', port), timeout=5) as sock:
        sock.sendall(b'stats\r\n')
        data = b''
        while not data.endswith(b'END\r\n'):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return {line.split()[1]: line.split()[2] for line in data.decode().splitlines()
            if line.startswith('STAT ')}


def request_counts(memcache_port: int, data_dir: str) -> dict[str, int]:
    """Memcache gets/sets so far and lines in each storage server's log
    (one access log line per request)."""
    stats = memcached_stats(memcache_port)
    counts = {'memcache get': int(stats['cmd_get']), 'memcache set': int(stats['cmd_set'])}
    for server in ('account', 'container', 'object'):
        with open(os.path.join(data_dir, 'log', f'{server}.log'), 'rb') as f:
            counts[server] = sum(1 for _ in f)
    return counts
