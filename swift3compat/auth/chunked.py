"""The aws-chunked decoder: streamed uploads with chunk and trailer signatures.

SigV4 clients may send a body in ``Content-Encoding: aws-chunked`` framing::

    <hex size>[;chunk-signature=<sig>]\\r\\n<data>\\r\\n ... 0[;chunk-signature=<sig>]\\r\\n
    [<trailer name>:<value>\\r\\n ... [x-amz-trailer-signature:<sig>\\r\\n]]\\r\\n

with ``x-amz-content-sha256`` one of

* ``STREAMING-AWS4-HMAC-SHA256-PAYLOAD``: every chunk signed, chained from
  the request's signature (the "seed");
* ``STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER``: the same plus a signed
  trailer (``x-amz-trailer`` names it, e.g. ``x-amz-checksum-crc32``);
* ``STREAMING-UNSIGNED-PAYLOAD-TRAILER``: unsigned chunks and trailer (what
  the AWS SDKs send by default over HTTPS since 2025); also
  ``UNSIGNED-PAYLOAD`` with ``Content-Encoding: aws-chunked`` (some Java
  clients).

``install`` (called by the middleware once the request signature has been
parsed) replaces ``wsgi.input`` with an ``AwsChunkedInput`` and makes the
request look like a plain upload of the decoded body to the handlers:
``CONTENT_LENGTH`` becomes ``x-amz-decoded-content-length`` and
``aws-chunked`` is dropped from ``Content-Encoding``.

The decoder streams: it holds at most one framing line; chunk data goes
from the raw input to the reader without a copy.  It never returns the
byte that completes the declared length before everything after it (the
rest of the chunk, its signature, the final chunk, the trailers and their
signature) has been read and checked, so Swift never receives a complete
body that fails a check: nothing is stored.  Any
malformed, truncated, oversized or reordered framing raises a ``BodyError``
at once (IncompleteBody, InvalidChunkSizeError, SignatureDoesNotMatch,
MalformedTrailerError); a client that stops sending is cut by the proxy's
``client_timeout``.

Chunk signatures need the SigV4 signing key, which exists only after the
auth filter behind swift3 (tempauth, s3token) has checked the request
signature, i.e. inside the first Swift subrequest.  The decoder therefore
takes ``SignedRequest.signing_key`` on its first read, which happens inside
the PUT subrequest after authentication.  An auth filter that checks
signatures without giving swift3 the secret (Keystone without s3token's
secret cache) leaves no key: signed streaming uploads then get 501
NotImplemented, unsigned ones work.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from typing import Dict, List, Optional, Tuple, cast

from swift3compat import errors
from swift3compat.auth import sigv4
from swift3compat.auth.signature import SignedRequest
from swift3compat.http.body import BodyError
from swift3compat.http.request import S3Request

SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD'
SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER'
UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'
TRAILER_SIGNATURE = 'x-amz-trailer-signature'
ENV_KEY = 'swift3compat.aws_chunked'    # the decoder, for the handlers
MAX_OBJECT_SIZE = 5 * 1024 ** 3
MIN_CHUNK_SIZE = 8192           # every chunk but the last (AWS)
MAX_LINE = 4096                 # a chunk header or trailer line
MAX_TRAILERS = 16
READ_SIZE = 65536
_SIZE = re.compile(rb'[0-9a-fA-F]{1,16}')
_SIGNATURE = re.compile(rb'chunk-signature=([0-9a-f]{64})')
_EMPTY_SHA256 = sigv4.EMPTY_SHA256


def _malformed() -> errors.S3Error:
    return errors.IncompleteBody('The request body terminated unexpectedly')


class ChunkSigner:
    """Chains chunk signatures from the request's seed signature.

    The HMAC state keyed with the signing key is made once (``start``) and
    copied per chunk, instead of re-deriving the key pads every chunk.
    """

    def __init__(self, signed: SignedRequest) -> None:
        self._signed = signed
        self._mac: Optional['hmac.HMAC'] = None
        self.previous = signed.signature
        self._prefix = '%s\n%s\n' % (signed.amz_date, '/'.join(signed.scope))
        self._chunk_prefix = ('AWS4-HMAC-SHA256-PAYLOAD\n' + self._prefix)
        self._chunk_middle = '\n' + _EMPTY_SHA256 + '\n'

    def start(self) -> None:
        """Take the signing key the auth filter left (first read)."""
        key = self._signed.signing_key
        if key is None:
            if self._signed.checked and not self._signed.valid:
                raise errors.SignatureDoesNotMatch()
            raise errors.NotImplemented(
                'Chunk signatures cannot be verified: the authentication '
                'system did not provide the secret key')
        self._mac = hmac.new(key, digestmod=hashlib.sha256)

    def _verify(self, to_sign: str, provided: str) -> None:
        # start() set it before the first chunk was read
        mac = cast('hmac.HMAC', self._mac).copy()
        mac.update(to_sign.encode('ascii'))
        if not hmac.compare_digest(mac.hexdigest(), provided):
            raise errors.SignatureDoesNotMatch()
        self.previous = provided

    def check_chunk(self, data_hash: str, provided: str) -> None:
        self._verify(self._chunk_prefix + self.previous +
                     self._chunk_middle + data_hash, provided)

    def check_trailer(self, canonical: bytes, provided: str) -> None:
        self._verify('AWS4-HMAC-SHA256-TRAILER\n' + self._prefix +
                     self.previous + '\n' +
                     hashlib.sha256(canonical).hexdigest(), provided)


class AwsChunkedInput:
    """A ``wsgi.input`` that yields the decoded body of an aws-chunked one.

    ``signer`` checks chunk signatures (None: unsigned chunks);
    ``trailers`` are the names ``x-amz-trailer`` declares, ``trailer_ok``
    whether the variant may carry trailers at all, ``signed_trailer``
    whether they are signed.  ``trailers_received`` holds them at the end.

    The decoder keeps no buffer of its own: chunk data is read from the raw
    input with exact sizes and returned as the very bytes objects the raw
    input gave (no copy, no slicing); framing lines come from ``readline``
    (bounded by ``MAX_LINE``), which the WSGI server's buffered reader
    serves from its buffer.
    """

    def __init__(self, raw, decoded_length: int, *,
                 signer: Optional[ChunkSigner] = None,
                 trailers: Tuple[str, ...] = (), trailer_ok: bool = False,
                 signed_trailer: bool = False) -> None:
        self._raw = raw
        self._buf = b''         # never holds anything: see the class doc
        self._length = decoded_length
        self._remaining = decoded_length        # data not yet framed
        self._signer = signer
        self._declared = trailers
        self._trailer_ok = trailer_ok
        self._signed_trailer = signed_trailer
        self._started = False
        self._done = False
        self._chunk_left = 0
        self._chunk_count = 0
        self._chunk_signature = ''
        self._chunk_hash = hashlib.sha256() if signer else None
        self._last_size: Optional[int] = None
        self.trailers_received: Dict[str, str] = {}
        self.error: Optional[BodyError] = None

    # -- reading ------------------------------------------------------------
    def read(self, size: Optional[int] = -1) -> bytes:
        if size is None or size < 0:
            parts: List[bytes] = []
            while True:
                part = self.read(READ_SIZE)
                if not part:
                    return b''.join(parts)
                parts.append(part)
        if self.error is not None:
            raise self.error
        try:
            return self._read(size)
        except errors.S3Error as err:
            self.error = BodyError(err)
            raise self.error from None

    def _read(self, size: int) -> bytes:
        if not self._started:
            self._started = True
            if self._signer:
                self._signer.start()
        while not self._done and self._chunk_left == 0:
            self._begin_chunk()
        if self._done or size == 0:
            return b''
        data = self._raw.read(min(size, self._chunk_left))
        if not data:
            raise _malformed()
        self._chunk_left -= len(data)
        if self._chunk_hash is not None:
            self._chunk_hash.update(data)
        if self._chunk_left == 0:
            self._end_chunk()
            if self._remaining == 0:
                # Check everything that follows before the last bytes go.
                self._begin_chunk()
        return data

    # -- framing ------------------------------------------------------------
    def _begin_chunk(self) -> None:
        line = self._line()
        size_part, _, ext = line.partition(b';')
        if not _SIZE.fullmatch(size_part):
            raise _malformed()
        size = int(size_part, 16)
        if self._signer:
            match = _SIGNATURE.fullmatch(ext)
            if match is None:
                raise errors.SignatureDoesNotMatch()
            self._chunk_signature = match.group(1).decode('ascii')
            self._chunk_hash = hashlib.sha256()
        if size > self._remaining:
            raise errors.IncompleteBody(
                NumberBytesExpected=self._length,
                NumberBytesProvided=self._length - self._remaining + size)
        if size and self._last_size is not None and \
                self._last_size < MIN_CHUNK_SIZE:
            raise errors.InvalidChunkSizeError(
                Chunk=self._chunk_count, BadChunkSize=self._last_size)
        self._chunk_count += 1
        if size == 0:
            self._end_of_data()
            return
        self._last_size = size
        self._chunk_left = size
        self._remaining -= size

    def _end_chunk(self) -> None:
        if self._exact(2) != b'\r\n':
            raise _malformed()
        if self._signer:
            self._signer.check_chunk(self._chunk_hash.hexdigest(),
                                     self._chunk_signature)

    def _end_of_data(self) -> None:
        """The zero-size chunk: its signature, the trailers, the end."""
        if self._signer:
            self._signer.check_chunk(_EMPTY_SHA256, self._chunk_signature)
        if self._remaining:
            raise errors.IncompleteBody(
                NumberBytesExpected=self._length,
                NumberBytesProvided=self._length - self._remaining)
        lines: List[bytes] = []
        while True:
            line = self._line()
            if not line:
                break
            if len(lines) == MAX_TRAILERS:
                raise errors.MalformedTrailerError()
            lines.append(line)
        self._trailers(lines)
        if self._raw.read(1):
            raise _malformed()
        self._done = True

    def _trailers(self, lines: List[bytes]) -> None:
        if lines and not self._trailer_ok:
            raise errors.MalformedTrailerError()
        received: Dict[str, str] = {}
        canonical = []
        signature = None
        for line in lines:
            name, sep, value = line.partition(b':')
            try:
                key = name.strip().decode('ascii').lower()
                text = value.strip().decode('ascii')
            except UnicodeDecodeError:
                raise errors.MalformedTrailerError() from None
            if not sep or not key or key in received:
                raise errors.MalformedTrailerError()
            if key == TRAILER_SIGNATURE and self._signed_trailer:
                signature = text
                continue
            received[key] = text
            canonical.append('%s:%s\n' % (key, text))
        if set(received) != set(self._declared):
            raise errors.MalformedTrailerError()
        if self._signed_trailer:
            if signature is None:
                raise errors.SignatureDoesNotMatch()
            self._signer.check_trailer(''.join(canonical).encode('ascii'),
                                       signature)
        self.trailers_received = received

    # -- raw input ----------------------------------------------------------------
    def _line(self) -> bytes:
        """A framing line without its CRLF (a bare LF is part of it)."""
        line = self._raw.readline(MAX_LINE + 2)
        while not line.endswith(b'\r\n'):
            if not line.endswith(b'\n') or len(line) > MAX_LINE:
                raise _malformed()      # end of input, or far too long
            more = self._raw.readline(MAX_LINE + 2 - len(line))
            if not more:
                raise _malformed()      # the input ended after a bare LF
            line += more
        if len(line) > MAX_LINE + 2:
            raise _malformed()
        return line[:-2]

    def _exact(self, size: int) -> bytes:
        data = self._raw.read(size)
        while len(data) < size:
            more = self._raw.read(size - len(data))
            if not more:
                raise _malformed()
            data += more
        return data


# -- the request --------------------------------------------------------------------
def applies(req: S3Request, signed: SignedRequest) -> bool:
    """Whether the request body is aws-chunked."""
    payload = signed.payload_hash
    if payload in (SIGNED, SIGNED_TRAILER, UNSIGNED_TRAILER):
        return True
    encodings = req.header('content-encoding', '').lower()
    return payload == sigv4.UNSIGNED_PAYLOAD and \
        'aws-chunked' in encodings and \
        req.header('x-amz-decoded-content-length') is not None


def _decoded_length(req: S3Request) -> int:
    raw = req.header('x-amz-decoded-content-length')
    if raw is None:
        raise errors.MissingContentLength()
    try:
        length = int(raw)
    except ValueError:
        length = -1
    if length < 0 or not raw.strip().isdigit():
        raise errors.InvalidArgument(
            'x-amz-decoded-content-length must be a non-negative integer',
            ArgumentName='x-amz-decoded-content-length', ArgumentValue=raw)
    if length > MAX_OBJECT_SIZE:
        raise errors.EntityTooLarge(ProposedSize=length,
                                    MaxSizeAllowed=MAX_OBJECT_SIZE)
    return length


def trailer_names(req: S3Request) -> Tuple[str, ...]:
    raw = req.header('x-amz-trailer')
    if raw is None:
        return ()
    return tuple(n.strip().lower() for n in raw.split(',') if n.strip())


def install(req: S3Request, signed: SignedRequest) -> None:
    """Decode the request body from here on (see the module docstring).
    The decoder becomes ``wsgi.input``: what reads it (a PUT's checksummed
    body) carries its ``error`` to ``Backend.request``."""
    payload = signed.payload_hash
    length = _decoded_length(req)
    trailer_ok = payload != SIGNED
    names = trailer_names(req)
    if names and not trailer_ok:
        raise errors.InvalidRequest(
            'x-amz-trailer cannot be used with %s' % payload)
    signer = ChunkSigner(signed) if payload in (SIGNED, SIGNED_TRAILER) \
        else None
    decoder = AwsChunkedInput(req.environ['wsgi.input'], length,
                              signer=signer, trailers=names,
                              trailer_ok=trailer_ok,
                              signed_trailer=payload == SIGNED_TRAILER)
    env = req.environ
    env['wsgi.input'] = decoder
    env[ENV_KEY] = decoder
    if length:
        env['CONTENT_LENGTH'] = str(length)
        env.pop('HTTP_TRANSFER_ENCODING', None)
    else:
        # Swift does not read an empty body; read it anyway, to check it.
        env.pop('CONTENT_LENGTH', None)
        env['HTTP_TRANSFER_ENCODING'] = 'chunked'
    encodings = [e.strip() for e in env.get('HTTP_CONTENT_ENCODING', '')
                 .split(',') if e.strip() and
                 e.strip().lower() != 'aws-chunked']
    if encodings:
        env['HTTP_CONTENT_ENCODING'] = ','.join(encodings)
    else:
        env.pop('HTTP_CONTENT_ENCODING', None)


def trailer_values(req: S3Request) -> Optional[Dict[str, str]]:
    """The trailers of an aws-chunked request once its body was read."""
    decoder = req.environ.get(ENV_KEY)
    return decoder.trailers_received if decoder is not None else None
