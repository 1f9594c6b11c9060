"""How much object metadata ext4 and XFS hold, and what AWS-sized requests store.

Swift pickles an object's metadata into the xattr ``user.swift.metadata`` of its
.data (PUT) or .meta (POST) file, plus a 32-byte checksum xattr; when the
filesystem refuses the write (ENOSPC), the object server answers 507 and the
proxy error-limits the device. This tool measures, on loopback images
(``swift3compat_dev.loopfs``; needs root):

1. ``raw``: the largest ``user.swift.metadata`` value a file takes (bisection
   with setxattr, the checksum xattr set too, as Swift does);
2. ``object-server``: the largest pickled metadata a real object server stores
   (PUT straight to it with one growing sysmeta header), and what it answers
   past that;
3. ``s3``: requests at AWS's maxima through a swift3compat proxy (1024-byte key,
   2 KB user metadata, 10 tags of 128/256 characters, stored content headers,
   a checksum, ACL grants, copy, multipart): the answer, the pickled size stored
   in the .data/.meta file, and whether the next request (another object) got a
   503 (the device was error-limited).

    python -m tools.xattr_limits [--fs xfs ext4] [--json out.json]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from typing import Any, Optional

META_KEY = 'user.swift.metadata'
CHECKSUM_KEY = 'user.swift.metadata_checksum'


def raw_limit(directory: str) -> int:
    """Largest ``user.swift.metadata`` value (bytes) with the checksum xattr set."""
    path = os.path.join(directory, '.xattr-limit-probe')
    with open(path, 'wb'):
        pass

    def fits(size: int) -> bool:
        try:
            for name in (META_KEY, CHECKSUM_KEY):
                try:
                    os.removexattr(path, name)
                except OSError:
                    pass
            os.setxattr(path, META_KEY, b'x' * size)
            os.setxattr(path, CHECKSUM_KEY, b'0' * 32)
            return True
        except OSError:
            return False
    try:
        lo, hi = 0, 65536
        if fits(hi):
            return hi
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if fits(mid) else (lo, mid)
        return lo
    finally:
        os.unlink(path)


def stored_sizes(cluster: Any, account: str, container: str, obj: str
                 ) -> dict[str, int]:
    """Pickled metadata bytes of the object's newest .data and .meta files."""
    from swift.common.ring import Ring
    ring = Ring(cluster.etc_dir, ring_name='object')
    part = ring.get_part(account, container, obj)
    with open(os.path.join(cluster.etc_dir, 'swift.conf')) as f:
        suffix = [line.split('=', 1)[1].strip() for line in f
                  if line.startswith('swift_hash_path_suffix')][0]
    name_hash = hashlib.md5(('/%s/%s/%s%s' % (account, container, obj, suffix)
                             ).encode('utf-8'), usedforsecurity=False).hexdigest()
    hash_dir = os.path.join(cluster.devices_dir, 'd1', 'objects', str(part),
                            name_hash[-3:], name_hash)
    out: dict[str, int] = {}
    try:
        names = sorted(os.listdir(hash_dir))
    except OSError:
        return out
    for name in names:
        ext = name.rsplit('.', 1)[-1]
        if ext in ('data', 'meta'):
            value = os.getxattr(os.path.join(hash_dir, name), META_KEY)
            out[ext] = len(value)
    return out


