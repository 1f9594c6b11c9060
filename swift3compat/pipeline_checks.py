"""The pipeline order rules (split from ``pipeline.py``, issue #17): the
checker that finds every ``Problem`` of a ``Pipeline`` and computes the
corrected filter order that ``swift3compat.pipeline.suggest`` offers.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from swift.common.utils import config_true_value

from swift3compat.pipeline_roles import (_BEFORE_ENCRYPTION,
                                         _DISABLE_HINT, _ROLE_BY_MODULE,
                                         Filter, Pipeline, Problem, Role,
                                         Severity)


# name in the pipeline and paste entry point of a filter the check adds
_ADDED: Mapping[Role, tuple[str, str]] = {
    Role.SWIFT3: ('swift3', 'swift3'),
    Role.S3TOKEN: ('s3token', 's3token'),
    Role.KEYSTONEAUTH: ('keystoneauth', 'keystoneauth'),
    Role.TEMPAUTH: ('tempauth', 'tempauth'),
    Role.CACHE: ('cache', 'memcache'),
    Role.SLO: ('slo', 'slo'),
    Role.COPY: ('copy', 'copy'),
    Role.DLO: ('dlo', 'dlo'),
    Role.VERSIONED_WRITES: ('versioned_writes', 'versioned_writes'),
    Role.OBJECTLOCK: ('objectlock', 'objectlock'),
    Role.SSE: ('sse', 'sse'),
    Role.ENCRYPTION: ('encryption', 'encryption'),
}
_KEYSTONE_RANK = {Role.S3TOKEN: 0, Role.AUTHTOKEN: 1, Role.KEYSTONEAUTH: 2}
_FEATURES = (Role.COPY, Role.SLO, Role.DLO, Role.VERSIONED_WRITES)


def _added(role: Role) -> Filter:
    name, entry_point = _ADDED[role]
    module = next(m for m, r in _ROLE_BY_MODULE.items() if r is role)
    return Filter(name=name, factory=f'{module}:filter_factory',
                  entry_point_name=entry_point)


class _Checker:
    """The rules, one method per concern, over one pipeline."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.filters = list(pipeline.filters)
        self.section = pipeline.section

    # -- helpers ---------------------------------------------------------

    def first(self, role: Role) -> int | None:
        for i, f in enumerate(self.filters):
            if f.role is role:
                return i
        return None

    def label(self, index: int) -> str:
        f = self.filters[index]
        if f.role is Role.OTHER or f.name == f.role.value:
            return f.name
        return f'{f.name} ({f.role.value})'

    def error(self, message: str) -> Problem:
        return Problem(Severity.ERROR, message)

    def warning(self, message: str) -> Problem:
        return Problem(Severity.WARNING, message)

    def multipart(self) -> bool:
        """Whether swift3 serves multipart uploads (the default, also for a
        swift3 the check adds)."""
        s3 = self.first(Role.SWIFT3)
        return s3 is None or config_true_value(
            self.filters[s3].conf.get('allow_multipart_uploads', 'true'))

    # -- rules -----------------------------------------------------------

    def identity(self) -> list[Problem]:
        s3 = [i for i, f in enumerate(self.filters) if f.role is Role.SWIFT3]
        problems = []
        if not s3:
            problems.append(self.error(
                f'swift3 (egg:swift3compat#swift3) is not in {self.section}; '
                'add it before the auth filters'))
        elif len(s3) > 1:
            problems.append(self.error(
                f'swift3 appears {len(s3)} times in {self.section}; keep '
                'only the first'))
        for f in self.filters:
            if f.role is Role.OTHER_S3:
                problems.append(self.error(
                    f'{f.name} ({f.factory.partition(":")[0]}) is another S3 '
                    f'layer; swift3compat replaces it, remove it from '
                    f'{self.section}'))
        return problems

    def gatekeeper(self) -> list[Problem]:
        gk, s3 = self.first(Role.GATEKEEPER), self.first(Role.SWIFT3)
        if gk is None or gk < s3:
            return []
        return [self.error(
            f'{self.label(gk)} must come before swift3 in {self.section}: '
            'after swift3 it strips the system metadata swift3 writes '
            '(multipart uploads, ACLs); move it before swift3')]

    def auth(self) -> list[Problem]:
        s3 = self.first(Role.SWIFT3)
        token, keystone = self.first(Role.S3TOKEN), self.first(Role.KEYSTONEAUTH)
        problems = []
        if token is not None:
            problems += self._s3token_order(s3, token, keystone)
        problems += self._authtoken(s3, token) + self._auth_after_swift3(s3)
        if token is None and self.first(Role.TEMPAUTH) is None:
            problems += self._no_s3_auth(keystone)
        return problems

    def _s3token_order(self, s3: int, token: int,
                       keystone: int | None) -> list[Problem]:
        problems = []
        if token < s3 or (keystone is not None and s3 < keystone < token):
            before = self.label(keystone) if keystone is not None \
                else 'keystoneauth'
            problems.append(self.error(
                f'{self.label(token)} must come after swift3 and before '
                f'{before} in {self.section}; move it there'))
        if keystone is None:
            problems.append(self.error(
                f'{self.label(token)} needs keystoneauth after it in '
                f'{self.section} to authorize the Keystone identity it '
                'establishes; add [filter:keystoneauth] use = '
                'egg:swift#keystoneauth after it'))
        return problems

    def _authtoken(self, s3: int, token: int | None) -> list[Problem]:
        """authtoken ahead of the S3 auth filter must let S3 requests by.

        S3 requests carry no X-Auth-Token: an authtoken that sees them first
        rejects them unless ``delay_auth_decision = true`` (Swift's own
        layout puts authtoken before s3api that way).
        """
        authtoken = self.first(Role.AUTHTOKEN)
        s3_auth = token if token is not None else s3
        if authtoken is None or authtoken > s3_auth or \
                _delays(self.filters[authtoken]):
            return []
        name = self.filters[authtoken].name
        return [self.error(
            f'{self.label(authtoken)} comes before '
            f'{self.label(s3_auth)} in {self.section} and rejects S3 '
            'requests, which carry no X-Auth-Token; move it after '
            f'{self.label(s3_auth)} (or set delay_auth_decision = true in '
            f'[filter:{name}])')]

    def _auth_after_swift3(self, s3: int) -> list[Problem]:
        """keystoneauth and tempauth must follow swift3."""
        problems = []
        for role in (Role.KEYSTONEAUTH, Role.TEMPAUTH):
            at = self.first(role)
            if at is None or at > s3:
                continue
            problems.append(self.error(
                f'{self.label(at)} must come after swift3 in {self.section}: '
                'swift3 turns the S3 signature into the auth details it '
                'checks; move it after swift3'))
        return problems

    def _no_s3_auth(self, keystone: int | None) -> list[Problem]:
        if keystone is not None:
            return [self.error(
                f'{self.label(keystone)} cannot check S3 signatures: add '
                '[filter:s3token] use = egg:swift3compat#s3token between '
                f'swift3 and it in {self.section}')]
        return [self.error(
            f'no auth filter follows swift3 in {self.section}: S3 requests '
            'would not be authenticated; add tempauth, or s3token, authtoken '
            f'and keystoneauth, after swift3 {_DISABLE_HINT}')]

    def features(self) -> list[Problem]:
        s3 = self.first(Role.SWIFT3)
        problems = []
        for role, needed_for, severity in (
                (Role.SLO, 'multipart uploads', Severity.ERROR),
                (Role.COPY, 'CopyObject and UploadPartCopy', Severity.ERROR),
                (Role.VERSIONED_WRITES, 'bucket versioning', Severity.ERROR),
                (Role.DLO, 'GETs of DLO manifests written with the Swift API',
                 Severity.WARNING)):
            at = self.first(role)
            if at is not None and at < s3 and self.filters[at].inserted \
                    and self._auth_before(s3):
                continue  # it follows that auth filter: moving it fixes both
            if at is None:
                missing = Severity.ERROR if role is Role.SLO and \
                    self.multipart() else Severity.WARNING
                hint = ' (or set allow_multipart_uploads = false in ' \
                    '[filter:swift3])' if role is Role.SLO else ''
                problems.append(Problem(
                    missing,
                    f'{role.value} is not in {self.section}: {needed_for} '
                    f'will not work; add [filter:{role.value}] use = '
                    f'egg:swift#{role.value} after the auth filters{hint}'))
            elif at < s3:
                problems.append(Problem(
                    severity,
                    f'{self.label(at)} must come after swift3 in '
                    f'{self.section}, or swift3\'s subrequests bypass it and '
                    f'{needed_for} break; move it after the auth filters'))
        return problems + self._object_versioning()

    def _auth_before(self, s3: int) -> bool:
        return any(f.role in (Role.KEYSTONEAUTH, Role.TEMPAUTH)
                   for f in self.filters[:s3])

    def _object_versioning(self) -> list[Problem]:
        at = self.first(Role.VERSIONED_WRITES)
        if at is None or config_true_value(
                self.filters[at].conf.get('allow_object_versioning')):
            return []
        f = self.filters[at]
        section = f'[filter:{f.name}]' if not f.inserted else \
            f'a [filter:{f.name}] section (use = egg:swift#versioned_writes)'
        symlink = '' if self.first(Role.SYMLINK) is not None else \
            f', and add symlink (egg:swift#symlink) to {self.section}'
        return [self.warning(
            'bucket versioning is unavailable: set allow_object_versioning '
            f'= true in {section}{symlink}')]

    def cache(self) -> list[Problem]:
        cache, s3 = self.first(Role.CACHE), self.first(Role.SWIFT3)
        users = [self.label(i) for i, f in enumerate(self.filters)
                 if f.role in (Role.TEMPAUTH, Role.S3TOKEN)]
        if cache is None and users:
            return [self.warning(
                f'cache (egg:swift#memcache) is not in {self.section}, and '
                f'{" and ".join(users)} keep tokens and secrets in memcache '
                '(tempauth fails every request without it); add it before '
                'swift3')]
        if cache is not None and cache > s3:
            return [self.error(
                f'{self.label(cache)} must come before swift3 in '
                f'{self.section}: swift3 and the auth filters after it find '
                'memcache through it (bucket info, tokens, secrets); move it '
                'before swift3')]
        return []

    def object_lock(self) -> list[Problem]:
        """``object_lock = true`` needs the objectlock filter after the
        auth filters (it asks them who may write) and before
        versioned_writes and symlink (it must see the client's request,
        not object versioning's); a misplaced objectlock is an error too."""
        s3 = self.first(Role.SWIFT3)
        lock = self.first(Role.OBJECTLOCK)
        if lock is None:
            if not self.object_lock_enabled():
                return []
            return [self.error(
                'object_lock = true in [filter:swift3] needs the objectlock '
                'filter ([filter:objectlock] use = '
                'egg:swift3compat#objectlock) after the auth filter in '
                f'{self.section}, or the Swift API could delete and change '
                'locked object versions; add it there')]
        auth = [i for i, f in enumerate(self.filters)
                if f.role in (Role.TEMPAUTH, Role.KEYSTONEAUTH)]
        late = [i for i, f in enumerate(self.filters)
                if f.role in (Role.VERSIONED_WRITES, Role.SYMLINK)]
        if lock < s3 or (auth and lock < max(auth)) or \
                lock > min(late, default=len(self.filters)):
            return [self.error(
                f'{self.label(lock)} must come after swift3 and the auth '
                'filter and before versioned_writes and symlink in '
                f'{self.section}: it asks the auth filter who may write and '
                'must see the client\'s request; move it there')]
        return []

    # -- the one fix -----------------------------------------------------

    def corrected(self) -> list[Filter]:
        """Every filter in an order the rules accept, with what they ask
        for added: the fixes of all the rules at once, moving as little as
        the rules allow (filters the rules say nothing about keep their
        place relative to their neighbours)."""
        fs: list[Filter] = []
        for f in self.filters:
            if f.role is Role.OTHER_S3:
                continue
            if f.role is Role.SWIFT3 and any(g.role is Role.SWIFT3
                                             for g in fs):
                continue
            fs.append(f)
        if not any(f.role is Role.SWIFT3 for f in fs):
            fs.insert(self._swift3_place(fs), _added(Role.SWIFT3))
        s3 = next(i for i, f in enumerate(fs) if f.role is Role.SWIFT3)

        before = [f for f in fs[:s3] if not _must_follow(f)]
        after = [f for f in fs[s3 + 1:] if not _must_precede(f)]
        for f in fs[s3 + 1:]:
            if not _must_precede(f):
                continue
            if f.role is Role.GATEKEEPER:
                before.insert(next((i + 1 for i, g in enumerate(before)
                                    if g.role is Role.CATCH_ERRORS), 0), f)
            else:
                before.append(f)
        moved = [f for f in fs[:s3] if _must_follow(f)]
        after = [f for f in moved if f.role not in _FEATURES] + after

        roles = {f.role for f in before + after}
        if Role.KEYSTONEAUTH in roles and Role.S3TOKEN not in roles and \
                Role.TEMPAUTH not in roles:
            after.insert(0, _added(Role.S3TOKEN))
        elif not roles & {Role.S3TOKEN, Role.KEYSTONEAUTH, Role.TEMPAUTH}:
            after.insert(0, _added(Role.TEMPAUTH))
        if any(f.role is Role.S3TOKEN for f in after) and \
                Role.KEYSTONEAUTH not in roles:
            after.insert(_after_last(after, _KEYSTONE_RANK),
                         _added(Role.KEYSTONEAUTH))
        _sort_keystone_family(after)

        features = [f for f in moved if f.role in _FEATURES]
        roles = {f.role for f in before + after + features}
        for role in _FEATURES:
            if role not in roles and (role is not Role.SLO or
                                      self.multipart()):
                features.append(_added(role))
        at = _after_last(after, (Role.S3TOKEN, Role.AUTHTOKEN,
                                 Role.KEYSTONEAUTH, Role.TEMPAUTH))
        after[at:at] = features
        self._place_objectlock(before, after)

        if Role.CACHE not in roles and roles & {Role.TEMPAUTH, Role.S3TOKEN}:
            before.append(_added(Role.CACHE))
        return self._with_encryption(before + [fs[s3]] + after)

    def _with_encryption(self, fs: list[Filter]) -> list[Filter]:
        """sse and encryption together after everything they must follow
        (added when server_side_encryption asks for them)."""
        if not self.sse_wanted():
            return fs
        sse = [f for f in fs if f.role is Role.SSE] or [_added(Role.SSE)]
        enc = [f for f in fs if f.role is Role.ENCRYPTION] or \
            [_added(Role.ENCRYPTION)]
        rest = [f for f in fs if f.role not in (Role.SSE, Role.ENCRYPTION)]
        at = _after_last(rest, _BEFORE_ENCRYPTION)
        rest[at:at] = [_explicit(sse[0]), _explicit(enc[0])]
        return rest

    def sse_wanted(self) -> bool:
        s3 = self.first(Role.SWIFT3)
        return s3 is not None and config_true_value(
            self.filters[s3].conf.get('server_side_encryption'))

    def encryption(self) -> list[Problem]:
        """S3 server-side encryption (doc/encryption.md)."""
        sse, enc = self.first(Role.SSE), self.first(Role.ENCRYPTION)
        if not self.sse_wanted():
            if sse is None:
                return []
            return [self.warning(
                f'{self.label(sse)} is in {self.section} but '
                'server_side_encryption is off in [filter:swift3]: S3 '
                'requests asking for server-side encryption get 501')]
        if sse is None or enc is None:
            missing = ' and '.join(n for n, i in (('sse', sse),
                                                  ('encryption', enc))
                                   if i is None)
            return [self.error(
                f'server_side_encryption = true needs {missing} in '
                f'{self.section}: [filter:sse] use = egg:swift3compat#sse '
                'directly before [filter:encryption] use = '
                'egg:swift#encryption, after the filters that move object '
                'data (doc/encryption.md)')]
        last = max(i for i, f in enumerate(self.filters)
                   if f.role in _BEFORE_ENCRYPTION)
        if enc == sse + 1 and sse > last:
            return []
        return [self.error(
            f'{self.label(sse)} must come directly before {self.label(enc)} '
            f'in {self.section}, both after swift3, the auth filters, copy, '
            'slo, dlo, versioned_writes, symlink and any keymaster: a '
            'keymaster after sse replaces its keys, and copy, slo or '
            'versioning after encryption would move plaintext')]

    def object_lock_enabled(self) -> bool:
        s3 = self.first(Role.SWIFT3)
        return s3 is not None and config_true_value(
            self.filters[s3].conf.get('object_lock'))

    def _place_objectlock(self, before: list[Filter],
                          after: list[Filter]) -> None:
        """objectlock (added when ``object_lock = true``) right after the
        auth filters, before the filters swift3's features use."""
        found = [f for f in before + after if f.role is Role.OBJECTLOCK]
        if not found and not self.object_lock_enabled():
            return
        for group in (before, after):
            group[:] = [f for f in group if f.role is not Role.OBJECTLOCK]
        lock = found[0] if found else _added(Role.OBJECTLOCK)
        at = _after_last(after, (Role.S3TOKEN, Role.AUTHTOKEN,
                                 Role.KEYSTONEAUTH, Role.TEMPAUTH))
        after.insert(at, _explicit(lock) if lock.inserted else lock)

    def _swift3_place(self, fs: list[Filter]) -> int:
        """Where swift3 goes when it is missing: where another S3 layer
        was, else before the auth and feature filters."""
        for i, f in enumerate(self.filters):
            if f.role is Role.OTHER_S3:
                return sum(1 for g in self.filters[:i]
                           if g.role is not Role.OTHER_S3)
        return min([i for i, f in enumerate(fs) if _must_follow(f)],
                   default=len(fs))


