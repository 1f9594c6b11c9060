"""swift3compat.model.encryption: S3's SSE headers, parsed and checked."""
import base64
import hashlib
import json

import pytest

from swift3compat import errors
from swift3compat.model import encryption as enc

KEY = bytes(range(32))
KEY_B64 = base64.b64encode(KEY).decode()
KEY_MD5 = base64.b64encode(hashlib.md5(KEY).digest()).decode()


def getter(**headers):
    lowered = {k.lower().replace('_', '-'): v for k, v in headers.items()}
    return lambda name: lowered.get(name.lower())


def customer(**extra):
    base = {'x-amz-server-side-encryption-customer-algorithm': 'AES256',
            'x-amz-server-side-encryption-customer-key': KEY_B64,
            'x-amz-server-side-encryption-customer-key-MD5': KEY_MD5}
    base.update(extra)
    return lambda name: {k.lower(): v for k, v in base.items()
                         if v is not None}.get(name.lower())


def test_customer_key_parsed():
    key = enc.parse_write(customer(), secure=True)
    assert isinstance(key, enc.CustomerKey)
    assert key.key == KEY and key.key_md5 == KEY_MD5
    assert KEY_B64 not in repr(key)


@pytest.mark.parametrize('name,value,error,needle', [
    ('x-amz-server-side-encryption-customer-algorithm', None,
     errors.InvalidArgument, 'valid encryption algorithm'),
    ('x-amz-server-side-encryption-customer-algorithm', 'AES128',
     errors.InvalidEncryptionAlgorithmError, 'AES256'),
    ('x-amz-server-side-encryption-customer-key', None,
     errors.InvalidArgument, 'appropriate secret key'),
    ('x-amz-server-side-encryption-customer-key',
     base64.b64encode(b'short').decode(), errors.InvalidArgument,
     'secret key was invalid'),
    ('x-amz-server-side-encryption-customer-key', 'not base64!',
     errors.InvalidArgument, 'secret key was invalid'),
    ('x-amz-server-side-encryption-customer-key-MD5', None,
     errors.InvalidArgument, 'calculated MD5 of the secret key'),
    ('x-amz-server-side-encryption-customer-key-MD5',
     base64.b64encode(hashlib.md5(b'other').digest()).decode(),
     errors.InvalidArgument, 'did not match'),
])
def test_customer_key_errors(name, value, error, needle):
    with pytest.raises(error) as info:
        enc.parse_write(customer(**{name: value}), secure=True)
    assert needle in info.value.message
    assert type(info.value).status == 400


def test_customer_key_needs_https_unless_allowed():
    with pytest.raises(errors.InvalidRequest) as info:
        enc.parse_write(customer(), secure=False)
    assert 'secure connection' in info.value.message
    assert enc.parse_write(customer(), secure=False, allow_insecure=True)
    with pytest.raises(errors.InvalidRequest):
        enc.parse_read(customer(), secure=False)


def test_customer_key_with_server_side_is_refused():
    with pytest.raises(errors.InvalidArgument) as info:
        enc.parse_write(customer(**{'x-amz-server-side-encryption':
                                    'AES256'}), secure=True)
    assert 'incompatible' in info.value.message


def test_server_side_modes():
    assert enc.parse_write(getter(), secure=False) is None
    sse = enc.parse_write(getter(**{'x-amz-server-side-encryption':
                                    'AES256'}), secure=False)
    assert sse == enc.ServerSide('AES256')
    context = base64.b64encode(json.dumps({'a': 'b'}).encode()).decode()
    kms = enc.parse_write(getter(**{
        'x-amz-server-side-encryption': 'aws:kms',
        'x-amz-server-side-encryption-aws-kms-key-id': 'k1',
        'x-amz-server-side-encryption-context': context,
        'x-amz-server-side-encryption-bucket-key-enabled': 'true'}),
        secure=False)
    assert kms == enc.ServerSide('aws:kms', 'k1', context, True)
    assert kms.is_kms


@pytest.mark.parametrize('headers,needle', [
    ({'x-amz-server-side-encryption': 'AES512'}, 'not supported'),
    ({'x-amz-server-side-encryption': 'AES256',
      'x-amz-server-side-encryption-aws-kms-key-id': 'k'}, 'requires'),
    ({'x-amz-server-side-encryption-aws-kms-key-id': 'k'}, 'requires'),
    ({'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-context': 'bm90IGpzb24='},
     'context must be'),
    ({'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-context':
      base64.b64encode(b'{"a": 1}').decode()}, 'context must be'),
    ({'x-amz-server-side-encryption': 'AES256',
      'x-amz-server-side-encryption-bucket-key-enabled': 'maybe'},
     'bucket-key'),
])
def test_server_side_errors(headers, needle):
    with pytest.raises(errors.InvalidArgument) as info:
        enc.parse_write(getter(**headers), secure=True)
    assert needle in info.value.message


