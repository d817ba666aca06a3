"""The Explore-inputs data source and views (site/js/app/sources/inputs.js, site/js/views/inputs/),
without a browser: the source, driven in node with a fake engine, decides what to fetch, keeps the
answers in the store's `inputs` slice and pushes them to the views; the views follow the view
contract and never fetch."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
JS = ROOT / 'site' / 'js'
VIEWS = ['morph', 'draw-pad', 'pour', 'perturb', 'projection', 'input-plane']

needs_node = pytest.mark.skipif(shutil.which('node') is None, reason='node is not installed')

SCRIPT = """
import {createInputsSource} from '%(source)s';
import {createStore} from '%(store)s';
import {createScheduler} from '%(scheduler)s';
const calls = [];
const send = async (op, args) => {
  calls.push([op, args]);
  if (op === 'morph') return {t: {shape: [args.steps]}};
  if (op === 'pour') return {a: [].concat(args.a), b: [].concat(args.b), layers: [{selectivity: {data: [0.1, -0.9, 0.3]}}]};
  if (op === 'perturb') return {original: {pred: 3}, perturbed: {pred: 3}};
  return {pred: 1};
};
const settings = {tab: 'morph', morph_from: 5, morph_to: 6, morph_path: 'pixel', pour_a: [3], pour_b: [8], pour_n: 200,
  proj_layer: 1, probe: 'none'};
const store = createStore({settings, status: 'loading', info: null, snapshot: null});
const listeners = {snapshot: new Set(), status: new Set()};
const app = {store, scheduler: createScheduler({send}), request: send,
  on: (event, fn) => { listeners[event].add(fn); return () => listeners[event].delete(fn); },
  configure: async (changes) => store.set({settings: {...store.get().settings, ...changes}})};
const source = createInputsSource(app);
const handlers = {}, updates = [];
const view = {on: (event, fn) => { handlers[event] = fn; return () => {}; }, update: (data) => updates.push(data)};
source.attach('morph', view);
const out = {beforeReady: calls.length};
const W = {shape: [3, 10], data: Float32Array.from({length: 30}, (_, i) => (i === 13 ? 9 : 0.1))};
store.set({info: {dataset: 'digits', layer_sizes: [64, 3, 10], class_names: [...'0123456789'], image_shape: [8, 8]},
  snapshot: {step: 3, layers: [{}, {W}]}, status: 'ready'});
const settle = () => new Promise((done) => setTimeout(done, 20));
await settle();
out.first = calls[0];
out.pushed = Boolean(updates.at(-1).result) && updates.at(-1).info.dataset === 'digits';
handlers.request({path: 'real'});
await settle();
out.userChoice = calls.at(-1)[1];
out.persisted = store.get().settings.morph_path;
await source.run('pour', {a: 0, b: [1, 7]});
out.pour = {selected: store.get().inputs.pour.selected, a: store.get().settings.pour_a, b: store.get().settings.pour_b};
await source.run('perturb', {});
out.perturb = calls.filter(([op]) => op === 'perturb').map(([, args]) => args.target);
await source.draw(new Array(64).fill(0.5));
out.drawn = store.get().inputs.drawn.length;
await source.run('morph', {from: 'drawn'});
out.morphFromDrawn = calls.at(-1)[1].from.x.length;
out.badDraw = await source.draw([1, 2]).then(() => null, (error) => error.message);
const before = calls.length;
store.set({info: {...store.get().info, layer_sizes: [64, 5, 10]}});
await settle();
out.afterRebuild = {drawn: store.get().inputs.drawn, pour: store.get().inputs.pour, refetched: calls.length - before};
console.log(JSON.stringify(out));
"""


@needs_node
def test_the_inputs_source_decides_what_to_fetch_and_keeps_it_in_the_store():
    script = SCRIPT % {'source': (JS / 'app' / 'sources' / 'inputs.js').as_uri(),
                       'store': (JS / 'state' / 'store.js').as_uri(),
                       'scheduler': (JS / 'app' / 'scheduler.js').as_uri()}
    run = subprocess.run(['node', '--input-type=module', '-e', script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out['beforeReady'] == 0  # nothing is asked before the engine is ready
    assert out['first'] == ['morph', {'from': {'class': 5, 'nth': 0}, 'to': {'class': 6, 'nth': 0}, 'steps': 50, 'path': 'pixel'}]
    assert out['pushed']  # the shown view got the answer with the model description
    assert out['userChoice']['path'] == 'real' and out['userChoice']['from'] == {'class': 5, 'nth': 0}
    assert out['persisted'] == 'real'  # choices that matter live in the URL
    assert out['pour'] == {'selected': {'column': 1, 'index': 1}, 'a': [0], 'b': [1, 7]}
    # The default perturb target is the strongest weight into the answer (class 3: hidden #1).
    assert out['perturb'][-1] == {'layer': 1, 'kind': 'weight', 'i': 1, 'j': 3}
    assert out['drawn'] == 64 and out['morphFromDrawn'] == 64
    assert out['badDraw'] == 'draw needs 64 pixel values, got 2'
    rebuilt = out['afterRebuild']
    assert rebuilt['drawn'] is None and rebuilt['pour'] == {} and rebuilt['refetched'] == 1  # the shown morph tab asks again


@pytest.mark.parametrize('name', VIEWS)
def test_inputs_views_follow_the_view_contract_and_never_fetch(name):
    text = (JS / 'views' / 'inputs' / (name + '.js')).read_text()
    assert re.search(r'^export function create\(container, options = \{\}\)', text, re.M), name
    for member in ('update(next)', 'setOptions(', 'destroy()', 'exporters(', 'on: events.on'):
        assert member in text, (name, member)
    for forbidden in ('.request(', 'ctx.source', 'app.store', ' ctx.'):
        assert forbidden not in text, (name, forbidden)
