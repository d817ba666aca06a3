"""ONNX in the page: export (glassbox.exportModel, the "Download .onnx" button) runs in CPython's
onnxruntime with the engine's logits; models made in CPython load (glassbox.loadModel, the file
picker, a URL, a dropped file) and every view follows; each kind of bad file is named on the page,
as text, and leaves the current network as it was. The codec (site/js/engine/onnx-codec.js) is
also checked alone in node against the `onnx` package and CPython's codec (interop/codec.py).

Screenshot: test-artifacts/onnx-*.png."""
from __future__ import annotations

import base64
import json
import shutil
import subprocess

import numpy as np
import pytest
from conftest import DIST, READY_MS, frames

onnx = pytest.importorskip('onnx')
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

CODEC = (DIST / 'js' / 'engine' / 'onnx-codec.js').as_uri()
needs_node = pytest.mark.skipif(shutil.which('node') is None, reason='node is not installed')


# ------------------------------------------------------------------ models made in CPython

def mlp(sizes, activation='Relu', seed=0, names=None, weight_dtype=np.float32, softmax=False):
    """A PyTorch-style MLP (Gemm with transB=1, activation between layers, a Softmax at the end
    if asked) made with onnx.helper; returns (ModelProto, [W (in, out)], [b])."""
    rng = np.random.default_rng(seed)
    Ws = [rng.normal(0, 1 / np.sqrt(a), (a, b)).astype(np.float32) for a, b in zip(sizes, sizes[1:])]
    bs = [rng.normal(0, 0.1, b).astype(np.float32) for b in sizes[1:]]
    names = names or {}
    nodes, inits, current = [], [], 'x'
    for l, (W, b) in enumerate(zip(Ws, bs)):
        inits += [numpy_helper.from_array(W.T.copy().astype(weight_dtype), 'fc%d.weight' % l),
                  numpy_helper.from_array(b, 'fc%d.bias' % l)]
        nodes.append(helper.make_node('Gemm', [current, 'fc%d.weight' % l, 'fc%d.bias' % l], ['z%d' % l],
                                      name='fc%d' % l, transB=1))
        current = 'z%d' % l
        if l < len(Ws) - 1:
            nodes.append(helper.make_node(activation, [current], ['a%d' % l], name=names.get(l, 'act%d' % l)))
            current = 'a%d' % l
    if softmax:
        nodes.append(helper.make_node('Softmax', [current], ['probs'], name='softmax', axis=-1))
        current = 'probs'
    graph = helper.make_graph(nodes, 'torch_mlp', [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', sizes[0]])],
                              [helper.make_tensor_value_info(current, TensorProto.FLOAT, ['N', sizes[-1]])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17)]), Ws, bs


def forward(x, Ws, bs):
    for l, (W, b) in enumerate(zip(Ws, bs)):
        x = x @ W + b
        if l < len(Ws) - 1:
            x = np.maximum(x, 0)
    return x


def external_data_model(tmp_path):
    model, _, _ = mlp([64, 12, 10])
    path = tmp_path / 'external.onnx'
    onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                    location='external.onnx.data', size_threshold=0)
    return path.read_bytes()


