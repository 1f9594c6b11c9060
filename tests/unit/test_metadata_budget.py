"""The stored-metadata budget measures what the object server pickles."""
from __future__ import annotations

import pickle

import pytest
from swift.obj.diskfile import PICKLE_PROTOCOL, _encode_metadata

from swift3compat import errors
from swift3compat.swift import metadata_budget


def _swift_pickled(path: str, headers: dict) -> int:
    metadata = {'name': path, **{k.title(): v for k, v in headers.items()
                                if metadata_budget.stored(k)}}
    return len(pickle.dumps(_encode_metadata(metadata), PICKLE_PROTOCOL))


@pytest.mark.parametrize('headers', [
    {},
    {'X-Object-Meta-A': 'b' * 300, 'Content-Type': 'text/plain'},
    {'X-Object-Transient-Sysmeta-S3c-Tag-%d' % i: 't' * 128 + '=' + 'v' * 256
     for i in range(10)},
    {'X-Object-Meta-Utf': 'caf\xc3\xa9' * 100, 'Cache-Control': 'x' * 900},
])
def test_same_size_as_the_object_server_pickles(headers):
    path = '/AUTH_test/bucket/' + 'k' * 1024
    assert metadata_budget.stored_size('/v1' + path, headers.items()) == \
        _swift_pickled(path, headers) + metadata_budget.SWIFT_OVERHEAD


def test_headers_swift_does_not_store_do_not_count():
    base = metadata_budget.stored_size('/a/c/o', [])
    assert metadata_budget.stored_size('/a/c/o', [
        ('X-Backend-Foo', 'x' * 5000), ('Authorization', 'y' * 5000),
        ('X-Object-Meta-Gone', '')]) == base


def test_over_budget_is_metadata_too_large():
    path = '/AUTH_test/b/' + 'k' * 1024
    meta = {'X-Object-Meta-M%d' % i: 'v' * 248 for i in range(8)}  # AWS's 2 KB
    with pytest.raises(errors.MetadataTooLarge):
        metadata_budget.check(path, meta, metadata_budget.DEFAULT_BUDGET)
    assert metadata_budget.check(path, meta, 65536) < 65536
    # a copy keeps its source's metadata: it counts too
    with pytest.raises(errors.MetadataTooLarge):
        metadata_budget.check('/AUTH_test/b/short', {'Content-Type': 'a/b'},
                              metadata_budget.DEFAULT_BUDGET,
                              kept={**meta, 'X-Object-Meta-X': 'y' * 2000})


def test_the_quick_bound_is_never_below_the_size():
    """check() trusts size_bound when it is within the budget: it must
    never be below what Swift pickles, whatever the names and values
    (non-ASCII, surrogate escapes, empty, many headers: long memo refs)."""
    import random
    rnd = random.Random(18)
    alphabet = ['a', 'Z', '-', '=', '\xe9', '\u20ac', '\U0001f600', '\udce9',
                ' ', '0']
    for _ in range(400):
        headers = {}
        for i in range(rnd.choice([0, 1, 5, 40, 300])):
            name = rnd.choice(['X-Object-Meta-', 'X-Object-Sysmeta-S3c-',
                               'X-Object-Transient-Sysmeta-', 'X-Other-',
                               'Content-Type']) + str(i)
            headers[name] = ''.join(rnd.choice(alphabet) for _ in range(
                rnd.choice([0, 1, 10, 200])))
        path = '/v1/AUTH_test/b/' + ''.join(
            rnd.choice(alphabet) for _ in range(rnd.randint(1, 300)))
        items = list(headers.items())
        assert metadata_budget.size_bound(path, items) >= \
            metadata_budget.stored_size(path, items)


def test_a_usual_put_is_decided_by_the_bound():
    headers = {'Content-Type': 'binary/octet-stream',
               'X-Object-Sysmeta-S3c-Checksum':
                   'CRC64NVME FULL_OBJECT PTtSmg8Z558=',
               'X-Object-Transient-Sysmeta-S3c-Acl':
                   '{"o":"AUTH_test","g":[["u","AUTH_test","FULL_CONTROL"]]}'}
    path = '/v1/AUTH_test/bucket/some/key.txt'
    assert metadata_budget.size_bound(path, headers.items()) <= \
        metadata_budget.DEFAULT_BUDGET


# -- encrypted writes: measured against Swift's own encrypter ------------------
SSE_S3 = {'X-Object-Sysmeta-S3c-Sse': 'AES256'}
SSE_KMS = {'X-Object-Sysmeta-S3c-Sse': 'aws:kms',
           'X-Object-Sysmeta-S3c-Sse-Kms-Key-Id': 'k-default'}
SSE_C = {'X-Object-Sysmeta-S3c-Sse-C-Key-Mac': 'q' * 44}


