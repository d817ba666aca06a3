"""glassbox.monitor.replay and the 'replay' op: the thinned weight history of a run and the network
rebuilt as it was at a recorded step."""
from __future__ import annotations

import numpy as np
import pytest

from glassbox.data import load_dataset
from glassbox.monitor.replay import MAX_ENTRIES, Replay, replay_snapshot
from glassbox.protocol import Session, handle_request
from glassbox.train.config import build_trainer, validate_config


def fake_snapshot(step, shapes=((3, 2),)):
    return {'step': step, 'epoch': step / 10.0, 'lr': 0.1, 'train': {'loss': 1.0 / (step + 1), 'accuracy': 0.5},
            'val': {'loss': 2.0, 'accuracy': 0.25},
            'layers': [{'W': np.full(s, step, np.float32), 'b': np.full(s[1], step, np.float32)} for s in shapes]}


def test_thinning_keeps_every_stride_th_snapshot_and_the_newest():
    replay = Replay(limit=4)
    seen = {}
    for n in range(14):
        replay.record(fake_snapshot(10 * n))
        seen[n] = replay.steps()
    # Worked by hand from the rule (snapshots every 10 steps; stride 1 -> 2 -> 4 -> 8).
    assert seen[3] == [0, 10, 20, 30]
    assert seen[4] == [0, 20, 40]
    assert seen[5] == [0, 20, 40, 50]
    assert seen[6] == [0, 20, 40, 60]
    assert seen[7] == [0, 40, 70]
    assert seen[11] == [0, 40, 80, 110]
    assert seen[12] == [0, 40, 80, 120]
    assert seen[13] == [0, 80, 130]
    assert replay.stride == 8


def test_a_long_run_stays_within_the_limit_and_covers_the_whole_run():
    replay = Replay()
    for n in range(5000):
        replay.record(fake_snapshot(n))
        assert len(replay.entries) <= MAX_ENTRIES
    steps = replay.steps()
    assert steps[0] == 0 and steps[-1] == 4999
    gaps = np.diff(steps[:-1])
    assert len(set(gaps.tolist())) == 1 and gaps[0] == replay.stride  # evenly spaced, power of two
    assert replay.nbytes == len(steps) * (3 * 2 + 2) * 4


def test_a_rollback_forgets_later_entries_and_new_shapes_start_afresh():
    replay = Replay(limit=8)
    for step in (0, 10, 20, 30):
        replay.record(fake_snapshot(step))
    replay.record(fake_snapshot(15))
    assert replay.steps() == [0, 10, 15]
    replay.record(fake_snapshot(40, shapes=((3, 5), (5, 2))))
    assert replay.steps() == [40]


def test_nearest_is_the_newest_recorded_at_or_before_and_bad_steps_are_named():
    replay = Replay()
    for step in (0, 10, 20):
        replay.record(fake_snapshot(step))
    assert [replay.nearest(s)['step'] for s in (-5, 0, 9, 10, 19.5, 20, 10 ** 9)] == [0, 0, 0, 10, 10, 20, 20]
    for bad in ('x', None, float('nan'), True):
        with pytest.raises(ValueError, match='step must be a step number'):
            replay.nearest(bad)
    with pytest.raises(ValueError, match='nothing recorded yet'):
        Replay().nearest(0)


def test_the_replay_op_shows_the_network_as_it_was_on_the_same_probe():
    session = Session()
    first = handle_request(session, {'op': 'configure', 'config': {'hidden': [10], 'seed': 2, 'optimizer': 'adam',
                                                                   'lr': 0.01}})
    chunks = [handle_request(session, {'op': 'train', 'steps': 25}) for _ in range(4)]
    live_w = session.trainer.model.layers[0].W.copy()
    shown = handle_request(session, {'op': 'replay', 'step': 60})
    assert shown['step'] == 50 and shown['steps'] == [0, 25, 50, 75, 100] and shown['run'] == 'main'
    then = chunks[1]['snapshot']
    snap = shown['snapshot']
    assert snap['step'] == 50 and snap['train'] == then['train'] and snap['val'] == then['val']
    for a, b in zip(snap['layers'], then['layers']):
        for key in ('W', 'b', 'act', 'pre', 'dW'):
            np.testing.assert_array_equal(a[key], b[key])
    np.testing.assert_array_equal(snap['probe']['pred'], then['probe']['pred'])
    # Independent update ratio: ||W_50 - W_25|| / ||W_50||.
    W50, W25 = then['layers'][0]['W'], chunks[0]['snapshot']['layers'][0]['W']
    assert snap['layers'][0]['stats']['update_ratio'] == pytest.approx(
        np.linalg.norm(W50 - W25) / np.linalg.norm(W50), rel=1e-6)
    first_shown = handle_request(session, {'op': 'replay', 'step': 0})['snapshot']
    np.testing.assert_array_equal(first_shown['layers'][0]['W'], first['snapshot']['layers'][0]['W'])
    # The live run is untouched and trains on as before.
    np.testing.assert_array_equal(session.trainer.model.layers[0].W, live_w)
    assert handle_request(session, {'op': 'train', 'steps': 5})['step'] == 105


def test_a_forks_replay_is_its_own():
    session = Session()
    handle_request(session, {'op': 'configure', 'config': {'hidden': [6], 'dataset': 'xor'}})
    handle_request(session, {'op': 'train', 'steps': 10})
    handle_request(session, {'op': 'fork', 'changes': {'lr': 0.5}, 'id': 'f'})
    handle_request(session, {'op': 'train', 'steps': 7, 'run': 'f'})
    assert handle_request(session, {'op': 'replay', 'step': 100, 'run': 'f'})['steps'] == [10, 17]
    with pytest.raises(ValueError, match="no run 'g'"):
        handle_request(session, {'op': 'replay', 'step': 0, 'run': 'g'})


@pytest.mark.parametrize('dataset, hidden, params', [('digits', [32], 2410), ('mnist', [128, 64], 109386)])
def test_memory_per_thousand_steps_is_bounded_by_the_limit(dataset, hidden, params):
    """Snapshots every 10 steps (the page's default chunk): 1,000 steps record 100 snapshots."""
    data = load_dataset(dataset, seed=0)
    trainer = build_trainer(validate_config({'dataset': dataset, 'hidden': hidden, 'batch_size': 8}), data)
    assert sum(l.W.size + l.b.size for l in trainer.model.layers) == params
    replay = Replay()
    for _ in range(100):
        trainer.train(10)
        replay.record(trainer.snapshot())
    assert len(replay.entries) <= MAX_ENTRIES
    assert replay.nbytes == len(replay.entries) * params * 4 <= MAX_ENTRIES * params * 4
    print('%s: %d entries, %d bytes after 1,000 steps' % (dataset, len(replay.entries), replay.nbytes))
