"""Tables both sides of the worker boundary need, declared once here and handed to the page.

``shared_tables()`` returns a JSON-ready dict; ``python build.py build`` writes it to
``dist/tables.json``, which the page reads at start-up (before the engine is up) to build its
URL schema, dataset list, presets and choices. Schema (version 1)::

    {'version': 1,
     'config_fields': [ one row per engine setting, in display order:
         {'key', 'type': 'enum' | 'intlist' | 'number' | 'int', 'default', 'label',
          'options' (enum), 'min', 'max' (numbers; intlist: per entry), 'maxLength' (intlist)} ],
     'datasets': {name: {'file': packed file name the worker must fetch and register, or None,
                         'label', 'kind': 'image' | 'points'}},
     'presets': {name: {'label', 'settings', 'detectors', 'within_steps', 'story'}},
     'modules': {'methods': [...], 'similarities': [...], 'max_k': int, 'max_probe': int},
     'limits': {'max_runs': int, 'heap_bytes', 'usable_bytes', 'reserved_bytes', 'einsum_elements',
                'kept_state_bytes': the browser engine's memory and index limits (train/limits.py),
                'user_data': data/user.py USER_LIMITS (rows, features, files...) plus 'dataset' (the
                name of user data, 'user') and 'not_loaded' (the message when it is missing)},
     'swarm': {'spaces': {preset name: search space}, 'default_space', 'goals': {goal: default weight},
               'goal_labels': {goal: label}, 'options': {option: default}, 'similarities': [...],
               'max_size': int, 'stream_version': int},
     'ops': {op name: {'args': {argument: meaning}, 'summary'}}}  ('run' is implied for every op)
"""
from __future__ import annotations

from ..analyses.module_report import MAX_K, MAX_PROBE
from ..analyses.modules import METHODS, SIMILARITIES
from ..data.registry import DATASET_INFO, USER_DATASET, USER_NOT_LOADED
from ..data.user import USER_LIMITS
from ..monitor.presets import PRESETS
from ..train.config import CONFIG_FIELDS
from ..train.limits import table as limits_table
from .ops import OPS
from .runs import MAX_RUNS
from ..swarm import DEFAULT_SPACE, GOAL_LABELS, GOALS, OPTIONS, SPACES, STREAM_VERSION
from ..swarm import SIMILARITIES as SWARM_SIMILARITIES
from ..swarm.population import MAX_SIZE


def shared_tables() -> dict:
    return {
        'version': 1,
        'config_fields': [dict(row) for row in CONFIG_FIELDS],
        'datasets': {name: dict(info) for name, info in DATASET_INFO.items()},
        'presets': {name: dict(p) for name, p in PRESETS.items()},
        'modules': {'methods': list(METHODS), 'similarities': list(SIMILARITIES), 'max_k': MAX_K,
                    'max_probe': MAX_PROBE},
        'limits': dict(limits_table(), max_runs=MAX_RUNS,
                       user_data=dict(USER_LIMITS, dataset=USER_DATASET, not_loaded=USER_NOT_LOADED)),
        'swarm': {'spaces': {name: dict(space) for name, space in SPACES.items()}, 'default_space': DEFAULT_SPACE,
                  'goals': dict(GOALS), 'goal_labels': dict(GOAL_LABELS), 'options': dict(OPTIONS),
                  'similarities': list(SWARM_SIMILARITIES), 'max_size': MAX_SIZE, 'stream_version': STREAM_VERSION},
        'ops': {name: {'args': dict(args), 'summary': summary} for name, (_, args, summary) in sorted(OPS.items())},
    }
