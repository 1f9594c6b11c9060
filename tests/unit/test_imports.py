"""Every module of swift3compat and swift3compat_dev imports on its own, in
a fresh interpreter: no import cycle, no dependence on what some other module
happened to import first."""
import os
import pkgutil
import subprocess
import sys

import pytest

import swift3compat
import swift3compat_dev

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Modules per interpreter: each module still gets an interpreter of its own
# (the child forks one per module), but Swift's heavy imports are paid once
# per batch, in a parent that has imported nothing of ours.
BATCH = 16

# The child: preload third-party dependencies, then fork once per module so
# that each module is imported into an interpreter that holds nothing of
# swift3compat yet.
_CHILD = r'''
import os, sys, traceback
import swift.common.swob, swift.common.utils, swift.proxy.controllers.base  # noqa
assert not [m for m in sys.modules if m.startswith('swift3compat')], 'preloaded'
failed = 0
for name in sys.argv[1:]:
    pid = os.fork()
    if pid == 0:
        try:
            __import__(name)
        except BaseException:
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    if status:
        print('FAILED: %s' % name, flush=True)
        failed += 1
sys.exit(1 if failed else 0)
'''


def _modules():
    names = []
    for package in (swift3compat, swift3compat_dev):
        names.append(package.__name__)
        for info in pkgutil.walk_packages(package.__path__,
                                          package.__name__ + '.'):
            if not info.name.endswith('__main__'):
                names.append(info.name)
    return sorted(names)


MODULES = _modules()
BATCHES = [MODULES[i:i + BATCH] for i in range(0, len(MODULES), BATCH)]


def test_every_module_is_found():
    assert 'swift3compat.api.multipart.complete' in MODULES
    assert 'swift3compat_dev.saio' in MODULES
    assert len(MODULES) > 50


@pytest.mark.parametrize('names', BATCHES,
                         ids=['%s..%s' % (b[0], b[-1]) for b in BATCHES])
def test_imports_alone(names):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep +
               os.environ.get('PYTHONPATH', ''))
    result = subprocess.run([sys.executable, '-W', 'ignore', '-c', _CHILD] + names,
                            cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
