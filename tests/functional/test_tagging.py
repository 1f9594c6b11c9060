"""Object and bucket tagging against a real Swift cluster: boto3, awscli,
s3cmd, and raw requests for what SDKs will not send."""
from __future__ import annotations

import base64
import hashlib
import json
import time

import pytest
from botocore.exceptions import ClientError

from tests.functional.raw_s3 import RawS3

TAGS = [{'Key': 'project', 'Value': 'blue'}, {'Key': 'cost center', 'Value': ''}]


def _md5(body: bytes) -> str:
    return base64.b64encode(hashlib.md5(body).digest()).decode()


def _code(exc: pytest.ExceptionInfo) -> str:
    return exc.value.response['Error']['Code']


@pytest.fixture
def bucket(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    return bucket_name


def test_object_tagging_round_trip(s3, bucket):
    s3.put_object(Bucket=bucket, Key='k', Body=b'data')
    assert s3.get_object_tagging(Bucket=bucket, Key='k')['TagSet'] == []
    s3.put_object_tagging(Bucket=bucket, Key='k', Tagging={'TagSet': TAGS})
    assert s3.get_object_tagging(Bucket=bucket, Key='k')['TagSet'] == TAGS
    got = s3.get_object(Bucket=bucket, Key='k')
    assert got['TagCount'] == 2
    assert got['Body'].read() == b'data'
    s3.delete_object_tagging(Bucket=bucket, Key='k')
    assert s3.get_object_tagging(Bucket=bucket, Key='k')['TagSet'] == []
    assert 'TagCount' not in s3.get_object(Bucket=bucket, Key='k')


def test_tagging_keeps_data_etag_dates_and_metadata(s3, bucket):
    s3.put_object(Bucket=bucket, Key='k', Body=b'payload',
                  Metadata={'color': 'red', 'long': 'x' * 300},
                  ContentType='text/x-test', ContentDisposition='inline',
                  ContentEncoding='identity', CacheControl='no-cache',
                  ContentLanguage='fr', Tagging='a=1')
    before = s3.head_object(Bucket=bucket, Key='k')
    listed = s3.list_objects_v2(Bucket=bucket)['Contents'][0]
    time.sleep(1.1)     # a POST at a new time would move Last-Modified
    s3.put_object_tagging(Bucket=bucket, Key='k',
                          Tagging={'TagSet': [{'Key': 'b', 'Value': '2'}]})
    after = s3.head_object(Bucket=bucket, Key='k')
    for field in ('ETag', 'LastModified', 'ContentLength', 'ContentType',
                  'ContentDisposition', 'ContentEncoding', 'CacheControl',
                  'ContentLanguage', 'Metadata'):
        assert after[field] == before[field], field
    assert after['Metadata'] == {'color': 'red', 'long': 'x' * 300}
    assert s3.list_objects_v2(Bucket=bucket)['Contents'][0] == listed
    assert s3.get_object(Bucket=bucket, Key='k')['Body'].read() == b'payload'
    assert s3.get_object_tagging(Bucket=bucket, Key='k')['TagSet'] == [
        {'Key': 'b', 'Value': '2'}]


def test_tags_on_put_and_tag_count_on_get_and_head(s3, bucket):
    s3.put_object(Bucket=bucket, Key='k', Body=b'x',
                  Tagging='a=1&b=two%20words&empty=')
    assert s3.get_object_tagging(Bucket=bucket, Key='k')['TagSet'] == [
        {'Key': 'a', 'Value': '1'}, {'Key': 'b', 'Value': 'two words'},
        {'Key': 'empty', 'Value': ''}]
    assert s3.get_object(Bucket=bucket, Key='k')['TagCount'] == 3
    # AWS's HeadObject answers it too (TagCount in its API model).
    assert s3.head_object(Bucket=bucket, Key='k')['TagCount'] == 3


def test_overwrite_replaces_tags(s3, bucket):
    s3.put_object(Bucket=bucket, Key='k', Body=b'1', Tagging='a=1')
    s3.put_object(Bucket=bucket, Key='k', Body=b'2')
    assert s3.get_object_tagging(Bucket=bucket, Key='k')['TagSet'] == []


def test_unicode_tags(s3, bucket):
    tags = [{'Key': 'ключ' * 32, 'Value': 'värde ü' * 32},
            {'Key': '日本/語:=+-._@', 'Value': '値'},
            {'Key': ' edge ', 'Value': ' spaces à '}]
    s3.put_object(Bucket=bucket, Key='k', Body=b'x')
    s3.put_object_tagging(Bucket=bucket, Key='k', Tagging={'TagSet': tags})
    assert s3.get_object_tagging(Bucket=bucket, Key='k')['TagSet'] == tags


def test_ten_multibyte_tags(s3, bucket):
    # Object metadata lives in xattrs: the test cluster's ext4 holds about
    # 3.5 KB per object, XFS (what Swift recommends) AWS's largest tag sets.
    tags = [{'Key': chr(0x4e00 + i) * 3, 'Value': '語' * 12}
            for i in range(10)]
    s3.put_object(Bucket=bucket, Key='k', Body=b'x')
    s3.put_object_tagging(Bucket=bucket, Key='k', Tagging={'TagSet': tags})
    assert s3.get_object_tagging(Bucket=bucket, Key='k')['TagSet'] == tags


@pytest.mark.parametrize('tags', [
    [{'Key': 'k%d' % i, 'Value': 'v'} for i in range(11)],
    [{'Key': 'k' * 129, 'Value': 'v'}],
    [{'Key': 'k', 'Value': 'v' * 257}],
    [{'Key': 'k', 'Value': 'a'}, {'Key': 'k', 'Value': 'b'}],
    [{'Key': 'aws:reserved', 'Value': 'v'}],
    [{'Key': 'semi;colon', 'Value': 'v'}],
    [{'Key': 'k', 'Value': 'a<b'}],
])
def test_invalid_object_tags(s3, bucket, tags):
    s3.put_object(Bucket=bucket, Key='k', Body=b'x')
    with pytest.raises(ClientError) as exc:
        s3.put_object_tagging(Bucket=bucket, Key='k', Tagging={'TagSet': tags})
    assert _code(exc) == 'InvalidTag'
    assert s3.get_object_tagging(Bucket=bucket, Key='k')['TagSet'] == []


@pytest.mark.parametrize('header,code', [
    ('a=1&a=2', 'InvalidArgument'),
    ('&'.join('k%d=v' % i for i in range(11)), 'InvalidTag'),
    ('aws%3Ax=1', 'InvalidTag'),
])
def test_invalid_tagging_header_stores_nothing(s3, bucket, header, code):
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key='k', Body=b'x', Tagging=header)
    assert _code(exc) == code
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key='k')
    assert exc.value.response['Error']['Code'] == '404'


