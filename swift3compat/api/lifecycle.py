"""Bucket lifecycle: Put/Get/DeleteBucketLifecycleConfiguration
(``?lifecycle``).  ``x-amz-expiration`` on object responses, Swift's
``X-Delete-At`` on new objects and the sweeper's registry are
``swift.expiry`` (which also explains how expiry is enforced); the rules
themselves are ``model.lifecycle``.

Nothing to enable in the proxy; expiry of existing objects, noncurrent
versions and stale uploads needs the sweeper (``swift3compat-lifecycle``,
``swift3compat.sweeper``) run periodically.
"""
from __future__ import annotations


from swift3compat import errors
from swift3compat.http.body import read_config_body
from swift3compat.http.request import S3Request
from swift3compat.http.response import S3Response, xml_response
from swift3compat.model import lifecycle
from swift3compat.swift import bucket_config, expiry
from swift3compat.swift.backend import Backend


# -- ?lifecycle --------------------------------------------------------------------------
def get_lifecycle(req: S3Request, backend: Backend) -> S3Response:
    text = bucket_config.load(bucket_config.head_bucket(backend, req.bucket),
                              expiry.NAME)
    if text is None:
        raise errors.NoSuchLifecycleConfiguration(BucketName=req.bucket)
    return xml_response(lifecycle.to_xml(expiry.parsed(text)))


def put_lifecycle(req: S3Request, backend: Backend) -> S3Response:
    body = read_config_body(req, integrity_required=True)
    config = lifecycle.parse(body)
    current = bucket_config.head_bucket(backend, req.bucket)
    bucket_config.store(backend, req.bucket, expiry.NAME, lifecycle.to_json(config),
                        current)
    expiry.register(req, backend)
    return S3Response(200)


def delete_lifecycle(req: S3Request, backend: Backend) -> S3Response:
    current = bucket_config.head_bucket(backend, req.bucket)
    bucket_config.store(backend, req.bucket, expiry.NAME, None, current)
    return S3Response(204)
