"""Server access logs delivered as objects (issue #16, doc/access-logging.md),
across two proxies on one cluster: aws s3 cp, presigned GETs, anonymous and
denied requests each appear as one well-formed AWS-format record in log
objects of the target bucket; turning logging off stops delivery; bad
targets get AWS's errors; no secret ever appears in a log object."""
from __future__ import annotations

import json
import os
import re
import signal
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Callable, Dict

import pytest
from botocore.exceptions import ClientError

from swift3compat.model.access_log import FIELD_NAMES, parse_line
from tests.functional.conftest import DEFAULT_S3_OPTIONS, endpoint_of

WAIT = 90          # seconds a record may take to show up (interval 1 s)
UNIQUE = re.compile(r'[0-9A-F]{16}')
SIMPLE_KEY = re.compile(r'^logs/\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-[0-9A-F]{16}$')


@pytest.fixture(scope='module')
def proxies(proxy_factory):
    """Two proxies on one cluster, writing every second."""
    one = proxy_factory(**DEFAULT_S3_OPTIONS, access_log_flush_interval='1')
    two = proxy_factory(**DEFAULT_S3_OPTIONS, access_log_flush_interval='1',
                        access_log_flush_bytes='1048575')
    return one, two


@pytest.fixture(scope='module')
def slow_proxy(proxy_factory):
    """A proxy that writes only once an hour, unless told to flush now."""
    return proxy_factory(**DEFAULT_S3_OPTIONS,
                         access_log_flush_interval='3600')


@pytest.fixture(scope='module')
def clients(proxies, s3_client_factory):
    one, two = proxies
    return {name: s3_client_factory(user, proxy=proxy)
            for name, user, proxy in (
                ('a', 'test:tester', one), ('b', 'test:tester', two),
                ('a3', 'test:tester3', one), ('other', 'test2:tester2', two))}


def _code(exc) -> str:
    return exc.value.response['Error']['Code']


def _enable(s3, bucket: str, target: str, prefix: str = 'logs/',
            key_format=None) -> None:
    enabled = {'TargetBucket': target, 'TargetPrefix': prefix}
    if key_format is not None:
        enabled['TargetObjectKeyFormat'] = key_format
    s3.put_bucket_logging(Bucket=bucket,
                          BucketLoggingStatus={'LoggingEnabled': enabled})


def _log_objects(s3, target: str, prefix: str) -> Dict[str, str]:
    out = {}
    pages = s3.get_paginator('list_objects_v2').paginate(Bucket=target,
                                                        Prefix=prefix)
    for page in pages:
        for item in page.get('Contents', ()):
            out[item['Key']] = s3.get_object(
                Bucket=target, Key=item['Key'])['Body'].read().decode('utf-8')
    return out


def _wait_records(s3, target: str, prefix: str, request_ids,
                  poke: Callable[[], None] = lambda: None
                  ) -> Dict[str, dict]:
    """Poll the target until a record of every request id is there; the
    records by request id (each id exactly once), plus '' -> objects."""
    wanted = set(request_ids)
    deadline = time.monotonic() + WAIT
    while True:
        poke()
        objects = _log_objects(s3, target, prefix)
        records: Dict[str, dict] = {}
        counts: Dict[str, int] = {}
        for text in objects.values():
            assert text.endswith('\n')
            for line in text.splitlines():
                fields = parse_line(line)
                counts[fields['request_id']] = \
                    counts.get(fields['request_id'], 0) + 1
                records[fields['request_id']] = fields
        if wanted <= set(records):
            for rid in wanted:
                assert counts[rid] == 1, rid
            records[''] = objects     # type: ignore[assignment]
            return records
        assert time.monotonic() < deadline, \
            'records missing: %s' % (wanted - set(records))
        time.sleep(0.5)


def _request_id(resp) -> str:
    return resp['ResponseMetadata']['HTTPHeaders']['x-amz-request-id']


def _error_request_id(exc) -> str:
    return exc.value.response['ResponseMetadata']['HTTPHeaders'][
        'x-amz-request-id']


