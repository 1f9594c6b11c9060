"""A real headless Chromium against the S3 endpoint: cross-origin fetch()
of presigned URLs (CORS preflight + actual requests) and an HTML form POST
upload (browser POST object)."""
from __future__ import annotations

import hashlib
import html
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

FETCH_PAGE = '''<!doctype html><html><head><title>cors</title><script>
async function run(putUrl, getUrl) {
  const out = {};
  try {
    const put = await fetch(putUrl, {method: 'PUT', body: 'hello from chromium',
      headers: {'Content-Type': 'text/plain', 'x-amz-meta-from': 'browser'}});
    out.put = put.status;
    out.etag = put.headers.get('ETag');
    const got = await fetch(getUrl);
    out.get = got.status;
    out.body = await got.text();
  } catch (e) {
    out.error = String(e);
  }
  return out;
}
</script></head><body>cors page</body></html>'''
RUN = ('const done = arguments[arguments.length - 1];'
       'run(arguments[0], arguments[1]).then(done);')


@pytest.fixture
def bucket(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    yield bucket_name
    for obj in s3.list_objects(Bucket=bucket_name).get('Contents', []):
        s3.delete_object(Bucket=bucket_name, Key=obj['Key'])
    s3.delete_bucket(Bucket=bucket_name)


def presigned_pair(s3, bucket, key):
    put = s3.generate_presigned_url('put_object', Params={
        'Bucket': bucket, 'Key': key, 'ContentType': 'text/plain',
        'Metadata': {'from': 'browser'}}, ExpiresIn=600)
    get = s3.generate_presigned_url('get_object', Params={
        'Bucket': bucket, 'Key': key}, ExpiresIn=600)
    return put, get


def test_cross_origin_fetch_put_and_get(browser, pages, s3, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={'CORSRules': [{
        'AllowedOrigins': [pages.origin], 'AllowedMethods': ['GET', 'PUT'],
        'AllowedHeaders': ['*'], 'ExposeHeaders': ['ETag'], 'MaxAgeSeconds': 60}]})
    browser.get(pages.publish('/cors.html', FETCH_PAGE))
    result = browser.execute_async_script(RUN, *presigned_pair(s3, bucket, 'from-browser.txt'))
    assert result == {'put': 200, 'get': 200, 'body': 'hello from chromium',
                      'etag': '"%s"' % hashlib.md5(b'hello from chromium').hexdigest()}
    head = s3.head_object(Bucket=bucket, Key='from-browser.txt')
    assert head['Metadata'] == {'from': 'browser'}
    assert head['ContentType'] == 'text/plain'


def test_fetch_is_blocked_without_a_matching_rule(browser, pages, s3, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={'CORSRules': [{
        'AllowedOrigins': ['http://elsewhere.example'], 'AllowedMethods': ['GET', 'PUT'],
        'AllowedHeaders': ['*']}]})
    browser.get(pages.publish('/cors.html', FETCH_PAGE))
    result = browser.execute_async_script(RUN, *presigned_pair(s3, bucket, 'blocked.txt'))
    assert 'TypeError' in result.get('error', ''), result
    assert 'put' not in result
    assert s3.list_objects(Bucket=bucket).get('Contents') is None


def form_page(action: str, fields: dict) -> str:
    inputs = ''.join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in fields.items())
    return (f'<!doctype html><html><body><form id="upload" method="post" '
            f'action="{html.escape(action)}" enctype="multipart/form-data">{inputs}'
            '<input type="file" name="file" id="file"><input type="submit" id="go">'
            '</form></body></html>')


def test_html_form_post_upload(browser, pages, s3, s3_endpoint, bucket, tmp_path):
    done = pages.publish('/done', '<!doctype html><html><body>uploaded</body></html>')
    presigned = s3.generate_presigned_post(
        bucket, 'forms/${filename}',
        Fields={'success_action_redirect': done, 'Content-Type': 'image/png'},
        Conditions=[['starts-with', '$key', 'forms/'], {'success_action_redirect': done},
                    ['starts-with', '$Content-Type', 'image/'],
                    ['content-length-range', 1, 1024 * 1024]],
        ExpiresIn=600)
    assert presigned['url'] == f'{s3_endpoint}/{bucket}'
    picture = tmp_path / 'picture.png'
    data = bytes(range(256)) * 64
    picture.write_bytes(data)
    browser.get(pages.publish('/form.html', form_page(presigned['url'],
                                                      presigned['fields'])))
    browser.find_element(By.ID, 'file').send_keys(str(picture))
    browser.find_element(By.ID, 'go').click()
    WebDriverWait(browser, 30).until(lambda d: d.current_url.startswith(done))
    query = parse_qs(urlsplit(browser.current_url).query)
    assert query['bucket'] == [bucket]
    assert query['key'] == ['forms/picture.png']
    assert query['etag'] == ['"%s"' % hashlib.md5(data).hexdigest()]
    got = s3.get_object(Bucket=bucket, Key='forms/picture.png')
    assert got['Body'].read() == data
    assert got['ContentType'] == 'image/png'


def test_form_post_refused_by_its_policy(browser, pages, s3, bucket, tmp_path):
    presigned = s3.generate_presigned_post(
        bucket, 'small', Conditions=[['content-length-range', 1, 10]], ExpiresIn=600)
    big = tmp_path / 'big.bin'
    big.write_bytes(b'x' * 100)
    browser.get(pages.publish('/form2.html', form_page(presigned['url'],
                                                       presigned['fields'])))
    browser.find_element(By.ID, 'file').send_keys(str(big))
    browser.find_element(By.ID, 'go').click()
    WebDriverWait(browser, 30).until(
        lambda d: 'EntityTooLarge' in d.page_source)
    assert s3.list_objects(Bucket=bucket).get('Contents') is None
