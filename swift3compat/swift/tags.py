"""Object tags in Swift, and the object POST that changes them.

Object tags are transient sysmeta, one header per tag
(``X-Object-Transient-Sysmeta-S3c-Tag-<i>: <key>=<value>`` in UTF-8), so
that even ten tags of 128/256 multi-byte characters stay within Swift's
header line limit.  (They live in the object's xattrs with its other
metadata: object servers need XFS, as Swift recommends, for the largest
tag sets; ext4 refuses more than about 3.5 KB of metadata per object.)  A
PUT writes them with the object.  PutObjectTagging changes them with an
object POST, which in Swift replaces the user metadata and
Content-Disposition, Content-Encoding, Cache-Control, Expires, X-Delete-At,
...: so the POST carries all of them again, as the HEAD just before
returned them, and no Content-Type (``object_post``).  It is sent with the
object's own timestamp plus an offset: Last-Modified (GET, HEAD, listings)
does not move, as in S3, and a PUT that lands between the HEAD and the POST
makes the POST fail with 409 instead of putting old metadata on new data;
the change is then retried on the new object.  ETag and data never change.
A version of a versioned object is changed in Swift's versions container
(its reserved name), where object_versioning keeps it.
"""
from __future__ import annotations

from typing import Callable, Dict, Mapping, Optional, Tuple
from urllib.parse import unquote

from swift.common.middleware.versioned_writes.object_versioning import \
    build_versions_object_name
from swift.common.utils import Timestamp, close_if_possible
from swift.common.header_key_dict import HeaderKeyDict

from swift3compat import errors
from swift3compat.http.request import S3Request
from swift3compat.model.tags import Tags, parse_header
from swift3compat.swift import expiry, sysmeta, versions
from swift3compat.swift.backend import Backend, kept_by_object_post, wsgi_str


TAG_SYSMETA = sysmeta.TAG
TAG_PREFIX = TAG_SYSMETA.lower()
_TAG_TITLE = HeaderKeyDict._title(TAG_SYSMETA)
_FIRST_TAG = _TAG_TITLE + '0'
_POST_ATTEMPTS = 3
# The version POST maps its errors itself (to the key, not the version).
_ANY_STATUS = tuple(range(100, 600))


def _encode_tag(key: str, value: str) -> str:
    """``key=value`` as a WSGI header value: UTF-8 (no percent-encoding,
    which would triple multi-byte tags in the object's xattrs).  Escaped
    with %XX (``%`` is no valid tag character): ``=`` in the key, and the
    spaces at either end, which HTTP would strip from a header value."""
    text = '%s=%s' % (key.replace('=', '%3D'), value)
    stripped = text.strip(' ')
    start = text.index(stripped) if stripped else len(text)
    text = '%20' * start + stripped + '%20' * (
        len(text) - start - len(stripped))
    return wsgi_str(text)


def _decode_tag(value: str) -> Tuple[str, str]:
    key, _, val = value.encode('latin-1').decode('utf-8').partition('=')
    return unquote(key), unquote(val)


def tag_headers(tags: Tags) -> Dict[str, str]:
    return {'%s%d' % (TAG_SYSMETA, i): _encode_tag(k, v)
            for i, (k, v) in enumerate(tags)}


def object_tags(swift_headers) -> Tags:
    """An object's tags from its Swift GET/HEAD response headers."""
    found = []
    # The names of a HeaderKeyDict are title-cased (the prefix ends with
    # '-': its title case does not depend on what follows).
    titled = isinstance(swift_headers, HeaderKeyDict)
    if titled and not dict.get(swift_headers, _FIRST_TAG):
        # tag_headers numbers from 0 and stores no empty value: without
        # tag 0 there is none (a copy blanks the source's extra ones)
        return []
    prefix = _TAG_TITLE if titled else TAG_PREFIX
    for name, value in swift_headers.items():
        if not titled:
            name = name.lower()
        if name.startswith(prefix) and value and \
                name[len(prefix):].isdigit():
            found.append((int(name[len(prefix):]), _decode_tag(value)))
    return [tag for _i, tag in sorted(found)]


def put_headers(req: S3Request) -> Dict[str, str]:
    """Tag headers of a new object from ``x-amz-tagging`` (PUT, upload)."""
    value = req.header('x-amz-tagging')
    return tag_headers(parse_header(value)) if value is not None else {}


def copy_headers(req: S3Request, source_headers) -> Dict[str, str]:
    """Tag headers of a copy: the source's (``x-amz-tagging-directive:
    COPY``, the default) or ``x-amz-tagging`` (``REPLACE``).  Tags the
    source has beyond the new set are blanked (Swift's copy starts from
    the source's headers)."""
    directive = req.header('x-amz-tagging-directive', 'COPY')
    if directive not in ('COPY', 'REPLACE'):
        raise errors.InvalidArgument('Unknown tagging directive.',
                                     ArgumentName='x-amz-tagging-directive',
                                     ArgumentValue=directive)
    source = object_tags(source_headers)
    tags = source if directive == 'COPY' else \
        parse_header(req.header('x-amz-tagging') or '')
    out = {'%s%d' % (TAG_SYSMETA, i): '' for i in range(len(source))}
    out.update(tag_headers(tags))
    return out


