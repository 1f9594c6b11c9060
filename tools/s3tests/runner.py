"""Run ceph/s3-tests against an in-process Swift cluster with a swift3compat proxy.

What one run does (``python -m tools.s3tests``, ``tox -e s3tests``):

1. finds the suite (``--suite``, ``$S3TESTS_DIR``, or ``shared/conformance/ceph-s3-tests``
   in a parent of the repository) and copies it to a scratch directory (the
   snapshot is never written to);
2. installs the suite's Python requirements that are missing (``pip install``;
   ``--no-install`` refuses instead);
3. starts a Swift cluster (account/container/object servers, memcached) and one
   proxy with the functional tests' default pipeline: tempauth and
   ``egg:swift3compat#swift3`` with ``s3_acl = true``, ``storage_domain = localhost``;
4. writes the S3TEST_CONF: ``[s3 main]``, ``[s3 alt]`` and ``[s3 tenant]`` are
   three Swift accounts (tempauth users added for the run, each ``.admin`` of
   its own account: ``s3tmain0:tester``, ``s3talt0:tester``,
   ``s3ttenant0:tester``); the ``user_id`` of each is what ListBuckets reports as
   ``Owner/ID`` (AUTH_s3tmain0, ...), checked to be three different owners.
   Each xdist worker gets its own three accounts and config file
   (tools.s3tests.plugin picks it), so tests that list all of an account's
   buckets are not disturbed by the other worker. ``[iam]``, ``[iam root]``,
   ``[iam alt root]`` exist with placeholder keys (Swift has no IAM);
5. runs ``test_s3.py`` and ``test_headers.py`` with pytest (``-n 2`` with
   pytest-xdist), deselecting what the suite marks as needing services Swift does
   not have (``DESELECTED_MARKERS``), junit xml to ``--junitxml``;
6. compares the outcome with the known-failures file: exit 1 when a test fails
   that is not listed, or when a listed test passes (remove it from the file);
   skips are listed separately and never count as passes.

Arguments this script does not know go to pytest (``-k``, ``-x``, node ids ...).
``--slice FILE`` runs only the tests named in FILE (the CI slice).
"""
from __future__ import annotations

import argparse
import base64
import configparser
import datetime
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Optional, Sequence

from tools.s3tests import results

# The one place that imports the test cluster (the dev tooling may move to
# another package: change this line only).
from swift3compat_dev.cluster import (PIPELINES, TEMPAUTH_USERS, Cluster,  # noqa: I001
                                      ProxySpec)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KNOWN_FAILURES = os.path.join(REPO, 'tests', 's3tests', 'known-failures.txt')
CI_SLICE = os.path.join(REPO, 'tests', 's3tests', 'ci-slice.txt')
SUITE_IN_SHARED = os.path.join('shared', 'conformance', 'ceph-s3-tests')
TEST_FILES = ('s3tests/functional/test_s3.py', 's3tests/functional/test_headers.py')
# The functional tests' default proxy (tests/functional/conftest.py
# DEFAULT_S3_OPTIONS) with every feature the suite has tests for: Object Lock
# (the objectlock filter after tempauth), server-side encryption (sse and
# Swift's encryption before the last proxy-logging; the suite's KMS key ids
# below; SSE-C over plain HTTP, as the suite runs) and access logging (on by
# default).
S3_OPTIONS = {'storage_domain': 'localhost', 's3_acl': 'true',
              'object_lock': 'true', 'server_side_encryption': 'true',
              'sse_customer_allow_http': 'true',
              # the cluster's devices take 64 KiB xattrs (tmpfs, as XFS does in
              # production; cluster_dir): AWS's maximum tags fit
              'max_stored_metadata_size': '65536'}
KMS_KEY_IDS = ('testkey-1', 'testkey-2')


def proxy_pipeline() -> tuple:
    names = list(PIPELINES['swift3compat'])
    names.insert(names.index('tempauth') + 1, 'objectlock')
    at = len(names) - 1             # before the last proxy-logging
    return tuple(names[:at] + ['sse', 'encryption'] + names[at:])


