"""Every ``[filter:swift3]`` option, declared once: name, type, default, doc.

Option names follow the retired swift3 project and Swift's s3api where they
mean the same thing, so an operator can keep an existing ``[filter:swift3]``
section.  ``etc/proxy-server.conf-sample`` lists the same options; a unit test
keeps the two in step.

Values are parsed strictly at proxy start: ``s3_acl = flase`` or
``max_bucket_listing = -1`` stop the proxy with a message naming the option,
instead of silently meaning something else.
"""
from __future__ import annotations

import configparser
import difflib
import os
from dataclasses import dataclass
from typing import (TYPE_CHECKING, Any, Callable, Collection, Dict, Iterable,
                    List, Mapping, Optional, Tuple)


class ConfigError(ValueError):
    """A bad option value; the message names the option and what is allowed."""


_TRUE = {'true', '1', 'yes', 'on', 't', 'y'}
_FALSE = {'false', '0', 'no', 'off', 'f', 'n', ''}


def boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError('expected true or false')


def string_list(value: str) -> Tuple[str, ...]:
    return tuple(v.strip() for v in value.split(',') if v.strip())


def integer(lo: Optional[int] = None, hi: Optional[int] = None
            ) -> Callable[[str], int]:
    def parse(value: str) -> int:
        number = int(value.strip())
        if (lo is not None and number < lo) or \
                (hi is not None and number > hi):
            raise ValueError('expected an integer in [%s, %s]' % (lo, hi))
        return number
    parse.__name__ = 'integer'
    return parse


def location_constraints(value: str) -> Tuple[Tuple[str, str], ...]:
    """``EU:gold, eu-west-1`` -> (('EU', 'gold'), ('eu-west-1', '')): each
    LocationConstraint with the Swift storage policy its buckets land on
    ('' for the cluster's default policy)."""
    out: List[Tuple[str, str]] = []
    for item in string_list(value):
        name, _, policy = item.partition(':')
        name, policy = name.strip(), policy.strip()
        if not name or any(c.isspace() for c in name + policy):
            raise ValueError('expected NAME or NAME:POLICY items, '
                             'comma-separated')
        if name.lower() in (n.lower() for n, _p in out):
            raise ValueError('%s is listed twice' % name)
        out.append((name, policy))
    return tuple(out)


def text(value: str) -> str:
    return value.strip()


def reserved_account(value: str) -> str:
    """A Swift account name starting with a dot: clients cannot reach it."""
    name = value.strip()
    if len(name) < 2 or not name.startswith('.') or '/' in name:
        raise ValueError('expected an account name starting with a dot')
    return name


@dataclass(frozen=True)
class Option:
    name: str
    parse: Callable[[str], Any]
    default: str
    doc: str


