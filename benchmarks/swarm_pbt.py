"""Does moving compute to the fit members pay? PBT against an even split, on digits.

Both arms: 8 members drawn from the 'learning-rates' space (one hidden layer of 32, SGD,
lr log-uniform in [1e-4, 10]), the same 8 configs (same swarm seed), a fixed budget of
20 rounds x 400 steps. The even arm gives every member 50 steps a round and never exploits,
breeds or culls. Reported: the total steps the whole swarm had trained when its best member
first reached 95 % validation accuracy (measured at round ends), and the best accuracy at the
end. Usage: PYTHONPATH=py python benchmarks/swarm_pbt.py [--seeds 0-9]
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from glassbox.swarm import Population, run_swarm

EVEN_SPLIT = {'floor_share': 1.0, 'exploit_every': 10 ** 3, 'auto_cull': False, 'breed_share': 0.0}
BUDGET, ROUNDS, TARGET = 400, 20, 0.95


def arm(seed: int, options: dict) -> dict:
    started = time.perf_counter()
    records = run_swarm(Population(size=8, space='learning-rates', rounds=ROUNDS, steps_per_round=BUDGET, seed=seed,
                                   options=options))
    members = [r for r in records if r['type'] == 'member']
    reached = next((r['round'] for r in members if (r['metrics']['val_accuracy'] or 0) >= TARGET), None)
    last = max(r['round'] for r in members)
    return {'steps_to_target': reached * BUDGET if reached else None,
            'best_final': max(r['metrics']['val_accuracy'] or 0 for r in members if r['round'] == last),
            'seconds': round(time.perf_counter() - started, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--seeds', default='0-9')
    lo, hi = (int(x) for x in parser.parse_args().seeds.split('-'))
    rows = []
    print('seed | PBT steps to 95 % | even split steps to 95 % | PBT best final | even best final')
    for seed in range(lo, hi + 1):
        pbt, even = arm(seed, {}), arm(seed, EVEN_SPLIT)
        rows.append({'seed': seed, 'pbt': pbt, 'even': even})
        print('%4d | %17s | %24s | %14.3f | %15.3f' % (seed, pbt['steps_to_target'], even['steps_to_target'],
                                                        pbt['best_final'], even['best_final']))
    wins = sum(1 for r in rows if r['pbt']['steps_to_target'] and (not r['even']['steps_to_target'] or
                                                                   r['pbt']['steps_to_target'] < r['even']['steps_to_target']))
    print('PBT reached 95 %% first in %d of %d seeds' % (wins, len(rows)))
    out = Path(__file__).resolve().parent / 'results' / 'swarm-pbt.json'
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({'budget': BUDGET, 'rounds': ROUNDS, 'target': TARGET, 'rows': rows}, indent=1))


if __name__ == '__main__':
    main()
