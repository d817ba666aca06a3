"""Test helpers: onnxruntime sessions of specs (CPython only), encoded by the engine's codec.

``python3 tests/onnx_helpers.py`` prints the training graph's throughput against the numpy Trainer.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'py'))
from glassbox.interop.codec import spec_to_bytes  # noqa: E402


def session(spec, threads: int = 1, check: bool = True):
    """A CPU onnxruntime InferenceSession of ``spec`` (checked by onnx.checker first)."""
    import onnx
    import onnxruntime as ort
    data = spec_to_bytes(spec)
    if check:
        onnx.checker.check_model(onnx.load_from_string(data), full_check=True)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(data, options, providers=['CPUExecutionProvider'])


def count_nodes(spec) -> int:
    """Nodes of the graph, a Loop's body counted in."""
    return sum(1 + sum(count_nodes(v) for v in n['attrs'].values() if isinstance(v, dict)) for n in spec['nodes'])


def benchmark(sizes=(784, 128, 64, 10), batch=64, optimizer='sgd', rounds=15, steps_per_round=40):
    """Samples/s of the numpy Trainer and of the graph with steps=1 and steps=20, onnxruntime on one
    thread: the engines take turns, ``steps_per_round`` steps each, and each reports its best round
    (the machine may be shared). Weights and buffers evolve as in training."""
    from glassbox.nn.model import MLP
    from glassbox.train.trainer import Trainer
    from glassbox.interop import training_graph as tg
    rng = np.random.default_rng(0)
    data = {'X_train': rng.random((4096, sizes[0]), dtype=np.float32), 'y_train': rng.integers(0, sizes[-1], 4096),
            'X_val': rng.random((64, sizes[0]), dtype=np.float32), 'y_val': rng.integers(0, sizes[-1], 64),
            'n_classes': sizes[-1]}

    def trainer():
        return Trainer(MLP(list(sizes), seed=0), data, optimizer=optimizer, lr=0.01, batch_size=batch, seed=0)

    runs = {'numpy Trainer.step': trainer().step}
    for steps in (1, 20):
        t = trainer()
        spec = tg.training_spec(t.model, t.optimizer, steps=steps)
        sess = session(spec, threads=1)
        feeds = tg.training_feeds(t)
        names = [o.name[:-len('.next')] for o in sess.get_outputs()][:-2]
        x, y = tg.one_hot_batches(t, t.plan_batches(steps))
        feeds.update(x=x, y=y)

        def call(sess=sess, feeds=feeds, names=names):
            feeds.update(zip(names, sess.run(None, feeds)[:-2]))
        runs['onnx steps=%d (%d nodes)' % (steps, count_nodes(spec))] = (call, steps)
    best = {}
    for _ in range(rounds):
        for name, run in runs.items():
            fn, per_call = run if isinstance(run, tuple) else (run, 1)
            start = time.perf_counter()
            for _ in range(max(1, steps_per_round // per_call)):
                fn()
            per_step = (time.perf_counter() - start) / (max(1, steps_per_round // per_call) * per_call)
            best[name] = min(best.get(name, float('inf')), per_step)
    return {name: batch / per_step for name, per_step in best.items()}


if __name__ == '__main__':
    for opt in sys.argv[1:] or ['sgd', 'adam']:
        for name, value in benchmark(optimizer=opt).items():
            print('%-8s %-28s %8.0f samples/s  %6.0f us/step' % (opt, name, value, 64e6 / value))
