"""CORS configuration parsing and rule matching (swift3compat.model.cors)."""
from __future__ import annotations

import pytest
from lxml import etree

from swift3compat import errors
from swift3compat.model import cors

NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'


def config(*rules: str) -> bytes:
    return ('<CORSConfiguration %s>%s</CORSConfiguration>'
            % (NS, ''.join('<CORSRule>%s</CORSRule>' % r for r in rules))
            ).encode()


APP = ('<ID>app</ID><AllowedOrigin>http://app.example:8000</AllowedOrigin>'
       '<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod>'
       '<AllowedHeader>x-amz-*</AllowedHeader>'
       '<AllowedHeader>Content-Type</AllowedHeader>'
       '<ExposeHeader>ETag</ExposeHeader>'
       '<ExposeHeader>x-amz-request-id</ExposeHeader>'
       '<MaxAgeSeconds>600</MaxAgeSeconds>')
ANY_GET = ('<AllowedOrigin>*</AllowedOrigin>'
           '<AllowedMethod>GET</AllowedMethod>'
           '<AllowedMethod>HEAD</AllowedMethod>')
SUBDOMAINS = ('<AllowedOrigin>https://*.example.com</AllowedOrigin>'
              '<AllowedMethod>DELETE</AllowedMethod>'
              '<AllowedHeader>*</AllowedHeader>')
CONF = cors.from_xml(config(APP, ANY_GET, SUBDOMAINS))


def test_preflight_matches_first_allowing_rule():
    rule = CONF.preflight('http://app.example:8000', 'PUT',
                          ['content-type', 'x-amz-date'])
    assert rule is not None and rule.id == 'app'
    headers = cors.preflight_headers(rule, 'http://app.example:8000',
                                     ['content-type', 'x-amz-date'])
    assert headers['Access-Control-Allow-Origin'] == 'http://app.example:8000'
    assert headers['Access-Control-Allow-Credentials'] == 'true'
    assert headers['Access-Control-Allow-Methods'] == 'GET, PUT'
    assert headers['Access-Control-Allow-Headers'] == \
        'content-type, x-amz-date'
    assert headers['Access-Control-Expose-Headers'] == \
        'ETag, x-amz-request-id'
    assert headers['Access-Control-Max-Age'] == '600'
    assert 'Origin' in headers['Vary']


@pytest.mark.parametrize('origin,method,req_headers,rule_id', [
    ('http://app.example:8000', 'GET', [], 'app'),
    ('http://app.example:8000', 'PUT', ['X-Amz-Meta-A'], 'app'),
    ('http://app.example:8000', 'PUT', ['authorization'], None),
    ('http://app.example:8000', 'DELETE', [], None),
    ('http://app.example', 'PUT', [], None),           # other port
    ('http://evil.example', 'GET', [], 'any'),
    ('http://evil.example', 'GET', ['x-custom'], None),
    ('http://evil.example', 'PUT', [], None),
    ('https://a.example.com', 'DELETE', ['anything', 'else'], 'sub'),
    ('https://a.b.example.com', 'DELETE', [], 'sub'),
    ('http://a.example.com', 'DELETE', [], None),      # scheme differs
    ('https://example.com', 'DELETE', [], None),
    ('https://a.example.com.evil', 'DELETE', [], None),
])
def test_preflight_matching(origin, method, req_headers, rule_id):
    names = {'app': 'app', 'any': None, 'sub': None}
    rule = CONF.preflight(origin, method, [h.lower() for h in req_headers])
    if rule_id is None:
        assert rule is None
    else:
        assert rule is not None and rule.id == names[rule_id]
        expected = {'app': 0, 'any': 1, 'sub': 2}[rule_id]
        assert rule is CONF.rules[expected]


def test_wildcard_origin_answers_star_without_credentials():
    rule = CONF.actual('http://anything', 'HEAD')
    headers = rule.response_headers('http://anything')
    assert headers['Access-Control-Allow-Origin'] == '*'
    assert 'Access-Control-Allow-Credentials' not in headers
    assert 'Access-Control-Max-Age' not in headers


def test_actual_request_ignores_headers():
    assert CONF.actual('https://x.example.com', 'DELETE') is CONF.rules[2]
    assert CONF.actual('https://x.example.com', 'POST') is None


def test_json_round_trip_and_xml():
    again = cors.Configuration.from_json(CONF.to_json())
    assert again == CONF
    root = etree.fromstring(CONF.to_xml())
    rules = root.findall('{*}CORSRule')
    assert len(rules) == 3
    assert [c.tag.split('}')[1] for c in rules[0]] == [
        'ID', 'AllowedHeader', 'AllowedHeader', 'AllowedMethod',
        'AllowedMethod', 'AllowedOrigin', 'ExposeHeader', 'ExposeHeader',
        'MaxAgeSeconds']
    assert cors.from_xml(CONF.to_xml()) == CONF


def test_from_json_refuses_garbage():
    for text in ('', '{}', '[[1]]', 'null'):
        with pytest.raises(ValueError):
            cors.Configuration.from_json(text)


def test_split_header_list():
    assert cors.split_header_list(' Content-Type ,X-Amz-Date,,') == [
        'content-type', 'x-amz-date']
    assert cors.split_header_list(None) == []


@pytest.mark.parametrize('body,error', [
    (config(), errors.MalformedXML),
    (b'<CORSConfiguration/>', errors.MalformedXML),
    (b'<Other><CORSRule/></Other>', errors.MalformedXML),
    (config('<AllowedMethod>GET</AllowedMethod>'), errors.MalformedXML),
    (config('<AllowedOrigin>*</AllowedOrigin>'), errors.MalformedXML),
    (config(ANY_GET + '<Bogus/>'), errors.MalformedXML),
    (config(ANY_GET + '<MaxAgeSeconds>ten</MaxAgeSeconds>'),
     errors.MalformedXML),
    (config(ANY_GET + '<ID>a</ID><ID>b</ID>'), errors.MalformedXML),
    (config(ANY_GET + '<ID>%s</ID>' % ('i' * 256)), errors.InvalidArgument),
    (config('<AllowedOrigin>*</AllowedOrigin>'
            '<AllowedMethod>PATCH</AllowedMethod>'), errors.InvalidRequest),
    (config('<AllowedOrigin>http://*.*.example</AllowedOrigin>'
            '<AllowedMethod>GET</AllowedMethod>'), errors.InvalidRequest),
    (config(ANY_GET + '<AllowedHeader>x-*-*</AllowedHeader>'),
     errors.InvalidRequest),
    (config(ANY_GET + '<ExposeHeader>*</ExposeHeader>'),
     errors.InvalidRequest),
    (config(*[ANY_GET] * (cors.MAX_RULES + 1)), errors.MalformedXML),
    (b'<!DOCTYPE x><CORSConfiguration/>', errors.MalformedXML),
])
def test_invalid_configurations(body, error):
    with pytest.raises(error):
        cors.from_xml(body)


def test_hundred_rules_are_fine():
    assert len(cors.from_xml(config(*[ANY_GET] * 100)).rules) == 100
