"""Every XML request body: no entity resolved, no network, bounded size.

Rows: CVE-2022-47950 / OSSA-2023-001 (XML external entities reflected in
responses ⇒ arbitrary file read), Swift bug 2153513 (an oversized chunked XML
body had its prefix parsed) and the observed "XML entities in ACL bodies"
(a DOCTYPE in PUT ?acl gave a 500). Model: Swift's
test/functional/s3api/test_xxe_injection.py.

Each hostile body names a marker file (``file://``) and a listener on
loopback (``http://``): the marker must never appear in a response and the
listener must never be contacted.
"""
from __future__ import annotations

import base64
import hashlib
import socket
import threading
import uuid
from typing import Iterator

import pytest
from lxml import etree

from tests.security.s3raw import is_s3_error


class Listener:
    """A TCP port on loopback that counts connections (an entity URL target)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.hits += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope='module')
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


@pytest.fixture(scope='module')
def marker(tmp_path_factory) -> tuple[str, str]:
    """(file URL, secret content) of a file the proxy could read."""
    secret = 'XXE-MARKER-' + uuid.uuid4().hex
    path = tmp_path_factory.mktemp('xxe') / 'secret.txt'
    path.write_text(secret)
    return f'file://{path}', secret


def payloads(root: str, inner: str, url: str, net: str) -> dict[str, bytes]:
    """Hostile variants of ``<root>inner</root>``; ``&e;`` marks where an
    entity is referenced in ``inner``."""
    ns = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
    doc = f'<{root} {ns}>{inner}</{root}>'
    laughs = '<!ENTITY a0 "lol">' + ''.join(
        f'<!ENTITY a{i} "{("&a%d;" % (i - 1)) * 10}">' for i in range(1, 10))
    out = {
        'external_entity': f'<?xml version="1.0"?><!DOCTYPE {root} '
                           f'[<!ENTITY e SYSTEM "{url}">]>{doc}',
        'network_entity': f'<?xml version="1.0"?><!DOCTYPE {root} '
                          f'[<!ENTITY e SYSTEM "{net}/e">]>{doc}',
        'parameter_entity': f'<?xml version="1.0"?><!DOCTYPE {root} [<!ENTITY % p SYSTEM '
                            f'"{net}/p.dtd"> %p; <!ENTITY e "x">]>{doc}',
        'external_dtd': f'<?xml version="1.0"?><!DOCTYPE {root} SYSTEM "{net}/x.dtd">'
                        + doc.replace('&e;', 'x'),
        'billion_laughs': f'<?xml version="1.0"?><!DOCTYPE {root} [{laughs}'
                          f'<!ENTITY e "&a9;">]>{doc}',
        'internal_entity': f'<!DOCTYPE {root} [<!ENTITY e "victim">]>{doc}',
        'xinclude': doc.replace('&e;', f'<xi:include xmlns:xi="http://www.w3.org/2001/'
                                       f'XInclude" href="{url}" parse="text"/>'),
        'stylesheet': f'<?xml-stylesheet type="text/xsl" href="{net}/s.xsl"?>'
                      + doc.replace('&e;', 'x'),
    }
    encoded = {name: body.encode() for name, body in out.items()}
    utf16 = out['external_entity'].replace('<?xml version="1.0"?>',
                                           '<?xml version="1.0" encoding="UTF-16"?>')
    encoded['external_entity_utf16'] = utf16.encode('utf-16')
    encoded['external_entity_utf16_no_decl'] = out['external_entity'].replace(
        '<?xml version="1.0"?>', '').encode('utf-16-be')
    utf32 = out['parameter_entity'].replace('<?xml version="1.0"?>',
                                            '<?xml version="1.0" encoding="UTF-32"?>')
    encoded['parameter_entity_utf32'] = utf32.encode('utf-32')
    encoded['lowercase_doctype'] = out['external_entity'].replace('DOCTYPE', 'doctype') \
        .encode()
    return encoded


def md5_header(body: bytes) -> dict[str, str]:
    return {'content-md5': base64.b64encode(hashlib.md5(body).digest()).decode()}


# op: (method, level, query, root element, inner with &e;, accepted error codes)
IMPLEMENTED = {
    'create_bucket': ('PUT', 'new-bucket', '', 'CreateBucketConfiguration',
                      '<LocationConstraint>&e;</LocationConstraint>', {'MalformedXML'}),
    'put_bucket_acl': ('PUT', 'bucket', 'acl', 'AccessControlPolicy',
                       '<Owner><ID>&e;</ID></Owner><AccessControlList><Grant><Grantee '
                       'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                       'xsi:type="CanonicalUser"><ID>&e;</ID></Grantee><Permission>'
                       'FULL_CONTROL</Permission></Grant></AccessControlList>',
                       {'MalformedACLError', 'MalformedXML'}),
    'put_object_acl': ('PUT', 'object', 'acl', 'AccessControlPolicy',
                       '<Owner><ID>&e;</ID></Owner><AccessControlList/>',
                       {'MalformedACLError', 'MalformedXML'}),
    'delete_objects': ('POST', 'bucket', 'delete', 'Delete',
                       '<Object><Key>&e;</Key></Object>', {'MalformedXML'}),
    'complete_multipart_upload': ('POST', 'upload', 'uploadId', 'CompleteMultipartUpload',
                                  '<Part><PartNumber>1</PartNumber><ETag>&e;</ETag></Part>',
                                  {'MalformedXML'}),
}
NOT_IMPLEMENTED = {
    # (method, level, sub-resource, root element)
    'put_bucket_versioning': ('PUT', 'bucket', 'versioning', 'VersioningConfiguration'),
    'put_bucket_tagging': ('PUT', 'bucket', 'tagging', 'Tagging'),
    'put_object_tagging': ('PUT', 'object', 'tagging', 'Tagging'),
    'put_bucket_lifecycle': ('PUT', 'bucket', 'lifecycle', 'LifecycleConfiguration'),
    'put_bucket_cors': ('PUT', 'bucket', 'cors', 'CORSConfiguration'),
    'put_bucket_website': ('PUT', 'bucket', 'website', 'WebsiteConfiguration'),
    'put_bucket_notification': ('PUT', 'bucket', 'notification',
                                'NotificationConfiguration'),
    'put_bucket_logging': ('PUT', 'bucket', 'logging', 'BucketLoggingStatus'),
    'put_bucket_replication': ('PUT', 'bucket', 'replication', 'ReplicationConfiguration'),
    'put_bucket_encryption': ('PUT', 'bucket', 'encryption',
                              'ServerSideEncryptionConfiguration'),
    'put_bucket_object_lock': ('PUT', 'bucket', 'object-lock', 'ObjectLockConfiguration'),
    'put_public_access_block': ('PUT', 'bucket', 'publicAccessBlock',
                                'PublicAccessBlockConfiguration'),
    'put_ownership_controls': ('PUT', 'bucket', 'ownershipControls', 'OwnershipControls'),
    'put_bucket_accelerate': ('PUT', 'bucket', 'accelerate', 'AccelerateConfiguration'),
    'put_request_payment': ('PUT', 'bucket', 'requestPayment',
                            'RequestPaymentConfiguration'),
    'put_object_retention': ('PUT', 'object', 'retention', 'Retention'),
    'put_object_legal_hold': ('PUT', 'object', 'legal-hold', 'LegalHold'),
    'restore_object': ('POST', 'object', 'restore', 'RestoreRequest'),
    'select_object': ('POST', 'object', 'select', 'SelectObjectContentRequest'),
    'put_bucket_inventory': ('PUT', 'bucket', 'inventory', 'InventoryConfiguration'),
    'put_bucket_metrics': ('PUT', 'bucket', 'metrics', 'MetricsConfiguration'),
    'put_bucket_analytics': ('PUT', 'bucket', 'analytics', 'AnalyticsConfiguration'),
    'put_intelligent_tiering': ('PUT', 'bucket', 'intelligent-tiering',
                                'IntelligentTieringConfiguration'),
}
VARIANTS = sorted(payloads('R', '&e;', 'file:///x', 'http://h'))
# Without a DOCTYPE: XInclude and a stylesheet PI, which must simply not be processed.
NO_DOCTYPE = ('xinclude', 'stylesheet')


@pytest.fixture
def target(raw, bucket, make_bucket_name):
    """Paths by level: an existing bucket with an object, a new bucket name,
    and a multipart upload with one part (its id is the ``uploadId`` value)."""
    assert raw.send('PUT', f'/{bucket}/object', body=b'x').status == 200
    created = raw.send('POST', f'/{bucket}/mpu', params=[('uploads', '')])
    assert created.status == 200, created
    upload_id = etree.fromstring(created.body).findtext('{*}UploadId')
    assert raw.send('PUT', f'/{bucket}/mpu', params=[('partNumber', '1'),
                                                      ('uploadId', upload_id)],
                    body=b'part').status == 200
    return {'bucket': f'/{bucket}', 'object': f'/{bucket}/object',
            'new-bucket': '/' + make_bucket_name('xxe-new'), 'upload': f'/{bucket}/mpu',
            'upload_id': upload_id}


def _check_no_leak(resp, secret: str, listener: Listener, hits_before: int) -> None:
    assert secret.encode() not in resp.body, resp
    for encoding in ('utf-16', 'utf-16-be', 'utf-32'):
        assert secret.encode(encoding)[4:] not in resp.body
    assert listener.hits == hits_before, 'the proxy fetched an entity over the network'


@pytest.mark.parametrize('variant', VARIANTS)
@pytest.mark.parametrize('op', sorted(IMPLEMENTED))
def test_cve_2022_47950_xxe_implemented_ops(raw, target, marker, listener, op, variant):
    method, level, sub, root, inner, codes = IMPLEMENTED[op]
    url, secret = marker
    body = payloads(root, inner, url, f'http://127.0.0.1:{listener.port}')[variant]
    hits = listener.hits
    value = target['upload_id'] if sub == 'uploadId' else ''
    resp = raw.send(method, target[level], params=[(sub, value)] if sub else (), body=body,
                    headers=md5_header(body))
    _check_no_leak(resp, secret, listener, hits)
    if level == 'upload':      # the upload must still be there, untouched
        parts = raw.send('GET', target['upload'], params=[('uploadId', target['upload_id'])])
        assert parts.status == 200 and parts.body.count(b'<Part>') == 1, parts
    if variant in NO_DOCTYPE:   # a plain document: parsed, the reference ignored
        assert resp.status < 500 or resp.code == 'NotImplemented', resp
        return
    assert resp.status == 400 and resp.code in codes, resp
    if level == 'new-bucket':
        assert raw.send('HEAD', target[level]).status == 404


@pytest.mark.parametrize('variant', VARIANTS)
@pytest.mark.parametrize('op', sorted(NOT_IMPLEMENTED))
def test_cve_2022_47950_xxe_not_implemented_ops(raw, target, marker, listener, op, variant):
    method, level, sub, root = NOT_IMPLEMENTED[op]
    url, secret = marker
    body = payloads(root, '<Status>&e;</Status>', url,
                    f'http://127.0.0.1:{listener.port}')[variant]
    hits = listener.hits
    resp = raw.send(method, target[level], params=[(sub, '')], body=body,
                    headers=md5_header(body))
    _check_no_leak(resp, secret, listener, hits)
    assert is_s3_error(resp) and resp.status in (400, 501), resp


def test_xxe_key_never_resolved_to_an_existing_object(raw, bucket, marker):
    """If the entity were resolved, DeleteObjects would delete the object
    whose name is the marker file's content."""
    url, secret = marker
    assert raw.send('PUT', f'/{bucket}/{secret}', body=b'x').status == 200
    body = (f'<?xml version="1.0"?><!DOCTYPE Delete [<!ENTITY e SYSTEM "{url}">]>'
            '<Delete><Object><Key>&e;</Key></Object></Delete>').encode()
    resp = raw.send('POST', f'/{bucket}', params=[('delete', '')], body=body,
                    headers=md5_header(body))
    assert resp.status == 400 and resp.code == 'MalformedXML', resp
    assert raw.send('HEAD', f'/{bucket}/{secret}').status == 200


