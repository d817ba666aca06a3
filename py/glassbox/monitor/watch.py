"""The health monitor of one run: summaries, detectors, roll-back points and divergence.

``RunHealth`` is what is kept per run (the protocol's ``Run`` owns one). The trainer loop calls
three hooks around every training chunk: ``before_chunk`` keeps the trainer's state if it is
finite (a roll-back point), ``before_last_step`` copies each W (for the per-step update ratio),
and ``after_snapshot`` appends a summary (history.py), runs the detectors (detectors.py) and
returns what it adds to the 'train' / 'configure' / 'fork' / 'rollback' answer::

    'summary':    the snapshot's summary (history.py)
    'alerts':     detectors.detect(...) for this run, each with 'since' = the first step of the
                  current unbroken streak of that alert id, and 'run'
    'divergence': None, or {'step': the optimiser step that first produced NaN/Inf,
                  'layer': network column where it showed first, 'what': 'pre-activations' |
                  'activations' | 'loss' | 'gradients' | 'weights', 'last_finite_step',
                  'healthy_step': newest kept state from before the trouble, or None}
    'health_ms':  wall time the monitor spent on this chunk (copies, summary, detectors)

Each summary layer gets 'drift' = ||W_t - W_t'|| / ||W_t|| where t' is the previous measurement,
at least DRIFT_STEPS (100) steps earlier (nan until the first), and 'drift_step' = t. The page
calls a layer *settled* from the first step after which its drift stays below SETTLED_DRIFT (1 %).
"""
from __future__ import annotations

import time
from typing import Any, Dict, List, Optional

import numpy as np

from ..train.limits import states_to_keep
from ..train.trainer import Trainer, relative_changes
from .detectors import detect
from .history import History, summarize

MAX_CHECKPOINTS = 8
DRIFT_STEPS = 100
SETTLED_DRIFT = 0.01
UNHEALTHY = ('diverged', 'exploding_gradients', 'lr_too_high')


def state_bytes(state: "Any") -> int:
    """Bytes of the numpy arrays inside a (nested) state dict."""
    if isinstance(state, np.ndarray):
        return int(state.nbytes)
    if isinstance(state, dict):
        return sum(state_bytes(v) for v in state.values())
    if isinstance(state, (list, tuple)):
        return sum(state_bytes(v) for v in state)
    return 0


def all_finite(trainer: Trainer) -> bool:
    return all(np.isfinite(layer.W).all() and np.isfinite(layer.b).all() for layer in trainer.model.layers)


def first_nonfinite(trainer: Trainer, loss: float) -> "Optional[Dict[str, Any]]":
    """Where the last training step first produced NaN/Inf, in execution order: forward, loss,
    backward, update (read from the layers' training caches)."""
    layers = trainer.model.layers
    for l, layer in enumerate(layers):
        for what, array in (('pre-activations', layer.z), ('activations', layer.a)):
            if array is not None and not np.isfinite(array).all():
                return {'layer': l + 1, 'what': what}
    if not np.isfinite(loss):
        return {'layer': len(layers), 'what': 'loss'}
    for l in range(len(layers) - 1, -1, -1):
        if any(not np.isfinite(g).all() for g in layers[l].grads.values()):
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
    trainer = Trainer.from_state(data, checkpoint)
    with np.errstate(all='ignore'):
        for _ in range(max_steps):
            loss = trainer.step()
            where = first_nonfinite(trainer, loss)
            if where is None and not np.isfinite(trainer.evaluate('val')['loss']):
                where = {'layer': len(trainer.model.layers), 'what': 'validation outputs'}
            if where is not None:
                bad = trainer.step_count
                replay = Trainer.from_state(data, checkpoint)
                if bad - 1 > replay.step_count:
                    replay.train(steps=bad - 1 - replay.step_count)
                where.update(step=bad, last_finite_step=bad - 1, state=replay.state_dict())
                return where
    return None


