"""pytest plugin loaded into the s3-tests run (``-p tools.s3tests.plugin``).

It records each test's markers as a junit ``<property name="markers">`` so that
the junit xml alone is enough to group the results (``tools.s3tests.report``).
"""
from __future__ import annotations

from typing import Any


def pytest_collection_modifyitems(items: list[Any]) -> None:
    for item in items:
        names = sorted({mark.name for mark in item.iter_markers()
                        if mark.name not in ('parametrize', 'usefixtures',
                                             'filterwarnings', 'skip', 'skipif')})
        item.user_properties.append(('markers', ','.join(names)))
