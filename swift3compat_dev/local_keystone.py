"""A throw-away Keystone on 127.0.0.1 for tests, benchmarks and trying s3token.

It installs Keystone from PyPI into its own virtualenv (Keystone pins libraries
Swift also uses, so it never shares Swift's environment), bootstraps it on
SQLite with fernet tokens, and provisions what s3token needs:

* ``admin`` (``keystone-manage bootstrap``) in project ``admin``;
* the service user ``swift`` with the ``service`` and ``reader`` roles on the
  *system* -- enough to call ``/v3/s3tokens`` and to read users' EC2 secrets for
  the secret cache, and nothing more;
* projects ``alpha`` and ``beta`` with users ``alice`` and ``bob`` (role
  ``member``), each with an EC2 credential made with their own token, as
  ``openstack ec2 credentials create`` does.

From a shell (prints the credentials and the ``[filter:s3token]`` options, then
serves until interrupted; ``--install-only`` just prepares the virtualenv)::

    python -m swift3compat_dev.local_keystone --dir /tmp/keystone

From Python (``tests/keystone/conftest.py``, ``swift3compat-saio --keystone``)::

    keystone = LocalKeystone('/tmp/keystone')
    keystone.setup()          # install if needed, bootstrap, provision (once per dir)
    keystone.start()
    keystone.users['alice'].ec2.access
    keystone.stop()

``SWIFT3COMPAT_KEYSTONE_VENV`` overrides where the virtualenv lives
(default ``~/.cache/swift3compat/keystone-venv``).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import subprocess  # dev tool runs pip and keystone-manage with fixed argv  # nosec B404
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable, Optional

from keystoneauth1 import session as ksa_session
from keystoneauth1.identity import v3

from swift3compat_dev.servers import LOOPBACK, ServerProcess, free_port, log_tail

HERE = os.path.dirname(os.path.abspath(__file__))
REQUIREMENTS = ('keystone==30.0.0', 'python-openstackclient==10.5.0')
DEFAULT_VENV = os.path.join(os.path.expanduser('~'), '.cache', 'swift3compat',
                            'keystone-venv')
REGION = 'RegionOne'
START_TIMEOUT = 120.0


def venv_path() -> str:
    return os.environ.get('SWIFT3COMPAT_KEYSTONE_VENV') or DEFAULT_VENV


class Progress:
    """``[k/n] what`` lines for a first start that takes a while; ``say``
    receives each line (nothing is printed without it)."""

    def __init__(self, say: Optional[Callable[[str], None]] = None) -> None:
        self.say = say
        self.total = 0
        self.done = 0

    def plan(self, steps: int) -> None:
        self.total += steps

    def step(self, what: str) -> None:
        self.done += 1
        if self.say is not None:
            self.say(f'[{self.done}/{self.total}] {what}')


def venv_ready(venv: str | None = None) -> bool:
    marker = os.path.join(venv or venv_path(), 'swift3compat-requirements.txt')
    return os.path.exists(marker) and \
        open(marker).read() == '\n'.join(REQUIREMENTS) + '\n'


def ensure_venv(venv: str | None = None,
                progress: Optional[Progress] = None) -> tuple[str, float]:
    """Create the Keystone virtualenv unless it already holds REQUIREMENTS
    (two steps of ``progress``).

    Returns (venv path, seconds spent installing; 0 when it was there).
    """
    venv = venv or venv_path()
    marker = os.path.join(venv, 'swift3compat-requirements.txt')
    wanted = '\n'.join(REQUIREMENTS) + '\n'
    if venv_ready(venv):
        return venv, 0.0
    progress = progress or Progress()
    started = time.monotonic()
    shutil.rmtree(venv, ignore_errors=True)
    os.makedirs(os.path.dirname(venv), exist_ok=True)
    progress.step(f'creating the Keystone virtualenv {venv}')
    subprocess.run([sys.executable, '-m', 'venv', venv], check=True)  # fixed argv, no shell  # nosec B603
    progress.step(f'installing {", ".join(REQUIREMENTS)} from PyPI into it '
                  '(about a minute, only the first time)')
    result = subprocess.run(  # fixed argv, no shell  # nosec B603
        [os.path.join(venv, 'bin', 'pip'), 'install', '--quiet',
         '--disable-pip-version-check', *REQUIREMENTS],
        capture_output=True, text=True)
    if result.returncode:
        errors = [line for line in result.stderr.splitlines()
                  if not line.startswith('WARNING: Location')]
        raise RuntimeError('installing Keystone failed:\n' + '\n'.join(errors[-30:]))
    with open(marker, 'w') as f:
        f.write(wanted)
    return venv, time.monotonic() - started


@dataclass
class Ec2Credential:
    access: str
    secret: str


@dataclass
class User:
    name: str
    password: str
    id: str
    project: str
    project_id: str
    ec2: Ec2Credential


def new_password() -> str:
    """A random password that is safe on a command line: hex never starts with
    "-", which argparse (keystone-manage, openstack) would read as an option."""
    return secrets.token_hex(16)


def _keystone_answers(port: int) -> bool:
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=5)
    try:
        conn.request('GET', '/v3')
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


class LocalKeystone:
    """One Keystone, its data under ``data_dir`` (kept between starts)."""

    def __init__(self, data_dir: str, port: int | None = None,
                 venv: str | None = None) -> None:
        self.data_dir = os.path.abspath(data_dir)
        self.venv = venv or venv_path()
        self.state_path = os.path.join(self.data_dir, 'state.json')
        self.conf_path = os.path.join(self.data_dir, 'keystone.conf')
        self.log_path = os.path.join(self.data_dir, 'keystone.log')
        self.port = port
        self.admin_password = ''  # empty default, filled at setup  # nosec B105
        self.service_password = ''  # empty default, filled at setup  # nosec B105
        self.users: dict[str, User] = {}
        self.install_seconds = 0.0
        self.bootstrap_seconds = 0.0
        self.process: ServerProcess | None = None

    # -- set up ------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f'http://{LOOPBACK}:{self.port}/v3'

    def setup(self, say: Optional[Callable[[str], None]] = None) -> None:
        """Install, bootstrap and provision, unless ``data_dir`` already was.

        ``say`` receives a ``[k/n] what`` line for each step it takes.
        """
        progress = Progress(say)
        if not venv_ready(self.venv):
            progress.plan(2)
        if not os.path.exists(self.state_path):
            progress.plan(4)
        _, self.install_seconds = ensure_venv(self.venv, progress)
        if os.path.exists(self.state_path):
            self._load_state()
            return
        started = time.monotonic()
        os.makedirs(self.data_dir, exist_ok=True)
        self.port = self.port or free_port()
        self.admin_password = new_password()
        self.service_password = new_password()
        self._write_conf()
        progress.step('creating the Keystone database (SQLite, keystone-manage '
                      'db_sync)')
        self._manage('db_sync')
        progress.step('creating the fernet token and credential keys')
        self._manage('fernet_setup', '--keystone-user', _user(), '--keystone-group',
                     _group())
        self._manage('credential_setup', '--keystone-user', _user(),
                     '--keystone-group', _group())
        progress.step('bootstrapping Keystone (admin user, region, endpoints)')
        self._manage('bootstrap', '--bootstrap-password', self.admin_password,
                     '--bootstrap-admin-url', self.url, '--bootstrap-public-url', self.url,
                     '--bootstrap-internal-url', self.url,
                     '--bootstrap-region-id', REGION)
        progress.step('starting Keystone and creating the swift service user, '
                      'alice and bob, and their EC2 credentials')
        self.start()
        try:
            self._provision()
        finally:
            self.stop()
        self._save_state()
        self.bootstrap_seconds = time.monotonic() - started

    def _write_conf(self) -> None:
        d = self.data_dir
        with open(self.conf_path, 'w') as f:
            f.write(f"""[DEFAULT]
