"""Shared fixtures: the engine on sys.path, the built site, a local server and headless Chromium."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'py'))
sys.path.insert(0, str(ROOT))

CHROMIUM = '/usr/bin/chromium'
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                 '--disable-background-networking', '--disable-component-update', '--disable-sync']


# $GLASSBOX_DIST lets several people test one checkout at once, each with their own build
# (python build.py build --out DIR); the engine's CPython tests read that build's data too.
DIST = Path(os.environ.get('GLASSBOX_DIST', str(ROOT / 'dist')))
os.environ.setdefault('GLASSBOX_DATA_DIR', str(DIST / 'data'))


@pytest.fixture(scope='session')
def dist_dir() -> Path:
    """The built site (``python build.py test`` builds it first; built here when missing)."""
    if not (DIST / 'runtime.json').exists():
        subprocess.run([sys.executable, str(ROOT / 'build.py'), 'build', '--out', str(DIST)], check=True, cwd=ROOT)
    return DIST


@pytest.fixture(scope='session')
def http_server():
    """Callable ``(root, isolation=True) -> base_url`` serving a folder on 127.0.0.1."""
    from build import make_server
    servers = []

    def start(root, isolation=True):
        server = make_server(Path(root), 0, isolation)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return 'http://127.0.0.1:%d/' % server.server_address[1]
    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope='session')
def site_url(dist_dir, http_server) -> str:
    return http_server(dist_dir)


@pytest.fixture(scope='session')
def browser():
    playwright_api = pytest.importorskip('playwright.sync_api')
    if not Path(CHROMIUM).exists():
        pytest.skip('Debian chromium is not installed (python build.py test installs it)')
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page(browser):
    """A fresh page whose console errors and uncaught exceptions are collected in ``page.errors``."""
    context = browser.new_context(viewport={'width': 1400, 'height': 1000})
    page = context.new_page()
    page.errors = []
    page.on('pageerror', lambda exc: page.errors.append(str(exc)))
    page.on('console', lambda msg: page.errors.append(msg.text) if msg.type == 'error' and 'favicon' not in msg.text and '404' not in msg.text else None)
    yield page
    context.close()


@pytest.fixture(scope='session')
def artifacts_dir() -> Path:
    path = ROOT / 'test-artifacts'
    path.mkdir(exist_ok=True)
    return path


def open_app(page, base_url, hash_=''):
    """Open the built page with URL state ``hash_`` and wait until window.glassbox is ready."""
    page.goto(base_url + 'index.html' + hash_)
    page.wait_for_function('window.glassbox && window.glassbox.ready', timeout=10_000)
    page.evaluate('window.glassbox.ready')
    return page
