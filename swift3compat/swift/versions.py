"""Object versions on Swift's object versioning (``versioned_writes`` with
``allow_object_versioning = true``): version ids, reading one version, the
S3 way of deleting a key or a version, and the response headers
(``x-amz-version-id``, ``x-amz-delete-marker``).  The S3 API on top of it
(``?versioning``, ``?versions``) is ``api.versioning``."""
from __future__ import annotations

import json
from typing import Dict, Mapping, Optional, Tuple
from urllib.parse import unquote

import eventlet
from swift.common.middleware.versioned_writes.object_versioning import \
    build_versions_container_name
from swift.common.registry import get_swift_info
from swift.common.utils import Timestamp, close_if_possible, \
    last_modified_date_to_timestamp

from swift3compat import errors
from swift3compat.http.request import S3Request
from swift3compat.swift import sysmeta
from swift3compat.swift.backend import Backend

# Swift's delete-marker content type (swift/common/middleware/
# versioned_writes/object_versioning.py, DELETE_MARKER_CONTENT_TYPE).
DELETE_MARKER_CONTENT_TYPE = \
    'application/x-deleted;swift_versions_deleted=1'
SWIFT_VERSION_ID = 'X-Object-Version-Id'
VERSION_ID = 'x-amz-version-id'
DELETE_MARKER = 'x-amz-delete-marker'
# Rounds of settle_current / of a DELETE Swift answered 412 (a race).
_SETTLE_ATTEMPTS = 5
_DELETE_ATTEMPTS = 3
# Tries (and the pause before the second) of a request Swift answered 503
# because another client changed the object meanwhile.
_RACE_ATTEMPTS = 4
_RACE_PAUSE = 0.05


def valid_version_id(version: str) -> bool:
    """``null`` or a version id in the exact form Swift issues."""
    if version == 'null':
        return True
    try:
        return Timestamp(version).internal == version
    except ValueError:
        return False


def invalid_version(version: str) -> errors.S3Error:
    return errors.InvalidArgument('Invalid version id specified',
                                  ArgumentName='versionId',
                                  ArgumentValue=version)


def requested_version(req: S3Request) -> Optional[str]:
    """The request's ``versionId`` (validated), or None without one."""
    version = req.query.get('versionId')
    if version is None:
        return None
    if not valid_version_id(version):
        raise invalid_version(version)
    return version


def response_headers(swift_headers) -> Dict[str, str]:
    """``x-amz-version-id`` from a Swift response, when Swift versions it."""
    version = swift_headers.get(SWIFT_VERSION_ID)
    return {VERSION_ID: version} if version else {}


def is_delete_marker(swift_headers) -> bool:
    return DELETE_MARKER_CONTENT_TYPE in (
        swift_headers.get('X-Backend-Content-Type'),
        swift_headers.get('Content-Type'))


def request_version(req: S3Request, backend: Backend, method: str,
                    bucket: str, key: str, version: str, *,
                    headers: Optional[Dict[str, str]] = None,
                    ok: Tuple[int, ...] = ()):
    """GET or HEAD one version of an object; S3 errors for the rest.

    A delete marker answers 405 MethodNotAllowed with
    ``x-amz-delete-marker: true``; a version that does not exist answers
    NoSuchVersion; a real version id on a never-versioned bucket answers
    InvalidArgument, as S3 does.
    """
    resp = backend.request(method, bucket, key, headers=headers,
                           query={'version-id': version},
                           ok=ok + (400, 404))
    if resp.status_int == 400:
        raise invalid_version(version)
    if resp.status_int != 404:
        return resp
    if is_delete_marker(resp.headers):
        raise errors.MethodNotAllowed(
            'The specified method is not allowed against this resource.',
            Method=method, ResourceType='DeleteMarker',
            headers={DELETE_MARKER: 'true', VERSION_ID: version,
                     'Allow': 'DELETE'})
    if version == 'null' and _has_versioning(backend, bucket):
        # the null version Swift archived under a timestamp id (its
        # response names that id: GetObject answers "null" itself)
        archived = archived_null_version(backend, bucket, key)
        if archived is not None:
            close_if_possible(resp.app_iter)
            return request_version(req, backend, method, bucket, key,
                                   archived, headers=headers, ok=ok)
    if not backend.container_exists(bucket):
        raise errors.NoSuchBucket(BucketName=bucket)
    raise errors.NoSuchVersion(Key=key, VersionId=version)


