"""doc/migration.md, "From Swift's s3api", followed literally against a real Keystone
and Swift.

The configuration is read out of the guide's blocks, not copied: the "Before"
``[pipeline:main]`` and sections, with the "After" sections in their place, and the
guide's commands are run as written.  What the test replaces is what an operator
fills in: the placeholders (``<password>``, the memcache key), Keystone's address,
the paths under /etc/swift, and the service user's name (``swift`` is taken in the
test Keystone).  Sections the guide keeps unchanged (``authtoken`` with
``delay_auth_decision = true``, ``keystoneauth``, Swift's own filters) come from
the test harness.
"""
from __future__ import annotations

import configparser
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sysconfig
from typing import Any

import pytest
from botocore.exceptions import ClientError

from swift3compat_dev import local_keystone
from swift3compat_dev.cluster import Cluster, Proxy, ProxySpec, render_ini

from tests.keystone.ks_helpers import KEYSTONEAUTH, make_client
from tests.keystone.test_doc_keystone import admin_env, openstack

GUIDE = os.path.join(os.path.dirname(__file__), '..', '..', 'doc', 'migration.md')
SECTION = "### From Swift's s3api"


def guide_parts() -> dict[str, str]:
    """The text of each ``####`` part of the guide's s3api section."""
    with open(GUIDE) as f:
        text = f.read()
    section = text.split('\n' + SECTION + '\n', 1)[1]
    section = re.split(r'\n#{1,3} ', section, maxsplit=1)[0]
    parts = re.split(r'^#### (.+)$', section, flags=re.M)
    return {title.strip(): body for title, body in zip(parts[1::2], parts[2::2])}


def blocks(text: str, kind: str) -> list[str]:
    return re.findall(rf'^```{kind}\n(.*?)^```$', text, flags=re.M | re.S)


