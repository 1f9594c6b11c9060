"""Unit tests of the s3token filter against a fake Keystone on 127.0.0.1.

The fake Keystone is a real HTTP server (so connection errors, timeouts and the
keystoneauth1 service-token flow are exercised for real) that implements the
parts of the Identity API s3token uses: ``POST /v3/auth/tokens`` (service user
login), ``POST /v3/s3tokens`` (SigV2 and SigV4 signature checks, as Keystone
does them) and ``GET /v3/users/{id}/credentials/OS-EC2/{access}``.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

import pytest
from keystonemiddleware import auth_token
from swift.common.middleware import keystoneauth
from swift.common.swob import Request, Response
from swift.common.utils import split_path

from swift3compat.s3token import middleware as s3token
from swift3compat.s3token import options as s3token_options
from swift3compat.s3token.middleware import S3Token, rewrite_account
from swift3compat.s3token.options import S3TokenConfigError

SERVICE_TOKEN = 'service-token-0123'
MEMCACHE_KEY = 'unit-test memcache secret key'


# -- a fake Keystone -----------------------------------------------------------

class Credential:
    def __init__(self, access: str, secret: str, user: str, project: str,
                 roles: tuple[str, ...] = ('member',)) -> None:
        self.access, self.secret = access, secret
        self.user, self.project, self.roles = user, project, roles


ALICE = Credential('AKIDALICE', 'alice-secret-0123456789abcdefghij', 'alice', 'proj-a')
BOB = Credential('AKIDBOB', 'bob-secret-0123456789abcdefghijkl', 'bob', 'proj-b')


def keystone_signature(secret: str, string_to_sign: bytes) -> str:
    """The signature Keystone expects (keystone/api/_shared/EC2_S3_Resource)."""
    if not string_to_sign.startswith(b'AWS4'):
        digest = hmac.new(secret.encode(), string_to_sign, hashlib.sha1).digest()
        return base64.b64encode(digest).decode()
    lines = string_to_sign.split(b'\n')
    date, region, service, _ = lines[2].split(b'/')
    key = ('AWS4' + secret).encode()
    for part in (date, region, service, b'aws4_request'):
        key = hmac.new(key, part, hashlib.sha256).digest()
    return hmac.new(key, string_to_sign, hashlib.sha256).hexdigest()


class FakeKeystone:
    """Serves the Identity API subset on 127.0.0.1; knobs change its behaviour."""

    def __init__(self) -> None:
        self.credentials = {c.access: c for c in (ALICE, BOB)}
        self.calls: list[tuple[str, str]] = []
        self.delay = 0.0
        self.s3tokens_status: int | None = None   # force an answer
        self.s3tokens_body: Any = None
        self.ec2_status: int | None = None
        self.ec2_list_status = 404      # listing a made-up user's credentials
        self.login_status = 201
        self.s3tokens_seen: list[dict] = []
        self.server = ThreadingHTTPServer(('127.0.0.1', 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f'http://127.0.0.1:{self.port}/v3'

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def count(self, kind: str) -> int:
        return sum(1 for k, _ in self.calls if k == kind)

    def token_body(self, cred: Credential) -> dict:
        return {'token': {
            'methods': ['ec2credential'],
            'user': {'id': cred.user, 'name': cred.user + '-name',
                     'domain': {'id': 'default', 'name': 'Default'}},
            'project': {'id': cred.project, 'name': cred.project + '-name',
                        'domain': {'id': 'default', 'name': 'Default'}},
            'roles': [{'id': 'r-' + r, 'name': r} for r in cred.roles],
            'catalog': [{'type': 'object-store', 'endpoints': []}],
            'expires_at': '2099-01-01T00:00:00.000000Z',
            'issued_at': '2026-01-01T00:00:00.000000Z'}}

    def _handler(self) -> type:
        keystone = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: Any, headers: dict | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass   # the client gave up (timeout tests)

            def _error(self, status: int, message: str) -> None:
                self._reply(status, {'error': {'code': status, 'message': message,
                                               'title': 'Error'}})

            def _body(self) -> Any:
                length = int(self.headers.get('Content-Length') or 0)
                return json.loads(self.rfile.read(length) or b'null')

            def do_GET(self) -> None:
                time.sleep(keystone.delay)
                if self.path.rstrip('/') == '/v3':
                    keystone.calls.append(('discovery', self.path))
                    return self._reply(200, {'version': {
                        'id': 'v3.14', 'status': 'stable',
                        'links': [{'rel': 'self', 'href': keystone.url + '/'}]}})
                if re.match(r'^/v3/users/[^/]+/credentials/OS-EC2$', self.path):
                    keystone.calls.append(('ec2-list', self.path))
                    return self._error(keystone.ec2_list_status, 'forced')
                match = re.match(r'^/v3/users/([^/]+)/credentials/OS-EC2/([^/]+)$',
                                 self.path)
                if not match:
                    return self._error(404, 'not found')
                keystone.calls.append(('ec2', self.path))
                if self.headers.get('X-Auth-Token') != SERVICE_TOKEN:
                    return self._error(401, 'auth required')
                if keystone.ec2_status:
                    return self._error(keystone.ec2_status, 'forced')
                user, access = (urllib.parse.unquote(g) for g in match.groups())
                cred = keystone.credentials.get(access)
                if cred is None or cred.user != user:
                    return self._error(404, 'Could not find credential')
                self._reply(200, {'credential': {'access': access, 'secret': cred.secret,
                                                 'user_id': user,
                                                 'tenant_id': cred.project}})

            def do_POST(self) -> None:
                time.sleep(keystone.delay)
                body = self._body()
                if self.path == '/v3/auth/tokens':
                    keystone.calls.append(('login', self.path))
                    if keystone.login_status != 201:
                        return self._error(keystone.login_status, 'bad service login')
                    return self._reply(201, {'token': {
                        'methods': ['password'], 'expires_at': '2099-01-01T00:00:00Z',
                        'user': {'id': 'svc', 'name': 'swift',
                                 'domain': {'id': 'default', 'name': 'Default'}},
                        'project': {'id': 'service', 'name': 'service',
                                    'domain': {'id': 'default', 'name': 'Default'}},
                        'roles': [{'id': 'rs', 'name': 'service'}]}},
                        {'X-Subject-Token': SERVICE_TOKEN})
                if self.path != '/v3/s3tokens':
                    return self._error(404, 'not found')
                keystone.calls.append(('s3tokens', self.path))
                keystone.s3tokens_seen.append(
                    {'headers': dict(self.headers), 'body': body})
                if keystone.s3tokens_status:
                    return self._reply(keystone.s3tokens_status, keystone.s3tokens_body)
                if self.headers.get('X-Auth-Token') != SERVICE_TOKEN:
                    return self._error(401, 'The request you have made requires '
                                            'authentication.')
                creds = body['credentials']
                cred = keystone.credentials.get(creds['access'])
                if cred is None:
                    return self._error(404, 'EC2 access key not found.')
                sts = base64.urlsafe_b64decode(creds['token'])
                expected = keystone_signature(cred.secret, sts)
                if not hmac.compare_digest(expected, creds['signature']):
                    return self._error(401, 'Credential signature mismatch')
                self._reply(200, keystone.token_body(cred))

        return Handler


@pytest.fixture
def keystone() -> Iterator[FakeKeystone]:
    server = FakeKeystone()
    yield server
    server.close()


# -- the pieces around the filter -----------------------------------------------

class FakeMemcache:
    """Swift's MemcacheRing contract: values JSON-serialized; TTL recorded."""

    def __init__(self) -> None:
        self.raw: dict[str, bytes] = {}
        self.ttl: dict[str, int] = {}

    def get(self, key: str) -> Any:
        raw = self.raw.get(key)
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value: Any, time: int = 0) -> None:
        self.raw[key] = json.dumps(value).encode()
        self.ttl[key] = time

    def delete(self, key: str) -> None:
        self.raw.pop(key, None)


