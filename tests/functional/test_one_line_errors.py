"""Every bad input to the console scripts answers one clear line naming the
fix, never a traceback; a first start that fails leaves nothing behind.

The scripts run as subprocesses, as an operator runs them.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap

import pytest
from tests.saio_helpers import start, stop

from swift3compat_dev.servers import free_port

SAIO = [sys.executable, '-m', 'swift3compat_dev.saio']
LIFECYCLE = [sys.executable, '-m', 'swift3compat.sweeper']


def one_line(argv: list[str], expected_rc: int) -> str:
    """Run a script that must refuse its input; return its one line."""
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    assert 'Traceback' not in output, output
    assert result.returncode == expected_rc, output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, output
    return lines[0]


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(('127.0.0.1', port))
        except OSError:
            return False
    return True


def backend_ports(*avoid: int) -> int:
    """A first backend port whose three ports are free and not ``avoid``."""
    while True:
        first = free_port()
        ports = range(first, first + 3)
        if first + 2 <= 65535 and not set(ports) & set(avoid) and \
                all(_free(p) for p in ports):
            return first


# -- swift3compat-saio: refused before anything starts ----------------------

def test_data_dir_that_is_a_file(tmp_path):
    path = tmp_path / 'afile'
    path.write_text('')
    assert one_line(SAIO + ['--data-dir', str(path)], 2) == (
        f'swift3compat-saio: --data-dir {path} is a file, not a directory; '
        'pick another --data-dir')


@pytest.mark.parametrize('where,reason', [
    ('under-a-file', 'Not a directory'),
    ('sysfs', 'Operation not permitted'),   # unwritable even for root
])
def test_unwritable_data_dir(tmp_path, where, reason):
    if where == 'under-a-file':
        (tmp_path / 'afile').write_text('')
        path = str(tmp_path / 'afile' / 'saio')
    else:
        path = '/sys/swift3compat-saio-test'
    assert one_line(SAIO + ['--data-dir', path], 2) == (
        f'swift3compat-saio: cannot write in --data-dir {path}: {reason}; '
        'pick a writable --data-dir')


@pytest.mark.parametrize('args,line', [
    (['--port', '70000'], 'argument --port: 70000 is not a port: pick one '
     'from 1 to 65535'),
    (['--port', 'http'], "argument --port: 'http' is not a number"),
    (['--backend-port', '65534'], 'argument --backend-port: 65534 is not a '
     'port for three servers: pick one from 1 to 65533'),
])
def test_bad_numbers(tmp_path, args, line):
    data_dir = tmp_path / 'saio'
    assert one_line(SAIO + ['--data-dir', str(data_dir)] + args, 2) == \
        f'swift3compat-saio: {line} (see swift3compat-saio --help)'
    assert not data_dir.exists()


# -- swift3compat-saio: against a running all-in-one ------------------------

@pytest.fixture(scope='module')
def running(tmp_path_factory):
    data_dir = str(tmp_path_factory.mktemp('running') / 'saio')
    port = free_port()
    backend = backend_ports(port)
    proc, _ = start(data_dir, port, backend)
    yield {'data_dir': data_dir, 'port': port, 'backend': backend,
           'pid': proc.pid, 'proc': proc}
    if proc.poll() is None:
        stop(proc)


def test_second_all_in_one_on_the_same_data_dir(running):
    port = free_port(exclude={running['port']})
    backend = backend_ports(port, running['port'])
    assert one_line(SAIO + ['--data-dir', running['data_dir'], '--port',
                            str(port), '--backend-port', str(backend)],
                    2) == (
        'swift3compat-saio: another swift3compat-saio is running on this '
        f'data dir, pid {running["pid"]}; stop it or pick another --data-dir')
    assert os.path.isdir(running['data_dir'])   # untouched


def test_busy_proxy_port(running, tmp_path):
    data_dir = tmp_path / 'other'
    backend = backend_ports(running['port'], running['backend'],
                            running['backend'] + 1, running['backend'] + 2)
    assert one_line(SAIO + ['--data-dir', str(data_dir), '--port',
                            str(running['port']), '--backend-port',
                            str(backend)], 2) == (
        f'swift3compat-saio: port {running["port"]} on 127.0.0.1 is in use; '
        'stop what listens there or pick another --port')
    assert not data_dir.exists()    # nothing built, nothing left


def test_busy_backend_port(running, tmp_path):
    data_dir = tmp_path / 'other'
    port = free_port(exclude={running['port']})
    assert one_line(SAIO + ['--data-dir', str(data_dir), '--port', str(port),
                            '--backend-port', str(running['backend'])],
                    2) == (
        f'swift3compat-saio: port {running["backend"]} on 127.0.0.1 (object '
        'server) is in use; stop what listens there or pick another '
        '--backend-port (it takes three ports from there)')
    assert not data_dir.exists()


def test_backend_ports_of_an_existing_data_dir(running):
    stop(running['proc'])
    backend = running['backend']
    other = backend_ports(running['port'], backend, backend + 1, backend + 2)
    assert one_line(SAIO + ['--data-dir', running['data_dir'], '--port',
                            str(running['port']), '--backend-port',
                            str(other)], 2) == (
        'swift3compat-saio: this data dir was built for backend ports '
        f'{backend}-{backend + 2}; start with --backend-port {backend} or '
        'use a new --data-dir')
    assert os.path.exists(os.path.join(running['data_dir'], 'cluster.json'))


def test_failed_first_start_removes_what_it_built(tmp_path):
    """A first start that does not finish (here: stopped half-way) removes
    the data dir it was building."""
    data_dir = tmp_path / 'saio'
    port = free_port()
    backend = backend_ports(port)
    proc = subprocess.Popen(SAIO + ['--data-dir', str(data_dir), '--port',
                                    str(port), '--backend-port', str(backend)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    first = proc.stdout.readline()
    assert first.startswith('swift3compat-saio: starting Swift'), first
    assert data_dir.exists()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert 'Traceback' not in out + err, out + err
    assert 'ready on' not in out
    assert f'removed {data_dir}' in err
    assert not data_dir.exists()


# -- swift3compat-lifecycle -------------------------------------------------

def test_lifecycle_missing_config(tmp_path):
    path = tmp_path / 'missing.conf'
    assert one_line(LIFECYCLE + [str(path), '--once'], 1) == (
        f'swift3compat-lifecycle: {path} does not exist; pass the proxy '
        'config, e.g. /etc/swift/proxy-server.conf')


def test_lifecycle_unreadable_config():
    # unreadable even for root: reading it fails with EIO
    assert one_line(LIFECYCLE + ['/proc/self/mem', '--once'], 1) == (
        'swift3compat-lifecycle: cannot read /proc/self/mem: Unable to read '
        'config from /proc/self/mem')


def test_lifecycle_not_a_config(tmp_path):
    path = tmp_path / 'notes.txt'
    path.write_text('remember the milk\n')
    assert one_line(LIFECYCLE + [str(path), '--once'], 1) == (
        f'swift3compat-lifecycle: cannot parse {path}: File contains no '
        'section headers.')


def write_conf(tmp_path, text: str) -> str:
    path = tmp_path / 'proxy-server.conf'
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_lifecycle_without_its_section(tmp_path):
    path = write_conf(tmp_path, '''\
        [filter:swift3]
        use = egg:swift3compat#swift3
        ''')
    assert one_line(LIFECYCLE + [path, '--once'], 1) == (
        f'swift3compat-lifecycle: no [swift3compat-lifecycle] section in '
        f'{path}; add one (an empty section takes the defaults; see '
        'proxy-server.conf-sample)')


def test_lifecycle_without_a_swift3_filter(tmp_path):
    path = write_conf(tmp_path, '''\
        [swift3compat-lifecycle]
        interval = 60
        ''')
    line = one_line(LIFECYCLE + [path, '--once'], 1)
    assert line.startswith('swift3compat-lifecycle: no swift3 filter')
    assert path in line


def test_lifecycle_typo_in_its_section(tmp_path):
    path = write_conf(tmp_path, '''\
        [filter:swift3]
        use = egg:swift3compat#swift3
        [swift3compat-lifecycle]
        chekpoint = 10
        ''')
    assert one_line(LIFECYCLE + [path, '--once'], 1) == (
        "swift3compat-lifecycle: unknown option 'chekpoint' in "
        "[swift3compat-lifecycle]; did you mean 'checkpoint'?")
