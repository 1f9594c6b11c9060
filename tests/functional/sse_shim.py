"""Test-only Paste filter: S3 SSE requests spelled as native Swift headers.

Lets the functional tests drive the ``sse`` filter (swift3compat.swift.crypto)
with the Swift API, as swift3 does with S3 requests: placed after gatekeeper,
it turns ``X-Test-Sse: AES256|aws:kms|C`` (+ ``X-Test-Sse-Kms-Key-Id``) on a
PUT into the object sysmeta that names the encryption, and
``X-Test-Sse-Customer-Key`` (base64, on any request) into the request's SSE-C
key ring. Never in a real pipeline.
"""
import base64
import hashlib

from swift3compat.model import encryption
from swift3compat.swift import crypto


def filter_factory(global_conf, **local_conf):
    def make(app):
        def shim(env, start_response):
            mode = env.pop('HTTP_X_TEST_SSE', None)
            kms_key_id = env.pop('HTTP_X_TEST_SSE_KMS_KEY_ID', None)
            keys = env.pop('HTTP_X_TEST_SSE_CUSTOMER_KEY', None)
            customer = []
            for key_b64 in filter(None, (keys or '').split(',')):
                raw = base64.b64decode(key_b64)
                key = encryption.CustomerKey(raw, base64.b64encode(
                    hashlib.md5(raw).digest()).decode())
                crypto.key_ring(env).add(key)
                customer.append(key)
            if mode and env['REQUEST_METHOD'] == 'PUT':
                if mode == 'C':
                    stored = encryption.Stored(customer_mac=customer[0].mac())
                elif mode == 'none':
                    stored = encryption.Stored()
                else:
                    stored = encryption.Stored(mode, kms_key_id)
                for name, value in crypto.write_headers(stored).items():
                    env['HTTP_' + name.upper().replace('-', '_')] = value
            return app(env, start_response)
        return shim
    return make
