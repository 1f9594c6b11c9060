"""Fuzz targets: bytes in, an exception out only when an invariant breaks.

Shared by the hypothesis tests (``tests/fuzz/test_*.py``, a small budget in
CI), the seed-corpus replay (``test_corpus.py``) and the coverage-guided
atheris harness (``atheris_fuzz.py``, ``tox -e fuzz``). The invariant, for
every input: a well-formed S3 answer (an ``<Error>`` document with a code and
a request id, or a success), never an exception, never a 500, never a hang.

Targets:

* ``request``: method, path, query, headers and body, signed (SigV2/SigV4,
  header or presigned) or not, through the swift3 filter in process;
* ``signature``: hostile Authorization headers and presigned parameters
  (SigV2/SigV4 parsing and canonicalisation);
* ``xml``: a body for every XML-accepting operation, correctly signed;
* ``chunked``: the aws-chunked decoder, signed, unsigned and with trailers;
* ``headers``: Range, If-*, Accept, copy-source and date headers.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from io import BytesIO
from typing import Callable, Optional, Sequence, TypeVar
from urllib.parse import quote

from lxml import etree

from swift3compat import errors
from swift3compat.auth import chunked, signature
from swift3compat.http.body import BodyError
from tests.security.inprocess import InProcess
from tests.security.s3raw import Response

T = TypeVar('T')


class Input:
    """Structured values consumed from fuzz bytes (a small FuzzedDataProvider)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            return 0
        self.pos += 1
        return self.data[self.pos - 1]

    def int(self, below: int) -> int:
        return (self.byte() << 8 | self.byte()) % below if below > 1 else 0

    def bool(self) -> bool:
        return bool(self.byte() & 1)

    def pick(self, options: Sequence[T]) -> T:
        return options[self.int(len(options))]

    def bytes(self, most: int) -> bytes:
        size = min(self.int(most + 1), len(self.data) - self.pos)
        out = self.data[self.pos:self.pos + size]
        self.pos += size
        return out

    def text(self, most: int) -> str:
        return self.bytes(most).decode('utf-8', 'replace')

    def latin1(self, most: int) -> str:
        """Header-value text: any byte but CR/LF (which cannot be in a header)."""
        return self.bytes(most).replace(b'\r', b'').replace(b'\n', b'').decode('latin-1')

    def rest(self) -> bytes:
        out = self.data[self.pos:]
        self.pos = len(self.data)
        return out


# -- the invariant -------------------------------------------------------------------
def check_answer(resp: Response, method: str) -> None:
    """A well-formed S3 answer; never a 500 or a body that is no S3 error."""
    assert resp.status != 500, resp
    assert 200 <= resp.status < 600, resp
    if resp.status < 300 or method == 'HEAD' or resp.status == 304:
        return
    root = etree.fromstring(resp.body, etree.XMLParser(resolve_entities=False))
    assert root.tag == 'Error', resp
    assert root.findtext('Code') and root.findtext('RequestId'), resp


_APP: Optional[InProcess] = None


def app() -> InProcess:
    """One in-process filter over a fake Swift, with a bucket and an object."""
    global _APP
    if _APP is None:
        _APP = InProcess()
        _APP.request('PUT', '/bucket')
        _APP.request('PUT', '/bucket/key', body=b'0123456789' * 100)
    return _APP


METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'COPY', 'PATCH']
AUTHS = ['v4', 'v4-query', 'v2', 'v2-query', 'none', 'garbage']
PATHS = ['/', '/bucket', '/bucket/', '/bucket/key', '/bucket/new', '/other-bucket',
         '/bucket/a/../b', '/bucket/%00', '/bucket/%FF', '/v1/AUTH_test/bucket', '//x',
         '/bucket/' + 'k' * 1025, '/BUCKET', '/bucket/key%2Fx', '/bucket+segments/x']
