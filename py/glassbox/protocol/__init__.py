"""The only layer that knows JSON, run ids and ops: the run registry (runs.py), THE ops table
(ops.py), the wire format (wire.py), the tables the page reads (tables.py) and the worker's entry
points (entry.py)."""
from __future__ import annotations

from .entry import SESSION, handle, register_data
from .ops import OPS, handle as handle_request, runtime_info
from .runs import MAX_RUNS, Run, Session
from .tables import shared_tables
from .wire import pack, unpack

__all__ = ['MAX_RUNS', 'OPS', 'Run', 'SESSION', 'Session', 'handle', 'handle_request', 'pack', 'register_data', 'runtime_info',
           'shared_tables', 'unpack']