class DownstreamApp:
    """Records what reaches it; answers 200."""

    def __init__(self) -> None:
        self.environs: list[dict] = []

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        self.environs.append(dict(environ))
        return Response(status=200, body=b'ok')(environ, start_response)

    @property
    def last(self) -> dict:
        return self.environs[-1]


class Signer:
    """What swift3 publishes for a request signed with ``secret`` (SigV2)."""

    def __init__(self, access: str, secret: str,
                 string_to_sign: bytes = b'GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/b/o'
                 ) -> None:
        self.access, self.string_to_sign = access, string_to_sign
        self.signature = keystone_signature(secret, string_to_sign)
        self.checked: list[str] = []

    def check_signature(self, secret: str) -> bool:
        self.checked.append(secret)
        return hmac.compare_digest(keystone_signature(secret, self.string_to_sign),
                                   self.signature)

    def details(self) -> dict:
        return {'access_key': self.access, 'signature': self.signature,
                'string_to_sign': self.string_to_sign,
                'check_signature': self.check_signature}


def sigv4_signer(access: str, secret: str) -> Signer:
    canonical_hash = hashlib.sha256(b'GET\n/b/o\n\nhost:x\n\nhost\nUNSIGNED').hexdigest()
    sts = ('AWS4-HMAC-SHA256\n20260101T000000Z\n20260101/us-east-1/s3/aws4_request\n'
           + canonical_hash).encode()
    return Signer(access, secret, sts)


class LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def log() -> Iterator[LogCapture]:
    capture = LogCapture()
    logger = logging.getLogger('test-s3token')
    logger.setLevel(logging.DEBUG)
    logger.addHandler(capture)
    # keystoneauth1 logs requests at DEBUG: make sure s3token keeps them quiet
    ksa = logging.getLogger('keystoneauth')
    old_level = ksa.level
    ksa.setLevel(logging.DEBUG)
    ksa.addHandler(capture)
    yield capture
    logger.removeHandler(capture)
    ksa.removeHandler(capture)
    ksa.setLevel(old_level)


def base_conf(keystone: FakeKeystone, **overrides: str) -> dict[str, str]:
    conf = {'auth_uri': keystone.url, 'auth_type': 'password',
            'auth_url': keystone.url, 'username': 'swift', 'password': 'swiftpass',
            'user_domain_id': 'default', 'project_name': 'service',
            'project_domain_id': 'default', 'memcache_secret_key': MEMCACHE_KEY,
            'http_timeout': '2'}
    conf.update(overrides)
    return conf


def make_filter(keystone: FakeKeystone, app: Any = None, **overrides: str) -> S3Token:
    return S3Token(app or DownstreamApp(), base_conf(keystone, **overrides),
                   logger=logging.getLogger('test-s3token'))


def s3_request(signer: Signer | None, path: str = '/v1/AKIDALICE/bucket/obj',
               memcache: FakeMemcache | None = None, headers: dict | None = None,
               method: str = 'GET', **environ: Any) -> Request:
    env = dict(environ)
    if signer is not None:
        env['swift3.auth_details'] = signer.details()
    if memcache is not None:
        env['swift.cache'] = memcache
    env.setdefault('swift.trans_id', 'tx-unit-test')
    req = Request.blank('/', environ=env, headers=headers or {}, method=method)
    req.environ['PATH_INFO'] = path   # a WSGI string, as swift3 sets it
    return req


