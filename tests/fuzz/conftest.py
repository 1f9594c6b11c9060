"""The fuzz suite's Hypothesis budgets are the ``ci`` (default, derandomized,
about a minute) and ``long`` (``tox -e fuzz``, random) profiles registered in
tests/conftest.py for every suite."""
