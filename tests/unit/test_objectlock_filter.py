"""The objectlock filter's decisions, on a fake Swift behind it.

The real proof (a real cluster, the Swift API, S3 clients) is in
tests/functional/test_object_lock_native.py; this covers each rule once,
quickly, including the ones only internal clients can reach."""
from __future__ import annotations

import calendar
from typing import Dict, List, Tuple

import pytest
from swift.common.swob import Request, Response

from swift3compat import objectlock
from swift3compat.model import object_lock as model

NOW = float(calendar.timegm((2026, 1, 1, 0, 0, 0, 0, 0, 0)))
LOCKED_UNTIL = '2026-01-02T00:00:00.000Z'
VERSIONS = objectlock.VERSIONS_PREFIX


class FakeSwift:
    """Containers with sysmeta; objects (and versions) with headers."""

    def __init__(self) -> None:
        self.containers: Dict[str, Dict[str, str]] = {}
        self.objects: Dict[Tuple[str, str], Dict[str, str]] = {}
        self.calls: List[Tuple[str, str, str]] = []
        self.account_sysmeta: Dict[str, str] = {}

    def __call__(self, env, start_response):
        req = Request(env)
        self.calls.append((req.method, req.path_info, env.get('QUERY_STRING', '')))
        parts = req.path_info.split('/', 4)[2:]
        if len(parts) == 1:
            return Response(status=204, headers=self.account_sysmeta)(
                env, start_response)
        if len(parts) == 2:
            sysmeta = self.containers.get(parts[1])
            if sysmeta is None:
                return Response(status=404)(env, start_response)
            return Response(status=204, headers=sysmeta)(env, start_response)
        key = (parts[1], parts[2])
        if req.method == 'HEAD':
            version = req.params.get('version-id')
            if version:
                key = (parts[1], '%s?%s' % (parts[2], version))
            if key not in self.objects:
                return Response(status=404)(env, start_response)
            return Response(status=200, headers=self.objects[key])(
                env, start_response)
        if req.method == 'PUT':
            self.objects[key] = {k: v for k, v in req.headers.items()
                                 if k.startswith('X-Object-')}
            return Response(status=201)(env, start_response)
        return Response(status=204)(env, start_response)


def lock_bucket(swift: FakeSwift, name: str = 'b', *, versioned=True,
                default: str = 'Enabled') -> None:
    swift.containers[name] = {
        objectlock.BUCKET_LOCK_SYSMETA: default,
        'X-Container-Sysmeta-Versions-Enabled': 'true' if versioned
        else 'false'}


def locked(mode='COMPLIANCE', until=LOCKED_UNTIL, hold=''):
    return {objectlock.RETENTION_SYSMETA: '%s %s' % (mode, until)
            if mode else '',
            objectlock.LEGAL_HOLD_SYSMETA: hold}


@pytest.fixture
def swift():
    return FakeSwift()


@pytest.fixture
def app(swift):
    return objectlock.ObjectLockMiddleware(swift, {}, clock=lambda: NOW)


def call(app, method, path, headers=None, environ=None):
    req = Request.blank(path, environ=dict({'REQUEST_METHOD': method},
                                           **(environ or {})),
                        headers=headers or {})
    return req.get_response(app)


def test_version_delete_refused_then_allowed_after_retention(swift):
    lock_bucket(swift)
    swift.objects[('b', 'o?123.45')] = locked()
    app = objectlock.ObjectLockMiddleware(swift, {}, clock=lambda: NOW)
    resp = call(app, 'DELETE', '/v1/a/b/o?version-id=123.45')
    assert resp.status_int == 403
    assert b'COMPLIANCE' in resp.body
    later = objectlock.ObjectLockMiddleware(
        swift, {}, clock=lambda: model.parse_date(LOCKED_UNTIL) + 1)
    assert call(later, 'DELETE', '/v1/a/b/o?version-id=123.45'
                ).status_int == 204


def test_plain_delete_is_a_delete_marker(app, swift):
    lock_bucket(swift)
    swift.objects[('b', 'o')] = locked()
    assert call(app, 'DELETE', '/v1/a/b/o').status_int == 204


def test_manifest_delete_refused(app, swift):
    lock_bucket(swift)
    swift.objects[('b', 'o')] = locked()
    assert call(app, 'DELETE', '/v1/a/b/o?multipart-manifest=delete'
                ).status_int == 403


