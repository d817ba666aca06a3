"""Presets: named settings that reliably show one pathology each (and one healthy default).

Each preset is a complete engine config (train.config.DEFAULT_CONFIG with the listed overrides), the
detectors it trips (health.py kinds) and within how many training steps it trips them at the
default speed (10 steps per snapshot).  tests/test_health.py checks every claim.  The page reads
this table from dist/tables.json (protocol/tables.py) and applies it through the URL key ``preset``.
"""
from __future__ import annotations

from ..train.config import DEFAULT_CONFIG, validate_config

PRESETS = {
    'healthy': {
        'label': 'Healthy: the default network', 'settings': {},
        'detectors': [], 'within_steps': 0,
        'story': 'ReLU with He initialisation and a moderate learning rate: no alert should fire.'},
    'vanishing': {
        'label': 'Vanishing gradients: deep sigmoid net, tiny weights',
        'settings': {'hidden': [32, 32, 32, 32, 32], 'activation': 'sigmoid', 'init': 'small_uniform'},
        'detectors': ['vanishing_gradients'], 'within_steps': 30,
        'story': 'Each sigmoid layer multiplies the backward signal by at most 0.25 times tiny weights.'},
    'exploding': {
        'label': 'Exploding gradients: learning rate 3.5',
        'settings': {'hidden': [32, 32], 'activation': 'leaky_relu', 'lr': 3.5},
        'detectors': ['exploding_gradients', 'diverged'], 'within_steps': 30,
        'story': 'Every step overshoots further; the gradients grow until the numbers overflow.'},
    'dead_relu': {
        'label': 'Dead ReLUs: bias initialised at -3',
        'settings': {'bias_init': -3.0},
        'detectors': ['dead_relu'], 'within_steps': 30,
        'story': 'A strongly negative bias keeps every ReLU below zero: no output, no gradient.'},
    'saturated': {
        'label': 'Saturated tanh: learning rate 5',
        'settings': {'activation': 'tanh', 'init': 'glorot', 'lr': 5.0},
        'detectors': ['saturation', 'lr_too_high'], 'within_steps': 40,
        'story': 'Huge steps push tanh units to +-1, where their slope and gradient are ~0.'},
    'oscillation': {
        'label': 'Oscillating loss: learning rate 2.5',
        'settings': {'activation': 'leaky_relu', 'lr': 2.5},
        'detectors': ['oscillation'], 'within_steps': 250,
        'story': 'Steps overshoot the minimum back and forth; the loss jumps instead of falling.'},
    'plateau': {
        'label': 'Plateau: small net on the spiral',
        'settings': {'dataset': 'spiral', 'hidden': [16, 16]},
        'detectors': ['plateau'], 'within_steps': 200,
        'story': 'Plain SGD gets stuck on a flat stretch of the loss surface.'},
    'lr_too_low': {
        'label': 'Learning rate too low: 0.0001',
        'settings': {'lr': 0.0001},
        'detectors': ['lr_too_low'], 'within_steps': 150,
        'story': 'Each step moves the weights by a hundred-thousandth of their size.'},
}


def preset_config(name: str) -> dict:
    """The full engine config of preset ``name`` (ValueError names the presets)."""
    if name not in PRESETS:
        raise ValueError('unknown preset %r; presets: %s' % (name, ', '.join(PRESETS)))
    return validate_config(dict(DEFAULT_CONFIG, **PRESETS[name]['settings']))
