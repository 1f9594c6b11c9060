"""swift3compat-saio: a Swift all-in-one with the swift3 filter, to try S3 clients on.

    swift3compat-saio [--host 127.0.0.1] [--port 8080] [--workers 1]
                      [--data-dir ~/.swift3compat-saio] [--keystone]

The first run builds a one-replica cluster in the data dir (see
``swift3compat_dev.cluster``); later runs reuse it and keep its objects. It starts
memcached, the account (6202), container (6201) and object (6200) servers on
127.0.0.1 and a proxy on ``--host:--port`` whose pipeline has ``swift3`` with
``storage_domain = localhost`` and ``s3_acl = true`` in front of tempauth, prints
ready-to-use s3cmd, awscli, boto3 and rclone settings, and runs until Ctrl-C or SIGTERM,
which stop every server. Logs are in ``<data-dir>/log/``. For trying things, not
for production: one device, one replica, tempauth users with well-known keys.

With ``--keystone`` it also installs (first run: into
``~/.cache/swift3compat/keystone-venv``, about a minute, with a ``[k/n]``
line for each step) and starts a
local Keystone on SQLite, replaces tempauth with ``s3token authtoken
keystoneauth`` -- the classic Keystone pipeline -- and prints the EC2
credentials of two users in two projects (``alice``, ``bob``), as
``openstack ec2 credentials create`` would have made them.
"""
from __future__ import annotations

import argparse
import errno
import fcntl
import json
import os
import shutil
from dataclasses import dataclass
import signal
import sys
import time
from types import FrameType
from typing import NoReturn, Optional

import swift

from swift3compat_dev.cluster import (TEMPAUTH_USERS, Cluster, ClusterError, ProxySpec,
                                      wildcard_localhost_resolves)
from swift3compat_dev.servers import ensure_port_free, log_tail

S3_OPTIONS = {'storage_domain': 'localhost', 's3_acl': 'true'}
DEFAULT_DATA_DIR = os.path.join('~', '.swift3compat-saio')
REGION = 'us-east-1'
MAIN_USER = TEMPAUTH_USERS[0]
KEYSTONEAUTH = {'use': 'egg:swift#keystoneauth', 'operator_roles': 'admin, member'}


@dataclass(frozen=True)
class Credentials:
    """The keys the printed settings use, and a line about the others."""

    access: str
    secret: str
    others: str


TEMPAUTH_CREDENTIALS = Credentials(
    MAIN_USER.access_key, MAIN_USER.key,
    'other users (access key/secret): '
    + ', '.join(f'{u.access_key}/{u.key}' for u in TEMPAUTH_USERS[1:])
    + '\n    test:tester3 has no .admin; admin:admin is reseller admin.')


class _Stop(Exception):
    """Raised by the SIGINT/SIGTERM handler to unwind into the cleanup."""


