"""What the browser engine can hold: a run's memory estimated before it is built, and refused by
name when it would not fit.

The limits (declared once here and in ``nn/backend.py``; ``protocol/tables.py`` hands them to the
page as 'limits'):

* ``HEAP_BYTES`` = 2**31: Pyodide 0.17.1's wasm memory maximum (pyodide.asm.js creates
  ``WebAssembly.Memory({maximum: 2147483648 / 65536})`` pages and ``_emscripten_resize_heap``
  refuses to grow past 2147483648 bytes).
* ``RESERVED_BYTES`` = 512 MiB of it for the interpreter, numpy, the datasets' files, the wire
  buffers of answers and allocator fragmentation, so ``usable = HEAP_BYTES - RESERVED_BYTES``
  (1.5 GiB) is what the runs may need together.
* ``EINSUM_MAX_ELEMENTS`` = 2**31 - 1 (nn/backend.py): no einsum call visits more (i, j, k);
  ``matmul`` splits bigger products, so index size never refuses a run.
* ``KEPT_STATE_BYTES`` = 128 MiB: the health monitor keeps a run's state before each of its last
  ``MAX_CHECKPOINTS`` chunks (roll-back points) only while they fit in this, and always the
  newest one (``states_to_keep``). Without this bound, hidden=1024x8 with adam kept 8 states of
  130 MB each and ran out of memory at step 16 (two-step chunks).

The same limits hold in CPython by default, so a configuration refused in the browser is refused
in CPython too; ``set_limits(heap_bytes=None)`` lifts the memory check and
``set_limits(einsum_elements=None)`` the einsum splitting, for CPython users with more memory.

Memory model of one run (float32 = 4 bytes; P parameters, P_W of them weights, k optimiser
buffers per parameter (sgd 0, momentum 1, adam 2), A = n_1 + ... + n_L units per sample, n_0
inputs, B the batch, R = min(EVAL_CHUNK, validation rows), n the training rows). Persistent,
between chunks: weights P + gradients P + optimiser kP + update-ratio reference P_W + drift
reference P_W + the layers' caches 2(R + B)A (z and a of the last evaluation pass, grad_a and
grad_z of the last batch) + kept states (each (1 + k)P + P_W + 2n: weights, optimiser,
reference, epoch order). Transient, during one chunk of one run: the batch B(n_0 + A) + the
optimiser's temporaries 4 max_l(n_l n_(l+1)) + one more kept state (the new one before the old
goes) + W before the last step P_W + the snapshot 5P (W and dW copies, the probe trace's
gradients and the answer's wire copy). The data (X_train, X_val) count once per session.
Measured in CPython (tracemalloc from before 'configure' through 3 one-step chunks and a full
evaluation; hidden=1024x8 on MNIST, adam): batch 8, traced peak 656 MB, estimate 833 MB;
batch 4096 (einsum split), traced peak 1053 MB, estimate 1248 MB: the estimate errs on the
safe side by 19-27 %. In Pyodide 0.17.1 (Chromium, numpy's einsum): Python + numpy + the engine
take 29 MB of wasm memory; hidden=1024x8, adam, batch 8 on MNIST grows it to 709 MB by step 4
and it stays there to step 28 (estimate 833 MB; before the kept states were bounded it ran out
of memory at step 16); batch 4096 trains a step and evaluates the 2000 validation rows at
1029 MB (estimate 1.25 GB): wasm memory never shrinks, so these are peaks.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Sequence

from ..nn.backend import EINSUM_MAX_ELEMENTS, get_einsum_limit, set_einsum_limit

HEAP_BYTES = 2 ** 31
RESERVED_BYTES = 512 * 2 ** 20
KEPT_STATE_BYTES = 128 * 2 ** 20
MAX_KEPT_STATES = 8  # monitor/watch.py MAX_CHECKPOINTS
EVAL_CHUNK = 2048  # trainer.EVAL_CHUNK: the most rows one evaluation pass leaves in the layers' caches
OPTIMIZER_BUFFERS = {'sgd': 0, 'momentum': 1, 'adam': 2}
_UNSET = object()
_state = {'heap_bytes': HEAP_BYTES}  # type: Dict[str, Any]


def set_limits(heap_bytes: "Any" = _UNSET, einsum_elements: "Any" = _UNSET) -> None:
    """Change the limits for this process (None lifts one; CPython only makes sense)."""
    if heap_bytes is not _UNSET:
        if heap_bytes is not None and (isinstance(heap_bytes, bool) or not isinstance(heap_bytes, int)
                                       or heap_bytes <= RESERVED_BYTES):
            raise ValueError('heap_bytes must be a whole number above %d (the reserve) or None, got %r'
                             % (RESERVED_BYTES, heap_bytes))
        _state['heap_bytes'] = heap_bytes
    if einsum_elements is not _UNSET:
        set_einsum_limit(einsum_elements)


def get_limits() -> "Dict[str, Any]":
    """The limits in force: {'heap_bytes', 'usable_bytes', 'reserved_bytes', 'einsum_elements',
    'kept_state_bytes'} (None where lifted)."""
    heap = _state['heap_bytes']
    return {'heap_bytes': heap, 'usable_bytes': None if heap is None else heap - RESERVED_BYTES,
            'reserved_bytes': RESERVED_BYTES, 'einsum_elements': get_einsum_limit(),
            'kept_state_bytes': KEPT_STATE_BYTES}


def table() -> "Dict[str, Any]":
    """The browser's limits, for the page (tables.py 'limits'): the declared constants."""
    return {'heap_bytes': HEAP_BYTES, 'usable_bytes': HEAP_BYTES - RESERVED_BYTES, 'reserved_bytes': RESERVED_BYTES,
            'einsum_elements': EINSUM_MAX_ELEMENTS, 'kept_state_bytes': KEPT_STATE_BYTES}


