"""Static websites: PUT/GET/DELETE ``?website`` and the website endpoint.

Enable the endpoint with ``website_domain`` in ``[filter:swift3]`` (e.g.
``website_domain = s3-website.example.com``, with a wildcard DNS record, so
that ``http://<bucket>.s3-website.example.com/`` is a bucket's site).  It
serves anonymous GET and HEAD requests only, through the same anonymous
access path as the S3 API, so it needs ``s3_acl = true`` and objects that
everybody may read (``public-read`` ACLs or a bucket policy), as on AWS.
Errors are HTML pages, or the bucket's ErrorDocument with the error's
status.

The configuration is stored as compact JSON in container sysmeta
(``bucket_config.store``, name ``website``) and read from Swift's cached
container info on every website request.
"""
from __future__ import annotations

from http import HTTPStatus
from typing import Any, Dict, Optional
from urllib.parse import quote

from swift3compat import errors
from swift3compat.authz.access import guard_of
from swift3compat.authz.bucket_index import BucketIndex
from swift3compat.config import Config
from swift3compat.http import xml
from swift3compat.http.body import read_config_body
from swift3compat.http.request import S3Request
from swift3compat.http.response import S3Response, xml_response
from swift3compat.model import website
from swift3compat.swift import bucket_config
from swift3compat.swift.backend import Backend, wsgi_str

NAME = 'website'
# Request headers a website GET passes on to the object read.
_PASSED = ('HTTP_RANGE', 'HTTP_IF_MATCH', 'HTTP_IF_NONE_MATCH',
           'HTTP_IF_MODIFIED_SINCE', 'HTTP_IF_UNMODIFIED_SINCE',
           'HTTP_USER_AGENT', 'HTTP_X_FORWARDED_FOR')
_SPACE = '\\u0020'       # sysmeta values lose edge spaces; JSON keeps these


Page = S3Response  # a website response: any status, standard reason
# The S3 error code of an error page (the access log's error code field).
ERROR_CODE_ENV = 'swift3compat.website_error'


def configuration(sysmeta) -> Optional[website.Configuration]:
    return bucket_config.load_as(sysmeta, NAME,
                                 website.Configuration.from_json)


# -- the configuration API ------------------------------------------------------
def get_bucket_website(req: S3Request, backend: Backend) -> S3Response:
    conf = configuration(bucket_config.head_bucket(backend, req.bucket))
    if conf is None:
        raise errors.NoSuchWebsiteConfiguration(BucketName=req.bucket)
    return xml_response(conf.to_xml())


def put_bucket_website(req: S3Request, backend: Backend) -> S3Response:
    body = read_config_body(req, integrity_required=False)
    conf = website.from_xml(body)
    bucket_config.replace(backend, req.bucket, NAME,
                          conf.to_json().replace(' ', _SPACE))
    guard = guard_of(backend)
    if guard is not None:
        guard.ensure_indexed()      # the endpoint must find it
    return S3Response(200)


def delete_bucket_website(req: S3Request, backend: Backend) -> S3Response:
    bucket_config.remove(backend, req.bucket, NAME)
    return S3Response(204)


# -- the website endpoint -----------------------------------------------------------
def website_bucket(env: Dict[str, Any], conf: Config) -> Optional[str]:
    """The bucket a request to the website endpoint is for, else None."""
    if not conf.website_domain:
        return None
    host = (env.get('HTTP_HOST') or '').lower()
    if ']' not in host:
        host = host.rsplit(':', 1)[0]
    for domain in conf.website_domain:
        suffix = '.' + domain.lower()
        if host.endswith(suffix) and len(host) > len(suffix):
            return host[:-len(suffix)]
    return None


