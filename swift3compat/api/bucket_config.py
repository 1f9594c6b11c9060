"""Four bucket configurations stored in container sysmeta:
PublicAccessBlock, OwnershipControls, Logging, RequestPayment
(``?publicAccessBlock``, ``?ownershipControls``, ``?logging``,
``?requestPayment``).

Nothing to enable: the ``swift3`` filter serves these routes.

Storage (``load`` / ``store``, also used by bucket tagging, lifecycle,
CORS, website and policy) is ``swift.bucket_config``.

What each configuration does here:

* PublicAccessBlock is stored and returned; ``public_access_block()`` gives
  it to the ACL code, which enforces BlockPublicAcls / IgnorePublicAcls
  (and the policy code BlockPublicPolicy / RestrictPublicBuckets).
* OwnershipControls is stored and returned; ``object_ownership()`` gives
  it to the ACL code (``BucketOwnerEnforced`` disables ACLs).
* Logging is validated (``_check_target``: the target bucket exists and has
  the same owner or grants the logging service, as AWS requires), stored and
  returned; ``swift.log_delivery`` delivers the records into the target
  (doc/access-logging.md).
* RequestPayment is stored and returned; who pays stays the operator's
  business (nothing is billed here), and requests that say
  ``x-amz-request-payer: requester`` are served as any other.
"""
from __future__ import annotations

import json
from typing import Dict, Mapping, Optional

from swift3compat import errors
from swift3compat.authz.access import ENFORCED, Guard
from swift3compat.authz.policy import bucket_policy
from swift3compat.http import xml
from swift3compat.model import policy as policy_model
from swift3compat.model.acl import (FULL_CONTROL, LOG_DELIVERY, WRITE, Grantee,
                                    same_id)
from swift3compat.http.body import read_config_body
from swift3compat.http.request import S3Request
from swift3compat.http.response import S3Response, xml_response
from swift3compat.swift.backend import Backend
from swift3compat.swift.bucket_config import (LOGGING, OWNERSHIP,
                                              OWNERSHIP_VALUES,
                                              PUBLIC_ACCESS_BLOCK,
                                              REQUEST_PAYMENT, head_bucket,
                                              load, object_ownership, remove,
                                              replace, store)


# -- request bodies -------------------------------------------------------------------
def _boolean(node, name: str) -> bool:
    value = xml.text(node, name)
    if value is None:
        return False
    if value.strip().lower() not in ('true', 'false'):
        raise errors.MalformedXML()
    return value.strip().lower() == 'true'


def _only_children(node, allowed) -> None:
    for child in node:
        if isinstance(child.tag, str) and \
                xml.local(child.tag) not in allowed:
            raise errors.MalformedXML()


# -- PublicAccessBlock ------------------------------------------------------------------
_PAB_FIELDS = (('BlockPublicAcls', 'block_public_acls'),
               ('IgnorePublicAcls', 'ignore_public_acls'),
               ('BlockPublicPolicy', 'block_public_policy'),
               ('RestrictPublicBuckets', 'restrict_public_buckets'))


def get_public_access_block(req: S3Request, backend: Backend) -> S3Response:
    stored = load(head_bucket(backend, req.bucket), PUBLIC_ACCESS_BLOCK)
    if stored is None:
        raise errors.NoSuchPublicAccessBlockConfiguration(
            BucketName=req.bucket)
    values = json.loads(stored)
    return xml_response(xml.document('PublicAccessBlockConfiguration', [
        xml.elem(tag, 'true' if values[attr] else 'false')
        for tag, attr in _PAB_FIELDS]))


def put_public_access_block(req: S3Request, backend: Backend) -> S3Response:
    body = read_config_body(req, integrity_required=True)
    root = xml.parse(body, 'PublicAccessBlockConfiguration')
    _only_children(root, {tag for tag, _attr in _PAB_FIELDS})
    values = {attr: _boolean(root, tag) for tag, attr in _PAB_FIELDS}
    replace(backend, req.bucket, PUBLIC_ACCESS_BLOCK,
            json.dumps(values, sort_keys=True))
    return S3Response(200)


def delete_public_access_block(req: S3Request, backend: Backend
                               ) -> S3Response:
    remove(backend, req.bucket, PUBLIC_ACCESS_BLOCK)
    return S3Response(204)


# -- OwnershipControls --------------------------------------------------------------------


def get_ownership_controls(req: S3Request, backend: Backend) -> S3Response:
    value = object_ownership(head_bucket(backend, req.bucket))
    if value is None:
        raise errors.OwnershipControlsNotFoundError(BucketName=req.bucket)
    return xml_response(xml.document('OwnershipControls', [
        '<Rule>', xml.elem('ObjectOwnership', value), '</Rule>']))


