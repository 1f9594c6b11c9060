"""The pipeline check refuses S3 server-side encryption without its pieces
(``sse`` directly before Swift's ``encryption``, after everything that moves
object data), with the corrected pipeline in the message."""
from __future__ import annotations

import pytest

from swift3compat.pipeline import (Filter, Pipeline, Severity, check_filters,
                                   suggest)

_FACTORIES = {
    'catch_errors': 'swift.common.middleware.catch_errors',
    'gatekeeper': 'swift.common.middleware.gatekeeper',
    'cache': 'swift.common.middleware.memcache',
    'swift3': 'swift3compat.middleware',
    'tempauth': 'swift.common.middleware.tempauth',
    'copy': 'swift.common.middleware.copy',
    'slo': 'swift.common.middleware.slo',
    'dlo': 'swift.common.middleware.dlo',
    'versioned_writes': 'swift.common.middleware.versioned_writes',
    'symlink': 'swift.common.middleware.symlink',
    'keymaster': 'swift.common.middleware.crypto.keymaster',
    'sse': 'swift3compat.swift.crypto',
    'encryption': 'swift.common.middleware.crypto',
    'proxy-logging': 'swift.common.middleware.proxy_logging',
}
BASE = ('catch_errors gatekeeper cache swift3 tempauth copy slo dlo '
        'versioned_writes symlink')


def pipeline(names: str, sse: bool = True) -> Pipeline:
    filters = []
    for name in names.split():
        conf = {}
        if name == 'swift3':
            conf['server_side_encryption'] = 'true' if sse else 'false'
        if name == 'versioned_writes':
            conf['allow_object_versioning'] = 'true'
        filters.append(Filter(name, _FACTORIES[name] + ':filter_factory',
                              name, conf))
    return Pipeline(filters)


def problems(names: str, sse: bool = True):
    return [p for p in check_filters(pipeline(names, sse))
            if 'encryption' in p.message or 'sse' in p.message]


GOOD = 'pipeline = ' + BASE + ' sse encryption proxy-logging proxy-server'


@pytest.mark.parametrize('names', [
    BASE + ' sse encryption proxy-logging',
    BASE + ' keymaster sse encryption proxy-logging',
])
def test_good_pipelines(names):
    assert problems(names) == []


@pytest.mark.parametrize('names,fixed', [
    (BASE + ' proxy-logging', GOOD),
    (BASE + ' sse proxy-logging', GOOD),
    (BASE + ' encryption proxy-logging', GOOD),
    (BASE + ' encryption sse proxy-logging', GOOD),
    ('catch_errors gatekeeper cache swift3 tempauth sse encryption copy slo '
     'dlo versioned_writes symlink proxy-logging', GOOD),
    (BASE + ' sse keymaster encryption proxy-logging',
     'pipeline = ' + BASE + ' keymaster sse encryption proxy-logging '
     'proxy-server'),
])
def test_bad_pipelines_are_refused_with_the_fix(names, fixed):
    found = problems(names)
    assert len(found) == 1 and found[0].severity is Severity.ERROR
    suggestion = suggest(pipeline(names))
    assert suggestion is not None and suggestion.line == fixed
    # the suggestion is itself accepted
    assert problems(suggestion.line[len('pipeline = '):-len(
        ' proxy-server')]) == []


def test_missing_filters_get_their_sections():
    suggestion = suggest(pipeline(BASE + ' proxy-logging'))
    assert '[filter:sse] use = egg:swift3compat#sse' in str(suggestion)
    assert '[filter:encryption] use = egg:swift#encryption' in str(suggestion)


def test_sse_filter_without_the_option_warns():
    found = problems(BASE + ' sse encryption proxy-logging', sse=False)
    assert len(found) == 1 and found[0].severity is Severity.WARNING
    assert '501' in found[0].message


def test_nothing_asked_nothing_checked():
    assert problems(BASE + ' proxy-logging', sse=False) == []
