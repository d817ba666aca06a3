"""The swarm's ops (rows in ops.py's table): the controller and the member host of one worker.

The page keeps the controller (``swarm.Population``) on one worker and members on every worker
of its pool; site/js/app/swarm/executor.js runs the loop that swarm/executor.py's ``run_swarm``
runs in CPython. A member's exact state crosses the boundary as base64 text of the checkpoint
bytes (train/checkpoint.py), since requests are JSON.
"""
from __future__ import annotations

import base64
from typing import Any, Dict, List

from ..checks import integer
from ..swarm import MemberHost, Population, check_goals
from ..swarm.population import check_options
from .runs import Session

STATE_MAX_CHARS = 64 * 1024 * 1024


def _controller(session: Session) -> Population:
    if session.swarm is None:
        raise ValueError('no swarm yet: send {"op": "swarm_start"} first')
    return session.swarm


def _host(session: Session) -> MemberHost:
    if session.host is None:
        session.host = MemberHost()
    return session.host


def _member_id(value: "Any") -> str:
    if not isinstance(value, str) or not value or len(value) > 40:
        raise ValueError('member must be a member id like "m3", got %r' % (value,))
    return value


def encode_state(blob: bytes) -> str:
    return base64.b64encode(blob).decode('ascii')


def decode_state(text: "Any") -> bytes:
    if not isinstance(text, str) or len(text) > STATE_MAX_CHARS:
        raise ValueError('state must be the base64 text a member_state answer gave')
    try:
        return base64.b64decode(text.encode('ascii'), validate=True)
    except Exception:
        raise ValueError('state is not base64 text')


def swarm_start(session: Session, run: str, r: dict) -> dict:
    population = Population(size=r.get('size', 16), space=r.get('space'), goals=r.get('goals'),
                            rounds=r.get('rounds', 30), steps_per_round=r.get('steps_per_round', 800),
                            seed=r.get('seed', 0), options=r.get('options'), executor=r.get('executor', 'page'))
    header, actions = population.start()
    session.swarm = population
    o = population.options
    host = {'data_seed': o['data_seed'], 'layers': o['layers'], 'values_max': o['values_max']}
    return {'records': [header], 'actions': actions, 'host': host}


def swarm_plan(session: Session, run: str, r: dict) -> dict:
    population = _controller(session)
    return {'round': population.round + 1, 'allocation': population.plan()}


def swarm_report(session: Session, run: str, r: dict) -> dict:
    results = r.get('results')
    if not isinstance(results, dict):
        raise ValueError('results must be an object {member id: member_train answer}')
    records, actions, done = _controller(session).report(results)
    return {'records': records, 'actions': actions, 'done': done}


def swarm_configure(session: Session, run: str, r: dict) -> dict:
    population = _controller(session)
    if r.get('goals') is not None:
        population.goals = check_goals(r['goals'])
    if r.get('options') is not None:
        population.options = check_options(dict(population.options, **r['options']))
    actions = population.resize(r['size']) if r.get('size') is not None else []
    return {'goals': population.goals, 'options': population.options, 'size': population.size, 'actions': actions}


def swarm_stop(session: Session, run: str, r: dict) -> dict:
    population = _controller(session)
    reason = r.get('reason', 'stopped')
    if reason not in ('stopped', 'done', 'error'):
        raise ValueError("reason must be 'stopped', 'done' or 'error', got %r" % (reason,))
    return {'records': [population.end(reason, 'after round %d' % population.round)]}


def swarm_host(session: Session, run: str, r: dict) -> dict:
    """Set up this worker's member host (swarm_start's 'host' answer); drops members kept here."""
    o = check_options({k: r[k] for k in ('data_seed', 'layers', 'values_max') if k in r})
    session.host = MemberHost(data_seed=o['data_seed'], layers=o['layers'], values_max=o['values_max'])
    return {'members': 0}


def member_create(session: Session, run: str, r: dict) -> dict:
    return _host(session).create(_member_id(r.get('member')), r.get('config') or {})


def member_train(session: Session, run: str, r: dict) -> dict:
    return _host(session).train(_member_id(r.get('member')), integer(r.get('steps', 1), 'steps', 1, 100000))


def member_state(session: Session, run: str, r: dict) -> dict:
    member = _member_id(r.get('member'))
    return {'member': member, 'state': encode_state(_host(session).state(member))}


def member_load(session: Session, run: str, r: dict) -> dict:
    return _host(session).load(_member_id(r.get('member')), decode_state(r.get('state')), r.get('config') or {})


def member_breed(session: Session, run: str, r: dict) -> dict:
    parents = r.get('parents')
    if not isinstance(parents, list) or len(parents) != 2:
        raise ValueError('parents must be the two parents\' states (member_state answers)')
    return _host(session).breed(_member_id(r.get('member')), r.get('config') or {}, [decode_state(p) for p in parents])


def member_drop(session: Session, run: str, r: dict) -> dict:
    return _host(session).drop(_member_id(r.get('member')))


def adopt(session: Session, run: str, r: dict) -> dict:
    """The main run becomes a swarm member (its exact state), drawn by every single-run view."""
    return session.adopt(decode_state(r.get('state')), r.get('config') or {}, r.get('data_seed', 0))


SWARM_OPS = {
    'swarm_start': (swarm_start, {'size': 'members (2..64)', 'space': 'search space: preset name or object',
                                  'goals': 'fitness weights', 'rounds': 'rounds to run', 'steps_per_round': 'step budget of a round',
                                  'seed': 'swarm seed', 'options': 'population options', 'executor': "name for the stream header"},
                    'Start a swarm controller: the stream header and the actions that create its members.'),
    'swarm_plan': (swarm_plan, {}, "The next round's steps per member."),
    'swarm_report': (swarm_report, {'results': '{member: member_train answer}'},
                     "Take a round's measurements: stream records, actions, done."),
    'swarm_configure': (swarm_configure, {'goals': 'fitness weights', 'options': 'population options',
                                          'size': 'members (2..64)'},
                        'Change goals, options or size of a running swarm; answers the actions a resize needs.'),
    'swarm_stop': (swarm_stop, {'reason': "'stopped' | 'done' | 'error'"}, "The stream's end record."),
    'swarm_host': (swarm_host, {'data_seed': 'data split seed', 'layers': 'layers summarised', 'values_max': 'full values up to'},
                   "Set up this worker's member host."),
    'member_create': (member_create, {'member': 'member id', 'config': 'run settings'}, 'Create a member here.'),
    'member_train': (member_train, {'member': 'member id', 'steps': 'optimiser steps'},
                     "Train a member and measure it (swarm/host.py)."),
    'member_state': (member_state, {'member': 'member id'}, "A member's exact state, base64."),
    'member_load': (member_load, {'member': 'member id', 'state': 'base64 state', 'config': 'new settings'},
                    "A member continues from another's state (exploit)."),
    'member_breed': (member_breed, {'member': 'child id', 'config': 'child settings', 'parents': 'two base64 states',
                                    'seed': 'the seed in config'},
                     'A child inheriting its parents\' weights.'),
    'member_drop': (member_drop, {'member': 'member id'}, 'Forget a member.'),
    'adopt': (adopt, {'state': 'base64 member state', 'config': 'its settings', 'data_seed': 'the swarm\'s data seed'},
              'The main run becomes this member (network, health, inputs and modules views show it).'),
}  # type: Dict[str, Any]