def s3_code(resp: Any) -> str:
    match = re.search(rb'<Code>([^<]+)</Code>', resp.body)
    return match.group(1).decode() if match else ''


# -- configuration ----------------------------------------------------------------

@pytest.mark.parametrize('option,value', [
    ('insecure', 'flase'), ('insecure', 'maybe'), ('delay_auth_decision', 'yes please'),
    ('http_timeout', '0'), ('http_timeout', '-1'), ('http_timeout', '61'),
    ('http_timeout', 'ten'), ('secret_cache_duration', '-1'),
    ('secret_cache_duration', '3601'), ('secret_cache_duration', '1.5'),
    ('negative_cache_duration', '301'), ('memcache_secret_key', 'tooshort'),
    ('auth_uri', 'ftp://keystone/v3'), ('auth_uri', 'http:///v3'),
    ('auth_uri', 'http://user:pw@keystone/v3'), ('auth_uri', 'http://keystone/v3?x=1'),
    ('auth_uri', 'http://keystone/v3#frag'), ('cafile', '/nonexistent/ca.pem'),
    ('certfile', '/nonexistent/cert.pem'), ('auth_type', 'no-such-plugin'),
    ('auth_url', ''),
])
def test_bad_option_stops_the_proxy(keystone: FakeKeystone, option: str,
                                    value: str) -> None:
    with pytest.raises(S3TokenConfigError) as err:
        make_filter(keystone, **{option: value})
    assert option in str(err.value)


def test_auth_uri_is_required(keystone: FakeKeystone) -> None:
    conf = base_conf(keystone)
    del conf['auth_uri']
    with pytest.raises(S3TokenConfigError, match='auth_uri is required'):
        S3Token(DownstreamApp(), conf)


def test_missing_secret_key_is_named_not_echoed(keystone: FakeKeystone) -> None:
    with pytest.raises(S3TokenConfigError) as err:
        make_filter(keystone, memcache_secret_key='')
    assert 'memcache_secret_key' in str(err.value)
    with pytest.raises(S3TokenConfigError) as err:
        make_filter(keystone, memcache_secret_key='short-secret')
    assert 'short-secret' not in str(err.value)


def test_caches_off_need_no_secret_key(keystone: FakeKeystone) -> None:
    make_filter(keystone, memcache_secret_key='', secret_cache_duration='0',
                negative_cache_duration='0')


def test_keyfile_needs_certfile(keystone: FakeKeystone, tmp_path: Any) -> None:
    key = tmp_path / 'key.pem'
    key.write_text('x')
    with pytest.raises(S3TokenConfigError, match='keyfile needs certfile'):
        make_filter(keystone, keyfile=str(key))


@pytest.mark.parametrize('value', ['false', 'False', 'FALSE', '0', 'no', 'off', '', ' '])
def test_false_strings_keep_tls_verification(keystone: FakeKeystone, value: str) -> None:
    assert make_filter(keystone, insecure=value)._session.verify is True


@pytest.mark.parametrize('value', ['true', 'True', '1', 'yes', 'on'])
def test_insecure_true(keystone: FakeKeystone, value: str) -> None:
    assert make_filter(keystone, insecure=value)._session.verify is False


def test_tls_files(keystone: FakeKeystone, tmp_path: Any) -> None:
    for name in ('ca.pem', 'cert.pem', 'key.pem'):
        (tmp_path / name).write_text('x')
    s3t = make_filter(keystone, cafile=str(tmp_path / 'ca.pem'),
                      certfile=str(tmp_path / 'cert.pem'), keyfile=str(tmp_path / 'key.pem'))
    assert s3t._session.verify == str(tmp_path / 'ca.pem')
    assert s3t._session.cert == (str(tmp_path / 'cert.pem'), str(tmp_path / 'key.pem'))


def test_http_timeout_reaches_the_session(keystone: FakeKeystone) -> None:
    assert make_filter(keystone, http_timeout='7.5')._session.timeout == 7.5


def test_every_option_is_declared_once_with_doc() -> None:
    names = [opt.name for opt in s3token_options.OPTS]
    assert len(names) == len(set(names))
    assert all(opt.help for opt in s3token_options.OPTS)


def test_filter_factory(keystone: FakeKeystone) -> None:
    factory = s3token.filter_factory({'auth_uri': 'http://ignored:5000/v3'},
                                     **base_conf(keystone))
    app = DownstreamApp()
    s3t = factory(app)
    assert isinstance(s3t, S3Token) and s3t.app is app
    assert s3t._s3tokens_url == keystone.url + '/s3tokens'


# -- the cold path ----------------------------------------------------------------

def test_cold_request_asks_keystone_with_a_service_token(keystone: FakeKeystone) -> None:
    app, memcache, signer = DownstreamApp(), FakeMemcache(), Signer(ALICE.access, ALICE.secret)
    resp = s3_request(signer, memcache=memcache).get_response(make_filter(keystone, app))
    assert resp.status_int == 200
    [seen] = keystone.s3tokens_seen
    assert seen['headers']['X-Auth-Token'] == SERVICE_TOKEN
    assert seen['body'] == {'credentials': {
        'access': ALICE.access, 'signature': signer.signature,
        'token': base64.urlsafe_b64encode(signer.string_to_sign).decode()}}
    env = app.last
    assert env['PATH_INFO'] == '/v1/AUTH_proj-a/bucket/obj'
    assert env['HTTP_X_IDENTITY_STATUS'] == 'Confirmed'
    assert env['HTTP_X_PROJECT_ID'] == env['HTTP_X_TENANT_ID'] == 'proj-a'
    assert env['HTTP_X_PROJECT_NAME'] == 'proj-a-name'
    assert env['HTTP_X_USER_ID'] == 'alice'
    assert env['HTTP_X_USER_NAME'] == 'alice-name'
    assert env['HTTP_X_ROLES'] == 'member'
    assert env['HTTP_X_USER_DOMAIN_ID'] == env['HTTP_X_PROJECT_DOMAIN_ID'] == 'default'
    token = env['keystone.token_info']
    assert token['token']['project']['id'] == 'proj-a'
    assert 'catalog' not in token['token']
    # the secret was fetched, handed to swift3 and cached
    assert keystone.count('ec2') == 1
    assert signer.checked == [ALICE.secret]
    assert len(memcache.raw) == 1


