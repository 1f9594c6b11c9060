"""The benchmark client's SigV4 signer and aws-chunked encoders (tools/bench/signer.py)."""
from __future__ import annotations

import base64
import datetime
import zlib
from unittest import mock
from urllib.parse import quote

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tools.bench import signer

ACCESS = 'AKIAIOSFODNN7EXAMPLE'
SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
AMZ_DATE = '20130524T000000Z'

# AWS's "signed streaming upload" example: 66,560 bytes of 'a' in 64 KiB chunks
STREAM_HEADERS = {'x-amz-storage-class': 'REDUCED_REDUNDANCY',
                  'content-encoding': 'aws-chunked',
                  'x-amz-decoded-content-length': '66560', 'content-length': '66824'}
SEED = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9'
CHUNK_SIGNATURES = ['ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
                    '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
                    'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9']


def example_stream_headers() -> dict[str, str]:
    return signer.sign('PUT', 's3.amazonaws.com', '/examplebucket/chunkObject.txt', [],
                       STREAM_HEADERS, signer.STREAMING_SIGNED, ACCESS, SECRET, AMZ_DATE)


def test_seed_signature_is_aws_example() -> None:
    assert signer.seed_signature(example_stream_headers()) == SEED


def test_chunked_body_carries_aws_example_chunk_signatures() -> None:
    chunks = [b'a' * 65536, b'a' * 1024]
    body = b''.join(signer.chunked_signed(chunks, example_stream_headers(), SECRET))
    assert len(body) == 66824 == signer.chunked_signed_length(66560, 65536)
    lines = [line for line in body.split(b'\r\n') if b';chunk-signature=' in line]
    assert [line.split(b'=')[1].decode() for line in lines] == CHUNK_SIGNATURES
    assert [int(line.split(b';')[0], 16) for line in lines] == [65536, 1024, 0]


@pytest.mark.parametrize('method,path,params,payload', [
    ('GET', '/bucket/key', [], signer.EMPTY_SHA256),
    ('PUT', '/bucket/a%20b/c~d', [], signer.EMPTY_SHA256),
    ('GET', '/bucket', [('list-type', '2'), ('prefix', 'a b/'), ('delimiter', '/')],
     signer.EMPTY_SHA256),
    ('POST', '/bucket/key', [('uploads', '')], signer.EMPTY_SHA256),
])
def test_header_signature_matches_botocore(method: str, path: str,
                                           params: list[tuple[str, str]],
                                           payload: str) -> None:
    headers = {'x-amz-meta-colour': 'blue', 'content-type': 'text/plain'}
    ours = signer.sign(method, 'localhost:8080', path, params, headers, payload,
                       ACCESS, SECRET, AMZ_DATE)
    query = '&'.join(f'{quote(k)}={quote(v, safe="")}' if v else k for k, v in params)
    request = AWSRequest(method, f'http://localhost:8080{path}' + (f'?{query}' if query
                                                                   else ''),
                         headers={**headers, 'x-amz-date': AMZ_DATE,
                                  'x-amz-content-sha256': payload})
    auth = S3SigV4Auth(Credentials(ACCESS, SECRET), 's3', 'us-east-1')
    when = datetime.datetime(2013, 5, 24)
    with mock.patch('botocore.auth.get_current_datetime', return_value=when):
        auth.add_auth(request)
    theirs = request.headers['Authorization']
    assert 'SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;' \
        'x-amz-meta-colour,' in theirs
    assert ours['authorization'] == theirs.replace(',SignedHeaders', ', SignedHeaders') \
        .replace(',Signature', ', Signature')


def test_unsigned_trailer_encoding() -> None:
    chunks = [b'x' * 70000, b'y' * 10]
    body = b''.join(signer.chunked_unsigned_trailer(chunks))
    assert len(body) == signer.chunked_unsigned_trailer_length(70010, 70000)
    crc = base64.b64encode(zlib.crc32(b'x' * 70000 + b'y' * 10).to_bytes(4, 'big'))
    assert body.startswith(b'11170\r\n' + b'x' * 70000 + b'\r\na\r\n' + b'y' * 10)
    assert body.endswith(b'\r\n0\r\nx-amz-checksum-crc32:' + crc + b'\r\n\r\n')


def test_chunked_lengths_for_uneven_sizes() -> None:
    headers = signer.sign('PUT', 'h', '/b/k', [], {}, signer.STREAMING_SIGNED, ACCESS,
                          SECRET, AMZ_DATE)
    data = [b'z' * 1000] * 3 + [b'z' * 5]
    body = b''.join(signer.chunked_signed(data, headers, SECRET))
    assert len(body) == signer.chunked_signed_length(3005, 1000)
