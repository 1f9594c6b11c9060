"""An S3 sub-resource is implemented or refused, never served as the base operation.

Row: Swift bug 2144831 (an unsupported sub-resource was ignored, so
``DELETE /bucket?publicAccessBlock`` deleted the bucket). The list below is
AWS's, written out here independently of ``routes.SUBRESOURCES``: a
sub-resource the routing table does not know would otherwise fall back to
the plain operation.
"""
from __future__ import annotations

import pytest

from swift3compat.api import routes

# Every query-string sub-resource of the S3 API (AWS API reference).
AWS_SUBRESOURCES = [
    'abac', 'accelerate', 'acl', 'analytics', 'attributes', 'cors', 'delete', 'encryption',
    'intelligent-tiering', 'inventory', 'legal-hold', 'lifecycle', 'location', 'logging',
    'metadataConfiguration', 'metadataInventoryTable', 'metadataJournalTable',
    'metadataTable', 'metrics', 'notification', 'object-lock', 'ownershipControls', 'policy',
    'policyStatus', 'publicAccessBlock', 'renameObject', 'replication', 'requestPayment',
    'restore', 'retention', 'select', 'session', 'tagging', 'torrent', 'uploadId', 'uploads',
    'versioning', 'versions', 'website',
]
METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE']


@pytest.mark.parametrize('sub', AWS_SUBRESOURCES)
def test_routing_table_knows_every_aws_subresource(sub):
    assert sub in routes.SUBRESOURCES


@pytest.mark.parametrize('sub', AWS_SUBRESOURCES)
def test_bug_2144831_subresource_never_falls_back_to_base_op(raw, make_bucket_name, sub):
    bucket = make_bucket_name('routing')
    assert raw.send('PUT', f'/{bucket}').status == 200
    assert raw.send('PUT', f'/{bucket}/k', body=b'original').status == 200
    for level, path in (('object', f'/{bucket}/k'), ('bucket', f'/{bucket}')):
        for method in METHODS:
            value = 'x' if sub == 'uploadId' else ''
            resp = raw.send(method, path, params=[(sub, value)], body=b'changed'
                            if method in ('PUT', 'POST') else b'')
            label = (method, level, sub)
            assert resp.status < 500 or resp.status == 501, (label, resp)
            if (level, sub, method) not in routes.ROUTES:
                assert resp.status in (405, 501), (label, resp)
                if method != 'HEAD':
                    assert resp.code in ('NotImplemented', 'MethodNotAllowed'), (label, resp)
            if method in ('PUT', 'POST', 'DELETE'):
                assert raw.send('HEAD', f'/{bucket}').status == 200, (label, 'bucket gone')
                got = raw.send('GET', f'/{bucket}/k')
                assert got.status == 200 and got.body == b'original', (label, got)


@pytest.mark.parametrize('sub', ['metadataTable', 'publicAccessBlock', 'ownershipControls',
                                 'website', 'lifecycle'])
def test_bug_2144831_delete_empty_bucket_with_subresource(raw, make_bucket_name, sub):
    """The original report: an empty bucket is what DeleteBucket would remove."""
    bucket = make_bucket_name('routing-empty')
    assert raw.send('PUT', f'/{bucket}').status == 200
    resp = raw.send('DELETE', f'/{bucket}', params=[(sub, '')])
    assert resp.status in (204, 501) and raw.send('HEAD', f'/{bucket}').status == 200, resp


@pytest.mark.parametrize('sub', ['metadataTable', 'renameObject', 'session'])
def test_bug_2144831_put_subresource_on_new_bucket_creates_nothing(raw, make_bucket_name, sub):
    bucket = make_bucket_name('routing-new')
    resp = raw.send('PUT', f'/{bucket}', params=[(sub, '')])
    assert resp.status == 501, resp
    assert raw.send('HEAD', f'/{bucket}').status == 404
