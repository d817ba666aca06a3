"""Runs side by side, the health monitor, divergence handling and their engine ops.

The monitor (``HealthMonitor``, installed in ``session.MONITORS``) watches every training chunk
of every run: before the chunk it keeps the trainer's state if it is finite (the roll-back
point), before the chunk's last step it copies each W (for the per-step update ratio), and after
the snapshot it appends a summary (history.py) and runs the detectors (health.py).  It adds to
every 'train' / 'configure' / 'fork' / 'rollback' answer::

    'summary':    the snapshot's summary (history.py)
    'alerts':     health.detect(...) for this run, each with 'since' = the first step of the
                  current unbroken streak of that alert id
    'divergence': None, or {'step': the optimiser step that first produced NaN/Inf,
                  'layer': network column where it showed first, 'what': 'pre-activations' |
                  'activations' | 'loss' | 'gradients' | 'weights', 'last_finite_step',
                  'healthy_step': newest kept state from before the trouble, or None}
    'health_ms':  wall time the monitor spent on this chunk (copies, summary, detectors)

The monitor also sets each summary layer's 'drift' = ||W_t - W_t'|| / ||W_t|| where t' is the
previous measurement, at least DRIFT_STEPS (100) steps earlier (nan until the first), and
'drift_step' = t.  The page calls a layer *settled* from the first step after which its drift
stays below SETTLED_DRIFT (1 %).

Ops (all take an optional 'run', default 'main')::

    {'op': 'fork', 'changes': {...}, 'start'?: 'now'|'beginning'|'last_finite', 'id'?}
        -> {'run', 'config', 'start', 'step', 'snapshot', 'summary', 'alerts', ...}
        'now' continues from the run's current state (its optimiser, data order and random
        state included) with the changes applied; only lr, optimizer, l2 and batch_size can
        change that way.  'beginning' builds the changed config from step 0 with the same seed;
        'last_finite' continues from a diverged run's last finite state.  Default: 'now' when
        the changes allow it ('last_finite' for a diverged run), else 'beginning'.
    {'op': 'rollback', 'to'?: 'last_finite' | 'healthy'}   a diverged run goes back to its last
        finite state, or to the newest kept state without a diverged / exploding / lr_too_high
        alert (the last MAX_CHECKPOINTS chunk starts are kept) -> like 'fork'
    {'op': 'drop_run'}        forget a fork (not 'main') -> {'runs'}
    {'op': 'runs'}            -> {'runs': {id: {'step', 'config', 'diverged'}}}
    {'op': 'health'}          -> {'alerts', 'divergence', 'rules'}
    {'op': 'health_history', 'since'?: step} -> {'summaries': [...] with step > since}
"""
from __future__ import annotations

import time
from typing import Any, Dict, List, Optional

import numpy as np

from . import health
from .history import History, summarize
from .model import MLP
from .optimizers import make_optimizer
from .session import MONITORS, register_op, validate_config
from .trainer import Trainer

NOW_KEYS = ('lr', 'optimizer', 'l2', 'batch_size')
MAX_CHECKPOINTS = 8
# 'drift' = ||W_t - W_t'|| / ||W_t|| over the last >= DRIFT_STEPS steps (t' = the previous
# measurement); a layer counts as settled while its drift stays < SETTLED_DRIFT.
DRIFT_STEPS = 100
SETTLED_DRIFT = 0.01
UNHEALTHY = ('diverged', 'exploding_gradients', 'lr_too_high')
FORBIDDEN_FORK_KEYS = ('dataset', 'seed')
MAX_RUNS = 6


def trainer_from_state(data: dict, state: dict) -> Trainer:
    """A Trainer on ``data`` that continues exactly from ``state`` (a Trainer.state_dict())."""
    trainer = Trainer(MLP.from_dict(state['model']), data, optimizer='sgd', lr=0.1, probe_size=0)
    trainer.load_state_dict(state)
    return trainer


def _all_finite(trainer: Trainer) -> bool:
    return all(np.isfinite(layer.W).all() and np.isfinite(layer.b).all() for layer in trainer.model.layers)


