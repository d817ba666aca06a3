"""The built site in headless Chromium, offline: it loads, trains through window.glassbox, draws.

Timings measured here are written to test-artifacts/browser-timings.json (reported, never
asserted: these machines are noisy; speed targets live in benchmarks/).

Most tests share one started page (the ``app`` fixture, reset between tests). Tests of page load
itself take a fresh ``page``: the default page autostarts (and times its first step), hostile URL
state on load, no COOP/COEP headers, the modern builds, engine restart, and scikit-learn not
loaded at start-up (a shared page may have loaded it for the module panel).
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import READY_MS, follow_link, frames, open_app

READY_TIMEOUT_MS = READY_MS
TIMINGS = {}


def drawing_signature(page):
    """Fill colours of the network's neurons and widths of its edges, as one string."""
    return page.evaluate("""() => {
        const host = document.querySelector('#network-view');
        const parts = [...host.querySelectorAll('circle, rect, path, line')].slice(0, 4000)
          .map(e => (e.getAttribute('fill') || '') + (e.style.fill || '') + (e.getAttribute('stroke-width') || '') + (e.getAttribute('opacity') || ''));
        const canvases = [...host.querySelectorAll('canvas')].map(c => c.toDataURL().length + ':' + c.toDataURL().slice(-200));
        return parts.join('|') + '#' + canvases.join('|');
    }""")


def save_timings():
    from conftest import ROOT
    path = ROOT / 'test-artifacts' / 'browser-timings.json'
    path.parent.mkdir(exist_ok=True)
    old = json.loads(path.read_text()) if path.exists() else {}
    old.update(TIMINGS)
    path.write_text(json.dumps(old, indent=1))


def test_default_page_starts_training_digits_on_its_own(page, site_url, artifacts_dir):
    page.goto(site_url + 'index.html')
    page.wait_for_function('window.glassbox && window.glassbox.state().step > 0', timeout=READY_TIMEOUT_MS)
    state = page.evaluate('window.glassbox.state()')
    assert state['layers'] == [64, 32, 10]
    assert state['runtime']['python'].startswith('3.')
    assert page.locator('#runtime').inner_text().startswith('Pyodide')
    TIMINGS['navigation_to_first_step_ms'] = round(state['timing']['firstStepSinceNavigationMs'])
    page.wait_for_function('window.glassbox.state().valAccuracy > 0.5', timeout=60_000)
    page.screenshot(path=str(artifacts_dir / 'site-digits-training.png'))
    assert not page.errors, page.errors
    save_timings()


def test_training_through_the_api_lowers_the_loss_and_changes_the_drawing(app, artifacts_dir):
    page = app
    first = page.evaluate('window.glassbox.state()')
    assert first['step'] == 0 and first['status'] == 'paused'
    page.evaluate('window.glassbox.train({steps: 10})')
    frames(page)  # let the view draw the newest snapshot
    before = drawing_signature(page)
    early = page.evaluate('window.glassbox.state()')
    seen = page.evaluate("""async () => {
        const steps = [];
        const off = window.glassbox.on('snapshot', s => steps.push(s.step));
        const t0 = performance.now();
        await window.glassbox.train({steps: 300});
        off();
        return {steps, ms: performance.now() - t0};
    }""")
    frames(page)
    after_state = page.evaluate('window.glassbox.state()')
    assert after_state['step'] == early['step'] + 300
    assert seen['steps'] == sorted(seen['steps']) and len(seen['steps']) >= 3
    assert after_state['valLoss'] < early['valLoss']
    assert after_state['valAccuracy'] > 0.85
    assert drawing_signature(page) != before
    TIMINGS['digits_64_32_10_ms_per_step'] = round(seen['ms'] / 300, 3)
    page.screenshot(path=str(artifacts_dir / 'site-digits-after-300-steps.png'))
    assert not page.errors, page.errors
    save_timings()


