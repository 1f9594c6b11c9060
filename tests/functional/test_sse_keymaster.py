"""The ``sse`` filter in a real proxy, before Swift's ``encryption``, driven
through the Swift API (tests/functional/sse_shim.py stands in for swift3):
ciphertext on the object server's disk, SSE-C refusals, SLO and copy
subrequests carrying the keys."""
from __future__ import annotations

import base64
import json
import os

import pytest
import requests

from swift3compat_dev.cluster import ProxySpec
from tests.functional.at_rest import metadata_text, object_file

PLAIN = b'swift3compat at-rest probe: plaintext must never be on disk. ' * 50
KEY = os.urandom(32)
KEY_B64 = base64.b64encode(KEY).decode()
ACCOUNT = 'AUTH_test'

PIPELINE = ('catch_errors', 'gatekeeper', 'healthcheck', 'proxy-logging',
            'cache', 'listing_formats', 'sseshim', 'tempauth', 'copy', 'slo',
            'dlo', 'versioned_writes', 'symlink', 'sse', 'encryption',
            'proxy-logging')


def write_key_file(path) -> str:
    def b64() -> str:
        return base64.b64encode(os.urandom(32)).decode()
    path.write_text(f'[sse]\nroot_secret = {b64()}\ndefault_kms_key_id = k1\n'
                    f'[kms_key:k1]\nsecret = {b64()}\n')
    return str(path)


@pytest.fixture(scope='module')
def swift(swift_cluster, tmp_path_factory):
    key_file = write_key_file(tmp_path_factory.mktemp('sse') / 'keys.conf')
    proxy = swift_cluster.add_proxy(ProxySpec(
        name='proxy-sse-native', preset='native', pipeline=PIPELINE,
        filters={'sseshim': {'paste.filter_factory':
                             'tests.functional.sse_shim:filter_factory'},
                 'sse': {'use': 'egg:swift3compat#sse',
                         'key_file': key_file},
                 'encryption': {'use': 'egg:swift#encryption'}}))
    resp = requests.get(proxy.url + '/auth/v1.0', timeout=10, headers={
        'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing'})
    resp.raise_for_status()
    session = requests.Session()
    session.headers['X-Auth-Token'] = resp.headers['X-Auth-Token']
    base = resp.headers['X-Storage-Url']
    container = 'sse-%s' % os.urandom(4).hex()
    assert session.put(f'{base}/{container}', timeout=10).status_code in \
        (201, 202)

    class Swift:
        url = f'{base}/{container}'
        name = container

        def put(self, obj, body=PLAIN, **headers):
            resp = session.put(f'{self.url}/{obj}', data=body,
                               headers=headers, timeout=30)
            assert resp.status_code == 201, resp.text
            return resp

        def get(self, obj, **headers):
            return session.get(f'{self.url}/{obj}', headers=headers,
                               timeout=30)

        def request(self, method, obj, **kwargs):
            return session.request(method, f'{self.url}/{obj}', timeout=30,
                                   **kwargs)

        def on_disk(self, obj):
            return object_file(swift_cluster.devices_dir, ACCOUNT,
                               container, obj)

    yield Swift()
    swift_cluster.stop_server('proxy-sse-native')


MODES = {
    'sse-s3': {'X-Test-Sse': 'AES256'},
    'sse-kms': {'X-Test-Sse': 'aws:kms', 'X-Test-Sse-Kms-Key-Id': 'k1'},
    'sse-c': {'X-Test-Sse': 'C', 'X-Test-Sse-Customer-Key': KEY_B64},
}


