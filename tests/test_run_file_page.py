"""Run files and replay in the page: glassbox.exportRun's bytes load in CPython (glassbox.load_run)
and continue as the page does; a file made in CPython opens in the page; every bad file is named on
the page, as text, and the current run stays; the replay bar shows the network at an earlier step.

Screenshots: test-artifacts/run-file-*.png."""
from __future__ import annotations

import base64
import re

import numpy as np
import pytest
from conftest import READY_MS, frames

import glassbox
from glassbox.nn.backend import set_matmul_backend
from test_runfile import BAD_FILES, rewrite

EXPORT = """async () => { const bytes = await glassbox.exportRun(); let s = '';
    for (let i = 0; i < bytes.length; i += 32768) s += String.fromCharCode(...bytes.subarray(i, i + 32768));
    return btoa(s); }"""
LOAD = """async ([data, name]) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    try { return {ok: true, state: await glassbox.loadRun(name ? new File([bytes], name) : bytes)}; }
    catch (error) { return {ok: false, message: error.message}; }
}"""
# What must not change when a load fails: step, the engine's weights, settings, address, runs.
FINGERPRINT = """async () => { const snap = await glassbox.request('snapshot');
    const sum = (layers) => layers.reduce((t, l) => t + l.W.data.reduce((a, b) => a + b, 0) + l.b.data.reduce((a, b) => a + b, 0), 0);
    const s = glassbox.state();
    return {step: s.step, weights: sum(snap.snapshot.layers), settings: JSON.stringify(s.settings), hash: location.hash,
            runs: glassbox.runs(), layers: s.layers}; }"""
WEIGHTS = """async (run) => (await glassbox.request('snapshot', {run})).snapshot.layers.map((l) => [Array.from(l.W.data), Array.from(l.b.data)])"""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode('ascii')


def load(page, data: bytes, name=None):
    return page.evaluate(LOAD, [b64(data), name])


@pytest.fixture(scope='module')
def einsum():
    """The page's numpy multiplies with einsum (no BLAS in Pyodide): CPython does the same here."""
    set_matmul_backend('einsum')
    yield
    set_matmul_backend('matmul')


@pytest.mark.app_settings(hidden=[16], optimizer='adam', lr=0.01, batch_size=20, backend='numpy', seed=5)
def test_a_run_exported_in_the_page_continues_alike_in_cpython_and_comes_back(app, einsum, artifacts_dir):
    page = app
    page.evaluate('glassbox.train({steps: 30})')
    page.evaluate("glassbox.fork({lr: 0.002}, {play: false})")
    page.evaluate('glassbox.train({steps: 20})')  # main and the fork, side by side
    data = base64.b64decode(page.evaluate(EXPORT))
    session = glassbox.load_run(data)
    assert sorted(session.runs) == ['fork-1', 'main'] and session.trainer.step_count == 50
    np.testing.assert_array_equal(session.trainer.model.layers[0].W.ravel(),
                                  np.array(page.evaluate(WEIGHTS, 'main')[0][0], dtype=np.float32))
    page.evaluate('glassbox.train({steps: 25})')
    for run in ('main', 'fork-1'):
        session.train(25, run)
        mine = [a for layer in session.runs[run].model.layers for a in (layer.W.ravel(), layer.b)]
        theirs = [np.array(a, dtype=np.float32) for pair in page.evaluate(WEIGHTS, run) for a in pair]
        worst = max(float(np.max(np.abs(a - b))) for a, b in zip(mine, theirs))
        print('%s after 25 more steps: max |page - CPython| = %g' % (run, worst))
        assert worst <= 1e-5, worst
    # And back: the CPython session (now at step 75) opens in the page, forks included.
    state = load(page, glassbox.save_run(session), 'from-cpython.glassbox-run.zip')
    assert state['ok'], state
    assert state['state']['step'] == 75 and page.evaluate('glassbox.runs()') == ['main', 'fork-1']
    assert page.locator('#run-file-message').inner_text().startswith('Opened from-cpython.glassbox-run.zip: 2 runs')
    page.locator('.controls .run-file').scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / 'run-file-loaded.png'))
    assert not page.errors, page.errors


@pytest.fixture(scope='module')
def good_file():
    session = glassbox.Session()
    glassbox.handle_request(session, {'op': 'configure', 'config': {'hidden': [16, 8], 'seed': 3}})
    glassbox.handle_request(session, {'op': 'train', 'steps': 20})
    glassbox.handle_request(session, {'op': 'fork', 'changes': {'lr': 0.01}, 'id': 'slow'})
    return glassbox.save_run(session)