def _http(method: str, url: str):
    req = urllib.request.Request(url, method=method,
                                 headers={'User-Agent': 'plain-http/1.0',
                                          'Referer': 'http://ref.example/'})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def _check_common(rec: dict, bucket: str) -> None:
    assert list(rec) == list(FIELD_NAMES)
    assert rec['bucket_owner'] == 'AUTH_test'
    assert rec['bucket'] == bucket
    assert re.match(r'^\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000$',
                    rec['time'])
    assert rec['remote_ip'] == '127.0.0.1'
    assert re.match(r'^x-amz-id|^[A-Za-z0-9+/=]+$', rec['host_id'])
    assert rec['total_time'].isdigit() and rec['turn_around_time'].isdigit()
    assert int(rec['turn_around_time']) <= int(rec['total_time'])
    assert rec['cipher_suite'] == '-' and rec['tls_version'] == '-'
    assert rec['host_header'].startswith('localhost:')
    assert rec['access_point_arn'] == '-'
    assert rec['acl_required'] in ('-', 'Yes')


def test_records_across_two_proxies(proxies, clients, awscli, make_bucket_name,
                                    tmp_path, s3_users):
    a, b = clients['a'], clients['b']
    src, target = make_bucket_name('src'), make_bucket_name('logs')
    a.create_bucket(Bucket=src)
    a.create_bucket(Bucket=target)
    _enable(a, src, target)

    # aws s3 cp through proxy one
    local = tmp_path / 'cp.txt'
    local.write_bytes(b'copied by aws s3 cp\n')
    cli = awscli(proxy=proxies[0])
    cli.run('s3', 'cp', str(local), 's3://%s/cp.txt' % src)
    # a presigned GET through proxy two
    a.put_object(Bucket=src, Key='pre sign.txt', Body=b'presigned')
    url = b.generate_presigned_url('get_object', Params={
        'Bucket': src, 'Key': 'pre sign.txt'}, ExpiresIn=300)
    signature = re.search(r'X-Amz-Signature=([0-9a-f]+)', url).group(1)
    status, headers, body = _http('GET', url)
    assert (status, body) == (200, b'presigned')
    presigned_id = headers['x-amz-request-id']
    # anonymous GETs through proxy two: allowed (public-read) and denied
    a.put_object(Bucket=src, Key='public.txt', Body=b'public',
                 ACL='public-read')
    base = endpoint_of(proxies[1])
    status, headers, body = _http('GET', '%s/%s/public.txt' % (base, src))
    assert (status, body) == (200, b'public')
    anon_ok = headers['x-amz-request-id']
    status, headers, _ = _http('GET', '%s/%s/pre%%20sign.txt' % (base, src))
    assert status == 403
    anon_denied = headers['x-amz-request-id']
    # a signed request that the ACL denies (test:tester3 is not an owner)
    with pytest.raises(ClientError) as exc:
        clients['a3'].delete_object(Bucket=src, Key='public.txt')
    assert _code(exc) == 'AccessDenied'
    denied_id = _error_request_id(exc)
    # an error of the bucket owner: NoSuchKey, through proxy one
    with pytest.raises(ClientError) as exc:
        a.get_object(Bucket=src, Key='missing')
    missing_id = _error_request_id(exc)

    listed = a.list_objects_v2(Bucket=src)
    list_id = _request_id(listed)

    records = _wait_records(a, target, 'logs/', [
        presigned_id, anon_ok, anon_denied, denied_id, missing_id, list_id])
    objects = records.pop('')
    for key in objects:
        assert SIMPLE_KEY.match(key), key
    # the two proxies wrote their own objects
    assert len(objects) >= 2

    for rec in records.values():
        _check_common(rec, src)

    pre = records[presigned_id]
    assert pre['operation'] == 'REST.GET.OBJECT'
    assert pre['key'] == 'pre%20sign.txt'
    assert pre['requester'] == 'AUTH_test'
    assert pre['http_status'] == '200' and pre['error_code'] == '-'
    assert pre['bytes_sent'] == '9' and pre['object_size'] == '9'
    assert pre['signature_version'] == 'SigV4'
    assert pre['authentication_type'] == 'QueryString'
    assert pre['request_uri'].startswith('GET /%s/pre%%20sign.txt?' % src)
    assert re.search(r' HTTP/1\.[01]$', pre['request_uri'])
    assert 'X-Amz-Signature=REDACTED' in pre['request_uri']
    assert 'X-Amz-Credential=' in pre['request_uri']
    assert pre['user_agent'] == 'plain-http/1.0'
    assert pre['referer'] == 'http://ref.example/'
    assert pre['version_id'] == '-'

    ok = records[anon_ok]
    assert ok['requester'] == '-' and ok['http_status'] == '200'
    assert ok['signature_version'] == '-'
    assert ok['authentication_type'] == '-'
    assert re.match(r'^GET /%s/public.txt HTTP/1\.[01]$' % src,
                    ok['request_uri'])

    no = records[anon_denied]
    assert no['requester'] == '-'
    assert (no['http_status'], no['error_code']) == ('403', 'AccessDenied')
    assert no['bytes_sent'] not in ('-', '0')      # the error document
    assert no['object_size'] == '-'

    denied = records[denied_id]
    assert denied['operation'] == 'REST.DELETE.OBJECT'
    assert denied['requester'] == 'test:tester3'
    assert (denied['http_status'], denied['error_code']) == \
        ('403', 'AccessDenied')
    assert denied['authentication_type'] == 'AuthHeader'
    assert denied['user_agent'].startswith('Boto3/')

    missing = records[missing_id]
    assert (missing['http_status'], missing['error_code']) == \
        ('404', 'NoSuchKey')

    listing = records[list_id]
    assert listing['operation'] == 'REST.GET.BUCKET'
    assert listing['key'] == '-'
    assert listing['request_uri'].startswith('GET /%s?list-type=2' % src)

    # aws s3 cp: one REST.PUT.OBJECT record of cp.txt with its size
    puts = []
    for text in objects.values():
        for line in text.splitlines():
            fields = parse_line(line)
            if fields['operation'] == 'REST.PUT.OBJECT' and \
                    fields['key'] == 'cp.txt':
                puts.append(fields)
    assert len(puts) == 1
    assert puts[0]['object_size'] == str(len(b'copied by aws s3 cp\n'))
    assert puts[0]['user_agent'].startswith('aws-cli/')
    assert puts[0]['authentication_type'] == 'AuthHeader'

    # no secret in any log object
    everything = ''.join(objects.values())
    assert signature not in everything
    for user in s3_users.values():
        assert user.key not in everything.split()
    assert 'Signature=' not in everything.replace(
        'X-Amz-Signature=REDACTED', '')
    assert 'AWS4-HMAC-SHA256 Credential' not in everything
    # log objects are ordinary objects owned by the target's owner: the
    # other account cannot read them
    with pytest.raises(ClientError) as exc:
        clients['other'].get_object(Bucket=target, Key=next(iter(objects)))
    assert _code(exc) == 'AccessDenied'


