"""Hypothesis budgets for the fuzz suite.

``ci`` (the default) keeps the whole suite to about a minute; ``long`` is
what ``tox -e fuzz`` runs. Choose with ``HYPOTHESIS_PROFILE=long``. No
deadline: a slow example is not a failure here, a hang is (pytest-timeout).
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                     HealthCheck.data_too_large])
settings.register_profile('ci', max_examples=150, **_COMMON)
settings.register_profile('long', max_examples=5000, **_COMMON)
settings.load_profile(os.environ.get('HYPOTHESIS_PROFILE', 'ci'))
