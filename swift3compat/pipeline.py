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

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

from paste.deploy import loadwsgi
from swift.common.wsgi import ConfigFileError, loadcontext

from swift3compat.pipeline_checks import _Checker, _explicit
from swift3compat.pipeline_roles import (Filter, Pipeline, Problem, Role,
                                         Severity, _SWIFT_PROXY_APP_MODULE)

__all__ = ['Filter', 'Pipeline', 'PipelineError', 'Problem', 'Role',
           'Severity', 'Suggestion', 'check_and_suggest', 'check_filters',
           'check_pipeline', 'enforce', 'main', 'read_pipeline', 'suggest',
           'with_swift_required_filters']


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
    return check_and_suggest(source, app_name, apply_required_filters)[0]


def check_and_suggest(source: ConfSource, app_name: str = 'main',
                      apply_required_filters: bool = True
                      ) -> tuple[list[Problem], Suggestion | None]:
    """:func:`check_pipeline` and :func:`suggest` of the same pipeline."""
    pipeline = read_pipeline(source, app_name)
    if apply_required_filters:
        pipeline = with_swift_required_filters(pipeline)
    return check_filters(pipeline), suggest(pipeline)


def check_filters(pipeline: Pipeline) -> list[Problem]:
    """The pure check: every problem with ``pipeline``, errors first.

    Each message says what is wrong and what to do about it in words;
    :func:`suggest` gives the one ``pipeline =`` line that fixes them all.
    """
    checker = _Checker(pipeline)
    problems = checker.identity()
    if checker.first(Role.SWIFT3) is not None:
        problems += checker.gatekeeper() + checker.auth() + \
            checker.features() + checker.cache() + checker.object_lock() + \
            checker.encryption()
    return sorted(problems, key=lambda p: p.severity != Severity.ERROR)


@dataclass(frozen=True)
class Suggestion:
    """The corrected pipeline: every filter the operator wrote (but a
    second swift3 and other S3 layers), in an order the check accepts, plus
    the filters the check asks for."""

    pipeline: Pipeline          # as the operator writes it
    new_sections: Sequence[str]  # ``[filter:slo] use = egg:swift#slo``, ...

    @property
    def line(self) -> str:
        names = [f.name for f in self.pipeline.filters]
        return 'pipeline = ' + ' '.join(names + [self.pipeline.app_name])

    def __str__(self) -> str:
        if not self.new_sections:
            return self.line
        return (f'{self.line} (with sections: '
                f'{"; ".join(self.new_sections)})')


def suggest(pipeline: Pipeline) -> Suggestion | None:
    """The one pipeline that fixes every problem :func:`check_filters`
    finds in ``pipeline`` (``None`` when nothing is to change).

    ``pipeline`` is the one the check saw (with the filters Swift inserts);
    the suggestion leaves those out unless the proxy would insert them in
    a place that is still wrong, and it is itself accepted by the check.
    """
    if not check_filters(pipeline):
        return None
    fixed = _Checker(pipeline).corrected()
    hidden = [f for f in fixed if not f.inserted]
    if _errors(Pipeline(hidden, pipeline.app_factory, pipeline.app_name,
                        pipeline.section)):
        hidden = [_explicit(f) for f in fixed]
    written = {f.name for f in pipeline.filters if not f.inserted}
    new = []
    for f in hidden:
        if f.name not in written and f.entry_point_name:
            section = _NEW_SECTIONS.get(f.entry_point_name)
            if section is not None:
                text = f'[filter:{f.name}] use = {section}'
                if text not in new:
                    new.append(text)
    result = Pipeline(hidden, pipeline.app_factory, pipeline.app_name,
                      pipeline.section)
    if [f.name for f in hidden] == [f.name for f in pipeline.filters
                                    if not f.inserted]:
        return None     # nothing the order can fix (e.g. a config option)
    return Suggestion(result, new)


def _errors(pipeline: Pipeline) -> list[Problem]:
    """The errors the check finds once the proxy inserts its filters."""
    return [p for p in check_filters(with_swift_required_filters(pipeline))
            if p.severity is Severity.ERROR]


def enforce(conf: Mapping[str, str], logger: Any) -> None:
    """Start-up hook for the swift3 filter factory.

    ``conf`` is the filter's paste conf (it carries ``__file__``, the proxy
    config path). Warnings go to ``logger``; errors raise
    :class:`PipelineError` listing every problem and the one pipeline that
    fixes them all. Without ``__file__`` (a filter built by hand, not by
    paste.deploy) there is nothing to check.
    """
    conf_path = conf.get('__file__')
    if not conf_path:
        logger.debug('No __file__ in the swift3 conf: pipeline not checked')
        return
    problems, suggestion = check_and_suggest(conf_path)
    for problem in problems:
        if problem.severity is Severity.WARNING:
            logger.warning('swift3 pipeline check: %s', problem.message)
    errors = [p.message for p in problems if p.severity is Severity.ERROR]
    if errors:
        fix = f'\nfix them all with:\n  {suggestion}' if suggestion else ''
        raise PipelineError(
            f'swift3: invalid proxy pipeline in {conf_path}:\n' +
            '\n'.join(f'  - {e}' for e in errors) + fix +
            '\n(set auth_pipeline_check = false in [filter:swift3] to skip '
            'this check)')
    if suggestion is not None:
        logger.warning('swift3 pipeline check: suggested %s', suggestion)


# Where added filters come from: the use = line of their new section.
_NEW_SECTIONS: Mapping[str, str] = {
    'swift3': 'egg:swift3compat#swift3',
    's3token': 'egg:swift3compat#s3token',
    'keystoneauth': 'egg:swift#keystoneauth',
    'tempauth': 'egg:swift#tempauth',
    'memcache': 'egg:swift#memcache',
    'slo': 'egg:swift#slo',
    'copy': 'egg:swift#copy',
    'dlo': 'egg:swift#dlo',
    'versioned_writes': 'egg:swift#versioned_writes',
    'gatekeeper': 'egg:swift#gatekeeper',
    'catch_errors': 'egg:swift#catch_errors',
    'listing_formats': 'egg:swift#listing_formats',
    'objectlock': 'egg:swift3compat#objectlock',
    'sse': 'egg:swift3compat#sse',
    'encryption': 'egg:swift#encryption',
}
def main(argv: Sequence[str] | None = None) -> int:
    """``python3 -m swift3compat.pipeline PROXY_CONF [APP_NAME]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ('-h', '--help'):
        print(main.__doc__)
        return 2
    try:
        problems, suggestion = check_and_suggest(args[0], *args[1:2])
    except (OSError, LookupError, ValueError) as exc:
        print(f'cannot check {args[0]}: {exc}', file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    if suggestion is not None:
        print(f'fix: {suggestion}')
    if not problems:
        print('pipeline OK')
    return 1 if any(p.severity is Severity.ERROR for p in problems) else 0


if __name__ == '__main__':
    sys.exit(main())
