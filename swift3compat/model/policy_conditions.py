"""IAM condition operators and keys of bucket policies.

Pure values and functions (no WSGI, no Swift), split from ``policy.py``
(issue #17): how a ``Condition`` value is parsed for its operator
(``parse_operator``, ``condition_value``), how a request's value is read
and compared (``FAMILY``, ``CONTEXT_PARSERS``, ``OPERATORS``,
``NEGATED``), the IAM wildcard (``wildcard``) and the condition keys a
bucket policy may use (``known_key``).  ``policy.py`` builds and
evaluates ``Condition`` objects with them.
"""
from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Optional, Pattern, Tuple

from swift3compat import errors


def malformed(message: str) -> errors.S3Error:
    return errors.MalformedPolicy(message)


def wildcard(pattern: str, ignore_case: bool = False) -> Pattern[str]:
    """A compiled IAM wildcard: ``*`` any run, ``?`` one character."""
    parts = ('.*' if c == '*' else '.' if c == '?' else re.escape(c)
             for c in pattern)
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile('(?:%s)\\Z' % ''.join(parts), flags)


def _in_network(value: Any, network: Any) -> bool:
    return value.version == network.version and value in network


def _number(text: Any) -> Optional[float]:
    if isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        return float(text)
    try:
        value = float(str(text).strip())
    except ValueError:
        return None
    return value if value == value and abs(value) != float('inf') else None


_ISO_DATE = re.compile(
    r'^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?'
    r'([Zz]|[+-]\d{2}:?\d{2})?$')


def _date(text: Any) -> Optional[float]:
    """An ISO 8601 date/time (UTC unless it says) or epoch seconds, as
    epoch seconds; None if it is neither."""
    if isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        return float(text)
    text = str(text).strip()
    if re.match(r'^-?\d+(\.\d+)?$', text):
        return float(text)
    match = _ISO_DATE.match(text)
    if not match:
        return None
    year, month, day, hour, minute, second, frac, zone = match.groups()
    try:
        when = datetime(int(year), int(month), int(day), int(hour or 0),
                        int(minute or 0), int(second or 0),
                        tzinfo=timezone.utc)
    except ValueError:
        return None
    offset = 0
    if zone and zone not in ('Z', 'z'):
        sign = -1 if zone[0] == '-' else 1
        digits = zone[1:].replace(':', '')
        offset = sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return when.timestamp() - offset + (float(frac) if frac else 0.0)


def _bool(text: Any) -> Optional[bool]:
    if isinstance(text, bool):
        return text
    lowered = str(text).strip().lower()
    return {'true': True, 'false': False}.get(lowered)


def _ip(text: Any) -> Optional[Any]:
    try:
        return ipaddress.ip_address(str(text).strip())
    except ValueError:
        return None


def _arn_match(value: str, pattern: str) -> bool:
    """ArnLike / ArnEquals: each of the six colon-separated parts matches
    (wildcards allowed in every part)."""
    got, want = value.split(':', 5), pattern.split(':', 5)
    return len(got) == len(want) == 6 and all(
        wildcard(w).match(g) for w, g in zip(want, got))


FOR_ANY, FOR_ALL = 'ForAnyValue', 'ForAllValues'

# operator -> family; the family says how values are parsed.
FAMILY: Dict[str, str] = {}
for _name in ('StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase',
              'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike'):
    FAMILY[_name] = 'String'
for _suffix in ('Equals', 'NotEquals', 'LessThan', 'LessThanEquals',
                'GreaterThan', 'GreaterThanEquals'):
    FAMILY['Numeric' + _suffix] = 'Numeric'
    FAMILY['Date' + _suffix] = 'Date'
FAMILY.update({'Bool': 'Bool', 'BinaryEquals': 'Binary',
                'IpAddress': 'Ip', 'NotIpAddress': 'Ip',
                'ArnEquals': 'Arn', 'ArnLike': 'Arn', 'ArnNotEquals': 'Arn',
                'ArnNotLike': 'Arn', 'Null': 'Null'})

