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
     'limits': {'max_runs': int},
     'ops': {op name: one-line summary}}
"""
from __future__ import annotations


def shared_tables() -> dict:
    from ..session import CONFIG_FIELDS, OPS
    from ..datasets import DATASET_INFO
    from ..presets import PRESETS
    from ..modules import METHODS, SIMILARITIES
    from ..runs import MAX_RUNS
    from ..module_ops import MAX_PROBE
    return {
        'version': 1,
        'config_fields': [dict(row) for row in CONFIG_FIELDS],
        'datasets': {name: dict(info) for name, info in DATASET_INFO.items()},
        'presets': {name: dict(p) for name, p in PRESETS.items()},
        'modules': {'methods': list(METHODS), 'similarities': list(SIMILARITIES), 'max_k': 32,
                    'max_probe': MAX_PROBE},
        'limits': {'max_runs': MAX_RUNS},
        'ops': {name: ((fn.__doc__ or '').strip().split('\n')[0]) for name, fn in sorted(OPS.items())},
    }
