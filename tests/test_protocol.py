"""glassbox.protocol driven exactly as the browser worker drives it: JSON in, packed buffer out; the
ops table, runs and argument checks."""
from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import ROOT
from glassbox.protocol import OPS, Session, handle, handle_request
from glassbox.protocol.wire import unpack
from glassbox.train.config import DEFAULT_CONFIG, validate_config


def call(request):
    return unpack(handle(json.dumps(request)))


def test_configure_then_train_streams_a_snapshot_with_the_documented_layers():
    configured = call({'op': 'configure', 'config': {'hidden': [16], 'seed': 1}})
    assert configured['ok'], configured
    assert configured['value']['info']['layer_sizes'] == [64, 16, 10]
    assert configured['value']['snapshot']['step'] == 0
    trained = call({'op': 'train', 'steps': 25})
    assert trained['ok'] and trained['value']['step'] == 25 and trained['value']['diverged'] is False
    snapshot = trained['value']['snapshot']
    assert [layer['W'].shape for layer in snapshot['layers']] == [(64, 16), (16, 10)]


def test_errors_come_back_as_messages_and_the_session_survives():
    call({'op': 'configure', 'config': {}})
    bad = call({'op': 'configure', 'config': {'hidden': [0]}})
    assert bad['ok'] is False and 'hidden' in bad['error'] and bad['kind'] == 'ValueError'
    assert call({'op': 'nonsense'})['error'].startswith("unknown op 'nonsense'; known: ")
    broken = unpack(handle('{not json'))
    assert broken['ok'] is False and broken['kind'] == 'JSONDecodeError'
    # The earlier model is still there and trains.
    assert call({'op': 'train', 'steps': 2})['ok']


@pytest.mark.parametrize('config, word', [
    ({'lr': 0}, 'lr'), ({'lr': float('nan')}, 'lr'), ({'lr': 'fast'}, 'lr'), ({'batch_size': 0}, 'batch_size'),
    ({'dataset': 'cifar'}, 'dataset'), ({'activation': 'gelu'}, 'activation'), ({'hidden': [8] * 9}, 'hidden'),
    ({'hidden': 'abc'}, 'hidden'), ({'seed': -1}, 'seed'), ({'l2': 2}, 'l2'), ({'colour': 'red'}, 'colour'),
])
def test_invalid_config_values_are_named(config, word):
    with pytest.raises(ValueError, match=word):
        validate_config(config)


def test_set_lr_changes_the_optimiser_without_resetting():
    s = Session()
    s.configure({'hidden': [8]})
    s.train(5)
    s.set_lr(0.01)
    assert s.trainer.lr == 0.01 and s.trainer.step_count == 5
    s.train(5)
    assert s.trainer.step_count == 10 and s.trainer.snapshot()['lr'] == pytest.approx(0.01)


def test_a_diverging_run_is_reported_not_raised():
    s = Session()
    s.configure({'hidden': [32], 'lr': 10.0, 'init': 'he', 'activation': 'linear'})
    diverged = False
    for _ in range(50):
        result = s.train(20)
        if result['diverged']:
            diverged = True
            break
    assert diverged
    assert not np.isfinite(result['snapshot']['train']['loss'])


def test_same_config_gives_identical_weights():
    a, b = Session(), Session()
    for s in (a, b):
        s.configure(dict(DEFAULT_CONFIG, hidden=[8]))
        s.train(30)
    for la, lb in zip(a.trainer.snapshot()['layers'], b.trainer.snapshot()['layers']):
        np.testing.assert_array_equal(la['W'], lb['W'])


def test_runtime_reports_versions():
    value = call({'op': 'runtime'})['value']
    assert value['numpy'] == np.__version__ and value['python'].count('.') == 2