def test_sigv2_presigned_signature_redacted(proxies, s3_client_factory,
                                            make_bucket_name):
    v2 = s3_client_factory(proxy=proxies[1], signature_version='s3')
    a = s3_client_factory(proxy=proxies[0])
    src = make_bucket_name('v2')
    a.create_bucket(Bucket=src)
    _enable(a, src, src, prefix='self/')
    a.put_object(Bucket=src, Key='k', Body=b'v')
    url = v2.generate_presigned_url('get_object', Params={
        'Bucket': src, 'Key': 'k'}, ExpiresIn=300)
    signature = urllib.parse.unquote(
        re.search(r'Signature=([^&]+)', url).group(1))
    status, headers, _ = _http('GET', url)
    assert status == 200
    rid = headers['x-amz-request-id']
    records = _wait_records(a, src, 'self/', [rid])
    objects = records.pop('')
    rec = records[rid]
    assert rec['signature_version'] == 'SigV2'
    assert rec['authentication_type'] == 'QueryString'
    assert 'Signature=REDACTED' in rec['request_uri']
    text = ''.join(objects.values())
    assert signature not in text
    assert urllib.parse.quote(signature, safe='') not in text
    # logging into the bucket itself makes no loop: no record of a log
    # object write
    for body in objects.values():
        for line in body.splitlines():
            fields = parse_line(line)
            assert not (fields['operation'] == 'REST.PUT.OBJECT' and
                        fields['key'].startswith('self/')), line


