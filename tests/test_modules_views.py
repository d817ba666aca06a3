"""The modules data source (site/js/app/sources/modules.js) without a browser: driven in node with
the real store and a fake engine behind a fake scheduler. It owns the store's `modules` slice,
computes nothing before it is activated, recomputes on its cadence (every `modules_every`
snapshots while training, never sooner than 3x the last cost), keeps the selection while the
module id survives, and sends every engine call through the one scheduler with scikit-learn.
Also: every modules view exports the view contract's `create`, and each is registered for mountView."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

JS = Path(__file__).resolve().parents[1] / 'site' / 'js'
pytestmark = pytest.mark.skipif(shutil.which('node') is None, reason='node is not installed')

SCRIPT = r"""
import {createStore} from '%(store)s';
import {modulesSource} from '%(source)s';

const calls = [];
let cost = 0, step = 0, ids = [3, 5];
const result = (args) => ({layer_sizes: [64, 16, 10], step, method: args.method, k: args.k,
  layers: [{layer: 1, silhouette: 0.1 * step, modules: []}], modules: ids.map((id) => ({id})),
  timing_ms: {total: cost}});
const scheduler = {
  request(op, args, options) {
    calls.push({op, args, key: options && options.key});
    return Promise.resolve(op === 'modules' ? result(args) : {ari: 0.5});
  },
};
const settings = {modules_method: 'kmeans', modules_k: 'auto', modules_layer: 'all', modules_similarity: 'coactivation',
  modules_split: 'val', modules_n: 100, modules_every: 2, modules_vs: 'none', modules_vs_k: 'auto'};
const store = createStore({settings, info: {layer_sizes: [64, 16, 10]}, status: 'ready'});
const listeners = {snapshot: [], status: []};
const app = {store, scheduler, ready: Promise.resolve(), tables: {modules: {methods: ['kmeans', 'agglomerative', 'nmf']}},
  on(event, fn) { listeners[event].push(fn); return () => {}; }};
const settle = () => new Promise((done) => setTimeout(done, 20));
const snapshot = async () => { step += 1; listeners.snapshot.forEach((fn) => fn()); await settle(); };
const source = modulesSource(app);
const out = {same: modulesSource(app) === source};

await snapshot(); await snapshot();
out.beforeActive = calls.length;                      // nothing before a view was on screen
await source.activate(); await settle();
out.afterActive = calls.map((c) => [c.op, c.key, c.args.packages]);
const slice = store.get().modules;
out.keys = Object.keys(slice).sort();
out.selected = slice.selected;                        // the top-ranked module
out.status = slice.status.kind;
store.set({status: 'training'});
calls.length = 0;
await snapshot(); out.afterOne = calls.length;          // every 2 snapshots
await snapshot(); out.afterTwo = calls.length;
cost = 1000;                                          // a slow recomputation: the next waits 3 s
await snapshot(); await snapshot(); calls.length = 0;
await snapshot(); await snapshot(); out.throttled = calls.length;
source.select(5);
ids = [5, 7]; await source.recompute(); out.kept = [store.get().modules.selected, store.get().modules.zoomed];
ids = [8]; await source.recompute(); out.replaced = store.get().modules.selected;
out.history = store.get().modules.history.map((h) => h.step);
calls.length = 0;
const release = source.wantComparison(); await settle();
out.compare = calls.map((c) => c.op);
out.compareB = calls.filter((c) => c.op === 'modules_compare').map((c) => c.args.b.method);
out.comparison = store.get().modules.comparison;
release();
out.unknown = await source.modules({colour: 'red'}).then(() => 'no error', (e) => e.message);
store.set({info: {layer_sizes: [64, 32, 10]}});
out.afterRebuild = store.get().modules.history.length <= 1;
console.log(JSON.stringify(out));
"""


def test_modules_source_owns_its_slice_and_keeps_the_cadence():
    script = SCRIPT % {'store': (JS / 'state' / 'store.js').as_uri(), 'source': (JS / 'app' / 'sources' / 'modules.js').as_uri()}
    run = subprocess.run(['node', '--input-type=module', '-e', script], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out['same']  # one source per app
    assert out['beforeActive'] == 0
    assert out['afterActive'] == [['modules', 'modules:panel', ['scikit-learn']]]
    assert out['keys'] == ['active', 'busy', 'comparison', 'history', 'result', 'selected', 'status', 'zoomed']
    assert out['selected'] == 3 and out['status'] == 'ready'
    assert out['afterOne'] == 0 and out['afterTwo'] == 1
    assert out['throttled'] == 0
    assert out['kept'] == [5, True] and out['replaced'] == 8
    assert out['history'] == sorted(out['history']) and len(out['history']) >= 2
    assert out['compare'] == ['modules', 'modules_compare'] and out['compareB'] == ['agglomerative']
    assert out['comparison'] == {'ari': 0.5}
    assert 'unknown option' in out['unknown']
    assert out['afterRebuild']


def test_every_modules_view_has_the_contract_factory_and_is_mountable():
    mounts = (JS / 'app' / 'mounts' / 'modules.js').read_text()
    for path in sorted((JS / 'views' / 'modules').glob('module-*.js')):
        if path.name == 'module-common.js':
            continue
        text = path.read_text()
        assert re.search(r'export function create\(', text), path
        for method in ('update', 'setOptions', 'destroy', 'exportSVG', 'exportPNG'):
            assert re.search(r'\b%s[(:]' % method, text), (path, method)
        assert "'%s'" % path.stem in mounts, '%s is not registered in app/mounts/modules.js' % path.stem
