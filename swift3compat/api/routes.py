"""THE route table: (resource level, sub-resource, method) → a row that
carries everything about the route: its handler, the permission it needs
under S3 ACLs (``authz.access``) and its S3 policy action (``authz.policy``).
Every row names all three; nothing falls back to a default.

Every S3 sub-resource is named here.  A request is routed by its level
(``service``, ``bucket``, ``object``), its primary sub-resource (the first
known sub-resource in its query, in ``SUBRESOURCES`` order; ``versionId``
and ``partNumber`` only modify the plain operation) and its method:

* a row in ``ROUTE_TABLE`` → its handler;
* a known sub-resource without a row → 501 NotImplemented (never the plain
  operation: ``DELETE /bucket?lifecycle`` must not delete the bucket);
* no sub-resource and no row → 405 MethodNotAllowed.

Query parameters that are not sub-resources (``prefix``, ``list-type``,
``response-content-type``, ...) are ignored here, as AWS does.

``unset(code)`` rows answer a GET on a configuration that is supported but
not set with the 404 that AWS sends, after checking that the bucket (or
object) exists.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Tuple

from swift3compat import errors
from swift3compat.api import (acl, attributes, bucket, bucket_config, cors,
                              encryption, lifecycle, multi_delete, obj, policy,
                              post_object, service, tagging, versioning,
                              website)
from swift3compat.api.multipart import complete, create, listing, part
from swift3compat.api import object_lock, sosapi
from swift3compat.authz.access import (BUCKET, NATIVE, NONE, OBJECT, OWNER,
                                       Permission)
from swift3compat.http import xml
from swift3compat.model import access_log
from swift3compat.http.request import S3Request
from swift3compat.http.response import S3Response, xml_response
from swift3compat.model.acl import READ, READ_ACP, WRITE, WRITE_ACP
from swift3compat.model.policy import bucket_config_action
from swift3compat.swift.backend import Backend

Handler = Callable[[S3Request, Backend], S3Response]
Key = Tuple[str, str, str]          # (level, sub-resource, method)


@dataclass(frozen=True)
class Route:
    """One row of the route table."""

    handler: Handler
    # What the route needs under S3 ACLs: (kind, ACL permission), see
    # authz.access (NATIVE: the auth filter decides on the caller's own
    # account; NONE: no backend access at all; OWNER: the bucket owner).
    permission: Permission
    # Its S3 policy action ('s3:GetObject'), and the action when the
    # request names a versionId, where AWS has one ('s3:GetObjectVersion').
    # None only for a route that never reaches the backend (NONE).
    action: Optional[str]
    version_action: Optional[str] = None

    def action_of(self, req: S3Request) -> Optional[str]:
        """The policy action of ``req`` routed here."""
        if self.version_action is not None and 'versionId' in req.query:
            return self.version_action
        return self.action

# Sub-resources in routing priority order.  uploadId comes last so that
# "?uploadId=..&partNumber=.." routes to the multipart handlers.
SUBRESOURCES: Tuple[str, ...] = (
    'abac', 'accelerate', 'acl', 'analytics', 'attributes', 'cors', 'delete',
    'encryption', 'intelligent-tiering', 'inventory', 'legal-hold',
    'lifecycle', 'location', 'logging', 'metadataConfiguration',
    'metadataInventoryTable', 'metadataJournalTable', 'metadataTable', 'metrics',
    'notification', 'object-lock', 'ownershipControls', 'policy',
    'policyStatus', 'publicAccessBlock', 'replication', 'requestPayment',
    'restore', 'retention', 'select', 'session', 'tagging', 'torrent',
    'uploads', 'versioning', 'versions', 'website', 'renameObject',
    'uploadId')


# The resource of the access log's operation field (REST.<METHOD>.<RESOURCE>,
# model/access_log.py), by (level, sub-resource) or (level, sub-resource,
# method); a sub-resource not named here logs as its upper-cased name.
LOG_RESOURCES: Dict[Tuple[str, ...], str] = {
    ('service', ''): 'SERVICE', ('bucket', ''): 'BUCKET',
    ('object', ''): 'OBJECT', ('bucket', '', 'POST'): 'OBJECT',
    ('bucket', 'logging'): 'LOGGING_STATUS', ('bucket', 'policy'): 'BUCKETPOLICY',
    ('bucket', 'policyStatus'): 'BUCKETPOLICYSTATUS',
    ('bucket', 'versions'): 'BUCKETVERSIONS',
    ('bucket', 'delete'): 'MULTI_OBJECT_DELETE',
    ('bucket', 'requestPayment'): 'REQUEST_PAYMENT',
    ('bucket', 'object-lock'): 'OBJECT_LOCK_CONFIGURATION',
    ('bucket', 'ownershipControls'): 'OWNERSHIP_CONTROLS',
    ('bucket', 'publicAccessBlock'): 'PUBLIC_ACCESS_BLOCK',
    ('bucket', 'uploads'): 'UPLOADS', ('object', 'uploads'): 'UPLOADS',
    ('object', 'uploadId', 'PUT'): 'PART', ('object', 'uploadId'): 'UPLOAD',
    ('object', 'tagging'): 'OBJECT_TAGGING',
    ('object', 'attributes'): 'OBJECT_ATTRIBUTES',
    ('object', 'legal-hold'): 'LEGAL_HOLD', ('object', 'retention'): 'RETENTION',
    ('bucket', '', 'OPTIONS'): 'PREFLIGHT', ('object', '', 'OPTIONS'): 'PREFLIGHT',
}

def unset(code: str) -> Handler:
    """GET of a supported configuration that is not set: AWS's 404."""
    error = errors.error_class(code)

    def handler(req: S3Request, backend: Backend) -> S3Response:
        backend.request('HEAD', req.bucket, req.key)
        raise error(BucketName=req.bucket)
    handler.__name__ = 'unset_' + code
    return handler


