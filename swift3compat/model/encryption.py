"""Server-side encryption requests, as S3 spells them: pure parsing and checks.

No WSGI and no Swift: header values in (through a ``get(name)`` callable that
answers ``None`` for an absent header), values or ``S3Error`` out.  What the
values turn into at rest is ``swift3compat.swift.crypto``'s business
(doc/encryption.md).

Three modes, one value each:

* ``ServerSide('AES256')``: SSE-S3, keys derived from the operator's root
  secret;
* ``ServerSide('aws:kms', kms_key_id, context, bucket_key)``: SSE-KMS, keys
  derived from a key the key provider holds under ``kms_key_id``;
* ``CustomerKey(key, key_md5)``: SSE-C, the client's own 256-bit key, sent
  with every request and never stored: only :func:`key_mac` (a salted
  HMAC-SHA256) is kept, to tell a later request's key right from wrong.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Union

from swift3compat import errors
from swift3compat.http import xml

Getter = Callable[[str], Optional[str]]

AES256 = 'AES256'
KMS = 'aws:kms'
KMS_DSSE = 'aws:kms:dsse'
SERVER_SIDE_ALGORITHMS = (AES256, KMS, KMS_DSSE)

SSE = 'x-amz-server-side-encryption'
KMS_KEY_ID = 'x-amz-server-side-encryption-aws-kms-key-id'
CONTEXT = 'x-amz-server-side-encryption-context'
BUCKET_KEY = 'x-amz-server-side-encryption-bucket-key-enabled'
CUSTOMER = 'x-amz-server-side-encryption-customer-'
COPY_SOURCE_CUSTOMER = 'x-amz-copy-source-server-side-encryption-customer-'
CUSTOMER_ALGORITHM = CUSTOMER + 'algorithm'
CUSTOMER_KEY_MD5 = CUSTOMER + 'key-MD5'

KEY_BYTES = 32
MAX_CONTEXT_BYTES = 4096        # what AWS KMS accepts (base64 of the JSON)
MAX_KMS_KEY_ID = 2048
_MAC_INFO = b'swift3compat sse-c key check v1'


@dataclass(frozen=True)
class ServerSide:
    """SSE-S3 (``AES256``) or SSE-KMS (``aws:kms``, ``aws:kms:dsse``)."""

    algorithm: str
    kms_key_id: Optional[str] = None
    context: Optional[str] = None       # base64 JSON, as the client sent it
    bucket_key: Optional[bool] = None

    @property
    def is_kms(self) -> bool:
        return self.algorithm != AES256

    def with_key_id(self, key_id: Optional[str]) -> 'ServerSide':
        return ServerSide(self.algorithm, key_id, self.context,
                          self.bucket_key)


@dataclass(frozen=True)
class CustomerKey:
    """An SSE-C key as one request presented it."""

    key: bytes
    key_md5: str        # base64 MD5 of the key, as the client sent it

    def __repr__(self) -> str:          # never the key itself
        return 'CustomerKey(md5=%s)' % self.key_md5

    def mac(self) -> str:
        return key_mac(self.key)

    def matches(self, stored_mac: Optional[str]) -> bool:
        return stored_mac is not None and stored_mac != '' and \
            mac_matches(self.key, stored_mac)


Encryption = Union[ServerSide, CustomerKey]


# -- SSE-C ---------------------------------------------------------------------
def key_mac(key: bytes, salt: Optional[bytes] = None) -> str:
    """``<b64 salt>:<b64 HMAC-SHA256(salt, info || key)>``: proves a later
    key is the same one without keeping anything that yields the key."""
    salt = os.urandom(16) if salt is None else salt
    digest = hmac.new(salt, _MAC_INFO + key, hashlib.sha256).digest()
    return '%s:%s' % (base64.b64encode(salt).decode('ascii'),
                      base64.b64encode(digest).decode('ascii'))


def mac_matches(key: bytes, stored: str) -> bool:
    salt_b64, _, _ = stored.partition(':')
    try:
        salt = base64.b64decode(salt_b64, validate=True)
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(key_mac(key, salt), stored)


def parse_customer_key(get: Getter, prefix: str = CUSTOMER
                       ) -> Optional[CustomerKey]:
    """The SSE-C key of ``prefix`` headers (the request's own or, with
    COPY_SOURCE_CUSTOMER, the copy source's), or None when none was sent."""
    algorithm = get(prefix + 'algorithm')
    key_b64 = get(prefix + 'key')
    md5_b64 = get(prefix + 'key-MD5')
    if algorithm is None and key_b64 is None and md5_b64 is None:
        return None
    name = prefix + 'algorithm'
    if algorithm is None:
        raise errors.InvalidArgument(
            'Requests specifying Server Side Encryption with Customer '
            'provided keys must provide a valid encryption algorithm.',
            ArgumentName=name, ArgumentValue='null')
    if algorithm != AES256:
        raise errors.InvalidEncryptionAlgorithmError(
            'The Encryption request you specified is not valid. Supported '
            'value: AES256.', ArgumentName=name, ArgumentValue=algorithm)
    if not key_b64:
        raise errors.InvalidArgument(
            'Requests specifying Server Side Encryption with Customer '
            'provided keys must provide an appropriate secret key.',
            ArgumentName=prefix + 'key', ArgumentValue='null')
    if not md5_b64:
        raise errors.InvalidArgument(
            'Requests specifying Server Side Encryption with Customer '
            'provided keys must provide the client calculated MD5 of the '
            'secret key.', ArgumentName=prefix + 'key-MD5',
            ArgumentValue='null')
    try:
        key = base64.b64decode(key_b64.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b''
    if len(key) != KEY_BYTES:
        raise errors.InvalidArgument(
            'The secret key was invalid for the specified algorithm.',
            ArgumentName=prefix + 'key', ArgumentValue='null')
    try:
        sent_md5 = base64.b64decode(md5_b64.strip(), validate=True)
    except (binascii.Error, ValueError):
        sent_md5 = b''
    if not hmac.compare_digest(sent_md5, hashlib.md5(key).digest()):
        raise errors.InvalidArgument(
            'The calculated MD5 hash of the key did not match the hash that '
            'was provided.', ArgumentName=prefix + 'key-MD5',
            ArgumentValue='null')
    return CustomerKey(key, md5_b64.strip())


def require_secure(key: Optional[CustomerKey], secure: bool,
                   allow_insecure: bool) -> None:
    """AWS refuses SSE-C keys that travelled in clear text."""
    if key is not None and not secure and not allow_insecure:
        raise errors.InvalidRequest(
            'Requests specifying Server Side Encryption with Customer '
            'provided keys must be made over a secure connection.')


# -- SSE-S3 / SSE-KMS ----------------------------------------------------------
def _bucket_key(value: Optional[str]) -> Optional[bool]:
    if value is None:
        return None
    lowered = value.strip().lower()
    if lowered in ('true', 'false'):
        return lowered == 'true'
    raise errors.InvalidArgument(
        'Invalid value for header x-amz-server-side-encryption-bucket-key-'
        'enabled', ArgumentName=BUCKET_KEY, ArgumentValue=value)


def check_context(value: str) -> str:
    """The encryption context header: base64 of a JSON object of strings."""
    value = value.strip()
    try:
        if len(value) > MAX_CONTEXT_BYTES:
            raise ValueError('too long')
        decoded = json.loads(base64.b64decode(value, validate=True))
        if not isinstance(decoded, dict) or not all(
                isinstance(k, str) and isinstance(v, str)
                for k, v in decoded.items()):
            raise ValueError('not an object of strings')
    except (binascii.Error, ValueError, UnicodeError):
        raise errors.InvalidArgument(
            'The header x-amz-server-side-encryption-context must be a '
            'base64-encoded UTF-8 JSON object of string values.',
            ArgumentName=CONTEXT) from None
    return value


def context_digest(context: Optional[str]) -> Optional[str]:
    """A canonical digest of an encryption context (key order does not
    matter), mixed into SSE-KMS key derivation."""
    if not context:
        return None
    decoded = json.loads(base64.b64decode(context))
    canonical = json.dumps(decoded, sort_keys=True, separators=(',', ':'),
                           ensure_ascii=False).encode('utf-8')
    return base64.b64encode(hashlib.sha256(canonical).digest()[:16]) \
        .decode('ascii')


def parse_server_side(get: Getter, sigv4: bool = True
                      ) -> Optional[ServerSide]:
    """``x-amz-server-side-encryption`` and its KMS companions."""
    algorithm = get(SSE)
    key_id = get(KMS_KEY_ID)
    context = get(CONTEXT)
    bucket_key = _bucket_key(get(BUCKET_KEY))
    if algorithm is None:
        if key_id is not None or context is not None:
            raise errors.InvalidArgument(
                'Server Side Encryption with AWS KMS managed key requires '
                'HTTP header x-amz-server-side-encryption : aws:kms',
                ArgumentName=SSE, ArgumentValue='null')
        return None
    if algorithm not in SERVER_SIDE_ALGORITHMS:
        raise errors.InvalidArgument(
            'The encryption method specified is not supported',
            ArgumentName=SSE, ArgumentValue=algorithm)
    if algorithm == AES256:
        if key_id is not None or context is not None:
            raise errors.InvalidArgument(
                'Server Side Encryption with AWS KMS managed key requires '
                'HTTP header x-amz-server-side-encryption : aws:kms',
                ArgumentName=SSE, ArgumentValue=algorithm)
        return ServerSide(AES256, bucket_key=bucket_key)
    if not sigv4:
        raise errors.InvalidArgument(
            'Requests specifying Server Side Encryption with AWS KMS '
            'managed keys require AWS Signature Version 4.',
            ArgumentName='Authorization', ArgumentValue='null')
    if key_id is not None:
        key_id = key_id.strip()
        if not key_id or len(key_id) > MAX_KMS_KEY_ID:
            raise errors.InvalidArgument(
                'Invalid arn', ArgumentName=KMS_KEY_ID, ArgumentValue=key_id)
    if context is not None:
        context = check_context(context)
    return ServerSide(algorithm, key_id or None, context, bucket_key)


def parse_write(get: Getter, *, secure: bool, sigv4: bool = True,
                allow_insecure: bool = False) -> Optional[Encryption]:
    """What an object write (PUT, POST form, copy destination, create
    multipart upload) asks for; None when it asks for nothing."""
    customer = parse_customer_key(get)
    server_side = parse_server_side(get, sigv4)
    if customer is not None and server_side is not None:
        raise errors.InvalidArgument(
            'Server Side Encryption with Customer provided key is '
            'incompatible with the encryption method specified',
            ArgumentName=SSE, ArgumentValue=server_side.algorithm)
    require_secure(customer, secure, allow_insecure)
    return customer or server_side


def parse_read(get: Getter, *, secure: bool,
               allow_insecure: bool = False) -> Optional[CustomerKey]:
    """GET/HEAD (and UploadPart, Complete): only SSE-C keys may be sent."""
    if get(SSE) is not None:
        raise errors.InvalidArgument(
            'x-amz-server-side-encryption header is not supported for this '
            'operation.', ArgumentName=SSE, ArgumentValue=get(SSE))
    customer = parse_customer_key(get)
    require_secure(customer, secure, allow_insecure)
    return customer


def parse_copy_source(get: Getter, *, secure: bool,
                      allow_insecure: bool = False) -> Optional[CustomerKey]:
    customer = parse_customer_key(get, COPY_SOURCE_CUSTOMER)
    require_secure(customer, secure, allow_insecure)
    return customer


# -- what a stored object has, and what a read presents -----------------------
@dataclass(frozen=True)
class Stored:
    """How an object was encrypted, as its sysmeta says."""

    algorithm: Optional[str] = None     # AES256 / aws:kms / aws:kms:dsse
    kms_key_id: Optional[str] = None
    context: Optional[str] = None
    bucket_key: Optional[bool] = None
    customer_mac: Optional[str] = None  # SSE-C: key_mac of its key

    @property
    def encrypted(self) -> bool:
        return bool(self.algorithm or self.customer_mac)


def check_read(stored: Stored, presented: Optional[CustomerKey],
               copy_source: bool = False) -> None:
    """AWS's answers for reading (or copying from) an object with (or
    without) an SSE-C key; returns when the read may proceed."""
    if stored.customer_mac:
        if presented is None:
            raise errors.InvalidRequest(
                'The object was stored using a form of Server Side '
                'Encryption. The correct parameters must be provided to '
                'retrieve the object.')
        if not presented.matches(stored.customer_mac):
            raise errors.AccessDenied(
                'The provided customer encryption key does not match the '
                'key the object was stored with.' if not copy_source else
                'The provided copy source customer encryption key does not '
                'match the key the source object was stored with.')
    elif presented is not None:
        raise errors.InvalidRequest(
            'The encryption parameters are not applicable to this object.')


def response_headers(stored: Stored,
                     presented: Optional[CustomerKey] = None
                     ) -> Dict[str, str]:
    """The x-amz-server-side-encryption* headers AWS answers with."""
    out: Dict[str, str] = {}
    if stored.customer_mac:
        out[CUSTOMER_ALGORITHM] = AES256
        if presented is not None:
            out[CUSTOMER_KEY_MD5] = presented.key_md5
        return out
    if stored.algorithm:
        out[SSE] = stored.algorithm
        if stored.algorithm != AES256:
            if stored.kms_key_id:
                out[KMS_KEY_ID] = stored.kms_key_id
            if stored.context:
                out[CONTEXT] = stored.context
        if stored.bucket_key:
            out[BUCKET_KEY] = 'true'
    return out


def stored_of(enc: Optional[Encryption]) -> Stored:
    """The Stored value a write with ``enc`` produces (key ids resolved by
    the caller)."""
    if enc is None:
        return Stored()
    if isinstance(enc, CustomerKey):
        return Stored(customer_mac=enc.mac())
    return Stored(enc.algorithm, enc.kms_key_id if enc.is_kms else None,
                  enc.context if enc.is_kms else None, enc.bucket_key)


# -- bucket default encryption -------------------------------------------------
MAX_CONFIG_BYTES = 64 * 1024


def parse_bucket_encryption(body: bytes) -> ServerSide:
    """PutBucketEncryption's ServerSideEncryptionConfiguration (one rule)."""
    root = xml.parse(body, 'ServerSideEncryptionConfiguration')
    rules = xml.children(root, 'Rule')
    if len(rules) != 1:
        raise errors.MalformedXML()
    rule = rules[0]
    default = xml.child(rule, 'ApplyServerSideEncryptionByDefault')
    bucket_key_text = xml.text(rule, 'BucketKeyEnabled')
    bucket_key = None
    if bucket_key_text is not None:
        if bucket_key_text.strip().lower() not in ('true', 'false'):
            raise errors.MalformedXML()
        bucket_key = bucket_key_text.strip().lower() == 'true'
    if default is None:
        raise errors.MalformedXML()
    algorithm = (xml.text(default, 'SSEAlgorithm') or '').strip()
    key_id = xml.text(default, 'KMSMasterKeyID')
    if algorithm not in SERVER_SIDE_ALGORITHMS:
        raise errors.MalformedXML()
    if key_id is not None:
        key_id = key_id.strip()
        if algorithm == AES256:
            raise errors.InvalidArgument(
                'a KMSMasterKeyID is not applicable if the default sse '
                'algorithm is not aws:kms or aws:kms:dsse',
                ArgumentName='ApplyServerSideEncryptionByDefault')
        if not key_id or len(key_id) > MAX_KMS_KEY_ID:
            raise errors.InvalidArgument(
                'Invalid arn', ArgumentName='KMSMasterKeyID',
                ArgumentValue=key_id)
    return ServerSide(algorithm, key_id or None, None, bucket_key)


def render_bucket_encryption(config: ServerSide) -> bytes:
    default = [xml.elem('SSEAlgorithm', config.algorithm)]
    if config.kms_key_id:
        default.append(xml.elem('KMSMasterKeyID', config.kms_key_id))
    rule = ['<ApplyServerSideEncryptionByDefault>%s'
            '</ApplyServerSideEncryptionByDefault>' % ''.join(default),
            xml.elem('BucketKeyEnabled',
                     'true' if config.bucket_key else 'false')]
    return xml.document('ServerSideEncryptionConfiguration',
                        ['<Rule>%s</Rule>' % ''.join(rule)])


def dump_bucket_encryption(config: ServerSide) -> str:
    """The compact form kept in container sysmeta."""
    value: Dict[str, object] = {'a': config.algorithm}
    if config.kms_key_id:
        value['k'] = config.kms_key_id
    if config.bucket_key:
        value['b'] = True
    return json.dumps(value, separators=(',', ':'))


def load_bucket_encryption(value: Optional[str]) -> Optional[ServerSide]:
    if not value:
        return None
    try:
        data = json.loads(value)
        return ServerSide(data['a'], data.get('k'), None,
                          True if data.get('b') else None)
    except (ValueError, KeyError, TypeError):
        return None


def for_write(requested: Optional[Encryption],
              bucket_default: Optional[ServerSide]) -> Optional[Encryption]:
    """What a new object gets: the request's own choice, else the bucket's
    default encryption (whose bucket-key setting a request may override)."""
    if requested is not None:
        if isinstance(requested, ServerSide) and bucket_default is not None \
                and requested.bucket_key is None \
                and requested.algorithm == bucket_default.algorithm:
            return ServerSide(requested.algorithm, requested.kms_key_id or (
                bucket_default.kms_key_id if requested.is_kms else None),
                requested.context, bucket_default.bucket_key)
        return requested
    return bucket_default