debug = false
use_stderr = true
[database]
connection = sqlite:///{d}/keystone.db
[token]
provider = fernet
[fernet_tokens]
key_repository = {d}/fernet-keys
[fernet_receipts]
key_repository = {d}/fernet-keys
[credential]
key_repository = {d}/credential-keys
[identity]
# bcrypt's minimum: logins are a test's critical path, not a secret's safety
password_hash_rounds = 4
""")

    def _manage(self, *args: str) -> None:
        argv = [os.path.join(self.venv, 'bin', 'keystone-manage'),
                '--config-file', self.conf_path, *args]
        # fixed argv, no shell (bandit B603)
        result = subprocess.run(argv, capture_output=True, text=True, timeout=300)  # nosec B603
        if result.returncode:
            raise RuntimeError(f'keystone-manage {args[0]} failed:\n'
                               f'{result.stdout[-3000:]}{result.stderr[-3000:]}')

    def _provision(self) -> None:
        admin = self.session('admin', self.admin_password, project='admin')
        roles = {r['name']: r['id'] for r in _get(admin, '/roles')['roles']}
        service_project = _post(admin, '/projects', {'project': {
            'name': 'service', 'domain_id': 'default'}})['project']
        swift = _post(admin, '/users', {'user': {
            'name': 'swift', 'password': self.service_password, 'domain_id': 'default',
            'default_project_id': service_project['id']}})['user']
        for role in ('service', 'reader'):
            _put(admin, f"/system/users/{swift['id']}/roles/{roles[role]}")
        for name, project in (('alice', 'alpha'), ('bob', 'beta')):
            self.users[name] = self._add_user(admin, name, project, roles['member'])

    def _add_user(self, admin: ksa_session.Session, name: str, project: str,
                  role_id: str) -> User:
        project_id = _post(admin, '/projects', {'project': {
            'name': project, 'domain_id': 'default'}})['project']['id']
        password = new_password()
        user_id = _post(admin, '/users', {'user': {
            'name': name, 'password': password, 'domain_id': 'default',
            'default_project_id': project_id}})['user']['id']
        _put(admin, f'/projects/{project_id}/users/{user_id}/roles/{role_id}')
        user = User(name, password, user_id, project, project_id, Ec2Credential('', ''))
        user.ec2 = self.create_ec2(user)
        return user

    def _save_state(self) -> None:
        state = {'port': self.port, 'admin_password': self.admin_password,
                 'service_password': self.service_password,
                 'users': {n: asdict(u) for n, u in self.users.items()}}
        with open(self.state_path, 'w') as f:
            json.dump(state, f, indent=2)
        os.chmod(self.state_path, 0o600)

    def _load_state(self) -> None:
        with open(self.state_path) as f:
            state = json.load(f)
        self.port = state['port']
        self.admin_password = state['admin_password']
        self.service_password = state['service_password']
        self.users = {}
        for name, data in state['users'].items():
            data['ec2'] = Ec2Credential(**data['ec2'])
            self.users[name] = User(**data)

    # -- running -----------------------------------------------------------------

    def start(self) -> None:
        """Serve on 127.0.0.1:port; returns once ``GET /v3`` answers 200."""
        if self.process is None:
            argv = [os.path.join(self.venv, 'bin', 'python'),
                    os.path.join(HERE, 'keystone_serve.py'), LOOPBACK, str(self.port)]
            port = self.port
            self.process = ServerProcess('keystone', argv, self.log_path, port=port,
                                         probe=lambda: _keystone_answers(port))
        env_backup = os.environ.get('OS_KEYSTONE_CONFIG_FILES')
        os.environ['OS_KEYSTONE_CONFIG_FILES'] = self.conf_path
        try:
            self.process.start()
        finally:
            if env_backup is None:
                del os.environ['OS_KEYSTONE_CONFIG_FILES']
            else:
                os.environ['OS_KEYSTONE_CONFIG_FILES'] = env_backup
        self.process.wait_ready(START_TIMEOUT)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.running

    def log_tail(self, size: int = 3000) -> str:
        return log_tail(self.log_path, size)

    # -- using it ------------------------------------------------------------------

    def session(self, username: str, password: str, *, project: str | None = None,
                system: bool = False) -> ksa_session.Session:
        """A keystoneauth1 session of a user in the default domain."""
        scope: dict[str, Any] = {'system_scope': 'all'} if system else {
            'project_name': project, 'project_domain_id': 'default'}
        auth = v3.Password(auth_url=self.url, username=username, password=password,
                           user_domain_id='default', **scope)
        return ksa_session.Session(auth=auth, timeout=30)

    def user_session(self, user: User) -> ksa_session.Session:
        return self.session(user.name, user.password, project=user.project)

    def create_ec2(self, user: User,
                   session: ksa_session.Session | None = None) -> Ec2Credential:
        """A new EC2 credential of ``user`` for its project, made with its own token
        (``session``: one of ``user_session(user)``, to reuse its token)."""
        cred = _post(session or self.user_session(user),
                     f'/users/{user.id}/credentials/OS-EC2',
                     {'tenant_id': user.project_id})['credential']
        return Ec2Credential(cred['access'], cred['secret'])

    def delete_ec2(self, user: User, access: str) -> None:
        resp = self.user_session(user).delete(
            f'{self.url}/users/{user.id}/credentials/OS-EC2/{access}')
        if resp.status_code != 204:
            raise RuntimeError('deleting EC2 credential: HTTP %d' % resp.status_code)

    def service_auth_options(self) -> dict[str, str]:
        """The keystoneauth1 options of the ``swift`` service user, with
        system scope (both filters' service calls need it)."""
        return {
            'auth_type': 'password',
            'auth_url': self.url,
            'username': 'swift',
            'password': self.service_password,
            'user_domain_id': 'default',
            'system_scope': 'all',
        }

    def s3token_options(self, **overrides: str) -> dict[str, str]:
        """The ``[filter:s3token]`` section for this Keystone."""
        options = {
            'use': 'egg:swift3compat#s3token',
            'auth_uri': self.url,
            **self.service_auth_options(),
            # throw-away test Keystone only (bandit B105)
            'memcache_secret_key': 'local keystone memcache secret key',  # nosec B105
        }
        options.update(overrides)
        return options

    def authtoken_options(self, **overrides: str) -> dict[str, str]:
        """The ``[filter:authtoken]`` section for this Keystone."""
        options = {
            'use': 'egg:keystonemiddleware#auth_token',
            'www_authenticate_uri': self.url,
            **self.service_auth_options(),
            'delay_auth_decision': 'false',
            'cache': 'swift.cache',
            'service_token_roles_required': 'true',  # an option value, not a password  # nosec B105
        }
        options.update(overrides)
        return options

    def openstack_env(self, user: User) -> dict[str, str]:
        """Environment for the ``openstack`` CLI of the venv, logged in as ``user``."""
        env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
        env.update(OS_AUTH_URL=self.url, OS_IDENTITY_API_VERSION='3',
                   OS_USERNAME=user.name, OS_PASSWORD=user.password,
                   OS_PROJECT_NAME=user.project, OS_USER_DOMAIN_NAME='Default',
                   OS_PROJECT_DOMAIN_NAME='Default', OS_REGION_NAME=REGION,
                   OS_INTERFACE='public')
        return env

    @property
    def openstack(self) -> str:
        return os.path.join(self.venv, 'bin', 'openstack')


def _check(resp: Any, *ok: int) -> Any:
    if resp.status_code not in ok:
        raise RuntimeError(f'Keystone answered {resp.status_code} to '
                           f'{resp.request.method} {resp.url}: {resp.text[:500]}')
    return resp.json() if resp.content else None


def _base(session: ksa_session.Session) -> str:
    return session.auth.auth_url.rstrip('/')


def _get(session: ksa_session.Session, path: str) -> Any:
    return _check(session.get(_base(session) + path, raise_exc=False), 200)


def _post(session: ksa_session.Session, path: str, body: dict) -> Any:
    return _check(session.post(_base(session) + path, json=body, raise_exc=False),
                  200, 201)


def _put(session: ksa_session.Session, path: str) -> None:
    _check(session.put(_base(session) + path, raise_exc=False), 204)


def _user() -> str:
    import pwd
    return pwd.getpwuid(os.geteuid()).pw_name


def _group() -> str:
    import grp
    return grp.getgrgid(os.getegid()).gr_name


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--dir', default=os.path.join(
                            os.path.expanduser('~'), '.cache', 'swift3compat', 'keystone'),
                        help='data directory (reused if already set up)')
    parser.add_argument('--port', type=int, help='port on 127.0.0.1 (first setup only)')
    parser.add_argument('--install-only', action='store_true',
                        help='only prepare the Keystone virtualenv')
    args = parser.parse_args()
    if args.install_only:
        venv, seconds = ensure_venv()
        print(f'Keystone virtualenv: {venv} (installed in {seconds:.1f} s)'
              if seconds else f'Keystone virtualenv: {venv} (already there)')
        return 0
    keystone = LocalKeystone(args.dir, port=args.port)
    keystone.setup()
    keystone.start()
    print(f'Keystone: {keystone.url}  (admin password {keystone.admin_password})')
    for user in keystone.users.values():
        print(f'{user.name} (project {user.project}, password {user.password}): '
              f'EC2 access {user.ec2.access} secret {user.ec2.secret}')
    print('\n[filter:s3token]')
    for key, value in keystone.s3token_options().items():
        print(f'{key} = {value}')
    sys.stdout.flush()
    try:
        while keystone.running:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        keystone.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
