"""Serve Keystone's public WSGI application on one address, for tests and the SAIO.

Run with the Python of the Keystone virtualenv (see local_keystone.py), with
``OS_KEYSTONE_CONFIG_FILES`` naming the keystone.conf to use::

    OS_KEYSTONE_CONFIG_FILES=/path/keystone.conf \\
        ~/.cache/swift3compat/keystone-venv/bin/python \\
        -m swift3compat_dev.keystone_serve 127.0.0.1 5000

It is a threaded ``wsgiref`` server: fine for tests, not for production.
"""
import socketserver
import sys
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class QuietHandler(WSGIRequestHandler):
    """One access-log line per request on stderr, without the client's address."""

    def log_request(self, code: object = '-', size: object = '-') -> None:
        sys.stderr.write(f'{self.command} {self.path.split("?")[0]} {code}\n')


def main() -> int:
    host, port = sys.argv[1], int(sys.argv[2])
    del sys.argv[1:]   # keystone parses the command line as its own options
    from keystone.server import wsgi
    application = wsgi.initialize_public_application()
    server = make_server(host, port, application, server_class=ThreadingWSGIServer,
                         handler_class=QuietHandler)
    sys.stderr.write(f'keystone listening on http://{host}:{port}/v3\n')
    sys.stderr.flush()
    server.serve_forever()
    return 0


if __name__ == '__main__':
    sys.exit(main())
