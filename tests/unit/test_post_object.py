"""Browser POST object: form reading, policy documents and signatures
(swift3compat.api.post_object), without Swift."""
from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import time

import pytest

from swift3compat import config, errors
from swift3compat.http.body import BodyError
from swift3compat.api import post_object
from swift3compat.http.request import S3Request

CONF = config.load({})
BOUNDARY = 'XyZ123'
SECRET = 'testing'
NOW = time.time()


def multipart(fields, file_body=b'hello', filename='a.txt', after=()):
    out = []
    for name, value in list(fields.items()) + [('file', None)] + list(after):
        if name == 'file':
            out.append(('--%s\r\nContent-Disposition: form-data; name="file"; '
                        'filename="%s"\r\nContent-Type: text/plain\r\n\r\n'
                        % (BOUNDARY, filename)).encode() + file_body + b'\r\n')
        else:
            out.append(('--%s\r\nContent-Disposition: form-data; name="%s"'
                        '\r\n\r\n%s\r\n' % (BOUNDARY, name, value)).encode())
    return b''.join(out) + ('--%s--\r\n' % BOUNDARY).encode()


def request(body: bytes, content_type=None) -> S3Request:
    env = {'REQUEST_METHOD': 'POST', 'PATH_INFO': '/bkt', 'QUERY_STRING': '',
           'wsgi.input': io.BytesIO(body), 'CONTENT_LENGTH': str(len(body)),
           'CONTENT_TYPE': content_type or
           'multipart/form-data; boundary=%s' % BOUNDARY,
           'HTTP_HOST': 'localhost'}
    return S3Request(env, CONF)


def policy_b64(conditions, expires=NOW + 600):
    doc = {'expiration': time.strftime('%Y-%m-%dT%H:%M:%S.000Z',
                                       time.gmtime(expires)),
           'conditions': conditions}
    return base64.b64encode(json.dumps(doc).encode()).decode()


def v2_fields(conditions, **extra):
    policy = policy_b64(conditions)
    sig = base64.b64encode(hmac.new(SECRET.encode(), policy.encode(),
                                    hashlib.sha1).digest()).decode()
    return {'AWSAccessKeyId': 'test:tester', 'policy': policy,
            'signature': sig, **extra}


def prepare(fields, **kw):
    req = request(multipart(fields, **kw))
    signed = post_object.prepare(req, now=NOW)
    return req, signed, req.environ[post_object.ENV_KEY]


def test_v2_form_is_read_up_to_the_file_and_signed():
    fields = v2_fields([{'bucket': 'bkt'}, ['starts-with', '$key', 'up/'],
                        ['content-length-range', 1, 10]], key='up/${filename}')
    req, signed, form = prepare(fields)
    assert form.key == 'up/a.txt'
    assert form.size_range == (1, 10)
    assert signed.version == 2 and signed.access_key == 'test:tester'
    assert signed.check_signature(SECRET)
    assert not signed.check_signature('wrong')
    assert form.file.read(100) == b'hello'


def test_v4_signature_over_the_policy():
    date = time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(NOW))
    credential = 'test:tester/%s/us-east-1/s3/aws4_request' % date[:8]
    conditions = [{'bucket': 'bkt'}, {'key': 'k'},
                  {'x-amz-algorithm': 'AWS4-HMAC-SHA256'},
                  {'x-amz-credential': credential}, {'x-amz-date': date}]
    policy = policy_b64(conditions)

    def h(key, msg):
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()
    key = h(h(h(h(('AWS4' + SECRET).encode(), date[:8]), 'us-east-1'), 's3'),
            'aws4_request')
    signature = hmac.new(key, policy.encode(), hashlib.sha256).hexdigest()
    _req, signed, _form = prepare({
        'key': 'k', 'x-amz-algorithm': 'AWS4-HMAC-SHA256',
        'x-amz-credential': credential, 'x-amz-date': date, 'policy': policy,
        'x-amz-signature': signature})
    assert signed.version == 4 and signed.check_signature(SECRET)


def test_anonymous_form_has_no_signature():
    _req, signed, form = prepare({'key': 'k', 'acl': 'public-read'})
    assert signed is None and form.policy is None