def test_legal_hold_blocks_even_without_retention(app, swift):
    lock_bucket(swift)
    swift.objects[('b', 'o?1.0')] = locked(mode='', hold='ON')
    assert call(app, 'DELETE', '/v1/a/b/o?version-id=1.0').status_int == 403
    swift.objects[('b', 'o?1.0')] = locked(mode='', hold='OFF')
    assert call(app, 'DELETE', '/v1/a/b/o?version-id=1.0').status_int == 204


def test_governance_blocks_native_api(app, swift):
    # the Swift API has no bypass header
    lock_bucket(swift)
    swift.objects[('b', 'o?1.0')] = locked(mode='GOVERNANCE')
    assert call(app, 'DELETE', '/v1/a/b/o?version-id=1.0',
                {'X-Amz-Bypass-Governance-Retention': 'true'}
                ).status_int == 403


def test_post_to_locked_version_refused(app, swift):
    lock_bucket(swift)
    swift.objects[('b', 'o')] = locked()
    assert call(app, 'POST', '/v1/a/b/o',
                {'X-Object-Meta-A': 'b'}).status_int == 403
    assert call(app, 'POST', '/v1/a/b/o',
                {'X-Delete-At': '1'}).status_int == 403
    swift.objects[('b', 'p')] = {}
    assert call(app, 'POST', '/v1/a/b/p',
                {'X-Object-Meta-A': 'b'}).status_int == 204


def test_overwrite_without_versioning_refused(app, swift):
    lock_bucket(swift, versioned=False)
    swift.objects[('b', 'o')] = locked()
    assert call(app, 'PUT', '/v1/a/b/o').status_int == 403
    assert call(app, 'DELETE', '/v1/a/b/o').status_int == 403
    assert call(app, 'COPY', '/v1/a/b/x',
                {'Destination': 'b/o'}).status_int == 403
    assert call(app, 'PUT', '/v1/a/b/new').status_int == 201


def test_new_version_gets_default_retention(app, swift):
    lock_bucket(swift, default='Enabled GOVERNANCE 1d')
    assert call(app, 'PUT', '/v1/a/b/o').status_int == 201
    stored = swift.objects[('b', 'o')][objectlock.RETENTION_SYSMETA.title()]
    assert stored == 'GOVERNANCE 2026-01-02T00:00:00.000Z'
    resp = call(app, 'PUT', '/v1/a/b/o', {'X-Delete-After': '10'})
    assert resp.status_int == 403
    assert b'X-Delete-At' in resp.body


def test_versioning_cannot_be_turned_off(app, swift):
    lock_bucket(swift)
    assert call(app, 'POST', '/v1/a/b', {'X-Versions-Enabled': 'false'}
                ).status_int == 403
    assert call(app, 'PUT', '/v1/a/b', {'X-History-Location': 'x'}
                ).status_int == 403
    assert call(app, 'POST', '/v1/a/b', {'X-Versions-Enabled': 'true'}
                ).status_int == 204
    swift.containers['plain'] = {}
    assert call(app, 'POST', '/v1/a/plain', {'X-Versions-Enabled': 'false'}
                ).status_int == 204


def test_segments_only_through_s3(app, swift):
    lock_bucket(swift)
    swift.containers['b+segments'] = {}
    assert call(app, 'DELETE', '/v1/a/b+segments/o/up/1').status_int == 403
    assert call(app, 'PUT', '/v1/a/b+segments/o/up/1').status_int == 403
    assert call(app, 'DELETE', '/v1/a/b+segments/o/up/1',
                environ={'swift.source': 'S3C'}).status_int == 204
    swift.containers['c'] = {}
    assert call(app, 'DELETE', '/v1/a/c+segments/o/up/1').status_int == 204


def test_versions_container_requests_checked(app, swift):
    lock_bucket(swift)
    name = VERSIONS + 'b'
    swift.objects[(name, 'v1')] = locked()
    path = '/v1/a/%s/v1' % name
    assert call(app, 'DELETE', path).status_int == 403
    assert call(app, 'PUT', path).status_int == 403
    # swift3's own metadata POSTs (tags, ACLs, retention) pass
    assert call(app, 'POST', path, environ={'swift.source': 'S3C'}
                ).status_int == 204
    # a delete swift3 decided (an allowed GOVERNANCE bypass) passes
    assert call(app, 'DELETE', path, environ={
        'swift.source': 'S3C', objectlock.CHECKED: True}).status_int == 204
    # the marker means nothing on a request swift3 did not build
    assert call(app, 'DELETE', path, environ={objectlock.CHECKED: True}
                ).status_int == 403


