"""Unit tests for swift3compat.pipeline: the proxy pipeline order check."""
from __future__ import annotations

import logging
import textwrap
from pathlib import Path

import pytest
from paste.deploy import loadwsgi
from swift.common.wsgi import ConfigFileError, PipelineWrapper, loadcontext
from swift.proxy.server import Application

from swift3compat.pipeline import (
    Filter,
    Pipeline,
    PipelineError,
    Severity,
    check_filters,
    check_pipeline,
    enforce,
    main,
    read_pipeline,
    suggest,
    with_swift_required_filters,
)

# pipeline name -> (entry point name, factory module), as paste.deploy
# resolves the sections of a typical proxy-server.conf.
_SECTIONS = {
    'catch_errors': ('catch_errors', 'swift.common.middleware.catch_errors'),
    'gatekeeper': ('gatekeeper', 'swift.common.middleware.gatekeeper'),
    'healthcheck': ('healthcheck', 'swift.common.middleware.healthcheck'),
    'proxy-logging': ('proxy_logging', 'swift.common.middleware.proxy_logging'),
    'cache': ('memcache', 'swift.common.middleware.memcache'),
    'listing_formats': ('listing_formats',
                        'swift.common.middleware.listing_formats'),
    'bulk': ('bulk', 'swift.common.middleware.bulk'),
    'tempurl': ('tempurl', 'swift.common.middleware.tempurl'),
    'ratelimit': ('ratelimit', 'swift.common.middleware.ratelimit'),
    'swift3': ('swift3', 'swift3compat.middleware'),
    's3token': ('s3token', 'swift3compat.s3token'),
    's3api': ('s3api', 'swift.common.middleware.s3api.s3api'),
    'authtoken': (None, 'keystonemiddleware.auth_token'),
    'keystone': ('keystoneauth', 'swift.common.middleware.keystoneauth'),
    'tempauth': ('tempauth', 'swift.common.middleware.tempauth'),
    'copy': ('copy', 'swift.common.middleware.copy'),
    'container-quotas': ('container_quotas',
                         'swift.common.middleware.container_quotas'),
    'account-quotas': ('account_quotas',
                       'swift.common.middleware.account_quotas'),
    'slo': ('slo', 'swift.common.middleware.slo'),
    'dlo': ('dlo', 'swift.common.middleware.dlo'),
    'symlink': ('symlink', 'swift.common.middleware.symlink'),
    'versioned_writes': ('versioned_writes',
                         'swift.common.middleware.versioned_writes'),
}
_VERSIONING = {'versioned_writes': {'allow_object_versioning': 'true'}}

SEED = ('catch_errors gatekeeper healthcheck proxy-logging cache swift3 '
        's3token authtoken keystone copy slo dlo versioned_writes symlink '
        'proxy-logging')
TEMPAUTH = ('catch_errors gatekeeper healthcheck proxy-logging cache swift3 '
            'tempauth copy slo dlo versioned_writes symlink proxy-logging')


def pipeline(line: str, confs: dict | None = None) -> Pipeline:
    """A Pipeline from a ``pipeline =`` line (without the proxy app)."""
    confs = _VERSIONING if confs is None else confs
    filters = []
    for name in line.split():
        entry_point, module = _SECTIONS[name]
        filters.append(Filter(name=name, factory=f'{module}:filter_factory',
                              entry_point_name=entry_point,
                              conf=confs.get(name, {})))
    return Pipeline(filters)


def check(line: str, confs: dict | None = None) -> list:
    return check_filters(pipeline(line, confs))


def errors(line: str, confs: dict | None = None) -> list[str]:
    return [p.message for p in check(line, confs)
            if p.severity is Severity.ERROR]


def warnings(line: str, confs: dict | None = None) -> list[str]:
    return [p.message for p in check(line, confs)
            if p.severity is Severity.WARNING]


def fix_of(p: Pipeline) -> str | None:
    """The one corrected pipeline the check proposes, as text."""
    found = suggest(p)
    return None if found is None else str(found)


def fix(line: str, confs: dict | None = None) -> str | None:
    return fix_of(pipeline(line, confs))


# -- pipelines that are right ----------------------------------------------

def test_seed_keystone_pipeline_is_clean():
    assert check(SEED) == []


