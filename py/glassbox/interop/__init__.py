"""ONNX in and out: graph specs (spec.py), export (export.py), import (load.py), ONNX bytes (codec.py,
CPython only: needs the ``onnx`` package, imported lazily) and the training-step graph."""
from __future__ import annotations

from .export import model_spec, to_onnx
from .load import dataset_for, from_onnx, model_from_spec
from .spec import OnnxFileError

__all__ = ['OnnxFileError', 'dataset_for', 'from_onnx', 'model_from_spec', 'model_spec', 'to_onnx']
