"""THE graph description: an ONNX graph as plain data, written down once.

Glassbox builds and reads ONNX graphs as plain Python data ("specs"), so that the same graph can
be encoded by the ``onnx`` package in CPython (``codec.py``) and by npm ``onnx-proto`` +
``protobufjs`` in the browser (``site/js/engine/onnx-codec.js``), while the graph logic -- what an
MLP looks like, what a training step computes -- is written once, here in the engine, and runs in
Pyodide (which has no ``onnx`` package) as well as in CPython.

A spec is a dict::

    {'name': str,                       graph name
     'opset': int,                      default-domain opset (>= 17)
     'doc': str,                        optional doc string
     'inputs':  [ValueInfo],            graph inputs, in order
     'outputs': [ValueInfo],            graph outputs, in order
     'initializers': [{'name': str, 'dtype': str, 'array': np.ndarray}],   constants, in order
     'nodes': [{'op': str, 'inputs': [str], 'outputs': [str], 'name': str,
                'attrs': {name: value}, 'domain': str (optional, '' = default)}],
     'metadata': {str: str}}            model metadata_props (e.g. 'glassbox.activation')

    ValueInfo = {'name': str, 'dtype': 'float32' | 'int64' | 'int32' | 'bool',
                 'shape': [int | str]}  a str is a symbolic dimension (e.g. 'batch')

Attribute values: int, float, str, a list of ints, a list of floats, or a spec dict without
'opset'/'metadata' (a subgraph, e.g. Loop's 'body'; it may use outer-scope names). No tensor
attributes: constants are initializers. bool attributes are written as ints. An empty input
name ('') is ONNX's "optional input left out".

Arrays are numpy arrays in Python and {dtype, shape, data} (data a typed array) in JavaScript --
the form the wire format (protocol/wire.py) gives, so a spec crosses the worker boundary as is.
The wire narrows int64 to int32, so an initializer's ONNX type is its 'dtype' field, never the
array's own dtype.

The public ONNX model of a Glassbox MLP (``export.py``): input 'input' float32 ['batch', n_0],
output 'logits' float32 ['batch', n_L].

Helpers: ``initializer_array`` reads an initializer's array in its declared dtype from any of
those forms (or nested lists, as JSON brings them); ``OnnxFileError`` is the one error for an
ONNX file or spec Glassbox cannot read (codec.py, load.py), pure Python so Pyodide raises it too.
"""
from __future__ import annotations

from typing import Any, Dict, List

import numpy as np

OPSET = 17
DTYPES = ('float32', 'int64', 'int32', 'bool')


def value_info(name: str, dtype: str, shape: "List[Any]") -> "Dict[str, Any]":
    """One ValueInfo entry (see the module docstring)."""
    if dtype not in DTYPES:
        raise ValueError('dtype must be one of %s, got %r' % (', '.join(DTYPES), dtype))
    return {'name': str(name), 'dtype': dtype, 'shape': list(shape)}


def node(op: str, inputs: "List[str]", outputs: "List[str]", name: str = '', **attrs: "Any") -> "Dict[str, Any]":
    """One node entry; keyword arguments are its attributes."""
    return {'op': op, 'inputs': list(inputs), 'outputs': list(outputs), 'name': name or outputs[0],
            'attrs': attrs}


def make_spec(name: str, inputs, outputs, nodes, initializers=(), metadata=None, doc: str = '',
              opset: int = OPSET) -> "Dict[str, Any]":
    """A spec from its parts; ``initializers`` is a list of (name, array) pairs or dicts."""
    inits = []
    for item in initializers:
        item_name, array = (item['name'], item['array']) if isinstance(item, dict) else item
        array = np.asarray(array)
        dtype = 'int64' if array.dtype.kind in 'iu' else ('bool' if array.dtype.kind == 'b' else 'float32')
        inits.append({'name': str(item_name), 'dtype': dtype, 'array': array})
    return {'name': name, 'opset': int(opset), 'doc': doc, 'inputs': list(inputs), 'outputs': list(outputs),
            'initializers': inits, 'nodes': list(nodes), 'metadata': dict(metadata or {})}


class OnnxFileError(ValueError):
    """An ONNX file or spec Glassbox cannot read, with a message naming what is wrong (the op and
    node, the tensor or the dimension). Pure Python, so the browser's engine raises it too."""


NUMPY_DTYPES = {'float32': np.float32, 'int64': np.int64, 'int32': np.int32, 'bool': np.bool_}


def initializer_array(item: "Dict[str, Any]") -> "np.ndarray":
    """An initializer's array as numpy in its declared ONNX ``dtype``, whichever form it came in:
    a numpy array, nested lists (JSON), or JavaScript's {dtype, shape, data} (data flat: a list,
    or a typed array that JSON wrote as {"0": v0, "1": v1, ...}). OnnxFileError names the tensor."""
    name, dtype = item.get('name'), item.get('dtype', 'float32')
    if dtype not in NUMPY_DTYPES:
        raise OnnxFileError("tensor '%s' has dtype %r: a spec holds %s" % (name, dtype, ', '.join(DTYPES)))
    array = item.get('array')
    if array is None:
        raise OnnxFileError("tensor '%s' has no data (stored as external data?)" % (name,))
    try:
        if isinstance(array, dict):
            data = array.get('data')
            if isinstance(data, dict):
                data = [data[k] for k in sorted(data, key=int)]
            return np.asarray(data, dtype=NUMPY_DTYPES[dtype]).reshape([int(d) for d in array.get('shape', [-1])])
        return np.asarray(array, dtype=NUMPY_DTYPES[dtype])
    except (TypeError, ValueError) as exc:
        raise OnnxFileError("tensor '%s': its data is not a %s array (%s)" % (name, dtype, exc))
