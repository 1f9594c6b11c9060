"""Helpers of the Keystone functional tests (imported by conftest and the tests)."""
from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from swift3compat_dev.cluster import Proxy
from swift3compat_dev.local_keystone import Ec2Credential, LocalKeystone

__all__ = ['FRONTS', 'FRONT_OPTIONS', 'KEYSTONEAUTH', 'REGION', 'Ec2Credential',
           'LocalKeystone', 'make_client']

REGION = 'us-east-1'
FRONTS = ('swift3', 's3api')
FRONT_OPTIONS = {'swift3': {'storage_domain': 'localhost'},
                 's3api': {'storage_domain': 'localhost'}}
KEYSTONEAUTH = {'use': 'egg:swift#keystoneauth', 'operator_roles': 'admin, member'}


def make_client(proxy: Proxy, cred: Ec2Credential, signature_version: str = 's3v4',
                **config: Any) -> Any:
    """A boto3 S3 client that does not retry."""
    return boto3.session.Session().client(
        's3', endpoint_url=f'http://localhost:{proxy.port}', region_name=REGION,
        aws_access_key_id=cred.access, aws_secret_access_key=cred.secret,
        config=Config(signature_version=signature_version, s3={'addressing_style': 'path'},
                      retries={'mode': 'standard', 'total_max_attempts': 1}, **config))


