"""What one proxy of a ``swift3compat_dev.cluster`` runs: its pipeline, its filter
sections, the tempauth users every preset has, and the INI text of its conf.

Pure description: nothing here starts a process or touches the disk
(``Cluster.proxy_conf`` and ``Cluster.add_proxy`` do). ``swift3compat_dev.cluster``
re-exports these names.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping, Optional, Sequence

from swift3compat_dev.servers import LOOPBACK, ClusterError

_HEAD = ('catch_errors', 'gatekeeper', 'healthcheck', 'proxy-logging', 'cache',
         'listing_formats')
_TAIL = ('tempauth', 'copy', 'slo', 'dlo', 'versioned_writes', 'symlink',
         'proxy-logging')
PIPELINES: Mapping[str, tuple[str, ...]] = {
    'swift3compat': _HEAD + ('swift3',) + _TAIL,
    's3api': _HEAD + ('s3api',) + _TAIL,
    'native': _HEAD + _TAIL,
}


@dataclass(frozen=True)
class TempauthUser:
    """One tempauth user; its S3 access key is ``account:user``, its secret ``key``."""

    account: str
    user: str
    key: str
    groups: tuple[str, ...] = ()

    @property
    def access_key(self) -> str:
        return f'{self.account}:{self.user}'

    @property
    def swift_account(self) -> str:
        return f'AUTH_{self.account}'


TEMPAUTH_USERS: tuple[TempauthUser, ...] = (
    TempauthUser('test', 'tester', 'testing', ('.admin',)),
    TempauthUser('test', 'tester2', 'testing2', ('.admin',)),
    TempauthUser('test', 'tester3', 'testing3'),
    TempauthUser('test2', 'tester2', 'testing2', ('.admin',)),
    TempauthUser('admin', 'admin', 'admin', ('.admin', '.reseller_admin')),
)


@dataclass(frozen=True)
class ProxySpec:
    """What one proxy runs.

    ``s3_options`` go into the preset's S3 filter section (``[filter:swift3]`` or
    ``[filter:s3api]``), ``filters`` adds or replaces whole filter sections,
    ``pipeline`` (filter names, ``proxy-server`` is appended) replaces the preset's,
    ``app_options`` go into ``[app:proxy-server]``. ``workers = 0`` serves in one
    process; ``port = None`` picks a free one.
    """

    name: str = 'proxy'
    preset: str = 'swift3compat'
    s3_options: Mapping[str, str] = field(default_factory=dict)
    filters: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    pipeline: Optional[tuple[str, ...]] = None
    app_options: Mapping[str, str] = field(default_factory=dict)
    workers: int = 0
    host: str = LOOPBACK
    port: Optional[int] = None

    def replacing(self, name: str, new_names: Sequence[str],
                  sections: Mapping[str, Mapping[str, str]]) -> ProxySpec:
        """A copy whose pipeline has ``new_names`` where it had ``name``, with
        ``sections`` added to ``filters`` (options of each ``[filter:NAME]``)."""
        names = self.filter_names()
        if name not in names:
            raise ClusterError(f'{name} is not in the pipeline {names}')
        pipeline = tuple(n for old in names
                         for n in (tuple(new_names) if old == name else (old,)))
        return replace(self, pipeline=pipeline, filters={**self.filters, **sections})

    def filter_names(self) -> tuple[str, ...]:
        if self.pipeline is not None:
            return self.pipeline
        if self.preset not in PIPELINES:
            raise ClusterError(f'unknown pipeline preset {self.preset!r}; '
                               f'known: {", ".join(PIPELINES)}')
        return PIPELINES[self.preset]


def render_ini(sections: list[tuple[str, Mapping[str, str]]]) -> str:
    """INI text, PasteDeploy style (``%`` escaped because Paste interpolates)."""
    lines = []
    for name, options in sections:
        lines.append(f'[{name}]')
        lines.extend(f'{key} = {str(value).replace("%", "%%")}'
                     for key, value in options.items())
        lines.append('')
    return '\n'.join(lines)


def internal_client_sections(swift_dir: str, memcache_servers: str, user: str,
                             filters: tuple[tuple[str, Mapping[str, str]], ...] = ()
                             ) -> list[tuple[str, Mapping[str, str]]]:
    """The sections of a Swift internal client configuration as the sweepers
    use it (no auth filter); ``filters`` are (name, options) put in the
    pipeline before versioned_writes (e.g. the objectlock filter)."""
    extra = ''.join(f'{name} ' for name, _ in filters)
    return [
        ('DEFAULT', {'swift_dir': swift_dir, 'user': user,
                     'log_custom_handlers':
                         'swift3compat_dev.cluster.drop_syslog_handlers'}),
        ('pipeline:main', {'pipeline': 'catch_errors proxy-logging cache '
                                       f'{extra}versioned_writes symlink proxy-server'}),
        ('app:proxy-server', {'use': 'egg:swift#proxy', 'account_autocreate': 'true'}),
        ('filter:catch_errors', {'use': 'egg:swift#catch_errors'}),
        ('filter:proxy-logging', {'use': 'egg:swift#proxy_logging'}),
        ('filter:cache', {'use': 'egg:swift#memcache',
                          'memcache_servers': memcache_servers}),
        *((f'filter:{name}', options) for name, options in filters),
        ('filter:versioned_writes', {'use': 'egg:swift#versioned_writes',
                                     'allow_object_versioning': 'true'}),
        ('filter:symlink', {'use': 'egg:swift#symlink'}),
    ]


def standard_filters(memcache_servers: str, s3_options: Mapping[str, str]
                     ) -> dict[str, dict[str, str]]:
    """The filter sections every preset draws from."""
    tempauth = {'use': 'egg:swift#tempauth'}
    for user in TEMPAUTH_USERS:
        tempauth[f'user_{user.account}_{user.user}'] = ' '.join(
            (user.key,) + user.groups)
    return {
        'catch_errors': {'use': 'egg:swift#catch_errors'},
        'gatekeeper': {'use': 'egg:swift#gatekeeper'},
        'healthcheck': {'use': 'egg:swift#healthcheck'},
        'proxy-logging': {'use': 'egg:swift#proxy_logging'},
        'cache': {'use': 'egg:swift#memcache', 'memcache_servers': memcache_servers},
        'listing_formats': {'use': 'egg:swift#listing_formats'},
        'swift3': {'use': 'egg:swift3compat#swift3', **s3_options},
        's3api': {'use': 'egg:swift#s3api', **s3_options},
        'tempauth': tempauth,
        'copy': {'use': 'egg:swift#copy'},
        'slo': {'use': 'egg:swift#slo', 'max_manifest_segments': '10000'},
        'dlo': {'use': 'egg:swift#dlo'},
        'versioned_writes': {'use': 'egg:swift#versioned_writes',
                             'allow_object_versioning': 'true'},
        'symlink': {'use': 'egg:swift#symlink'},
    }
