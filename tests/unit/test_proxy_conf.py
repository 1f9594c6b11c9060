"""Daemons find the swift3 filter of the proxy config by what it loads."""
from __future__ import annotations

import subprocess
import sys

import pytest

from swift3compat import config
from swift3compat.sweeper import lifecycle as sweeper
from swift3compat.sweeper import proxy_conf

PIPELINE = 'catch_errors gatekeeper cache {s3} tempauth copy slo proxy-server'
HEAD = """[DEFAULT]
swift_dir = /etc/swift
lifecycle_day_seconds = 7

[pipeline:main]
pipeline = {pipeline}

[app:proxy-server]
use = egg:swift#proxy

[filter:catch_errors]
use = egg:swift#catch_errors

[filter:gatekeeper]
use = egg:swift#gatekeeper

[filter:cache]
use = egg:swift#memcache

[filter:tempauth]
use = egg:swift#tempauth

[filter:copy]
use = egg:swift#copy

[filter:slo]
use = egg:swift#slo
"""


def write(tmp_path, s3: str = 's3api', sections: str = '', **kw) -> str:
    text = HEAD.format(pipeline=kw.get('pipeline', PIPELINE.format(s3=s3)))
    path = tmp_path / 'proxy-server.conf'
    path.write_text(text + sections)
    return str(path)


@pytest.mark.parametrize('spelling', [
    'use = egg:swift3compat#swift3',
    'paste.filter_factory = swift3compat.middleware:filter_factory',
    'use = call:swift3compat.middleware:filter_factory',
])
def test_found_under_the_s3api_name(tmp_path, spelling):
    path = write(tmp_path, sections=f"""
[filter:s3api]
{spelling}
lifecycle_registry_account = .registry
""")
    name, conf = proxy_conf.find_swift3_filter(path)
    assert name == 's3api'
    options = config.load(conf)
    # the section's options overlay [DEFAULT]'s, as paste hands them over
    assert (options.lifecycle_registry_account,
            options.lifecycle_day_seconds) == ('.registry', 7)


def test_section_inheriting_with_use(tmp_path):
    path = write(tmp_path, s3='s3', sections="""
[filter:base]
use = egg:swift3compat#swift3
lifecycle_registry_account = .base

[filter:s3]
use = base
""")
    name, conf = proxy_conf.find_swift3_filter(path)
    # both load it; the one in the pipeline wins
    assert name == 's3'
    assert config.load(conf).lifecycle_registry_account == '.base'


def test_swifts_own_s3api_is_not_it(tmp_path):
    path = write(tmp_path, sections="""
[filter:s3api]
use = egg:swift#s3api
""")
    with pytest.raises(config.ConfigError) as err:
        proxy_conf.find_swift3_filter(path, '', 'swift3compat-lifecycle')
    message = str(err.value)
    assert message.startswith('no swift3 filter in ')
    assert 'use = egg:swift3compat#swift3' in message


def test_several_not_decided_by_the_pipeline(tmp_path):
    path = write(tmp_path, pipeline='catch_errors proxy-server', sections="""
[filter:swift3]
use = egg:swift3compat#swift3

[filter:s3api]
use = egg:swift3compat#swift3
""")
    with pytest.raises(config.ConfigError) as err:
        proxy_conf.find_swift3_filter(path, '', 'swift3compat-lifecycle')
    message = str(err.value)
    assert '2 sections' in message and '[filter:s3api]' in message
    assert '[swift3compat-lifecycle] swift3_filter' in message
    # ... which the option settles, with or without "filter:"
    for chosen in ('s3api', 'filter:s3api'):
        assert proxy_conf.find_swift3_filter(path, chosen)[0] == 's3api'


def test_several_decided_by_the_pipeline(tmp_path):
    path = write(tmp_path, sections="""
[filter:swift3]
use = egg:swift3compat#swift3
lifecycle_registry_account = .one

[filter:s3api]
use = egg:swift3compat#swift3
lifecycle_registry_account = .two
""")
    name, conf = proxy_conf.find_swift3_filter(path)
    assert (name, config.load(conf).lifecycle_registry_account) == \
        ('s3api', '.two')
    # the option still overrides
    name, conf = proxy_conf.find_swift3_filter(path, 'swift3')
    assert (name, config.load(conf).lifecycle_registry_account) == \
        ('swift3', '.one')


def test_option_naming_a_wrong_section(tmp_path):
    path = write(tmp_path, sections="""
[filter:s3api]
use = egg:swift3compat#swift3
""")
    with pytest.raises(config.ConfigError) as err:
        proxy_conf.find_swift3_filter(path, 'swift3', 'swift3compat-lifecycle')
    assert 'has no [filter:swift3] section' in str(err.value)
    assert 'load the swift3 filter: s3api' in str(err.value)
    with pytest.raises(config.ConfigError) as err:
        proxy_conf.find_swift3_filter(path, 'cache', 'swift3compat-lifecycle')
    assert '[filter:cache] is not the swift3 filter' in str(err.value)


def test_unloadable_sections_are_named_when_nothing_is_found(tmp_path):
    path = write(tmp_path, sections="""
[filter:s3api]
use = egg:swift3compat#main
""")
    with pytest.raises(config.ConfigError) as err:
        proxy_conf.find_swift3_filter(path)
    assert "[filter:s3api] (LookupError: Entry point 'main'" in str(err.value)


def test_conf_d_directory(tmp_path):
    conf_d = tmp_path / 'proxy-server.conf.d'
    conf_d.mkdir()
    (conf_d / '00-base.conf').write_text(HEAD.format(
        pipeline=PIPELINE.format(s3='s3api')))
    (conf_d / '10-s3.conf').write_text(
        '[filter:s3api]\nuse = egg:swift3compat#swift3\n')
    assert proxy_conf.find_swift3_filter(str(conf_d))[0] == 's3api'


def test_sweeper_reads_the_filter_it_finds(tmp_path, monkeypatch):
    path = write(tmp_path, sections="""
[filter:s3api]
use = egg:swift3compat#swift3
lifecycle_registry_account = .lc

[swift3compat-lifecycle]
""")

    class Client:
        pass
    monkeypatch.setattr(sweeper, 'set_swift_dir', lambda _dir: None)
    swept = sweeper.Sweeper({'__file__': path}, client=Client())
    assert (swept.s3_section, swept.registry, swept.day) == ('s3api', '.lc', 7)


def test_sweeper_says_what_to_fix(tmp_path):
    path = write(tmp_path, sections="""
[filter:s3api]
use = egg:swift#s3api

[swift3compat-lifecycle]
""")
    proc = subprocess.run([sys.executable, '-m', 'swift3compat.sweeper', path,
                           '--once'], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert 'Traceback' not in proc.stderr
    assert proc.stderr.startswith('swift3compat-lifecycle: no swift3 filter '
                                  'in '), proc.stderr


def test_bad_values_name_the_section_they_are_in(tmp_path):
    path = write(tmp_path, sections="""
[filter:s3api]
use = egg:swift3compat#swift3
s3_acl = flase
""")
    with pytest.raises(config.ConfigError) as err:
        config.load(proxy_conf.find_swift3_filter(path)[1])
    assert str(err.value).startswith("[filter:s3api] s3_acl = 'flase' is invalid")
