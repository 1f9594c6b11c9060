"""Build the swift3compat RPMs from this tree and check them.

Runs ``packaging/rpm/build.sh`` (sdist + ``rpmbuild -ba``, whose ``%check``
runs the unit tests) into a temporary topdir, then ``packaging/rpm/check.sh``
on the binary RPMs, checks their Requires against what an EL9 host resolves,
installs the main RPM's payload into a scratch root and loads both filters
from a proxy config there, and shows that the check script catches an RPM
that lacks what swift3compat must ship. Slow:
run with ``pytest -m rpm tests/packaging``; needs ``rpmbuild``, ``rpm2cpio``
and ``cpio`` (Debian: ``apt-get install rpm rpm2cpio cpio python3-packaging``).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import swift3compat

pytestmark = pytest.mark.rpm

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / 'packaging' / 'rpm' / 'build.sh'
CHECK = ROOT / 'packaging' / 'rpm' / 'check.sh'
VERSION = swift3compat.__version__


def run(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], capture_output=True,
                            text=True,
                            env={**os.environ, 'PYTHON': sys.executable})
    if check and result.returncode:
        pytest.fail(f'{args} exited {result.returncode}:\n{result.stdout}\n'
                    f'{result.stderr}')
    return result


@pytest.fixture(scope='module')
def built(tmp_path_factory) -> dict[str, Path]:
    missing = [t for t in ('rpmbuild', 'rpm2cpio', 'cpio')
               if shutil.which(t) is None]
    if missing:
        pytest.fail(f'{", ".join(missing)} not installed: apt-get install '
                    'rpm rpm2cpio cpio python3-packaging')
    topdir = tmp_path_factory.mktemp('rpm')
    out = run(BUILD, topdir).stdout.split()
    return {'srpm': Path(out[-3]), 'rpm': Path(out[-2]), 'dev': Path(out[-1]),
            'topdir': topdir}


def query(rpm: Path, *args: str) -> str:
    return run('rpm', '-qp', *args, rpm).stdout


def test_build_produces_a_source_and_noarch_packages(built):
    assert built['srpm'].name == f'python-swift3compat-{VERSION}-1.src.rpm'
    assert built['rpm'].name == \
        f'python3-swift3compat-{VERSION}-1.noarch.rpm'
    assert built['dev'].name == \
        f'python3-swift3compat-dev-{VERSION}-1.noarch.rpm'
    assert query(built['rpm'], '--qf', '%{NAME} %{VERSION} %{ARCH} '
                 '%{LICENSE} %{SOURCERPM}') == (
        f'python3-swift3compat {VERSION} noarch Apache-2.0 '
        f'python-swift3compat-{VERSION}-1.src.rpm')


def test_sdist_is_the_rpm_source(built):
    assert (built['topdir'] / 'SOURCES' /
            f'swift3compat-{VERSION}.tar.gz').is_file()
    assert f'swift3compat-{VERSION}.tar.gz' in query(built['srpm'], '-l')


def test_check_script_passes(built):
    result = run(CHECK, built['rpm'])
    lines = result.stdout.splitlines()
    assert not [line for line in lines if line.startswith('FAIL')]
    for expected in (
            'ok: egg-info entry_points.txt',
            'ok: sample config in /usr/share/swift3compat',
            'ok: sample config is %doc',
            'ok: LICENSE is %license',
            'ok: noarch',
            'ok: Requires: openstack-swift-proxy',
            'ok: main package Requires are all in the allowed set',
            'ok: dev package Requires are all in the allowed set',
            'ok: no developer tools in the main package',
            'ok: shebang of /usr/bin/swift3compat-lifecycle is '
            '#!/usr/bin/python3',
            'ok: entry point swift3 = swift3compat.middleware:filter_factory',
            'ok: entry point s3token = swift3compat.s3token:filter_factory'):
        assert expected in lines
    for spec in ('egg:swift3compat#swift3', 'egg:swift3compat#s3token'):
        assert [line for line in lines
                if line.startswith(f'ok: {spec} resolves to ')]
    assert lines[-1].endswith('all checks passed')


def test_check_ran_the_unit_tests(built):
    log = (built['topdir'] / 'rpmbuild.log').read_text()
    assert re.search(r'^\d+ passed', log, re.M), log[-3000:]


# What an EL9 host with RDO resolves: never the build host's interpreter,
# python(abi) of the build host or PyPI names (python3.Xdist(...)).
ALLOWED = re.compile(r'^(/usr/bin/python3|/bin/sh|python3-[\w.+-]+'
                     r'( [<>=]+ \S+)?|openstack-swift-proxy|'
                     r'rpmlib\(\w+\) <= \S+)$')


def test_requires_are_el9_names_only(built):
    requires = query(built['rpm'], '--requires').splitlines()
    print('\n'.join(['python3-swift3compat requires:'] + requires))
    assert [r for r in requires if not ALLOWED.match(r)] == []
    for name in ('/usr/bin/python3', 'openstack-swift-proxy', 'python3-lxml',
                 'python3-webob', 'python3-paste-deploy',
                 'python3-keystonemiddleware', 'python3-keystoneauth1'):
        assert name in requires
    dev = query(built['dev'], '--requires').splitlines()
    print('\n'.join(['python3-swift3compat-dev requires:'] + dev))
    assert [r for r in dev if not ALLOWED.match(r) and r != 'memcached'] == []
    assert f'python3-swift3compat = {VERSION}-1' in dev


def test_dev_tools_are_in_their_own_package(built):
    main = query(built['rpm'], '-l').splitlines()
    dev = query(built['dev'], '-l').splitlines()
    assert '/usr/bin/swift3compat-lifecycle' in main
    assert '/usr/bin/swift3compat-saio' in dev
    assert not [f for f in main if 'swift3compat_dev' in f or
                f.endswith('swift3compat-saio')]
    assert [f for f in dev if f.endswith('/swift3compat_dev/saio.py')]
    assert not [f for f in dev if '/swift3compat/' in f]
    for unit in ('service', 'timer'):
        assert f'/usr/lib/systemd/system/swift3compat-lifecycle.{unit}' \
            in main


PROXY_CONF = """\
[DEFAULT]
bind_port = 8080
[pipeline:main]
pipeline = catch_errors gatekeeper proxy-logging cache swift3 s3token
    keystoneauth copy slo dlo versioned_writes symlink proxy-logging
    proxy-server