def test_tagging_missing_object_and_bucket(s3, bucket, make_bucket_name):
    with pytest.raises(ClientError) as exc:
        s3.get_object_tagging(Bucket=bucket, Key='nope')
    assert _code(exc) == 'NoSuchKey'
    with pytest.raises(ClientError) as exc:
        s3.put_object_tagging(Bucket=bucket, Key='nope',
                              Tagging={'TagSet': TAGS})
    assert _code(exc) == 'NoSuchKey'
    with pytest.raises(ClientError) as exc:
        s3.get_object_tagging(Bucket=make_bucket_name('none'), Key='k')
    assert _code(exc) == 'NoSuchBucket'


@pytest.mark.parametrize('directive,header,expected', [
    (None, None, [{'Key': 'src', 'Value': '1'}]),
    ('COPY', 'ignored=1', [{'Key': 'src', 'Value': '1'}]),
    ('REPLACE', 'new=2', [{'Key': 'new', 'Value': '2'}]),
    ('REPLACE', None, []),
])
def test_copy_tagging_directive(s3, bucket, directive, header, expected):
    s3.put_object(Bucket=bucket, Key='src', Body=b'x', Tagging='src=1')
    kwargs = {}
    if directive:
        kwargs['TaggingDirective'] = directive
    if header:
        kwargs['Tagging'] = header
    s3.copy_object(Bucket=bucket, Key='dst', **kwargs,
                   CopySource={'Bucket': bucket, 'Key': 'src'})
    assert s3.get_object_tagging(Bucket=bucket, Key='dst')['TagSet'] == \
        expected


def test_copy_with_replaced_metadata_keeps_source_tags(s3, bucket):
    s3.put_object(Bucket=bucket, Key='src', Body=b'x', Tagging='src=1')
    s3.copy_object(Bucket=bucket, Key='dst', MetadataDirective='REPLACE',
                   Metadata={'m': '1'},
                   CopySource={'Bucket': bucket, 'Key': 'src'})
    assert s3.get_object_tagging(Bucket=bucket, Key='dst')['TagSet'] == [
        {'Key': 'src', 'Value': '1'}]
    assert s3.head_object(Bucket=bucket, Key='dst')['Metadata'] == {'m': '1'}


