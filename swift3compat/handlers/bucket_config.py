"""Bucket configuration stored in container sysmeta, and four of them:
PublicAccessBlock, OwnershipControls, Logging (``?publicAccessBlock``,
``?ownershipControls``, ``?logging``).

Nothing to enable: the ``swift3`` filter serves these routes.

Storage (``load`` / ``store``, also used by bucket tagging and lifecycle):
each configuration is a text value (JSON, UTF-8, base64-encoded) in
``X-Container-Sysmeta-S3c-<Name>-<i>`` chunks of at most ``CHUNK`` bytes, so
that a large one (a lifecycle configuration of many rules) never exceeds
Swift's header line limit, plus ``X-Container-Sysmeta-S3c-<Name>`` holding
the number of chunks: the newest writer's count wins, so chunks left over
by an older, longer value are never read.  A container POST that carries
only sysmeta keeps everything else.  Readers on the object path take the
value from Swift's cached container info (no extra backend request);
configuration GETs read the HEAD response that also checks the caller's
access.

What each configuration does here:

* PublicAccessBlock is stored and returned; ``public_access_block()`` gives
  it to the ACL code, which enforces BlockPublicAcls / IgnorePublicAcls
  (and the policy code BlockPublicPolicy / RestrictPublicBuckets).
* OwnershipControls is stored and returned; ``object_ownership()`` gives
  it to the ACL code (``BucketOwnerEnforced`` disables ACLs).
* Logging is validated (the target bucket must exist in the same account)
  and stored and returned.  Logs are not delivered into the target bucket:
  Swift's proxy access log (proxy-logging) is where requests are logged.
* RequestPayment stays in ``routing`` (``only_default``): ``BucketOwner`` is
  accepted, ``Requester`` answers NotImplemented.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import zlib
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional

from swift3compat import errors, xmlutil
from swift3compat.auth.signature import content_md5_hex
from swift3compat.backend import CONTAINER_SYSMETA, Backend
from swift3compat.request import S3Request
from swift3compat.response import S3Response, xml_response

CHUNK = 4096
_INFO_PREFIX = 's3c-'      # get_container_info()['sysmeta'] keys
_HEADER_SYSMETA = CONTAINER_SYSMETA.lower()
# Configuration bodies are small; AWS's largest (lifecycle, 1000 rules)
# stays well below this.
MAX_CONFIG_BODY = 1024 * 1024

PUBLIC_ACCESS_BLOCK = 'public-access-block'
OWNERSHIP = 'ownership'
LOGGING = 'logging'


InvalidTargetBucketForLogging = errors.error_class('InvalidTargetBucketForLogging')


# -- storage --------------------------------------------------------------------
def sysmeta_of(headers: Mapping[str, str]) -> Dict[str, str]:
    """Our container sysmeta from a Swift container response's headers,
    keyed as in ``get_container_info()['sysmeta']`` (``s3c-name-0``)."""
    out = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower.startswith(_HEADER_SYSMETA):
            out['s3c-' + lower[len(_HEADER_SYSMETA):]] = value
    return out


def info_sysmeta(backend: Backend, bucket: str) -> Dict[str, str]:
    """Our sysmeta from Swift's cached container info ({} if no bucket)."""
    info = backend.container_info(bucket)
    return {k: v for k, v in (info.get('sysmeta') or {}).items()
            if k.startswith(_INFO_PREFIX)}


def load(sysmeta: Mapping[str, str], name: str) -> Optional[str]:
    """The stored value of configuration ``name``, or None."""
    count = sysmeta.get(_INFO_PREFIX + name)
    if not count:
        return None
    try:
        parts = [sysmeta[_INFO_PREFIX + '%s-%d' % (name, i)]
                 for i in range(int(count))]
    except (KeyError, ValueError):
        return None       # a write in progress elsewhere; treat as unset
    try:
        return base64.b64decode(''.join(parts)).decode('utf-8')
    except (ValueError, UnicodeDecodeError):
        return None


