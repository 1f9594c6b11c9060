"""swift3compat-saio --keystone: the seed's flow on one machine."""
from __future__ import annotations

from tests.saio_helpers import client, start, stop

from swift3compat_dev.servers import free_port


def test_saio_with_keystone_serves_ec2_credentials(tmp_path):
    port, backend = free_port(), free_port()
    proc, out = start(str(tmp_path / 'saio'), port, backend, '--keystone')
    try:
        assert 'EC2 credentials: alice' in out
        s3 = client(out, port)
        s3.create_bucket(Bucket='ks-saio')
        s3.put_object(Bucket='ks-saio', Key='k', Body=b'via keystone')
        assert s3.get_object(Bucket='ks-saio', Key='k')['Body'].read() == \
            b'via keystone'
    finally:
        stop(proc)
