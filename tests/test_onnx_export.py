"""A Glassbox MLP exported to ONNX computes the engine's logits in onnxruntime (CPython), on real
data, for every activation, at any batch size; the file passes onnx.checker and says what it is."""
from __future__ import annotations

import json

import numpy as np
import pytest

import glassbox
from glassbox.interop import model_spec, to_onnx
from glassbox.interop.codec import check_bytes, spec_to_bytes
from glassbox.protocol.ops import handle

onnx = pytest.importorskip('onnx')
ort = pytest.importorskip('onnxruntime')

TOLERANCE = 1e-5


def error(out: np.ndarray, expected: np.ndarray) -> float:
    """Max abs difference, relative to the logits' scale once that exceeds 1: float32 keeps about 7
    digits, so logits near 40 differ by ~1e-5 when two runtimes merely sum in another order."""
    return float(np.abs(out - expected).max()) / max(1.0, float(np.abs(expected).max()))


def run_onnx(data: bytes, X: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(data, providers=['CPUExecutionProvider'])
    return session.run(['logits'], {'input': np.ascontiguousarray(X, dtype=np.float32)})[0]


def trained(sizes, activation, data, steps=60, seed=0):
    """A model trained a little, so biases and weights are all non-trivial."""
    model = glassbox.MLP(sizes, activation=activation, seed=seed, bias_init=0.1)
    glassbox.Trainer(model, data, optimizer='adam', lr=0.01, seed=seed).train(steps=steps)
    return model


@pytest.fixture(scope='module')
def digits():
    return glassbox.load_dataset('digits', seed=0)


@pytest.fixture(scope='module')
def mnist(dist_dir):
    return glassbox.load_dataset('mnist', seed=0)


@pytest.mark.parametrize('activation', sorted(glassbox.ACTIVATIONS))
def test_onnxruntime_logits_equal_the_engine_on_digits(activation, digits):
    model = trained([64, 32, 16, 10], activation, digits)
    X = digits['X_val']
    assert error(run_onnx(to_onnx(model), X), model.forward(X)) <= TOLERANCE


@pytest.mark.parametrize('activation', sorted(glassbox.ACTIVATIONS))
def test_onnxruntime_logits_equal_the_engine_for_an_mnist_784_128_64_10_model(activation, mnist):
    model = trained([784, 128, 64, 10], activation, mnist, steps=20)
    X = mnist['X_val'][:500]
    assert error(run_onnx(to_onnx(model), X), model.forward(X)) <= TOLERANCE


def test_a_non_linear_output_activation_is_exported_too(digits):
    model = glassbox.MLP([64, 16, 10], activation='tanh', output_activation='sigmoid', seed=4)
    X = digits['X_val'][:50]
    assert error(run_onnx(to_onnx(model), X), model.forward(X)) <= TOLERANCE
    assert [n['op'] for n in model_spec(model)['nodes']] == ['Gemm', 'Tanh', 'Gemm', 'Sigmoid']


@pytest.mark.parametrize('batch', [1, 300])
def test_the_batch_dimension_is_symbolic(batch, digits):
    model = trained([64, 20, 10], 'relu', digits, steps=10)
    data = to_onnx(model)
    proto = onnx.load_from_string(data)
    for value in (proto.graph.input[0], proto.graph.output[0]):
        dims = value.type.tensor_type.shape.dim
        assert dims[0].dim_param == 'batch' and not dims[0].HasField('dim_value')
    X = digits['X_val'][:batch]
    out = run_onnx(data, X)
    assert out.shape == (batch, 10)
    assert error(out, model.forward(X)) <= TOLERANCE


def test_the_file_passes_the_onnx_checker_with_opset_17_and_ir_8():
    data = to_onnx(glassbox.MLP([2, 8, 8, 2], activation='leaky_relu'))
    assert check_bytes(data) == []
    proto = onnx.load_from_string(data)
    opsets = {o.domain: o.version for o in proto.opset_import}
    assert opsets[''] >= 17 and proto.ir_version == 8
    assert [n.op_type for n in proto.graph.node] == ['Gemm', 'LeakyRelu', 'Gemm', 'LeakyRelu', 'Gemm']
    alpha = [a.f for a in proto.graph.node[1].attribute if a.name == 'alpha']
    assert alpha == [pytest.approx(0.01)]


def test_metadata_says_version_activation_loss_and_layer_sizes():
    model = glassbox.MLP([64, 24, 10], activation='tanh', init='glorot')
    proto = onnx.load_from_string(to_onnx(model, metadata={'glassbox.dataset': 'digits',
                                                          'glassbox.classes': [str(i) for i in range(10)]}))
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta['glassbox.version'] == glassbox.__version__
    assert meta['glassbox.activation'] == 'tanh' and meta['glassbox.loss'] == 'cross_entropy'
    assert meta['glassbox.init'] == 'glorot' and json.loads(meta['glassbox.layer_sizes']) == [64, 24, 10]
    assert meta['glassbox.dataset'] == 'digits' and json.loads(meta['glassbox.classes'])[9] == '9'
    assert proto.producer_name == 'glassbox' and '64-24-10' in proto.doc_string


def test_to_onnx_writes_the_file_it_returns(tmp_path):
    path = tmp_path / 'model.onnx'
    data = to_onnx(glassbox.MLP([2, 4, 2]), str(path))
    assert path.read_bytes() == data


def test_the_export_model_op_answers_a_spec_of_the_run_with_dataset_and_classes(digits):
    session = glassbox.Session()
    handle(session, {'op': 'configure', 'config': {'hidden': [12], 'activation': 'sigmoid'}})
    handle(session, {'op': 'train', 'steps': 30})
    answer = handle(session, {'op': 'export_model'})
    spec = answer['spec']
    assert answer['run'] == 'main'
    assert spec['metadata']['glassbox.dataset'] == 'digits'
    assert json.loads(spec['metadata']['glassbox.classes']) == session.data['class_names']
    assert spec['metadata']['glassbox.step'] == '30'
    X = session.data['X_val']
    assert error(run_onnx(spec_to_bytes(spec), X), session.trainer.model.forward(X)) <= TOLERANCE


def test_export_model_of_a_fork_exports_the_fork():
    session = glassbox.Session()
    handle(session, {'op': 'configure', 'config': {'hidden': [8]}})
    handle(session, {'op': 'fork', 'changes': {'hidden': [5, 3]}, 'id': 'wide'})
    spec = handle(session, {'op': 'export_model', 'run': 'wide'})['spec']
    assert json.loads(spec['metadata']['glassbox.layer_sizes']) == [64, 5, 3, 10]
    assert spec['metadata']['glassbox.run'] == 'wide'
