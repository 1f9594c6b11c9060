"""Shared by every suite: the report header names what the functional tests run on."""
from __future__ import annotations

import os
import shutil

import pytest
import swift
from hypothesis import HealthCheck, settings

from swift3compat_dev.cluster import wildcard_localhost_resolves

# Hypothesis budgets for every suite (choose with HYPOTHESIS_PROFILE). ``ci``,
# the default, draws the same examples on every run (derandomize): a red CI
# run is then a change's doing, reproducible on any machine, never a new draw
# of the dice on an unrelated commit. ``long`` (``tox -e fuzz``) explores at
# random and is where new inputs are found; keep what it finds as regression
# inputs (tests/fuzz/corpus, unit cases). No deadline: a slow example is not a
# failure, a hang is (pytest-timeout).
_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                     HealthCheck.data_too_large])
settings.register_profile('ci', max_examples=150, derandomize=True, **_COMMON)
settings.register_profile('long', max_examples=5000, **_COMMON)
settings.load_profile(os.environ.get('HYPOTHESIS_PROFILE', 'ci'))


def pytest_report_header(config: pytest.Config) -> list[str]:
    memcached = shutil.which('memcached') or 'MISSING (Swift tokens will not work)'
    vhosts = 'yes' if wildcard_localhost_resolves() else 'NO (install libnss-myhostname)'
    return [f'swift {swift.__version__}; memcached: {memcached}; '
            f'<bucket>.localhost resolves: {vhosts}']
