"""The Ray executor: every member in its own Ray actor, a round's members trained in parallel.

Imported only when Ray is asked for (``--executor ray``); nothing else in the engine imports it,
so Pyodide never sees ``import ray``.

Layout::

    driver (run_swarm + Population)          one actor per member (MemberActor: a one-member MemberHost)
      apply(actions)  -- create/load/breed -->  builds the member, answers its state bytes
      train(allocation) -- train(steps) ---->   trains, PUBLISHES the measurement on the queue,
                                                answers (ack, state bytes)
      reads the round's measurements  <------  ray.util.queue.Queue (an actor of its own)

Checkpoints: after every round (and after every create / copy / breed) the driver keeps, per
member, one ObjectRef to the member's state bytes (train/checkpoint.py) in Ray's object store --
the latest only; replacing the ref lets Ray free the old one. The bytes are the second return
value of the actor's method, so the *driver* owns the object: an object the actor ``ray.put``
itself would be owned by the actor's process and lost with it, which is exactly when it is
needed. Copies and breeds pass these refs to the receiving actor, so parents' weights move from
actor to actor without passing through the driver.

Fault tolerance: when a call finds its actor dead (``ray.exceptions.RayActorError``: killed,
crashed, its node lost), the executor starts a new actor, restores the member from its last
checkpoint (``MemberHost.load`` with the member's current config: weights, optimiser state and
data order exactly as after its last completed round) and retrains that member's allocation for
the round; a create / copy / breed is simply redone on the new actor. Nothing is emitted for
the lost attempt. The restart is reported in the stream as the flag ``'restarted'`` on that
member's next measurement, so its member record carries it and the round's events carry a
``'flagged'`` event with detail ``'restarted'``; ``RayExecutor.restarts`` counts them and
``restart_log`` says which member, round and call. What a restore does not bring back: the
member's anomaly history (best validation loss, ms/step history, health detectors) starts
afresh, so a 'loss_spike' or 'slow' flag cannot fire in the round right after a restart. A
checkpoint survives its actor (the driver owns it; large ones sit in the node's object store),
but not the loss of the node that stores it: Ray cannot re-run an actor call to rebuild it, and
the run ends with Ray's ObjectLostError ('error' end record).

Queue: a member's measurement travels as one message, ``stream.dumps`` of
``{'type': 'measurement', 'round', 'member', 'attempt', 'measurement'}`` (JSON text; the
measurement as host.py describes it). The driver reads exactly the round's messages, keeping per
member the one from the attempt whose call succeeded (a message from an attempt whose actor
then died is dropped). Training is thereby decoupled from whoever turns measurements into
stream records. At most ``parallel`` train calls are in flight (default: the cluster's CPU
count) -- idle actors hold no CPU, so without this limit Ray would run a whole round at once
on however many cores the machine has, whatever ``num_cpus`` says.

Putting Kafka or RabbitMQ in the queue's place (a deployment; not implemented here):

* measurements -- topic / queue ``swarm.<swarm id>.measurements``. PRODUCERS: the member actors
  (or any training process), one message per member per round, key = member id, value = the
  JSON text above, produced before the train call returns (Kafka ``acks=all``; RabbitMQ publisher
  confirms). CONSUMER: the driver, the only one (one consumer group / one exclusive queue); it
  drops messages whose (round, member, attempt) is not the one expected, commits offsets / acks
  after the round's records are written.
* stream -- topic / exchange ``swarm.<swarm id>.stream``. PRODUCER: the driver, one message per
  stream record (header, member, round, end) = one line of the stream file, ``stream.dumps``
  (key = swarm id, so records stay in order on one partition). CONSUMERS: the file writer, the
  SSE server (``python -m glassbox.swarm serve`` reads a file today; it would read this topic
  from the beginning instead) and anything else that draws or stores the swarm, each with its
  own consumer group (Kafka) or its own queue bound to a fanout exchange (RabbitMQ).
"""
from __future__ import annotations

import json
import os
import time
from typing import Any, Dict, List, Optional

import ray
from ray._private import ray_constants
from ray.util.queue import Empty, Queue

from ..data.registry import PACKED_SETS, data_dir, register_packed
from .executor import Executor
from .host import MemberHost
from .population import Population
from .stream import dumps

ACTOR_ERRORS = (ray.exceptions.RayActorError,)
PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # .../py/glassbox


