"""Anonymous (unsigned) requests with s3_acl = true: served where an ACL
makes a bucket or object public, 403 AccessDenied in S3 XML everywhere else
(never Swift's HTML), found through the bucket index from any account.
Clients: plain http.client / urllib and boto3 with ``botocore.UNSIGNED``."""
from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from typing import Dict, Optional, Tuple
from urllib.parse import quote

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from lxml import etree



def _code(exc: ClientError) -> str:
    return exc.response['Error']['Code']


def fetch(port: int, method: str, path: str, body: Optional[bytes] = None,
          headers: Optional[Dict[str, str]] = None
          ) -> Tuple[int, Dict[str, str], bytes]:
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, \
            resp.read()
    finally:
        conn.close()


def error_code(body: bytes) -> str:
    root = etree.fromstring(body)
    assert root.tag == 'Error'
    return root.findtext('Code')


@pytest.fixture(scope='module')
def port(s3_proxy) -> int:
    return s3_proxy.port


@pytest.fixture(scope='module')
def unsigned(s3_endpoint):
    return boto3.session.Session().client(
        's3', endpoint_url=s3_endpoint, region_name='us-east-1',
        config=Config(signature_version=UNSIGNED,
                      s3={'addressing_style': 'path'},
                      retries={'total_max_attempts': 1}))


@pytest.fixture
def public_bucket(s3, bucket_name):
    """Bucket of account test, public-read, with a public and a private
    object."""
    s3.create_bucket(Bucket=bucket_name, ACL='public-read')
    s3.put_object(Bucket=bucket_name, Key='pub lic/ö', Body=b'for all',
                  ACL='public-read', ContentType='text/plain',
                  Metadata={'k': 'v'})
    s3.put_object(Bucket=bucket_name, Key='secret', Body=b'mine')
    return bucket_name


def test_get_and_head_public_object(port, public_bucket):
    path = '/%s/%s' % (public_bucket, quote('pub lic/ö'))
    status, headers, body = fetch(port, 'GET', path)
    assert (status, body) == (200, b'for all')
    assert headers['content-type'] == 'text/plain'
    assert headers['x-amz-meta-k'] == 'v'
    status, headers, body = fetch(port, 'HEAD', path)
    assert status == 200 and headers['content-length'] == '7'
    status, headers, body = fetch(port, 'GET', path,
                                  headers={'Range': 'bytes=4-6'})
    assert (status, body) == (206, b'all')
    with urllib.request.urlopen('http://localhost:%d%s' % (port, path)) as r:
        assert r.read() == b'for all'


def test_private_object_is_access_denied_xml(port, public_bucket):
    for method in ('GET', 'HEAD'):
        status, headers, body = fetch(port, method,
                                      '/%s/secret' % public_bucket)
        assert status == 403
        assert headers['content-type'] == 'application/xml'
        if method == 'GET':
            assert error_code(body) == 'AccessDenied'
            assert b'mine' not in body
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen('http://localhost:%d/%s/secret'
                               % (port, public_bucket))
    assert exc.value.code == 403
    assert error_code(exc.value.read()) == 'AccessDenied'


def test_conditional_and_ranged_requests_do_not_leak(port, public_bucket, s3):
    etag = s3.head_object(Bucket=public_bucket, Key='secret')['ETag']
    for headers in ({'If-None-Match': etag}, {'If-Match': '"nope"'},
                    {'Range': 'bytes=100-200'}):
        status, _h, body = fetch(port, 'GET', '/%s/secret' % public_bucket,
                                 headers=headers)
        assert (status, error_code(body)) == (403, 'AccessDenied'), headers


