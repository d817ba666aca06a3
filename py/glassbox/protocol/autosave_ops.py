"""The autosave op (rows merged into ops.py's table), for the page's saved runs
(site/js/app/sources/autosave.js).

``autosave_run`` {} -> {'file': uint8 (n,), 'step': main's step, 'runs': [run ids], 'bytes': n}:
what ``save_run`` answers, the same run file (protocol/runfile.py; ``load_run`` reads it) with its
zip entries stored instead of deflated. A run file is mostly float32 weights, optimiser state and
the replay history, which deflate shrinks little (MNIST 784-128-64-10 with Adam after 1,000 steps:
25.9 MB stored, 23.0 MB deflated) at ten times the time (0.36 s against 3.3 s in CPython, more in
the worker) -- time the worker would otherwise spend training, since the page saves every few
seconds. Saving changes nothing.
"""
from __future__ import annotations

from typing import Any, Dict

import numpy as np

from .runfile import save_run
from .runs import Session


def _autosave_run(session: Session, run: str, r: dict) -> dict:
    blob = save_run(session, compress=False)
    return {'file': np.frombuffer(blob, dtype=np.uint8), 'step': int(session.trainer.step_count),
            'runs': list(session.runs), 'bytes': len(blob)}


AUTOSAVE_OPS = {
    'autosave_run': (_autosave_run, {}, 'The run file save_run answers, its zip entries stored, not deflated '
                                        '(faster: the page saves every few seconds).'),
}  # type: Dict[str, Any]