def test_sigv4_signatures(keystone: FakeKeystone) -> None:
    app, memcache = DownstreamApp(), FakeMemcache()
    s3t = make_filter(keystone, app)
    signer = sigv4_signer(ALICE.access, ALICE.secret)
    assert s3_request(signer, memcache=memcache).get_response(s3t).status_int == 200
    signer = sigv4_signer(ALICE.access, ALICE.secret)
    assert s3_request(signer, memcache=memcache).get_response(s3t).status_int == 200
    assert keystone.count('s3tokens') == 1
    assert signer.checked == [ALICE.secret]
    bad = sigv4_signer(BOB.access, 'not-bobs-secret')
    resp = s3_request(bad, '/v1/AKIDBOB/b', memcache=memcache).get_response(s3t)
    assert s3_code(resp) == 'SignatureDoesNotMatch'


def test_s3api_auth_details_key_is_accepted(keystone: FakeKeystone) -> None:
    app, signer = DownstreamApp(), Signer(ALICE.access, ALICE.secret)
    req = Request.blank('/v1/AKIDALICE/b', environ={
        's3api.auth_details': signer.details(), 'swift.cache': FakeMemcache()})
    assert req.get_response(make_filter(keystone, app)).status_int == 200
    assert app.last['PATH_INFO'] == '/v1/AUTH_proj-a/b'


def test_string_to_sign_as_str(keystone: FakeKeystone) -> None:
    signer = Signer(ALICE.access, ALICE.secret)
    details = dict(signer.details(), string_to_sign=signer.string_to_sign.decode())
    req = Request.blank('/v1/AKIDALICE/b', environ={'swift3.auth_details': details})
    assert req.get_response(make_filter(keystone)).status_int == 200


@pytest.mark.parametrize('prefix,account', [('AUTH', 'AUTH_proj-a'), ('AUTH_', 'AUTH_proj-a'),
                                            ('KEY', 'KEY_proj-a'), ("''", 'proj-a'),
                                            ('', 'AUTH_proj-a')])
def test_reseller_prefix(keystone: FakeKeystone, prefix: str, account: str) -> None:
    app = DownstreamApp()
    s3t = make_filter(keystone, app, reseller_prefix=prefix)
    s3_request(Signer(ALICE.access, ALICE.secret), '/v1/AKIDALICE').get_response(s3t)
    assert app.last['PATH_INFO'] == '/v1/' + account


# -- the warm path -----------------------------------------------------------------

def test_warm_request_costs_no_keystone_call(keystone: FakeKeystone) -> None:
    app, memcache = DownstreamApp(), FakeMemcache()
    s3t = make_filter(keystone, app)
    s3_request(Signer(ALICE.access, ALICE.secret), memcache=memcache).get_response(s3t)
    calls = list(keystone.calls)
    keystone.delay = 30   # a Keystone call now would time out
    signer = Signer(ALICE.access, ALICE.secret, b'PUT\n\n\nnow\n/bucket/other')
    resp = s3_request(signer, '/v1/AKIDALICE/bucket/other', memcache=memcache,
                      method='PUT').get_response(s3t)
    assert resp.status_int == 200
    assert keystone.calls == calls
    assert signer.checked == [ALICE.secret]
    assert app.last['PATH_INFO'] == '/v1/AUTH_proj-a/bucket/other'
    assert app.last['HTTP_X_ROLES'] == 'member'
    assert app.last['keystone.token_info']['token']['user']['id'] == 'alice'


def test_wrong_secret_is_refused_locally_when_cached(keystone: FakeKeystone) -> None:
    memcache = FakeMemcache()
    s3t = make_filter(keystone)
    s3_request(Signer(ALICE.access, ALICE.secret), memcache=memcache).get_response(s3t)
    calls = len(keystone.calls)
    for _ in range(50):
        resp = s3_request(Signer(ALICE.access, 'guess'), memcache=memcache).get_response(s3t)
        assert resp.status_int == 403
        assert s3_code(resp) == 'SignatureDoesNotMatch'
    assert len(keystone.calls) == calls


def test_cache_ttl_is_secret_cache_duration(keystone: FakeKeystone) -> None:
    memcache = FakeMemcache()
    s3t = make_filter(keystone, secret_cache_duration='42')
    s3_request(Signer(ALICE.access, ALICE.secret), memcache=memcache).get_response(s3t)
    assert list(memcache.ttl.values()) == [42]


def test_cached_value_is_encrypted(keystone: FakeKeystone) -> None:
    memcache = FakeMemcache()
    s3t = make_filter(keystone)
    s3_request(Signer(ALICE.access, ALICE.secret), memcache=memcache).get_response(s3t)
    [(name, raw)] = memcache.raw.items()
    for clear in (ALICE.secret, ALICE.access, 'alice-name', 'proj-a', 'member'):
        assert clear.encode() not in raw
        assert clear not in name


