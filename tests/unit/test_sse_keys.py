"""Key providers (swift3compat.swift.keyprovider): key file and castellan."""
import base64
import os

import pytest

from swift3compat.swift import keyprovider as kp


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def write(tmp_path, text):
    path = tmp_path / 'keys.conf'
    path.write_text(text)
    return str(path)


def test_key_file(tmp_path):
    root, old, kms = os.urandom(32), os.urandom(32), os.urandom(48)
    path = write(tmp_path, f'[sse]\nroot_secret = {b64(old)}\n'
                           f'root_secret_2026 = {b64(root)}\n'
                           'active_root_secret_id = 2026\n'
                           'default_kms_key_id = arn:aws:kms:x:1:key/a\n'
                           f'[kms_key:arn:aws:kms:x:1:key/a]\nsecret = {b64(kms)}\n')
    provider = kp.from_conf({'key_provider': 'keyfile', 'key_file': path})
    assert provider.active_secret_id == '2026'
    assert provider.root_secret('2026') == root
    assert provider.root_secret(None) == old
    assert provider.secret_ids == [None, '2026']
    assert provider.resolve_kms_key_id(None) == 'arn:aws:kms:x:1:key/a'
    assert provider.kms_key('arn:aws:kms:x:1:key/a') == kms
    with pytest.raises(kp.UnknownKey):
        provider.resolve_kms_key_id('nope')
    with pytest.raises(kp.UnknownKey):
        provider.root_secret('1999')


@pytest.mark.parametrize('text,needle', [
    ('[other]\n', 'no [sse] section'),
    ('[sse]\n', 'no root secret'),
    ('[sse]\nroot_secret = c2hvcnQ=\n', 'at least 32'),
    (f'[sse]\nroot_secret = {b64(bytes(32))}\nactive_root_secret_id = x\n',
     'active_root_secret_id'),
    (f'[sse]\nroot_secret = {b64(bytes(32))}\ndefault_kms_key_id = k\n',
     'default_kms_key_id'),
])
def test_key_file_errors(tmp_path, text, needle):
    with pytest.raises(kp.KeyProviderError) as info:
        kp.from_conf({'key_file': write(tmp_path, text)})
    assert needle in str(info.value)


def test_provider_choice():
    with pytest.raises(kp.KeyProviderError):
        kp.from_conf({'key_provider': 'keyfile'})
    with pytest.raises(kp.KeyProviderError):
        kp.from_conf({'key_provider': 'vault'})


class FakeKey:
    """What castellan's key managers return (SymmetricKey's interface)."""

    def __init__(self, secret, algorithm='AES', key_format='RAW'):
        self.secret, self.algorithm, self.format = secret, algorithm, key_format
        self.bit_length = len(secret) * 8

    def get_encoded(self):
        return self.secret


class NotFound(Exception):
    pass


NotFound.__name__ = 'ManagedObjectNotFoundError'    # castellan's name


class FakeKeyManager:
    """castellan's KeyManager.get(context, key_id), in memory."""

    def __init__(self):
        self.keys, self.calls = {}, []

    def store(self, key):
        key_id = '%08d-0000-0000-0000-000000000000' % len(self.keys)
        self.keys[key_id] = key
        return key_id

    def get(self, context, key_id):
        assert context == 'service-credentials'
        self.calls.append(key_id)
        try:
            return self.keys[key_id]
        except KeyError:
            raise NotFound(key_id) from None


def test_castellan_with_a_fake_key_manager():
    manager = FakeKeyManager()
    root = os.urandom(32)
    root_id = manager.store(FakeKey(root))
    kms_id = manager.store(FakeKey(os.urandom(32)))
    other_id = manager.store(FakeKey(os.urandom(32)))
    weak_id = manager.store(FakeKey(os.urandom(16)))
    des_id = manager.store(FakeKey(os.urandom(32), 'DES'))
    now = [0.0]
    provider = kp.CastellanKeyProvider.from_manager(
        manager, 'service-credentials', {
            'root_key_id': root_id, 'default_kms_key_id': kms_id,
            'kms_key_ids': ','.join((kms_id, weak_id, des_id)),
            'key_cache_seconds': '60'})
    provider.clock = lambda: now[0]
    assert provider.root_secret(None) == root
    assert provider.resolve_kms_key_id(None) == kms_id
    assert provider.resolve_kms_key_id(kms_id) == kms_id
    with pytest.raises(kp.UnknownKey):           # not allow-listed
        provider.resolve_kms_key_id(other_id)
    with pytest.raises(kp.UnknownKey):           # too weak
        provider.resolve_kms_key_id(weak_id)
    with pytest.raises(kp.UnknownKey):           # not AES
        provider.resolve_kms_key_id(des_id)
    with pytest.raises(kp.UnknownKey):           # absent
        provider.kms_key('ffffffff-0000-0000-0000-000000000000')
    # cached, then read again once the cache expired
    first = provider.kms_key(kms_id)
    manager.calls.clear()
    assert provider.kms_key(kms_id) == first and manager.calls == []
    now[0] = 61.0
    assert provider.kms_key(kms_id) == first and manager.calls == [kms_id]


def test_castellan_from_conf_builds_castellans_key_manager():
    """The real castellan (when installed, as requirements say) builds a
    key manager from the options; nothing is contacted before a key is
    read, so a missing Barbican only fails the root secret read."""
    try:
        import castellan  # noqa: F401
    except ImportError:
        with pytest.raises(kp.KeyProviderError):
            kp.from_conf({'key_provider': 'castellan'})
        return
    with pytest.raises(Exception) as info:
        kp.from_conf({'key_provider': 'castellan', 'root_key_id': 'x',
                      'auth_endpoint': 'http://127.0.0.1:9/v3',
                      'barbican_endpoint': 'http://127.0.0.1:9',
                      'username': 'u', 'password': 'p',
                      'project_name': 'p'})
    assert not isinstance(info.value, kp.KeyProviderError)


def test_castellan_needs_a_root_key():
    with pytest.raises(kp.KeyProviderError):
        kp.CastellanKeyProvider(object(), None, {})
