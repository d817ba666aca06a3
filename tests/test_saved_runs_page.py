"""Saved runs in the browser (site/js/state/saved-runs.js, app/sources/autosave.js, ui/saved-runs-ui.js):
a run resumed after a reload continues bit for bit, a second tab gets a copy, a full storage is
named and loses nothing, a restarted engine gets the last save back, and a page without storage
says so and trains.

The tests share one browser context (one IndexedDB), in order: each starts the page the way its
case needs (Pyodide starts in a few seconds on an idle machine)."""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from conftest import READY_MS, ROOT, collect_errors, frames, open_app

HASH = '#autoplay=false&backend=numpy'   # numpy trains every chunk: the same steps every time
K, N = 40, 30                            # steps before the save, steps after it

# The main run's weights and biases (every layer, as plain numbers) and its training loss.
WEIGHTS = """() => { const s = glassbox.snapshot();
    return {step: s.step, loss: s.train.loss,
            params: s.layers.map((l) => [Array.from(l.W.data), Array.from(l.b.data)])}; }"""


@pytest.fixture(scope='module')
def context(browser):
    context = browser.new_context(viewport={'width': 1400, 'height': 1000})
    yield context
    context.close()


@pytest.fixture(scope='module')
def tab(context, site_url):
    """The first tab, started with HASH; tests go on from where the previous one left it."""
    page = collect_errors(context.new_page())
    page.set_default_timeout(READY_MS)
    open_app(page, site_url, HASH)
    return page


def test_a_run_resumed_after_a_reload_continues_bit_identically(tab, site_url, artifacts_dir):
    tab.evaluate('(k) => glassbox.train({steps: k})', K)
    save = tab.evaluate('glassbox.savedRuns.saveNow()')
    assert save['step'] == K and save['bytes'] > 10_000 and save['name'] == 'digits 64-32-10'

    tab.reload()   # a fresh page, engine and run
    tab.wait_for_selector('#saved-offer:not([hidden])')
    assert tab.text_content('#saved-offer-text').startswith(f'Resume your run from step {K} (digits 64-32-10, saved ')
    tab.wait_for_function('glassbox.state().status === "paused"')
    tab.screenshot(path=str(artifacts_dir / 'saved-runs-offer.png'))
    tab.click('#saved-offer-resume')
    tab.wait_for_function('(k) => glassbox.state().step === k && glassbox.state().status === "paused"', arg=K)
    assert tab.is_hidden('#saved-offer')
    assert tab.evaluate('glassbox.savedRuns.status().current.id') == save['id']  # the same run goes on
    tab.evaluate('(n) => glassbox.train({steps: n})', N)
    resumed = tab.evaluate(WEIGHTS)

    tab.evaluate('glassbox.reset()')         # same settings and seed: the uninterrupted run
    tab.evaluate('(n) => glassbox.train({steps: n})', K + N)
    uninterrupted = tab.evaluate(WEIGHTS)
    assert resumed['step'] == uninterrupted['step'] == K + N
    assert resumed['loss'] == uninterrupted['loss']
    assert resumed['params'] == uninterrupted['params']
    assert tab.errors == []


def test_a_second_tab_opening_the_same_run_continues_a_copy(tab, context, site_url):
    # The first tab's run is saved on pause (it holds the run's lock while it is its main run).
    tab.wait_for_function('''() => { const s = glassbox.savedRuns.status();
        return s.lastSave && s.lastSave.id === s.current.id && s.lastSave.step === glassbox.state().step; }''')
    first = [r for r in tab.evaluate('glassbox.savedRuns.list()') if r['current']][0]
    assert tab.evaluate('glassbox.savedRuns.status().current.id') == first['id'] and first['step'] == K + N

    second = collect_errors(context.new_page())
    second.set_default_timeout(READY_MS)
    open_app(second, site_url, HASH + '&resume=' + first['id'])
    second.wait_for_function('glassbox.state().step > 0')
    status = second.evaluate('glassbox.savedRuns.status()')
    assert status['current']['forkedFrom'] == first['id'] and status['current']['id'] != first['id']
    assert second.evaluate('glassbox.state().step') == first['step']
    assert 'open in another tab' in second.text_content('#saved-problem-text')
    assert 'resume=' not in second.evaluate('location.hash')   # read once
    second.evaluate('glassbox.train({steps: 5})')
    copy = second.evaluate('glassbox.savedRuns.saveNow()')
    runs = {r['id']: r for r in tab.evaluate('glassbox.savedRuns.list()')}
    assert runs[first['id']]['step'] == first['step'] and runs[first['id']]['savedAt'] == first['savedAt']
    assert runs[copy['id']]['step'] == first['step'] + 5
    assert second.errors == []
    second.close()


