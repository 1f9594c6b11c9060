"""Object and bucket tag sets: AWS's rules (InvalidTag), the ``<Tagging>``
document and the ``x-amz-tagging`` header.  Pure: no WSGI, no Swift."""
from __future__ import annotations

import unicodedata
from typing import List, Tuple
from urllib.parse import parse_qsl

from swift3compat import errors
from swift3compat.http import xml


Tags = List[Tuple[str, str]]
MAX_OBJECT_TAGS = 10
MAX_BUCKET_TAGS = 50
MAX_KEY_LENGTH = 128
MAX_VALUE_LENGTH = 256
_EXTRA_CHARS = frozenset(' +-=._:/@')


def _allowed(text: str) -> bool:
    return all(c in _EXTRA_CHARS or
               unicodedata.category(c)[0] in ('L', 'N', 'Z') for c in text)


def validate(tags: Tags, limit: int) -> Tags:
    """Check ``tags`` against AWS's rules; returns them."""
    if len(tags) > limit:
        raise errors.InvalidTag(
            'Object tags cannot be greater than %d' % limit
            if limit == MAX_OBJECT_TAGS else
            'Bucket tag count cannot be greater than %d' % limit)
    seen = set()
    for key, value in tags:
        if key in seen:
            raise errors.InvalidTag(
                'Cannot provide multiple Tags with the same key',
                TagKey=key)
        seen.add(key)
        if len(key) > MAX_KEY_LENGTH:
            raise errors.InvalidTag(
                'The TagKey you have provided is too long, max %d'
                % MAX_KEY_LENGTH, TagKey=key)
        if len(value) > MAX_VALUE_LENGTH:
            raise errors.InvalidTag(
                'The TagValue you have provided is too long, max %d'
                % MAX_VALUE_LENGTH, TagKey=key, TagValue=value)
        if not key or not _allowed(key):
            raise errors.InvalidTag('The TagKey you have provided is invalid',
                                    TagKey=key)
        if not _allowed(value):
            raise errors.InvalidTag(
                'The TagValue you have provided is invalid', TagKey=key,
                TagValue=value)
        if key.lower().startswith('aws:'):
            raise errors.InvalidTag(
                'Your TagKey cannot be prefixed with aws:', TagKey=key)
    return tags


def parse_xml(body: bytes) -> Tags:
    """A ``<Tagging><TagSet><Tag>...`` body → [(key, value)]."""
    root = xml.parse(body, 'Tagging')
    nodes = [n for n in root if isinstance(n.tag, str)]
    if len(nodes) != 1 or xml.local(nodes[0].tag) != 'TagSet':
        raise errors.MalformedXML()
    tags: Tags = []
    for node in nodes[0]:
        if not isinstance(node.tag, str):
            continue
        if xml.local(node.tag) != 'Tag':
            raise errors.MalformedXML()
        names = [xml.local(c.tag) for c in node if isinstance(c.tag, str)]
        if sorted(names) != ['Key', 'Value']:
            raise errors.MalformedXML()
        tags.append((xml.text(node, 'Key') or '', xml.text(node, 'Value') or ''))
    return tags


def tagging_xml(tags: Tags) -> bytes:
    return xml.document('Tagging', ['<TagSet>'] + [
        '<Tag>%s%s</Tag>' % (xml.elem('Key', k), xml.elem('Value', v))
        for k, v in tags] + ['</TagSet>'])


def parse_header(value: str) -> Tags:
    """``x-amz-tagging: k1=v1&k2=v2`` (URL query encoding) → tags."""
    try:
        tags = parse_qsl(value, keep_blank_values=True, strict_parsing=False,
                         encoding='utf-8', errors='strict')
    except (UnicodeDecodeError, ValueError):
        tags = None
    if tags is None or len({k for k, _v in tags}) != len(tags):
        raise errors.InvalidArgument(
            "The header 'x-amz-tagging' shall be encoded as UTF-8 then "
            'URLEncoded URL query parameters without tag name duplicates.',
            ArgumentName='x-amz-tagging', ArgumentValue=value)
    return validate(tags, MAX_OBJECT_TAGS)
