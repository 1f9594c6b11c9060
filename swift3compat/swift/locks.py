"""Conditional writes (If-Match / If-None-Match on PutObject and
CompleteMultipartUpload): the check against the current object, and the
memcache lock that serialises them (Swift has no atomic conditional PUT)."""
from __future__ import annotations

import hashlib
from typing import Dict, Optional

from swift.common.memcached import MemcacheConnectionError
from swift.common.swob import HeaderKeyDict

from swift3compat import errors
from swift3compat.http.request import S3Request
from swift3compat.swift import sysmeta
from swift3compat.swift.backend import Backend
from swift3compat.swift.uploads import quoted


LOCK_TTL = 300                 # seconds a conditional write holds its key


def hold_write_lock(req: S3Request) -> None:
    """Serialise conditional writes of a key through memcache (Swift has no
    atomic conditional PUT): while one runs, another gets AWS's 409
    ConditionalRequestConflict.  Released when the response is done (or
    after LOCK_TTL); without memcache, writes are only checked, not
    serialised."""
    cache = req.environ.get('swift.cache')
    hooks = req.environ.get('eventlet.posthooks')
    if cache is None or hooks is None:
        return
    key = 'swift3compat/write/' + hashlib.sha256(
        ('%s/%s' % (req.bucket, req.key)).encode('utf-8')).hexdigest()
    try:
        count = cache.incr(key, 1, time=LOCK_TTL)
    except MemcacheConnectionError:
        return
    if count != 1:
        raise errors.ConditionalRequestConflict()
    hooks.append((lambda env: cache.delete(key), (), {}))


def conditional_write(req: S3Request, backend: Backend
                 ) -> Optional[HeaderKeyDict]:
    """Check If-Match / If-None-Match of a write; the current object's
    headers (None when there is none)."""
    if_none = req.header('if-none-match')
    if if_none is not None and if_none.strip() != '*':
        raise errors.NotImplemented('If-None-Match only supports *',
                                    Header='If-None-Match')
    if if_none is not None or req.header('if-match') is not None:
        hold_write_lock(req)
    current = backend.request('HEAD', req.bucket, req.key,
                              query={'multipart-manifest': 'get'},
                              ok=(404,))
    exists = current.status_int != 404
    if_match = req.header('if-match')
    if if_match is not None:
        if not exists:
            raise errors.NoSuchKey(Key=req.key)
        etag = current.headers.get(sysmeta.ETAG) or current.headers.get(
            'Etag', '')
        if if_match.strip() != '*' and \
                quoted(etag) not in [quoted(e.strip())
                                     for e in if_match.split(',')]:
            raise errors.PreconditionFailed(Condition='If-Match')
    if if_none is not None and exists:
        raise errors.PreconditionFailed(Condition='If-None-Match')
    return current.headers if exists else None


def conditional_put_check(req: S3Request, backend: Backend) -> Dict[str, str]:
    """PutObject's conditional write: checks If-Match (HEAD, S3 ETag) and
    returns the headers that make Swift enforce If-None-Match: * itself."""
    if req.header('if-match') is None and req.header('if-none-match') is None:
        return {}
    conditional_write(req, backend)
    if req.header('if-none-match') is not None:
        return {'If-None-Match': '*'}
    return {}
