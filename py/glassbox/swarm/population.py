"""The population algorithm: one controller, whatever trains the members.

``Population`` never trains anything itself. An executor (executor.py: in-process or Ray; the
page's executor in site/js/app/swarm/) runs the loop::

    actions = population.start()                     # create the first members
    while not done:
        carry out actions                            # create / copy / breed / drop, in order
        allocation = population.plan()               # {member: steps} for this round
        results = {m: host.train(m, steps)}          # host.py measurements, in parallel
        records, actions, done = population.report(results)

Each round (``report``): fitness of every measured member (fitness.py), similarities and the
near-duplicate penalty (diversity.py), shares = the probabilities the next round's steps follow
(allocation.py); anomalies flagged, and with ``auto_cull`` a member carrying a flag named in
``cull_on`` (default: 'diverged') is culled and replaced by a child of two fit members. Every ``exploit_every`` rounds the bottom
``quantile`` of the living members (by fitness) is replaced: with probability ``breed_share``
by a bred child of two parents drawn by share from the top half (breeding.py), otherwise by
PBT exploit + explore -- the member copies a top-``quantile`` member's exact state (weights,
optimiser state, data order) and perturbs or resamples its hyperparameters (space.py).

Actions (carried out in order): {'kind': 'create', 'member', 'config'}, {'kind': 'copy',
'member', 'from', 'config'}, {'kind': 'breed', 'member', 'parents': [a, b], 'config', 'seed'},
{'kind': 'drop', 'member'}. Records: stream.py.
"""
from __future__ import annotations

import datetime
import time
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from ..checks import choice, integer, number
from ..monitor.detectors import TITLES
from .diversity import population_diversity, share_fitness, similarities
from .allocation import allocate
from .breeding import crossover
from .fitness import check_goals, fitness, probabilities
from .space import check_space, explore, grid, sample
from .stream import STREAM_VERSION

OPTIONS = {'floor_share': 0.2, 'exploit_every': 3, 'quantile': 0.25, 'resample': 0.25, 'breed_share': 0.3,
           'similarity_threshold': 0.9, 'penalty': 0.5, 'auto_cull': True, 'cull_on': ['diverged'], 'init': 'random',
           'data_seed': 0, 'layers': None, 'values_max': 64}
# Flags a member can carry (host.py's anomalies and the health detectors' alert kinds): 'cull_on'
# names those that get it culled when 'auto_cull' is on.
FLAGS = ('diverged', 'loss_spike', 'slow', 'restarted') + tuple(k for k in TITLES if k != 'diverged')
MAX_SIZE = 64


def check_options(options: "Any") -> dict:
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise ValueError('options must be an object, got %r' % (options,))
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ValueError('unknown swarm option(s) %s; options: %s' % (', '.join(unknown), ', '.join(OPTIONS)))
    o = dict(OPTIONS, **options)
    out = {'floor_share': number(o['floor_share'], 'floor_share', 0.0, 1.0),
           'exploit_every': integer(o['exploit_every'], 'exploit_every', 1, 1000),
           'quantile': number(o['quantile'], 'quantile', 0.0, 0.5),
           'resample': number(o['resample'], 'resample', 0.0, 1.0),
           'breed_share': number(o['breed_share'], 'breed_share', 0.0, 1.0),
           'similarity_threshold': number(o['similarity_threshold'], 'similarity_threshold', 0.0, 1.0),
           'penalty': number(o['penalty'], 'penalty', 0.0, 1.0),
           'auto_cull': bool(o['auto_cull']),
           'cull_on': o['cull_on'],
           'init': choice(o['init'], 'init', ('random', 'grid')),
           'data_seed': integer(o['data_seed'], 'data_seed', 0, 2 ** 31 - 1),
           'values_max': integer(o['values_max'], 'values_max', 0, 100000),
           'layers': o['layers']}
    if not (isinstance(out['cull_on'], list) and all(f in FLAGS for f in out['cull_on'])):
        raise ValueError('cull_on must be a list of flags from %s, got %r' % (', '.join(FLAGS), out['cull_on']))
    if out['layers'] is not None and not (isinstance(out['layers'], list) and all(
            isinstance(l, int) and not isinstance(l, bool) and 0 <= l < 16 for l in out['layers'])):
        raise ValueError('layers must be null (every layer) or a list of layer indices, got %r' % (out['layers'],))
    return out