def encode(name: str, value: Optional[str],
           current: Mapping[str, str]) -> Dict[str, str]:
    """The container POST headers that store ``value`` as configuration
    ``name`` (None removes it); ``current`` is the bucket's sysmeta as read
    before (to clear chunks no longer used)."""
    # base64: header values lose leading/trailing white space at chunk
    # edges and must not carry control characters.
    raw = None if value is None else \
        base64.b64encode(value.encode('utf-8')).decode('ascii')
    chunks: List[str] = [] if raw is None else [
        raw[i * CHUNK:(i + 1) * CHUNK]
        for i in range(max(1, math.ceil(len(raw) / CHUNK)))]
    prefix = CONTAINER_SYSMETA + name.title()
    headers = {prefix: str(len(chunks)) if chunks else ''}
    for i, chunk in enumerate(chunks):
        headers['%s-%d' % (prefix, i)] = chunk
    stale = _INFO_PREFIX + name + '-'
    for key in current:
        index = key[len(stale):]
        if key.startswith(stale) and index.isdigit() and \
                int(index) >= len(chunks):
            headers['%s-%s' % (prefix, index)] = ''
    return headers


def store(backend: Backend, bucket: str, name: str, value: Optional[str],
          current: Mapping[str, str]) -> None:
    """Write (or with None remove) configuration ``name`` (see
    ``encode``)."""
    backend.request('POST', bucket, headers=encode(name, value, current))


def head_bucket(backend: Backend, bucket: str) -> Dict[str, str]:
    """HEAD the bucket (existence, the caller's access); its sysmeta."""
    return sysmeta_of(backend.request('HEAD', bucket).headers)


# -- request bodies -------------------------------------------------------------------
_STDLIB_CHECKSUMS = {
    'x-amz-checksum-crc32': lambda b: zlib.crc32(b).to_bytes(4, 'big'),
    'x-amz-checksum-sha1': lambda b: hashlib.sha1(b, usedforsecurity=False).digest(),
    'x-amz-checksum-sha256': lambda b: hashlib.sha256(b).digest(),
}
_OTHER_CHECKSUMS = ('x-amz-checksum-crc32c', 'x-amz-checksum-crc64nvme')


def read_config_body(req: S3Request, integrity_required: bool) -> bytes:
    """The request's XML body, checked against Content-MD5 or an
    ``x-amz-checksum-*`` header when sent (required where AWS requires
    one: ``integrity_required``)."""
    body = xmlutil.read_body(req.environ['wsgi.input'], req.content_length,
                             min(MAX_CONFIG_BODY, req.conf.max_xml_body_size))
    md5 = content_md5_hex(req.header('content-md5'))
    if md5 is not None:
        # Content-MD5 is an integrity check the client asked for, not security.
        if hashlib.md5(body, usedforsecurity=False).hexdigest() != md5:
            raise errors.BadDigest()
        return body
    for header, digest in _STDLIB_CHECKSUMS.items():
        value = req.header(header)
        if value is not None:
            if base64.b64encode(digest(body)).decode() != value.strip():
                raise errors.BadDigest(
                    'The %s you specified did not match the calculated '
                    'checksum.' % header[len('x-amz-checksum-'):].upper())
            return body
    if integrity_required and not any(
            req.header(h) is not None for h in _OTHER_CHECKSUMS):
        raise errors.InvalidRequest(
            'Missing required header for this request: Content-MD5 OR '
            'x-amz-checksum-*')
    return body


def _boolean(node, name: str) -> bool:
    value = xmlutil.text(node, name)
    if value is None:
        return False
    if value.strip().lower() not in ('true', 'false'):
        raise errors.MalformedXML()
    return value.strip().lower() == 'true'


def _only_children(node, allowed) -> None:
    for child in node:
        if isinstance(child.tag, str) and \
                xmlutil.local(child.tag) not in allowed:
            raise errors.MalformedXML()


# -- PublicAccessBlock ------------------------------------------------------------------
@dataclass(frozen=True)
class PublicAccessBlock:
    block_public_acls: bool = False
    ignore_public_acls: bool = False
    block_public_policy: bool = False
    restrict_public_buckets: bool = False


_PAB_FIELDS = (('BlockPublicAcls', 'block_public_acls'),
               ('IgnorePublicAcls', 'ignore_public_acls'),
               ('BlockPublicPolicy', 'block_public_policy'),
               ('RestrictPublicBuckets', 'restrict_public_buckets'))


