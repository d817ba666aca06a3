"""The engine's side of the worker boundary: one training session driven by JSON requests.

The browser worker (``site/js/worker.js``) calls ``handle(request_json)`` and gets back one
packed buffer (``glassbox.wire``). This module holds no browser code, so CPython tests
drive it exactly as the worker does. Requests (``op`` names the operation)::

    {'op': 'runtime'}                      -> {'python', 'numpy', 'platform'}
    {'op': 'configure', 'config': {...}}   -> {'config', 'info', 'snapshot'}
    {'op': 'train', 'steps': n, 'run'?}    -> {'step', 'diverged', 'snapshot', 'run', ...}
    {'op': 'set_lr', 'lr': x}              -> {'lr'}
    {'op': 'snapshot'}                     -> {'snapshot'}
    {'op': 'evaluate'}                     -> {'train': {...}, 'val': {...}}

``config`` keys and defaults are ``DEFAULT_CONFIG``; the page's URL schema
(``site/js/url-state.js``) uses the same names. Bad values raise ``ValueError`` naming the key.

Runs: ``session.runs`` maps a run id to its Trainer; ``configure`` builds 'main' (also
``session.trainer``) and drops every other run; forks (glassbox.runs: 'fork', 'rollback',
'drop_run') add more, each with its settings in ``session.run_configs``. 'train' takes an
optional ``run`` (default 'main'). Objects in ``MONITORS`` watch every chunk: before_chunk,
before_last_step (session, run, trainer) and after_snapshot (session, run, trainer, snapshot)
-> dict merged into the 'train' / 'configure' answer (the health monitor adds 'summary',
'alerts', 'divergence', 'health_ms').
"""
from __future__ import annotations

import json
import math
import platform
import sys

import numpy as np

from .datasets import DATASETS, load_dataset
from .model import MLP
from .trainer import Trainer
from .wire import pack

MAX_HIDDEN_LAYERS = 8
MAX_WIDTH = 1024
# Every engine setting: the page's URL schema is built from these rows (protocol/tables.py).
CONFIG_FIELDS = (
    {'key': 'dataset', 'type': 'enum', 'default': 'digits', 'options': list(DATASETS), 'label': 'Dataset'},
    {'key': 'hidden', 'type': 'intlist', 'default': [32], 'min': 1, 'max': MAX_WIDTH,
     'maxLength': MAX_HIDDEN_LAYERS, 'label': 'Hidden layers'},
    {'key': 'activation', 'type': 'enum', 'default': 'relu',
     'options': ['relu', 'leaky_relu', 'tanh', 'sigmoid', 'linear'], 'label': 'Activation'},
    {'key': 'init', 'type': 'enum', 'default': 'he', 'options': ['he', 'glorot', 'small_uniform', 'zeros'],
     'label': 'Initialiser'},
    {'key': 'optimizer', 'type': 'enum', 'default': 'sgd', 'options': ['sgd', 'momentum', 'adam'], 'label': 'Optimiser'},
    {'key': 'lr', 'type': 'number', 'default': 0.1, 'min': 1e-6, 'max': 10, 'label': 'Learning rate'},
    {'key': 'batch_size', 'type': 'int', 'default': 32, 'min': 1, 'max': 4096, 'label': 'Batch size'},
    {'key': 'seed', 'type': 'int', 'default': 0, 'min': 0, 'max': 2 ** 31 - 1, 'label': 'Seed'},
    {'key': 'l2', 'type': 'number', 'default': 0.0, 'min': 0, 'max': 1, 'label': 'L2'},
    {'key': 'bias_init', 'type': 'number', 'default': 0.0, 'min': -10, 'max': 10, 'label': 'Bias initialisation'},
)
DEFAULT_CONFIG = {row['key']: row['default'] for row in CONFIG_FIELDS}
CHOICES = {row['key']: tuple(row['options']) for row in CONFIG_FIELDS if row['type'] == 'enum'}