def test_partitioned_prefix(proxies, clients, make_bucket_name):
    a = clients['a']
    src, target = make_bucket_name('psrc'), make_bucket_name('plogs')
    a.create_bucket(Bucket=src)
    a.create_bucket(Bucket=target)
    for source, prefix in (('EventTime', 'e/'), ('DeliveryTime', 'd/')):
        _enable(a, src, target, prefix, {
            'PartitionedPrefix': {'PartitionDateSource': source}})
        rid = _request_id(a.put_object(Bucket=src, Key=source, Body=b'x'))
        records = _wait_records(a, target, prefix, [rid])
        # Every log object under the prefix is partitioned; there may be
        # more than one (the two proxies each deliver what they logged,
        # e.g. the PutBucketLogging itself).
        keys = list(records.pop(''))
        assert keys
        for key in keys:
            match = re.match(r'^%sAUTH_test/us-east-1/%s/(\d{4})/(\d\d)/(\d\d)/'
                             r'(\d{4})-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-'
                             r'[0-9A-F]{16}$' % (prefix, src), key)
            assert match, key
            assert match.group(1, 2, 3) == match.group(4, 5, 6)
            if source == 'EventTime':
                assert match.group(7, 8, 9) == ('00', '00', '00')
        assert records[rid]['operation'] == 'REST.PUT.OBJECT'


def test_turning_logging_off_stops_delivery(clients, make_bucket_name):
    a = clients['a']
    src, marker_src, target = (make_bucket_name('off'),
                               make_bucket_name('marker'),
                               make_bucket_name('offlogs'))
    for name in (src, marker_src, target):
        a.create_bucket(Bucket=name)
    _enable(a, src, target, 'x/')
    _enable(a, marker_src, target, 'm/')
    before = _request_id(a.put_object(Bucket=src, Key='before', Body=b'1'))
    _wait_records(a, target, 'x/', [before])
    a.put_bucket_logging(Bucket=src, BucketLoggingStatus={})
    assert 'LoggingEnabled' not in a.get_bucket_logging(Bucket=src)
    after = _request_id(a.put_object(Bucket=src, Key='after', Body=b'2'))
    # a later record of another source on the same proxy: once it is
    # delivered, a record of ``after`` would have been delivered too
    marker = _request_id(a.put_object(Bucket=marker_src, Key='m', Body=b'3'))
    _wait_records(a, target, 'm/', [marker])
    records = _wait_records(a, target, 'x/', [before])
    assert after not in records


def test_flush_now_with_sigusr2(slow_proxy, s3_client_factory,
                                make_bucket_name):
    s3 = s3_client_factory(proxy=slow_proxy)
    src, target = make_bucket_name('now'), make_bucket_name('nowlogs')
    s3.create_bucket(Bucket=src)
    s3.create_bucket(Bucket=target)
    _enable(s3, src, target)
    rid = _request_id(s3.put_object(Bucket=src, Key='k', Body=b'v'))
    assert s3.list_objects_v2(Bucket=target).get('KeyCount') == 0
    records = _wait_records(
        s3, target, 'logs/', [rid],
        poke=lambda: os.kill(slow_proxy.pid, signal.SIGUSR2))
    assert records[rid]['operation'] == 'REST.PUT.OBJECT'


