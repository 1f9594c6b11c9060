"""Check a request body against its signed SigV4 payload hash, streaming.

``VerifiedInput`` wraps ``wsgi.input``: it hashes what Swift reads and, on
the read that completes the body, compares with ``x-amz-content-sha256``.
On a mismatch it raises ``BodyError`` *instead of returning the last
bytes*, so Swift never receives a complete body and stores nothing; the
middleware then answers XAmzContentSHA256Mismatch.  Memory use is
constant: nothing is buffered.
"""
from __future__ import annotations

import hashlib
import hmac
from typing import Optional

from swift3compat import errors
from swift3compat.http.body import BodyError


class VerifiedInput:
    def __init__(self, wsgi_input, expected_hex: str,
                 length: Optional[int]) -> None:
        self._input = wsgi_input
        self._expected = expected_hex.lower()
        self._length = length
        self._hash = hashlib.sha256()
        self._seen = 0
        self._done = False
        self.error: Optional[BodyError] = None

    def _consume(self, chunk: bytes, wanted: Optional[int]) -> bytes:
        self._hash.update(chunk)
        self._seen += len(chunk)
        at_end = (not chunk and wanted != 0) or (
            self._length is not None and self._seen >= self._length)
        if at_end and not self._done:
            self._done = True
            actual = self._hash.hexdigest()
            if not hmac.compare_digest(actual, self._expected):
                self.error = BodyError(errors.XAmzContentSHA256Mismatch(
                    ClientComputedContentSHA256=self._expected,
                    S3ComputedContentSHA256=actual))
                raise self.error
        return chunk

    def read(self, size: Optional[int] = -1) -> bytes:
        if self.error is not None:
            raise self.error
        return self._consume(self._input.read(size), size)

    def readline(self, size: Optional[int] = -1) -> bytes:
        if self.error is not None:
            raise self.error
        return self._consume(self._input.readline(size), size)
