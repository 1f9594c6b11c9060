"""Pathological Accept, Range, If-* and copy-source headers: linear-time parsing.

Row: CVE-2026-71190 (ReDoS in Swift's Accept header parsing). Each value is
built to make a backtracking parser explode; the request must get a
well-formed answer. A parser that backtracks exponentially never answers:
the client socket times out (``s3raw.SOCKET_TIMEOUT``) and the test fails.
Values stay under the 8 KB request header limit.
"""
from __future__ import annotations

import pytest

from tests.security.s3raw import is_s3_error

PATHOLOGICAL = {
    'accept': ['a/b;' + 'q=0.5;' * 900, '*/*,' * 1500, 'text/html;q=' + '0' * 6000 + 'x',
               'a' * 3000 + '/' + 'b' * 3000 + ';'],
    'range': ['bytes=' + '0-0,' * 1500, 'bytes=' + '1' * 6000 + '-', 'bytes=-' + '9' * 6000,
              'bytes=' + ' ' * 6000 + '0-1', 'bytes=0-1' + ',' * 6000],
    'if-match': ['"' + 'a' * 6000, '"a",' * 1500, 'W/' * 3000 + '"x"', '*,' * 3000],
    'if-none-match': ['"a", ' * 1200, '"' * 6000],
    'if-modified-since': ['Sat, 01 Jan 2000 00:00:00 GMT' + ' ' * 6000 + 'x',
                          '9' * 6000, 'Sat, ' * 1200],
    'if-unmodified-since': ['Mon,' * 1500, '1' * 6000],
    'x-amz-copy-source-range': ['bytes=' + '0-0,' * 1500],
    'x-amz-copy-source-if-match': ['"a",' * 1500],
}


@pytest.fixture
def obj(raw, bucket):
    assert raw.send('PUT', f'/{bucket}/k', body=b'0123456789').status == 200
    return bucket


@pytest.mark.parametrize('header,value', [(h, v) for h, values in PATHOLOGICAL.items()
                                          for v in values],
                         ids=[f'{h}-{i}' for h, values in PATHOLOGICAL.items()
                              for i in range(len(values))])
@pytest.mark.parametrize('method', ['GET', 'HEAD'])
def test_cve_2026_71190_pathological_header(raw, obj, header, value, method):
    resp = raw.send(method, f'/{obj}/k', add_after_signing={header: value})
    assert resp.status < 500, resp
    if resp.status >= 400 and method == 'GET':
        assert is_s3_error(resp), resp
    elif resp.status == 200 and method == 'GET':
        assert resp.body == b'0123456789'


@pytest.mark.parametrize('header', ['x-amz-copy-source-range', 'x-amz-copy-source-if-match',
                                    'x-amz-copy-source-if-modified-since'])
def test_pathological_copy_headers(raw, obj, header):
    value = PATHOLOGICAL.get(header, ['9' * 6000])[0]
    resp = raw.send('PUT', f'/{obj}/copy', headers={'x-amz-copy-source': f'/{obj}/k'},
                    add_after_signing={header: value})
    assert resp.status < 500, resp
    if resp.status >= 400:
        assert is_s3_error(resp), resp
