"""Runs: every network the engine trains, each a ``Run``, kept by one ``Session`` (the registry).

A ``Run`` holds its trainer, the settings it was built with, its health monitor
(``monitor.RunHealth``) and every per-run cache the analyses use; nothing else stores state
about a run. 'main' is built by ``configure`` (which drops every other run); forks, roll-backs
and pruned copies add more (at most ``MAX_RUNS``); later, swarm members.

Training a run (``Session.train``) runs the chunk around the monitor's hooks and answers
{'step', 'diverged', 'snapshot', 'run'} plus the monitor's {'summary', 'alerts', 'divergence',
'health_ms'} (monitor/watch.py).
"""
from __future__ import annotations

import math
from typing import Any, Callable, Dict, Optional

import numpy as np

from ..analyses.pruning import evaluate, prune_model
from ..checks import integer, number
from ..data.registry import USER_DATASET, load_dataset
from ..data.user import require_user_data
from ..monitor.replay import Replay
from ..monitor.watch import RunHealth
from ..nn.optimizers import make_optimizer
from ..train.checkpoint import state_from_bytes
from ..train.config import DEFAULT_CONFIG, build_trainer, validate_config
from ..train.limits import check_trainer, restore_kept_state
from ..train.trainer import Trainer

MAX_RUNS = 6
MAX_STEPS_PER_CALL = 100000
NOW_KEYS = ('lr', 'optimizer', 'l2', 'batch_size')  # settings a fork can change mid-run
FORBIDDEN_FORK_KEYS = ('dataset', 'seed')
STARTS = ('now', 'beginning', 'last_finite')


class Run:
    """One network being trained, with everything kept for it."""

    def __init__(self, run_id: str, trainer: Trainer, config: "Dict[str, Any]", origin: "Optional[dict]" = None):
        self.id = run_id
        self.trainer = trainer
        self.config = config
        self.health = RunHealth(origin)
        self.replay = Replay()  # the thinned weight history (monitor/replay.py), one entry per snapshot
        self.caches = {}  # type: Dict[str, Any]
        self.accel_pending = None  # type: Optional[dict]  # a chunk handed to the onnxruntime engine

    @property
    def model(self):
        return self.trainer.model

    def cached(self, name: str, key: "Any", compute: "Callable[[], Any]") -> "Any":
        """The cached value ``name`` if it was computed for ``key``, else ``compute()`` (kept)."""
        entry = self.caches.get(name)
        if entry is None or entry[0] != key:
            entry = (key, compute())
            self.caches[name] = entry
        return entry[1]

    def model_key(self) -> tuple:
        """Changes whenever the weights may have changed (a step, a roll-back, a new model)."""
        model = self.trainer.model
        return (id(model), self.trainer.step_count) + tuple(float(l.W.sum()) + float(l.b.sum()) for l in model.layers)


