"""THE ops table: every request the engine answers, with its arguments, in one place.

A request is a JSON object ``{'op': name, 'run'?: run id (default 'main'), ...arguments}``;
``handle`` checks that the op exists and that every argument is one the op takes (ValueError
names the stranger and the arguments there are), then calls the op. Ops that touch a network
take ``run`` and work on that run; analyses are called with that run's model and the session's
data and return plain dicts (arrays stay numpy; ``wire.pack`` sends them). Each row:
``name: (function(session, run_id, request) -> dict, {argument: meaning}, summary)``.
README.md's op list is checked against this table by tests/test_protocol.py.
"""
from __future__ import annotations

import platform
import sys
from typing import Any, Callable, Dict, Tuple

import numpy as np

from ..analyses import module_report, morph, perturb, plane, pour, projection
from ..analyses.inputs import classify, public, resolve_input
from ..monitor import detectors
from ..nn.trace import trace
from .model_ops import MODEL_OPS
from .run_ops import RUN_OPS
from .runs import Session
from .accel_ops import ACCEL_OPS
from .data_ops import DATA_OPS
from .swarm_ops import SWARM_OPS


def runtime_info() -> dict:
    """Versions of Python, numpy and of the optional packages already imported (else None)."""
    loaded = {name: getattr(sys.modules.get(module), '__version__', None)
              for name, module in (('scipy', 'scipy'), ('sklearn', 'sklearn'))}
    return dict({'python': platform.python_version(), 'numpy': np.__version__,
                 'platform': sys.platform}, **loaded)


def _configure(session: Session, run: str, request: dict) -> dict:
    if run != 'main':
        raise ValueError("configure rebuilds the main run (and drops the others); run must be 'main'")
    return session.configure(request.get('config') or {})


def _evaluate(session: Session, run: str, request: dict) -> dict:
    trainer = session.run(run).trainer
    return {'train': trainer.evaluate(split='train'), 'val': trainer.evaluate(), 'run': run}


def _perturb(session: Session, run: str, request: dict) -> dict:
    r = session.run(run)
    cache = r.cached('perturb', r.model_key(), lambda: trace(r.model, session.data['X_val']))
    return perturb.perturb(r.model, session.data, request.get('target'), request.get('value'),
                           request.get('silence', False), request.get('input'), cache=cache)


def _project(session: Session, run: str, request: dict) -> dict:
    r = session.run(run)
    cache = r.caches.setdefault('projection', {})
    return projection.project(r.model, session.data, request.get('layer', 1),
                              request.get('method', 'pca'), request.get('n', 1000),
                              bool(request.get('with_inputs', False)), cache)


def _modules(session: Session, run: str, request: dict) -> dict:
    r = session.run(run)
    options = {k: v for k, v in request.items() if k not in ('op', 'run')}
    memory = r.caches.setdefault('modules', module_report.new_memory())
    return module_report.find_modules(r.model, session.data, options, memory, r.trainer.step_count)


def _modules_compare(session: Session, run: str, request: dict) -> dict:
    r = session.run(run)
    options = {k: v for k, v in request.items() if k not in ('op', 'run')}
    memory = r.caches.setdefault('modules', module_report.new_memory())
    return module_report.compare_modules(r.model, session.data, options, memory)


def _runs(session: Session, run: str, request: dict) -> dict:
    session.run('main')
    return {'runs': {r.id: {'step': r.trainer.step_count, 'config': r.config, 'diverged': bool(r.health.divergence)}
                     for r in session.runs.values()}}


def _health_history(session: Session, run: str, request: dict) -> dict:
    since = request.get('since', -1)
    if isinstance(since, bool) or not isinstance(since, int):
        raise ValueError('since must be a step number, got %r' % (since,))
    return {'summaries': [s for s in session.run(run).health.history.items if s['step'] > since]}


def _drop_run(session: Session, run: str, request: dict) -> dict:
    session.drop(run)
    return {'runs': sorted(session.runs)}


def _model(session: Session, run: str):
    return session.run(run).model