def init_ray(address: "Optional[str]" = None, num_cpus: "Optional[int]" = None) -> dict:
    """Start a local Ray cluster on 127.0.0.1 (``num_cpus`` CPUs, no dashboard) or, with
    ``address``, join an existing one. Workers get the engine on their path: locally through
    PYTHONPATH, on a cluster as a ``py_modules`` upload. Answers ``ray.cluster_resources()``."""
    env = {'OMP_NUM_THREADS': '1'}  # one process per member: BLAS threads would only fight for cores
    if os.environ.get('GLASSBOX_DATA_DIR'):
        env['GLASSBOX_DATA_DIR'] = os.environ['GLASSBOX_DATA_DIR']
    if address:
        ray.init(address=address, runtime_env={'py_modules': [PACKAGE_DIR], 'env_vars': env},
                 logging_level='warning')
    else:
        # A local cluster stays on the loopback address: on Linux Ray otherwise swaps 127.0.0.1 for
        # the machine's routable address and its services talk (and listen) there. Ray's switch
        # for single-machine (Windows/macOS) use keeps it on 127.0.0.1: set for the processes Ray
        # starts (environment) and for this one (read when ray was imported, so set it there too).
        os.environ['RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER'] = '0'
        ray_constants.ENABLE_RAY_CLUSTER = False
        env['PYTHONPATH'] = os.pathsep.join([os.path.dirname(PACKAGE_DIR)] +
                                            [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p])
        ray.init(num_cpus=num_cpus, include_dashboard=False, _node_ip_address='127.0.0.1',
                 runtime_env={'env_vars': env}, logging_level='warning')
    return ray.cluster_resources()


def packed_files(dataset: str) -> "Dict[str, bytes]":
    """{file name: bytes} of ``dataset``'s packed file when this machine has it (shipped to the
    actors once, so nodes without the build's data can train on it); {} for generated sets."""
    name = PACKED_SETS.get(dataset)
    path = os.path.join(data_dir(), name) if name else None
    if not path or not os.path.exists(path):
        return {}
    with open(path, 'rb') as handle:
        return {name: handle.read()}


@ray.remote
class MemberActor:
    """One member's home: a MemberHost holding that member only."""

    def __init__(self, host_options: dict, packed: "Dict[str, bytes]", queue: "Queue") -> None:
        for name, blob in packed.items():
            register_packed(name, blob)
        self.host = MemberHost(**host_options)
        self.queue = queue

    def pid(self) -> int:
        return os.getpid()

    def create(self, member: str, config: dict) -> bytes:
        self.host.create(member, config)
        return self.host.state(member)

    def load(self, member: str, config: dict, blob: bytes) -> bytes:
        self.host.load(member, blob, config)
        return self.host.state(member)

    def breed(self, member: str, config: dict, *parent_blobs: bytes) -> bytes:
        self.host.breed(member, config, list(parent_blobs))
        return self.host.state(member)

    @ray.method(num_returns=2)
    def train(self, member: str, steps: int, round_: int, attempt: int):
        """(ack {'member', 'round', 'attempt', 'step'}, state bytes); the measurement goes on the queue."""
        measurement = self.host.train(member, steps)
        self.queue.put(dumps({'type': 'measurement', 'round': round_, 'member': member, 'attempt': attempt,
                              'measurement': measurement}))
        return ({'member': member, 'round': round_, 'attempt': attempt, 'step': measurement['step']},
                self.host.state(member))


