"""Options are declared once and parsed strictly."""
from __future__ import annotations

import os
import re

import pytest

from swift3compat import config
from swift3compat.middleware import filter_factory

SAMPLE = os.path.join(os.path.dirname(__file__), '..', '..', 'etc',
                      'proxy-server.conf-sample')


def test_every_option_is_in_the_sample_with_its_default():
    with open(SAMPLE) as f:
        sample = f.read()
    section = sample.split('\n[filter:swift3]\n', 1)[1].split('\n[', 1)[0]
    for option in config.OPTIONS:
        assert re.search(r'^# %s = %s$' % (re.escape(option.name),
                                           re.escape(option.default)),
                         section, re.M), option.name


def test_defaults():
    conf = config.defaults()
    assert conf.location == 'us-east-1'
    assert conf.allowable_clock_skew == 900
    assert conf.max_upload_part_num == 10000
    assert conf.storage_domain == ()
    assert conf.location_constraints == (('EU', ''),)


def test_location_constraints():
    assert config.location_constraints('EU:gold, eu-west-1 ,x:') == (
        ('EU', 'gold'), ('eu-west-1', ''), ('x', ''))
    assert config.location_constraints('') == ()


@pytest.mark.parametrize('name,value', [
    ('s3_acl', 'flase'), ('max_bucket_listing', '-1'),
    ('max_bucket_listing', 'many'), ('allowable_clock_skew', '0'),
    ('location_constraints', 'EU:gold, eu:silver'),
    ('location_constraints', ':gold'),
    ('location_constraints', 'EU:go ld'),
])
def test_bad_values_stop_the_proxy(name, value):
    with pytest.raises(config.ConfigError, match=name):
        filter_factory({}, **{name: value})


def test_lists_and_booleans():
    conf = config.load({'storage_domain': 'a.example, b.example',
                        's3_acl': 'Yes'})
    assert conf.storage_domain == ('a.example', 'b.example')
    assert conf.s3_acl is True


def test_every_option_is_in_the_readme_table():
    readme = os.path.join(os.path.dirname(SAMPLE), '..', 'README.md')
    with open(readme) as f:
        text = f.read()
    for option in config.OPTIONS:
        assert '| `%s` | `%s` |' % (option.name, option.default) in text, \
            option.name
