"""What the pipeline check works on (split from ``pipeline.py``, issue #17):
a pipeline's filters (``Filter``, ``Pipeline``), what each is as far as swift3
cares (``Role``, recognised by the module of its paste factory) and what the
check finds (``Problem`` of a ``Severity``).  ``swift3compat.pipeline``
re-exports every public name.
"""
from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


class Severity(enum.Enum):
    """How bad a :class:`Problem` is."""

    ERROR = 'error'      # the proxy must refuse to start
    WARNING = 'warning'  # the proxy starts; a feature is unavailable


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the pipeline, with the fix in its message."""

    severity: Severity
    message: str

    def __str__(self) -> str:
        return f'{self.severity.value}: {self.message}'


class Role(enum.Enum):
    """What a filter in the pipeline is, as far as swift3 cares."""

    SWIFT3 = 'swift3'
    OTHER_S3 = 'another S3 layer'
    S3TOKEN = 's3token'
    AUTHTOKEN = 'authtoken'
    KEYSTONEAUTH = 'keystoneauth'
    TEMPAUTH = 'tempauth'
    GATEKEEPER = 'gatekeeper'
    CACHE = 'cache'
    CATCH_ERRORS = 'catch_errors'
    SLO = 'slo'
    DLO = 'dlo'
    COPY = 'copy'
    VERSIONED_WRITES = 'versioned_writes'
    SYMLINK = 'symlink'
    OBJECTLOCK = 'objectlock'
    SSE = 'sse'
    ENCRYPTION = 'encryption'
    KEYMASTER = 'keymaster'
    OTHER = 'other'


# Roles are recognised by the module of the filter's factory, so that
# ``use = egg:swift#slo`` and ``paste.filter_factory =
# swift.common.middleware.slo:filter_factory`` are the same thing. The modules
# are only named here, never imported.
_ROLE_BY_MODULE: Mapping[str, Role] = {
    'swift3compat.middleware': Role.SWIFT3,
    'swift3compat.s3token': Role.S3TOKEN,
    'swift3compat.objectlock': Role.OBJECTLOCK,
    'swift.common.middleware.s3api.s3api': Role.OTHER_S3,
    'swift3.middleware': Role.OTHER_S3,
    'swift.common.middleware.s3api.s3token': Role.S3TOKEN,
    'swift3.s3_token_middleware': Role.S3TOKEN,
    'keystonemiddleware.auth_token': Role.AUTHTOKEN,
    'swift.common.middleware.keystoneauth': Role.KEYSTONEAUTH,
    'swift.common.middleware.tempauth': Role.TEMPAUTH,
    'swift.common.middleware.gatekeeper': Role.GATEKEEPER,
    'swift.common.middleware.memcache': Role.CACHE,
    'swift.common.middleware.catch_errors': Role.CATCH_ERRORS,
    'swift.common.middleware.slo': Role.SLO,
    'swift.common.middleware.dlo': Role.DLO,
    'swift.common.middleware.copy': Role.COPY,
    'swift.common.middleware.versioned_writes': Role.VERSIONED_WRITES,
    'swift.common.middleware.symlink': Role.SYMLINK,
    'swift3compat.swift.crypto': Role.SSE,
    'swift.common.middleware.crypto': Role.ENCRYPTION,
    'swift.common.middleware.crypto.keymaster': Role.KEYMASTER,
    'swift.common.middleware.crypto.kms_keymaster': Role.KEYMASTER,
    'swift.common.middleware.crypto.kmip_keymaster': Role.KEYMASTER,
}
# S3 server-side encryption: sse directly before Swift's encryption, both
# after every filter that reads or writes object data for others (Swift's
# rule for encryption), the auth filters and any cluster keymaster.
_BEFORE_ENCRYPTION = (Role.SWIFT3, Role.COPY, Role.SLO, Role.DLO,
                      Role.VERSIONED_WRITES, Role.SYMLINK, Role.S3TOKEN,
                      Role.AUTHTOKEN, Role.KEYSTONEAUTH, Role.TEMPAUTH,
                      Role.KEYMASTER)

_SWIFT_PROXY_APP_MODULE = 'swift.proxy.server'
_AUTH_ROLES = (Role.S3TOKEN, Role.AUTHTOKEN, Role.KEYSTONEAUTH, Role.TEMPAUTH)
_DISABLE_HINT = ('(if you use an auth middleware that reads '
                 "environ['swift3.auth_details'], set auth_pipeline_check = "
                 'false in [filter:swift3])')


@dataclass(frozen=True)
class Filter:
    """A pipeline entry: its name in ``pipeline =`` and what it resolves to.

    ``factory`` is ``"module:attribute"`` of the paste factory;
    ``entry_point_name`` is the name after ``#`` in ``use = egg:dist#name``
    (``None`` for ``paste.filter_factory = ...``), which is what Swift's proxy
    uses to decide whether a required filter is already there; ``inserted``
    marks filters Swift's proxy adds by itself at start-up.
    """

    name: str
    factory: str
    entry_point_name: str | None = None
    conf: Mapping[str, str] = field(default_factory=dict)
    inserted: bool = False

    @property
    def role(self) -> Role:
        return _ROLE_BY_MODULE.get(self.factory.partition(':')[0], Role.OTHER)

    @classmethod
    def from_context(cls, ctx: Any) -> Filter:
        """Build from a paste.deploy ``LoaderContext`` of a pipeline entry."""
        obj = ctx.object
        factory = f'{obj.__module__}:{getattr(obj, "__qualname__", "?")}'
        name = getattr(ctx, 'name', None) or ctx.local_conf.get(
            '__name__', ctx.entry_point_name or factory)
        conf = dict(ctx.global_conf)
        conf.update(ctx.local_conf)
        return cls(name=name, factory=factory,
                   entry_point_name=ctx.entry_point_name, conf=conf)


@dataclass(frozen=True)
class Pipeline:
    """The filters of one pipeline section and the app that ends it."""

    filters: Sequence[Filter]
    app_factory: str = f'{_SWIFT_PROXY_APP_MODULE}:app_factory'
    app_name: str = 'proxy-server'
    section: str = '[pipeline:main]'
