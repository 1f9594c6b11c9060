"""swift3compat-saio --keystone: the seed's flow on one machine."""
from __future__ import annotations

from tests.saio_helpers import client, start, stop

from swift3compat_dev.servers import free_port


def test_saio_with_keystone_serves_ec2_credentials(tmp_path):
    port, backend = free_port(), free_port()
    proc, out = start(str(tmp_path / 'saio'), port, backend, '--keystone')
    try:
        assert 'EC2 credentials: alice' in out
        # the first start of a data dir says what it is doing, step by step
        # (two more steps first when it installs Keystone)
        steps = [line.split('Keystone ', 1)[1] for line in out.splitlines()
                 if line.startswith('swift3compat-saio: Keystone [')]
        total = len(steps)
        assert total in (4, 6), out
        assert [s.split(']')[0] for s in steps] == \
            [f'[{k}/{total}' for k in range(1, total + 1)]
        assert 'creating the Keystone database' in steps[-4]
        assert 'EC2 credentials' in steps[-1]
        s3 = client(out, port)
        s3.create_bucket(Bucket='ks-saio')
        s3.put_object(Bucket='ks-saio', Key='k', Body=b'via keystone')
        assert s3.get_object(Bucket='ks-saio', Key='k')['Body'].read() == \
            b'via keystone'
    finally:
        stop(proc)
