"""protocol/accel_ops.py: a chunk handed to another engine (here CPython onnxruntime, as the page's
worker hands it to onnxruntime-web) and taken back leaves the run where numpy would have."""
from __future__ import annotations

import numpy as np
import pytest

import glassbox
from glassbox.interop.codec import spec_to_bytes
from glassbox.protocol import handle_request as ask
from glassbox.protocol.accel_ops import group_calls

ort = pytest.importorskip('onnxruntime')


def configured(config):
    session = glassbox.Session()
    ask(session, {'op': 'configure', 'config': config})
    return session


def onnxruntime_chunk(session, steps, per_call, sessions, run='main', evaluate=True):
    """What site/js/engine/accel.js does, in CPython: plan, run the graph call by call, adopt."""
    plan = ask(session, {'op': 'accel_plan', 'run': run, 'steps': steps, 'steps_per_call': per_call})
    data = ask(session, {'op': 'accel_data', 'run': run})
    assert data['key'] == plan['data']
    state = dict(plan['feeds'])
    losses, corrects, w_before = [], [], None
    for i, call in enumerate(plan['calls']):
        key = plan['graphs'][str(call['steps'])]
        if key not in sessions:
            spec = ask(session, {'op': 'accel_graph', 'run': run, 'steps': call['steps']})['spec']
            sessions[key] = ort.InferenceSession(spec_to_bytes(spec), providers=['CPUExecutionProvider'])
        graph = sessions[key]
        if i == len(plan['calls']) - 1:
            w_before = [state[name].copy() for name in state if name.startswith('W') and '.' not in name]
        rows = call['rows'].reshape(call['steps'], call['batch'])
        x = data['X'][rows]
        y = np.eye(data['n_classes'], dtype=np.float32)[data['y'][rows]]
        feeds = dict({v.name: state[v.name] for v in graph.get_inputs() if v.name in state}, x=x, y=y)
        out = dict(zip([o.name for o in graph.get_outputs()], graph.run(None, feeds)))
        for name in list(state):
            if name + '.next' in out:
                state[name] = out[name + '.next']
        if 't0' in state:
            state['t0'] = np.array(state['t0'] + call['steps'], np.float32)
        losses += list(out['loss'])
        corrects += list(out['correct'])
    cycled = {name: value for name, value in state.items() if name not in ('hyper', 't0')}
    val = None
    if evaluate:
        key = plan['graphs']['evaluate']
        if key not in sessions:
            spec = ask(session, {'op': 'accel_graph', 'run': run, 'kind': 'evaluate'})['spec']
            sessions[key] = ort.InferenceSession(spec_to_bytes(spec), providers=['CPUExecutionProvider'])
        y_val = np.eye(data['n_classes'], dtype=np.float32)[data['y_val']]
        feeds = dict({name: cycled[name] for name in cycled if '.' not in name}, x=data['X_val'], y=y_val)
        loss_sum, correct = sessions[key].run(['loss_sum', 'correct'], feeds)
        val = {'loss_sum': float(loss_sum), 'correct': float(correct)}
    return ask(session, {'op': 'accel_adopt', 'run': run, 'state': cycled, 'losses': losses,
                         'corrects': corrects, 'w_before': w_before, 'val': val})


@pytest.mark.parametrize('optimizer,lr', [('sgd', 0.1), ('momentum', 0.05), ('adam', 0.005)])
def test_chunks_trained_by_onnxruntime_follow_numpy_chunks(optimizer, lr):
    config = {'optimizer': optimizer, 'lr': lr, 'l2': 1e-4, 'activation': 'tanh', 'batch_size': 100}
    accel, numpy_run = configured(config), configured(config)
    sessions = {}
    for _ in range(6):  # 6 x 7 steps of 100 rows crosses an epoch end (a shorter batch)
        a = onnxruntime_chunk(accel, 7, 3, sessions)
        b = ask(numpy_run, {'op': 'train', 'steps': 7})
        assert a['step'] == b['step']
        assert a['snapshot']['epoch'] == b['snapshot']['epoch']
        assert a['snapshot']['train']['loss'] == pytest.approx(b['snapshot']['train']['loss'], rel=1e-5)
        assert a['snapshot']['train']['accuracy'] == pytest.approx(b['snapshot']['train']['accuracy'], abs=0.02)
        # The validation metrics came from the evaluation graph, numpy's from Trainer.evaluate.
        assert a['snapshot']['val']['loss'] == pytest.approx(b['snapshot']['val']['loss'], rel=1e-5)
        assert a['snapshot']['val']['accuracy'] == pytest.approx(b['snapshot']['val']['accuracy'], abs=0.002)
    for la, lb in zip(accel.run('main').model.layers, numpy_run.run('main').model.layers):
        np.testing.assert_allclose(la.W, lb.W, rtol=1e-4, atol=1e-5)
    # The health monitor got the weights before the last step: its update ratios match numpy's.
    ra, rb = accel.run('main').health.history.items[-1], numpy_run.run('main').health.history.items[-1]
    assert ra['step'] == rb['step']
    for a_layer, b_layer in zip(ra['layers'], rb['layers']):
        assert a_layer['step_update'] == pytest.approx(b_layer['step_update'], rel=1e-3)