GOOD = mlp([64, 24, 10], seed=1)[0].SerializeToString()
# name -> (bytes of the file, words its message must hold)
BAD_FILES = {
    'empty': (lambda tmp: b'', ['empty', '0 bytes']),
    'random_bytes': (lambda tmp: np.random.default_rng(7).bytes(3000), ['not an ONNX model']),
    'html_page': (lambda tmp: b'<!doctype html><html><head><title>Download</title></head><body>Sign in</body></html>',
                  ['web page', 'HTML']),
    'truncated': (lambda tmp: GOOD[:len(GOOD) * 2 // 3], ['truncated']),
    'unsupported_op': (lambda tmp: mlp([64, 24, 10], activation='Elu')[0].SerializeToString(), ['Elu', 'act0']),
    'external_data': (lambda tmp: external_data_model(tmp), ['external', 'fc0.weight']),
    'unsupported_tensor_type': (lambda tmp: mlp([64, 24, 10], weight_dtype=np.float64)[0].SerializeToString(),
                                ['fc0.weight', 'DOUBLE']),
    'input_size_matches_no_dataset': (lambda tmp: mlp([5, 8, 3])[0].SerializeToString(), ['5', 'no dataset']),
}


# ------------------------------------------------------------------ page helpers

def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


FINGERPRINT = """async () => {
    const fresh = await glassbox.request('snapshot');  // the engine's own weights, not the page's copy
    const sum = (layers) => layers.reduce((t, l) => t + l.W.data.reduce((a, v) => a + v * 1.000123 ** (a % 7), 0)
        + l.b.data.reduce((a, v) => a + v, 0), 0);
    const s = glassbox.state();
    return {layers: s.layers, hidden: s.settings.hidden, dataset: s.dataset, hash: location.hash,
            engine: sum(fresh.snapshot.layers), page: sum(glassbox.snapshot().layers), step: s.step};
}"""

LOAD_BYTES = """async ([data, name]) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    try { return {ok: true, state: await glassbox.loadModel(name ? new File([bytes], name) : bytes)}; }
    catch (error) { return {ok: false, message: error.message, name: error.name}; }
}"""

NETWORK_LABELS = """() => [...document.querySelectorAll('#network-view .gb-layer-title, #network-view .gb-layer-detail')]
    .map((t) => t.textContent)"""


def clear_model_file(page):
    page.evaluate("glassbox.store.set({modelFile: {status: 'idle', name: null, message: null}})")


def picked(page, data: bytes, name: str):
    """Load a file the way a student does: keyboard to "Load ONNX…", Enter opens the file picker
    (seen as a click on its input; the dialog itself is not awaited: Playwright's file-chooser
    interception can arrive after the key press), then the file is chosen in it."""
    clear_model_file(page)
    page.evaluate("""() => document.querySelector('#model-file-input').addEventListener('click', (event) => {
        event.preventDefault(); window.pickerOpened = (window.pickerOpened || 0) + 1; }, {once: true})""")
    opened = page.evaluate('window.pickerOpened || 0')
    page.focus('#model-load')
    page.keyboard.press('Enter')
    page.wait_for_function('(n) => window.pickerOpened > n', arg=opened)
    page.set_input_files('#model-file-input', files=[{'name': name, 'mimeType': 'application/octet-stream', 'buffer': data}])
    page.wait_for_function("(name) => { const f = glassbox.store.get().modelFile; return f.name === name && f.status !== 'loading'; }",
                           arg=name, timeout=READY_MS)
    frames(page, 3)
    return page.evaluate("glassbox.store.get().modelFile")


def message(page):
    return page.locator('#model-file-message').inner_text()


# ------------------------------------------------------------------ the codec alone, in node

def node_codec(script):
    out = subprocess.run(['node', '--input-type=module', '-e', "import * as codec from '%s';\n%s" % (CODEC, script)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@needs_node
def test_codec_writes_what_onnx_checks_and_reads_what_onnx_writes(tmp_path, dist_dir):
    """encodeModel's bytes pass onnx's full checker with float attributes kept FLOAT (Gemm alpha=1,
    which JSON cannot tell from an int), INT ones INT, and the metadata."""
    model, _, _ = mlp([6, 5, 3], seed=2)
    source = tmp_path / 'torch.onnx'
    source.write_bytes(model.SerializeToString())
    out = tmp_path / 'page.onnx'
    spec = node_codec("""
      import {readFileSync, writeFileSync} from 'node:fs';
      const spec = codec.decodeModel(readFileSync('%s'));
      spec.nodes[0].attrs.alpha = 1; spec.nodes[0].attrs.beta = 1;   // integral floats, as JSON gives them
      spec.nodes.push({op: 'LeakyRelu', inputs: [spec.outputs[0].name], outputs: ['leaky'], name: 'lr', attrs: {alpha: 1}});
      spec.outputs = [{name: 'leaky', dtype: 'float32', shape: ['N', 3]}];
      spec.metadata = {'glassbox.dataset': 'test'};
      writeFileSync('%s', codec.encodeModel(spec));
      console.log(JSON.stringify(spec, (k, v) => (ArrayBuffer.isView(v) ? Array.from(v) : v)));""" % (source, out))
    assert spec['inputs'] == [{'name': 'x', 'dtype': 'float32', 'shape': ['N', 6]}] and spec['opset'] == 17
    written = onnx.load(str(out))
    onnx.checker.check_model(written, full_check=True)
    types = {(n.name, a.name): a.type for n in written.graph.node for a in n.attribute}
    assert types[('fc0', 'alpha')] == onnx.AttributeProto.FLOAT and types[('lr', 'alpha')] == onnx.AttributeProto.FLOAT
    assert types[('fc0', 'transB')] == onnx.AttributeProto.INT
    assert written.ir_version == 8 and {p.key: p.value for p in written.metadata_props} == {'glassbox.dataset': 'test'}


def graph_with_constants():
    """A model using what exporters write around an MLP: Constant nodes (a tensor, a float, ints),
    an int64 and a bool initializer, a computed Reshape target, an unknown and a symbolic dimension."""
    W = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
    nodes = [helper.make_node('Constant', [], ['target'], name='c_target',
                              value=numpy_helper.from_array(np.array([-1, 4], dtype=np.int64))),
             helper.make_node('Constant', [], ['half'], name='c_half', value_float=0.5),
             helper.make_node('Constant', [], ['axes'], value_ints=[1]),
             helper.make_node('Reshape', ['x', 'target'], ['flat'], name='reshape'),
             helper.make_node('Gemm', ['flat', 'W', 'b'], ['z'], name='fc', alpha=1.0, beta=0.5, transB=0),
             helper.make_node('Mul', ['z', 'half'], ['y'], name='scale')]
    inits = [numpy_helper.from_array(W, 'W'), numpy_helper.from_array(np.float32([1, 2, 3]), 'b'),
             numpy_helper.from_array(np.array([3, -2 ** 40], dtype=np.int64), 'wide'),
             numpy_helper.from_array(np.array([True, False]), 'mask')]
    graph = helper.make_graph(nodes, 'constants', [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['batch', 2, 2])],
                              [helper.make_tensor_value_info('y', TensorProto.FLOAT, [None, 3])], inits, doc_string='doc')
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17)])
    helper.set_model_props(model, {'glassbox.dataset': 'digits'})
    return model.SerializeToString()


