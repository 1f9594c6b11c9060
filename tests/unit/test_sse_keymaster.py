"""The ``sse`` filter (swift3compat.swift.crypto) feeding Swift's real
encrypter/decrypter, over an in-memory object store."""
import base64
import hashlib
import json
import os
from urllib.parse import unquote_plus

import pytest
from swift.common.middleware.crypto import filter_factory as encryption
from swift.common.middleware.crypto.keymaster import \
    filter_factory as keymaster
from swift.common.header_key_dict import HeaderKeyDict
from swift.common.request_helpers import resolve_etag_is_at_header
from swift.common.swob import Request, Response

from swift3compat.model import encryption as enc
from swift3compat.swift import crypto, keyprovider

ROOT = os.urandom(32)
KMS = os.urandom(32)
CUSTOMER = os.urandom(32)
PLAIN = b'the plaintext nobody may find on disk ' * 20


class Store:
    """Enough of Swift's proxy for the encrypter: PUT with footers, GET/HEAD
    with single ranges, container listings (JSON)."""

    def __init__(self):
        self.objects = {}

    def __call__(self, env, start_response):
        req = Request(env)
        parts = req.path_info.split('/', 4)
        if req.method == 'PUT':
            body = req.environ['wsgi.input'].read()
            headers = {k.title(): v for k, v in req.headers.items()
                       if k.lower().startswith(('x-object-meta-',
                                                'x-object-sysmeta-',
                                                'x-object-transient-sysmeta-'))
                       or k.lower() == 'content-type'}
            headers['Etag'] = hashlib.md5(body).hexdigest()
            footers = {}
            callback = env.get('swift.callback.update_footers')
            if callback:
                callback(footers)
            headers.update((k.title(), v) for k, v in footers.items())
            self.objects[req.path_info] = (headers, body)
            return Response(status=201, headers={'Etag': headers['Etag']})(
                env, start_response)
        if req.method in ('GET', 'HEAD') and len(parts) == 5:
            if req.path_info not in self.objects:
                return Response(status=404)(env, start_response)
            headers, body = self.objects[req.path_info]
            resp = Response(status=200, headers=dict(headers), body=body,
                            conditional_response=True, request=req,
                            conditional_etag=resolve_etag_is_at_header(
                                req, HeaderKeyDict(headers)))
            return resp(env, start_response)
        if req.method == 'GET' and len(parts) == 4:
            listing = []
            prefix = req.path_info + '/'
            for path, (headers, _body) in sorted(self.objects.items()):
                if path.startswith(prefix):
                    listing.append({'name': path[len(prefix):],
                                    'hash': headers.get(
                                        'X-Object-Sysmeta-Container-Update-'
                                        'Override-Etag', headers['Etag'])})
            return Response(status=200, body=json.dumps(listing).encode(),
                            content_type='application/json')(
                env, start_response)
        return Response(status=204)(env, start_response)


def provider():
    return keyprovider.StaticKeyProvider({None: ROOT}, None,
                                         {'kms-1': KMS}, 'kms-1')


def pipeline(store, cluster_keymaster=False):
    app = encryption({})(store)
    app = crypto.SSEKeyMaster(app, {}, provider())
    if cluster_keymaster:
        app = keymaster({}, encryption_root_secret=base64.b64encode(
            os.urandom(32)).decode())(app)
    return app


def customer_key(key=CUSTOMER):
    return enc.CustomerKey(key, base64.b64encode(
        hashlib.md5(key).digest()).decode())


def put(app, path, headers=None, body=PLAIN, keys=()):
    req = Request.blank(path, method='PUT', body=body, headers=headers or {})
    for key in keys:
        crypto.key_ring(req.environ).add(key)
    return req.get_response(app)


def get(app, path, keys=(), method='GET', headers=None):
    req = Request.blank(path, method=method, headers=headers or {})
    for key in keys:
        crypto.key_ring(req.environ).add(key)
    return req.get_response(app)


MODES = {
    'sse-s3': ({crypto.SSE: 'AES256'}, ()),
    'sse-kms': ({crypto.SSE: 'aws:kms', crypto.SSE_KMS_KEY_ID: 'kms-1'}, ()),
    'sse-c': ({crypto.SSE_CUSTOMER_MAC: enc.key_mac(CUSTOMER)},
              (customer_key(),)),
}


