"""Static websites against a real Swift cluster: the configuration API
(s3cmd ws-*, awscli, boto3) and the website endpoint
(``<bucket>.s3-website.localhost``; ``*.localhost`` resolves through
libnss-myhostname)."""
from __future__ import annotations

import http.client
import json
from typing import Dict, Optional, Tuple

import botocore.exceptions
import pytest

from swift3compat_dev.cluster import wildcard_localhost_resolves

WEBSITE_DOMAIN = 's3-website.localhost'
OPTIONS = {'storage_domain': 'localhost', 's3_acl': 'true',
           'website_domain': WEBSITE_DOMAIN}
SITE = {'IndexDocument': {'Suffix': 'index.html'},
        'ErrorDocument': {'Key': 'error.html'}}


@pytest.fixture(scope='module')
def web_proxy(proxy_factory):
    if not wildcard_localhost_resolves():
        pytest.fail('<bucket>.localhost does not resolve: install '
                    'libnss-myhostname (.ci/run does)')
    return proxy_factory(**OPTIONS)


@pytest.fixture(scope='module')
def owner(s3_client_factory, web_proxy):
    return s3_client_factory(proxy=web_proxy)


def fetch(proxy, bucket: str, path: str, method: str = 'GET',
          headers: Optional[Dict[str, str]] = None) -> Tuple[int, Dict[str, str], bytes]:
    conn = http.client.HTTPConnection('127.0.0.1', proxy.port, timeout=30)
    try:
        conn.request(method, path, headers={
            'Host': f'{bucket}.{WEBSITE_DOMAIN}:{proxy.port}', **(headers or {})})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


@pytest.fixture
def site(owner, bucket_name):
    owner.create_bucket(Bucket=bucket_name)
    pages = {'index.html': b'<h1>home</h1>', 'docs/index.html': b'<h1>docs</h1>',
             'docs/a b.html': b'a b', 'error.html': b'<h1>oops</h1>',
             'secret.html': None}
    for key, body in pages.items():
        extra = {'ACL': 'public-read'} if body is not None else {}
        owner.put_object(Bucket=bucket_name, Key=key, Body=body or b'secret',
                         ContentType='text/html', **extra)
    owner.put_bucket_website(Bucket=bucket_name, WebsiteConfiguration=SITE)
    yield bucket_name
    for obj in owner.list_objects(Bucket=bucket_name).get('Contents', []):
        owner.delete_object(Bucket=bucket_name, Key=obj['Key'])
    owner.delete_bucket(Bucket=bucket_name)


# -- the endpoint ---------------------------------------------------------------
def test_index_documents(web_proxy, site):
    status, headers, body = fetch(web_proxy, site, '/')
    assert (status, body) == (200, b'<h1>home</h1>')
    assert headers['content-type'] == 'text/html'
    assert fetch(web_proxy, site, '/docs/')[2] == b'<h1>docs</h1>'
    assert fetch(web_proxy, site, '/docs/a%20b.html')[2] == b'a b'
    status, headers, _body = fetch(web_proxy, site, '/docs')
    assert status == 302 and headers['location'] == '/docs/'
    status, headers, body = fetch(web_proxy, site, '/', 'HEAD')
    assert status == 200 and body == b''
    assert headers['content-length'] == str(len('<h1>home</h1>'))


def test_error_document_keeps_the_status(owner, web_proxy, site):
    # not readable by everybody: 403, with the error document
    status, headers, body = fetch(web_proxy, site, '/secret.html')
    assert (status, body) == (403, b'<h1>oops</h1>')
    assert headers['content-type'] == 'text/html'
    # a missing key is a 403 too, unless everybody may list the bucket
    assert fetch(web_proxy, site, '/nowhere.html')[:3:2] == (403, b'<h1>oops</h1>')
    owner.put_bucket_acl(Bucket=site, ACL='public-read')
    assert fetch(web_proxy, site, '/nowhere.html')[:3:2] == (404, b'<h1>oops</h1>')


def test_html_errors_without_error_document(owner, web_proxy, site, make_bucket_name):
    owner.put_bucket_acl(Bucket=site, ACL='public-read')
    owner.put_bucket_website(Bucket=site, WebsiteConfiguration={
        'IndexDocument': {'Suffix': 'index.html'}})
    status, headers, body = fetch(web_proxy, site, '/nowhere.html')
    assert status == 404
    assert headers['content-type'] == 'text/html; charset=utf-8'
    assert b'<li>Code: NoSuchKey</li>' in body
    status, headers, body = fetch(web_proxy, site, '/', 'PUT')
    assert status == 405 and headers['allow'] == 'GET, HEAD'
    status, _headers, body = fetch(web_proxy, make_bucket_name('nobucket'), '/')
    assert status == 404 and b'NoSuchBucket' in body
    owner.delete_bucket_website(Bucket=site)
    status, _headers, body = fetch(web_proxy, site, '/')
    assert status == 404 and b'NoSuchWebsiteConfiguration' in body