def plain(spec):
    """A spec as comparable JSON data: arrays as [dtype field, shape, values], domains ''."""
    def array(item):
        a = item['array']
        if isinstance(a, dict):
            return [item['dtype'], list(a['shape']), [float(v) for v in a['data']]]
        return [item['dtype'], list(a.shape), [float(v) for v in np.ravel(a)]]
    return {'name': spec['name'], 'opset': spec['opset'], 'doc': spec['doc'], 'metadata': spec['metadata'],
            'inputs': spec['inputs'], 'outputs': spec['outputs'],
            'initializers': sorted([item['name']] + array(item) for item in spec['initializers']),
            'nodes': [dict(n, domain=n.get('domain') or '') for n in spec['nodes']]}


@needs_node
def test_both_codecs_read_and_write_the_same_spec(tmp_path, dist_dir):
    """The page's codec and CPython's (interop/codec.py) agree: the same file gives the same spec
    (Constant nodes as initializers, unknown dimensions as null, int64 saturated only on the wire),
    and what the page writes from CPython's spec reads back in CPython as that spec."""
    from glassbox.interop.codec import spec_from_bytes
    data = graph_with_constants()
    (tmp_path / 'in.onnx').write_bytes(data)
    python = plain(spec_from_bytes(data))
    python['initializers'] = [i if i[0] != 'wide' else i[:3] + [[3.0, -2147483648.0]] for i in python['initializers']]
    js = node_codec("""
      import {readFileSync, writeFileSync} from 'node:fs';
      const spec = codec.decodeModel(readFileSync('%s'));
      writeFileSync('%s', codec.encodeModel(spec));
      console.log(JSON.stringify(spec, (k, v) => (ArrayBuffer.isView(v) ? Array.from(v) : v)));""" % (tmp_path / 'in.onnx', tmp_path / 'out.onnx'))
    assert plain(js) == python
    assert js['outputs'][0]['shape'] == [None, 3] and js['inputs'][0]['shape'] == ['batch', 2, 2]
    again = plain(spec_from_bytes((tmp_path / 'out.onnx').read_bytes()))
    assert again == python
    assert onnx.load(str(tmp_path / 'out.onnx')).graph.output[0].type.tensor_type.shape.dim[0].HasField('dim_value') is False