class Site:
    """One website request: ``middleware.handle`` reads the objects, as an
    anonymous S3 GetObject."""

    def __init__(self, env: Dict[str, Any], bucket: str, middleware) -> None:
        self.env = env
        self.bucket = bucket
        self.middleware = middleware
        self.method = env['REQUEST_METHOD']
        self.scheme = env.get('wsgi.url_scheme', 'http')
        self.host = env.get('HTTP_HOST', '')

    def sub_env(self, key: str, method: str) -> Dict[str, Any]:
        env = {k: v for k, v in self.env.items()
               if not k.startswith('HTTP_') or k in _PASSED}
        env.update({'REQUEST_METHOD': method, 'QUERY_STRING': '',
                    'PATH_INFO': '/%s/%s' % (self.bucket, wsgi_str(key)),
                    'HTTP_HOST': '', 'CONTENT_LENGTH': '0'})
        env.pop('RAW_PATH_INFO', None)
        env.pop('REQUEST_URI', None)
        env.pop('CONTENT_TYPE', None)
        return env

    def fetch(self, key: str, method: Optional[str] = None) -> S3Response:
        return self.middleware.handle(self.sub_env(key, method or
                                                   self.method))

    def configuration(self) -> website.Configuration:
        conf = self.middleware.conf
        req = S3Request(self.sub_env('', 'HEAD'), conf)
        backend = Backend(self.middleware.backend_app, req, None)
        account = BucketIndex(backend, conf.bucket_index_account,
                              self.middleware.logger).lookup(self.bucket)
        info = backend.container_info(self.bucket, account=account) \
            if account else {}
        if info.get('status') not in (200, 204):
            raise errors.NoSuchBucket(BucketName=self.bucket)
        site = configuration(info.get('sysmeta') or {})
        if site is None:
            raise errors.NoSuchWebsiteConfiguration(BucketName=self.bucket)
        return site

    def redirect(self, status: int, location: str) -> S3Response:
        return Page(status, {'Location': location})

    def serve(self) -> S3Response:
        if self.method not in ('GET', 'HEAD'):
            raise errors.MethodNotAllowed(Method=self.method,
                                          ResourceType='OBJECT')
        key = _path_key(self.env.get('PATH_INFO') or '/')
        site = self.configuration()
        location = site.redirect_all(key, self.scheme)
        if location is not None:
            return self.redirect(301, location)
        rule = site.rule_for(key)
        if rule is not None:
            return self.redirect(rule.status,
                                 rule.location(key, self.scheme, self.host))
        try:
            return self.fetch(site.index_key(key))
        except errors.S3Error as err:
            return self.failed(site, key, err)

    def failed(self, site: website.Configuration, key: str,
               err: errors.S3Error) -> S3Response:
        if err.status in (403, 404) and site.index_suffix and key and \
                not key.endswith('/') and \
                self.exists(key + '/' + site.index_suffix):
            return self.redirect(302, '/%s/' % quote(key))
        rule = site.rule_for(key, err.status)
        if rule is not None:
            return self.redirect(rule.status,
                                 rule.location(key, self.scheme, self.host))
        if site.error_key is None or err.status not in (403, 404):
            raise err
        try:
            page = self.fetch(site.error_key, 'GET')
        except errors.S3Error as doc_err:
            raise _ErrorDocumentFailed(err, doc_err) from None
        return Page(err.status, {k: v for k, v in page.headers.items()
                                 if k in ('Content-Type', 'Content-Length',
                                          'ETag', 'Last-Modified')},
                    page.body)

    def exists(self, key: str) -> bool:
        try:
            self.fetch(key, 'HEAD')
        except errors.S3Error:
            return False
        return True


class _ErrorDocumentFailed(errors.S3Error):
    """The error, when reading the ErrorDocument failed too."""

    def __init__(self, err: errors.S3Error, doc_err: errors.S3Error) -> None:
        super().__init__(err.message, headers=err.headers, **err.fields)
        self.status, self.code = err.status, err.code
        self.doc_error = doc_err


def _path_key(path: str) -> str:
    """The object key of a website path (WSGI strings carry UTF-8 as
    latin-1)."""
    try:
        return path.encode('latin-1').decode('utf-8')[1:]
    except (UnicodeEncodeError, UnicodeDecodeError):
        raise errors.InvalidURI(URI=None) from None


def serve(env: Dict[str, Any], bucket: str, middleware) -> S3Response:
    """Answer a request to the website endpoint (never raises S3Error:
    errors are HTML pages)."""
    env['swift3compat.operation'] = 'website'
    try:
        return Site(env, bucket, middleware).serve()
    except errors.S3Error as err:
        env[ERROR_CODE_ENV] = err.code      # for the access log
        return error_page(err, env.get('swift.trans_id', ''))


def error_page(err: errors.S3Error, request_id: str) -> S3Response:
    """AWS's HTML error page of the website endpoint."""
    title = '%d %s' % (err.status, _phrase(err.status))
    items = ['Code: %s' % err.code, 'Message: %s' % err.message]
    items += ['%s: %s' % (k, v) for k, v in err.fields.items()
              if v is not None]
    items += ['RequestId: %s' % request_id]
    doc_err = getattr(err, 'doc_error', None)
    extra = ''
    if doc_err is not None:
        extra = ('<h3>An Error Occurred While Attempting to Retrieve a '
                 'Custom Error Document</h3><ul>%s</ul>' % ''.join(
                     '<li>%s</li>' % xml.escape_text(i) for i in
                     ('Code: %s' % doc_err.code,
                      'Message: %s' % doc_err.message)))
    body = ('<html>\n<head><title>%s</title></head>\n<body>\n<h1>%s</h1>\n'
            '<ul>\n%s</ul>\n%s<hr/>\n</body>\n</html>\n' % (
                title, title, ''.join('<li>%s</li>\n' % xml.escape_text(i)
                                      for i in items), extra)).encode()
    headers = dict(err.headers)
    if err.status == 405:
        headers['Allow'] = 'GET, HEAD'
    return Page(err.status, headers, body,
                content_type='text/html; charset=utf-8')


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return 'Error'
