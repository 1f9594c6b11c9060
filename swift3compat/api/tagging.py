"""Object and bucket tagging: Put/Get/DeleteObjectTagging (also with
``versionId``), Put/Get/DeleteBucketTagging (``?tagging``).  The tagging
parts of object writes (``x-amz-tagging`` on PUT, copy with
``x-amz-tagging-directive``, ``x-amz-tagging-count`` on GET/HEAD) and the object
POST that changes tags are ``swift.tags``; AWS's rules are ``model.tags``.

Nothing to enable: the ``swift3`` filter serves these routes.  Bucket tags
are JSON in container sysmeta (``swift.bucket_config.store``).
"""
from __future__ import annotations

import json
from typing import Dict, Optional


from swift3compat import errors
from swift3compat.http.body import read_config_body
from swift3compat.http.request import S3Request
from swift3compat.http.response import S3Response, xml_response
from swift3compat.model.tags import (MAX_BUCKET_TAGS, MAX_OBJECT_TAGS, Tags,
                                     parse_xml, tagging_xml, validate)
from swift3compat.swift import bucket_config, expiry, versions
from swift3compat.swift.backend import Backend
from swift3compat.swift.tags import (TAG_PREFIX, head_object, object_post,
                                     object_tags, tag_headers)

BUCKET_TAGGING = 'tagging'


# -- ?tagging on objects ------------------------------------------------------------------
def _version_header(head_headers) -> Dict[str, str]:
    return versions.response_headers(head_headers)


def get_object_tagging(req: S3Request, backend: Backend) -> S3Response:
    head = head_object(backend, req, versions.requested_version(req))
    return xml_response(tagging_xml(object_tags(head.headers)),
                        headers=_version_header(head.headers))


def _set_object_tags(req: S3Request, backend: Backend, tags: Tags
                     ) -> S3Response:
    def changes(head_headers) -> Dict[str, Optional[str]]:
        out: Dict[str, Optional[str]] = dict(tag_headers(tags))
        out.update(expiry.updated_expiry_headers(
            req, backend, req.key, head_headers, dict(tags)))
        return out
    head = object_post(req, backend, versions.requested_version(req),
                       changes, TAG_PREFIX)
    return S3Response(200, _version_header(head.headers))


def put_object_tagging(req: S3Request, backend: Backend) -> S3Response:
    body = read_config_body(req, integrity_required=True)
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
    body = read_config_body(req, integrity_required=True)
    tags = validate(parse_xml(body), MAX_BUCKET_TAGS)
    bucket_config.replace(backend, req.bucket, BUCKET_TAGGING,
                          json.dumps(tags, ensure_ascii=False)
                          if tags else None)
    return S3Response(204)


def delete_bucket_tagging(req: S3Request, backend: Backend) -> S3Response:
    bucket_config.remove(backend, req.bucket, BUCKET_TAGGING)
    return S3Response(204)
