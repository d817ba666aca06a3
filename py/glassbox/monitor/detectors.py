"""Health detectors: pure functions over a run's summaries (history.py) that name what is wrong.

``detect(items, origin, config, divergence)`` returns the alerts that hold at the newest summary.
``items`` is the run's summary list (oldest first), ``origin`` its first summary, ``config`` the
settings the run was built with (train.config.DEFAULT_CONFIG keys), ``divergence`` what
watch.locate_divergence found (or None).  Each alert::

    {'id': kind + ':' + column, 'kind', 'title', 'severity': 'error' | 'warning',
     'layer': network column (0 = input, as in layer_sizes; Dense layer l is column l + 1),
     'columns': every affected column ([] for alerts about the whole network: lr_too_high,
     lr_too_low, oscillation, plateau -- their 'layer' is the output column),
     'neurons': affected unit indices in 'layer' or None,
     'step': newest step, 'message', 'recommendation', 'rule': the rule in words,
     'fix': {'label', 'changes': settings to change, 'start': 'now' | 'beginning' | 'last_finite'}}

'start' says where the fixed run (a fork) begins: 'now' continues from the current state,
'beginning' rebuilds from step 0 with the same seed and data order, 'last_finite' continues from
the last finite state of a diverged run.  The rules and thresholds (``RULES``), K = ``PERSIST``:

- diverged: a loss or any weight / activation / gradient is NaN or Inf.
- exploding_gradients: total gradient norm sqrt(sum_l ||dW_l||^2) >= 100 x its median over
  the run's first 5 snapshots; or the backprop signal RMS(dl/dz) of the first hidden layer is
  >= 1e3 x that of the output layer.  Fires at once (no persistence).
- vanishing_gradients: RMS(dl/dz) of the first hidden layer (units that are not dead) is
  < 1e-3 x the output layer's, in each of the last K snapshots.
- dead_relu: a ReLU layer has >= 50 % units with act <= 0 on all 64 probe samples, last K.
- saturation: a tanh / sigmoid layer has >= 50 % units saturated (|tanh| > 0.99, sigmoid outside
  [0.01, 0.99]) on >= 90 % of the probe samples, last K.
- lr_too_high: median over the last 5 snapshots of the largest per-step update ratio
  ||dW||/||W|| of any layer > 0.05, while the validation loss is > 1.2 x its best or > 1.05 x
  its first value, or oscillates.
- lr_too_low: that median < 3e-5 while the loss is on a plateau (below) and no vanishing,
  dead or saturated layer explains it.
- oscillation: over the last 10 snapshots the validation loss changes direction >= 5 of 8
  times, its median step |dL| > 3 % and its range > 10 % of the first validation loss, and it is
  not trending (the means of its two halves differ by < 50 % of the range).
- plateau: over the newest snapshots that cover >= 10 snapshots and >= 100 steps, the validation
  loss (mean of the last 3 vs the first 3) fell by < 1 %, and it is still > 50 % of its first value.
"""
from __future__ import annotations

import math
from typing import Any, Dict, List, Optional

PERSIST = 3
EXPLODE_GROWTH = 100.0
EXPLODE_LAYER_RATIO = 1e3
VANISH_RATIO = 1e-3
DEAD_SHARE = 0.5
SATURATED_SHARE = 0.5
LR_HIGH_UPDATE = 0.05
LR_LOW_UPDATE = 3e-5
LR_WINDOW = 5
WINDOW = 10
PLATEAU_MIN_STEPS = 100
PLATEAU_GAIN = 0.01
PLATEAU_HIGH = 0.5
OSC_SIGN_CHANGES = 5
OSC_STEP = 0.03
OSC_RANGE = 0.1
OSC_TREND = 0.5
# Learning rates that usually work here, per optimiser (used by the 'lr too low' fix).
TYPICAL_LR = {'sgd': 0.1, 'momentum': 0.05, 'adam': 0.003}