def test_versioned_object_tagging(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket,
                             VersioningConfiguration={'Status': 'Enabled'})
    v1 = s3.put_object(Bucket=bucket, Key='k', Body=b'1',
                       Tagging='gen=1')['VersionId']
    v2 = s3.put_object(Bucket=bucket, Key='k', Body=b'2')['VersionId']
    resp = s3.put_object_tagging(Bucket=bucket, Key='k', VersionId=v1,
                                 Tagging={'TagSet': TAGS})
    assert resp['VersionId'] == v1
    got = s3.get_object_tagging(Bucket=bucket, Key='k', VersionId=v1)
    assert (got['TagSet'], got['VersionId']) == (TAGS, v1)
    # the current version is untouched, then tagged on its own
    assert s3.get_object_tagging(Bucket=bucket, Key='k')['TagSet'] == []
    s3.put_object_tagging(Bucket=bucket, Key='k',
                          Tagging={'TagSet': [{'Key': 'cur', 'Value': 'y'}]})
    got = s3.get_object_tagging(Bucket=bucket, Key='k')
    assert (got['TagSet'], got['VersionId']) == (
        [{'Key': 'cur', 'Value': 'y'}], v2)
    assert s3.get_object(Bucket=bucket, Key='k')['Body'].read() == b'2'
    assert s3.get_object(Bucket=bucket, Key='k',
                         VersionId=v1)['Body'].read() == b'1'
    s3.delete_object_tagging(Bucket=bucket, Key='k', VersionId=v1)
    assert s3.get_object_tagging(Bucket=bucket, Key='k',
                                 VersionId=v1)['TagSet'] == []
    versions = s3.list_object_versions(Bucket=bucket)['Versions']
    assert sorted(v['VersionId'] for v in versions) == sorted([v1, v2])


def test_multipart_object_tagging(s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key='mpu',
                                        Metadata={'m': '1'})
    etags = []
    for number, body in ((1, b'a' * 5 * 1024 * 1024), (2, b'tail')):
        etags.append(s3.upload_part(Bucket=bucket, Key='mpu', Body=body,
                                    PartNumber=number,
                                    UploadId=upload['UploadId'])['ETag'])
    s3.complete_multipart_upload(
        Bucket=bucket, Key='mpu', UploadId=upload['UploadId'],
        MultipartUpload={'Parts': [{'PartNumber': n + 1, 'ETag': e}
                                   for n, e in enumerate(etags)]})
    before = s3.head_object(Bucket=bucket, Key='mpu')
    listed = s3.list_objects_v2(Bucket=bucket)['Contents'][0]
    s3.put_object_tagging(Bucket=bucket, Key='mpu', Tagging={'TagSet': TAGS})
    assert s3.get_object_tagging(Bucket=bucket, Key='mpu')['TagSet'] == TAGS
    after = s3.head_object(Bucket=bucket, Key='mpu')
    for field in ('ETag', 'LastModified', 'ContentLength', 'Metadata'):
        assert after[field] == before[field], field
    assert s3.list_objects_v2(Bucket=bucket)['Contents'][0] == listed
    body = s3.get_object(Bucket=bucket, Key='mpu')['Body'].read()
    assert body == b'a' * 5 * 1024 * 1024 + b'tail'


