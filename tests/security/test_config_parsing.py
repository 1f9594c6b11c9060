"""Options are parsed strictly: a typo stops the proxy instead of meaning 'on'.

Row: CVE-2015-1852 (keystonemiddleware's s3_token read ``insecure = false``
as true and silently disabled TLS verification). swift3's own boolean
options are checked here; s3token's ``insecure`` is checked in
tests/unit/test_s3token.py (test_insecure_*, the bad-value table).
"""
from __future__ import annotations

import pytest

from swift3compat import config

BOOLEANS = [o.name for o in config.OPTIONS if o.parse is config.boolean]


@pytest.mark.parametrize('name', BOOLEANS)
@pytest.mark.parametrize('value', ['false', 'False', 'FALSE', '0', 'no', 'off', ''])
def test_false_spellings_are_false(name, value):
    assert getattr(config.load({name: value}), name) is False


@pytest.mark.parametrize('name', BOOLEANS)
@pytest.mark.parametrize('value', ['true', 'True', '1', 'yes', 'on'])
def test_true_spellings_are_true(name, value):
    assert getattr(config.load({name: value}), name) is True


@pytest.mark.parametrize('name', BOOLEANS)
@pytest.mark.parametrize('value', ['flase', 'ture', 'maybe', '2', 'false # comment', 'none'])
def test_unknown_values_stop_the_proxy(name, value):
    with pytest.raises(config.ConfigError) as exc:
        config.load({name: value})
    assert name in str(exc.value)


def test_there_are_boolean_options():
    assert 's3_acl' in BOOLEANS