def fixed(root: str, inner: str = '') -> Handler:
    """GET of a configuration whose answer is a constant document."""
    def handler(req: S3Request, backend: Backend) -> S3Response:
        backend.request('HEAD', req.bucket, req.key)
        return xml_response(xml.document(root, [inner]))
    handler.__name__ = 'fixed_' + root
    return handler


def only_default(root: str, is_default: Callable[[Any], bool],
                 feature: str) -> Handler:
    """PUT of a configuration supported only in its default state: a body
    asking for the default is accepted (nothing to store), anything else
    is NotImplemented.  ``is_default`` raises MalformedXML for bad bodies."""
    def handler(req: S3Request, backend: Backend) -> S3Response:
        body = xml.read_body(req.environ['wsgi.input'],
                             req.content_length,
                             xml.body_limit(root, req.conf))
        backend.request('HEAD', req.bucket)
        if not is_default(xml.parse(body, root)):
            raise errors.NotImplemented('%s is not implemented' % feature)
        return S3Response(200)
    handler.__name__ = 'only_default_' + root
    return handler


def _child_text_in(name: str, default: str, allowed: Tuple[str, ...]
                   ) -> Callable[[Any], bool]:
    def is_default(root) -> bool:
        value = xml.text(root, name)
        if value not in allowed:
            raise errors.MalformedXML()
        return value == default
    return is_default


def _no_children(root) -> bool:
    return not any(isinstance(node.tag, str) for node in root)


def post_object_handler(req: S3Request, backend: Backend) -> S3Response:
    """A browser form upload (POST Object): PutObject of the form's file."""
    return post_object.post_object(req, backend, obj.put_object)


post_object_handler.__name__ = 'post_object'