class UsageError(Exception):
    """Bad input: printed as one line that names the fix, no traceback."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line (not usage + error)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f'{self.prog}: {message} (see {self.prog} --help)\n')


def _number(low: int, high: int, what: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f'{text!r} is not a number') from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f'{value} is not {what}: pick one from {low} to {high}')
        return value
    parse.__name__ = what
    return parse


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    parser = _Parser(
        prog='swift3compat-saio',
        description='Run Swift with the swift3 S3 filter on this machine.')
    parser.add_argument('--host', default='127.0.0.1',
                        help='address the proxy listens on (default: %(default)s)')
    parser.add_argument('--port', type=_number(1, 65535, 'a port'), default=8080,
                        help='port the proxy listens on (default: %(default)s)')
    parser.add_argument('--data-dir', default=DEFAULT_DATA_DIR,
                        help='configuration, rings, objects and logs '
                             '(default: %(default)s)')
    parser.add_argument('--workers', type=_number(0, 64, 'a worker count'),
                        default=1,
                        help='worker processes per server (default: %(default)s)')
    parser.add_argument('--backend-port',
                        type=_number(1, 65533, 'a port for three servers'),
                        default=6200,
                        help='first of the three ports of the object, container and '
                             'account servers (default: %(default)s)')
    parser.add_argument('--keystone', action='store_true',
                        help='authenticate with EC2 credentials of a local Keystone '
                             '(s3token) instead of tempauth')
    args = parser.parse_args(argv)
    args.data_dir = os.path.abspath(os.path.expanduser(args.data_dir))
    return args


def client_host(host: str) -> str:
    """The name clients should use: ``localhost`` (virtual hosts) when it reaches us."""
    # compares a host name, binds nothing (bandit B104)
    return 'localhost' if host in ('127.0.0.1', '0.0.0.0', 'localhost', '::') else host  # nosec B104


def s3cfg(host_port: str, virtual_hosts: bool,
          creds: Credentials = TEMPAUTH_CREDENTIALS) -> str:
    host_bucket = f'%(bucket)s.{host_port}' if virtual_hosts else host_port
    return ('[default]\n'
            f'access_key = {creds.access}\n'
            f'secret_key = {creds.secret}\n'
            f'host_base = {host_port}\n'
            f'host_bucket = {host_bucket}\n'
            'signature_v2 = False\n'
            'use_https = False\n'
            f'bucket_location = {REGION}\n')


RCLONE_REMOTE = 'saio'


def rclone_conf(url: str, creds: Credentials = TEMPAUTH_CREDENTIALS) -> str:
    """An rclone remote ``saio:`` for the all-in-one (path style: it works
    whether or not <bucket>.localhost resolves)."""
    return (f'[{RCLONE_REMOTE}]\n'
            'type = s3\n'
            'provider = Other\n'
            f'access_key_id = {creds.access}\n'
            f'secret_access_key = {creds.secret}\n'
            f'endpoint = {url}\n'
            f'region = {REGION}\n'
            'force_path_style = true\n')


def client_settings(url: str, host_port: str, s3cfg_path: str, virtual_hosts: bool,
                    creds: Credentials = TEMPAUTH_CREDENTIALS,
                    rclone_path: str = 'rclone.conf') -> str:
    """What to paste into a shell or a script to use the all-in-one."""
    style = ('virtual-hosted style (<bucket>.localhost)' if virtual_hosts else
             'path style (<bucket>.localhost does not resolve here, or --host is not local)')
    return f'''
==> s3cmd ({style}); saved as {s3cfg_path}, use: s3cmd -c {s3cfg_path} ls
{s3cfg(host_port, virtual_hosts, creds)}
==> awscli
export AWS_ACCESS_KEY_ID={creds.access}
export AWS_SECRET_ACCESS_KEY={creds.secret}
export AWS_DEFAULT_REGION={REGION}
aws --endpoint-url {url} s3 ls

==> boto3
import boto3
s3 = boto3.client('s3', endpoint_url='{url}', region_name='{REGION}',
                  aws_access_key_id='{creds.access}',
                  aws_secret_access_key='{creds.secret}')

==> rclone; saved as {rclone_path}, use: rclone --config {rclone_path} lsd {RCLONE_REMOTE}:
{rclone_conf(url, creds)}
==> {creds.others}
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


def start_keystone(data_dir: str, spec: ProxySpec):
    """Start a local Keystone; swap tempauth for s3token + keystoneauth."""
    from swift3compat_dev.local_keystone import LocalKeystone
    keystone = LocalKeystone(os.path.join(data_dir, 'keystone'))
    print('swift3compat-saio: preparing Keystone', flush=True)
    keystone.setup(say=lambda line: print(f'swift3compat-saio: Keystone {line}',
                                          flush=True))
    keystone.start()
    spec = spec.replacing('tempauth', ('s3token', 'authtoken', 'keystoneauth'), {
        's3token': keystone.s3token_options(),
        'authtoken': keystone.authtoken_options(),
        'keystoneauth': KEYSTONEAUTH})
    alice, bob = keystone.users['alice'], keystone.users['bob']
    others = (f'Keystone {keystone.url} (admin password {keystone.admin_password})\n'
              f'    EC2 credentials: alice (project {alice.project}) '
              f'{alice.ec2.access}/{alice.ec2.secret}\n'
              f'                     bob (project {bob.project}) '
              f'{bob.ec2.access}/{bob.ec2.secret}\n'
              f'    more: openstack ec2 credentials create (see doc/keystone.md)')
    return keystone, spec, Credentials(alice.ec2.access, alice.ec2.secret, others)


# -- checks before anything starts ------------------------------------------

def prepare_data_dir(path: str) -> bool:
    """Create ``path`` if needed; True when this run creates it (or finds it
    empty), i.e. a failed start may remove it."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f'--data-dir {path} is a file, not a directory; '
                         'pick another --data-dir')
    fresh = not os.path.exists(path) or not os.listdir(path)
    try:
        os.makedirs(path, exist_ok=True)
        probe = os.path.join(path, '.write-test')
        with open(probe, 'w'):
            pass
        os.unlink(probe)
    except OSError as err:
        raise UsageError(f'cannot write in --data-dir {path}: '
                         f'{err.strerror}; pick a writable --data-dir') from None
    return fresh


def lock_data_dir(path: str):
    """Hold ``<path>/saio.pid`` locked while this all-in-one runs: a second one
    on the same data dir would share its ports and files."""
    lock = open(os.path.join(path, 'saio.pid'), 'a+')
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as err:
        if err.errno not in (errno.EAGAIN, errno.EACCES):
            raise
        lock.seek(0)
        pid = lock.read().strip() or '?'
        lock.close()
        raise UsageError(f'another swift3compat-saio is running on this data '
                         f'dir, pid {pid}; stop it or pick another '
                         '--data-dir') from None
    lock.seek(0)
    lock.truncate()
    lock.write(f'{os.getpid()}\n')
    lock.flush()
    return lock


