"""glassbox.perturb: one edited parameter against a plain numpy forward pass; exact restore; the
robustness interval checked on the true forward pass and against a dense scan."""
from __future__ import annotations

import math

import numpy as np
import pytest

from glassbox.data import load_dataset
from glassbox.nn.model import MLP
from glassbox.analyses.perturb import perturb
from glassbox.protocol import Session, handle_request
from glassbox.train.trainer import Trainer


@pytest.fixture(scope='module')
def trained():
    s = Session()
    s.configure({'dataset': 'digits', 'hidden': [16, 12], 'seed': 5})
    s.train(250)
    return s


def numpy_logits(model, X, edit=None):
    """Independent forward pass in float64 with parameters copied and one of them replaced."""
    params = [(layer.W.astype(np.float64), layer.b.astype(np.float64), layer.activation) for layer in model.layers]
    silence = None
    if edit:
        W, b, _ = params[edit['layer']]
        if edit['kind'] == 'weight':
            W[edit['i'], edit['j']] = edit['value']
        else:
            b[edit['j']] = edit['value']
        silence = (edit['layer'], edit['j']) if edit.get('silence') else None
    a = np.asarray(X, np.float64)
    for l, (W, b, act) in enumerate(params):
        a = act.forward(a @ W + b)
        if silence and silence[0] == l:
            a[:, silence[1]] = 0
    return a


def params_bytes(model):
    return [(layer.W.tobytes(), layer.b.tobytes()) for layer in model.layers]


@pytest.mark.parametrize('target', [
    {'layer': 0, 'kind': 'weight', 'i': 36, 'j': 3}, {'layer': 1, 'kind': 'weight', 'i': 2, 'j': 5},
    {'layer': 2, 'kind': 'weight', 'i': 4, 'j': 7}, {'layer': 1, 'kind': 'bias', 'j': 0},
    {'layer': 2, 'kind': 'bias', 'j': 9}])
def test_perturbing_by_delta_changes_the_logits_as_a_numpy_forward_pass_predicts(trained, target):
    model, data = trained.trainer.model, trained.data
    original = (model.layers[target['layer']].W[target['i'], target['j']] if target['kind'] == 'weight'
                else model.layers[target['layer']].b[target['j']])
    for delta in (-2.5, 0.7, 4.0):
        value = float(np.float32(original + delta))
        result = handle_request(trained, {'op': 'perturb', 'target': target, 'value': value, 'input': {'index': 11}})
        x = data['X_val'][11:12]
        expected = numpy_logits(model, x, dict(target, value=value))[0]
        assert np.allclose(result['perturbed']['logits'], expected, atol=2e-4)
        change = result['perturbed']['logits'] - result['original']['logits']
        assert np.allclose(change, expected - numpy_logits(model, x)[0], atol=2e-4)
        accuracy = np.mean(np.argmax(numpy_logits(model, data['X_val'], dict(target, value=value)), axis=1) == data['y_val'])
        assert result['val_accuracy']['perturbed'] == pytest.approx(accuracy, abs=1.5 / len(data['y_val']))


def test_silencing_a_neuron_matches_numpy_and_reset_restores_bit_for_bit(trained):
    model, data = trained.trainer.model, trained.data
    before = params_bytes(model)
    clean = handle_request(trained, {'op': 'classify_input', 'input': {'index': 4}})
    target = {'layer': 0, 'kind': 'bias', 'j': 2}
    silenced = handle_request(trained, {'op': 'perturb', 'target': target, 'silence': True, 'input': {'index': 4}})
    expected = numpy_logits(model, data['X_val'][4:5], dict(target, value=float(model.layers[0].b[2]), silence=True))
    assert np.allclose(silenced['perturbed']['logits'], expected[0], atol=1e-4)
    for value in (3.0, -7.5, 0.25):
        handle_request(trained, {'op': 'perturb', 'target': {'layer': 1, 'kind': 'weight', 'i': 1, 'j': 1}, 'value': value})
    assert params_bytes(model) == before  # the live model was never written to
    reset = handle_request(trained, {'op': 'perturb', 'target': target, 'input': {'index': 4}})  # trained value, no silence
    assert np.array_equal(reset['perturbed']['logits'], clean['logits'])
    assert np.array_equal(reset['perturbed']['probs'], clean['probs'])
    assert reset['val_accuracy']['perturbed'] == reset['val_accuracy']['original']