def write_key_file(path: str) -> str:
    """The sse filter's key file: a root secret and the suite's KMS keys."""
    def secret() -> str:
        return base64.b64encode(os.urandom(32)).decode()
    lines = ['[sse]', f'root_secret = {secret()}']
    for key_id in KMS_KEY_IDS:
        lines += [f'[kms_key:{key_id}]', f'secret = {secret()}']
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    os.chmod(path, 0o600)
    return path
# Marked by the suite as needing a service Swift does not have: the IAM API
# (users, accounts) and a cloud storage tier. Not run, not counted.
DESELECTED_MARKERS = ('iam_account', 'iam_user', 'cloud_transition', 'cloud_restore')
# requirement name -> module; tox is a tool the suite's own tox.ini uses, not an import
REQUIREMENT_MODULES = {'pyyaml': 'yaml', 'boto3': 'boto3', 'botocore': 'botocore',
                       'munch': 'munch', 'gevent': 'gevent', 'isodate': 'isodate',
                       'requests': 'requests', 'pytz': 'pytz', 'httplib2': 'httplib2',
                       'lxml': 'lxml', 'pytest': 'pytest'}


def large_xattrs(directory: str, size: int = 65536) -> bool:
    """Whether files in ``directory`` take ``size`` bytes of user xattrs.

    Swift keeps object metadata (tags, ACLs, user metadata) in xattrs; ext4
    refuses more than about 4 KB per inode (ENOSPC: the object server answers
    507 and the proxy error-limits the cluster's only device for a minute, so
    every later test fails). Production Swift runs on XFS, which takes 64 KB.
    """
    probe = os.path.join(directory, f'.s3tests-xattr-probe-{os.getpid()}')
    try:
        with open(probe, 'wb'):
            pass
        for i in range(size // 4096):
            os.setxattr(probe, f'user.s3tests.probe{i}', b'x' * 4000)
        return True
    except OSError:
        return False
    finally:
        if os.path.exists(probe):
            os.unlink(probe)


def cluster_dir(explicit: Optional[str], workdir: str) -> str:
    """Where the cluster keeps its data: ``--data-dir``, else the scratch dir if its
    filesystem takes large xattrs, else /dev/shm (tmpfs takes them on Linux >= 6.6)."""
    if explicit:
        os.makedirs(explicit, exist_ok=True)
        return explicit
    if large_xattrs(workdir):
        return os.path.join(workdir, 'cluster')
    shm = '/dev/shm'
    if os.path.isdir(shm) and large_xattrs(shm):
        return tempfile.mkdtemp(prefix='swift3compat-s3tests-cluster-', dir=shm)
    print(f'warning: {workdir} takes only small xattrs (ext4?): tests storing much '
          'metadata will get 507s and the device error-limited; pass --data-dir on '
          'xfs or tmpfs', file=sys.stderr)
    return os.path.join(workdir, 'cluster')


def find_suite(explicit: Optional[str]) -> str:
    candidates = [explicit] if explicit else []
    if os.environ.get('S3TESTS_DIR'):
        candidates.append(os.environ['S3TESTS_DIR'])
    directory = REPO
    while True:
        candidates.append(os.path.join(directory, SUITE_IN_SHARED))
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    # the copy kept in the tree (third_party/README.md): a clean checkout
    candidates.append(os.path.join(REPO, 'third_party', 'ceph-s3-tests'))
    for path in candidates:
        if path and os.path.isfile(os.path.join(path, TEST_FILES[0])):
            return os.path.abspath(path)
    raise SystemExit('ceph/s3-tests not found: pass --suite DIR or set S3TESTS_DIR '
                     f'(looked for {SUITE_IN_SHARED} above {REPO})')


def missing_requirements(suite: str, workers: int) -> list[str]:
    """Requirement lines of the suite whose module cannot be imported."""
    missing = []
    with open(os.path.join(suite, 'requirements.txt')) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            name = re.split(r'[<>=!~ ;\[]', line, maxsplit=1)[0].lower()
            module = REQUIREMENT_MODULES.get(name)
            if module and importlib.util.find_spec(module) is None:
                missing.append(line)
    if importlib.util.find_spec('dateutil') is None:
        missing.append('python-dateutil')
    if workers > 1 and importlib.util.find_spec('xdist') is None:
        missing.append('pytest-xdist')
    return missing


def install_requirements(suite: str, workers: int, allowed: bool) -> None:
    missing = missing_requirements(suite, workers)
    if not missing:
        return
    if not allowed:
        raise SystemExit(f'missing Python packages for s3-tests: {missing} '
                         '(pip install them, or run without --no-install)')
    print(f'installing s3-tests requirements: {" ".join(missing)}', flush=True)
    subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', *missing], check=True)


def worker_users(worker: int) -> dict[str, tuple[str, str, str]]:
    """The S3TEST_CONF users of one pytest-xdist worker: section -> (account,
    access key, secret). Each worker has its own three accounts, so that tests
    that list every bucket of an account see only their own worker's."""
    return {section: (f's3t{role}{worker}', f's3t{role}{worker}:tester', f'{role}-secret')
            for section, role in (('s3 main', 'main'), ('s3 alt', 'alt'),
                                  ('s3 tenant', 'tenant'))}


def tempauth_section(workers: int) -> dict[str, str]:
    """The default tempauth users plus three accounts per worker (``.admin``: each
    user owns its account, so it is that account's S3 owner)."""
    section = {'use': 'egg:swift#tempauth'}
    for user in TEMPAUTH_USERS:
        section[f'user_{user.account}_{user.user}'] = ' '.join((user.key,) + user.groups)
    for worker in range(workers):
        for account, _, secret in worker_users(worker).values():
            section[f'user_{account}_tester'] = f'{secret} .admin'
    return section


def owner_of(endpoint: str, access_key: str, secret_key: str) -> str:
    """``Owner/ID`` of ListBuckets for this user (the canonical id s3-tests expects)."""
    import boto3
    from botocore.config import Config
    client = boto3.session.Session().client(
        's3', endpoint_url=endpoint, region_name='us-east-1',
        aws_access_key_id=access_key, aws_secret_access_key=secret_key,
        config=Config(signature_version='s3v4', s3={'addressing_style': 'path'}))
    return client.list_buckets()['Owner']['ID']


def config_path(base: str, worker: int) -> str:
    """The S3TEST_CONF of an xdist worker (``gw<N>``); worker 0's is ``base`` itself."""
    root, ext = os.path.splitext(base)
    return base if worker == 0 else f'{root}-gw{worker}{ext}'


def write_config(path: str, port: int, worker: int) -> dict[str, str]:
    """Write the S3TEST_CONF for a proxy on ``localhost:port``; returns user ids."""
    endpoint = f'http://localhost:{port}'
    cfg = configparser.RawConfigParser()
    cfg['DEFAULT'] = {'host': 'localhost', 'port': str(port), 'is_secure': 'False',
                      'ssl_verify': 'False'}
    cfg['fixtures'] = {'bucket prefix': f's3tests{worker}-{{random}}-',
                       'iam name prefix': 's3-tests-', 'iam path prefix': '/s3-tests/'}
    ids = {}
    for section, (account, access, secret) in worker_users(worker).items():
        owner = owner_of(endpoint, access, secret)
        ids[section] = owner
        cfg[section] = {'display_name': owner, 'user_id': owner,
                        'email': f'{account}@example.com',
                        'access_key': access, 'secret_key': secret}
    cfg['s3 tenant']['tenant'] = worker_users(worker)['s3 tenant'][0]
    cfg['s3 main']['kms_keyid'], cfg['s3 main']['kms_keyid2'] = KMS_KEY_IDS
    if len(set(ids.values())) != len(ids):
        raise SystemExit(f'the s3-tests users are not different S3 owners: {ids}')
    # Swift has no IAM: the sections must exist, their keys authenticate nowhere
    placeholder = {'access_key': 'NOIAMNOIAMNOIAMNOIAM', 'secret_key': 'no-iam-' * 5,
                   'user_id': 'no-iam', 'email': 'no-iam@example.com',
                   'display_name': 'no-iam'}
    for section in ('iam', 'iam root', 'iam alt root'):
        cfg[section] = dict(placeholder)
    with open(path, 'w') as f:
        cfg.write(f)
    return ids


def node_ids(suite: str, names: Sequence[str]) -> list[str]:
    """``file::name`` for test names (``test_x`` or ``test_x[param]``)."""
    where = {}
    for rel in TEST_FILES:
        with open(os.path.join(suite, rel)) as f:
            for match in re.finditer(r'^def (test_\w+)\(', f.read(), re.M):
                where.setdefault(match.group(1), rel)
    ids = []
    for name in names:
        base = name.split('[', 1)[0]
        if base not in where:
            raise SystemExit(f'{name}: no such test in {", ".join(TEST_FILES)}')
        ids.append(f'{where[base]}::{name}')
    return ids


def read_names(path: str) -> list[str]:
    """Test names of a slice file (one a line, ``#`` comments)."""
    with open(path) as f:
        return [n for n in (line.split('#', 1)[0].strip() for line in f) if n]


def count_deselected(cwd: str, env: dict[str, str]) -> int:
    """How many tests of TEST_FILES carry a DESELECTED_MARKERS marker."""
    proc = subprocess.run(
        [sys.executable, '-m', 'pytest', *TEST_FILES, '--collect-only', '-q',
         '-p', 'no:cacheprovider', '-p', 'no:benchmark', '-p', 'no:xdist',
         '-m', ' or '.join(DESELECTED_MARKERS)],
        cwd=cwd, env=env, capture_output=True, text=True)
    return sum(1 for line in proc.stdout.splitlines() if '::' in line)


def _git(*args: str) -> str:
    try:
        return subprocess.run(['git', *args], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ''


def suite_label(suite: str) -> str:
    """``ceph/s3-tests <commit>`` from the snapshot's README beside it, if it says."""
    readme = os.path.join(os.path.dirname(suite), 'README.md')
    if os.path.exists(readme):
        with open(readme) as f:
            match = re.search(r'at commit ([0-9a-f]{7,40})', f.read())
        if match:
            return f'ceph/s3-tests at commit {match.group(1)}'
    return f'ceph/s3-tests from {suite}'


def measured_commit() -> str:
    """The commit the servers run (read before they start)."""
    commit = _git('rev-parse', '--short=12', 'HEAD') or '?'
    if _git('status', '--porcelain', '--untracked-files=no'):
        commit += ' (with uncommitted changes)'
    return commit


def write_run_info(path: str, suite: str, elapsed: float, deselected: int,
                   argv: Sequence[str], commit: str) -> None:
    """run.json beside the junit xml: what tools.s3tests.report needs besides it."""
    info = {'commit': commit, 'suite': suite_label(suite),
            'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
            'duration': round(elapsed), 'command': ' '.join(['python -m tools.s3tests', *argv]),
            's3_options': ', '.join(f'{k} = {v}' for k, v in S3_OPTIONS.items()),
            'deselected': deselected, 'deselected_markers': list(DESELECTED_MARKERS)}
    with open(path, 'w') as f:
        json.dump(info, f, indent=2)


def parse_args(argv: Optional[Sequence[str]]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(
        prog='python -m tools.s3tests', description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--suite', help='the s3-tests checkout (never written to)')
    parser.add_argument('--known-failures', default=KNOWN_FAILURES)
    parser.add_argument('--slice', nargs='?', const=CI_SLICE, metavar='FILE',
                        help=f'run only the tests named in FILE (default {CI_SLICE})')
    parser.add_argument('--workers', '-n', type=int, default=2,
                        help='pytest-xdist workers (1: no xdist); default 2')
    parser.add_argument('--junitxml', default=os.path.join('s3tests-results', 'junit.xml'))
    parser.add_argument('--workdir', help='scratch directory (default: a new temp dir)')
    parser.add_argument('--data-dir', help='cluster data (needs large user xattrs; '
                        'default: the scratch dir or /dev/shm)')
    parser.add_argument('--keep', action='store_true',
                        help='keep the scratch directory (cluster logs, config)')
    parser.add_argument('--no-install', action='store_true',
                        help='fail instead of pip-installing missing requirements')
    parser.add_argument('--timeout', type=int, default=900, help='per test, seconds')
    return parser.parse_known_args(argv)


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)     # run the finally blocks: stop the cluster


def main(argv: Optional[Sequence[str]] = None) -> int:
    signal.signal(signal.SIGTERM, _terminate)
    args, pytest_args = parse_args(argv)
    suite = find_suite(args.suite)
    install_requirements(suite, args.workers, not args.no_install)
    with open(args.known_failures) as f:
        known = results.parse_known_failures(f.read(), args.known_failures)
    selection = None if not pytest_args else []   # extra args: a partial run
    targets = list(TEST_FILES)
    if args.slice:
        names = read_names(args.slice)
        targets = node_ids(suite, names)
        selection = names if not pytest_args else []
    workdir = args.workdir or tempfile.mkdtemp(prefix='swift3compat-s3tests-')
    os.makedirs(workdir, exist_ok=True)
    junit = os.path.abspath(args.junitxml)
    os.makedirs(os.path.dirname(junit), exist_ok=True)
    if os.path.exists(junit):
        os.unlink(junit)
    copy = os.path.join(workdir, 's3-tests')
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(suite, copy, ignore=shutil.ignore_patterns('__pycache__', '.git'))
    commit = measured_commit()
    data_dir = cluster_dir(args.data_dir, workdir)
    cluster = Cluster(data_dir)
    started = time.monotonic()
    try:
        cluster.start()
        workers = max(args.workers, 1)
        key_file = write_key_file(os.path.join(workdir, 'sse-keys.conf'))
        proxy = cluster.add_proxy(ProxySpec(
            name='proxy-s3tests', s3_options=S3_OPTIONS, pipeline=proxy_pipeline(),
            filters={'tempauth': tempauth_section(workers),
                     'objectlock': {'use': 'egg:swift3compat#objectlock'},
                     'sse': {'use': 'egg:swift3compat#sse', 'key_file': key_file},
                     'encryption': {'use': 'egg:swift#encryption'}}))
        conf = os.path.join(workdir, 's3tests.conf')
        for worker in range(workers):
            ids = write_config(config_path(conf, worker), proxy.port, worker)
        print(f's3-tests against http://localhost:{proxy.port} ({workers} worker(s); '
              'last owners: ' + ', '.join(f'{k}={v}' for k, v in ids.items())
              + f'); scratch {workdir}, cluster {data_dir}', flush=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith('AWS_')}
        env.update(S3TEST_CONF=conf, AWS_CONFIG_FILE=os.devnull,
                   AWS_SHARED_CREDENTIALS_FILE=os.devnull,
                   PYTHONPATH=os.pathsep.join(
                       p for p in (REPO, os.environ.get('PYTHONPATH')) if p))
        command = [sys.executable, '-m', 'pytest', *targets, '-p', 'tools.s3tests.plugin',
                   '-p', 'no:cacheprovider', '-p', 'no:benchmark', '-q', '-rfE',
                   '--junitxml', junit,
                   '-o', 'junit_family=xunit1', f'--timeout={args.timeout}',
                   '-m', ' and '.join(f'not {m}' for m in DESELECTED_MARKERS)]
        if args.workers > 1:
            command += ['-n', str(args.workers), '--dist', 'load']
        command += pytest_args
        code = subprocess.call(command, cwd=copy, env=env)
        deselected = count_deselected(copy, env)
    finally:
        cluster.stop()
        if not args.keep and not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
        if not args.keep and not args.data_dir and not data_dir.startswith(workdir):
            shutil.rmtree(data_dir, ignore_errors=True)
    elapsed = time.monotonic() - started
    if not os.path.exists(junit):
        print(f's3-tests: pytest exited {code} without a junit report', file=sys.stderr)
        return code or 1
    write_run_info(os.path.join(os.path.dirname(junit), 'run.json'), suite, elapsed,
                   deselected, argv if argv is not None else sys.argv[1:], commit)
    cases = results.read_junit(junit)
    verdict = results.compare(cases, known, selection)
    print(results.format_verdict(verdict, known))
    print(f's3-tests: {elapsed:.0f} s; junit xml {junit}')
    if code not in (0, 1):     # 2: interrupted/usage, 3: internal error, 5: no tests
        print(f's3-tests: pytest exited {code}', file=sys.stderr)
        return code
    return 0 if verdict.ok else 1


if __name__ == '__main__':
    sys.exit(main())
