"""A hand-built aws-chunked client for the functional tests, and an HTTPS
relay in front of a proxy (the AWS SDKs send aws-chunked only over HTTPS).

``ChunkedPut`` signs the request (the seed signature; botocore's signer
cannot sign a streaming payload hash), each chunk and the trailer as AWS
documents, and streams the body with http.client, so that any framing (also
a broken one) and any size (also 2 GiB, generated on the fly) can be sent.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Tuple
from urllib.parse import quote, urlsplit

from lxml import etree

SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD'
SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER'
UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'
EMPTY_SHA256 = hashlib.sha256(b'').hexdigest()
REGION = 'us-east-1'


@dataclass
class Response:
    status: int
    headers: Dict[str, str]
    body: bytes

    @property
    def code(self) -> Optional[str]:
        if not self.body.startswith(b'<?xml'):
            return None
        node = etree.fromstring(self.body).find('Code')
        return node.text if node is not None else None


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


@dataclass
class ChunkedPut:
    """One aws-chunked PUT: ``chunks`` (an iterable of bytes) framed per
    ``variant``; ``trailer`` is a checksum name such as 'crc32' whose value
    is computed (``trailer_value`` overrides it)."""
    endpoint: str
    access_key: str
    secret: str
    path: str                                   # '/bucket/key' (unquoted)
    chunks: Iterable[bytes]
    decoded_length: int
    variant: str = SIGNED
    trailer: Optional[str] = None
    trailer_value: Optional[str] = None
    extra_headers: Dict[str, str] = field(default_factory=dict)
    query: str = ''
    # Hooks that break things: (index, signature) -> signature
    tamper_signature: Optional[Callable[[int, str], str]] = None
    omit: Tuple[str, ...] = ()          # headers not sent at all

    def headers(self, encoded_length: Optional[int]) -> Dict[str, str]:
        headers = {'x-amz-content-sha256': self.variant,
                   'x-amz-decoded-content-length': str(self.decoded_length),
                   'content-encoding': 'aws-chunked'}
        if self.trailer:
            headers['x-amz-trailer'] = 'x-amz-checksum-' + self.trailer
        if encoded_length is not None:
            headers['content-length'] = str(encoded_length)
        headers.update(self.extra_headers)
        for name in self.omit:
            headers.pop(name, None)
        return self._sign_request(headers)

    def _sign_request(self, headers: Dict[str, str]) -> Dict[str, str]:
        """SigV4 over the headers, payload hash = the streaming variant."""
        self._date = time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())
        scope_date = self._date[:8]
        self._scope = '%s/%s/s3/aws4_request' % (scope_date, REGION)
        headers = dict(headers, **{
            'host': urlsplit(self.endpoint).netloc,
            'x-amz-date': self._date})
        names = sorted(h.lower() for h in headers)
        lowered = {k.lower(): ' '.join(str(v).split())
                   for k, v in headers.items()}
        query = '&'.join(sorted(
            '%s=%s' % (quote(k, safe='-_.~'), quote(v, safe='-_.~'))
            for k, _, v in (p.partition('=') for p in self.query.split('&')
                            if p)))
        canonical = '\n'.join((
            'PUT', quote(self.path, safe='/-_.~'), query,
            ''.join('%s:%s\n' % (n, lowered[n]) for n in names),
            ';'.join(names), self.variant))
        key = _hmac(('AWS4' + self.secret).encode(), scope_date)
        for part in (REGION, 's3', 'aws4_request'):
            key = _hmac(key, part)
        self._key = key
        to_sign = '\n'.join(('AWS4-HMAC-SHA256', self._date, self._scope,
                              hashlib.sha256(canonical.encode()).hexdigest()))
        self._seed = hmac.new(key, to_sign.encode(),
                              hashlib.sha256).hexdigest()
        headers['authorization'] = (
            'AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, '
            'Signature=%s' % (self.access_key, self._scope, ';'.join(names),
                              self._seed))
        return headers

    def _sign(self, kind: str, previous: str, body_hash: str) -> str:
        return hmac.new(self._key, '\n'.join(
            (kind, self._date, self._scope, previous, body_hash)).encode(),
            hashlib.sha256).hexdigest()

    def body(self) -> Iterator[bytes]:
        """The encoded body (call after ``headers``)."""
        signed = self.variant in (SIGNED, SIGNED_TRAILER)
        previous = self._seed
        checksum = _checksummer(self.trailer) if self.trailer else None
        index = 0
        for data in list_or_iter(self.chunks) + [b'']:
            if checksum is not None:
                checksum.update(data)
            ext = b''
            if signed:
                sig = self._sign('AWS4-HMAC-SHA256-PAYLOAD', previous,
                                 EMPTY_SHA256 + '\n' +
                                 hashlib.sha256(data).hexdigest())
                if self.tamper_signature:
                    sig = self.tamper_signature(index, sig)
                previous = sig
                ext = b';chunk-signature=' + sig.encode()
            yield b'%x%s\r\n' % (len(data), ext)
            if data:
                yield data
                yield b'\r\n'
            index += 1
        if self.trailer:
            value = self.trailer_value or base64.b64encode(
                checksum.digest()).decode()
            line = 'x-amz-checksum-%s:%s' % (self.trailer, value)
            yield line.encode() + b'\r\n'
            if self.variant == SIGNED_TRAILER:
                sig = self._sign('AWS4-HMAC-SHA256-TRAILER', previous,
                                 hashlib.sha256((line + '\n').encode())
                                 .hexdigest())
                yield b'x-amz-trailer-signature:' + sig.encode() + b'\r\n'
        yield b'\r\n'

    def prepare(self, edit: Optional[Callable[[bytes], bytes]] = None
                ) -> Tuple[Dict[str, str], bytes]:
        """Signed headers and the whole encoded body, ``edit``-ed after
        signing (Content-Length is that of the edited body)."""
        length = 0
        for _attempt in range(3):
            headers = self.headers(length)
            body = b''.join(self.body())
            if edit is not None:
                body = edit(body)
            if len(body) == length:
                return headers, body
            length = len(body)
        raise AssertionError('the edit does not keep a stable length')

    def send(self, edit: Optional[Callable[[bytes], bytes]] = None,
             timeout: float = 60, cut: Optional[int] = None,
             chunked: bool = False) -> Response:
        """Send it whole; ``cut`` sends only that many bytes and hangs up;
        ``chunked`` sends it with Transfer-Encoding: chunked."""
        headers, body = self.prepare(edit)
        if chunked:
            headers = self.headers(None)
            body = b''.join(self.body())
        return send(self.endpoint, 'PUT', self.url_path(), headers,
                    [body[:cut] if cut is not None else body],
                    chunked=chunked, timeout=timeout, hang_up=cut is not None)

    def stream(self, encoded_length: int, timeout: float = 600) -> Response:
        """Send ``chunks`` as they are generated (any size)."""
        headers = self.headers(encoded_length)
        return send(self.endpoint, 'PUT', self.url_path(), headers,
                    self.body(), timeout=timeout)

    def url_path(self) -> str:
        return quote(self.path) + ('?' + self.query if self.query else '')


def encoded_length(sizes: Iterable[int], signed: bool,
                   trailer_line: int = 0) -> int:
    """Length of an aws-chunked body of chunks of ``sizes`` (+ the final
    one); ``trailer_line``: bytes of the trailer lines, CRLFs included."""
    ext = len(';chunk-signature=') + 64 if signed else 0
    total = 0
    for size in list(sizes) + [0]:
        total += len('%x' % size) + ext + 2 + (size + 2 if size else 0)
    return total + trailer_line + 2


def list_or_iter(chunks: Iterable[bytes]) -> List[bytes]:
    return chunks if isinstance(chunks, list) else list(chunks)


def _checksummer(name: str):
    from swift3compat.swift import checksums
    return checksums.ALGORITHMS[name.upper()].new()


def send(endpoint: str, method: str, path: str, headers: Dict[str, str],
         body: Iterable[bytes], chunked: bool = False,
         timeout: float = 60, hang_up: bool = False) -> Response:
    """One request; ``hang_up`` closes the sending side after the body
    (a client that disconnects before its declared length)."""
    parts = urlsplit(endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port,
                                      timeout=timeout)
    try:
        conn.putrequest(method, path, skip_host=True,
                        skip_accept_encoding=True)
        for name, value in headers.items():
            if name.lower() != 'transfer-encoding':
                conn.putheader(name, value)
        if chunked:
            conn.putheader('Transfer-Encoding', 'chunked')
        conn.endheaders()
        try:
            for piece in body:
                if chunked:
                    conn.send(b'%x\r\n%s\r\n' % (len(piece), piece))
                else:
                    conn.send(piece)
            if chunked:
                conn.send(b'0\r\n\r\n')
            if hang_up:
                conn.sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass    # the server answered early; read what it said
        resp = conn.getresponse()
        return Response(resp.status, dict(resp.getheaders()), resp.read())
    finally:
        conn.close()


# -- HTTPS relay ---------------------------------------------------------------
class TlsRelay:
    """Accepts TLS on 127.0.0.1 and relays bytes to a plain-HTTP proxy."""

    def __init__(self, target_port: int, cert_dir: str) -> None:
        self.cert = cert_dir + '/cert.pem'
        key = cert_dir + '/key.pem'
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048',
                        '-nodes', '-keyout', key, '-out', self.cert,
                        '-days', '2', '-subj', '/CN=localhost',
                        '-addext', 'subjectAltName=DNS:localhost'],
                       check=True, capture_output=True)
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(self.cert, key)
        self._target = target_port
        self._listener = socket.create_server(('127.0.0.1', 0))
        self.port = self._listener.getsockname()[1]
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return 'https://localhost:%d' % self.port

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,),
                             daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            tls = self._context.wrap_socket(client, server_side=True)
        except (ssl.SSLError, OSError):
            client.close()
            return
        upstream = socket.create_connection(('127.0.0.1', self._target))
        threading.Thread(target=_pump, args=(upstream, tls),
                         daemon=True).start()
        _pump(tls, upstream)

    def stop(self) -> None:
        self._stopped = True
        self._listener.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while True:
            data = source.recv(262144)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
