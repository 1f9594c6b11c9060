"""The lifecycle sweeper's configuration: its options and the checks run
before it starts (split from ``lifecycle.py``, issue #17).

``[swift3compat-lifecycle]`` of the proxy config holds ``OPTIONS`` (and
Swift's daemon options); ``swift3_conf`` finds the proxy's swift3 filter
whose ``lifecycle_day_seconds`` and ``lifecycle_registry_account`` the
sweeper shares; ``check_config`` checks all of it so that a bad config is
one line (``ConfigError``), never a traceback.
"""
from __future__ import annotations

import configparser
import os
from typing import Dict, List, Mapping, Tuple

from swift.common.utils import readconf

from swift3compat import config
from swift3compat.sweeper import proxy_conf

SECTION = 'swift3compat-lifecycle'

OPTIONS: List[config.Option] = [
    config.Option('internal_client_conf_path', config.text,
                  '/etc/swift/internal-client.conf',
                  'Proxy configuration of the internal client the sweeper '
                  'uses (no auth; versioned_writes and symlink for '
                  'versioned buckets).'),
    config.Option('interval', config.integer(1), '3600',
                  'Seconds between the starts of two passes (daemon mode).'),
    config.Option('processes', config.integer(1), '1',
                  'Number of sweepers sharing the buckets (e.g. one per '
                  'node).'),
    config.Option('process', config.integer(0), '0',
                  'Which share this sweeper takes, 0 to processes - 1.'),
    config.Option('checkpoint', config.integer(1), '1000',
                  'Objects between two saves of a bucket\'s progress.'),
    config.Option('request_tries', config.integer(1), '3',
                  'Attempts of each internal request.'),
    config.Option(proxy_conf.OPTION, config.text, '',
                  'Name of the swift3 filter section of this file (e.g. '
                  's3api for [filter:s3api]); empty: the section that loads '
                  'egg:swift3compat#swift3, which must be the only one or the '
                  'only one in [pipeline:main].'),
]


def check_option_names(conf_path: str) -> None:
    """Refuse an unknown name in the sweeper's own section of
    ``conf_path`` (Swift's daemon options stay allowed)."""
    config.check_names(config.section_names(conf_path, SECTION),
                       {o.name for o in OPTIONS}, SECTION,
                       allowed=config.DAEMON_NAMES)


def swift3_conf(conf_path: str, chosen: str = '') -> Tuple[str, Dict[str, str]]:
    """The proxy's swift3 filter (the sweeper shares its
    lifecycle_day_seconds and lifecycle_registry_account): its section name
    and the conf paste hands its factory.  Found by what it loads, whatever
    the section is called (``swift3compat.sweeper.proxy_conf``); ``chosen``
    is ``swift3_filter`` of the sweeper's section."""
    return proxy_conf.find_swift3_filter(conf_path, chosen, SECTION)


def check_config(conf_path: str) -> None:
    """Everything the sweeper reads, checked before it starts, so that a
    bad config is one line (ConfigError), never a traceback."""
    if not os.path.exists(conf_path):
        raise config.ConfigError(
            f'{conf_path} does not exist; pass the proxy config, e.g. '
            '/etc/swift/proxy-server.conf')
    try:
        conf = readconf(conf_path, SECTION)
    except configparser.Error as err:
        raise config.ConfigError(
            f'cannot parse {conf_path}: '
            f'{str(err).splitlines()[0]}') from None
    except ValueError:
        raise config.ConfigError(
            f'no [{SECTION}] section in {conf_path}; add one (an empty '
            'section takes the defaults; see proxy-server.conf-sample)'
        ) from None
    except OSError as err:
        raise config.ConfigError(
            f'cannot read {conf_path}: {err}') from None
    check_option_names(conf_path)
    options = load_options(conf)
    config.load(swift3_conf(conf_path, getattr(options, proxy_conf.OPTION))[1])


def load_options(conf: Mapping[str, str]) -> config.Config:
    """The sweeper's options from its section (``conf``), strictly."""
    values = config.parse_values(OPTIONS, conf, SECTION)
    if values['process'] >= values['processes']:
        raise config.ConfigError('[%s] process must be below processes'
                                 % SECTION)
    return config.Config(values, conf)