class Population:
    """The controller (module docstring). ``executor`` names where members train, for the header."""

    def __init__(self, size: int = 8, space: "Any" = None, goals: "Any" = None, rounds: int = 20,
                 steps_per_round: int = 400, seed: int = 0, options: "Any" = None, executor: str = 'local',
                 swarm_id: "Optional[str]" = None) -> None:
        self.size = integer(size, 'size', 2, MAX_SIZE)
        self.space = check_space(space)
        self.goals = check_goals(goals)
        self.rounds = integer(rounds, 'rounds', 1, 100000)
        self.steps_per_round = integer(steps_per_round, 'steps_per_round', self.size, 10 ** 7)
        self.seed = integer(seed, 'seed', 0, 2 ** 31 - 1)
        self.options = check_options(options)
        self.executor = executor
        self.id = swarm_id or 'swarm-%d' % self.seed
        self.rng = np.random.default_rng([self.seed, 7])
        self.members = {}  # type: Dict[str, dict]   id -> {config, parents, alive, measurement, fitness, share}
        self.round = 0
        self.total_steps = 0
        self.next_id = 0
        self.pending = {}  # type: Dict[str, int]
        self.events = []  # type: List[dict]
        self._round_events = []  # type: List[dict]
        self._t0 = None  # type: Optional[float]

    # -- bookkeeping ------------------------------------------------------------------------
    def now(self) -> float:
        return round(time.monotonic() - self._t0, 3) if self._t0 is not None else 0.0

    def alive(self) -> "List[str]":
        return [m for m, info in self.members.items() if info['alive']]

    def _event(self, kind: str, member: str, detail: str, sources: "Optional[List[str]]" = None) -> None:
        event = {'kind': kind, 'member': member, 'round': self.round, 'detail': detail}
        if sources:
            event['from'] = list(sources)
        self._round_events.append(event)
        self.events.append(event)

    def _new_member(self, config: dict, parents: "List[str]") -> str:
        member = 'm%d' % self.next_id
        self.next_id += 1
        self.members[member] = {'config': config, 'parents': list(parents), 'alive': True, 'measurement': None,
                                'fitness': None, 'raw_fitness': None, 'share': None, 'born': self.round}
        return member

    def _fresh_seed(self) -> int:
        return int(self.rng.integers(0, 2 ** 31 - 1))

    def header(self) -> dict:
        return {'type': 'swarm', 'v': STREAM_VERSION, 'id': self.id, 'executor': self.executor,
                'started': datetime.datetime.utcnow().replace(microsecond=0).isoformat() + 'Z',
                'size': self.size, 'rounds': self.rounds, 'steps_per_round': self.steps_per_round,
                'dataset': self.space['dataset'], 'space': self.space, 'goals': self.goals, 'options': self.options,
                'seed': self.seed}

    # -- the loop ----------------------------------------------------------------------------
    def start(self) -> "Tuple[dict, List[dict]]":
        """(header record, the actions that create the first members)."""
        self._t0 = time.monotonic()
        if self.options['init'] == 'grid':
            configs = grid(self.space, self.size, seed=self.seed)
        else:
            configs = [sample(self.space, self.rng, self._fresh_seed()) for _ in range(self.size)]
        actions = []
        for config in configs:
            member = self._new_member(config, [])
            self._event('created', member, 'drawn from the search space (%s)' % self.options['init'])
            actions.append({'kind': 'create', 'member': member, 'config': config})
        return self.header(), actions

    def plan(self) -> "Dict[str, int]":
        """This round's steps per living member (allocation.py), from the last round's shares."""
        ids = self.alive()
        shares = {m: (self.members[m]['share'] or 0.0) for m in ids}
        new = [m for m in ids if self.members[m]['measurement'] is None]
        self.round += 1
        self.pending = allocate(self.steps_per_round, shares, self.options['floor_share'], new)
        return dict(self.pending)

    def report(self, results: "Dict[str, dict]") -> "Tuple[List[dict], List[dict], bool]":
        """Take this round's measurements; answer (records, actions, done) (module docstring)."""
        missing = sorted(set(self.pending) - set(results))
        if missing:
            raise ValueError('round %d: no measurement for %s' % (self.round, ', '.join(missing)))
        for member, measurement in results.items():
            if member in self.members:
                self.members[member]['measurement'] = measurement
                self.total_steps += int(measurement.get('allocated', 0))
        ids = [m for m in self.alive() if self.members[m]['measurement'] is not None]
        measured = [self.members[m]['measurement'] for m in ids]
        raw = {m: fitness(self.members[m]['measurement'], measured, self.goals) for m in ids}
        configs = {m: self.members[m]['config'] for m in ids}
        sims = similarities(configs, {m: self.members[m]['measurement'].get('predictions', []) for m in ids})
        shared = share_fitness(raw, sims['combined'], self.options['similarity_threshold'], self.options['penalty'])
        shares = probabilities(shared)
        for m in ids:
            self.members[m].update(raw_fitness=raw[m], fitness=shared[m], share=shares[m])
        # Records show the round as measured; evolution's events are attached afterwards.
        records = [self._member_record(m) for m in results if m in self.members]
        actions = self._evolve(ids, shared)
        for record in records:
            record['events'] = [e for e in self._round_events if e['member'] == record['member']]
        best = max(ids, key=lambda m: shared[m]) if ids else None
        records.append({'type': 'round', 'v': STREAM_VERSION, 'round': self.round, 'time': self.now(),
                        'allocation': dict(self.pending), 'shares': {m: shares[m] for m in ids},
                        'diversity': population_diversity(sims['combined']), 'best': best, 'total_steps': self.total_steps,
                        'similarity': {name: [[a, b, round(s, 3)] for (a, b), s in table.items() if s >= 0.5]
                                       for name, table in sims.items()},
                        'events': list(self._round_events)})
        self._round_events = []
        self.pending = {}
        return records, actions, self.round >= self.rounds

    def resize(self, size: "Any") -> "List[dict]":
        """Change the number of living members mid-run: new ones are bred from the fittest two (or
        drawn fresh), surplus ones are the least fit and are culled. Returns the actions."""
        self.size = integer(size, 'size', 2, MAX_SIZE)
        if self.steps_per_round < self.size:
            self.steps_per_round = self.size
        living = sorted(self.alive(), key=lambda m: -(self.members[m]['fitness'] or 0.0))
        actions = []
        for m in living[self.size:]:
            actions.append(self._cull(m, 'population resized to %d' % self.size))
        parents = [m for m in living if self.members[m]['measurement'] is not None][:max(2, len(living) // 2)]
        shares = {m: max(self.members[m]['share'] or 0.0, 1e-6) for m in parents}
        for _ in range(self.size - len(living)):
            actions.append(self._breed(parents, shares) or self._fresh())
        return actions

    def end(self, reason: str = 'done', detail: str = '') -> dict:
        return {'type': 'end', 'v': STREAM_VERSION, 'round': self.round, 'time': self.now(), 'reason': reason,
                'detail': detail}

    # -- evolution ---------------------------------------------------------------------------
    def _cull(self, member: str, why: str) -> dict:
        self.members[member]['alive'] = False
        self._event('culled', member, why)
        return {'kind': 'drop', 'member': member}

    def _fresh(self) -> dict:
        """A new random member (when there are not two healthy parents to breed from)."""
        config = sample(self.space, self.rng, self._fresh_seed())
        member = self._new_member(config, [])
        self._event('created', member, 'drawn from the search space: too few healthy members to breed')
        return {'kind': 'create', 'member': member, 'config': config}

    def _breed(self, pool: "List[str]", shares: "Dict[str, float]") -> "Optional[dict]":
        if len(pool) < 2:
            return None
        weights = np.array([max(shares[m], 1e-12) for m in pool])
        a, b = self.rng.choice(len(pool), size=2, replace=False, p=weights / weights.sum())
        pa, pb = pool[int(a)], pool[int(b)]
        seed = self._fresh_seed()
        config = crossover(self.members[pa]['config'], self.members[pb]['config'], self.rng, seed)
        child = self._new_member(config, [pa, pb])
        self._event('bred', child, 'child of %s and %s: hidden %s' % (pa, pb, config['hidden']), [pa, pb])
        return {'kind': 'breed', 'member': child, 'parents': [pa, pb], 'config': config, 'seed': seed}

    def _evolve(self, ids: "List[str]", fit: "Dict[str, float]") -> "List[dict]":
        actions = []
        ranked = sorted(ids, key=lambda m: -fit[m])
        shares = probabilities(fit)
        cull_on = set(self.options['cull_on'])
        healthy = [m for m in ranked if not set(self.members[m]['measurement'].get('flags', ())) & cull_on]
        for m in ids:
            flags = self.members[m]['measurement'].get('flags', [])
            if flags:
                self._event('flagged', m, ', '.join(flags))
            if self.options['auto_cull'] and set(flags) & cull_on:
                actions.append(self._cull(m, 'anomaly: %s' % ', '.join(sorted(set(flags) & cull_on))))
                actions.append(self._breed(healthy[:max(2, len(healthy) // 2)], shares) or self._fresh())
        if self.round % self.options['exploit_every'] != 0:
            return actions
        living = [m for m in ranked if self.members[m]['alive']]
        n_bottom = int(np.floor(len(living) * self.options['quantile']))
        if n_bottom == 0:
            return actions
        top = living[:max(1, int(np.ceil(len(living) * self.options['quantile'])))]
        top_half = living[:max(2, len(living) // 2)]
        for m in living[len(living) - n_bottom:]:
            if m in top:
                continue
            if self.rng.random() < self.options['breed_share'] and len(top_half) >= 2:
                actions.append(self._cull(m, 'bottom %d%% at round %d: replaced by a child'
                                          % (round(100 * self.options['quantile']), self.round)))
                actions.append(self._breed(top_half, shares))
                continue
            source = top[int(self.rng.integers(len(top)))]
            config = explore(dict(self.members[source]['config']), self.space, self.rng, self.options['resample'])
            info = self.members[m]
            info.update(config=config, parents=[source], measurement=dict(self.members[source]['measurement']))
            self._event('exploited', m, 'copied %s (fitness %.3f > %.3f)' % (source, fit[source], fit[m]), [source])
            self._event('explored', m, 'lr %.3g, batch %d, l2 %.3g' % (config['lr'], config['batch_size'], config['l2']))
            actions.append({'kind': 'copy', 'member': m, 'from': source, 'config': config})
        return actions

    # -- records and state -------------------------------------------------------------------
    def _member_record(self, member: str) -> dict:
        info = self.members[member]
        m = info['measurement'] or {}
        return {'type': 'member', 'v': STREAM_VERSION, 'member': member, 'parents': info['parents'],
                'round': self.round, 'time': self.now(), 'step': m.get('step', 0), 'allocated': m.get('allocated', 0),
                'loss': m.get('loss'), 'metrics': m.get('metrics'), 'fitness': info['fitness'],
                'raw_fitness': info['raw_fitness'], 'share': info['share'], 'layers': m.get('layers', []),
                'architecture': m.get('architecture'), 'hyperparameters': m.get('hyperparameters'),
                'resources': m.get('resources'), 'flags': m.get('flags', []), 'events': []}

    def state(self) -> dict:
        """{round, members: [{id, parents, config, fitness, steps, metrics, resources, flags, alive}], events}."""
        out = []
        for member, info in self.members.items():
            m = info['measurement'] or {}
            out.append({'id': member, 'parents': info['parents'], 'config': info['config'], 'fitness': info['fitness'],
                        'share': info['share'], 'steps': m.get('step', 0), 'metrics': m.get('metrics'),
                        'resources': m.get('resources'), 'flags': m.get('flags', []), 'alive': info['alive']})
        return {'round': self.round, 'rounds': self.rounds, 'total_steps': self.total_steps, 'members': out,
                'events': list(self.events)}
