"""The site with no network: site/js/offline.js registers dist/sw.js (build.py's build_service_worker,
workbox-build), which precaches the built site; after one visit the app and the lessons work offline.

Service workers are blocked in every other test's browser context (conftest.block_service_workers);
these tests open contexts with ``service_workers='allow'``. The update tests use a tiny site of their
own (offline.js, a probe page, a sw.js written by the same build function) so that they need no
Python runtime.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import time

import pytest
from conftest import DRAWN, READY_MS, collect_errors, frames, open_app

# Storing ~100 MB in the cache on a busy 2-core machine, after Pyodide has started.
STORED_MS = 240_000
OFFLINE_READY = '#offline-status[data-state="ready"]'
# Every <glassbox-view> of a lesson has drawn something (conftest.DRAWN counts shapes and ink).
ALL_VIEWS_DRAWN = ('() => { const drawn = %s; const views = [...document.querySelectorAll("glassbox-view")];'
                   ' return views.length > 0 && views.every((view) => drawn(view) > 0); }' % DRAWN)
MEASURED = {}  # written to test-artifacts/offline.json (reported, never asserted)
IGNORED = re.compile(r'^(sw\.js|.*-test\.html|bench/.*|vendor/bench/.*)$')  # build.py SW_IGNORE


def precache_urls(site):
    """The URLs sw.js precaches (workbox writes them as {url:"…",revision:"…"})."""
    return re.findall(r'url:"([^"]+)"', (site / 'sw.js').read_text())


@pytest.fixture(scope='module')
def visited(browser, site_url, dist_dir):
    """A context (service workers allowed) whose page has visited the app once and whose worker
    holds everything; each test goes offline in it."""
    if not (dist_dir / 'sw.js').exists():
        pytest.fail('the build wrote no sw.js (build.py build_service_worker)')
    context = browser.new_context(service_workers='allow', viewport={'width': 1280, 'height': 720})
    page = collect_errors(context.new_page())
    page.set_default_timeout(60_000)
    open_app(page, site_url, '#autoplay=false')
    started = time.monotonic()  # offline.js registers the worker once the app is ready
    page.wait_for_selector(OFFLINE_READY, timeout=STORED_MS)
    page.wait_for_function('navigator.serviceWorker.controller !== null')
    urls = precache_urls(dist_dir)
    MEASURED.update(files=len(urls), megabytes=round(sum((dist_dir / u).stat().st_size for u in urls) / 2 ** 20, 1),
                    seconds_from_ready_to_stored=round(time.monotonic() - started, 1),
                    cross_origin_isolated_online=page.evaluate('crossOriginIsolated'))
    yield context, page
    context.close()


def test_the_page_says_available_offline_once_every_file_is_stored(visited, dist_dir):
    context, page = visited
    status = page.locator('#offline-status')
    assert status.inner_text() == 'Available offline'
    assert status.get_attribute('role') == 'status'
    urls = precache_urls(dist_dir)
    assert int(status.get_attribute('data-files')) == len(urls)
    stored = page.evaluate("""async () => {
        const name = (await caches.keys()).find((key) => key.startsWith('workbox-precache'));
        return (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname.slice(1));
    }""")
    assert sorted(stored) == sorted(urls)
    # The whole runtime, data and tables; no test pages, no sw.js itself.
    for needed in ('index.html', 'js/main.js', 'js/offline.js', 'tables.json', 'runtime.json', 'vendor/d3.min.js'):
        assert needed in urls
    assert any(u.startswith('data/') for u in urls) and any(u.endswith('.wasm') for u in urls)
    assert not [u for u in urls if IGNORED.match(u)]
    # Every other file of the build: none was left out (workbox skips a file over its size limit).
    built = {p.relative_to(dist_dir).as_posix() for p in dist_dir.rglob('*') if p.is_file()}
    assert sorted(u for u in built if not IGNORED.match(u)) == sorted(urls)
    assert not page.errors, page.errors


def test_after_one_visit_the_app_starts_trains_and_draws_with_no_network(visited, artifacts_dir):
    context, page = visited
    failed = []
    page.on('requestfailed', lambda request: failed.append(request.url))
    context.set_offline(True)
    try:
        page.errors.clear()
        reloaded = time.monotonic()
        page.reload()
        page.wait_for_function('window.glassbox && window.glassbox.ready', timeout=READY_MS)
        page.evaluate('window.glassbox.ready')
        state = page.evaluate('window.glassbox.train({steps: 5})')
        assert state['step'] == 5 and state['error'] is None
        frames(page)
        assert page.evaluate(DRAWN, page.locator('#network-view').element_handle()) > 10
        page.wait_for_selector(OFFLINE_READY)
        page.screenshot(path=str(artifacts_dir / 'offline-app-trained.png'))
        assert not page.errors and not failed, (page.errors, failed)
        # The cached page keeps its COOP/COEP headers: threads stay available offline.
        assert page.evaluate('crossOriginIsolated') == MEASURED['cross_origin_isolated_online']
        MEASURED['offline_reload_to_trained_5_steps_s'] = round(time.monotonic() - reloaded, 1)
        (artifacts_dir / 'offline.json').write_text(json.dumps(MEASURED, indent=1))
        # The network is really off: a file on the server that the worker does not hold fails.
        missing = page.evaluate("fetch('mount-test.html').then((r) => 'fetched ' + r.status, (e) => e.name)")
        assert missing == 'TypeError', missing
        assert [url.rsplit('/', 1)[-1] for url in failed] == ['mount-test.html']
    finally:
        context.set_offline(False)


def test_the_lessons_load_with_no_network(visited, site_url, dist_dir, artifacts_dir):
    lessons = sorted((dist_dir / 'lessons').glob('*.html'))
    if not lessons:
        pytest.skip('this build has no lessons (dist/lessons/)')
    context, _ = visited
    context.set_offline(True)
    page = collect_errors(context.new_page())
    try:
        for path in lessons:
            response = page.goto(site_url + 'lessons/' + path.name)
            assert response.ok and response.from_service_worker, path.name
            heading = page.locator('h1').first
            assert heading.is_visible() and heading.inner_text().strip(), path.name
            if path.name == 'index.html':
                page.screenshot(path=str(artifacts_dir / 'offline-lessons-index.png'))
        # A lesson's live views start the engine and draw from the cache too.
        first = next((p.name for p in lessons if '<glassbox-view' in p.read_text()), None)
        if first:
            page.goto(site_url + 'lessons/' + first)
            page.wait_for_function(ALL_VIEWS_DRAWN, timeout=READY_MS)
            page.locator('glassbox-view').first.scroll_into_view_if_needed()
            page.screenshot(path=str(artifacts_dir / 'offline-lesson-views.png'))
        assert not page.errors, page.errors
    finally:
        page.close()
        context.set_offline(False)


# ---------------------------------------------------------------- updates, on a tiny site

PROBE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>probe</title><link rel="icon" href="data:,"></head>
<body><header></header><main><h1 id="version">%s</h1></main>
<script type="module">
import {registerOffline} from './js/offline.js';
window.offline = registerOffline();
</script></body></html>"""


