"""Build and run a small Swift cluster on one machine, one child process per server.

This is tooling, not middleware: operators never put it in a pipeline. It is used by
the functional tests (``tests/functional/conftest.py``), by the all-in-one console
script ``swift3compat-saio`` (``swift3compat_dev/saio.py``) and by benchmarks that run
several proxies on the same rings.

A data dir holds everything; building is idempotent, so a data dir can be reused and
its objects are kept::

    cluster.json             backend ports (kept: the rings name them)
    etc/swift.conf           hash path suffix generated once; storage policies
                             Policy-0 (default) and Policy-1
    etc/*.builder, *.ring.gz account/container/object(-1) rings: 1 replica, 1 device
    etc/<server>-server.conf rewritten at every start
    node/d1/                 the one device (its filesystem needs user xattrs)
    d1.<fstype>.img          its loopback XFS or ext4 image, when ``filesystem`` asks
                             for one (``swift3compat_dev.loopfs``; needs root)
    log/<server>.log         each server's stderr, where its Swift logger writes

Typical use::

    with Cluster('/tmp/c') as cluster:                  # build + start backends
        proxy = cluster.add_proxy(ProxySpec(preset='s3api',
                                            s3_options={'storage_domain': 'localhost'}))
        ... proxy.url ...
        cluster.stop_server('object')                   # fault injection
        cluster.start_server('object')

A proxy is a preset pipeline (``swift3compat``, ``s3api`` or ``native``) plus options;
``ProxySpec.filters`` adds or replaces whole ``[filter:NAME]`` sections and
``ProxySpec.pipeline`` replaces the filter list, e.g. for Keystone::

    ProxySpec().replacing('tempauth', ('s3token', 'authtoken', 'keystoneauth'),
                          {'s3token': {...}, 'authtoken': {...}, 'keystoneauth': {...}})

Each server runs as ``python -m swift3compat_dev.swift_serve CONF SECTION``, supervised
by ``swift3compat_dev.servers.ServerProcess``: its own session (so Swift's
``killpg(0, SIGTERM)`` on shutdown stays inside it), SIGTERM when the thread that
started it dies, SIGTERM then SIGKILL to its process group on ``Cluster.stop`` (also
run at exit). No server outlives its creator. Start clusters from the main thread.
"""
from __future__ import annotations

import atexit
import json
import logging
import os
import pwd
import secrets
import shutil
import socket
import sys
from dataclasses import dataclass
from typing import Mapping, Optional

from swift3compat_dev import swift_serve
from swift3compat_dev.loopfs import LoopFilesystem, LoopfsError, loop_mount_possible
from swift3compat_dev.proxy_spec import (PIPELINES, TEMPAUTH_USERS, ProxySpec, TempauthUser,
                                         render_ini, standard_filters)
from swift3compat_dev.servers import (LOOPBACK, START_TIMEOUT, ClusterError, ServerProcess,
                                      connect_host, free_port, http_answers,
                                      memcached_answers)

__all__ = ['BACKENDS', 'PIPELINES', 'TEMPAUTH_USERS', 'Cluster', 'ClusterError',
           'Proxy', 'ProxySpec', 'TempauthUser', 'check_user_xattrs', 'render_ini',
           'standard_filters', 'wildcard_localhost_resolves']

LOG = logging.getLogger(__name__)
# Confs outside this package name the log hook here: Swift only prints an
# error for a hook it cannot import, and their servers would log to syslog.
drop_syslog_handlers = swift_serve.drop_syslog_handlers

BACKENDS = ('account', 'container', 'object')
PART_POWER = 6
DEVICE = 'd1'


def wildcard_localhost_resolves() -> bool:
    """True when ``<bucket>.localhost`` resolves here (virtual-hosted-style S3).

    glibc resolves only names listed in /etc/hosts; ``*.localhost`` needs
    systemd-resolved or nss-myhostname (Debian: ``libnss-myhostname``).
    """
    try:
        socket.getaddrinfo('swift3compat-probe.localhost', None)
        return True
    except OSError:
        return False


