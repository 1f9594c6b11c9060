"""swift3compat: an S3 compatibility layer for OpenStack Swift."""
__version__ = '0.1.0'
