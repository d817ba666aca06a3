"""Runs lesson cells like a notebook: one namespace shared by every cell of the page.

site/js/lessons/py-cell.js calls ``run_cell(code, name, write)`` for one cell at a time (it queues
them). Top-level ``await`` works (Pyodide's eval_code_async). print() output goes to ``write(text)``
as it happens, so a long cell shows its progress; the value of a last bare expression is printed
like a notebook would. The answer is JSON: ``{"ok": bool, "error": str | null}`` where ``error``
is ONE readable line -- the cell line and the exception's last traceback line -- never a dump.
"""
import contextlib
import json
import traceback

from pyodide.code import eval_code_async

import glassbox_cell

# Every cell's globals: variables persist from one cell to the next; `gb` is there from the start.
NAMESPACE = {'__name__': '__main__', 'gb': glassbox_cell}


class _Stream:
    """A text stream that hands every write to a JavaScript callback."""

    def __init__(self, write):
        self._write = write

    def write(self, text):
        if text:
            self._write(text)
        return len(text)

    def flush(self):
        pass


def error_line(error, filename):
    """'line N: Type: message' for an exception raised by cell ``filename`` (N: the deepest line of
    the cell itself in the traceback, or a SyntaxError's own line). A rejected window.glassbox
    call (JsException) reads "Error from the page: <its message>"."""
    last = traceback.format_exception_only(type(error), error)[-1].strip()
    if type(error).__name__ == 'JsException':
        last = 'Error from the page: ' + (str(error).removeprefix('Error: ') or last)
    line = getattr(error, 'lineno', None) if isinstance(error, SyntaxError) else None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == filename:
            line = frame.lineno
    return ('line %d: %s' % (line, last)) if line else last


async def run_cell(code, name, write):
    """Run ``code`` (a cell named ``name``) in NAMESPACE; returns the JSON answer (see above)."""
    stream = _Stream(write)
    filename = '<%s>' % name
    try:
        with contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream):
            result = await eval_code_async(code, globals=NAMESPACE, filename=filename)
            if result is not None:
                print(repr(result))
    except BaseException as error:  # noqa: BLE001 - whatever the student's code raises is shown, not thrown
        return json.dumps({'ok': False, 'error': error_line(error, filename)})
    return json.dumps({'ok': True, 'error': None})
