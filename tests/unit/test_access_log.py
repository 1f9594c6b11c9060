"""Server access log records (model/access_log.py): every field, quoting,
redaction, operation names and log object keys."""
from __future__ import annotations

import calendar

import pytest

from swift3compat.api import routes
from swift3compat.model import access_log
from swift3compat.model.access_log import Record, format_record, parse_line

T = calendar.timegm((2019, 2, 6, 0, 0, 38, 0, 0, 0))


def record(**changes) -> Record:
    values = dict(
        bucket_owner='AUTH_test', bucket='src', time=T, remote_ip='192.0.2.3',
        requester='test:tester', request_id='tx3E57427F3EXAMPLE',
        operation='REST.GET.OBJECT', key='photos/a b+c.jpg', method='GET',
        raw_path='/src/photos/a%20b%2Bc.jpg', query='versionId=v1',
        protocol='HTTP/1.1', http_status=200, error_code=None,
        bytes_sent=113, object_size=113, total_time_ms=7, turn_around_ms=3,
        referer=None, user_agent='aws-cli/2.0 Python/3.9', version_id='v1',
        host_id='aG9zdA==', signature_version='SigV4', cipher_suite=None,
        authentication_type='AuthHeader', host_header='localhost:8080',
        tls_version=None)
    values.update(changes)
    return Record(**values)


def test_every_field_in_order():
    fields = parse_line(format_record(record()))
    assert fields == {
        'bucket_owner': 'AUTH_test', 'bucket': 'src',
        'time': '06/Feb/2019:00:00:38 +0000', 'remote_ip': '192.0.2.3',
        'requester': 'test:tester', 'request_id': 'tx3E57427F3EXAMPLE',
        'operation': 'REST.GET.OBJECT', 'key': 'photos/a%20b%2Bc.jpg',
        'request_uri': 'GET /src/photos/a%20b%2Bc.jpg?versionId=v1 HTTP/1.1',
        'http_status': '200', 'error_code': '-', 'bytes_sent': '113',
        'object_size': '113', 'total_time': '7', 'turn_around_time': '3',
        'referer': '-', 'user_agent': 'aws-cli/2.0 Python/3.9',
        'version_id': 'v1', 'host_id': 'aG9zdA==',
        'signature_version': 'SigV4', 'cipher_suite': '-',
        'authentication_type': 'AuthHeader',
        'host_header': 'localhost:8080', 'tls_version': '-',
        'access_point_arn': '-', 'acl_required': '-'}


def test_empty_fields_are_dashes():
    line = format_record(record(
        requester=None, key=None, error_code='AccessDenied', bytes_sent=0,
        object_size=None, version_id=None, signature_version=None,
        authentication_type=None, user_agent='', referer=None, query='',
        acl_required=True))
    fields = parse_line(line)
    assert fields['requester'] == '-'
    assert fields['key'] == '-'
    assert fields['error_code'] == 'AccessDenied'
    assert fields['bytes_sent'] == '-'         # '-' when zero
    assert fields['object_size'] == '-'
    assert fields['user_agent'] == '-'
    assert line.count('"-"') == 2             # quoted fields keep quotes
    assert fields['acl_required'] == 'Yes'
    assert fields['request_uri'] == 'GET /src/photos/a%20b%2Bc.jpg HTTP/1.1'


def test_hostile_values_stay_one_line_with_all_fields():
    line = format_record(record(
        user_agent='evil" agent\n with [brackets] \\ and \x00',
        referer='http://x/"y"', host_header='a b"c',
        key='k\ney "quoted"', requester='id with space'))
    assert '\n' not in line and '\x00' not in line
    fields = parse_line(line)
    assert '"' not in fields['user_agent']
    assert fields['user_agent'].startswith('evil%22 agent%0A')
    assert fields['host_header'] == 'a%20b%22c'
    assert fields['requester'] == 'id%20with%20space'


