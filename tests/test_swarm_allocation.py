"""glassbox.swarm.allocation: a round's steps follow fitness, above a stated floor."""
from __future__ import annotations

import numpy as np
import pytest

from glassbox.swarm.allocation import allocate


def test_allocation_is_proportional_to_fitness_above_the_floor():
    # B = 1000, N = 4: even 250, floor 0.2 * 250 = 50 each, rest 800 split 0.5 / 0.3 / 0.2 / 0.
    out = allocate(1000, {'a': 0.5, 'b': 0.3, 'c': 0.2, 'd': 0.0}, floor_share=0.2)
    assert out == {'a': 450, 'b': 290, 'c': 210, 'd': 50}


def test_every_allocation_sums_to_the_budget_and_respects_the_floor():
    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(2, 65))
        budget = int(rng.integers(n, 5000))
        p = rng.random(n)
        p /= p.sum()
        out = allocate(budget, {'m%d' % i: float(v) for i, v in enumerate(p)}, floor_share=0.25)
        assert sum(out.values()) == budget
        assert min(out.values()) >= max(1, int(0.25 * budget / n))


def test_a_member_not_measured_yet_gets_an_even_share():
    out = allocate(900, {'a': 1.0, 'b': 0.0, 'new': 0.0}, floor_share=0.1, new=['new'])
    assert out['new'] == 300 and out['b'] == 30 and out['a'] == 570


def test_a_round_with_fewer_steps_than_members_is_refused():
    with pytest.raises(ValueError, match='at least one step per member'):
        allocate(3, {'a': 0.25, 'b': 0.25, 'c': 0.25, 'd': 0.25})