# ------------------------------------------------------------------ the page

def test_export_runs_in_onnxruntime_with_the_engines_logits(app, artifacts_dir):
    """glassbox.exportModel('onnx') after some training: onnx's checker accepts it, and onnxruntime
    and numpy (from the exported weights) give the logits the engine gives, to 1e-5; the
    "Download .onnx" button saves the same bytes under a name with the dataset and sizes."""
    import onnxruntime as ort
    page = app
    page.evaluate('glassbox.train({steps: 40})')
    data = bytes(page.evaluate("async () => Array.from(await glassbox.exportModel('onnx'))"))
    model = onnx.load_from_string(data)
    onnx.checker.check_model(model, full_check=True)
    assert [i.name for i in model.graph.input] == ['input'] and [o.name for o in model.graph.output] == ['logits']
    engine = page.evaluate("""async () => {
        const out = [];
        for (let i = 0; i < 12; i++) {
          const r = await glassbox.classify({index: i});
          out.push({x: Array.from(r.x.data), logits: Array.from(r.logits.data)});
        }
        return out;
    }""")
    x = np.float32([e['x'] for e in engine])
    logits = np.float32([e['logits'] for e in engine])
    got = ort.InferenceSession(data, providers=['CPUExecutionProvider']).run(['logits'], {'input': x})[0]
    np.testing.assert_allclose(got, logits, rtol=1e-5, atol=1e-5)
    weights = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    by_hand = np.maximum(x @ weights['layer0.W'] + weights['layer0.b'], 0) @ weights['layer1.W'] + weights['layer1.b']
    np.testing.assert_allclose(by_hand, logits, rtol=1e-5, atol=1e-5)

    clear_model_file(page)
    page.locator('#model-download').scroll_into_view_if_needed()
    with page.expect_download() as download:
        page.click('#model-download')
    name = download.value.suggested_filename
    sizes = '-'.join(map(str, page.evaluate('glassbox.state().layers')))
    assert name == 'glassbox-digits-%s-step40.onnx' % sizes, name
    assert open(download.value.path(), 'rb').read() == data
    page.wait_for_function("document.querySelector('#model-file-message').textContent.includes('Saved')")
    assert page.locator('[data-panel="network"] .panel-actions button[data-format="onnx"]').is_visible()
    page.screenshot(path=str(artifacts_dir / 'onnx-export.png'))
    assert not page.errors, page.errors


def test_load_model_made_in_cpython_through_the_api(app, artifacts_dir):
    """glassbox.loadModel(bytes): the settings, address bar and network view follow the loaded
    64-24-10 network, and its predictions are the CPython model's."""
    page = app
    model, Ws, bs = mlp([64, 24, 10], seed=1)
    result = page.evaluate(LOAD_BYTES, [b64(model.SerializeToString()), None])
    assert result['ok'], result
    assert result['state']['layers'] == [64, 24, 10] and result['state']['status'] == 'paused'
    assert result['state']['settings']['hidden'] == [24] and result['state']['dataset'] == 'digits'
    assert 'hidden=24' in page.evaluate('location.hash')
    page.wait_for_function("(want) => { const t = (%s)(); return want.every((w) => t.includes(w)); }" % NETWORK_LABELS,
                           arg=['input 64', 'output 10', '24 · relu'])
    prediction = page.evaluate('async () => { const r = await glassbox.classify({index: 3}); '
                               'return {x: Array.from(r.x.data), logits: Array.from(r.logits.data), pred: r.pred}; }')
    expected = forward(np.float32(prediction['x'])[None], Ws, bs)[0]
    np.testing.assert_allclose(prediction['logits'], expected, rtol=1e-5, atol=1e-5)
    assert prediction['pred'] == int(np.argmax(expected))
    assert 'Loaded the model bytes' in message(page) and '64 → 24 → 10' in message(page)
    page.evaluate('glassbox.train({steps: 5})')  # it trains on
    assert page.evaluate('glassbox.state().step') == 5
    assert not page.errors, page.errors


