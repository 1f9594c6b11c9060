"""Uploads as the command-line clients send them, at their default
settings: awscli (``aws s3 cp`` of files and of stdin, multipart),
s3cmd multipart (``--multipart-chunk-size-mb=5``, ``--continue-put``,
``sync`` that must not re-upload), rclone (Debian package) copy/sync of
large files."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess

import pytest

MIB = 1024 * 1024


@pytest.fixture
def bucket(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    return bucket_name


@pytest.fixture
def big_file(tmp_path):
    path = tmp_path / 'big.bin'
    path.write_bytes(os.urandom(17 * MIB + 123))
    return path


def md5(path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_awscli_cp_multipart_and_stdin(awscli, s3, bucket, big_file,
                                       tmp_path):
    cli = awscli()
    cli.run('s3', 'cp', str(big_file), 's3://%s/big' % bucket)
    head = s3.head_object(Bucket=bucket, Key='big', ChecksumMode='ENABLED')
    assert head['ContentLength'] == big_file.stat().st_size
    assert head['ETag'].endswith('-3"')      # 8 MiB parts
    out = tmp_path / 'out'
    cli.run('s3', 'cp', 's3://%s/big' % bucket, str(out))
    assert md5(out) == md5(big_file)
    data = os.urandom(9 * MIB)
    proc = subprocess.run(
        [*cli_argv(cli), 's3', 'cp', '-', 's3://%s/stdin' % bucket],
        env=cli.env, input=data, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert s3.get_object(Bucket=bucket, Key='stdin')['Body'].read() == data
    listed = cli.run('s3api', 'list-parts', '--bucket', bucket, '--key', 'x',
                     '--upload-id', '0' * 32, check=False)
    assert 'NoSuchUpload' in listed.stderr


def cli_argv(cli):
    import sys
    return [sys.executable, '-m', 'awscli', '--endpoint-url',
            cli.endpoint_url]


def s3cmd(config, *args, check=True):
    proc = subprocess.run(['s3cmd', '-c', config, *args],
                          capture_output=True, text=True, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_s3cmd_multipart_sync_and_continue(s3cmd_config, s3, bucket,
                                           big_file, tmp_path):
    config = s3cmd_config()
    s3cmd(config, 'put', '--multipart-chunk-size-mb=5', str(big_file),
          's3://%s/big' % bucket)
    head = s3.head_object(Bucket=bucket, Key='big')
    assert head['ETag'].endswith('-4"')
    assert 's3cmd-attrs' in head['Metadata']      # from Initiate
    out = tmp_path / 'out'
    s3cmd(config, 'get', 's3://%s/big' % bucket, str(out))
    assert md5(out) == md5(big_file)
    # sync compares the multipart ETag by the md5 in s3cmd-attrs: nothing
    # to upload the second time
    src = tmp_path / 'tree'
    src.mkdir()
    shutil.copy(big_file, src / 'big.bin')
    s3cmd(config, 'sync', '--multipart-chunk-size-mb=5', str(src) + '/',
          's3://%s/tree/' % bucket)
    again = s3cmd(config, 'sync', '--multipart-chunk-size-mb=5',
                  str(src) + '/', 's3://%s/tree/' % bucket)
    assert 'upload:' not in again.stdout, again.stdout
    # --continue-put: an interrupted upload (parts 1-2 of 4 sent) resumes
    upload_id = s3.create_multipart_upload(
        Bucket=bucket, Key='resumed')['UploadId']
    data = big_file.read_bytes()
    for number in (1, 2):
        s3.upload_part(Bucket=bucket, Key='resumed', PartNumber=number,
                       UploadId=upload_id,
                       Body=data[(number - 1) * 5 * MIB:number * 5 * MIB])
    proc = s3cmd(config, 'put', '--multipart-chunk-size-mb=5',
                 '--continue-put', str(big_file), 's3://%s/resumed' % bucket)
    assert s3.get_object(Bucket=bucket, Key='resumed')['Body'].read() == data
    assert 'skip' in (proc.stdout + proc.stderr).lower()


def test_rclone_copy_and_sync_large_files(s3_proxy, s3_users, s3, bucket,
                                          big_file, tmp_path):
    user = s3_users['test:tester']
    conf = tmp_path / 'rclone.conf'
    conf.write_text(
        '[s3c]\ntype = s3\nprovider = Other\n'
        f'access_key_id = {user.access_key}\n'
        f'secret_access_key = {user.key}\n'
        f'endpoint = http://localhost:{s3_proxy.port}\n'
        'region = us-east-1\nforce_path_style = true\n'
        'upload_cutoff = 5Mi\nchunk_size = 5Mi\n')
    src = tmp_path / 'src'
    src.mkdir()
    shutil.copy(big_file, src / 'big.bin')
    (src / 'small.txt').write_text('small')

    env = {k: v for k, v in os.environ.items() if not k.startswith('AWS_')}

    def rclone(*args):
        proc = subprocess.run(['rclone', '--config', str(conf), *args],
                              env=env, capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, proc.stderr
        return proc
    rclone('copy', str(src), 's3c:%s/dir' % bucket)
    head = s3.head_object(Bucket=bucket, Key='dir/big.bin')
    assert head['ETag'].endswith('-4"')
    rclone('check', str(src), 's3c:%s/dir' % bucket)
    second = rclone('sync', '-v', str(src), 's3c:%s/dir' % bucket)
    assert 'Copied' not in second.stderr, second.stderr
    out = tmp_path / 'out'
    rclone('copy', 's3c:%s/dir' % bucket, str(out))
    assert md5(out / 'big.bin') == md5(big_file)
