"""ONNX in: Glassbox's own files come back with equal weights, PyTorch MLPs load with equal logits,
every file or graph Glassbox cannot read is refused with a message naming the problem, and the
load_model op either replaces a run's network (which then fine-tunes) or leaves it untouched."""
from __future__ import annotations

import io
import json
import os
import warnings

import numpy as np
import pytest

import glassbox
from glassbox.interop import OnnxFileError, dataset_for, from_onnx, model_from_spec, model_spec, to_onnx
from glassbox.interop import load as load_module
from glassbox.interop.codec import spec_from_bytes, spec_to_bytes
from glassbox.interop.spec import make_spec, node, value_info
from glassbox.protocol.ops import handle

onnx = pytest.importorskip('onnx')
ort = pytest.importorskip('onnxruntime')
torch = pytest.importorskip('torch')

TOLERANCE = 1e-5


def error(out, expected) -> float:
    """Max abs difference, relative to the logits' scale once that exceeds 1 (float32 rounding)."""
    return float(np.abs(out - expected).max()) / max(1.0, float(np.abs(expected).max()))


def run_onnx(data: bytes, X) -> np.ndarray:
    session = ort.InferenceSession(data, providers=['CPUExecutionProvider'])
    return session.run(None, {session.get_inputs()[0].name: np.asarray(X, dtype=np.float32)})[0]


def torch_onnx(module, input_shape) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        torch.onnx.export(module.eval(), (torch.zeros((1,) + tuple(input_shape)),), buffer, opset_version=17,
                          input_names=['input'], output_names=['logits'],
                          dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}}, dynamo=False)
    return buffer.getvalue()


def rand(*shape, seed=0):
    return np.random.default_rng(seed).normal(0, 0.3, size=shape).astype(np.float32)


def chain_spec(layers, input_shape=('batch', 4), acts=('Relu',), extra_nodes=(), outputs=None, inputs=None):
    """A hand-written MLP spec: layers = [(W (in, out), b)], acts[i] after layer i (cycled over hidden)."""
    nodes, inits, current = [], [], 'x'
    for i, (W, b) in enumerate(layers):
        inits += [('W%d' % i, W), ('b%d' % i, b)]
        nodes.append(node('Gemm', [current, 'W%d' % i, 'b%d' % i], ['z%d' % i], 'gemm%d' % i))
        current = 'z%d' % i
        if i < len(layers) - 1 and acts[i % len(acts)]:
            nodes.append(node(acts[i % len(acts)], [current], ['a%d' % i], 'act%d' % i))
            current = 'a%d' % i
    nodes += list(extra_nodes)
    final = nodes[-1]['outputs'][0]
    return make_spec('hand', inputs or [value_info('x', 'float32', list(input_shape))],
                     outputs or [value_info(final, 'float32', ['batch', layers[-1][0].shape[1]])], nodes, inits)


def small_layers(seed=0):
    return [(rand(4, 6, seed=seed), rand(6, seed=seed + 1)), (rand(6, 5, seed=seed + 2), rand(5, seed=seed + 3)),
            (rand(5, 3, seed=seed + 4), rand(3, seed=seed + 5))]


def refused(spec_or_bytes, *words):
    """The OnnxFileError message, after checking it names every word."""
    with pytest.raises(OnnxFileError) as caught:
        if isinstance(spec_or_bytes, (bytes, bytearray)):
            from_onnx(bytes(spec_or_bytes))
        else:
            model_from_spec(spec_or_bytes)
    message = str(caught.value)
    for word in words:
        assert word in message, (word, message)
    return message


# -- what loads ----------------------------------------------------------------------------
@pytest.mark.parametrize('activation', sorted(glassbox.ACTIVATIONS))
def test_glassbox_onnx_glassbox_round_trip_gives_equal_weights(activation):
    model = glassbox.MLP([64, 20, 12, 10], activation=activation, seed=5, bias_init=0.3, init='glorot')
    back, info = from_onnx(to_onnx(model), with_info=True)
    assert back.layer_sizes == model.layer_sizes and back.activation == activation and back.init == 'glorot'
    for a, b in zip(model.layers, back.layers):
        assert np.array_equal(a.W, b.W) and np.array_equal(a.b, b.b)
    assert info['notes'] == [] and info['parameters'] == sum(l.W.size + l.b.size for l in model.layers)