@pytest.mark.parametrize('s3_acl', ['true', 'false'])
def test_multipart_and_copy(s3_acl, proxy_factory, s3_client_factory,
                            make_bucket_name):
    proxy = proxy_factory(storage_domain='localhost', s3_acl=s3_acl,
                          access_log_flush_interval='1')
    s3 = s3_client_factory(proxy=proxy)
    src, target = make_bucket_name('mpu'), make_bucket_name('mpulogs')
    s3.create_bucket(Bucket=src)
    s3.create_bucket(Bucket=target)
    _enable(s3, src, target)
    upload = s3.create_multipart_upload(Bucket=src, Key='mpu')
    ids = {'create': _request_id(upload)}
    part = s3.upload_part(Bucket=src, Key='mpu', UploadId=upload['UploadId'],
                          PartNumber=1, Body=b'p' * 10)
    part_id = _request_id(part)
    ids['complete'] = _request_id(s3.complete_multipart_upload(
        Bucket=src, Key='mpu', UploadId=upload['UploadId'],
        MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': part['ETag']}]}))
    ids['copy'] = _request_id(s3.copy_object(
        Bucket=src, Key='copy', CopySource={'Bucket': src, 'Key': 'mpu'}))
    ids['head'] = _request_id(s3.head_object(Bucket=src, Key='copy'))
    # without s3_acl an UploadPart never loads the bucket's container
    # info: it is looked up when the record is made
    ids['part'] = part_id
    expected = {
        'create': 'REST.POST.UPLOADS', 'complete': 'REST.POST.UPLOAD',
        'copy': 'REST.COPY.OBJECT', 'head': 'REST.HEAD.OBJECT',
        'part': 'REST.PUT.PART'}
    records = _wait_records(s3, target, 'logs/', ids.values())
    assert {name: records[rid]['operation']
            for name, rid in ids.items()} == expected
    for rid in ids.values():
        assert records[rid]['requester'] == 'AUTH_test'
        assert records[rid]['bucket_owner'] == 'AUTH_test'
    assert records[part_id]['object_size'] == '10'
    head = records[ids['head']]
    assert head['bytes_sent'] == '-' and head['object_size'] == '10'


def test_buckets_without_logging_cost_no_backend_request(
        swift_cluster, proxies, proxy_factory, s3_client_factory,
        make_bucket_name):
    """With delivery on, a bucket without logging costs exactly the backend
    requests it costs with delivery off (the configuration comes from the
    container info the request loaded anyway)."""
    from tests.functional.test_acl_cost import cost
    off = proxy_factory(**DEFAULT_S3_OPTIONS, access_log_delivery='false')
    clients = {'on': s3_client_factory(proxy=proxies[0]),
               'off': s3_client_factory(proxy=off)}
    bucket = make_bucket_name('cost')
    clients['on'].create_bucket(Bucket=bucket)
    clients['on'].put_object(Bucket=bucket, Key='k', Body=b'data')
    for call in (lambda c: c.get_object(Bucket=bucket, Key='k'),
                 lambda c: c.head_object(Bucket=bucket, Key='k'),
                 lambda c: c.put_object(Bucket=bucket, Key='k', Body=b'd'),
                 lambda c: c.list_objects_v2(Bucket=bucket)):
        assert cost(swift_cluster, call, clients['on']) == \
            cost(swift_cluster, call, clients['off'])


def test_graceful_shutdown_writes_the_buffers(swift_cluster, s3_client_factory,
                                              make_bucket_name):
    """A worker that exits normally (SIGHUP: graceful shutdown) writes what
    it holds, however long its interval."""
    from swift3compat_dev.cluster import ProxySpec
    proxy = swift_cluster.add_proxy(ProxySpec(
        name='proxy-logs-graceful', workers=1,
        s3_options={**DEFAULT_S3_OPTIONS,
                    'access_log_flush_interval': '3600'}))
    s3 = s3_client_factory(proxy=proxy)
    src, target = make_bucket_name('bye'), make_bucket_name('byelogs')
    s3.create_bucket(Bucket=src)
    s3.create_bucket(Bucket=target)
    _enable(s3, src, target)
    first = _request_id(s3.put_object(Bucket=src, Key='k', Body=b'v'))
    assert s3.list_objects_v2(Bucket=target).get('KeyCount') == 0
    # flush now: SIGUSR2 to the parent and its worker (the parent holds no
    # records and keeps running)
    pids = proxy.pids()
    assert len(pids) == 2
    for pid in pids:
        os.kill(pid, signal.SIGUSR2)
    _wait_records(s3, target, 'logs/', [first])
    second = _request_id(s3.put_object(Bucket=src, Key='k2', Body=b'v'))
    os.kill(proxy.pid, signal.SIGHUP)
    reader = s3_client_factory()          # another proxy reads the logs
    records = _wait_records(reader, target, 'logs/', [first, second])
    assert records[second]['operation'] == 'REST.PUT.OBJECT'


# -- configurations ------------------------------------------------------------
def test_target_must_exist(clients, make_bucket_name):
    a = clients['a']
    src = make_bucket_name('src')
    a.create_bucket(Bucket=src)
    with pytest.raises(ClientError) as exc:
        _enable(a, src, make_bucket_name('absent'))
    assert _code(exc) == 'InvalidTargetBucketForLogging'
    assert exc.value.response['ResponseMetadata']['HTTPStatusCode'] == 400


def test_target_of_another_owner_needs_a_grant(clients, make_bucket_name):
    a, other = clients['a'], clients['other']
    src, target = make_bucket_name('src'), make_bucket_name('foreign')
    a.create_bucket(Bucket=src)
    other.create_bucket(Bucket=target)
    with pytest.raises(ClientError) as exc:
        _enable(a, src, target)
    assert _code(exc) == 'InvalidTargetBucketForLogging'
    assert 'LoggingEnabled' not in a.get_bucket_logging(Bucket=src)
    # a policy for another service, or for s3:GetObject only, is not enough
    other.put_bucket_policy(Bucket=target, Policy=json.dumps({
        'Version': '2012-10-17', 'Statement': [{
            'Effect': 'Allow',
            'Principal': {'Service': 'logging.s3.amazonaws.com'},
            'Action': 's3:GetObject',
            'Resource': 'arn:aws:s3:::%s/*' % target}]}))
    with pytest.raises(ClientError) as exc:
        _enable(a, src, target)
    assert _code(exc) == 'InvalidTargetBucketForLogging'
    # AWS's documented policy: the logging service may PutObject
    other.put_bucket_policy(Bucket=target, Policy=json.dumps({
        'Version': '2012-10-17', 'Statement': [{
            'Effect': 'Allow',
            'Principal': {'Service': 'logging.s3.amazonaws.com'},
            'Action': 's3:PutObject',
            'Resource': 'arn:aws:s3:::%s/logs/*' % target,
            'Condition': {'StringEquals': {'aws:SourceAccount': 'AUTH_test'},
                          'ArnLike': {'aws:SourceArn':
                                      'arn:aws:s3:::%s' % src}}}]}))
    _enable(a, src, target)
    rid = _request_id(a.put_object(Bucket=src, Key='k', Body=b'v'))
    records = _wait_records(other, target, 'logs/', [rid])
    objects = records.pop('')
    key = next(iter(objects))
    # the log object belongs to the target's owner (test2)
    acl = other.get_object_acl(Bucket=target, Key=key)
    assert acl['Owner']['ID'] == 'AUTH_test2'
    with pytest.raises(ClientError) as exc:
        a.get_object(Bucket=target, Key=key)
    assert _code(exc) == 'AccessDenied'
    # another prefix is not covered by the policy
    with pytest.raises(ClientError) as exc:
        _enable(a, src, target, prefix='elsewhere/')
    assert _code(exc) == 'InvalidTargetBucketForLogging'
    # the legacy way: the LogDelivery group may WRITE
    other.delete_bucket_policy(Bucket=target)
    other.put_bucket_acl(Bucket=target, GrantWrite=(
        'uri="http://acs.amazonaws.com/groups/s3/LogDelivery"'),
        GrantFullControl='id=AUTH_test2')
    _enable(a, src, target, prefix='elsewhere/')


def test_policy_with_a_service_principal_is_stored(clients, make_bucket_name):
    a = clients['a']
    bucket = make_bucket_name('pol')
    a.create_bucket(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        a.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
            'Version': '2012-10-17', 'Statement': [{
                'Effect': 'Allow',
                'Principal': {'Service': 'ec2.amazonaws.com'},
                'Action': 's3:PutObject',
                'Resource': 'arn:aws:s3:::%s/*' % bucket}]}))
    assert _code(exc) == 'MalformedPolicy'


