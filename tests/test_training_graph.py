"""The training-step graph (interop/training_graph.py) under CPython onnxruntime (CPU, one thread).

Tolerances (float32 graph against the float32 numpy engine, same weights, SAME batches from
Trainer.plan_batches): over 200 steps on digits (64-32-16-10, batch 32) every step's loss agrees to
LOSS_RTOL relative and the final parameters to PARAM_ATOL absolute; the Loop (steps=K) equals K
single steps to LOOP_ATOL; one step agrees with torch autograd + torch.optim in float64 (an
independent answer) to TORCH_RTOL relative of each tensor's largest entry.
"""
from __future__ import annotations

import ast

import numpy as np
import pytest

import glassbox
from glassbox.interop import training_graph as tg
from glassbox.nn.model import MLP
from glassbox.train.trainer import Trainer
from onnx_helpers import count_nodes, session

LOSS_RTOL = 1e-4
PARAM_ATOL = 1e-4
LOOP_ATOL = 1e-6
TORCH_RTOL = 1e-5
ACTIVATIONS = ('relu', 'leaky_relu', 'tanh', 'sigmoid', 'linear')
LR = {'sgd': 0.1, 'momentum': 0.05, 'adam': 0.003}


@pytest.fixture(scope='module')
def digits():
    return glassbox.load_dataset('digits')


def make_trainer(data, sizes=(64, 32, 16, 10), activation='relu', optimizer='sgd', wd=0.0, loss='cross_entropy',
                 batch_size=32, seed=0):
    model = MLP(list(sizes), activation=activation, seed=seed, loss=loss)
    lr = LR[optimizer] / (10 if (activation, loss) == ('linear', 'mse') else 1)  # a linear net under mse diverges
    return Trainer(model, data, optimizer=optimizer, lr=lr, batch_size=batch_size, seed=seed,
                   weight_decay=wd)


def onnx_steps(trainer, sess, steps, per_call=1):
    """Train ``steps`` steps through the graph, ``per_call`` batches per call (equal lengths only);
    returns the losses."""
    losses = []
    while len(losses) < steps:
        batches = trainer.plan_batches(min(per_call, steps - len(losses)))
        groups = [[batches[0]]]
        for b in batches[1:]:
            (groups[-1].append(b) if len(b) == len(groups[-1][0]) else groups.append([b]))
        for group in groups:
            x, y = tg.one_hot_batches(trainer, group)
            feeds = tg.training_feeds(trainer)
            feeds.update(x=x, y=y)
            out = sess.run(None, feeds)
            tg.adopt_training_outputs(trainer, out, group)
            losses.extend(out[-2].tolist())
    return np.array(losses)


def max_param_diff(a, b):
    return max(float(np.abs(pa[k] - pb[k]).max()) for pa, pb in zip(a.model.params(), b.model.params())
               for k in ('W', 'b'))


@pytest.mark.parametrize('loss', ['cross_entropy', 'mse'])
@pytest.mark.parametrize('wd', [0.0, 1e-3])
@pytest.mark.parametrize('optimizer', ['sgd', 'momentum', 'adam'])
@pytest.mark.parametrize('activation', ACTIVATIONS)
def test_graph_follows_numpy_for_200_steps(digits, activation, optimizer, wd, loss):
    numpy_run = make_trainer(digits, activation=activation, optimizer=optimizer, wd=wd, loss=loss)
    graph_run = make_trainer(digits, activation=activation, optimizer=optimizer, wd=wd, loss=loss)
    sess = session(tg.training_spec(graph_run.model, graph_run.optimizer))
    expected = np.array([numpy_run.step() for _ in range(200)])
    got = onnx_steps(graph_run, sess, 200)
    assert np.all(np.isfinite(expected))
    np.testing.assert_allclose(got, expected, rtol=LOSS_RTOL, atol=0)
    assert max_param_diff(numpy_run, graph_run) < PARAM_ATOL
    assert graph_run.step_count == numpy_run.step_count == 200