def test_swift3_requests_are_checked_unless_marked(app, swift):
    lock_bucket(swift)
    swift.objects[('b', 'o?1.0')] = locked(mode='GOVERNANCE')
    assert call(app, 'DELETE', '/v1/a/b/o?version-id=1.0',
                environ={'swift.source': 'S3C'}).status_int == 403


def test_account_delete(app, swift):
    assert call(app, 'DELETE', '/v1/a').status_int == 204
    swift.account_sysmeta[objectlock.ACCOUNT_LOCK_SYSMETA] = 'yes'
    assert call(app, 'DELETE', '/v1/a').status_int == 403


def test_unauthorized_caller_learns_nothing(app, swift):
    lock_bucket(swift)
    swift.objects[('b', 'o?1.0')] = locked()
    resp = call(app, 'DELETE', '/v1/a/b/o?version-id=1.0', environ={
        'swift.authorize': lambda req: Response(status=401)})
    assert resp.status_int == 204      # the fake proxy; Swift would 401
    assert not any(m == 'HEAD' and 'o' in p for m, p, _ in swift.calls
                   if p.endswith('/o'))


def test_unreadable_state_refuses(swift):
    lock_bucket(swift)

    def broken(env, start_response):
        if env['REQUEST_METHOD'] == 'HEAD' and env['PATH_INFO'].endswith('/o'):
            return Response(status=503)(env, start_response)
        return swift(env, start_response)
    app = objectlock.ObjectLockMiddleware(broken, {}, clock=lambda: NOW)
    assert call(app, 'DELETE', '/v1/a/b/o?version-id=1.0').status_int == 403


def test_reads_and_other_buckets_untouched(app, swift):
    swift.containers['plain'] = {}
    assert call(app, 'GET', '/v1/a/b/o').status_int == 204
    assert call(app, 'DELETE', '/v1/a/plain/o?version-id=1.0'
                ).status_int == 204
    assert [c for c in swift.calls if c[0] == 'HEAD' and
            c[1] == '/v1/a/plain/o'] == []


# -- configuration -----------------------------------------------------------------------
def test_day_seconds_from_the_swift3_section(tmp_path, swift):
    conf = tmp_path / 'proxy-server.conf'
    conf.write_text('[DEFAULT]\n[filter:swift3]\nuse = egg:swift3compat#swift3\n'
                    'object_lock_day_seconds = 7\n[filter:objectlock]\n'
                    'use = egg:swift3compat#objectlock\n')
    app = objectlock.filter_factory({'__file__': str(conf)})(swift)
    assert app.day_seconds == 7


def test_configs_without_swift3_keep_the_default(tmp_path, swift):
    # e.g. internal-client.conf or object-expirer.conf
    conf = tmp_path / 'internal-client.conf'
    conf.write_text('[DEFAULT]\n[filter:objectlock]\n'
                    'use = egg:swift3compat#objectlock\n')
    app = objectlock.filter_factory({'__file__': str(conf)})(swift)
    assert app.day_seconds == 86400
    assert objectlock.filter_factory({})(swift).day_seconds == 86400


def test_options_of_its_own_are_refused():
    from swift3compat import config
    with pytest.raises(config.UnknownOptionError):
        objectlock.filter_factory({}, object_lock_day_secs='5')


def test_swift3_found_by_what_it_loads(tmp_path, swift):
    conf = tmp_path / 'proxy-server.conf'
    conf.write_text('[DEFAULT]\n[pipeline:main]\npipeline = s3api objectlock '
                    'app\n[app:app]\nuse = egg:swift#proxy\n'
                    '[filter:s3api]\nuse = egg:swift3compat#swift3\n'
                    'object_lock_day_seconds = 9\n[filter:objectlock]\n'
                    'use = egg:swift3compat#objectlock\n')
    app = objectlock.filter_factory({'__file__': str(conf)})(swift)
    assert app.day_seconds == 9
