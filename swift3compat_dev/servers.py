"""Run servers as supervised child processes: free ports, readiness, process groups.

Tooling for ``swift3compat_dev.cluster`` (tests, the all-in-one, benchmarks); nothing an
operator enables. A ``ServerProcess`` starts its command in a new session with its
output appended to a log file, waits until a probe says the server answers, and
stops it by SIGTERM and then SIGKILL to the whole process group. Children get
SIGTERM when the thread that started them dies (``PR_SET_PDEATHSIG`` on Linux), so
a killed test run leaves no server behind.
"""
from __future__ import annotations

import ctypes
import http.client
import logging
import os
import random
import signal
import socket
import subprocess  # starts the project's own servers with fixed argv  # nosec B404
import time
from typing import Callable, Collection, Optional

LOG = logging.getLogger(__name__)

LOOPBACK = '127.0.0.1'
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
_PR_SET_PDEATHSIG = 1


class ClusterError(Exception):
    """A server or the cluster cannot be built, started or stopped as asked."""


def connect_host(host: str) -> str:
    """Where to connect to reach a server bound to ``host``."""
    # compares a host name, binds nothing (bandit B104)
    return LOOPBACK if host in ('', '0.0.0.0', '::') else host  # nosec B104


def http_answers(host: str, port: int) -> bool:
    """True when something at host:port answers ``GET /healthcheck`` (any status)."""
    conn = http.client.HTTPConnection(connect_host(host), port, timeout=2)
    try:
        conn.request('GET', '/healthcheck')
        conn.getresponse().read()
        return True
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def memcached_answers(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=2) as sock:
            sock.sendall(b'version\r\n')
            return sock.recv(64).startswith(b'VERSION')
    except OSError:
        return False


def _ephemeral_port_low() -> int:
    try:
        with open('/proc/sys/net/ipv4/ip_local_port_range') as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port(exclude: Collection[int] = (), host: str = LOOPBACK) -> int:
    """A port nothing is bound to, not in ``exclude``, below the ephemeral range.

    Staying below that range means an outgoing connection never takes the port of a
    server that a test stopped and is about to restart.
    """
    high = max(_ephemeral_port_low() - 1, 20000)
    for _ in range(200):
        port = random.randint(10000, high)  # port choice, not a secret  # nosec B311
        if port in exclude:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    raise ClusterError(f'no free port found on {host}')


def ensure_port_free(host: str, port: int, user: str) -> None:
    """Raise ClusterError if ``user`` could not bind host:port (someone listens)."""
    with socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as err:
            raise ClusterError(f'{user} cannot listen on {host}:{port}: '
                               f'{err.strerror}') from err


def _load_prctl() -> Optional[Callable[..., int]]:
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()


def _die_with_parent() -> None:
    """preexec_fn: the child gets SIGTERM when the thread that forked it dies."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


def log_tail(path: str, size: int = 4000) -> str:
    """The last ``size`` bytes of a log file as text ('' if unreadable)."""
    try:
        with open(path, 'rb') as f:
            f.seek(max(0, os.path.getsize(path) - size))
            return f.read().decode('utf-8', 'replace')
    except OSError:
        return ''


class ServerProcess:
    """One server as a child process in its own session, logging to a file."""

    def __init__(self, name: str, argv: list[str], log_path: str, port: int,
                 probe: Callable[[], bool], host: str = LOOPBACK) -> None:
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.host = host
        self.port = port
        self.probe = probe
        self._proc: Optional[subprocess.Popen] = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> Optional[int]:
        """PID of the server's main process (Swift's master when workers > 0)."""
        return self._proc.pid if self._proc is not None else None

    def pids(self) -> list[int]:
        """The main process and all its descendants (Swift's workers)."""
        return [] if self.pid is None else [self.pid] + _descendants(self.pid)

    def start(self) -> None:
        if self.running:
            raise ClusterError(f'{self.name} is already running')
        ensure_port_free(self.host, self.port, self.name)
        with open(self.log_path, 'ab') as log:
            self._proc = subprocess.Popen(  # fixed argv, no shell  # nosec B603
                self.argv, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=_die_with_parent)

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not self.probe():
            if self._proc is None or self._proc.poll() is not None:
                code = None if self._proc is None else self._proc.returncode
                raise ClusterError(f'{self.name} exited ({code}) while starting; '
                                   f'end of {self.log_path}:\n{log_tail(self.log_path)}')
            if time.monotonic() > deadline:
                raise ClusterError(f'{self.name} did not answer within {timeout}s; '
                                   f'end of {self.log_path}:\n{log_tail(self.log_path)}')
            time.sleep(0.05)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM the process group, SIGKILL it after ``timeout``, reap the child."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        _killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            LOG.warning('%s ignored SIGTERM for %ss; killing it', self.name, timeout)
        _killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _killpg(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _descendants(pid: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat') as f:
                ppid = int(f.read().rsplit(')', 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found.extend(children)
        todo.extend(children)
    return found