def test_storage_full_is_named_and_loses_nothing(tab, artifacts_dir):
    before = tab.evaluate('glassbox.savedRuns.saveNow()')
    tab.evaluate("glassbox.savedRuns.testHooks.failWrites('QuotaExceededError')")
    try:
        tab.evaluate('glassbox.train({steps: 10})')
        message = tab.evaluate('glassbox.savedRuns.saveNow().then(() => null, (e) => e.message)')
        assert message.startswith('Storage is full: this run (') and 'could not be saved. Delete old saved runs or download a run file.' in message
        assert tab.text_content('#saved-problem-text') == message
        assert tab.is_visible('#saved-problem-list') and tab.is_visible('#saved-problem-download')
        tab.screenshot(path=str(artifacts_dir / 'saved-runs-quota.png'))
        with tab.expect_download() as download:   # the other way to keep the run: its file
            tab.click('#saved-problem-download')
        assert download.value.suggested_filename.endswith('.glassbox-run.zip')
        assert open(download.value.path(), 'rb').read(2) == b'PK'   # a zip
        tab.click('#saved-problem-list')   # the list, with what the browser allows (navigator.storage.estimate)
        tab.wait_for_selector('#saved-runs-table tbody tr')
        assert 'this browser allows it' in tab.text_content('#saved-runs-usage')
        tab.click('#saved-runs-close')
        step = tab.evaluate('glassbox.state().step')
        assert tab.evaluate('glassbox.train({steps: 10})')['step'] == step + 10   # training goes on
        kept = [r for r in tab.evaluate('glassbox.savedRuns.list()') if r['id'] == before['id']][0]
        assert kept['step'] == before['step'] and kept['savedAt'] == before['savedAt']   # previous save intact
    finally:
        tab.evaluate('glassbox.savedRuns.testHooks.failWrites(null)')
    assert tab.evaluate('glassbox.savedRuns.saveNow()')['step'] == before['step'] + 20
    assert tab.is_hidden('#saved-problem')


def test_the_list_renames_deletes_with_undo_and_shows_names_as_text_and_names_a_missing_run(tab, artifacts_dir):
    runs = tab.evaluate('glassbox.savedRuns.list()')
    other = [r for r in runs if not r['current']][0]
    tab.click('#saved-runs-button')
    row = f'#saved-runs-table tr[data-id="{other["id"]}"]'
    tab.click(row + ' button:has-text("Rename")')
    hostile = '<img src=x onerror="window.hacked=1">'
    tab.fill(row + ' input', hostile)
    tab.keyboard.press('Enter')
    tab.wait_for_function('(id) => glassbox.savedRuns.list().then((r) => r.find((m) => m.id === id).name.startsWith("<img"))', arg=other['id'])
    tab.wait_for_selector(row + ' .saved-name span')
    assert tab.text_content(row + ' .saved-name span') == hostile
    assert tab.evaluate('window.hacked') is None and tab.query_selector('#saved-runs-table img') is None
    tab.click(row + ' button:has-text("Delete")')
    tab.wait_for_selector('#saved-runs-undo:not([hidden])')
    assert tab.query_selector(row) is None
    assert tab.evaluate('document.activeElement.id') == 'saved-runs-undo-button'   # keyboard: Undo is focused
    tab.screenshot(path=str(artifacts_dir / 'saved-runs-list.png'))
    tab.keyboard.press('Enter')
    tab.wait_for_selector(row)
    assert [r['step'] for r in tab.evaluate('glassbox.savedRuns.list()') if r['id'] == other['id']] == [other['step']]
    tab.keyboard.press('Escape')   # a modal dialog closes with Escape
    assert not tab.evaluate("document.getElementById('saved-runs-dialog').open")
    missing = tab.evaluate("glassbox.savedRuns.open('run-gone').then(() => null, (e) => e.message)")
    assert missing.startswith('there is no saved run "run-gone" in this browser')
    assert tab.evaluate("glassbox.savedRuns.open('<b>').then(() => null, (e) => e.message)") == '"<b>" is not a saved run id'