def _encrypter_stores(path: str, headers: dict, key_id: dict,
                      body: bytes = b'x' * 100, method: str = 'PUT') -> int:
    """What Swift's encrypter sends the object server for a PUT of
    ``headers`` (keys with ``key_id``), pickled as the object server does,
    plus SWIFT_OVERHEAD (what the rest of the pipeline adds)."""
    import io
    import os

    from swift.common.middleware.crypto.crypto_utils import \
        CRYPTO_KEY_CALLBACK
    from swift.common.middleware.crypto.encrypter import Encrypter
    from swift.common.swob import Request

    seen = {}

    def app(env, start_response):
        env['wsgi.input'].read()
        footers = {}
        if 'swift.callback.update_footers' in env:      # PUT
            env['swift.callback.update_footers'](footers)
        seen.update((k[5:].replace('_', '-').title(), v)
                    for k, v in env.items() if k.startswith('HTTP_'))
        seen.update(footers)
        start_response('201 Created', [])
        return [b'']

    keys = {'id': key_id, 'all_ids': [key_id], 'object': os.urandom(32),
            'container': os.urandom(32)}
    req = Request.blank('/v1' + path, method=method, headers=headers,
                        body=body)
    req.environ[CRYPTO_KEY_CALLBACK] = lambda **kw: keys
    req.environ['wsgi.input'] = io.BytesIO(body)
    resp = req.get_response(Encrypter(app, {}))
    assert resp.status_int == 201
    return _swift_pickled(path, seen) + metadata_budget.SWIFT_OVERHEAD


def _real_key_id(path: str, sse: dict) -> dict:
    """The key id the sse filter makes (swift/crypto.py ``_new_id``),
    with the test keys file's names (no secret id)."""
    key_id = {'s3c': '1', 'p': path}
    if 'X-Object-Sysmeta-S3c-Sse-C-Key-Mac' in sse:
        key_id.update(m='C', c=sse['X-Object-Sysmeta-S3c-Sse-C-Key-Mac'])
    elif sse['X-Object-Sysmeta-S3c-Sse'] == 'AES256':
        key_id['m'] = 'S3'
    else:
        key_id.update(m='KMS', k='k-default')
    return key_id


@pytest.mark.parametrize('sse', [SSE_S3, SSE_KMS, SSE_C])
@pytest.mark.parametrize('headers', [
    {'Content-Type': 'a/b'},
    {'Content-Type': 'a/b', **{'X-Object-Meta-K%d' % i: 'v' * 40
                               for i in range(5)}},
    {'X-Object-Meta-Utf': 'caf\xc3\xa9' * 50,
     'X-Object-Sysmeta-Container-Update-Override-Etag':
         '; s3_etag=%s-3' % ('e' * 32)},
])
def test_encrypted_estimate_never_below_what_the_encrypter_stores(
        sse, headers):
    path = '/AUTH_test/bucket/' + 'k' * 200
    headers = {**headers, **sse}
    real = _encrypter_stores(path, headers, _real_key_id(path, sse))
    estimate = metadata_budget.stored_size(
        path, metadata_budget.encrypted_items(path, headers.items()))
    assert real <= estimate <= real + 400, (real, estimate)
    assert estimate > metadata_budget.stored_size(path, headers.items())
    assert metadata_budget.check('/v1' + path, headers, 65536) == estimate


def test_encrypted_write_over_budget_refused_though_plain_fits():
    path = '/AUTH_test/bucket/key'
    headers = {'X-Object-Meta-K%d' % i: 'v' * 200 for i in range(8)}
    assert metadata_budget.check(path, headers, 3584) <= 3584
    with pytest.raises(errors.MetadataTooLarge):
        metadata_budget.check(path, {**headers, **SSE_C}, 3584)
    with pytest.raises(errors.MetadataTooLarge):
        metadata_budget.check(path, {**headers, **SSE_S3}, 3584)


def test_plain_writes_keep_the_fast_path():
    """No SSE sysmeta: nothing encoded or pickled when the bound fits."""
    path = '/AUTH_test/bucket/key'
    headers = {'X-Object-Meta-A': 'b', 'Content-Type': 'a/b'}
    assert metadata_budget.check(path, headers, 3584) == \
        metadata_budget.size_bound(path, headers.items())


@pytest.mark.parametrize('headers', [
    {'X-Object-Meta-A': 'b' * 250, 'X-Object-Transient-Sysmeta-S3c-Acl': 'x'},
    {'X-Object-Meta-K%d' % i: 'v' * 40 for i in range(5)},
])
def test_post_through_the_encrypter_counts_encrypted_user_metadata(headers):
    """With the sse filter on, a POST's user metadata is encrypted (server
    keys), whatever the object: tagging and ACL POSTs resend it."""
    path = '/AUTH_test/bucket/key'
    key_id = {'s3c': '1', 'p': path, 'm': 'S3'}
    real = _encrypter_stores(path, headers, key_id, body=b'', method='POST')
    estimate = metadata_budget.check(path, headers, 65536,
                                     post_encrypted=True)
    assert real <= estimate <= real + 200, (real, estimate)
    assert estimate > metadata_budget.stored_size(path, headers.items())
    # no user metadata: the fast path, as without encryption
    plain = {'X-Object-Transient-Sysmeta-S3c-Acl': 'x'}
    assert metadata_budget.check(path, plain, 3584, post_encrypted=True) \
        == metadata_budget.size_bound(path, plain.items())