def test_list_public_bucket(unsigned, public_bucket):
    keys = [c['Key'] for c in unsigned.list_objects(
        Bucket=public_bucket)['Contents']]
    assert keys == ['pub lic/ö', 'secret']
    assert unsigned.list_objects_v2(Bucket=public_bucket)['KeyCount'] == 2
    unsigned.head_bucket(Bucket=public_bucket)
    assert unsigned.get_object(Bucket=public_bucket, Key='pub lic/ö'
                               )['Body'].read() == b'for all'
    # a missing key in a listable bucket is NoSuchKey
    with pytest.raises(ClientError) as exc:
        unsigned.get_object(Bucket=public_bucket, Key='missing')
    assert _code(exc.value) == 'NoSuchKey'


def test_private_bucket(unsigned, s3, bucket_name, port):
    s3.create_bucket(Bucket=bucket_name)
    s3.put_object(Bucket=bucket_name, Key='k', Body=b'x')
    for call, kwargs in ((unsigned.list_objects, {}),
                         (unsigned.get_object, {'Key': 'k'}),
                         (unsigned.get_object, {'Key': 'missing'}),
                         (unsigned.get_bucket_acl, {}),
                         (unsigned.put_object, {'Key': 'n', 'Body': b'x'}),
                         (unsigned.delete_object, {'Key': 'k'}),
                         (unsigned.delete_bucket, {})):
        with pytest.raises(ClientError) as exc:
            call(Bucket=bucket_name, **kwargs)
        assert _code(exc.value) == 'AccessDenied', call
    status, _h, body = fetch(port, 'GET', '/%s' % bucket_name)
    assert (status, error_code(body)) == (403, 'AccessDenied')
    assert s3.get_object(Bucket=bucket_name, Key='k')['Body'].read() == b'x'


def test_public_read_bucket_private_objects(unsigned, s3, bucket_name):
    """Bucket READ lists; each object needs its own READ grant."""
    s3.create_bucket(Bucket=bucket_name, ACL='public-read')
    s3.put_object(Bucket=bucket_name, Key='k', Body=b'x')
    assert [c['Key'] for c in unsigned.list_objects(
        Bucket=bucket_name)['Contents']] == ['k']
    with pytest.raises(ClientError) as exc:
        unsigned.get_object(Bucket=bucket_name, Key='k')
    assert _code(exc.value) == 'AccessDenied'
    s3.put_object_acl(Bucket=bucket_name, Key='k', ACL='public-read')
    assert unsigned.get_object(Bucket=bucket_name, Key='k')['Body'].read() \
        == b'x'
    s3.put_object_acl(Bucket=bucket_name, Key='k', ACL='private')
    with pytest.raises(ClientError) as exc:
        unsigned.get_object(Bucket=bucket_name, Key='k')
    assert _code(exc.value) == 'AccessDenied'


def test_authenticated_read_is_not_anonymous(unsigned, s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name, ACL='authenticated-read')
    with pytest.raises(ClientError) as exc:
        unsigned.list_objects(Bucket=bucket_name)
    assert _code(exc.value) == 'AccessDenied'


def test_public_read_write_bucket(unsigned, s3, bucket_name, port):
    s3.create_bucket(Bucket=bucket_name, ACL='public-read-write')
    unsigned.put_object(Bucket=bucket_name, Key='dropped', Body=b'anon')
    # what anonymous callers write belongs to the bucket owner
    acl = s3.get_object_acl(Bucket=bucket_name, Key='dropped')
    assert acl['Owner']['ID'] == 'AUTH_test'
    assert s3.get_object(Bucket=bucket_name, Key='dropped'
                         )['Body'].read() == b'anon'
    with pytest.raises(ClientError) as exc:
        unsigned.get_object(Bucket=bucket_name, Key='dropped')
    assert _code(exc.value) == 'AccessDenied'
    unsigned.put_object(Bucket=bucket_name, Key='open', Body=b'o',
                        ACL='public-read')
    assert unsigned.get_object(Bucket=bucket_name, Key='open'
                               )['Body'].read() == b'o'
    unsigned.delete_object(Bucket=bucket_name, Key='open')
    # bucket ACLs and deleting the bucket stay the owner's
    with pytest.raises(ClientError) as exc:
        unsigned.put_bucket_acl(Bucket=bucket_name, ACL='private')
    assert _code(exc.value) == 'AccessDenied'
    with pytest.raises(ClientError) as exc:
        unsigned.delete_bucket(Bucket=bucket_name)
    assert _code(exc.value) == 'AccessDenied'