def put_ownership_controls(req: S3Request, backend: Backend) -> S3Response:
    body = read_config_body(req, integrity_required=True)
    root = xml.parse(body, 'OwnershipControls')
    _only_children(root, {'Rule'})
    rules = xml.children(root, 'Rule')
    if len(rules) != 1:
        raise errors.MalformedXML()
    _only_children(rules[0], {'ObjectOwnership'})
    value = (xml.text(rules[0], 'ObjectOwnership') or '').strip()
    if value not in OWNERSHIP_VALUES:
        raise errors.MalformedXML()
    guard = backend.guard
    if value == ENFORCED and isinstance(guard, Guard):
        # ACLs can be disabled only on a bucket whose ACL gives the owner
        # alone full control (AWS: InvalidBucketAclWithObjectOwnership)
        bucket_acl = guard.bucket_acl()
        if not bucket_acl.only_full_control_for(bucket_acl.owner.id):
            raise errors.InvalidBucketAclWithObjectOwnership()
    replace(backend, req.bucket, OWNERSHIP, value)
    return S3Response(200)


def delete_ownership_controls(req: S3Request, backend: Backend
                              ) -> S3Response:
    remove(backend, req.bucket, OWNERSHIP)
    return S3Response(204)


# -- Logging ----------------------------------------------------------------------------------
_XSI_TYPE = '{%s}type' % xml.XSI_NS
_GRANTEE_TYPES = {'CanonicalUser': 'ID', 'Group': 'URI',
                  'AmazonCustomerByEmail': 'EmailAddress'}
_LOG_PERMISSIONS = ('FULL_CONTROL', 'READ', 'WRITE')
_DATE_SOURCES = ('EventTime', 'DeliveryTime')


def _parse_grant(node) -> Dict[str, str]:
    grantee = xml.child(node, 'Grantee')
    permission = (xml.text(node, 'Permission') or '').strip()
    if grantee is None or permission not in _LOG_PERMISSIONS:
        raise errors.MalformedXML()
    kind = grantee.get(_XSI_TYPE)
    field = _GRANTEE_TYPES.get(kind or '')
    value = xml.text(grantee, field) if field else None
    if not value:
        raise errors.MalformedXML()
    return {'type': kind, 'value': value.strip(), 'permission': permission}


def _parse_key_format(node) -> Dict[str, str]:
    simple = xml.child(node, 'SimplePrefix')
    partitioned = xml.child(node, 'PartitionedPrefix')
    if (simple is None) == (partitioned is None):
        raise errors.MalformedXML()
    if simple is not None:
        return {'format': 'simple'}
    source = (xml.text(partitioned, 'PartitionDateSource') or
              'EventTime').strip()
    if source not in _DATE_SOURCES:
        raise errors.MalformedXML()
    return {'format': 'partitioned', 'source': source}


def _parse_logging(root) -> Optional[Dict[str, object]]:
    _only_children(root, {'LoggingEnabled'})
    enabled = xml.child(root, 'LoggingEnabled')
    if enabled is None:
        return None
    _only_children(enabled, {'TargetBucket', 'TargetPrefix', 'TargetGrants',
                             'TargetObjectKeyFormat'})
    target = (xml.text(enabled, 'TargetBucket') or '').strip()
    prefix = xml.text(enabled, 'TargetPrefix')
    if not target or prefix is None:
        raise errors.MalformedXML()
    config: Dict[str, object] = {'bucket': target, 'prefix': prefix}
    grants = xml.child(enabled, 'TargetGrants')
    if grants is not None:
        _only_children(grants, {'Grant'})
        config['grants'] = [_parse_grant(g)
                            for g in xml.children(grants, 'Grant')]
    key_format = xml.child(enabled, 'TargetObjectKeyFormat')
    if key_format is not None:
        config['key_format'] = _parse_key_format(key_format)
    return config


def _grant_xml(grant: Mapping[str, str]) -> str:
    field = _GRANTEE_TYPES[grant['type']]
    return ('<Grant><Grantee xmlns:xsi="%s" xsi:type="%s">%s</Grantee>%s'
            '</Grant>' % (xml.XSI_NS, grant['type'],
                          xml.elem(field, grant['value']),
                          xml.elem('Permission', grant['permission'])))


def _key_format_xml(key_format: Mapping[str, str]) -> str:
    if key_format['format'] == 'simple':
        inner = '<SimplePrefix></SimplePrefix>'
    else:
        inner = '<PartitionedPrefix>%s</PartitionedPrefix>' % xml.elem(
            'PartitionDateSource', key_format['source'])
    return '<TargetObjectKeyFormat>%s</TargetObjectKeyFormat>' % inner


