"""The README's "run" command: swift3compat-saio starts, serves, keeps data
across restarts and stops cleanly."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import boto3
from botocore.config import Config

from swift3compat.servers import free_port


def _start(data_dir: str, port: int, backend: int, *extra: str):
    proc = subprocess.Popen(
        [sys.executable, '-m', 'swift3compat.saio', '--data-dir', data_dir,
         '--port', str(port), '--backend-port', str(backend), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    deadline = time.monotonic() + 300
    for line in proc.stdout:
        lines.append(line)
        if 'ready on http://' in line or time.monotonic() > deadline:
            break
    assert 'ready on' in lines[-1], ''.join(lines)
    return proc, ''.join(lines)


def _stop(proc) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0


def _client(output: str, port: int):
    access = re.search(r'AWS_ACCESS_KEY_ID=(\S+)', output).group(1)
    secret = re.search(r'AWS_SECRET_ACCESS_KEY=(\S+)', output).group(1)
    return boto3.client('s3', endpoint_url='http://127.0.0.1:%d' % port,
                        region_name='us-east-1', aws_access_key_id=access,
                        aws_secret_access_key=secret,
                        config=Config(retries={'total_max_attempts': 1}))


def test_saio_serves_keeps_data_and_stops(tmp_path):
    data_dir = str(tmp_path / 'saio')
    port, backend = free_port(), free_port()
    while any(p in (port,) for p in range(backend, backend + 3)):
        backend = free_port()
    proc, out = _start(data_dir, port, backend)
    try:
        assert 'access_key = test:tester' in out
        assert os.path.exists(os.path.join(data_dir, 's3cfg'))
        s3 = _client(out, port)
        s3.create_bucket(Bucket='saio-bucket')
        s3.put_object(Bucket='saio-bucket', Key='k', Body=b'kept')
    finally:
        _stop(proc)
    proc, out = _start(data_dir, port, backend)
    try:
        s3 = _client(out, port)
        assert s3.get_object(Bucket='saio-bucket', Key='k')['Body'].read() \
            == b'kept'
    finally:
        _stop(proc)