def test_bucket_of_another_account(unsigned, s3_client_factory,
                                   make_bucket_name):
    other = s3_client_factory('test2:tester2')
    name = make_bucket_name('anon-test2')
    other.create_bucket(Bucket=name, ACL='public-read')
    other.put_object(Bucket=name, Key='k', Body=b'test2', ACL='public-read')
    assert unsigned.get_object(Bucket=name, Key='k')['Body'].read() == \
        b'test2'
    other.put_bucket_acl(Bucket=name, ACL='private')
    with pytest.raises(ClientError) as exc:
        unsigned.list_objects(Bucket=name)
    assert _code(exc.value) == 'AccessDenied'


def test_deleted_and_unknown_buckets(unsigned, s3, bucket_name, port):
    status, _h, body = fetch(port, 'GET', '/%s/k' % bucket_name)
    assert (status, error_code(body)) == (404, 'NoSuchBucket')
    s3.create_bucket(Bucket=bucket_name, ACL='public-read')
    unsigned.list_objects(Bucket=bucket_name)
    s3.delete_bucket(Bucket=bucket_name)
    with pytest.raises(ClientError) as exc:
        unsigned.list_objects(Bucket=bucket_name)
    assert _code(exc.value) == 'NoSuchBucket'


def test_what_anonymous_callers_never_get(port, public_bucket):
    cases = [
        ('GET', '/', 'AccessDenied', 403),                  # ListBuckets
        ('PUT', '/%s-new' % public_bucket, 'AccessDenied', 403),
        ('DELETE', '/%s?lifecycle' % public_bucket, 'AccessDenied', 403),
        ('GET', '/%s/%s?response-content-type=x' % (
            public_bucket, quote('pub lic/ö')), 'InvalidRequest', 400),
    ]
    for method, path, code, status in cases:
        got, headers, body = fetch(port, method, path)
        assert (got, error_code(body)) == (status, code), path
        assert headers['content-type'] == 'application/xml'


def test_virtual_hosted_style(port, public_bucket):
    host = {'Host': '%s.localhost:%d' % (public_bucket, port)}
    status, _h, body = fetch(port, 'GET', '/' + quote('pub lic/ö'),
                             headers=host)
    assert (status, body) == (200, b'for all')
    status, _h, body = fetch(port, 'GET', '/secret', headers=host)
    assert (status, error_code(body)) == (403, 'AccessDenied')
    status, _h, body = fetch(port, 'GET', '/?prefix=pub', headers=host)
    assert status == 200 and b'<Key>pub lic/\xc3\xb6</Key>' in body


def test_buckets_made_before_the_index_are_found_once_public(
        s3, unsigned, proxy_factory, s3_client_factory, make_bucket_name,
        swift_cluster):
    """A bucket created without s3_acl (so not in the bucket index) becomes
    reachable anonymously when its owner makes it public."""
    plain = s3_client_factory(proxy=proxy_factory(storage_domain='localhost',
                                                  s3_acl='false'))
    name = make_bucket_name('legacy')
    plain.create_bucket(Bucket=name)
    plain.put_object(Bucket=name, Key='k', Body=b'old')
    with pytest.raises(ClientError) as exc:
        unsigned.list_objects(Bucket=name)
    assert _code(exc.value) == 'NoSuchBucket'
    s3.put_bucket_acl(Bucket=name, ACL='public-read')
    s3.put_object_acl(Bucket=name, Key='k', ACL='public-read')
    assert unsigned.get_object(Bucket=name, Key='k')['Body'].read() == b'old'