class Session:
    """The run registry and the data they train on."""

    def __init__(self) -> None:
        self.config = None  # type: Optional[Dict[str, Any]]
        self.data = None  # type: Optional[Dict[str, Any]]
        self.runs = {}  # type: Dict[str, Run]
        self._data_key = None  # type: Optional[tuple]
        self.user_data = None  # type: Optional[Dict[str, Any]]  # the user's own data (data/user.py), once loaded
        self.swarm = None  # type: Any   # swarm.Population: the controller, when this worker keeps it
        self.host = None  # type: Any    # swarm.MemberHost: swarm members trained on this worker
        self.previous = None  # type: Optional[tuple]  # (main Run, data, data key, config) configure replaced

    @property
    def trainer(self) -> "Optional[Trainer]":
        """The main run's trainer (None before ``configure``)."""
        main = self.runs.get('main')
        return main.trainer if main else None

    def run(self, run_id: "Any" = 'main') -> Run:
        """Run ``run_id``; ValueError when there is no model yet or no such run (naming the runs)."""
        if not isinstance(run_id, str):
            raise ValueError('run must be a run id string, got %r' % (run_id,))
        if 'main' not in self.runs:
            raise ValueError('no model yet: send {"op": "configure"} first')
        if run_id not in self.runs:
            raise ValueError('no run %r; runs: %s' % (run_id, ', '.join(sorted(self.runs))))
        return self.runs[run_id]

    def add(self, trainer: Trainer, config: "Dict[str, Any]", run_id: "Optional[str]" = None,
            prefix: str = 'fork', origin: "Optional[dict]" = None) -> Run:
        """Register a new run (id ``run_id``, or the first free ``prefix-N``)."""
        if len(self.runs) >= MAX_RUNS:
            raise ValueError('at most %d runs at once: drop a fork first' % MAX_RUNS)
        check_trainer(trainer, [r.trainer for r in self.runs.values()])  # all runs share the heap
        if run_id is None:
            n = 1
            while '%s-%d' % (prefix, n) in self.runs:
                n += 1
            run_id = '%s-%d' % (prefix, n)
        if not isinstance(run_id, str) or not run_id or len(run_id) > 40 or run_id in self.runs:
            raise ValueError('run id %r is taken or invalid' % (run_id,))
        self.runs[run_id] = Run(run_id, trainer, config, origin)
        return self.runs[run_id]

    def drop(self, run_id: str) -> None:
        if run_id == 'main':
            raise ValueError("the main run cannot be dropped (configure rebuilds it)")
        del self.runs[self.run(run_id).id]

    def configure(self, config: "Dict[str, Any]") -> "Dict[str, Any]":
        """Rebuild 'main' from ``config`` (validated; missing keys take defaults); drops every other run."""
        config = validate_config(config)
        previous = (self.runs['main'], self.data, self._data_key, self.config) if 'main' in self.runs else None
        data_key = (config['dataset'], config['seed'])
        if config['dataset'] == USER_DATASET:  # split once, by load_data's own seed
            data, data_key = require_user_data(self.user_data), (USER_DATASET,)
        else:
            data = self.data if data_key == self._data_key else load_dataset(config['dataset'], seed=config['seed'])
        trainer = build_trainer(config, data)  # before anything is dropped: a refused config loses nothing
        self.data, self._data_key = data, data_key
        self.runs = {}
        main = self.add(trainer, config, 'main')
        self.config = config
        self.previous = previous
        return self.configure_answer(main)

    def undo_configure(self) -> "Dict[str, Any]":
        """Swap 'main' (its exact state, data and settings) with the one the last configure replaced;
        a second call swaps back. Forks the configure dropped stay dropped. Answers as configure."""
        if self.previous is None:
            raise ValueError('nothing to undo: no earlier main run was replaced')
        current = (self.runs['main'], self.data, self._data_key, self.config)
        main, data, data_key, config = self.previous
        self.previous = current
        self.replace(config, data, data_key, {'main': main})
        return self.configure_answer(main)

    def load_data(self, data: "Dict[str, Any]", config: "Dict[str, Any]") -> "Dict[str, Any]":
        """Rebuild 'main' on the user's dataset ``data`` (data/user.py) with ``config`` (its dataset
        becomes 'user'); drops every other run. Built before anything changes: on error nothing has."""
        config = validate_config(dict(config, dataset=USER_DATASET))
        main = Run('main', build_trainer(config, data), config)
        self.user_data = data
        self.replace(config, data, (USER_DATASET,), {'main': main})
        return self.configure_answer(main)

    def configure_answer(self, main: Run) -> "Dict[str, Any]":
        """What 'configure' answers: the settings, the data's description, the snapshot and health."""
        data = self.data
        info = {'layer_sizes': main.model.layer_sizes, 'dataset': data['name'],
                'n_train': int(data['X_train'].shape[0]), 'n_val': int(data['X_val'].shape[0]),
                'image_shape': list(data['image_shape']) if data['image_shape'] else None,
                'class_names': data['class_names'], 'feature_names': data['feature_names']}
        if data.get('user'):
            info['user'] = data['user']
        return self.answer(main, {'config': main.config, 'info': info})

    def adopt(self, blob: bytes, config: "Dict[str, Any]", data_seed: "Any" = 0) -> "Dict[str, Any]":
        """Rebuild 'main' as a swarm member: its exact state (checkpoint bytes) on the swarm's data
        split. The settings keep the member's architecture and hyperparameters; their seed becomes the
        data seed, so a link to them splits the data as the swarm did (the weights come from the state)."""
        data_seed = integer(data_seed, 'data_seed', 0, 2 ** 31 - 1)
        config = validate_config(dict(config, seed=data_seed))
        self.configure(config)
        trainer = Trainer.from_state(self.data, state_from_bytes(blob))
        if trainer.model.layer_sizes != self.trainer.model.layer_sizes:
            raise ValueError('the member state has layers %s but its settings give %s'
                             % (trainer.model.layer_sizes, self.trainer.model.layer_sizes))
        self.runs['main'].trainer = trainer
        result = self.configure_answer(self.runs['main'])
        return result

    @property
    def data_key(self) -> "Optional[tuple]":
        """(dataset, seed) when ``data`` is that registry dataset as ``load_dataset`` makes it, else None."""
        return self._data_key

    def replace(self, config: "Dict[str, Any]", data: "Dict[str, Any]", data_key: "Optional[tuple]",
                runs: "Dict[str, Run]") -> None:
        """Swap in a whole session at once (a loaded run file: protocol/runfile.py)."""
        self.config, self.data, self._data_key, self.runs = config, data, data_key, dict(runs)

    def attach(self, trainer: Trainer, config: "Optional[Dict[str, Any]]" = None) -> Run:
        """Watch a trainer built elsewhere (any data) as the main run; drops every other run."""
        self.data = trainer.data
        self._data_key = None
        self.runs = {}
        self.config = dict(DEFAULT_CONFIG, lr=trainer.lr, **(config or {}))
        return self.add(trainer, self.config, 'main')

    def answer(self, run: Run, result: "Dict[str, Any]", val: "Optional[Dict[str, float]]" = None) -> "Dict[str, Any]":
        """``result`` plus the run's id, a fresh snapshot and what its monitor makes of it (``val``:
        see make_snapshot)."""
        snapshot = run.trainer.snapshot(val)
        result.update(run=run.id, snapshot=snapshot)
        run.replay.record(snapshot)
        result.update(run.health.after_snapshot(run.trainer, snapshot, run.config, run.id))
        return result

    def train(self, steps: "Any", run_id: str = 'main') -> "Dict[str, Any]":
        """``steps`` optimiser steps of one run, one snapshot at the end."""
        run = self.run(run_id)
        steps = integer(steps, 'steps', 1, MAX_STEPS_PER_CALL)
        trainer = run.trainer
        run.health.before_chunk(trainer)
        step = trainer.step_count
        try:
            if steps > 1:
                trainer.train(steps=steps - 1)
            run.health.before_last_step(trainer)
            trainer.train(steps=1)
        except MemoryError as exc:
            exc.restored_step = restore_kept_state(trainer, run.health.checkpoints, step)  # entry.py names it
            run.health.w_before = None
            raise
        return self.chunk_answer(run)

    def chunk_answer(self, run: Run, val: "Optional[Dict[str, float]]" = None) -> "Dict[str, Any]":
        """The answer to a chunk of training, whichever engine trained it: step, snapshot, health."""
        result = self.answer(run, {'step': run.trainer.step_count}, val)
        result.setdefault('diverged', not math.isfinite(result['snapshot']['train']['loss']))
        return result

    def set_lr(self, lr: "Any", run_id: str = 'main') -> "Dict[str, Any]":
        run = self.run(run_id)
        lr = validate_config({'lr': lr})['lr']
        run.trainer.lr = lr
        run.config = dict(run.config, lr=lr)
        if run_id == 'main':
            self.config = run.config
        return {'lr': lr, 'run': run.id}

    # -- runs side by side -------------------------------------------------------------------
    def fork(self, run_id: str, changes: "Any", start: "Optional[str]" = None,
             new_id: "Optional[str]" = None) -> "Dict[str, Any]":
        """A new run from ``run_id`` with ``changes``. start: 'now' continues from the current state
        (optimiser, data order and random state included); only NOW_KEYS can change that way.
        'beginning' builds the changed config from step 0 with the same seed; 'last_finite'
        continues from a diverged run's last finite state. Default: 'now' when the changes allow
        it ('last_finite' for a diverged run), else 'beginning'."""
        parent = self.run(run_id)
        if not isinstance(changes, dict):
            raise ValueError('changes must be an object of settings, got %r' % (changes,))
        bad = [k for k in FORBIDDEN_FORK_KEYS if k in changes and changes[k] != parent.config[k]]
        if bad:
            raise ValueError('a fork trains on the same data: it cannot change %s' % ', '.join(bad))
        config = validate_config(dict(parent.config, **changes))
        only_now = all(k in NOW_KEYS for k in changes)
        if start is None:
            start = ('last_finite' if parent.health.divergence else 'now') if only_now else 'beginning'
        if start not in STARTS:
            raise ValueError("start must be 'now', 'beginning' or 'last_finite', got %r" % (start,))
        if start != 'beginning' and not only_now:
            raise ValueError('only %s can change mid-run; %s need start "beginning"'
                             % (', '.join(NOW_KEYS), ', '.join(k for k in changes if k not in NOW_KEYS)))
        if len(self.runs) >= MAX_RUNS:
            raise ValueError('at most %d runs at once: drop a fork first' % MAX_RUNS)
        if start == 'beginning':
            child = build_trainer(config, self.data)
        else:
            if start == 'last_finite' and parent.health.last_finite is None:
                raise ValueError('run %r has not diverged: there is no last finite state to start from' % run_id)
            source = parent.health.last_finite if start == 'last_finite' else parent.trainer.state_dict()
            child = Trainer.from_state(self.data, source)
            if config['optimizer'] != child.optimizer.name:
                child.optimizer = make_optimizer(config['optimizer'], config['lr'], weight_decay=config['l2'])
            child.lr = config['lr']
            child.optimizer.weight_decay = float(config['l2'])
            child.batch_size = max(1, min(int(config['batch_size']), len(child.X_train)))
        origin = None if start == 'beginning' else parent.health.history.origin
        run = self.add(child, config, new_id, origin=origin)
        return self.answer(run, {'parent': run_id, 'config': config, 'start': start, 'changes': dict(changes),
                                 'step': child.step_count})

    def rollback(self, run_id: str, to: str = 'last_finite') -> "Dict[str, Any]":
        """Send a diverged run back to its last finite state, or to the newest kept healthy one."""
        run = self.run(run_id)
        target = run.health.rollback_target(to, run_id)
        bad = run.health.divergence
        run.trainer.load_state_dict(target)
        run.health.rolled_back(run.trainer.step_count)
        return self.answer(run, {'step': run.trainer.step_count, 'rolled_back_from': bad, 'to': to})

    def prune(self, run_id: str, tolerance: "Any" = 0.01, samples: "Any" = 1000) -> "Dict[str, Any]":
        """A new run 'pruned-N': ``run_id``'s network without its inactive hidden units
        (analyses/pruning.py), same lr and optimiser kind with fresh optimiser state, same data order."""
        parent = self.run(run_id)
        tolerance = number(tolerance, 'tolerance', 0, 1, hi_open=True)
        samples = integer(samples, 'samples', 1, 20000)
        trainer = parent.trainer
        if len(trainer.model.layers) < 2:
            raise ValueError('the network has no hidden layer to prune')
        if len(self.runs) >= MAX_RUNS:
            raise ValueError('at most %d runs at once: drop a fork first' % MAX_RUNS)
        X = trainer.X_train[:samples]
        model, removed = prune_model(trainer.model, X, tolerance)
        before = evaluate(trainer.model, trainer.X_val, trainer.y_val)
        after = evaluate(model, trainer.X_val, trainer.y_val)
        child = Trainer.from_state(self.data, trainer.state_dict())
        child.model = model
        opt = trainer.optimizer
        child.optimizer = make_optimizer(opt.name, opt.lr, weight_decay=opt.weight_decay)
        child.forget_update_reference()
        config = dict(parent.config, hidden=model.layer_sizes[1:-1])
        run = self.add(child, config, prefix='pruned')
        return self.answer(run, {
            'parent': run_id, 'config': config, 'start': 'now', 'changes': {'hidden': config['hidden']},
            'step': child.step_count, 'sizes_before': trainer.model.layer_sizes, 'sizes_after': model.layer_sizes,
            'removed': removed, 'accuracy_before': before['accuracy'], 'accuracy_after': after['accuracy'],
            'loss_before': before['loss'], 'loss_after': after['loss'], 'tolerance': tolerance,
            'samples': int(len(X))})