def test_tempauth_pipeline_is_clean():
    assert check(TEMPAUTH) == []


def test_keystone_without_authtoken_is_clean():
    assert check(SEED.replace(' authtoken', '')) == []


def test_seed_with_only_required_filters_written_is_clean():
    # The operator leaves copy, dlo and versioned_writes to Swift's proxy.
    line = ('catch_errors gatekeeper healthcheck proxy-logging cache swift3 '
            's3token authtoken keystone slo symlink proxy-logging')
    assert [p.message for p in check_filters(
        with_swift_required_filters(pipeline(line)))] == [
        ('bucket versioning is unavailable: set allow_object_versioning = '
        'true in a [filter:versioned_writes] section (use = '
        'egg:swift#versioned_writes)')]


def _sample_pipelines() -> list[str]:
    """The commented ``pipeline =`` lines of etc/proxy-server.conf-sample."""
    sample = Path(__file__).resolve().parents[2] / 'etc' / \
        'proxy-server.conf-sample'
    pipelines, current = [], None
    for line in sample.read_text().splitlines():
        if line.startswith('# pipeline = '):
            current = [line[len('# pipeline = '):]]
            pipelines.append(current)
        elif current is not None and line.startswith('#     '):
            current.append(line[1:])
        else:
            current = None
    return [' '.join(' '.join(p).split()) for p in pipelines]


def test_the_sample_config_pipelines_are_clean():
    lines = _sample_pipelines()
    assert len(lines) == 2
    for line in lines:
        assert line.endswith(' proxy-server')
        assert check(line[:-len(' proxy-server')]) == [], line


# -- auth order --------------------------------------------------------------

def test_s3token_before_swift3_names_the_fix():
    line = SEED.replace('swift3 s3token', 's3token swift3')
    [message] = errors(line)
    assert message == (
        's3token must come after swift3 and before keystone (keystoneauth) '
        'in [pipeline:main]; move it there')
    assert fix(line) == 'pipeline = ' + SEED + ' proxy-server'


def test_s3token_before_swift3_and_keystone_right_after():
    """The issue's example: never ``... s3token swift3 keystoneauth``."""
    line = SEED.replace('swift3 s3token authtoken keystone',
                        's3token swift3 keystone')
    assert fix(line) == 'pipeline = ' + SEED.replace(' authtoken', '') + \
        ' proxy-server'


def test_keystoneauth_between_swift3_and_s3token():
    line = SEED.replace('s3token authtoken keystone', 'keystone s3token authtoken')
    [message] = errors(line)
    assert message.startswith('s3token must come after swift3 and before '
                              'keystone (keystoneauth)')
    assert fix(line) == 'pipeline = ' + SEED + ' proxy-server'


def test_authtoken_between_swift3_and_s3token():
    line = SEED.replace('s3token authtoken', 'authtoken s3token')
    [message] = errors(line)
    assert message == (
        'authtoken comes before s3token in [pipeline:main] and rejects S3 '
        'requests, which carry no X-Auth-Token; move it after s3token '
        '(or set delay_auth_decision = true in [filter:authtoken])')
    assert fix(line) == 'pipeline = ' + SEED + ' proxy-server'


def test_authtoken_before_swift3():
    line = SEED.replace('cache swift3 s3token authtoken',
                        'cache authtoken swift3 s3token')
    [message] = errors(line)
    assert message.startswith('authtoken comes before s3token')
    assert fix(line) == 'pipeline = ' + SEED + ' proxy-server'


def test_authtoken_before_swift3_with_delay_auth_decision_is_accepted():
    # Swift's own layout: authtoken first, for the native Swift API.
    line = SEED.replace('cache swift3 s3token authtoken',
                        'cache authtoken swift3 s3token')
    assert check(line, {**_VERSIONING, 'authtoken': {
        'delay_auth_decision': 'true'}}) == []
    assert errors(line, {**_VERSIONING, 'authtoken': {
        'delay_auth_decision': 'false'}}) != []


def test_authtoken_before_swift3_with_tempauth():
    line = TEMPAUTH.replace('cache swift3', 'cache authtoken swift3')
    [message] = errors(line)
    assert message.startswith('authtoken comes before swift3')
    assert fix(line) == 'pipeline = ' + TEMPAUTH.replace(
        'swift3', 'swift3 authtoken') + ' proxy-server'


