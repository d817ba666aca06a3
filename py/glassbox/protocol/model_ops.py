"""The model's ops (rows in ops.py's table): a run's network out as an ONNX graph spec, and an ONNX
MLP in as a run's network. The page turns specs into .onnx bytes and back
(site/js/engine/onnx-codec.js); CPython does the same with interop/codec.py.

``export_model`` {run} -> {'spec', 'run'}: interop/export.py's graph of the run's model, its
metadata naming the session's dataset ('glassbox.dataset'), its class names ('glassbox.classes',
a JSON list), the run and its step.

``load_model`` {run, spec, dataset?} -> what ``configure`` answers ({'config', 'info', 'run',
'snapshot', health}) with info['onnx'] = interop/load.py's info: the spec's network replaces the
run's. The dataset is ``dataset`` when given (checked against the network's input and output
sizes), else the one those sizes match (the spec's 'glassbox.dataset', then the session's, first).
The run's settings keep its optimiser, learning rate, batch size, L2, seed and initialiser and
take the network's hidden sizes and activation (and the dataset), so the network fine-tunes with
the run's optimiser from step 0 with a fresh health monitor. A new dataset reloads the data and
rebuilds 'main' as ``configure`` does (dropping the other runs: info['dropped_runs']); a fork
trains on the session's data, so it only takes networks for that dataset.

Every check runs before anything changes: on any error the session and the run are as they were.
Spec arrays may be numpy arrays, nested lists (JSON) or {dtype, shape, data} (spec.py).
"""
from __future__ import annotations

from typing import Any, Dict

from ..interop import OnnxFileError, dataset_for, model_from_spec, model_spec
from ..train.config import build_trainer, validate_config
from .runs import Run, Session


def export_model(session: Session, run: str, r: dict) -> dict:
    target = session.run(run)
    data = session.data
    metadata = {'glassbox.dataset': data['name'], 'glassbox.classes': list(data['class_names']),
                'glassbox.run': target.id, 'glassbox.step': str(target.trainer.step_count)}
    return {'spec': model_spec(target.model, metadata), 'run': target.id}


def load_model(session: Session, run: str, r: dict) -> dict:
    target = session.run(run)
    model, info = model_from_spec(r.get('spec'))
    if model.output_activation != 'linear':
        raise OnnxFileError('the network ends in a %s activation: a Glassbox run outputs logits (export the model '
                            'without its final activation)' % model.output_activation)
    sizes = model.layer_sizes
    current = session.data['name']
    prefer = [info['metadata'].get('glassbox.dataset'), current]
    dataset = dataset_for(sizes[0], sizes[-1], r.get('dataset'), prefer)
    if dataset != current and target.id != 'main':
        raise OnnxFileError("run '%s' trains on %s like every run of this session; this network takes %s: load it into "
                            "'main' (which reloads the data and drops the other runs)" % (target.id, current, dataset))
    try:
        config = validate_config(dict(target.config, dataset=dataset, hidden=sizes[1:-1], activation=model.activation))
    except ValueError as exc:
        raise OnnxFileError('the network (layers %s) does not fit a Glassbox run: %s' % (sizes, exc))
    dropped = []
    if dataset != current:
        dropped = sorted(k for k in session.runs if k != 'main')
        session.configure(config)  # loads the data first: if that fails, nothing has changed
    trainer = build_trainer(config, session.data)
    trainer.model = model
    loaded = Run(target.id, trainer, config)
    session.runs[target.id] = loaded
    if target.id == 'main':
        session.config = config
    answer = session.configure_answer(loaded)
    answer['info'].update(onnx=info, dropped_runs=dropped)
    return answer


MODEL_OPS = {
    'export_model': (export_model, {}, "The run's network as an ONNX graph spec (interop/spec.py): input (batch, n_0) "
                                       "-> logits (batch, n_L), metadata naming dataset and classes."),
    'load_model': (load_model, {'spec': 'ONNX MLP graph spec (interop/spec.py)',
                                'dataset': 'dataset (default: the one the sizes match)'},
                   "Replace the run's network by an ONNX MLP; its settings follow (a new dataset rebuilds main); "
                   "answers like configure, info.onnx says what was read."),
}  # type: Dict[str, Any]
