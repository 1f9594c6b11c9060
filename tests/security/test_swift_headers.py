"""S3 requests carry only S3 semantics into Swift: client Swift headers do nothing.

Rows: CVE-2026-71191/71192 part 2 (native Swift control headers ``X-Copy-From*``,
``X-Symlink-*``, ``X-Object-Manifest``, ``X-Static-Large-Object`` from S3
clients bypass ACLs), CVE-2026-50221 (client ``X-Container-Update-*`` /
``X-Backend-*`` ⇒ SSRF) and the observed "native Swift headers on S3 bucket PUT"
(``X-Container-Read`` etc. passed through, even on a 409).

Each test sends the headers on a request that succeeds, then proves through
the native Swift API that nothing they ask for happened. In the pipeline,
gatekeeper strips some of them before swift3 sees the request; the in-process
tests at the end prove swift3 alone forwards none of them.
"""
from __future__ import annotations

import hashlib
import json

import pytest
import requests

from tests.security.inprocess import InProcess

SECRET = b'secret data of another object'
BODY = b'what the client uploaded'


@pytest.fixture
def scene(raw, bucket):
    assert raw.send('PUT', f'/{bucket}/secret', body=SECRET).status == 200
    return bucket


def _put(raw, bucket: str, headers: dict[str, str], body: bytes = BODY):
    resp = raw.send('PUT', f'/{bucket}/upload', body=body, add_after_signing=headers)
    assert resp.status == 200, resp
    return resp


def test_x_copy_from_ignored(raw, scene):
    _put(raw, scene, {'X-Copy-From': f'/{scene}/secret', 'X-Copy-From-Account': 'AUTH_test'})
    assert raw.send('GET', f'/{scene}/upload').body == BODY


def test_x_copy_from_ignored_on_s3_copy(raw, scene):
    assert raw.send('PUT', f'/{scene}/public', body=b'public').status == 200
    resp = raw.send('PUT', f'/{scene}/upload', headers={'x-amz-copy-source': f'/{scene}/public'},
                    add_after_signing={'X-Copy-From': f'/{scene}/secret'})
    assert resp.status == 200, resp
    assert raw.send('GET', f'/{scene}/upload').body == b'public'


def test_symlink_headers_ignored(raw, scene, swift_api):
    _put(raw, scene, {'X-Symlink-Target': f'{scene}/secret',
                      'X-Symlink-Target-Account': 'AUTH_test'})
    head = swift_api().call('HEAD', f'/{scene}/upload', params={'symlink': 'get'})
    assert head.status_code == 200
    assert 'X-Symlink-Target' not in head.headers
    assert raw.send('GET', f'/{scene}/upload').body == BODY


def test_object_manifest_ignored(raw, scene, swift_api):
    _put(raw, scene, {'X-Object-Manifest': f'{scene}/secret'})
    head = swift_api().call('HEAD', f'/{scene}/upload')
    assert 'X-Object-Manifest' not in head.headers
    assert raw.send('GET', f'/{scene}/upload').body == BODY


def test_static_large_object_ignored(raw, scene, swift_api):
    etag = hashlib.md5(SECRET).hexdigest()
    manifest = json.dumps([{'path': f'/{scene}/secret', 'etag': etag,
                            'size_bytes': len(SECRET)}]).encode()
    _put(raw, scene, {'X-Static-Large-Object': 'true'}, body=manifest)
    head = swift_api().call('HEAD', f'/{scene}/upload')
    assert 'X-Static-Large-Object' not in head.headers
    assert raw.send('GET', f'/{scene}/upload').body == manifest
    # and the same through multipart-manifest=put, the SLO query parameter
    resp = raw.send('PUT', f'/{scene}/upload2', params=[('multipart-manifest', 'put')],
                    body=manifest)
    assert resp.status == 200, resp
    assert raw.send('GET', f'/{scene}/upload2').body == manifest


def test_sysmeta_headers_ignored(raw, scene):
    _put(raw, scene, {'X-Object-Sysmeta-S3c-Storage-Class': 'GLACIER',
                      'X-Object-Transient-Sysmeta-Crypto-Meta': 'x',
                      'X-Object-Meta-Native': 'native'})
    head = raw.send('HEAD', f'/{scene}/upload')
    assert 'x-amz-storage-class' not in head.headers
    assert 'x-amz-meta-native' not in head.headers


