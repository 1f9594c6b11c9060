"""ceph/s3-tests against swift3compat: ``python -m tools.s3tests`` (see runner.py),
``python -m tools.s3tests.report`` (doc/conformance.md from a run's junit xml)."""