def test_a_lesson_visited_first_makes_the_whole_site_available_offline(browser, site_url, dist_dir):
    """A student who starts with a lesson, not the app: the lesson page registers the worker too."""
    lesson = sorted(p.name for p in (dist_dir / 'lessons').glob('0*.html'))[0]
    context = browser.new_context(service_workers='allow', viewport={'width': 1280, 'height': 720})
    page = collect_errors(context.new_page())
    try:
        page.goto(site_url + 'lessons/' + lesson)
        page.wait_for_selector('.lesson-top ' + OFFLINE_READY, timeout=STORED_MS)
        context.set_offline(True)
        page.goto(site_url + 'index.html#autoplay=false')
        page.wait_for_function('window.glassbox && window.glassbox.ready', timeout=READY_MS)
        page.evaluate('window.glassbox.ready')
        assert page.evaluate('glassbox.state().status') == 'paused'
    finally:
        context.close()


def write_probe_site(site, version):
    """(Re)write the probe page, then sw.js with the build's own function (a rebuild)."""
    from build import build_service_worker
    probe = site / 'probe.html'
    if probe.exists():
        probe.unlink()
    probe.write_text(PROBE % version)
    return build_service_worker(site)


@pytest.fixture()
def probe_site(tmp_path, dist_dir, http_server):
    site = tmp_path / 'site'
    (site / 'js').mkdir(parents=True)
    shutil.copyfile(dist_dir / 'js' / 'offline.js', site / 'js' / 'offline.js')
    write_probe_site(site, 'v1')
    return site, http_server(site)


@pytest.fixture()
def probe_page(browser, probe_site):
    """(site, page): the probe page opened with service workers allowed, its worker ready (v1)."""
    site, url = probe_site
    context = browser.new_context(service_workers='allow')
    page = collect_errors(context.new_page())
    page.goto(url + 'probe.html')
    assert page.evaluate('window.offline')['state'] == 'ready'
    yield site, page
    context.close()


def test_a_rebuilt_site_replaces_what_an_untouched_page_shows_on_the_next_reload(probe_page):
    site, page = probe_page
    assert page.locator('#offline-status').inner_text() == 'Available offline'
    result = write_probe_site(site, 'v2')
    assert result['count'] == 2  # probe.html and js/offline.js
    page.reload()  # served by the old worker (v1), which finds and installs the new one...
    page.wait_for_function("document.getElementById('version').textContent === 'v2'", timeout=30_000)
    page.wait_for_selector(OFFLINE_READY)  # ...and the page reloaded itself once it took over
    assert not page.errors, page.errors


def test_a_page_someone_is_using_offers_the_reload_instead_of_reloading(probe_page):
    site, page = probe_page
    page.locator('#version').click()  # someone is using the page
    write_probe_site(site, 'v2')
    page.evaluate('navigator.serviceWorker.getRegistration().then((r) => r.update())')
    offer = page.get_by_role('button', name='A new version is ready: reload')
    offer.wait_for(timeout=30_000)
    assert page.locator('#version').inner_text() == 'v1'  # not reloaded under their hands
    offer.click()
    page.wait_for_function("document.getElementById('version').textContent === 'v2'", timeout=30_000)
    assert not page.errors, page.errors


def test_where_service_workers_are_blocked_nothing_is_shown_and_nothing_fails(browser, probe_site):
    _, url = probe_site
    context = browser.new_context()  # conftest: service workers blocked
    page = collect_errors(context.new_page())
    try:
        page.goto(url + 'probe.html')
        assert page.evaluate('window.offline') == {'state': 'unavailable'}
        assert page.locator('#offline-status').count() == 0
        assert page.evaluate('navigator.serviceWorker.controller') is None
        assert not page.errors, page.errors
    finally:
        context.close()


def test_a_build_without_workbox_names_the_problem(tmp_path, monkeypatch):
    import build
    (tmp_path / 'a.txt').write_text('a')
    monkeypatch.setattr(build, 'SW_MAX_FILE_BYTES', -1)  # workbox-build refuses it: a clear error, not a bad sw.js
    with pytest.raises(RuntimeError, match='workbox-build could not write sw.js'):
        build.build_service_worker(tmp_path)
    assert not (tmp_path / 'sw.js').exists()
    assert os.listdir(tmp_path) == ['a.txt']
