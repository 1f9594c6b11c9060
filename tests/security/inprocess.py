"""The swift3 filter in process, in front of a small fake Swift.

For tests that must see what the filter sends to Swift (every subrequest's
WSGI environment) and for fuzzing, where a real cluster is too slow. The fake
does what tempauth does for S3 (``check_signature`` with the user's secret,
account segment replaced) and keeps containers and objects in memory; it is
no model of Swift beyond what the S3 handlers need.

    app = InProcess()
    status, headers, body = app.request('PUT', '/bucket', auth='v4')
    assert all('HTTP_X_USER_NAME' not in env for env in app.swift.seen)
"""
from __future__ import annotations

import hashlib
import json
import sys
import time
from io import BytesIO
from typing import Any, Callable, Iterable, Mapping, Optional
from urllib.parse import quote, unquote

from swift3compat import config
from swift3compat.middleware import Swift3Middleware
from tests.security.s3raw import Creds, RawS3, Response, chunk_body

USERS = {'test:tester': ('testing', 'AUTH_test'),
         'test2:tester2': ('testing2', 'AUTH_test2')}
HOST = 'localhost:8080'


class FakeSwift:
    """A WSGI app standing in for tempauth + the proxy server."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.containers: dict[str, dict[str, tuple[bytes, dict[str, str]]]] = {}

    def __call__(self, env: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        self.seen.append(dict(env))
        status, headers, body = self._handle(env)
        start_response(status, list(headers.items()))
        return [body]

    # -- tempauth ------------------------------------------------------------
    def _authenticate(self, env: dict[str, Any]) -> Optional[str]:
        if env.get('swift.authorize_override'):
            return None
        details = env.get('s3api.auth_details')
        if details is None:
            return '401 Unauthorized'
        user = USERS.get(details['access_key'])
        if user is None or not details['check_signature'](user[0]):
            return '401 Unauthorized'
        parts = env['PATH_INFO'].split('/')
        parts[2] = user[1]
        env['PATH_INFO'] = '/'.join(parts)
        env['REMOTE_USER'] = details['access_key']
        env['swift.authorize'] = lambda req: None
        return None

    # -- storage -------------------------------------------------------------
    def _handle(self, env: dict[str, Any]) -> tuple[str, dict[str, str], bytes]:
        failed = self._authenticate(env)
        if failed:
            return failed, {}, b''
        method = env['REQUEST_METHOD']
        _, _v1, account, *rest = env['PATH_INFO'].split('/', 4)
        container = rest[0] if rest else None
        obj = rest[1] if len(rest) > 1 else None
        body = _read_all(env)
        if container is None:
            names = sorted(c for c in self.containers if c.startswith(account + '/'))
            marker = dict(_qs(env)).get('marker', '')
            listing = [{'name': n.split('/', 1)[1], 'count': 0, 'bytes': 0,
                        'last_modified': '2020-01-01T00:00:00.000000'} for n in names
                       if n.split('/', 1)[1] > marker]
            return '200 OK', {'Content-Type': 'application/json'}, json.dumps(
                listing).encode()
        key = account + '/' + container
        if obj is None:
            return self._container(method, key, env)
        store = self.containers.get(key)
        if store is None:
            return '404 Not Found', {}, b''
        if method == 'PUT':
            headers = {k[5:].replace('_', '-').title(): v for k, v in env.items()
                       if k.startswith('HTTP_X_OBJECT_META_')}
            headers['Content-Type'] = env.get('CONTENT_TYPE', 'application/octet-stream')
            store[obj] = (body, headers)
            return '201 Created', {'Etag': hashlib.md5(body).hexdigest()}, b''
        if obj not in store:
            return '404 Not Found', {}, b''
        if method == 'DELETE':
            del store[obj]
            return '204 No Content', {}, b''
        data, headers = store[obj]
        headers = dict(headers, Etag=hashlib.md5(data).hexdigest(),
                       **{'Content-Length': str(len(data)),
                          'Last-Modified': 'Wed, 01 Jan 2020 00:00:00 GMT'})
        return '200 OK', headers, data if method == 'GET' else b''

    def _container(self, method: str, key: str, env: dict[str, Any]
                   ) -> tuple[str, dict[str, str], bytes]:
        exists = key in self.containers
        if method == 'PUT':
            self.containers.setdefault(key, {})
            return ('202 Accepted' if exists else '201 Created'), {}, b''
        if not exists:
            return '404 Not Found', {}, b''
        if method == 'DELETE':
            if self.containers[key]:
                return '409 Conflict', {}, b''
            del self.containers[key]
            return '204 No Content', {}, b''
        if method == 'HEAD':
            return '204 No Content', {}, b''
        q = dict(_qs(env))
        names = sorted(n for n in self.containers[key]
                       if n.startswith(q.get('prefix', '')) and n > q.get('marker', ''))
        listing = [{'name': n, 'bytes': len(self.containers[key][n][0]),
                    'hash': hashlib.md5(self.containers[key][n][0]).hexdigest(),
                    'last_modified': '2020-01-01T00:00:00.000000'}
                   for n in names[:int(q.get('limit', 10000))]]
        return '200 OK', {'Content-Type': 'application/json'}, json.dumps(listing).encode()


def _qs(env: dict[str, Any]) -> list[tuple[str, str]]:
    return [(unquote(k), unquote(v)) for k, _, v in
            (p.partition('=') for p in env.get('QUERY_STRING', '').split('&') if p)]


def _read_all(env: dict[str, Any]) -> bytes:
    stream = env.get('wsgi.input')
    if stream is None:
        return b''
    chunks = []
    while True:
        chunk = stream.read(65536)
        if not chunk:
            return b''.join(chunks)
        chunks.append(chunk)


class InProcess:
    """``Swift3Middleware`` over ``FakeSwift``, driven with signed requests."""

    def __init__(self, **options: str) -> None:
        self.swift = FakeSwift()
        self.conf = config.load({'storage_domain': 'localhost', **options})
        self.app = Swift3Middleware(self.swift, self.conf)
        self.clients = {user: RawS3('localhost', 8080, Creds(user, secret), host_header=HOST)
                        for user, (secret, _acct) in USERS.items()}

    def request(self, method: str, raw_path: str, params=(), headers=None,
                body: bytes = b'', *, user: str = 'test:tester', auth: str = 'v4',
                now: Optional[float] = None, add_after_signing: Optional[Mapping] = None,
                chunked: bool = False, send_body: Optional[bytes] = None,
                raw_query: Optional[str] = None, **sign: Any) -> Response:
        client = self.clients[user]
        q, hdrs, sig = client.sign(method, raw_path, params, headers, body, auth=auth,
                                   now=now, **sign)
        hdrs.update({k.lower(): v for k, v in (add_after_signing or {}).items()})
        query = raw_query if raw_query is not None else '&'.join(
            '%s=%s' % (quote(k, safe='~'), quote(v, safe='~')) for k, v in q)
        wire_body = body if send_body is None else send_body
        return self.call(method, raw_path, query, hdrs, wire_body, chunked=chunked,
                         signature=sig)

    def call(self, method: str, raw_path: str, query: str,
             headers: Mapping[str, str], body: bytes = b'', *, chunked: bool = False,
             signature: str = '') -> Response:
        """One request as a WSGI server would present it."""
        env = environ(method, raw_path, query, headers, body, chunked=chunked)
        captured: dict[str, Any] = {}

        def start_response(status: str, headers: list, exc_info=None) -> None:
            captured['status'] = int(status.split()[0])
            captured['headers'] = {k.lower(): v for k, v in headers}
        out = b''.join(self.app(env, start_response))
        return Response(captured['status'], captured['headers'], out, signature)


def environ(method: str, raw_path: str, query: str, headers: Mapping[str, str],
            body: bytes = b'', *, chunked: bool = False) -> dict[str, Any]:
    """The WSGI environment eventlet would build (PATH_INFO decoded, latin-1)."""
    env: dict[str, Any] = {
        'REQUEST_METHOD': method, 'SCRIPT_NAME': '',
        'PATH_INFO': unquote(raw_path, encoding='latin-1'),
        'RAW_PATH_INFO': raw_path, 'QUERY_STRING': query,
        'SERVER_NAME': 'localhost', 'SERVER_PORT': '8080',
        'SERVER_PROTOCOL': 'HTTP/1.1', 'REMOTE_ADDR': '127.0.0.1',
        'wsgi.version': (1, 0), 'wsgi.url_scheme': 'http', 'wsgi.errors': sys.stderr,
        'wsgi.multithread': False, 'wsgi.multiprocess': False, 'wsgi.run_once': False,
        'swift.trans_id': 'tx' + hashlib.md5(str(time.time()).encode()).hexdigest(),
    }
    for name, value in headers.items():
        key = name.upper().replace('-', '_')
        if key not in ('CONTENT_TYPE', 'CONTENT_LENGTH'):
            key = 'HTTP_' + key
        env[key] = value
    if chunked:
        env['HTTP_TRANSFER_ENCODING'] = 'chunked'
        env['wsgi.input'] = ChunkedInput(chunk_body(body))
    else:
        env['wsgi.input'] = BytesIO(body)
        if body or method in ('PUT', 'POST'):
            env.setdefault('CONTENT_LENGTH', str(len(body)))
    return env


class ChunkedInput:
    """What eventlet gives a WSGI app for a chunked body: the decoded bytes."""

    def __init__(self, encoded: bytes) -> None:
        self._data = _dechunk(encoded)

    def read(self, size: int = -1) -> bytes:
        return self._data.read(size)

    def readline(self, size: int = -1) -> bytes:
        return self._data.readline(size)


def _dechunk(encoded: bytes) -> BytesIO:
    out, pos = [], 0
    while True:
        line_end = encoded.index(b'\r\n', pos)
        size = int(encoded[pos:line_end], 16)
        if size == 0:
            return BytesIO(b''.join(out))
        out.append(encoded[line_end + 2:line_end + 2 + size])
        pos = line_end + 4 + size