def _first_nonfinite(trainer: Trainer, loss: float) -> "Optional[Dict[str, Any]]":
    """Where the last step first produced NaN/Inf, in execution order: forward, loss, backward, update."""
    layers = trainer.model.layers
    for l, layer in enumerate(layers):
        for what, array in (('pre-activations', layer.z), ('activations', layer.a)):
            if array is not None and not np.isfinite(array).all():
                return {'layer': l + 1, 'what': what}
    if not np.isfinite(loss):
        return {'layer': len(layers), 'what': 'loss'}
    for l in range(len(layers) - 1, -1, -1):
        grads = layers[l].grads
        if any(not np.isfinite(g).all() for g in grads.values()):
            return {'layer': l + 1, 'what': 'gradients'}
    for l, layer in enumerate(layers):
        if not (np.isfinite(layer.W).all() and np.isfinite(layer.b).all()):
            return {'layer': l + 1, 'what': 'weights'}
    return None


def locate_divergence(data: dict, checkpoint: dict, max_steps: int = 100000) -> "Optional[Dict[str, Any]]":
    """Replay from a finite ``checkpoint`` one step at a time to the first non-finite step: one
    whose training pass or update makes NaN/Inf, or after which the validation loss is not finite.

    Returns {'step', 'layer', 'what', 'last_finite_step', 'state': the state before that step}
    or None if ``max_steps`` steps stay finite.  Two replays (find, then rebuild the state)
    avoid copying the state at every step.
    """
    trainer = trainer_from_state(data, checkpoint)
    with np.errstate(all='ignore'):
        for _ in range(max_steps):
            loss = trainer.step()
            where = _first_nonfinite(trainer, loss)
            if where is None and not np.isfinite(trainer.evaluate('val')['loss']):
                where = {'layer': len(trainer.model.layers), 'what': 'validation outputs'}
            if where is not None:
                bad = trainer.step_count
                replay = trainer_from_state(data, checkpoint)
                if bad - 1 > replay.step_count:
                    replay.train(steps=bad - 1 - replay.step_count)
                where.update(step=bad, last_finite_step=bad - 1, state=replay.state_dict())
                return where
    return None


class RunHealth:
    """What the monitor keeps for one run."""

    def __init__(self, trainer: Trainer, origin: "Optional[dict]" = None) -> None:
        self.trainer = trainer
        self.history = History(origin)
        # (state_dict, healthy) kept before each of the last MAX_CHECKPOINTS chunks, newest last;
        # healthy = no diverged / exploding / lr_too_high alert at the snapshot before it.
        self.checkpoints = []  # type: List[Any]
        self.w_before = None  # type: Optional[List[np.ndarray]]
        self.divergence = None  # type: Optional[dict]
        self.last_finite = None  # type: Optional[dict]
        self.since = {}  # type: Dict[str, int]
        self.w_ref = None  # type: Optional[List[np.ndarray]]  (W at w_ref_step, for the drift)
        self.w_ref_step = 0
        self.drift = None  # type: Optional[List[float]]
        self.alerts = []  # type: List[dict]
        self.spent = 0.0


