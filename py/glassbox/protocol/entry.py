"""The worker's entry points (site/js/engine/worker.js calls these; no browser code here, so
CPython tests drive them exactly as the worker does).

``handle(request_json)`` answers one JSON request (ops.py) with ONE packed buffer (wire.py):
``{'ok': True, 'value': answer}`` or ``{'ok': False, 'error': message, 'kind': exception class,
'traceback'}``: a failure never kills the worker and the session stays usable.
``register_data(file_name, blob)`` hands over a packed dataset file the worker fetched.
"""
from __future__ import annotations

import json

import numpy as np

from ..data.registry import register_packed
from .ops import handle as handle_request
from .runs import Session
from .wire import pack

SESSION = Session()


def handle(request_json: str) -> np.ndarray:
    try:
        return pack({'ok': True, 'value': handle_request(SESSION, json.loads(request_json))})
    except Exception as exc:  # the page shows every failure; none may kill the worker
        import traceback
        return pack({'ok': False, 'error': str(exc), 'kind': type(exc).__name__,
                     'traceback': traceback.format_exc(limit=6)})


def register_data(file_name: str, blob) -> int:
    """``blob``: bytes, a memoryview, or a Pyodide JsProxy of a Uint8Array; returns its length."""
    if hasattr(blob, 'to_py'):
        blob = blob.to_py()
    data = bytes(blob)
    register_packed(str(file_name), data)
    return len(data)