def _delays(f: Filter) -> bool:
    return config_true_value(f.conf.get('delay_auth_decision'))


def _must_follow(f: Filter) -> bool:
    """Filters the rules want after swift3."""
    if f.role is Role.AUTHTOKEN:
        return not _delays(f)
    return f.role in (Role.S3TOKEN, Role.KEYSTONEAUTH, Role.TEMPAUTH,
                      Role.OBJECTLOCK) + _FEATURES


def _must_precede(f: Filter) -> bool:
    return f.role in (Role.GATEKEEPER, Role.CACHE)


def _after_last(filters: Sequence[Filter], roles: Iterable[Role]) -> int:
    roles = set(roles)
    return 1 + max((i for i, f in enumerate(filters) if f.role in roles),
                   default=-1)


def _sort_keystone_family(filters: list[Filter]) -> None:
    """s3token, then authtoken (unless it lets S3 requests by with
    delay_auth_decision), then keystoneauth, on the places they hold."""
    places = [i for i, f in enumerate(filters)
              if f.role in _KEYSTONE_RANK and not (
                  f.role is Role.AUTHTOKEN and _delays(f))]
    ordered = sorted((filters[i] for i in places),
                     key=lambda f: _KEYSTONE_RANK[f.role])
    for i, f in zip(places, ordered):
        filters[i] = f


def _explicit(f: Filter) -> Filter:
    """A filter the operator must now write (it was inserted by Swift)."""
    return Filter(f.name, f.factory, f.entry_point_name, f.conf)