class RunHealth:
    """What the monitor keeps for one run (see the module docstring)."""

    def __init__(self, origin: "Optional[dict]" = None) -> None:
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

    def before_chunk(self, trainer: Trainer) -> None:
        t0 = time.perf_counter()
        if self.divergence is None and all_finite(trainer):
            healthy = not any(a['kind'] in UNHEALTHY for a in self.alerts)
            # At most MAX_CHECKPOINTS, and only as many as fit in limits.KEPT_STATE_BYTES (the newest
            # always): 8 states of a 1024x8 adam network are 1 GB, more than the browser has.
            state = trainer.state_dict()
            keep = states_to_keep(state_bytes(state), MAX_CHECKPOINTS)
            self.checkpoints = (self.checkpoints[-(keep - 1):] if keep > 1 else []) + [(state, healthy)]
        self.spent = time.perf_counter() - t0

    def before_last_step(self, trainer: Trainer) -> None:
        t0 = time.perf_counter()
        self.w_before = [layer.W.copy() for layer in trainer.model.layers]
        self.spent += time.perf_counter() - t0

    def after_snapshot(self, trainer: Trainer, snapshot: dict, config: dict, run: str) -> dict:
        t0 = time.perf_counter()
        layers = trainer.model.layers
        updates = None
        if self.w_before is not None and [w.shape for w in self.w_before] == [l.W.shape for l in layers]:
            updates = relative_changes([layer.W for layer in layers], self.w_before)
        self.w_before = None
        summary = summarize(snapshot, [layer.activation_name for layer in layers], updates)
        self._drift(trainer, summary)
        self.history.append(summary)
        if not summary['finite'] and self.divergence is None and self.checkpoints:
            self._find_divergence(trainer, summary)
        alerts = detect(self.history.items, self.history.origin, config, self.divergence)
        previous = self.since
        self.since = {a['id']: previous.get(a['id'], a['step']) for a in alerts}
        for alert in alerts:
            alert['since'] = self.since[alert['id']]
            alert['run'] = run
        self.alerts = alerts
        spent = self.spent + time.perf_counter() - t0
        self.spent = 0.0
        out = {'summary': summary, 'alerts': alerts, 'divergence': self.divergence, 'health_ms': 1000.0 * spent}
        if not summary['finite']:
            out['diverged'] = True
        return out

    def _find_divergence(self, trainer: Trainer, summary: dict) -> None:
        checkpoint = self.checkpoints[-1][0]
        found = locate_divergence(trainer.data, checkpoint,
                                  max_steps=max(1, trainer.step_count - checkpoint['step_count']))
        if found is None:  # every training step stayed finite: the probe/validation pass overflowed
            layers = trainer.model.layers
            column = 1 + next((l for l, s in enumerate(summary['layers']) if s['nonfinite']), len(layers) - 1)
            found = {'step': trainer.step_count, 'layer': column, 'what': 'probe / validation outputs',
                     'last_finite_step': checkpoint['step_count'], 'state': checkpoint}
        self.last_finite = found.pop('state')
        healthy = [c for c, ok in self.checkpoints if ok]
        found['healthy_step'] = healthy[-1]['step_count'] if healthy else None
        self.divergence = found

    def _drift(self, trainer: Trainer, summary: dict) -> None:
        """Fill each summary layer's 'drift' (see DRIFT_STEPS) and 'drift_step' (when measured)."""
        layers, step = trainer.model.layers, trainer.step_count
        same = self.w_ref is not None and [w.shape for w in self.w_ref] == [l.W.shape for l in layers]
        if not same or step < self.w_ref_step:
            self.w_ref, self.w_ref_step, self.drift = [l.W.copy() for l in layers], step, None
        elif step - self.w_ref_step >= DRIFT_STEPS:
            self.drift = relative_changes([l.W for l in layers], self.w_ref)
            self.w_ref, self.w_ref_step = [l.W.copy() for l in layers], step
        for l, layer in enumerate(summary['layers']):
            layer['drift'] = self.drift[l] if self.drift else float('nan')
            layer['drift_step'] = self.w_ref_step if self.drift else -1

    def rollback_target(self, to: str, run: str) -> dict:
        """The state a diverged run goes back to: its last finite state ('last_finite') or the
        newest kept state without a diverged / exploding / lr_too_high alert ('healthy')."""
        if to not in ('last_finite', 'healthy'):
            raise ValueError("to must be 'last_finite' or 'healthy', got %r" % (to,))
        if self.last_finite is None:
            raise ValueError('run %r has not diverged: nothing to roll back' % run)
        if to == 'last_finite':
            return self.last_finite
        healthy = [c for c, ok in self.checkpoints if ok]
        if not healthy:
            raise ValueError('no state from before the trouble is kept for run %r' % run)
        return healthy[-1]

    def rolled_back(self, step: int) -> None:
        """Forget what came after ``step`` (the run was sent back there)."""
        self.history.truncate(step)
        self.checkpoints = [(c, ok) for c, ok in self.checkpoints if c['step_count'] <= step]
        self.divergence = None
        self.last_finite = None
        self.alerts = []