def test_kms_needs_sigv4():
    with pytest.raises(errors.InvalidArgument) as info:
        enc.parse_write(getter(**{'x-amz-server-side-encryption':
                                  'aws:kms'}), secure=True, sigv4=False)
    assert 'Signature Version 4' in info.value.message


def test_read_refuses_server_side_header():
    with pytest.raises(errors.InvalidArgument):
        enc.parse_read(getter(**{'x-amz-server-side-encryption': 'AES256'}),
                       secure=True)


def test_mac_is_salted_and_checks_the_key():
    mac1, mac2 = enc.key_mac(KEY), enc.key_mac(KEY)
    assert mac1 != mac2                         # salted
    assert enc.mac_matches(KEY, mac1) and enc.mac_matches(KEY, mac2)
    assert not enc.mac_matches(bytes(32), mac1)
    assert not enc.mac_matches(KEY, 'garbage')
    assert KEY_B64 not in mac1 and KEY_MD5 not in mac1


def test_check_read():
    stored = enc.Stored(customer_mac=enc.key_mac(KEY))
    right = enc.CustomerKey(KEY, KEY_MD5)
    wrong = enc.CustomerKey(bytes(32), 'x')
    enc.check_read(stored, right)
    with pytest.raises(errors.InvalidRequest):
        enc.check_read(stored, None)
    with pytest.raises(errors.AccessDenied):
        enc.check_read(stored, wrong)
    with pytest.raises(errors.InvalidRequest) as info:
        enc.check_read(enc.Stored('AES256'), right)
    assert 'not applicable' in info.value.message
    enc.check_read(enc.Stored('AES256'), None)
    enc.check_read(enc.Stored(), None)


def test_response_headers():
    assert enc.response_headers(enc.Stored()) == {}
    assert enc.response_headers(enc.Stored('AES256')) == {
        'x-amz-server-side-encryption': 'AES256'}
    assert enc.response_headers(enc.Stored('aws:kms', 'k', None, True)) == {
        'x-amz-server-side-encryption': 'aws:kms',
        'x-amz-server-side-encryption-aws-kms-key-id': 'k',
        'x-amz-server-side-encryption-bucket-key-enabled': 'true'}
    stored = enc.Stored(customer_mac=enc.key_mac(KEY))
    assert enc.response_headers(stored, enc.CustomerKey(KEY, KEY_MD5)) == {
        'x-amz-server-side-encryption-customer-algorithm': 'AES256',
        'x-amz-server-side-encryption-customer-key-MD5': KEY_MD5}


def test_context_digest_ignores_key_order():
    a = base64.b64encode(b'{"x": "1", "y": "2"}').decode()
    b = base64.b64encode(b'{"y":"2","x":"1"}').decode()
    assert enc.context_digest(a) == enc.context_digest(b)
    assert enc.context_digest(None) is None


BUCKET_XML = (b'<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws'
              b'.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault>'
              b'<SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>k1'
              b'</KMSMasterKeyID></ApplyServerSideEncryptionByDefault>'
              b'<BucketKeyEnabled>true</BucketKeyEnabled></Rule>'
              b'</ServerSideEncryptionConfiguration>')


def test_bucket_encryption_round_trip():
    config = enc.parse_bucket_encryption(BUCKET_XML)
    assert config == enc.ServerSide('aws:kms', 'k1', None, True)
    assert enc.load_bucket_encryption(
        enc.dump_bucket_encryption(config)) == config
    assert enc.parse_bucket_encryption(
        enc.render_bucket_encryption(config)) == config
    assert enc.load_bucket_encryption('') is None
    assert enc.load_bucket_encryption('{bad') is None


@pytest.mark.parametrize('body', [
    b'<ServerSideEncryptionConfiguration/>',
    b'<ServerSideEncryptionConfiguration><Rule/></ServerSideEncryptionConfiguration>',
    b'<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>'
    b'<SSEAlgorithm>DES</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule>'
    b'</ServerSideEncryptionConfiguration>',
    b'not xml',
])
def test_bucket_encryption_malformed(body):
    with pytest.raises(errors.S3Error) as info:
        enc.parse_bucket_encryption(body)
    assert type(info.value).status == 400


def test_bucket_encryption_aes_with_key_id():
    body = BUCKET_XML.replace(b'aws:kms', b'AES256')
    with pytest.raises(errors.InvalidArgument):
        enc.parse_bucket_encryption(body)


def test_for_write_prefers_the_request():
    default = enc.ServerSide('aws:kms', 'bk', None, True)
    assert enc.for_write(None, default) == default
    assert enc.for_write(None, None) is None
    key = enc.CustomerKey(KEY, KEY_MD5)
    assert enc.for_write(key, default) is key
    assert enc.for_write(enc.ServerSide('AES256'), default) == \
        enc.ServerSide('AES256')
    assert enc.for_write(enc.ServerSide('aws:kms'), default) == \
        enc.ServerSide('aws:kms', 'bk', None, True)
