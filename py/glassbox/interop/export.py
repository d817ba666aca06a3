"""A Glassbox MLP as an ONNX inference graph (a spec, spec.py), and as ONNX bytes (CPython).

For ``sizes = [n_0, ..., n_L]`` (L Dense layers, W_l: (n_l, n_{l+1}), b_l: (n_{l+1},))::

    input 'input'   float32 ['batch', n_0]
    z_l = Gemm(a_l, W_l, b_l)         (alpha = beta = 1, transA = transB = 0: a_l @ W_l + b_l)
    a_{l+1} = f(z_l)                  Relu | LeakyRelu(alpha=0.01) | Tanh | Sigmoid; 'linear': no node
    output 'logits' float32 ['batch', n_L]   (the last layer's output activation, normally linear)

Names: 'layer{l}.W', 'layer{l}.b' (initializers), 'layer{l}.z' (Gemm) and 'layer{l}.a'
(activation), l counted from 0; the last value is 'logits'. Default opset 17 (spec.OPSET).

Metadata (model metadata_props, all strings): 'glassbox.version', 'glassbox.activation',
'glassbox.output_activation', 'glassbox.loss', 'glassbox.init', 'glassbox.layer_sizes' (JSON
list), plus whatever ``metadata`` adds (the protocol adds 'glassbox.dataset',
'glassbox.classes' (JSON list) and 'glassbox.step').
"""
from __future__ import annotations

import json
import sys
from typing import Any, Dict, Optional

import numpy as np

from ..nn.model import MLP
from .spec import make_spec, node, value_info

# activation name -> (ONNX op, attributes); 'linear' writes no node.
ACTIVATION_OPS = {
    'relu': ('Relu', {}),
    'leaky_relu': ('LeakyRelu', {'alpha': 0.01}),
    'tanh': ('Tanh', {}),
    'sigmoid': ('Sigmoid', {}),
    'linear': (None, {}),
}
INPUT_NAME = 'input'
OUTPUT_NAME = 'logits'
BATCH = 'batch'


def glassbox_version() -> str:
    """The running Glassbox's ``__version__`` (the package is imported whenever this module is)."""
    package = sys.modules.get(__name__.split('.')[0])
    return str(getattr(package, '__version__', 'unknown'))


def activation_node(name: str, value_in: str, value_out: str, node_name: str) -> "Optional[Dict[str, Any]]":
    """The node computing activation ``name`` (ACTIVATION_OPS) of ``value_in``; None for 'linear'."""
    if name not in ACTIVATION_OPS:
        raise ValueError('activation %r has no ONNX form; known: %s' % (name, ', '.join(ACTIVATION_OPS)))
    op, attrs = ACTIVATION_OPS[name]
    if op is None:
        return None
    return node(op, [value_in], [value_out], node_name, **attrs)


def model_spec(model: MLP, metadata: "Optional[Dict[str, Any]]" = None) -> "Dict[str, Any]":
    """The spec of ``model``'s inference graph (module docstring); weights are float32 copies."""
    if not isinstance(model, MLP):
        raise ValueError('model_spec needs a glassbox MLP, got %r' % (type(model).__name__,))
    nodes, inits = [], []
    current = INPUT_NAME
    last = len(model.layers) - 1
    for l, layer in enumerate(model.layers):
        w_name, b_name = 'layer%d.W' % l, 'layer%d.b' % l
        inits.append((w_name, np.array(layer.W, dtype=np.float32)))
        inits.append((b_name, np.array(layer.b, dtype=np.float32)))
        activation = layer.activation_name
        z_name = OUTPUT_NAME if l == last and activation == 'linear' else 'layer%d.z' % l
        nodes.append(node('Gemm', [current, w_name, b_name], [z_name], 'layer%d.gemm' % l))
        a_name = OUTPUT_NAME if l == last else 'layer%d.a' % l
        act = activation_node(activation, z_name, a_name, 'layer%d.%s' % (l, activation))
        if act is not None:
            nodes.append(act)
        current = a_name if act is not None else z_name
    sizes = model.layer_sizes
    meta = {
        'glassbox.version': glassbox_version(),
        'glassbox.activation': model.activation,
        'glassbox.output_activation': model.output_activation,
        'glassbox.loss': model.loss_name,
        'glassbox.init': model.init,
        'glassbox.layer_sizes': json.dumps(sizes),
    }
    for key, value in (metadata or {}).items():
        meta[str(key)] = value if isinstance(value, str) else json.dumps(value)
    doc = 'Glassbox MLP %s, hidden activation %s: input (batch, %d) -> logits (batch, %d)' % (
        '-'.join(map(str, sizes)), model.activation, sizes[0], sizes[-1])
    return make_spec('glassbox_mlp', [value_info(INPUT_NAME, 'float32', [BATCH, sizes[0]])],
                     [value_info(OUTPUT_NAME, 'float32', [BATCH, sizes[-1]])], nodes, inits, meta, doc)


def to_onnx(model: MLP, path: "Optional[str]" = None, metadata: "Optional[Dict[str, Any]]" = None) -> bytes:
    """``model`` as ONNX model bytes (CPython: needs the ``onnx`` package); also written to
    ``path`` when given."""
    from .codec import spec_to_bytes
    data = spec_to_bytes(model_spec(model, metadata))
    if path is not None:
        with open(path, 'wb') as handle:
            handle.write(data)
    return data