def test_non_ascii_values_percent_encoded():
    fields = parse_line(format_record(record(user_agent='agent é',
                                             key='clé')))
    assert fields['user_agent'] == 'agent %C3%A9'
    assert fields['key'] == 'cl%C3%A9'


@pytest.mark.parametrize('query,expected', [
    ('X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20190206%2F'
     'us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20190206T000000Z&'
     'X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=abcdef0123',
     'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20190206%2F'
     'us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20190206T000000Z&'
     'X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=REDACTED'),
    ('AWSAccessKeyId=AKID&Expires=1&Signature=s3cr3t%2Bsig%3D',
     'AWSAccessKeyId=AKID&Expires=1&Signature=REDACTED'),
    ('x-amz-security-token=TOKEN&x-amz-signature=abc&SIGNATURE=x',
     'x-amz-security-token=REDACTED&x-amz-signature=REDACTED&'
     'SIGNATURE=REDACTED'),
    ('X%2DAmz%2DSignature=abc', 'X%2DAmz%2DSignature=REDACTED'),
    ('prefix=Signature&list-type=2', 'prefix=Signature&list-type=2'),
    ('', ''),
])
def test_redaction(query, expected):
    assert access_log.redact_query(query) == expected
    line = format_record(record(query=query))
    for secret in ('abcdef0123', 's3cr3t', 'TOKEN', '=abc'):
        assert secret not in line


@pytest.mark.parametrize('level,sub,method,name', [
    ('object', '', 'GET', 'REST.GET.OBJECT'),
    ('object', '', 'PUT', 'REST.PUT.OBJECT'),
    ('bucket', '', 'GET', 'REST.GET.BUCKET'),
    ('service', '', 'GET', 'REST.GET.SERVICE'),
    ('object', 'uploads', 'POST', 'REST.POST.UPLOADS'),
    ('object', 'uploadId', 'PUT', 'REST.PUT.PART'),
    ('object', 'uploadId', 'POST', 'REST.POST.UPLOAD'),
    ('bucket', 'logging', 'PUT', 'REST.PUT.LOGGING_STATUS'),
    ('bucket', 'acl', 'GET', 'REST.GET.ACL'),
    ('bucket', 'delete', 'POST', 'REST.POST.MULTI_OBJECT_DELETE'),
])
def test_operation_names_from_the_route_table(level, sub, method, name):
    class Req:
        query = {sub: ''} if sub else {}
        header = staticmethod(lambda _name: None)
    req = Req()
    req.level, req.method = level, method
    assert routes.log_operation(req) == name


def test_every_route_has_an_operation_name():
    for level, sub, method in routes.ROUTES:
        name = access_log.operation(level, sub, method, routes.LOG_RESOURCES)
        assert name.startswith('REST.%s.' % method)
        assert ' ' not in name and name == name.upper()


def test_simple_key():
    key = access_log.object_key('logs/', None, 'ABCDEF0123456789', T, T,
                                'AUTH_test', 'us-east-1', 'src')
    assert key == 'logs/2019-02-06-00-00-38-ABCDEF0123456789'
    assert access_log.object_key('logs/', {'format': 'simple'}, 'U', T, T,
                                 'a', 'r', 'b') == 'logs/2019-02-06-00-00-38-U'


def test_partitioned_keys():
    later = T + 86400 + 3600
    event = access_log.object_key(
        'p/', {'format': 'partitioned', 'source': 'EventTime'}, 'U', later, T,
        'AUTH_test', 'us-east-1', 'src')
    assert event == 'p/AUTH_test/us-east-1/src/2019/02/06/' \
        '2019-02-06-00-00-00-U'
    delivery = access_log.object_key(
        'p/', {'format': 'partitioned', 'source': 'DeliveryTime'}, 'U', later,
        T, 'AUTH_test', 'us-east-1', 'src')
    assert delivery == 'p/AUTH_test/us-east-1/src/2019/02/07/' \
        '2019-02-07-01-00-38-U'


def test_parse_line_refuses_short_lines():
    with pytest.raises(ValueError):
        parse_line('a b c')
