"""CPU cost of the s3token filter per request: cold (Keystone round trip) and warm (cache).

Runs the filter in this process against a local Keystone (``swift3compat_dev.local_keystone``)
and a local memcached, with a SigV4 signature checker like swift3's, and reports
the CPU time *of this process* per request (``time.process_time``; Keystone's
own CPU is not counted) and the wall time::

    python tools/keystone/bench_s3token.py [--cold 200] [--warm 5000]

cold     : s3tokens call + EC2-secret fetch + seal + memcache set (a new key each time)
no-cache : s3tokens call only (secret_cache_duration = 0)
warm     : memcache get + open the sealed entry + signature check with the secret
harness  : the same requests without s3token (subtract it from the others)
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import shutil
import sys
import tempfile
import time
from typing import Any, Callable

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

from swift.common.memcached import MemcacheRing  # noqa: E402
from swift.common.swob import Request  # noqa: E402
from swift.common.utils import get_logger  # noqa: E402

from swift3compat.s3token.middleware import S3Token  # noqa: E402
from swift3compat_dev.servers import ServerProcess, free_port, memcached_answers  # noqa: E402
from swift3compat_dev.local_keystone import LocalKeystone  # noqa: E402

SCOPE = ('20260101', 'us-east-1', 's3', 'aws4_request')


class SigV4Details:
    """What swift3 publishes for a SigV4 request signed with ``secret``."""

    def __init__(self, access: str, secret: str, n: int) -> None:
        self.access = access
        canonical = hashlib.sha256(f'GET\n/b/o{n}\n\nhost:x\n\nhost\nUNSIGNED'.encode())
        self.sts = '\n'.join(['AWS4-HMAC-SHA256', '20260101T000000Z', '/'.join(SCOPE),
                              canonical.hexdigest()]).encode()
        self.signature = self._sign(secret)

    def _sign(self, secret: str) -> str:
        key = ('AWS4' + secret).encode()
        for part in SCOPE:
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        return hmac.new(key, self.sts, hashlib.sha256).hexdigest()

    def check_signature(self, secret: str) -> bool:
        return hmac.compare_digest(self._sign(secret), self.signature)

    def as_dict(self) -> dict[str, Any]:
        return {'access_key': self.access, 'signature': self.signature,
                'string_to_sign': self.sts, 'check_signature': self.check_signature}


def _ok(environ: dict, start_response: Callable) -> list[bytes]:
    start_response('200 OK', [('Content-Length', '0')])
    return []


def _run(s3t: Callable, memcache: MemcacheRing, details: SigV4Details) -> None:
    req = Request.blank('/', environ={'swift3.auth_details': details.as_dict(),
                                      'swift.cache': memcache})
    req.environ['PATH_INFO'] = f'/v1/{details.access}/b/o'
    resp = req.get_response(s3t)
    assert resp.status_int == 200, resp.body


def measure(label: str, count: int, step: Callable[[int], None]) -> None:
    step(-1)   # warm-up: imports, connections, service token
    cpu, wall = time.process_time(), time.perf_counter()
    for n in range(count):
        step(n)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f'{label:9s} {count:6d} requests: {cpu / count * 1e6:8.1f} us CPU/request, '
          f'{wall / count * 1e3:7.2f} ms wall/request')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--cold', type=int, default=200)
    parser.add_argument('--warm', type=int, default=5000)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix='s3token-bench-')
    keystone = LocalKeystone(os.path.join(workdir, 'keystone'))
    port = free_port()
    memcached = ServerProcess('memcached', [shutil.which('memcached') or 'memcached',
                                            '-l', '127.0.0.1', '-p', str(port), '-U', '0',
                                            '-u', 'root'],
                              os.path.join(workdir, 'memcached.log'), port=port,
                              probe=lambda: memcached_answers(port))
    try:
        keystone.setup()
        keystone.start()
        memcached.start()
        memcached.wait_ready()
        memcache = MemcacheRing([f'127.0.0.1:{port}'],
                                logger=get_logger({}, log_route='bench'))
        options = keystone.s3token_options()
        options.pop('use')
        cached = S3Token(_ok, options)
        uncached = S3Token(_ok, dict(options, secret_cache_duration='0'))
        alice = keystone.users['alice']
        session = keystone.user_session(alice)
        creds = [keystone.create_ec2(alice, session) for _ in range(args.cold + 1)]

        measure('cold', args.cold, lambda n: _run(
            cached, memcache, SigV4Details(creds[n + 1].access, creds[n + 1].secret, n)))
        measure('no-cache', args.cold, lambda n: _run(
            uncached, memcache, SigV4Details(alice.ec2.access, alice.ec2.secret, n)))
        measure('harness', args.warm, lambda n: _run(
            _ok, memcache, SigV4Details(alice.ec2.access, alice.ec2.secret, n)))
        measure('warm', args.warm, lambda n: _run(
            cached, memcache, SigV4Details(alice.ec2.access, alice.ec2.secret, n)))
    finally:
        memcached.stop()
        keystone.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