# -- bug 2153513: bounded size, both framings ------------------------------------
LIMIT = 1024        # the smallest max_xml_body_size


@pytest.fixture(scope='module')
def small_xml_raw(proxy_factory, raw_factory):
    from tests.functional.conftest import DEFAULT_S3_OPTIONS
    return raw_factory(proxy=proxy_factory(**DEFAULT_S3_OPTIONS,
                                           max_xml_body_size=str(LIMIT)))


def _delete_body(size: int) -> bytes:
    """A Delete document of exactly ``size`` bytes whose every prefix of at
    least its first element is itself a valid document (whitespace padding)."""
    doc = b'<Delete><Object><Key>victim</Key></Object></Delete>'
    return doc + b' ' * (size - len(doc))


@pytest.mark.parametrize('chunked', [False, True], ids=['content-length', 'chunked'])
def test_bug_2153513_oversized_xml_refused_not_truncated(small_xml_raw, make_bucket_name,
                                                         chunked):
    raw = small_xml_raw
    bucket = make_bucket_name('xml-limit')
    assert raw.send('PUT', f'/{bucket}').status == 200
    assert raw.send('PUT', f'/{bucket}/victim', body=b'x').status == 200
    body = _delete_body(LIMIT + 1)
    resp = raw.send('POST', f'/{bucket}', params=[('delete', '')], body=body,
                    headers=md5_header(body), chunked=chunked)
    assert resp.status == 400 and resp.code == 'MaxMessageLengthExceeded', resp
    assert raw.send('HEAD', f'/{bucket}/victim').status == 200
    # The limit itself is allowed: the refusal above is about size.
    body = _delete_body(LIMIT)
    resp = raw.send('POST', f'/{bucket}', params=[('delete', '')], body=body,
                    headers=md5_header(body), chunked=chunked)
    assert resp.status == 200, resp
    assert raw.send('HEAD', f'/{bucket}/victim').status == 404


