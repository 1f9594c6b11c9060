"""pytest plugin loaded into the s3-tests run (``-p tools.s3tests.plugin``).

* Each pytest-xdist worker ``gw<N>`` (N > 0) reads its own S3TEST_CONF,
  ``<conf>-gw<N>.conf`` (tools.s3tests.runner writes one per worker, each with
  its own three accounts): tests that list all of an account's buckets then do
  not see another worker's.
* Each test's markers are recorded as a junit ``<property name="markers">`` so
  that the junit xml alone is enough to group the results (tools.s3tests.report).
"""
from __future__ import annotations

import os
from typing import Any


def pytest_configure(config: Any) -> None:
    worker = getattr(config, 'workerinput', {}).get('workerid', '')
    base = os.environ.get('S3TEST_CONF', '')
    if worker.startswith('gw') and worker != 'gw0' and base:
        root, ext = os.path.splitext(base)
        own = f'{root}-{worker}{ext}'
        if not os.path.exists(own):
            raise RuntimeError(f'no S3TEST_CONF for xdist worker {worker}: {own}')
        os.environ['S3TEST_CONF'] = own


def pytest_collection_modifyitems(items: list[Any]) -> None:
    for item in items:
        names = sorted({mark.name for mark in item.iter_markers()
                        if mark.name not in ('parametrize', 'usefixtures',
                                             'filterwarnings', 'skip', 'skipif')})
        item.user_properties.append(('markers', ','.join(names)))


def pytest_runtest_makereport(item: Any, call: Any) -> None:
    """After a test whose setup or teardown failed, use a new bucket prefix.

    The suite's setup and teardown delete every bucket with the run's prefix and
    fail when one cannot be deleted; without this, one bucket the server cannot
    empty (reported as that test's teardown error) would make every later test of
    the worker error in setup. The undeletable bucket is left behind; the test
    that made it keeps its error.
    """
    if call.when not in ('setup', 'teardown') or call.excinfo is None:
        return
    import sys
    functional = sys.modules.get('s3tests.functional')
    if functional is None or getattr(functional, 'prefix', None) is None:
        return
    old = functional.prefix
    head = old.split('-', 1)[0]
    functional.prefix = functional.choose_bucket_prefix(f'{head}-{{random}}-')
    sys.stderr.write(f'\ns3-tests: {call.when} of {item.name} failed; bucket prefix '
                     f'{old} -> {functional.prefix}\n')
