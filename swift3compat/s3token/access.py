"""What the s3token service user may do in Keystone, checked when the proxy
starts.

``s3token`` needs its service user to (1) validate signatures, ``POST
/v3/s3tokens`` (policy ``identity:s3tokens_validate``), and (2) read users' EC2
secrets for the secret cache, ``GET /v3/users/{id}/credentials/OS-EC2/{access}``
(``identity:ec2_get_credential``).  With Keystone's default policy
(measured against Keystone 30.0.0 by
``tests/keystone/test_service_user_access.py``):

====================================  ===========  ===============
service user's token                  s3tokens     other users'
                                                   EC2 secrets
====================================  ===========  ===============
project-scoped, ``admin``             yes          yes
project-scoped, ``service``           yes          no
project-scoped, ``reader``/``member``  no           no
project-scoped, any role, plus the    as its       no (a project
``reader`` role on the system         project     token cannot use
                                      roles        a system role)
system-scoped, ``service``            yes          no
system-scoped, ``reader``/``member``  no           yes
system-scoped, ``service`` + reader   yes          yes
system-scoped, ``admin``              yes          yes
====================================  ===========  ===============

So Swift's usual service user (``admin`` in project ``service``) works as
configured, and so does ``system_scope = all`` with the ``service`` and
``reader`` roles on the system.  Anything else silently loses the secret cache
(every request a Keystone round trip, no cached key while Keystone is down, no
aws-chunked chunk-signature checks) or every S3 request.

:func:`check` asks Keystone without touching a real credential: an
``s3tokens`` call with a made-up access key answers 404 when allowed and 403
when not, and listing the EC2 credentials of a made-up user id
(``identity:ec2_list_credentials``, the same rule as reading one for anyone
but the owner) 404 or 403 likewise.  When the token's scope lacks a
permission it also tries the other scope (rescoping the token to the system),
so the warning says exactly what to change.  Each problem is one log line
with its fix; nothing secret is logged.
"""
from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import eventlet
from keystoneauth1 import exceptions as ksa_exc
from keystoneauth1 import session as ksa_session
from keystoneauth1.identity import v3

#: Upper bound of one Keystone call of the start-up check (seconds); the
#: check stops at the first call that does not answer.
CHECK_TIMEOUT = 5.0
#: Upper bound of the whole start-up check (seconds; name resolution
#: included, as the proxy runs it with eventlet's green sockets and DNS).
START_DEADLINE = 15.0
#: Seconds between two checks while Keystone could not be asked.
RECHECK_INTERVAL = 60.0

OK, PROBLEM, UNKNOWN = 'ok', 'problem', 'unknown'

LOSS = ('nothing is cached: every S3 request asks Keystone, cached keys are '
        'not served while Keystone is down and aws-chunked chunk signatures '
        'are not checked')


@dataclass
class Verdict:
    """The outcome of one check: ``state`` and the lines logged for it."""

    state: str
    problems: list[str] = field(default_factory=list)
    note: str = ''
    read_fix: str = ''       # the fix for "cannot read EC2 secrets", if any
    checked_at: float = field(default_factory=time.monotonic)


@dataclass
class _Probe:
    validate: bool | None    # may call s3tokens (None: no clear answer)
    read: bool | None        # may read other users' EC2 secrets


@dataclass
class Who:
    """The service user and its token's scope, for messages."""

    user: str
    user_domain: str
    scope: str               # 'project', 'system', 'domain' or 'unscoped'
    project: str = ''
    project_domain: str = ''
    domain: str = ''
    roles: tuple[str, ...] = ()

    @classmethod
    def of(cls, access: Any) -> Who:
        if getattr(access, 'system_scoped', False):
            scope = 'system'
        elif access.project_scoped:
            scope = 'project'
        elif access.domain_scoped:
            scope = 'domain'
        else:
            scope = 'unscoped'
        return cls(user=access.username or access.user_id or '?',
                   user_domain=access.user_domain_name or 'Default',
                   scope=scope, project=access.project_name or '',
                   project_domain=access.project_domain_name or 'Default',
                   domain=access.domain_name or '',
                   roles=tuple(sorted(access.role_names or ())))

    def describe(self) -> str:
        where = {'project': f'scoped to project {self.project}',
                 'system': 'scoped to the system',
                 'domain': f'scoped to domain {self.domain}',
                 'unscoped': 'unscoped'}[self.scope]
        roles = ', '.join(self.roles) or 'none'
        return f'{self.user} (token {where}, roles: {roles})'

    def role_add(self, role: str, system: bool) -> str:
        user = f'--user {self.user}'
        if self.user_domain != 'Default':
            user += f' --user-domain {self.user_domain}'
        if system:
            target = '--system all'
        else:
            target = f'--project {self.project}'
            if self.project_domain != 'Default':
                target += f' --project-domain {self.project_domain}'
        return f'openstack role add {target} {user} {role}'