RULES = [
    {'kind': 'diverged', 'title': 'Training diverged', 'rule': 'a loss, weight, activation or gradient is NaN or Inf'},
    {'kind': 'exploding_gradients', 'title': 'Exploding gradients',
     'rule': 'gradient norm >= %g x its median over the first 5 snapshots, or first-hidden-layer '
             'backprop signal >= %g x the output layer\'s (at once)' % (EXPLODE_GROWTH, EXPLODE_LAYER_RATIO)},
    {'kind': 'vanishing_gradients', 'title': 'Vanishing gradients',
     'rule': 'first-hidden-layer backprop signal RMS(dL/dz) < %g x the output layer\'s, %d snapshots in a row'
             % (VANISH_RATIO, PERSIST)},
    {'kind': 'dead_relu', 'title': 'Dead ReLUs',
     'rule': '>= %d%% of a ReLU layer\'s units never active on the 64 probe samples, %d snapshots in a row'
             % (DEAD_SHARE * 100, PERSIST)},
    {'kind': 'saturation', 'title': 'Saturated units',
     'rule': '>= %d%% of a tanh/sigmoid layer\'s units saturated on >= 90%% of probe samples, %d snapshots in a row'
             % (SATURATED_SHARE * 100, PERSIST)},
    {'kind': 'lr_too_high', 'title': 'Learning rate too high',
     'rule': 'median per-step update ratio |dW|/|W| (largest layer, last %d snapshots) > %g while the '
             'validation loss is worse than before or oscillates' % (LR_WINDOW, LR_HIGH_UPDATE)},
    {'kind': 'lr_too_low', 'title': 'Learning rate too low',
     'rule': 'median per-step update ratio |dW|/|W| (largest layer, last %d snapshots) < %g on a loss plateau'
             % (LR_WINDOW, LR_LOW_UPDATE)},
    {'kind': 'oscillation', 'title': 'Loss oscillates',
     'rule': 'last %d snapshots: validation loss turns >= %d of 8 times, median step > %d%% and range > %d%% '
             'of the first validation loss, without a trend' % (WINDOW, OSC_SIGN_CHANGES, OSC_STEP * 100, OSC_RANGE * 100)},
    {'kind': 'plateau', 'title': 'Loss plateau',
     'rule': 'newest >= %d snapshots covering >= %d steps: validation loss fell < %d%% and is still > %d%% of its first value'
             % (WINDOW, PLATEAU_MIN_STEPS, PLATEAU_GAIN * 100, PLATEAU_HIGH * 100)},
]
TITLES = {r['kind']: r['title'] for r in RULES}
RULE_TEXT = {r['kind']: r['rule'] for r in RULES}


def _finite(x: "Any") -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def _median(values: "List[float]") -> float:
    v = sorted(values)
    n = len(v)
    if n == 0:
        return float('nan')
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def _fmt(x: float) -> str:
    return '%.3g' % x


def _alert(kind: str, column: int, step: int, message: str, recommendation: str, fix: "Optional[dict]",
           severity: str = 'warning', neurons: "Optional[List[int]]" = None,
           columns: "Optional[List[int]]" = None) -> "Dict[str, Any]":
    return {'id': '%s:%d' % (kind, column), 'kind': kind, 'title': TITLES[kind], 'severity': severity,
            'layer': int(column), 'columns': [int(c) for c in (columns if columns is not None else [column])],
            'neurons': None if neurons is None else [int(k) for k in neurons],
            'step': int(step), 'message': message, 'recommendation': recommendation,
            'rule': RULE_TEXT[kind], 'fix': fix}


def _fix(label: str, changes: dict, start: str) -> dict:
    return {'label': label, 'changes': changes, 'start': start}


def _lower_lr(lr: float, factor: float = 10.0) -> float:
    return float('%.2g' % (lr / factor))


def _grad_norm(s: dict) -> float:
    return math.sqrt(sum(layer['dW_norm'] ** 2 for layer in s['layers']))


def _delta_ratio(s: dict) -> "Optional[float]":
    """RMS(dl/dz) of the first hidden layer's live units / the output layer's; None if undefined."""
    layers = s['layers']
    if len(layers) < 2:
        return None
    first, out = layers[0]['delta_rms_alive'], layers[-1]['delta_rms']
    if not (_finite(first) and _finite(out)) or out <= 0:
        return None
    return first / out


def _update_median(items: list) -> "Optional[float]":
    window = [max(layer['step_update'] for layer in s['layers']) for s in items[-LR_WINDOW:] if s['step'] > 0]
    window = [u for u in window if _finite(u)]
    return _median(window) if len(window) >= min(LR_WINDOW, 3) else None


