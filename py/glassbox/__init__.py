"""Glassbox engine: small MLPs in pure numpy, built to be watched while they learn.

Runs unchanged in CPython and in Pyodide (Python 3.8 + numpy 1.17 and newer). Sub-packages
import one way: nn <- data / train <- monitor / analyses <- protocol (ARCHITECTURE.md). Public API::

    data = glassbox.load_dataset('digits', seed=0)
    model = glassbox.MLP([64, 32, 10], activation='relu', init='he', seed=0)
    trainer = glassbox.Trainer(model, data, optimizer='sgd', lr=0.1, batch_size=32, seed=0)
    trainer.train(steps=500); trainer.evaluate(); trainer.snapshot()
    glassbox.trace(model, X, y)          # every layer's pre-activations, activations, gradients
    glassbox.run_swarm(glassbox.Population(size=8, space='digits', rounds=10))   # a swarm, in-process
    glassbox.to_onnx(model, 'model.onnx'); glassbox.from_onnx('model.onnx')    # ONNX out and in (CPython + onnx)
    glassbox.save_run(session_or_trainer, 'run.zip'); session = glassbox.load_run('run.zip')  # run files

The snapshot schema is written down once, in ``glassbox.train.snapshot``; the ops the worker
answers are listed once, in ``glassbox.protocol.ops``.
"""
from __future__ import annotations

from .data import DATASETS, TOY_SETS, load_dataset, load_idx, read_idx
from .data import USER_LIMITS, user_dataset, user_idx  # the user's own data
from .interop import from_onnx, to_onnx
from .monitor import PRESETS, RunHealth, detect, summarize
from .nn import (ACTIVATIONS, INITIALIZERS, LOSSES, MLP, OPTIMIZERS, Dense, get_activation, make_optimizer,
                 matmul, set_matmul_backend, trace)
from .protocol import OPS, Session, handle_request, shared_tables
from .protocol.runfile import load_run, save_run
from .swarm import SPACES, LocalExecutor, MemberHost, Population, run_swarm
from .train import (CONFIG_FIELDS, DEFAULT_CONFIG, Trainer, build_trainer, get_limits, load_checkpoint, make_snapshot,
                    save_checkpoint, set_limits, validate_config)

__version__ = '0.2.0'

__all__ = ['ACTIVATIONS', 'CONFIG_FIELDS', 'DATASETS', 'DEFAULT_CONFIG', 'Dense', 'INITIALIZERS', 'LOSSES', 'MLP',
           'LocalExecutor', 'MemberHost', 'OPS', 'OPTIMIZERS', 'PRESETS', 'Population', 'RunHealth', 'SPACES',
           'Session', 'TOY_SETS', 'Trainer', 'build_trainer', 'detect', 'from_onnx',
           'get_activation', 'get_limits', 'handle_request', 'load_checkpoint', 'load_dataset', 'load_idx', 'load_run',
           'make_optimizer', 'make_snapshot', 'matmul', 'read_idx', 'run_swarm', 'save_checkpoint', 'save_run',
           'set_limits', 'set_matmul_backend', 'shared_tables',
           'summarize', 'to_onnx', 'trace', 'validate_config']
__all__ += ['USER_LIMITS', 'user_dataset', 'user_idx']
