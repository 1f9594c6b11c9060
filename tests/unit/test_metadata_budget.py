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
               'X-Object-Sysmeta-S3c-Checksum-Algorithm': 'CRC64NVME',
               'X-Object-Sysmeta-S3c-Checksum-Type': 'FULL_OBJECT',
               'X-Object-Sysmeta-S3c-Checksum-Value': 'PTtSmg8Z558=',
               'X-Object-Transient-Sysmeta-S3c-Acl':
                   '{"o":"AUTH_test","g":[["u","AUTH_test","FULL_CONTROL"]]}'}
    path = '/v1/AUTH_test/bucket/some/key.txt'
    assert metadata_budget.size_bound(path, headers.items()) <= \
        metadata_budget.DEFAULT_BUDGET
