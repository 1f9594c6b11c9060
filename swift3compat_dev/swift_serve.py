"""Serve one Swift WSGI server of a ``swift3compat_dev.cluster`` in the foreground.

``Cluster`` starts each of its servers (account, container, object, every proxy) as::

    python -m swift3compat_dev.swift_serve CONF SECTION

with stderr redirected to ``log/<server>.log``. This is the child's side: it reads the
cluster's swift.conf before Swift loads the app, and ``drop_syslog_handlers`` keeps
Swift's logger off syslog.
"""
from __future__ import annotations

import configparser
import logging
import logging.handlers
import sys
from typing import Mapping, Optional

# What the servers' confs name in ``log_custom_handlers`` (spelled out:
# under ``python -m`` this module's __name__ is __main__).
MODULE = 'swift3compat_dev.swift_serve'
LOG_HOOK = f'{MODULE}.drop_syslog_handlers'


def drop_syslog_handlers(conf: Mapping[str, str], name: str, log_to_console: bool,
                         log_route: str, fmt: str, logger: logging.Logger,
                         adapted_logger: object) -> None:
    """Swift ``log_custom_handlers`` hook: log to stderr only, not to syslog.

    Servers started here run with ``verbose`` (a stderr handler) and stderr
    redirected to ``log/<server>.log``; without this hook Swift would also send
    every line to /dev/log or, where that is missing, to UDP port 514.
    """
    for handler in list(logger.handlers):
        if isinstance(handler, logging.handlers.SysLogHandler):
            logger.removeHandler(handler)
            handler.close()


def serve(conf_path: str, section: str) -> int:
    """Run one Swift WSGI server in the foreground, logging to stderr."""
    from swift.common import constraints, utils
    from swift.common.storage_policy import reload_storage_policies
    from swift.common.wsgi import run_wsgi
    # Swift reads [swift-constraints] and the storage policies once, at
    # import, from /etc/swift: read them from this cluster's swift.conf
    # before the app is loaded.
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(conf_path)
    swift_dir = parser.defaults().get('swift_dir')
    if swift_dir and utils.set_swift_dir(swift_dir):
        constraints.reload_constraints()
        reload_storage_policies()
    return run_wsgi(conf_path, section, verbose=True)


def main(argv: Optional[list[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(f'usage: python -m {MODULE} CONF SECTION', file=sys.stderr)
        return 2
    return serve(args[0], args[1])


if __name__ == '__main__':
    sys.exit(main())