def missing_current(backend: Backend, resp, bucket: str, key: str
                    ) -> errors.S3Error:
    """The error for a plain GET/HEAD that Swift answered 404: NoSuchBucket,
    or NoSuchKey with ``x-amz-delete-marker`` when a delete marker is the
    key's current version."""
    close_if_possible(resp.app_iter)
    missing = backend.error_for(404, bucket, key)
    if isinstance(missing, errors.NoSuchKey):
        missing.headers.update(current_delete_marker(backend, bucket, key))
    return missing


def current_delete_marker(backend: Backend, bucket: str, key: str
                          ) -> Dict[str, str]:
    """The S3 headers of a plain GET/HEAD that found no current object:
    ``x-amz-delete-marker: true`` (and the marker's ``x-amz-version-id``)
    when the key's current version is a delete marker, else nothing (AWS
    leaves the header out when it would be false).

    Only a bucket that has had versioning has delete markers: the newest
    entry of the key in Swift's versions listing says which.  In a
    suspended bucket a key with versions and no current object was
    deleted there: S3 made it a ``null`` delete marker (Swift keeps
    none; ``delete_key`` answers the same).
    """
    info = backend.container_info(bucket).get('sysmeta', {})
    if info.get(sysmeta.VERSIONS_ENABLED_INFO) is None:
        return {}
    resp = backend.request('GET', bucket, query={
        'format': 'json', 'versions': '', 'prefix': key, 'limit': '1'},
        ok=(404,))
    if resp.status_int == 404:
        return {}
    entries = json.loads(resp.body or b'[]')
    if not entries or entries[0].get('name') != key:
        return {}
    if entries[0].get('content_type') == DELETE_MARKER_CONTENT_TYPE:
        return {DELETE_MARKER: 'true',
                VERSION_ID: str(entries[0].get('version_id'))}
    if _suspended(backend, bucket):
        return {DELETE_MARKER: 'true', VERSION_ID: 'null'}
    return {}


def delete_key(backend: Backend, bucket: str, key: str,
               version: Optional[str]) -> Dict[str, str]:
    """DELETE one key (or one version of it) the S3 way.

    Returns the S3 response headers (``x-amz-version-id``,
    ``x-amz-delete-marker``).  Deleting something that does not exist
    succeeds, as in S3; a missing bucket raises NoSuchBucket.
    """
    if version is None:
        resp = backend.request('DELETE', bucket, key, ok=(404,))
        if resp.status_int == 404 and not backend.container_exists(bucket):
            raise errors.NoSuchBucket(BucketName=bucket)
        out = response_headers(resp.headers)
        if out and is_delete_marker(resp.headers):
            out[DELETE_MARKER] = 'true'
        elif not out and _suspended(backend, bucket):
            # S3 puts a null delete marker in a suspended bucket; Swift
            # only removes the current object: the same view, no marker.
            out = {VERSION_ID: 'null', DELETE_MARKER: 'true'}
        return out
    if not valid_version_id(version):
        raise invalid_version(version)
    if version == 'null':
        return _delete_null_version(backend, bucket, key)
    marker = _racing(backend, 'HEAD', bucket, key,
                     query={'version-id': version}, ok=(400, 404))
    if marker.status_int == 400:
        raise invalid_version(version)
    resp = _delete_version(backend, bucket, key, version)
    if resp.status_int == 404 and marker.status_int == 404 and \
            not is_delete_marker(marker.headers) and \
            not backend.container_exists(bucket):
        raise errors.NoSuchBucket(BucketName=bucket)
    settle_current(backend, bucket, key)
    out = {VERSION_ID: version}
    if is_delete_marker(marker.headers):
        out[DELETE_MARKER] = 'true'
    return out


