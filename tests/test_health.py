"""Health feature, engine side: detectors on presets, forks, divergence, summaries vs raw snapshots.

Every claim is checked against an independent answer: presets against their stated detectors and
step bounds, forks against the original trainer's state, summaries against numpy recomputed from
the raw snapshot arrays, divergence against a step-by-step replay, pruning against the unpruned
network's outputs. The measured cost of the health checks is written to
test-artifacts/health-cost.json (reported, not asserted).
"""
from __future__ import annotations

import json
import math
import shutil
import subprocess
import time

import numpy as np
import pytest

from conftest import ROOT
from glassbox.monitor import detectors as health
from glassbox.monitor.history import History, summarize, thin, MAX_SUMMARIES
from glassbox.monitor.presets import PRESETS, preset_config
from glassbox.monitor.watch import locate_divergence
from glassbox.protocol import Session, handle_request
from glassbox.train.config import DEFAULT_CONFIG
from glassbox.train.trainer import Trainer

CHUNK = 10  # steps per snapshot, as at the page's default speed


def run_until(session, steps, run='main', stop_on_divergence=True):
    """Train in chunks; returns {kind: first step the alert was seen} and the last answer."""
    first, answer = {}, None
    while session.run(run).trainer.step_count < steps:
        answer = session.train(CHUNK, run)
        for alert in answer['alerts']:
            first.setdefault(alert['kind'], answer['step'])
        if answer['diverged'] and stop_on_divergence:
            break
    return first, answer


def configured(name_or_config):
    session = Session()
    config = preset_config(name_or_config) if isinstance(name_or_config, str) else name_or_config
    session.configure(config)
    return session


@pytest.mark.parametrize('name', [n for n in PRESETS if PRESETS[n]['detectors']])
def test_each_pathology_preset_trips_its_detector_within_the_stated_steps(name):
    preset = PRESETS[name]
    first, _ = run_until(configured(name), preset['within_steps'])
    tripped = [k for k in preset['detectors'] if k in first]
    if name == 'exploding':  # growth first, then NaN: either counts, both within the bound
        assert tripped, first
    else:
        assert tripped == preset['detectors'], first
    assert all(first[k] <= preset['within_steps'] for k in tripped), first


@pytest.mark.parametrize('config, steps', [
    ({}, 2000),  # the healthy default, a full run (~45 epochs)
    ({'activation': 'tanh', 'init': 'glorot'}, 1000),
    ({'optimizer': 'adam', 'lr': 0.001}, 1000),
    ({'hidden': [64, 64, 64]}, 1000),
    ({'dataset': 'circle', 'hidden': [8]}, 1000),
])
def test_healthy_runs_raise_no_alert_over_a_full_run(config, steps):
    first, answer = run_until(configured(dict(DEFAULT_CONFIG, **config)), steps)
    assert first == {}, first
    assert answer['snapshot']['val']['accuracy'] > 0.9


def test_the_healthy_preset_is_the_default_config():
    assert preset_config('healthy') == DEFAULT_CONFIG


def _same_state(a, b, skip=('optimizer',)):
    """Trainer.state_dict()s equal bit for bit (arrays, rng state, counters)."""
    assert a['step_count'] == b['step_count'] and a['cursor'] == b['cursor'] and a['samples_seen'] == b['samples_seen']
    assert np.array_equal(a['order'], b['order']) and a['rng'] == b['rng']
    for la, lb in zip(a['model']['layers'], b['model']['layers']):
        assert np.array_equal(la['W'], lb['W']) and np.array_equal(la['b'], lb['b'])
    if 'optimizer' not in skip:
        assert a['optimizer']['t'] == b['optimizer']['t']
        for sa, sb in zip(a['optimizer']['state'], b['optimizer']['state']):
            for key in sa:
                for buf in sa[key]:
                    assert np.array_equal(sa[key][buf], sb[key][buf])