def test_cache_written_with_another_key_is_ignored(keystone: FakeKeystone) -> None:
    memcache = FakeMemcache()
    s3_request(Signer(ALICE.access, ALICE.secret), memcache=memcache).get_response(
        make_filter(keystone, memcache_secret_key='the first proxy key'))
    other = make_filter(keystone, memcache_secret_key='a different proxy key')
    # a forged entry under the other proxy's name for ALICE is a miss, not a crash
    name = other._cache.memcache_key('secret', ALICE.access)
    memcache.set(name, next(iter(memcache.get(k) for k in list(memcache.raw))))
    before = keystone.count('s3tokens')
    assert s3_request(Signer(ALICE.access, ALICE.secret),
                      memcache=memcache).get_response(other).status_int == 200
    assert keystone.count('s3tokens') == before + 1


def test_cache_disabled_asks_keystone_every_time(keystone: FakeKeystone) -> None:
    memcache = FakeMemcache()
    s3t = make_filter(keystone, secret_cache_duration='0')
    for _ in range(3):
        signer = Signer(ALICE.access, ALICE.secret)
        assert s3_request(signer, memcache=memcache).get_response(s3t).status_int == 200
        assert signer.checked == []
    assert keystone.count('s3tokens') == 3
    assert keystone.count('ec2') == 0
    assert memcache.raw == {}


def test_without_memcache_it_still_works(keystone: FakeKeystone, log: LogCapture) -> None:
    s3t = make_filter(keystone)
    for _ in range(3):
        resp = s3_request(Signer(ALICE.access, ALICE.secret)).get_response(s3t)
        assert resp.status_int == 200
    assert keystone.count('s3tokens') == 3
    assert sum('cache filter is missing' in line for line in log.lines) == 1


def test_secret_not_readable_means_no_cache(keystone: FakeKeystone, log: LogCapture) -> None:
    keystone.ec2_status = 403
    memcache = FakeMemcache()
    s3t = make_filter(keystone)
    for _ in range(2):
        resp = s3_request(Signer(ALICE.access, ALICE.secret),
                          memcache=memcache).get_response(s3t)
        assert resp.status_int == 200
    assert memcache.raw == {}
    assert keystone.count('s3tokens') == 2
    assert sum('cannot read EC2 secrets (HTTP 403)' in line for line in log.lines) == 1


def test_secret_that_does_not_verify_is_not_cached(keystone: FakeKeystone,
                                                   log: LogCapture) -> None:
    memcache = FakeMemcache()
    s3t = make_filter(keystone)
    signer = Signer(ALICE.access, ALICE.secret)
    signer.check_signature = lambda secret: False  # swift3 disagrees with Keystone
    resp = s3_request(signer, memcache=memcache).get_response(s3t)
    assert resp.status_int == 200   # Keystone vouched for it
    assert memcache.raw == {}
    assert any('does not verify' in line for line in log.lines)


# -- failures ---------------------------------------------------------------------

def test_unknown_access_key(keystone: FakeKeystone) -> None:
    app = DownstreamApp()
    resp = s3_request(Signer('AKIDNOBODY', 'x'), '/v1/AKIDNOBODY/b',
                      memcache=FakeMemcache()).get_response(make_filter(keystone, app))
    assert resp.status_int == 403
    assert s3_code(resp) == 'InvalidAccessKeyId'
    assert b'<RequestId>tx-unit-test</RequestId>' in resp.body
    assert resp.content_type == 'application/xml'
    assert resp.environ['swift3.auth_error'] == 'InvalidAccessKeyId'
    assert app.environs == []


def test_flood_of_unknown_keys_is_negatively_cached(keystone: FakeKeystone) -> None:
    memcache = FakeMemcache()
    s3t = make_filter(keystone, negative_cache_duration='7')
    for _ in range(1000):
        resp = s3_request(Signer('AKIDNOBODY', 'x'), '/v1/AKIDNOBODY/b',
                          memcache=memcache).get_response(s3t)
        assert s3_code(resp) == 'InvalidAccessKeyId'
    # FakeMemcache never expires entries: exactly one call, whatever the speed
    assert keystone.count('s3tokens') == 1
    assert list(memcache.ttl.values()) == [7]


def test_negative_cache_disabled(keystone: FakeKeystone) -> None:
    memcache = FakeMemcache()
    s3t = make_filter(keystone, negative_cache_duration='0')
    for _ in range(3):
        s3_request(Signer('AKIDNOBODY', 'x'), '/v1/AKIDNOBODY/b',
                   memcache=memcache).get_response(s3t)
    assert keystone.count('s3tokens') == 3


def test_empty_access_key_never_reaches_keystone(keystone: FakeKeystone) -> None:
    resp = s3_request(Signer('', 'x'), '/v1//b').get_response(make_filter(keystone))
    assert s3_code(resp) == 'InvalidAccessKeyId'
    assert keystone.count('s3tokens') == 0


def test_wrong_secret_cold(keystone: FakeKeystone) -> None:
    app, memcache = DownstreamApp(), FakeMemcache()
    resp = s3_request(Signer(ALICE.access, 'wrong'), memcache=memcache).get_response(
        make_filter(keystone, app))
    assert resp.status_int == 403
    assert s3_code(resp) == 'SignatureDoesNotMatch'
    assert app.environs == [] and memcache.raw == {}


