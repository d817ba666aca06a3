"""A trainer's full state (model, optimiser, data order, random state, counters) to bytes and back,
exactly: a restored trainer continues bit for bit as the original would.

Format (version 1): an uncompressed ``.npz`` archive (``numpy.savez``) holding every array of
``Trainer.state_dict()`` under the key ``a<k>``, plus ``state.json`` (UTF-8 JSON stored as a uint8
array): the state with each array replaced by ``{"$a": k}`` and tuples by ``{"$t": [...]}``.
Python ints (the random generator's 128-bit state included) survive JSON exactly.
"""
from __future__ import annotations

import io
import json
from typing import Any, Dict

import numpy as np

from .trainer import Trainer

FORMAT_VERSION = 1


def state_to_bytes(state: "Dict[str, Any]") -> bytes:
    arrays = {}

    def encode(value):
        if isinstance(value, np.ndarray):
            key = 'a%d' % len(arrays)
            arrays[key] = value
            return {'$a': key}
        if isinstance(value, dict):
            return {str(k): encode(v) for k, v in value.items()}
        if isinstance(value, tuple):
            return {'$t': [encode(v) for v in value]}
        if isinstance(value, list):
            return [encode(v) for v in value]
        if isinstance(value, np.generic):
            return value.item()
        return value

    header = json.dumps({'version': FORMAT_VERSION, 'state': encode(state)}).encode('utf-8')
    buffer = io.BytesIO()
    np.savez(buffer, **arrays, **{'state.json': np.frombuffer(header, dtype=np.uint8)})
    return buffer.getvalue()


def state_from_bytes(blob: bytes) -> "Dict[str, Any]":
    try:
        archive = np.load(io.BytesIO(bytes(blob)), allow_pickle=False)
        header = json.loads(bytes(archive['state.json']).decode('utf-8'))
    except Exception as exc:
        raise ValueError('not a Glassbox checkpoint: %s' % exc)
    if header.get('version') != FORMAT_VERSION:
        raise ValueError('checkpoint version %r is not %d' % (header.get('version'), FORMAT_VERSION))

    def decode(value):
        if isinstance(value, dict):
            if '$a' in value:
                return archive[value['$a']]
            if '$t' in value:
                return tuple(decode(v) for v in value['$t'])
            return {k: decode(v) for k, v in value.items()}
        if isinstance(value, list):
            return [decode(v) for v in value]
        return value
    return decode(header['state'])


def save(trainer: Trainer) -> bytes:
    """The trainer's exact state as bytes (the data is not included)."""
    return state_to_bytes(trainer.state_dict())


def load(data: "Dict[str, Any]", blob: bytes) -> Trainer:
    """A Trainer on ``data`` continuing exactly from ``save``'s bytes."""
    return Trainer.from_state(data, state_from_bytes(blob))