def plateau_window(items: list) -> list:
    """The newest summaries covering at least WINDOW snapshots and PLATEAU_MIN_STEPS steps ([] if too few)."""
    for start in range(len(items) - WINDOW, -1, -1):
        if items[-1]['step'] - items[start]['step'] >= PLATEAU_MIN_STEPS:
            return items[start:]
    return []


def is_plateau(items: list, origin: dict) -> bool:
    window = plateau_window(items)
    if not window:
        return False
    first = sum(s['val_loss'] for s in window[:3]) / 3.0
    last = sum(s['val_loss'] for s in window[-3:]) / 3.0
    if not (_finite(first) and _finite(last)) or first <= 0:
        return False
    return (first - last) / first < PLATEAU_GAIN and last > PLATEAU_HIGH * origin['val_loss']


def is_oscillating(items: list, origin: dict) -> bool:
    window = [s['val_loss'] for s in items[-WINDOW:]]
    ref = origin['val_loss']
    if len(window) < WINDOW or not all(_finite(v) for v in window) or not _finite(ref) or ref <= 0:
        return False
    diffs = [b - a for a, b in zip(window, window[1:])]
    turns = sum(1 for a, b in zip(diffs, diffs[1:]) if a * b < 0)
    mean_step = _median([abs(d) for d in diffs])  # the median, so one spike is not an oscillation
    spread = max(window) - min(window)
    half = len(window) // 2
    trending = abs(sum(window[half:]) / (len(window) - half) - sum(window[:half]) / half) >= OSC_TREND * spread
    return turns >= OSC_SIGN_CHANGES and mean_step > OSC_STEP * ref and spread > OSC_RANGE * ref and not trending


