"""glassbox.swarm.host: members train, are measured, and copy each other's exact state."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score

from glassbox.swarm.host import MemberHost, macro_f1
from glassbox.train.config import validate_config


@pytest.fixture
def host():
    return MemberHost(data_seed=0)


def test_macro_f1_matches_scikit_learn():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 5, 300)
    pred = np.where(rng.random(300) < 0.7, y, rng.integers(0, 5, 300))
    pred[pred == 4] = 3  # a class never predicted
    assert np.isclose(macro_f1(pred, y, 5), f1_score(y, pred, average='macro'))


def test_a_measurement_has_every_field_of_the_stream_and_honest_figures(host):
    host.create('m0', {'hidden': [4], 'lr': 0.1})
    m = host.train('m0', 50)
    assert m['step'] == 50 and m['allocated'] == 50 and m['loss']['count'] == 50
    assert set(m['metrics']) == {'val_accuracy', 'val_loss', 'macro_f1', 'train_accuracy', 'gap'}
    assert np.isclose(m['metrics']['val_accuracy'], host.member('m0').trainer.evaluate()['accuracy'])
    assert m['architecture'] == {'sizes': [64, 4, 10], 'activation': 'relu', 'init': 'he', 'params': 64 * 4 + 4 + 4 * 10 + 10}
    assert m['resources']['bytes'] == 4 * m['architecture']['params']  # float32, SGD keeps no buffers
    assert m['resources']['ms_per_step'] > 0 and m['resources']['samples_per_s'] > 0
    small, = [l for l in m['layers'] if l['layer'] == 1]
    assert len(small['values']) == 40 and 'values' not in m['layers'][0]  # 256 weights > 64
    assert len(m['predictions']) == 256


def test_a_member_that_blows_up_is_flagged_diverged(host):
    host.create('hot', {'hidden': [32], 'lr': 10.0, 'activation': 'linear'})
    flags = set()
    for _ in range(5):
        flags |= set(host.train('hot', 40)['flags'])
    assert 'diverged' in flags


@pytest.mark.parametrize('optimizer', ['sgd', 'momentum', 'adam'])
def test_exploit_copies_weights_and_optimiser_state_bit_for_bit(host, optimizer):
    config = validate_config({'hidden': [16], 'optimizer': optimizer, 'lr': 0.01, 'seed': 1})
    host.create('top', config)
    host.create('low', dict(config, seed=2))
    host.train('top', 77)
    host.train('low', 10)
    host.load('low', host.state('top'), config)
    top, low = host.member('top').trainer, host.member('low').trainer
    for a, b in zip(top.model.params(), low.model.params()):
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])
    sa, sb = top.optimizer.state_dict(), low.optimizer.state_dict()
    assert sa.keys() == sb.keys()
    assert repr(sa) == repr(sb)  # every buffer and counter, as printed to full precision
    host.train('top', 25)
    host.train('low', 25)  # the same next batches and updates
    for a, b in zip(top.model.params(), low.model.params()):
        np.testing.assert_array_equal(a['W'], b['W'])


def test_exploit_with_new_hyperparameters_applies_them(host):
    host.create('a', {'hidden': [8], 'lr': 0.1, 'batch_size': 32})
    host.train('a', 5)
    host.create('b', {'hidden': [8]})
    host.load('b', host.state('a'), validate_config({'hidden': [8], 'lr': 0.12, 'batch_size': 16, 'l2': 0.001}))
    m = host.train('b', 1)
    assert m['hyperparameters'] == {'optimizer': 'sgd', 'lr': 0.12, 'batch_size': 16, 'l2': 0.001}
    assert m['step'] == 6


def test_an_unknown_member_is_named(host):
    with pytest.raises(ValueError, match="no swarm member 'ghost'"):
        host.train('ghost', 1)