def _has_versioning(backend: Backend, bucket: str) -> bool:
    """Versioning is or was enabled on the bucket."""
    info = backend.container_info(bucket).get('sysmeta', {})
    return info.get(sysmeta.VERSIONS_ENABLED_INFO) is not None


def _suspended(backend: Backend, bucket: str) -> bool:
    """Versioning was enabled on the bucket, and is suspended now."""
    info = backend.container_info(bucket).get('sysmeta', {})
    value = info.get(sysmeta.VERSIONS_ENABLED_INFO)
    return value is not None and value.lower() not in ('true', '1', 'yes')


def _delete_null_version(backend: Backend, bucket: str, key: str
                         ) -> Dict[str, str]:
    """Delete the ``null`` version only if it exists: Swift would delete
    whatever the key currently is, even a link to a real version.

    The null version is the plain (not versioned) object of the key or,
    when versioning overwrote or deleted it since, the copy Swift archived
    under a timestamp version id (``archived_null_version``): S3 deletes
    that one permanently, and the newest remaining version becomes current
    when it was the current one."""
    head = backend.request('HEAD', bucket, key, query={'version-id': 'null'},
                           ok=(404,))
    if head.status_int == 200:
        backend.request('DELETE', bucket, key, query={'version-id': 'null'},
                        ok=(404,))
        if _has_versioning(backend, bucket):
            settle_current(backend, bucket, key)
    elif not backend.container_exists(bucket):
        raise errors.NoSuchBucket(BucketName=bucket)
    else:
        archived = archived_null_version(backend, bucket, key)
        if archived is not None:
            _delete_version(backend, bucket, key, archived)
            settle_current(backend, bucket, key)
    return {VERSION_ID: 'null'}


def archived_null_version(backend: Backend, bucket: str, key: str
                          ) -> Optional[str]:
    """The Swift version id under which Swift archived the key's ``null``
    version, or None.

    Swift's object versioning copies a plain object into the versions
    container when versioning overwrites or deletes it; the copy is named
    after the object's own timestamp but written later, so its data
    timestamp is newer than its version id.  Every version Swift writes
    itself (a PUT, a delete marker) has its version id as data timestamp.
    The listing's ``last_modified`` (the metadata time: a tagged version
    has a newer one) picks the candidates, a HEAD of each confirms; the
    newest archived copy is the null version."""
    query = {'format': 'json', 'versions': '', 'prefix': key}
    while True:
        resp = backend.request('GET', bucket, query=query, ok=(404,))
        if resp.status_int == 404:
            return None
        entries = json.loads(resp.body or b'[]')
        for entry in entries:
            if entry.get('name') != key:
                return None
            version = entry.get('version_id')
            if _newer_than_version(entry.get('last_modified'), version) \
                    and _archived_copy(backend, bucket, key, str(version)):
                return str(version)
        if not entries:
            return None
        query = dict(query, marker=key,
                     version_marker=str(entries[-1].get('version_id')))


def _newer_than_version(last_modified: Optional[str],
                        version: Optional[str]) -> bool:
    if not last_modified or not version or version == 'null':
        return False
    try:
        return Timestamp(last_modified_date_to_timestamp(last_modified)) > \
            Timestamp(version)
    except (TypeError, ValueError):
        return False


def _archived_copy(backend: Backend, bucket: str, key: str, version: str
                   ) -> bool:
    head = backend.request('HEAD', bucket, key,
                           query={'version-id': version}, ok=(400, 404))
    if head.status_int != 200:
        return False
    written = head.headers.get('X-Backend-Data-Timestamp')
    try:
        return written is not None and Timestamp(written) > Timestamp(version)
    except ValueError:
        return False


