"""Proxy pipeline order validation for the swift3 filter.

The ``swift3`` filter only works when the filters around it are in the right
order: ``gatekeeper`` before it (so it does not strip the system metadata
swift3 writes), the S3 auth filter after it (``s3token`` then ``authtoken`` and
``keystoneauth``, or ``tempauth``), and the filters that S3 features are built
on (``slo`` for multipart uploads, ``copy``, ``versioned_writes`` with
``allow_object_versioning`` for bucket versioning, ``dlo``) after it, so that
swift3's subrequests pass through them.

The check reads the pipeline the proxy is started with: the ``[pipeline:main]``
of ``/etc/swift/proxy-server.conf`` (or a ``proxy-server.conf.d`` directory),
each filter resolved through paste.deploy to its factory, plus the filters
that Swift's proxy inserts by itself at start-up (``catch_errors``,
``gatekeeper``, ``copy``, ``dlo``, ``versioned_writes``, ...). It returns
:class:`Problem` objects: errors make the proxy refuse to start, warnings are
logged.

Operators do not enable anything: the ``swift3`` filter runs the check when the
proxy starts, unless ``auth_pipeline_check = false`` is set in
``[filter:swift3]`` (for example with a third-party auth middleware this module
does not know). To check a configuration by hand::

    python3 -m swift3compat.pipeline /etc/swift/proxy-server.conf
"""
from __future__ import annotations

import enum
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

from paste.deploy import loadwsgi
from swift.common.utils import config_true_value
from swift.common.wsgi import ConfigFileError, loadcontext


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
    OTHER = 'other'


# Roles are recognised by the module of the filter's factory, so that
# ``use = egg:swift#slo`` and ``paste.filter_factory =
# swift.common.middleware.slo:filter_factory`` are the same thing. The modules
# are only named here, never imported.
_ROLE_BY_MODULE: Mapping[str, Role] = {
    'swift3compat.middleware': Role.SWIFT3,
    'swift3compat.s3token': Role.S3TOKEN,
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
}

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


class PipelineError(ConfigFileError):
    """The pipeline is mis-ordered; ``swift-proxy-server`` prints this and
    exits 1 (Swift's ``run_wsgi`` reports ``ConfigFileError`` without a
    traceback)."""


ConfSource = Union[str, 'os.PathLike[str]', Any]


def read_pipeline(source: ConfSource, app_name: str = 'main') -> Pipeline:
    """Read a pipeline from a proxy config file/directory or a paste context.

    ``source`` is a path (a file, or a ``.conf.d`` directory as
    ``swift-proxy-server`` accepts) or an already loaded paste.deploy pipeline
    context. Each filter is resolved to its factory (this imports the filter
    modules but creates no middleware).
    """
    if isinstance(source, (str, os.PathLike)):
        ctx = loadcontext(loadwsgi.APP, os.path.abspath(source),
                          name=app_name)
    else:
        ctx = source
    if ctx.object_type.name != 'pipeline':
        raise ValueError(f'[app:{app_name}] is not a pipeline; '
                         'nothing to check')
    app = ctx.app_context.object
    return Pipeline(
        filters=[Filter.from_context(c) for c in ctx.filter_contexts],
        app_factory=f'{app.__module__}:{getattr(app, "__qualname__", "?")}',
        app_name=getattr(ctx.app_context, 'name', None) or 'app',
        section=f'[pipeline:{app_name}]')


def with_swift_required_filters(pipeline: Pipeline) -> Pipeline:
    """Add the filters that Swift's proxy inserts into its own pipeline.

    ``swift.proxy.server.Application.modify_wsgi_pipeline`` adds each of
    ``swift.proxy.server.required_filters`` that is missing, after the last
    of its ``after_fn`` filters present. This repeats that on a
    :class:`Pipeline` (a pipeline that does not end in Swift's proxy app is
    returned unchanged), so that the check sees what the proxy will run.
    """
    if not pipeline.app_factory.startswith(_SWIFT_PROXY_APP_MODULE + ':'):
        return pipeline
    from swift.proxy.server import required_filters

    filters = list(pipeline.filters)
    view = _EntryPointView(filters)
    for spec in reversed(required_filters):
        name = spec['name']
        if name in view:
            continue
        insert_at = 0
        for after in spec.get('after_fn', lambda _pipe: [])(view):
            if after in view:
                insert_at = max(insert_at, view.index(after) + 1)
        filters.insert(insert_at, Filter(
            name=name, entry_point_name=name, inserted=True,
            factory=f'swift.common.middleware.{name}:filter_factory'))
    return Pipeline(filters, pipeline.app_factory, pipeline.app_name,
                    pipeline.section)


