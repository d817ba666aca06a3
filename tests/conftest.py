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


def block_service_workers(browser):
    """New contexts and pages of ``browser`` block service workers unless a test passes
    ``service_workers='allow'`` (tests/test_offline_page.py): the site's worker precaches about
    100 MB after the app starts, which other tests neither need nor should wait behind."""
    for name in ('new_context', 'new_page'):
        create = getattr(browser, name)
        setattr(browser, name, lambda *a, _create=create, **kw: _create(*a, **{'service_workers': 'block', **kw}))
    return browser


@pytest.fixture(scope='session')
def browser():
    playwright_api = pytest.importorskip('playwright.sync_api')
    if not Path(CHROMIUM).exists():
        pytest.skip('Debian chromium is not installed (python build.py test installs it)')
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        block_service_workers(browser)
        yield browser
        browser.close()


def collect_errors(page):
    """Collect the page's console errors and uncaught exceptions in ``page.errors`` (none filtered)."""
    page.errors = []
    page.on('pageerror', lambda exc: page.errors.append(str(exc)))
    page.on('console', lambda msg: page.errors.append(msg.text) if msg.type == 'error' else None)
    return page


@pytest.fixture()
def page(browser):
    """A fresh page whose console errors and uncaught exceptions are collected in ``page.errors``.
    For tests of page load itself; the others share one started page through ``app``."""
    context = browser.new_context(viewport={'width': 1400, 'height': 1000})
    page = collect_errors(context.new_page())
    yield page
    context.close()


@pytest.fixture(scope='session')
def artifacts_dir() -> Path:
    path = ROOT / 'test-artifacts'
    path.mkdir(exist_ok=True)
    return path


# Pyodide's cold start on a busy 2-core machine can take 20 s or more: wait generously.
READY_MS = 90_000

# How much a view drew inside `host` (a JS function): visible SVG shapes, plus 100 when a canvas has ink.
DRAWN = """(host) => {
    const shapes = [...host.querySelectorAll('svg circle, svg rect, svg path, svg line, svg polyline, svg image')]
      .filter((e) => { const b = e.getBBox ? e.getBBox() : {width: 0, height: 0}; return b.width > 0 || b.height > 0; });
    const inked = [...host.querySelectorAll('canvas')].some((c) => {
      if (!c.width || !c.height) return false;
      const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < px.length; i += 4) if (px[i] > 0) return true;
      return false;
    });
    return shapes.length + (inked ? 100 : 0);
}"""


def open_app(page, base_url, hash_=''):
    """Open the built page with URL state ``hash_`` and wait until window.glassbox is ready."""
    page.goto(base_url + 'index.html' + hash_)
    page.wait_for_function('window.glassbox && window.glassbox.ready', timeout=READY_MS)
    page.evaluate('window.glassbox.ready')
    return page


def open_mounted(page, base_url, view):
    """Open site/mount-test.html: a blank page with ONE view mounted alone (embed.js's mountView);
    waits until the engine is ready. ``window.mounted`` is {view, app, destroy}."""
    page.goto(base_url + 'mount-test.html#view=' + view)
    page.wait_for_function('window.mounted && window.glassbox', timeout=READY_MS)
    page.evaluate('window.glassbox.ready')
    return page


def mount_alone(page, name):
    """On a page opened by open_mounted, replace the body with ONE view `name` mounted alone
    (``window.alone``), train 10 steps and wait until it has drawn."""
    page.evaluate("""async (name) => {
        const {mountView} = await import('./js/embed.js');
        const host = Object.assign(document.createElement('div'), {id: 'alone-' + name});
        document.body.replaceChildren(host);
        window.alone = await mountView(host, name);
        await window.glassbox.train({steps: 10});
    }""", name)
    page.wait_for_function('(name) => (%s)(document.getElementById("alone-" + name)) >= 3' % DRAWN,
                           arg=name, timeout=60_000)