def _racing(backend: Backend, method: str, bucket: str, key: str, *,
            ok: Tuple[int, ...] = (), **kwargs):
    """A request on one key that other clients may be changing at the same
    moment: Swift's object server answers 503 when the object's files
    changed while it read them ("retry, hoping the on-disk files have
    settled"), so ask again (a little later) before answering 503."""
    for attempt in range(_RACE_ATTEMPTS - 1):
        resp = backend.request(method, bucket, key, ok=ok + (503,),
                               **kwargs)
        if resp.status_int != 503:
            return resp
        close_if_possible(resp.app_iter)
        eventlet.sleep(_RACE_PAUSE * (attempt + 1))
    return backend.request(method, bucket, key, ok=ok, **kwargs)


def _delete_version(backend: Backend, bucket: str, key: str, version: str):
    """DELETE ?version-id: Swift removes the key's link to the version
    too when it is the current one.  Swift answers 412 when that link went
    between its HEAD and its DELETE (another client deleted the same
    version meanwhile): ask again, the version itself may remain.  A 404
    (the version is gone) is a success, as in S3."""
    for attempt in range(_DELETE_ATTEMPTS, 0, -1):
        resp = _racing(backend, 'DELETE', bucket, key,
                       query={'version-id': version},
                       ok=(404, 412) if attempt > 1 else (404,))
        if resp.status_int != 412:
            break
    return resp


def settle_current(backend: Backend, bucket: str, key: str) -> None:
    """After a version is deleted, make the key's current object the one
    S3 would have: the newest remaining version (Swift leaves the key
    without one when the deleted version was current), and never a link
    to a version that is gone.

    Clients deleting versions of one key at once race: one re-points the
    key at the newest version it listed while another deletes that
    version, leaving a dangling link that no listing of versions shows
    but that keeps the bucket from being deleted.  Every deleter checks
    the key afterwards (one HEAD when it has a readable current object)
    and removes such a link (DELETE ?version-id of its target removes the
    link only while it still points there), then tries again."""
    for _ in range(_SETTLE_ATTEMPTS):
        current = _racing(backend, 'HEAD', bucket, key, ok=(404,))
        if current.status_int != 404:
            return
        link = _racing(backend, 'HEAD', bucket, key,
                       query={'symlink': 'get'}, ok=(404,))
        if link.status_int != 404:
            target = link.headers.get(SWIFT_VERSION_ID)
            if not target or target == 'null':
                return      # a plain object, written meanwhile
            _delete_version(backend, bucket, key, target)
            continue
        resp = backend.request('GET', bucket, query={
            'format': 'json', 'versions': '', 'prefix': key, 'limit': '1'},
            ok=(404,))
        if resp.status_int == 404:
            return
        entries = json.loads(resp.body or b'[]')
        if not entries or entries[0].get('name') != key or \
                entries[0].get('content_type') == \
                DELETE_MARKER_CONTENT_TYPE or \
                entries[0].get('version_id') in (None, 'null'):
            return
        _racing(backend, 'PUT', bucket, key,
                query={'version-id': entries[0]['version_id']},
                body=b'', ok=(404,))
        # and check again: the version may have gone meanwhile


def versions_container(backend: Backend, bucket: str) -> str:
    """The (reserved) name of the container where Swift's object
    versioning keeps the bucket's versions."""
    info = backend.container_info(bucket)
    return versions_container_of(info.get('sysmeta') or {}, bucket)


def versions_container_of(container_sysmeta: Mapping[str, str],
                          bucket: str) -> str:
    """``versions_container`` from the bucket's container info sysmeta."""
    return unquote(container_sysmeta.get(
        sysmeta.VERSIONS_CONTAINER_INFO, '')) or \
        build_versions_container_name(bucket)


def available() -> bool:
    """Is Swift's object versioning in this proxy's pipeline?"""
    return 'object_versioning' in get_swift_info()