def test_redirect_all_requests(owner, web_proxy, site):
    owner.put_bucket_website(Bucket=site, WebsiteConfiguration={
        'RedirectAllRequestsTo': {'HostName': 'www.example.com', 'Protocol': 'https'}})
    status, headers, _body = fetch(web_proxy, site, '/docs/x.html')
    assert status == 301
    assert headers['location'] == 'https://www.example.com/docs/x.html'


def test_routing_rules(owner, web_proxy, site):
    owner.put_bucket_acl(Bucket=site, ACL='public-read')
    owner.put_bucket_website(Bucket=site, WebsiteConfiguration={
        **SITE, 'RoutingRules': [
            {'Condition': {'KeyPrefixEquals': 'old/'},
             'Redirect': {'ReplaceKeyPrefixWith': 'docs/'}},
            {'Condition': {'HttpErrorCodeReturnedEquals': '404'},
             'Redirect': {'HostName': 'fallback.example', 'ReplaceKeyWith': 'gone.html',
                          'HttpRedirectCode': '307'}}]})
    status, headers, _body = fetch(web_proxy, site, '/old/a%20b.html')
    assert status == 301
    assert headers['location'] == \
        f'http://{site}.{WEBSITE_DOMAIN}:{web_proxy.port}/docs/a%20b.html'
    status, headers, _body = fetch(web_proxy, site, '/missing')
    assert status == 307 and headers['location'] == 'http://fallback.example/gone.html'
    assert fetch(web_proxy, site, '/')[0] == 200


def test_the_s3_api_is_unchanged(owner, site):
    assert owner.get_object(Bucket=site, Key='secret.html')['Body'].read() == b'secret'


# -- the configuration API --------------------------------------------------------
def test_boto3_round_trip(owner, site):
    got = owner.get_bucket_website(Bucket=site)
    assert got['IndexDocument'] == {'Suffix': 'index.html'}
    assert got['ErrorDocument'] == {'Key': 'error.html'}
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        owner.put_bucket_website(Bucket=site, WebsiteConfiguration={
            'ErrorDocument': {'Key': 'e.html'}})
    assert exc.value.response['Error']['Code'] == 'InvalidArgument'
    owner.delete_bucket_website(Bucket=site)
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        owner.get_bucket_website(Bucket=site)
    assert exc.value.response['Error']['Code'] == 'NoSuchWebsiteConfiguration'


def test_awscli(awscli, web_proxy, site):
    cli = awscli(proxy=web_proxy)
    cli.run('s3', 'website', f's3://{site}', '--index-document', 'home.html')
    out = json.loads(cli.run('s3api', 'get-bucket-website', '--bucket', site).stdout)
    assert out['IndexDocument'] == {'Suffix': 'home.html'}
    cli.run('s3api', 'put-bucket-website', '--bucket', site,
            '--website-configuration', json.dumps(SITE))
    out = json.loads(cli.run('s3api', 'get-bucket-website', '--bucket', site).stdout)
    assert out['ErrorDocument'] == {'Key': 'error.html'}
    cli.run('s3api', 'delete-bucket-website', '--bucket', site)
    proc = cli.run('s3api', 'get-bucket-website', '--bucket', site, check=False)
    assert proc.returncode != 0 and 'NoSuchWebsiteConfiguration' in proc.stderr


@pytest.mark.parametrize('signature', ['v4', 'v2'])
def test_s3cmd_ws_create_info_delete(s3cmd, s3cmd_config, web_proxy, owner, site,
                                     signature):
    config = s3cmd_config(signature=signature, proxy=web_proxy)
    owner.delete_bucket_website(Bucket=site)
    s3cmd(config, 'ws-create', '--ws-index=index.html', '--ws-error=error.html',
          f's3://{site}')
    info = s3cmd(config, 'ws-info', f's3://{site}').stdout
    assert 'index.html' in info and 'error.html' in info
    assert fetch(web_proxy, site, '/')[2] == b'<h1>home</h1>'
    s3cmd(config, 'ws-delete', f's3://{site}')
    assert fetch(web_proxy, site, '/')[0] == 404


def test_website_domain_needs_s3_acl():
    from swift3compat import config
    from swift3compat.middleware import filter_factory
    with pytest.raises(config.ConfigError, match='website_domain'):
        filter_factory({}, website_domain='web.example', auth_pipeline_check='false')