@pytest.mark.parametrize('chunked', [False, True], ids=['content-length', 'chunked'])
@pytest.mark.parametrize('op', ['create_bucket', 'put_bucket_acl'])
def test_bug_2153513_oversized_xml_other_ops(small_xml_raw, make_bucket_name, chunked, op):
    raw = small_xml_raw
    bucket = make_bucket_name('xml-limit')
    if op == 'create_bucket':
        body = b'<CreateBucketConfiguration/>' + b' ' * LIMIT
        resp = raw.send('PUT', f'/{bucket}', body=body, chunked=chunked)
        assert resp.status == 400 and resp.code == 'MaxMessageLengthExceeded', resp
        assert raw.send('HEAD', f'/{bucket}').status == 404
        return
    assert raw.send('PUT', f'/{bucket}').status == 200
    body = b'<AccessControlPolicy/>' + b' ' * LIMIT
    resp = raw.send('PUT', f'/{bucket}', params=[('acl', '')], body=body, chunked=chunked)
    assert resp.status == 400 and resp.code == 'MaxMessageLengthExceeded', resp


def test_huge_declared_length_refused_before_reading(small_xml_raw, bucket):
    """Content-Length far beyond the limit: refused without waiting for a body."""
    q, hdrs, _ = small_xml_raw.sign('POST', f'/{bucket}', [('delete', '')],
                                    payload='UNSIGNED-PAYLOAD')
    hdrs['content-md5'] = '1B2M2Y8AsgTpgAmY7PhCfg=='
    resp = small_xml_raw.request('POST', f'/{bucket}?delete=', hdrs, b'<Delete>',
                                 content_length=10 ** 12)
    assert resp.status == 400 and resp.code == 'MaxMessageLengthExceeded', resp


