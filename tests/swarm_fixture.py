"""A fake swarm stream, written record by record to py/glassbox/swarm/stream.py's schema, for the
swarm views' tests until the engine writes real ones. Nothing here trains: accuracies follow a
saturating curve per member, but every record has every field the schema names, with the same
types, including the awkward parts: nulls (a diverged member), layers with and without `values`,
exploit/explore/breed/cull/flag events, and similarity pairs only at or above 0.5.

``python tests/swarm_fixture.py [members] [rounds] [seed]`` prints a stream.
"""
from __future__ import annotations

import itertools
import math
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'py'))

from glassbox.swarm import GOALS as ENGINE_GOALS, OPTIONS as ENGINE_OPTIONS, check_space  # noqa: E402
from glassbox.swarm.stream import STREAM_VERSION, dumps  # noqa: E402

VALUES_MAX = 64
STEPS_PER_ROUND = 400
# The header carries the engine's own tables (a real space, goals and options); members are drawn
# from a small fixed choice of shapes so the fixture stays quick and varied.
SPACE = dict(check_space('two-d'), dataset='spiral')
GOALS = dict(ENGINE_GOALS, speed=0.1)
OPTIONS = dict(ENGINE_OPTIONS, values_max=VALUES_MAX)
HIDDEN = [[8], [16], [8, 8], [16, 8], [4, 4]]
BREED_EVERY = 4         # the fixture's own rhythm of breeding and its crowding penalty
CROWDING_PENALTY = 0.1


def _config(rng):
    hidden = rng.choice(HIDDEN)
    sizes = [2] + list(hidden) + [3]
    arch = {'sizes': sizes, 'activation': rng.choice(SPACE['activation']), 'init': rng.choice(SPACE['init']),
            'params': sum(a * b + b for a, b in zip(sizes, sizes[1:]))}
    hyper = {'optimizer': rng.choice(SPACE['optimizer']), 'lr': round(10 ** rng.uniform(-3, -1), 5),
             'batch_size': rng.choice(SPACE['batch_size']), 'l2': rng.choice(SPACE['l2'])}
    return arch, hyper


def _layers(rng, sizes, scale):
    out = []
    for layer, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        w = [rng.gauss(0.0, scale / math.sqrt(n_in)) for _ in range(n_in * n_out)]
        entry = {'layer': layer, 'shape': [n_in, n_out],
                 'w_norm': math.sqrt(sum(v * v for v in w)), 'w_mean': sum(w) / len(w),
                 'w_std': math.sqrt(sum(v * v for v in w) / len(w) - (sum(w) / len(w)) ** 2),
                 'w_absmax': max(abs(v) for v in w), 'b_norm': abs(rng.gauss(0.1 * scale, 0.05))}
        if n_in * n_out <= VALUES_MAX:
            entry['values'] = [round(v, 5) for v in w]
        out.append(entry)
    return out


def _similarity(a, b, kind):
    if kind == 'architecture':
        sa, sb = a['arch']['sizes'], b['arch']['sizes']
        same = (sa == sb) + (a['arch']['activation'] == b['arch']['activation']) + (a['arch']['init'] == b['arch']['init'])
        return round(0.2 + 0.8 * same / 3 - 0.1 * abs(len(sa) - len(sb)), 3)
    if kind == 'hyperparameters':
        la, lb = math.log10(a['hyper']['lr']), math.log10(b['hyper']['lr'])
        return round(max(0.0, 1 - abs(la - lb) / 2) * (0.7 + 0.3 * (a['hyper']['optimizer'] == b['hyper']['optimizer'])), 3)
    if kind == 'function':
        return round(max(0.0, 1 - 4 * abs(a['acc'] - b['acc'])), 3)
    return round(sum(_similarity(a, b, k) for k in ('architecture', 'hyperparameters', 'function')) / 3, 3)


