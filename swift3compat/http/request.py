"""S3Request: what an incoming S3 request asks for, parsed once.

Bucket and key come from the path (path style) or from the Host header when
it ends with one of the configured ``storage_domain`` values (virtual-hosted
style).  Query parameters are kept both as a dict of first values and as the
ordered list the signature code needs.  Nothing here talks to Swift or
checks a signature.
"""
from __future__ import annotations

import re
from typing import Callable, Dict, List, Optional, Set, Tuple
from urllib.parse import parse_qsl, quote_plus

from swift3compat import errors
from swift3compat.config import Config

MAX_KEY_BYTES = 1024
# AWS refuses request header sections over 8 KB (RequestHeaderSectionTooLarge).
# Enforced before anything reaches Swift: stored headers that do not fit an
# object's extended attributes make the object server answer 507, and the
# proxy then error-limits that disk for every client.
MAX_HEADER_SECTION = 8192

# A bucket name as AWS allows it today (DNS compliant).
_DNS_BUCKET = re.compile(r'^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$')
_IPV4 = re.compile(r'^\d+\.\d+\.\d+\.\d+$')
# The legacy us-east-1 rules, used when dns_compliant_bucket_names = false.
_LEGACY_BUCKET = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]{2,254}$')


def valid_bucket_name(name: str, dns_compliant: bool = True) -> bool:
    """Whether ``name`` is a valid bucket name (DNS-compliant rules, or
    the legacy ones).  Names found valid are remembered (bounded): every
    request checks its bucket's."""
    known = _VALID_NAMES[dns_compliant]
    if name in known:
        return True
    valid = _valid_bucket_name(name, dns_compliant)
    if valid and len(known) < _VALID_NAMES_MAX:
        known.add(name)
    return valid


_VALID_NAMES: Dict[bool, Set[str]] = {True: set(), False: set()}
_VALID_NAMES_MAX = 4096


def _valid_bucket_name(name: str, dns_compliant: bool) -> bool:
    if not dns_compliant:
        return bool(_LEGACY_BUCKET.match(name)) and '+' not in name
    return (bool(_DNS_BUCKET.match(name)) and '..' not in name
            and '.-' not in name and '-.' not in name
            and not _IPV4.match(name)
            and not name.startswith('xn--') and not name.endswith('-s3alias')
            and not name.startswith('sthree-'))


def _header_section(environ: dict) -> Dict[str, str]:
    """All request headers, keyed by lowercase HTTP name; refuses a request
    whose headers (names, values, ': ' and CRLF) exceed MAX_HEADER_SECTION
    bytes.  One pass over the environment for both."""
    size = 0
    out = {}
    names = _HTTP_NAMES
    for key, value in environ.items():
        if key.startswith('HTTP_'):
            size += len(key) - 1 + len(value)
            name = names.get(key)
            if name is None:
                name = key[5:].lower().replace('_', '-')
                if len(names) < _HTTP_NAMES_MAX:
                    names[key] = name
            out[name] = value
    for key, name in _CONTENT_HEADERS:
        if key in environ:
            value = environ[key]
            size += len(key) + len(value) + 4
            out[name] = value
    if size > MAX_HEADER_SECTION:
        raise errors.RequestHeaderSectionTooLarge(MaxSizeAllowed=MAX_HEADER_SECTION)
    return out


# WSGI key -> lowercase HTTP name, for the names clients send (bounded: a
# client can send any names, and each is remembered once per process).
_HTTP_NAMES: Dict[str, str] = {}
_HTTP_NAMES_MAX = 1024
_CONTENT_HEADERS = (('CONTENT_TYPE', 'content-type'),
                    ('CONTENT_LENGTH', 'content-length'))
# S3Request.header: HTTP header name -> WSGI environment key.
_ENV_KEYS: Dict[str, str] = {}


def _wsgi_to_str(value: str) -> str:
    """WSGI strings carry raw bytes as latin-1; S3 names are UTF-8."""
    try:
        return value.encode('latin-1').decode('utf-8')
    except (UnicodeEncodeError, UnicodeDecodeError):
        raise errors.InvalidURI(URI=None) from None