_COMPARE: Dict[str, Callable[[Any, Any], bool]] = {
    'Equals': lambda a, b: a == b, 'NotEquals': lambda a, b: a == b,
    'LessThan': lambda a, b: a < b, 'LessThanEquals': lambda a, b: a <= b,
    'GreaterThan': lambda a, b: a > b,
    'GreaterThanEquals': lambda a, b: a >= b,
}
OPERATORS: Dict[str, Callable[[Any, Any], bool]] = {
    'StringEquals': lambda value, v: value == v,
    'StringNotEquals': lambda value, v: value == v,
    'StringEqualsIgnoreCase': lambda value, v: value.lower() == v.lower(),
    'StringNotEqualsIgnoreCase': lambda value, v: value.lower() == v.lower(),
    'StringLike': lambda value, v: bool(wildcard(v).match(value)),
    'StringNotLike': lambda value, v: bool(wildcard(v).match(value)),
    'IpAddress': _in_network,
    'NotIpAddress': _in_network,
    'Bool': lambda value, v: value == v,
    'BinaryEquals': lambda value, v: value == v,
    'ArnEquals': lambda value, v: _arn_match(value, v),
    'ArnLike': lambda value, v: _arn_match(value, v),
    'ArnNotEquals': lambda value, v: _arn_match(value, v),
    'ArnNotLike': lambda value, v: _arn_match(value, v),
}
for _suffix, _test in _COMPARE.items():
    OPERATORS['Numeric' + _suffix] = _test
    OPERATORS['Date' + _suffix] = _test
NEGATED = frozenset(['StringNotEquals', 'StringNotEqualsIgnoreCase',
                      'StringNotLike', 'NumericNotEquals', 'DateNotEquals',
                      'NotIpAddress', 'ArnNotEquals', 'ArnNotLike'])

# How a request's value (a string) is read for each family; None: it
# cannot be compared (the positive operators fail, the negated hold).
CONTEXT_PARSERS: Dict[str, Callable[[str], Any]] = {
    'String': lambda raw: raw,
    'Numeric': _number,
    'Date': _date,
    'Bool': _bool,
    'Binary': lambda raw: raw.encode('utf-8'),
    'Ip': _ip,
    'Arn': lambda raw: raw,
}

# The condition keys a bucket policy may use (lower case): AWS's global
# keys and S3's keys.  Keys ending in '/' take a tag key or a name after
# the slash.  Many never appear in a request here (no VPCs, no
# organizations, no MFA): they are absent, as on AWS for a request without
# them.
GLOBAL_KEYS = frozenset(k.lower() for k in (
    'aws:CalledVia', 'aws:CalledViaFirst', 'aws:CalledViaLast',
    'aws:CurrentTime', 'aws:EpochTime', 'aws:FederatedProvider',
    'aws:MultiFactorAuthAge', 'aws:MultiFactorAuthPresent',
    'aws:PrincipalAccount', 'aws:PrincipalArn', 'aws:PrincipalIsAWSService',
    'aws:PrincipalOrgID', 'aws:PrincipalOrgPaths',
    'aws:PrincipalServiceName', 'aws:PrincipalServiceNamesList',
    'aws:PrincipalType', 'aws:Referer', 'aws:RequestedRegion',
    'aws:ResourceAccount', 'aws:ResourceOrgID', 'aws:ResourceOrgPaths',
    'aws:SecureTransport', 'aws:SourceAccount', 'aws:SourceArn',
    'aws:SourceIdentity', 'aws:SourceIp', 'aws:SourceOrgID',
    'aws:SourceOrgPaths', 'aws:SourceVpc', 'aws:SourceVpce',
    'aws:TagKeys', 'aws:TokenIssueTime', 'aws:UserAgent', 'aws:userid',
    'aws:username', 'aws:ViaAWSService', 'aws:VpcSourceIp',
    'aws:Ec2InstanceSourceVpc', 'aws:Ec2InstanceSourcePrivateIPv4'))
