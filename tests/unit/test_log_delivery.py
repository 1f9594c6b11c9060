"""swift/log_delivery.py: buffering, back-pressure, size and signal flushes,
log object writes (a fake next app: no cluster)."""
from __future__ import annotations

import os
import signal

import eventlet
import pytest

from swift3compat import config
from swift3compat.swift import log_delivery
from swift3compat.swift.log_delivery import AccessLogs

TARGET = ('AUTH_t', 'logs', 'p/', '', '', 'AUTH_s', 'src', '')
OTHER = ('AUTH_t', 'logs', 'q/', '', '', 'AUTH_s', 'src2', '')


class FakeLogger:
    def __init__(self):
        self.counts = {}
        self.warnings = []

    def increment(self, name):
        self.counts[name] = self.counts.get(name, 0) + 1

    def warning(self, fmt, *args):
        self.warnings.append(fmt % args)

    def exception(self, fmt, *args):
        raise AssertionError(fmt % args)


class FakeApp:
    def __init__(self, status='201 Created'):
        self.status = status
        self.puts = []

    def __call__(self, env, start_response):
        assert env['swift.authorize'](None) is None
        assert env['swift.source'] == 'S3C-LOG'
        self.puts.append((env['PATH_INFO'], env['wsgi.input'].read(),
                          env.get('HTTP_X_OBJECT_TRANSIENT_SYSMETA_S3C_ACL')))
        start_response(self.status, [('Content-Length', '0')])
        return [b'']


def make(app=None, **options):
    options = {'access_log_flush_interval': '3600', **options}
    logger = FakeLogger()
    app = app or FakeApp()
    return AccessLogs(app, config.load(options), logger, lambda r: 'X'), \
        app, logger


def test_buffer_full_drops_and_counts_never_blocks():
    logs, app, logger = make(access_log_buffer_bytes='1024',
                             access_log_flush_bytes='1024')
    line = 'x' * 99 + '\n'
    for _ in range(15):
        logs.append(TARGET, line)
    assert logs.total == 1000
    assert logger.counts['access_log.dropped'] == 5
    assert app.puts == []               # nothing written on the request path
    logs.tick(logs._due)               # the interval: everything, one line
    assert len(app.puts) == 1 and app.puts[0][1] == line.encode() * 10
    assert any('5 access log records dropped' in w for w in logger.warnings)
    assert logs.total == 0
    logs.append(TARGET, line)           # room again
    assert logs.total == 100


def test_a_full_target_is_written_alone_before_the_interval():
    logs, app, _ = make(access_log_flush_bytes='1024')
    logs.append(OTHER, 'other\n')
    for _ in range(11):
        logs.append(TARGET, 'y' * 99 + '\n')
    assert logs.flush_requested
    logs.tick(logs._due - 100)
    assert [path.split('/')[4] for path, _, _ in app.puts] == ['p']
    assert logs.buffers == {OTHER: ['other\n']}


def test_each_batch_has_its_own_key():
    logs, app, _ = make()
    for _ in range(3):
        logs.append(TARGET, 'r\n')
        logs.flush()
    keys = {path for path, _, _ in app.puts}
    assert len(keys) == 3
    for key in keys:
        assert key.startswith('/v1/AUTH_t/logs/p/')


def test_failed_write_is_counted_and_logged():
    logs, app, logger = make(FakeApp('404 Not Found'))
    logs.append(TARGET, 'r\n')
    assert logs.flush() == 0
    assert logger.counts['access_log.failed'] == 1
    assert 'not written (status 404): 1 records lost' in logger.warnings[0]


def test_object_acl_of_log_objects():
    acl = log_delivery._object_acl({'owner': 'AUTH_t', 'grants': [
        {'type': 'CanonicalUser', 'value': 'u1', 'permission': 'READ'},
        {'type': 'Group', 'permission': 'READ',
         'value': 'http://acs.amazonaws.com/groups/global/AllUsers'},
        {'type': 'AmazonCustomerByEmail', 'value': 'a@b', 'permission': 'READ'},
    ]}, 'AUTH_s')
    assert acl == ('{"o":"AUTH_t","g":[["u","AUTH_t","FULL_CONTROL"],'
                   '["u","u1","READ"],["g","AllUsers","READ"]]}')


def test_sigusr2_flushes_now():
    logs, app, _ = make()
    assert signal.getsignal(signal.SIGUSR2) is log_delivery._flush_signal
    logs.append(TARGET, 'now\n')
    os.kill(os.getpid(), signal.SIGUSR2)
    for _ in range(40):                 # the flusher greenthread's ticks
        if app.puts:
            break
        eventlet.sleep(log_delivery.TICK / 2)
    assert app.puts and app.puts[0][1] == b'now\n'


def test_a_forked_process_starts_empty(monkeypatch):
    logs, _, _ = make()
    logs.append(TARGET, 'parent\n')
    monkeypatch.setattr(os, 'getpid', lambda: -1)
    logs.append(TARGET, 'child\n')
    assert logs.buffers == {TARGET: ['child\n']}


@pytest.mark.parametrize('name', ['access_log_flush_interval',
                                  'access_log_buffer_bytes'])
def test_options_are_checked(name):
    with pytest.raises(config.ConfigError):
        config.load({name: '0'})


def test_buffers_are_written_at_exit():
    import weakref
    logs, app, _ = make()
    logs.append(TARGET, 'last words\n')
    log_delivery._flush_at_exit(weakref.ref(logs))
    assert app.puts[0][1] == b'last words\n'
    assert logs.buffers == {}


def test_a_failing_bucket_look_up_never_fails_the_request():
    """A request that never located its bucket is looked up at log time;
    when that fails the response goes out unchanged, unlogged."""
    from swift.common.swob import Request
    from swift3compat.http.request import S3Request
    problems = []

    class Logger(FakeLogger):
        def exception(self, fmt, *args):
            problems.append(fmt % args)

    def broken_index(_backend, _bucket):
        raise RuntimeError('bucket index down')
    conf = config.load({'access_log_flush_interval': '3600',
                        's3_acl': 'true'})
    logs = AccessLogs(FakeApp(), conf, Logger(), lambda r: 'X',
                      broken_index)
    env = Request.blank('/src/k').environ
    env[log_delivery.REQUEST_ENV] = S3Request(env, conf)
    body = [b'<Error/>']
    assert logs.wrap(env, 403, [], body, 'SignatureDoesNotMatch', 'tx1',
                     'host', 0.0) is body
    assert problems and not logs.buffers
