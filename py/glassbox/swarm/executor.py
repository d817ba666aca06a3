"""Executors: where a population's members train. One loop (``run_swarm``) for every executor.

An executor implements six member operations -- ``create(member, config)``, ``train(allocation)
-> {member: measurement}`` (all members of a round; in parallel where it can), ``state(member)
-> bytes``, ``load(member, blob, config)``, ``breed(member, config, [blob_a, blob_b])`` and
``drop(member)`` -- and inherits ``apply(actions)``, which carries out the controller's actions
in order (population.py). ``LocalExecutor`` keeps every member in one ``MemberHost`` in this
process; the Ray executor (ray_executor.py) keeps one per actor; the page keeps one per worker.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from .host import MemberHost
from .population import Population


class Executor:
    def create(self, member: str, config: dict) -> None:
        raise NotImplementedError

    def train(self, allocation: "Dict[str, int]") -> "Dict[str, dict]":
        raise NotImplementedError

    def state(self, member: str) -> bytes:
        raise NotImplementedError

    def load(self, member: str, blob: bytes, config: dict) -> None:
        raise NotImplementedError

    def breed(self, member: str, config: dict, parent_blobs: "List[bytes]") -> None:
        raise NotImplementedError

    def drop(self, member: str) -> None:
        raise NotImplementedError

    def apply(self, actions: "List[dict]") -> None:
        for action in actions:
            kind = action['kind']
            if kind == 'create':
                self.create(action['member'], action['config'])
            elif kind == 'copy':
                self.load(action['member'], self.state(action['from']), action['config'])
            elif kind == 'breed':
                self.breed(action['member'], action['config'], [self.state(p) for p in action['parents']])
            elif kind == 'drop':
                self.drop(action['member'])
            else:
                raise ValueError('unknown swarm action %r' % (kind,))

    def close(self) -> None:
        """Release workers (nothing to do in-process)."""


class LocalExecutor(Executor):
    """Every member in one MemberHost, trained one after another in this process."""

    def __init__(self, host: "Optional[MemberHost]" = None) -> None:
        self.host = host or MemberHost()

    def create(self, member, config):
        self.host.create(member, config)

    def train(self, allocation):
        return {m: self.host.train(m, steps) for m, steps in allocation.items()}

    def state(self, member):
        return self.host.state(member)

    def load(self, member, blob, config):
        self.host.load(member, blob, config)

    def breed(self, member, config, parent_blobs):
        self.host.breed(member, config, parent_blobs)

    def drop(self, member):
        self.host.drop(member)


def host_for(population: Population) -> MemberHost:
    """A MemberHost set up with the population's data seed and stream options."""
    o = population.options
    return MemberHost(data_seed=o['data_seed'], layers=o['layers'], values_max=o['values_max'])


def run_swarm(population: Population, executor: "Optional[Executor]" = None,
              emit: "Optional[Callable[[dict], Any]]" = None, should_stop: "Callable[[], bool]" = lambda: False) -> "List[dict]":
    """Run ``population`` to its last round (or until ``should_stop()``); every record goes to
    ``emit`` as it is made and all are returned."""
    executor = executor or LocalExecutor(host_for(population))
    records = []

    def out(record):
        records.append(record)
        if emit is not None:
            emit(record)
    header, actions = population.start()
    out(header)
    done = False
    try:
        while not done:
            executor.apply(actions)
            if should_stop():
                out(population.end('stopped', 'stopped after round %d' % population.round))
                return records
            allocation = population.plan()
            round_records, actions, done = population.report(executor.train(allocation))
            for record in round_records:
                out(record)
    except Exception as exc:
        out(population.end('error', '%s: %s' % (type(exc).__name__, exc)))
        raise
    out(population.end('done', '%d rounds, %d steps' % (population.round, population.total_steps)))
    return records
