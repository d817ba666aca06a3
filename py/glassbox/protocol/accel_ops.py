"""The onnxruntime engine's ops (rows in ops.py's table).

The worker (site/js/engine/accel.js) can train a run's chunk in onnxruntime-web instead of numpy,
running the training-step graph of ``interop/training_graph.py``. The run here stays the one
source of truth: a chunk starts from its state (``accel_plan`` hands over the weights, optimiser
buffers and the chunk's minibatches) and ends by handing the new state back (``accel_adopt``),
after which the snapshot, health and every analysis are computed by numpy as after a numpy
chunk. Forks, roll-backs, learning-rate changes and loaded models therefore need nothing special.

    accel_graph {run, steps, kind}    -> {key, spec}: kind 'train' (default): the training graph
                                         running ``steps`` steps per call; 'evaluate': the
                                         evaluation graph (interop/evaluation_graph.py)
    accel_data  {run}                 -> {key, X (N, n_0) float32, y (N,) int32, n_classes,
                                          X_val, y_val}: the run's training set and the
                                         snapshot's validation rows, fetched once per data ``key``
    accel_plan  {run, steps, steps_per_call}
                                      -> {data: key, graphs: {steps | 'evaluate': key}, feeds: {name: array},
                                          calls: [{steps: k, batch: B, rows: int32 (k * B,)}]}
        The minibatches (rows of X) are drawn exactly as ``Trainer.step`` draws them; the caller
        gathers x (k, B, n_0) and one-hot y (k, B, n_L) from the data it holds, so only row
        numbers cross per chunk. Calls group equal-sized batches ``steps_per_call`` at a time;
        the last step is always a call of its own, so the caller can send the weights it started
        from (``w_before``) for the health monitor.
    accel_adopt {run, state, losses, corrects, w_before, val}
                                      -> the 'train' answer (step, snapshot, health)
        state: {name: array} the graph's outputs without '.next' (weights and buffers);
        losses / corrects: (steps,) per step, as the graph gives them; w_before: [W_l] before
        the last step; val: {loss_sum, correct} of the evaluation graph on X_val with the new
        weights (optional: without it numpy evaluates them). ``state`` null means the engine failed: numpy trains the planned batches.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np

from ..checks import integer
from ..interop.evaluation_graph import evaluation_spec
from ..interop.training_graph import adopt_training_outputs, training_feeds, training_spec
from ..train.snapshot import SNAPSHOT_VAL_LIMIT
from .runs import MAX_STEPS_PER_CALL, Run, Session

MAX_STEPS_PER_GRAPH_CALL = 100


def graph_key(run: Run, steps: "Any") -> str:
    """Names one graph (``steps`` per call, or 'evaluate'): the same key always means the same graph."""
    trainer = run.trainer
    model = trainer.model
    decay = 'decay' if trainer.optimizer.weight_decay else 'no-decay'
    return '%s|%s|%s|%s|%s|%s' % ('-'.join(map(str, model.layer_sizes)), model.activation, model.loss_name,
                                 trainer.optimizer.name, decay, steps)


def data_key(run: Run) -> str:
    """Names the run's training set; a new data set (or a new array) gives a new key."""
    trainer = run.trainer
    X, y = trainer.X_train, trainer.y_train
    return '%s|%s|%d|%r|%d' % (trainer.data.get('name'), 'x'.join(map(str, X.shape)), id(X),
                               float(X[:64].sum()), int(y[:512].sum()))


def _accel_data(session: Session, run_id: str, request: dict) -> dict:
    trainer = session.run(run_id).trainer
    return {'key': data_key(session.run(run_id)), 'X': trainer.X_train, 'y': trainer.y_train.astype(np.int32),
            'n_classes': int(trainer.model.layer_sizes[-1]), 'X_val': trainer.X_val[:SNAPSHOT_VAL_LIMIT],
            'y_val': trainer.y_val[:SNAPSHOT_VAL_LIMIT].astype(np.int32)}


def _accel_graph(session: Session, run_id: str, request: dict) -> dict:
    run = session.run(run_id)
    kind = request.get('kind', 'train')
    if kind == 'evaluate':
        return {'key': graph_key(run, 'evaluate'), 'spec': evaluation_spec(run.trainer.model)}
    if kind != 'train':
        raise ValueError("accel_graph: kind must be 'train' or 'evaluate', got %r" % (kind,))
    steps = integer(request.get('steps', 1), 'steps', 1, MAX_STEPS_PER_GRAPH_CALL)
    return {'key': graph_key(run, steps), 'spec': training_spec(run.trainer.model, run.trainer.optimizer, steps)}


