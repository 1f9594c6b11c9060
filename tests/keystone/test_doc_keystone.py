"""The commands of doc/keystone.md, run as written against the test Keystone and Swift.

``openstack`` is python-openstackclient from the Keystone virtualenv; ``s3cmd``
is the one on PATH.  Keep this file and the doc in step.
"""
from __future__ import annotations

import json
import os
import subprocess
from typing import Any, Callable

from swift3compat_dev.cluster import Cluster, Proxy, ProxySpec

from tests.keystone.ks_helpers import FRONT_OPTIONS, KEYSTONEAUTH, REGION


def openstack(keystone: Any, env: dict[str, str], *args: str) -> str:
    result = subprocess.run([keystone.openstack, *args], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, (args, result.stderr[-2000:])
    return result.stdout


def admin_env(keystone: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    env.update(OS_AUTH_URL=keystone.url, OS_IDENTITY_API_VERSION='3',
               OS_USERNAME='admin', OS_PASSWORD=keystone.admin_password,
               OS_PROJECT_NAME='admin', OS_USER_DOMAIN_NAME='Default',
               OS_PROJECT_DOMAIN_NAME='Default')
    return env


def test_doc_operator_and_user_commands(keystone: Any, ks_cluster: Cluster,
                                        ks_proxy: Callable[..., Proxy],
                                        tmp_path: Any, bucket: str) -> None:
    # operator: the service user s3token logs in as
    admin = admin_env(keystone)
    openstack(keystone, admin, 'user', 'create', '--domain', 'default',
              '--password', 'doc-service-password', 'swift-s3token')
    openstack(keystone, admin, 'role', 'add', '--system', 'all', '--user',
              'swift-s3token', 'service')
    openstack(keystone, admin, 'role', 'add', '--system', 'all', '--user',
              'swift-s3token', 'reader')

    # the pipeline and [filter:s3token] of the doc
    s3token = {
        'use': 'egg:swift3compat#s3token',
        'auth_uri': keystone.url,
        'auth_type': 'password',
        'auth_url': keystone.url,
        'username': 'swift-s3token',
        'password': 'doc-service-password',
        'user_domain_name': 'Default',
        'system_scope': 'all',
        'memcache_secret_key': 'doc example: a long random string',
    }
    spec = ProxySpec(name='ksproxy-doc', s3_options=FRONT_OPTIONS['swift3']).replacing(
        'tempauth', ['s3token', 'authtoken', 'keystoneauth'], {
            's3token': s3token, 'authtoken': keystone.authtoken_options(),
            'keystoneauth': KEYSTONEAUTH})
    proxy = ks_cluster.add_proxy(spec)

    # user: EC2 credentials, then s3cmd
    alice = keystone.users['alice']
    created = json.loads(openstack(keystone, keystone.openstack_env(alice),
                                   'ec2', 'credentials', 'create', '-f', 'json'))
    listed = openstack(keystone, keystone.openstack_env(alice),
                       'ec2', 'credentials', 'list', '-f', 'value', '-c', 'Access')
    assert created['access'] in listed.split()
    s3cfg = tmp_path / '.s3cfg'
    s3cfg.write_text(f"""[default]
access_key = {created['access']}
secret_key = {created['secret']}
host_base = localhost:{proxy.port}
host_bucket = localhost:{proxy.port}
use_https = False
bucket_location = {REGION}
""")
    hello = tmp_path / 'hello.txt'
    hello.write_text('hello\n')
    for args in (['mb', f's3://{bucket}'], ['put', str(hello), f's3://{bucket}/'],
                 ['ls', f's3://{bucket}'], ['del', f's3://{bucket}/hello.txt'],
                 ['rb', f's3://{bucket}']):
        result = subprocess.run(['s3cmd', '-c', str(s3cfg), *args], capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, (args, result.stderr)
        if args[0] == 'ls':
            assert 'hello.txt' in result.stdout

    # revoking: delete the credential
    openstack(keystone, keystone.openstack_env(alice), 'ec2', 'credentials', 'delete',
              created['access'])
    listed = openstack(keystone, keystone.openstack_env(alice),
                       'ec2', 'credentials', 'list', '-f', 'value', '-c', 'Access')
    assert created['access'] not in listed.split()