class RayExecutor(Executor):
    """Members on Ray actors (module docstring). Needs ``ray.init`` first (``init_ray``)."""

    def __init__(self, population: Population, parallel: "Optional[int]" = None, max_restarts: int = 3,
                 queue_timeout_s: float = 120.0) -> None:
        o = population.options
        self.host_options = {'data_seed': o['data_seed'], 'layers': o['layers'], 'values_max': o['values_max']}
        self.packed = ray.put(packed_files(population.space['dataset']))
        self.parallel = int(parallel or max(1, int(ray.cluster_resources().get('CPU', 1))))
        self.max_restarts = int(max_restarts)
        self.queue_timeout_s = float(queue_timeout_s)
        self.queue = Queue()
        self.actors = {}  # type: Dict[str, Any]
        self.configs = {}  # type: Dict[str, dict]
        self.checkpoints = {}  # type: Dict[str, Any]   member -> ObjectRef of its latest state bytes
        self.attempts = {}  # type: Dict[str, int]
        self.round = 0
        self.restarts = 0
        self.restart_log = []  # type: List[dict]
        self.messages = 0  # measurements read from the queue and used
        self.stale_messages = 0  # from attempts whose actor died afterwards
        self._restarted = set()  # members whose next measurement carries the 'restarted' flag

    # -- actors ------------------------------------------------------------------------------
    def _new_actor(self, member: str):
        self.actors[member] = MemberActor.remote(self.host_options, self.packed, self.queue)
        return self.actors[member]

    def _restart(self, member: str, during: str, exc: BaseException) -> None:
        self.restarts += 1
        self.restart_log.append({'member': member, 'round': self.round, 'during': during, 'error': type(exc).__name__})
        self._restarted.add(member)
        self._new_actor(member)

    def _submit(self, member: str, kind: str, args: tuple):
        """The remote call that (re)builds ``member``; ObjectRef args are resolved by Ray."""
        actor = self.actors.get(member) or self._new_actor(member)
        return getattr(actor, kind).remote(member, self.configs[member], *args)

    def _settle(self, member: str, kind: str, args_of, ref) -> None:
        """Wait for a create/load/breed; if its actor died, redo it on a new actor."""
        for tries in range(self.max_restarts + 1):
            try:
                ray.get(ref)
                self.checkpoints[member] = ref
                return
            except ACTOR_ERRORS as exc:
                if tries == self.max_restarts:
                    raise
                self._restart(member, kind, exc)
                ref = self._submit(member, kind, args_of())

    # -- Executor ------------------------------------------------------------------------------
    def apply(self, actions: "List[dict]") -> None:
        """All of a round's actions submitted at once (actors start in parallel), then awaited in
        order. A copy or breed gets its sources' checkpoint refs, so it sees their latest state."""
        submitted = []
        for action in actions:
            kind, member = action['kind'], action['member']
            if kind == 'drop':
                self.drop(member)
                continue
            if kind not in ('create', 'copy', 'breed'):
                raise ValueError('unknown swarm action %r' % (kind,))
            sources = {'create': [], 'copy': [action.get('from')], 'breed': action.get('parents', [])}[kind]
            method = {'create': 'create', 'copy': 'load', 'breed': 'breed'}[kind]
            self.configs[member] = action['config']

            def args_of(sources=sources):
                return tuple(self.checkpoints[s] for s in sources)
            self.checkpoints[member] = self._submit(member, method, args_of())
            submitted.append((member, method, args_of, self.checkpoints[member]))
        for member, method, args_of, ref in submitted:
            self._settle(member, method, args_of, ref)

    def create(self, member, config):
        self.apply([{'kind': 'create', 'member': member, 'config': config}])

    def load(self, member, blob, config):
        self.configs[member] = config
        self._settle(member, 'load', lambda: (blob,), self._submit(member, 'load', (blob,)))

    def breed(self, member, config, parent_blobs):
        self.configs[member] = config
        self._settle(member, 'breed', lambda: tuple(parent_blobs), self._submit(member, 'breed', tuple(parent_blobs)))

    def state(self, member):
        """The member's state bytes after its last completed call (its checkpoint)."""
        return ray.get(self.checkpoints[member])

    def drop(self, member):
        actor = self.actors.pop(member, None)
        self.checkpoints.pop(member, None)
        self.configs.pop(member, None)
        if actor is not None:
            ray.kill(actor)

    def train(self, allocation: "Dict[str, int]") -> "Dict[str, dict]":
        """{member: measurement} for ``allocation`` {member: steps}, read from the queue."""
        self.round += 1
        pending = list(allocation.items())
        inflight = {}  # ack ref -> (member, steps, state ref)
        expected = {}  # member -> attempt whose call succeeded
        tries = {m: 0 for m in allocation}
        while pending or inflight:
            while pending and len(inflight) < self.parallel:
                member, steps = pending.pop(0)
                self.attempts[member] = self.attempts.get(member, 0) + 1
                ack, state = self.actors[member].train.remote(member, int(steps), self.round, self.attempts[member])
                inflight[ack] = (member, steps, state)
            ready, _ = ray.wait(list(inflight), num_returns=1)
            member, steps, state = inflight.pop(ready[0])
            try:
                expected[member] = ray.get(ready[0])['attempt']
                self.checkpoints[member] = state
            except ACTOR_ERRORS as exc:
                tries[member] += 1
                if tries[member] > self.max_restarts:
                    raise
                self._restart(member, 'train', exc)
                # Restore from the last checkpoint, then retrain this round's steps first.
                checkpoint = (self.checkpoints[member],)
                self._settle(member, 'load', lambda: checkpoint, self._submit(member, 'load', checkpoint))
                pending.insert(0, (member, steps))
        measurements = self._read(expected)
        for member in allocation:
            if member in self._restarted:
                self._restarted.discard(member)
                measurements[member]['flags'] = list(measurements[member].get('flags', [])) + ['restarted']
        return {m: measurements[m] for m in allocation}

    def _read(self, expected: "Dict[str, int]") -> "Dict[str, dict]":
        """The round's measurement per member from the queue (stale messages dropped)."""
        out = {}
        deadline = time.monotonic() + self.queue_timeout_s
        while len(out) < len(expected):
            left = deadline - time.monotonic()
            try:
                message = json.loads(self.queue.get(block=True, timeout=max(0.01, left)))
            except Empty:
                raise RuntimeError('round %d: no measurement on the queue within %.0f s for %s'
                                   % (self.round, self.queue_timeout_s, ', '.join(sorted(set(expected) - set(out)))))
            member = message['member']
            if message['round'] == self.round and expected.get(member) == message['attempt']:
                out[member] = message['measurement']
                self.messages += 1
            else:
                self.stale_messages += 1
        return out

    def close(self) -> None:
        """Kill the actors and the queue (the cluster stays: whoever called ``ray.init`` owns it)."""
        for member in list(self.actors):
            self.drop(member)
        try:
            self.queue.shutdown()
        except Exception:
            pass  # the queue's actor may already be gone with the cluster
