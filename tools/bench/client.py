"""The benchmark client: raw HTTP with keep-alive, one thread pool for all targets.

A ``Target`` is one proxy seen through one API: the native Swift API with a
tempauth token, or S3 with SigV4 header signatures (``signer.py``). A ``Op``
names a request in API-neutral terms (bucket, key, query); the target turns it
into a path and headers. ``Client.run`` sends a list of ops with ``concurrency``
threads, each keeping one connection per target, and raises ``BenchError`` on
the first unexpected status: a benchmark never measures failures.
"""
from __future__ import annotations

import http.client
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Optional, Sequence, Union
from urllib.parse import quote

from tools.bench import signer

Body = Union[bytes, Iterable[bytes], None]
READ_SIZE = 1 << 20


class BenchError(Exception):
    """A request the benchmark depends on did not succeed."""


@dataclass
class Op:
    """One request. ``payload`` is the S3 payload mode: a sha256 hex,
    ``signer.UNSIGNED``, ``signer.STREAMING_SIGNED`` or
    ``signer.STREAMING_UNSIGNED_TRAILER`` (the body is then encoded)."""

    method: str
    bucket: Optional[str] = None
    key: Optional[str] = None
    params: Sequence[tuple[str, str]] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Body = None
    length: Optional[int] = None       # decoded length of an iterable body
    payload: Optional[str] = None
    chunk: int = 65536                 # aws-chunked chunk size
    expect: tuple[int, ...] = (200, 201, 202, 204)


@dataclass
class Target:
    """A proxy and the API and credentials used on it."""

    name: str
    api: str                            # 'native', 's3' or 'raw' (no auth)
    host: str
    port: int
    pids: Sequence[int]
    account: str = 'AUTH_test'
    access_key: str = ''
    secret: str = ''
    token: str = ''
    s3_acl: bool = False
    supports: set[str] = field(default_factory=set)
    prepared: set[str] = field(default_factory=set)

    @property
    def netloc(self) -> str:
        return f'{self.host}:{self.port}'

    def path(self, bucket: Optional[str], key: Optional[str]) -> str:
        parts = [self.account] if self.api == 'native' else []
        parts += [p for p in (bucket, key) if p is not None]
        prefix = '/v1/' if self.api == 'native' else '/'
        return prefix + quote('/'.join(parts), safe='/~')

    def raw(self) -> Target:
        """This proxy without auth and without /v1/account (``/auth/v1.0``)."""
        return Target(self.name, 'raw', self.host, self.port, self.pids)

    def prepare(self, op: Op) -> tuple[str, dict[str, str], Body]:
        """The request target (path and query), headers and body of ``op``."""
        path = self.path(op.bucket, op.key)
        query = '&'.join(f'{quote(k, safe="~")}={quote(v, safe="~")}' if v is not None
                         else quote(k, safe='~') for k, v in op.params)
        url = f'{path}?{query}' if query else path
        if self.api != 's3':
            headers = {'Host': self.netloc, **op.headers}
            if self.api == 'native':
                headers['X-Auth-Token'] = self.token
            return url, _with_length(headers, op), op.body
        return url, *self._sign(op, path)

    def _sign(self, op: Op, path: str) -> tuple[dict[str, str], Body]:
        params = [(k, v or '') for k, v in op.params]
        payload = op.payload or (signer.EMPTY_SHA256 if op.body is None else
                                 signer.UNSIGNED)
        headers = dict(op.headers)
        body = op.body
        if payload in (signer.STREAMING_SIGNED, signer.STREAMING_UNSIGNED_TRAILER):
            headers['content-encoding'] = 'aws-chunked'
            headers['x-amz-decoded-content-length'] = str(op.length)
            if payload == signer.STREAMING_SIGNED:
                headers['content-length'] = str(
                    signer.chunked_signed_length(op.length, op.chunk))
            else:
                headers['x-amz-trailer'] = 'x-amz-checksum-crc32'
                headers['content-length'] = str(
                    signer.chunked_unsigned_trailer_length(op.length, op.chunk))
        else:
            headers = _with_length(headers, op)
        signed = signer.sign(op.method, self.netloc, path, params, headers,
                             payload, self.access_key, self.secret)
        if payload == signer.STREAMING_SIGNED:
            body = signer.chunked_signed(op.body, signed, self.secret)
        elif payload == signer.STREAMING_UNSIGNED_TRAILER:
            body = signer.chunked_unsigned_trailer(op.body)
        return signed, body