def ini(text: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    return parser


def commands(text: str) -> list[list[str]]:
    return [shlex.split(line[2:]) for block in blocks(text, 'console')
            for line in block.splitlines() if line.startswith('$ ')]


class Operator:
    """Fills in the guide's placeholders for this test's Keystone and Swift."""

    def __init__(self, keystone: Any, cluster: Cluster, tmp_path: Any) -> None:
        self.keystone = keystone
        self.user = 'swift-' + secrets.token_hex(4)
        self.password = local_keystone.new_password()
        self.memcache_key = secrets.token_urlsafe(24)
        self.internal_client = str(tmp_path / 'internal-client.conf')
        write_internal_client(cluster, self.internal_client)

    def fill(self, text: str, proxy_conf: str = '/etc/swift/proxy-server.conf') -> str:
        text = text.replace('http://keystone:5000/v3', self.keystone.url)
        text = text.replace('<password>', self.password)
        text = text.replace('<a long random string, the same on every proxy>',
                            self.memcache_key)
        text = text.replace('/etc/swift/internal-client.conf', self.internal_client)
        text = text.replace('/etc/swift/proxy-server.conf', proxy_conf)
        return re.sub(r'(--user |username = )swift\b', rf'\g<1>{self.user}', text)

    def create_service_user(self) -> None:
        """The "before" state: Swift's service user exists (no role yet; the guide's
        command gives it the one it needs)."""
        openstack(self.keystone, admin_env(self.keystone), 'user', 'create', '--domain',
                  'default', '--password', self.password, self.user)

    def run_openstack(self, text: str) -> None:
        for argv in commands(self.fill(text)):
            if argv[0] == 'openstack':
                openstack(self.keystone, admin_env(self.keystone), *argv[1:])


def write_internal_client(cluster: Cluster, path: str) -> None:
    """Swift's internal client configuration, as doc/install.md describes it."""
    default = {'swift_dir': cluster.etc_dir, 'user': _user(),
               'log_custom_handlers': 'swift3compat_dev.swift_serve.drop_syslog_handlers'}
    with open(path, 'w') as f:
        f.write(render_ini([
            ('DEFAULT', default),
            ('pipeline:main', {'pipeline': 'catch_errors proxy-logging cache '
                                           'versioned_writes symlink proxy-server'}),
            ('app:proxy-server', {'use': 'egg:swift#proxy', 'account_autocreate': 'true'}),
            ('filter:catch_errors', {'use': 'egg:swift#catch_errors'}),
            ('filter:proxy-logging', {'use': 'egg:swift#proxy_logging'}),
            ('filter:cache', {'use': 'egg:swift#memcache',
                              'memcache_servers': cluster.memcache_servers}),
            ('filter:versioned_writes', {'use': 'egg:swift#versioned_writes',
                                         'allow_object_versioning': 'true'}),
            ('filter:symlink', {'use': 'egg:swift#symlink'}),
        ]))


def _user() -> str:
    import pwd
    return pwd.getpwuid(os.geteuid()).pw_name


def guide_proxy(cluster: Cluster, keystone: Any, name: str, before: configparser.RawConfigParser,
                after: configparser.RawConfigParser,
                s3token_changes: dict[str, str | None] | None = None) -> Proxy:
    """A proxy running the "Before" pipeline with the "After" sections in place."""
    pipeline = before['pipeline:main']['pipeline'].split()
    assert pipeline[-1] == 'proxy-server'
    filters = {'authtoken': keystone.authtoken_options(delay_auth_decision='true'),
               'keystoneauth': KEYSTONEAUTH}
    for config in (before, after):
        for section in config.sections():
            if section.startswith('filter:'):
                filters[section[len('filter:'):]] = dict(config[section])
    for key, value in (s3token_changes or {}).items():
        if value is None:
            del filters['s3token'][key]
        else:
            filters['s3token'][key] = value
    spec = ProxySpec(name=name, pipeline=tuple(pipeline[:-1]), filters=filters)
    return cluster.add_proxy(spec)


def log_of(proxy: Proxy) -> str:
    with open(proxy.process.log_path) as f:
        return f.read()


def sweeper_script() -> str:
    script = shutil.which('swift3compat-lifecycle', path=os.pathsep.join((
        sysconfig.get_path('scripts'), os.environ.get('PATH', ''))))
    assert script, 'installing swift3compat installs the swift3compat-lifecycle script'
    return script


def test_migration_from_s3api(keystone: Any, ks_cluster: Cluster, tmp_path: Any,
                              bucket: str) -> None:
    parts = guide_parts()
    operator = Operator(keystone, ks_cluster, tmp_path)
    before = ini(''.join(blocks(operator.fill(parts['Before']), 'ini')))
    after_text = operator.fill(parts['After'])
    after = ini(''.join(blocks(after_text, 'ini')))
    # the guide keeps Swift's section name and only changes what it loads
    assert after['filter:s3api']['use'] == 'egg:swift3compat#swift3'
    assert before['filter:s3token']['project_name'] == after['filter:s3token'][
        'project_name']

    operator.create_service_user()
    operator.run_openstack(parts['After'])
    proxy = guide_proxy(ks_cluster, keystone, 'ksproxy-migration', before, after)
    # the sweeper's section goes into the same file (the proxy ignores it)
    with open(proxy.conf_path, 'a') as f:
        f.write('\n' + render_ini([('swift3compat-lifecycle',
                                    dict(after['swift3compat-lifecycle']))]))
    assert f'the service user {operator.user} (token scoped to project service' in \
        log_of(proxy)
    assert 'may validate S3 signatures and read EC2 secrets' in log_of(proxy)

    # S3 works
    alice = keystone.users['alice']
    cached = keystone.create_ec2(alice)
    uncached = keystone.create_ec2(alice)
    client = make_client(proxy, cached)
    client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=bucket, Key='old/a', Body=b'expires')
    client.put_object(Bucket=bucket, Key='keep/b', Body=b'stays')
    assert client.get_object(Bucket=bucket, Key='keep/b')['Body'].read() == b'stays'

    # the secret cache is used: a cached key is served while Keystone is down
    keystone.stop()
    try:
        assert client.get_object(Bucket=bucket, Key='old/a')['Body'].read() == b'expires'
        with pytest.raises(ClientError) as err:
            make_client(proxy, uncached).list_buckets()
        assert err.value.response['Error']['Code'] == 'ServiceUnavailable'
    finally:
        keystone.start()

    # the lifecycle sweeper, run as the guide says on the proxy's file, expires
    client.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={'Rules': [{
            'ID': 'old', 'Status': 'Enabled', 'Filter': {'Prefix': 'old/'},
            'Expiration': {'Date': '2020-01-01T00:00:00Z'}}]})
    listed = [o['Key'] for o in client.list_objects_v2(Bucket=bucket)['Contents']]
    assert listed == ['keep/b', 'old/a']
    [sweep] = [argv for argv in commands(operator.fill(parts['After'], proxy.conf_path))
               if argv[0] == 'swift3compat-lifecycle']
    result = subprocess.run([sweeper_script(), *sweep[1:]], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    listed = [o['Key'] for o in client.list_objects_v2(Bucket=bucket)['Contents']]
    assert listed == ['keep/b']
    with pytest.raises(ClientError) as err:
        client.head_object(Bucket=bucket, Key='old/a')
    assert err.value.response['Error']['Code'] == '404'
    assert operator.password not in log_of(proxy)
    assert cached.secret not in log_of(proxy)
    client.delete_object(Bucket=bucket, Key='keep/b')
    client.delete_bucket(Bucket=bucket)


def test_migration_service_user_with_less_privilege(keystone: Any, ks_cluster: Cluster,
                                                    tmp_path: Any) -> None:
    parts = guide_parts()
    operator = Operator(keystone, ks_cluster, tmp_path)
    before = ini(''.join(blocks(operator.fill(parts['Before']), 'ini')))
    after = ini(''.join(blocks(operator.fill(parts['After']), 'ini')))
    less = parts['The s3token service user, with less privilege']
    assert 'replace `project_name` and `project_domain_name` with' in ' '.join(less.split())
    [change] = blocks(less, 'ini')
    changes: dict[str, str | None] = {'project_name': None, 'project_domain_name': None}
    changes.update(ini('[filter:s3token]\n' + change)['filter:s3token'])

    operator.create_service_user()
    operator.run_openstack(less)
    proxy = guide_proxy(ks_cluster, keystone, 'ksproxy-migration-system', before, after,
                        changes)
    assert f'the service user {operator.user} (token scoped to the system' in log_of(proxy)
    assert 'may validate S3 signatures and read EC2 secrets' in log_of(proxy)
    make_client(proxy, keystone.users['bob'].ec2).list_buckets()
