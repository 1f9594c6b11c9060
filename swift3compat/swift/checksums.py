"""S3 flexible checksums: compute, verify, store and return them.

S3 clients send one ``x-amz-checksum-<algorithm>`` with an upload, as a
header or (with ``aws-chunked``) as a trailer named by ``x-amz-trailer``.
The algorithms are CRC32, CRC32C, CRC64NVME, SHA1 and SHA256.  This module

* parses and validates what a request declares (``declared``),
* wraps the request body in a ``ChecksummedInput`` that computes the
  checksum while Swift reads it and refuses the last bytes when it does
  not match (``BadDigest``), so that nothing is stored,
* stores the verified value in the object's sysmeta through Swift's
  metadata footers (a trailer value is only known after the body), and
* renders it back: ``x-amz-checksum-*`` on GET/HEAD with
  ``x-amz-checksum-mode: ENABLED``, in ListParts, GetObjectAttributes.

An upload without any checksum gets a CRC64NVME, as AWS does since 2025.

Multipart objects carry either a COMPOSITE checksum (the checksum of the
parts' binary checksums, suffixed ``-N``) or a FULL_OBJECT one (CRCs only:
the parts' CRCs combined as if computed over the whole object).

CRC32C and CRC64NVME come from ``awscrt`` (AWS's C runtime, hardware
accelerated, with CRC combination).  CRC32 comes from ISA-L (``isal``, the
``checksums`` extra, PCLMUL accelerated: about 13 times zlib's speed, 5 ms
instead of 66 ms per 256 MiB) when it is installed, else from ``zlib``
(faster than awscrt's CRC32).  Both give the same values.  Nothing to
enable: the ``swift3`` filter uses the fastest one it finds.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from awscrt import checksums as crt

try:
    # Same polynomial and signature as zlib.crc32, without the per-byte
    # table walk; a CRC32 trailer's whole cost on a big PUT.
    from isal.isal_zlib import crc32 as _crc32
    CRC32_IMPLEMENTATION = 'isal'
except ImportError:  # pragma: no cover - depends on the installation
    from zlib import crc32 as _crc32
    CRC32_IMPLEMENTATION = 'zlib'

from swift3compat import errors
from swift3compat.auth import chunked
from swift3compat.auth.signature import SignedRequest
from swift3compat.swift import sysmeta
from swift3compat.http.body import BodyError
from swift3compat.http.request import S3Request

SYSMETA = sysmeta.CHECKSUM
# the three headers of objects stored before SYSMETA (read, never written)
ALGORITHM_SYSMETA = sysmeta.CHECKSUM_ALGORITHM
VALUE_SYSMETA = sysmeta.CHECKSUM_VALUE
TYPE_SYSMETA = sysmeta.CHECKSUM_TYPE
ALL_SYSMETA = (SYSMETA, ALGORITHM_SYSMETA, VALUE_SYSMETA, TYPE_SYSMETA)
OWNER_ACL_MARK = sysmeta.CHECKSUM_OWNER_ACL_MARK
COMPOSITE = 'COMPOSITE'
FULL_OBJECT = 'FULL_OBJECT'
DEFAULT_ALGORITHM = 'CRC64NVME'
HEADER_PREFIX = 'x-amz-checksum-'


@dataclass(frozen=True)
class Algorithm:
    name: str                          # 'CRC32'
    size: int                          # digest bytes
    new: Callable[[], '_Hasher']
    combine: Optional[Callable[[int, int, int], int]] = None  # CRCs only

    @property
    def header(self) -> str:
        return HEADER_PREFIX + self.name.lower()

    @property
    def xml_name(self) -> str:
        """The element of ListParts, Complete..., GetObjectAttributes."""
        return 'Checksum' + self.name

    def digest(self, data: bytes) -> bytes:
        hasher = self.new()
        hasher.update(data)
        return hasher.digest()


class _Hasher:
    def update(self, data: bytes) -> None:
        raise NotImplementedError

    def digest(self) -> bytes:
        raise NotImplementedError


class _Crc(_Hasher):
    def __init__(self, fn: Callable[[bytes, int], int], size: int) -> None:
        self._fn = fn
        self._size = size
        self._value = 0

    def update(self, data: bytes) -> None:
        self._value = self._fn(data, self._value)

    def digest(self) -> bytes:
        return self._value.to_bytes(self._size, 'big')


class _Hash(_Hasher):
    def __init__(self, name: str) -> None:
        self._hash = hashlib.new(name)

    def update(self, data: bytes) -> None:
        self._hash.update(data)

    def digest(self) -> bytes:
        return self._hash.digest()


ALGORITHMS: Dict[str, Algorithm] = {a.name: a for a in (
    Algorithm('CRC32', 4, lambda: _Crc(_crc32, 4), crt.combine_crc32),
    Algorithm('CRC32C', 4, lambda: _Crc(crt.crc32c, 4), crt.combine_crc32c),
    Algorithm('CRC64NVME', 8, lambda: _Crc(crt.crc64nvme, 8),
              crt.combine_crc64nvme),
    Algorithm('SHA1', 20, lambda: _Hash('sha1')),
    Algorithm('SHA256', 32, lambda: _Hash('sha256')),
)}
BY_HEADER: Dict[str, Algorithm] = {a.header: a for a in ALGORITHMS.values()}


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode('ascii')


def decode_value(algorithm: Algorithm, value: str) -> Optional[bytes]:
    """The binary checksum of a base64 value, or None if malformed."""
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == algorithm.size else None


def algorithm_named(name: str, what: str = 'x-amz-checksum-algorithm'
                    ) -> Algorithm:
    algorithm = ALGORITHMS.get(name.upper())
    if algorithm is None:
        raise errors.InvalidRequest(
            'Value for %s header is invalid.' % what)
    return algorithm


# -- what a request declares ---------------------------------------------------
@dataclass(frozen=True)
class Declared:
    """The checksum an upload carries: its algorithm, and its value when
    sent as a header (None: it follows as a trailer)."""
    algorithm: Algorithm
    value: Optional[bytes]


def declared(req: S3Request, trailer: Optional[str] = None
             ) -> Optional[Declared]:
    """The checksum a request declares, validated; ``trailer`` is the
    ``x-amz-trailer`` header name when the body is aws-chunked."""
    found = [(BY_HEADER[name], value) for name, value in
             req.headers().items() if name in BY_HEADER]
    if trailer is not None:
        if trailer not in BY_HEADER:
            raise errors.InvalidRequest('The value specified in the '
                                        'x-amz-trailer header is not '
                                        'supported')
        found.append((BY_HEADER[trailer], None))
    if len(found) > 1:
        raise errors.InvalidRequest('Expecting a single x-amz-checksum- '
                                    'header. Multiple checksum Types are not '
                                    'allowed.')
    sdk = req.header('x-amz-sdk-checksum-algorithm')
    if not found:
        if sdk is not None:
            algorithm_named(sdk, 'x-amz-sdk-checksum-algorithm')
            raise errors.InvalidRequest(
                'x-amz-sdk-checksum-algorithm specified, but no corresponding '
                'x-amz-checksum-* or x-amz-trailer headers were found.')
        return None
    algorithm, value = found[0]
    if sdk is not None and sdk.upper() != algorithm.name:
        raise errors.InvalidRequest('Value for x-amz-sdk-checksum-algorithm '
                                    'header is invalid.')
    if value is None:
        return Declared(algorithm, None)
    raw = decode_value(algorithm, value)
    if raw is None:
        raise errors.InvalidRequest('Value for %s header is invalid.'
                                    % algorithm.header)
    return Declared(algorithm, raw)


def mismatch(algorithm: Algorithm) -> errors.S3Error:
    return errors.BadDigest('The %s you specified did not match the '
                            'calculated checksum.' % algorithm.name)


# -- the upload body -------------------------------------------------------------
class ChecksummedInput:
    """A ``wsgi.input`` that computes checksums of what Swift reads.

    ``algorithms`` are computed; ``expected`` (algorithm name → binary
    value, or a callable giving it at the end, for trailers) are verified
    on the read that completes the body: a mismatch raises ``BodyError``
    instead of returning the last bytes.  ``update_footers`` (called by
    Swift's proxy after the body, see ``FooterApp``) stores the results.

    ``read(size)`` with ``size`` below ``read_size`` returns up to
    ``read_size`` bytes (``_gather``), more than asked: what reads it
    (Swift's proxy, its encryption filter, proxy-logging's byte counter,
    ``read_small``) takes what it gets, and never more than the body.
    """

    def __init__(self, wsgi_input, length: Optional[int],
                 algorithms: Sequence[Algorithm],
                 expected: Callable[[], Dict[str, bytes]],
                 footers: Callable[['ChecksummedInput'], Dict[str, str]],
                 read_size: int = 0) -> None:
        self._input = wsgi_input
        self._length = length
        self._read_size = read_size
        self._hashers = {a.name: a.new() for a in algorithms}
        # one algorithm (every PutObject): no loop per read
        self._single = next(iter(self._hashers.values())) \
            if len(self._hashers) == 1 else None
        self._expected = expected
        self._footers = footers
        self._seen = 0
        self.results: Optional[Dict[str, bytes]] = None
        self._error: Optional[BodyError] = None

    @property
    def error(self) -> Optional[BodyError]:
        return self._error or getattr(self._input, 'error', None)

    def read(self, size: Optional[int] = -1) -> bytes:
        if self._error is not None:
            raise self._error
        if size is not None and 0 < size < self._read_size:
            chunk = self._gather(self._read_size)
        else:
            chunk = self._input.read(size)
        if self._single is not None:
            self._single.update(chunk)
        else:
            for hasher in self._hashers.values():
                hasher.update(chunk)
        self._seen += len(chunk)
        if self.results is None and (
                (not chunk and size != 0) or
                (self._length is not None and self._seen >= self._length)):
            self.finish()
        return chunk

    def _gather(self, size: int) -> bytes:
        """Up to ``size`` bytes, in as many reads of the input as it
        takes (an aws-chunked decoder gives one chunk's data per read).

        Swift's proxy asks for ``client_chunk_size`` (64 KiB) at a time and
        pays for every piece it gets, once per replica: a queue hand-off, a
        green thread switch, a watchdog, a send and, when the checksum goes
        as a footer (every streamed upload), a copy into chunked framing.
        Handing it bigger pieces (``upload_read_size``) is what brings an
        unsigned 256 MiB PUT's proxy CPU below native Swift's; the join of
        an aws-chunked body's pieces costs far less than the hand-offs it
        saves."""
        left = size if self._length is None else \
            max(0, min(size, self._length - self._seen))
        chunk = self._input.read(left)
        if len(chunk) >= left or not chunk:
            return chunk
        parts = [chunk]
        got = len(chunk)
        while got < left:
            part = self._input.read(left - got)
            if not part:
                break
            parts.append(part)
            got += len(part)
        return b''.join(parts)

    def finish(self) -> Dict[str, bytes]:
        """Verify what is expected; the computed checksums by name."""
        if self.results is not None:
            return self.results
        results = {name: h.digest() for name, h in self._hashers.items()}
        try:
            expected = self._expected()
        except BodyError as err:
            self._error = err
            raise
        for name, value in expected.items():
            if not hmac.compare_digest(results[name], value):
                self._error = BodyError(mismatch(ALGORITHMS[name]))
                raise self._error
        self.results = results
        return results

    def footers(self) -> Dict[str, str]:
        """What is stored with the object (once the body was read)."""
        return self._footers(self)

    def update_footers(self, footers: Dict[str, str]) -> None:
        if self.results is not None:
            footers.update(self._footers(self))


class FooterApp:
    """Wraps the app swift3's subrequests go to: a PUT whose body is a
    ``ChecksummedInput`` gets Swift's footer callback, so that checksums
    known only after the body (trailers) are stored with the object.

    Attribute lookups pass through to the wrapped app: Swift's info
    helpers look for ``_pipeline_final_app`` and friends on it, and would
    otherwise send their requests through the auth filters again.
    """

    def __init__(self, app) -> None:
        self.app = app

    def __getattr__(self, name: str):
        return getattr(self.app, name)

    def __call__(self, env, start_response):
        body = env.get('wsgi.input')
        if isinstance(body, ChecksummedInput) and \
                env.get('REQUEST_METHOD') == 'PUT':
            inner = env.get('swift.callback.update_footers')

            def update(footers):
                if inner:
                    inner(footers)
                body.update_footers(footers)
            env['swift.callback.update_footers'] = update
        return self.app(env, start_response)


def object_sysmeta(algorithm: Algorithm, value: str,
                   kind: str = FULL_OBJECT) -> Dict[str, str]:
    """The sysmeta keeping a checksum with an object (``stored`` reads
    it back)."""
    return {SYSMETA: '%s %s %s' % (algorithm.name, kind, value)}


def upload_input(req: S3Request, length: Optional[int]
                 ) -> Tuple[ChecksummedInput, Optional[Algorithm]]:
    """Wrap a PutObject body (``wsgi.input``, possibly aws-chunked): verify
    the declared checksum, store it (or a CRC64NVME when none is declared).
    Returns the new body (to send as the PUT's ``wsgi_input``: ``Backend``
    raises its ``error``) and the declared algorithm (whose value the
    response echoes)."""
    names = chunked.trailer_names(req)
    decl = declared(req, names[0] if names else None)
    algorithm = decl.algorithm if decl else ALGORITHMS[DEFAULT_ALGORITHM]

    def footers(body: ChecksummedInput) -> Dict[str, str]:
        return object_sysmeta(algorithm, b64(body.results[algorithm.name]))
    body = ChecksummedInput(req.environ['wsgi.input'], length, [algorithm],
                            expected_values(req, decl), footers,
                            req.conf.upload_read_size)
    if length == 0:
        body.finish()       # Swift will not read an empty body
    return body, decl.algorithm if decl else None


SMALL_PUT = 65536   # one client chunk of Swift's proxy


def read_small(req: S3Request, body: ChecksummedInput,
               length: Optional[int],
               signed: Optional[SignedRequest]
               ) -> Optional[Tuple[io.BytesIO, Dict[str, str]]]:
    """A small, authenticated, plain PutObject body read now: its bytes
    and the checksum sysmeta as ordinary headers, or None (stream it).

    A checksum sent as a footer makes Swift's proxy use its MIME putter:
    a chunked, multipart body with a JSON footer and three more sends to
    the object server, which is most of what a 1 KiB PUT costs more than
    a native one.  A body of at most ``SMALL_PUT`` bytes (what the proxy
    would read in one go anyway) is read and checked here instead, and
    the same sysmeta goes with the PUT's headers: the object stored is
    the same.  Only once the request is authenticated (no body is read
    for a caller whose signature was not checked yet) and never for
    aws-chunked bodies (chunk signatures need the key inside the PUT).
    ``signed`` is the request's ``SignedRequest`` (``Backend.signed``):
    its ``checked`` and ``valid`` say whether the signature was verified.
    """
    if length is None or not 0 <= length <= SMALL_PUT or \
            signed is None or not (signed.checked and signed.valid) or \
            chunked.ENV_KEY in req.environ:
        return None
    parts = []
    got = 0
    while got < length:
        part = body.read(length - got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    data = b''.join(parts)
    if got < length:
        # fewer bytes than Content-Length: Swift sees the short body and
        # answers as it does for a client that went away; nothing stored
        return io.BytesIO(data), {}
    return io.BytesIO(data), body.footers()


def expected_values(req: S3Request, decl: Optional[Declared]
                    ) -> Callable[[], Dict[str, bytes]]:
    """What ``ChecksummedInput`` verifies at the end of the body: the
    declared header value, or the trailer's (read by then)."""
    def expected() -> Dict[str, bytes]:
        if decl is None:
            return {}
        if decl.value is not None:
            return {decl.algorithm.name: decl.value}
        value = (chunked.trailer_values(req) or {}).get(
            decl.algorithm.header)
        raw = decode_value(decl.algorithm, value) if value else None
        if raw is None:
            raise BodyError(errors.InvalidRequest(
                'Value for %s trailing header is invalid.'
                % decl.algorithm.header))
        return {decl.algorithm.name: raw}
    return expected


# -- stored checksums ------------------------------------------------------------
@dataclass(frozen=True)
class Stored:
    algorithm: Algorithm
    value: str              # base64, '-N' suffixed when COMPOSITE
    kind: str               # COMPOSITE or FULL_OBJECT


def stored(headers) -> Optional[Stored]:
    """The checksum kept with an object, from its Swift headers (either
    format; an unreadable one is none)."""
    text = sysmeta.read(headers, SYSMETA)
    if text:
        if text.startswith(OWNER_ACL_MARK):
            text = text[len(OWNER_ACL_MARK):]
        name, _, rest = text.partition(' ')
        kind, _, value = rest.partition(' ')
    else:
        name = headers.get(ALGORITHM_SYSMETA)
        value = headers.get(VALUE_SYSMETA)
        kind = headers.get(TYPE_SYSMETA) or FULL_OBJECT
    if not name or not value or name not in ALGORITHMS or \
            kind not in (FULL_OBJECT, COMPOSITE):
        return None
    return Stored(ALGORITHMS[name], value, kind)


def mark_owner_acl(headers: Dict[str, str]) -> bool:
    """Mark the checksum among a PUT's ``headers`` as kept with an object
    whose ACL is its bucket owner's private one, which is then not stored
    (``sysmeta.CHECKSUM_OWNER_ACL_MARK``).  False when ``headers`` store no
    checksum (nothing to mark: the ACL must be stored)."""
    text = headers.get(SYSMETA)
    if not text:
        return False
    if not text.startswith(OWNER_ACL_MARK):
        headers[SYSMETA] = OWNER_ACL_MARK + text
    return True


def owner_acl_marked(headers) -> bool:
    """Whether an object's Swift headers carry the mark of its bucket
    owner's private ACL (``mark_owner_acl``)."""
    text = sysmeta.read(headers, SYSMETA)
    return bool(text) and text.startswith(OWNER_ACL_MARK)


def response_headers(req: S3Request, headers, ranged: bool
                     ) -> Dict[str, str]:
    """x-amz-checksum-* for GET/HEAD with x-amz-checksum-mode: ENABLED
    (never for a range: the stored value is the whole object's)."""
    mode = req.header('x-amz-checksum-mode')
    if mode is None or mode.upper() != 'ENABLED' or ranged:
        return {}
    found = stored(headers)
    if found is None:
        return {}
    return {found.algorithm.header: found.value,
            'x-amz-checksum-type': found.kind}


def part_response_headers(req: S3Request, headers,
                          part: Callable[[], Optional[Tuple[Algorithm, bytes]]]
                          ) -> Dict[str, str]:
    """x-amz-checksum-* for GET/HEAD ``?partNumber=`` of a multipart object
    with x-amz-checksum-mode: ENABLED: the part's own checksum (``part``
    finds it) and the object's checksum type."""
    mode = req.header('x-amz-checksum-mode')
    if mode is None or mode.upper() != 'ENABLED':
        return {}
    found = stored(headers)
    if found is None:
        return {}
    checksum = part()
    if checksum is None or checksum[0].name != found.algorithm.name:
        return {}
    return {found.algorithm.header: b64(checksum[1]),
            'x-amz-checksum-type': found.kind}


# -- multipart -------------------------------------------------------------------
def upload_type(algorithm: Optional[Algorithm], requested: Optional[str]
                ) -> Optional[str]:
    """The checksum type of a multipart upload (CreateMultipartUpload's
    x-amz-checksum-type), validated against its algorithm."""
    if requested is not None:
        requested = requested.upper()
        if requested not in (COMPOSITE, FULL_OBJECT):
            raise errors.InvalidRequest(
                'Value for x-amz-checksum-type header is invalid.')
        if algorithm is None:
            raise errors.InvalidRequest(
                'The x-amz-checksum-type header can only be used with the '
                'x-amz-checksum-algorithm header.')
    if algorithm is None:
        return None
    if requested is None:
        return FULL_OBJECT if algorithm.name == 'CRC64NVME' else COMPOSITE
    if requested == FULL_OBJECT and algorithm.combine is None:
        raise errors.InvalidRequest(
            'The FULL_OBJECT checksum type cannot be used with the %s '
            'checksum algorithm.' % algorithm.name.lower())
    if requested == COMPOSITE and algorithm.name == 'CRC64NVME':
        raise errors.InvalidRequest(
            'The COMPOSITE checksum type cannot be used with the crc64nvme '
            'checksum algorithm.')
    return requested


def combine_parts(algorithm: Algorithm, kind: str,
                  parts: List[Tuple[bytes, int]]) -> str:
    """The object checksum from its parts' (binary checksum, size)."""
    if kind == COMPOSITE:
        return '%s-%d' % (b64(algorithm.digest(
            b''.join(raw for raw, _size in parts))), len(parts))
    total = 0
    for raw, size in parts:
        total = algorithm.combine(  # type: ignore[misc]  # CRCs combine
            total, int.from_bytes(raw, 'big'), size)
    return b64(total.to_bytes(algorithm.size, 'big'))


# Part checksums travel in the part's container-listing content type, as
# "<algorithm>-<hex>", so that ListParts needs no HEAD per part.
PART_PARAM = 's3c_checksum'


def part_param(algorithm: Algorithm, raw: bytes) -> str:
    return '%s-%s' % (algorithm.name, raw.hex())


def parse_part_param(value: Optional[str]
                     ) -> Optional[Tuple[Algorithm, bytes]]:
    if not value:
        return None
    name, _, hexed = value.partition('-')
    algorithm = ALGORITHMS.get(name)
    try:
        raw = bytes.fromhex(hexed)
    except ValueError:
        return None
    if algorithm is None or len(raw) != algorithm.size:
        return None
    return algorithm, raw