def object_server_limit(cluster: Any) -> dict[str, Any]:
    """Bisection over one sysmeta header's size, PUT to the object server."""
    from swift.common import direct_client
    from swift.common.exceptions import ClientException
    from swift.common.ring import Ring
    ring = Ring(cluster.etc_dir, ring_name='object')
    account, container = 'AUTH_probe', 'c'
    part, nodes = ring.get_nodes(account, container, 'o')
    answers: dict[int, int] = {}

    def put(size: int, name: str) -> int:
        # Several headers: one header line may not exceed max_header_size.
        headers = {'X-Timestamp': '%.5f' % time.time(),
                   'Content-Type': 'application/octet-stream'}
        left, i = size, 0
        while left > 0:
            chunk = min(left, 8000)
            headers['X-Object-Sysmeta-Probe-%d' % i] = 'x' * chunk
            left -= chunk
            i += 1
        try:
            direct_client.direct_put_object(nodes[0], part, account, container,
                                            name, b'x', headers=headers)
            return 201
        except ClientException as err:
            return err.http_status
    lo, hi = 0, 60000
    serial = 0
    largest = ''
    while hi - lo > 16:
        mid = (lo + hi) // 2
        serial += 1
        status = put(mid, 'o%d' % serial)
        answers[mid] = status
        if status == 201:
            lo, largest = mid, 'o%d' % serial
        else:
            hi = mid
    return {'largest_sysmeta_header_bytes': lo, 'largest_name': largest,
            'answers_past_limit': sorted({s for s in answers.values() if s != 201})}


def _aws_max(prefix: str = '') -> dict[str, Any]:
    key = (prefix + 'k' * 1024)[:1024]
    meta = {}
    # 2 KB user metadata (AWS counts name + value bytes): 8 x (8 + 248)
    for i in range(8):
        meta['m%07d' % i] = 'v' * 248
    tags = '&'.join('%s=%s' % (('%03d' % i) + 't' * 125, 'v' * 256) for i in range(10))
    return {'key': key, 'meta': meta, 'tagging': tags}


