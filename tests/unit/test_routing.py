"""The routing table, row by row: every sub-resource × level × method is a
handler, 501 NotImplemented, 405 MethodNotAllowed, or AWS's 404 code for a
configuration that is not set -- and never the plain bucket or object
operation (``DELETE /b?lifecycle`` must not delete the bucket)."""
from __future__ import annotations

import io
import itertools
from typing import Any, Dict, List, Optional, Tuple

import pytest

from swift3compat import config, errors
from swift3compat.api import routes
from swift3compat.api import bucket, multi_delete, obj, versioning
from swift3compat.swift import versions
from swift3compat.http.request import S3Request

CONF = config.load({})
LEVELS = {'service': '/', 'bucket': '/bkt', 'object': '/bkt/k'}
METHODS = ('GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS')
# Query parameters that modify the plain operation instead of naming a
# sub-resource of their own.
MODIFIERS = ('versionId', 'partNumber')
# Every S3 sub-resource the issue names; routes.SUBRESOURCES may hold more.
ISSUE_SUBRESOURCES = (
    'accelerate', 'acl', 'analytics', 'attributes', 'cors', 'delete',
    'encryption', 'intelligent-tiering', 'inventory', 'legal-hold',
    'lifecycle', 'location', 'logging', 'metrics', 'notification',
    'object-lock', 'ownershipControls', 'partNumber', 'policy',
    'policyStatus', 'publicAccessBlock', 'replication', 'requestPayment',
    'restore', 'retention', 'select', 'tagging', 'torrent', 'uploadId',
    'uploads', 'versionId', 'versioning', 'versions', 'website')
# The 404 code AWS answers for GET of a bucket configuration never set.
UNSET_CODES = {
    'lifecycle': 'NoSuchLifecycleConfiguration',
    'cors': 'NoSuchCORSConfiguration',
    'policy': 'NoSuchBucketPolicy',
    'policyStatus': 'NoSuchBucketPolicy',
    'tagging': 'NoSuchTagSet',
    'website': 'NoSuchWebsiteConfiguration',
    'object-lock': 'ObjectLockConfigurationNotFoundError',
    'ownershipControls': 'OwnershipControlsNotFoundError',
    'publicAccessBlock': 'NoSuchPublicAccessBlockConfiguration',
    'replication': 'ReplicationConfigurationNotFoundError',
    'encryption': 'ServerSideEncryptionConfigurationNotFoundError',
}
PLAIN_HANDLERS = {handler for (level, sub, method), handler
                  in routes.ROUTES.items() if sub == ''}


def make_req(method: str, path: str, query: str = '', body: bytes = b'',
             headers: Optional[Dict[str, str]] = None) -> S3Request:
    env = {'REQUEST_METHOD': method, 'PATH_INFO': path,
           'QUERY_STRING': query, 'wsgi.input': io.BytesIO(body),
           'CONTENT_LENGTH': str(len(body)), 'HTTP_HOST': 'localhost'}
    for name, value in (headers or {}).items():
        env['HTTP_' + name.upper().replace('-', '_')] = value
    return S3Request(env, CONF)


class FakeResponse:
    def __init__(self, status: int = 200,
                 headers: Optional[Dict[str, str]] = None,
                 body: bytes = b'') -> None:
        self.status_int = status
        self.headers = headers or {}
        self.body = body


class FakeBackend:
    """Records subrequests; answers each with ``response``."""

    def __init__(self, response: Optional[FakeResponse] = None) -> None:
        self.calls: List[Tuple[str, Any, Any, Dict[str, Any]]] = []
        self.response = response or FakeResponse()
        self.account = 'AUTH_test'
        self.caller_id = None       # no s3_acl: nobody but the account

    def request(self, method: str, container: Optional[str] = None,
                obj_name: Optional[str] = None, **kwargs: Any
                ) -> FakeResponse:
        self.calls.append((method, container, obj_name, kwargs))
        return self.response

    def container_exists(self, container: Optional[str]) -> bool:
        return True


def outcome(sub: str, level: str, method: str):
    """('handler', h) | ('error', status) for one routing-table cell."""
    query = sub if sub not in ('versionId', 'partNumber', 'uploadId') \
        else sub + '=1'
    try:
        return 'handler', routes.route(make_req(method, LEVELS[level],
                                                query))
    except errors.S3Error as err:
        return 'error', err


CELLS = list(itertools.product(routes.SUBRESOURCES, LEVELS, METHODS))


@pytest.mark.parametrize('sub,level,method', CELLS,
                         ids=['-'.join(c) for c in CELLS])
def test_every_cell_is_routed_on_purpose(sub, level, method):
    kind, value = outcome(sub, level, method)
    if kind == 'error':
        assert isinstance(value, errors.NotImplemented)
        assert value.status == 501
        return
    # A row of its own, never the plain bucket/object operation.
    assert routes.ROUTES[(level, sub, method)] is value
    assert value not in PLAIN_HANDLERS, (sub, level, method, value)
    if value.__name__.startswith('unset_'):
        assert (level, method) == ('bucket', 'GET')


