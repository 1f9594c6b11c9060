"""Fixtures of the browser suite: a real headless Chromium (Debian's
``chromium`` and ``chromium-driver``, driven by selenium) against a real Swift
cluster, and a page server on another localhost port, so that the page and
the S3 endpoint are different origins.

* ``browser``: one Chromium for the whole session (fresh profile, no network
  but localhost, no background services);
* ``pages``: ``pages.publish(path, html) -> url`` serves a page from
  ``http://localhost:<port>``; ``pages.origin`` is that origin.

The functional fixtures (cluster, proxies, boto3 clients, users) are
re-exported from ``tests/functional/conftest.py``.  Missing Chromium is a
failure, not a skip: ``apt-get install chromium chromium-driver`` and
``pip install selenium`` (.ci/run does).
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, Iterator

import pytest

from tests.functional.conftest import *  # noqa: F401,F403 (fixtures)

CHROMIUM = '/usr/bin/chromium'
CHROMEDRIVER = '/usr/bin/chromedriver'
CHROMIUM_FLAGS = ('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
                  '--no-first-run', '--disable-background-networking',
                  '--disable-component-update', '--disable-sync',
                  '--disable-dev-shm-usage')


@pytest.fixture(scope='session')
def browser() -> Iterator[object]:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(p)]
    if missing:
        pytest.fail(f'{missing} not found: apt-get install chromium chromium-driver')
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail('selenium is not installed: pip install -r test-requirements.txt')
    os.environ.setdefault('SE_AVOID_STATS', 'true')
    profile = tempfile.mkdtemp(prefix='chromium-profile-')
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS + (f'--user-data-dir={profile}',):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(60)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


class Pages:
    """In-memory pages served over HTTP by a thread."""

    def __init__(self) -> None:
        self.pages: Dict[str, bytes] = {}
        self.requests: list = []
        pages = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                pages.requests.append(self.path)
                body = pages.pages.get(self.path.split('?', 1)[0])
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header('Content-Type', 'text/html; charset=utf-8')
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.origin = f'http://localhost:{self.server.server_address[1]}'
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def publish(self, path: str, html: str) -> str:
        self.pages[path] = html.encode('utf-8')
        return self.origin + path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope='session')
def pages() -> Iterator[Pages]:
    server = Pages()
    try:
        yield server
    finally:
        server.close()
