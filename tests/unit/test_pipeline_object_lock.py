"""The pipeline check for Object Lock: ``object_lock = true`` needs the
objectlock filter after the auth filter and before versioned_writes and
symlink; the message names the corrected pipeline."""
from __future__ import annotations

from tests.unit.test_pipeline import (SEED, TEMPAUTH, _SECTIONS, errors,
                                      suggestion)

_SECTIONS.setdefault('objectlock', ('objectlock', 'swift3compat.objectlock'))
LOCK = {'swift3': {'object_lock': 'true'},
        'versioned_writes': {'allow_object_versioning': 'true'}}
TEMPAUTH_LOCKED = TEMPAUTH.replace('tempauth', 'tempauth objectlock')
SEED_LOCKED = SEED.replace('keystone', 'keystone objectlock')


def test_object_lock_with_objectlock_in_place_is_clean():
    assert errors(TEMPAUTH_LOCKED, LOCK) == []
    assert errors(SEED_LOCKED, LOCK) == []


def test_objectlock_without_object_lock_is_fine():
    assert errors(TEMPAUTH_LOCKED) == []
    assert errors(TEMPAUTH) == []


def test_object_lock_without_objectlock_is_refused():
    [message] = errors(TEMPAUTH, LOCK)
    assert message.startswith('object_lock = true in [filter:swift3] needs '
                              'the objectlock filter')
    assert suggestion(message) == 'pipeline = ' + TEMPAUTH_LOCKED + \
        ' proxy-server'
    [message] = errors(SEED, LOCK)
    assert suggestion(message) == 'pipeline = ' + SEED_LOCKED + \
        ' proxy-server'


def test_objectlock_before_the_auth_filter_is_refused():
    line = TEMPAUTH.replace('swift3 tempauth', 'swift3 objectlock tempauth')
    [message] = errors(line, LOCK)
    assert message.startswith('objectlock must come after swift3 and the '
                              'auth filter')
    assert suggestion(message) == 'pipeline = ' + TEMPAUTH_LOCKED + \
        ' proxy-server'


def test_objectlock_after_versioned_writes_is_refused():
    line = TEMPAUTH.replace('symlink', 'symlink objectlock')
    [message] = errors(line, LOCK)
    assert 'before versioned_writes and symlink' in message
    fixed = suggestion(message)
    assert fixed.index('objectlock') < fixed.index('versioned_writes')
    assert errors(fixed[len('pipeline = '):-len(' proxy-server')], LOCK) == []
