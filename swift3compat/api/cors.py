"""Bucket CORS: PUT/GET/DELETE ``?cors``, preflight ``OPTIONS``, and the
``Access-Control-*`` headers of actual cross-origin requests.

Nothing to enable for the configuration API.  The configuration is stored
as compact JSON in container sysmeta (``bucket_config.store``, name
``cors``) and read back from Swift's cached container info, so answering a
browser costs no extra backend request while the cache is warm.

* A preflight (``OPTIONS``) carries no credentials, not even a presigned
  URL's signature for OPTIONS: the middleware routes it without checking
  any signature, and ``preflight`` finds the bucket's account through the
  bucket index, which exists with ``s3_acl = true``.  Without it every
  preflight is refused (AccessForbidden).
* ``response_headers`` adds the matching rule's headers to every other
  response of a request with an ``Origin`` (successes, errors, presigned
  URLs), as AWS does.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, Optional

from swift3compat import errors
from swift3compat.authz.access import guard_of
from swift3compat.authz.bucket_index import BucketIndex
from swift3compat.http.body import read_config_body
from swift3compat.http.request import S3Request
from swift3compat.http.response import S3Response, xml_response
from swift3compat.model import cors
from swift3compat.swift import bucket_config
from swift3compat.swift.backend import Backend
from swift3compat.swift.log_delivery import BACKEND_ENV

NAME = 'cors'
LOG = logging.getLogger('swift3compat.cors')
_NOT_ALLOWED = (
    'CORSResponse: This CORS request is not allowed. This is usually '
    'because the evalution of Origin, request method / '
    'Access-Control-Request-Method or Access-Control-Request-Headers '
    "are not whitelisted by the resource's CORS spec.")


def configuration(sysmeta) -> Optional[cors.Configuration]:
    """The bucket's CORS configuration from its sysmeta, or None."""
    return bucket_config.load_as(sysmeta, NAME, cors.Configuration.from_json)


# -- the configuration API ----------------------------------------------------
def get_bucket_cors(req: S3Request, backend: Backend) -> S3Response:
    conf = configuration(bucket_config.head_bucket(backend, req.bucket))
    if conf is None:
        raise errors.NoSuchCORSConfiguration(BucketName=req.bucket)
    return xml_response(conf.to_xml())


def put_bucket_cors(req: S3Request, backend: Backend) -> S3Response:
    body = read_config_body(req, integrity_required=True)
    conf = cors.from_xml(body)
    bucket_config.replace(backend, req.bucket, NAME, conf.to_json())
    guard = guard_of(backend)
    if guard is not None:
        guard.ensure_indexed()      # preflights must find it
    return S3Response(200)


def delete_bucket_cors(req: S3Request, backend: Backend) -> S3Response:
    bucket_config.remove(backend, req.bucket, NAME)
    return S3Response(204)


# -- browsers -----------------------------------------------------------------------
def _forbidden(req: S3Request, message: str) -> errors.S3Error:
    return errors.AccessForbidden(
        message, Method=req.header('access-control-request-method'),
        ResourceType='BUCKET' if req.key is None else 'OBJECT')


def _bucket_account(req: S3Request, backend: Backend, logger) -> Optional[str]:
    """The account holding the request's bucket, found without
    credentials (the bucket index of s3_acl)."""
    if not req.conf.s3_acl:
        return None
    return BucketIndex(backend, req.conf.bucket_index_account,
                       logger).lookup(req.bucket)


def _sysmeta(backend: Backend, bucket: str, account: str) -> Optional[dict]:
    info = backend.container_info(bucket, account=account)
    if info.get('status') not in (200, 204):
        return None
    return info.get('sysmeta') or {}


def preflight(req: S3Request, backend: Backend) -> S3Response:
    """OPTIONS on a bucket or object: the browser's CORS preflight."""
    origin = req.header('origin')
    if not origin:
        raise errors.InvalidRequest('Insufficient information. Origin '
                                    'request header needed.')
    method = req.header('access-control-request-method')
    if not method:
        raise errors.InvalidRequest('Invalid Access-Control-Request-Method '
                                    'header')
    if not req.conf.s3_acl:
        raise _forbidden(req, 'CORSResponse: preflight requests need s3_acl '
                         '= true on this endpoint')
    account = _bucket_account(req, backend, LOG)
    sysmeta = _sysmeta(backend, req.bucket, account) if account else None
    if sysmeta is None:
        raise _forbidden(req, 'CORSResponse: Bucket not found')
    conf = configuration(sysmeta)
    if conf is None:
        raise _forbidden(req, 'CORSResponse: CORS is not enabled for this '
                         'bucket.')
    requested = cors.split_header_list(
        req.header('access-control-request-headers'))
    rule = conf.preflight(origin, method, requested)
    if rule is None:
        raise _forbidden(req, _NOT_ALLOWED)
    return S3Response(200, cors.preflight_headers(rule, origin, requested))


def response_headers(env: Dict[str, Any], logger=LOG) -> Dict[str, str]:
    """The CORS headers of the response to an actual request (any status),
    or {} when it has no Origin, its bucket no matching rule, or its bucket
    cannot be known.  Never raises: CORS headers must not break a
    response."""
    origin = env.get('HTTP_ORIGIN')
    backend: Optional[Backend] = env.get(BACKEND_ENV)
    if not origin or backend is None or backend.req.bucket is None or \
            env.get('REQUEST_METHOD') == 'OPTIONS':
        return {}
    req = backend.req
    try:
        account: Optional[str]
        if backend.authenticated and backend.account:
            account = backend.accounts.get(req.bucket, backend.account)
        else:
            account = _bucket_account(req, backend, logger)
        sysmeta = _sysmeta(backend, req.bucket, account) if account \
            else None
        conf = configuration(sysmeta) if sysmeta is not None else None
    except Exception:       # e.g. a failing bucket index: no CORS headers
        logger.exception('CORS headers for %s', req.resource)
        return {}
    if conf is None:
        return {}
    rule = conf.actual(origin, req.method)
    if rule is None:
        return {'Vary': cors.VARY}
    return rule.response_headers(origin)
