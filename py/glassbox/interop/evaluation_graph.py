"""The evaluation graph: loss and correct count of an MLP over a set of rows, weights as inputs.

The onnxruntime engine (protocol/accel_ops.py) runs it on the snapshot's validation rows at the
end of a chunk, so the worker's Python need not (in Pyodide that forward pass is the largest part
of a snapshot's cost). Same maths as ``Trainer.evaluate`` (nn/losses.py), in float32:

    forward:  z_l = a_{l-1} W_l + b_l,  a_l = f_l(z_l),  a_{-1} = x (N, n_0),  logits (N, K)
    'cross_entropy': loss_sum = -sum(y * logsoftmax(logits))     'mse': loss_sum = 0.5 sum((logits - y)^2)
    correct = count of argmax(logits) == argmax(y)              (y: one-hot labels (N, K))

Inputs: 'W0', 'b0', 'W1', ... (the model's shapes), 'x' float32 ['rows', n_0], 'y' float32
['rows', K]. Outputs: 'loss_sum' float32 [], 'correct' float32 [].
"""
from __future__ import annotations

from typing import Any, Dict

from .graph_builder import FLOAT, GraphBuilder, activation_output
from .spec import make_spec, value_info


def evaluation_spec(model: "Any") -> "Dict[str, Any]":
    """The spec described in the module docstring, for ``model`` (an MLP with a linear output)."""
    if model.layers[-1].activation_name != 'linear' or model.loss_name not in ('cross_entropy', 'mse'):
        raise ValueError('evaluation graph: needs logits out and a cross_entropy or mse loss')
    sizes = model.layer_sizes
    params = []
    for l in range(len(model.layers)):
        params += [value_info('W%d' % l, 'float32', [sizes[l], sizes[l + 1]]),
                   value_info('b%d' % l, 'float32', [sizes[l + 1]])]
    inputs = params + [value_info('x', 'float32', ['rows', sizes[0]]), value_info('y', 'float32', ['rows', sizes[-1]])]
    outputs = [value_info('loss_sum', 'float32', []), value_info('correct', 'float32', [])]
    g = GraphBuilder()
    g.used.update(v['name'] for v in inputs + outputs)
    a = 'x'
    for l, layer in enumerate(model.layers):
        a = activation_output(g, layer.activation_name, g.op('Gemm', [a, 'W%d' % l, 'b%d' % l], 'z%d' % l), l)
    if model.loss_name == 'cross_entropy':
        log_p = g.op('LogSoftmax', [a], 'log_p', axis=1)
        total = g.op('ReduceSum', [g.op('Mul', ['y', log_p], 'y.log_p')], 'sum.y.log_p', keepdims=0)
        g.op('Neg', [total], out=['loss_sum'])
    else:
        d = g.op('Sub', [a, 'y'], 'd')
        total = g.op('ReduceSum', [g.op('Mul', [d, d], 'd.sq')], 'sum.d.sq', keepdims=0)
        g.op('Mul', [total, g.const(0.5)], out=['loss_sum'])
    hits = g.op('Equal', [g.op('ArgMax', [a], 'pred', axis=1, keepdims=0),
                          g.op('ArgMax', ['y'], 'label', axis=1, keepdims=0)], 'hit')
    g.op('ReduceSum', [g.op('Cast', [hits], 'hit.f', to=FLOAT)], out=['correct'], keepdims=0)
    return make_spec('glassbox_evaluate', inputs, outputs, g.nodes, g.initializers,
                     {'glassbox.graph': 'evaluate'}, doc=__doc__.split('\n\n')[0])
