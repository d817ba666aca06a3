"""glassbox.swarm.space: search spaces are checked, draws and PBT explore stay inside them."""
from __future__ import annotations

import math

import numpy as np
import pytest

from glassbox.swarm.space import EXPLORED, SPACES, check_space, contains, explore, grid, sample


def test_a_preset_name_gives_a_complete_space_and_an_unknown_one_is_named():
    space = check_space('learning-rates')
    assert space['lr'] == [0.0001, 10.0] and space['widths'] == [32]
    with pytest.raises(ValueError, match="unknown search space 'nope'"):
        check_space('nope')


@pytest.mark.parametrize('bad, message', [
    ({'lr': [1.0, 0.1]}, 'space lr must be'),
    ({'lr': [0, 1]}, 'space lr must be'),
    ({'depth': [0, 2]}, 'space depth must be'),
    ({'widths': []}, 'space widths must be a non-empty list'),
    ({'widths': [0]}, 'widths choices must be integers'),
    ({'activation': ['swish']}, 'space activation'),
    ({'dataset': 'imagenet'}, 'space dataset'),
    ({'colour': 'blue'}, 'unknown search space key'),
])
def test_a_bad_space_is_refused_naming_the_key(bad, message):
    with pytest.raises(ValueError, match=message):
        check_space(bad)


@pytest.mark.parametrize('name', sorted(SPACES))
def test_every_draw_lies_inside_its_space(name):
    space = check_space(name)
    rng = np.random.default_rng(0)
    for i in range(200):
        config = sample(space, rng, seed=i)
        assert contains(config, space), config


def test_learning_rates_are_drawn_log_uniformly():
    space = check_space('learning-rates')
    rng = np.random.default_rng(1)
    logs = np.log10([sample(space, rng, 0)['lr'] for _ in range(2000)])
    # log10 lr uniform on [-4, 1]: quartiles at -2.75, -1.5, -0.25
    assert np.allclose(np.percentile(logs, [25, 50, 75]), [-2.75, -1.5, -0.25], atol=0.2)


def test_explore_perturbs_by_a_fifth_or_resamples_and_never_leaves_the_space():
    space = check_space('digits')
    rng = np.random.default_rng(2)
    config = sample(space, rng, 0)
    config['lr'] = space['lr'][1]  # at the edge: x1.2 must be clipped back
    factors = set()
    for _ in range(500):
        out = explore(config, space, rng, resample=0.25)
        assert contains(out, space)
        assert {k for k in config if out[k] != config[k]} <= set(EXPLORED)
        factors.add(round(out['lr'] / config['lr'], 6))
        config = out
    assert {0.8, 1.2} <= factors or {0.8, 1.0} <= factors


def test_explore_without_resampling_moves_lr_by_exactly_point_eight_or_one_point_two():
    space = check_space('digits')
    config = sample(space, np.random.default_rng(3), 0)
    config['lr'] = 0.1
    out = explore(config, space, np.random.default_rng(4), resample=0.0)
    assert math.isclose(out['lr'], 0.08) or math.isclose(out['lr'], 0.12)


def test_a_grid_spreads_learning_rates_evenly_in_log_over_the_range():
    configs = grid(check_space('learning-rates'), 5)
    assert np.allclose(np.log10([c['lr'] for c in configs]), [-4, -2.75, -1.5, -0.25, 1])
    assert len({c['seed'] for c in configs}) == 5