def _all_records(s3, target: str, prefix: str,
                 missing: Callable[[list], object]) -> list:
    """Poll the target until nothing is ``missing(records)`` (every record,
    parsed)."""
    deadline = time.monotonic() + WAIT
    while True:
        records = [parse_line(line)
                   for text in _log_objects(s3, target, prefix).values()
                   for line in text.splitlines()]
        lacking = missing(records)
        if not lacking:
            return records
        assert time.monotonic() < deadline, 'records missing: %s' % (
            lacking,)
        time.sleep(0.5)


def test_failures_preflights_forms_and_batch_deletes_are_logged(
        proxies, clients, s3_client_factory, make_bucket_name, s3_users):
    """AWS logs every request to the source bucket: failed authentication
    (the bucket is known), expired presigned URLs, CORS preflights, POST
    form uploads, configuration writes on the bucket itself, and a
    DeleteObjects as one REST.POST.MULTI_OBJECT_DELETE record plus one
    BATCH.DELETE.OBJECT record per key."""
    import boto3
    from botocore.config import Config
    from tests.functional.test_post_object import post
    a = clients['a']
    src, target = make_bucket_name('cov'), make_bucket_name('covlogs')
    a.create_bucket(Bucket=src)
    a.create_bucket(Bucket=target)
    _enable(a, src, target)
    a.put_object(Bucket=src, Key='k', Body=b'data')
    ids: Dict[str, str] = {}
    base = endpoint_of(proxies[1])
    secret = s3_users['test:tester'].key

    def client(access_key, secret_key):
        return boto3.session.Session().client(
            's3', endpoint_url=base, region_name='us-east-1',
            aws_access_key_id=access_key, aws_secret_access_key=secret_key,
            config=Config(signature_version='s3v4', retries={
                'mode': 'standard', 'total_max_attempts': 1}))
    for name, creds in (
            ('bad_signature', (s3_users['test:tester'].access_key,
                               'not-the-secret')),
            ('bad_key', ('NOSUCHACCESSKEY', 'whatever'))):
        with pytest.raises(ClientError) as exc:
            client(*creds).get_object(Bucket=src, Key='k')
        ids[name] = _error_request_id(exc)
    # an expired presigned URL
    url = clients['b'].generate_presigned_url('get_object', Params={
        'Bucket': src, 'Key': 'k'}, ExpiresIn=1)
    time.sleep(2)
    status, headers, _ = _http('GET', url)
    assert status == 403
    ids['expired'] = headers['x-amz-request-id']
    # a configuration write on the logged bucket itself, then a preflight
    put_cors = a.put_bucket_cors(Bucket=src, CORSConfiguration={
        'CORSRules': [{'AllowedOrigins': ['http://site.example'],
                       'AllowedMethods': ['GET']}]})
    ids['put_cors'] = _request_id(put_cors)
    req = urllib.request.Request(
        '%s/%s/k' % (base, src), method='OPTIONS', headers={
            'Origin': 'http://site.example',
            'Access-Control-Request-Method': 'GET'})
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 200
        ids['preflight'] = resp.headers['x-amz-request-id']
    # a browser form upload
    form = a.generate_presigned_post(src, 'form.txt', ExpiresIn=300)
    status, headers, body = post(proxies[1].port, src, form['fields'],
                                 b'by form')
    assert status == 204, body
    ids['form'] = headers['x-amz-request-id']
    # DeleteObjects: one existing key, one missing (deleted as AWS says)
    deleted = a.delete_objects(Bucket=src, Delete={'Objects': [
        {'Key': 'k'}, {'Key': 'never there'}]})
    assert len(deleted['Deleted']) == 2
    ids['batch'] = _request_id(deleted)

    def missing(records):
        got = [rec['request_id'] for rec in records]
        lacking = [name for name, rid in ids.items() if rid not in got]
        if got.count(ids['batch']) < 3:
            lacking.append('batch records: %d' % got.count(ids['batch']))
        return lacking
    records = _all_records(a, target, 'logs/', missing)
    by_id: Dict[str, list] = {}
    for rec in records:
        by_id.setdefault(rec['request_id'], []).append(rec)
    for name, rid in ids.items():
        for rec in by_id[rid]:
            _check_common(rec, src)
        if name != 'batch':
            assert len(by_id[rid]) == 1, (name, by_id[rid])
    one = {name: by_id[rid][0] for name, rid in ids.items()}
    for name, code in (('bad_signature', 'SignatureDoesNotMatch'),
                       ('bad_key', 'InvalidAccessKeyId'),
                       ('expired', 'AccessDenied')):
        rec = one[name]
        assert (rec['http_status'], rec['error_code']) == ('403', code), name
        assert rec['operation'] == 'REST.GET.OBJECT', name
        assert rec['key'] == 'k'
        assert rec['requester'] == '-', name   # not authenticated
    assert one['bad_signature']['authentication_type'] == 'AuthHeader'
    assert one['expired']['authentication_type'] == 'QueryString'
    assert 'X-Amz-Signature=REDACTED' in one['expired']['request_uri']
    assert (one['put_cors']['operation'], one['put_cors']['http_status']) \
        == ('REST.PUT.CORS', '200')
    pre = one['preflight']
    assert (pre['operation'], pre['key'], pre['http_status']) == \
        ('REST.OPTIONS.PREFLIGHT', 'k', '200')
    assert pre['requester'] == '-' and pre['signature_version'] == '-'
    posted = one['form']
    assert (posted['operation'], posted['key'], posted['http_status']) == \
        ('REST.POST.OBJECT', 'form.txt', '204')
    assert posted['requester'] == 'AUTH_test'
    assert posted['object_size'] == str(len(b'by form'))
    batch = by_id[ids['batch']]
    assert sorted((rec['operation'], rec['key'], rec['http_status'])
                  for rec in batch) == [
        ('BATCH.DELETE.OBJECT', 'k', '204'),
        ('BATCH.DELETE.OBJECT', 'never%20there', '204'),
        ('REST.POST.MULTI_OBJECT_DELETE', '-', '200')]
    for rec in batch:
        assert rec['requester'] == 'AUTH_test'
        assert rec['request_uri'].startswith('POST /%s?delete' % src)
    # still no secret
    text = json.dumps(records)
    assert secret not in text and 'not-the-secret' not in text
    assert form['fields']['x-amz-signature'] not in text