@pytest.mark.parametrize('mode', sorted(MODES))
@pytest.mark.parametrize('cluster_keymaster', [False, True])
def test_round_trip_ciphertext_at_rest(mode, cluster_keymaster):
    store = Store()
    app = pipeline(store, cluster_keymaster)
    headers, keys = MODES[mode]
    resp = put(app, '/v1/a/c/o', dict(headers, **{'X-Object-Meta-Color':
                                                  'secret-blue'}), keys=keys)
    assert resp.status_int == 201
    assert resp.headers['Etag'] == hashlib.md5(PLAIN).hexdigest()
    stored_headers, stored = store.objects['/v1/a/c/o']
    assert PLAIN[:16] not in stored and len(stored) == len(PLAIN)
    assert 'secret-blue' not in json.dumps(stored_headers)
    meta = json.loads(unquote_plus(
        stored_headers['X-Object-Sysmeta-Crypto-Body-Meta']))
    assert meta['key_id']['s3c'] == '1'
    assert meta['key_id']['m'] == {'sse-s3': 'S3', 'sse-kms': 'KMS',
                                   'sse-c': 'C'}[mode]
    resp = get(app, '/v1/a/c/o', keys)
    assert resp.status_int == 200 and resp.body == PLAIN
    assert resp.headers['X-Object-Meta-Color'] == 'secret-blue'
    resp = get(app, '/v1/a/c/o', keys, headers={'Range': 'bytes=100-299'})
    assert resp.status_int == 206 and resp.body == PLAIN[100:300]
    listing = json.loads(get(app, '/v1/a/c').body)
    assert listing[0]['hash'] == hashlib.md5(PLAIN).hexdigest()


def test_plaintext_without_keymaster_stays_plaintext_and_readable():
    store = Store()
    app = pipeline(store)
    assert put(app, '/v1/a/c/o', {'X-Object-Meta-A': 'b'}).status_int == 201
    headers, stored = store.objects['/v1/a/c/o']
    assert stored == PLAIN and headers['X-Object-Meta-A'] == 'b'
    assert not any('Crypto' in h for h in headers)
    resp = get(app, '/v1/a/c/o')
    assert resp.body == PLAIN and resp.headers['X-Object-Meta-A'] == 'b'


def test_cluster_keymaster_still_encrypts_the_rest():
    store = Store()
    app = pipeline(store, cluster_keymaster=True)
    assert put(app, '/v1/a/c/o').status_int == 201
    headers, stored = store.objects['/v1/a/c/o']
    assert stored != PLAIN
    meta = headers['X-Object-Sysmeta-Crypto-Body-Meta']
    assert 's3c' not in meta            # the keymaster's own key id
    assert get(app, '/v1/a/c/o').body == PLAIN


def test_sse_c_wrong_or_missing_key_gets_no_byte():
    store = Store()
    app = pipeline(store)
    headers, keys = MODES['sse-c']
    assert put(app, '/v1/a/c/o', headers, keys=keys).status_int == 201
    wrong = customer_key(os.urandom(32))
    resp = get(app, '/v1/a/c/o', (wrong,))
    assert resp.status_int == 403 and resp.body == b''
    assert resp.headers[crypto.REFUSED] == 'wrong-key'
    assert resp.headers[crypto.SSE_CUSTOMER_MAC] == headers[
        crypto.SSE_CUSTOMER_MAC]
    resp = get(app, '/v1/a/c/o')
    assert resp.status_int == 400 and resp.body == b''
    assert resp.headers[crypto.REFUSED] == 'missing-key'
    # HEAD without the key still answers (swift3 decides what to tell)
    assert get(app, '/v1/a/c/o', method='HEAD').status_int == 200
    # the right key among others
    assert get(app, '/v1/a/c/o', (wrong, keys[0])).body == PLAIN


def test_sse_c_write_without_its_key_is_refused():
    store = Store()
    app = pipeline(store)
    headers, _ = MODES['sse-c']
    resp = put(app, '/v1/a/c/o', headers)
    assert resp.status_int == 400
    resp = put(app, '/v1/a/c/o', headers, keys=(customer_key(os.urandom(32)),))
    assert resp.status_int == 403
    assert store.objects == {}


