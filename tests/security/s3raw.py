"""A raw S3 client for hostile requests: sign exactly what is sent, then tamper.

boto3 normalises what it sends; security tests need the opposite: a request
signed with SigV2 or SigV4 (header or presigned), then changed (a header added
after signing, a body that does not match its hash, a NUL in the path) and
written byte for byte to the socket. The signing code here is independent of
``swift3compat.auth`` on purpose: a bug shared by the signer and the verifier
would otherwise go unnoticed.

Typical use::

    client = RawS3('127.0.0.1', port, Creds('test:tester', 'testing'))
    resp = client.send('PUT', '/bucket/key', body=b'data', auth='v4')
    resp = client.send('PUT', '/bucket/key', body=b'data', auth='v4',
                       add_after_signing={'x-amz-copy-source': '/b/secret'})
    assert resp.status == 403 and resp.code == 'AccessDenied'
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import socket
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Iterable, Mapping, Optional, Sequence, Union
from urllib.parse import quote, unquote_to_bytes

from lxml import etree

REGION = 'us-east-1'
UNSIGNED = 'UNSIGNED-PAYLOAD'
# A hung server turns into a test failure after this long instead of blocking CI.
SOCKET_TIMEOUT = 60.0

Params = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Creds:
    access_key: str
    secret: str


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    signature: str = ''
    request_bytes: bytes = b''

    @property
    def code(self) -> Optional[str]:
        """The S3 error code, or None when the body is no S3 error document."""
        return error_code(self.body)

    def __repr__(self) -> str:
        return f'<Response {self.status} {self.code} {self.body[:300]!r}>'


def error_code(body: bytes) -> Optional[str]:
    """``<Error><Code>X</Code>...`` → X (None for anything else)."""
    if not body.strip():
        return None
    try:
        root = etree.fromstring(body, etree.XMLParser(resolve_entities=False,
                                                       no_network=True))
    except etree.XMLSyntaxError:
        return None
    if root.tag != 'Error':
        return None
    return root.findtext('Code')


def is_s3_error(resp: Response) -> bool:
    """A well-formed S3 error: status >= 300, XML <Error> with Code and RequestId."""
    if resp.status < 300 or resp.code is None:
        return False
    root = etree.fromstring(resp.body)
    return bool(root.findtext('RequestId')) and bool(root.findtext('Message') is not None)


# -- signing ------------------------------------------------------------------
def amz_date(ts: Optional[float] = None) -> str:
    return time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(time.time() if ts is None else ts))


def http_date(ts: Optional[float] = None) -> str:
    return formatdate(time.time() if ts is None else ts, usegmt=True)


def _enc(value: Union[str, bytes]) -> str:
    return quote(value, safe='~')


def canonical_uri(raw_path: str) -> str:
    """S3 signs the decoded path, each byte percent-encoded once."""
    return quote(unquote_to_bytes(raw_path), safe='/~') or '/'


def canonical_query(params: Params) -> str:
    return '&'.join('%s=%s' % kv for kv in sorted((_enc(k), _enc(v)) for k, v in params))


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode('utf-8'), hashlib.sha256).digest()


def v4_key(secret: str, date: str, region: str = REGION) -> bytes:
    key = _hmac(('AWS4' + secret).encode(), date)
    for part in (region, 's3', 'aws4_request'):
        key = _hmac(key, part)
    return key


def v4_signature(creds: Creds, method: str, raw_path: str, params: Params,
                 headers: Mapping[str, str], signed: Sequence[str], payload: str,
                 date: str, region: str = REGION) -> str:
    lines = ''.join('%s:%s\n' % (h, ' '.join(headers[h].split())) for h in signed)
    canonical = '\n'.join((method, canonical_uri(raw_path), canonical_query(params),
                           lines, ';'.join(signed), payload))
    scope = '%s/%s/s3/aws4_request' % (date[:8], region)
    sts = '\n'.join(('AWS4-HMAC-SHA256', date, scope,
                     hashlib.sha256(canonical.encode()).hexdigest()))
    return hmac.new(v4_key(creds.secret, date[:8], region), sts.encode(),
                    hashlib.sha256).hexdigest()


V2_SUBRESOURCES = frozenset([
    'acl', 'delete', 'lifecycle', 'location', 'logging', 'notification', 'partNumber',
    'policy', 'requestPayment', 'tagging', 'torrent', 'uploadId', 'uploads',
    'versionId', 'versioning', 'versions', 'website', 'cors', 'restore',
    'response-cache-control', 'response-content-disposition',
    'response-content-encoding', 'response-content-language',
    'response-content-type', 'response-expires'])


def v2_signature(creds: Creds, method: str, raw_path: str, params: Params,
                 headers: Mapping[str, str], date_line: str) -> str:
    sts = v2_string_to_sign(method, raw_path, params, headers, date_line)
    digest = hmac.new(creds.secret.encode(), sts.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def v2_string_to_sign(method: str, raw_path: str, params: Params,
                      headers: Mapping[str, str], date_line: str) -> str:
    amz = ''.join(sorted('%s:%s\n' % (k, v.strip()) for k, v in headers.items()
                         if k.startswith('x-amz-')))
    subs = sorted((k, v) for k, v in params if k in V2_SUBRESOURCES)
    resource = raw_path.split('?')[0]
    if subs:
        resource += '?' + '&'.join(k + ('=' + v if v else '') for k, v in subs)
    return '\n'.join((method, headers.get('content-md5', ''),
                      headers.get('content-type', ''), date_line, amz + resource))


# -- the client ----------------------------------------------------------------
@dataclass
class RawS3:
    """Signs and sends one request per call, over a fresh connection."""

    host: str
    port: int
    creds: Creds
    region: str = REGION
    host_header: Optional[str] = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    def sign(self, method: str, raw_path: str, params: Params = (),
             headers: Optional[Mapping[str, str]] = None, body: bytes = b'', *,
             auth: str = 'v4', payload: Optional[str] = None, expires: Union[int, str] = 300,
             now: Optional[float] = None, sign_headers: Optional[Iterable[str]] = None
             ) -> tuple[list[tuple[str, str]], dict[str, str], str]:
        """(query params, headers, signature) of a request signed with ``auth``:
        ``v4`` (Authorization header), ``v4-query``, ``v2``, ``v2-query`` or ``none``.

        ``expires``: X-Amz-Expires for ``v4-query`` (an int or any string); for
        ``v2-query`` an int is seconds from ``now`` and a string is the raw
        ``Expires`` value. ``payload`` replaces the body's SHA-256."""
        params = list(params)
        hdrs = {k.lower(): v for k, v in (headers or {}).items()}
        hdrs.setdefault('host', self.host_header or f'{self.host}:{self.port}')
        now = time.time() if now is None else now
        if auth == 'none':
            return params, hdrs, ''
        if auth == 'v4':
            date = amz_date(now)
            hdrs.setdefault('x-amz-date', date)
            hdrs.setdefault('x-amz-content-sha256',
                            payload or hashlib.sha256(body).hexdigest())
            signed = sorted(sign_headers or (h for h in hdrs if h == 'host' or
                                             h.startswith('x-amz-') or
                                             h in ('content-type', 'content-md5')))
            sig = v4_signature(self.creds, method, raw_path, params, hdrs, signed,
                               hdrs['x-amz-content-sha256'], hdrs['x-amz-date'],
                               self.region)
            hdrs['authorization'] = (
                'AWS4-HMAC-SHA256 Credential=%s/%s/%s/s3/aws4_request, '
                'SignedHeaders=%s, Signature=%s' % (
                    self.creds.access_key, hdrs['x-amz-date'][:8], self.region,
                    ';'.join(signed), sig))
            return params, hdrs, sig
        if auth == 'v4-query':
            date = amz_date(now)
            signed = sorted(sign_headers or ['host'])
            params += [('X-Amz-Algorithm', 'AWS4-HMAC-SHA256'),
                       ('X-Amz-Credential', '%s/%s/%s/s3/aws4_request' % (
                           self.creds.access_key, date[:8], self.region)),
                       ('X-Amz-Date', date), ('X-Amz-Expires', str(expires)),
                       ('X-Amz-SignedHeaders', ';'.join(signed))]
            sig = v4_signature(self.creds, method, raw_path, params, hdrs, signed,
                               payload or UNSIGNED, date, self.region)
            params.append(('X-Amz-Signature', sig))
            return params, hdrs, sig
        if auth == 'v2':
            hdrs.setdefault('date', http_date(now))
            date_line = '' if 'x-amz-date' in hdrs else hdrs['date']
            sig = v2_signature(self.creds, method, raw_path, params, hdrs, date_line)
            hdrs['authorization'] = f'AWS {self.creds.access_key}:{sig}'
            return params, hdrs, sig
        if auth == 'v2-query':
            exp = str(int(now) + int(expires)) if isinstance(expires, int) else expires
            sig = v2_signature(self.creds, method, raw_path, params, hdrs, exp)
            params += [('AWSAccessKeyId', self.creds.access_key), ('Expires', exp),
                       ('Signature', sig)]
            return params, hdrs, sig
        raise ValueError(auth)

    def send(self, method: str, raw_path: str, params: Params = (),
             headers: Optional[Mapping[str, str]] = None, body: bytes = b'', *,
             auth: str = 'v4', payload: Optional[str] = None, expires: Union[int, str] = 300,
             now: Optional[float] = None, sign_headers: Optional[Iterable[str]] = None,
             add_after_signing: Optional[Mapping[str, str]] = None,
             params_after_signing: Params = (),
             drop_after_signing: Iterable[str] = (),
             chunked: bool = False, content_length: Optional[int] = None,
             send_body: Optional[bytes] = None, raw_query: Optional[str] = None
             ) -> Response:
        """Sign, optionally tamper, send and read the response.

        ``send_body`` replaces the signed ``body`` on the wire; ``chunked`` sends
        it with ``Transfer-Encoding: chunked``; ``raw_query`` replaces the
        encoded query string verbatim.
        """
        q, hdrs, sig = self.sign(method, raw_path, params, headers, body, auth=auth,
                                 payload=payload, expires=expires, now=now,
                                 sign_headers=sign_headers)
        for name in drop_after_signing:
            hdrs.pop(name.lower(), None)
        hdrs.update({k.lower(): v for k, v in (add_after_signing or {}).items()})
        hdrs.update(self.extra_headers)
        q = list(q) + list(params_after_signing)
        wire_body = body if send_body is None else send_body
        query = raw_query if raw_query is not None else '&'.join(
            '%s=%s' % (_enc(k), _enc(v)) for k, v in q)
        target = raw_path + ('?' + query if query else '')
        resp = self.request(method, target, hdrs, wire_body, chunked=chunked,
                            content_length=content_length)
        resp.signature = sig
        return resp

    def request(self, method: str, target: str, headers: Mapping[str, str],
                body: bytes = b'', *, chunked: bool = False,
                content_length: Optional[int] = None, half_close: bool = False
                ) -> Response:
        """Write the request byte for byte (latin-1 text, no validation)."""
        hdrs = dict(headers)
        if chunked:
            hdrs['transfer-encoding'] = 'chunked'
            payload = chunk_body(body)
        else:
            if body or method in ('PUT', 'POST') or content_length is not None:
                hdrs.setdefault('content-length', str(
                    len(body) if content_length is None else content_length))
            payload = body
        head = '%s %s HTTP/1.1\r\n' % (method, target)
        head += ''.join('%s: %s\r\n' % kv for kv in hdrs.items())
        head += 'connection: close\r\n\r\n'
        return exchange(self.host, self.port, wire(head) + payload, method, half_close)


