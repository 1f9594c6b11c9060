"""THE routing table: (resource level, sub-resource, method) → handler.

Every S3 sub-resource is named here.  A request is routed by its level
(``service``, ``bucket``, ``object``), its primary sub-resource (the first
known sub-resource in its query, in ``SUBRESOURCES`` order; ``versionId``
and ``partNumber`` only modify the plain operation) and its method:

* a row in ``ROUTES`` → that handler;
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

from typing import Callable, Dict, Tuple

from swift3compat import errors, xmlutil
from swift3compat.backend import Backend
from swift3compat.handlers import acl, bucket, multi_delete, obj, service
from swift3compat.request import S3Request
from swift3compat.response import S3Response, xml_response

Handler = Callable[[S3Request, Backend], S3Response]

# Sub-resources in routing priority order.  uploadId comes last so that
# "?uploadId=..&partNumber=.." routes to the multipart handlers.
SUBRESOURCES: Tuple[str, ...] = (
    'accelerate', 'acl', 'analytics', 'attributes', 'cors', 'delete',
    'encryption', 'intelligent-tiering', 'inventory', 'legal-hold',
    'lifecycle', 'location', 'logging', 'metadataConfiguration', 'metrics',
    'notification', 'object-lock', 'ownershipControls', 'policy',
    'policyStatus', 'publicAccessBlock', 'replication', 'requestPayment',
    'restore', 'retention', 'select', 'session', 'tagging', 'torrent',
    'uploads', 'versioning', 'versions', 'website', 'renameObject',
    'uploadId')


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
        return xml_response(xmlutil.document(root, [inner]))
    handler.__name__ = 'fixed_' + root
    return handler


def cors_forbidden(req: S3Request, backend: Backend) -> S3Response:
    if req.header('origin') is None:
        raise errors.InvalidRequest('Insufficient information. Origin '
                                    'request header needed.')
    raise errors.AccessForbidden(
        'CORSResponse: This CORS request is not allowed. This is usually '
        'because the evalution of Origin, request method / '
        'Access-Control-Request-Method or Access-Control-Request-Headers '
        "are not whitelisted by the resource's CORS spec.",
        Method=req.header('access-control-request-method'),
        ResourceType='BUCKET' if req.key is None else 'OBJECT')


ROUTES: Dict[Tuple[str, str, str], Handler] = {
    # service
    ('service', '', 'GET'): service.list_buckets,
    # bucket
    ('bucket', '', 'GET'): bucket.list_objects,
    ('bucket', '', 'HEAD'): bucket.head_bucket,
    ('bucket', '', 'PUT'): bucket.create_bucket,
    ('bucket', '', 'DELETE'): bucket.delete_bucket,
    ('bucket', '', 'OPTIONS'): cors_forbidden,
    ('bucket', 'acl', 'GET'): acl.get_acl,
    ('bucket', 'acl', 'PUT'): acl.put_acl,
    ('bucket', 'delete', 'POST'): multi_delete.delete_objects,
    ('bucket', 'location', 'GET'): bucket.get_location,
    ('bucket', 'versioning', 'GET'): fixed('VersioningConfiguration'),
    ('bucket', 'logging', 'GET'): fixed('BucketLoggingStatus'),
    ('bucket', 'requestPayment', 'GET'): fixed(
        'RequestPaymentConfiguration', '<Payer>BucketOwner</Payer>'),
    ('bucket', 'accelerate', 'GET'): fixed('AccelerateConfiguration'),
    ('bucket', 'notification', 'GET'): fixed('NotificationConfiguration'),
    ('bucket', 'lifecycle', 'GET'): unset('NoSuchLifecycleConfiguration'),
    ('bucket', 'cors', 'GET'): unset('NoSuchCORSConfiguration'),
    ('bucket', 'policy', 'GET'): unset('NoSuchBucketPolicy'),
    ('bucket', 'policyStatus', 'GET'): unset('NoSuchBucketPolicy'),
    ('bucket', 'tagging', 'GET'): unset('NoSuchTagSet'),
    ('bucket', 'website', 'GET'): unset('NoSuchWebsiteConfiguration'),
    ('bucket', 'object-lock', 'GET'): unset(
        'ObjectLockConfigurationNotFoundError'),
    ('bucket', 'ownershipControls', 'GET'): unset(
        'OwnershipControlsNotFoundError'),
    ('bucket', 'publicAccessBlock', 'GET'): unset(
        'NoSuchPublicAccessBlockConfiguration'),
    ('bucket', 'replication', 'GET'): unset(
        'ReplicationConfigurationNotFoundError'),
    ('bucket', 'encryption', 'GET'): unset(
        'ServerSideEncryptionConfigurationNotFoundError'),
    # object
    ('object', '', 'GET'): obj.get_object,
    ('object', '', 'HEAD'): obj.head_object,
    ('object', '', 'PUT'): obj.put_object,
    ('object', '', 'DELETE'): obj.delete_object,
    ('object', '', 'OPTIONS'): cors_forbidden,
    ('object', 'acl', 'GET'): acl.get_acl,
    ('object', 'acl', 'PUT'): acl.put_acl,
    ('object', 'tagging', 'GET'): fixed('Tagging', '<TagSet></TagSet>'),
}


def subresource(req: S3Request) -> str:
    """The request's primary sub-resource ('' for the plain operation)."""
    for name in SUBRESOURCES:
        if name in req.query:
            return name
    return ''


def route(req: S3Request) -> Handler:
    level = req.level
    sub = subresource(req)
    handler = ROUTES.get((level, sub, req.method))
    if handler is not None:
        return handler
    if sub:
        raise errors.NotImplemented(
            'The %s operation on ?%s is not implemented' % (req.method, sub))
    raise errors.MethodNotAllowed(
        Method=req.method,
        ResourceType={'service': 'SERVICE', 'bucket': 'BUCKET',
                      'object': 'OBJECT'}[level])
