"""The health feature's page structure (issue 9): one data source owning the store's `health`
slice (site/js/app/sources/health.js), views that follow the view contract and never read the
store or call the engine, and a health view mounted alone whose user actions reach the source.
The source's tests run in node against a stand-in app; the last test uses the built site."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import open_mounted

ROOT = Path(__file__).resolve().parents[1]
JS = ROOT / 'site' / 'js'
HEALTH_VIEWS = sorted(p for p in (JS / 'views' / 'health').glob('*.js') if p.name != 'health-common.js')
needs_node = pytest.mark.skipif(shutil.which('node') is None, reason='node is not installed')

# A stand-in for window.glassbox: the real store, events fired by hand, engine answers made up.
FAKE_APP = """
import {createStore} from '%(store)s';
import {healthSourceFor} from '%(source)s';
const listeners = {run: new Set(), runs: new Set()};
let runs = ['main'], holdHistory = null;
const summary = (step) => ({step, finite: true, val_loss: 1 / (step + 1),
  layers: [{neuron_act: {dtype: 'float32', shape: [2], data: new Float32Array([1, 2])}, hist: {}}]});
const fire = (event, value) => listeners[event].forEach((fn) => fn(value));
const app = {
  store: createStore({info: null}),
  ready: Promise.resolve(),
  on: (event, fn) => { listeners[event].add(fn); return () => listeners[event].delete(fn); },
  runs: () => runs.slice(),
  async setRuns(ids) { runs = ['main', ...ids.filter((r) => r !== 'main')]; fire('runs', runs.slice()); return runs.slice(); },
  async request(op, args) {
    if (op === 'health_history') { await holdHistory; return {summaries: [summary(0), summary(10), summary(20)]}; }
    if (op === 'health') return {alerts: [{kind: 'old', title: 'from the catch-up'}], divergence: null, rules: [{title: 'r', rule: 'R'}]};
    if (op === 'fork') return {run: 'fork-1', start: 'now', step: 20, changes: {lr: 0.1}, parent: 'main', summary: summary(20)};
    if (op === 'drop_run') return {runs: ['main']};
    throw new Error('unexpected op ' + op);
  },
  state: () => ({status: 'training'}),
  play: async () => {},
  rollback: async (options) => options,
};
"""


def run_node(body: str) -> dict:
    script = FAKE_APP % {'store': (JS / 'state' / 'store.js').as_uri(), 'source': (JS / 'app' / 'sources' / 'health.js').as_uri()}
    out = subprocess.run(['node', '--input-type=module', '-e', script + body], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@needs_node
def test_the_source_keeps_every_run_in_one_slice_of_the_one_store():
    result = run_node("""
    let release; holdHistory = new Promise((r) => { release = r; });
    const source = healthSourceFor(app);
    const sameSource = healthSourceFor(app) === source;
    await new Promise((r) => setTimeout(r, 0));  // the catch-up has asked the engine ...
    // ... and a snapshot arrives while it still waits for the history.
    fire('run', {run: 'main', summary: summary(30), alerts: [{kind: 'new', title: 'live'}], health_ms: 2});
    release();
    await new Promise((r) => setTimeout(r, 20));
    const slice = app.store.get().health;
    const main = slice.runs.main;
    await source.fork({lr: 0.1});
    const afterFork = app.store.get().health;
    source.setViewRun('fork-1');
    const viewed = source.viewData().run.id;
    await source.drop('fork-1');
    const afterDrop = app.store.get().health;
    console.log(JSON.stringify({sameSource, keys: Object.keys(slice).sort(), steps: main.summaries.map((s) => s.step),
      act: Array.from(main.summaries[0].layers[0].neuron_act), alerts: main.alerts.map((a) => a.kind), rules: slice.rules,
      readView: source.get('main') === main, forkIds: Object.keys(afterFork.runs), forkLabel: afterFork.runs['fork-1'].label,
      viewed, dropped: Object.keys(afterDrop.runs), viewAfterDrop: afterDrop.viewRun, cost: source.cost(),
      frozen: Object.isFrozen(app.store.get())}));
    """)
    assert result['sameSource'] and result['readView'] and result['frozen']
    assert result['keys'] == ['rules', 'runs', 'viewRun']
    assert result['steps'] == [0, 10, 20, 30]  # the history fetched late goes before the live summary
    assert result['act'] == [1, 2]  # wire arrays become plain typed arrays
    assert result['alerts'] == ['new']  # the catch-up's older alerts do not overwrite a newer snapshot's
    assert result['rules'] == [{'title': 'r', 'rule': 'R'}]
    assert result['forkIds'] == ['main', 'fork-1'] and result['forkLabel'] == 'fork-1: lr 0.1 (from step 20)'
    assert result['viewed'] == 'fork-1'
    assert result['dropped'] == ['main'] and result['viewAfterDrop'] == 'main'
    assert result['cost'] == {'meanMs': 2, 'count': 1}


@needs_node
def test_a_rebuild_or_roll_back_restarts_the_history_at_its_step():
    result = run_node("""
    const source = healthSourceFor(app);
    await new Promise((r) => setTimeout(r, 10));
    for (const step of [30, 40, 50]) fire('run', {run: 'main', summary: summary(step), health_ms: 1});
    fire('run', {run: 'main', summary: {...summary(40), finite: true}, divergence: null});
    console.log(JSON.stringify({steps: source.get('main').summaries.map((s) => s.step)}));
    """)
    assert result['steps'] == [0, 10, 20, 30, 40]


def test_health_views_follow_the_view_contract_and_draw_only_what_they_are_given():
    mounts = (JS / 'app' / 'mounts' / 'health.js').read_text()
    for path in HEALTH_VIEWS:
        text = path.read_text()
        assert re.search(r'^export const create = ', text, re.M), '%s: export the factory as create' % path.name
        for method in ('update', 'setOptions', 'destroy'):
            assert re.search(r'\b%s\b' % method, text), (path.name, method)
        assert not re.search(r'\.store\b|\bapp\.|\.request\(|health\.(get|prune|fork|drop)', text), \
            '%s reads the store or calls the engine; its data comes from update()' % path.name
        assert "views/health/%s'" % path.name in mounts, '%s is not registered for mountView' % path.name
    assert 'createHealthStore' not in (JS / 'state' / 'health-runs.js').read_text()


def test_a_health_view_mounted_alone_reports_its_action_to_the_source(page, site_url, artifacts_dir):
    """The pruning panel alone on a blank page: its button prunes through the health source, which
    adds the new run to window.glassbox and to the store's health slice."""
    errors = page.errors
    page.set_viewport_size({'width': 900, 'height': 800})
    open_mounted(page, site_url, 'pruning')
    page.evaluate('window.glassbox.train({steps: 200})')
    page.wait_for_selector('#target .gb-sparsity-row', timeout=30_000)
    page.click('#target [data-action="prune"]')
    page.wait_for_selector('#target .gb-h-prune-acc', timeout=60_000)
    state = page.evaluate("""() => { const g = window.glassbox, slice = g.store.get().health;
        return {runs: g.runs(), slice: Object.keys(slice.runs), same: g.healthStore.get('main') === slice.runs.main,
                alerts: Array.isArray(g.health()), drawn: document.querySelectorAll('#target .gb-h-pruned-net .gb-neuron').length}; }""")
    assert len(state['runs']) == 2 and state['slice'] == state['runs']
    assert state['same'] and state['alerts'] and state['drawn'] > 0
    page.screenshot(path=str(artifacts_dir / 'health-mounted-pruning.png'))
    assert not errors, errors