def test_every_op_takes_a_run_and_names_a_missing_one():
    s = Session()
    s.configure({'hidden': [8]})
    s.fork('main', {'lr': 0.05})
    for op in ('train', 'snapshot', 'evaluate', 'health', 'health_history', 'morph', 'classify_input', 'pour',
               'project', 'perturb', 'set_lr', 'fork', 'prune', 'rollback', 'drop_run', 'modules'):
        with pytest.raises(ValueError, match="no run 'ghost'; runs: fork-1, main"):
            handle_request(s, {'op': op, 'run': 'ghost'})


def test_an_analysis_of_a_fork_sees_the_fork_not_main():
    s = Session()
    s.configure({'hidden': [8]})
    fork = s.fork('main', {'lr': 0.5})['run']
    s.train(40, fork)
    spec = {'input': {'index': 3}}
    on_main = handle_request(s, dict(spec, op='classify_input'))
    on_fork = handle_request(s, dict(spec, op='classify_input', run=fork))
    assert not np.array_equal(on_main['logits'], on_fork['logits'])
    np.testing.assert_array_equal(on_fork['logits'], s.runs[fork].model.forward(on_fork['x'][None, :])[0])
    assert handle_request(s, {'op': 'evaluate', 'run': fork})['run'] == fork


def test_unknown_arguments_are_named_with_the_ones_the_op_takes():
    s = Session()
    s.configure({'hidden': [8]})
    with pytest.raises(ValueError, match=r"op 'morph' takes no argument 'form'; it takes: run, from, to, steps, path"):
        handle_request(s, {'op': 'morph', 'form': {'class': 1}})
    with pytest.raises(ValueError, match='run must be a run id string'):
        handle_request(s, {'op': 'train', 'run': 3})
    with pytest.raises(ValueError, match='a request must be an object'):
        handle_request(s, ['train'])
    with pytest.raises(ValueError, match="configure rebuilds the main run"):
        handle_request(s, {'op': 'configure', 'run': 'fork-1'})


def test_requests_before_configure_say_what_to_send_first():
    with pytest.raises(ValueError, match='send {"op": "configure"} first'):
        handle_request(Session(), {'op': 'train', 'steps': 1})


def ops_markdown() -> str:
    rows = ['| op | arguments (every op also takes `run`, default `main`) | answers |', '|---|---|---|']
    for name in sorted(OPS):
        _, args, summary = OPS[name]
        rows.append('| `%s` | %s | %s |' % (name, ', '.join('`%s`' % a for a in args) or '\u2014', summary))
    return '\n'.join(rows)


def test_readme_lists_every_op_of_the_ops_table_with_its_arguments():
    text = (ROOT / 'README.md').read_text()
    listed = text[text.index('<!-- ops:begin -->') + len('<!-- ops:begin -->'):text.index('<!-- ops:end -->')]
    assert listed.strip() == ops_markdown(), 'README.md needs this ops table:\n' + ops_markdown()


def test_undo_configure_brings_back_the_replaced_main_run_exactly_and_a_second_undo_redoes():
    s = Session()
    s.configure({'hidden': [8], 'dataset': 'digits'})
    s.train(30)
    weights = [layer.W.copy() for layer in s.trainer.model.layers]
    s.configure({'hidden': [4, 4], 'dataset': 'xor'})  # another architecture and dataset
    back = OPS['undo_configure'][0](s, 'main', {})
    assert back['snapshot']['step'] == 30 and back['info']['dataset'] == 'digits' and back['config']['hidden'] == [8]
    assert all(np.array_equal(a, layer.W) for a, layer in zip(weights, s.trainer.model.layers))
    s.train(1)  # it trains on, on its own data
    assert s.trainer.step_count == 31 and s.data['name'] == 'digits'
    again = OPS['undo_configure'][0](s, 'main', {})
    assert again['info']['dataset'] == 'xor' and again['snapshot']['step'] == 0


def test_undo_configure_without_an_earlier_run_is_named():
    s = Session()
    s.configure({})
    with pytest.raises(ValueError, match='nothing to undo'):
        OPS['undo_configure'][0](s, 'main', {})