@pytest.mark.parametrize('status,body,code', [
    (401, {'error': {'message': 'User not valid for project.'}}, 'AccessDenied'),
    (401, {'error': {'message': 'Credential signature mismatch'}}, 'SignatureDoesNotMatch'),
    (401, {'error': {'message': 'The request you have made requires authentication.'}},
     'SignatureDoesNotMatch'),
    (401, 'not even a dict', 'SignatureDoesNotMatch'),
    (400, {'error': {'message': 'bad request'}}, 'AccessDenied'),
    (403, {'error': {'message': 'policy'}}, 'ServiceUnavailable'),
    (500, None, 'ServiceUnavailable'),
    (503, None, 'ServiceUnavailable'),
    (200, {'unexpected': True}, 'ServiceUnavailable'),
    (200, {'token': {'user': {'id': 'u'}}}, 'ServiceUnavailable'),
    (200, [1, 2], 'ServiceUnavailable'),
])
def test_keystone_answers(keystone: FakeKeystone, status: int, body: Any, code: str) -> None:
    keystone.s3tokens_status, keystone.s3tokens_body = status, body
    app = DownstreamApp()
    resp = s3_request(Signer(ALICE.access, ALICE.secret)).get_response(
        make_filter(keystone, app))
    assert s3_code(resp) == code
    assert resp.status_int == (503 if code == 'ServiceUnavailable' else 403)
    assert app.environs == []


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_keystone_unreachable_is_503(keystone: FakeKeystone, log: LogCapture) -> None:
    url = f'http://127.0.0.1:{_closed_port()}/v3'
    s3t = make_filter(keystone, auth_uri=url, auth_url=url)
    resp = s3_request(Signer(ALICE.access, ALICE.secret)).get_response(s3t)
    assert resp.status_int == 503
    assert s3_code(resp) == 'ServiceUnavailable'
    assert any('Keystone unreachable' in line for line in log.lines)


def test_keystone_timeout_is_503(keystone: FakeKeystone) -> None:
    s3t = make_filter(keystone, http_timeout='0.3')
    keystone.delay = 2
    resp = s3_request(Signer(ALICE.access, ALICE.secret)).get_response(s3t)
    assert resp.status_int == 503
    assert s3_code(resp) == 'ServiceUnavailable'


def test_service_login_refused_is_503(keystone: FakeKeystone, log: LogCapture) -> None:
    keystone.login_status = 401
    resp = s3_request(Signer(ALICE.access, ALICE.secret)).get_response(make_filter(keystone))
    assert resp.status_int == 503
    assert any('service user cannot get a token' in line for line in log.lines)


def test_service_token_is_reused(keystone: FakeKeystone) -> None:
    s3t = make_filter(keystone, secret_cache_duration='0')
    for _ in range(3):
        s3_request(Signer(ALICE.access, ALICE.secret)).get_response(s3t)
    assert keystone.count('login') == 1


def test_head_error_has_no_body(keystone: FakeKeystone) -> None:
    resp = s3_request(Signer('AKIDNOBODY', 'x'), '/v1/AKIDNOBODY/b',
                      method='HEAD').get_response(make_filter(keystone))
    assert resp.status_int == 403 and resp.body == b''


# -- delay_auth_decision ----------------------------------------------------------

@pytest.mark.parametrize('signer', [Signer('AKIDNOBODY', 'x'), Signer(ALICE.access, 'bad')])
def test_delay_auth_decision_passes_failures_on(keystone: FakeKeystone,
                                                signer: Signer) -> None:
    app = DownstreamApp()
    path = f'/v1/{signer.access}/b'
    resp = s3_request(signer, path, headers={'X-Roles': 'admin'}).get_response(
        make_filter(keystone, app, delay_auth_decision='true'))
    assert resp.status_int == 200
    env = app.last
    assert env['PATH_INFO'] == path
    assert 'HTTP_X_ROLES' not in env and 'HTTP_X_IDENTITY_STATUS' not in env
    assert 'keystone.token_info' not in env


def test_delay_auth_decision_keeps_503(keystone: FakeKeystone) -> None:
    keystone.s3tokens_status = 500
    app = DownstreamApp()
    resp = s3_request(Signer(ALICE.access, ALICE.secret)).get_response(
        make_filter(keystone, app, delay_auth_decision='true'))
    assert resp.status_int == 503 and app.environs == []


# -- headers a client could send ----------------------------------------------------

SPOOFED = {
    'X-Identity-Status': 'Confirmed', 'X-Service-Identity-Status': 'Confirmed',
    'X-Roles': 'admin,ResellerAdmin', 'X-Role': 'admin', 'X-Service-Roles': 'service',
    'X-User-Id': 'root', 'X-User-Name': 'root', 'X-User': 'root',
    'X-User-Domain-Id': 'default', 'X-User-Domain-Name': 'Default',
    'X-Tenant-Id': 'proj-b', 'X-Tenant-Name': 'proj-b-name', 'X-Tenant': 'proj-b',
    'X-Project-Id': 'proj-b', 'X-Project-Name': 'proj-b-name',
    'X-Project-Domain-Id': 'default', 'X-Project-Domain-Name': 'Default',
    'X-Domain-Id': 'default', 'X-Domain-Name': 'Default',
    'X-Service-User-Id': 'svc', 'X-Service-Project-Id': 'service',
    'X-Is-Admin-Project': 'True', 'X-Service-Catalog': '[]',
    'OpenStack-System-Scope': 'all',
}
TOKENS = {'X-Auth-Token': 'tok', 'X-Storage-Token': 'tok2', 'X-Service-Token': 'stok'}


def test_s3_request_identity_comes_only_from_keystone(keystone: FakeKeystone) -> None:
    app = DownstreamApp()
    headers = dict(SPOOFED, **TOKENS)
    s3_request(Signer(ALICE.access, ALICE.secret), headers=headers).get_response(
        make_filter(keystone, app))
    env = app.last
    assert env['HTTP_X_ROLES'] == 'member'
    assert env['HTTP_X_PROJECT_ID'] == env['HTTP_X_TENANT_ID'] == 'proj-a'
    assert env['HTTP_X_USER_NAME'] == 'alice-name'
    ours = {'HTTP_' + h.upper().replace('-', '_')
            for h in s3token.identity_headers(keystone.token_body(ALICE))}
    for header in headers:
        key = 'HTTP_' + header.upper().replace('-', '_')
        assert key in ours or key not in env, header