class _EntryPointView:
    """The part of Swift's ``PipelineWrapper`` that ``after_fn`` uses."""

    def __init__(self, filters: Sequence[Filter]) -> None:
        self._filters = filters

    def __contains__(self, entry_point_name: str) -> bool:
        return any(f.entry_point_name == entry_point_name
                   for f in self._filters)

    def index(self, entry_point_name: str) -> int:
        for i, f in enumerate(self._filters):
            if f.entry_point_name == entry_point_name:
                return i
        raise ValueError(f'{entry_point_name} is not in pipeline')

    def startswith(self, entry_point_name: str) -> bool:
        return bool(self._filters) and \
            self._filters[0].entry_point_name == entry_point_name


def check_pipeline(source: ConfSource, app_name: str = 'main',
                   apply_required_filters: bool = True) -> list[Problem]:
    """Check the proxy pipeline in ``source`` (see :func:`read_pipeline`).

    With ``apply_required_filters`` (the default, as ``swift-proxy-server``
    runs) the filters Swift's proxy inserts by itself are taken into account.
    """
    pipeline = read_pipeline(source, app_name)
    if apply_required_filters:
        pipeline = with_swift_required_filters(pipeline)
    return check_filters(pipeline)


def check_filters(pipeline: Pipeline) -> list[Problem]:
    """The pure check: every problem with ``pipeline``, errors first."""
    checker = _Checker(pipeline)
    problems = checker.identity()
    if checker.first(Role.SWIFT3) is not None:
        problems += checker.gatekeeper() + checker.auth() + \
            checker.features() + checker.cache()
    return sorted(problems, key=lambda p: p.severity != Severity.ERROR)


def enforce(conf: Mapping[str, str], logger: Any) -> None:
    """Start-up hook for the swift3 filter factory.

    ``conf`` is the filter's paste conf (it carries ``__file__``, the proxy
    config path). Warnings go to ``logger``; errors raise
    :class:`PipelineError` listing every fix. Without ``__file__`` (a filter
    built by hand, not by paste.deploy) there is nothing to check.
    """
    conf_path = conf.get('__file__')
    if not conf_path:
        logger.debug('No __file__ in the swift3 conf: pipeline not checked')
        return
    problems = check_pipeline(conf_path)
    for problem in problems:
        if problem.severity is Severity.WARNING:
            logger.warning('swift3 pipeline check: %s', problem.message)
    errors = [p.message for p in problems if p.severity is Severity.ERROR]
    if errors:
        raise PipelineError(
            f'swift3: invalid proxy pipeline in {conf_path}:\n' +
            '\n'.join(f'  - {e}' for e in errors) +
            '\n(set auth_pipeline_check = false in [filter:swift3] to skip '
            'this check)')