def test_bucket_tagging(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_tagging(Bucket=bucket)
    assert _code(exc) == 'NoSuchTagSet'
    tags = [{'Key': 'k%02d' % i, 'Value': 'v' * 256} for i in range(50)]
    s3.put_bucket_tagging(Bucket=bucket, Tagging={'TagSet': tags})
    assert s3.get_bucket_tagging(Bucket=bucket)['TagSet'] == tags
    s3.put_bucket_tagging(Bucket=bucket, Tagging={'TagSet': TAGS})
    assert s3.get_bucket_tagging(Bucket=bucket)['TagSet'] == TAGS
    s3.delete_bucket_tagging(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_tagging(Bucket=bucket)
    assert _code(exc) == 'NoSuchTagSet'
    # the bucket itself is still there
    s3.head_bucket(Bucket=bucket)


def test_bucket_tagging_limits(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_tagging(Bucket=bucket, Tagging={'TagSet': [
            {'Key': 'k%d' % i, 'Value': 'v'} for i in range(51)]})
    assert _code(exc) == 'InvalidTag'
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_tagging(Bucket=bucket)
    assert _code(exc) == 'NoSuchTagSet'


def test_bucket_tagging_of_missing_bucket(s3, make_bucket_name):
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_tagging(Bucket=make_bucket_name('none'),
                              Tagging={'TagSet': TAGS})
    assert _code(exc) == 'NoSuchBucket'


@pytest.fixture
def raw(s3_endpoint, s3_users):
    user = s3_users['test:tester']
    return RawS3(s3_endpoint, user.access_key, user.key)


def test_tagging_body_needs_an_integrity_header(raw, s3, bucket):
    s3.put_object(Bucket=bucket, Key='k', Body=b'x')
    body = (b'<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag>'
            b'</TagSet></Tagging>')
    resp = raw('PUT', '/%s/k?tagging' % bucket, body=body)
    assert (resp.status, resp.code) == (400, 'InvalidRequest')
    resp = raw('PUT', '/%s/k?tagging' % bucket, body=body,
               headers={'Content-MD5': '1B2M2Y8AsgTpgAmY7PhCfg=='})
    assert (resp.status, resp.code) == (400, 'BadDigest')
    assert s3.get_object_tagging(Bucket=bucket, Key='k')['TagSet'] == []


@pytest.mark.parametrize('body', [
    b'<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>',
    b'<Tagging><Tag><Key>a</Key><Value>1</Value></Tag></Tagging>',
    b'<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value><X/></Tag>'
    b'</TagSet></Tagging>',
    b'<NotTagging/>', b'not xml',
])
def test_malformed_tagging_body(raw, s3, bucket, body):
    s3.put_object(Bucket=bucket, Key='k', Body=b'x')
    resp = raw('PUT', '/%s/k?tagging' % bucket, body=body,
               headers={'Content-MD5': _md5(body)})
    assert (resp.status, resp.code) == (400, 'MalformedXML')


def test_empty_tag_key(raw, s3, bucket):
    s3.put_object(Bucket=bucket, Key='k', Body=b'x')
    body = (b'<Tagging><TagSet><Tag><Key></Key><Value>1</Value></Tag>'
            b'</TagSet></Tagging>')
    resp = raw('PUT', '/%s/k?tagging' % bucket, body=body,
               headers={'Content-MD5': _md5(body)})
    assert (resp.status, resp.code) == (400, 'InvalidTag')


def test_other_users_cannot_change_tags(s3, s3_client_factory, bucket):
    s3.put_object(Bucket=bucket, Key='k', Body=b'x', Tagging='a=1')
    other = s3_client_factory('test2:tester2')
    with pytest.raises(ClientError) as exc:
        other.put_object_tagging(Bucket=bucket, Key='k',
                                 Tagging={'TagSet': TAGS})
    assert _code(exc) in ('AccessDenied', 'NoSuchBucket')
    with pytest.raises(ClientError) as exc:
        other.put_bucket_tagging(Bucket=bucket, Tagging={'TagSet': TAGS})
    assert _code(exc) in ('AccessDenied', 'NoSuchBucket')
    assert s3.get_object_tagging(Bucket=bucket, Key='k')['TagSet'] == [
        {'Key': 'a', 'Value': '1'}]


# -- command-line clients ----------------------------------------------------
def test_s3cmd_tagging(s3cmd, s3cmd_config, s3, bucket, tmp_path):
    config = s3cmd_config()
    source = tmp_path / 'f'
    source.write_bytes(b'content')
    s3cmd(config, 'put', str(source), 's3://%s/f' % bucket)
    obj_uri, bucket_uri = 's3://%s/f' % bucket, 's3://%s' % bucket
    s3cmd(config, 'settagging', obj_uri, 'a=1&b=two')
    out = s3cmd(config, 'gettagging', obj_uri).stdout
    assert 'a:\t1' in out and 'b:\ttwo' in out
    assert s3.get_object_tagging(Bucket=bucket, Key='f')['TagSet'] == [
        {'Key': 'a', 'Value': '1'}, {'Key': 'b', 'Value': 'two'}]
    s3cmd(config, 'deltagging', obj_uri)
    assert s3.get_object_tagging(Bucket=bucket, Key='f')['TagSet'] == []
    s3cmd(config, 'settagging', bucket_uri, 'team=storage')
    assert 'team:\tstorage' in s3cmd(config, 'gettagging', bucket_uri).stdout
    s3cmd(config, 'deltagging', bucket_uri)
    assert s3cmd(config, 'gettagging', bucket_uri, check=False).returncode \
        != 0
    # s3cmd's own metadata survived the tag changes
    assert 's3cmd-attrs' in s3.head_object(Bucket=bucket, Key='f')['Metadata']


def test_awscli_tagging(awscli, s3, bucket):
    cli = awscli()
    s3.put_object(Bucket=bucket, Key='k', Body=b'x')
    cli.run('s3api', 'put-object-tagging', '--bucket', bucket, '--key', 'k',
            '--tagging', json.dumps({'TagSet': TAGS}))
    out = json.loads(cli.run('s3api', 'get-object-tagging', '--bucket',
                             bucket, '--key', 'k').stdout)
    assert out['TagSet'] == TAGS
    cli.run('s3api', 'put-bucket-tagging', '--bucket', bucket, '--tagging',
            json.dumps({'TagSet': TAGS}))
    out = json.loads(cli.run('s3api', 'get-bucket-tagging', '--bucket',
                             bucket).stdout)
    assert out['TagSet'] == TAGS
    cli.run('s3api', 'delete-bucket-tagging', '--bucket', bucket)
    cli.run('s3api', 'delete-object-tagging', '--bucket', bucket, '--key', 'k')
    assert s3.get_object_tagging(Bucket=bucket, Key='k')['TagSet'] == []
