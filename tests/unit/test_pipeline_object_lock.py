"""The pipeline check for Object Lock: ``object_lock = true`` needs the
objectlock filter after the auth filter and before versioned_writes and
symlink; the one corrected pipeline puts it there."""
from __future__ import annotations

from tests.unit.test_pipeline import (SEED, TEMPAUTH, _SECTIONS, errors, fix,
                                      pipeline)
from swift3compat.pipeline import check_filters

_SECTIONS.setdefault('objectlock', ('objectlock', 'swift3compat.objectlock'))
LOCK = {'swift3': {'object_lock': 'true'},
        'versioned_writes': {'allow_object_versioning': 'true'}}
TEMPAUTH_LOCKED = TEMPAUTH.replace('tempauth', 'tempauth objectlock')
SEED_LOCKED = SEED.replace('keystone', 'keystone objectlock')
SECTION = '[filter:objectlock] use = egg:swift3compat#objectlock'


def test_object_lock_with_objectlock_in_place_is_clean():
    assert errors(TEMPAUTH_LOCKED, LOCK) == []
    assert errors(SEED_LOCKED, LOCK) == []
    assert fix(TEMPAUTH_LOCKED, LOCK) is None


def test_objectlock_without_object_lock_is_fine():
    assert errors(TEMPAUTH_LOCKED) == []
    assert errors(TEMPAUTH) == []


def test_object_lock_without_objectlock_is_refused():
    [message] = errors(TEMPAUTH, LOCK)
    assert message.startswith('object_lock = true in [filter:swift3] needs '
                              'the objectlock filter')
    assert fix(TEMPAUTH, LOCK) == 'pipeline = %s proxy-server (with ' \
        'sections: %s)' % (TEMPAUTH_LOCKED, SECTION)
    assert fix(SEED, LOCK) == 'pipeline = %s proxy-server (with ' \
        'sections: %s)' % (SEED_LOCKED, SECTION)


def test_objectlock_before_the_auth_filter_is_refused():
    line = TEMPAUTH.replace('swift3 tempauth', 'swift3 objectlock tempauth')
    [message] = errors(line, LOCK)
    assert message.startswith('objectlock must come after swift3 and the '
                              'auth filter')
    assert fix(line, LOCK) == 'pipeline = %s proxy-server' % TEMPAUTH_LOCKED
    before_swift3 = TEMPAUTH.replace('cache swift3', 'cache objectlock swift3')
    assert errors(before_swift3, LOCK)
    assert fix(before_swift3, LOCK) == 'pipeline = %s proxy-server' % \
        TEMPAUTH_LOCKED


def test_objectlock_after_versioned_writes_is_refused():
    line = TEMPAUTH.replace('symlink', 'symlink objectlock')
    [message] = errors(line, LOCK)
    assert 'before versioned_writes and symlink' in message
    fixed = fix(line, LOCK)
    assert fixed == 'pipeline = %s proxy-server' % TEMPAUTH_LOCKED
    assert check_filters(pipeline(TEMPAUTH_LOCKED, LOCK)) == []