@pytest.mark.parametrize('optimizer', ['sgd', 'momentum', 'adam'])
def test_a_fork_starts_from_exactly_the_state_of_the_original(optimizer):
    session = configured(dict(DEFAULT_CONFIG, optimizer=optimizer, lr=0.01, batch_size=20))
    run_until(session, 130)  # mid-epoch, optimiser state built up
    original = session.trainer
    before = original.state_dict()
    fork = handle_request(session, {'op': 'fork', 'changes': {'lr': 0.01}})
    assert fork['start'] == 'now' and fork['step'] == 130
    child = session.runs[fork['run']].trainer
    _same_state(before, child.state_dict(), skip=())
    # Unchanged settings: both continue identically; a changed lr only changes the lr.
    a, b = session.train(25), session.train(25, fork['run'])
    assert a['snapshot']['train']['loss'] == b['snapshot']['train']['loss']
    _same_state(original.state_dict(), child.state_dict(), skip=())
    other = handle_request(session, {'op': 'fork', 'changes': {'lr': 0.005}})
    grandchild = session.runs[other['run']].trainer
    _same_state(original.state_dict(), grandchild.state_dict(), skip=())
    assert grandchild.lr == 0.005 and original.lr == 0.01


def test_a_fork_from_the_beginning_is_a_fresh_run_with_only_the_change():
    session = configured('vanishing')
    run_until(session, 40)
    fork = handle_request(session, {'op': 'fork', 'changes': {'activation': 'relu', 'init': 'he'}})
    assert fork['start'] == 'beginning' and fork['step'] == 0
    fresh = configured(dict(preset_config('vanishing'), activation='relu', init='he'))
    _same_state(fresh.trainer.state_dict(), session.runs[fork['run']].trainer.state_dict(), skip=())


def test_fork_rejects_what_it_cannot_do():
    session = configured({})
    with pytest.raises(ValueError, match='same data'):
        handle_request(session, {'op': 'fork', 'changes': {'dataset': 'mnist'}})
    with pytest.raises(ValueError, match='mid-run'):
        handle_request(session, {'op': 'fork', 'changes': {'activation': 'tanh'}, 'start': 'now'})
    with pytest.raises(ValueError, match='has not diverged'):
        handle_request(session, {'op': 'fork', 'changes': {'lr': 0.01}, 'start': 'last_finite'})
    with pytest.raises(ValueError, match='lr'):
        handle_request(session, {'op': 'fork', 'changes': {'lr': -1}})
    with pytest.raises(ValueError, match="no run 'nope'"):
        session.train(5, 'nope')


def test_runs_train_independently_and_configure_drops_the_forks():
    session = configured({})
    fork = handle_request(session, {'op': 'fork', 'changes': {'lr': 0.05}})['run']
    session.train(20, fork)
    assert session.trainer.step_count == 0 and session.runs[fork].trainer.step_count == 20
    assert sorted(handle_request(session, {'op': 'runs'})['runs']) == ['fork-1', 'main']
    history = handle_request(session, {'op': 'health_history', 'run': fork, 'since': 5})['summaries']
    assert [s['step'] for s in history] == [20]  # the fork's own snapshots after step 5 (one chunk of 20)
    assert handle_request(session, {'op': 'health', 'run': fork})['rules'] == health.RULES
    assert handle_request(session, {'op': 'drop_run', 'run': fork}) == {'runs': ['main']}
    with pytest.raises(ValueError, match='main run cannot be dropped'):
        handle_request(session, {'op': 'drop_run', 'run': 'main'})
    handle_request(session, {'op': 'fork', 'changes': {'lr': 0.05}})
    session.configure(DEFAULT_CONFIG)
    assert list(session.runs) == ['main']


def _finite_model(trainer):
    return all(np.isfinite(l.W).all() and np.isfinite(l.b).all() for l in trainer.model.layers)


def test_divergence_stops_cleanly_names_step_and_layer_and_rolls_back():
    session = configured('exploding')
    first, answer = run_until(session, 200)
    assert answer['diverged'] and 'diverged' in first
    d = answer['divergence']
    assert d['last_finite_step'] == d['step'] - 1 and 1 <= d['layer'] <= 3
    # Independent replay from step 0: the step before is finite everywhere, that step is not.
    replay = configured('exploding').trainer
    replay.train(d['step'] - 1)
    assert _finite_model(replay) and math.isfinite(replay.evaluate()['loss'])
    loss = replay.step()
    bad = not (_finite_model(replay) and math.isfinite(loss) and math.isfinite(replay.evaluate()['loss']))
    assert bad
    alert = [a for a in answer['alerts'] if a['kind'] == 'diverged'][0]
    assert alert['severity'] == 'error' and alert['rollback']['last_finite_step'] == d['step'] - 1
    back = handle_request(session, {'op': 'rollback'})
    assert back['step'] == d['step'] - 1 and _finite_model(session.trainer)
    assert back['rolled_back_from']['step'] == d['step']
    # Back to before the trouble, lower the learning rate, train on: finite and learning.
    session2 = configured('exploding')
    run_until(session2, 200)
    healthy = handle_request(session2, {'op': 'rollback', 'to': 'healthy'})
    assert healthy['step'] == 0
    handle_request(session2, {'op': 'set_lr', 'lr': 0.35})
    _, answer = run_until(session2, 300)
    assert not answer['diverged'] and answer['snapshot']['val']['accuracy'] > 0.9