PAGE_CASES = ['empty file', 'random bytes', 'an HTML page', 'a truncated run file', 'a zip without manifest',
              'manifest of version 99', 'a checkpoint whose shapes disagree with the settings',
              'a dataset this Glassbox does not have', 'a zip bomb member']


def test_every_bad_run_file_is_named_and_the_current_run_stays(app, good_file, artifacts_dir):
    page = app
    page.evaluate('glassbox.train({steps: 3})')
    before = page.evaluate(FINGERPRINT)
    for case in PAGE_CASES:
        make, words = BAD_FILES[case]
        outcome = load(page, make(good_file), 'bad.zip')
        assert not outcome['ok'], case
        assert re.search(words, outcome['message']), (case, outcome['message'])
        shown = page.locator('#run-file-message').inner_text()
        assert shown.startswith('Could not open bad.zip: ') and 'The current run is unchanged' in shown, shown
        assert page.locator('#run-file-message').get_attribute('role') == 'alert'
        assert page.evaluate(FINGERPRINT) == before, case
    page.locator('.controls .run-file').scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / 'run-file-error.png'))
    assert page.evaluate('glassbox.state().status') == 'paused'
    assert page.evaluate('glassbox.train({steps: 2}).then((s) => s.step)') == 5
    assert not page.errors, page.errors


def test_markup_in_a_run_file_is_shown_as_text(app, good_file):
    page = app
    hostile = '<img src=x onerror="window.injected = 1">'
    blob = rewrite(good_file, manifest=lambda m: m['dataset'].update(name=hostile))
    outcome = load(page, blob, '<i>run</i>.zip')
    assert not outcome['ok'] and hostile in outcome['message']
    shown = page.locator('#run-file-message').inner_text()
    assert hostile in shown and '<i>run</i>.zip' in shown, shown
    assert page.evaluate("document.querySelectorAll('#run-file-message *').length") == 0
    assert page.evaluate('window.injected') is None


@pytest.mark.app_settings(hidden=[12], backend='numpy', speed=3)
def test_the_replay_bar_shows_an_earlier_step_and_live_returns(app, artifacts_dir):
    page = app
    page.evaluate('glassbox.train({steps: 60})')  # speed 3: a snapshot every 10 steps
    live = page.evaluate("glassbox.snapshot().layers[0].W.data.reduce((a, b) => a + b, 0)")
    shown = page.evaluate('glassbox.replay(20)')
    assert shown['step'] == 20 and shown['steps'][0] == 0 and shown['steps'][-1] == 60
    frames(page, 3)
    replay = page.evaluate("(() => { const r = glassbox.store.get().replay; return {active: r.active, step: r.step, w: r.snapshot.layers[0].W.data.reduce((a, b) => a + b, 0)}; })()")
    assert replay['active'] and replay['step'] == 20 and replay['w'] != live
    assert page.locator('#replay-step').inner_text().startswith('Step 20 of 60')
    assert 'showing step 20' in page.locator('#status').inner_text()
    # The keyboard moves through the recorded steps.
    page.focus('#replay-slider')
    page.keyboard.press('ArrowRight')
    page.wait_for_function("glassbox.store.get().replay.step === 30", timeout=READY_MS)
    # The curves mark the replayed step with a cursor, labelled on the loss chart.
    page.wait_for_function("document.querySelector('#curves-view text.gb-replay-cursor')?.textContent === 'replay: step 30'")
    page.locator('#replay-bar').scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / 'run-file-replay.png'))
    page.keyboard.press('Escape')
    page.wait_for_function("!glassbox.store.get().replay.active")
    assert page.locator('#replay-step').inner_text() == 'Live · step 60'
    page.wait_for_function("!document.querySelector('#curves-view .gb-replay-cursor')")
    page.evaluate('glassbox.replay(0)')
    page.evaluate('glassbox.train({steps: 5})')  # training goes back to live
    assert not page.evaluate('glassbox.store.get().replay.active') and page.evaluate('glassbox.state().step') == 65
    bad = page.evaluate("glassbox.replay('x').then(() => null, (e) => e.message)")
    assert 'step must be a step number' in bad
    assert not page.errors, page.errors