def check_interval(model, data, target, index, result):
    """The prediction holds just inside (lo, hi), and changes just outside finite ends."""
    x = data['X_val'][index:index + 1]
    robust = result['robustness']
    pred = robust['pred']
    scan = np.linspace(max(robust['lo'], -60.0), min(robust['hi'], 60.0), 801)[1:-1]
    for value in scan:
        assert np.argmax(numpy_logits(model, x, dict(target, value=value))[0]) == pred
    for end, new_class, sign in ((robust['lo'], robust['lo_class'], -1), (robust['hi'], robust['hi_class'], 1)):
        if not math.isfinite(end):
            continue
        eps = 1e-5 * max(1.0, abs(end))
        assert np.argmax(numpy_logits(model, x, dict(target, value=end - sign * eps))[0]) == pred
        assert np.argmax(numpy_logits(model, x, dict(target, value=end + sign * eps))[0]) == new_class != pred


def test_robustness_of_a_relu_network_is_exact(trained):
    model, data = trained.trainer.model, trained.data
    finite = 0
    for index, target in [(0, {'layer': 0, 'kind': 'weight', 'i': 20, 'j': 1}), (1, {'layer': 1, 'kind': 'bias', 'j': 3}),
                          (2, {'layer': 2, 'kind': 'weight', 'i': 0, 'j': 2}), (3, {'layer': 1, 'kind': 'weight', 'i': 3, 'j': 6}),
                          (5, {'layer': 0, 'kind': 'bias', 'j': 7}), (6, {'layer': 2, 'kind': 'bias', 'j': 4})]:
        result = handle_request(trained, {'op': 'perturb', 'target': target, 'input': {'index': index}})
        assert result['robustness']['method'] in ('exact walk', 'no effect')
        check_interval(model, data, target, index, result)
        finite += math.isfinite(result['robustness']['lo']) + math.isfinite(result['robustness']['hi'])
    assert finite >= 4


def test_robustness_of_a_tanh_network_uses_scan_and_bisection():
    data = load_dataset('digits', seed=1)
    model = MLP([64, 10, 10], activation='tanh', init='glorot', seed=1)
    Trainer(model, data, lr=0.2, seed=1).train(steps=150)
    target = {'layer': 0, 'kind': 'bias', 'j': 4}
    result = perturb(model, data, target, input_spec={'index': 9})
    assert result['robustness']['method'] == 'scan + bisection'
    check_interval(model, data, target, 9, result)


def test_a_weight_whose_input_is_zero_has_no_effect(trained):
    data = trained.data
    index = int(np.flatnonzero(data['X_val'][:, 0] == 0)[0])  # pixel (0, 0) is blank in most digits
    result = handle_request(trained, {'op': 'perturb', 'target': {'layer': 0, 'kind': 'weight', 'i': 0, 'j': 0},
                             'value': 50.0, 'input': {'index': index}})
    assert result['robustness']['method'] == 'no effect' and result['robustness']['hi'] == math.inf
    assert np.array_equal(result['perturbed']['logits'], result['original']['logits'])


@pytest.mark.parametrize('request_, word', [
    ({'target': {'layer': 7, 'kind': 'weight', 'i': 0, 'j': 0}}, 'target.layer'),
    ({'target': {'layer': 0, 'kind': 'weight', 'i': 64, 'j': 0}}, 'target.i'),
    ({'target': {'layer': 0, 'kind': 'gain', 'j': 0}}, 'target.kind'),
    ({'target': {'layer': 0, 'kind': 'bias', 'j': 0}, 'value': float('nan')}, 'value'),
    ({'target': {'layer': 2, 'kind': 'bias', 'j': 0}, 'silence': True}, 'silenced'),
    ({'target': None}, 'target'),
])
def test_bad_perturbations_are_named(trained, request_, word):
    with pytest.raises(ValueError, match=word):
        handle_request(trained, dict({'op': 'perturb'}, **request_))


def test_the_logit_curve_is_the_network_along_the_value_and_shows_the_current_value(trained):
    model, data = trained.trainer.model, trained.data
    target = {'layer': 1, 'kind': 'weight', 'i': 2, 'j': 5}
    result = handle_request(trained, {'op': 'perturb', 'target': target, 'value': 40.0, 'input': {'index': 8}})
    values, curve = result['curve']['values'], result['curve']['logits']
    lo, hi = result['target']['range']
    assert lo <= result['target']['original'] <= hi and lo <= 40.0 <= hi
    assert np.all(np.diff(values) > 0) and values[0] == pytest.approx(lo) and values[-1] == pytest.approx(hi, rel=1e-6)
    for k in (0, 80, 160):
        expected = numpy_logits(model, data['X_val'][8:9], dict(target, value=float(values[k])))[0]
        assert np.allclose(curve[k], expected, atol=1e-3)