def validate_config(config: dict) -> dict:
    """Return a complete, checked config: missing keys take defaults, bad values raise ValueError."""
    unknown = sorted(set(config) - set(DEFAULT_CONFIG))
    if unknown:
        raise ValueError('unknown config key(s): %s' % ', '.join(unknown))
    out = dict(DEFAULT_CONFIG)
    out.update(config)
    for key, options in CHOICES.items():
        if out[key] not in options:
            raise ValueError('%s must be one of %s, got %r' % (key, ', '.join(options), out[key]))
    hidden = out['hidden']
    if not isinstance(hidden, (list, tuple)) or len(hidden) > MAX_HIDDEN_LAYERS \
            or not all(isinstance(h, int) and 1 <= h <= MAX_WIDTH for h in hidden):
        raise ValueError('hidden must be a list of at most %d layer widths between 1 and %d, got %r'
                         % (MAX_HIDDEN_LAYERS, MAX_WIDTH, hidden))
    out['hidden'] = [int(h) for h in hidden]
    lr = out['lr']
    if not isinstance(lr, (int, float)) or not (0 < lr <= 10) or not math.isfinite(lr):
        raise ValueError('lr must be a number in (0, 10], got %r' % (lr,))
    if not isinstance(out['batch_size'], int) or not 1 <= out['batch_size'] <= 4096:
        raise ValueError('batch_size must be an integer from 1 to 4096, got %r' % (out['batch_size'],))
    if not isinstance(out['seed'], int) or not 0 <= out['seed'] < 2 ** 31:
        raise ValueError('seed must be an integer from 0 to 2^31-1, got %r' % (out['seed'],))
    if not isinstance(out['l2'], (int, float)) or not 0 <= out['l2'] <= 1:
        raise ValueError('l2 must be a number from 0 to 1, got %r' % (out['l2'],))
    bias = out['bias_init']
    if isinstance(bias, bool) or not isinstance(bias, (int, float)) or not -10 <= bias <= 10:
        raise ValueError('bias_init must be a number from -10 to 10, got %r' % (bias,))
    out['bias_init'] = float(bias)
    return out


class Session:
    """Runs (model + trainer each): 'main' rebuilt by ``configure``; all advanced by ``train``."""

    def __init__(self):
        self.config = None
        self.data = None
        self.runs = {}         # run id -> Trainer ('main' is self.trainer)
        self.run_configs = {}  # run id -> the validated config it was built with
        self._data_key = None

    @property
    def trainer(self):
        return self.runs.get('main')

    @trainer.setter
    def trainer(self, value):
        if value is None:
            self.runs.pop('main', None)
        else:
            self.runs['main'] = value

    def build_trainer(self, config: dict) -> Trainer:
        """A fresh Trainer for a validated ``config`` on the current data (same seed -> same run)."""
        n_in = self.data['X_train'].shape[1]
        sizes = [n_in] + config['hidden'] + [self.data['n_classes']]
        model = MLP(sizes, activation=config['activation'], init=config['init'], seed=config['seed'],
                    bias_init=config['bias_init'])
        return Trainer(model, self.data, optimizer=config['optimizer'], lr=config['lr'],
                       batch_size=config['batch_size'], seed=config['seed'], weight_decay=config['l2'])

    def configure(self, config: dict) -> dict:
        config = validate_config(config)
        data_key = (config['dataset'], config['seed'])
        if data_key != self._data_key:
            self.data = load_dataset(config['dataset'], seed=config['seed'])
            self._data_key = data_key
        sizes = [self.data['X_train'].shape[1]] + config['hidden'] + [self.data['n_classes']]
        self.runs = {}
        self.trainer = self.build_trainer(config)
        self.run_configs = {'main': config}
        self.config = config
        info = {'layer_sizes': sizes, 'dataset': self.data['name'],
                'n_train': int(self.data['X_train'].shape[0]), 'n_val': int(self.data['X_val'].shape[0]),
                'image_shape': list(self.data['image_shape']) if self.data['image_shape'] else None,
                'class_names': self.data['class_names'], 'feature_names': self.data['feature_names']}
        snapshot = self.trainer.snapshot()
        result = {'config': config, 'info': info, 'snapshot': snapshot, 'run': 'main'}
        return self.watch_snapshot('main', self.trainer, snapshot, result)

    def _require_trainer(self) -> Trainer:
        if self.trainer is None:
            raise ValueError('no model yet: send {"op": "configure"} first')
        return self.trainer

    def get_trainer(self, run: str = 'main') -> Trainer:
        """The Trainer of run ``run``; ValueError names the runs there are."""
        self._require_trainer()
        if run not in self.runs:
            raise ValueError('no run %r; runs: %s' % (run, ', '.join(sorted(self.runs))))
        return self.runs[run]

    def watch_snapshot(self, run: str, trainer: Trainer, snapshot: dict, result: dict) -> dict:
        """Let the MONITORS see a new snapshot of ``run``; their dicts are merged into ``result``."""
        for monitor in MONITORS:
            result.update(monitor.after_snapshot(self, run, trainer, snapshot) or {})
        return result

    def train(self, steps: int, run: str = 'main') -> dict:
        trainer = self.get_trainer(run)
        if not isinstance(steps, int) or not 1 <= steps <= 100000:
            raise ValueError('steps must be an integer from 1 to 100000, got %r' % (steps,))
        for monitor in MONITORS:
            monitor.before_chunk(self, run, trainer)
        if steps > 1:
            trainer.train(steps=steps - 1)
        for monitor in MONITORS:
            monitor.before_last_step(self, run, trainer)
        trainer.train(steps=1)
        snapshot = trainer.snapshot()
        diverged = not math.isfinite(snapshot['train']['loss'])
        result = {'step': trainer.step_count, 'diverged': diverged, 'snapshot': snapshot, 'run': run}
        return self.watch_snapshot(run, trainer, snapshot, result)

    def set_lr(self, lr) -> dict:
        trainer = self._require_trainer()
        validate_config({'lr': lr})
        trainer.lr = float(lr)
        self.config['lr'] = float(lr)
        return {'lr': float(lr)}

    def handle(self, request: dict) -> dict:
        op = request.get('op')
        if op not in OPS:
            raise ValueError('unknown op %r; known: %s' % (op, ', '.join(sorted(OPS))))
        return OPS[op](self, request)