@pytest.mark.parametrize('mode', sorted(MODES))
def test_ciphertext_on_disk_plaintext_back(swift, mode):
    headers = MODES[mode]
    read = {k: v for k, v in headers.items()
            if k == 'X-Test-Sse-Customer-Key'}
    swift.put(mode, **headers, **{'X-Object-Meta-Color': 'probe-meta-blue'})
    _path, metadata, data = swift.on_disk(mode)
    assert len(data) == len(PLAIN)
    assert PLAIN[:24] not in data and b'plaintext' not in data
    assert 'probe-meta-blue' not in metadata_text(metadata)
    resp = swift.get(mode, **read)
    assert resp.status_code == 200 and resp.content == PLAIN
    assert resp.headers['X-Object-Meta-Color'] == 'probe-meta-blue'
    resp = swift.get(mode, Range='bytes=1000-1999', **read)
    assert resp.status_code == 206 and resp.content == PLAIN[1000:2000]


def test_unencrypted_writes_stay_plaintext_and_readable(swift):
    swift.put('plain', **{'X-Object-Meta-Color': 'plain-blue'})
    _path, metadata, data = swift.on_disk('plain')
    assert data == PLAIN and 'plain-blue' in metadata_text(metadata)
    assert swift.get('plain').content == PLAIN


def test_sse_c_refusals_return_no_byte(swift):
    swift.put('c-refused', **MODES['sse-c'])
    wrong = base64.b64encode(os.urandom(32)).decode()
    resp = swift.get('c-refused', **{'X-Test-Sse-Customer-Key': wrong})
    assert resp.status_code == 403 and resp.content == b''
    resp = swift.get('c-refused')
    assert resp.status_code == 400 and resp.content == b''
    resp = swift.request('PUT', 'c-refused-2', data=PLAIN, headers={
        'X-Test-Sse': 'C', 'X-Test-Sse-Customer-Key': KEY_B64,
        'X-Object-Meta-X': 'y'})
    assert resp.status_code == 201


def test_slo_of_sse_c_segments_reads_with_the_key(swift):
    parts = [os.urandom(1024) + b'segment-%d-plaintext' % i for i in range(3)]
    for i, part in enumerate(parts):
        swift.put(f'seg/{i}', body=part, **MODES['sse-c'])
    manifest = [{'path': f'/{swift.name}/seg/{i}'} for i in range(3)]
    resp = swift.request('PUT', 'slo?multipart-manifest=put',
                         data=json.dumps(manifest), headers=MODES['sse-c'])
    assert resp.status_code == 201, resp.text
    for i in range(3):
        assert b'plaintext' not in swift.on_disk(f'seg/{i}')[2]
    resp = swift.get('slo', **{'X-Test-Sse-Customer-Key': KEY_B64})
    assert resp.status_code == 200 and resp.content == b''.join(parts)
    resp = swift.get('slo', Range='bytes=1030-2070',
                     **{'X-Test-Sse-Customer-Key': KEY_B64})
    assert resp.content == b''.join(parts)[1030:2071]
    assert swift.get('slo').status_code == 400


def test_copy_between_modes(swift):
    swift.put('copy-src', **MODES['sse-c'])
    resp = swift.request('PUT', 'copy-dst', headers={
        'X-Copy-From': f'/{swift.name}/copy-src', 'X-Test-Sse': 'AES256',
        'X-Test-Sse-Customer-Key': KEY_B64})
    assert resp.status_code == 201, resp.text
    assert b'plaintext' not in swift.on_disk('copy-dst')[2]
    assert swift.get('copy-dst').content == PLAIN       # no key needed now
    resp = swift.request('PUT', 'copy-back', headers={
        'X-Copy-From': f'/{swift.name}/copy-dst', 'X-Test-Sse': 'C',
        'X-Test-Sse-Customer-Key': KEY_B64})
    assert resp.status_code == 201, resp.text
    assert swift.get('copy-back').status_code == 400
    assert swift.get('copy-back', **{
        'X-Test-Sse-Customer-Key': KEY_B64}).content == PLAIN


def test_listing_etags_decrypt(swift):
    swift.put('listed', **MODES['sse-s3'])
    listing = swift.request('GET', '', params={'format': 'json',
                                               'prefix': 'listed'}).json()
    import hashlib
    assert listing[0]['hash'] == hashlib.md5(PLAIN).hexdigest()