@pytest.mark.parametrize('form', ['numpy', 'lists', 'typed'])
def test_spec_arrays_may_be_numpy_nested_lists_or_dtype_shape_data(form):
    model = glassbox.MLP([2, 7, 2], activation='tanh', seed=1)
    spec = model_spec(model)
    if form == 'lists':
        spec = json.loads(json.dumps(spec, default=lambda a: a.tolist()))
    elif form == 'typed':  # what JSON.stringify makes of {dtype, shape, data: Float32Array}
        for item in spec['initializers']:
            a = item['array']
            item['array'] = {'dtype': 'float32', 'shape': list(a.shape),
                             'data': {str(i): float(v) for i, v in enumerate(a.reshape(-1))}}
    back, _ = model_from_spec(spec)
    assert all(np.array_equal(a.W, b.W) and np.array_equal(a.b, b.b) for a, b in zip(model.layers, back.layers))


def test_a_torch_mlp_with_flatten_and_softmax_loads_with_equal_logits():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 64), torch.nn.ReLU(), torch.nn.Linear(64, 32),
                              torch.nn.ReLU(), torch.nn.Linear(32, 10), torch.nn.Softmax(dim=1))
    model, info = from_onnx(torch_onnx(net, (1, 28, 28)), with_info=True)
    X = torch.rand(300, 1, 28, 28)
    with torch.no_grad():
        logits = net[:-1](X).numpy()
    assert model.layer_sizes == [784, 64, 32, 10] and model.activation == 'relu'
    assert error(model.forward(X.numpy().reshape(300, -1)), logits) <= TOLERANCE
    assert any('Softmax' in note and 'dropped' in note for note in info['notes'])


