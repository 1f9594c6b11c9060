"""Benchmarks: swift3compat vs Swift's s3api vs the native Swift API, on one cluster.

Run ``python -m tools.bench`` (or ``tox -e bench``) from the repository root;
``--quick`` takes a minute or two, the full run about half an hour. It starts
one set of account/container/object servers (``swift3compat_dev.cluster``) and
several proxies on the same rings, drives them with one raw-HTTP client, and
writes ``results.json``, ``results.md`` and ``results.png`` to ``bench-results/``.
See doc/benchmarks.md for what is measured and how to read it.

Modules:

    signer.py     client-side SigV4 and aws-chunked encoders (no botocore)
    client.py     raw HTTP client: one target per proxy, thread-pool batches
    procstat.py   proxy CPU time and RSS from /proc
    scenarios.py  what is measured: 1 KiB ops, listings, big objects, ...
    runner.py     cluster + proxies, interleaved rounds, medians
    report.py     JSON, markdown table, PNG chart, machine description
    profiling.py  a Paste filter that profiles a proxy (``--profile``)
"""
