"""Swarm scaling on this machine, measured side by side in one run:

1. Training throughput -- member-steps per second (the sum over members of the optimiser steps
   they trained, divided by seconds) of ONE population (same size, space, seed, step budget) run
   in-process (``LocalExecutor``, the reference) and on a local Ray cluster with 1 and with 2 CPUs
   (``init_ray(num_cpus=n)``; the Ray executor keeps at most n train calls in flight). Two
   figures per row: over the time spent in ``executor.train`` (training + measuring + the
   queue; what more workers speed up) and over the whole ``run_swarm`` (also actor start-up,
   creates, copies and the controller). Ray's own cluster start is not counted.
2. Stream rate at 32 members (on Ray with 2 CPUs): the stream's bytes (``stream.dumps`` lines)
   per wall second, over the whole run and over rounds 2..R (start-up excluded, from the records'
   ``time``), and bytes per member per round (member records alone, and all records but header
   and end divided by members x rounds).
3. How many cores' worth of CPU were free before and after (``parallel_capacity``): on a shared
   machine the 2-CPU row can only be as fast as the free cores allow.

Every process trains with one BLAS thread (below), so the rows differ only in where they train.

    python benchmarks/swarm_scaling.py            # about 3 minutes on 2 cores
    python benchmarks/swarm_scaling.py --quick    # tiny settings, a smoke run

Writes ``swarm-scaling.json`` (every figure and the machine) and ``swarm-scaling.md`` (the table)
to ``benchmarks/results/`` (or ``--out-dir``).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

# One BLAS thread in every process, this one included: Ray's workers get one (init_ray), and the
# in-process reference must not win or lose by threading tiny matrix products over both cores.
for _name in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_name, '1')

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'py'))
sys.path.insert(0, str(ROOT / 'benchmarks'))

from glassbox.swarm import LocalExecutor, Population, dumps, host_for, run_swarm  # noqa: E402
from run import machine  # noqa: E402  (the machine description benchmarks/run.py writes)


class Timed:
    """Wraps an executor; adds up the seconds spent in ``train``."""

    def __init__(self, executor) -> None:
        self.executor, self.train_s = executor, 0.0

    def __getattr__(self, name):
        return getattr(self.executor, name)

    def apply(self, actions):
        return self.executor.apply(actions)

    def train(self, allocation):
        t0 = time.perf_counter()
        try:
            return self.executor.train(allocation)
        finally:
            self.train_s += time.perf_counter() - t0


def measure(settings: dict, executor_name: str, num_cpus: "int | None" = None) -> dict:
    """Run the population once; answer its throughput and stream figures."""
    ray = None
    if executor_name == 'ray':
        import ray
        from glassbox.swarm.ray_executor import RayExecutor, init_ray
        init_ray(num_cpus=num_cpus)
    try:
        population = Population(executor=executor_name, **settings)
        inner = RayExecutor(population) if ray else LocalExecutor(host_for(population))
        executor = Timed(inner)
        t0 = time.perf_counter()
        records = run_swarm(population, executor)
        wall = time.perf_counter() - t0
        executor.close()
    finally:
        if ray:
            ray.shutdown()
    sizes = [len((dumps(r) + '\n').encode('utf-8')) for r in records]
    members = [(r, n) for r, n in zip(records, sizes) if r['type'] == 'member']
    rounds = [r for r in records if r['type'] == 'round']
    after_first = sum(n for r, n in zip(records, sizes) if r['type'] in ('member', 'round') and r['round'] >= 2)
    steady_s = records[-1]['time'] - rounds[0]['time'] if len(rounds) > 1 else None
    steps = population.total_steps
    return {'executor': executor_name, 'num_cpus': num_cpus, 'members': settings['size'], 'rounds': len(rounds),
            'member_steps': steps, 'train_s': round(executor.train_s, 3), 'wall_s': round(wall, 3),
            'member_steps_per_s_train': round(steps / executor.train_s, 1),
            'member_steps_per_s_wall': round(steps / wall, 1),
            'restarts': getattr(inner, 'restarts', 0),
            'stream_bytes': sum(sizes), 'stream_bytes_per_s_wall': round(sum(sizes) / wall, 1),
            'stream_bytes_per_s_rounds_2_on': round(after_first / steady_s, 1) if steady_s else None,
            'member_record_bytes_mean': round(sum(n for _, n in members) / len(members), 1),
            'bytes_per_member_per_round': round((sum(sizes) - sizes[0] - sizes[-1]) / len(members), 1)}


SPIN = 'import time\nt = time.process_time()\nx = 0\nfor i in range(5000000): x += i\n'


def parallel_capacity() -> float:
    """How many cores' worth of CPU this machine gives right now: the wall time of one busy
    loop x 2 / the wall time of two run at once (2.0 on two idle cores; ~1.0 when other work
    takes one). The scaling rows mean little without it."""
    def wall(n):
        t0 = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, '-c', SPIN]) for _ in range(n)]
        for proc in procs:
            proc.wait()
        return time.perf_counter() - t0
    return round(2 * wall(1) / wall(2), 2)


def table(results: dict) -> str:
    m = results['machine']
    lines = ['Machine: %(cpu)s, %(cores)s cores, %(memory_gib)s GiB; %(os)s.' % m,
             'Population: %(size)d members, %(rounds)d rounds, %(steps_per_round)d steps per round, '
             'space %(space)s, seed %(seed)d.' % results['settings'],
             'Cores\' worth of CPU free while measuring (2 busy loops at once vs 1): %s before, %s after.'
             % (results['capacity_before'], results['capacity_after']), '',
             '| executor | CPUs | member-steps/s (train) | member-steps/s (whole run) | train s | run s | × local (train) |',
             '|---|---|---|---|---|---|---|']
    local = results['throughput'][0]['member_steps_per_s_train']
    for r in results['throughput']:
        lines.append('| %s | %s | %.0f | %.0f | %.2f | %.2f | %.2f |' % (
            r['executor'], r['num_cpus'] or '-', r['member_steps_per_s_train'], r['member_steps_per_s_wall'],
            r['train_s'], r['wall_s'], r['member_steps_per_s_train'] / local))
    s = results['stream']
    lines += ['', 'Stream at %d members (Ray, 2 CPUs, %d rounds of %d steps): %d bytes in %.1f s = %.0f B/s over '
              'the whole run, %s B/s over rounds 2..%d; %.0f B per member record, %.0f B per member per round '
              'with the round records.' % (s['members'], s['rounds'], results['stream_settings']['steps_per_round'],
                                           s['stream_bytes'], s['wall_s'], s['stream_bytes_per_s_wall'],
                                           '%.0f' % s['stream_bytes_per_s_rounds_2_on']
                                           if s['stream_bytes_per_s_rounds_2_on'] else '-',
                                           s['rounds'], s['member_record_bytes_mean'], s['bytes_per_member_per_round'])]
    return '\n'.join(lines) + '\n'


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--quick', action='store_true', help='tiny settings (a smoke run)')
    p.add_argument('--out-dir', default=str(ROOT / 'benchmarks' / 'results'))
    args = p.parse_args(argv)
    if args.quick:
        settings = dict(size=4, rounds=2, steps_per_round=400, space='digits', seed=0)
        stream_settings = dict(size=8, rounds=2, steps_per_round=400, space='digits', seed=0)
    else:
        settings = dict(size=8, rounds=4, steps_per_round=8 * 1000, space='digits', seed=0)
        stream_settings = dict(size=32, rounds=4, steps_per_round=32 * 100, space='digits', seed=0)
    capacity_before = parallel_capacity()
    throughput = [measure(settings, 'local')]
    for cpus in (1, 2):
        throughput.append(measure(settings, 'ray', cpus))
    stream = measure(stream_settings, 'ray', 2)
    results = {'machine': machine(), 'capacity_before': capacity_before, 'capacity_after': parallel_capacity(),
               'settings': settings, 'stream_settings': stream_settings,
               'throughput': throughput, 'stream': stream}
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / 'swarm-scaling.json').write_text(json.dumps(results, indent=1) + '\n')
    text = table(results)
    (out / 'swarm-scaling.md').write_text(text)
    print(text)
    return results


if __name__ == '__main__':
    main()
