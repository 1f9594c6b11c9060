"""The client settings swift3compat-saio prints work as printed: rclone
(the Debian package) copies a file with exactly the printed remote."""
from __future__ import annotations

import os
import shutil
import subprocess

from tests.saio_helpers import client, start, stop

from swift3compat_dev.servers import free_port


def printed_block(output: str, title: str) -> str:
    """The lines after ``==> <title>...`` up to the next ``==>``, without
    that title line."""
    block = output.split('\n==> ' + title, 1)[1].split('\n==> ', 1)[0]
    return block.split('\n', 1)[1]


def test_printed_rclone_settings_copy_a_file(tmp_path):
    assert shutil.which('rclone'), 'apt-get install rclone'
    data_dir = tmp_path / 'saio'
    port, backend = free_port(), free_port()
    proc, out = start(str(data_dir), port, backend)
    try:
        remote = printed_block(out, 'rclone')
        assert remote.startswith('[saio]\ntype = s3\n'), remote
        conf = tmp_path / 'pasted-rclone.conf'
        conf.write_text(remote)
        # the saved copy is the same remote
        assert (data_dir / 'rclone.conf').read_text().strip() == \
            remote.strip()
        src = tmp_path / 'hello.txt'
        src.write_text('hello from rclone\n')
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(('AWS_', 'RCLONE_'))}
        for args in (['mkdir', 'saio:rclone-bucket'],
                     ['copy', str(src), 'saio:rclone-bucket/dir']):
            result = subprocess.run(['rclone', '--config', str(conf), *args],
                                    env=env, capture_output=True, text=True,
                                    timeout=120)
            assert result.returncode == 0, result.stderr
        body = client(out, port).get_object(
            Bucket='rclone-bucket', Key='dir/hello.txt')['Body'].read()
        assert body == b'hello from rclone\n'
    finally:
        stop(proc)