def response_headers(req: S3Request, backend: Backend, swift_headers,
                     method: str) -> Dict[str, str]:
    """An object GET/HEAD's ``x-amz-tagging-count`` (when the object has
    tags; AWS's HeadObject answers it too) and ``x-amz-expiration``
    (current versions)."""
    tags = object_tags(swift_headers)
    out = {}
    if tags:
        out['x-amz-tagging-count'] = str(len(tags))
    if 'versionId' not in req.query:
        out.update(expiry.expiration_header(req, backend, req.key,
                                            swift_headers, dict(tags)))
    return out


def new_object_headers(req: S3Request, backend: Backend,
                       size: Optional[int], tag_set: Dict[str, str]
                       ) -> Tuple[Dict[str, str], Dict[str, str]]:
    """A new object's tag and expiry headers for Swift (``tag_set``: the
    tag headers from ``put_headers`` or ``copy_headers``) and the S3
    response headers."""
    headers = dict(tag_set)
    swift, s3 = expiry.new_object_headers(
        req, backend, req.key, size, dict(object_tags(tag_set)))
    headers.update(swift)
    return headers, s3


kept_headers = kept_by_object_post


def post_headers(head_headers, changes: Mapping[str, Optional[str]],
                 drop_prefix: Optional[str] = None) -> Dict[str, str]:
    """The headers of an object POST that applies ``changes`` (None
    removes a header) and keeps everything else the object has
    (``head_headers``: its HEAD response), dropping kept headers that start
    with ``drop_prefix`` (lowercase).  It carries X-Timestamp just after the
    object's own: Last-Modified stays, and Swift answers 409 if the object
    was written since the HEAD."""
    out = {k: v for k, v in kept_headers(head_headers).items()
           if not (drop_prefix and k.lower().startswith(drop_prefix))}
    lowered = {k.lower() for k in changes}
    out = {k: v for k, v in out.items() if k.lower() not in lowered}
    out.update((k, v) for k, v in changes.items() if v is not None)
    out.update(timestamp_after(head_headers))
    return out


def timestamp_after(head_headers) -> Dict[str, str]:
    """``X-Timestamp`` just after the one of the object (or container
    entry) whose HEAD response headers these are: a write with it is
    refused with 409 if the object was written since."""
    stamp = head_headers.get('X-Backend-Timestamp')
    if not stamp:
        return {}
    current = Timestamp(stamp)
    return {'X-Timestamp': Timestamp(current.timestamp,
                                     offset=current.offset + 1).internal}


def head_object(backend: Backend, req: S3Request, version: Optional[str]):
    """HEAD the request's object, or one version of it."""
    if version is None:
        return backend.request('HEAD', req.bucket, req.key)
    return versions.request_version(req, backend, 'HEAD', req.bucket,
                                    req.key, version)


def _post(req: S3Request, backend: Backend, head_headers,
          headers: Dict[str, str]) -> int:
    """POST to the object HEAD found: the key itself, or (a versioned key
    is a symlink) the version in Swift's versions container of the bucket.
    That container is the bucket's own storage, covered by the decision
    on the route (the guard lets it through like the bucket).  Returns the
    status (409: written meanwhile)."""
    version = head_headers.get(versions.SWIFT_VERSION_ID)
    if not version or version == 'null':
        return backend.request('POST', req.bucket, req.key, headers=headers,
                               ok=(409,)).status_int
    headers = dict(headers, **{'X-Backend-Allow-Reserved-Names': 'true'})
    resp = backend.request('POST',
                           versions.versions_container(backend, req.bucket),
                           build_versions_object_name(req.key, version),
                           headers=headers, ok=_ANY_STATUS)
    close_if_possible(resp.app_iter)
    if resp.status_int >= 300 and resp.status_int != 409:
        raise backend.error_for(resp.status_int, req.bucket, req.key)
    return resp.status_int


def object_post(req: S3Request, backend: Backend, version: Optional[str],
                changes: Callable[[object], Mapping[str, Optional[str]]],
                drop_prefix: str):
    """POST to the object (or version) so that only ``changes(head
    headers)`` change: headers to set, or None to remove; every kept
    header starting with ``drop_prefix`` is dropped first.  Returns the
    HEAD response the change was based on."""
    for _attempt in range(_POST_ATTEMPTS):
        head = head_object(backend, req, version)
        headers = post_headers(head.headers, changes(head.headers),
                               drop_prefix)
        if _post(req, backend, head.headers, headers) != 409:
            return head
    raise errors.ConditionalRequestConflict()
