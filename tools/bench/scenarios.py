"""What the benchmark measures, one ``Scenario`` per figure.

A scenario prepares each target once (``setup``: buckets and objects, not
measured) and then, every round, builds a ``Batch``: the requests whose proxy
CPU and wall time are measured. Work a batch needs but that is not part of the
figure (uploading the parts of a multipart upload, writing the keys that
DeleteObjects removes) runs inside ``batch()``, before measurement starts.

Native Swift gets the closest equivalent request (a container GET with
``format=json`` for a listing, an SLO manifest PUT for
CompleteMultipartUpload); where there is none (DeleteObjects: ``bulk`` is not
in the pipeline) the scenario does not apply to it.
"""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Iterator, Optional, Sequence

from tools.bench import signer
from tools.bench.client import Client, Op, Target

KIB = 1024
MIB = 1024 * KIB
BUFFER = hashlib.shake_256(b'swift3compat bench').digest(MIB)
SMALL_BODY = BUFFER[:KIB]
SMALL_SHA256 = hashlib.sha256(SMALL_BODY).hexdigest()

# capabilities probed on every S3 target (see runner.probe)
CHUNKED_SIGNED = 'aws-chunked'
CHUNKED_TRAILER = 'aws-chunked-trailer'
MULTIPART = 'multipart'
MULTI_DELETE = 'multi-delete'


@dataclass(frozen=True)
class Sizes:
    """How much work each scenario does; ``quick()`` and ``full()``."""

    rounds: int
    heavy_rounds: int        # rounds of big-object, multipart and bulk scenarios
    small_requests: int      # per 1 KiB batch
    small_objects: int       # objects GET/HEAD cycle over
    list_keys: int
    list_requests: int       # per listing batch
    big_bytes: int
    rss_bytes: int
    parts: int
    delete_keys: int
    concurrency: int = 4
    # issue 18's scaling rows: whole listings of buckets of these many keys,
    # CompleteMultipartUpload of these many parts
    scale_keys: tuple[int, ...] = ()
    scale_parts: tuple[int, ...] = ()

    @classmethod
    def quick(cls) -> Sizes:
        return cls(rounds=3, heavy_rounds=2, small_requests=60, small_objects=20,
                   list_keys=1000, list_requests=4, big_bytes=16 * MIB,
                   rss_bytes=128 * MIB, parts=50, delete_keys=100,
                   scale_keys=(1000, 2000), scale_parts=(10, 20))

    @classmethod
    def full(cls) -> Sizes:
        return cls(rounds=5, heavy_rounds=3, small_requests=400, small_objects=100,
                   list_keys=1000, list_requests=20, big_bytes=256 * MIB,
                   rss_bytes=2048 * MIB, parts=1000, delete_keys=1000,
                   scale_keys=(1000, 10000, 100000), scale_parts=(100, 1000, 10000))


@dataclass
class Batch:
    ops: Sequence[Op]
    count: int                       # requests the per-request figures divide by
    nbytes: int = 0                  # payload bytes, for throughput
    concurrency: int = 1
    keep_body: bool = False
    cleanup: Sequence[Op] = ()       # sent after measurement


def bucket(target: Target, name: str) -> str:
    return f'{target.name.replace("+", "-").replace("@", "-w")}-{name}'


