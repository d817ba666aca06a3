"""The run file and replay ops (rows merged into ops.py's table).

``save_run`` {} -> {'file': uint8 (n,) the run file (protocol/runfile.py), 'step': main's step,
'runs': [run ids], 'bytes': n}. Saving changes nothing.

``load_run`` {file: uint8 array or bytes} -> what 'configure' answers for the loaded main run
({'config', 'info', 'snapshot', 'run', 'summary', 'alerts', ...}) plus 'runs': [run ids restored].
The whole session (main and forks) is replaced only after the whole file is checked; a bad file
raises ValueError (runfile.RunFileError) naming the problem and the session stays as it was.

``replay`` {run, step} -> {'step': the newest recorded step <= step (the oldest when step is
earlier), 'steps': every recorded step, 'snapshot': the network as it was then (monitor/replay.py
``replay_snapshot``: train/snapshot.py schema on the run's probe batch), 'run'}.
"""
from __future__ import annotations

from typing import Any, Dict

import numpy as np

from ..monitor.replay import replay_snapshot
from .runfile import load_into, save_run
from .runs import Session


def _save_run(session: Session, run: str, r: dict) -> dict:
    blob = save_run(session)
    return {'file': np.frombuffer(blob, dtype=np.uint8), 'step': int(session.trainer.step_count),
            'runs': list(session.runs), 'bytes': len(blob)}


def _load_run(session: Session, run: str, r: dict) -> dict:
    if 'file' not in r:
        raise ValueError('load_run needs file: the run file bytes (uint8 array)')
    return load_into(session, r['file'])


def _replay(session: Session, run: str, r: dict) -> dict:
    target = session.run(run)
    entry = target.replay.nearest(r.get('step'))
    snapshot = replay_snapshot(target.trainer, entry, target.replay.previous(entry))
    return {'step': entry['step'], 'steps': target.replay.steps(), 'snapshot': snapshot, 'run': target.id}


RUN_OPS = {
    'save_run': (_save_run, {}, 'The whole session (every run, its health and replay history) as a run file '
                                '(a zip: README "Run files").'),
    'load_run': (_load_run, {'file': 'run file bytes (uint8 array)'},
                 'Replace the session by a run file\'s (checked first); answers like configure plus runs.'),
    'replay': (_replay, {'step': 'step to show (the newest recorded one at or before it)'},
               'The network as it was at a recorded step: a full snapshot, and every recorded step.'),
}  # type: Dict[str, Any]