def test_expiry_and_timestamp_headers_ignored(raw, scene, swift_api):
    _put(raw, scene, {'X-Delete-At': '1', 'X-Delete-After': '1', 'X-Timestamp': '1.00000',
                      'X-Backend-Timestamp': '1.00000'})
    head = swift_api().call('HEAD', f'/{scene}/upload')
    assert 'X-Delete-At' not in head.headers
    assert not head.headers['Last-Modified'].endswith('1970 00:00:01 GMT')


def test_cve_2026_50221_container_update_headers_ignored(raw, scene, swift_api):
    _put(raw, scene, {
        'X-Container-Update-Override-Etag': 'f' * 32,
        'X-Container-Update-Override-Size': '999999',
        'X-Container-Update-Override-Content-Type': 'evil/type',
        'X-Backend-Container-Update-Override-Etag': 'e' * 32,
        'X-Backend-Container-Update-Override-Size': '888888',
        'X-Container-Host': '127.0.0.1:9', 'X-Container-Device': 'd1',
        'X-Container-Partition': '0', 'X-Backend-Storage-Policy-Index': '7'})
    listing = swift_api().call('GET', f'/{scene}', params={'format': 'json'}).json()
    entry = {e['name']: e for e in listing}['upload']
    assert entry['hash'] == hashlib.md5(BODY).hexdigest()
    assert entry['bytes'] == len(BODY)
    assert entry['content_type'] != 'evil/type'


CONTAINER_HEADERS = {
    'X-Container-Read': '.r:*,.rlistings', 'X-Container-Write': '.r:*',
    'X-Versions-Enabled': 'true', 'X-Versions-Location': 'versions',
    'X-History-Location': 'history', 'X-Container-Meta-Temp-URL-Key': 'k',
    'X-Container-Meta-Access-Control-Allow-Origin': '*',
    'X-Container-Sysmeta-S3c-Owner': 'attacker', 'X-Storage-Policy': 'Policy-0',
    'X-Account-Meta-Temp-URL-Key': 'k', 'X-Account-Access-Control': '{"admin":[".r:*"]}',
}


@pytest.mark.parametrize('existing', [False, True], ids=['create', 'already-owned'])
def test_native_container_headers_on_bucket_put_ignored(raw, make_bucket_name, swift_api,
                                                       s3_proxy, existing):
    bucket = make_bucket_name('native-headers')
    if existing:
        assert raw.send('PUT', f'/{bucket}').status == 200
    resp = raw.send('PUT', f'/{bucket}', add_after_signing=CONTAINER_HEADERS)
    assert resp.status == 200, resp     # re-creating in us-east-1: 200
    assert raw.send('PUT', f'/{bucket}/obj', body=b'private').status == 200
    api = swift_api()
    head = api.call('HEAD', f'/{bucket}')
    for name in CONTAINER_HEADERS:
        if name.startswith('X-Container') or name.startswith('X-Versions') or \
                name == 'X-History-Location':
            assert name not in head.headers, name
    account = api.call('HEAD')
    assert 'X-Account-Meta-Temp-Url-Key' not in account.headers
    assert 'X-Account-Access-Control' not in account.headers
    anonymous = requests.get(f'{api.url}/{bucket}/obj', timeout=30)
    assert anonymous.status_code == 401
    anonymous_put = requests.put(f'{api.url}/{bucket}/obj2', data=b'x', timeout=30)
    assert anonymous_put.status_code == 401


def test_swift_copy_method_not_routed(raw, scene):
    resp = raw.send('COPY', f'/{scene}/secret', add_after_signing={
        'Destination': f'{scene}/stolen'})
    assert resp.status == 405 and resp.code == 'MethodNotAllowed', resp
    assert raw.send('HEAD', f'/{scene}/stolen').status == 404


def test_swift_query_parameters_not_forwarded(raw, scene):
    """multipart-manifest / symlink / format on an S3 GET mean nothing."""
    resp = raw.send('GET', f'/{scene}/secret', params=[
        ('multipart-manifest', 'get'), ('symlink', 'get'), ('format', 'json')])
    assert resp.status == 200 and resp.body == SECRET, resp