OPTIONS: List[Option] = [
    Option('location', text, 'us-east-1',
           'Region of this endpoint: the SigV4 scope region and the answer '
           'of GET ?location.'),
    Option('location_aliases', string_list, 'US',
           'Other region names accepted in SigV4 scopes and as '
           'LocationConstraint (s3cmd signs with "US" by default).'),
    Option('location_constraints', location_constraints, 'EU',
           'LocationConstraint values CreateBucket accepts besides location '
           'and location_aliases, comma-separated, each NAME or NAME:POLICY '
           '(a Swift storage policy): a bucket created with NAME lands on '
           'POLICY (without one, on the default policy) and GetBucketLocation '
           'answers NAME. The default accepts s3cmd\'s --bucket-location=EU; '
           'NAME:POLICY may also name location itself or an alias.'),
    Option('storage_domain', string_list, '',
           'Comma-separated domains for virtual-hosted-style requests '
           '(bucket.storage_domain); empty means path style only.'),
    Option('website_domain', string_list, '',
           'Comma-separated domains of the static website endpoint: '
           'requests for <bucket>.<website_domain> are served as the '
           'bucket\'s website (needs s3_acl = true); empty disables it.'),
    Option('dns_compliant_bucket_names', boolean, 'true',
           'Enforce AWS DNS-compliant bucket names (3-63 chars, lowercase, '
           'digits, dot, hyphen).'),
    Option('max_bucket_listing', integer(1, 9999), '1000',
           'Largest max-keys a listing returns (below Swift\'s 10,000 '
           'listing limit: one more entry tells whether a page is the '
           'last).'),
    Option('max_parts_listing', integer(1, 10000), '1000',
           'Largest max-parts a ListParts page returns.'),
    Option('max_multi_delete_objects', integer(1, 10000), '1000',
           'Largest number of keys in one DeleteObjects request.'),
    Option('multi_delete_concurrency', integer(1, 32), '2',
           'Backend DELETEs run in parallel for one DeleteObjects request.'),
    Option('max_upload_part_num', integer(1, 10000), '10000',
           'Highest part number of a multipart upload (SLO '
           'max_manifest_segments must be at least this).'),
    Option('min_segment_size', integer(0), '5242880',
           'Smallest size of a non-final multipart part (EntityTooSmall).'),
    Option('allow_multipart_uploads', boolean, 'true',
           'Serve multipart uploads (needs slo in the pipeline).'),
    Option('allowable_clock_skew', integer(1, 7 * 24 * 3600), '900',
           'Seconds a request date may differ from the server clock '
           '(RequestTimeTooSkewed).'),
    Option('max_meta_size', integer(1, 65536), '2048',
           'Largest total size of x-amz-meta-* names and values '
           '(MetadataTooLarge); AWS allows 2 KB.'),
    Option('max_stored_metadata_size', integer(1024, 1024 * 1024), '3584',
           'Largest metadata an object may store, in bytes as the object '
           'server pickles it into one xattr: the object name, user metadata, '
           'tags, ACL, content headers (MetadataTooLarge past it). 3584 is '
           'safe on ext4, whose xattrs hold about 4 KB; on XFS raise it up to '
           '65536 to take AWS\'s maxima (2 KB metadata, 10 tags, 1024-byte '
           'keys) together. Past the disk\'s limit the object server answers '
           '507 and the proxy stops using the device.'),
    Option('upload_read_size', integer(65536, 16 * 1024 * 1024), '262144',
           'Bytes of an upload body (PutObject, UploadPart) handed to Swift\'s '
           'proxy at a time when it asks for less (its client_chunk_size, '
           '64 KiB). The proxy pays per piece and per replica (hand-off, '
           'switch, send, a copy when the checksum goes as a footer): at '
           '256 KiB a streamed PUT costs the proxy about a quarter less CPU '
           'than at 64 KiB. A stalled upload holds up to put_queue_depth '
           'pieces (2.5 MiB at 256 KiB).'),
    Option('listing_dlo_sizes', boolean, 'true',
           'Report the real size and ETag of Dynamic Large Objects in '
           'listings: Swift lists a DLO manifest as an empty object, so every '
           'empty object listed costs one HEAD (run in parallel).'),
    Option('max_xml_body_size', integer(1024, 64 * 1024 * 1024), '4194304',
           'Largest XML request body parsed (a 10,000 part '
           'CompleteMultipartUpload is about 1.5 MB).'),
    Option('s3_acl', boolean, 'false',
           'Store and enforce S3 ACLs (bucket and object, canned and '
           'explicit grants, across accounts) in Swift sysmeta; serve '
           'anonymous requests where an ACL allows them; keep bucket names '
           'unique across accounts. Off: the bucket owner has full control '
           'and nothing else can be granted.'),
    Option('allow_no_owner', boolean, 'false',
           'With s3_acl, let every authenticated user read buckets and '
           'objects that have no S3 ACL (created through the Swift API or '
           'before s3_acl was on); not those S3 created with their owner\'s '
           'private ACL while this was off, which keep it as a mark.'),
    Option('bucket_index_account', reserved_account, '.swift3compat',
           'With s3_acl, the reserved Swift account (name starting with a '
           'dot) that records which account holds each bucket name; the '
           'proxy creates it on first use with account_autocreate = true.'),
    Option('check_bucket_owner', boolean, 'false',
           'With s3_acl, ListBuckets shows only buckets the caller owns.'),
    Option('auth_cache_duration', integer(0, 3600), '300',
           'Seconds a proxy worker remembers which tempauth user an access '
           'key is, with its key, so that a request whose signature that key '
           'verifies skips the authentication subrequest (s3_acl); 0 '
           'disables it. tempauth reads its users at start-up, so this '
           'delays no revocation (changing them restarts the workers); '
           'other auth filters (s3token) are never remembered here.'),
    Option('auth_cache_size', integer(1, 1000000), '10000',
           'Most access keys remembered per proxy worker '
           '(auth_cache_duration); the least recently used go first.'),
    Option('lifecycle_registry_account', reserved_account, '.swift3compat',
           'The reserved Swift account (name starting with a dot) whose '
           'container "lifecycle" lists the buckets that have lifecycle '
           'rules, for the swift3compat-lifecycle sweeper; created on first '
           'use (needs account_autocreate = true).'),
    Option('lifecycle_day_seconds', integer(1, 86400), '86400',
           'Length of a lifecycle "day" in seconds (debug option: shorten '
           'it only to test lifecycle rules; the sweeper reads it from here '
           'too).'),
    Option('access_log_delivery', boolean, 'true',
           'Deliver S3 server access logs (PutBucketLogging) as log objects '
           'into the target buckets (doc/access-logging.md); false: no '
           'record is made.'),
    Option('access_log_flush_interval', integer(1, 86400), '300',
           'Seconds between the writes of buffered access log records: each '
           'proxy worker writes its own log objects; a crash loses at most '
           'this much.'),
    Option('access_log_flush_bytes', integer(1024, 64 * 1024 * 1024),
           '1048576',
           'A target whose buffered records reach this many bytes is '
           'written at once (the largest log object).'),
    Option('access_log_buffer_bytes', integer(1024, 1024 * 1024 * 1024),
           '16777216',
           'Most bytes of access log records one proxy worker holds; '
           'records beyond are dropped (statsd access_log.dropped) rather '
           'than slowing requests.'),
    Option('object_lock', boolean, 'false',
           'Serve S3 Object Lock: buckets created with Object Lock and '
           'PutObjectLockConfiguration (needs object versioning and the '
           'objectlock filter after the auth filter, which the pipeline '
           'check requires). Locks stored before stay enforced when off.'),
    Option('object_lock_day_seconds', integer(1, 86400), '86400',
           'Length of an Object Lock "day" of default retentions in seconds '
           '(a year is 365 of them; debug option: shorten it only to test '
           'Object Lock; the objectlock filter reads it from here too).'),
    Option('server_side_encryption', boolean, 'false',
           'Serve S3 server-side encryption (SSE-C, SSE-S3, SSE-KMS, bucket '
           'default encryption); needs [filter:sse] directly before Swift\'s '
           'encryption filter in the pipeline (doc/encryption.md). Off: '
           'requests asking for it get 501.'),
    Option('sse_customer_allow_http', boolean, 'false',
           'Accept SSE-C keys on requests that did not arrive over HTTPS '
           '(wsgi.url_scheme https or X-Forwarded-Proto: https); AWS refuses '
           'them. For tests only.'),
    Option('auth_pipeline_check', boolean, 'true',
           'Refuse to start when the proxy pipeline is in an order that '
           'cannot work.'),
    Option('force_swift_request_proxy_log', boolean, 'false',
           'Log every Swift subrequest in the access log too.'),
    Option('log_name', text, 'swift3',
           'Logger name (the proxy-server log route).'),
]

