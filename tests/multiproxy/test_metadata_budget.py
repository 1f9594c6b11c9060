"""Requests at AWS's maximum sizes never knock a device over, on ext4 or XFS.

Issue 13: PutObjectTagging with ten AWS-legal tags made the object server fail
the xattr write on ext4 (507); the proxy error-limited the only device and every
request answered 503 for 61 s. Every path that stores metadata is tried here
at AWS's maxima (1024-byte key, 2 KB of user metadata, 10 tags of 128/256
characters, 100 ACL grants, a checksum) on real loopback filesystems: the answer
is 200 or a clean 400, never 503/507, and the next request is served. With the
budget raised (``max_stored_metadata_size = 65536``) XFS takes them all.
"""
from __future__ import annotations

import base64
import hashlib
from urllib.parse import quote

import pytest

from swift3compat_dev.cluster import Cluster, ProxySpec
from tests.functional.test_post_object import post, v2_form
from tests.multiproxy.conftest import OPTIONS, raw_of
from tests.multiproxy.helpers import complete, complete_body, completed_etag, error_code

KEY = 'k' * 1024
META = {'x-amz-meta-m%07d' % i: 'v' * 248 for i in range(8)}       # 2 KB as AWS counts
TAGS = '&'.join('%s=%s' % (quote(('%03d' % i) + 't' * 125), quote('v' * 256))
                for i in range(10))
GRANTS = {'x-amz-grant-read': ', '.join('id=%064x' % i for i in range(100))}
CLEAN_400 = {'MetadataTooLarge', 'RequestHeaderSectionTooLarge'}

CONFIGS = [('ext4', ''), ('xfs', ''), ('xfs', '65536')]


@pytest.fixture(scope='module', params=CONFIGS,
                ids=['ext4-default', 'xfs-default', 'xfs-65536'])
def target(request, tmp_path_factory):
    fstype, budget = request.param
    cluster = Cluster(str(tmp_path_factory.mktemp(f'budget-{fstype}')),
                      filesystem=fstype)
    options = dict(OPTIONS)
    if budget:
        options['max_stored_metadata_size'] = budget
    try:
        cluster.start()
        # Swift's default error limiting (60 s): a 507 would show as 503s after.
        proxy = cluster.add_proxy(ProxySpec(name='proxy-budget', s3_options=options))
        yield fstype, budget, raw_of(proxy)
    finally:
        cluster.stop()


def _sha256(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode()


def _put(raw, bucket):
    return raw.send('PUT', f'/{bucket}/{KEY}', body=b'x', headers={
        **META, 'x-amz-tagging': TAGS, 'x-amz-checksum-sha256': _sha256(b'x'),
        'content-type': 'text/plain', 'cache-control': 'max-age=60'})


def _copy(raw, bucket):
    assert raw.send('PUT', f'/{bucket}/src', body=b'x').status == 200
    return raw.send('PUT', f'/{bucket}/{KEY}', headers={
        'x-amz-copy-source': f'/{bucket}/src', 'x-amz-metadata-directive': 'REPLACE',
        'x-amz-tagging-directive': 'REPLACE', 'x-amz-tagging': TAGS, **META})


def _tagging(raw, bucket):
    assert raw.send('PUT', f'/{bucket}/{KEY}', body=b'x').status == 200
    body = ('<Tagging><TagSet>' + ''.join(
        '<Tag><Key>%s</Key><Value>%s</Value></Tag>' % (('%03d' % i) + 't' * 125, 'v' * 256)
        for i in range(10)) + '</TagSet></Tagging>').encode()
    return raw.send('PUT', f'/{bucket}/{KEY}', params=[('tagging', '')], body=body,
                    headers={'content-md5': base64.b64encode(
                        hashlib.md5(body).digest()).decode()})


def _acl(raw, bucket):
    assert raw.send('PUT', f'/{bucket}/{KEY}', body=b'x').status == 200
    return raw.send('PUT', f'/{bucket}/{KEY}', params=[('acl', '')], headers=GRANTS)


def _multipart(raw, bucket):
    created = raw.send('POST', f'/{bucket}/{KEY}', params=[('uploads', '')],
                       headers={**META, 'x-amz-tagging': TAGS})
    if created.status != 200:
        return created
    from lxml import etree
    upload_id = etree.fromstring(created.body).findtext('{*}UploadId')
    part = raw.send('PUT', f'/{bucket}/{KEY}', params=[
        ('partNumber', '1'), ('uploadId', upload_id)], body=b'x')
    assert part.status == 200, part
    return complete(raw, bucket, KEY, upload_id,
                    complete_body([part.headers['etag']], [1]))


def _post_object(raw, bucket):
    from swift3compat_dev.cluster import TEMPAUTH_USERS
    user = [u for u in TEMPAUTH_USERS if u.access_key == 'test:tester'][0]
    fields = v2_form(user, bucket, KEY, [{'key': KEY}] + [
        {name: value} for name, value in META.items()], **META)
    status, _headers, body = post(raw.port, bucket, fields, b'x')
    from tests.security.s3raw import Response
    return Response(status, {}, body)


def _moderate(raw, bucket):
    """2 KB of metadata on a short key: fits everywhere."""
    return raw.send('PUT', f'/{bucket}/short', body=b'x', headers=META)


CASES = {'put': _put, 'copy': _copy, 'tagging': _tagging, 'acl': _acl,
         'multipart': _multipart, 'post-object': _post_object, 'moderate': _moderate}


@pytest.mark.parametrize('case', list(CASES))
def test_aws_maximum_is_200_or_clean_400_and_nothing_after(target, make_bucket_name,
                                                          case):
    fstype, budget, raw = target
    bucket = make_bucket_name(case)
    assert raw.send('PUT', f'/{bucket}').status == 200
    resp = CASES[case](raw, bucket)
    code = error_code(resp)
    ok = resp.status in (200, 204) and (case != 'multipart' or completed_etag(resp))
    assert ok or (resp.status == 400 and code in CLEAN_400), (fstype, resp)
    if budget or case == 'moderate':
        assert ok, (fstype, budget, resp)       # AWS's maxima fit a raised budget
    # nothing knocked over: the device still serves, at once
    probe = raw.send('PUT', f'/{bucket}/probe', body=b'p')
    assert probe.status == 200, (fstype, probe)
    assert raw.send('GET', f'/{bucket}/probe').status == 200


def test_default_budget_fits_ext4():
    """The default leaves room for what Swift adds within ext4's 4028 bytes
    (measured: doc/xattr-limits.json); the option says when to raise it."""
    from swift3compat import config
    from swift3compat.swift import metadata_budget
    option = [o for o in config.OPTIONS if o.name == 'max_stored_metadata_size'][0]
    assert 'ext4' in option.doc and 'XFS' in option.doc
    assert int(option.default) + metadata_budget.SWIFT_OVERHEAD // 2 <= 4028