def test_keystoneauth_before_swift3_is_named_once():
    line = SEED.replace('cache swift3 s3token authtoken keystone',
                        'cache keystone swift3 s3token authtoken')
    [message] = errors(line)
    assert message.startswith('keystone (keystoneauth) must come after swift3')
    assert fix(line) == 'pipeline = ' + SEED + ' proxy-server'


def test_tempauth_before_swift3():
    line = TEMPAUTH.replace('swift3 tempauth', 'tempauth swift3')
    [message] = errors(line)
    assert message.startswith('tempauth must come after swift3')
    assert fix(line) == 'pipeline = ' + TEMPAUTH + ' proxy-server'


def test_s3token_without_keystoneauth():
    line = SEED.replace(' keystone', '')
    [message] = errors(line)
    assert message.startswith('s3token needs keystoneauth after it')
    assert fix(line) == 'pipeline = ' + SEED.replace(
        'keystone', 'keystoneauth') + ' proxy-server (with sections: ' \
        '[filter:keystoneauth] use = egg:swift#keystoneauth)'


def test_keystoneauth_without_s3token():
    line = SEED.replace(' s3token', '')
    assert errors(line) == [
        'keystone (keystoneauth) cannot check S3 signatures: add '
        '[filter:s3token] use = egg:swift3compat#s3token between swift3 and '
        'it in [pipeline:main]']
    assert fix(line) == 'pipeline = ' + SEED + ' proxy-server (with ' \
        'sections: [filter:s3token] use = egg:swift3compat#s3token)'


def test_no_auth_after_swift3():
    line = TEMPAUTH.replace(' tempauth', '')
    [message] = errors(line)
    assert message.startswith('no auth filter follows swift3 in '
                              '[pipeline:main]')
    assert 'auth_pipeline_check = false' in message
    assert fix(line).startswith('pipeline = ' + TEMPAUTH + ' proxy-server')


def test_tempauth_and_keystone_side_by_side_are_accepted():
    assert errors(SEED.replace('keystone', 'keystone tempauth')) == []


# -- what else must be where -----------------------------------------------

def test_gatekeeper_after_swift3():
    line = TEMPAUTH.replace('gatekeeper ', '').replace(
        'swift3 tempauth', 'swift3 gatekeeper tempauth')
    [message] = errors(line)
    assert message.startswith('gatekeeper must come before swift3')
    assert 'system metadata' in message
    assert fix(line) == 'pipeline = ' + TEMPAUTH + ' proxy-server'


def test_slo_before_swift3_is_an_error():
    line = TEMPAUTH.replace(' slo', '').replace('cache swift3',
                                                'cache slo swift3')
    [message] = errors(line)
    assert message.startswith('slo must come after swift3')
    assert 'multipart uploads' in message
    assert fix(line) == 'pipeline = ' + TEMPAUTH.replace(
        'tempauth copy slo', 'tempauth slo copy') + ' proxy-server'


def test_missing_slo_is_an_error_with_multipart_uploads():
    line = TEMPAUTH.replace(' slo', '')
    [message] = errors(line)
    assert message == (
        'slo is not in [pipeline:main]: multipart uploads will not work; add '
        '[filter:slo] use = egg:swift#slo after the auth filters (or set '
        'allow_multipart_uploads = false in [filter:swift3])')
    assert fix(line) == 'pipeline = ' + TEMPAUTH.replace(
        'copy slo', 'slo copy') + ' proxy-server (with ' \
        'sections: [filter:slo] use = egg:swift#slo)'


def test_missing_slo_without_multipart_uploads_is_a_warning():
    confs = {**_VERSIONING, 'swift3': {'allow_multipart_uploads': 'false'}}
    line = TEMPAUTH.replace(' slo', '')
    assert errors(line, confs) == []
    [message] = warnings(line, confs)
    assert message.startswith('slo is not in [pipeline:main]')


def test_dlo_before_swift3_is_only_a_warning():
    line = TEMPAUTH.replace(' dlo', '').replace('cache swift3',
                                                'cache dlo swift3')
    assert errors(line) == []
    [message] = warnings(line)
    assert message.startswith('dlo must come after swift3')


