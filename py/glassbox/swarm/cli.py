"""The swarm's command line (``python -m glassbox.swarm``)::

    run   [--size N] [--rounds R] [--steps-per-round S] [--space NAME|file.json]
          [--goals accuracy=1,speed=0.1] [--seed S] [--executor local|ray] [--address ADDR]
          [--num-cpus N] [--out stream.jsonl]
    serve stream.jsonl [--port 8765] [--host 127.0.0.1]

``run`` trains a population (population.py) with ``run_swarm`` and writes its stream (stream.py)
as JSON lines as it goes, one flushed line per record (``--out -``: standard output), and prints
one progress line per round (to standard error when the stream goes to standard output).
Ctrl-C stops after the round in progress, with an 'end' record of reason 'stopped'.
``--executor ray`` starts a local Ray cluster (``--num-cpus``; 127.0.0.1, no dashboard) or
joins one (``--address``, e.g. ``auto`` or ``host:6379``).

``serve`` answers the file's records as Server-Sent Events on ``/events`` and the file itself on
``/stream.jsonl`` (serve.py), following the file while ``run`` writes it.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from typing import Any, List, Optional

from .executor import LocalExecutor, host_for, run_swarm
from .fitness import GOALS
from .population import Population
from .space import SPACES
from .stream import write_lines


def parse_goals(text: str) -> dict:
    """'accuracy=1,speed=0.1' -> {'accuracy': 1.0, 'speed': 0.1} (fitness.py checks the names)."""
    goals = {}
    for part in filter(None, (p.strip() for p in text.split(','))):
        name, sep, value = part.partition('=')
        try:
            goals[name.strip()] = float(value) if sep else 1.0
        except ValueError:
            raise argparse.ArgumentTypeError('goal %r needs a number after =, like accuracy=1' % part)
    return goals


def load_space(text: str) -> "Any":
    """A preset name (space.SPACES) or the path of a JSON file holding a space."""
    if text in SPACES:
        return text
    if text.endswith('.json') or os.path.exists(text):
        try:
            with open(text, encoding='utf-8') as handle:
                return json.load(handle)
        except (OSError, ValueError) as exc:
            raise argparse.ArgumentTypeError('cannot read the space file %s: %s' % (text, exc))
    raise argparse.ArgumentTypeError('unknown space %r; presets: %s, or a .json file' % (text, ', '.join(SPACES)))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog='python -m glassbox.swarm', description='Train a swarm of networks; serve its stream.')
    sub = p.add_subparsers(dest='command', required=True)
    r = sub.add_parser('run', help='train a population and write its stream as JSON lines')
    r.add_argument('--size', type=int, default=8, help='members kept alive (default 8)')
    r.add_argument('--rounds', type=int, default=20, help='rounds (default 20)')
    r.add_argument('--steps-per-round', type=int, default=400, help='steps shared by the members each round (default 400)')
    r.add_argument('--space', type=load_space, default='digits', help='preset (%s) or file.json' % ', '.join(SPACES))
    r.add_argument('--goals', type=parse_goals, default=None, help='fitness weights, e.g. accuracy=1,speed=0.1 '
                   '(names: %s; default accuracy=1)' % ', '.join(GOALS))
    r.add_argument('--seed', type=int, default=0)
    r.add_argument('--executor', choices=('local', 'ray'), default='local')
    r.add_argument('--address', default=None, help='Ray cluster to join (default: start a local one)')
    r.add_argument('--num-cpus', type=int, default=None, help='CPUs of the local Ray cluster (default: all)')
    r.add_argument('--out', default='swarm-stream.jsonl', help='stream file (default swarm-stream.jsonl; - for stdout)')
    s = sub.add_parser('serve', help='serve a stream file as Server-Sent Events')
    s.add_argument('stream', help='the stream file (JSON lines); may still be growing or not exist yet')
    s.add_argument('--port', type=int, default=8765)
    s.add_argument('--host', default='127.0.0.1', help='address to bind (default 127.0.0.1: this machine only)')
    s.add_argument('--verbose', action='store_true', help='log every request')
    return p


def progress_line(record: dict, members: "List[dict]", rounds: int, seconds: float) -> str:
    """'round 3/20  best m2 val_acc 0.912 fitness 0.870  diversity 0.41  steps 1200  12.3 s'."""
    best = next((m for m in members if m['member'] == record.get('best')), None)
    acc = (best.get('metrics') or {}).get('val_accuracy') if best else None
    fit = best.get('fitness') if best else None
    return 'round %d/%d  best %s val_acc %s fitness %s  diversity %.2f  steps %d  %.1f s' % (
        record['round'], rounds, record.get('best'), '%.3f' % acc if acc is not None else '-',
        '%.3f' % fit if fit is not None else '-', record.get('diversity') or 0.0, record['total_steps'], seconds)


def run(args: argparse.Namespace) -> int:
    population = Population(size=args.size, space=args.space, goals=args.goals, rounds=args.rounds,
                            steps_per_round=args.steps_per_round, seed=args.seed, executor=args.executor)
    handle = sys.stdout if args.out == '-' else open(args.out, 'w', encoding='utf-8')
    log = sys.stderr if args.out == '-' else sys.stdout
    ray = None
    if args.executor == 'ray':
        try:
            import ray  # only here: the in-process executor needs no Ray
        except ImportError:
            raise ValueError('--executor ray needs Ray on this machine: pip install ray')
        from .ray_executor import RayExecutor, init_ray
        resources = init_ray(args.address, args.num_cpus)
        print('ray: %g CPUs%s' % (resources.get('CPU', 0), ' at ' + args.address if args.address else ' (local)'), file=log, flush=True)
        executor = RayExecutor(population)
    else:
        executor = LocalExecutor(host_for(population))
    stop = {'asked': False}
    t0 = time.monotonic()
    members = []  # this round's member records, for the progress line

    def on_interrupt(signum, frame):
        if stop['asked']:
            raise KeyboardInterrupt
        stop['asked'] = True  # the first Ctrl-C ends cleanly after this round
        print('stopping after this round (Ctrl-C again to abort)', file=log, flush=True)

    def emit(record: dict) -> None:
        write_lines([record], handle)  # flushed per record: `serve` and the page follow the file
        if record['type'] == 'member':
            members.append(record)
        elif record['type'] == 'round':
            print(progress_line(record, members, population.rounds, time.monotonic() - t0), file=log, flush=True)
            del members[:]
        elif record['type'] == 'end':
            print('end: %s (%s)%s' % (record['reason'], record['detail'], '' if args.out == '-' else ' -> ' + args.out),
                  file=log, flush=True)
    try:
        previous = signal.signal(signal.SIGINT, on_interrupt)
    except ValueError:
        previous = None  # not the main thread (main() called from a thread): Ctrl-C stays as it is
    try:
        run_swarm(population, executor, emit, lambda: stop['asked'])
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        executor.close()
        if ray is not None:
            if getattr(executor, 'restarts', 0):
                print('ray: %d actor restart(s): %s' % (executor.restarts, executor.restart_log), file=log, flush=True)
            ray.shutdown()
        if handle is not sys.stdout:
            handle.close()
    return 0


def serve(args: argparse.Namespace) -> int:
    from .serve import make_server  # http.server only when serving
    server = make_server(args.stream, args.host, args.port, verbose=args.verbose)
    print('serving %s: %sevents (SSE), %sstream.jsonl; Ctrl-C stops' % (args.stream, server.url, server.url), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stopping.set()
        server.server_close()
    return 0


def main(argv: "Optional[List[str]]" = None) -> int:
    args = parser().parse_args(argv)
    try:
        return run(args) if args.command == 'run' else serve(args)
    except ValueError as exc:  # a bad size, space or goal: say which, no traceback
        print('error: %s' % exc, file=sys.stderr)
        return 2
