"""Object and bucket tagging: Put/Get/DeleteObjectTagging (also with
``versionId``), Put/Get/DeleteBucketTagging (``?tagging``), and the tagging
parts of object writes (``x-amz-tagging`` on PUT, copy with
``x-amz-tagging-directive``, ``x-amz-tagging-count`` on GET).

Nothing to enable: the ``swift3`` filter serves these routes.

Storage:

* Object tags are transient sysmeta, one header per tag
  (``X-Object-Transient-Sysmeta-S3c-Tag-<i>: <key>=<value>`` in UTF-8), so
  that even ten tags of 128/256 multi-byte characters stay within Swift's
  header line limit.  (They live in the object's xattrs with its other
  metadata: object servers need XFS, as Swift recommends, for the largest
  tag sets; ext4 refuses more than about 3.5 KB of metadata per object.)  A PUT writes them with the
  object.  PutObjectTagging changes them with an object POST, which in
  Swift replaces the user metadata and Content-Disposition,
  Content-Encoding, Cache-Control, Expires, X-Delete-At, ...: so the POST
  carries all of them again, as the HEAD just before returned them, and no
  Content-Type (``object_post``).  It is sent with the object's own
  timestamp plus an offset: Last-Modified (GET, HEAD, listings) does not
  move, as in S3, and a PUT that lands between the HEAD and the POST makes
  the POST fail with 409 instead of putting old metadata on new data; the
  change is then retried on the new object.  ETag and data never change.
* A version of a versioned object is changed in Swift's versions container
  (its reserved name), where object_versioning keeps it.
* Bucket tags are JSON in container sysmeta (``bucket_config.store``).

AWS's limits apply (InvalidTag): 10 object tags, 50 bucket tags, keys of
1-128 and values of 0-256 Unicode letters, digits, spaces and ``+-=._:/@``,
no duplicate keys, no ``aws:`` prefix.
"""
from __future__ import annotations

import json
import unicodedata
from typing import Callable, Dict, List, Mapping, Optional, Tuple
from urllib.parse import parse_qsl, unquote

from swift.common.middleware.versioned_writes.object_versioning import (
    build_versions_container_name, build_versions_object_name)
from swift.common.swob import Request as SwobRequest
from swift.common.utils import Timestamp

from swift3compat import errors, xmlutil
from swift3compat.backend import Backend, kept_by_object_post, wsgi_str
from swift3compat.handlers import bucket_config, lifecycle, versioning
from swift3compat.request import S3Request
from swift3compat.response import S3Response, xml_response

Tags = List[Tuple[str, str]]

TAG_SYSMETA = 'X-Object-Transient-Sysmeta-S3c-Tag-'
_TAG_PREFIX = TAG_SYSMETA.lower()
BUCKET_TAGGING = 'tagging'
MAX_OBJECT_TAGS = 10
MAX_BUCKET_TAGS = 50
MAX_KEY_LENGTH = 128
MAX_VALUE_LENGTH = 256
_EXTRA_CHARS = frozenset(' +-=._:/@')
_POST_ATTEMPTS = 3



# -- validation ------------------------------------------------------------------
def _allowed(text: str) -> bool:
    return all(c in _EXTRA_CHARS or
               unicodedata.category(c)[0] in ('L', 'N', 'Z') for c in text)