S3_KEYS = frozenset(k.lower() for k in (
    's3:AccessGrantsInstanceArn', 's3:AccessPointNetworkOrigin',
    's3:authType', 's3:DataAccessPointAccount', 's3:DataAccessPointArn',
    's3:delimiter', 's3:if-match', 's3:if-none-match',
    's3:LocationConstraint', 's3:max-keys', 's3:object-lock-legal-hold',
    's3:object-lock-mode', 's3:object-lock-remaining-retention-days',
    's3:object-lock-retain-until-date', 's3:ObjectCreationOperation',
    's3:prefix', 's3:RequestObjectTagKeys', 's3:ResourceAccount',
    's3:signatureAge', 's3:signatureversion', 's3:TlsVersion',
    's3:VersionId', 's3:x-amz-acl', 's3:x-amz-content-sha256',
    's3:x-amz-copy-source', 's3:x-amz-grant-full-control',
    's3:x-amz-grant-read', 's3:x-amz-grant-read-acp',
    's3:x-amz-grant-write', 's3:x-amz-grant-write-acp',
    's3:x-amz-metadata-directive', 's3:x-amz-object-ownership',
    's3:x-amz-server-side-encryption',
    's3:x-amz-server-side-encryption-aws-kms-key-id',
    's3:x-amz-server-side-encryption-customer-algorithm',
    's3:x-amz-storage-class', 's3:x-amz-website-redirect-location'))
KEY_PREFIXES = ('aws:principaltag/', 'aws:requesttag/', 'aws:resourcetag/',
                's3:existingobjecttag/', 's3:requestobjecttag/',
                's3:bucketTag/'.lower())


def known_key(key: str) -> bool:
    """Is ``key`` (lower case) a condition key AWS defines for S3 bucket
    policies?"""
    if key in GLOBAL_KEYS or key in S3_KEYS:
        return True
    return any(key.startswith(p) and len(key) > len(p) for p in KEY_PREFIXES)


def condition_value(operator: str, value: Any) -> Any:
    family = FAMILY[operator]
    if isinstance(value, (dict, list)) or value is None:
        raise malformed('Invalid condition value')
    if family == 'Ip':
        try:
            return ipaddress.ip_network(str(value).strip(), strict=False)
        except ValueError:
            raise malformed('Invalid IP address in policy') from None
    if family in ('Bool', 'Null'):
        truth = _bool(value)
        if truth is None:
            raise malformed('Invalid value for %s condition' % operator)
        return truth
    if family == 'Numeric':
        number = _number(value)
        if number is None:
            raise malformed('Invalid value for %s condition: %s'
                             % (operator, value))
        return number
    if family == 'Date':
        parsed = _date(value)
        if parsed is None:
            raise malformed('Invalid date for %s condition: %s'
                             % (operator, value))
        return parsed
    if family == 'Binary':
        try:
            return base64.b64decode(str(value), validate=True)
        except (binascii.Error, ValueError):
            raise malformed('Invalid base64 value for BinaryEquals') \
                from None
    if family == 'Arn' and str(value) != '*' and \
            len(str(value).split(':', 5)) != 6:
        raise malformed('Invalid ARN in condition: %s' % value)
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def parse_operator(name: str) -> Tuple[str, str, bool]:
    """``ForAnyValue:StringLikeIfExists`` -> ('StringLike', 'ForAnyValue',
    True); MalformedPolicy for anything AWS does not define."""
    qualifier, sep, rest = name.partition(':')
    if not sep:
        qualifier, rest = '', name
    elif qualifier not in (FOR_ANY, FOR_ALL):
        raise malformed('Invalid Condition type : %s' % name)
    if_exists = rest.endswith('IfExists') and rest != 'IfExists'
    base = rest[:-len('IfExists')] if if_exists else rest
    if base not in FAMILY or (base == 'Null' and (if_exists or qualifier)):
        raise malformed('Invalid Condition type : %s' % name)
    return base, qualifier, if_exists