def test_garbage_url_state_falls_back_to_defaults_with_a_visible_note(page, site_url, artifacts_dir):
    dialogs = []
    page.on('dialog', lambda d: (dialogs.append(d.message), d.dismiss()))
    hostile = ('#lr=banana&hidden=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&dataset=../../etc/passwd'
               '&zzz=1&seed=-5&batch_size=1e400&probe=<b>x</b>&autoplay=false')
    open_app(page, site_url, hostile)
    state = page.evaluate('window.glassbox.state()')
    assert state['settings']['lr'] == 0.1
    assert state['settings']['hidden'] == [32]
    assert state['settings']['dataset'] == 'digits'
    assert state['settings']['seed'] == 0
    notes = page.locator('#notes')
    assert notes.is_visible()
    text = notes.inner_text()
    for key in ('lr=banana', 'dataset=', 'zzz', 'seed=-5', 'batch_size'):
        assert key in text
    assert page.locator('#notes img').count() == 0 and page.locator('#notes b').count() == 0
    page.evaluate('window.glassbox.train({steps: 20})')
    assert page.evaluate('window.glassbox.state().step') == 20
    page.screenshot(path=str(artifacts_dir / 'site-garbage-url.png'))
    assert not dialogs and not page.errors, (dialogs, page.errors)


def test_settings_round_trip_through_the_url(app):
    page = follow_link(app, '#hidden=16,8&activation=tanh&lr=0.05&autoplay=false')
    state = page.evaluate('window.glassbox.state()')
    assert state['layers'] == [64, 16, 8, 10]
    assert state['settings']['activation'] == 'tanh'
    page.evaluate("window.glassbox.configure({optimizer: 'adam', lr: 0.01})")
    assert 'optimizer=adam' in page.url and 'lr=0.01' in page.url


def test_learning_rate_changes_mid_training_without_a_reset(app):
    page = app
    page.evaluate('window.glassbox.train()')
    page.wait_for_function('window.glassbox.state().step >= 30', timeout=30_000)
    page.evaluate('window.glassbox.configure({lr: 0.02})')
    step_after_change = page.evaluate('window.glassbox.state().step')
    page.wait_for_function('window.glassbox.state().step > %d + 20' % step_after_change, timeout=30_000)
    state = page.evaluate('window.glassbox.pause()')
    assert state['status'] == 'paused' and state['lr'] == 0.02
    assert page.evaluate('window.glassbox.snapshot().lr') == pytest.approx(0.02)


def test_invalid_value_typed_into_a_control_is_explained_and_the_model_kept(app):
    page = app
    page.fill('#setting-hidden', '32,abc')
    page.press('#setting-hidden', 'Enter')
    page.locator('#setting-hidden').blur()
    page.wait_for_function("[...document.querySelectorAll('.field-error')].some((e) => e.innerText.includes('comma-separated'))",
                           timeout=10_000)
    assert 'comma-separated' in page.locator('.field-error').first.inner_text() or \
        'comma-separated' in ' '.join(page.locator('.field-error').all_inner_texts())
    assert page.evaluate('window.glassbox.state().layers') == [64, 32, 10]
    page.evaluate('window.glassbox.train({steps: 5})')
    assert page.evaluate('window.glassbox.state().step') == 5


def test_mnist_784_128_64_10_trains_and_is_drawn(app, artifacts_dir):
    page = app
    page.evaluate("window.glassbox.configure({dataset: 'mnist', hidden: [128, 64]})")
    state = page.evaluate('window.glassbox.state()')
    assert state['layers'] == [784, 128, 64, 10]
    elapsed = page.evaluate("""async () => {
        await window.glassbox.configure({speed: 4});
        const t0 = performance.now();
        await window.glassbox.train({steps: 100});
        return performance.now() - t0;
    }""")
    state = page.evaluate('window.glassbox.state()')
    assert state['step'] == 100 and state['valAccuracy'] > 0.5
    TIMINGS['mnist_784_128_64_10_ms_per_step'] = round(elapsed / 100, 3)
    frames(page)
    count = page.evaluate("document.querySelectorAll('#network-view *').length")
    assert count < 5000
    page.screenshot(path=str(artifacts_dir / 'site-mnist.png'))
    assert not page.errors, page.errors
    save_timings()


