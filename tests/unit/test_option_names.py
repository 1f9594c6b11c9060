"""Misspelled option names stop the proxy (and the sweeper) with the
suggestion; the names Swift and paste.deploy read in any section stay
allowed, and [DEFAULT] values never count as a section's own."""
from __future__ import annotations

import logging
import textwrap

import pytest
from paste.deploy import loadapp

from swift3compat import config
from swift3compat.s3token import middleware as s3token
from swift3compat.s3token import options as s3token_options
from swift3compat.sweeper import config as sweeper_config
from swift3compat.middleware import filter_factory as swift3_factory

S3TOKEN_CONF = {
    'auth_uri': 'http://keystone.invalid:5000/v3', 'auth_type': 'password',
    'auth_url': 'http://keystone.invalid:5000/v3', 'username': 'swift',
    'password': 'secret', 'user_domain_name': 'Default',
    'system_scope': 'all', 'memcache_secret_key': 'x' * 32,
}


@pytest.fixture(autouse=True)
def keep_loggers():
    """Swift's get_logger stops the filters' loggers from propagating:
    undo that, so that later tests can still capture them."""
    names = ('swift3', 's3token', 's3-frontend', 's3tok')
    saved = {n: (logging.getLogger(n).propagate,
                 list(logging.getLogger(n).handlers)) for n in names}
    yield
    for name, (propagate, handlers) in saved.items():
        logger = logging.getLogger(name)
        logger.propagate = propagate
        logger.handlers[:] = handlers


def app_factory(global_conf, **local_conf):
    """A trivial app for paste.deploy pipelines."""
    def app(environ, start_response):
        start_response('200 OK', [])
        return [b'']
    return app


# -- the one mechanism --------------------------------------------------------

def test_unknown_name_with_a_suggestion():
    with pytest.raises(config.UnknownOptionError) as exc:
        config.check_names(['s3acl'], config.OPTIONS_BY_NAME,
                           'filter:swift3')
    assert str(exc.value) == \
        "unknown option 's3acl' in [filter:swift3]; did you mean 's3_acl'?"


def test_unknown_name_without_a_close_match_has_no_suggestion():
    with pytest.raises(config.UnknownOptionError) as exc:
        config.check_names(['colour'], config.OPTIONS_BY_NAME,
                           'filter:swift3')
    assert str(exc.value) == "unknown option 'colour' in [filter:swift3]"


@pytest.mark.parametrize('name', [
    'use', '__name__', 'log_level', 'log_facility', 'log_statsd_host',
    'log_headers', 'statsd_label_mode', 'paste.filter_factory'])
def test_names_swift_reads_in_any_filter_section_are_allowed(name):
    assert config.check_names([name], config.OPTIONS_BY_NAME,
                              'filter:swift3') == []


# -- [filter:swift3] ----------------------------------------------------------

@pytest.mark.parametrize('typo,meant', [
    ('s3acl', 's3_acl'), ('storage_domian', 'storage_domain'),
    ('max_bucket_listings', 'max_bucket_listing'),
    ('allow_multipart_upload', 'allow_multipart_uploads')])
def test_swift3_typo_stops_the_filter(typo, meant):
    with pytest.raises(config.ConfigError) as exc:
        swift3_factory({}, auth_pipeline_check='false', **{typo: 'true'})
    assert str(exc.value) == ("unknown option %r in [filter:swift3]; did you "
                              "mean %r?" % (typo, meant))


def test_swift3_message_names_the_operators_section():
    with pytest.raises(config.ConfigError) as exc:
        swift3_factory({}, __name__='s3api', auth_pipeline_check='false',
                       s3acl='true')
    assert "in [filter:s3api];" in str(exc.value)


def test_swift3_ignored_s3api_options_are_accepted():
    assert config.check_filter_names({'ratelimit_as_client_error': 'true'}) \
        == ["option 'ratelimit_as_client_error' in [filter:swift3] is "
            "ignored (s3api option; not supported)"]


def test_default_section_values_are_not_the_filters_own():
    """paste.deploy gives a factory the [DEFAULT] values in global_conf:
    they belong to every section and are never checked."""
    swift3_factory({'workers': '2', 'bind_port': '8080', 's3acl': 'x'},
                   auth_pipeline_check='false')


def write_proxy_conf(tmp_path, swift3_lines: str, s3token_lines: str = ''):
    path = tmp_path / 'proxy-server.conf'
    path.write_text(textwrap.dedent('''\
        [DEFAULT]
        bind_port = 8080
        workers = 1
        log_level = INFO
        memcache_servers = 127.0.0.1:11211
        node_timeout = 10

        [pipeline:main]
        pipeline = swift3 %s app

        [app:app]
        paste.app_factory = tests.unit.test_option_names:app_factory

        [filter:swift3]
        use = egg:swift3compat#swift3
        auth_pipeline_check = false
        set log_name = s3-frontend
        log_facility = LOG_LOCAL1
        ''') % ('s3token' if s3token_lines else '')
        + textwrap.dedent(swift3_lines)
        + ('\n[filter:s3token]\nuse = egg:swift3compat#s3token\n'
           + textwrap.dedent(s3token_lines) if s3token_lines else ''))
    return str(path)