QUERY_NAMES = ['acl', 'delete', 'uploads', 'uploadId', 'partNumber', 'versionId',
               'versioning', 'tagging', 'lifecycle', 'cors', 'policy', 'website', 'location',
               'list-type', 'prefix', 'delimiter', 'marker', 'max-keys', 'encoding-type',
               'continuation-token', 'start-after', 'fetch-owner', 'max-uploads',
               'key-marker', 'upload-id-marker', 'max-parts', 'part-number-marker',
               'response-content-type', 'response-expires', 'versions', 'attributes',
               'X-Amz-Expires', 'Expires', 'Signature', 'X-Amz-Signature', 'metadataTable']
HEADER_NAMES = ['content-type', 'content-md5', 'content-length', 'x-amz-acl', 'range',
                'if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since',
                'x-amz-copy-source', 'x-amz-copy-source-range', 'x-amz-metadata-directive',
                'x-amz-storage-class', 'x-amz-meta-a', 'x-amz-tagging', 'x-amz-date',
                'x-amz-content-sha256', 'x-amz-decoded-content-length', 'x-amz-trailer',
                'content-encoding', 'expect', 'x-amz-checksum-crc32',
                'x-amz-checksum-algorithm', 'x-amz-sdk-checksum-algorithm', 'accept',
                'x-amz-object-attributes', 'x-amz-expected-bucket-owner', 'origin',
                'access-control-request-method', 'x-amz-grant-read', 'x-amz-mfa',
                'x-amz-bypass-governance-retention', 'x-amz-server-side-encryption']


def _send(inp: Input, method: str, raw_path: str, params: list, headers: dict,
          body: bytes, auth: str) -> Response:
    proc = app()
    proc.swift.seen.clear()
    if auth == 'garbage':
        headers['authorization'] = inp.latin1(200)
        query = '&'.join('%s=%s' % (quote(k), quote(v)) for k, v in params)
        resp = proc.call(method, raw_path, query, dict(headers, host='localhost:8080'), body)
    else:
        resp = proc.request(method, raw_path, params, headers, body, auth=auth,
                            payload=headers.pop('x-amz-content-sha256', None))
    # A native Swift API request (/v1/... without S3 auth) is not ours to judge.
    if all(env.get('swift.source') == 'S3C' for env in proc.swift.seen):
        check_answer(resp, method)
    return resp


def run_request(data: bytes) -> None:
    inp = Input(data)
    method = inp.pick(METHODS)
    auth = inp.pick(AUTHS)
    raw_path = inp.pick(PATHS) if inp.bool() else '/' + quote(inp.bytes(80), safe='/')
    params = [(inp.pick(QUERY_NAMES) if inp.bool() else inp.text(12), inp.text(20))
              for _ in range(inp.int(4))]
    headers = {inp.pick(HEADER_NAMES): inp.latin1(60) for _ in range(inp.int(4))}
    headers.pop('content-length', None)
    _send(inp, method, raw_path, params, headers, inp.rest(), auth)


def run_signature(data: bytes) -> None:
    """Hostile auth: a mutated copy of a valid header or presigned query."""
    inp = Input(data)
    proc = app()
    method = inp.pick(['GET', 'PUT', 'HEAD'])
    auth = inp.pick(['v4', 'v4-query', 'v2', 'v2-query'])
    client = proc.clients['test:tester']
    q, hdrs, _sig = client.sign(method, '/bucket/key', [], {}, b'', auth=auth)
    q = list(q)
    for _ in range(1 + inp.int(3)):
        what = inp.int(4)
        if what == 0 and 'authorization' in hdrs:
            value = hdrs['authorization']
            cut = inp.int(len(value) + 1)
            hdrs['authorization'] = value[:cut] + inp.latin1(40) + value[cut + inp.int(8):]
        elif what == 1 and q:
            i = inp.int(len(q))
            q[i] = (q[i][0], inp.text(40) if inp.bool() else q[i][1][:inp.int(80)])
        elif what == 2:
            hdrs[inp.pick(['x-amz-date', 'date', 'x-amz-content-sha256',
                           'x-amz-security-token'])] = inp.latin1(40)
        else:
            q.append((inp.pick(['X-Amz-Credential', 'X-Amz-SignedHeaders', 'AWSAccessKeyId',
                                'X-Amz-Algorithm', 'X-Amz-Date']), inp.text(60)))
    query = '&'.join('%s=%s' % (quote(k, safe='~'), quote(v, safe='~')) for k, v in q)
    proc.swift.seen.clear()
    check_answer(proc.call(method, '/bucket/key', query, hdrs), method)