@pytest.mark.parametrize('conditions,fields,message', [
    ([{'bucket': 'other'}], {}, 'Policy Condition failed'),
    ([['eq', '$key', 'nope']], {}, 'Policy Condition failed'),
    ([['starts-with', '$key', 'up/']], {}, 'Policy Condition failed'),
    ([['starts-with', '$key', '']], {'x-amz-meta-a': '1'},
     'Extra input fields: x-amz-meta-a'),
    ([['starts-with', '$key', ''], ['starts-with', '$Content-Type', 'image/']],
     {'Content-Type': 'text/plain'}, 'Policy Condition failed'),
])
def test_policy_conditions_refuse(conditions, fields, message):
    with pytest.raises(errors.AccessDenied, match=message):
        prepare(v2_fields(conditions, key='k', **fields))


def test_conditions_cover_fields_and_ignore_exempt_ones():
    fields = v2_fields([['starts-with', '$key', ''], {'acl': 'public-read'},
                        ['starts-with', '$x-amz-meta-tag', ''],
                        ['eq', '$success_action_status', '201']],
                       key='k', acl='public-read', **{
                           'x-amz-meta-tag': 'v', 'x-ignore-me': 'x',
                           'success_action_status': '201'})
    _req, _signed, form = prepare(fields)
    assert form.fields['acl'] == 'public-read'


def test_expired_policy():
    fields = v2_fields([['starts-with', '$key', '']], key='k')
    fields['policy'] = policy_b64([['starts-with', '$key', '']],
                                  expires=NOW - 1)
    with pytest.raises(errors.AccessDenied, match='Policy expired'):
        prepare(fields)


@pytest.mark.parametrize('policy', [
    'not base64!', base64.b64encode(b'{"conditions": []}').decode(),
    base64.b64encode(b'[1]').decode(),
    policy_b64([['between', '$key', 'a']]),
    policy_b64([['eq', 'key', 'k']]),
    policy_b64([['content-length-range', 'a', 'b']]),
])
def test_invalid_policy_documents(policy):
    fields = v2_fields([], key='k')
    fields['policy'] = policy
    with pytest.raises(errors.InvalidPolicyDocument):
        prepare(fields)


def test_bad_expiration_format():
    fields = v2_fields([], key='k')
    fields['policy'] = base64.b64encode(json.dumps({
        'expiration': 'tomorrow', 'conditions': []}).encode()).decode()
    with pytest.raises(errors.InvalidPolicyDocument):
        prepare(fields)


def test_form_errors():
    with pytest.raises(errors.InvalidArgument, match="named 'key'"):
        prepare({'acl': 'private'})
    with pytest.raises(errors.PreconditionFailed):
        post_object.prepare(request(b'x=1', 'application/x-www-form-urlencoded'))
    body = multipart({'key': 'k'}).replace(b'name="file"', b'name="other"')
    with pytest.raises(errors.IncorrectNumberOfFilesInPostRequest):
        post_object.prepare(request(body))
    with pytest.raises(errors.MalformedPOSTRequest):
        post_object.prepare(request(b'garbage without boundary'))
    with pytest.raises(errors.InvalidArgument):
        prepare({'key': 'k', 'x-amz-signature': 'abc'})   # no policy
    with pytest.raises(errors.InvalidArgument):
        prepare({'key': 'k', 'AWSAccessKeyId': 'a', 'policy': 'e30='})


def test_fields_before_the_file_are_bounded():
    big = {'key': 'k', 'x-ignore-pad': 'p' * (post_object.MAX_PRE_DATA + 1)}
    with pytest.raises(errors.MaxPostPreDataLengthExceeded):
        prepare(big)
    # a large file is not counted
    _req, _signed, form = prepare(
        {'key': 'k'}, file_body=b'f' * (2 * post_object.MAX_PRE_DATA))
    assert len(b''.join(iter(lambda: form.file.read(65536), b''))) == \
        2 * post_object.MAX_PRE_DATA


def test_file_input_enforces_the_size_range():
    _req, _signed, form = prepare({'key': 'k'}, file_body=b'x' * 100)
    body = post_object.FileInput(form.file, 0, 50)
    with pytest.raises(BodyError) as exc:
        while body.read(30):
            pass
    assert isinstance(exc.value.s3_error, errors.EntityTooLarge)
    assert body.error is exc.value
    _req, _signed, form = prepare({'key': 'k'}, file_body=b'x' * 10)
    body = post_object.FileInput(form.file, 11, 50)
    with pytest.raises(BodyError) as exc:
        while body.read(30):
            pass
    assert isinstance(exc.value.s3_error, errors.EntityTooSmall)
    _req, _signed, form = prepare({'key': 'k'}, file_body=b'x' * 10)
    body = post_object.FileInput(form.file, 10, 10)
    assert body.read(30) == b'x' * 10 and body.read(30) == b''