def group_calls(sizes: "List[int]", per_call: int) -> "List[List[int]]":
    """Batch positions grouped into calls: runs of equal batch size, ``per_call`` at a time, with
    leftovers one by one (one graph per step count is cached; 1 and per_call are enough) and the
    last batch always alone."""
    calls = []  # type: List[List[int]]
    i, last = 0, len(sizes) - 1
    while i < last:
        j = i
        while j < last and j - i < per_call and sizes[j] == sizes[i]:
            j += 1
        n = j - i if j - i == per_call else 1
        calls.append(list(range(i, i + n)))
        i += n
    calls.append([last])
    return calls


def _accel_plan(session: Session, run_id: str, request: dict) -> dict:
    run = session.run(run_id)
    steps = integer(request.get('steps', 1), 'steps', 1, MAX_STEPS_PER_CALL)
    per_call = integer(request.get('steps_per_call', 1), 'steps_per_call', 1, MAX_STEPS_PER_GRAPH_CALL)
    trainer = run.trainer
    run.health.before_chunk(trainer)
    position = trainer.batch_position()
    batches = trainer.plan_batches(steps)
    run.accel_pending = {'batches': batches, 'position': position}
    calls = []
    for positions in group_calls([len(b) for b in batches], per_call):
        rows = np.concatenate([batches[i] for i in positions]).astype(np.int32)
        calls.append({'steps': len(positions), 'batch': len(batches[positions[0]]), 'rows': rows})
    graphs = {str(k): graph_key(run, k) for k in sorted({c['steps'] for c in calls})}
    graphs['evaluate'] = graph_key(run, 'evaluate')
    return {'data': data_key(run), 'graphs': graphs, 'feeds': training_feeds(trainer), 'calls': calls}


def _accel_adopt(session: Session, run_id: str, request: dict) -> dict:
    run = session.run(run_id)
    pending = run.accel_pending
    run.accel_pending = None
    if pending is None:
        raise ValueError('accel_adopt: no chunk was planned for run %r (send accel_plan first)' % run_id)
    trainer = run.trainer
    batches = pending['batches']
    state = request.get('state')
    if state is None:
        # The engine failed mid-chunk: numpy trains the very batches it was given.
        trainer.restore_batch_position(pending['position'])
        if len(batches) > 1:
            trainer.train(steps=len(batches) - 1)
        run.health.before_last_step(trainer)
        trainer.train(steps=1)
        return session.chunk_answer(run)
    if not isinstance(state, dict):
        raise ValueError('accel_adopt: state must be an object of arrays')
    outputs = {str(name) + '.next': np.asarray(value, dtype=np.float32) for name, value in state.items()}
    outputs['loss'] = np.asarray(request.get('losses'), dtype=np.float32).ravel()
    outputs['correct'] = np.asarray(request.get('corrects'), dtype=np.float32).ravel()
    if len(outputs['loss']) != len(batches) or len(outputs['correct']) != len(batches):
        raise ValueError('accel_adopt: %d steps were planned but %d losses and %d counts came back'
                         % (len(batches), len(outputs['loss']), len(outputs['correct'])))
    w_before = request.get('w_before')
    val = validation_metrics(trainer, request.get('val'))
    adopt_training_outputs(trainer, outputs, batches)
    if w_before is not None:
        run.health.w_before = [np.asarray(w, dtype=np.float32).reshape(layer.W.shape)
                               for w, layer in zip(w_before, trainer.model.layers)]
    return session.chunk_answer(run, val)


def validation_metrics(trainer: "Any", val: "Any") -> "Optional[Dict[str, float]]":
    """The snapshot's 'val' from the evaluation graph's {loss_sum, correct}, or None."""
    if val is None:
        return None
    if not isinstance(val, dict) or 'loss_sum' not in val or 'correct' not in val:
        raise ValueError('accel_adopt: val must be {loss_sum, correct}, got %r' % (val,))
    rows = min(len(trainer.X_val), SNAPSHOT_VAL_LIMIT)
    return {'loss': float(val['loss_sum']) / rows, 'accuracy': float(val['correct']) / rows}


# name -> (handler, {argument: meaning}, summary), as in ops.py
ACCEL_OPS = {
    'accel_data': (_accel_data, {}, "A run's training set for the onnxruntime engine (fetched once per data key)."),
    'accel_graph': (_accel_graph, {'steps': 'steps per call (1..100)', 'kind': "'train' | 'evaluate'"},
                    'The training-step (or evaluation) ONNX graph of a run, as a spec, for the onnxruntime engine.'),
    'accel_plan': (_accel_plan, {'steps': 'steps in this chunk', 'steps_per_call': 'steps per graph call'},
                   "A chunk's start state and minibatches for the onnxruntime engine."),
    'accel_adopt': (_accel_adopt, {'state': 'weights and buffers after the chunk', 'losses': 'per-step loss',
                                   'corrects': 'per-step correct count', 'w_before': 'weights before the last step',
                                   'val': 'validation {loss_sum, correct} (optional)'},
                    'Take a chunk trained by onnxruntime back; answer as train does.'),
}  # type: Dict[str, Any]
