"""Start and stop swift3compat-saio as a user would, for the tests that do."""
from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

import boto3
from botocore.config import Config


def start(data_dir: str, port: int, backend: int, *extra: str):
    proc = subprocess.Popen(
        [sys.executable, '-m', 'swift3compat_dev.saio', '--data-dir', data_dir,
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


def stop(proc) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0


def client(output: str, port: int):
    access = re.search(r'AWS_ACCESS_KEY_ID=(\S+)', output).group(1)
    secret = re.search(r'AWS_SECRET_ACCESS_KEY=(\S+)', output).group(1)
    return boto3.client('s3', endpoint_url='http://127.0.0.1:%d' % port,
                        region_name='us-east-1', aws_access_key_id=access,
                        aws_secret_access_key=secret,
                        config=Config(retries={'total_max_attempts': 1}))