def test_page_works_without_cross_origin_isolation_headers(page, dist_dir, http_server):
    base = http_server(dist_dir, isolation=False)
    open_app(page, base, '#autoplay=false')
    assert page.evaluate('self.crossOriginIsolated') is False
    page.evaluate('window.glassbox.train({steps: 10})')
    assert page.evaluate('window.glassbox.state().step') == 10


def test_modern_runtime_without_its_wheels_says_so_instead_of_hanging(page, http_server, tmp_path, artifacts_dir):
    from conftest import ROOT
    out = tmp_path / 'modern'
    subprocess.run([sys.executable, str(ROOT / 'build.py'), 'build', '--runtime', 'modern', '--out', str(out)],
                   check=True, cwd=ROOT, capture_output=True)
    runtime = json.loads((out / 'runtime.json').read_text())
    if runtime['name'] == 'modern' and not runtime.get('missingWheels'):
        pytest.skip('the modern wheels were downloadable here, so nothing is missing')
    base = http_server(out)
    page.goto(base + 'index.html')
    page.wait_for_function("document.querySelector('#error') && !document.querySelector('#error').hidden", timeout=30_000)
    message = page.locator('#error-text').inner_text()
    assert 'wheels are missing' in message and '--runtime offline' in message
    assert page.evaluate('window.glassbox.state().status') == 'error'
    page.screenshot(path=str(artifacts_dir / 'site-modern-missing-wheels.png'))


def test_engine_restart_recovers_a_working_session(page, site_url):
    open_app(page, site_url, '#autoplay=false&hidden=8')
    page.evaluate('window.glassbox.train({steps: 5})')
    page.evaluate('window.glassbox.restartEngine()')
    state = page.evaluate('window.glassbox.state()')
    assert state['step'] == 0 and state['layers'] == [64, 8, 10]
    page.evaluate('window.glassbox.train({steps: 5})')
    assert page.evaluate('window.glassbox.state().step') == 5


def test_modern_runtime_core_starts_in_a_module_worker_and_names_a_broken_numpy(page, http_server, tmp_path):
    """Pyodide 314 only runs in module workers; a build that claims wheels it lacks fails clearly."""
    from conftest import ROOT
    out = tmp_path / 'modern-claims'
    subprocess.run([sys.executable, str(ROOT / 'build.py'), 'build', '--runtime', 'modern', '--out', str(out)],
                   check=True, cwd=ROOT, capture_output=True)
    runtime = json.loads((out / 'runtime.json').read_text())
    if not runtime.get('missingWheels'):
        pytest.skip('the modern wheels are present here, so numpy loads')
    runtime['missingWheels'] = []
    (out / 'runtime.json').write_text(json.dumps(runtime))
    base = http_server(out)
    page.goto(base + 'index.html')
    page.wait_for_function("!document.querySelector('#error').hidden", timeout=60_000)
    message = page.locator('#error-text').inner_text()
    assert 'numpy could not be loaded' in message and runtime['pyodide'] in message


def test_scikit_learn_loads_on_first_use_not_at_start_up(page, site_url):
    open_app(page, site_url, '#autoplay=false')
    before = page.evaluate("window.glassbox.request('runtime')")
    assert before['sklearn'] is None  # start-up never waits for scikit-learn
    after = page.evaluate("window.glassbox.request('runtime', {packages: ['scikit-learn']})")
    assert after['sklearn'] and after['scipy']
    page.evaluate('window.glassbox.train({steps: 5})')
    assert page.evaluate('window.glassbox.state().step') == 5


def test_panels_collapse_and_expand_from_the_keyboard(app):
    page = app
    toggle = page.locator('[data-panel="network"] .panel-toggle')
    assert toggle.get_attribute('aria-expanded') == 'true'
    assert page.locator('#network-view').is_visible()
    toggle.focus()
    page.keyboard.press('Enter')
    assert toggle.get_attribute('aria-expanded') == 'false'
    assert not page.locator('#network-view').is_visible()
    assert page.locator('[data-panel="network"] .panel-title').inner_text() == 'Network'
    page.keyboard.press('Enter')
    assert page.locator('#network-view').is_visible()
    page.evaluate('window.glassbox.train({steps: 5})')
    assert page.locator('#network-view svg').count() >= 1
