"""A Glassbox network as a PyTorch ``torch.nn.Sequential`` with the same weights.

    python export/glassbox_to_torch.py model.onnx model.pt     # an ONNX file Glassbox reads
    python export/glassbox_to_torch.py run.ckpt model.pt       # a Glassbox checkpoint (save_checkpoint bytes)

``to_torch(source)``: source is a Glassbox ``MLP``, a path to an .onnx file or a checkpoint, or
their bytes. For ``sizes = [n_0, ..., n_L]`` it returns::

    Sequential(Linear(n_0, n_1), act, Linear(n_1, n_2), act, ..., Linear(n_{L-1}, n_L))

with Linear.weight = W.T (PyTorch keeps (out, in); Glassbox's W is (in, out)), Linear.bias = b,
act = ReLU | LeakyReLU(0.01) | Tanh | Sigmoid (none for 'linear'), and the output activation
(normally none) after the last Linear: the module maps (N, n_0) float32 to logits (N, n_L). The
CLI saves the whole module (``torch.save``; read it with ``torch.load(path, weights_only=False)``).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

try:
    import glassbox
except ImportError:  # run from a checkout: the engine lives in py/
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'py'))
    import glassbox

import numpy as np
import torch

from glassbox.train.checkpoint import state_from_bytes

ZIP_MAGIC = b'PK'  # checkpoints are .npz archives; anything else is read as ONNX


def load_glassbox(source) -> 'glassbox.MLP':
    """A Glassbox MLP from an MLP, a path or bytes (an .onnx file or a checkpoint)."""
    if isinstance(source, glassbox.MLP):
        return source
    if isinstance(source, (str, os.PathLike)):
        source = Path(source).read_bytes()
    data = bytes(source)
    if data[:2] == ZIP_MAGIC:
        return glassbox.MLP.from_dict(state_from_bytes(data)['model'])
    return glassbox.from_onnx(data)


def activation_module(name: str):
    """The torch module of a Glassbox activation (None for 'linear')."""
    modules = {'relu': torch.nn.ReLU, 'leaky_relu': lambda: torch.nn.LeakyReLU(0.01), 'tanh': torch.nn.Tanh,
               'sigmoid': torch.nn.Sigmoid, 'linear': None}
    if name not in modules:
        raise ValueError('activation %r has no PyTorch module here; known: %s' % (name, ', '.join(modules)))
    return modules[name]() if modules[name] else None


def to_torch(source) -> torch.nn.Sequential:
    """``torch.nn.Sequential`` computing the same logits as ``source`` (module docstring)."""
    model = load_glassbox(source)
    parts = []
    for layer in model.layers:
        linear = torch.nn.Linear(layer.n_in, layer.n_out)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(layer.W.T, dtype=np.float32)))
            linear.bias.copy_(torch.from_numpy(np.asarray(layer.b, dtype=np.float32)))
        parts.append(linear)
        act = activation_module(layer.activation_name)
        if act is not None:
            parts.append(act)
    return torch.nn.Sequential(*parts).eval()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description='A Glassbox network (.onnx or checkpoint) as a PyTorch Sequential.')
    parser.add_argument('source', help='an .onnx file Glassbox reads, or a Glassbox checkpoint')
    parser.add_argument('out', help='where to torch.save the module (.pt)')
    args = parser.parse_args(argv)
    try:
        module = to_torch(args.source)
    except (OSError, ValueError) as exc:
        print('glassbox_to_torch: %s' % exc, file=sys.stderr)
        return 1
    torch.save(module, args.out)
    print(module)
    print('saved to %s (torch.load(%r, weights_only=False))' % (args.out, args.out))
    return 0


if __name__ == '__main__':
    sys.exit(main())