def states_to_keep(state_bytes: int, most: int = MAX_KEPT_STATES) -> int:
    """How many kept states of ``state_bytes`` each fit in KEPT_STATE_BYTES: 1 .. ``most``."""
    return max(1, min(int(most), KEPT_STATE_BYTES // max(1, int(state_bytes))))


def estimate(sizes: "Sequence[int]", optimizer: str, batch_size: int, n_train: int, n_val: int) -> "Dict[str, int]":
    """Bytes one run needs (module docstring): {'persistent', 'transient', 'data', 'state',
    'kept_states', 'parameters'} (ints; 'parameters' is the count P)."""
    sizes = [int(s) for s in sizes]
    pairs = list(zip(sizes[:-1], sizes[1:]))
    weights = sum(a * b for a, b in pairs)
    params = weights + sum(sizes[1:])
    units = sum(sizes[1:])
    k = OPTIMIZER_BUFFERS.get(optimizer, 2)
    state = 4 * ((1 + k) * params + weights) + 8 * int(n_train)
    kept = states_to_keep(state)
    rows = min(EVAL_CHUNK, int(n_val))
    batch = min(int(batch_size), int(n_train))
    persistent = 4 * ((2 + k) * params + 2 * weights + 2 * (rows + batch) * units) + kept * state
    transient = 4 * (batch * (sizes[0] + units) + 4 * max(a * b for a, b in pairs) + weights + 5 * params) + state
    data = 4 * sizes[0] * (int(n_train) + int(n_val))
    return {'persistent': persistent, 'transient': transient, 'data': data, 'state': state,
            'kept_states': kept, 'parameters': params}


def trainer_estimate(trainer: "Any") -> "Dict[str, int]":
    """``estimate`` for a built Trainer (its sizes, optimiser, batch and data)."""
    return estimate(trainer.model.layer_sizes, trainer.optimizer.name, trainer.batch_size,
                    len(trainer.X_train), len(trainer.X_val))


def total_bytes(estimates: "Iterable[Dict[str, int]]", data_bytes: int) -> int:
    """Runs side by side: their persistent bytes, the largest transient (one trains at a time)
    and the data once."""
    estimates = list(estimates)
    return data_bytes + sum(e['persistent'] for e in estimates) + max([e['transient'] for e in estimates] or [0])


def _gb(n: float) -> str:
    return '%.1f GB' % (n / 1e9) if n >= 1e8 else '%d MB' % round(n / 1e6)


def _widths(sizes: "Sequence[int]") -> str:
    hidden = [int(s) for s in sizes[1:-1]]
    if not hidden:
        return 'no hidden layer'
    if len(set(hidden)) == 1 and len(hidden) > 1:
        return '%dx%d' % (hidden[0], len(hidden))
    return ', '.join(map(str, hidden))


def check_fits(sizes: "Sequence[int]", optimizer: str, batch_size: int, n_train: int, n_val: int,
               others: "Optional[List[Dict[str, int]]]" = None) -> "Dict[str, int]":
    """``estimate`` of this run, or ValueError when it (with ``others``, the runs already kept
    beside it) needs more than the usable heap; the message names the limit and what to reduce."""
    mine = estimate(sizes, optimizer, batch_size, n_train, n_val)
    heap = _state['heap_bytes']
    if heap is None:
        return mine
    usable = heap - RESERVED_BYTES
    others = others or []
    need = total_bytes([mine] + others, mine['data'])
    if need > usable:
        what = 'this network' if not others else 'this network beside the %d run%s kept already' % (
            len(others), '' if len(others) == 1 else 's')
        advice = 'reduce hidden widths (%s) or batch_size (%d)' % (_widths(sizes), batch_size)
        if optimizer in ('adam', 'momentum'):
            advice += ", or use 'sgd' (%s keeps %d extra cop%s of the weights)" % (
                optimizer, OPTIMIZER_BUFFERS[optimizer], 'y' if optimizer == 'momentum' else 'ies')
        if others:
            advice = 'drop a run, or ' + advice
        raise ValueError('%s needs about %s but the browser engine has %s (%s of wasm memory less %s '
                         'for Python and numpy): %s' % (what, _gb(need), _gb(usable), _gb(heap),
                                                       _gb(RESERVED_BYTES), advice))
    return mine


def check_trainer(trainer: "Any", others: "Optional[List[Any]]" = None) -> "Dict[str, int]":
    """``check_fits`` for a built Trainer (``others``: Trainers kept beside it)."""
    return check_fits(trainer.model.layer_sizes, trainer.optimizer.name, trainer.batch_size,
                      len(trainer.X_train), len(trainer.X_val),
                      [trainer_estimate(t) for t in (others or []) if t is not trainer])


def restore_kept_state(trainer: "Any", kept: "List[Any]", step: int) -> "Optional[int]":
    """After an out-of-memory in the middle of a chunk that started at ``step``: load the state the
    health monitor kept just before it (``kept``: its [(state, healthy), ...], newest last) so no
    half-applied step stays. Returns ``step``, or None when no state from ``step`` is kept (a
    diverged run keeps none): the run then stays as the failure left it."""
    state = kept[-1][0] if kept else None
    if state is None or state['step_count'] != step:
        return None
    trainer.load_state_dict(state)
    return step
