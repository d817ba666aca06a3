"""Analyses: pure functions of (model, data, arguments) returning plain dicts of numbers and arrays.

They use ``nn.trace`` for every forward/backward pass and never import the protocol.
"""