def check_user_xattrs(directory: str) -> None:
    """Raise ClusterError if files in ``directory`` cannot carry user xattrs."""
    probe = os.path.join(directory, '.xattr-probe')
    with open(probe, 'wb'):
        pass
    try:
        os.setxattr(probe, 'user.swift3compat.probe', b'1')
    except OSError as err:
        raise ClusterError(
            f'{directory} is on a filesystem without user extended attributes '
            f'({err.strerror}); Swift keeps object metadata in them. Use a data dir '
            'on ext4, xfs or btrfs (tmpfs only on Linux >= 6.6).') from err
    finally:
        os.unlink(probe)


@dataclass
class Proxy:
    """A started proxy: its spec, where it listens, its process."""

    spec: ProxySpec
    port: int
    conf_path: str
    process: ServerProcess

    @property
    def url(self) -> str:
        return f'http://{connect_host(self.spec.host)}:{self.port}'

    @property
    def pid(self) -> Optional[int]:
        return self.process.pid

    def pids(self) -> list[int]:
        return self.process.pids()


def _current_user() -> str:
    return pwd.getpwuid(os.geteuid()).pw_name


class Cluster:
    """Account, container and object servers, memcached, and any number of proxies.

    ``ports`` fixes the backend ports on first build (the SAIO); by default free
    ports are chosen. ``workers`` applies to the backend servers.

    ``filesystem`` is what the device lives on: ``'dir'`` (a directory of the
    data dir's filesystem), ``'xfs'`` or ``'ext4'`` (a loopback image mounted
    there; ClusterError if that cannot be done), or ``'auto'`` (XFS when it can
    be mounted, as Swift's SAIO runs, else a directory). ``fs_type`` says which.
    """

    def __init__(self, data_dir: str, *, ports: Optional[Mapping[str, int]] = None,
                 workers: int = 0, log_level: str = 'INFO',
                 start_timeout: float = START_TIMEOUT,
                 filesystem: str = 'dir') -> None:
        self.data_dir = os.path.abspath(data_dir)
        self.etc_dir = os.path.join(self.data_dir, 'etc')
        self.devices_dir = os.path.join(self.data_dir, 'node')
        self.log_dir = os.path.join(self.data_dir, 'log')
        self.workers = workers
        self.log_level = log_level
        self.start_timeout = start_timeout
        self._requested_ports = dict(ports) if ports else None
        self.ports: dict[str, int] = {}
        self.servers: dict[str, ServerProcess] = {}
        self.proxies: dict[str, Proxy] = {}
        self.memcache_servers = ''
        self.filesystem = filesystem
        self.loopfs: Optional[LoopFilesystem] = None

    @property
    def fs_type(self) -> str:
        """The device's filesystem: 'xfs', 'ext4' or 'dir' (not a loop mount)."""
        return self.loopfs.fstype if self.loopfs is not None else 'dir'

    def __enter__(self) -> Cluster:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- building -------------------------------------------------------------

    def build(self) -> None:
        """Create the data dir, swift.conf, rings and backend confs (idempotent)."""
        for path in (self.etc_dir, os.path.join(self.devices_dir, DEVICE), self.log_dir):
            os.makedirs(path, exist_ok=True)
        self._mount_device()
        check_user_xattrs(os.path.join(self.devices_dir, DEVICE))
        self.ports = self._load_or_choose_ports()
        self._write_swift_conf()
        for kind in BACKENDS:
            self._build_ring(kind)
            self._write(f'{kind}-server.conf', self._backend_conf(kind))
        # storage policy 1 (Policy-1) on the same object server
        self._build_ring('object', 'object-1')

    def _mount_device(self) -> None:
        fstype = self.filesystem
        if fstype == 'dir':
            return
        if fstype == 'auto':
            why_not = loop_mount_possible('xfs')
            if why_not:
                LOG.info('device on a plain directory, not XFS: %s', why_not)
                return
            fstype = 'xfs'
        fs = LoopFilesystem(os.path.join(self.data_dir, f'{DEVICE}.{fstype}.img'),
                            os.path.join(self.devices_dir, DEVICE), fstype)
        try:
            fs.mount()
        except LoopfsError as err:
            raise ClusterError(f'cannot put the device on {fstype}: {err}') from err
        self.loopfs = fs

    def _load_or_choose_ports(self) -> dict[str, int]:
        state_path = os.path.join(self.data_dir, 'cluster.json')
        if os.path.exists(state_path):
            with open(state_path) as f:
                ports = json.load(f)['ports']
            if self._requested_ports and self._requested_ports != ports:
                raise ClusterError(f'{self.data_dir} was built with backend ports '
                                   f'{ports}, not {self._requested_ports}')
            return ports
        ports = self._requested_ports or {}
        for kind in BACKENDS:
            ports.setdefault(kind, free_port(exclude=ports.values()))
        with open(state_path, 'w') as f:
            json.dump({'ports': ports}, f, indent=2)
        return ports

    def _write(self, name: str, text: str) -> str:
        path = os.path.join(self.etc_dir, name)
        with open(path, 'w') as f:
            f.write(text)
        return path

    def _write_swift_conf(self) -> None:
        path = os.path.join(self.etc_dir, 'swift.conf')
        if os.path.exists(path):
            return
        self._write('swift.conf', render_ini([
            ('swift-hash', {'swift_hash_path_suffix': secrets.token_hex(16)}),
            ('storage-policy:0', {'name': 'Policy-0', 'default': 'yes'}),
            # a second policy, for LocationConstraint -> policy mappings
            ('storage-policy:1', {'name': 'Policy-1'}),
            # S3 clients send long headers (presigned URLs, Keystone tokens)
            ('swift-constraints', {'max_header_size': '16384',
                                   # multipart markers name the 1024-byte key
                                   # and the upload id: u/<key>\x01<id>
                                   'max_object_name_length': '1100'}),
        ]))

    def _build_ring(self, kind: str, name: Optional[str] = None) -> None:
        name = name or kind
        ring_path = os.path.join(self.etc_dir, f'{name}.ring.gz')
        if os.path.exists(ring_path):
            return
        from swift.common.ring import RingBuilder
        builder = RingBuilder(PART_POWER, 1, 1)
        builder.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': LOOPBACK,
                         'port': self.ports[kind], 'device': DEVICE,
                         'weight': 100.0, 'meta': ''})
        builder.rebalance()
        builder.save(os.path.join(self.etc_dir, f'{name}.builder'))
        builder.get_ring().save(ring_path)

    def _default_section(self, name: str, host: str, port: int,
                         workers: int) -> dict[str, str]:
        return {
            'swift_dir': self.etc_dir,
            'bind_ip': host,
            'bind_port': str(port),
            'workers': str(workers),
            'user': _current_user(),
            'log_name': name,
            'log_level': self.log_level,
            'log_custom_handlers': swift_serve.LOG_HOOK,
        }

    def _backend_conf(self, kind: str) -> str:
        default = self._default_section(f'{kind}-server', LOOPBACK, self.ports[kind],
                                        self.workers)
        default.update({'devices': self.devices_dir, 'mount_check': 'false',
                        'disable_fallocate': 'true', 'fallocate_reserve': '0'})
        return render_ini([
            ('DEFAULT', default),
            ('pipeline:main', {'pipeline': f'healthcheck {kind}-server'}),
            (f'app:{kind}-server', {'use': f'egg:swift#{kind}'}),
            ('filter:healthcheck', {'use': 'egg:swift#healthcheck'}),
        ])

    def proxy_conf(self, spec: ProxySpec, port: int) -> str:
        """The proxy-server.conf text for ``spec`` listening on ``port``."""
        names = spec.filter_names()
        available = standard_filters(self.memcache_servers,
                                     spec.s3_options)
        available.update({name: dict(opts) for name, opts in spec.filters.items()})
        missing = sorted(set(names) - set(available))
        if missing:
            raise ClusterError(f'pipeline of {spec.name} names filters without a '
                               f'section: {missing}')
        app = {'use': 'egg:swift#proxy', 'account_autocreate': 'true',
               'allow_account_management': 'true', **spec.app_options}
        sections = [
            ('DEFAULT', self._default_section(spec.name, spec.host, port,
                                              spec.workers)),
            ('pipeline:main', {'pipeline': ' '.join(names + ('proxy-server',))}),
            ('app:proxy-server', app),
        ]
        sections.extend((f'filter:{name}', available[name])
                        for name in dict.fromkeys(names))
        return render_ini(sections)

    # -- running --------------------------------------------------------------

    def start(self) -> None:
        """Build if needed, then start memcached and the backend servers."""
        self.build()
        _RUNNING.add(self)
        self._start_memcached()
        for kind in BACKENDS:
            conf = os.path.join(self.etc_dir, f'{kind}-server.conf')
            self.servers[kind] = self._server(kind, conf, f'{kind}-server',
                                              self.ports[kind])
            self.servers[kind].start()
        for kind in BACKENDS:
            self.servers[kind].wait_ready(self.start_timeout)

    def _server(self, name: str, conf: str, section: str, port: int,
                host: str = LOOPBACK) -> ServerProcess:
        argv = [sys.executable, '-m', swift_serve.MODULE, conf, section]
        return ServerProcess(name, argv, os.path.join(self.log_dir, f'{name}.log'),
                             port, lambda: http_answers(host, port), host)

    def _start_memcached(self) -> None:
        binary = shutil.which('memcached')
        port = free_port(exclude=self._ports_in_use())
        self.memcache_servers = f'{LOOPBACK}:{port}'
        if binary is None:
            LOG.warning('memcached not found: proxies get a cache at %s where nothing '
                        'listens, so Swift tokens (native API) will not work',
                        self.memcache_servers)
            return
        argv = [binary, '-l', LOOPBACK, '-p', str(port), '-U', '0', '-m', '64',
                '-t', '1']
        if os.geteuid() == 0:
            argv += ['-u', 'root']
        server = ServerProcess('memcached', argv,
                               os.path.join(self.log_dir, 'memcached.log'), port,
                               lambda: memcached_answers(port))
        self.servers['memcached'] = server
        server.start()
        server.wait_ready(self.start_timeout)

    def add_proxy(self, spec: ProxySpec) -> Proxy:
        """Write ``etc/<name>-server.conf`` and start a proxy; returns once it answers."""
        if spec.name in self.servers:
            raise ClusterError(f'a server named {spec.name} already exists')
        port = spec.port or free_port(exclude=self._ports_in_use())
        conf = self._write(f'{spec.name}-server.conf', self.proxy_conf(spec, port))
        process = self._server(spec.name, conf, 'proxy-server', port, spec.host)
        proxy = Proxy(spec, port, conf, process)
        self.servers[spec.name] = process
        self.proxies[spec.name] = proxy
        process.start()
        process.wait_ready(self.start_timeout)
        return proxy

    def _ports_in_use(self) -> set[int]:
        return set(self.ports.values()) | {s.port for s in self.servers.values()}

    def stop_server(self, name: str) -> None:
        """Stop one server (``object``, a proxy name, ...); its port stays reserved."""
        self.servers[name].stop()

    def start_server(self, name: str) -> None:
        """Start a stopped server again on the same port; returns once it answers."""
        self.servers[name].start()
        self.servers[name].wait_ready(self.start_timeout)

    def proxy_pids(self) -> dict[str, list[int]]:
        """Per proxy, its main process and workers (for CPU time via /proc)."""
        return {name: proxy.pids() for name, proxy in self.proxies.items()}

    def stop(self) -> None:
        """Stop proxies, then backends, then memcached. Safe to call twice."""
        order = list(self.proxies) + list(BACKENDS) + ['memcached']
        for name in order:
            if name in self.servers:
                self.servers[name].stop()
        if self.loopfs is not None:
            self.loopfs.unmount()
        _RUNNING.discard(self)


_RUNNING: set[Cluster] = set()


@atexit.register
def _stop_running_clusters() -> None:
    for cluster in list(_RUNNING):
        cluster.stop()
