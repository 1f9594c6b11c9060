"""swift/object_lock.response_headers: the x-amz-object-lock-* headers of
GET/HEAD only for callers allowed s3:GetObjectRetention /
s3:GetObjectLegalHold, decided by the request's guard (no cluster)."""
from __future__ import annotations

from types import SimpleNamespace

from swift3compat.swift import object_lock, sysmeta

LOCKED = {sysmeta.LOCK_RETENTION: 'GOVERNANCE 2100-01-01T00:00:00.000Z',
          sysmeta.LOCK_LEGAL_HOLD: 'ON'}


class Guard:
    def __init__(self, *allowed):
        self.allowed = set(allowed)
        self.asked = []

    def owner_or_granted(self, action, key):
        self.asked.append((action, key))
        return action in self.allowed


def headers(guard, swift_headers):
    req = SimpleNamespace(key='k')
    return object_lock.response_headers(
        req, SimpleNamespace(guard=guard), swift_headers)


def test_no_lock_asks_nothing():
    guard = Guard()
    assert headers(guard, {}) == {}
    assert guard.asked == []


def test_without_s3_acl_every_user_of_the_account_sees_them():
    assert set(headers(None, LOCKED)) == {
        'x-amz-object-lock-mode', 'x-amz-object-lock-retain-until-date',
        'x-amz-object-lock-legal-hold'}


def test_each_header_needs_its_permission():
    assert headers(Guard(), LOCKED) == {}
    assert set(headers(Guard('s3:GetObjectRetention'), LOCKED)) == {
        'x-amz-object-lock-mode', 'x-amz-object-lock-retain-until-date'}
    guard = Guard('s3:GetObjectLegalHold')
    assert headers(guard, LOCKED) == {'x-amz-object-lock-legal-hold': 'ON'}
    assert guard.asked == [('s3:GetObjectRetention', 'k'),
                           ('s3:GetObjectLegalHold', 'k')]


def test_only_what_is_set_is_asked_for():
    guard = Guard('s3:GetObjectLegalHold')
    assert headers(guard, {sysmeta.LOCK_LEGAL_HOLD: 'OFF'}) == {
        'x-amz-object-lock-legal-hold': 'OFF'}
    assert guard.asked == [('s3:GetObjectLegalHold', 'k')]