# Puts the started page back into a known state through window.glassbox alone: training paused,
# only the run 'main', the schema's default settings (autoplay off) plus the test's own, a fresh
# model at step 0 (same seed, so the same weights as a freshly loaded page), notes and errors
# cleared, every panel expanded, the Advanced settings closed, nothing focused, scrolled to the top
# (the mode is the default's, page=train, unless the test asks for another). Views keep results per model shape, so the
# page first builds a model of another shape: every view then forgets the previous test's results,
# zoom and selections, as on a fresh page.
RESET_APP = """async (overrides) => {
    const gb = window.glassbox;
    const within = (promise, what) => Promise.race([promise, new Promise((_, reject) =>
        setTimeout(() => reject(new Error('reset: ' + what + ' took over 90 s')), 90000))]);
    await within(gb.ready, 'ready');
    await within(gb.pause(), 'pause');
    await within(gb.setRuns(['main']), 'setRuns');
    const target = {};
    for (const row of gb.schema) target[row.key] = structuredClone(row.default);
    target.autoplay = false;
    Object.assign(target, overrides);
    if (overrides.preset && overrides.preset !== 'none') {
        // a preset fixes the engine settings not given alongside it, as in a link
        for (const row of gb.schema) if (row.engine && !(row.key in overrides)) delete target[row.key];
    }
    const hidden = gb.state().layers.slice(1, -1);
    await within(gb.configure({hidden: hidden.length === 1 && hidden[0] === 1 ? [2] : [1]}), 'configure (another shape)');
    await within(gb.configure(target), 'configure');
    gb.store.set({notes: [], error: null});
    for (const toggle of document.querySelectorAll('.panel-toggle[aria-expanded="false"]')) toggle.click();
    document.querySelector('#advanced-settings')?.removeAttribute('open');
    if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
    window.scrollTo(0, 0);
    await within(gb.request('runtime'), 'engine round trip');  // the worker has answered all earlier requests
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    return gb.state();
}"""


VIEWPORT = {'width': 1400, 'height': 1000}


class SharedApp:
    """One started page for many tests (Pyodide starts once); ``fresh()`` opens a new one when the
    old one can no longer be reset (closed, crashed, engine error)."""

    def __init__(self, browser, base_url):
        self.browser, self.base_url = browser, base_url
        self.context = self.page = None
        self.starts = 0

    def fresh(self):
        self.close()
        self.context = self.browser.new_context(viewport=VIEWPORT)
        self.page = collect_errors(self.context.new_page())
        self.page.set_default_timeout(60_000)  # a busy 2-core machine
        self.starts += 1
        open_app(self.page, self.base_url, '#autoplay=false')
        return self.page

    def reset(self, settings):
        page = self.page or self.fresh()
        try:
            state = self._reset(page, settings)
        except Exception:  # noqa: BLE001 - any failure to reset: start over on a fresh page
            page = self.fresh()
            state = self._reset(page, settings)
        return page, state

    def _reset(self, page, settings):
        page.errors.clear()
        if page.viewport_size != VIEWPORT:  # a test that resized the window (modes, zoom)
            page.set_viewport_size(VIEWPORT)
        state = page.evaluate(RESET_APP, settings)
        if state['status'] != 'paused' or state['step'] != 0 or state['error']:
            raise RuntimeError('the shared page did not reset: %r' % {k: state[k] for k in ('status', 'step', 'error')})
        return state

    def close(self):
        if self.context is not None:
            self.context.close()
        self.context = self.page = None


def frames(page, n=2):
    """Wait until the page has drawn ``n`` more frames (what a view schedules with requestAnimationFrame)."""
    page.evaluate('(n) => new Promise((done) => { const f = (k) => (k ? requestAnimationFrame(() => f(k - 1)) : done()); f(n); })', n)


def follow_link(page, hash_):
    """Put ``hash_`` in the shared page's address (as a pasted link does) and wait until the model
    it asks for is built."""
    page.evaluate("""(hash) => new Promise((done, fail) => {
        if (location.hash === hash) fail(new Error('the page already shows ' + hash));
        window.addEventListener('hashchange', () => done(), {once: true}); location.hash = hash; })""", hash_)
    page.wait_for_function("""() => { const s = glassbox.state();
        return s.status === 'paused' && s.dataset === s.settings.dataset
          && JSON.stringify(s.layers.slice(1, -1)) === JSON.stringify(s.settings.hidden); }""", timeout=READY_MS)
    page.evaluate("glassbox.request('runtime')")
    frames(page)
    return page


@pytest.fixture(scope='session')
def shared_app(browser, site_url):
    holder = SharedApp(browser, site_url)
    yield holder
    holder.close()


def pytest_configure(config):
    config.addinivalue_line('markers', 'app_settings(**settings): settings the shared app is reset to '
                            '(glassbox.configure keys, on top of the defaults with autoplay off)')


@pytest.fixture()
def app(shared_app, request):
    """The shared started page, reset for this test (see RESET_APP): paused, default settings plus
    the test's ``@pytest.mark.app_settings(...)`` (merged with its module's), only run 'main', step 0, notes and errors cleared.
    Console errors and page errors are collected in ``page.errors`` from the start of the reset:
    errors the reset itself causes fail the test at set-up, named as such."""
    # Markers merge, the closest winning: a module's `pytestmark = pytest.mark.app_settings(page=...)`
    # keeps its mode under a test's own app_settings.
    settings = {}
    for marker in reversed(list(request.node.iter_markers('app_settings'))):
        settings.update(marker.kwargs)
    page, _ = shared_app.reset(settings)
    if page.errors:
        pytest.fail('console errors while resetting the shared page: %r' % page.errors)
    return page
