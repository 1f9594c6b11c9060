"""The proxy refuses to start with a broken pipeline or a bad option, and
says why; /info shows swift3compat's capabilities."""
from __future__ import annotations

import json
import urllib.request

import pytest

from swift3compat_dev.cluster import ProxySpec
from swift3compat_dev.servers import ClusterError


def test_misordered_pipeline_refuses_to_start(swift_cluster):
    spec = ProxySpec(name='badorder', preset='swift3compat', pipeline=(
        'catch_errors', 'gatekeeper', 'healthcheck', 'proxy-logging',
        'cache', 'tempauth', 'swift3', 'copy', 'slo', 'dlo',
        'proxy-logging'))
    with pytest.raises(ClusterError) as exc:
        swift_cluster.add_proxy(spec)
    message = str(exc.value)
    assert 'tempauth must come after swift3' in message
    assert 'pipeline = ' in message


def test_bad_option_refuses_to_start(swift_cluster):
    spec = ProxySpec(name='badopt', preset='swift3compat',
                     s3_options={'s3_acl': 'maybe'})
    with pytest.raises(ClusterError) as exc:
        swift_cluster.add_proxy(spec)
    assert 's3_acl' in str(exc.value)


def test_info_shows_capabilities(s3_proxy):
    with urllib.request.urlopen(s3_proxy.url + '/info') as resp:
        info = json.load(resp)
    assert info['swift3compat']['max_upload_part_num'] == 10000
    assert info['swift3compat']['location'] == 'us-east-1'


def test_misspelled_option_refuses_to_start(swift_cluster):
    """A typo in an option name is not silently ignored: the proxy stops
    and names the option it most likely meant."""
    spec = ProxySpec(name='typo', preset='swift3compat',
                     s3_options={'s3acl': 'true'})
    with pytest.raises(ClusterError) as exc:
        swift_cluster.add_proxy(spec)
    # swift-proxy-server reports a filter that refuses to load as the
    # exception's last line (after its traceback)
    last = str(exc.value).strip().splitlines()[-1]
    assert last.endswith(": unknown option 's3acl' in [filter:swift3]; "
                         "did you mean 's3_acl'?"), last