def test_native_request_is_purged_but_keeps_tokens(keystone: FakeKeystone) -> None:
    app = DownstreamApp()
    Request.blank('/v1/AUTH_proj-a/c', headers=dict(SPOOFED, **TOKENS)).get_response(
        make_filter(keystone, app))
    env = app.last
    for header in SPOOFED:
        assert 'HTTP_' + header.upper().replace('-', '_') not in env, header
    assert env['HTTP_X_AUTH_TOKEN'] == 'tok'
    assert env['HTTP_X_SERVICE_TOKEN'] == 'stok'
    assert env['PATH_INFO'] == '/v1/AUTH_proj-a/c'
    assert keystone.calls == []


def test_native_request_vouched_by_earlier_authtoken_is_untouched(
        keystone: FakeKeystone) -> None:
    app = DownstreamApp()
    Request.blank('/v1/AUTH_proj-b/c', headers=SPOOFED,
                  environ={'keystone.token_info': {'token': {}}}).get_response(
        make_filter(keystone, app))
    assert app.last['HTTP_X_ROLES'] == SPOOFED['X-Roles']


# -- path rewriting ----------------------------------------------------------------

@pytest.mark.parametrize('path,access,expected', [
    ('/v1/AK', 'AK', '/v1/AUTH_p'),
    ('/v1/AK/', 'AK', '/v1/AUTH_p/'),
    ('/v1/AK/AK/AK', 'AK', '/v1/AUTH_p/AK/AK'),
    ('/v1/AK/bucket/dir/AK', 'AK', '/v1/AUTH_p/bucket/dir/AK'),
    ('/v1/AKX/b', 'AK', None),
    ('/v1/XAK/b', 'AK', None),
    ('/v1/b/AK', 'AK', None),
    ('/v1', 'AK', None),
    ('v1/AK/b', 'AK', None),
    ('/v1/a/b/c/o', 'a/b', '/v1/AUTH_p/c/o'),
    ('/v1/a:b/c', 'a:b', '/v1/AUTH_p/c'),
    ('/v1/a%41/c', 'a%41', '/v1/AUTH_p/c'),
    ('/v1/\xc3\xa4k/c/\xc3\xa4k', '\xe4k', '/v1/AUTH_p/c/\xc3\xa4k'),
    ('/v1/AK/b', '', None),
])
def test_rewrite_account(path: str, access: str, expected: str | None) -> None:
    assert rewrite_account(path, access, 'AUTH_p') == expected


def test_access_key_elsewhere_in_path(keystone: FakeKeystone) -> None:
    app = DownstreamApp()
    s3_request(Signer(ALICE.access, ALICE.secret),
               '/v1/AKIDALICE/AKIDALICE/AKIDALICE').get_response(make_filter(keystone, app))
    assert app.last['PATH_INFO'] == '/v1/AUTH_proj-a/AKIDALICE/AKIDALICE'


def test_odd_access_keys(keystone: FakeKeystone) -> None:
    app = DownstreamApp()
    s3t = make_filter(keystone, app)
    for access in ('with/slash', 'with:colon', 'pct%2F', 'ünï'):
        keystone.credentials[access] = Credential(access, 'sec-' + access, 'u', 'proj-odd')
        wsgi_access = access.encode().decode('latin-1')
        resp = s3_request(Signer(access, 'sec-' + access),
                          f'/v1/{wsgi_access}/b/{wsgi_access}',
                          memcache=FakeMemcache()).get_response(s3t)
        assert resp.status_int == 200, access
        assert app.last['PATH_INFO'] == f'/v1/AUTH_proj-odd/b/{wsgi_access}'


def test_path_without_access_key_is_not_rewritten(keystone: FakeKeystone) -> None:
    app = DownstreamApp()
    s3_request(Signer(ALICE.access, ALICE.secret), '/v1/AUTH_proj-b/c').get_response(
        make_filter(keystone, app))
    assert app.last['PATH_INFO'] == '/v1/AUTH_proj-b/c'


def test_non_ascii_identity(keystone: FakeKeystone) -> None:
    app = DownstreamApp()
    keystone.credentials['AKIDUNI'] = Credential('AKIDUNI', 's', 'ünïcode', 'pröj')
    s3_request(Signer('AKIDUNI', 's'), '/v1/AKIDUNI/b').get_response(make_filter(keystone, app))
    assert app.last['HTTP_X_USER_NAME'] == 'ünïcode-name'.encode().decode('latin-1')
    assert app.last['PATH_INFO'] == '/v1/AUTH_' + 'pröj'.encode().decode('latin-1') + '/b'


# -- swift3 reusing an identity within one S3 request -------------------------------------

def test_reused_identity_skips_keystone(keystone: FakeKeystone) -> None:
    app = DownstreamApp()
    token = keystone.token_body(ALICE)
    req = s3_request(Signer(ALICE.access, 'not checked'), '/v1/AKIDALICE/b/o',
                     headers={'X-Roles': 'member'})
    req.environ.update({'swift.authorize_override': True,
                        'keystone.token_info': token})
    assert req.get_response(make_filter(keystone, app)).status_int == 200
    assert keystone.calls == []
    assert app.last['PATH_INFO'] == '/v1/AUTH_proj-a/b/o'
    assert app.last['HTTP_X_ROLES'] == 'member'


