"""Which requests the website endpoint serves, and its HTML error pages
(swift3compat.api.website), without Swift."""
from __future__ import annotations

import pytest

from swift3compat import config, errors
from swift3compat.api import website

CONF = config.load({'website_domain': 's3-website.example.com, web.local',
                    's3_acl': 'true', 'storage_domain': 'example.com'})


@pytest.mark.parametrize('host,bucket', [
    ('b1.s3-website.example.com', 'b1'),
    ('My.Site.s3-website.example.com:8080', 'my.site'),
    ('b2.web.local', 'b2'),
    ('s3-website.example.com', None),
    ('.s3-website.example.com', None),
    ('b1.example.com', None),
    ('b1.s3-website.example.com.evil', None),
    ('', None),
])
def test_website_bucket(host, bucket):
    assert website.website_bucket({'HTTP_HOST': host}, CONF) == bucket


def test_disabled_without_domain():
    assert website.website_bucket({'HTTP_HOST': 'b.s3-website.example.com'},
                                  config.load({})) is None


def test_error_page():
    page = website.error_page(errors.NoSuchKey(Key='a<b'), 'tx1')
    assert page.status == 404
    assert page.status_line == '404 Not Found'
    assert page.headers['Content-Type'] == 'text/html; charset=utf-8'
    assert b'<li>Code: NoSuchKey</li>' in page.body
    assert b'<li>Key: a&lt;b</li>' in page.body
    assert b'<li>RequestId: tx1</li>' in page.body
    refused = website.error_page(errors.MethodNotAllowed(), 'tx2')
    assert refused.headers['Allow'] == 'GET, HEAD'
    assert website.Page(302, {'Location': '/x/'}).status_line == '302 Found'
