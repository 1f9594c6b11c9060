"""The route table is complete: every row names its handler, the permission
it needs under S3 ACLs and its S3 policy action (nothing falls back to an
owner-only default)."""
import pytest

from swift3compat.api import routes
from swift3compat.authz import access
from swift3compat.model import acl, policy

PERMISSIONS = {acl.READ, acl.WRITE, acl.READ_ACP, acl.WRITE_ACP,
               access.OWNER}
KNOWN_ACTIONS = policy.ALL_ACTIONS | policy.SERVICE_ACTIONS

ROWS = sorted(routes.ROUTE_TABLE.items())


@pytest.mark.parametrize('key,row', ROWS, ids=['%s:%s:%s' % k for k, _ in ROWS])
def test_every_row_is_complete(key, row):
    level, sub, method = key
    assert level in ('service', 'bucket', 'object')
    assert sub == '' or sub in routes.SUBRESOURCES
    assert callable(row.handler) and row.handler.__name__
    kind, permission = row.permission
    assert kind in access.KINDS
    if kind in (access.BUCKET, access.OBJECT):
        assert permission in PERMISSIONS
    else:
        assert permission is None
    if kind == access.NONE:
        # never reaches the backend, so no policy decision either
        assert row.action is None and row.version_action is None
    else:
        assert row.action in KNOWN_ACTIONS
        assert row.version_action is None or \
            row.version_action in KNOWN_ACTIONS


def test_routes_are_the_table():
    assert routes.ROUTES == {k: r.handler
                             for k, r in routes.ROUTE_TABLE.items()}


def test_no_other_permission_or_action_table():
    assert not hasattr(access, 'ROUTE_PERMISSIONS')
    assert not hasattr(access, 'DEFAULT_PERMISSION')
    assert not hasattr(policy, '_ROUTE_ACTIONS')