# -- issue 13: a bound per operation, far below max_xml_body_size ---------------------
@pytest.mark.parametrize('op', ['create_bucket', 'delete_objects', 'acl'])
def test_per_operation_bound_below_the_configured_maximum(raw, make_bucket_name, op):
    """3 MiB bodies were parsed and applied for CreateBucket and DeleteObjects
    (max_xml_body_size is 4 MiB, for CompleteMultipartUpload's 10,000 parts)."""
    bucket = make_bucket_name('xml-bound')
    if op == 'create_bucket':
        body = b'<CreateBucketConfiguration/>' + b' ' * (3 * 1024 * 1024)
        resp = raw.send('PUT', f'/{bucket}', body=body)
        assert resp.status == 400 and resp.code == 'MaxMessageLengthExceeded', resp
        assert raw.send('HEAD', f'/{bucket}').status == 404
        return
    assert raw.send('PUT', f'/{bucket}').status == 200
    assert raw.send('PUT', f'/{bucket}/victim', body=b'x').status == 200
    if op == 'delete_objects':
        body = _delete_body(3 * 1024 * 1024)
        resp = raw.send('POST', f'/{bucket}', params=[('delete', '')], body=body,
                        headers=md5_header(body))
    else:
        body = b'<AccessControlPolicy/>' + b' ' * (100 * 1024)
        resp = raw.send('PUT', f'/{bucket}', params=[('acl', '')], body=body)
    assert resp.status == 400 and resp.code == 'MaxMessageLengthExceeded', resp
    assert raw.send('HEAD', f'/{bucket}/victim').status == 200
