"""The ``s3token`` Paste filter: S3 credentials checked against Keystone
(``middleware``), with the secrets cached encrypted in memcache
(``secret_cache``).

``swift3compat.s3token:filter_factory`` is the installed entry point
(``use = egg:swift3compat#s3token``); it is defined here so that the
factory's module stays ``swift3compat.s3token``, the name the pipeline
check (``swift3compat.pipeline``) recognises.
"""
from typing import Callable

from swift3compat.s3token import middleware


def filter_factory(global_conf: dict, **local_conf: str) -> Callable:
    """Paste entry point: ``use = egg:swift3compat#s3token``."""
    return middleware.filter_factory(global_conf, **local_conf)
