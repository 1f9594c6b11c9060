"""awscli (s3api) against a versioned bucket: the commands people script."""
from __future__ import annotations

import json


def _json(proc) -> dict:
    return json.loads(proc.stdout or '{}')


def test_awscli_versioning(awscli, bucket_name, tmp_path):
    aws = awscli()
    aws.run('s3api', 'create-bucket', '--bucket', bucket_name)
    aws.run('s3api', 'put-bucket-versioning', '--bucket', bucket_name,
            '--versioning-configuration', 'Status=Enabled')
    assert _json(aws.run('s3api', 'get-bucket-versioning', '--bucket',
                         bucket_name))['Status'] == 'Enabled'
    versions = []
    for body in (b'one', b'two'):
        path = tmp_path / 'body'
        path.write_bytes(body)
        versions.append(_json(aws.run(
            's3api', 'put-object', '--bucket', bucket_name, '--key', 'k',
            '--body', str(path)))['VersionId'])
    listing = _json(aws.run('s3api', 'list-object-versions', '--bucket',
                            bucket_name))
    assert [(v['VersionId'], v['IsLatest']) for v in listing['Versions']] \
        == [(versions[1], True), (versions[0], False)]
    out = tmp_path / 'out'
    aws.run('s3api', 'get-object', '--bucket', bucket_name, '--key', 'k',
            '--version-id', versions[0], str(out))
    assert out.read_bytes() == b'one'
    marker = _json(aws.run('s3api', 'delete-object', '--bucket', bucket_name,
                           '--key', 'k'))
    assert marker['DeleteMarker'] is True
    failed = aws.run('s3api', 'head-object', '--bucket', bucket_name,
                     '--key', 'k', check=False)
    assert failed.returncode != 0 and '404' in failed.stderr
    aws.run('s3api', 'delete-object', '--bucket', bucket_name, '--key', 'k',
            '--version-id', marker['VersionId'])
    aws.run('s3api', 'get-object', '--bucket', bucket_name, '--key', 'k',
            str(out))
    assert out.read_bytes() == b'two'

