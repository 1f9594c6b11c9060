"""S3 bucket versioning on Swift's object versioning.

Serves PutBucketVersioning / GetBucketVersioning (``?versioning``),
ListObjectVersions (``GET /bucket?versions``) and the version-aware parts of
the object operations: ``versionId`` on GET/HEAD/DELETE, copy from a
version, ``x-amz-version-id`` / ``x-amz-delete-marker`` response headers and
``VersionId`` in DeleteObjects.

Operators enable it by putting Swift's ``versioned_writes`` filter with
``allow_object_versioning = true`` (and ``symlink``) after the auth filter::

    pipeline = ... swift3 tempauth copy slo dlo versioned_writes symlink
        proxy-logging proxy-server

    [filter:versioned_writes]
    use = egg:swift#versioned_writes
    allow_object_versioning = true

Without it PutBucketVersioning answers NotImplemented and every bucket reads
as never versioned.

Mapping: S3 ``Enabled``/``Suspended`` is Swift's ``X-Versions-Enabled:
true/false`` on the container; S3 version ids are Swift's version ids (a
Swift timestamp such as ``1700000000.12345``) or ``null``; delete markers
are Swift's delete markers.  Where Swift's model differs from S3's:

* An object written before versioning was enabled (or while it was
  suspended) has version id ``null``.  When it is overwritten or deleted
  with versioning enabled, Swift archives it under a timestamp version id,
  so from then on it is listed under that id instead of ``null`` and
  ``versionId=null`` no longer finds it.
* DELETE without ``versionId`` on a *suspended* bucket removes the current
  object without writing a ``null`` delete marker; the older versions stay.
* A plain GET/HEAD of a key whose latest version is a delete marker answers
  NoSuchKey without ``x-amz-delete-marker`` / ``x-amz-version-id`` (Swift
  does not say that a delete marker is current without a listing).
* ListObjectVersions refuses delimiters containing digits, ``.`` or NUL
  (Swift version ids use those characters).
* MFA delete is not available (NotImplemented).
"""
from __future__ import annotations

import json
from typing import Dict, List, Optional, Tuple

from swift.common import constraints
from swift.common.registry import get_swift_info
from swift.common.utils import Timestamp, parse_header

from swift3compat import errors, xmlutil
from swift3compat.backend import Backend
from swift3compat.handlers.bucket import _max_keys, listing_time
from swift3compat.handlers.service import owner_xml
from swift3compat.request import S3Request
from swift3compat.response import S3Response, xml_response

# Swift's delete-marker content type (swift/common/middleware/
# versioned_writes/object_versioning.py, DELETE_MARKER_CONTENT_TYPE).
DELETE_MARKER_CONTENT_TYPE = \
    'application/x-deleted;swift_versions_deleted=1'
SWIFT_VERSION_ID = 'X-Object-Version-Id'
VERSION_ID = 'x-amz-version-id'
DELETE_MARKER = 'x-amz-delete-marker'
_MAX_CONFIG_BODY = 10240
# Characters Swift's versions listing refuses in a delimiter.
_BAD_DELIMITER_CHARS = frozenset('0123456789.\x00')


# -- version ids --------------------------------------------------------------
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


def _is_delete_marker(swift_headers) -> bool:
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
    if _is_delete_marker(resp.headers):
        raise errors.MethodNotAllowed(
            'The specified method is not allowed against this resource.',
            Method=method, ResourceType='DeleteMarker',
            headers={DELETE_MARKER: 'true', VERSION_ID: version,
                     'Allow': 'DELETE'})
    if not backend.container_exists(bucket):
        raise errors.NoSuchBucket(BucketName=bucket)
    raise errors.NoSuchVersion(Key=key, VersionId=version)


# -- delete ---------------------------------------------------------------------
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
        if out and _is_delete_marker(resp.headers):
            out[DELETE_MARKER] = 'true'
        return out
    if not valid_version_id(version):
        raise invalid_version(version)
    if version == 'null':
        return _delete_null_version(backend, bucket, key)
    marker = backend.request('HEAD', bucket, key,
                             query={'version-id': version}, ok=(400, 404))
    if marker.status_int == 400:
        raise invalid_version(version)
    resp = backend.request('DELETE', bucket, key,
                           query={'version-id': version}, ok=(404,))
    if resp.status_int == 404 and marker.status_int == 404 and \
            not _is_delete_marker(marker.headers) and \
            not backend.container_exists(bucket):
        raise errors.NoSuchBucket(BucketName=bucket)
    if resp.headers.get('X-Object-Current-Version-Id') == 'null':
        _restore_latest(backend, bucket, key)
    out = {VERSION_ID: version}
    if _is_delete_marker(marker.headers):
        out[DELETE_MARKER] = 'true'
    return out


