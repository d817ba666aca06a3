"""glassbox.protocol.swarm_ops: the page's swarm loop over two workers' sessions, as the worker
calls it (JSON in), and adopting a member into the main run."""
from __future__ import annotations

import json

import numpy as np
import pytest

from glassbox.protocol.ops import handle
from glassbox.protocol.runs import Session


def call(session, request):
    # As in the page: requests and answers cross JSON (NaN becomes null).
    return json.loads(json.dumps(handle(session, json.loads(json.dumps(request))), default=float).replace('NaN', 'null'))


def run_page_loop(size=4, rounds=4, steps=80, seed=3):
    controller, other = Session(), Session()
    start = call(controller, {'op': 'swarm_start', 'size': size, 'rounds': rounds, 'steps_per_round': steps,
                              'seed': seed})
    where, records = {}, list(start['records'])

    def carry_out(actions):
        for a in actions:
            if a['kind'] == 'create':
                where[a['member']] = (controller, other)[len(where) % 2]
                call(where[a['member']], {'op': 'member_create', 'member': a['member'], 'config': a['config']})
            elif a['kind'] == 'copy':
                state = call(where[a['from']], {'op': 'member_state', 'member': a['from']})['state']
                call(where[a['member']], {'op': 'member_load', 'member': a['member'], 'state': state, 'config': a['config']})
            elif a['kind'] == 'breed':
                states = [call(where[p], {'op': 'member_state', 'member': p})['state'] for p in a['parents']]
                where[a['member']] = other
                call(other, {'op': 'member_breed', 'member': a['member'], 'config': a['config'], 'parents': states,
                             'seed': a['seed']})
            elif a['kind'] == 'drop':
                call(where.pop(a['member']), {'op': 'member_drop', 'member': a['member']})
    carry_out(start['actions'])
    done = False
    while not done:
        plan = call(controller, {'op': 'swarm_plan'})
        results = {m: call(where[m], {'op': 'member_train', 'member': m, 'steps': s}) for m, s in plan['allocation'].items()}
        report = call(controller, {'op': 'swarm_report', 'results': results})
        records += report['records']
        carry_out(report['actions'])
        done = report['done']
    return controller, where, records


def test_the_page_loop_over_two_workers_runs_a_swarm_to_its_last_round():
    controller, where, records = run_page_loop()
    rounds = [r for r in records if r['type'] == 'round']
    assert [r['round'] for r in rounds] == [1, 2, 3, 4]
    assert all(sum(r['allocation'].values()) == 80 for r in rounds)
    assert records[0]['type'] == 'swarm' and records[0]['executor'] == 'page'
    assert set(where) == set(controller.swarm.alive())


def test_adopting_a_member_makes_the_main_run_that_member():
    controller, where, _ = run_page_loop(size=2, rounds=2, steps=40)
    member = controller.swarm.alive()[0]
    config = controller.swarm.members[member]['config']
    state = call(where[member], {'op': 'member_state', 'member': member})['state']
    main = Session()
    answer = handle(main, {'op': 'adopt', 'state': state, 'config': config, 'data_seed': 0})
    kept = where[member].host.member(member).trainer
    assert answer['info']['layer_sizes'] == kept.model.layer_sizes and main.trainer.step_count == kept.step_count
    for a, b in zip(main.trainer.model.params(), kept.model.params()):
        np.testing.assert_array_equal(a['W'], b['W'])
    assert main.config['seed'] == 0  # the data seed: a link to these settings splits the data as the swarm did
    main.train(5)  # and it trains on


@pytest.mark.parametrize('request_, message', [
    ({'op': 'swarm_plan'}, 'no swarm yet'),
    ({'op': 'member_train', 'member': 'm0'}, "no swarm member 'm0'"),
    ({'op': 'member_load', 'member': 'm0', 'state': '%%%', 'config': {}}, 'not base64'),
    ({'op': 'member_breed', 'member': 'm0', 'config': {}, 'parents': ['a']}, 'two parents'),
    ({'op': 'adopt', 'state': 'AAAA', 'config': {}}, 'not a Glassbox checkpoint'),
    ({'op': 'swarm_start', 'size': 100}, 'size must be'),
    ({'op': 'swarm_configure', 'size': 3}, 'no swarm yet'),
    ({'op': 'member_create', 'member': {'x': 1}, 'config': {}}, 'member must be a member id'),
])
def test_bad_swarm_requests_are_named(request_, message):
    with pytest.raises(ValueError, match=message):
        handle(Session(), request_)
