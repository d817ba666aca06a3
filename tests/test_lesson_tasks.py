"""site/js/lessons/tasks.js in node: each condition id's check against the glassbox state it reads."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'py'))
from glassbox.protocol import shared_tables  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which('node') is None, reason='needs node')

RUN = """
import {parseCondition} from './site/js/lessons/tasks.js';
let input = '';
for await (const chunk of process.stdin) input += chunk;
const {tables, cases} = JSON.parse(input);
process.stdout.write(JSON.stringify(cases.map(([id, ctx]) => {
  const parsed = parseCondition(id, tables);
  return parsed.error ? {error: parsed.error} : {value: parsed.check(ctx), needs: parsed.needs};
})));
"""


def judge(cases):
    result = subprocess.run(['node', '--no-warnings', '--input-type=module', '-e', RUN], cwd=ROOT, text=True,
                            input=json.dumps({'tables': shared_tables(), 'cases': cases}), capture_output=True, check=True)
    return json.loads(result.stdout)


def ctx(**parts):
    base = {'state': {'step': 0, 'valLoss': 2.3, 'valAccuracy': 0.1, 'loss': 2.3, 'accuracy': 0.1},
            'store': {}, 'alerts': [], 'runs': ['main'], 'swarm': None}
    base.update(parts)
    return base


def test_metric_conditions_compare_the_validation_numbers():
    good = ctx(state={'step': 250, 'valLoss': 0.4, 'valAccuracy': 0.93, 'loss': 0.9, 'accuracy': 0.5})
    answers = judge([['accuracy>=0.9', good], ['accuracy>=0.9', ctx()], ['loss<0.5', good],
                     ['train_loss<0.5', good], ['steps>=200', good], ['steps>=200', ctx()],
                     ['accuracy>=0.9', ctx(state={'step': 3, 'valAccuracy': None})]])
    assert [a['value'] for a in answers] == [True, False, True, False, True, False, False]


def test_alert_conditions_tick_on_their_own_kind_only():
    alerts = [{'kind': 'dead_relu'}]
    answers = judge([['alert:dead_relu', ctx(alerts=alerts)], ['alert:vanishing_gradients', ctx(alerts=alerts)]])
    assert [a['value'] for a in answers] == [True, False] and answers[0]['needs'] == ['health']


def test_morph_flip_needs_the_right_ends_and_a_flip():
    def morph(pred, flips):
        return ctx(store={'inputs': {'morph': {'request': {'from': {'class': 5}, 'to': {'class': 6}},
                                               'result': {'pred': {'dtype': 'int32', 'shape': [len(pred)], 'data': pred},
                                                          'flips': flips}}}})
    answers = judge([['morph:flip', morph([5, 5, 6, 6], [{'step': 2}])],
                     ['morph:flip', morph([7, 5, 6, 6], [{'step': 1}, {'step': 2}])],
                     ['morph:flip', morph([5, 5, 5, 5], [])]])
    assert [a['value'] for a in answers] == [True, False, False]


def test_pour_selective_reads_hidden_layers_only():
    def pour(hidden, output):
        return ctx(store={'inputs': {'pour': {'result': {'layers': [{'selectivity': hidden}, {'selectivity': output}]}}}})
    answers = judge([['pour:selective', pour([0.2, -0.97], [0.1])], ['pour:selective', pour([0.2, 0.5], [0.99])],
                     ['pour:done', pour([0.2], [0.1])], ['pour:done', ctx()]])
    assert [a['value'] for a in answers] == [True, False, True, False]


def test_a_pour_counts_only_for_the_class_sets_the_settings_name():
    def pour(a, b, settings_a, settings_b):
        return ctx(store={'settings': {'pour_a': settings_a, 'pour_b': settings_b},
                          'inputs': {'pour': {'result': {'a': a, 'b': b, 'layers': [{'selectivity': [0.99]}, {'selectivity': [1]}]}}}})
    answers = judge([['pour:done', pour([1], [7], [1], [7])], ['pour:done', pour([3], [8], [1], [7])],
                     ['pour:selective', pour([3], [8], [1], [7])]])
    assert [a['value'] for a in answers] == [True, False, False]


def test_modules_swarm_and_fork_conditions():
    modules = ctx(store={'modules': {'result': {'layers': [{'modules': [{}, {}]}]}}}, state={'step': 400})
    answers = judge([['modules:found & steps>=300', modules], ['modules:found & steps>=500', modules],
                     ['swarm:round', ctx(swarm={'status': 'running', 'round': 1})],
                     ['swarm:round', ctx(swarm={'status': 'playing-file', 'round': 12})],
                     ['fork:made', ctx(runs=['main', 'fork-1'])], ['fork:made', ctx()]])
    assert [a['value'] for a in answers] == [True, False, True, False, True, False]
    assert answers[0]['needs'] == ['modules']


def test_unknown_conditions_are_named():
    answers = judge([['alert:vanishing', ctx()], ['morph:flop', ctx()], ['accuracy=>0.9', ctx()], ['  ', ctx()]])
    assert 'unknown alert "vanishing"' in answers[0]['error'] and 'alert:vanishing_gradients' in answers[0]['error']
    assert 'unknown condition "morph:flop"' in answers[1]['error']
    assert 'unknown condition "accuracy=>0.9"' in answers[2]['error']
    assert 'needs a condition id' in answers[3]['error']