def test_a_failed_engine_hands_the_chunk_to_numpy_exactly():
    config = {'optimizer': 'momentum', 'lr': 0.05}
    accel, numpy_run = configured(config), configured(config)
    ask(accel, {'op': 'accel_plan', 'steps': 12, 'steps_per_call': 5})
    a = ask(accel, {'op': 'accel_adopt', 'state': None})  # what accel.js sends when onnxruntime fails
    b = ask(numpy_run, {'op': 'train', 'steps': 12})
    assert a['step'] == b['step'] == 12
    for la, lb in zip(accel.run('main').model.layers, numpy_run.run('main').model.layers):
        np.testing.assert_array_equal(la.W, lb.W)


def test_adopting_without_a_plan_is_named():
    session = configured({})
    with pytest.raises(ValueError, match='no chunk was planned'):
        ask(session, {'op': 'accel_adopt', 'state': {}})


def test_a_wrong_number_of_losses_is_named_and_nothing_changes():
    session = configured({})
    before = session.run('main').model.layers[0].W.copy()
    plan = ask(session, {'op': 'accel_plan', 'steps': 4})
    state = {k: v for k, v in plan['feeds'].items() if k != 'hyper'}
    with pytest.raises(ValueError, match='4 steps were planned but 2 losses'):
        ask(session, {'op': 'accel_adopt', 'state': state, 'losses': [1.0, 1.0], 'corrects': [0, 0]})
    np.testing.assert_array_equal(session.run('main').model.layers[0].W, before)


def test_calls_group_equal_batches_and_keep_the_last_step_alone():
    assert group_calls([64] * 10, 9) == [list(range(9)), [9]]
    assert group_calls([64] * 10, 4) == [[0, 1, 2, 3], [4, 5, 6, 7], [8], [9]]
    # An epoch's short last batch breaks a group: it runs alone, and so does the chunk's last step.
    assert group_calls([64, 64, 64, 10, 64, 64], 3) == [[0, 1, 2], [3], [4], [5]]
    assert group_calls([64], 9) == [[0]]
    for sizes in ([5] * 23, [5, 5, 2, 5, 5, 5, 5, 5]):
        calls = group_calls(sizes, 4)
        assert sum(calls, []) == list(range(len(sizes)))
        assert all(len({sizes[i] for i in call}) == 1 and len(call) in (1, 4) for call in calls)


def test_graph_keys_change_with_everything_that_changes_the_graph():
    session = configured({})
    key = ask(session, {'op': 'accel_graph', 'steps': 3})['key']
    for change in ({'hidden': [16]}, {'activation': 'tanh'}, {'optimizer': 'adam'}, {'l2': 1e-3}):
        other = configured(change)
        assert ask(other, {'op': 'accel_graph', 'steps': 3})['key'] != key, change
    assert ask(session, {'op': 'accel_graph', 'steps': 1})['key'] != key


def test_the_data_key_changes_with_the_data_and_only_then():
    session = configured({'dataset': 'digits'})
    key = ask(session, {'op': 'accel_data'})['key']
    ask(session, {'op': 'train', 'steps': 3})
    ask(session, {'op': 'configure', 'config': {'dataset': 'digits', 'hidden': [8]}})
    assert ask(session, {'op': 'accel_data'})['key'] == key
    ask(session, {'op': 'configure', 'config': {'dataset': 'xor'}})
    other = ask(session, {'op': 'accel_data'})
    assert other['key'] != key and other['X'].shape[1] == 2



def test_an_unknown_graph_kind_is_named():
    with pytest.raises(ValueError, match="kind must be 'train' or 'evaluate'"):
        ask(configured({}), {'op': 'accel_graph', 'kind': 'infer'})
