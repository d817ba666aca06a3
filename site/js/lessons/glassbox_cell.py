"""The live network of this page, from Python lesson cells (PyScript, main thread).

Every cell already has this module as ``gb`` (``import glassbox_cell as gb`` does the same).
It is a thin layer over the page's ``window.glassbox``: the same members, with Python keywords
and Python dicts instead of JavaScript objects::

    await gb.configure(hidden=[8], lr=0.03)   # settings are the URL keys (README "URL state")
    state = await gb.train(50)                # 50 training steps; returns gb.state()
    print(state['step'], state['loss'])
    print(gb.describe())                      # "step 50: training loss 0.412, validation accuracy 83 % ..."

Members that talk to the engine are ``async`` (``await`` them: training happens in the page's
engine worker, and the cell waits for it without freezing the page). Errors from the page (a
bad setting, too many steps) arrive as Python exceptions whose message names the problem.

This runs inside Pyodide's core (no numpy here: the network's numpy lives in the engine worker).
"""
import asyncio

from pyodide.ffi import JsProxy, to_js
from pyscript import window

# How long a cell waits for the page's window.glassbox to appear (a lesson's live view starts it).
WAIT_FOR_PAGE_S = 10


def _js(value):
    """A Python value as the plain JavaScript value window.glassbox expects (dicts -> objects)."""
    return to_js(value, dict_converter=window.Object.fromEntries)


def _py(value):
    """A JavaScript answer as Python: objects -> dicts, arrays -> lists, null/undefined -> None."""
    return value.to_py() if isinstance(value, JsProxy) else value


def page_api():
    """window.glassbox, or a RuntimeError saying the page has none (yet)."""
    api = getattr(window, 'glassbox', None)
    if api is None:
        raise RuntimeError('this page has no live network yet (window.glassbox is missing): '
                           'add a live view, or wait until it has loaded')
    return api


async def ready():
    """Wait until the page's network exists and its engine has loaded; returns window.glassbox."""
    for _ in range(WAIT_FOR_PAGE_S * 10):
        if getattr(window, 'glassbox', None) is not None:
            break
        await asyncio.sleep(0.1)
    api = page_api()
    await api.ready
    return api


async def configure(settings=None, **changes):
    """Change settings (URL keys: hidden=[16, 8], dataset='circle', lr=0.03, activation='tanh', ...).
    The model is rebuilt only when its shape or initialisation changes. Returns state()."""
    merged = dict(settings or {}, **changes)
    api = await ready()
    await api.configure(_js(merged))
    return state()


async def train(steps):
    """Train ``steps`` steps (a whole number, 1 or more) and wait for them. Returns state()."""
    api = await ready()
    return _py(await api.train(_js({'steps': steps})))


async def reset():
    """Fresh weights, same settings (step back to 0). Returns state()."""
    api = await ready()
    return _py(await api.reset())


async def pause():
    """Stop training after the current chunk. Returns state()."""
    api = await ready()
    return _py(await api.pause())


def state():
    """The network now, as a dict: step, epoch, loss, accuracy, valLoss, valAccuracy, lr,
    layers (layer sizes, input first), dataset, settings, status, ... (README "window.glassbox")."""
    return _py(page_api().state())


def health():
    """The main run's current health alerts: a list of dicts (kind, title, message, ...)."""
    return _py(page_api().health('main'))


def describe(current=None):
    """One line for print(): step, training loss, validation accuracy and layer sizes of ``current``
    (a state() dict; default: now)."""
    s = current or state()
    loss, accuracy = s.get('loss'), s.get('valAccuracy')
    layers = ' -> '.join(str(size) for size in s.get('layers') or []) or 'n/a'
    return 'step %s: training loss %s, validation accuracy %s, layers %s (%s)' % (
        s.get('step'), '%.3f' % loss if isinstance(loss, (int, float)) else 'n/a',
        '%.0f %%' % (100 * accuracy) if isinstance(accuracy, (int, float)) else 'n/a', layers, s.get('dataset'))