def test_versioning_needs_allow_object_versioning():
    [message] = warnings(TEMPAUTH, confs={})
    assert message.startswith('bucket versioning is unavailable: set '
                              'allow_object_versioning = true in '
                              '[filter:versioned_writes]')
    assert fix(TEMPAUTH, confs={}) is None   # no order fixes a config option
    [message] = warnings(TEMPAUTH.replace(' symlink', ''), confs={})
    assert message.endswith('[filter:versioned_writes], and add symlink '
                            '(egg:swift#symlink) to [pipeline:main]')
    assert check(TEMPAUTH, {'versioned_writes': {
        'allow_object_versioning': 'no'}})[0].severity is Severity.WARNING


def test_missing_cache_with_tempauth():
    line = TEMPAUTH.replace(' cache', '')
    [message] = warnings(line)
    assert message.startswith('cache (egg:swift#memcache) is not in '
                              '[pipeline:main], and tempauth keep')
    assert fix(line) == 'pipeline = ' + TEMPAUTH + ' proxy-server (with ' \
        'sections: [filter:cache] use = egg:swift#memcache)'


def test_cache_after_swift3_is_an_error():
    line = TEMPAUTH.replace(' cache', '').replace('swift3', 'swift3 cache')
    [message] = errors(line)
    assert message.startswith('cache must come before swift3')
    assert fix(line) == 'pipeline = ' + TEMPAUTH + ' proxy-server'


def test_every_problem_is_fixed_by_the_one_suggestion():
    """Four errors, one pipeline fixing all of them."""
    line = ('catch_errors healthcheck proxy-logging slo tempauth swift3 '
            'gatekeeper cache copy dlo versioned_writes symlink proxy-logging')
    assert len(errors(line)) == 4
    assert fix(line) == 'pipeline = ' + TEMPAUTH.replace(
        'tempauth copy slo', 'tempauth slo copy') + ' proxy-server'


# -- identity ----------------------------------------------------------------

def test_missing_swift3():
    line = TEMPAUTH.replace(' swift3', '')
    [problem] = check(line)
    assert problem.severity is Severity.ERROR
    assert fix(line) == 'pipeline = ' + TEMPAUTH + ' proxy-server (with ' \
        'sections: [filter:swift3] use = egg:swift3compat#swift3)'


def test_s3api_instead_of_swift3_is_replaced_in_place():
    line = TEMPAUTH.replace('swift3', 's3api')
    assert len(errors(line)) == 2
    assert fix(line).startswith('pipeline = ' + TEMPAUTH + ' proxy-server')


def test_swift3_twice():
    line = TEMPAUTH.replace('tempauth', 'tempauth swift3')
    [message] = errors(line)
    assert message.startswith('swift3 appears 2 times')
    assert fix(line) == 'pipeline = ' + TEMPAUTH + ' proxy-server'


def test_s3api_beside_swift3():
    line = TEMPAUTH.replace('swift3', 'swift3 s3api')
    [message] = errors(line)
    assert message.startswith('s3api (swift.common.middleware.s3api.s3api) '
                              'is another S3 layer')
    assert fix(line) == 'pipeline = ' + TEMPAUTH + ' proxy-server'


def test_errors_come_before_warnings():
    line = TEMPAUTH.replace(' dlo', '').replace('swift3 tempauth',
                                                'tempauth swift3')
    severities = [p.severity for p in check(line)]
    assert severities == [Severity.ERROR, Severity.WARNING]
    assert str(check(line)[0]).startswith('error: tempauth must come')


def test_inserted_filters_stay_unwritten_when_moving_auth_fixes_them():
    """keystoneauth before swift3: Swift inserts copy, dlo and
    versioned_writes after it; once it moves, so do they."""
    line = ('catch_errors proxy-logging cache keystone swift3 s3token slo '
            'symlink proxy-logging')
    seen = with_swift_required_filters(pipeline(line))
    assert fix_of(seen) == ('pipeline = catch_errors proxy-logging cache '
                            'swift3 s3token keystone slo symlink '
                            'proxy-logging proxy-server')


# -- Swift's own pipeline changes -------------------------------------------