@pytest.mark.parametrize('level,method', itertools.product(LEVELS, METHODS))
def test_plain_operations(level, method):
    kind, value = outcome('', level, method)
    if kind == 'handler':
        assert value in PLAIN_HANDLERS
    else:
        assert isinstance(value, errors.MethodNotAllowed)
        assert value.status == 405


UNSET_ROWS = sorted(sub for (level, sub, method), handler
                    in routes.ROUTES.items()
                    if handler.__name__.startswith('unset_'))


@pytest.mark.parametrize('sub', UNSET_ROWS)
def test_unset_configuration_answers_the_aws_404(sub):
    handler = routes.ROUTES[('bucket', sub, 'GET')]
    backend = FakeBackend()
    with pytest.raises(errors.S3Error) as exc:
        handler(make_req('GET', '/bkt', sub), backend)
    assert (exc.value.code, exc.value.status) == (UNSET_CODES[sub], 404)
    # ... after checking that the bucket exists (NoSuchBucket otherwise).
    assert backend.calls[0][:3] == ('HEAD', 'bkt', None)


@pytest.mark.parametrize('sub', sorted(UNSET_CODES))
def test_configurable_subresources_have_a_get(sub):
    """Each configuration AWS stores answers GET: its handler once
    implemented, until then the 404 (tested above)."""
    assert ('bucket', sub, 'GET') in routes.ROUTES


def test_every_s3_subresource_is_known():
    known = set(routes.SUBRESOURCES) | set(MODIFIERS)
    assert set(ISSUE_SUBRESOURCES) <= known
    assert not set(MODIFIERS) & set(routes.SUBRESOURCES)


@pytest.mark.parametrize('method,path,query,expected', [
    ('GET', '/bkt/k', 'versionId=123', obj.get_object),
    ('HEAD', '/bkt/k', 'versionId=123', obj.head_object),
    ('DELETE', '/bkt/k', 'versionId=123', obj.delete_object),
    ('GET', '/bkt/k', 'partNumber=1', obj.get_object),
    # Unknown parameters are ignored, as AWS does (SDKs send x-id).
    ('GET', '/bkt', 'x-id=ListObjects&prefix=a&bogus', bucket.list_objects),
    ('PUT', '/bkt/k', 'x-id=PutObject&foo=bar', obj.put_object),
    ('GET', '/bkt', 'versions&prefix=a&key-marker=b',
     versioning.list_object_versions),
    ('GET', '/bkt', 'versioning', versioning.get_bucket_versioning),
    ('PUT', '/bkt', 'versioning', versioning.put_bucket_versioning),
    ('POST', '/bkt', 'delete', multi_delete.delete_objects),
    # A sub-resource wins over the modifiers.
    ('GET', '/bkt', 'versions&versionId=1', versioning.list_object_versions),
])
def test_specific_rows(method, path, query, expected):
    assert routes.route(make_req(method, path, query)) is expected


@pytest.mark.parametrize('method,path,query', [
    ('POST', '/bkt', 'lifecycle'), ('PUT', '/bkt', 'replication'),
    ('DELETE', '/bkt', 'replication'), ('POST', '/bkt/k', 'tagging'),
    ('POST', '/bkt/k', 'restore'),
    ('POST', '/bkt/k', 'select&select-type=2'), ('GET', '/bkt/k', 'torrent'),
    ('GET', '/bkt', 'analytics&id=x'), ('DELETE', '/bkt', 'metrics&id=x'),
    ('GET', '/bkt', 'inventory'), ('PUT', '/bkt', 'intelligent-tiering'),
    ('PUT', '/bkt/k', 'attributes'), ('GET', '/', 'acl'),
])
def test_known_but_not_implemented(method, path, query):
    with pytest.raises(errors.NotImplemented):
        routes.route(make_req(method, path, query))


# -- the default-only configuration rows ------------------------------------
# (root element, a body asking for the default, one asking for more).
ONLY_DEFAULT_BODIES = {
    'BucketLoggingStatus': (
        b'<BucketLoggingStatus xmlns="http://s3.amazonaws.com/doc/'
        b'2006-03-01/"/>',
        b'<BucketLoggingStatus><LoggingEnabled><TargetBucket>b'
        b'</TargetBucket><TargetPrefix>l/</TargetPrefix></LoggingEnabled>'
        b'</BucketLoggingStatus>'),
    'AccelerateConfiguration': (
        b'<AccelerateConfiguration><Status>Suspended</Status>'
        b'</AccelerateConfiguration>',
        b'<AccelerateConfiguration><Status>Enabled</Status>'
        b'</AccelerateConfiguration>'),
    'NotificationConfiguration': (
        b'<NotificationConfiguration/>',
        b'<NotificationConfiguration><TopicConfiguration/>'
        b'</NotificationConfiguration>'),
}
ONLY_DEFAULT_ROWS = sorted(
    (sub, handler.__name__[len('only_default_'):])
    for (level, sub, method), handler in routes.ROUTES.items()
    if handler.__name__.startswith('only_default_'))


