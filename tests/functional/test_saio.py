"""The README's "run" command: swift3compat-saio starts, serves, keeps data
across restarts and stops cleanly."""
from __future__ import annotations

import os

from tests.saio_helpers import client, start, stop

from swift3compat_dev.servers import free_port


def test_saio_serves_keeps_data_and_stops(tmp_path):
    data_dir = str(tmp_path / 'saio')
    port, backend = free_port(), free_port()
    while any(p in (port,) for p in range(backend, backend + 3)):
        backend = free_port()
    proc, out = start(data_dir, port, backend)
    try:
        assert 'access_key = test:tester' in out
        assert os.path.exists(os.path.join(data_dir, 's3cfg'))
        s3 = client(out, port)
        s3.create_bucket(Bucket='saio-bucket')
        s3.put_object(Bucket='saio-bucket', Key='k', Body=b'kept')
    finally:
        stop(proc)
    proc, out = start(data_dir, port, backend)
    try:
        s3 = client(out, port)
        assert s3.get_object(Bucket='saio-bucket', Key='k')['Body'].read() \
            == b'kept'
    finally:
        stop(proc)
