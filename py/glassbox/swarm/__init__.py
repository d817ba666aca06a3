"""Swarm: many networks trained side by side, compute moved to the promising ones.

space (search spaces, explore) -- fitness (goals) -- allocation (steps by fitness) -- diversity
(similarities, penalty) -- breeding (crossover, weight inheritance) -- population (THE
controller) -- host (members and their measurements) -- executor (the loop; in-process) --
stream (THE metadata records). The Ray executor (ray_executor.py) and the command line
(``python -m glassbox.swarm``) import Ray only when asked to.
"""
from __future__ import annotations

from .allocation import allocate
from .breeding import crossover, inherit
from .diversity import SIMILARITIES, population_diversity, share_fitness, similarities
from .executor import Executor, LocalExecutor, host_for, run_swarm
from .fitness import GOAL_LABELS, GOALS, check_goals, fitness, probabilities
from .host import MemberHost, macro_f1
from .population import OPTIONS, Population, check_options
from .space import DEFAULT_SPACE, SPACES, check_space, contains, explore, grid, sample
from .stream import EVENT_KINDS, RECORD_TYPES, STREAM_VERSION, dumps, read_lines, write_lines

__all__ = ['DEFAULT_SPACE', 'EVENT_KINDS', 'Executor', 'GOALS', 'GOAL_LABELS', 'LocalExecutor', 'MemberHost', 'OPTIONS',
           'Population', 'RECORD_TYPES', 'SIMILARITIES', 'SPACES', 'STREAM_VERSION', 'allocate', 'check_goals',
           'check_options', 'check_space', 'contains', 'crossover', 'dumps', 'explore', 'fitness', 'grid',
           'host_for', 'inherit', 'macro_f1', 'population_diversity', 'probabilities', 'read_lines', 'run_swarm', 'sample', 'share_fitness',
           'similarities', 'write_lines']
