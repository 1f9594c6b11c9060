"""The sweeper's options: declared once, in the sample, parsed strictly;
buckets split between sweepers."""
from __future__ import annotations

import os
import re

import pytest

from swift3compat import config
from swift3compat.sweeper import config as sweeper_config
from swift3compat.sweeper import lifecycle as sweeper

SAMPLE = os.path.join(os.path.dirname(__file__), '..', '..', 'etc',
                      'proxy-server.conf-sample')


def test_every_option_is_in_the_sample_with_its_default():
    with open(SAMPLE) as f:
        sample = f.read()
    section = sample.split('\n[%s]\n' % sweeper_config.SECTION, 1)[1] \
        .split('\n[', 1)[0]
    for option in sweeper_config.OPTIONS:
        value = ' ' + re.escape(option.default) if option.default else ''
        assert re.search(r'^# %s =%s$' % (re.escape(option.name), value),
                         section, re.M), option.name


def test_defaults():
    options = sweeper_config.load_options({})
    assert (options.interval, options.processes, options.process,
            options.checkpoint) == (3600, 1, 0, 1000)
    assert options.internal_client_conf_path == \
        '/etc/swift/internal-client.conf'


@pytest.mark.parametrize('values', [
    {'interval': '0'}, {'processes': '0'}, {'process': '-1'},
    {'processes': '2', 'process': '2'}, {'checkpoint': 'many'},
])
def test_bad_values(values):
    with pytest.raises(config.ConfigError):
        sweeper_config.load_options(values)


def test_processes_split_the_buckets():
    names = ['AUTH_test/bucket-%d' % i for i in range(200)]
    shares = [{n for n in names if sweeper.owned(n, 3, p)} for p in range(3)]
    assert set().union(*shares) == set(names)
    assert sum(len(s) for s in shares) == len(names)
    assert all(shares)


def test_state_parsing():
    assert sweeper.State.parse(None) == sweeper.State()
    assert sweeper.State.parse('garbage') == sweeper.State()
    assert sweeper.State.parse('{"rules": "h", "marker": "m", '
                               '"reconciled": "h"}') == \
        sweeper.State('h', 'm', 'h')


def test_stats_line_and_sum():
    total = sweeper.Stats()
    total.add(sweeper.Stats(buckets=1, expired=2))
    total.add(sweeper.Stats(buckets=1, stamped=1))
    assert 'buckets=2 expired=2 ' in total.line()
    assert 'stamped=1 ' in total.line()
