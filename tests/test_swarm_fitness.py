"""glassbox.swarm.fitness: goal-weighted fitness and the probabilities compute follows."""
from __future__ import annotations

import math

import pytest

from glassbox.swarm.fitness import check_goals, fitness, probabilities, terms


def measurement(acc, loss=0.5, f1=None, train_acc=None, speed=1000.0, params=1000, nbytes=8000, flags=()):
    return {'metrics': {'val_accuracy': acc, 'val_loss': loss, 'macro_f1': acc if f1 is None else f1,
                        'train_accuracy': acc if train_acc is None else train_acc},
            'resources': {'samples_per_s': speed, 'params': params, 'bytes': nbytes}, 'flags': list(flags)}


def test_fitness_is_the_weighted_mean_of_the_goal_terms():
    a = measurement(0.9, loss=1.0, train_acc=1.0, speed=2000.0, params=500, nbytes=4000)
    b = measurement(0.6, loss=3.0, speed=4000.0, params=1000, nbytes=8000)
    population = [a, b]
    t = terms(a, population)
    assert t == {'accuracy': 0.9, 'loss': 0.5, 'f1': 0.9, 'gap': 1.0 - 0.1, 'speed': 0.5, 'params': 1.0, 'memory': 1.0}
    goals = check_goals({'accuracy': 0.8, 'speed': 0.2})
    assert math.isclose(fitness(a, population, goals), (0.8 * 0.9 + 0.2 * 0.5) / 1.0)
    assert math.isclose(fitness(b, population, goals), 0.8 * 0.6 + 0.2 * 1.0)


def test_a_diverged_or_nan_member_has_fitness_zero():
    goals = check_goals(None)
    assert fitness(measurement(0.9, flags=['diverged']), [measurement(0.9)], goals) == 0.0
    nan = measurement(float('nan'))
    assert fitness(nan, [nan], goals) == 0.0
    crossed_json = measurement(None, loss=None)  # NaN arrives as null after JSON
    assert fitness(crossed_json, [crossed_json], goals) == 0.0


def test_probabilities_are_fitness_over_its_sum_and_uniform_when_all_are_zero():
    p = probabilities({'a': 0.5, 'b': 0.25, 'c': 0.25})
    assert p == {'a': 0.5, 'b': 0.25, 'c': 0.25}
    assert probabilities({'a': 0.0, 'b': 0.0}) == {'a': 0.5, 'b': 0.5}


@pytest.mark.parametrize('goals, message', [
    ({'beauty': 1}, 'unknown goal'), ({'accuracy': -1}, 'goal accuracy'), ({'accuracy': 0}, 'at least one goal'),
    ('accuracy', 'goals must be an object')])
def test_bad_goals_are_refused_naming_them(goals, message):
    with pytest.raises(ValueError, match=message):
        check_goals(goals)