def test_a_glassbox_model_from_cpython_goes_through_the_page_and_back(app):
    """glassbox.MLP -> to_onnx (CPython's codec) -> loadModel (an MNIST-sized network: the page picks
    the dataset from its sizes) -> exportModel (the page's codec) -> the same weights in CPython;
    a 2-D network goes to the dataset asked for."""
    import glassbox
    page = app
    model = glassbox.MLP([784, 16, 10], activation='tanh', init='glorot', seed=4)
    result = page.evaluate(LOAD_BYTES, [b64(glassbox.to_onnx(model)), None])
    assert result['ok'], result
    state = result['state']
    assert state['layers'] == [784, 16, 10] and state['dataset'] == 'mnist' and state['settings']['activation'] == 'tanh'
    back = onnx.load_from_string(bytes(page.evaluate("async () => Array.from(await glassbox.exportModel('onnx'))")))
    weights = {t.name: numpy_helper.to_array(t) for t in back.graph.initializer}
    for l, layer in enumerate(model.layers):
        np.testing.assert_array_equal(weights['layer%d.W' % l], layer.W)
        np.testing.assert_array_equal(weights['layer%d.b' % l], layer.b)
    assert {p.key: p.value for p in back.metadata_props}['glassbox.dataset'] == 'mnist'
    assert [n.op_type for n in back.graph.node] == ['Gemm', 'Tanh', 'Gemm']

    points = glassbox.MLP([2, 6, 2], activation='relu', seed=0)
    state = page.evaluate("""async (data) => glassbox.loadModel(Uint8Array.from(atob(data), (c) => c.charCodeAt(0)),
                                                                {dataset: 'spiral'})""", b64(glassbox.to_onnx(points)))
    assert state['dataset'] == 'spiral' and state['layers'] == [2, 6, 2] and 'dataset=spiral' in page.evaluate('location.hash')
    assert not page.errors, page.errors


