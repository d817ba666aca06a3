"""Performance-based allocation: a round's budget of training steps split by fitness.

For N members and a budget of B steps (B >= N), with probabilities p (fitness.probabilities)::

    even   = B / N
    floor  = max(1, floor(floor_share * even))          every member gets at least this
    a member not measured yet (new this round) gets floor(even) instead: it is measured fairly
    rest   = B - sum of those reservations, split over the measured members in proportion to p
             (renormalised over them; evenly if all their p are 0, or over everyone if none is
             measured), rounded by largest remainder so the allocation sums to exactly B.

``floor_share`` (default 0.2) is the stated floor: no member starves before it has been measured,
and a weak member keeps a trickle of compute in case it is a late bloomer.
"""
from __future__ import annotations

import math
from typing import Dict, Iterable


def _largest_remainder(total: int, weights: "Dict[str, float]") -> "Dict[str, int]":
    """Integers proportional to ``weights`` summing to ``total`` (ties go to the earlier key)."""
    if total <= 0 or not weights:
        return {k: 0 for k in weights}
    wsum = sum(weights.values())
    if wsum <= 0:
        weights = {k: 1.0 for k in weights}
        wsum = float(len(weights))
    exact = {k: total * w / wsum for k, w in weights.items()}
    out = {k: int(math.floor(v)) for k, v in exact.items()}
    left = total - sum(out.values())
    order = sorted(weights, key=lambda k: -(exact[k] - out[k]))
    for k in order[:left]:
        out[k] += 1
    return out


def allocate(budget: int, probabilities: "Dict[str, float]", floor_share: float = 0.2,
             new: "Iterable[str]" = ()) -> "Dict[str, int]":
    """Steps per member for one round (module docstring); keys in the order of ``probabilities``."""
    ids = list(probabilities)
    n = len(ids)
    if n == 0:
        return {}
    if budget < n:
        raise ValueError('a round needs at least one step per member: budget %d < %d members' % (budget, n))
    new = set(new)
    even = budget / float(n)
    floor = max(1, int(math.floor(floor_share * even)))
    reserved = {k: (int(math.floor(even)) if k in new else floor) for k in ids}
    rest = budget - sum(reserved.values())
    measured = [k for k in ids if k not in new] or ids
    extra = _largest_remainder(rest, {k: probabilities[k] for k in measured})
    return {k: reserved[k] + extra.get(k, 0) for k in ids}
