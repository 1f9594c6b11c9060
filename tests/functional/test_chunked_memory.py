"""A 2 GiB streamed aws-chunked upload keeps the proxy's memory flat.

Slow (a minute or more, 2 GiB through the cluster): the default suite
(tools/run-tests) leaves it out; run it with ``tox -e slow`` or::

    python -m pytest -q tests/functional/test_chunked_memory.py -s

and prints the proxy's RSS before, at its peak during the upload, and after.
"""
from __future__ import annotations

import base64
import os
import threading
import time

import psutil
import pytest
from tests.functional.chunked_client import SIGNED_TRAILER, ChunkedPut, encoded_length

from swift3compat.swift import checksums

GIB = 1024 ** 3
CHUNK = 256 * 1024
MAX_GROWTH = 50 * 1024 * 1024


class Sampler(threading.Thread):
    """Highest RSS of a process (and its children) while running."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.peak = self.rss()
        self.done = threading.Event()

    def rss(self) -> int:
        procs = [self.process] + self.process.children(recursive=True)
        return sum(p.memory_info().rss for p in procs)

    def run(self) -> None:
        while not self.done.wait(0.1):
            self.peak = max(self.peak, self.rss())


@pytest.mark.timeout(1200)
def test_two_gib_streamed_upload_memory(s3, s3_proxy, s3_endpoint, s3_users,
                                        bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    size = 2 * GIB
    block = os.urandom(CHUNK)
    crc = checksums.ALGORITHMS['CRC64NVME'].new()

    def chunks():
        for i in range(size // CHUNK):
            data = i.to_bytes(8, 'big') + block[8:]
            crc.update(data)
            yield data
    user = s3_users['test:tester']
    upload = ChunkedPut(s3_endpoint, user.access_key, user.key,
                        '/%s/big' % bucket_name, chunks(), size,
                        variant=SIGNED_TRAILER, trailer='crc64nvme')
    trailer = len('x-amz-checksum-crc64nvme:') + 12 + 2 + \
        len('x-amz-trailer-signature:') + 64 + 2
    length = encoded_length([CHUNK] * (size // CHUNK), True, trailer)
    sampler = Sampler(s3_proxy.pid)
    before = sampler.rss()
    sampler.start()
    started = time.monotonic()
    resp = upload.stream(length, timeout=600)
    elapsed = time.monotonic() - started
    sampler.done.set()
    sampler.join()
    after = sampler.rss()
    print('\nproxy RSS before %.1f MiB, peak %.1f MiB, after %.1f MiB; '
          '2 GiB in %.1f s (%.0f MiB/s)' % (
              before / 2 ** 20, sampler.peak / 2 ** 20, after / 2 ** 20,
              elapsed, size / 2 ** 20 / elapsed))
    assert resp.status == 200, resp.body
    head = s3.head_object(Bucket=bucket_name, Key='big',
                          ChecksumMode='ENABLED')
    assert head['ContentLength'] == size
    assert head['ChecksumCRC64NVME'] == base64.b64encode(
        crc.digest()).decode()
    assert sampler.peak - before < MAX_GROWTH
    s3.delete_object(Bucket=bucket_name, Key='big')
