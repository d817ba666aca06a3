"""glassbox.swarm.diversity: similarities, the near-duplicate penalty, diversity."""
from __future__ import annotations

import math

from glassbox.swarm.diversity import (architecture_similarity, function_similarity, hyperparameter_similarity,
                                      population_diversity, share_fitness, similarities)
from glassbox.train.config import validate_config


def config(**kw):
    return validate_config(kw)


def test_identical_members_are_fully_similar_and_different_ones_less():
    a = config(hidden=[32, 16], lr=0.1)
    assert architecture_similarity(a, a) == 1.0 and hyperparameter_similarity(a, a) == 1.0
    assert architecture_similarity(a, config(hidden=[16])) == (0.5 + 0.0) / 2
    assert architecture_similarity(a, config(hidden=[32, 16], activation='tanh')) == 0.5
    far = config(hidden=[32, 16], lr=0.00001, optimizer='adam')
    assert math.isclose(hyperparameter_similarity(a, far), 1 - (math.log(1e4) / math.log(1e5) + 1) / 5)
    assert function_similarity([1, 2, 3, 4], [1, 2, 0, 0]) == 0.5


def test_the_penalty_lowers_the_fitness_of_a_near_duplicate_of_a_better_member():
    configs = {'best': config(hidden=[32], lr=0.1), 'twin': config(hidden=[32], lr=0.1, seed=5),
               'other': config(hidden=[8, 8], lr=0.001, optimizer='adam')}
    preds = {'best': [1, 2, 3, 4], 'twin': [1, 2, 3, 4], 'other': [0, 0, 3, 1]}
    sims = similarities(configs, preds)
    raw = {'best': 0.9, 'twin': 0.85, 'other': 0.5}
    shared = share_fitness(raw, sims['combined'], threshold=0.9, penalty=0.5)
    assert shared['twin'] == 0.425  # penalised: within 0.9 of a fitter member
    assert shared['best'] == 0.9 and shared['other'] == 0.5  # the best is never penalised; the other is far


def test_diversity_is_one_minus_the_mean_pairwise_similarity():
    assert population_diversity({('a', 'b'): 1.0, ('a', 'c'): 0.5, ('b', 'c'): 0.0}) == 0.5
    assert population_diversity({}) == 1.0


def test_the_agreement_matrix_matches_pairwise_function_similarity():
    import numpy as np
    from glassbox.swarm.diversity import agreement_matrix
    rng = np.random.default_rng(0)
    preds = [list(rng.integers(0, 3, 50)) for _ in range(5)]
    M = agreement_matrix(preds)
    for i in range(5):
        for j in range(5):
            assert M[i, j] == function_similarity(preds[i], preds[j])
