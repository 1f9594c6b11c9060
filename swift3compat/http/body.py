"""Request bodies: ``BodyError`` (what a body reader raises), configuration
XML checked against Content-MD5 or an ``x-amz-checksum-*`` header, and
Content-MD5 decoding."""
from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from typing import Optional

from swift.common.exceptions import ChunkReadError

from swift3compat import errors
from swift3compat.http import xml
from swift3compat.http.request import S3Request


class BodyError(ChunkReadError):
    """Raised from a request body reader; Swift treats it as a client
    disconnect (nothing stored), and the S3 error is rendered afterwards."""

    def __init__(self, s3_error: errors.S3Error):
        super().__init__(s3_error.code)
        self.s3_error = s3_error


def content_md5_hex(value: Optional[str]) -> Optional[str]:
    """Decode a Content-MD5 header to hex, or raise InvalidDigest."""
    if value is None:
        return None
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise errors.InvalidDigest() from None
    if len(raw) != 16:
        raise errors.InvalidDigest()
    return raw.hex()


# Configuration bodies are small; AWS's largest (lifecycle, 1000 rules)
# stays well below this.
MAX_CONFIG_BODY = 1024 * 1024


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
    body = xml.read_body(req.environ['wsgi.input'], req.content_length,
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