def _write(path: Path, line: str, sections: str = '') -> Path:
    path.write_text(textwrap.dedent('''\
        [DEFAULT]
        [pipeline:main]
        pipeline = {line} proxy-server
        [app:proxy-server]
        use = egg:swift#proxy
        [filter:catch_errors]
        use = egg:swift#catch_errors
        [filter:gatekeeper]
        use = egg:swift#gatekeeper
        [filter:healthcheck]
        use = egg:swift#healthcheck
        [filter:proxy-logging]
        use = egg:swift#proxy_logging
        [filter:cache]
        use = egg:swift#memcache
        [filter:tempauth]
        use = egg:swift#tempauth
        [filter:keystone]
        use = egg:swift#keystoneauth
        [filter:authtoken]
        paste.filter_factory = keystonemiddleware.auth_token:filter_factory
        [filter:slo]
        use = egg:swift#slo
        [filter:symlink]
        use = egg:swift#symlink
        [filter:versioned_writes]
        use = egg:swift#versioned_writes
        allow_object_versioning = true
        [filter:swift3]
        use = egg:swift3compat#swift3
        [filter:s3token]
        use = egg:swift3compat#s3token
        ''').format(line=line) + textwrap.dedent(sections))
    return path


class _Quiet:
    logger = logging.getLogger('test_pipeline.proxy')


@pytest.mark.parametrize('line', [
    'proxy-logging cache tempauth slo proxy-logging',
    'catch_errors proxy-logging cache keystone authtoken proxy-logging',
    'gatekeeper healthcheck cache slo versioned_writes symlink',
    'slo',
])
def test_required_filters_match_swifts_own_insertion(tmp_path, line):
    conf = _write(tmp_path / 'proxy-server.conf', line)
    ctx = loadcontext(loadwsgi.APP, str(conf))
    Application.modify_wsgi_pipeline(_Quiet(), PipelineWrapper(ctx))
    ours = with_swift_required_filters(read_pipeline(conf))
    assert ' '.join(f.name for f in ours.filters) + ' proxy-server' == \
        str(PipelineWrapper(ctx))
    assert {f.name for f in ours.filters if f.inserted} == \
        set(str(PipelineWrapper(ctx)).split()) - set(line.split()) - \
        {'proxy-server'}


# -- reading the real config -----------------------------------------------

def test_check_pipeline_reads_the_seed_conf(tmp_path):
    conf = _write(tmp_path / 'proxy-server.conf',
                  'catch_errors gatekeeper healthcheck proxy-logging cache '
                  'swift3 s3token authtoken keystone slo versioned_writes '
                  'symlink proxy-logging')
    assert check_pipeline(conf) == []
    assert check_pipeline(str(conf)) == []


def test_read_pipeline_resolves_entry_points(tmp_path):
    conf = _write(tmp_path / 'proxy-server.conf',
                  'cache swift3 s3token authtoken keystone slo')
    filters = read_pipeline(conf).filters
    assert [(f.name, f.factory, f.entry_point_name) for f in filters] == [
        ('cache', 'swift.common.middleware.memcache:filter_factory',
         'memcache'),
        ('swift3', 'swift3compat.middleware:filter_factory', 'swift3'),
        ('s3token', 'swift3compat.s3token:filter_factory', 's3token'),
        ('authtoken', 'keystonemiddleware.auth_token:filter_factory', None),
        ('keystone', 'swift.common.middleware.keystoneauth:filter_factory',
         'keystoneauth'),
        ('slo', 'swift.common.middleware.slo:filter_factory', 'slo'),
    ]


def test_check_pipeline_sees_a_renamed_filter_by_its_entry_point(tmp_path):
    conf = _write(tmp_path / 'proxy-server.conf',
                  'catch_errors gatekeeper cache s3 tempauth slo '
                  'versioned_writes symlink',
                  sections='''\
                  [filter:s3]
                  paste.filter_factory = swift3compat.middleware:filter_factory
                  ''')
    assert check_pipeline(conf) == []