def get_logging(req: S3Request, backend: Backend) -> S3Response:
    stored = load(head_bucket(backend, req.bucket), LOGGING)
    if stored is None:
        return xml_response(xml.document('BucketLoggingStatus', []))
    config = json.loads(stored)
    parts = [xml.elem('TargetBucket', config['bucket']),
             xml.elem('TargetPrefix', config['prefix'])]
    if 'grants' in config:
        parts.append('<TargetGrants>%s</TargetGrants>' % ''.join(
            _grant_xml(g) for g in config['grants']))
    if 'key_format' in config:
        parts.append(_key_format_xml(config['key_format']))
    return xml_response(xml.document('BucketLoggingStatus', [
        '<LoggingEnabled>', ''.join(parts), '</LoggingEnabled>']))


def put_logging(req: S3Request, backend: Backend) -> S3Response:
    body = read_config_body(req, integrity_required=False)
    config = _parse_logging(xml.parse(body, 'BucketLoggingStatus'))
    current = head_bucket(backend, req.bucket)
    if config is not None:
        config.update(_check_target(req, backend, str(config['bucket']),
                                    str(config['prefix'])))
    store(backend, req.bucket, LOGGING,
          None if config is None else json.dumps(
              config, ensure_ascii=False, sort_keys=True),
          current)
    return S3Response(200)


_NOT_PERMITTED = ('You must either own the target bucket or give the '
                  'logging service (logging.s3.amazonaws.com) s3:PutObject '
                  'in its bucket policy, or the LogDelivery group WRITE '
                  'permission in its ACL')


def _check_target(req: S3Request, backend: Backend, target: str,
                  prefix: str) -> Dict[str, str]:
    """Where log objects of ``req.bucket`` may be written: the target's
    account and owner (stored with the configuration, read by the
    delivery).  InvalidTargetBucketForLogging unless the target exists and
    belongs to the same owner or grants the logging service, by bucket
    policy (principal ``logging.s3.amazonaws.com``, ``s3:PutObject``) or by
    ACL (``LogDelivery`` group WRITE)."""
    guard = backend.guard
    if not isinstance(guard, Guard):
        # without s3_acl the target is looked up in the bucket owner's
        # account: same owner, nothing can be granted
        if not backend.container_exists(target):
            raise errors.InvalidTargetBucketForLogging(TargetBucket=target)
        return {'account': backend.account or '',
                'owner': backend.account or ''}
    try:
        target_acl = guard.locate(target)
    except errors.NoSuchBucket:
        raise errors.InvalidTargetBucketForLogging(
            TargetBucket=target) from None
    account = guard.accounts[target]
    stored = {'account': account, 'owner': target_acl.owner.id}
    source_owner = guard.bucket_acl(req.bucket).owner.id
    if account == guard.accounts[req.bucket] or \
            same_id(target_acl.owner.id, source_owner):
        return stored
    verdict = policy_model.evaluate(
        bucket_policy(guard.sysmeta[target], target), policy_model.Context(
            action='s3:PutObject',
            resource=policy_model.resource_arn(target, prefix),
            principal_ids=frozenset([policy_model.SERVICE_PREFIX +
                                     policy_model.LOGGING_SERVICE]),
            source_account=guard.accounts[req.bucket],
            source_arn=policy_model.resource_arn(req.bucket)))
    if verdict == policy_model.ALLOW:
        return stored
    log_delivery = Grantee.group(LOG_DELIVERY)
    if verdict is None and any(
            g.grantee == log_delivery and g.permission in (WRITE, FULL_CONTROL)
            for g in target_acl.grants):
        return stored
    raise errors.InvalidTargetBucketForLogging(_NOT_PERMITTED,
                                               TargetBucket=target)


# -- RequestPayment -----------------------------------------------------------------------
PAYERS = ('BucketOwner', 'Requester')


def get_request_payment(req: S3Request, backend: Backend) -> S3Response:
    payer = load(head_bucket(backend, req.bucket), REQUEST_PAYMENT)
    return xml_response(xml.document('RequestPaymentConfiguration', [
        xml.elem('Payer', payer or PAYERS[0])]))


def put_request_payment(req: S3Request, backend: Backend) -> S3Response:
    body = read_config_body(req, integrity_required=False)
    root = xml.parse(body, 'RequestPaymentConfiguration')
    _only_children(root, {'Payer'})
    payer = (xml.text(root, 'Payer') or '').strip()
    if payer not in PAYERS:
        raise errors.MalformedXML()
    replace(backend, req.bucket, REQUEST_PAYMENT,
            None if payer == PAYERS[0] else payer)
    return S3Response(200)