# op name -> function(session, request) -> dict. Feature modules add their own ops with
# ``register_op`` (imported at the bottom of this file), so this dispatcher never changes.
OPS = {}
# Training monitors (see the module docstring); glassbox.runs adds the health monitor.
MONITORS = []


def register_op(name: str):
    """Decorator: make ``fn(session, request) -> dict`` answer requests ``{'op': name, ...}``."""
    def decorate(fn):
        if name in OPS:
            raise ValueError('op %r is registered twice' % name)
        OPS[name] = fn
        return fn
    return decorate


register_op('runtime')(lambda session, request: runtime_info())
register_op('configure')(lambda session, request: session.configure(request.get('config') or {}))
register_op('train')(lambda session, request: session.train(request.get('steps', 1), request.get('run', 'main')))
register_op('set_lr')(lambda session, request: session.set_lr(request.get('lr')))
register_op('snapshot')(lambda session, request: {'snapshot': session._require_trainer().snapshot()})


@register_op('evaluate')
def _evaluate(session, request):
    trainer = session._require_trainer()
    return {'train': trainer.evaluate(split='train'), 'val': trainer.evaluate()}


def runtime_info() -> dict:
    """Versions of Python, numpy and of the optional packages already imported (else None)."""
    loaded = {name: getattr(sys.modules.get(module), '__version__', None)
              for name, module in (('scipy', 'scipy'), ('sklearn', 'sklearn'))}
    return dict({'python': platform.python_version(), 'numpy': np.__version__,
                 'platform': sys.platform}, **loaded)


_session = Session()


def handle(request_json: str) -> np.ndarray:
    """Worker entry point: JSON request in, packed ``{'ok': True, 'value': ...}`` out.

    Errors come back as ``{'ok': False, 'error': message, 'kind': exception class}`` so the page
    can show them; the session stays usable.
    """
    try:
        request = json.loads(request_json)
        return pack({'ok': True, 'value': _session.handle(request)})
    except Exception as exc:  # the page shows every failure; none may kill the worker
        import traceback
        return pack({'ok': False, 'error': str(exc), 'kind': type(exc).__name__,
                     'traceback': traceback.format_exc(limit=6)})


def register_data(file_name: str, blob) -> int:
    """Worker entry point: hand over a packed dataset file's bytes; returns their length.

    ``blob`` is bytes, a memoryview, or a Pyodide JsProxy of a Uint8Array (``to_py``).
    """
    from .datasets import register_packed
    if hasattr(blob, 'to_py'):
        blob = blob.to_py()
    data = bytes(blob)
    register_packed(str(file_name), data)
    return len(data)


from . import probing, pouring, perturb, projection, plane  # noqa: E402,F401  (inputs feature ops)
from . import module_ops  # noqa: E402,F401  (functional modules ops)
from . import runs  # noqa: E402,F401  (health feature: runs, forks, health monitor, pruning)
