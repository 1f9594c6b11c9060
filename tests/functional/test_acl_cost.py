"""What S3 ACL checks cost in backend requests.

Every backend request the proxy makes is logged by the account, container or
object server with the transaction id, which is also the S3 request id; the
requests made by the proxy itself carry the user agent ``proxy-server``
(container updates sent by object servers are not counted).  With Swift's
info cache warm, an S3 request costs as many backend requests with
``s3_acl = true`` as without it: the bucket ACL comes from the cached
container info, the object ACL with the object's own response, the caller's
identity from a TEST subrequest that never leaves the proxy.
"""
from __future__ import annotations

import os
import re
import time
from typing import Callable, List

import pytest

_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+)" \d+ .*"(?P<tx>tx[0-9a-f-]+)" '
                   r'"proxy-server \d+"')


def backend_requests(cluster, request_id: str) -> List[str]:
    """'METHOD /dev/part/path' of each proxy → server request of an S3
    request, read from the server logs (waiting until they stop growing)."""
    seen: List[str] = []
    for _attempt in range(20):
        found = []
        for kind in ('account', 'container', 'object'):
            with open(os.path.join(cluster.log_dir, kind + '.log'),
                      errors='replace') as f:
                for line in f:
                    match = _LINE.search(line)
                    if match and match.group('tx') == request_id:
                        found.append('%s %s' % (match.group('method'),
                                                match.group('path')))
        if found and found == seen:
            return found
        seen = found
        time.sleep(0.1)
    return seen


def cost(cluster, call: Callable[..., dict], *args, **kwargs) -> int:
    """Backend requests of the second of two identical calls (warm)."""
    call(*args, **kwargs)
    resp = call(*args, **kwargs)
    request_id = resp['ResponseMetadata']['HTTPHeaders']['x-amz-request-id']
    return len(backend_requests(cluster, request_id))


@pytest.fixture(scope='module')
def clients(proxy_factory, s3_client_factory):
    plain = proxy_factory(storage_domain='localhost', s3_acl='false')
    return {'on': s3_client_factory(), 'off': s3_client_factory(proxy=plain)}


@pytest.fixture
def buckets(clients, make_bucket_name):
    names = {}
    for mode, client in clients.items():
        names[mode] = make_bucket_name('cost-' + mode)
        client.create_bucket(Bucket=names[mode])
        client.put_object(Bucket=names[mode], Key='k', Body=b'data')
    return names


OPERATIONS = {
    'GetObject': lambda c, b: c.get_object(Bucket=b, Key='k'),
    'HeadObject': lambda c, b: c.head_object(Bucket=b, Key='k'),
    'PutObject': lambda c, b: c.put_object(Bucket=b, Key='k', Body=b'data'),
    'ListObjects': lambda c, b: c.list_objects(Bucket=b),
    'HeadBucket': lambda c, b: c.head_bucket(Bucket=b),
    'GetObjectAcl': lambda c, b: c.get_object_acl(Bucket=b, Key='k'),
}


@pytest.mark.parametrize('operation', sorted(OPERATIONS))
def test_owner_pays_nothing_for_acls(swift_cluster, clients, buckets,
                                     operation):
    call = OPERATIONS[operation]
    costs = {mode: cost(swift_cluster, call, client, buckets[mode])
             for mode, client in clients.items()}
    assert costs['off'] >= 1
    assert costs['on'] == costs['off']


def test_bucket_acl_read_from_the_info_cache(swift_cluster, clients, buckets):
    assert cost(swift_cluster, clients['on'].get_bucket_acl,
                Bucket=buckets['on']) == 0


def test_grantees_and_anonymous_pay_nothing_either(
        swift_cluster, clients, buckets, s3_client_factory, s3_endpoint):
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config
    owner, bucket = clients['on'], buckets['on']
    owner.put_bucket_acl(Bucket=bucket, ACL='public-read')
    owner.put_object_acl(Bucket=bucket, Key='k', ACL='public-read')
    anonymous = boto3.session.Session().client(
        's3', endpoint_url=s3_endpoint, region_name='us-east-1',
        config=Config(signature_version=UNSIGNED,
                      s3={'addressing_style': 'path'}))
    other = s3_client_factory('test2:tester2')
    for client in (anonymous, other):
        assert cost(swift_cluster, client.get_object, Bucket=bucket,
                    Key='k') == 1
        assert cost(swift_cluster, client.list_objects, Bucket=bucket) == 1