class _Checker:
    """The rules, one method per concern, over one pipeline."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.filters = list(pipeline.filters)
        self.section = pipeline.section

    # -- helpers ---------------------------------------------------------

    def first(self, role: Role) -> int | None:
        for i, f in enumerate(self.filters):
            if f.role is role:
                return i
        return None

    def label(self, index: int) -> str:
        f = self.filters[index]
        if f.role is Role.OTHER or f.name == f.role.value:
            return f.name
        return f'{f.name} ({f.role.value})'

    def suggest(self, names: Iterable[Filter]) -> str:
        """``pipeline = ...`` as the operator should write it: the filters
        Swift inserts by itself are left out unless they had to move."""
        shown = [f.name for f in names if not f.inserted]
        return 'pipeline = ' + ' '.join(shown + [self.pipeline.app_name])

    def moved(self, index: int, to: int) -> str:
        """The suggestion with the filter at ``index`` placed before the
        filter now at ``to`` (``len(filters)`` for the end)."""
        filters = list(self.filters)
        moving = filters[index]
        filters[to:to] = [_explicit(moving)]
        del filters[index if index < to else index + 1]
        return self.suggest(filters)

    def added(self, name: str, to: int) -> str:
        filters = list(self.filters)
        filters.insert(to, Filter(name=name, factory=''))
        return self.suggest(filters)

    def after(self, *roles: Role) -> int:
        """Position just after swift3 and the last present filter of
        ``roles``."""
        return 1 + max(i for i, f in enumerate(self.filters)
                       if f.role in roles or f.role is Role.SWIFT3)

    def error(self, message: str) -> Problem:
        return Problem(Severity.ERROR, message)

    def warning(self, message: str) -> Problem:
        return Problem(Severity.WARNING, message)

    # -- rules -----------------------------------------------------------

    def identity(self) -> list[Problem]:
        s3 = [i for i, f in enumerate(self.filters) if f.role is Role.SWIFT3]
        if not s3:
            at = min([i for i, f in enumerate(self.filters)
                      if f.role in _AUTH_ROLES], default=len(self.filters))
            return [self.error(
                f'swift3 (egg:swift3compat#swift3) is not in {self.section}; '
                f'add it before the auth filters: {self.added("swift3", at)}')]
        problems = []
        if len(s3) > 1:
            problems.append(self.error(
                f'swift3 appears {len(s3)} times in {self.section}; keep '
                f'only the first: '
                f'{self.suggest(self.filters[:s3[1]] + self.filters[s3[1] + 1:])}'))
        for i, f in enumerate(self.filters):
            if f.role is Role.OTHER_S3:
                problems.append(self.error(
                    f'{f.name} ({f.factory.partition(":")[0]}) is another S3 '
                    f'layer; swift3compat replaces it, remove it from '
                    f'{self.section}: '
                    f'{self.suggest(self.filters[:i] + self.filters[i + 1:])}'))
        return problems

    def gatekeeper(self) -> list[Problem]:
        gk, s3 = self.first(Role.GATEKEEPER), self.first(Role.SWIFT3)
        if gk is None or gk < s3:
            return []
        catch_errors = self.first(Role.CATCH_ERRORS)
        to = catch_errors + 1 if catch_errors is not None and \
            catch_errors < s3 else 0
        return [self.error(
            f'{self.label(gk)} must come before swift3 in {self.section}: '
            'after swift3 it strips the system metadata swift3 writes '
            f'(multipart uploads, ACLs); move it: {self.moved(gk, to)}')]

    def auth(self) -> list[Problem]:
        s3 = self.first(Role.SWIFT3)
        token, keystone = self.first(Role.S3TOKEN), self.first(Role.KEYSTONEAUTH)
        problems = []
        if token is not None:
            problems += self._s3token_order(s3, token, keystone)
        problems += self._authtoken(s3, token) + self._auth_after_swift3(s3)
        if token is None and self.first(Role.TEMPAUTH) is None:
            problems += self._no_s3_auth(s3, keystone)
        return problems

    def _s3token_order(self, s3: int, token: int,
                       keystone: int | None) -> list[Problem]:
        problems = []
        if token < s3 or (keystone is not None and s3 < keystone < token):
            before = self.label(keystone) if keystone is not None \
                else 'keystoneauth'
            problems.append(self.error(
                f'{self.label(token)} must come after swift3 and before '
                f'{before} in {self.section}; move it: '
                f'{self.moved(token, s3 + 1)}'))
        if keystone is None:
            at = self.after(Role.S3TOKEN, Role.AUTHTOKEN)
            problems.append(self.error(
                f'{self.label(token)} needs keystoneauth after it in '
                f'{self.section} to authorize the Keystone identity it '
                'establishes; add [filter:keystoneauth] use = '
                f'egg:swift#keystoneauth: {self.added("keystoneauth", at)}'))
        return problems

    def _authtoken(self, s3: int, token: int | None) -> list[Problem]:
        """authtoken ahead of the S3 auth filter must let S3 requests by.

        S3 requests carry no X-Auth-Token: an authtoken that sees them first
        rejects them unless ``delay_auth_decision = true`` (Swift's own
        layout puts authtoken before s3api that way).
        """
        authtoken = self.first(Role.AUTHTOKEN)
        s3_auth = token if token is not None else s3
        if authtoken is None or authtoken > s3_auth or config_true_value(
                self.filters[authtoken].conf.get('delay_auth_decision')):
            return []
        name = self.filters[authtoken].name
        return [self.error(
            f'{self.label(authtoken)} comes before '
            f'{self.label(s3_auth)} in {self.section} and rejects S3 '
            'requests, which carry no X-Auth-Token; move it after '
            f'{self.label(s3_auth)}: {self.moved(authtoken, s3_auth + 1)} '
            f'(or set delay_auth_decision = true in [filter:{name}])')]

    def _auth_after_swift3(self, s3: int) -> list[Problem]:
        """keystoneauth and tempauth must follow swift3."""
        problems = []
        for role in (Role.KEYSTONEAUTH, Role.TEMPAUTH):
            at = self.first(role)
            if at is None or at > s3:
                continue
            to = self.after(Role.S3TOKEN, Role.AUTHTOKEN) \
                if role is Role.KEYSTONEAUTH else self.after(Role.S3TOKEN)
            problems.append(self.error(
                f'{self.label(at)} must come after swift3 in {self.section}: '
                'swift3 turns the S3 signature into the auth details it '
                f'checks; move it: {self.moved(at, to)}'))
        return problems

    def _no_s3_auth(self, s3: int, keystone: int | None) -> list[Problem]:
        if keystone is not None:
            return [self.error(
                f'{self.label(keystone)} cannot check S3 signatures: add '
                '[filter:s3token] use = egg:swift3compat#s3token between '
                f'swift3 and it in {self.section}: '
                f'{self.added("s3token", s3 + 1)}')]
        return [self.error(
            f'no auth filter follows swift3 in {self.section}: S3 requests '
            'would not be authenticated; add tempauth, or s3token, authtoken '
            f'and keystoneauth, after swift3: '
            f'{self.added("tempauth", s3 + 1)} {_DISABLE_HINT}')]

    def features(self) -> list[Problem]:
        s3 = self.first(Role.SWIFT3)
        problems = []
        for role, needed_for, severity in (
                (Role.SLO, 'multipart uploads', Severity.ERROR),
                (Role.COPY, 'CopyObject and UploadPartCopy', Severity.ERROR),
                (Role.VERSIONED_WRITES, 'bucket versioning', Severity.ERROR),
                (Role.DLO, 'GETs of DLO manifests written with the Swift API',
                 Severity.WARNING)):
            at = self.first(role)
            if at is not None and at < s3 and self.filters[at].inserted \
                    and self._auth_before(s3):
                continue  # it follows that auth filter: moving it fixes both
            if at is None:
                problems.append(self.warning(
                    f'{role.value} is not in {self.section}: {needed_for} '
                    f'will not work; add [filter:{role.value}] use = '
                    f'egg:swift#{role.value} after the auth filters: '
                    f'{self.added(role.value, self.after(*_AUTH_ROLES))}'))
            elif at < s3:
                problems.append(Problem(
                    severity,
                    f'{self.label(at)} must come after swift3 in '
                    f'{self.section}, or swift3\'s subrequests bypass it and '
                    f'{needed_for} break; move it after the auth filters: '
                    f'{self.moved(at, self.after(*_AUTH_ROLES))}'))
        return problems + self._object_versioning()

    def _auth_before(self, s3: int) -> bool:
        return any(f.role in (Role.KEYSTONEAUTH, Role.TEMPAUTH)
                   for f in self.filters[:s3])

    def _object_versioning(self) -> list[Problem]:
        at = self.first(Role.VERSIONED_WRITES)
        if at is None or config_true_value(
                self.filters[at].conf.get('allow_object_versioning')):
            return []
        f = self.filters[at]
        section = f'[filter:{f.name}]' if not f.inserted else \
            f'a [filter:{f.name}] section (use = egg:swift#versioned_writes)'
        symlink = '' if self.first(Role.SYMLINK) is not None else \
            f', and add symlink (egg:swift#symlink) to {self.section}'
        return [self.warning(
            'bucket versioning is unavailable: set allow_object_versioning '
            f'= true in {section}{symlink}')]

    def cache(self) -> list[Problem]:
        cache, s3 = self.first(Role.CACHE), self.first(Role.SWIFT3)
        users = [self.label(i) for i, f in enumerate(self.filters)
                 if f.role in (Role.TEMPAUTH, Role.S3TOKEN)]
        if cache is None and users:
            return [self.warning(
                f'cache (egg:swift#memcache) is not in {self.section}, and '
                f'{" and ".join(users)} keep tokens and secrets in memcache '
                '(tempauth fails every request without it); add it before '
                f'swift3: {self.added("cache", s3)}')]
        if cache is None:
            return []
        if cache > s3:
            return [self.warning(
                f'{self.label(cache)} should come before swift3 in '
                f'{self.section} so that the auth filters can use it; move '
                f'it: {self.moved(cache, s3)}')]
        return []


def _explicit(f: Filter) -> Filter:
    """A filter the operator must now write (it was inserted by Swift)."""
    return Filter(f.name, f.factory, f.entry_point_name, f.conf)


def main(argv: Sequence[str] | None = None) -> int:
    """``python3 -m swift3compat.pipeline PROXY_CONF [APP_NAME]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ('-h', '--help'):
        print(main.__doc__)
        return 2
    try:
        problems = check_pipeline(args[0], *args[1:2])
    except (OSError, LookupError, ValueError) as exc:
        print(f'cannot check {args[0]}: {exc}', file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    if not problems:
        print('pipeline OK')
    return 1 if any(p.severity is Severity.ERROR for p in problems) else 0


if __name__ == '__main__':
    sys.exit(main())
