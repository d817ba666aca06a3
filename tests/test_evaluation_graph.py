"""interop/evaluation_graph.py: the graph the onnxruntime engine runs for a snapshot's validation
metrics gives what Trainer.evaluate gives (CPython onnxruntime against numpy)."""
from __future__ import annotations

import numpy as np
import pytest

import glassbox
from glassbox.interop.codec import spec_to_bytes
from glassbox.interop.evaluation_graph import evaluation_spec

ort = pytest.importorskip('onnxruntime')


@pytest.mark.parametrize('loss', ['cross_entropy', 'mse'])
def test_the_evaluation_graph_gives_what_trainer_evaluate_gives(loss):
    data = glassbox.load_dataset('digits', seed=0)
    model = glassbox.MLP([64, 24, 10], activation='tanh', loss=loss, seed=3)
    trainer = glassbox.Trainer(model, data, lr=0.1)
    trainer.train(30)
    graph = ort.InferenceSession(spec_to_bytes(evaluation_spec(model)), providers=['CPUExecutionProvider'])
    feeds = {'%s%d' % (k, l): p[k] for l, p in enumerate(model.params()) for k in ('W', 'b')}
    feeds.update(x=trainer.X_val, y=np.eye(10, dtype=np.float32)[trainer.y_val])
    loss_sum, correct = graph.run(['loss_sum', 'correct'], feeds)
    expected = trainer.evaluate('val')
    assert float(loss_sum) / len(trainer.X_val) == pytest.approx(expected['loss'], rel=1e-5)
    assert float(correct) / len(trainer.X_val) == expected['accuracy']


def test_a_sigmoid_output_is_refused_by_name():
    model = glassbox.MLP([4, 3, 2], output_activation='sigmoid')
    with pytest.raises(ValueError, match='logits out'):
        evaluation_spec(model)