def test_check_pipeline_reads_a_conf_dir_and_other_app_names(tmp_path):
    conf_dir = tmp_path / 'proxy-server.conf.d'
    conf_dir.mkdir()
    # Swift inserts copy and dlo after tempauth, so before swift3 here;
    # only tempauth is reported: moving it moves them.
    _write(conf_dir / '00.conf', 'cache tempauth swift3 slo')
    (conf_dir / '10.conf').write_text(
        '[pipeline:s3]\npipeline = cache swift3 tempauth slo proxy-server\n')
    problems = check_pipeline(conf_dir)
    [message] = [p.message for p in problems if p.severity is Severity.ERROR]
    assert message.startswith('tempauth must come after swift3 in '
                              '[pipeline:main]')
    assert not [p for p in problems if 'dlo' in p.message]
    assert [p for p in check_pipeline(conf_dir, 's3')
            if p.severity is Severity.ERROR] == []


def test_a_non_pipeline_app_is_refused(tmp_path):
    conf = tmp_path / 'proxy-server.conf'
    conf.write_text('[app:main]\nuse = egg:swift#proxy\n')
    with pytest.raises(ValueError, match='not a pipeline'):
        check_pipeline(conf)


# -- start-up hook -----------------------------------------------------------

def test_enforce_refuses_a_misordered_pipeline(tmp_path, caplog):
    conf = _write(tmp_path / 'proxy-server.conf',
                  'catch_errors gatekeeper cache s3token swift3 keystone slo')
    with pytest.raises(PipelineError) as raised:
        enforce({'__file__': str(conf)}, logging.getLogger('swift3'))
    assert isinstance(raised.value, ConfigFileError)
    text = str(raised.value)
    assert text.startswith(f'swift3: invalid proxy pipeline in {conf}:\n'
                           '  - s3token must come after swift3')
    assert '\nfix them all with:\n  pipeline = catch_errors gatekeeper ' \
           'cache swift3 s3token keystone slo proxy-server\n' in text
    assert text.endswith('(set auth_pipeline_check = false in '
                         '[filter:swift3] to skip this check)')


def test_enforce_logs_warnings_and_starts(tmp_path, caplog):
    conf = _write(tmp_path / 'proxy-server.conf',
                  'catch_errors gatekeeper cache dlo swift3 tempauth slo '
                  'versioned_writes symlink', '[filter:dlo]\n'
                  'use = egg:swift#dlo\n')
    with caplog.at_level(logging.WARNING, logger='swift3'):
        enforce({'__file__': str(conf)}, logging.getLogger('swift3'))
    assert [r.getMessage() for r in caplog.records] == [
        ("swift3 pipeline check: dlo must come after swift3 in "
         "[pipeline:main], or swift3's subrequests bypass it and GETs of DLO "
         "manifests written with the Swift API break; move it after the auth "
         "filters"),
        ('swift3 pipeline check: suggested pipeline = catch_errors '
         'gatekeeper cache swift3 tempauth dlo slo versioned_writes symlink '
         'proxy-server')]


def test_enforce_without_a_conf_file_checks_nothing(caplog):
    with caplog.at_level(logging.DEBUG, logger='swift3'):
        enforce({}, logging.getLogger('swift3'))
    assert [r.levelno for r in caplog.records] == [logging.DEBUG]


def test_command_line(tmp_path, capsys):
    good = _write(tmp_path / 'good.conf', 'catch_errors gatekeeper cache '
                  'swift3 tempauth slo versioned_writes symlink')
    bad = _write(tmp_path / 'bad.conf', 'catch_errors gatekeeper cache '
                 'tempauth swift3 slo versioned_writes symlink')
    assert main([str(good)]) == 0
    assert capsys.readouterr().out == 'pipeline OK\n'
    assert main([str(bad)]) == 1
    assert capsys.readouterr().out.startswith(
        'error: tempauth must come after swift3')
    assert main([]) == 2
    assert main([str(tmp_path / 'missing.conf')]) == 2
    assert capsys.readouterr().err.startswith(
        f'cannot check {tmp_path / "missing.conf"}: ')


def test_relative_path(tmp_path, monkeypatch):
    _write(tmp_path / 'proxy-server.conf', 'catch_errors gatekeeper cache '
           'swift3 tempauth slo versioned_writes symlink')
    monkeypatch.chdir(tmp_path)
    assert check_pipeline('proxy-server.conf') == []
