"""Background work on stored data: ``lifecycle`` (the
``swift3compat-lifecycle`` sweeper: lifecycle rules applied to stored
objects, noncurrent versions and stale uploads).

``swift3compat.sweeper:main`` is the installed console entry point; it runs
the lifecycle sweeper.
"""
from swift3compat.sweeper.lifecycle import main

__all__ = ['main']