def s3_scenarios(cluster: Any, proxy: Any) -> list[dict[str, Any]]:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    client = boto3.session.Session().client(
        's3', endpoint_url='http://127.0.0.1:%d' % proxy.port, region_name='us-east-1',
        aws_access_key_id='test:tester', aws_secret_access_key='testing',
        config=Config(signature_version='s3v4', s3={'addressing_style': 'path'},
                      retries={'mode': 'standard', 'total_max_attempts': 1}))
    bucket = 'xattr-%d' % int(time.time())
    client.create_bucket(Bucket=bucket)
    big = _aws_max()
    tags10 = {'TagSet': [{'Key': ('%03d' % i) + 't' * 125, 'Value': 'v' * 256}
                         for i in range(10)]}
    grants = {'GrantRead': ', '.join('id=%064x' % i for i in range(20)),
              'GrantReadACP': ', '.join('id=%064x' % (100 + i) for i in range(20))}
    # what still fits AWS's 8 KB request headers next to 2 KB meta and 10 tags
    stored_headers = {'ContentType': 'application/' + 'x' * 100,
                      'CacheControl': 'c' * 150, 'ContentDisposition': 'd' * 150,
                      'ContentLanguage': 'l' * 100}
    small_grants = {'GrantRead': ', '.join('id=%064x' % i for i in range(3))}
    results = []

    def run(name: str, key: str, call) -> None:
        try:
            call()
            status, code = 200, ''
        except ClientError as err:
            status = err.response['ResponseMetadata']['HTTPStatusCode']
            code = err.response['Error'].get('Code', '')
        after = None
        try:
            client.put_object(Bucket=bucket, Key='probe-after', Body=b'x')
            after = 200
        except ClientError as err:
            after = err.response['ResponseMetadata']['HTTPStatusCode']
        sizes = stored_sizes(cluster, 'AUTH_test', bucket, key)
        results.append({'scenario': name, 'status': status, 'code': code,
                        'next_request': after, **{'pickled_' + k: v
                                                  for k, v in sizes.items()}})
        if after != 200:        # wait out the error limiting for the next one
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                try:
                    client.put_object(Bucket=bucket, Key='probe-after', Body=b'x')
                    break
                except ClientError:
                    time.sleep(1)

    k = big['key']
    run('put 1024-byte key, 2 KB meta', k, lambda: client.put_object(
        Bucket=bucket, Key=k, Body=b'x', Metadata=big['meta']))
    run('put-object-tagging 10 x 128/256 on it', k, lambda: client.put_object_tagging(
        Bucket=bucket, Key=k, Tagging=tags10))
    run('put-object-acl 40 grants on it', k, lambda: client.put_object_acl(
        Bucket=bucket, Key=k, **grants))
    k2 = 'b' * 1024
    run('put key+meta+tags', k2, lambda: client.put_object(
        Bucket=bucket, Key=k2, Body=b'x', Metadata=big['meta'], Tagging=big['tagging']))
    k3 = 'c' * 1024
    run('put key+meta+tags+content headers+checksum', k3, lambda: client.put_object(
        Bucket=bucket, Key=k3, Body=b'x', Metadata=big['meta'], Tagging=big['tagging'],
        ChecksumAlgorithm='SHA256', **stored_headers))
    k4 = 'd' * 1024
    run('put key+meta+tags+headers+checksum+grants', k4, lambda: client.put_object(
        Bucket=bucket, Key=k4, Body=b'x', Metadata=big['meta'], Tagging=big['tagging'],
        ChecksumAlgorithm='SHA256', **stored_headers, **small_grants))
    k5 = 'e' * 1024
    client.put_object(Bucket=bucket, Key='src', Body=b'x')
    run('copy REPLACE key+meta+tags+headers', k5, lambda: client.copy_object(
        Bucket=bucket, Key=k5, CopySource={'Bucket': bucket, 'Key': 'src'},
        MetadataDirective='REPLACE', TaggingDirective='REPLACE',
        Metadata=big['meta'], Tagging=big['tagging'], **stored_headers))
    k6 = 'f' * 1024
    state: dict[str, str] = {}

    def create() -> None:
        state['id'] = client.create_multipart_upload(
            Bucket=bucket, Key=k6, Metadata=big['meta'], Tagging=big['tagging'],
            ChecksumAlgorithm='SHA256', **stored_headers)['UploadId']
    run('create-multipart key+meta+tags+headers (marker)', k6, create)

    def complete() -> None:
        part = client.upload_part(Bucket=bucket, Key=k6, UploadId=state['id'],
                                  PartNumber=1, Body=b'x', ChecksumAlgorithm='SHA256')
        client.complete_multipart_upload(
            Bucket=bucket, Key=k6, UploadId=state['id'], MultipartUpload={'Parts': [
                {'PartNumber': 1, 'ETag': part['ETag'],
                 'ChecksumSHA256': part['ChecksumSHA256']}]})
    if 'id' in state:
        run('complete-multipart of it', k6, complete)
    return results


def measure(fstype: str, workdir: str) -> dict[str, Any]:
    from swift3compat_dev.cluster import Cluster, ProxySpec
    cluster = Cluster(os.path.join(workdir, fstype), filesystem=fstype)
    out: dict[str, Any] = {'filesystem': fstype}
    try:
        cluster.start()
        from swift.common import utils
        utils.SWIFT_CONF_FILE = os.path.join(cluster.etc_dir, 'swift.conf')
        utils.HASH_PATH_SUFFIX = utils.HASH_PATH_PREFIX = b''
        utils.validate_hash_conf()
        device = os.path.join(cluster.devices_dir, 'd1')
        out['raw_xattr_value_bytes'] = raw_limit(device)
        out['object_server'] = object_server_limit(cluster)
        proxy = cluster.add_proxy(ProxySpec(
            name='proxy-xattr', s3_options={'s3_acl': 'true', 'min_segment_size': '1'},
            app_options={'error_suppression_interval': '10'}))
        out['s3'] = s3_scenarios(cluster, proxy)
    finally:
        cluster.stop()
    return out


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--fs', nargs='+', default=['xfs', 'ext4'])
    parser.add_argument('--json', help='write the results here too')
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix='xattr-limits-') as workdir:
        for fstype in args.fs:
            results.append(measure(fstype, workdir))
            print(json.dumps(results[-1], indent=1), flush=True)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
