"""glassbox.analyses.morph and .inputs: morph paths and single-input classification, against a plain numpy forward pass."""
from __future__ import annotations

import json

import numpy as np
import pytest

from glassbox.analyses.inputs import class_ranking, resolve_input
from glassbox.analyses.morph import morph, shortest_chain
from glassbox.protocol import Session, entry, handle_request
from glassbox.protocol.wire import unpack


@pytest.fixture(scope='module')
def trained():
    s = Session()
    s.configure({'dataset': 'digits', 'hidden': [24, 12], 'seed': 3})
    s.train(300)
    return s


def numpy_forward(model, X):
    """Independent forward pass: list of activations per layer (last = logits)."""
    a, out = np.asarray(X, np.float64), []
    for layer in model.layers:
        z = a @ layer.W.astype(np.float64) + layer.b
        a = {'relu': lambda v: np.maximum(v, 0), 'linear': lambda v: v}[layer.activation_name](z)
        out.append(a)
    return out


@pytest.mark.parametrize('path', ['pixel', 'real'])
def test_morph_endpoints_equal_classifying_each_endpoint_alone(trained, path):
    result = handle_request(trained, {'op': 'morph', 'from': {'class': 5}, 'to': {'class': 6}, 'steps': 50, 'path': path})
    for row, end in ((0, 'from'), (-1, 'to')):
        alone = handle_request(trained, {'op': 'classify_input', 'input': {'index': result[end]['index']}})
        assert result['pred'][row] == alone['pred']
        assert np.array_equal(result['probs'][row], alone['probs'])  # bit for bit
        assert np.array_equal(result['logits'][row], alone['logits'])
        for acts, acts_alone in zip(result['acts'], alone['acts']):
            assert np.array_equal(acts[row], acts_alone)
    assert result['from']['label'] == 5 and result['to']['label'] == 6


def test_pixel_morph_is_a_monotone_blend_and_its_outputs_match_numpy(trained):
    result = handle_request(trained, {'op': 'morph', 'from': {'class': 3}, 'to': {'index': 7}, 'steps': 21})
    t, x = result['t'].astype(np.float64), result['x'].astype(np.float64)
    assert t[0] == 0 and t[-1] == 1 and np.all(np.diff(t) > 0)
    x_a, x_b = x[0], x[-1]
    assert np.allclose(x, (1 - t[:, None]) * x_a + t[:, None] * x_b, atol=1e-6)
    from_a = np.linalg.norm(x - x_a, axis=1)
    assert np.all(np.diff(from_a) > 0) and np.all(np.diff(np.linalg.norm(x - x_b, axis=1)) < 0)
    reference = numpy_forward(trained.trainer.model, x)
    for acts, ref in zip(result['acts'], reference):
        assert np.allclose(acts, ref, atol=1e-4)
    assert np.array_equal(result['pred'], np.argmax(reference[-1], axis=1))
    flips = [(f['step'], f['from'], f['to']) for f in result['flips']]
    expected = [(s, result['pred'][s - 1], result['pred'][s]) for s in range(1, 21) if result['pred'][s] != result['pred'][s - 1]]
    assert flips == expected


def test_real_morph_walks_through_real_digits_of_the_two_classes(trained):
    data = trained.data
    result = handle_request(trained, {'op': 'morph', 'from': {'class': 1}, 'to': {'class': 7}, 'steps': 60, 'path': 'real'})
    chain, chain_t = result['chain'], result['chain_t']
    assert chain[0] == -1 and chain[-1] == -1 and len(chain) >= 3
    assert set(data['y_val'][chain[1:-1]]) <= {1, 7}
    assert chain_t[0] == 0 and chain_t[-1] == 1 and np.all(np.diff(chain_t) > 0)
    assert np.all(np.diff(result['t']) > 0)
    # Each step lies on the segment between two consecutive chain samples, found by t.
    nodes = np.concatenate([result['x'][:1], data['X_val'][chain[1:-1]], result['x'][-1:]]).astype(np.float64)
    for t, x in zip(result['t'], result['x']):
        k = min(np.searchsorted(chain_t, t, side='right') - 1, len(nodes) - 2)
        u = (t - chain_t[k]) / (chain_t[k + 1] - chain_t[k])
        assert np.allclose(x, (1 - u) * nodes[k] + u * nodes[k + 1], atol=1e-4)


def test_a_drawn_input_can_be_an_endpoint(trained):
    drawn = np.zeros(64)
    drawn[[3, 4, 11, 12, 19, 20, 27, 28, 35, 36]] = 1.0
    result = handle_request(trained, {'op': 'morph', 'from': {'x': drawn.tolist()}, 'to': {'class': 0}, 'steps': 10, 'path': 'real'})
    alone = handle_request(trained, {'op': 'classify_input', 'input': {'x': drawn.tolist()}})
    assert np.array_equal(result['probs'][0], alone['probs']) and result['from']['label'] is None
    assert np.array_equal(result['x'][0], drawn.astype(np.float32))


def test_shortest_chain_follows_points_along_a_line():
    t = np.linspace(0, 1, 12)
    wobble = 0.02 * np.sin(np.arange(12))
    nodes = np.stack([t, wobble], axis=1)[[0, 5, 2, 9, 1, 7, 3, 10, 4, 6, 8, 11]]
    chain = shortest_chain(nodes, k=3)
    assert np.all(np.diff(nodes[chain, 0]) > 0) and len(chain) == 12


def test_class_ranking_puts_the_sample_nearest_the_class_mean_first(trained):
    data = trained.data
    ranked = class_ranking(data, 4)
    X = data['X_val'][ranked].astype(np.float64)
    d = np.linalg.norm(X - X.mean(axis=0), axis=1)
    assert np.all(np.diff(d) >= -1e-9)
    assert resolve_input(data, {'class': 4, 'nth': 2})['index'] == ranked[2]


@pytest.mark.parametrize('request_, word', [
    ({'op': 'morph', 'steps': 1}, 'steps'),
    ({'op': 'morph', 'path': 'teleport'}, 'path'),
    ({'op': 'morph', 'from': {'x': [0.5] * 63}}, 'from.x'),
    ({'op': 'morph', 'from': {'x': [0.5] * 63 + [float('nan')]}}, 'from.x[63]'),
    ({'op': 'morph', 'from': {'class': 12}}, 'from.class'),
    ({'op': 'classify_input', 'input': {'index': 10 ** 6}}, 'input.index'),
    ({'op': 'classify_input', 'input': 'seven'}, 'input'),
])
def test_bad_requests_get_a_message_naming_the_problem(trained, request_, word, monkeypatch):
    monkeypatch.setattr(entry, 'SESSION', trained)
    reply = unpack(entry.handle(json.dumps(request_)))
    assert reply['ok'] is False and word in reply['error'], reply