def check_backend_ports(path: str, ports: dict[str, int]) -> None:
    """A data dir's rings name its backend ports: they cannot change."""
    try:
        with open(os.path.join(path, 'cluster.json')) as f:
            built = json.load(f)['ports']
    except (OSError, ValueError, KeyError):
        return
    if built != ports:
        first = min(built.values())
        raise UsageError(
            f'this data dir was built for backend ports '
            f'{"-".join(str(p) for p in (first, first + 2))}; start with '
            f'--backend-port {first} or use a new --data-dir')


def _in_use(err: ClusterError) -> bool:
    return getattr(err.__cause__, 'errno', None) == errno.EADDRINUSE


def check_ports_free(host: str, port: int, ports: dict[str, int]) -> None:
    try:
        ensure_port_free(host, port, 'proxy')
    except ClusterError as err:
        if not _in_use(err):
            raise UsageError(f'cannot listen on {host}:{port} '
                             f'({err.__cause__}); pick another --host or '
                             '--port') from None
        raise UsageError(f'port {port} on {host} is in use; stop what listens '
                         'there or pick another --port') from None
    for name, backend in ports.items():
        try:
            ensure_port_free('127.0.0.1', backend, name)
        except ClusterError as err:
            what = 'is in use; stop what listens there' if _in_use(err) \
                else f'cannot be used ({err.__cause__})'
            raise UsageError(
                f'port {backend} on 127.0.0.1 ({name} server) {what} or pick '
                'another --backend-port (it takes three ports from '
                'there)') from None


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    ports = {name: args.backend_port + offset
             for name, offset in (('object', 0), ('container', 1), ('account', 2))}
    fresh = not os.path.exists(args.data_dir)
    lock = None
    try:
        fresh = prepare_data_dir(args.data_dir)
        lock = lock_data_dir(args.data_dir)
        check_backend_ports(args.data_dir, ports)
        check_ports_free(args.host, args.port, ports)
    except UsageError as err:
        print(f'swift3compat-saio: {err}', file=sys.stderr, flush=True)
        if lock is not None:
            if fresh:   # nothing was built yet: leave nothing behind
                shutil.rmtree(args.data_dir, ignore_errors=True)
            lock.close()
        return 2
    try:
        return run(args, ports, fresh)
    finally:
        lock.close()


def run(args: argparse.Namespace, ports: dict[str, int], fresh: bool) -> int:
    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)
    cluster = Cluster(args.data_dir, ports=ports, workers=args.workers)
    keystone = None
    ready = False
    try:
        print(f'swift3compat-saio: starting Swift {swift.__version__} in '
              f'{args.data_dir} (logs in {cluster.log_dir})', flush=True)
        cluster.start()
        spec = ProxySpec(name='proxy', preset='swift3compat', s3_options=S3_OPTIONS,
                         workers=args.workers, host=args.host, port=args.port)
        creds = TEMPAUTH_CREDENTIALS
        if args.keystone:
            keystone, spec, creds = start_keystone(args.data_dir, spec)
        proxy = cluster.add_proxy(spec)
        host = client_host(args.host)
        virtual_hosts = host == 'localhost' and wildcard_localhost_resolves()
        host_port = f'{host}:{proxy.port}'
        s3cfg_path = os.path.join(args.data_dir, 's3cfg')
        with open(s3cfg_path, 'w') as f:
            f.write(s3cfg(host_port, virtual_hosts, creds))
        rclone_path = os.path.join(args.data_dir, 'rclone.conf')
        with open(rclone_path, 'w') as f:
            f.write(rclone_conf(f'http://{host_port}', creds))
        print(client_settings(f'http://{host_port}', host_port, s3cfg_path,
                              virtual_hosts, creds, rclone_path))
        print(f'swift3compat-saio: ready on http://{host_port} '
              f'(listening on {args.host}); Ctrl-C stops it.', flush=True)
        ready = True
        watch(cluster)
    except _Stop as stop:
        print(f'swift3compat-saio: {stop}, stopping', flush=True)
        return 0
    except (ClusterError, OSError) as err:
        print(f'swift3compat-saio: {err}', file=sys.stderr, flush=True)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # let the stop finish
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        cluster.stop()
        if keystone is not None:
            keystone.stop()
        if fresh and not ready:
            # a first start that failed leaves nothing half-built behind
            shutil.rmtree(args.data_dir, ignore_errors=True)
            print(f'swift3compat-saio: removed {args.data_dir} (its first '
                  'start did not finish)', file=sys.stderr, flush=True)


if __name__ == '__main__':
    sys.exit(main())