class HealthMonitor:
    """Session monitor (see session.py): summaries, detectors and roll-back points per run."""

    def state(self, session: "Any", run: str, trainer: Trainer) -> RunHealth:
        table = session.__dict__.setdefault('_health', {})
        for gone in [r for r in table if r not in session.runs]:
            del table[gone]
        if run not in table or table[run].trainer is not trainer:
            table[run] = RunHealth(trainer)
        return table[run]

    def before_chunk(self, session: "Any", run: str, trainer: Trainer) -> None:
        t0 = time.perf_counter()
        state = self.state(session, run, trainer)
        if state.divergence is None and _all_finite(trainer):
            healthy = not any(a['kind'] in UNHEALTHY for a in state.alerts)
            state.checkpoints = (state.checkpoints + [(trainer.state_dict(), healthy)])[-MAX_CHECKPOINTS:]
        state.spent = time.perf_counter() - t0

    def before_last_step(self, session: "Any", run: str, trainer: Trainer) -> None:
        t0 = time.perf_counter()
        state = self.state(session, run, trainer)
        state.w_before = [layer.W.copy() for layer in trainer.model.layers]
        state.spent += time.perf_counter() - t0

    def after_snapshot(self, session: "Any", run: str, trainer: Trainer, snapshot: dict) -> dict:
        t0 = time.perf_counter()
        state = self.state(session, run, trainer)
        layers = trainer.model.layers
        updates = None
        if state.w_before is not None and [w.shape for w in state.w_before] == [l.W.shape for l in layers]:
            with np.errstate(all='ignore'):
                updates = []
                for layer, before in zip(layers, state.w_before):
                    norm = float(np.linalg.norm(layer.W))
                    change = float(np.linalg.norm(layer.W - before))
                    updates.append(change / norm if norm > 0 else (0.0 if change == 0 else float('inf')))
        state.w_before = None
        summary = summarize(snapshot, [layer.activation_name for layer in layers], updates)
        self._drift(state, trainer, summary)
        state.history.append(summary)
        if not summary['finite'] and state.divergence is None and state.checkpoints:
            checkpoint = state.checkpoints[-1][0]
            found = locate_divergence(trainer.data, checkpoint,
                                      max_steps=max(1, trainer.step_count - checkpoint['step_count']))
            if found is None:  # every training step stayed finite: the probe/validation pass overflowed
                column = 1 + next((l for l, s in enumerate(summary['layers']) if s['nonfinite']), len(layers) - 1)
                found = {'step': trainer.step_count, 'layer': column, 'what': 'probe / validation outputs',
                         'last_finite_step': checkpoint['step_count'], 'state': checkpoint}
            state.last_finite = found.pop('state')
            healthy = [c for c, ok in state.checkpoints if ok]
            found['healthy_step'] = healthy[-1]['step_count'] if healthy else None
            state.divergence = found
        config = session.run_configs.get(run) or {}
        alerts = health.detect(state.history.items, state.history.origin, config, state.divergence)
        previous = state.since
        state.since = {a['id']: previous.get(a['id'], a['step']) for a in alerts}
        for alert in alerts:
            alert['since'] = state.since[alert['id']]
            alert['run'] = run
        state.alerts = alerts
        spent = state.spent + time.perf_counter() - t0
        state.spent = 0.0
        out = {'summary': summary, 'alerts': alerts, 'divergence': state.divergence, 'health_ms': 1000.0 * spent}
        if not summary['finite']:
            out['diverged'] = True
        return out


    @staticmethod
    def _drift(state: RunHealth, trainer: Trainer, summary: dict) -> None:
        """Fill each summary layer's 'drift' (see DRIFT_STEPS) and 'drift_step' (when measured)."""
        layers, step = trainer.model.layers, trainer.step_count
        same = state.w_ref is not None and [w.shape for w in state.w_ref] == [l.W.shape for l in layers]
        if not same or step < state.w_ref_step:
            state.w_ref, state.w_ref_step, state.drift = [l.W.copy() for l in layers], step, None
        elif step - state.w_ref_step >= DRIFT_STEPS:
            with np.errstate(all='ignore'):
                state.drift = [float(np.linalg.norm(l.W - w) / max(float(np.linalg.norm(l.W)), 1e-30))
                               for l, w in zip(layers, state.w_ref)]
            state.w_ref, state.w_ref_step = [l.W.copy() for l in layers], step
        for l, layer in enumerate(summary['layers']):
            layer['drift'] = state.drift[l] if state.drift else float('nan')
            layer['drift_step'] = state.w_ref_step if state.drift else -1


MONITOR = HealthMonitor()
MONITORS.append(MONITOR)


def _run_id(request: dict) -> str:
    run = request.get('run', 'main')
    if not isinstance(run, str):
        raise ValueError('run must be a run id string, got %r' % (run,))
    return run


def _state(session: "Any", run: str) -> RunHealth:
    return MONITOR.state(session, run, session.get_trainer(run))


