"""The engine's side of the worker boundary: one training session driven by JSON requests.

The browser worker (``site/js/worker.js``) calls ``handle(request_json)`` and gets back one
packed buffer (``glassbox.wire``). This module holds no browser code, so CPython tests
drive it exactly as the worker does. Requests (``op`` names the operation)::

    {'op': 'runtime'}                      -> {'python', 'numpy', 'platform'}
    {'op': 'configure', 'config': {...}}   -> {'config', 'info', 'snapshot'}
    {'op': 'train', 'steps': n}            -> {'step', 'diverged', 'snapshot'}
    {'op': 'set_lr', 'lr': x}              -> {'lr'}
    {'op': 'snapshot'}                     -> {'snapshot'}
    {'op': 'evaluate'}                     -> {'train': {...}, 'val': {...}}

``config`` keys and defaults are ``DEFAULT_CONFIG``; the page's URL schema
(``site/js/url-state.js``) uses the same names. Bad values raise ``ValueError`` naming the key.
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

DEFAULT_CONFIG = {
    'dataset': 'digits', 'hidden': [32], 'activation': 'relu', 'init': 'he',
    'optimizer': 'sgd', 'lr': 0.1, 'batch_size': 32, 'seed': 0, 'l2': 0.0,
}
CHOICES = {
    'dataset': DATASETS,
    'activation': ('relu', 'leaky_relu', 'tanh', 'sigmoid', 'linear'),
    'init': ('he', 'glorot', 'small_uniform', 'zeros'),
    'optimizer': ('sgd', 'momentum', 'adam'),
}
MAX_HIDDEN_LAYERS = 8
MAX_WIDTH = 1024


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
    return out


class Session:
    """One model + trainer, rebuilt by ``configure`` and advanced by ``train``."""

    def __init__(self):
        self.config = None
        self.data = None
        self.trainer = None
        self._data_key = None

    def configure(self, config: dict) -> dict:
        config = validate_config(config)
        data_key = (config['dataset'], config['seed'])
        if data_key != self._data_key:
            self.data = load_dataset(config['dataset'], seed=config['seed'])
            self._data_key = data_key
        n_in = self.data['X_train'].shape[1]
        sizes = [n_in] + config['hidden'] + [self.data['n_classes']]
        model = MLP(sizes, activation=config['activation'], init=config['init'], seed=config['seed'])
        self.trainer = Trainer(model, self.data, optimizer=config['optimizer'], lr=config['lr'],
                               batch_size=config['batch_size'], seed=config['seed'],
                               weight_decay=config['l2'])
        self.config = config
        info = {'layer_sizes': sizes, 'dataset': self.data['name'],
                'n_train': int(self.data['X_train'].shape[0]), 'n_val': int(self.data['X_val'].shape[0]),
                'image_shape': list(self.data['image_shape']) if self.data['image_shape'] else None,
                'class_names': self.data['class_names'], 'feature_names': self.data['feature_names']}
        return {'config': config, 'info': info, 'snapshot': self.trainer.snapshot()}

    def _require_trainer(self) -> Trainer:
        if self.trainer is None:
            raise ValueError('no model yet: send {"op": "configure"} first')
        return self.trainer

    def train(self, steps: int) -> dict:
        trainer = self._require_trainer()
        if not isinstance(steps, int) or not 1 <= steps <= 100000:
            raise ValueError('steps must be an integer from 1 to 100000, got %r' % (steps,))
        trainer.train(steps=steps)
        snapshot = trainer.snapshot()
        diverged = not math.isfinite(snapshot['train']['loss'])
        return {'step': trainer.step_count, 'diverged': diverged, 'snapshot': snapshot}

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
register_op('train')(lambda session, request: session.train(request.get('steps', 1)))
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