ROUTE_TABLE: Dict[Key, Route] = {
    # service
    ('service', '', 'GET'): Route(service.list_buckets, (NATIVE, None), 's3:ListAllMyBuckets'),
    # bucket
    ('bucket', '', 'GET'): Route(bucket.list_objects, (BUCKET, READ), 's3:ListBucket'),
    ('bucket', '', 'HEAD'): Route(bucket.head_bucket, (BUCKET, READ), 's3:ListBucket'),
    ('bucket', '', 'PUT'): Route(bucket.create_bucket, (NATIVE, None), 's3:CreateBucket'),
    ('bucket', '', 'DELETE'): Route(bucket.delete_bucket, (BUCKET, OWNER), 's3:DeleteBucket'),
    ('bucket', '', 'OPTIONS'): Route(cors.preflight, (NONE, None), None),
    ('bucket', '', 'POST'): Route(post_object_handler, (BUCKET, WRITE), 's3:PutObject'),
    ('bucket', 'acl', 'GET'): Route(acl.get_acl, (BUCKET, READ_ACP), 's3:GetBucketAcl'),
    ('bucket', 'acl', 'PUT'): Route(acl.put_acl, (BUCKET, WRITE_ACP), 's3:PutBucketAcl'),
    ('bucket', 'delete', 'POST'): Route(
        multi_delete.delete_objects,
        (BUCKET, WRITE), 's3:DeleteObject'),
    ('bucket', 'location', 'GET'): Route(
        bucket.get_location,
        (BUCKET, READ), 's3:GetBucketLocation'),
    ('bucket', 'versioning', 'GET'): Route(
        versioning.get_bucket_versioning,
        (BUCKET, OWNER), 's3:GetBucketVersioning'),
    ('bucket', 'versioning', 'PUT'): Route(
        versioning.put_bucket_versioning,
        (BUCKET, OWNER), 's3:PutBucketVersioning'),
    ('bucket', 'versions', 'GET'): Route(
        versioning.list_object_versions,
        (BUCKET, READ), 's3:ListBucketVersions'),
    ('bucket', 'logging', 'GET'): Route(
        bucket_config.get_logging,
        (BUCKET, OWNER), 's3:GetBucketLogging'),
    ('bucket', 'logging', 'PUT'): Route(
        bucket_config.put_logging,
        (BUCKET, OWNER), 's3:PutBucketLogging'),
    ('bucket', 'requestPayment', 'GET'): Route(
        bucket_config.get_request_payment,
        (BUCKET, OWNER), 's3:GetBucketRequestPayment'),
    ('bucket', 'requestPayment', 'PUT'): Route(
        bucket_config.put_request_payment,
        (BUCKET, OWNER), 's3:PutBucketRequestPayment'),
    ('bucket', 'accelerate', 'GET'): Route(
        fixed('AccelerateConfiguration'),
        (BUCKET, OWNER), 's3:GetAccelerateConfiguration'),
    ('bucket', 'accelerate', 'PUT'): Route(
        only_default('AccelerateConfiguration',
                     _child_text_in('Status', 'Suspended',
                                    ('Enabled', 'Suspended')),
                     'Transfer acceleration'),
        (BUCKET, OWNER), 's3:PutAccelerateConfiguration'),
    ('bucket', 'notification', 'GET'): Route(
        fixed('NotificationConfiguration'),
        (BUCKET, OWNER), 's3:GetBucketNotification'),
    ('bucket', 'notification', 'PUT'): Route(
        only_default('NotificationConfiguration', _no_children, 'Event notification'),
        (BUCKET, OWNER), 's3:PutBucketNotification'),
    ('bucket', 'lifecycle', 'GET'): Route(
        lifecycle.get_lifecycle,
        (BUCKET, OWNER), 's3:GetLifecycleConfiguration'),
    ('bucket', 'lifecycle', 'PUT'): Route(
        lifecycle.put_lifecycle,
        (BUCKET, OWNER), 's3:PutLifecycleConfiguration'),
    ('bucket', 'lifecycle', 'DELETE'): Route(
        lifecycle.delete_lifecycle,
        (BUCKET, OWNER), 's3:PutLifecycleConfiguration'),
    ('bucket', 'cors', 'GET'): Route(cors.get_bucket_cors, (BUCKET, OWNER), 's3:GetBucketCORS'),
    ('bucket', 'cors', 'PUT'): Route(cors.put_bucket_cors, (BUCKET, OWNER), 's3:PutBucketCORS'),
    ('bucket', 'cors', 'DELETE'): Route(
        cors.delete_bucket_cors,
        (BUCKET, OWNER), 's3:PutBucketCORS'),
    ('bucket', 'policy', 'GET'): Route(
        policy.get_bucket_policy,
        (BUCKET, OWNER), 's3:GetBucketPolicy'),
    ('bucket', 'policy', 'PUT'): Route(
        policy.put_bucket_policy,
        (BUCKET, OWNER), 's3:PutBucketPolicy'),
    ('bucket', 'policy', 'DELETE'): Route(
        policy.delete_bucket_policy,
        (BUCKET, OWNER), 's3:DeleteBucketPolicy'),
    ('bucket', 'policyStatus', 'GET'): Route(
        policy.get_bucket_policy_status,
        (BUCKET, OWNER), 's3:GetBucketPolicyStatus'),
    ('bucket', 'tagging', 'GET'): Route(
        tagging.get_bucket_tagging,
        (BUCKET, OWNER), 's3:GetBucketTagging'),
    ('bucket', 'tagging', 'PUT'): Route(
        tagging.put_bucket_tagging,
        (BUCKET, OWNER), 's3:PutBucketTagging'),
    ('bucket', 'tagging', 'DELETE'): Route(
        tagging.delete_bucket_tagging,
        (BUCKET, OWNER), 's3:PutBucketTagging'),
    ('bucket', 'website', 'GET'): Route(
        website.get_bucket_website,
        (BUCKET, OWNER), 's3:GetBucketWebsite'),
    ('bucket', 'website', 'PUT'): Route(
        website.put_bucket_website,
        (BUCKET, OWNER), 's3:PutBucketWebsite'),
    ('bucket', 'website', 'DELETE'): Route(
        website.delete_bucket_website,
        (BUCKET, OWNER), 's3:DeleteBucketWebsite'),
    ('bucket', 'object-lock', 'GET'): Route(
        object_lock.get_object_lock_configuration,
        (BUCKET, OWNER), 's3:GetBucketObjectLockConfiguration'),
    ('bucket', 'object-lock', 'PUT'): Route(
        object_lock.put_object_lock_configuration,
        (BUCKET, OWNER), 's3:PutBucketObjectLockConfiguration'),
    ('object', 'retention', 'GET'): Route(
        object_lock.get_object_retention,
        (BUCKET, OWNER), 's3:GetObjectRetention'),
    ('object', 'retention', 'PUT'): Route(
        object_lock.put_object_retention,
        (BUCKET, OWNER), 's3:PutObjectRetention'),
    ('object', 'legal-hold', 'GET'): Route(
        object_lock.get_object_legal_hold,
        (BUCKET, OWNER), 's3:GetObjectLegalHold'),
    ('object', 'legal-hold', 'PUT'): Route(
        object_lock.put_object_legal_hold,
        (BUCKET, OWNER), 's3:PutObjectLegalHold'),
    ('bucket', 'ownershipControls', 'GET'): Route(
        bucket_config.get_ownership_controls,
        (BUCKET, OWNER), 's3:GetBucketOwnershipControls'),
    ('bucket', 'ownershipControls', 'PUT'): Route(
        bucket_config.put_ownership_controls,
        (BUCKET, OWNER), 's3:PutBucketOwnershipControls'),
    ('bucket', 'ownershipControls', 'DELETE'): Route(
        bucket_config.delete_ownership_controls,
        (BUCKET, OWNER), 's3:DeleteBucketOwnershipControls'),
    ('bucket', 'publicAccessBlock', 'GET'): Route(
        bucket_config.get_public_access_block,
        (BUCKET, OWNER), 's3:GetBucketPublicAccessBlock'),
    ('bucket', 'publicAccessBlock', 'PUT'): Route(
        bucket_config.put_public_access_block,
        (BUCKET, OWNER), 's3:PutBucketPublicAccessBlock'),
    ('bucket', 'publicAccessBlock', 'DELETE'): Route(
        bucket_config.delete_public_access_block,
        (BUCKET, OWNER), 's3:PutBucketPublicAccessBlock'),
    ('bucket', 'replication', 'GET'): Route(
        unset('ReplicationConfigurationNotFoundError'),
        (BUCKET, OWNER), 's3:GetReplicationConfiguration'),
    ('bucket', 'encryption', 'GET'): Route(
        encryption.get_bucket_encryption,
        (BUCKET, OWNER), 's3:GetEncryptionConfiguration'),
    ('bucket', 'encryption', 'PUT'): Route(
        encryption.put_bucket_encryption,
        (BUCKET, OWNER), 's3:PutEncryptionConfiguration'),
    # AWS: DeleteBucketEncryption needs s3:PutEncryptionConfiguration
    ('bucket', 'encryption', 'DELETE'): Route(
        encryption.delete_bucket_encryption,
        (BUCKET, OWNER), 's3:PutEncryptionConfiguration'),
    # object
    ('object', '', 'GET'): Route(
        obj.get_object,
        (OBJECT, READ), 's3:GetObject', 's3:GetObjectVersion'),
    ('object', '', 'HEAD'): Route(
        obj.head_object,
        (OBJECT, READ), 's3:GetObject', 's3:GetObjectVersion'),
    ('object', '', 'PUT'): Route(obj.put_object, (BUCKET, WRITE), 's3:PutObject'),
    ('object', '', 'DELETE'): Route(
        obj.delete_object,
        (BUCKET, WRITE), 's3:DeleteObject', 's3:DeleteObjectVersion'),
    ('object', '', 'OPTIONS'): Route(cors.preflight, (NONE, None), None),
    ('object', 'acl', 'GET'): Route(
        acl.get_acl,
        (OBJECT, READ_ACP), 's3:GetObjectAcl', 's3:GetObjectVersionAcl'),
    ('object', 'acl', 'PUT'): Route(
        acl.put_acl,
        (OBJECT, WRITE_ACP), 's3:PutObjectAcl', 's3:PutObjectVersionAcl'),
    ('object', 'tagging', 'GET'): Route(
        tagging.get_object_tagging,
        (OBJECT, READ), 's3:GetObjectTagging', 's3:GetObjectVersionTagging'),
    ('object', 'tagging', 'PUT'): Route(
        tagging.put_object_tagging,
        (BUCKET, OWNER), 's3:PutObjectTagging', 's3:PutObjectVersionTagging'),
    ('object', 'tagging', 'DELETE'): Route(
        tagging.delete_object_tagging,
        (BUCKET, OWNER), 's3:DeleteObjectTagging', 's3:DeleteObjectVersionTagging'),
    ('object', 'attributes', 'GET'): Route(
        attributes.get_object_attributes,
        (OBJECT, READ), 's3:GetObjectAttributes', 's3:GetObjectVersionAttributes'),
    # multipart uploads
    ('bucket', 'uploads', 'GET'): Route(
        listing.list_multipart_uploads,
        (BUCKET, READ), 's3:ListBucketMultipartUploads'),
    ('object', 'uploads', 'POST'): Route(
        create.create_multipart_upload,
        (BUCKET, WRITE), 's3:PutObject'),
    ('object', 'uploadId', 'PUT'): Route(part.upload_part, (BUCKET, WRITE), 's3:PutObject'),
    ('object', 'uploadId', 'GET'): Route(
        listing.list_parts,
        (BUCKET, READ), 's3:ListMultipartUploadParts'),
    ('object', 'uploadId', 'POST'): Route(
        complete.complete_multipart_upload,
        (BUCKET, WRITE), 's3:PutObject'),
    ('object', 'uploadId', 'DELETE'): Route(
        complete.abort_multipart_upload,
        (BUCKET, WRITE), 's3:AbortMultipartUpload'),
}


