"""glassbox.swarm.breeding: a child of two parents is a valid network that inherits and trains."""
from __future__ import annotations

import math

import numpy as np
import pytest

from glassbox.data import load_dataset
from glassbox.swarm.breeding import crossover, inherit
from glassbox.train.config import build_trainer, validate_config


@pytest.fixture(scope='module')
def data():
    return load_dataset('digits', seed=0)


def trained(data, **kw):
    trainer = build_trainer(validate_config(kw), data)
    trainer.train(150)
    return trainer


def test_a_child_takes_each_choice_from_a_parent_and_the_geometric_mean_lr():
    a = validate_config({'hidden': [32, 16], 'lr': 0.4, 'l2': 0.002, 'optimizer': 'adam'})
    b = validate_config({'hidden': [8], 'lr': 0.1, 'l2': 0.0, 'activation': 'tanh'})
    for seed in range(30):
        child = crossover(a, b, np.random.default_rng(seed), seed)
        assert len(child['hidden']) in (1, 2)
        assert child['hidden'][0] in (32, 8)
        if len(child['hidden']) == 2:
            assert child['hidden'][1] == 16  # only parent a has a second layer
        assert math.isclose(child['lr'], 0.2) and math.isclose(child['l2'], 0.001)
        assert child['activation'] in ('relu', 'tanh') and child['optimizer'] in ('adam', 'sgd')
        assert child['seed'] == seed


def test_a_child_inherits_blocks_from_the_wider_parent_and_keeps_fresh_weights_elsewhere(data):
    wide = trained(data, hidden=[32], seed=1)
    narrow = trained(data, hidden=[8, 8], seed=2)
    child = build_trainer(validate_config({'hidden': [16, 12], 'seed': 3}), data)
    fresh = [layer.W.copy() for layer in child.model.layers]
    inherit(child.model, [wide.model, narrow.model])
    W0, W1, W2 = (layer.W for layer in child.model.layers)
    np.testing.assert_array_equal(W0, wide.model.layers[0].W[:, :16])   # 32 > 8 units: from the wider
    np.testing.assert_array_equal(W1[:8, :8], narrow.model.layers[1].W)  # only one parent has layer 2
    np.testing.assert_array_equal(W1[8:, :], fresh[1][8:, :])            # fresh where the donor has nothing
    np.testing.assert_array_equal(W1[:, 8:], fresh[1][:, 8:])
    np.testing.assert_array_equal(W2, wide.model.layers[1].W[:12, :])  # output layers tie on units: parent a


def test_a_bred_child_is_a_valid_network_that_trains(data):
    a = trained(data, hidden=[32], seed=1, lr=0.1)
    b = trained(data, hidden=[16, 16], seed=2, lr=0.05)
    config = crossover(validate_config({'hidden': [32], 'lr': 0.1}),
                       validate_config({'hidden': [16, 16], 'lr': 0.05}), np.random.default_rng(0), 9)
    child = build_trainer(config, data)
    inherit(child.model, [a.model, b.model])
    before = child.evaluate()['loss']
    child.train(300)
    after = child.evaluate()
    assert math.isfinite(after['loss']) and after['loss'] < before and after['accuracy'] > 0.85
