"""The worker's entry points (site/js/engine/worker.js calls these; no browser code here, so
CPython tests drive them exactly as the worker does).

``handle(request_json, blob=None)`` answers one request (ops.py) with ONE packed buffer (wire.py):
``{'ok': True, 'value': answer}`` or ``{'ok': False, 'error': message, 'kind': exception class,
'traceback'}``: a failure never kills the worker and the session stays usable. A request that
carries arrays (e.g. the spec of 'load_model') comes packed instead of as JSON: ``blob`` is then the
whole request in the wire layout (site/js/engine/wire.js ``pack``; ``wire.unpack`` reads it) and
``request_json`` is ignored.
``register_data(file_name, blob)`` hands over a packed dataset file the worker fetched.

Out of memory (a ``MemoryError``, numpy's "Unable to allocate ..." included) is answered with
``'kind': 'OutOfMemory'`` and a message naming the op, the run and its step and what to reduce;
'train' puts the run back to the state kept before the chunk (runs.py), other ops change nothing.
"""
from __future__ import annotations

import json
from typing import Any

import numpy as np

from ..data.registry import register_packed
from .ops import handle as handle_request
from .runs import Session
from .wire import pack, unpack

SESSION = Session()


def _bytes(blob) -> bytes:
    """bytes, a memoryview, or a Pyodide JsProxy of a Uint8Array -> bytes."""
    if hasattr(blob, 'to_py'):
        blob = blob.to_py()
    return bytes(blob)


def out_of_memory_message(request: "Any", exc: BaseException) -> str:
    """'the engine ran out of memory during 'train' (run main at step 420): reduce ...; the run is
    kept as it was before this chunk' -- what happened, where, what to do and what was kept."""
    op = request.get('op') if isinstance(request, dict) else None
    run_id = request.get('run', 'main') if isinstance(request, dict) else 'main'
    run = SESSION.runs.get(run_id) if isinstance(run_id, str) else None
    where = ' (run %s at step %d)' % (run_id, run.trainer.step_count) if run is not None else ''
    if op == 'train':
        restored = getattr(exc, 'restored_step', None)
        kept = ('the run is kept as it was before this chunk' if restored is not None
                else 'no state from before this chunk was kept (the run had diverged)')
    else:
        kept = 'the runs are kept as they were'
    detail = str(exc).strip()
    return ('the engine ran out of memory during %r%s: reduce hidden widths or batch_size, or drop a fork; '
            '%s%s' % (op, where, kept, ' (numpy: %s)' % detail[:200] if detail else ''))


def handle(request_json: str, blob=None) -> np.ndarray:
    request = None  # type: Any
    try:
        request = json.loads(request_json) if blob is None else unpack(_bytes(blob))
        return pack({'ok': True, 'value': handle_request(SESSION, request)})
    except MemoryError as exc:  # named, and answered without the big arrays of the failed attempt
        import gc
        import traceback
        trace = traceback.format_exc(limit=6)
        message = out_of_memory_message(request, exc)
        del exc
        gc.collect()
        return pack({'ok': False, 'error': message, 'kind': 'OutOfMemory', 'traceback': trace})
    except Exception as exc:  # the page shows every failure; none may kill the worker
        import traceback
        return pack({'ok': False, 'error': str(exc), 'kind': type(exc).__name__,
                     'traceback': traceback.format_exc(limit=6)})


def register_data(file_name: str, blob) -> int:
    """``blob``: bytes, a memoryview, or a Pyodide JsProxy of a Uint8Array; returns its length."""
    data = _bytes(blob)
    register_packed(str(file_name), data)
    return len(data)