class ViewNet(torch.nn.Module):
    """x.view(x.size(0), -1) exports as Shape -> Gather -> Unsqueeze -> Concat -> Reshape."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = torch.nn.Linear(64, 24), torch.nn.Linear(24, 10)

    def forward(self, x):
        return torch.log_softmax(self.fc2(torch.tanh(self.fc1(x.view(x.size(0), -1)))), dim=1)

    def logits(self, x):
        return self.fc2(torch.tanh(self.fc1(x.reshape(x.shape[0], -1))))


def test_a_torch_module_that_views_its_input_loads_with_equal_logits():
    torch.manual_seed(1)
    net = ViewNet()
    model = from_onnx(torch_onnx(net, (8, 8)))
    X = torch.from_numpy(glassbox.load_dataset('digits')['X_val']).reshape(-1, 8, 8)
    with torch.no_grad():
        logits = net.logits(X).numpy()
    assert model.layer_sizes == [64, 24, 10] and model.activation == 'tanh'
    assert error(model.forward(X.numpy().reshape(len(X), -1)), logits) <= TOLERANCE


@pytest.mark.parametrize('act', [torch.nn.LeakyReLU, torch.nn.Sigmoid, torch.nn.Identity])
def test_torch_activations_load_with_equal_logits(act):
    torch.manual_seed(2)
    net = torch.nn.Sequential(torch.nn.Linear(2, 16), act(), torch.nn.Linear(16, 16), act(), torch.nn.Linear(16, 2))
    model = from_onnx(torch_onnx(net, (2,)))
    X = torch.randn(300, 2)
    with torch.no_grad():
        assert error(model.forward(X.numpy()), net(X).numpy()) <= TOLERANCE


def test_matmul_add_and_scaled_transposed_gemm_compute_what_onnxruntime_computes():
    W0, b0, W1, b1 = rand(4, 6), rand(6, seed=1), rand(5, 6, seed=2), rand(1, 5, seed=3)
    spec = make_spec('mixed', [value_info('x', 'float32', ['n', 4])], [value_info('y', 'float32', ['n', 5])], [
        node('MatMul', ['x', 'W0'], ['m0'], 'mm0'), node('Add', ['b0', 'm0'], ['z0'], 'add0'),
        node('Sigmoid', ['z0'], ['a0'], 'sig0'), node('Identity', ['a0'], ['i0'], 'id0'),
        node('Gemm', ['i0', 'W1', 'b1'], ['y'], 'gemm1', transB=1, alpha=0.5, beta=2.0)],
        [('W0', W0), ('b0', b0), ('W1', W1), ('b1', b1)])
    model, info = model_from_spec(spec)
    X = rand(50, 4, seed=9)
    assert info['ops'] == ['MatMul', 'Add', 'Sigmoid', 'Identity', 'Gemm'] and model.activation == 'sigmoid'
    assert error(model.forward(X), run_onnx(spec_to_bytes(spec), X)) <= TOLERANCE


# -- files that are not ONNX models ----------------------------------------------------------
def test_zero_bytes_are_named_an_empty_file():
    refused(b'', 'empty', '0 bytes')


def test_random_bytes_are_named_not_an_onnx_model():
    refused(np.random.default_rng(0).bytes(4096), 'not an ONNX model')


def test_an_html_page_is_named_an_html_page():
    refused(b'\n<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>...</body></html>', 'HTML page')


@pytest.mark.parametrize('keep', [0.5, 0.99, 40])
def test_a_truncated_file_is_named_truncated(keep):
    data = to_onnx(glassbox.MLP([64, 32, 10]))
    cut = int(len(data) * keep) if keep < 1 else keep
    refused(data[:cut], 'truncated', '%d bytes' % cut)


def test_a_file_cut_right_after_its_graph_is_named_truncated():
    data = to_onnx(glassbox.MLP([64, 32, 10]))
    head = onnx.load_from_string(data)
    del head.opset_import[:]
    del head.metadata_props[:]
    cut = len(head.SerializeToString())
    assert data[:cut] == head.SerializeToString()  # fields are written in number order: graph, then opsets
    refused(data[:cut], 'truncated', 'opset import')


def test_a_tensor_stored_as_external_data_is_named(tmp_path):
    proto = onnx.load_from_string(to_onnx(glassbox.MLP([64, 32, 10])))
    path = tmp_path / 'model.onnx'
    onnx.save_model(proto, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                    location='model.onnx.data', size_threshold=0)
    refused(path.read_bytes(), "tensor 'layer0.W'", 'external data', 'model.onnx.data')


def test_an_unsupported_data_type_is_named_with_its_tensor():
    proto = onnx.load_from_string(to_onnx(glassbox.MLP([4, 3, 2])))
    weights = proto.graph.initializer[0]
    weights.CopyFrom(onnx.numpy_helper.from_array(rand(4, 3).astype(np.float64), weights.name))
    refused(proto.SerializeToString(), "tensor 'layer0.W'", 'DOUBLE', 'float32')


# -- graphs that are not Glassbox MLPs -------------------------------------------------------
def test_an_unsupported_op_is_named_with_its_node():
    refused(chain_spec(small_layers(), acts=('Elu',)), 'op Elu', "node 'act0'")


def test_a_convolution_from_torch_is_named_with_its_node():
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.Flatten(), torch.nn.Linear(2 * 6 * 6, 10))
    refused(torch_onnx(net, (1, 8, 8)), 'op Conv', "node '/0/Conv'")


def test_a_tensor_no_one_defines_is_named():
    spec = chain_spec(small_layers())
    spec['initializers'] = [item for item in spec['initializers'] if item['name'] != 'W1']
    refused(spec, "node 'gemm1' (Gemm) takes 'W1'", 'no node, input or initializer')


def test_a_gemm_without_bias_may_take_its_bias_from_an_add():
    W, b = rand(4, 3), rand(3, seed=1)
    spec = make_spec('nobias', [value_info('x', 'float32', ['batch', 4])], [value_info('y', 'float32', ['batch', 3])],
                     [node('Gemm', ['x', 'W'], ['z'], 'g'), node('Add', ['z', 'b'], ['y'], 'add')], [('W', W), ('b', b)])
    model, _ = model_from_spec(spec)
    assert np.array_equal(model.layers[0].W, W) and np.array_equal(model.layers[0].b, b)


def test_a_skip_connection_is_named_not_a_chain():
    spec = chain_spec(small_layers()[:2] + [(rand(5, 5), rand(5))], acts=('Relu',))
    spec['nodes'].append(node('Add', ['z2', 'a1'], ['skip'], 'skip_add'))  # z2 + a1: a residual
    spec['outputs'] = [value_info('skip', 'float32', ['batch', 5])]
    message = refused(spec, 'not a chain MLP')
    assert "'a1'" in message


def test_a_branch_is_named_with_the_value_and_its_nodes():
    spec = chain_spec(small_layers())
    spec['nodes'].append(node('Tanh', ['a0'], ['side'], 'side_tanh'))
    refused(spec, "value 'a0' feeds 2 nodes", "node 'side_tanh' (Tanh)", 'not a chain MLP')


def test_several_inputs_are_named():
    spec = chain_spec(small_layers(), inputs=[value_info('x', 'float32', ['batch', 4]),
                                              value_info('mask', 'float32', ['batch', 4])])
    refused(spec, '2 inputs', "'x', 'mask'")


def test_several_outputs_are_named():
    spec = chain_spec(small_layers())
    spec['outputs'].append(value_info('a0', 'float32', ['batch', 6]))
    refused(spec, '2 outputs', "'z2', 'a0'")


def test_a_dimension_over_the_limit_is_named_with_its_tensor():
    layers = [(rand(4, 70000), rand(70000)), (rand(70000, 2), rand(2))]
    refused(chain_spec(layers), "tensor 'W0'", 'dimension 70000', '65536')


def test_an_input_dimension_over_the_limit_is_named():
    refused(chain_spec(small_layers(), input_shape=('batch', 100000)), "input 'x'", 'dimension 100000', '65536')


@pytest.mark.parametrize('dim', [0, -3])
def test_zero_or_negative_dimensions_are_named(dim):
    refused(chain_spec(small_layers(), input_shape=('batch', dim)), "input 'x'", 'dimension %d at axis 1' % dim,
            'positive')


def test_too_many_parameters_are_named(monkeypatch):
    monkeypatch.setattr(load_module, 'MAX_PARAMETERS', 50)
    refused(chain_spec(small_layers()), 'over the limit of 50 parameters', "tensor 'W1'")


def test_different_hidden_activations_are_named():
    refused(chain_spec(small_layers(), acts=('Relu', 'Tanh')), 'different activations', 'layer 1: relu',
            'layer 2: tanh', 'share one hidden activation')


def test_weights_that_do_not_chain_are_named():
    layers = small_layers()
    layers[1] = (rand(7, 5), rand(5))
    refused(chain_spec(layers), 'do not chain', "node 'gemm1' (Gemm) takes 7 inputs", "tensor 'W1'", 'gives 6')


def test_another_leaky_relu_slope_is_named():
    spec = chain_spec(small_layers(), acts=('LeakyRelu',))
    for item in spec['nodes']:
        if item['op'] == 'LeakyRelu':
            item['attrs']['alpha'] = 0.2
    refused(spec, "node 'act0' (LeakyRelu)", 'alpha=0.2', 'slope 0.01')


def test_a_softmax_before_the_last_layer_is_named():
    refused(chain_spec(small_layers(), acts=('Softmax',)), "node 'gemm1' (Gemm) comes after", 'Softmax',
            'only at the end')


def test_an_image_input_without_flatten_is_named():
    refused(chain_spec(small_layers(), input_shape=('batch', 1, 4)), "input 'x'", 'no Flatten')


def test_an_input_size_that_matches_no_dataset_is_named():
    with pytest.raises(OnnxFileError, match='input of 100 features matches no dataset: digits has 64, mnist 784, '
                                            '2-D sets 2'):
        dataset_for(100, 10)
    assert dataset_for(64, 10) == 'digits' and dataset_for(784, 10) == 'mnist'
    assert dataset_for(2, 2, prefer=['spiral']) == 'spiral'
    with pytest.raises(OnnxFileError, match=r'3 outputs but digits \(64 input features\) has 10 classes'):
        dataset_for(64, 3)


@pytest.mark.parametrize('name', glassbox.DATASETS)
def test_dataset_sizes_used_for_matching_are_the_datasets_own(name, dist_dir):
    data = glassbox.load_dataset(name)
    assert load_module.dataset_shape(name) == (data['X_train'].shape[1], data['n_classes'])


# -- the load_model op ---------------------------------------------------------------------
def session_with_fork():
    session = glassbox.Session()
    handle(session, {'op': 'configure', 'config': {'hidden': [16], 'optimizer': 'adam', 'lr': 0.01}})
    handle(session, {'op': 'train', 'steps': 25})
    handle(session, {'op': 'fork', 'changes': {'lr': 0.02}, 'id': 'side'})
    return session


def fingerprint(session):
    return {rid: (run.trainer.step_count, json.dumps(run.config, sort_keys=True), id(run.trainer), id(run),
                  [(l.W.tobytes(), l.b.tobytes()) for l in run.model.layers], len(run.health.history.items))
            for rid, run in session.runs.items()}, session.config, id(session.data)


BAD_LOADS = {
    'unsupported op': ({'spec': chain_spec(small_layers(), acts=('Elu',))}, 'op Elu'),
    'no dataset fits': ({'spec': model_spec(glassbox.MLP([100, 8, 10]))}, 'input of 100 features matches no dataset'),
    'wrong dataset given': ({'spec': model_spec(glassbox.MLP([64, 8, 10])), 'dataset': 'mnist'}, 'mnist has 784'),
    'too wide for the settings': ({'spec': model_spec(glassbox.MLP([64, 2000, 10]))}, 'does not fit a Glassbox run'),
    'output activation': ({'spec': model_spec(glassbox.MLP([64, 8, 10], output_activation='sigmoid'))}, 'logits'),
    'not a spec': ({'spec': 'model.onnx'}, 'a model spec is an object'),
    'bad array': ({'spec': dict(model_spec(glassbox.MLP([64, 8, 10])), initializers=[
        {'name': 'layer0.W', 'dtype': 'float32', 'array': [[1, 2], [3]]}])}, "tensor 'layer0.W'"),
}


@pytest.mark.parametrize('case', sorted(BAD_LOADS))
def test_load_model_leaves_every_run_as_it_was_on_error(case):
    session = session_with_fork()
    before = fingerprint(session)
    args, words = BAD_LOADS[case]
    with pytest.raises(ValueError, match=words):
        handle(session, dict({'op': 'load_model'}, **args))
    assert fingerprint(session) == before


def test_load_model_into_a_fork_for_another_dataset_is_refused_and_changes_nothing(dist_dir):
    session = session_with_fork()
    before = fingerprint(session)
    with pytest.raises(OnnxFileError, match="run 'side' trains on digits"):
        handle(session, {'op': 'load_model', 'run': 'side', 'spec': model_spec(glassbox.MLP([784, 8, 10]))})
    assert fingerprint(session) == before


def test_load_model_sets_weights_exactly_keeps_optimiser_settings_and_fine_tunes():
    session = session_with_fork()
    data = session.data
    source = glassbox.MLP([64, 24, 12, 10], activation='tanh', seed=7)
    glassbox.Trainer(source, data, lr=0.1).train(steps=30)
    spec = json.loads(json.dumps(model_spec(source), default=lambda a: a.tolist()))  # as the page sends it
    answer = handle(session, {'op': 'load_model', 'spec': spec})
    assert answer['config']['hidden'] == [24, 12] and answer['config']['activation'] == 'tanh'
    assert answer['config']['optimizer'] == 'adam' and answer['config']['lr'] == 0.01
    assert answer['info']['dataset'] == 'digits' and answer['info']['onnx']['layer_sizes'] == [64, 24, 12, 10]
    assert sorted(session.runs) == ['main', 'side'] and answer['info']['dropped_runs'] == []
    trainer = session.trainer
    assert trainer.step_count == 0 and trainer.optimizer.name == 'adam'
    for a, b in zip(source.layers, trainer.model.layers):
        assert np.array_equal(a.W, b.W) and np.array_equal(a.b, b.b)
    loss_before = trainer.evaluate(split='train')['loss']
    handle(session, {'op': 'train', 'steps': 300})
    assert trainer.evaluate(split='train')['loss'] < loss_before * 0.8


def test_load_model_with_a_new_dataset_rebuilds_main_and_says_which_runs_went(dist_dir):
    session = session_with_fork()
    answer = handle(session, {'op': 'load_model', 'spec': model_spec(glassbox.MLP([2, 6, 2], activation='sigmoid'))})
    assert answer['config']['dataset'] == 'circle' and session.data['name'] == 'circle'
    assert answer['info']['dropped_runs'] == ['side'] and sorted(session.runs) == ['main']
    answer = handle(session, {'op': 'load_model', 'dataset': 'spiral',
                              'spec': model_spec(glassbox.MLP([2, 6, 2], activation='sigmoid'))})
    assert answer['config']['dataset'] == 'spiral'


def test_load_model_into_a_fork_replaces_only_the_fork():
    session = session_with_fork()
    main_before = fingerprint(session)[0]['main']
    handle(session, {'op': 'load_model', 'run': 'side', 'spec': model_spec(glassbox.MLP([64, 9, 10]))})
    assert session.runs['side'].model.layer_sizes == [64, 9, 10] and session.runs['side'].config['hidden'] == [9]
    assert fingerprint(session)[0]['main'] == main_before