def detect(items: list, origin: "Optional[dict]" = None, config: "Optional[dict]" = None,
           divergence: "Optional[dict]" = None) -> "List[Dict[str, Any]]":
    """All alerts that hold at ``items[-1]`` (see the module docstring for the rules)."""
    if not items:
        return []
    origin = origin or items[0]
    config = config or {}
    now = items[-1]
    step = now['step']
    lr = float(config.get('lr', now['lr']))
    lr = now['lr'] if _finite(now['lr']) else lr
    n_layers = len(now['layers'])
    hidden = range(n_layers - 1)
    alerts = []

    # -- diverged / exploding ------------------------------------------------------------
    if divergence is not None or not now['finite']:
        where = divergence or {}
        column = int(where.get('layer', 1 + next((l for l in range(n_layers) if now['layers'][l]['nonfinite']), 0)))
        bad_step = where.get('step', step)
        message = ('Training diverged at step %d: the first non-finite values (NaN/Inf) appeared in %s of '
                   'column %d.' % (bad_step, where.get('what', 'the values'), column))
        if 'last_finite_step' in where:
            message += ' The last finite state is step %d.' % where['last_finite_step']
        if where.get('healthy_step') is not None:
            message += ' Before the trouble started: step %d.' % where['healthy_step']
        alerts.append(_alert('diverged', column, step, message,
                             'Roll back and lower the learning rate (here: %s), or restart with it.' % _fmt(_lower_lr(lr)),
                             _fix('Restart with learning rate %s' % _fmt(_lower_lr(lr)), {'lr': _lower_lr(lr)}, 'beginning'),
                             severity='error'))
        alerts[-1]['rollback'] = {'last_finite_step': where.get('last_finite_step'),
                                  'healthy_step': where.get('healthy_step')}
        return alerts
    norms = [_grad_norm(s) for s in items[:5]]
    base = _median(norms)
    growth = _grad_norm(now) / base if base > 0 else 0.0
    ratio = _delta_ratio(now)
    if growth >= EXPLODE_GROWTH or (ratio is not None and ratio >= EXPLODE_LAYER_RATIO):
        first = items[0]['layers']
        column = 1 + max(range(n_layers), key=lambda l: now['layers'][l]['dW_norm'] / max(first[l]['dW_norm'], 1e-30))
        what = ('the gradient norm grew %sx since the start' % _fmt(growth)) if growth >= EXPLODE_GROWTH \
            else 'the backprop signal grows %sx from the output back to the first hidden layer' % _fmt(ratio)
        alerts.append(_alert('exploding_gradients', column, step, 'Exploding gradients: %s.' % what,
                             'Lower the learning rate (here: %s) and restart.' % _fmt(_lower_lr(lr)),
                             _fix('Restart with learning rate %s' % _fmt(_lower_lr(lr)), {'lr': _lower_lr(lr)}, 'beginning'),
                             severity='error'))

    # -- vanishing -------------------------------------------------------------------------
    recent = items[-PERSIST:]
    ratios = [_delta_ratio(s) for s in recent]
    if len(recent) == PERSIST and all(r is not None and r < VANISH_RATIO for r in ratios):
        out = now['layers'][-1]['delta_rms']
        columns = [l + 1 for l in hidden if _finite(now['layers'][l]['delta_rms_alive'])
                   and now['layers'][l]['delta_rms_alive'] < VANISH_RATIO * out]
        act = config.get('activation', now['layers'][0]['activation'])
        saturated = any(now['layers'][l]['saturated_fraction'] >= SATURATED_SHARE for l in hidden)
        if saturated:
            fix = _fix('Restart with learning rate %s' % _fmt(_lower_lr(lr)), {'lr': _lower_lr(lr)}, 'beginning')
            advice = 'Saturated units (see that alert) pass almost no gradient back: fix the saturation first.'
        elif act in ('sigmoid', 'tanh'):
            changes = {'activation': 'relu', 'init': 'he'}
            label = 'Restart with ReLU and He initialisation'
            if lr > 0.05 and n_layers > 3:  # deep ReLU nets need smaller steps (measured: spikes at 0.1)
                changes['lr'] = 0.05
                label += ', learning rate 0.05'
            fix = _fix(label, changes, 'beginning')
            advice = '%s squashes gradients (its slope is at most %s) and small weights shrink them further: ' \
                     'use ReLU with He initialisation.' % (act, '0.25' if act == 'sigmoid' else '1')
        elif config.get('init', 'he') != 'he':
            fix = _fix('Restart with He initialisation', {'init': 'he'}, 'beginning')
            advice = 'The initial weights are too small: use He initialisation.'
        else:
            fix = _fix('Continue with Adam (lr 0.001)', {'optimizer': 'adam', 'lr': 0.001}, 'now')
            advice = 'Use fewer layers, or an optimiser that rescales each layer (Adam).'
        alerts.append(_alert('vanishing_gradients', columns[0] if columns else 1, step,
                             'Vanishing gradients: the backprop signal at hidden layer 1 is %s x the output '
                             'layer\'s, so the early layers barely learn.' % _fmt(ratios[-1]),
                             advice, fix, columns=columns or [1]))

    # -- dead ReLUs and saturated units ----------------------------------------------------
    for l in hidden:
        layer = now['layers'][l]
        if layer['activation'] == 'relu' and len(recent) == PERSIST and \
                all(s['layers'][l]['dead_fraction'] >= DEAD_SHARE for s in recent):
            neurons = [k for k, a in enumerate(layer['neuron_active']) if a == 0]
            from_start = origin['layers'][l]['dead_fraction'] >= DEAD_SHARE
            bias = float(config.get('bias_init', 0.0))
            if not from_start:
                cause = 'They died during training: a too-large learning rate pushed them where they never fire.'
                fix = _fix('Restart with learning rate %s' % _fmt(_lower_lr(lr)), {'lr': _lower_lr(lr)}, 'beginning')
            elif bias < 0:
                cause = 'They were dead from the start: the bias initialisation %s keeps every input below zero.' % _fmt(bias)
                fix = _fix('Restart with bias initialisation 0', {'bias_init': 0.0}, 'beginning')
            else:
                cause = 'They were dead from the start.'
                fix = _fix('Restart with leaky ReLU', {'activation': 'leaky_relu'}, 'beginning')
            alerts.append(_alert('dead_relu', l + 1, step,
                                 '%d of %d ReLU units in hidden layer %d output 0 for every probe sample and get no '
                                 'gradient. %s' % (len(neurons), len(layer['neuron_active']), l + 1, cause),
                                 'Dead units never recover. %s' % fix['label'] + '.', fix, neurons=neurons))
        if layer['activation'] in ('tanh', 'sigmoid') and len(recent) == PERSIST and \
                all(s['layers'][l]['saturated_fraction'] >= SATURATED_SHARE for s in recent):
            neurons = [k for k, a in enumerate(layer['neuron_active']) if a <= 0.1]
            if origin['layers'][l]['saturated_fraction'] < SATURATED_SHARE:
                fix = _fix('Restart with learning rate %s' % _fmt(_lower_lr(lr)), {'lr': _lower_lr(lr)}, 'beginning')
                cause = 'They saturated during training: large updates pushed the weights too far.'
            elif float(config.get('bias_init', 0.0)) != 0:
                fix = _fix('Restart with bias initialisation 0', {'bias_init': 0.0}, 'beginning')
                cause = 'They were saturated from the start by the bias initialisation.'
            else:
                fix = _fix('Restart with Glorot initialisation', {'init': 'glorot'}, 'beginning')
                cause = 'They were saturated from the start by large initial weights.'
            alerts.append(_alert('saturation', l + 1, step,
                                 '%d of %d %s units in hidden layer %d sit at their limits, where the slope (and '
                                 'the gradient) is almost 0. %s' % (len(neurons), len(layer['neuron_active']),
                                                                     layer['activation'], l + 1, cause),
                                 fix['label'] + '.', fix, neurons=neurons))

    # -- learning rate, oscillation, plateau -----------------------------------------------
    update = _update_median(items)
    oscillating = is_oscillating(items, origin)
    plateau = is_plateau(items, origin)
    best = min([s['val_loss'] for s in items if _finite(s['val_loss'])] or [now['val_loss']])
    worse = now['val_loss'] > 1.2 * best or now['val_loss'] > 1.05 * origin['val_loss']
    if update is not None and update > LR_HIGH_UPDATE and (worse or oscillating):
        alerts.append(_alert('lr_too_high', n_layers, step,
                             'Each step changes the weights by %s%% of their size and the validation loss is '
                             'getting worse (%s, best %s).' % (_fmt(100 * update), _fmt(now['val_loss']), _fmt(best)),
                             'Lower the learning rate to %s.' % _fmt(_lower_lr(lr)),
                             _fix('Restart with learning rate %s' % _fmt(_lower_lr(lr)), {'lr': _lower_lr(lr)}, 'beginning'),
                             columns=[]))
    explained = any(a['kind'] in ('vanishing_gradients', 'dead_relu', 'saturation') for a in alerts)
    if update is not None and update < LR_LOW_UPDATE and plateau and not explained:
        typical = TYPICAL_LR.get(config.get('optimizer', 'sgd'), 0.1)
        new_lr = float('%.2g' % max(lr * 10, typical))
        alerts.append(_alert('lr_too_low', n_layers, step,
                             'Each step changes the weights by only %s%% of their size, and the loss has stalled.'
                             % _fmt(100 * update),
                             'Raise the learning rate to %s.' % _fmt(new_lr),
                             _fix('Continue with learning rate %s' % _fmt(new_lr), {'lr': new_lr}, 'now'), columns=[]))
    if oscillating:
        alerts.append(_alert('oscillation', n_layers, step,
                             'The validation loss jumps up and down (between %s and %s over the last %d snapshots) '
                             'instead of falling.' % (_fmt(min(s['val_loss'] for s in items[-WINDOW:])),
                                                      _fmt(max(s['val_loss'] for s in items[-WINDOW:])), WINDOW),
                             'Steps overshoot the minimum: lower the learning rate to %s.' % _fmt(_lower_lr(lr, 4)),
                             _fix('Restart with learning rate %s' % _fmt(_lower_lr(lr, 4)), {'lr': _lower_lr(lr, 4)}, 'beginning'),
                             columns=[]))
    if plateau:
        window = plateau_window(items)
        if config.get('optimizer', 'sgd') != 'adam':
            fix = _fix('Continue with Adam (lr 0.01)', {'optimizer': 'adam', 'lr': 0.01}, 'now')
        else:
            fix = _fix('Continue with learning rate %s' % _fmt(lr * 3), {'lr': float('%.2g' % (lr * 3))}, 'now')
        alerts.append(_alert('plateau', n_layers, step,
                             'The validation loss has stayed near %s for %d steps (it started at %s).'
                             % (_fmt(now['val_loss']), window[-1]['step'] - window[0]['step'], _fmt(origin['val_loss'])),
                             'The network is stuck. If another alert names a cause, fix that first; otherwise an '
                             'adaptive optimiser (Adam) or a higher learning rate can get it moving.', fix, columns=[]))
    return alerts
