"""Safe XML parsing and fast XML rendering for S3 bodies.

Parsing (request bodies such as CreateBucketConfiguration, Delete,
CompleteMultipartUpload, AccessControlPolicy):

* a document type declaration of any kind is refused (``MalformedXML``), so
  no entity, external or internal, is ever resolved or expanded (XXE, billion
  laughs, parameter entities);
* lxml runs with ``resolve_entities=False, no_network=True, load_dtd=False``
  as a second line of defence;
* bodies are read with a hard size bound before parsing (``read_body``).

Rendering: S3 responses are simple trees; they are written as text with
exact escaping, which is several times cheaper than building an lxml tree.
Characters that XML 1.0 cannot carry (control characters in keys created
through the Swift API) are written as character references (``&#x1;``),
which is what AWS does.
"""
from __future__ import annotations

import re
from typing import Iterable, List, Optional

from lxml import etree

from swift3compat import errors
from swift3compat.errors import XML_DECL, escape_echoed  # noqa: F401 (part of this API)

S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/'
XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance'

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True,
                          load_dtd=False, dtd_validation=False,
                          huge_tree=False, remove_comments=True,
                          remove_pis=True)

# XML 1.0 Char production; everything else is written as a char reference.
_ILLEGAL = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')
_ESCAPES = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;',
            '\r': '&#13;'}
_SPECIAL = re.compile('[&<>"\r]')
# either of the above: most values (keys, ETags, ids) need neither, and one
# search tells so (listings escape every key)
_ANY = re.compile('[&<>"\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff'
                  '\ufffe\uffff]')


# ``needs_escape(value)``: whether escape_text would change ``value``
needs_escape = _ANY.search


def escape_text(value: str) -> str:
    """Escape ``value`` for element text or a double-quoted attribute."""
    if not _ANY.search(value):
        return value
    if _SPECIAL.search(value):
        value = _SPECIAL.sub(lambda m: _ESCAPES[m.group()], value)
    if _ILLEGAL.search(value):
        value = _ILLEGAL.sub(lambda m: '&#x%x;' % ord(m.group()), value)
    return value


def elem(name: str, value: Optional[object]) -> str:
    """``<name>value</name>``, or ``''`` when value is None."""
    if value is None:
        return ''
    return '<%s>%s</%s>' % (name, escape_text(str(value)), name)


def document(root: str, children: Iterable[str], ns: bool = True) -> bytes:
    """A complete response document with the S3 namespace on ``root``."""
    attr = ' xmlns="%s"' % S3_NS if ns else ''
    return ('%s<%s%s>%s</%s>' % (XML_DECL, root, attr, ''.join(children),
                                 root)).encode('utf-8')


# The largest body each operation's valid requests need; anything larger is
# refused before it is read to the end or parsed (MaxMessageLengthExceeded).
# CompleteMultipartUpload takes ``max_xml_body_size`` (10,000 parts with
# checksums are about 2 MB); DeleteObjects 1,000 keys of 1024 bytes with
# version ids; every other document (CreateBucketConfiguration, ACLs,
# versioning, ...) is a few KB on AWS.
_BODY_LIMITS = {'CompleteMultipartUpload': None, 'Delete': 2 * 1024 * 1024}
SMALL_BODY_LIMIT = 64 * 1024


def body_limit(operation: str, conf) -> int:
    """The XML body bound of ``operation`` (its document's root element)."""
    limit = _BODY_LIMITS.get(operation, SMALL_BODY_LIMIT)
    configured = conf.max_xml_body_size
    return configured if limit is None else min(limit, configured)


def read_body(wsgi_input, content_length: Optional[int], limit: int,
              required: bool = True) -> bytes:
    """Read a request body of at most ``limit`` bytes, or fail.

    Works for fixed-length and chunked bodies alike: it reads ``limit + 1``
    bytes at most, so an oversized body is refused instead of being parsed
    truncated.
    """
    if content_length is not None and content_length > limit:
        raise errors.MaxMessageLengthExceeded()
    chunks: List[bytes] = []
    size = 0
    while True:
        chunk = wsgi_input.read(min(65536, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise errors.MaxMessageLengthExceeded()
    body = b''.join(chunks)
    if content_length is not None and len(body) < content_length:
        raise errors.IncompleteBody()
    if required and not body:
        raise errors.MissingRequestBodyError()
    return body


def parse(body: bytes, root: Optional[str] = None,
          error: Optional[type] = None) -> etree._Element:
    """Parse ``body`` safely; check the root element's local name.

    Raises ``error`` (MalformedXML by default) for anything that is not a
    plain, well-formed document.
    """
    error = error or errors.MalformedXML
    if b'<!DOCTYPE' in body or b'<!ENTITY' in body or b'<!doctype' in body:
        raise error()
    try:
        tree = etree.fromstring(body, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        raise error() from None
    if tree is None or tree.getroottree().docinfo.doctype:
        raise error()
    if root is not None and local(tree.tag) != root:
        raise error()
    return tree


def local(tag) -> str:
    """Local name of an element tag, without namespace."""
    if not isinstance(tag, str):
        return ''
    return tag.rpartition('}')[2]


def children(node, name: str) -> list:
    """Direct children named ``name`` (any namespace)."""
    return [c for c in node if local(c.tag) == name]


def child(node, name: str):
    """The first direct child named ``name`` or None."""
    for c in node:
        if local(c.tag) == name:
            return c
    return None


def text(node, name: str, default: Optional[str] = None) -> Optional[str]:
    """Text of the first child named ``name`` ('' when empty)."""
    c = child(node, name)
    if c is None:
        return default
    return c.text or ''
