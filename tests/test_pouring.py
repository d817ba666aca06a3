"""glassbox.pouring: selectivity (ROC AUC) per neuron, colour categories and saliency."""
from __future__ import annotations

import numpy as np
import pytest

from glassbox.data import load_dataset
from glassbox.nn.model import MLP
from glassbox.analyses.pour import auc_selectivity, class_set, pour, score_gradient
from glassbox.train.trainer import Trainer


@pytest.fixture(scope='module')
def digits_model():
    data = load_dataset('digits', seed=0)
    model = MLP([64, 20, 10], seed=0)
    Trainer(model, data, lr=0.1, seed=0).train(steps=300)
    return model, data


def planted():
    """3 features; class 0 (A) has feature 0 on, class 1 (B) has feature 2 on, both random feature 1.

    Hidden neurons: 0 reads feature 0 (fires only for A), 1 reads feature 1 (both),
    2 reads feature 2 (only B), 3 is dead (weights 0, bias -1).
    """
    rng = np.random.default_rng(0)
    n = 80
    y = np.repeat([0, 1], n).astype(np.int32)
    X = np.zeros((2 * n, 3), np.float32)
    X[:n, 0] = rng.uniform(0.5, 1.0, n)
    X[n:, 2] = rng.uniform(0.5, 1.0, n)
    X[:, 1] = rng.uniform(0.5, 1.0, 2 * n)
    data = {'name': 'planted', 'X_train': X[:0], 'y_train': y[:0], 'X_val': X, 'y_val': y, 'n_classes': 2,
            'class_names': ['A', 'B'], 'image_shape': None, 'feature_names': ['f0', 'f1', 'f2']}
    model = MLP([3, 4, 2], init='zeros')
    W = np.zeros((3, 4), np.float32)
    W[0, 0] = W[1, 1] = W[2, 2] = 1.0
    model.layers[0].W[...] = W
    model.layers[0].b[...] = [0, 0, 0, -1]
    model.layers[1].W[...] = [[1, -1], [0, 0], [-1, 1], [0, 0]]
    return model, data


def test_a_planted_neuron_that_fires_only_for_a_scores_as_blue():
    model, data = planted()
    result = pour(model, data, 0, 1, n=80)
    hidden = result['layers'][0]
    codes = result['category_codes']
    assert list(hidden['category']) == [codes['A'], codes['both'], codes['B'], codes['neither']]
    assert hidden['selectivity'][0] == 1.0 and hidden['selectivity'][2] == -1.0
    assert hidden['selectivity'][3] == 0.0 and abs(hidden['selectivity'][1]) < 0.25
    assert hidden['level_a'][0] > 0.9 and hidden['level_b'][0] == 0.0
    # The output neurons answer their own class.
    assert list(result['layers'][1]['category']) == [codes['A'], codes['B']]
    assert result['accuracy_a'] == 1.0 and result['accuracy_b'] == 1.0


def test_pouring_a_class_against_itself_gives_selectivity_near_zero(digits_model):
    model, data = digits_model
    same = pour(model, data, 3, 3, n=150)
    for layer in same['layers']:
        assert np.max(np.abs(layer['selectivity'])) < 0.25
        assert np.mean(np.abs(layer['selectivity'])) < 0.08
    assert np.abs(same['saliency']).max() == 0.0  # the score z_3 - z_3 is constant
    # When the pool is smaller than n, both sides get the very same samples: exactly zero.
    all_of_them = pour(model, data, [2, 3], [2, 3], n=2000)
    assert all(np.all(layer['selectivity'] == 0) for layer in all_of_them['layers'])


def test_selectivity_is_the_roc_auc_of_scikit_learn(digits_model):
    from sklearn.metrics import roc_auc_score
    model, data = digits_model
    result = pour(model, data, 0, [6, 8], n=120)
    assert result['a'] == [0] and result['b'] == [6, 8] and result['n_a'] == result['n_b'] == 120
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(40, 5)), rng.normal(0.5, 1, size=(30, 5))
    A[:, 4], B[:, 4] = 1.0, 1.0  # all ties
    labels = np.r_[np.ones(40), np.zeros(30)]
    expected = [2 * roc_auc_score(labels, np.r_[A[:, j], B[:, j]]) - 1 for j in range(5)]
    assert np.allclose(auc_selectivity(A, B), expected)
    for layer in result['layers']:
        assert np.all(layer['hist_a'].sum(axis=1) == 120) and np.all(layer['hist_b'].sum(axis=1) == 120)
        assert layer['edges'].shape == (layer['hist_a'].shape[0], 21)


def test_saliency_agrees_with_finite_differences_on_a_tiny_network():
    rng = np.random.default_rng(1)
    model = MLP([5, 4, 3, 3], activation='tanh', seed=2).astype(np.float64)
    X = rng.uniform(0, 1, (6, 5))
    data = {'name': 'tiny', 'X_train': X[:0], 'y_train': np.zeros(0, np.int32), 'X_val': X,
            'y_val': np.array([0, 0, 0, 1, 2, 2], np.int32), 'n_classes': 3, 'class_names': ['a', 'b', 'c'],
            'image_shape': None, 'feature_names': list('abcde')}

    def score(x):
        a = x
        for layer in model.layers:
            a = layer.activation.forward(a @ layer.W + layer.b)
        return a[:, 0] - np.log(np.exp(a[:, 1]) + np.exp(a[:, 2]))
    grad = score_gradient(model, X, [0], [1, 2])
    h, numeric = 1e-6, np.zeros_like(X)
    for k in range(5):
        step = np.zeros(5)
        step[k] = h
        numeric[:, k] = (score(X + step) - score(X - step)) / (2 * h)
    assert np.allclose(grad, numeric, atol=1e-7)
    result = pour(model, data, 0, [1, 2], n=10)
    assert np.allclose(result['saliency'], (numeric * X).mean(axis=0), atol=1e-6)


@pytest.mark.parametrize('spec, word', [([], 'a'), ('3,x', 'a'), (10, 'a'), ([1.5], 'a'), (True, 'a')])
def test_bad_class_sets_are_named(spec, word):
    with pytest.raises(ValueError, match=word):
        class_set(spec, 10, 'a')


def test_class_sets_accept_numbers_lists_and_text():
    assert class_set('8, 3,3', 10, 'a') == [3, 8] and class_set(4, 10, 'a') == [4] and class_set([2.0], 10, 'a') == [2]
