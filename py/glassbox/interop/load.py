"""An ONNX MLP (a spec, spec.py) as a Glassbox ``MLP``, or a named ``OnnxFileError``. Pure Python
(runs in Pyodide); only ``from_onnx`` needs the ``onnx`` package (through codec.py).

What loads: one input, one output, and a chain of nodes from one to the other, where each node
takes the previous node's value (plus constants)::

    [Flatten | Reshape]*          at the input only: (batch, d_1, ..., d_k) -> (batch, d_1*...*d_k)
    then per layer l:  Gemm(a, B, C?)   transA = 0; W_l = alpha * (B^T if transB else B),
                                        b_l = beta * C  (C of shape (n,), (1, n), () or absent)
                   or  MatMul(a, W_l) [+ Add(., b_l)]
                       [Relu | LeakyRelu(alpha = 0.01) | Tanh | Sigmoid]   (none: 'linear')
    [Softmax | LogSoftmax]        at the end only, over the last axis: dropped, so the model
                                  outputs logits (softmax of them gives the same probabilities)

Identity and Dropout (inference: identity) may sit anywhere. A Reshape's target shape may be a
constant or computed from the input's shape (Shape, Gather, Unsqueeze, Concat, ...: what
``x.view(x.size(0), -1)`` exports to). Every hidden layer must use the same activation (a
Glassbox MLP has one hidden activation); LeakyRelu must have alpha = 0.01, Glassbox's slope (any
other slope would silently change the function, so it is refused). Limits: at most
``MAX_PARAMETERS`` numbers in all, every dimension 1..``MAX_DIM``.

``model_from_spec(spec)`` -> (MLP, info); info = {'layer_sizes', 'activation',
'output_activation', 'parameters', 'input': ValueInfo, 'output': ValueInfo, 'ops': [op per
chain node], 'notes': [str] (what was dropped or assumed), 'metadata', 'opset'}.
``dataset_for(n_in, n_out, ...)`` names the built-in dataset such a network fits.
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..data.registry import DATASET_INFO, DATASETS
from ..nn.initializers import INITIALIZERS
from ..nn.losses import LOSSES
from ..nn.model import MLP
from .spec import OnnxFileError, initializer_array

MAX_PARAMETERS = 10 ** 8
MAX_DIM = 65536
LEAKY_SLOPE = 0.01
ACTIVATION_OPS = {'Relu': 'relu', 'LeakyRelu': 'leaky_relu', 'Tanh': 'tanh', 'Sigmoid': 'sigmoid'}
PASS_OPS = ('Identity', 'Dropout')
INPUT_OPS = ('Flatten', 'Reshape')
FINAL_OPS = ('Softmax', 'LogSoftmax')
SHAPE_OPS = ('Shape', 'Gather', 'Unsqueeze', 'Squeeze', 'Concat', 'Slice', 'Cast')
SUPPORTED = ('Gemm', 'MatMul', 'Add') + tuple(ACTIVATION_OPS) + PASS_OPS + INPUT_OPS + FINAL_OPS
# Input features and classes of the image sets; every 2-D 'points' set has 2 of each.
IMAGE_SETS = {'digits': (64, 10), 'mnist': (784, 10)}


def dataset_shape(name: str) -> "Tuple[int, int]":
    """(input features, classes) of built-in dataset ``name``, without loading it."""
    if name not in DATASET_INFO:
        raise OnnxFileError('unknown dataset %r; choose one of %s' % (name, ', '.join(DATASETS)))
    return (2, 2) if DATASET_INFO[name]['kind'] == 'points' else IMAGE_SETS[name]


def dataset_for(n_in: int, n_out: int, wanted: "Optional[str]" = None, prefer: "Sequence[str]" = ()) -> str:
    """The built-in dataset a network with ``n_in`` inputs and ``n_out`` outputs trains on:
    ``wanted`` (checked), else the first of ``prefer`` that fits, else the first that fits.
    OnnxFileError names the sizes when none fits."""
    if wanted is not None:
        features, classes = dataset_shape(wanted)
        if features != n_in:
            raise OnnxFileError('the network takes %d input features but %s has %d' % (n_in, wanted, features))
        if classes != n_out:
            raise OnnxFileError('the network has %d outputs but %s has %d classes' % (n_out, wanted, classes))
        return wanted
    fits_in = [name for name in DATASETS if dataset_shape(name)[0] == n_in]
    if not fits_in:
        sizes = ['%s %d' % (name, dataset_shape(name)[0]) for name in DATASETS if name in IMAGE_SETS]
        sizes[0] = sizes[0].replace(' ', ' has ', 1)
        raise OnnxFileError('input of %d features matches no dataset: %s, 2-D sets 2' % (n_in, ', '.join(sizes)))
    fits = [name for name in fits_in if dataset_shape(name)[1] == n_out]
    if not fits:
        raise OnnxFileError('the network has %d outputs but %s (%d input features) has %d classes'
                            % (n_out, ' / '.join(fits_in), n_in, dataset_shape(fits_in[0])[1]))
    return ([name for name in prefer if name in fits] + fits)[0]


def _label(node: "Dict[str, Any]") -> str:
    return "node '%s' (%s)" % (node.get('name') or (node['outputs'][0] if node.get('outputs') else '?'), node['op'])


def _check_dims(what: str, shape: "Optional[List[Any]]") -> None:
    """Every fixed dimension of a declared shape in 1..MAX_DIM (symbolic ones are free)."""
    for axis, dim in enumerate(shape or ()):
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
            continue
        if dim < 1:
            raise OnnxFileError('%s has dimension %d at axis %d: dimensions must be positive' % (what, dim, axis))
        if dim > MAX_DIM:
            raise OnnxFileError('%s has dimension %d at axis %d: over the limit of %d' % (what, dim, axis, MAX_DIM))


def _constants(spec: "Dict[str, Any]") -> "Dict[str, np.ndarray]":
    consts, total = {}, 0
    for item in spec.get('initializers') or ():
        array = initializer_array(item)
        total += int(array.size)
        if total > MAX_PARAMETERS:
            raise OnnxFileError('the model holds at least %d numbers (at tensor \'%s\'): over the limit of %d parameters'
                                % (total, item['name'], MAX_PARAMETERS))
        consts[item['name']] = array
    return consts


def _shape_values(nodes: "List[Dict[str, Any]]", consts: "Dict[str, Any]") -> "Tuple[set, set]":
    """(values computed only from the input's shape, ids of the nodes computing them)."""
    values, side = set(), set()
    for node in nodes:
        fed = [n for n in node['inputs'] if n]
        if node['op'] == 'Shape' or (node['op'] in SHAPE_OPS and fed and
                                     all(n in values or n in consts for n in fed) and any(n in values for n in fed)):
            values.update(node['outputs'])
            side.add(id(node))
    return values, side


def _chain(spec: "Dict[str, Any]", consts: "Dict[str, Any]") -> "List[Dict[str, Any]]":
    """The nodes from the one input to the one output, in order; OnnxFileError if not a chain."""
    nodes = list(spec.get('nodes') or ())
    for node in nodes:
        if node['op'] not in SUPPORTED + SHAPE_OPS or node.get('domain') not in (None, '', 'ai.onnx'):
            domain = ' (domain %s)' % node['domain'] if node.get('domain') else ''
            raise OnnxFileError('%s: op %s%s is not supported; Glassbox reads MLPs made of Gemm or MatMul + Add, '
                                'Relu, LeakyRelu, Tanh, Sigmoid, Identity, Dropout, Flatten / Reshape at the input '
                                'and Softmax / LogSoftmax at the end' % (_label(node), node['op'], domain))
        if not node.get('outputs'):
            raise OnnxFileError('%s has no output' % _label(node))
    defined = set(consts) | {spec['inputs'][0]['name']} | {out for node in nodes for out in node['outputs']}
    for node in nodes:
        missing = [n for n in node['inputs'] if n and n not in defined]
        if missing:
            raise OnnxFileError("%s takes '%s', which no node, input or initializer defines"
                                % (_label(node), missing[0]))
    shape_values, side = _shape_values(nodes, consts)
    main = [n for n in nodes if id(n) not in side]
    for node in main:
        if node['op'] in SHAPE_OPS:
            raise OnnxFileError("%s: op %s is only supported inside a Reshape's target shape"
                                % (_label(node), node['op']))
    users = {}  # type: Dict[str, List[Dict[str, Any]]]
    for node in main:
        for name in node['inputs']:
            if name and name not in consts and name not in shape_values:
                users.setdefault(name, []).append(node)
    start, end = spec['inputs'][0]['name'], spec['outputs'][0]['name']
    chain, current = [], start
    while current != end:
        fed = users.get(current, [])
        if not fed:
            raise OnnxFileError("value '%s' feeds no node and is not the output '%s': the graph does not lead from "
                                "its input to its output" % (current, end))
        if len(fed) > 1:
            raise OnnxFileError("value '%s' feeds %d nodes (%s): not a chain MLP (a branch or skip connection); "
                                "Glassbox reads one chain of layers" % (current, len(fed), ', '.join(map(_label, fed))))
        node = fed[0]
        computed = [n for n in node['inputs'] if n and n not in consts and n not in shape_values]
        if len(computed) > 1:
            raise OnnxFileError("%s combines %d computed values (%s): not a chain MLP (a skip connection or merge)"
                                % (_label(node), len(computed), ', '.join("'%s'" % n for n in computed)))
        if any(node is seen for seen in chain):
            raise OnnxFileError('%s: the graph has a cycle' % _label(node))
        chain.append(node)
        current = node['outputs'][0]
    if users.get(end):
        raise OnnxFileError("the output '%s' also feeds %s: not a chain MLP" % (end, _label(users[end][0])))
    stray = [n for n in main if not any(n is c for c in chain)]
    if stray:
        raise OnnxFileError('%s is not on the path from the input to the output: not a chain MLP' % _label(stray[0]))
    return chain


def _constant_of(node: "Dict[str, Any]", consts: "Dict[str, Any]", index: int, what: str) -> np.ndarray:
    name = node['inputs'][index] if len(node['inputs']) > index else ''
    if name not in consts:
        raise OnnxFileError("%s takes its %s from '%s', which is not a constant tensor: Glassbox reads fixed "
                            "weights" % (_label(node), what, name))
    array = consts[name]
    if array.dtype != np.float32:
        raise OnnxFileError("tensor '%s' (%s of %s) is %s: weights must be float32"
                            % (name, what, _label(node), array.dtype))
    return array


def _weights(node: "Dict[str, Any]", consts: "Dict[str, Any]", current: str) -> "Tuple[np.ndarray, np.ndarray]":
    """(W (n_in, n_out), b (n_out,)) of a Gemm or MatMul node fed with ``current``."""
    attrs = node.get('attrs') or {}
    if node['inputs'][0] != current:
        raise OnnxFileError('%s takes the data as its second input: Glassbox reads x @ W (the data first)'
                            % _label(node))
    B = _constant_of(node, consts, 1, 'weights')
    name = node['inputs'][1]
    if B.ndim != 2:
        raise OnnxFileError("tensor '%s' (weights of %s) has shape %s: weights must be 2-D"
                            % (name, _label(node), list(B.shape)))
    for axis, dim in enumerate(B.shape):
        if dim < 1 or dim > MAX_DIM:
            raise OnnxFileError("tensor '%s' (weights of %s) has dimension %d at axis %d: dimensions must be 1..%d"
                                % (name, _label(node), dim, axis, MAX_DIM))
    if node['op'] == 'MatMul':
        return B, np.zeros(B.shape[1], dtype=np.float32)
    if int(attrs.get('transA', 0)):
        raise OnnxFileError('%s has transA=1: Glassbox reads Gemm with transA=0 (one sample per row)' % _label(node))
    alpha, beta = float(attrs.get('alpha', 1.0)), float(attrs.get('beta', 1.0))
    W = B.T if int(attrs.get('transB', 0)) else B
    W = W * np.float32(alpha) if alpha != 1.0 else W
    b = np.zeros(W.shape[1], dtype=np.float32)
    if len(node['inputs']) > 2 and node['inputs'][2]:
        b = _bias(node, _constant_of(node, consts, 2, 'bias'), node['inputs'][2], W.shape[1]) * np.float32(beta)
    return np.ascontiguousarray(W, dtype=np.float32), np.ascontiguousarray(b, dtype=np.float32)


def _bias(node: "Dict[str, Any]", C: np.ndarray, name: str, n_out: int) -> np.ndarray:
    if C.shape in ((n_out,), (1, n_out)) or C.size == 1 and C.ndim <= 2:
        return np.broadcast_to(C.reshape(-1), (n_out,)).astype(np.float32)
    raise OnnxFileError("tensor '%s' (bias of %s) has shape %s: a bias of %d units must have shape (%d,) or (1, %d)"
                        % (name, _label(node), list(C.shape), n_out, n_out, n_out))


def _check_input_op(node: "Dict[str, Any]", consts: "Dict[str, Any]", rank: "Optional[int]",
                    notes: "List[str]") -> None:
    if node['op'] == 'Flatten':
        axis = int((node.get('attrs') or {}).get('axis', 1))
        if axis < 0 and rank is not None:
            axis += rank
        if axis != 1:
            raise OnnxFileError('%s has axis=%d: it must keep the batch axis apart (axis=1)' % (_label(node), axis))
    elif len(node['inputs']) < 2 or not node['inputs'][1]:
        raise OnnxFileError('%s has no target shape' % _label(node))
    elif node['inputs'][1] in consts:
        target = consts[node['inputs'][1]].reshape(-1).tolist()
        if len(target) != 2:
            raise OnnxFileError('%s reshapes to %s: Glassbox reads a reshape to (batch, features) at the input'
                                % (_label(node), target))
        if target[0] > 0:
            notes.append('%s fixes the batch at %d; Glassbox takes any batch' % (_label(node), target[0]))


def _layers(chain: "List[Dict[str, Any]]", consts: "Dict[str, Any]", spec: "Dict[str, Any]",
            notes: "List[str]") -> list:
    """[{'W', 'b', 'act', 'node', 'act_node'}] per layer, from the chain (module docstring)."""
    layers, ended, current = [], None, spec['inputs'][0]['name']
    rank = len(spec['inputs'][0]['shape']) if spec['inputs'][0].get('shape') is not None else None
    flattened = False
    for node in chain:
        op = node['op']
        if ended is not None and op not in PASS_OPS:
            raise OnnxFileError('%s comes after %s: %s is supported only at the end'
                                % (_label(node), _label(ended), ended['op']))
        if op in PASS_OPS:
            if op == 'Dropout':
                notes.append('%s is read as identity (inference)' % _label(node))
        elif op in INPUT_OPS:
            if layers:
                raise OnnxFileError('%s comes after the first layer: Glassbox MLPs flatten only at the input'
                                    % _label(node))
            _check_input_op(node, consts, rank, notes)
            flattened = True
        elif op in ('Gemm', 'MatMul'):
            W, b = _weights(node, consts, current)
            if layers and layers[-1]['W'].shape[1] != W.shape[0]:
                raise OnnxFileError("the weights do not chain: %s takes %d inputs (tensor '%s') but %s gives %d"
                                    % (_label(node), W.shape[0], node['inputs'][1], _label(layers[-1]['node']),
                                       layers[-1]['W'].shape[1]))
            has_bias = op == 'Gemm' and len(node['inputs']) > 2 and bool(node['inputs'][2])
            layers.append({'W': W, 'b': b, 'act': None, 'node': node, 'act_node': None, 'added': has_bias})
        elif op == 'Add':
            if not layers or layers[-1]['act'] is not None or layers[-1]['added']:
                raise OnnxFileError('%s is not the bias of a MatMul: Glassbox reads Add only right after MatMul '
                                    '(or a Gemm without bias)' % _label(node))
            index = 1 if node['inputs'][0] == current else 0
            layer = layers[-1]
            layer['b'] = layer['b'] + _bias(node, _constant_of(node, consts, index, 'bias'), node['inputs'][index],
                                            layer['W'].shape[1])
            layer['added'] = True
        elif op in ACTIVATION_OPS:
            if not layers:
                raise OnnxFileError('%s comes before the first layer: an MLP starts with Gemm or MatMul' % _label(node))
            if layers[-1]['act'] is not None:
                raise OnnxFileError('%s follows %s: two activations in a row'
                                    % (_label(node), _label(layers[-1]['act_node'])))
            if op == 'LeakyRelu':
                alpha = float((node.get('attrs') or {}).get('alpha', 0.01))
                if abs(alpha - LEAKY_SLOPE) > 1e-6:
                    raise OnnxFileError('%s has alpha=%g: Glassbox\'s leaky_relu has slope %g; other slopes are not '
                                        'supported' % (_label(node), alpha, LEAKY_SLOPE))
            layers[-1].update(act=ACTIVATION_OPS[op], act_node=node)
        else:  # FINAL_OPS
            axis = int((node.get('attrs') or {}).get('axis', -1))
            if axis not in (-1, 1):
                raise OnnxFileError('%s has axis=%d: only a softmax over the classes (the last axis) is supported'
                                    % (_label(node), axis))
            ended = node
            notes.append('%s at the end was dropped: the model outputs logits (a softmax of them gives the same '
                         'probabilities)' % _label(node))
        current = node['outputs'][0]
    if not layers:
        raise OnnxFileError('the graph has no Gemm or MatMul node: no layer to read')
    if not flattened and rank is not None and rank != 2:
        raise OnnxFileError("input '%s' has shape %s and no Flatten / Reshape before the first layer: Glassbox MLPs "
                            "take (batch, features)" % (spec['inputs'][0]['name'], spec['inputs'][0]['shape']))
    return layers


def model_from_spec(spec: "Dict[str, Any]") -> "Tuple[MLP, Dict[str, Any]]":
    """The Glassbox MLP of an ONNX MLP spec, and what was read (module docstring)."""
    if not isinstance(spec, dict) or not all(isinstance(spec.get(k), list) for k in ('nodes', 'inputs', 'outputs')):
        raise OnnxFileError('a model spec is an object with inputs, outputs, initializers and nodes (interop/spec.py)')
    consts = _constants(spec)
    inputs = [v for v in spec['inputs'] if v['name'] not in consts]
    for kind, values in (('inputs', inputs), ('outputs', spec['outputs'])):
        if len(values) != 1:
            raise OnnxFileError('the graph has %d %s (%s): a Glassbox MLP has one input and one output'
                                % (len(values), kind, ', '.join("'%s'" % v['name'] for v in values)))
    spec = dict(spec, inputs=inputs)
    source, target = inputs[0], spec['outputs'][0]
    _check_dims("input '%s'" % source['name'], source.get('shape'))
    _check_dims("output '%s'" % target['name'], target.get('shape'))
    notes = []  # type: List[str]
    chain = _chain(spec, consts)
    layers = _layers(chain, consts, spec, notes)
    sizes = [int(layers[0]['W'].shape[0])] + [int(layer['W'].shape[1]) for layer in layers]
    features = [d for d in (source.get('shape') or [None, None])[1:]]
    if all(isinstance(d, (int, np.integer)) for d in features) and int(np.prod(features)) != sizes[0]:
        raise OnnxFileError("input '%s' has %d features per sample (shape %s) but the first layer %s takes %d"
                            % (source['name'], int(np.prod(features)), source['shape'], _label(layers[0]['node']),
                               sizes[0]))
    out_dims = target.get('shape') or []
    if len(out_dims) >= 2 and isinstance(out_dims[-1], (int, np.integer)) and out_dims[-1] != sizes[-1]:
        raise OnnxFileError("output '%s' is declared with %d values per sample but the last layer %s gives %d"
                            % (target['name'], out_dims[-1], _label(layers[-1]['node']), sizes[-1]))
    hidden = [(layer['act'] or 'linear', layer) for layer in layers[:-1]]
    if len(set(name for name, _ in hidden)) > 1:
        raise OnnxFileError('hidden layers use different activations (%s): Glassbox MLPs share one hidden activation'
                            % ', '.join('layer %d: %s after %s' % (i + 1, name, _label(layer['node']))
                                        for i, (name, layer) in enumerate(hidden)))
    meta = dict(spec.get('metadata') or {})
    activation = hidden[0][0] if hidden else meta.get('glassbox.activation', 'relu')
    model = MLP(sizes, activation=activation, init='zeros', output_activation=layers[-1]['act'] or 'linear',
                loss=meta.get('glassbox.loss') if meta.get('glassbox.loss') in LOSSES else 'cross_entropy')
    model.init = meta.get('glassbox.init') if meta.get('glassbox.init') in INITIALIZERS else 'he'
    for dense, layer in zip(model.layers, layers):
        dense.W, dense.b = np.array(layer['W'], dtype=np.float32), np.array(layer['b'], dtype=np.float32)
    info = {'layer_sizes': sizes, 'activation': model.activation, 'output_activation': model.output_activation,
            'parameters': int(sum(l.W.size + l.b.size for l in model.layers)), 'input': source, 'output': target,
            'ops': [node['op'] for node in chain], 'notes': notes, 'metadata': meta,
            'opset': spec.get('opset')}
    if isinstance(source.get('shape'), list) and source['shape'] and isinstance(source['shape'][0], int):
        notes.append("input '%s' fixes the batch at %d; Glassbox takes any batch"
                     % (source['name'], source['shape'][0]))
    return model, info


def from_onnx(source: "Any", with_info: bool = False) -> "Any":
    """The Glassbox MLP in an ONNX file (a path) or ONNX bytes; with ``with_info``, (MLP, info).
    CPython: needs the ``onnx`` package."""
    from .codec import spec_from_bytes
    if isinstance(source, (str, os.PathLike)):
        with open(source, 'rb') as handle:
            source = handle.read()
    model, info = model_from_spec(spec_from_bytes(source))
    return (model, info) if with_info else model