def wire(text: str) -> bytes:
    """Text as bytes on the wire: latin-1 (so '\xff' is one raw byte), or UTF-8
    when the text has characters beyond latin-1."""
    try:
        return text.encode('latin-1')
    except UnicodeEncodeError:
        return text.encode('utf-8')


def chunk_body(body: bytes, size: int = 65536) -> bytes:
    out = b''.join(b'%x\r\n%s\r\n' % (len(body[i:i + size]), body[i:i + size])
                   for i in range(0, len(body), size))
    return out + b'0\r\n\r\n'


def aws_chunked(data: bytes, sizes: Sequence[int], *, seed: str = '', key: bytes = b'',
                amz_date: str = '', region: str = REGION,
                trailers: Sequence[tuple[str, str]] = (), sign_trailer: bool = False) -> bytes:
    """``data`` in aws-chunked framing, split into ``sizes`` (then the final
    zero chunk and the trailers). With ``seed`` (the request's signature) and
    the SigV4 ``key``, every chunk (and the trailer) is signed, chained."""
    scope = '%s/%s/s3/aws4_request' % (amz_date[:8], region)
    empty = hashlib.sha256(b'').hexdigest()

    def sign(kind: str, previous: str, body_hash: str) -> str:
        sts = '\n'.join((kind, amz_date, scope, previous, body_hash))
        return hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    out, previous, pos = [], seed, 0
    for size in list(sizes) + [0]:
        piece = data[pos:pos + size]
        pos += size
        header = b'%x' % len(piece)
        if seed:
            previous = sign('AWS4-HMAC-SHA256-PAYLOAD', previous,
                            empty + '\n' + hashlib.sha256(piece).hexdigest())
            header += b';chunk-signature=' + previous.encode()
        out.append(header + b'\r\n' + piece + (b'\r\n' if piece else b''))
    text = b''.join(b'%s:%s\r\n' % (k.encode(), v.encode()) for k, v in trailers)
    if sign_trailer:
        canonical = ''.join('%s:%s\n' % kv for kv in trailers).encode()
        text += b'x-amz-trailer-signature:%s\r\n' % sign(
            'AWS4-HMAC-SHA256-TRAILER', previous, hashlib.sha256(canonical).hexdigest()
        ).encode()
    out.append(text + b'\r\n')
    return b''.join(out)


def exchange(host: str, port: int, data: bytes, method: str = 'GET',
             half_close: bool = False) -> Response:
    """Send raw bytes, read one HTTP response. ``half_close``: then shut
    down the sending side, as a client that went away would."""
    sock = socket.create_connection((host, port), timeout=SOCKET_TIMEOUT)
    try:
        try:
            sock.sendall(data)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass    # the server answered early and closed; read its answer
        resp = http.client.HTTPResponse(sock, method=method)
        resp.begin()
        body = resp.read()
        return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()},
                        body, request_bytes=data)
    finally:
        sock.close()