# The handlers, by route (the table's first column).
ROUTES: Dict[Key, Handler] = {key: row.handler
                              for key, row in ROUTE_TABLE.items()}


def action_for(level: str, subresource: str, method: str,
               version: bool = False) -> str:
    """The S3 action a request performs (``s3:GetObject``, ...): its row's,
    else AWS's name for a bucket configuration sub-resource.  Requests
    without a known action get a name no S3 action has, which only ``*``
    and ``s3:*`` match: a blanket Deny still applies to them."""
    row = ROUTE_TABLE.get((level, subresource, method))
    if row is not None and row.action is not None:
        return (row.version_action or row.action) if version \
            else row.action
    if level == 'bucket':
        action = bucket_config_action(subresource, method)
        if action is not None:
            return action
    return 's3:Unlisted%s%s' % (method.title(), subresource)


def subresource(req: S3Request) -> str:
    """The request's primary sub-resource ('' for the plain operation)."""
    for name in SUBRESOURCES:
        if name in req.query:
            return name
    return ''


def log_operation(req: S3Request) -> str:
    """The access log's operation (REST.GET.OBJECT, REST.COPY.OBJECT, ...)
    of the request, from its route key and ``LOG_RESOURCES``."""
    sub = subresource(req)
    method = req.method
    resource = LOG_RESOURCES.get((req.level, sub, method)) or \
        LOG_RESOURCES.get((req.level, sub))
    if method == 'PUT' and req.level == 'object' and sub in ('', 'uploadId') \
            and req.header('x-amz-copy-source') is not None:
        method = 'COPY'
    return access_log.operation(req.level, sub, method,
                                {(req.level, sub): resource} if resource
                                else None)

# Veeam SOSAPI's generated objects (api/sosapi.py): for whoever may list
# the bucket.
SOSAPI_ROUTE = Route(sosapi.get_or_head, (BUCKET, READ), 's3:ListBucket')


def route(req: S3Request) -> Handler:
    """The handler of ``req`` (see ``lookup``)."""
    return lookup(req).handler


def lookup(req: S3Request) -> Route:
    """The row of ``req``; NotImplemented for a known sub-resource without
    one, MethodNotAllowed for the plain operation without one."""
    level = req.level
    sub = subresource(req)
    if level == 'object' and not sub and req.method in ('GET', 'HEAD') \
            and sosapi.is_sosapi(req.key):
        return SOSAPI_ROUTE
    row = ROUTE_TABLE.get((level, sub, req.method))
    if row is not None:
        return row
    if sub:
        raise errors.NotImplemented(
            'The %s operation on ?%s is not implemented' % (req.method, sub))
    raise errors.MethodNotAllowed(
        Method=req.method,
        ResourceType={'service': 'SERVICE', 'bucket': 'BUCKET',
                      'object': 'OBJECT'}[level])