def _delete_null_version(backend: Backend, bucket: str, key: str
                         ) -> Dict[str, str]:
    """Delete the ``null`` version only if it exists: Swift would delete
    whatever the key currently is, even a link to a real version."""
    head = backend.request('HEAD', bucket, key, query={'version-id': 'null'},
                           ok=(404,))
    if head.status_int == 200:
        backend.request('DELETE', bucket, key, query={'version-id': 'null'},
                        ok=(404,))
    elif not backend.container_exists(bucket):
        raise errors.NoSuchBucket(BucketName=bucket)
    return {VERSION_ID: 'null'}


def _restore_latest(backend: Backend, bucket: str, key: str) -> None:
    """After a version is deleted, make the newest remaining version the
    current object, as S3 does (Swift leaves the key without one)."""
    current = backend.request('HEAD', bucket, key, ok=(404,))
    if current.status_int != 404:
        return
    resp = backend.request('GET', bucket, query={
        'format': 'json', 'versions': '', 'prefix': key, 'limit': '1'},
        ok=(404,))
    if resp.status_int == 404:
        return
    entries = json.loads(resp.body or b'[]')
    if not entries or entries[0].get('name') != key or \
            entries[0].get('content_type') == DELETE_MARKER_CONTENT_TYPE:
        return
    backend.request('PUT', bucket, key,
                    query={'version-id': entries[0]['version_id']},
                    body=b'', ok=(404,))


# -- ?versioning ------------------------------------------------------------------
def available() -> bool:
    """Is Swift's object versioning in this proxy's pipeline?"""
    return 'object_versioning' in get_swift_info()


def get_bucket_versioning(req: S3Request, backend: Backend) -> S3Response:
    resp = backend.request('HEAD', req.bucket)
    enabled = resp.headers.get('X-Versions-Enabled')
    status = ''
    if enabled is not None:
        status = xmlutil.elem('Status', 'Enabled'
                              if enabled.lower() == 'true' else 'Suspended')
    return xml_response(xmlutil.document('VersioningConfiguration',
                                         [status]))


def _parse_versioning(body: bytes) -> Optional[str]:
    """The requested Status ('Enabled', 'Suspended') or None (no change)."""
    root = xmlutil.parse(body, 'VersioningConfiguration')
    for node in root:
        if xmlutil.local(node.tag) not in ('Status', 'MfaDelete'):
            raise errors.MalformedXML()
    mfa = xmlutil.text(root, 'MfaDelete')
    if mfa not in (None, 'Enabled', 'Disabled'):
        raise errors.MalformedXML()
    if mfa == 'Enabled':
        raise errors.NotImplemented('MFA delete is not implemented')
    status = xmlutil.text(root, 'Status')
    if status not in (None, 'Enabled', 'Suspended'):
        raise errors.MalformedXML()
    return status


def put_bucket_versioning(req: S3Request, backend: Backend) -> S3Response:
    body = xmlutil.read_body(req.environ['wsgi.input'], req.content_length,
                             _MAX_CONFIG_BODY)
    backend.request('HEAD', req.bucket)
    if req.header('x-amz-mfa') is not None:
        raise errors.NotImplemented('MFA delete is not implemented')
    status = _parse_versioning(body)
    if not available():
        raise errors.NotImplemented(
            'Bucket versioning needs Swift object versioning '
            '(versioned_writes with allow_object_versioning = true)')
    if status is None:
        return S3Response(200)
    resp = backend.request('POST', req.bucket, headers={
        'X-Versions-Enabled': 'true' if status == 'Enabled' else 'false'},
        ok=(400,))
    if resp.status_int == 400:
        # Swift refuses containers that use legacy versioning
        # (X-Versions-Location / X-History-Location) or container sync.
        raise errors.IllegalVersioningConfigurationException(
            'Versioning cannot be changed on this bucket: %s'
            % resp.body.decode('utf-8', 'replace').strip())
    return S3Response(200)


# -- ?versions ------------------------------------------------------------------
def _listing_etag(entry: dict) -> str:
    value, params = parse_header(entry['hash'])
    return entry.get('s3_etag') or params.get('s3_etag') or value