def test_load_model_through_the_file_picker_a_url_and_a_drop(app, artifacts_dir):
    """The "Load ONNX…" button (reached by keyboard), a same-origin URL and a file dropped on the
    page all load; a URL that is missing is named."""
    page = app
    model, Ws, bs = mlp([64, 20, 12, 10], seed=3, softmax=True)
    data = model.SerializeToString()
    outcome = picked(page, data, 'two-hidden.onnx')
    assert outcome['status'] == 'loaded', outcome
    assert page.evaluate('glassbox.state().layers') == [64, 20, 12, 10]
    labels = page.evaluate(NETWORK_LABELS)
    assert {'input 64', 'hidden 1', 'hidden 2', 'output 10', '20 · relu', '12 · relu'} <= set(labels), labels
    assert 'Loaded two-hidden.onnx' in message(page)
    assert "node 'softmax' (Softmax) at the end was dropped" in message(page)  # the engine's note
    page.locator('.controls .model-file:not(.run-file)').scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / 'onnx-loaded.png'))
    page.click('.model-file:not(.run-file) .model-file-message button')  # Dismiss
    assert not page.locator('.model-file:not(.run-file) .model-file-message').is_visible()

    page.route('**/models/small.onnx', lambda route: route.fulfill(status=200, body=mlp([64, 9, 10])[0].SerializeToString()))
    try:
        state = page.evaluate("glassbox.loadModel('models/small.onnx')")
        assert state['layers'] == [64, 9, 10]
        missing = page.evaluate("glassbox.loadModel('models/missing.onnx').then(() => null, (e) => e.message)")
        assert 'models/missing.onnx' in missing and '404' in missing, missing
        assert page.errors == ['Failed to load resource: the server responded with a status of 404 (File not found)']
        page.errors.clear()  # the browser's own console line for the missing file, expected
        elsewhere = page.evaluate("glassbox.loadModel('https://example.org/m.onnx').then(() => null, (e) => e.message)")
        assert 'another site' in elsewhere, elsewhere
    finally:
        page.unroute('**/models/small.onnx')
    assert page.evaluate('glassbox.state().layers') == [64, 9, 10]

    # Drag a file over the page: the hint shows; drop it: it loads.
    hint = page.evaluate("""async (data) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], 'dropped.onnx'));
        const target = document.querySelector('#network-view');
        target.dispatchEvent(new DragEvent('dragenter', {dataTransfer: transfer, bubbles: true}));
        target.dispatchEvent(new DragEvent('dragover', {dataTransfer: transfer, bubbles: true, cancelable: true}));
        const overlay = document.querySelector('.drop-hint');
        const shown = !overlay.hidden && overlay.textContent;
        target.dispatchEvent(new DragEvent('drop', {dataTransfer: transfer, bubbles: true, cancelable: true}));
        return {shown, hiddenAfter: overlay.hidden};
    }""", b64(data))
    assert hint['shown'] and 'Drop the .onnx file' in hint['shown'] and hint['hiddenAfter']
    page.wait_for_function("glassbox.store.get().modelFile.name === 'dropped.onnx' && glassbox.store.get().modelFile.status === 'loaded'",
                           timeout=READY_MS)
    assert page.evaluate('glassbox.state().layers') == [64, 20, 12, 10]
    assert not page.errors, page.errors


@pytest.mark.parametrize('case', sorted(BAD_FILES))
def test_bad_file_is_named_and_the_network_stays(case, app, tmp_path):
    """Each bad file, chosen in the file picker: a message naming the problem, shown as text; the
    network (sizes, the engine's weights, settings, address) is the one there was."""
    page = app
    page.evaluate('glassbox.train({steps: 3})')
    before = page.evaluate(FINGERPRINT)
    data, words = BAD_FILES[case][0](tmp_path), BAD_FILES[case][1]
    outcome = picked(page, data, 'bad-%s.onnx' % case)
    assert outcome['status'] == 'error', outcome
    shown = message(page)
    assert shown.startswith('Could not load bad-%s.onnx: ' % case), shown
    for word in words:
        assert word in shown, (word, shown)
    assert page.locator('#model-file-message').get_attribute('role') == 'alert'
    assert page.evaluate(FINGERPRINT) == before
    assert page.evaluate('glassbox.state().status') == 'paused'
    # the API says the same
    result = page.evaluate(LOAD_BYTES, [b64(data), None])
    assert not result['ok'] and all(word in result['message'] for word in words), result
    assert page.evaluate(FINGERPRINT) == before
    assert not page.errors, page.errors


def test_markup_in_a_model_is_shown_as_text(app, artifacts_dir):
    """A node named with HTML (in an unsupported op's message) appears literally; nothing of it runs."""
    page = app
    name = '<img src=x onerror="window.injected = 1"><b>bold</b>'
    data = mlp([64, 24, 10], activation='Elu', names={0: name})[0].SerializeToString()
    before = page.evaluate(FINGERPRINT)
    outcome = picked(page, data, '<i>file</i>.onnx')
    assert outcome['status'] == 'error'
    shown = message(page)
    assert name in shown and '<i>file</i>.onnx' in shown and 'Elu' in shown, shown
    assert page.evaluate("document.querySelectorAll('#model-file-message *').length") == 0
    assert page.evaluate('window.injected') is None
    assert page.evaluate(FINGERPRINT) == before
    page.locator('.controls .model-file:not(.run-file)').scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / 'onnx-error.png'))
    assert not page.errors, page.errors
