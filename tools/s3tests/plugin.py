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