def read_fix(who: Who, system: _Probe | None = None) -> str:
    """How to let ``who`` read EC2 secrets; ``system`` is what a
    system-scoped token of the same user may do (None: not known)."""
    if who.scope == 'system':
        return (f'give it the reader role on the system '
                f'({who.role_add("reader", True)})')
    if system is not None and system.read:
        also = '' if system.validate else (
            f', and give it the service role on the system '
            f'({who.role_add("service", True)})')
        return ('it has the reader role on the system, which a '
                f'{who.scope}-scoped token cannot use: set system_scope = all '
                'in [filter:s3token] instead of project_name/project_id and '
                f'project_domain_name/project_domain_id{also}')
    if who.scope == 'project':
        return (f'give it the admin role on project {who.project} '
                f'({who.role_add("admin", False)}), or the reader and service '
                'roles on the system with system_scope = all in '
                '[filter:s3token] instead of project_name')
    return ('give it the reader and service roles on the system '
            f'({who.role_add("reader", True)}, and the same with service) '
            'and set system_scope = all in [filter:s3token]')


def _validate_fix(who: Who, system: _Probe | None) -> str:
    if who.scope == 'system':
        return f'give it the service role on the system ({who.role_add("service", True)})'
    if system is not None and system.validate and system.read:
        return ('it has the needed roles on the system: set system_scope = all '
                'in [filter:s3token] instead of project_name/project_id')
    if who.scope == 'project':
        return (f'give it the service role on project {who.project} '
                f'({who.role_add("service", False)})')
    return (f'give it the service role on the system '
            f'({who.role_add("service", True)}) and set system_scope = all')


def _probe(session: ksa_session.Session, auth_uri: str) -> _Probe:
    """Ask Keystone what the session's token may do (see the module doc)."""
    nobody = uuid.uuid4().hex
    validate = session.request(
        auth_uri + '/s3tokens', 'POST', raise_exc=False, log=False,
        json={'credentials': {'access': nobody, 'token': 'eA==',
                              'signature': 'probe'}}).status_code
    read = session.request(
        f'{auth_uri}/users/{nobody}/credentials/OS-EC2', 'GET',
        raise_exc=False, log=False).status_code
    return _Probe(validate={404: True, 403: False}.get(validate),
                  read={404: True, 200: True, 403: False}.get(read))


def _system_probe(session: ksa_session.Session, access: Any,
                  auth_uri: str) -> _Probe | None:
    """What a system-scoped token of the same user may do; None if the user
    has no role on the system (or the token cannot be rescoped)."""
    system = ksa_session.Session(
        auth=v3.Token(auth_url=auth_uri, token=access.auth_token,
                      system_scope='all'),
        verify=session.verify, cert=session.cert, timeout=session.timeout)
    try:
        plugin: Any = system.auth   # a v3 identity plugin, set just above
        system_access = plugin.get_access(system)
        if not getattr(system_access, 'system_scoped', False):
            return None
        return _probe(system, auth_uri)
    except ksa_exc.HttpError:
        return None
    finally:
        system.session.close()


def check(session: ksa_session.Session, auth_uri: str,
          needs_secrets: bool) -> Verdict:
    """Check the service user of ``session`` (a throw-away session: it is
    closed here).  Never raises."""
    try:
        return _check(session, auth_uri.rstrip('/'), needs_secrets)
    except ksa_exc.HttpError as err:
        if err.http_status == 401:
            return Verdict(PROBLEM, [
                'the service user cannot get a token (HTTP 401), so every S3 '
                'request of a Keystone user gets 503; fix: check username, '
                'password and user_domain_name in [filter:s3token] and that '
                'the user has a role on the scope it asks for (project_name: '
                'a role in that project; system_scope = all: a role on the '
                'system)'])
        return Verdict(UNKNOWN, note=f'Keystone answered HTTP {err.http_status}')
    except ksa_exc.ClientException as err:
        return Verdict(UNKNOWN, note=f'Keystone unreachable: {type(err).__name__}')
    except Exception as err:  # the proxy must start whatever the check meets
        return Verdict(UNKNOWN, note=f'{type(err).__name__}')
    finally:
        session.session.close()