Handler = Callable[[Session, str, dict], dict]
# name -> (handler, {argument: meaning}, summary). 'run' is implied for every op.
OPS = {
    'runtime': (lambda s, run, r: runtime_info(), {}, 'Versions of Python, numpy, scipy, scikit-learn.'),
    'configure': (_configure, {'config': 'settings (train.config.CONFIG_FIELDS); missing keys take defaults'},
                  "Build the main run from settings; drops every other run."),
    'undo_configure': (lambda s, run, r: s.undo_configure(), {},
                       'Bring back the main run the last configure replaced (swap; again = redo).'),
    'train': (lambda s, run, r: s.train(r.get('steps', 1), run), {'steps': 'optimiser steps (1..100000)'},
              'Train one run, answer its snapshot and health.'),
    'set_lr': (lambda s, run, r: s.set_lr(r.get('lr'), run), {'lr': 'new learning rate'},
               'Change the learning rate without resetting.'),
    'snapshot': (lambda s, run, r: {'snapshot': s.run(run).trainer.snapshot(), 'run': run}, {},
                 'A fresh snapshot (train/snapshot.py).'),
    'evaluate': (_evaluate, {}, 'Loss and accuracy over the whole training and validation sets.'),
    'morph': (lambda s, run, r: morph.morph(_model(s, run), s.data, r.get('from', {'class': 0}), r.get('to', {'class': 1}),
                                            r.get('steps', 50), r.get('path', 'pixel')),
              {'from': 'input spec', 'to': 'input spec', 'steps': 'path steps (2..200)', 'path': "'pixel' | 'real'"},
              'Outputs and activations along a path from one input to another.'),
    'classify_input': (lambda s, run, r: classify(_model(s, run), s.data, r.get('input')), {'input': 'input spec'},
                       'Outputs and activations for one input.'),
    'get_input': (lambda s, run, r: (lambda x: {'x': x['x'], 'input': public(x)})(resolve_input(s.data, r.get('input'))),
                  {'input': 'input spec'}, 'The vector an input spec names (no forward pass).'),
    'pour': (lambda s, run, r: pour.pour(_model(s, run), s.data, r.get('a', 0), r.get('b', 1), r.get('n', 200), r.get('seed', 0)),
             {'a': 'class set (blue)', 'b': 'class set (red)', 'n': 'samples per set', 'seed': 'sample draw'},
             'Per-neuron selectivity between two sets of classes, and saliency.'),
    'perturb': (_perturb, {'target': '{layer, kind, i?, j}', 'value': 'new value (default: trained)',
                           'silence': 'force the neuron to 0', 'input': 'input spec'},
                'Edit one parameter: outputs, accuracy, robustness interval, logit curve.'),
    'project': (_project, {'layer': 'column (0 = input)', 'method': "'pca' | 'tsne'", 'n': 'validation samples',
                           'with_inputs': 'also send the inputs as bytes'},
                'A layer\'s activations projected to 2-D.'),
    'input_plane': (lambda s, run, r: plane.input_plane(_model(s, run), s.data, r.get('grid', 64), r.get('neuron_grid', 24),
                                                        r.get('points', 400)),
                    {'grid': 'decision grid size', 'neuron_grid': 'per-neuron grid size', 'points': 'data points'},
                    'Decision and every neuron over the plane of a 2-D dataset.'),
    'modules': (_modules, {'layer': "hidden column or 'all'", 'method': 'kmeans | agglomerative | nmf',
                           'k': "'auto' or 1..32", 'similarity': 'coactivation | dependence', 'split': "'val' | 'train'",
                           'n': 'probe samples', 'seed': 'clustering seed', 'metrics': 'ablation + read-out',
                           'heatmaps': 'input heatmaps'},
                'Functional modules of hidden layers, ranked by gradient significance.'),
    'modules_compare': (_modules_compare, {'layer': 'hidden column', 'a': '{method, k, similarity}',
                                           'b': '{method, k, similarity}', 'split': "'val' | 'train'",
                                           'n': 'probe samples'},
                        'Two decompositions of one layer side by side (adjusted Rand index).'),
    'fork': (lambda s, run, r: s.fork(run, r.get('changes') or {}, r.get('start'), r.get('id')),
             {'changes': 'settings to change', 'start': "'now' | 'beginning' | 'last_finite'", 'id': 'new run id'},
             'A new run from this one with changed settings.'),
    'rollback': (lambda s, run, r: s.rollback(run, r.get('to', 'last_finite')), {'to': "'last_finite' | 'healthy'"},
                 'Send a diverged run back to a finite or healthy state.'),
    'prune': (lambda s, run, r: s.prune(run, r.get('tolerance', 0.01), r.get('samples', 1000)),
              {'tolerance': 'activation range counted as inactive', 'samples': 'training rows looked at'},
              'A new run without the inactive hidden units.'),
    'drop_run': (_drop_run, {}, 'Forget a run (not main).'),
    'runs': (_runs, {}, 'Every run: step, settings, diverged.'),
    'health': (lambda s, run, r: (lambda h: {'alerts': h.alerts, 'divergence': h.divergence, 'rules': detectors.RULES})(
        s.run(run).health),
               {}, 'Current alerts, divergence and the detectors\' rules.'),
    'health_history': (_health_history, {'since': 'only summaries after this step'}, 'The run\'s summaries.'),
    **SWARM_OPS,  # swarm controller and member host (swarm_ops.py)
    **ACCEL_OPS,  # the onnxruntime engine's chunks (accel_ops.py)
    **MODEL_OPS,  # ONNX graph specs out and in (model_ops.py)
    **RUN_OPS,  # run files out and in, replay (run_ops.py)
    **DATA_OPS,  # the user's own data (data_ops.py)
}  # type: Dict[str, Tuple[Handler, Dict[str, str], str]]

COMMON_ARGS = ('op', 'run')


def handle(session: Session, request: "Any") -> dict:
    """Answer one request (module docstring)."""
    if not isinstance(request, dict):
        raise ValueError('a request must be an object like {"op": "train"}, got %r' % (request,))
    op = request.get('op')
    if op not in OPS:
        raise ValueError('unknown op %r; known: %s' % (op, ', '.join(sorted(OPS))))
    handler, args, _ = OPS[op]
    strangers = sorted(k for k in request if k not in args and k not in COMMON_ARGS)
    if strangers:
        raise ValueError('op %r takes no argument %s; it takes: %s' % (
            op, ', '.join(map(repr, strangers)), ', '.join(('run',) + tuple(args))))
    run = request.get('run', 'main')
    if not isinstance(run, str):
        raise ValueError('run must be a run id string, got %r' % (run,))
    return handler(session, run, request)