def validate(tags: Tags, limit: int) -> Tags:
    """Check ``tags`` against AWS's rules; returns them."""
    if len(tags) > limit:
        raise errors.InvalidTag(
            'Object tags cannot be greater than %d' % limit
            if limit == MAX_OBJECT_TAGS else
            'Bucket tag count cannot be greater than %d' % limit)
    seen = set()
    for key, value in tags:
        if key in seen:
            raise errors.InvalidTag(
                'Cannot provide multiple Tags with the same key',
                TagKey=key)
        seen.add(key)
        if len(key) > MAX_KEY_LENGTH:
            raise errors.InvalidTag(
                'The TagKey you have provided is too long, max %d'
                % MAX_KEY_LENGTH, TagKey=key)
        if len(value) > MAX_VALUE_LENGTH:
            raise errors.InvalidTag(
                'The TagValue you have provided is too long, max %d'
                % MAX_VALUE_LENGTH, TagKey=key, TagValue=value)
        if not key or not _allowed(key):
            raise errors.InvalidTag('The TagKey you have provided is invalid',
                                    TagKey=key)
        if not _allowed(value):
            raise errors.InvalidTag(
                'The TagValue you have provided is invalid', TagKey=key,
                TagValue=value)
        if key.lower().startswith('aws:'):
            raise errors.InvalidTag(
                'Your TagKey cannot be prefixed with aws:', TagKey=key)
    return tags


def parse_xml(body: bytes) -> Tags:
    """A ``<Tagging><TagSet><Tag>...`` body → [(key, value)]."""
    root = xmlutil.parse(body, 'Tagging')
    nodes = [n for n in root if isinstance(n.tag, str)]
    if len(nodes) != 1 or xmlutil.local(nodes[0].tag) != 'TagSet':
        raise errors.MalformedXML()
    tags = []
    for node in nodes[0]:
        if not isinstance(node.tag, str):
            continue
        if xmlutil.local(node.tag) != 'Tag':
            raise errors.MalformedXML()
        names = [xmlutil.local(c.tag) for c in node if isinstance(c.tag, str)]
        if sorted(names) != ['Key', 'Value']:
            raise errors.MalformedXML()
        tags.append((xmlutil.text(node, 'Key'), xmlutil.text(node, 'Value')))
    return tags


def tagging_xml(tags: Tags) -> bytes:
    return xmlutil.document('Tagging', ['<TagSet>'] + [
        '<Tag>%s%s</Tag>' % (xmlutil.elem('Key', k), xmlutil.elem('Value', v))
        for k, v in tags] + ['</TagSet>'])


def parse_header(value: str) -> Tags:
    """``x-amz-tagging: k1=v1&k2=v2`` (URL query encoding) → tags."""
    try:
        tags = parse_qsl(value, keep_blank_values=True, strict_parsing=False,
                         encoding='utf-8', errors='strict')
    except (UnicodeDecodeError, ValueError):
        tags = None
    if tags is None or len({k for k, _v in tags}) != len(tags):
        raise errors.InvalidArgument(
            "The header 'x-amz-tagging' shall be encoded as UTF-8 then "
            'URLEncoded URL query parameters without tag name duplicates.',
            ArgumentName='x-amz-tagging', ArgumentValue=value)
    return validate(tags, MAX_OBJECT_TAGS)


# -- object tags in Swift headers --------------------------------------------------------
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
    for name, value in swift_headers.items():
        lower = name.lower()
        if lower.startswith(_TAG_PREFIX) and value and \
                lower[len(_TAG_PREFIX):].isdigit():
            found.append((int(lower[len(_TAG_PREFIX):]), _decode_tag(value)))
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
    """An object GET/HEAD's ``x-amz-tagging-count`` (GET, when the object
    has tags) and ``x-amz-expiration`` (current versions)."""
    tags = object_tags(swift_headers)
    out = {}
    if method == 'GET' and tags:
        out['x-amz-tagging-count'] = str(len(tags))
    if 'versionId' not in req.query:
        out.update(lifecycle.expiration_header(req, backend, req.key,
                                               swift_headers, dict(tags)))
    return out


def new_object_headers(req: S3Request, backend: Backend,
                       size: Optional[int], tag_set: Dict[str, str]
                       ) -> Tuple[Dict[str, str], Dict[str, str]]:
    """A new object's tag and expiry headers for Swift (``tag_set``: the
    tag headers from ``put_headers`` or ``copy_headers``) and the S3
    response headers."""
    headers = dict(tag_set)
    swift, s3 = lifecycle.new_object_headers(
        req, backend, req.key, size, dict(object_tags(tag_set)))
    headers.update(swift)
    return headers, s3


