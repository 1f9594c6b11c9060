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

from typing import Any, Callable, Dict, Tuple

from swift3compat import errors
from swift3compat.api import (acl, attributes, bucket, bucket_config, cors,
                              encryption, lifecycle, multi_delete, obj, policy,
                              post_object, service, tagging, versioning,
                              website)
from swift3compat.api.multipart import complete, create, listing, part
from swift3compat.http import xml
from swift3compat.http.request import S3Request
from swift3compat.http.response import S3Response, xml_response
from swift3compat.swift.backend import Backend

Handler = Callable[[S3Request, Backend], S3Response]

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
                             req.conf.max_xml_body_size)
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


ROUTES: Dict[Tuple[str, str, str], Handler] = {
    # service
    ('service', '', 'GET'): service.list_buckets,
    # bucket
    ('bucket', '', 'GET'): bucket.list_objects,
    ('bucket', '', 'HEAD'): bucket.head_bucket,
    ('bucket', '', 'PUT'): bucket.create_bucket,
    ('bucket', '', 'DELETE'): bucket.delete_bucket,
    ('bucket', '', 'OPTIONS'): cors.preflight,
    ('bucket', '', 'POST'): post_object_handler,
    ('bucket', 'acl', 'GET'): acl.get_acl,
    ('bucket', 'acl', 'PUT'): acl.put_acl,
    ('bucket', 'delete', 'POST'): multi_delete.delete_objects,
    ('bucket', 'location', 'GET'): bucket.get_location,
    ('bucket', 'versioning', 'GET'): versioning.get_bucket_versioning,
    ('bucket', 'versioning', 'PUT'): versioning.put_bucket_versioning,
    ('bucket', 'versions', 'GET'): versioning.list_object_versions,
    ('bucket', 'logging', 'GET'): bucket_config.get_logging,
    ('bucket', 'logging', 'PUT'): bucket_config.put_logging,
    ('bucket', 'requestPayment', 'GET'): fixed(
        'RequestPaymentConfiguration', '<Payer>BucketOwner</Payer>'),
    ('bucket', 'requestPayment', 'PUT'): only_default(
        'RequestPaymentConfiguration',
        _child_text_in('Payer', 'BucketOwner', ('BucketOwner', 'Requester')),
        'Requester Pays'),
    ('bucket', 'accelerate', 'GET'): fixed('AccelerateConfiguration'),
    ('bucket', 'accelerate', 'PUT'): only_default(
        'AccelerateConfiguration',
        _child_text_in('Status', 'Suspended', ('Enabled', 'Suspended')),
        'Transfer acceleration'),
    ('bucket', 'notification', 'GET'): fixed('NotificationConfiguration'),
    ('bucket', 'notification', 'PUT'): only_default(
        'NotificationConfiguration', _no_children, 'Event notification'),
    ('bucket', 'lifecycle', 'GET'): lifecycle.get_lifecycle,
    ('bucket', 'lifecycle', 'PUT'): lifecycle.put_lifecycle,
    ('bucket', 'lifecycle', 'DELETE'): lifecycle.delete_lifecycle,
    ('bucket', 'cors', 'GET'): cors.get_bucket_cors,
    ('bucket', 'cors', 'PUT'): cors.put_bucket_cors,
    ('bucket', 'cors', 'DELETE'): cors.delete_bucket_cors,
    ('bucket', 'policy', 'GET'): policy.get_bucket_policy,
    ('bucket', 'policy', 'PUT'): policy.put_bucket_policy,
    ('bucket', 'policy', 'DELETE'): policy.delete_bucket_policy,
    ('bucket', 'policyStatus', 'GET'): policy.get_bucket_policy_status,
    ('bucket', 'tagging', 'GET'): tagging.get_bucket_tagging,
    ('bucket', 'tagging', 'PUT'): tagging.put_bucket_tagging,
    ('bucket', 'tagging', 'DELETE'): tagging.delete_bucket_tagging,
    ('bucket', 'website', 'GET'): website.get_bucket_website,
    ('bucket', 'website', 'PUT'): website.put_bucket_website,
    ('bucket', 'website', 'DELETE'): website.delete_bucket_website,
    ('bucket', 'object-lock', 'GET'): unset(
        'ObjectLockConfigurationNotFoundError'),
    ('bucket', 'ownershipControls', 'GET'):
        bucket_config.get_ownership_controls,
    ('bucket', 'ownershipControls', 'PUT'):
        bucket_config.put_ownership_controls,
    ('bucket', 'ownershipControls', 'DELETE'):
        bucket_config.delete_ownership_controls,
    ('bucket', 'publicAccessBlock', 'GET'):
        bucket_config.get_public_access_block,
    ('bucket', 'publicAccessBlock', 'PUT'):
        bucket_config.put_public_access_block,
    ('bucket', 'publicAccessBlock', 'DELETE'):
        bucket_config.delete_public_access_block,
    ('bucket', 'replication', 'GET'): unset(
        'ReplicationConfigurationNotFoundError'),
    ('bucket', 'encryption', 'GET'): encryption.get_bucket_encryption,
    ('bucket', 'encryption', 'PUT'): encryption.put_bucket_encryption,
    ('bucket', 'encryption', 'DELETE'): encryption.delete_bucket_encryption,
    # object
    ('object', '', 'GET'): obj.get_object,
    ('object', '', 'HEAD'): obj.head_object,
    ('object', '', 'PUT'): obj.put_object,
    ('object', '', 'DELETE'): obj.delete_object,
    ('object', '', 'OPTIONS'): cors.preflight,
    ('object', 'acl', 'GET'): acl.get_acl,
    ('object', 'acl', 'PUT'): acl.put_acl,
    ('object', 'tagging', 'GET'): tagging.get_object_tagging,
    ('object', 'tagging', 'PUT'): tagging.put_object_tagging,
    ('object', 'tagging', 'DELETE'): tagging.delete_object_tagging,
    ('object', 'attributes', 'GET'): attributes.get_object_attributes,
    # multipart uploads
    ('bucket', 'uploads', 'GET'): listing.list_multipart_uploads,
    ('object', 'uploads', 'POST'): create.create_multipart_upload,
    ('object', 'uploadId', 'PUT'): part.upload_part,
    ('object', 'uploadId', 'GET'): listing.list_parts,
    ('object', 'uploadId', 'POST'): complete.complete_multipart_upload,
    ('object', 'uploadId', 'DELETE'): complete.abort_multipart_upload,
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
