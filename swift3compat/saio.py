"""swift3compat-saio: a Swift all-in-one with the swift3 filter, to try S3 clients on.

    swift3compat-saio [--host 127.0.0.1] [--port 8080] [--workers 1]
                      [--data-dir ~/.swift3compat-saio]

The first run builds a one-replica cluster in the data dir (see
``swift3compat.cluster``); later runs reuse it and keep its objects. It starts
memcached, the account (6202), container (6201) and object (6200) servers on
127.0.0.1 and a proxy on ``--host:--port`` whose pipeline has ``swift3`` with
``storage_domain = localhost`` and ``s3_acl = true`` in front of tempauth, prints
ready-to-use s3cmd, awscli and boto3 settings, and runs until Ctrl-C or SIGTERM,
which stop every server. Logs are in ``<data-dir>/log/``. For trying things, not
for production: one device, one replica, tempauth users with well-known keys.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from types import FrameType
from typing import NoReturn, Optional

import swift

from swift3compat.cluster import (TEMPAUTH_USERS, Cluster, ClusterError, ProxySpec,
                                  wildcard_localhost_resolves)
from swift3compat.servers import log_tail

BACKEND_PORTS = {'object': 6200, 'container': 6201, 'account': 6202}
S3_OPTIONS = {'storage_domain': 'localhost', 's3_acl': 'true'}
DEFAULT_DATA_DIR = os.path.join('~', '.swift3compat-saio')
REGION = 'us-east-1'
MAIN_USER = TEMPAUTH_USERS[0]


class _Stop(Exception):
    """Raised by the SIGINT/SIGTERM handler to unwind into the cleanup."""


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='swift3compat-saio',
        description='Run Swift with the swift3 S3 filter on this machine.')
    parser.add_argument('--host', default='127.0.0.1',
                        help='address the proxy listens on (default: %(default)s)')
    parser.add_argument('--port', type=int, default=8080,
                        help='port the proxy listens on (default: %(default)s)')
    parser.add_argument('--data-dir', default=DEFAULT_DATA_DIR,
                        help='configuration, rings, objects and logs '
                             '(default: %(default)s)')
    parser.add_argument('--workers', type=int, default=1,
                        help='worker processes per server (default: %(default)s)')
    parser.add_argument('--keystone', action='store_true',
                        help='authenticate with Keystone (not implemented yet)')
    args = parser.parse_args(argv)
    if args.keystone:
        parser.error('--keystone is not implemented yet; the all-in-one uses tempauth')
    args.data_dir = os.path.abspath(os.path.expanduser(args.data_dir))
    return args


def client_host(host: str) -> str:
    """The name clients should use: ``localhost`` (virtual hosts) when it reaches us."""
    return 'localhost' if host in ('127.0.0.1', '0.0.0.0', 'localhost', '::') else host


def s3cfg(host_port: str, virtual_hosts: bool) -> str:
    host_bucket = f'%(bucket)s.{host_port}' if virtual_hosts else host_port
    return ('[default]\n'
            f'access_key = {MAIN_USER.access_key}\n'
            f'secret_key = {MAIN_USER.key}\n'
            f'host_base = {host_port}\n'
            f'host_bucket = {host_bucket}\n'
            'signature_v2 = False\n'
            'use_https = False\n'
            f'bucket_location = {REGION}\n')


def client_settings(url: str, host_port: str, s3cfg_path: str, virtual_hosts: bool) -> str:
    """What to paste into a shell or a script to use the all-in-one."""
    style = ('virtual-hosted style (<bucket>.localhost)' if virtual_hosts else
             'path style (<bucket>.localhost does not resolve here, or --host is not local)')
    others = ', '.join(f'{u.access_key}/{u.key}' for u in TEMPAUTH_USERS[1:])
    return f'''
==> s3cmd ({style}); saved as {s3cfg_path}, use: s3cmd -c {s3cfg_path} ls
{s3cfg(host_port, virtual_hosts)}
==> awscli
export AWS_ACCESS_KEY_ID={MAIN_USER.access_key}
export AWS_SECRET_ACCESS_KEY={MAIN_USER.key}
export AWS_DEFAULT_REGION={REGION}
aws --endpoint-url {url} s3 ls

==> boto3
import boto3
s3 = boto3.client('s3', endpoint_url='{url}', region_name='{REGION}',
                  aws_access_key_id='{MAIN_USER.access_key}',
                  aws_secret_access_key='{MAIN_USER.key}')

==> other users (access key/secret): {others}
    test:tester3 has no .admin; admin:admin is reseller admin.
'''


def _raise_stop(signum: int, frame: Optional[FrameType]) -> None:
    raise _Stop(signal.Signals(signum).name)


def watch(cluster: Cluster) -> NoReturn:
    """Raise ClusterError when a server dies; the signal handlers raise _Stop."""
    while True:
        for name, server in cluster.servers.items():
            if not server.running:
                raise ClusterError(f'{name} died; end of {server.log_path}:\n'
                                   f'{log_tail(server.log_path)}')
        time.sleep(1)


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)
    cluster = Cluster(args.data_dir, ports=BACKEND_PORTS, workers=args.workers)
    try:
        print(f'swift3compat-saio: starting Swift {swift.__version__} in '
              f'{args.data_dir} (logs in {cluster.log_dir})', flush=True)
        cluster.start()
        proxy = cluster.add_proxy(ProxySpec(
            name='proxy', preset='swift3compat', s3_options=S3_OPTIONS,
            workers=args.workers, host=args.host, port=args.port))
        host = client_host(args.host)
        virtual_hosts = host == 'localhost' and wildcard_localhost_resolves()
        host_port = f'{host}:{proxy.port}'
        s3cfg_path = os.path.join(args.data_dir, 's3cfg')
        with open(s3cfg_path, 'w') as f:
            f.write(s3cfg(host_port, virtual_hosts))
        print(client_settings(f'http://{host_port}', host_port, s3cfg_path,
                              virtual_hosts))
        print(f'swift3compat-saio: ready on http://{host_port} '
              f'(listening on {args.host}); Ctrl-C stops it.', flush=True)
        watch(cluster)
    except _Stop as stop:
        print(f'swift3compat-saio: {stop}, stopping', flush=True)
        return 0
    except ClusterError as err:
        print(f'swift3compat-saio: {err}', file=sys.stderr, flush=True)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # let the stop finish
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        cluster.stop()


if __name__ == '__main__':
    sys.exit(main())