def test_paste_loadapp_accepts_defaults_set_and_log_names(tmp_path):
    s3token_lines = ''.join('%s = %s\n' % item
                            for item in S3TOKEN_CONF.items())
    app = loadapp('config:' + write_proxy_conf(
        tmp_path, 's3_acl = true\n', s3token_lines + 'log_name = s3tok\n'))
    assert app is not None


def test_paste_loadapp_refuses_a_typo(tmp_path):
    with pytest.raises(config.ConfigError) as exc:
        loadapp('config:' + write_proxy_conf(tmp_path, 's3acl = true\n'))
    assert str(exc.value) == \
        "unknown option 's3acl' in [filter:swift3]; did you mean 's3_acl'?"


def test_paste_loadapp_refuses_an_s3token_typo(tmp_path):
    s3token_lines = ''.join('%s = %s\n' % item
                            for item in S3TOKEN_CONF.items())
    with pytest.raises(s3token_options.S3TokenConfigError) as exc:
        loadapp('config:' + write_proxy_conf(
            tmp_path, '', s3token_lines + 'http_timout = 5\n'))
    assert str(exc.value) == ("unknown option 'http_timout' in "
                              "[filter:s3token]; did you mean "
                              "'http_timeout'?")


# -- [filter:s3token] ---------------------------------------------------------

@pytest.mark.parametrize('typo,meant', [
    ('http_timout', 'http_timeout'),
    ('secret_cache_durration', 'secret_cache_duration'),
    ('user_domain_nmae', 'user_domain_name'),   # a keystoneauth1 option
    ('pasword', 'password')])
def test_s3token_typo_stops_the_filter(typo, meant):
    with pytest.raises(s3token_options.S3TokenConfigError) as exc:
        s3token.filter_factory({}, **S3TOKEN_CONF, **{typo: '5'})
    assert str(exc.value) == ("unknown option %r in [filter:s3token]; did "
                              "you mean %r?" % (typo, meant))


def test_s3token_plugin_options_follow_auth_type():
    conf = dict(S3TOKEN_CONF, auth_type='v3applicationcredential',
                application_credential_id='id',
                application_credential_secret='secret')
    del conf['password'], conf['system_scope']
    assert s3token_options.check_option_names(conf, {}) == []
    with pytest.raises(s3token_options.S3TokenConfigError,
                       match="unknown option 'password'"):
        s3token_options.check_option_names(dict(conf, password='x'), {})


def test_s3token_retired_and_ignored_options():
    with pytest.raises(s3token_options.S3TokenConfigError) as exc:
        s3token_options.check_option_names(dict(S3TOKEN_CONF, auth_host='ks'), {})
    assert str(exc.value).startswith(
        "option 'auth_host' in [filter:s3token] is gone: put the Keystone "
        "URL, with its version, in auth_uri")
    [warning] = s3token_options.check_option_names(
        dict(S3TOKEN_CONF, region_name='RegionOne'), {})
    assert warning.startswith("option 'region_name' in [filter:s3token] is "
                              "ignored")


def test_s3token_ignored_option_is_logged():
    factory = s3token.filter_factory({}, **S3TOKEN_CONF,
                                     region_name='RegionOne')
    s3t = factory(app_factory({}))
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    s3t.logger.logger.addHandler(handler)
    try:
        factory(app_factory({}))
    finally:
        s3t.logger.logger.removeHandler(handler)
    assert "option 'region_name' in [filter:s3token] is ignored" in \
        [r.getMessage() for r in records][0]


# -- [swift3compat-lifecycle] -------------------------------------------------

def write_sweeper_conf(tmp_path, lines: str) -> str:
    path = tmp_path / 'proxy-server.conf'
    path.write_text(textwrap.dedent('''\
        [DEFAULT]
        bind_port = 8080
        workers = 4

        [filter:swift3]
        use = egg:swift3compat#swift3

        [swift3compat-lifecycle]
        user = swift
        log_level = DEBUG
        ''') + textwrap.dedent(lines))
    return str(path)


def test_sweeper_section_typo(tmp_path):
    path = write_sweeper_conf(tmp_path, 'intervall = 60\n')
    with pytest.raises(config.ConfigError) as exc:
        sweeper_config.check_option_names(path)
    assert str(exc.value) == ("unknown option 'intervall' in "
                              "[swift3compat-lifecycle]; did you mean "
                              "'interval'?")


def test_sweeper_section_accepts_its_options_and_swifts(tmp_path):
    path = write_sweeper_conf(tmp_path, 'interval = 60\nprocesses = 2\n'
                              'swift_dir = /etc/swift\n')
    sweeper_config.check_option_names(path)


def test_sweeper_reads_a_conf_d_directory(tmp_path):
    conf_d = tmp_path / 'proxy-server.conf.d'
    conf_d.mkdir()
    (conf_d / '00-default.conf').write_text('[DEFAULT]\nworkers = 2\n')
    (conf_d / '20-lifecycle.conf').write_text(
        '[swift3compat-lifecycle]\nchekpoint = 10\n')
    with pytest.raises(config.ConfigError, match="did you mean 'checkpoint'"):
        sweeper_config.check_option_names(str(conf_d))
