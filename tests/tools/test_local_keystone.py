"""The local Keystone's generated passwords survive a command line."""

from __future__ import annotations

import argparse

from swift3compat_dev.local_keystone import new_password


def test_password_is_read_as_a_value_not_an_option() -> None:
    # token_urlsafe() once gave "-xcKF9Q2...", and keystone-manage's argparse
    # answered "--bootstrap-password: expected one argument"; CI went red.
    parser = argparse.ArgumentParser()
    parser.add_argument('--bootstrap-password')
    for _ in range(200):
        password = new_password()
        assert len(password) >= 32
        args = parser.parse_args(['--bootstrap-password', password])
        assert args.bootstrap_password == password