def _version_xml(entry: dict, enc, owner: str) -> str:
    common = ''.join((
        xmlutil.elem('Key', enc(entry['name'])),
        xmlutil.elem('VersionId', entry.get('version_id') or 'null'),
        xmlutil.elem('IsLatest', 'true' if entry.get('is_latest')
                     else 'false'),
        xmlutil.elem('LastModified', listing_time(entry['last_modified']))))
    if entry.get('content_type') == DELETE_MARKER_CONTENT_TYPE:
        return '<DeleteMarker>%s%s</DeleteMarker>' % (common,
                                                      owner_xml(owner))
    return ''.join((
        '<Version>', common,
        '<ETag>&quot;', xmlutil.escape_text(_listing_etag(entry)),
        '&quot;</ETag>', xmlutil.elem('Size', entry['bytes']),
        owner_xml(owner), '<StorageClass>STANDARD</StorageClass>',
        '</Version>'))


def _listing_query(req: S3Request, page: int) -> Dict[str, str]:
    q = req.query
    prefix, delimiter = q.get('prefix', ''), q.get('delimiter', '')
    key_marker = q.get('key-marker', '')
    version_marker = q.get('version-id-marker', '')
    if version_marker and not key_marker:
        raise errors.InvalidArgument(
            'A version-id marker cannot be specified without a key marker.',
            ArgumentName='version-id-marker', ArgumentValue=version_marker)
    if version_marker and not valid_version_id(version_marker):
        raise errors.InvalidArgument('Invalid version id marker specified',
                                     ArgumentName='version-id-marker',
                                     ArgumentValue=version_marker)
    if _BAD_DELIMITER_CHARS.intersection(delimiter):
        raise errors.InvalidArgument(
            'Delimiters containing digits or "." are not supported when '
            'listing object versions', ArgumentName='delimiter',
            ArgumentValue=delimiter)
    # One extra entry to detect truncation, one for the CommonPrefix equal
    # to key-marker that Swift's versions container listing repeats.
    query = {'format': 'json', 'versions': '', 'limit': str(page + 2)}
    for name, value in (('prefix', prefix), ('delimiter', delimiter),
                        ('marker', key_marker),
                        ('version_marker', version_marker)):
        if value:
            query[name] = value
    return query


def list_object_versions(req: S3Request, backend: Backend) -> S3Response:
    q = req.query
    max_keys = _max_keys(req)
    # A page may hold fewer than max-keys entries (IsTruncated says more
    # follow): Swift answers at most CONTAINER_LISTING_LIMIT.
    page = min(max_keys, constraints.CONTAINER_LISTING_LIMIT - 2)
    enc = req.listing_encoder()
    key_marker = q.get('key-marker', '')
    entries: List[dict] = []
    if page:
        resp = backend.request('GET', req.bucket,
                               query=_listing_query(req, page))
        entries = [e for e in json.loads(resp.body or b'[]')
                   if not (key_marker and e.get('subdir') == key_marker)]
    truncated = len(entries) > page
    entries = entries[:page]
    owner = req.user_id or backend.account
    versions, prefixes = [], []
    for entry in entries:
        if 'subdir' in entry:
            prefixes.append('<CommonPrefixes>%s</CommonPrefixes>'
                            % xmlutil.elem('Prefix', enc(entry['subdir'])))
        else:
            versions.append(_version_xml(entry, enc, owner))
    parts = [xmlutil.elem('Name', req.bucket),
             xmlutil.elem('Prefix', enc(q.get('prefix', ''))),
             xmlutil.elem('KeyMarker', enc(key_marker)),
             xmlutil.elem('VersionIdMarker', q.get('version-id-marker', ''))]
    if truncated and entries:
        last = entries[-1]
        parts.append(xmlutil.elem('NextKeyMarker',
                                  enc(last.get('subdir') or last['name'])))
        if 'subdir' not in last:
            parts.append(xmlutil.elem('NextVersionIdMarker',
                                      last.get('version_id') or 'null'))
    parts += [xmlutil.elem('MaxKeys', max_keys),
              xmlutil.elem('Delimiter', enc(q['delimiter']))
              if q.get('delimiter') else '',
              xmlutil.elem('EncodingType', 'url')
              if 'encoding-type' in q else '',
              xmlutil.elem('IsTruncated', 'true' if truncated else 'false')]
    parts += versions + prefixes
    return xml_response(xmlutil.document('ListVersionsResult', parts),
                        headers={'x-amz-bucket-region': req.conf.location})
