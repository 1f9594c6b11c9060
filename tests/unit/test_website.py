"""Website configuration parsing and serving decisions
(swift3compat.model.website)."""
from __future__ import annotations

import pytest
from lxml import etree

from swift3compat import errors
from swift3compat.model import website

NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'


def doc(inner: str) -> bytes:
    return ('<WebsiteConfiguration %s>%s</WebsiteConfiguration>'
            % (NS, inner)).encode()


INDEX = '<IndexDocument><Suffix>index.html</Suffix></IndexDocument>'
ERROR = '<ErrorDocument><Key>error.html</Key></ErrorDocument>'
RULES = (
    '<RoutingRules>'
    '<RoutingRule><Condition><KeyPrefixEquals>docs/</KeyPrefixEquals>'
    '</Condition><Redirect><ReplaceKeyPrefixWith>documents/'
    '</ReplaceKeyPrefixWith></Redirect></RoutingRule>'
    '<RoutingRule><Condition><HttpErrorCodeReturnedEquals>404'
    '</HttpErrorCodeReturnedEquals></Condition><Redirect>'
    '<Protocol>https</Protocol><HostName>example.com</HostName>'
    '<ReplaceKeyWith>missing.html</ReplaceKeyWith>'
    '<HttpRedirectCode>302</HttpRedirectCode></Redirect></RoutingRule>'
    '<RoutingRule><Condition><KeyPrefixEquals>old/</KeyPrefixEquals>'
    '<HttpErrorCodeReturnedEquals>403</HttpErrorCodeReturnedEquals>'
    '</Condition><Redirect><ReplaceKeyPrefixWith></ReplaceKeyPrefixWith>'
    '</Redirect></RoutingRule>'
    '</RoutingRules>')
SITE = website.from_xml(doc(INDEX + ERROR + RULES))


def test_index_documents():
    assert SITE.index_key('') == 'index.html'
    assert SITE.index_key('a/b/') == 'a/b/index.html'
    assert SITE.index_key('a/b') == 'a/b'
    assert website.Configuration().index_key('') == ''


def test_rules_before_fetching():
    rule = SITE.rule_for('docs/intro.html')
    assert rule is SITE.rules[0]
    assert rule.status == 301
    assert rule.location('docs/intro.html', 'http', 'b.web:8080') == \
        'http://b.web:8080/documents/intro.html'
    assert SITE.rule_for('other.html') is None


def test_rules_after_errors():
    rule = SITE.rule_for('x/y.html', 404)
    assert rule is SITE.rules[1]
    assert rule.status == 302
    assert rule.location('x/y.html', 'http', 'b.web') == \
        'https://example.com/missing.html'
    assert SITE.rule_for('old/a b.html', 403).location(
        'old/a b.html', 'http', 'h') == 'http://h/a%20b.html'
    assert SITE.rule_for('new/a.html', 403) is None
    assert SITE.rule_for('docs/x', 500) is None


def test_redirect_all():
    conf = website.from_xml(doc(
        '<RedirectAllRequestsTo><HostName>www.example.com</HostName>'
        '<Protocol>https</Protocol></RedirectAllRequestsTo>'))
    assert conf.redirect_all('a/b.html', 'http') == \
        'https://www.example.com/a/b.html'
    plain = website.from_xml(doc(
        '<RedirectAllRequestsTo><HostName>h.example</HostName>'
        '</RedirectAllRequestsTo>'))
    assert plain.redirect_all('', 'http') == 'http://h.example/'
    assert SITE.redirect_all('x', 'http') is None


def test_round_trips():
    assert website.Configuration.from_json(SITE.to_json()) == SITE
    assert website.from_xml(SITE.to_xml()) == SITE
    root = etree.fromstring(SITE.to_xml())
    assert [c.tag.split('}')[1] for c in root] == [
        'IndexDocument', 'ErrorDocument', 'RoutingRules']
    minimal = website.from_xml(doc(INDEX))
    assert minimal.error_key is None
    assert website.Configuration.from_json(minimal.to_json()) == minimal


def test_from_json_refuses_garbage():
    for text in ('', '[]', '{"bogus": 1}', '{"rules": [{"x": 1}]}'):
        with pytest.raises(ValueError):
            website.Configuration.from_json(text)


RULE = ('<RoutingRules><RoutingRule>%s</RoutingRule></RoutingRules>')


@pytest.mark.parametrize('inner,error', [
    ('', errors.InvalidArgument),
    (ERROR, errors.InvalidArgument),
    ('<IndexDocument><Suffix></Suffix></IndexDocument>',
     errors.InvalidArgument),
    ('<IndexDocument><Suffix>a/index.html</Suffix></IndexDocument>',
     errors.InvalidArgument),
    (INDEX + '<ErrorDocument><Key></Key></ErrorDocument>',
     errors.InvalidArgument),
    (INDEX + INDEX, errors.MalformedXML),
    (INDEX + '<Bogus/>', errors.MalformedXML),
    ('<RedirectAllRequestsTo><HostName>h</HostName>'
     '</RedirectAllRequestsTo>' + INDEX, errors.InvalidRequest),
    ('<RedirectAllRequestsTo><Protocol>http</Protocol>'
     '</RedirectAllRequestsTo>', errors.InvalidArgument),
    ('<RedirectAllRequestsTo><HostName>h</HostName><Protocol>ftp</Protocol>'
     '</RedirectAllRequestsTo>', errors.InvalidRequest),
    (INDEX + '<RoutingRules/>', errors.InvalidRequest),
    (INDEX + RULE % '<Condition><KeyPrefixEquals>a</KeyPrefixEquals>'
     '</Condition>', errors.MalformedXML),
    (INDEX + RULE % '<Condition/><Redirect><HostName>h</HostName>'
     '</Redirect>', errors.InvalidRequest),
    (INDEX + RULE % '<Redirect/>', errors.InvalidRequest),
    (INDEX + RULE % '<Redirect><ReplaceKeyWith>a</ReplaceKeyWith>'
     '<ReplaceKeyPrefixWith>b</ReplaceKeyPrefixWith></Redirect>',
     errors.InvalidRequest),
    (INDEX + RULE % '<Redirect><HttpRedirectCode>200</HttpRedirectCode>'
     '</Redirect>', errors.InvalidArgument),
    (INDEX + RULE % '<Condition><HttpErrorCodeReturnedEquals>200'
     '</HttpErrorCodeReturnedEquals></Condition><Redirect><HostName>h'
     '</HostName></Redirect>', errors.InvalidArgument),
    (INDEX + '<RoutingRules>%s</RoutingRules>' % (
        '<RoutingRule><Redirect><HostName>h</HostName></Redirect>'
        '</RoutingRule>' * 51), errors.InvalidRequest),
    ('<!DOCTYPE x>' + INDEX, errors.MalformedXML),
])
def test_invalid_configurations(inner, error):
    body = inner.encode() if inner.startswith('<!') else doc(inner)
    with pytest.raises(error):
        website.from_xml(body)


def test_unconditional_rule_matches_everything():
    conf = website.from_xml(doc(INDEX + RULE % (
        '<Redirect><HostName>other.example</HostName></Redirect>')))
    assert conf.rule_for('anything').location('anything', 'http', 'h') == \
        'http://other.example/anything'