OPTIONS_BY_NAME: Dict[str, Option] = {o.name: o for o in OPTIONS}

# s3api options swift3compat accepts and ignores (doc/migration.md), so that
# a [filter:s3api] section only needs a new ``use =`` line.
IGNORED_OPTIONS: Dict[str, str] = {
    'cors_preflight_allow_origin': 's3api option; swift3compat serves CORS '
                                   'preflights from the bucket CORS rules',
    'ratelimit_as_client_error': 's3api option; not supported',
}

# -- option names ---------------------------------------------------------
#
# A misspelled option name (``s3acl = true``) must stop the proxy instead of
# being silently ignored.  Each section declares its options (``OPTIONS``
# here, ``s3token.options.OPTS``, ``sweeper.config.OPTIONS``); ``check_names`` refuses any
# other name except those Swift and paste.deploy read in every section.

# Names paste.deploy and Swift read in any filter section.  paste.deploy
# pops ``use`` and the ``paste.*`` protocols before a factory sees its
# local_conf and moves ``set NAME`` lines to global_conf; Swift's loader adds
# ``__name__`` (the section name).  ``log_*`` (and the labelled-statsd
# ``statsd_*``) options are read by Swift's ``get_logger`` from any section.
FILTER_NAMES = frozenset({
    'use', '__name__', '__file__', 'here', 'paste.filter_factory',
    'paste.filter_app_factory', 'filter-with', 'require', 'next'})
SWIFT_PREFIXES: Tuple[str, ...] = ('log_', 'statsd_', 'set ', 'get ')
# What Swift's Daemon and run_daemon read in a daemon's own section.
DAEMON_NAMES = frozenset({
    '__file__', 'here', 'user', 'swift_dir', 'daemonize', 'eventlet_debug',
    'disable_fallocate', 'fallocate_reserve'})


class UnknownOptionError(ConfigError):
    """An option name no one reads: most likely a typo."""