def _put(sub: str, body: bytes):
    backend = FakeBackend()
    handler = routes.route(make_req('PUT', '/bkt', sub, body))
    return handler(make_req('PUT', '/bkt', sub, body), backend), backend


def test_only_default_rows_exist():
    assert ('accelerate', 'AccelerateConfiguration') in ONLY_DEFAULT_ROWS


@pytest.mark.parametrize('sub,root', ONLY_DEFAULT_ROWS)
def test_default_configuration_accepted(sub, root):
    resp, backend = _put(sub, ONLY_DEFAULT_BODIES[root][0])
    assert resp.status == 200
    # Checked the bucket, changed nothing.
    assert [c[:3] for c in backend.calls] == [('HEAD', 'bkt', None)]


@pytest.mark.parametrize('sub,root', ONLY_DEFAULT_ROWS)
def test_other_configuration_refused(sub, root):
    with pytest.raises(errors.NotImplemented):
        _put(sub, ONLY_DEFAULT_BODIES[root][1])
    for body in (b'not xml', b'<Other/>'):
        with pytest.raises(errors.MalformedXML):
            _put(sub, body)


# -- versioning helpers -------------------------------------------------------
@pytest.mark.parametrize('version,valid', [
    ('null', True), ('1700000000.12345', True),
    ('1700000000.12345_0000000000000001', True), ('1700000000', False),
    ('1e5', False), ('', False), ('garbage', False), ('-1', False)])
def test_version_id_format(version, valid):
    assert versions.valid_version_id(version) is valid


@pytest.mark.parametrize('body,expected', [
    (b'<VersioningConfiguration><Status>Enabled</Status>'
     b'</VersioningConfiguration>', 'Enabled'),
    (b'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/'
     b'2006-03-01/"><Status>Suspended</Status></VersioningConfiguration>',
     'Suspended'),
    (b'<VersioningConfiguration><MfaDelete>Disabled</MfaDelete>'
     b'</VersioningConfiguration>', None),
    (b'<VersioningConfiguration/>', None),
])
def test_versioning_body(body, expected):
    assert versioning._parse_versioning(body) == expected


@pytest.mark.parametrize('body,code', [
    (b'<VersioningConfiguration><Status>enabled</Status>'
     b'</VersioningConfiguration>', 'MalformedXML'),
    (b'<VersioningConfiguration><Status/></VersioningConfiguration>',
     'MalformedXML'),
    (b'<VersioningConfiguration><Foo/></VersioningConfiguration>',
     'MalformedXML'),
    (b'<Versioning><Status>Enabled</Status></Versioning>', 'MalformedXML'),
    (b'<VersioningConfiguration><Status>Enabled</Status><MfaDelete>Enabled'
     b'</MfaDelete></VersioningConfiguration>', 'NotImplemented'),
])
def test_versioning_bad_body(body, code):
    with pytest.raises(errors.S3Error) as exc:
        versioning._parse_versioning(body)
    assert exc.value.code == code


def test_versions_listing_markers_are_checked():
    for query in ('versions&version-id-marker=1700000000.12345',
                  'versions&key-marker=a&version-id-marker=bad',
                  'versions&delimiter=1'):
        with pytest.raises(errors.InvalidArgument):
            versioning.list_object_versions(make_req('GET', '/bkt', query),
                                            FakeBackend())


def test_versions_listing_stays_within_swift_listing_limit():
    req = make_req('GET', '/bkt', 'versions&max-keys=10000')
    req.conf = config.load({'max_bucket_listing': '9999'})
    backend = FakeBackend(FakeResponse(body=b'[]'))
    resp = versioning.list_object_versions(req, backend)
    query = backend.calls[0][3]['query']
    assert int(query['limit']) <= 10000
    assert b'<MaxKeys>9999</MaxKeys>' in resp.body


@pytest.mark.parametrize('name, dns, valid', [
    ('my-bucket', True, True), ('my.bucket.1', True, True),
    ('My_Bucket', True, False), ('My_Bucket', False, True),
    ('192.168.1.1', True, False), ('a..b', True, False), ('ab', True, False),
    ('xn--bucket', True, False), ('b-s3alias', True, False),
    ('sthree-b', True, False), ('has+plus', False, False)])
def test_bucket_names_are_judged_alike_when_remembered(name, dns, valid):
    """Valid names are remembered per rule set; a second look (served by
    the memo) and the other rule set give the rules' own answers."""
    from swift3compat.http import request
    for _ in range(2):
        assert request.valid_bucket_name(name, dns) is valid
        assert request.valid_bucket_name(name, not dns) is \
            request._valid_bucket_name(name, not dns)
    assert (name in request._VALID_NAMES[dns]) is valid