def test_locate_divergence_returns_none_for_a_finite_run():
    session = configured({})
    state = session.trainer.state_dict()
    assert locate_divergence(session.data, state, max_steps=20) is None
    assert Trainer.from_state(session.data, state).step_count == 0


def test_summaries_match_statistics_recomputed_from_the_raw_snapshot():
    session = configured(dict(DEFAULT_CONFIG, hidden=[24, 12]))
    moved = total = 0
    for _ in range(12):
        answer = session.train(CHUNK)
        snap, summary = answer['snapshot'], answer['summary']
        assert summary['step'] == snap['step'] and summary['val_loss'] == snap['val']['loss']
        for raw, layer in zip(snap['layers'], summary['layers']):
            for key, values in (('W', raw['W']), ('b', raw['b']), ('act', raw['act']), ('grad', raw['dW'])):
                h = layer['hist'][key]
                flat = values.ravel().astype(np.float64)
                assert h['lo'] == flat.min() and h['hi'] == flat.max()
                ref = np.histogram(values.ravel(), bins=len(h['counts']), range=(h['lo'], h['hi']))[0]
                assert h['counts'].sum() == ref.sum() == flat.size
                moved += int(np.abs(np.cumsum(h['counts']) - np.cumsum(ref)).sum())
                total += flat.size
                assert h['mean'] == pytest.approx(flat.mean(), rel=1e-9, abs=1e-12)
                assert h['std'] == pytest.approx(flat.std(), rel=1e-6, abs=1e-9)
            assert np.allclose(layer['neuron_act'], raw['act'].mean(axis=0), rtol=1e-6, atol=1e-7)
            assert np.allclose(layer['neuron_grad'], np.abs(raw['grad_act']).mean(axis=0), rtol=1e-6, atol=1e-9)
            assert layer['W_norm'] == pytest.approx(raw['stats']['W_norm'])
            assert layer['dW_norm'] == pytest.approx(raw['stats']['dW_norm'])
            assert layer['update_ratio'] == raw['stats']['update_ratio']
            assert layer['delta_rms'] == pytest.approx(math.sqrt(np.mean(raw['grad_pre'].astype(np.float64) ** 2)))
        hidden = snap['layers'][0]
        assert summary['layers'][0]['dead_fraction'] == hidden['stats']['dead_fraction']
        assert np.array_equal(summary['layers'][0]['neuron_active'], (hidden['act'] > 0).mean(axis=0).astype(np.float32))
    # Only values within float32 rounding of an inner bin edge may sit one bin over.
    assert moved <= 1e-4 * total


def test_per_step_update_ratio_is_the_last_steps_change():
    session = configured({})
    session.train(CHUNK)
    before = [l.W.copy() for l in session.trainer.model.layers]
    answer = session.train(1)
    for l, layer in enumerate(session.trainer.model.layers):
        expected = np.linalg.norm(layer.W - before[l]) / np.linalg.norm(layer.W)
        assert answer['summary']['layers'][l]['step_update'] == pytest.approx(expected, rel=1e-6)