def test_kms_unknown_key_refused_and_default_resolved():
    store = Store()
    app = pipeline(store)
    resp = put(app, '/v1/a/c/o', {crypto.SSE: 'aws:kms',
                                  crypto.SSE_KMS_KEY_ID: 'nope'})
    assert resp.status_int == 400
    assert resp.headers[crypto.REFUSED] == 'unknown-kms-key'
    assert store.objects == {}
    resp = put(app, '/v1/a/c/o', {crypto.SSE: 'aws:kms'})
    assert resp.status_int == 201
    assert resp.headers[crypto.RESOLVED_KMS_KEY_ID] == 'kms-1'
    assert HeaderKeyDict(store.objects['/v1/a/c/o'][0])[
        crypto.SSE_KMS_KEY_ID] == 'kms-1'
    assert get(app, '/v1/a/c/o').body == PLAIN


def test_kms_context_changes_the_key():
    store = Store()
    app = pipeline(store)
    context = base64.b64encode(b'{"a":"b"}').decode()
    put(app, '/v1/a/c/o', {crypto.SSE: 'aws:kms', crypto.SSE_CONTEXT: context})
    meta = store.objects['/v1/a/c/o'][0]['X-Object-Sysmeta-Crypto-Body-Meta']
    assert enc.context_digest(context) in \
        unquote_plus(meta)
    assert get(app, '/v1/a/c/o').body == PLAIN


def test_root_secret_rotation_keeps_old_objects_readable():
    store = Store()
    old = crypto.SSEKeyMaster(encryption({})(store), {}, provider())
    put(old, '/v1/a/c/o', {crypto.SSE: 'AES256'})
    new_provider = keyprovider.StaticKeyProvider(
        {None: ROOT, 'new': os.urandom(32)}, 'new', {'kms-1': KMS})
    new = crypto.SSEKeyMaster(encryption({})(store), {}, new_provider)
    assert get(new, '/v1/a/c/o').body == PLAIN
    put(new, '/v1/a/c/p', {crypto.SSE: 'AES256'})
    assert '"s": "new"' in unquote_plus(
        store.objects['/v1/a/c/p'][0]['X-Object-Sysmeta-Crypto-Body-Meta'])
    # If-Match on an SSE-S3 object written under the old secret
    etag = hashlib.md5(PLAIN).hexdigest()
    resp = get(new, '/v1/a/c/o', headers={'If-Match': '"%s"' % etag})
    assert resp.status_int == 200
    resp = get(new, '/v1/a/c/o', headers={'If-Match': '"%s"' % ('0' * 32)})
    assert resp.status_int == 412


def test_post_without_keymaster_encrypts_metadata_with_server_keys():
    store = Store()
    app = pipeline(store)
    calls = []

    def post_app(env, start_response):
        calls.append(env[crypto.CRYPTO_KEY_CALLBACK]()['id'])
        return Response(status=202)(env, start_response)
    app = crypto.SSEKeyMaster(encryption({})(post_app), {}, provider())
    req = Request.blank('/v1/a/c/o', method='POST',
                        headers={'X-Object-Meta-A': 'b'})
    assert req.get_response(app).status_int == 202
    assert calls[0]['m'] == 'S3'


def test_sse_c_metadata_is_readable_without_the_key_but_not_plaintext():
    store = Store()
    app = pipeline(store)
    headers, keys = MODES['sse-c']
    put(app, '/v1/a/c/o', dict(headers, **{'X-Object-Meta-Color': 'blue-x'}),
        keys=keys)
    stored_headers, _ = store.objects['/v1/a/c/o']
    assert 'blue-x' not in json.dumps(stored_headers)
    head = get(app, '/v1/a/c/o', method='HEAD')
    assert head.status_int == 200
    assert head.headers['X-Object-Meta-Color'] == 'blue-x'
    # the body still needs the key
    assert get(app, '/v1/a/c/o').status_int == 400
    assert get(app, '/v1/a/c/o', keys).body == PLAIN