def test_restarting_a_crashed_engine_restores_the_last_save_with_the_users_data(tab):
    # The user's own data lives in the worker only: the save carries it back to a fresh one.
    csv = 'a,b,label\n' + '\n'.join('%g,%g,%d' % ((i % 7) / 7, (i % 5) / 5, i % 2) for i in range(200))
    assert tab.evaluate('(csv) => glassbox.loadData(new File([csv], "mine.csv")).then((s) => s.dataset)', csv) == 'user'
    tab.evaluate('glassbox.savedRuns.testHooks.autosave(false)')   # the save below stays the last
    save = tab.evaluate('glassbox.train({steps: 10}).then(() => glassbox.savedRuns.saveNow())')
    assert save['dataset'] == 'user' and save['layers'] == [2, 32, 2]
    tab.evaluate('glassbox.train({steps: 10})')
    tab.evaluate('glassbox.debug.killEngine()')   # the worker dies without a word; the heartbeat names it
    tab.wait_for_selector('#error-restart:not([hidden])')
    tab.click('#error-restart')
    tab.wait_for_function('(step) => glassbox.state().status === "paused" && glassbox.state().step === step', arg=save['step'])
    assert tab.evaluate('glassbox.state().notes') == [f"Restored from the save at step {save['step']:,}."]
    assert tab.text_content('#notes-list') == f"Restored from the save at step {save['step']:,}."
    assert tab.evaluate('glassbox.savedRuns.status().current.id') == save['id']
    assert tab.evaluate('glassbox.train({steps: 5})')['step'] == save['step'] + 5
    assert tab.evaluate("glassbox.configure({dataset: 'user', hidden: [4]}).then((s) => s.layers)") == [2, 4, 2]
    tab.evaluate('glassbox.savedRuns.testHooks.autosave(true)')


def test_a_page_without_storage_says_so_once_and_trains(browser, site_url, artifacts_dir):
    context = browser.new_context(viewport={'width': 1400, 'height': 1000})
    # What a sandboxed frame or some private modes do: touching indexedDB throws.
    context.add_init_script("""Object.defineProperty(window, 'indexedDB', {configurable: true,
        get() { throw new DOMException('The user denied permission to access the database.', 'SecurityError'); }});""")
    try:
        page = collect_errors(context.new_page())
        page.set_default_timeout(READY_MS)
        open_app(page, site_url, '')   # autoplay on, as a student opens it
        page.wait_for_function('glassbox.state().step > 0')
        text = page.text_content('#saved-problem-text')
        assert text.startswith('Runs are not saved in this browser (storage unavailable: SecurityError: The user denied')
        assert page.is_disabled('#saved-runs-button')
        frames(page)
        page.screenshot(path=str(artifacts_dir / 'saved-runs-unavailable.png'))
        page.click('#saved-problem-dismiss')
        assert page.is_hidden('#saved-problem')
        assert page.evaluate('glassbox.savedRuns.list().then(() => "", (e) => e.message)').startswith('Runs are not saved in this browser')
        assert page.evaluate('glassbox.pause()')['step'] > 0 and page.errors == []
    finally:
        context.close()


def test_offer_text_sizes_and_the_resume_key_read_as_a_student_expects(dist_dir):
    script = """
    import {offerText, ago} from './site/js/ui/saved-runs-ui.js';
    import {formatBytes, hashOf} from './site/js/state/saved-runs.js';
    import {makeSchema} from './site/js/state/url-state.js';
    import fs from 'fs';
    const u = makeSchema(JSON.parse(fs.readFileSync(process.env.TABLES, 'utf8')));
    const now = Date.UTC(2026, 0, 1);
    const meta = {name: 'digits 64-32-10', dataset: 'digits', layers: [64, 32, 10], step: 1510, savedAt: now - 120000};
    console.log(JSON.stringify({
      offer: offerText(meta, now), renamed: offerText({...meta, name: 'Mine'}, now),
      ago: [ago(now - 2000, now), ago(now - 40000, now), ago(now - 7200000, now)],
      bytes: [formatBytes(812), formatBytes(74252), formatBytes(3.2e6)],
      hash: [hashOf({a: 1}) === hashOf({a: 1}), hashOf({a: 1}) === hashOf({a: 2})],
      resume: [u.parseHash('#resume=run-mx5y9end-y3j2bc').state.resume, u.parseHash('#resume=%3Cb%3E').notes]}));
    """
    env = {**os.environ, 'TABLES': str(dist_dir / 'tables.json')}
    out = json.loads(subprocess.run(['node', '--input-type=module', '-e', script], cwd=ROOT, check=True,
                                    capture_output=True, text=True, env=env).stdout)
    assert out['offer'] == 'Resume your run from step 1,510 (digits 64-32-10, saved 2 min ago)?'
    assert out['renamed'] == 'Resume “Mine” from step 1,510 (digits 64-32-10, saved 2 min ago)?'
    assert out['ago'] == ['just now', '40 s ago', '2 h ago']
    assert out['bytes'] == ['812 B', '74 kB', '3.2 MB']
    assert out['hash'] == [True, False]
    assert out['resume'][0] == 'run-mx5y9end-y3j2bc'
    assert out['resume'][1] == ["Ignored resume=<b>: Resume saved run must be a saved run's id (letters, digits, - and _); using the default."]