def test_history_thins_old_summaries_and_keeps_recent_ones():
    items = list(range(MAX_SUMMARIES + 1))
    out = thin(items)
    assert len(out) < len(items) and out[-(MAX_SUMMARIES // 2):] == items[-(MAX_SUMMARIES // 2):]
    history = History()
    for step in range(0, 50, 10):
        history.append({'step': step})
    history.append({'step': 20})  # a roll-back to step 20
    assert [s['step'] for s in history.items] == [0, 10, 20] and history.origin['step'] == 0


def _summary(step, val, ratio=0.5, update=1e-3, dead=0.0, act='relu'):
    layer = lambda a, d: {'activation': a, 'dW_norm': 1.0, 'delta_rms': 1.0, 'delta_rms_alive': d,
                          'dead_fraction': dead if a == 'relu' else 0.0, 'saturated_fraction': 0.0,
                          'nonfinite': 0, 'step_update': update, 'neuron_active': np.ones(4, np.float32)}
    return {'step': step, 'lr': 0.1, 'val_loss': val, 'train_loss': val, 'finite': True,
            'layers': [layer(act, ratio), layer('linear', 1.0)]}


def test_detector_thresholds_on_synthetic_histories():
    kinds = lambda items: [a['kind'] for a in health.detect(items)]
    assert kinds([_summary(s, 2.0 - s / 1000) for s in range(0, 50, 10)]) == []
    assert 'vanishing_gradients' in kinds([_summary(s, 2.0 - s / 1000, ratio=9e-4) for s in range(0, 30, 10)])
    assert 'vanishing_gradients' not in kinds([_summary(s, 2.0 - s / 1000, ratio=1.1e-3) for s in range(0, 30, 10)])
    assert 'vanishing_gradients' not in kinds([_summary(s, 2.0, ratio=9e-4) for s in range(0, 20, 10)])  # only 2
    zigzag = [_summary(s, 2.0 + (0.4 if (s // 10) % 2 else 0.0)) for s in range(0, 120, 10)]
    assert 'oscillation' in kinds(zigzag)
    flat = [_summary(s, 2.0) for s in range(0, 120, 10)]
    assert 'plateau' in kinds(flat) and 'lr_too_low' not in kinds(flat)
    assert 'lr_too_low' in kinds([_summary(s, 2.0, update=1e-6) for s in range(0, 120, 10)])
    assert 'plateau' not in kinds([_summary(s, 2.0 - s / 100) for s in range(0, 120, 10)])
    dead = [_summary(s, 2.0, dead=0.5) for s in range(0, 30, 10)]
    assert 'dead_relu' in kinds(dead)
    grown = [_summary(s, 2.0) for s in range(0, 60, 10)]
    grown[-1]['layers'][0]['dW_norm'] = 150.0
    assert 'exploding_gradients' in kinds(grown)


def test_pruning_removes_dead_units_without_changing_the_outputs():
    from glassbox.analyses.pruning import prune_model
    session = configured(dict(DEFAULT_CONFIG, hidden=[32, 16], bias_init=-0.7))
    run_until(session, 60)
    model = session.trainer.model
    X = session.trainer.X_train[:1000]
    pruned, removed = prune_model(model, X, tolerance=0.0)
    assert sum(map(len, removed)) > 0
    assert pruned.layer_sizes[1:-1] == [32 - len(removed[0]), 16 - len(removed[1])]
    assert np.allclose(pruned.forward(X), model.forward(X), atol=1e-5)
    answer = handle_request(session, {'op': 'prune', 'tolerance': 0.0})
    assert answer['accuracy_after'] == pytest.approx(answer['accuracy_before'], abs=1e-9)
    assert answer['sizes_after'] == pruned.layer_sizes and answer['run'] in session.runs
    session.train(CHUNK, answer['run'])  # the pruned run trains


def test_the_page_reads_the_engines_preset_table(dist_dir):
    page = json.loads((dist_dir / 'tables.json').read_text())['presets']
    assert list(page) == list(PRESETS) and page == json.loads(json.dumps(PRESETS))


def test_measured_cost_of_the_health_checks_per_snapshot(artifacts_dir):
    """Reported, not asserted: wall time of the monitor per snapshot next to the chunk it watches."""
    report = {}
    for name, config in (('digits 64-32-10', {}), ('digits 64-32x5-10 sigmoid', preset_config('vanishing'))):
        session = configured(dict(DEFAULT_CONFIG, **config))
        costs, walls = [], []
        for _ in range(30):
            t0 = time.perf_counter()
            answer = session.train(CHUNK)
            walls.append(1000 * (time.perf_counter() - t0))
            costs.append(answer['health_ms'])
        report[name] = {'health_ms_median': float(np.median(costs)), 'chunk_ms_median': float(np.median(walls))}
        assert all(c >= 0 for c in costs)
    path = artifacts_dir / 'health-cost.json'
    old = json.loads(path.read_text()) if path.exists() else {}
    old['cpython'] = report
    path.write_text(json.dumps(old, indent=1))