class S3Request:
    """The parsed S3 request; handlers read it, never the raw environ."""

    def __init__(self, environ: dict, conf: Config):
        headers = _header_section(environ)
        self.environ = environ
        self.conf = conf
        self.method: str = environ['REQUEST_METHOD']
        self.path_info: str = environ.get('PATH_INFO', '/') or '/'
        self.query_string: str = environ.get('QUERY_STRING', '')
        try:
            self.params: List[Tuple[str, str]] = parse_qsl(
                self.query_string, keep_blank_values=True,
                encoding='utf-8', errors='strict')
        except (UnicodeDecodeError, ValueError):
            raise errors.InvalidArgument('Invalid query string') from None
        self.query: Dict[str, str] = {}
        for k, v in self.params:
            self.query.setdefault(k, v)
        self.host: str = (environ.get('HTTP_HOST') or '').lower()
        self.vhost_bucket: Optional[str] = self._bucket_from_host()
        self.bucket, self.key = self._bucket_and_key()
        self._headers: Optional[Dict[str, str]] = headers

    # -- parsing ---------------------------------------------------------
    def _bucket_from_host(self) -> Optional[str]:
        host = self.host.rsplit(':', 1)[0] if ']' not in self.host else \
            self.host
        for domain in self.conf.storage_domain:
            domain = domain.lower()
            if host.endswith('.' + domain):
                return host[:-len(domain) - 1]
        return None

    def _bucket_and_key(self) -> Tuple[Optional[str], Optional[str]]:
        path = _wsgi_to_str(self.path_info)
        if '\x00' in path:
            raise errors.InvalidURI(URI=None)
        if self.vhost_bucket is not None:
            bucket, key = self.vhost_bucket, path[1:]
        else:
            bucket, _, key = path[1:].partition('/')
        if not bucket:
            return None, None
        if not valid_bucket_name(bucket, self.conf.dns_compliant_bucket_names):
            raise errors.InvalidBucketName(BucketName=bucket)
        if not key:
            return bucket, None
        if len(key.encode('utf-8')) > MAX_KEY_BYTES:
            raise errors.KeyTooLongError(Size=len(key.encode('utf-8')),
                                         MaxSizeAllowed=MAX_KEY_BYTES)
        return bucket, key

    # -- accessors -------------------------------------------------------
    @property
    def level(self) -> str:
        """'service', 'bucket' or 'object': the resource the path names."""
        if self.bucket is None:
            return 'service'
        return 'bucket' if self.key is None else 'object'

    def header(self, name: str, default: Optional[str] = None
               ) -> Optional[str]:
        """A request header by its HTTP name (case-insensitive)."""
        key = _ENV_KEYS.get(name)
        if key is None:
            key = name.upper().replace('-', '_')
            if key not in ('CONTENT_TYPE', 'CONTENT_LENGTH'):
                key = 'HTTP_' + key
            if len(_ENV_KEYS) < 512:    # the names handlers ask for
                _ENV_KEYS[name] = key
        return self.environ.get(key, default)

    def headers(self) -> Dict[str, str]:
        """All request headers, keyed by lowercase HTTP name (read once,
        with the request; treat the result as read-only)."""
        if self._headers is None:
            self._headers = self._collect_headers()
        return self._headers

    def _collect_headers(self) -> Dict[str, str]:
        out = {}
        for k, v in self.environ.items():
            if k.startswith('HTTP_'):
                out[k[5:].lower().replace('_', '-')] = v
        for k, name in _CONTENT_HEADERS:
            if k in self.environ:
                out[name] = self.environ[k]
        return out

    @property
    def content_length(self) -> Optional[int]:
        value = self.environ.get('CONTENT_LENGTH')
        if value in (None, ''):
            return None
        try:
            length = int(value)
        except ValueError:
            raise errors.InvalidArgument('Invalid Content-Length',
                                         ArgumentName='Content-Length',
                                         ArgumentValue=value) from None
        if length < 0:
            raise errors.InvalidArgument('Invalid Content-Length',
                                         ArgumentName='Content-Length',
                                         ArgumentValue=value)
        return length

    @property
    def raw_path(self) -> str:
        """The path as the client sent it (percent-encoded), no query."""
        raw = self.environ.get('RAW_PATH_INFO')
        if raw is None:
            raw = self.environ.get('REQUEST_URI', '').split('?', 1)[0]
        if raw.startswith(('http://', 'https://')):
            # absolute-form request target
            raw = '/' + raw.split('://', 1)[1].partition('/')[2]
        return raw or '/'

    @property
    def resource(self) -> str:
        """The resource for error bodies: /bucket/key."""
        if self.bucket is None:
            return '/'
        return '/%s%s' % (self.bucket, '/' + self.key if self.key else '')

    def listing_encoder(self) -> Callable[[str], str]:
        """How listings write keys and prefixes: ``encoding-type=url``
        percent-encodes them (as AWS: space as '+', '/' kept)."""
        encoding = self.query.get('encoding-type')
        if encoding is None:
            return _identity
        if encoding != 'url':
            raise errors.InvalidArgument('Invalid Encoding Method specified '
                                         'in Request',
                                         ArgumentName='encoding-type',
                                         ArgumentValue=encoding)
        return _url_encode


def _identity(value: str) -> str:
    return value


def _url_encode(value: str) -> str:
    return quote_plus(value, safe='/')