def test_website_endpoint_requests_are_logged(proxy_factory, s3_client_factory,
                                              make_bucket_name):
    """Website endpoint requests are logged as WEBSITE.<METHOD>.OBJECT,
    anonymous, with the error code of an error page."""
    import http.client
    domain = 's3-website.localhost'
    web = proxy_factory(**DEFAULT_S3_OPTIONS, website_domain=domain,
                        access_log_flush_interval='1')
    s3 = s3_client_factory(proxy=web)
    src, target = make_bucket_name('web'), make_bucket_name('weblogs')
    s3.create_bucket(Bucket=src)
    s3.create_bucket(Bucket=target)
    s3.put_object(Bucket=src, Key='index.html', Body=b'<h1>home</h1>',
                  ContentType='text/html', ACL='public-read')
    s3.put_bucket_website(Bucket=src, WebsiteConfiguration={
        'IndexDocument': {'Suffix': 'index.html'}})
    _enable(s3, src, target)

    def fetch(path):
        conn = http.client.HTTPConnection('127.0.0.1', web.port, timeout=30)
        try:
            conn.request('GET', path, headers={
                'Host': '%s.%s:%d' % (src, domain, web.port)})
            resp = conn.getresponse()
            resp.read()
            return resp.status, resp.getheader('x-amz-request-id')
        finally:
            conn.close()
    status, home = fetch('/index.html')
    assert status == 200
    status, missing = fetch('/nothing.html')
    assert status == 403        # no public listing: AccessDenied, as AWS

    def lacking(records):
        got = {rec['request_id'] for rec in records}
        return [rid for rid in (home, missing) if rid not in got]
    records = {rec['request_id']: rec
               for rec in _all_records(s3, target, 'logs/', lacking)}
    rec = records[home]
    assert (rec['operation'], rec['key'], rec['http_status']) == \
        ('WEBSITE.GET.OBJECT', 'index.html', '200')
    assert rec['request_uri'].startswith('GET /index.html HTTP/1.')
    assert rec['requester'] == '-' and rec['signature_version'] == '-'
    assert rec['bytes_sent'] == str(len(b'<h1>home</h1>'))
    rec = records[missing]
    assert (rec['operation'], rec['key'], rec['http_status'],
            rec['error_code']) == \
        ('WEBSITE.GET.OBJECT', 'nothing.html', '403', 'AccessDenied')