# -- object POST that keeps everything else ------------------------------------------
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
    return versioning.request_version(req, backend, 'HEAD', req.bucket,
                                      req.key, version)


def _versions_container(backend: Backend, bucket: str) -> str:
    info = backend.container_info(bucket)
    return unquote((info.get('sysmeta') or {}).get(
        'versions-container', '')) or build_versions_container_name(bucket)


def _post(req: S3Request, backend: Backend, head_headers,
          headers: Dict[str, str]) -> int:
    """POST to the object HEAD found: the key itself, or (a versioned key
    is a symlink) the version in Swift's versions container of the bucket.
    That container is the bucket's own storage, covered by the decision
    on the route (s3_acl's guard only knows the bucket), so the version is
    addressed directly.  Returns the status (409: written meanwhile)."""
    version = head_headers.get(versioning.SWIFT_VERSION_ID)
    if not version or version == 'null':
        return backend.request('POST', req.bucket, req.key, headers=headers,
                               ok=(409,)).status_int
    headers = dict(headers, **{'X-Backend-Allow-Reserved-Names': 'true'})
    env = backend.make_env('POST', _versions_container(backend, req.bucket),
                           build_versions_object_name(req.key, version),
                           headers)
    resp = SwobRequest(env).get_response(backend.app)
    close = getattr(resp.app_iter, 'close', None)
    if close:
        close()
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


# -- ?tagging on objects ------------------------------------------------------------------
def _version_header(head_headers) -> Dict[str, str]:
    return versioning.response_headers(head_headers)


def get_object_tagging(req: S3Request, backend: Backend) -> S3Response:
    head = head_object(backend, req, versioning.requested_version(req))
    return xml_response(tagging_xml(object_tags(head.headers)),
                        headers=_version_header(head.headers))


def _set_object_tags(req: S3Request, backend: Backend, tags: Tags
                     ) -> S3Response:
    def changes(head_headers) -> Dict[str, Optional[str]]:
        out: Dict[str, Optional[str]] = dict(tag_headers(tags))
        out.update(lifecycle.updated_expiry_headers(
            req, backend, req.key, head_headers, dict(tags)))
        return out
    head = object_post(req, backend, versioning.requested_version(req),
                       changes, _TAG_PREFIX)
    return S3Response(200, _version_header(head.headers))


def put_object_tagging(req: S3Request, backend: Backend) -> S3Response:
    body = bucket_config.read_config_body(req, integrity_required=True)
    return _set_object_tags(req, backend,
                            validate(parse_xml(body), MAX_OBJECT_TAGS))


def delete_object_tagging(req: S3Request, backend: Backend) -> S3Response:
    resp = _set_object_tags(req, backend, [])
    resp.status = 204
    return resp


# -- ?tagging on buckets ----------------------------------------------------------------------
def get_bucket_tagging(req: S3Request, backend: Backend) -> S3Response:
    stored = bucket_config.load(
        bucket_config.head_bucket(backend, req.bucket), BUCKET_TAGGING)
    if stored is None:
        raise errors.NoSuchTagSet(BucketName=req.bucket)
    return xml_response(tagging_xml([tuple(t) for t in json.loads(stored)]))


def put_bucket_tagging(req: S3Request, backend: Backend) -> S3Response:
    body = bucket_config.read_config_body(req, integrity_required=True)
    tags = validate(parse_xml(body), MAX_BUCKET_TAGS)
    current = bucket_config.head_bucket(backend, req.bucket)
    bucket_config.store(backend, req.bucket, BUCKET_TAGGING,
                        json.dumps(tags, ensure_ascii=False)
                        if tags else None, current)
    return S3Response(204)


def delete_bucket_tagging(req: S3Request, backend: Backend) -> S3Response:
    current = bucket_config.head_bucket(backend, req.bucket)
    bucket_config.store(backend, req.bucket, BUCKET_TAGGING, None, current)
    return S3Response(204)
