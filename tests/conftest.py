"""Shared by every suite: the report header names what the functional tests run on."""
from __future__ import annotations

import shutil

import pytest
import swift

from swift3compat_dev.cluster import wildcard_localhost_resolves


def pytest_report_header(config: pytest.Config) -> list[str]:
    memcached = shutil.which('memcached') or 'MISSING (Swift tokens will not work)'
    vhosts = 'yes' if wildcard_localhost_resolves() else 'NO (install libnss-myhostname)'
    return [f'swift {swift.__version__}; memcached: {memcached}; '
            f'<bucket>.localhost resolves: {vhosts}']
