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
  so from then on it is listed under that id instead of ``null``.
  ``versionId=null`` still finds it (``versions.archived_null_version``):
  GET/HEAD read it, DELETE deletes it, as S3 does with its null version.
* DELETE without ``versionId`` on a *suspended* bucket removes the current
  object without writing a ``null`` delete marker; the older versions stay.
* A plain GET/HEAD of a key whose latest version is a delete marker answers
  NoSuchKey with ``x-amz-delete-marker: true`` and the marker's version id,
  found with one versions listing after Swift's 404 (only in a bucket that
  has had versioning); in a suspended bucket a key deleted there answers
  ``x-amz-version-id: null``, as its DELETE did.
* ListObjectVersions refuses delimiters containing digits, ``.`` or NUL
  (Swift version ids use those characters).
* MFA delete is not available (NotImplemented).
"""
from __future__ import annotations

import json
from typing import Dict, List, Optional

from swift.common import constraints
from swift.common.utils import parse_header

from swift3compat import errors
from swift3compat.http import listing, xml
from swift3compat.http.request import S3Request
from swift3compat.http.response import S3Response, xml_response
from swift3compat.swift import versions
from swift3compat.swift import object_lock
from swift3compat.swift.backend import Backend

_MAX_CONFIG_BODY = 10240
# Characters Swift's versions listing refuses in a delimiter.
_BAD_DELIMITER_CHARS = frozenset('0123456789.\x00')


# -- ?versioning ------------------------------------------------------------------
def get_bucket_versioning(req: S3Request, backend: Backend) -> S3Response:
    resp = backend.request('HEAD', req.bucket)
    enabled = resp.headers.get('X-Versions-Enabled')
    status = ''
    if enabled is not None:
        status = xml.elem('Status', 'Enabled'
                          if enabled.lower() == 'true' else 'Suspended')
    return xml_response(xml.document('VersioningConfiguration',
                                     [status]))


def _parse_versioning(body: bytes) -> Optional[str]:
    """The requested Status ('Enabled', 'Suspended') or None (no change)."""
    root = xml.parse(body, 'VersioningConfiguration')
    for node in root:
        if xml.local(node.tag) not in ('Status', 'MfaDelete'):
            raise errors.MalformedXML()
    mfa = xml.text(root, 'MfaDelete')
    if mfa not in (None, 'Enabled', 'Disabled'):
        raise errors.MalformedXML()
    if mfa == 'Enabled':
        raise errors.NotImplemented('MFA delete is not implemented')
    status = xml.text(root, 'Status')
    if status not in (None, 'Enabled', 'Suspended'):
        raise errors.MalformedXML()
    return status


def put_bucket_versioning(req: S3Request, backend: Backend) -> S3Response:
    body = xml.read_body(req.environ['wsgi.input'], req.content_length,
                         _MAX_CONFIG_BODY)
    backend.request('HEAD', req.bucket)
    if req.header('x-amz-mfa') is not None:
        raise errors.NotImplemented('MFA delete is not implemented')
    status = _parse_versioning(body)
    object_lock.versioning_change_allowed(backend, req.bucket, status)
    if not versions.available():
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
        xml.elem('Key', enc(entry['name'])),
        xml.elem('VersionId', entry.get('version_id') or 'null'),
        xml.elem('IsLatest', 'true' if entry.get('is_latest')
                 else 'false'),
        xml.elem('LastModified', listing.listing_time(entry['last_modified']))))
    if entry.get('content_type') == versions.DELETE_MARKER_CONTENT_TYPE:
        return '<DeleteMarker>%s%s</DeleteMarker>' % (common,
                                                      listing.owner_xml(owner))
    return ''.join((
        '<Version>', common,
        '<ETag>&quot;', xml.escape_text(_listing_etag(entry)),
        '&quot;</ETag>', xml.elem('Size', entry['bytes']),
        listing.owner_xml(owner), '<StorageClass>STANDARD</StorageClass>',
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
    if version_marker and not versions.valid_version_id(version_marker):
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
    max_keys = listing.max_keys(req)
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
    owner = backend.caller_id or backend.account
    found, prefixes = [], []
    for entry in entries:
        if 'subdir' in entry:
            prefixes.append('<CommonPrefixes>%s</CommonPrefixes>'
                            % xml.elem('Prefix', enc(entry['subdir'])))
        else:
            found.append(_version_xml(entry, enc, owner))
    parts = [xml.elem('Name', req.bucket),
             xml.elem('Prefix', enc(q.get('prefix', ''))),
             xml.elem('KeyMarker', enc(key_marker)),
             xml.elem('VersionIdMarker', q.get('version-id-marker', ''))]
    if truncated and entries:
        last = entries[-1]
        parts.append(xml.elem('NextKeyMarker',
                              enc(last.get('subdir') or last['name'])))
        if 'subdir' not in last:
            parts.append(xml.elem('NextVersionIdMarker',
                                  last.get('version_id') or 'null'))
    parts += [xml.elem('MaxKeys', max_keys),
              xml.elem('Delimiter', enc(q['delimiter']))
              if q.get('delimiter') else '',
              xml.elem('EncodingType', 'url')
              if 'encoding-type' in q else '',
              xml.elem('IsTruncated', 'true' if truncated else 'false')]
    parts += found + prefixes
    return xml_response(xml.document('ListVersionsResult', parts),
                        headers={'x-amz-bucket-region': req.conf.location})
