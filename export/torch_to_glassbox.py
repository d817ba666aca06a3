"""A PyTorch MLP as a Glassbox network, through ONNX.

    python export/torch_to_glassbox.py model.pt --input-shape 1,28,28 --out model.onnx

``torch_to_glassbox(module, input_shape, path=None, with_info=False)`` exports ``module`` (in
eval mode) with ``torch.onnx.export`` -- opset 17, input 'input' of shape (batch, *input_shape)
with a dynamic batch axis, output 'logits' -- writes the .onnx file to ``path`` when given, and
reads it with ``glassbox.from_onnx``: the Glassbox ``MLP`` (and with ``with_info``, what was read:
layer sizes, activation, notes such as a final Softmax dropped). The module must be an MLP
Glassbox reads (interop/load.py: Linear layers, one hidden activation, Flatten or
``x.view(x.size(0), -1)`` at the input, optionally Softmax / LogSoftmax at the end); anything else
is refused with an OnnxFileError naming the op and node.

The CLI loads a whole module saved with ``torch.save(module, path)``, writes the .onnx file
(open it in Glassbox's page, or ``glassbox.from_onnx``) and prints what Glassbox read and which
dataset the network fits. The TorchScript exporter (``dynamo=False``) is used: it runs offline
with torch alone (the dynamo exporter needs the onnxscript package).
"""
from __future__ import annotations

import argparse
import io
import sys
import warnings
from pathlib import Path

try:
    import glassbox
except ImportError:  # run from a checkout: the engine lives in py/
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'py'))
    import glassbox

import torch

from glassbox.interop import OnnxFileError, dataset_for

OPSET = 17


def onnx_bytes(module: torch.nn.Module, input_shape) -> bytes:
    """``module`` as ONNX bytes: opset 17, 'input' (batch, *input_shape) -> 'logits', dynamic batch."""
    dummy = torch.zeros((1,) + tuple(int(d) for d in input_shape), dtype=torch.float32)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # the TorchScript exporter announces its deprecation
        torch.onnx.export(module.eval(), (dummy,), buffer, opset_version=OPSET, input_names=['input'],
                          output_names=['logits'], dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}},
                          dynamo=False)
    return buffer.getvalue()


def torch_to_glassbox(module: torch.nn.Module, input_shape, path=None, with_info: bool = False):
    """The Glassbox MLP of a PyTorch MLP (module docstring)."""
    data = onnx_bytes(module, input_shape)
    if path is not None:
        Path(path).write_bytes(data)
    return glassbox.from_onnx(data, with_info=with_info)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description='A PyTorch MLP (torch.save of the module) as an ONNX file Glassbox loads.')
    parser.add_argument('module', help='a whole module saved with torch.save(module, path)')
    parser.add_argument('--input-shape', required=True,
                        help='one sample\'s shape, without the batch: 784, or 1,28,28 for images')
    parser.add_argument('--out', required=True, help='the .onnx file to write')
    args = parser.parse_args(argv)
    shape = [int(d) for d in args.input_shape.split(',') if d.strip()]
    module = torch.load(args.module, weights_only=False)
    if not isinstance(module, torch.nn.Module):
        print('torch_to_glassbox: %s holds a %s, not a torch.nn.Module (save the module, not its state_dict)'
              % (args.module, type(module).__name__), file=sys.stderr)
        return 1
    try:
        model, info = torch_to_glassbox(module, shape, args.out, with_info=True)
    except OnnxFileError as exc:
        print('torch_to_glassbox: Glassbox cannot read this network: %s' % exc, file=sys.stderr)
        return 1
    sizes = model.layer_sizes
    print('wrote %s: layers %s, hidden activation %s, %d parameters' % (args.out, sizes, model.activation,
                                                                       info['parameters']))
    for note in info['notes']:
        print('note: %s' % note)
    try:
        print('trains on the %s dataset' % dataset_for(sizes[0], sizes[-1]))
    except OnnxFileError as exc:
        print('note: %s' % exc)
    return 0


if __name__ == '__main__':
    sys.exit(main())