# -- swift3 alone (no gatekeeper in front): nothing forwarded -----------------------
CONTROL = {
    'X-Copy-From': '/bucket/CLIENT-SENT', 'X-Copy-From-Account': 'CLIENT-SENT',
    'X-Symlink-Target': 'bucket/CLIENT-SENT', 'X-Symlink-Target-Account': 'CLIENT-SENT',
    'X-Symlink-Target-Etag': 'CLIENT-SENT', 'X-Object-Manifest': 'bucket/CLIENT-SENT',
    'X-Static-Large-Object': 'CLIENT-SENT', 'X-Backend-Storage-Policy-Index': 'CLIENT-SENT',
    'X-Backend-Allow-Reserved-Names': 'CLIENT-SENT', 'X-Object-Sysmeta-S3c-Etag': 'CLIENT-SENT',
    'X-Object-Sysmeta-Slo-Etag': 'CLIENT-SENT', 'X-Container-Sysmeta-S3c-Acl': 'CLIENT-SENT',
    'X-Account-Sysmeta-Quota': 'CLIENT-SENT', 'X-Object-Transient-Sysmeta-X': 'CLIENT-SENT',
    'X-Container-Update-Override-Etag': 'CLIENT-SENT',
    'X-Backend-Container-Update-Override-Etag': 'CLIENT-SENT',
    'X-Container-Host': 'CLIENT-SENT', 'X-Container-Read': 'CLIENT-SENT',
    'X-Container-Write': 'CLIENT-SENT', 'X-Versions-Enabled': 'CLIENT-SENT',
    'X-Versions-Location': 'CLIENT-SENT', 'X-History-Location': 'CLIENT-SENT',
    'X-Delete-At': 'CLIENT-SENT', 'X-Delete-After': 'CLIENT-SENT', 'X-Timestamp': 'CLIENT-SENT',
    'X-Fresh-Metadata': 'CLIENT-SENT', 'X-Newest': 'CLIENT-SENT',
    'X-Object-Meta-Native': 'CLIENT-SENT', 'X-Container-Meta-Temp-Url-Key': 'CLIENT-SENT',
    'X-Account-Meta-Temp-Url-Key': 'CLIENT-SENT', 'Destination': 'CLIENT-SENT',
    'Destination-Account': 'CLIENT-SENT', 'X-Storage-Policy': 'CLIENT-SENT',
    'X-Trans-Id-Extra': 'CLIENT-SENT', 'X-Open-Expired': 'CLIENT-SENT',
    'X-Web-Mode': 'CLIENT-SENT', 'X-Container-Meta-Web-Index': 'CLIENT-SENT',
}


@pytest.mark.parametrize('method,path,params,extra', [
    ('PUT', '/bucket', (), {}),
    ('PUT', '/bucket/k', (), {}),
    ('PUT', '/bucket/copy', (), {'x-amz-copy-source': '/bucket/k'}),
    ('PUT', '/bucket/copy2', (), {'x-amz-copy-source': '/bucket/k',
                                  'x-amz-metadata-directive': 'REPLACE'}),
    ('GET', '/bucket/k', (), {}), ('HEAD', '/bucket/k', (), {}),
    ('DELETE', '/bucket/k', (), {}), ('GET', '/bucket', (), {}), ('GET', '/', (), {}),
    ('GET', '/bucket', (('acl', ''),), {}), ('HEAD', '/bucket', (), {}),
    ('DELETE', '/bucket', (), {}),
])
def test_swift3_forwards_no_client_control_header(method, path, params, extra):
    app = InProcess()
    app.request('PUT', '/bucket')
    app.request('PUT', '/bucket/k', body=b'x')
    app.swift.seen.clear()
    app.request(method, path, params, headers=extra, add_after_signing=CONTROL)
    assert app.swift.seen
    for env in app.swift.seen:
        leaked = sorted(k for k, v in env.items() if isinstance(v, str) and 'CLIENT-SENT' in v)
        assert not leaked, (env['REQUEST_METHOD'], env['PATH_INFO'], leaked)