@pytest.mark.parametrize('with_authtoken', [False, True])
def test_reused_identity_without_details_passes_authtoken(keystone: FakeKeystone,
                                                          with_authtoken: bool) -> None:
    """swift3's later subrequests: real account, copied identity, override."""
    app = pipeline(keystone, with_authtoken)
    first = s3_request(Signer(ALICE.access, ALICE.secret), '/v1/AKIDALICE/bucket',
                       memcache=FakeMemcache())
    assert first.get_response(app).status_int == 200
    calls = len(keystone.calls)
    carried = {k: v for k, v in first.environ.items()
               if k.startswith('HTTP_X_') or k in ('swift.authorize', 'REMOTE_USER',
                                                   'keystone.token_info')}
    later = Request.blank('/v1/AUTH_proj-a/bucket/obj', environ=dict(
        carried, **{'swift.authorize_override': True}))
    resp = later.get_response(app)
    assert resp.status_int == 200 and resp.body == b'AUTH_proj-a'
    assert len(keystone.calls) == calls


# -- with keystonemiddleware's authtoken and Swift's keystoneauth ----------------------

class FakeProxy:
    """Stands in for proxy-server: applies swift.authorize like Swift does."""

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        req = Request(environ)
        authorize = environ.get('swift.authorize')
        if authorize:
            denied = authorize(req)
            if denied:
                return denied(environ, start_response)
        version, account, rest = split_path(req.path, 2, 3, True)
        return Response(status=200, body=account.encode())(environ, start_response)


def authtoken_filter(app: Any, keystone: FakeKeystone, **conf: str) -> Any:
    return auth_token.AuthProtocol(app, {
        'www_authenticate_uri': keystone.url, 'auth_type': 'password',
        'auth_url': keystone.url, 'username': 'swift', 'password': 'p',
        'user_domain_id': 'default', 'project_name': 'service',
        'project_domain_id': 'default', 'delay_auth_decision': 'false',
        'log_name': 'authtoken', **conf})


def pipeline(keystone: FakeKeystone, with_authtoken: bool, **authtoken_conf: str) -> Any:
    """s3token [authtoken] keystoneauth proxy, as paste would build it."""
    app: Any = keystoneauth.filter_factory({}, operator_roles='admin,member')(FakeProxy())
    if with_authtoken:
        app = authtoken_filter(app, keystone, **authtoken_conf)
    return make_filter(keystone, app)


@pytest.mark.parametrize('with_authtoken', [False, True])
@pytest.mark.parametrize('delay', ['false', 'true'])
def test_keystoneauth_authorizes_the_project(keystone: FakeKeystone,
                                             with_authtoken: bool, delay: str) -> None:
    app = pipeline(keystone, with_authtoken, delay_auth_decision=delay)
    memcache = FakeMemcache()
    resp = s3_request(Signer(ALICE.access, ALICE.secret), '/v1/AKIDALICE/bucket',
                      memcache=memcache, headers=SPOOFED).get_response(app)
    assert resp.status_int == 200, resp.body
    assert resp.body == b'AUTH_proj-a'
    # a signed request aimed at someone else's account is denied by keystoneauth
    resp = s3_request(Signer(ALICE.access, ALICE.secret), '/v1/AUTH_proj-b/bucket',
                      memcache=memcache).get_response(app)
    assert resp.status_int == 403


def test_authtoken_still_guards_native_requests(keystone: FakeKeystone) -> None:
    app = pipeline(keystone, with_authtoken=True)
    resp = Request.blank('/v1/AUTH_proj-a/bucket', headers=SPOOFED).get_response(app)
    assert resp.status_int == 401   # no token: authtoken refuses it


def test_member_role_is_required_by_keystoneauth(keystone: FakeKeystone) -> None:
    keystone.credentials['AKIDREADER'] = Credential('AKIDREADER', 's', 'eve', 'proj-a',
                                                    roles=('reader',))
    resp = s3_request(Signer('AKIDREADER', 's'), '/v1/AKIDREADER/bucket').get_response(
        pipeline(keystone, with_authtoken=True))
    assert resp.status_int == 403


def test_authtoken_further_down_stops_the_proxy(keystone: FakeKeystone) -> None:
    class Other:
        def __init__(self, app: Any) -> None:
            self.app = app

        def __call__(self, environ: dict, start_response: Callable) -> Any:
            return self.app(environ, start_response)

    misplaced = Other(authtoken_filter(FakeProxy(), keystone))
    with pytest.raises(S3TokenConfigError, match='authtoken must come right after'):
        make_filter(keystone, misplaced)


# -- nothing secret leaks -------------------------------------------------------------

def test_no_secret_signature_or_keystone_reply_in_logs_or_responses(
        keystone: FakeKeystone, log: LogCapture) -> None:
    memcache = FakeMemcache()
    s3t = make_filter(keystone)
    good = Signer(ALICE.access, ALICE.secret)
    bad = Signer(ALICE.access, 'wrong-secret-value')
    bodies = []
    for signer in (good, good, bad):
        bodies.append(s3_request(signer, memcache=memcache).get_response(s3t).body)
    cold_bad = Signer(BOB.access, 'wrong-secret-value')
    bodies.append(s3_request(cold_bad, '/v1/AKIDBOB/b').get_response(s3t).body)
    keystone.s3tokens_status = 500
    keystone.s3tokens_body = {'error': {'message': 'KEYSTONE-INTERNAL-DETAIL'}}
    bodies.append(s3_request(Signer('AKIDOTHER', 'x'), '/v1/AKIDOTHER/b').get_response(
        s3t).body)
    text = '\n'.join(log.lines) + '\n'.join(b.decode() for b in bodies)
    forbidden = [ALICE.secret, BOB.secret, good.signature, bad.signature,
                 cold_bad.signature, good.string_to_sign.decode(),
                 base64.urlsafe_b64encode(good.string_to_sign).decode(),
                 SERVICE_TOKEN, 'swiftpass', 'KEYSTONE-INTERNAL-DETAIL',
                 'Credential signature mismatch', 'EC2 access key not found']
    for value in forbidden:
        assert value not in text, value
    assert log.lines   # something was logged, and looked at
