"""Packaging for swift3compat: the swift3 and s3token Paste filters for Swift."""
import os
import re

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))


def _version():
    with open(os.path.join(HERE, 'swift3compat', '__init__.py')) as f:
        return re.search(r"__version__ = '([^']+)'", f.read()).group(1)


def _readme():
    with open(os.path.join(HERE, 'README.md'), encoding='utf-8') as f:
        return f.read()


setup(
    name='swift3compat',
    version=_version(),
    description='An S3 compatibility layer for OpenStack Swift: '
                'drop-in swift3 and s3token Paste filters',
    long_description=_readme(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.9',
    # swift3compat (the filters, the sweeper) and swift3compat_dev (the
    # all-in-one and the test harness: not needed on production proxies)
    packages=find_packages(exclude=['tests', 'tests.*', 'tools', 'tools.*',
                                    'third_party', 'third_party.*']),
    include_package_data=True,
    install_requires=[
        'swift>=2.35.0,<3',
        'webob>=1.8,<2',
        'lxml>=4.9',
        'PasteDeploy>=2.0',
        'keystonemiddleware>=10.0',
        'keystoneauth1>=5.0',
        'oslo.config>=9.0',
        'cryptography>=3.1',
        # CRC32C / CRC64NVME (and CRC combining) of S3 flexible checksums
        'awscrt>=0.31',
    ],
    extras_require={
        # CRC32 about 13 times faster than zlib's (PCLMUL); optional, the
        # filter falls back to zlib (swift3compat.swift.checksums)
        'checksums': ['isal>=1.0'],
    },
    entry_points={
        'paste.filter_factory': [
            'swift3 = swift3compat.middleware:filter_factory',
            's3token = swift3compat.s3token:filter_factory',
            'objectlock = swift3compat.objectlock:filter_factory',
            'sse = swift3compat.swift.crypto:filter_factory',
        ],
        'console_scripts': [
            'swift3compat-saio = swift3compat_dev.saio:main',
            'swift3compat-lifecycle = swift3compat.sweeper:main',
            'swift3compat-segments = swift3compat.sweeper.segments:main',
        ],
    },
    classifiers=[
        'Environment :: OpenStack',
        'License :: OSI Approved :: Apache Software License',
        'Programming Language :: Python :: 3',
    ],
)