def unknown_option(name: str, section: str,
                   known: Iterable[str]) -> UnknownOptionError:
    """``unknown option 's3acl' in [filter:swift3]; did you mean
    's3_acl'?`` (the suggestion only when a declared name is close)."""
    message = 'unknown option %r in [%s]' % (name, section)
    close = difflib.get_close_matches(name, sorted(set(known)), n=1)
    if close:
        message += '; did you mean %r?' % close[0]
    return UnknownOptionError(message)


def check_names(names: Iterable[str], known: Collection[str], section: str,
                allowed: Collection[str] = FILTER_NAMES,
                prefixes: Tuple[str, ...] = SWIFT_PREFIXES,
                ignored: Optional[Mapping[str, str]] = None,
                retired: Optional[Mapping[str, str]] = None) -> List[str]:
    """Refuse any of ``names`` (a section's own option names) that is not
    ``known``, ``allowed`` or starts with one of ``prefixes``.

    Raises :class:`UnknownOptionError` for the first unknown name (in the
    order given), and for a ``retired`` name (an option of the middleware
    swift3compat replaces that no longer means anything: its value says
    what to write instead); returns one warning per ``ignored`` name.
    """
    ignored = ignored or {}
    retired = retired or {}
    warnings = []
    for name in names:
        if name in known or name in allowed or name.startswith(prefixes):
            continue
        if name in retired:
            raise UnknownOptionError('option %r in [%s] is gone: %s'
                                     % (name, section, retired[name]))
        if name in ignored:
            warnings.append('option %r in [%s] is ignored (%s)'
                            % (name, section, ignored[name]))
            continue
        raise unknown_option(name, section, known)
    return warnings


def filter_section(local_conf: Mapping[str, str], default: str) -> str:
    """``filter:NAME`` of the section a paste ``local_conf`` came from
    (Swift's loader passes the name as ``__name__``)."""
    return 'filter:%s' % (local_conf.get('__name__') or default)


def section_names(conf_path: str, section: str) -> List[str]:
    """The option names written in ``[section]`` of a Swift config file or
    ``.conf.d`` directory, without those it inherits from ``[DEFAULT]``.

    (Swift's ``readconf`` merges ``[DEFAULT]`` into every section, and
    ``[DEFAULT]`` holds options meant for other sections too.)
    """
    parser = configparser.RawConfigParser(
        default_section='\0no default section', strict=False)
    parser.optionxform = str    # type: ignore[assignment,method-assign]
    if os.path.isdir(conf_path):
        from swift.common.utils.config import read_conf_dir
        read_conf_dir(parser, conf_path)
    else:
        parser.read(conf_path)
    if not parser.has_section(section):
        return []
    return parser.options(section)

class Config:
    """Parsed option values as attributes, e.g. ``conf.max_bucket_listing``."""

    def __init__(self, values: Dict[str, Any], raw: Mapping[str, str]):
        self.__dict__.update(values)
        self.raw = dict(raw)

    def __repr__(self) -> str:
        return 'Config(%r)' % {o.name: getattr(self, o.name) for o in OPTIONS}

    if TYPE_CHECKING:       # the options are attributes set from OPTIONS
        def __getattr__(self, name: str) -> Any: ...


def check_filter_names(local_conf: Mapping[str, str]) -> List[str]:
    """Refuse unknown names in a ``[filter:swift3]`` paste ``local_conf``
    (only the section's own options: ``[DEFAULT]`` values arrive in
    ``global_conf``); returns warnings for the ignored s3api options."""
    return check_names(local_conf, OPTIONS_BY_NAME,
                       filter_section(local_conf, 'swift3'),
                       ignored=IGNORED_OPTIONS)


def load(conf: Mapping[str, str]) -> Config:
    """Parse a Paste ``local_conf`` merged over ``global_conf``.

    Names are not checked here (a merged conf carries ``[DEFAULT]`` values
    meant for other sections; see :func:`check_filter_names`); unknown
    names are kept in ``Config.raw`` but never silently reinterpreted.
    """
    return Config(parse_values(OPTIONS, conf,
                               filter_section(conf, 'swift3')), conf)


def parse_values(options: Iterable[Option], conf: Mapping[str, str],
                 section: str) -> Dict[str, Any]:
    """Each option's value in ``conf`` (its default when absent), parsed:
    ConfigError naming ``[section]``, the option and its doc for a value
    its parser refuses (the proxy's and the sweeper's sections)."""
    values: Dict[str, Any] = {}
    for option in options:
        raw = conf.get(option.name, option.default)
        try:
            values[option.name] = option.parse(str(raw))
        except ValueError as exc:
            raise ConfigError('[%s] %s = %r is invalid: %s (%s)'
                              % (section, option.name, raw, exc,
                                 option.doc)) from None
    return values


def defaults() -> Config:
    return load({})
