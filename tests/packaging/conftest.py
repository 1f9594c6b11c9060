"""Packaging tests: slow (they run rpmbuild), selected with ``-m rpm``."""


def pytest_configure(config):
    config.addinivalue_line(
        'markers', 'rpm: builds the RPM with rpmbuild and checks it (slow; '
        'needs apt-get install rpm rpm2cpio cpio python3-packaging on Debian)')