XML_OPS = [  # (method, path, params, root element)
    ('PUT', '/bucket', [('acl', '')], 'AccessControlPolicy'),
    ('PUT', '/bucket/key', [('acl', '')], 'AccessControlPolicy'),
    ('PUT', '/new-bucket', [], 'CreateBucketConfiguration'),
    ('POST', '/bucket', [('delete', '')], 'Delete'),
    ('POST', '/bucket/key', [('uploadId', 'x')], 'CompleteMultipartUpload'),
    ('PUT', '/bucket', [('versioning', '')], 'VersioningConfiguration'),
    ('PUT', '/bucket', [('tagging', '')], 'Tagging'),
    ('PUT', '/bucket/key', [('tagging', '')], 'Tagging'),
    ('PUT', '/bucket', [('lifecycle', '')], 'LifecycleConfiguration'),
    ('PUT', '/bucket', [('cors', '')], 'CORSConfiguration'),
    ('PUT', '/bucket', [('website', '')], 'WebsiteConfiguration'),
    ('PUT', '/bucket', [('policy', '')], 'Policy'),
    ('PUT', '/bucket', [('object-lock', '')], 'ObjectLockConfiguration'),
    ('POST', '/bucket/key', [('restore', '')], 'RestoreRequest'),
]
XML_FRAGMENTS = [b'<Object><Key>key</Key></Object>', b'<Part><PartNumber>1</PartNumber>'
                 b'<ETag>"x"</ETag></Part>', b'<Status>Enabled</Status>',
                 b'<TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet>',
                 b'<Quiet>true</Quiet>', b'<LocationConstraint>us-east-1</LocationConstraint>',
                 b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>', b'&e;',
                 b'<![CDATA[x]]>', b'<!-- c -->', b'<?pi x?>', b'\xff\xfe', b'\x00',
                 b'<Rule><ID>r</ID><Status>Enabled</Status><Filter/></Rule>']


def run_xml(data: bytes) -> None:
    inp = Input(data)
    method, path, params, root = inp.pick(XML_OPS)
    if inp.bool():
        inner = b''.join(inp.pick(XML_FRAGMENTS) for _ in range(inp.int(6)))
        body = b'<%s xmlns="http://s3.amazonaws.com/doc/2006-03-01/">%s%s</%s>' % (
            root.encode(), inner, inp.bytes(40), root.encode())
    else:
        body = inp.rest()
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    _send(inp, method, path, list(params), {'content-md5': md5}, body,
          inp.pick(['v4', 'v2']))


def run_headers(data: bytes) -> None:
    inp = Input(data)
    method = inp.pick(['GET', 'HEAD', 'PUT'])
    headers = {}
    for _ in range(1 + inp.int(4)):
        name = inp.pick(['range', 'if-match', 'if-none-match', 'if-modified-since',
                         'if-unmodified-since', 'accept', 'x-amz-copy-source',
                         'x-amz-copy-source-range', 'x-amz-copy-source-if-match',
                         'x-amz-copy-source-if-modified-since', 'content-md5',
                         'x-amz-meta-x', 'content-type', 'expires', 'cache-control'])
        headers[name] = inp.latin1(120) if inp.bool() else inp.pick([
            'bytes=', 'bytes=0-', 'bytes=-0', 'bytes=5-1', 'bytes=0-0,1-1', '"x", *',
            '*', 'bytes=' + '0-0,' * 200, 'a/b;q=0.' + '0' * 300, '/bucket/key',
            '/bucket/key?versionId=null', 'Sat, 01 Jan 2000 00:00:00 GMT', ';' * 500])
    path = '/bucket/key' if method != 'PUT' or 'x-amz-copy-source' not in headers \
        else '/bucket/copy'
    _send(inp, method, path, [], headers, b'body' if method == 'PUT' else b'',
          inp.pick(['v4', 'v2']))


