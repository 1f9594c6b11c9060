"""Bucket and object ACLs (GET/PUT ?acl).

Without ``s3_acl`` the owner of a bucket has full control and nothing else
is granted, which is what these handlers report; a PUT that asks for
exactly that (canned ``private`` or a policy granting only the owner
FULL_CONTROL) is accepted, anything else is NotImplemented rather than
silently ignored.
"""
from __future__ import annotations

from swift3compat import errors, xmlutil
from swift3compat.backend import Backend
from swift3compat.handlers.service import owner_xml
from swift3compat.request import S3Request
from swift3compat.response import S3Response, xml_response

_GRANTEE = ('<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xsi:type="CanonicalUser">%s%s</Grantee>')


def _owner_only(owner: str) -> bytes:
    grant = '<Grant>%s<Permission>FULL_CONTROL</Permission></Grant>' % (
        _GRANTEE % (xmlutil.elem('ID', owner),
                    xmlutil.elem('DisplayName', owner)))
    return xmlutil.document('AccessControlPolicy', [
        owner_xml(owner), '<AccessControlList>', grant,
        '</AccessControlList>'])


def get_acl(req: S3Request, backend: Backend) -> S3Response:
    backend.request('HEAD', req.bucket, req.key)
    return xml_response(_owner_only(req.user_id or backend.account))


def put_acl(req: S3Request, backend: Backend) -> S3Response:
    canned = req.header('x-amz-acl')
    grants = [h for h in req.headers() if h.startswith('x-amz-grant-')]
    body = xmlutil.read_body(req.environ['wsgi.input'], req.content_length,
                             req.conf.max_xml_body_size, required=False)
    if canned is not None and (grants or body.strip()):
        raise errors.InvalidRequest('Specifying both Canned ACLs and Header '
                                    'Grants is not allowed')
    backend.request('HEAD', req.bucket, req.key)
    if canned is not None:
        if canned != 'private':
            raise errors.NotImplemented('Canned ACL %s is not implemented '
                                        'without s3_acl' % canned)
        return S3Response(200)
    if grants:
        raise errors.NotImplemented('Grant headers are not implemented '
                                    'without s3_acl')
    if not body.strip():
        raise errors.MissingSecurityHeader(MissingHeaderName='x-amz-acl')
    root = xmlutil.parse(body, 'AccessControlPolicy',
                         error=errors.MalformedACLError)
    acl = xmlutil.child(root, 'AccessControlList')
    if acl is None:
        raise errors.MalformedACLError()
    owner = req.user_id or backend.account
    for grant in xmlutil.children(acl, 'Grant'):
        grantee = xmlutil.child(grant, 'Grantee')
        gid = xmlutil.text(grantee, 'ID') if grantee is not None else None
        if gid != owner or xmlutil.text(grant, 'Permission') != \
                'FULL_CONTROL':
            raise errors.NotImplemented('Grants other than the owner\'s '
                                        'FULL_CONTROL are not implemented '
                                        'without s3_acl')
    return S3Response(200)
