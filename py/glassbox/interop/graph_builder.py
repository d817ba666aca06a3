"""Building graph specs (spec.py) node by node: fresh names, cached constants, activations.
Shared by the training-step and evaluation graphs."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..nn.activations import ACTIVATIONS
from .spec import node

FLOAT = 1  # ONNX TensorProto element type float32 (Cast's 'to')


class GraphBuilder:
    """Collects nodes (into ``self.nodes``, swappable for a subgraph) and cached constants."""

    def __init__(self) -> None:
        self.nodes = []  # type: List[Dict[str, Any]]
        self.initializers = []  # type: List[Tuple[str, np.ndarray]]
        self.used = set()  # type: set
        self.consts = {}  # type: Dict[Any, str]

    def fresh(self, tag: str) -> str:
        name, n = tag, 1
        while name in self.used:
            n += 1
            name = '%s.%d' % (tag, n)
        self.used.add(name)
        return name

    def op(self, op: str, inputs: "Sequence[str]", tag: str = '', n_out: int = 1,
           out: "Optional[Sequence[str]]" = None, **attrs: "Any") -> "Any":
        """Add a node with outputs ``out`` (exact names) or ``n_out`` fresh names from ``tag``;
        returns its output name (the list of them when there are several)."""
        outs = list(out) if out else [self.fresh(tag or op.lower()) for _ in range(n_out)]
        self.nodes.append(node(op, list(inputs), outs, **attrs))
        return outs if n_out > 1 else outs[0]

    def const(self, value: "Any", dtype: "Any" = np.float32) -> str:
        array = np.asarray(value, dtype=dtype)
        key = (array.dtype.str, array.shape, tuple(array.ravel().tolist()))
        if key not in self.consts:
            self.consts[key] = self.fresh('c.%s' % '_'.join(str(v) for v in array.ravel().tolist()))
            self.initializers.append((self.consts[key], array))
        return self.consts[key]


def activation_output(g: GraphBuilder, name: str, z: str, l: int) -> str:
    """The node computing a_l = f(z_l) for a Glassbox activation name ('linear' adds none)."""
    if name == 'linear':
        return z
    if name == 'leaky_relu':
        return g.op('LeakyRelu', [z], 'a%d' % l, alpha=float(ACTIVATIONS['leaky_relu'].slope))
    return g.op({'relu': 'Relu', 'tanh': 'Tanh', 'sigmoid': 'Sigmoid'}[name], [z], 'a%d' % l)
