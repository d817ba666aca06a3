"""ONNX in and out: graph specs (spec.py), export, import and the training-step graph."""