[app:proxy-server]
use = egg:swift#proxy
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:cache]
use = egg:swift#memcache
[filter:keystoneauth]
use = egg:swift#keystoneauth
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
[filter:versioned_writes]
use = egg:swift#versioned_writes
allow_object_versioning = true
[filter:symlink]
use = egg:swift#symlink
[filter:swift3]
use = egg:swift3compat#swift3
s3_acl = true
[filter:s3token]
use = egg:swift3compat#s3token
auth_uri = http://keystone.invalid:5000/v3
auth_type = password
auth_url = http://keystone.invalid:5000/v3
username = swift
password = secret
user_domain_name = Default
system_scope = all
memcache_secret_key = a long random string for the test
"""

LOAD_FILTERS = """\
import sys
from paste.deploy import loadfilter

root, conf = sys.argv[1:]


def app(environ, start_response):
    start_response('200 OK', [])
    return [b'']


for name in ('swift3', 's3token'):
    # the swift3 factory runs the pipeline check on this config too
    middleware = loadfilter('config:' + conf, name=name)(app)
    module = sys.modules[type(middleware).__module__]
    assert module.__file__.startswith(root), module.__file__
    print(name, type(middleware).__name__, module.__file__)
assert not [m for m in sys.modules if m.startswith('swift3compat_dev')]
"""


def test_payload_installs_into_a_scratch_root_and_both_filters_load(
        built, tmp_path):
    """The main RPM's files, alone (no source tree, no -dev package), are a
    working install: a proxy config loads both filters from them."""
    root = tmp_path / 'root'
    root.mkdir()
    subprocess.run(f'rpm2cpio {built["rpm"]} | cpio -idm --quiet',
                   shell=True, cwd=root, check=True)  # nosec B602
    [site] = root.glob('usr/lib/python3*/site-packages')
    assert site.parent.name == 'python3.9'    # EL9's python3
    conf = root / 'etc' / 'swift' / 'proxy-server.conf'
    conf.parent.mkdir(parents=True)
    conf.write_text(PROXY_CONF)
    result = subprocess.run(
        [sys.executable, '-c', LOAD_FILTERS, str(root), str(conf)],
        cwd=root, capture_output=True, text=True,
        env={**os.environ, 'PYTHONPATH': str(site)})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [
        ['swift3', 'Swift3Middleware'], ['s3token', 'S3Token']]


def test_check_script_catches_an_incomplete_package(tmp_path):
    """An RPM with only the package's __init__.py fails every other check."""
    spec = tmp_path / 'broken.spec'
    spec.write_text(textwrap.dedent(f'''\
        Name: python3-swift3compat
        Version: {VERSION}
        Release: 0
        Summary: incomplete on purpose
        License: Apache-2.0
        BuildArch: noarch
        Requires: /root/.pyenv/versions/3.11.7/bin/python3
        Requires: python(abi) = 3.11
        %description
        incomplete on purpose
        %install
        mkdir -p %{{buildroot}}/usr/lib/python3.11/site-packages/swift3compat
        echo "__version__ = '{VERSION}'" > \\
            %{{buildroot}}/usr/lib/python3.11/site-packages/swift3compat/__init__.py
        %files
        /usr/lib/python3.11/site-packages/swift3compat/
        '''))
    run('rpmbuild', '-bb', '--nodeps', '--define', f'_topdir {tmp_path}',
        spec)
    [rpm] = (tmp_path / 'RPMS' / 'noarch').glob('*.rpm')
    result = run(CHECK, rpm, check=False)
    assert result.returncode == 1
    failed = [line for line in result.stdout.splitlines()
              if line.startswith('FAIL: ')]
    assert 'ok: package swift3compat' in result.stdout
    for what in ('egg-info entry_points.txt',
                 'sample config in /usr/share/swift3compat',
                 'sample config is not %doc', 'LICENSE is not %license',
                 'no Requires: openstack-swift-proxy',
                 'main package Requires outside the allowed set: '
                 '/root/.pyenv/versions/3.11.7/bin/python3 python(abi) = 3.11',
                 'no dev package',
                 'entry point swift3 = swift3compat.middleware:filter_factory',
                 'distribution metadata comes from the RPM payload',
                 'egg:swift3compat#swift3'):
        assert [line for line in failed if what in line], what