def _with_length(headers: dict[str, str], op: Op) -> dict[str, str]:
    if isinstance(op.body, bytes):
        headers['Content-Length'] = str(len(op.body))
    elif op.body is not None:
        headers['Content-Length'] = str(op.length)
    elif op.method in ('PUT', 'POST'):
        headers['Content-Length'] = '0'
    return headers


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    size: int


class Client:
    """Sends ops; ``concurrency`` threads, one keep-alive connection each."""

    def __init__(self, concurrency: int, timeout: float = 600.0) -> None:
        self.concurrency = concurrency
        self.timeout = timeout
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix='bench')

    def close(self) -> None:
        self._pool.shutdown()

    def _conn(self, target: Target) -> http.client.HTTPConnection:
        conns = getattr(self._local, 'conns', None)
        if conns is None:
            conns = self._local.conns = {}
        conn = conns.get(target.netloc)
        if conn is None:
            conn = conns[target.netloc] = http.client.HTTPConnection(
                target.host, target.port, timeout=self.timeout)
        return conn

    def send(self, target: Target, op: Op, keep_body: bool = True) -> Reply:
        """One request on this thread's connection; raises BenchError unless
        the status is in ``op.expect``."""
        url, headers, body = target.prepare(op)
        conn = self._conn(target)
        # a server may close a keep-alive connection that sat idle (setup of
        # other targets): such a request never reached it, so send it again
        # on a new connection, once, if its body can be sent again
        retry = isinstance(body, bytes) or body is None
        if not retry:
            conn.close()    # a body sent once: on a fresh connection
        while True:
            try:
                conn.request(op.method, url, body=body, headers=headers)
                resp = conn.getresponse()
                data, size = _read(resp, keep_body or resp.status not in op.expect)
                break
            except (BrokenPipeError, ConnectionResetError,
                    http.client.RemoteDisconnected) as err:
                conn.close()
                if not retry:
                    raise BenchError(f'{target.name}: {op.method} {url}: {err!r}') from err
                retry = False
            except (OSError, http.client.HTTPException) as err:
                conn.close()
                raise BenchError(f'{target.name}: {op.method} {url}: {err!r}') from err
        if resp.status not in op.expect:
            raise BenchError(f'{target.name}: {op.method} {url}: {resp.status} '
                             f'{data[:300]!r}')
        return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()},
                     data, size)

    def run(self, target: Target, ops: Sequence[Op], keep_body: bool = False
            ) -> list[Reply]:
        """All ``ops`` on ``target``, ``concurrency`` at a time."""
        if len(ops) == 1 or self.concurrency == 1:
            return self.run_serial(target, ops, keep_body)
        futures = [self._pool.submit(self.send, target, op, keep_body) for op in ops]
        return [f.result() for f in futures]

    def run_serial(self, target: Target, ops: Sequence[Op], keep_body: bool = False
                   ) -> list[Reply]:
        """All ``ops`` on ``target``, one after the other, on this thread."""
        return [self.send(target, op, keep_body) for op in ops]


def _read(resp: http.client.HTTPResponse, keep: bool) -> tuple[bytes, int]:
    if keep:
        data = resp.read()
        return data, len(data)
    size = 0
    while True:
        chunk = resp.read(READ_SIZE)
        if not chunk:
            return b'', size
        size += len(chunk)
