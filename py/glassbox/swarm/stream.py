"""THE swarm metadata stream: every record a swarm emits, written down once.

A stream is JSON lines (one JSON object per line, UTF-8). The in-page executor, the in-process
executor and the Ray executor all write the same records, and the page draws a stream the same
way live or from a file (site/js/state/swarm-state.js reads it). Version ``STREAM_VERSION``.

Clock: ``time`` is seconds since the swarm started, on the controller's monotonic clock
(``time.monotonic()`` in Python, ``performance.now()/1000`` in the page), rounded to ms;
``started`` in the header is the wall clock (UTC, ISO 8601) at that instant.

Records, told apart by ``type``::

  {'type': 'swarm', 'v': 1, 'id': swarm id, 'started': ISO time, 'executor': 'page' | 'local' | 'ray',
   'size': members kept alive, 'rounds': planned rounds, 'steps_per_round': the step budget of one round,
   'dataset', 'space': search space (space.py), 'goals': fitness weights (fitness.py),
   'options': {every population option (population.OPTIONS)}, 'seed': the swarm's seed}   -- first line, once

  {'type': 'member', 'v': 1, 'member': id ('m0', 'm1', ...), 'parents': [ids] ([] for a random
   member, [source] after an exploit, [a, b] for a bred child), 'round', 'time',
   'step': the member's own optimiser steps so far, 'allocated': steps it got this round,
   'loss': {'last', 'mean', 'min', 'max', 'count'} over this round's minibatch losses (null if none),
   'metrics': {'val_accuracy', 'val_loss', 'macro_f1', 'train_accuracy', 'gap' (train - val accuracy)},
   'fitness': goal-weighted score in [0, 1] after the diversity penalty, 'raw_fitness': before it,
   'share': fitness / sum of fitness (the probability compute follows),
   'layers': [{'layer': l (0 = first weight matrix), 'shape': [n_in, n_out], 'w_norm', 'w_mean', 'w_std',
               'w_absmax', 'b_norm', 'values': W flattened row-major, only when n_in * n_out <= values_max}],
   'architecture': {'sizes': [n_0, ..., n_L], 'activation', 'init', 'params': weight + bias count},
   'hyperparameters': {'optimizer', 'lr', 'batch_size', 'l2'},
   'resources': {'ms_per_step', 'samples_per_s', 'params', 'bytes': parameters + optimiser state,
                 'cpu_s': process CPU seconds this round or null, 'rss_bytes': process memory or null},
   'flags': [anomaly names: 'diverged', 'loss_spike', 'slow', and the health detectors' alert ids;
             'restarted' when the Ray executor brought the member back from its checkpoint],
   'events': [this member's events this round (same shape as below)]}      -- per member per round

  {'type': 'round', 'v': 1, 'round', 'time', 'allocation': {member id: steps},
   'shares': {member id: share}, 'diversity': 1 - mean pairwise similarity (diversity.py),
   'best': member id of the highest fitness, 'total_steps': steps trained by the whole swarm so far,
   'similarity': {'architecture' | 'hyperparameters' | 'function' | 'combined':
                  [[member a, member b, similarity in [0, 1]], ...] for every pair with similarity >= 0.5},
   'events': [{'kind': 'created' | 'exploited' | 'explored' | 'bred' | 'culled' | 'flagged',
               'member': id, 'round', 'from': [ids it came from] (optional), 'detail': text}]}
                                                                          -- after each round's members

  {'type': 'end', 'v': 1, 'round', 'time', 'reason': 'done' | 'stopped' | 'error', 'detail'}

Rate and size: one member record per member per round, nothing in between; weights travel only
as summaries (and as values for layers of at most ``values_max`` weights, 64 by default). Measured
(benchmarks/swarm_scaling.py, 32 members of the 'digits' space): a member record is about 1.4 kB,
and with the round records (whose similarity pairs grow with the square of the size) a round
costs about 2.1 kB per member -- 69 kB a round for 32 members, so the stream's bytes per second
are 69 kB times the rounds per second.
"""
from __future__ import annotations

import json
from typing import Any, Dict, Iterable, Iterator, List

STREAM_VERSION = 1
# Each record type's top-level fields, as the docstring above lists them.
FIELDS = {
    'swarm': ('type', 'v', 'id', 'started', 'executor', 'size', 'rounds', 'steps_per_round', 'dataset', 'space',
              'goals', 'options', 'seed'),
    'member': ('type', 'v', 'member', 'parents', 'round', 'time', 'step', 'allocated', 'loss', 'metrics', 'fitness',
               'raw_fitness', 'share', 'layers', 'architecture', 'hyperparameters', 'resources', 'flags', 'events'),
    'round': ('type', 'v', 'round', 'time', 'allocation', 'shares', 'diversity', 'best', 'total_steps', 'similarity',
              'events'),
    'end': ('type', 'v', 'round', 'time', 'reason', 'detail'),
}
RECORD_TYPES = tuple(FIELDS)
EVENT_KINDS = ('created', 'exploited', 'explored', 'bred', 'culled', 'flagged')


def dumps(record: "Dict[str, Any]") -> str:
    """One record as one line of JSON (non-finite numbers become null: JSON has no NaN)."""
    return json.dumps(_finite(record), separators=(',', ':'), sort_keys=True)


def _finite(value: "Any") -> "Any":
    if isinstance(value, float):
        return value if value == value and value not in (float('inf'), float('-inf')) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def write_lines(records: "Iterable[Dict[str, Any]]", handle: "Any") -> int:
    """Write records to an open text file; returns bytes written."""
    total = 0
    for record in records:
        line = dumps(record) + '\n'
        handle.write(line)
        total += len(line.encode('utf-8'))
    handle.flush()
    return total


def read_lines(text: str) -> "Iterator[Dict[str, Any]]":
    """The records of a stream's text; ValueError names the first line that is not a record."""
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise ValueError('swarm stream line %d is not JSON: %s' % (number, exc))
        if not isinstance(record, dict) or record.get('type') not in RECORD_TYPES:
            raise ValueError('swarm stream line %d is not a swarm record (type must be one of %s)'
                             % (number, ', '.join(RECORD_TYPES)))
        yield record


def events_of(records: "List[Dict[str, Any]]") -> "List[Dict[str, Any]]":
    """Every event in a stream, in order."""
    return [event for r in records if r.get('type') == 'round' for event in r.get('events', [])]