def _check(session: ksa_session.Session, auth_uri: str,
           needs_secrets: bool) -> Verdict:
    plugin: Any = session.auth   # the service user's identity plugin
    access = plugin.get_access(session)
    who = Who.of(access)
    probe = _probe(session, auth_uri)
    if probe.validate is None or (needs_secrets and probe.read is None):
        return Verdict(UNKNOWN, note='Keystone gave no clear answer')
    missing_read = needs_secrets and not probe.read
    system = None
    if (missing_read or not probe.validate) and who.scope != 'system':
        system = _system_probe(session, access, auth_uri)
    problems = []
    if not probe.validate:
        problems.append(
            f'the service user {who.describe()} may not validate S3 '
            'signatures (Keystone answers 403 to s3tokens), so every S3 '
            'request of a Keystone user gets 503; fix: '
            + _validate_fix(who, system))
    fix = ''
    if missing_read:
        fix = read_fix(who, system)
        problems.append(
            f'the service user {who.describe()} may not read EC2 secrets '
            f'(Keystone answers 403), so {LOSS}; fix: {fix}')
    if problems:
        return Verdict(PROBLEM, problems, read_fix=fix)
    what = 'validate S3 signatures and read EC2 secrets' if needs_secrets \
        else 'validate S3 signatures'
    return Verdict(OK, note=f'the service user {who.describe()} may {what}')


# -- once per proxy -----------------------------------------------------------------

_VERDICTS: dict[str, Verdict] = {}
_RUNNING: set[str] = set()
_LOCK = threading.Lock()


def fingerprint(conf: Mapping[str, str]) -> str:
    """Identifies one [filter:s3token] configuration (hashed: it holds the
    service password)."""
    text = '\n'.join(f'{k}={v}' for k, v in sorted(conf.items())
                     if k not in ('__file__', 'here', '__name__'))
    return hashlib.sha256(text.encode()).hexdigest()


def verdict(key: str) -> Verdict | None:
    return _VERDICTS.get(key)


def run(key: str, new_session: Callable[[], ksa_session.Session],
        auth_uri: str, needs_secrets: bool, logger: Any) -> Verdict:
    """Check and log the outcome; remembered under ``key`` so that the
    proxy's second loading of the pipeline (and its forked workers) do not
    check again."""
    return _record(key, check(new_session(), auth_uri, needs_secrets),
                   logger)


def _record(key: str, result: Verdict, logger: Any) -> Verdict:
    _VERDICTS[key] = result
    if result.state == OK:
        logger.info('s3token: %s', result.note)
    elif result.state == PROBLEM:
        for line in result.problems:
            logger.warning('s3token: %s', line)
    else:
        logger.warning('s3token: cannot check the service user\'s access '
                       '(%s); the proxy starts anyway and checks again when '
                       'Keystone answers', result.note)
    return result


def at_start(key: str, new_session: Callable[[], ksa_session.Session],
             auth_uri: str, needs_secrets: bool, logger: Any) -> None:
    """The start-up check: blocking, for at most START_DEADLINE seconds;
    skipped when this configuration was already checked in this process."""
    if key in _VERDICTS:
        return
    result = None
    with eventlet.Timeout(START_DEADLINE, False):
        result = check(new_session(), auth_uri, needs_secrets)
    if result is None:
        result = Verdict(UNKNOWN, note=f'no answer within {START_DEADLINE:g} s')
    _record(key, result, logger)


def recheck_if_due(key: str, new_session: Callable[[], ksa_session.Session],
                   auth_uri: str, needs_secrets: bool, logger: Any) -> None:
    """After Keystone answered a request: if the start-up check could not
    be made, make it now in the background (at most every
    RECHECK_INTERVAL seconds)."""
    result = _VERDICTS.get(key)
    if result is None or result.state != UNKNOWN or \
            time.monotonic() - result.checked_at < RECHECK_INTERVAL:
        return
    with _LOCK:
        if key in _RUNNING:
            return
        _RUNNING.add(key)
        result.checked_at = time.monotonic()

    def work() -> None:
        try:
            run(key, new_session, auth_uri, needs_secrets, logger)
        finally:
            _RUNNING.discard(key)
    threading.Thread(target=work, name='s3token-access-check',
                     daemon=True).start()
