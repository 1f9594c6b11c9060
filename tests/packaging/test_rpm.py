"""Build the swift3compat RPMs from this tree and check them.

Runs ``packaging/rpm/build.sh`` (sdist + ``rpmbuild -ba``) into a temporary
topdir, then ``packaging/rpm/check.sh`` on the binary RPM, and shows that the
check script catches an RPM that lacks what swift3compat must ship. Slow:
run with ``pytest -m rpm tests/packaging``; needs ``rpmbuild``, ``rpm2cpio``
and ``cpio`` (Debian: ``apt-get install rpm rpm2cpio cpio python3-packaging``).
"""
from __future__ import annotations

import os
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
    return {'srpm': Path(out[-2]), 'rpm': Path(out[-1]), 'topdir': topdir}


def query(rpm: Path, *args: str) -> str:
    return run('rpm', '-qp', *args, rpm).stdout


def test_build_produces_a_source_and_a_noarch_package(built):
    assert built['srpm'].name == f'python-swift3compat-{VERSION}-1.src.rpm'
    assert built['rpm'].name == \
        f'python3-swift3compat-{VERSION}-1.noarch.rpm'
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
            'ok: entry point swift3 = swift3compat.middleware:filter_factory',
            'ok: entry point s3token = swift3compat.s3token:filter_factory'):
        assert expected in lines
    for spec in ('egg:swift3compat#swift3', 'egg:swift3compat#s3token'):
        assert [line for line in lines
                if line.startswith(f'ok: {spec} resolves to ')]
    assert lines[-1].endswith('all checks passed')


def test_requires_are_declared(built):
    requires = query(built['rpm'], '--requires').splitlines()
    for name in ('openstack-swift-proxy', 'python3-lxml', 'python3-webob',
                 'python3-paste-deploy', 'python3-keystonemiddleware',
                 'python3-keystoneauth1'):
        assert name in requires


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
                 'entry point swift3 = swift3compat.middleware:filter_factory',
                 'distribution metadata comes from the RPM payload',
                 'egg:swift3compat#swift3'):
        assert [line for line in failed if what in line], what
