"""Property: whenever the pipeline check refuses a pipeline, its one
suggestion is accepted by the check and keeps every filter the operator
wrote (but a second swift3 and other S3 layers, which it explains).

Pipelines are random subsets and orders of the filters swift3 cares about,
Swift's usual filters and unknown ones, with and without
``delay_auth_decision`` and multipart uploads; the check sees them as the
proxy runs them (with the filters Swift inserts by itself, when the app is Swift's proxy).
"""
from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from swift3compat.pipeline import (
    Filter,
    Pipeline,
    Role,
    Severity,
    check_filters,
    suggest,
    with_swift_required_filters,
)

# name in the pipeline -> (entry point, factory module)
KNOWN = {
    'catch_errors': ('catch_errors', 'swift.common.middleware.catch_errors'),
    'gatekeeper': ('gatekeeper', 'swift.common.middleware.gatekeeper'),
    'healthcheck': ('healthcheck', 'swift.common.middleware.healthcheck'),
    'proxy-logging': ('proxy_logging',
                      'swift.common.middleware.proxy_logging'),
    'cache': ('memcache', 'swift.common.middleware.memcache'),
    'swift3': ('swift3', 'swift3compat.middleware'),
    's3token': ('s3token', 'swift3compat.s3token'),
    's3api': ('s3api', 'swift.common.middleware.s3api.s3api'),
    'authtoken': (None, 'keystonemiddleware.auth_token'),
    'keystone': ('keystoneauth', 'swift.common.middleware.keystoneauth'),
    'tempauth': ('tempauth', 'swift.common.middleware.tempauth'),
    'copy': ('copy', 'swift.common.middleware.copy'),
    'slo': ('slo', 'swift.common.middleware.slo'),
    'dlo': ('dlo', 'swift.common.middleware.dlo'),
    'symlink': ('symlink', 'swift.common.middleware.symlink'),
    'versioned_writes': ('versioned_writes',
                         'swift.common.middleware.versioned_writes'),
    'bulk': ('bulk', 'swift.common.middleware.bulk'),
    'tempurl': ('tempurl', 'swift.common.middleware.tempurl'),
}
UNKNOWN = ['ratelimit-ext', 'audit', 'my_auth_logger']


@st.composite
def pipelines(draw) -> Pipeline:
    names = draw(st.lists(st.sampled_from(sorted(KNOWN) + UNKNOWN),
                          max_size=14))
    if draw(st.booleans()):     # most real pipelines have swift3
        names.insert(draw(st.integers(0, len(names))), 'swift3')
    delay = draw(st.booleans())
    multipart = draw(st.booleans())
    # Swift's proxy app inserts its required filters; another app does not
    app = draw(st.sampled_from(['swift.proxy.server:app_factory',
                                'example.app:app_factory']))
    filters = []
    for name in names:
        entry_point, module = KNOWN.get(name, (name, 'example.' + name))
        conf = {}
        if name == 'authtoken':
            conf = {'delay_auth_decision': str(delay)}
        elif name == 'swift3':
            conf = {'allow_multipart_uploads': str(multipart)}
        elif name == 'versioned_writes':
            conf = {'allow_object_versioning': 'true'}
        filters.append(Filter(name=name, factory=f'{module}:filter_factory',
                              entry_point_name=entry_point, conf=conf))
    return with_swift_required_filters(Pipeline(filters, app_factory=app))


def errors(pipeline: Pipeline) -> list[str]:
    return [p.message for p in check_filters(pipeline)
            if p.severity is Severity.ERROR]


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(pipelines())
def test_a_refused_pipeline_gets_one_suggestion_the_check_accepts(seen):
    refused = errors(seen)
    suggestion = suggest(seen)
    if not refused:
        return
    assert suggestion is not None, refused
    # what the proxy runs once the operator writes the suggestion
    after = with_swift_required_filters(suggestion.pipeline)
    assert errors(after) == [], (suggestion.line, refused)
    # every filter the operator wrote is still there
    written = Counter(f.name for f in seen.filters if not f.inserted)
    kept = Counter(f.name for f in suggestion.pipeline.filters)
    dropped = written - kept
    for name in dropped:
        role = next(f.role for f in seen.filters if f.name == name)
        assert role is Role.OTHER_S3 or (
            role is Role.SWIFT3 and kept[name] == 1), (name, suggestion.line)
        # ... and the check said why it is gone
        assert any(name in message for message in refused), name
    assert suggestion.line.startswith('pipeline = ')
    assert suggestion.line.split()[2:-1] == \
        [f.name for f in suggestion.pipeline.filters]


@settings(max_examples=200, deadline=None)
@given(pipelines())
def test_the_suggestion_is_stable(seen):
    """Applying the suggestion leaves nothing more to suggest for errors."""
    suggestion = suggest(seen)
    if suggestion is None:
        return
    again = suggest(with_swift_required_filters(suggestion.pipeline))
    if again is not None:
        assert errors(with_swift_required_filters(again.pipeline)) == []