def fork_run(session: "Any", run: str, changes: dict, start: "Optional[str]" = None,
             new_id: "Optional[str]" = None) -> dict:
    """Add a run that starts from ``run`` with ``changes`` (see the module docstring)."""
    parent = session.get_trainer(run)
    if not isinstance(changes, dict):
        raise ValueError('changes must be an object of settings, got %r' % (changes,))
    bad = [k for k in FORBIDDEN_FORK_KEYS if k in changes and changes[k] != session.run_configs[run][k]]
    if bad:
        raise ValueError('a fork trains on the same data: it cannot change %s' % ', '.join(bad))
    config = validate_config(dict(session.run_configs[run], **changes))
    state = _state(session, run)
    only_now = all(k in NOW_KEYS for k in changes)
    if start is None:
        start = ('last_finite' if state.divergence else 'now') if only_now else 'beginning'
    if start not in ('now', 'beginning', 'last_finite'):
        raise ValueError("start must be 'now', 'beginning' or 'last_finite', got %r" % (start,))
    if start != 'beginning' and not only_now:
        raise ValueError('only %s can change mid-run; %s need start "beginning"'
                         % (', '.join(NOW_KEYS), ', '.join(k for k in changes if k not in NOW_KEYS)))
    if len(session.runs) >= MAX_RUNS:
        raise ValueError('at most %d runs at once: drop a fork first' % MAX_RUNS)
    if start == 'beginning':
        child = session.build_trainer(config)
    else:
        if start == 'last_finite':
            if state.last_finite is None:
                raise ValueError('run %r has not diverged: there is no last finite state to start from' % run)
            source = state.last_finite
        else:
            source = parent.state_dict()
        child = trainer_from_state(session.data, source)
        if config['optimizer'] != child.optimizer.name:
            child.optimizer = make_optimizer(config['optimizer'], config['lr'], weight_decay=config['l2'])
        child.lr = config['lr']
        child.optimizer.weight_decay = float(config['l2'])
        child.batch_size = max(1, min(int(config['batch_size']), len(child.X_train)))
    if new_id is None:
        n = 1
        while 'fork-%d' % n in session.runs:
            n += 1
        new_id = 'fork-%d' % n
    if not isinstance(new_id, str) or not new_id or len(new_id) > 40 or new_id in session.runs:
        raise ValueError('run id %r is taken or invalid' % (new_id,))
    session.runs[new_id] = child
    session.run_configs[new_id] = config
    child_state = MONITOR.state(session, new_id, child)
    if start != 'beginning':
        child_state.history.origin = state.history.origin
    snapshot = child.snapshot()
    result = {'run': new_id, 'parent': run, 'config': config, 'start': start, 'changes': dict(changes),
              'step': child.step_count, 'snapshot': snapshot}
    return session.watch_snapshot(new_id, child, snapshot, result)


@register_op('fork')
def _fork(session, request):
    return fork_run(session, _run_id(request), request.get('changes') or {}, request.get('start'), request.get('id'))


@register_op('rollback')
def _rollback(session, request):
    """Send a diverged run back to its last finite state ('to': 'last_finite', the default) or to
    the newest kept state from before any diverged / exploding / lr_too_high alert ('healthy')."""
    run = _run_id(request)
    trainer = session.get_trainer(run)
    state = _state(session, run)
    to = request.get('to', 'last_finite')
    if to not in ('last_finite', 'healthy'):
        raise ValueError("to must be 'last_finite' or 'healthy', got %r" % (to,))
    if state.last_finite is None:
        raise ValueError('run %r has not diverged: nothing to roll back' % run)
    target = state.last_finite
    if to == 'healthy':
        healthy = [c for c, ok in state.checkpoints if ok]
        if not healthy:
            raise ValueError('no state from before the trouble is kept for run %r' % run)
        target = healthy[-1]
    bad = state.divergence
    trainer.load_state_dict(target)
    state.history.truncate(trainer.step_count)
    state.checkpoints = [(c, ok) for c, ok in state.checkpoints if c['step_count'] <= trainer.step_count]
    state.divergence = None
    state.last_finite = None
    state.alerts = []
    snapshot = trainer.snapshot()
    result = {'run': run, 'step': trainer.step_count, 'rolled_back_from': bad, 'to': to, 'snapshot': snapshot}
    return session.watch_snapshot(run, trainer, snapshot, result)


@register_op('drop_run')
def _drop_run(session, request):
    run = _run_id(request)
    if run == 'main':
        raise ValueError("the main run cannot be dropped (configure rebuilds it)")
    session.get_trainer(run)
    del session.runs[run]
    session.run_configs.pop(run, None)
    return {'runs': sorted(session.runs)}


@register_op('runs')
def _runs(session, request):
    session._require_trainer()
    table = session.__dict__.get('_health', {})
    return {'runs': {run: {'step': trainer.step_count, 'config': session.run_configs.get(run),
                           'diverged': bool(table.get(run) and table[run].divergence)}
                     for run, trainer in session.runs.items()}}


@register_op('health')
def _health(session, request):
    state = _state(session, _run_id(request))
    return {'alerts': state.alerts, 'divergence': state.divergence, 'rules': health.RULES}


@register_op('health_history')
def _health_history(session, request):
    state = _state(session, _run_id(request))
    since = request.get('since', -1)
    if not isinstance(since, int):
        raise ValueError('since must be a step number, got %r' % (since,))
    return {'summaries': [s for s in state.history.items if s['step'] > since]}


from . import pruning  # noqa: E402,F401  (its ops)
