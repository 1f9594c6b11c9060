"""The proxy configuration as daemons outside the proxy read it.

Background tools (the lifecycle sweeper, and later the segment collector and
access-log delivery) are run with the proxy's own ``proxy-server.conf`` and
need the options of its swift3 filter.  That filter is found by what it
loads, as the pipeline check finds it (``swift3compat.pipeline``): each
``[filter:*]`` section is resolved through paste.deploy to its factory, so
``[filter:s3api]`` with ``use = egg:swift3compat#swift3`` (the section name
kept from Swift's s3api), ``paste.filter_factory =
swift3compat.middleware:filter_factory`` or ``use = <another section>`` are all
recognised, whatever the section is called.  When several sections load it,
the one in ``[pipeline:main]`` is used; when that does not decide, the daemon's
own section must name it (``swift3_filter = s3api``)::

    section, conf = find_swift3_filter('/etc/swift/proxy-server.conf',
                                       daemon_conf.get('swift3_filter', ''),
                                       'swift3compat-lifecycle')
    options = swift3compat.config.load(conf)

Problems raise :class:`swift3compat.config.ConfigError` with the fix in the
message.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from paste.deploy import loadwsgi
from swift.common.utils import readconf
from swift.common.wsgi import loadcontext

from swift3compat.config import ConfigError
from swift3compat.pipeline import Filter, Role

#: The option of a daemon's section that names the swift3 filter section.
OPTION = 'swift3_filter'
_PREFIX = 'filter:'
_USE = 'use = egg:swift3compat#swift3'


@dataclass(frozen=True)
class FilterSection:
    """One ``[filter:NAME]`` section: what it loads, or why it cannot."""

    name: str
    filter: Filter | None = None
    error: str = ''

    @property
    def role(self) -> Role | None:
        return self.filter.role if self.filter else None

    @property
    def section(self) -> str:
        return f'[{_PREFIX}{self.name}]'


def filter_sections(conf_path: str) -> list[FilterSection]:
    """Every ``[filter:*]`` section of a proxy config file (or ``.conf.d``
    directory), each resolved to its factory (importing the filter's module,
    creating nothing)."""
    path = os.path.abspath(conf_path)
    try:
        sections = readconf(path)
    except (OSError, ValueError) as err:
        raise ConfigError(f'cannot read {conf_path}: {err}') from None
    found = []
    for section in sections:
        if not section.startswith(_PREFIX):
            continue
        name = section[len(_PREFIX):]
        try:
            ctx = loadcontext(loadwsgi.FILTER, path, name=name)
            found.append(FilterSection(name, Filter.from_context(ctx)))
        except Exception as err:  # any import or lookup failure of that filter
            found.append(FilterSection(name, error=f'{type(err).__name__}: '
                                                   f'{err}'))
    return found


def _pipeline_names(conf_path: str) -> list[str]:
    try:
        conf = readconf(os.path.abspath(conf_path), 'pipeline:main')
    except ValueError:
        return []
    return conf.get('pipeline', '').split()


def find_swift3_filter(conf_path: str, chosen: str = '',
                       daemon_section: str = 'the daemon\'s section'
                       ) -> tuple[str, dict[str, str]]:
    """``(section name, conf)`` of the swift3 filter of ``conf_path``.

    ``conf`` is what paste.deploy hands the filter's factory (the
    ``[DEFAULT]`` options overlaid with the section's), ready for
    ``config.load``.  ``chosen`` is the value of :data:`OPTION` in the
    daemon's section ``daemon_section`` (empty: find it).
    """
    sections = filter_sections(conf_path)
    swift3 = [s for s in sections if s.role is Role.SWIFT3]
    setting = f'[{daemon_section}] {OPTION}'
    chosen = chosen.strip()
    if chosen:
        name = chosen[len(_PREFIX):] if chosen.startswith(_PREFIX) else chosen
        match = [s for s in sections if s.name == name]
        if not match:
            raise ConfigError(
                f'{setting} = {chosen}: {conf_path} has no [{_PREFIX}{name}] '
                f'section; {_candidates(swift3)}')
        if match[0].role is not Role.SWIFT3:
            what = match[0].error or \
                f'it loads {match[0].filter.factory}'  # type: ignore[union-attr]
            raise ConfigError(
                f'{setting} = {chosen}: {match[0].section} is not the swift3 '
                f'filter ({what}); {_candidates(swift3)}')
        return name, dict(match[0].filter.conf)  # type: ignore[union-attr]
    if len(swift3) > 1:
        in_pipeline = [s for s in swift3 if s.name in _pipeline_names(conf_path)]
        if len(in_pipeline) == 1:
            swift3 = in_pipeline
    if len(swift3) == 1:
        return swift3[0].name, dict(swift3[0].filter.conf)  # type: ignore[union-attr]
    if swift3:
        names = ', '.join(s.section for s in swift3)
        raise ConfigError(
            f'{len(swift3)} sections of {conf_path} load the swift3 filter '
            f'({names}); name the one the proxy runs in {setting}, e.g. '
            f'{OPTION} = {swift3[0].name}')
    broken = [f'{s.section} ({s.error})' for s in sections if s.error]
    unloadable = f'; these sections could not be loaded: {", ".join(broken)}' \
        if broken else ''
    raise ConfigError(
        f'no swift3 filter in {conf_path}: no [filter:*] section loads '
        f'swift3compat; add {_USE} to the section of the S3 filter in the '
        f'proxy pipeline{unloadable}')


def _candidates(swift3: list[FilterSection]) -> str:
    if not swift3:
        return f'no section loads the swift3 filter ({_USE})'
    names = ', '.join(s.name for s in swift3)
    return f'sections that load the swift3 filter: {names}'

