"""Every fuzz target on random bytes, and the seed corpus replayed.

The seed corpus (``tests/fuzz/corpus/<target>/``) holds hand-written inputs
and every input a fuzzer ever found a problem with: replaying it makes each
finding a regression test.
"""
from __future__ import annotations

import os

import pytest
from hypothesis import given, strategies as st

from tests.fuzz.targets import TARGETS

CORPUS = os.path.join(os.path.dirname(__file__), 'corpus')


def _corpus() -> list:
    cases = []
    for target in sorted(TARGETS):
        directory = os.path.join(CORPUS, target)
        for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
            cases.append(pytest.param(target, os.path.join(directory, name),
                                      id=f'{target}/{name}'))
    return cases


@pytest.mark.parametrize('target,path', _corpus())
def test_corpus_input(target, path):
    with open(path, 'rb') as f:
        TARGETS[target](f.read())


def test_every_target_has_seeds():
    for target in TARGETS:
        assert os.listdir(os.path.join(CORPUS, target)), target


@pytest.mark.parametrize('target', sorted(TARGETS))
@given(data=st.binary(max_size=2048))
def test_random_bytes(target, data):
    TARGETS[target](data)