def fake_stream(members: int = 8, rounds: int = 12, seed: int = 0) -> str:
    """A complete stream (header, rounds x (member records + round record), end) as JSON lines."""
    rng = random.Random(seed)
    records, pop, next_id = [], {}, itertools.count()
    records.append({'type': 'swarm', 'v': STREAM_VERSION, 'id': 'fixture-%d' % seed, 'started': '2025-01-01T12:00:00Z',
                    'executor': 'local', 'size': members, 'rounds': rounds, 'steps_per_round': STEPS_PER_ROUND,
                    'dataset': 'spiral', 'space': SPACE, 'goals': GOALS, 'options': OPTIONS})

    def spawn(parents, arch=None, hyper=None, round_=1):
        mid = 'm%d' % next(next_id)
        a, h = _config(rng)
        pop[mid] = {'id': mid, 'arch': arch or a, 'hyper': hyper or h, 'parents': parents, 'step': 0, 'acc': 0.33,
                    'ceiling': rng.uniform(0.7, 0.98), 'speed': rng.uniform(0.002, 0.01), 'scale': 1.0,
                    'diverged': False, 'born': round_}
        return mid

    pending = {}  # member id -> its events this round
    for _ in range(members):
        mid = spawn([])
        pending.setdefault(mid, []).append({'kind': 'created', 'member': mid, 'round': 1, 'detail': 'random configuration'})
    # One member's learning rate is too high: it diverges in round 4 (nulls from then on).
    doomed = sorted(pop)[-1]
    total_steps, time_s, fitness, shares = 0, 0.0, {m: 1.0 / members for m in pop}, {m: 1.0 / members for m in pop}

    for rnd in range(1, rounds + 1):
        events = [e for evs in pending.values() for e in evs]
        if rnd > 1 and rnd % OPTIONS['exploit_every'] == 0:  # the worst copies the best, then explores
            ranked = sorted(pop, key=lambda m: fitness.get(m, 0))
            worst, best = ranked[0], ranked[-1]
            pop[worst].update(acc=pop[best]['acc'], arch=dict(pop[best]['arch']), parents=[best], diverged=False,
                              hyper=dict(pop[best]['hyper'], lr=round(pop[best]['hyper']['lr'] * rng.choice([0.8, 1.25]), 5)))
            events += [{'kind': 'exploited', 'member': worst, 'round': rnd, 'from': [best],
                        'detail': 'copied weights and settings of %s (fitness %.3f)' % (best, fitness.get(best, 0))},
                       {'kind': 'explored', 'member': worst, 'round': rnd,
                        'detail': 'learning rate -> %g' % pop[worst]['hyper']['lr']}]
        if rnd > 1 and rnd % BREED_EVERY == 1:  # cull the weakest, breed a child of the two best
            exploited = {e['member'] for e in events if e['kind'] == 'exploited'}
            ranked = sorted((m for m in pop if m not in exploited), key=lambda m: fitness.get(m, 0))
            victim, (a, b) = ranked[0], ranked[-2:]
            del pop[victim]
            events.append({'kind': 'culled', 'member': victim, 'round': rnd, 'detail': 'lowest fitness %.3f' % fitness.get(victim, 0)})
            child = spawn([a, b], arch=dict(pop[a]['arch']), hyper=dict(pop[b]['hyper']), round_=rnd)
            pop[child]['acc'] = (pop[a]['acc'] + pop[b]['acc']) / 2
            events.append({'kind': 'bred', 'member': child, 'round': rnd, 'from': [a, b],
                           'detail': 'architecture of %s, hyperparameters of %s' % (a, b)})
        weights = {m: shares.get(m, 1.0 / len(pop)) for m in pop}  # a newborn gets an even share
        alloc = {m: int(round(STEPS_PER_ROUND * w / (sum(weights.values()) or 1.0))) for m, w in weights.items()}
        time_s += 0.8 + rng.uniform(0, 0.2)
        for mid in sorted(pop, key=lambda m: int(m[1:])):
            p = pop[mid]
            steps = alloc[mid]
            p['step'] += steps
            flags = []
            if mid == doomed and rnd == 4:
                p['diverged'] = True
            if not p['diverged']:
                p['acc'] += (p['ceiling'] - p['acc']) * (1 - math.exp(-p['speed'] * steps)) + rng.gauss(0, 0.005)
                p['acc'] = min(0.995, max(0.3, p['acc']))
            elif rnd == 4:
                flags.append('diverged')
            if rnd == 6 and mid == sorted(pop)[0]:
                flags.append('loss_spike')
            loss_mean = None if p['diverged'] else -math.log(max(1e-3, p['acc'])) * 1.3
            val_acc = None if p['diverged'] else round(p['acc'], 4)
            train_acc = None if p['diverged'] else round(min(1.0, p['acc'] + rng.uniform(0, 0.04)), 4)
            params = p['arch']['params']
            ms = round(0.05 + params / 400 + rng.uniform(0, 0.05), 3)
            member_events = [e for e in events if e['member'] == mid]
            for flag in flags:
                event = {'kind': 'flagged', 'member': mid, 'round': rnd, 'detail': flag}
                events.append(event)
                member_events.append(event)
            records.append({
                'type': 'member', 'v': STREAM_VERSION, 'member': mid, 'parents': p['parents'], 'round': rnd,
                'time': round(time_s, 3), 'step': p['step'], 'allocated': steps,
                'loss': None if loss_mean is None or steps == 0 else {
                    'last': round(loss_mean * rng.uniform(0.9, 1.1), 4), 'mean': round(loss_mean, 4),
                    'min': round(loss_mean * 0.8, 4), 'max': round(loss_mean * 1.3, 4), 'count': max(1, steps // 10)},
                'metrics': {'val_accuracy': val_acc, 'val_loss': None if loss_mean is None else round(loss_mean * 1.1, 4),
                            'macro_f1': None if val_acc is None else round(val_acc * 0.98, 4), 'train_accuracy': train_acc,
                            'gap': None if val_acc is None else round(train_acc - val_acc, 4)},
                'fitness': None, 'raw_fitness': None, 'share': None,  # filled in below once all are known
                'layers': _layers(rng, p['arch']['sizes'], p['scale'] * (1 + 0.02 * rnd) * (50 if p['diverged'] else 1)),
                'architecture': p['arch'], 'hyperparameters': p['hyper'],
                'resources': {'ms_per_step': ms, 'samples_per_s': round(1000 / ms * p['hyper']['batch_size']),
                              'params': params, 'bytes': params * 4 * (3 if p['hyper']['optimizer'] == 'adam' else 1),
                              'cpu_s': round(steps * ms / 1000, 3) if rnd % 5 else None, 'rss_bytes': None},
                'flags': flags, 'events': member_events})
        mine = records[-len(pop):]
        # Fitness: accuracy minus a small cost, then a penalty for being like the others (diversity).
        raw = {r['member']: 0.0 if r['metrics']['val_accuracy'] is None else
               max(0.0, r['metrics']['val_accuracy'] - 0.05 * r['resources']['ms_per_step']) for r in mine}
        ids = sorted(pop, key=lambda m: int(m[1:]))
        pairs = {k: [] for k in ('architecture', 'hyperparameters', 'function', 'combined')}
        combined_all = []
        for x, y in itertools.combinations(ids, 2):
            for kind in pairs:
                s = _similarity(pop[x], pop[y], kind)
                if kind == 'combined':
                    combined_all.append(s)
                if s >= 0.5:
                    pairs[kind].append([x, y, s])
        crowd = {m: sum(s for x, y, s in pairs['combined'] if m in (x, y)) / max(1, len(ids) - 1) for m in ids}
        fitness = {m: round(max(0.0, raw[m] - CROWDING_PENALTY * crowd[m]), 4) for m in ids}
        total = sum(fitness.values()) or 1.0
        shares = {m: round(fitness[m] / total, 4) for m in ids}
        for r in mine:
            r.update(fitness=fitness[r['member']], raw_fitness=round(raw[r['member']], 4), share=shares[r['member']])
        total_steps += sum(alloc.values())
        records.append({'type': 'round', 'v': STREAM_VERSION, 'round': rnd, 'time': round(time_s + 0.01, 3),
                        'allocation': alloc, 'shares': shares,
                        'diversity': round(1 - sum(combined_all) / max(1, len(combined_all)), 4),
                        'best': max(ids, key=lambda m: fitness[m]), 'total_steps': total_steps,
                        'similarity': pairs, 'events': events})
        pending = {}
    records.append({'type': 'end', 'v': STREAM_VERSION, 'round': rounds, 'time': round(time_s + 0.02, 3),
                    'reason': 'done', 'detail': '%d rounds' % rounds})
    return ''.join(dumps(r) + '\n' for r in records)


if __name__ == '__main__':
    sys.stdout.write(fake_stream(*[int(a) for a in sys.argv[1:4]]))