def public_access_block(sysmeta: Mapping[str, str]) -> PublicAccessBlock:
    """The bucket's PublicAccessBlock (all False when none is set), from
    ``info_sysmeta`` or ``sysmeta_of``."""
    stored = load(sysmeta, PUBLIC_ACCESS_BLOCK)
    if stored is None:
        return PublicAccessBlock()
    return PublicAccessBlock(**json.loads(stored))


def get_public_access_block(req: S3Request, backend: Backend) -> S3Response:
    stored = load(head_bucket(backend, req.bucket), PUBLIC_ACCESS_BLOCK)
    if stored is None:
        raise errors.NoSuchPublicAccessBlockConfiguration(
            BucketName=req.bucket)
    values = json.loads(stored)
    return xml_response(xmlutil.document('PublicAccessBlockConfiguration', [
        xmlutil.elem(tag, 'true' if values[attr] else 'false')
        for tag, attr in _PAB_FIELDS]))


def put_public_access_block(req: S3Request, backend: Backend) -> S3Response:
    body = read_config_body(req, integrity_required=True)
    root = xmlutil.parse(body, 'PublicAccessBlockConfiguration')
    _only_children(root, {tag for tag, _attr in _PAB_FIELDS})
    values = {attr: _boolean(root, tag) for tag, attr in _PAB_FIELDS}
    current = head_bucket(backend, req.bucket)
    store(backend, req.bucket, PUBLIC_ACCESS_BLOCK,
          json.dumps(values, sort_keys=True), current)
    return S3Response(200)


def delete_public_access_block(req: S3Request, backend: Backend
                               ) -> S3Response:
    current = head_bucket(backend, req.bucket)
    store(backend, req.bucket, PUBLIC_ACCESS_BLOCK, None, current)
    return S3Response(204)


# -- OwnershipControls --------------------------------------------------------------------
OWNERSHIP_VALUES = ('BucketOwnerPreferred', 'ObjectWriter',
                    'BucketOwnerEnforced')


def object_ownership(sysmeta: Mapping[str, str]) -> Optional[str]:
    """The bucket's ObjectOwnership setting, or None when none is set."""
    return load(sysmeta, OWNERSHIP)


def get_ownership_controls(req: S3Request, backend: Backend) -> S3Response:
    value = object_ownership(head_bucket(backend, req.bucket))
    if value is None:
        raise errors.OwnershipControlsNotFoundError(BucketName=req.bucket)
    return xml_response(xmlutil.document('OwnershipControls', [
        '<Rule>', xmlutil.elem('ObjectOwnership', value), '</Rule>']))


def put_ownership_controls(req: S3Request, backend: Backend) -> S3Response:
    body = read_config_body(req, integrity_required=True)
    root = xmlutil.parse(body, 'OwnershipControls')
    _only_children(root, {'Rule'})
    rules = xmlutil.children(root, 'Rule')
    if len(rules) != 1:
        raise errors.MalformedXML()
    _only_children(rules[0], {'ObjectOwnership'})
    value = (xmlutil.text(rules[0], 'ObjectOwnership') or '').strip()
    if value not in OWNERSHIP_VALUES:
        raise errors.MalformedXML()
    current = head_bucket(backend, req.bucket)
    store(backend, req.bucket, OWNERSHIP, value, current)
    return S3Response(200)


def delete_ownership_controls(req: S3Request, backend: Backend
                              ) -> S3Response:
    current = head_bucket(backend, req.bucket)
    store(backend, req.bucket, OWNERSHIP, None, current)
    return S3Response(204)


# -- Logging ----------------------------------------------------------------------------------
_XSI_TYPE = '{%s}type' % xmlutil.XSI_NS
_GRANTEE_TYPES = {'CanonicalUser': 'ID', 'Group': 'URI',
                  'AmazonCustomerByEmail': 'EmailAddress'}
_LOG_PERMISSIONS = ('FULL_CONTROL', 'READ', 'WRITE')
_DATE_SOURCES = ('EventTime', 'DeliveryTime')


