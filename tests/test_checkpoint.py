"""glassbox.train.checkpoint: a trainer's exact state to bytes and back; the restored run continues
bit for bit as the original does."""
from __future__ import annotations

import numpy as np
import pytest

from glassbox.data import load_dataset
from glassbox.train.checkpoint import load, save, state_from_bytes
from glassbox.train.config import build_trainer, validate_config


@pytest.fixture(scope='module')
def data():
    return load_dataset('digits', seed=0)


@pytest.mark.parametrize('optimizer', ['sgd', 'momentum', 'adam'])
def test_a_restored_run_continues_bit_for_bit(data, optimizer):
    original = build_trainer(validate_config({'hidden': [16, 8], 'optimizer': optimizer, 'lr': 0.01,
                                              'batch_size': 50, 'l2': 0.001}), data)
    original.train(37)  # mid-epoch, optimiser buffers and running metrics built up
    original.snapshot()
    original.train(3)
    blob = save(original)
    assert isinstance(blob, bytes)
    restored = load(data, blob)
    assert restored.step_count == 40
    original.train(55)
    restored.train(55)
    for a, b in zip(original.model.layers, restored.model.layers):
        np.testing.assert_array_equal(a.W, b.W)
        np.testing.assert_array_equal(a.b, b.b)
    sa, sb = original.snapshot(), restored.snapshot()
    assert sa['train'] == sb['train'] and sa['val'] == sb['val']
    assert [l['stats']['update_ratio'] for l in sa['layers']] == [l['stats']['update_ratio'] for l in sb['layers']]


def test_bytes_that_are_not_a_checkpoint_are_named(data):
    with pytest.raises(ValueError, match='not a Glassbox checkpoint'):
        state_from_bytes(b'hello')
    with pytest.raises(ValueError, match='not a Glassbox checkpoint'):
        load(data, b'PK\x03\x04 truncated zip')
