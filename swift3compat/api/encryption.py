"""Put/Get/DeleteBucketEncryption: the bucket's default server-side
encryption (what writes ask for and what reads present: ``swift/sse.py``)."""
from __future__ import annotations

from swift3compat import errors
from swift3compat.http.body import read_config_body
from swift3compat.http.request import S3Request
from swift3compat.http.response import S3Response, xml_response
from swift3compat.model import encryption as enc
from swift3compat.swift import bucket_config as storage
from swift3compat.swift.backend import Backend
from swift3compat.swift.sse import CONFIG, enabled, not_enabled


# -- bucket default encryption -------------------------------------------------
def put_bucket_encryption(req: S3Request, backend: Backend) -> S3Response:
    if not enabled(req):
        raise not_enabled()
    body = read_config_body(req, integrity_required=False)
    config = enc.parse_bucket_encryption(body)
    storage.replace(backend, req.bucket, CONFIG,
                    enc.dump_bucket_encryption(config))
    return S3Response(200)


def get_bucket_encryption(req: S3Request, backend: Backend) -> S3Response:
    current = storage.head_bucket(backend, req.bucket)
    config = enc.load_bucket_encryption(storage.load(current, CONFIG))
    if config is None:
        raise errors.ServerSideEncryptionConfigurationNotFoundError(
            BucketName=req.bucket)
    return xml_response(enc.render_bucket_encryption(config))


def delete_bucket_encryption(req: S3Request, backend: Backend) -> S3Response:
    current = storage.head_bucket(backend, req.bucket)
    if storage.load(current, CONFIG) is not None:
        storage.store(backend, req.bucket, CONFIG, None, current)
    return S3Response(204)
