"""The worker's entry points (site/js/engine/worker.js calls these; no browser code here, so
CPython tests drive them exactly as the worker does).

``handle(request_json, blob=None)`` answers one request (ops.py) with ONE packed buffer (wire.py):
``{'ok': True, 'value': answer}`` or ``{'ok': False, 'error': message, 'kind': exception class,
'traceback'}``: a failure never kills the worker and the session stays usable. A request that
carries arrays (e.g. the spec of 'load_model') comes packed instead of as JSON: ``blob`` is then the
whole request in the wire layout (site/js/engine/wire.js ``pack``; ``wire.unpack`` reads it) and
``request_json`` is ignored.
``register_data(file_name, blob)`` hands over a packed dataset file the worker fetched.
"""
from __future__ import annotations

import json

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


def handle(request_json: str, blob=None) -> np.ndarray:
    try:
        request = json.loads(request_json) if blob is None else unpack(_bytes(blob))
        return pack({'ok': True, 'value': handle_request(SESSION, request)})
    except Exception as exc:  # the page shows every failure; none may kill the worker
        import traceback
        return pack({'ok': False, 'error': str(exc), 'kind': type(exc).__name__,
                     'traceback': traceback.format_exc(limit=6)})


def register_data(file_name: str, blob) -> int:
    """``blob``: bytes, a memoryview, or a Pyodide JsProxy of a Uint8Array; returns its length."""
    data = _bytes(blob)
    register_packed(str(file_name), data)
    return len(data)