def _parse_grant(node) -> Dict[str, str]:
    grantee = xmlutil.child(node, 'Grantee')
    permission = (xmlutil.text(node, 'Permission') or '').strip()
    if grantee is None or permission not in _LOG_PERMISSIONS:
        raise errors.MalformedXML()
    kind = grantee.get(_XSI_TYPE)
    field = _GRANTEE_TYPES.get(kind or '')
    value = xmlutil.text(grantee, field) if field else None
    if not value:
        raise errors.MalformedXML()
    return {'type': kind, 'value': value.strip(), 'permission': permission}


def _parse_key_format(node) -> Dict[str, str]:
    simple = xmlutil.child(node, 'SimplePrefix')
    partitioned = xmlutil.child(node, 'PartitionedPrefix')
    if (simple is None) == (partitioned is None):
        raise errors.MalformedXML()
    if simple is not None:
        return {'format': 'simple'}
    source = (xmlutil.text(partitioned, 'PartitionDateSource') or
              'EventTime').strip()
    if source not in _DATE_SOURCES:
        raise errors.MalformedXML()
    return {'format': 'partitioned', 'source': source}


def _parse_logging(root) -> Optional[Dict[str, object]]:
    _only_children(root, {'LoggingEnabled'})
    enabled = xmlutil.child(root, 'LoggingEnabled')
    if enabled is None:
        return None
    _only_children(enabled, {'TargetBucket', 'TargetPrefix', 'TargetGrants',
                             'TargetObjectKeyFormat'})
    target = (xmlutil.text(enabled, 'TargetBucket') or '').strip()
    prefix = xmlutil.text(enabled, 'TargetPrefix')
    if not target or prefix is None:
        raise errors.MalformedXML()
    config: Dict[str, object] = {'bucket': target, 'prefix': prefix}
    grants = xmlutil.child(enabled, 'TargetGrants')
    if grants is not None:
        _only_children(grants, {'Grant'})
        config['grants'] = [_parse_grant(g)
                            for g in xmlutil.children(grants, 'Grant')]
    key_format = xmlutil.child(enabled, 'TargetObjectKeyFormat')
    if key_format is not None:
        config['key_format'] = _parse_key_format(key_format)
    return config


def _grant_xml(grant: Mapping[str, str]) -> str:
    field = _GRANTEE_TYPES[grant['type']]
    return ('<Grant><Grantee xmlns:xsi="%s" xsi:type="%s">%s</Grantee>%s'
            '</Grant>' % (xmlutil.XSI_NS, grant['type'],
                          xmlutil.elem(field, grant['value']),
                          xmlutil.elem('Permission', grant['permission'])))


def _key_format_xml(key_format: Mapping[str, str]) -> str:
    if key_format['format'] == 'simple':
        inner = '<SimplePrefix></SimplePrefix>'
    else:
        inner = '<PartitionedPrefix>%s</PartitionedPrefix>' % xmlutil.elem(
            'PartitionDateSource', key_format['source'])
    return '<TargetObjectKeyFormat>%s</TargetObjectKeyFormat>' % inner


def get_logging(req: S3Request, backend: Backend) -> S3Response:
    stored = load(head_bucket(backend, req.bucket), LOGGING)
    if stored is None:
        return xml_response(xmlutil.document('BucketLoggingStatus', []))
    config = json.loads(stored)
    parts = [xmlutil.elem('TargetBucket', config['bucket']),
             xmlutil.elem('TargetPrefix', config['prefix'])]
    if 'grants' in config:
        parts.append('<TargetGrants>%s</TargetGrants>' % ''.join(
            _grant_xml(g) for g in config['grants']))
    if 'key_format' in config:
        parts.append(_key_format_xml(config['key_format']))
    return xml_response(xmlutil.document('BucketLoggingStatus', [
        '<LoggingEnabled>', ''.join(parts), '</LoggingEnabled>']))


def put_logging(req: S3Request, backend: Backend) -> S3Response:
    body = read_config_body(req, integrity_required=False)
    config = _parse_logging(xmlutil.parse(body, 'BucketLoggingStatus'))
    current = head_bucket(backend, req.bucket)
    if config is not None and not backend.container_exists(config['bucket']):
        # the target is looked up in the bucket owner's account: same owner
        raise InvalidTargetBucketForLogging(TargetBucket=config['bucket'])
    store(backend, req.bucket, LOGGING,
          None if config is None else json.dumps(
              config, ensure_ascii=False, sort_keys=True),
          current)
    return S3Response(200)