# -- the aws-chunked decoder -----------------------------------------------------------
SEED = 'f' * 64
DATE = '20200101T000000Z'
SCOPE = ('20200101', 'us-east-1', 's3', 'aws4_request')
KEY = hashlib.sha256(b'fuzz signing key').digest()


def signed_request() -> signature.SignedRequest:
    signed = signature.SignedRequest(4, 'AKID', SEED, ['sts'], scope=SCOPE, amz_date=DATE)
    signed.signing_key = KEY
    signed.checked = signed.valid = True
    return signed


def chunk_signature(previous: str, data: bytes, kind: str = 'AWS4-HMAC-SHA256-PAYLOAD'
                    ) -> str:
    """Independent of swift3compat: the chained chunk signature AWS documents."""
    empty = hashlib.sha256(b'').hexdigest()
    body = empty + '\n' + hashlib.sha256(data).hexdigest() if kind.endswith('PAYLOAD') \
        else hashlib.sha256(data).hexdigest()
    to_sign = '\n'.join((kind, DATE, '/'.join(SCOPE), previous, body))
    return hmac.new(KEY, to_sign.encode(), hashlib.sha256).hexdigest()


def encode_chunks(data: bytes, sizes: Sequence[int], signed: bool,
                  trailers: Sequence[tuple[str, str]] = (), sign_trailer: bool = False
                  ) -> bytes:
    """A valid aws-chunked body of ``data`` split into ``sizes``."""
    out, previous, pos = [], SEED, 0
    for size in list(sizes) + [0]:
        piece = data[pos:pos + size]
        pos += size
        header = b'%x' % len(piece)
        if signed:
            previous = chunk_signature(previous, piece)
            header += b';chunk-signature=' + previous.encode()
        out.append(header + b'\r\n' + piece + (b'\r\n' if piece else b''))
    lines = ''.join('%s:%s\n' % (k, v) for k, v in trailers)
    text = b''.join(b'%s:%s\r\n' % (k.encode(), v.encode()) for k, v in trailers)
    if sign_trailer:
        sig = chunk_signature(previous, lines.encode(), 'AWS4-HMAC-SHA256-TRAILER')
        text += b'x-amz-trailer-signature:' + sig.encode() + b'\r\n'
    out.append(text + b'\r\n')
    return b''.join(out)


def decoder(body: bytes, length: int, mode: str, trailers: tuple[str, ...] = ()
            ) -> chunked.AwsChunkedInput:
    signer = chunked.ChunkSigner(signed_request()) if mode in ('signed', 'signed-trailer') \
        else None
    return chunked.AwsChunkedInput(BytesIO(body), length, signer=signer,
                                   trailers=trailers, trailer_ok=mode != 'signed',
                                   signed_trailer=mode == 'signed-trailer')


def decode(body: bytes, length: int, mode: str, trailers: tuple[str, ...] = (),
           out: Optional[list] = None) -> tuple[bytes, dict]:
    """Read the decoder to its end (or its error, which propagates); what it
    returned so far is in ``out``."""
    reader = decoder(body, length, mode, trailers)
    out = [] if out is None else out
    for _ in range(length + 1000):      # a decoder that never ends is a hang
        part = reader.read(4096)
        if not part:
            return b''.join(out), reader.trailers_received
        out.append(part)
    raise AssertionError('the decoder did not end')


def run_chunked(data: bytes) -> None:
    inp = Input(data)
    mode = inp.pick(['signed', 'unsigned-trailer', 'signed-trailer'])
    trailers = tuple(inp.pick(['x-amz-checksum-crc32', 'x-amz-checksum-sha256'])
                     for _ in range(inp.int(2)))
    length = inp.int(40000)
    body = inp.rest()
    try:
        decode(body, length, mode, trailers)
    except BodyError as err:
        assert isinstance(err.s3_error, errors.S3Error)
        assert 400 <= err.s3_error.status < 500 or err.s3_error.status == 501, err.s3_error


TARGETS: dict[str, Callable[[bytes], None]] = {
    'request': run_request, 'signature': run_signature, 'xml': run_xml,
    'headers': run_headers, 'chunked': run_chunked,
}
