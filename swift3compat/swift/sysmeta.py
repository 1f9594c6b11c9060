"""THE registry of the names swift3compat stores in Swift.

Every name that ends up on disk (object sysmeta, transient sysmeta,
container sysmeta, the content types of upload markers and parts) is
spelled here once, on Swift's own prefixes (``get_sys_meta_prefix``,
``get_object_transient_sysmeta``, ``get_user_meta_prefix``).  Changing a
value here changes the stored format of existing data: don't, add a new
name instead.

Case: Swift stores header names as ``str.title()`` makes them, so
``X-Object-Sysmeta-S3c-Etag`` and ``X-Object-Sysmeta-S3C-Etag`` are the same
stored name (``'s3c'.title()`` is ``'S3C'``).  The constants keep the
spelling the code always used (``S3c``); code that compares against a
``.title()``-cased header name compares with ``.title()`` of the constant.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from swift.common.header_key_dict import HeaderKeyDict
from swift.common.middleware.slo import SYSMETA_SLO_ETAG, SYSMETA_SLO_SIZE
from swift.common.request_helpers import (get_object_transient_sysmeta,
                                          get_sys_meta_prefix,
                                          get_user_meta_prefix)

_OURS = 'S3c-'

# -- prefixes -----------------------------------------------------------------
# 'X-Object-Sysmeta-S3c-', 'X-Container-Sysmeta-S3c-',
# 'X-Object-Transient-Sysmeta-S3c-'
OBJECT_SYSMETA = get_sys_meta_prefix('object').title() + _OURS
CONTAINER_SYSMETA = get_sys_meta_prefix('container').title() + _OURS
OBJECT_TRANSIENT = get_object_transient_sysmeta('').title() + _OURS
# Object user metadata ('X-Object-Meta-'): S3's x-amz-meta-*.
OBJECT_USER_META = get_user_meta_prefix('object').title()
# Keys of our container sysmeta in get_container_info()['sysmeta']
# (Swift strips 'x-container-sysmeta-' and lowercases).
CONTAINER_INFO_PREFIX = _OURS.lower()

# -- object sysmeta (kept with the data, copied by Swift's copy) -------------
STORAGE_CLASS = OBJECT_SYSMETA + 'Storage-Class'
META_OVERFLOW = OBJECT_SYSMETA + 'Meta'         # user metadata beyond limits
UPLOAD_ID = OBJECT_SYSMETA + 'Upload-Id'        # a completed multipart upload
ETAG = OBJECT_SYSMETA + 'Etag'                  # its S3 ETag "<md5>-N"
UPLOAD_CONTENT_TYPE = OBJECT_SYSMETA + 'Upload-Content-Type'  # upload marker
# An object's checksum, '<ALGORITHM> <TYPE> <base64 value>' in one header:
# each stored header costs every later GET/HEAD of the object about 90,000
# proxy instructions (doc/performance.md, "Round 4").  A proxy older than
# this format sees no checksum on such objects: upgrade all proxies together.
CHECKSUM = OBJECT_SYSMETA + 'Checksum'
# ... preceded by this mark on an object whose ACL is its bucket owner's
# private one, stored without OBJECT_ACL (authz.access.omit_owner_acl: one
# header less, most objects; doc/performance.md, "Round 7").  Only written
# with allow_no_owner off, under which a missing ACL reads as that same
# ACL; the mark keeps it so if allow_no_owner is turned on later.  A proxy
# older than the mark sees no checksum on such objects (and the same ACL).
CHECKSUM_OWNER_ACL_MARK = 'acl=owner '
# ... as objects written before 2026-12-07 keep it, three headers (read only)
CHECKSUM_ALGORITHM = OBJECT_SYSMETA + 'Checksum-Algorithm'
CHECKSUM_VALUE = OBJECT_SYSMETA + 'Checksum-Value'
CHECKSUM_TYPE = OBJECT_SYSMETA + 'Checksum-Type'
BUCKET_ACCOUNT = OBJECT_SYSMETA + 'Account'     # bucket index entries
# Server-side encryption (doc/encryption.md; read by the sse filter on writes)
SSE = OBJECT_SYSMETA + 'Sse'                    # AES256 / aws:kms[:dsse]
SSE_KMS_KEY_ID = OBJECT_SYSMETA + 'Sse-Kms-Key-Id'
SSE_CONTEXT = OBJECT_SYSMETA + 'Sse-Context'    # base64 JSON, as sent
SSE_BUCKET_KEY = OBJECT_SYSMETA + 'Sse-Bucket-Key'
SSE_CUSTOMER_MAC = OBJECT_SYSMETA + 'Sse-C-Key-Mac'  # salted HMAC of the key
SSE_ETAG = OBJECT_SYSMETA + 'Sse-Etag'          # opaque ETag of SSE-C/KMS

# -- object transient sysmeta (changed by object POSTs) ----------------------
OBJECT_ACL = OBJECT_TRANSIENT + 'Acl'
TAG = OBJECT_TRANSIENT + 'Tag-'                 # + index: "key=value"
EXPIRY = OBJECT_TRANSIENT + 'Expiry'            # our own X-Delete-At stamp
SWEEP_STATE = OBJECT_TRANSIENT + 'Sweep'        # lifecycle registry entries
# Object Lock of a version (swift.object_lock): '<MODE> <retain-until
# ISO date>' and 'ON'/'OFF'.  Transient: only they can change by POST
# (every POST of ours carries them again; objectlock refuses the
# Swift API's POSTs to a locked version).
LOCK_RETENTION = OBJECT_TRANSIENT + 'Lock-Retention'
LOCK_LEGAL_HOLD = OBJECT_TRANSIENT + 'Lock-Legal-Hold'

# -- container sysmeta ------------------------------------------------------------
BUCKET_ACL = CONTAINER_SYSMETA + 'Acl'
BUCKET_ACL_INFO = CONTAINER_INFO_PREFIX + 'acl'
# The LocationConstraint a bucket was created with, as the client spelled it
# (when not the endpoint's own location).
BUCKET_LOCATION = CONTAINER_SYSMETA + 'Location'
# A bucket's Object Lock configuration: 'Enabled[ <MODE> <n>d|y]'
OBJECT_LOCK = CONTAINER_SYSMETA + 'Object-Lock'
OBJECT_LOCK_INFO = CONTAINER_INFO_PREFIX + 'object-lock'
# Multipart objects (swift.uploads.may_hold_manifests): 'Multipart' ('1') is
# set before the first manifest of a CompleteMultipartUpload lands in the
# bucket; 'Multipart-Tracked' ('1') is written by CreateBucket, so the
# flag's absence only means "never held one" in buckets created since
# (doc/integrity.md).
BUCKET_MULTIPART = CONTAINER_SYSMETA + 'Multipart'
BUCKET_MULTIPART_INFO = CONTAINER_INFO_PREFIX + 'multipart'
BUCKET_MULTIPART_TRACKED = CONTAINER_SYSMETA + 'Multipart-Tracked'
BUCKET_MULTIPART_TRACKED_INFO = CONTAINER_INFO_PREFIX + 'multipart-tracked'
# ... its value on a bucket whose ACL is its owner's private one, stored
# without BUCKET_ACL (authz.access.omit_owner_bucket_acl; as
# CHECKSUM_OWNER_ACL_MARK for objects: each item of a bucket's sysmeta
# costs every request to it, Swift copies the bucket's info several times)
BUCKET_OWNER_ACL_MARK = 'acl=owner'
# -- account sysmeta ---------------------------------------------------
# The account holds a bucket with Object Lock (objectlock refuses its
# DELETE)
ACCOUNT_OBJECT_LOCK = 'X-Account-Sysmeta-S3c-Object-Lock'
ACCOUNT_OBJECT_LOCK_INFO = CONTAINER_INFO_PREFIX + 'object-lock'
# Bucket configurations: CONTAINER_SYSMETA + Name.title() (+ '-<i>' chunks),
# see swift.bucket_config.
BUCKET_ENCRYPTION = 'encryption'        # bucket default encryption's name

# -- Swift's own names that we write ----------------------------------------------
# SLO's, on a manifest CompleteMultipartUpload writes itself (swift.uploads):
# 'X-Object-Sysmeta-Slo-Etag' (md5 of the segments' etags), '...-Slo-Size'
SLO_ETAG = SYSMETA_SLO_ETAG
SLO_SIZE = SYSMETA_SLO_SIZE
STATIC_LARGE_OBJECT = 'X-Static-Large-Object'
CONTAINER_UPDATE_OVERRIDE_ETAG = \
    'X-Object-Sysmeta-Container-Update-Override-Etag'
CONTAINER_UPDATE_OVERRIDE_CONTENT_TYPE = \
    'X-Object-Sysmeta-Container-Update-Override-Content-Type'
# get_container_info()['sysmeta'] keys of Swift's object versioning
VERSIONS_CONTAINER_INFO = 'versions-container'
VERSIONS_ENABLED_INFO = 'versions-enabled'

# -- content types in the segments container -----------------------------------
UPLOAD_MARKER_TYPE = 'application/x-s3c-upload'
# its parameters naming the account that created the upload and, when
# another (Object Ownership), the owner of the object it makes (URL-quoted)
UPLOAD_INITIATOR_PARAM = 'initiator'
UPLOAD_OWNER_PARAM = 'owner'
PART_TYPE = 'application/x-s3c-part'


# -- reading them back ---------------------------------------------------------
_TITLES: Dict[str, str] = {}


def read(headers: Any, name: str) -> Optional[str]:
    """``headers.get(name)`` for one of the names above (``name`` is always
    a constant: what is cached stays bounded).  A Swift response's headers
    are a HeaderKeyDict, whose ``get`` title-cases the name on every call
    (about 4,000 instructions, several times per GET and HEAD); its keys
    are title case already, so the name's title case is looked up once."""
    if isinstance(headers, HeaderKeyDict):
        title = _TITLES.get(name)
        if title is None:
            title = _TITLES[name] = HeaderKeyDict._title(name)
        return dict.get(headers, title)
    return headers.get(name)