def chunks_of(size: int, chunk: int) -> Iterator[bytes]:
    """``size`` bytes of BUFFER, repeated, in pieces of ``chunk`` bytes."""
    pieces = [BUFFER[i:i + chunk] for i in range(0, MIB, chunk)]
    for n in range(size // chunk):
        yield pieces[n % len(pieces)]
    if size % chunk:
        yield BUFFER[:size % chunk]


_BIG_SHA256: dict[int, str] = {}


def big_sha256(size: int) -> str:
    if size not in _BIG_SHA256:
        digest = hashlib.sha256()
        for piece in chunks_of(size, MIB):
            digest.update(piece)
        _BIG_SHA256[size] = digest.hexdigest()
    return _BIG_SHA256[size]


def put_op(target: Target, bucket_name: str, key: str, body: bytes = SMALL_BODY,
           sha256: Optional[str] = None) -> Op:
    payload = sha256 or hashlib.sha256(body).hexdigest()
    return Op('PUT', bucket_name, key, body=body, payload=payload,
              headers={'Content-Type': 'application/octet-stream'})


def big_put_op(target: Target, bucket_name: str, key: str, size: int, mode: str) -> Op:
    """A streamed PUT of ``size`` bytes; ``mode`` is the S3 payload mode."""
    if mode in (signer.STREAMING_SIGNED, signer.STREAMING_UNSIGNED_TRAILER):
        return Op('PUT', bucket_name, key, body=list(chunks_of(size, 65536)),
                  length=size, payload=mode, chunk=65536)
    payload = big_sha256(size) if mode == 'signed' else signer.UNSIGNED
    return Op('PUT', bucket_name, key, body=chunks_of(size, MIB), length=size,
              payload=payload)


class Scenario:
    """One figure. Subclasses set the class attributes and ``batch``."""

    name = ''
    label = ''
    unit = 'request'           # what per-unit CPU is reported for
    kind = 'small'             # small | list | big | bulk
    needs: Optional[str] = None
    native_name: Optional[str] = None   # native scenario compared with
    for_s3token = False

    def applies(self, target: Target) -> bool:
        if target.name.endswith('s3token') and not self.for_s3token:
            return False
        if target.api == 'native':
            return self.native_name == self.name
        return self.needs is None or self.needs in target.supports

    def rounds(self, sizes: Sizes) -> int:
        return sizes.heavy_rounds if self.kind in ('big', 'bulk') else sizes.rounds

    def setup(self, client: Client, target: Target, sizes: Sizes) -> None:
        """Prepare ``target`` (not measured)."""

    def batch(self, client: Client, target: Target, sizes: Sizes, rnd: int) -> Batch:
        raise NotImplementedError


def create_bucket(client: Client, target: Target, name: str) -> None:
    client.send(target, Op('PUT', name), keep_body=True)


# -- 1 KiB objects --------------------------------------------------------------
class SmallObjects(Scenario):
    def __init__(self, op: str, for_s3token: bool = False) -> None:
        self.op = op
        self.name = f'{op.lower()}_1k'
        self.native_name = self.name
        self.label = f'1 KiB {op}'
        self.for_s3token = for_s3token

    def setup(self, client: Client, target: Target, sizes: Sizes) -> None:
        if 'small' in target.prepared:
            return  # the GET, HEAD, PUT and DELETE scenarios share one bucket
        target.prepared.add('small')
        name = bucket(target, 'small')
        create_bucket(client, target, name)
        client.run(target, [put_op(target, name, f'obj-{i:04d}', sha256=SMALL_SHA256)
                            for i in range(sizes.small_objects)])

    def batch(self, client: Client, target: Target, sizes: Sizes, rnd: int) -> Batch:
        name = bucket(target, 'small')
        n = sizes.small_requests
        if self.op == 'PUT':
            ops = [put_op(target, name, f'put-{rnd}-{i}', sha256=SMALL_SHA256)
                   for i in range(n)]
        elif self.op == 'DELETE':
            ops = [Op('DELETE', name, f'put-{rnd}-{i}') for i in range(n)]
        else:
            ops = [Op(self.op, name, f'obj-{i % sizes.small_objects:04d}')
                   for i in range(n)]
        return Batch(ops, n, concurrency=sizes.concurrency)


# -- listings -------------------------------------------------------------------------
DIRS = 20


def list_key(i: int, keys: int) -> str:
    per_dir = max(keys // DIRS, 1)
    return f'd{i // per_dir:02d}/k{i % per_dir:04d}'


class Listing(Scenario):
    kind = 'list'

    def __init__(self, delimiter: bool) -> None:
        self.delimiter = delimiter
        self.name = 'list_delimiter' if delimiter else 'list_1000'
        self.native_name = self.name
        self.label = ('ListObjectsV2, delimiter "/" (20 prefixes)' if delimiter
                      else 'ListObjectsV2, 1,000 keys')

    def setup(self, client: Client, target: Target, sizes: Sizes) -> None:
        if self.delimiter:
            return  # shares the bucket of list_1000
        name = bucket(target, 'list')
        create_bucket(client, target, name)
        client.run(target, [put_op(target, name, list_key(i, sizes.list_keys),
                                   sha256=SMALL_SHA256)
                            for i in range(sizes.list_keys)])

    def batch(self, client: Client, target: Target, sizes: Sizes, rnd: int) -> Batch:
        if target.api == 'native':
            params = [('format', 'json'), ('limit', '1000')]
        else:
            params = [('list-type', '2'), ('max-keys', '1000')]
        if self.delimiter:
            params.append(('delimiter', '/'))
        op = Op('GET', bucket(target, 'list'), params=params)
        return Batch([op] * sizes.list_requests, sizes.list_requests,
                     concurrency=2)


class WholeListing(Scenario):
    """ListObjectsV2 of a whole bucket of ``keys`` keys, page by page
    (``start-after`` / native ``marker``: the pages are known in advance),
    measured as one unit: how a listing's cost grows with the bucket."""
    kind = 'bulk'
    family = 'list_all'

    def __init__(self, keys: int) -> None:
        self.keys = keys
        self.name = self.native_name = f'list_all_{keys}'
        self.label = f'ListObjectsV2, whole bucket of {keys:,} keys'

    def setup(self, client: Client, target: Target, sizes: Sizes) -> None:
        name = bucket(target, f'all{self.keys}')
        create_bucket(client, target, name)
        client.run(target, [put_op(target, name, list_key(i, self.keys),
                                   sha256=SMALL_SHA256)
                            for i in range(self.keys)])

    def batch(self, client: Client, target: Target, sizes: Sizes, rnd: int) -> Batch:
        keys = sorted(list_key(i, self.keys) for i in range(self.keys))
        ops = []
        for start in range(0, self.keys, 1000):
            if target.api == 'native':
                params = [('format', 'json'), ('limit', '1000')]
                if start:
                    params.append(('marker', keys[start - 1]))
            else:
                params = [('list-type', '2'), ('max-keys', '1000')]
                if start:
                    params.append(('start-after', keys[start - 1]))
            ops.append(Op('GET', bucket(target, f'all{self.keys}'), params=params))
        return Batch(ops, 1)


# -- big objects --------------------------------------------------------------------------
class BigPut(Scenario):
    kind = 'big'
    unit = 'GiB'
    native_name = 'put_big_unsigned'

    def __init__(self, mode: str, label: str, needs: Optional[str] = None) -> None:
        self.mode = mode
        self.name = 'put_big_' + {signer.UNSIGNED: 'unsigned', 'signed': 'signed',
                                  signer.STREAMING_SIGNED: 'chunked',
                                  signer.STREAMING_UNSIGNED_TRAILER: 'trailer'}[mode]
        self.label = label
        self.needs = needs

    def setup(self, client: Client, target: Target, sizes: Sizes) -> None:
        if self.name == 'put_big_unsigned':
            create_bucket(client, target, bucket(target, 'big'))

    def batch(self, client: Client, target: Target, sizes: Sizes, rnd: int) -> Batch:
        op = big_put_op(target, bucket(target, 'big'), self.name, sizes.big_bytes,
                        self.mode)
        return Batch([op], 1, nbytes=sizes.big_bytes)


class BigGet(Scenario):
    kind = 'big'
    unit = 'GiB'
    name = native_name = 'get_big'
    label = 'GET'

    def setup(self, client: Client, target: Target, sizes: Sizes) -> None:
        client.send(target, big_put_op(target, bucket(target, 'big'), 'get-big',
                                       sizes.big_bytes, signer.UNSIGNED))

    def batch(self, client: Client, target: Target, sizes: Sizes, rnd: int) -> Batch:
        return Batch([Op('GET', bucket(target, 'big'), 'get-big')], 1,
                     nbytes=sizes.big_bytes)


# -- multipart and bulk ---------------------------------------------------------------
def complete_xml(etags: Sequence[str]) -> bytes:
    parts = ''.join(f'<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>'
                    for n, etag in enumerate(etags, 1))
    return f'<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>'.encode()


def upload_id(xml: bytes) -> str:
    start = xml.index(b'<UploadId>') + len(b'<UploadId>')
    return xml[start:xml.index(b'</UploadId>')].decode()


class CompleteMultipart(Scenario):
    kind = 'bulk'
    name = native_name = 'complete_mpu'
    needs = MULTIPART
    label = 'CompleteMultipartUpload'
    family = 'complete_mpu'

    def __init__(self, parts: Optional[int] = None) -> None:
        self.parts = parts          # None: ``sizes.parts``
        if parts is not None:
            self.name = self.native_name = f'complete_mpu_{parts}'
            self.label = f'CompleteMultipartUpload, {parts:,} parts'

    @property
    def _bucket(self) -> str:
        return 'mpu' if self.parts is None else f'mpu{self.parts}'

    def setup(self, client: Client, target: Target, sizes: Sizes) -> None:
        create_bucket(client, target, bucket(target, self._bucket))
        if target.api == 'native':
            create_bucket(client, target, bucket(target, self._bucket + '-segments'))

    def batch(self, client: Client, target: Target, sizes: Sizes, rnd: int) -> Batch:
        name = bucket(target, self._bucket)
        key = f'mpu-{rnd}'
        if target.api == 'native':
            return self._native(client, target, sizes, name, key)
        reply = client.send(target, Op('POST', name, key, params=[('uploads', None)]))
        upload = upload_id(reply.body)
        ops = [Op('PUT', name, key, body=SMALL_BODY, payload=SMALL_SHA256,
                  params=[('partNumber', str(n)), ('uploadId', upload)])
               for n in range(1, (self.parts or sizes.parts) + 1)]
        etags = [r.headers['etag'] for r in client.run(target, ops)]
        body = complete_xml(etags)
        op = Op('POST', name, key, params=[('uploadId', upload)], body=body,
                payload=hashlib.sha256(body).hexdigest())
        return Batch([op], 1, keep_body=True,
                     cleanup=[Op('DELETE', name, key)])

    def _native(self, client: Client, target: Target, sizes: Sizes, name: str,
                key: str) -> Batch:
        segments = bucket(target, self._bucket + '-segments')
        ops = [Op('PUT', segments, f'{key}/{n:05d}', body=SMALL_BODY)
               for n in range(1, (self.parts or sizes.parts) + 1)]
        replies = client.run(target, ops)
        manifest = json.dumps([
            {'path': f'/{segments}/{op.key}', 'etag': r.headers['etag'].strip('"'),
             'size_bytes': len(SMALL_BODY)} for op, r in zip(ops, replies)]).encode()
        op = Op('PUT', name, key, params=[('multipart-manifest', 'put')],
                body=manifest)
        return Batch([op], 1, cleanup=[
            Op('DELETE', name, key, params=[('multipart-manifest', 'delete')])])


def delete_xml(keys: Sequence[str]) -> bytes:
    objects = ''.join(f'<Object><Key>{k}</Key></Object>' for k in keys)
    return f'<Delete><Quiet>true</Quiet>{objects}</Delete>'.encode()


class DeleteObjects(Scenario):
    kind = 'bulk'
    name = 'delete_objects'
    needs = MULTI_DELETE
    label = 'DeleteObjects'

    def setup(self, client: Client, target: Target, sizes: Sizes) -> None:
        create_bucket(client, target, bucket(target, 'delete'))

    def batch(self, client: Client, target: Target, sizes: Sizes, rnd: int) -> Batch:
        name = bucket(target, 'delete')
        keys = [f'del-{rnd}-{i:05d}' for i in range(sizes.delete_keys)]
        client.run(target, [put_op(target, name, k, sha256=SMALL_SHA256) for k in keys])
        body = delete_xml(keys)
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        op = Op('POST', name, params=[('delete', None)], body=body,
                payload=hashlib.sha256(body).hexdigest(),
                headers={'Content-MD5': md5})
        return Batch([op], 1, keep_body=True)


@dataclass
class Catalogue:
    scenarios: list[Scenario] = field(default_factory=list)

    @classmethod
    def standard(cls, sizes: Optional[Sizes] = None) -> Catalogue:
        scaling: list[Scenario] = []
        if sizes is not None:
            scaling += [WholeListing(k) for k in sizes.scale_keys]
            scaling += [CompleteMultipart(p) for p in sizes.scale_parts]
        return cls([
            SmallObjects('PUT'), SmallObjects('GET', for_s3token=True),
            SmallObjects('HEAD', for_s3token=True), SmallObjects('DELETE'),
            Listing(False), Listing(True),
            BigPut(signer.UNSIGNED, 'PUT, UNSIGNED-PAYLOAD'),
            BigPut('signed', 'PUT, signed payload'),
            BigPut(signer.STREAMING_SIGNED, 'PUT, aws-chunked signed', CHUNKED_SIGNED),
            BigPut(signer.STREAMING_UNSIGNED_TRAILER,
                   'PUT, aws-chunked unsigned + trailer', CHUNKED_TRAILER),
            BigGet(), CompleteMultipart(), DeleteObjects(),
        ] + scaling)

    def by_name(self) -> dict[str, Scenario]:
        return {s.name: s for s in self.scenarios}
