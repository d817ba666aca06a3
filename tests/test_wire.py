"""glassbox.wire: Python round trip, and the page's decoder (site/js/wire.js) reading Python's bytes."""
from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest

from glassbox.protocol.wire import pack, unpack
from conftest import ROOT


def sample_message():
    rng = np.random.default_rng(3)
    return {'step': 7, 'ok': True, 'name': 'layer "1" <b>', 'nothing': None,
            'loss': float('nan'), 'big': float('inf'), 'small': -float('inf'), 'lr': 0.1,
            'W': rng.normal(size=(3, 5)).astype(np.float32), 'idx': np.arange(4, dtype=np.int32),
            'flags': np.array([True, False, True]), 'wide': np.arange(3, dtype=np.int64),
            'layers': [{'act': rng.normal(size=(2, 2)).astype(np.float32)}, {'act': np.zeros((0, 2), np.float32)}],
            'tuple': (1, 2.5)}


def test_round_trip_keeps_values_shapes_and_dtypes():
    message = sample_message()
    back = unpack(pack(message))
    np.testing.assert_array_equal(back['W'], message['W'])
    assert back['W'].dtype == np.float32 and back['W'].shape == (3, 5)
    assert back['idx'].dtype == np.int32
    assert back['flags'].dtype == np.uint8 and back['flags'].tolist() == [1, 0, 1]
    assert back['wide'].dtype == np.int32 and back['wide'].tolist() == [0, 1, 2]
    assert np.isnan(back['loss']) and back['big'] == np.inf and back['small'] == -np.inf
    assert back['name'] == message['name'] and back['nothing'] is None and back['tuple'] == [1, 2.5]
    assert back['layers'][1]['act'].shape == (0, 2)


def test_arrays_start_on_8_byte_boundaries():
    packed = pack(sample_message())
    header_len = int.from_bytes(packed[:4].tobytes(), 'little')
    header = json.loads(packed[4:4 + header_len].tobytes())
    assert header['W']['$a'][2] % 8 == 0 and header['idx']['$a'][2] % 8 == 0
    assert ((4 + header_len + 7) // 8 * 8 + header['idx']['$a'][2]) % 8 == 0


def test_unsendable_objects_raise_a_clear_error():
    with pytest.raises(TypeError, match='cannot send object'):
        pack({'x': object()})
    with pytest.raises(TypeError, match='complex'):
        pack({'x': np.zeros(2, dtype=np.complex64)})


@pytest.mark.skipif(shutil.which('node') is None, reason='node is not installed')
def test_javascript_decoder_reads_what_python_packs(tmp_path):
    message = sample_message()
    blob = tmp_path / 'message.bin'
    blob.write_bytes(pack(message).tobytes())
    script = """
      import {unpack} from '%s';
      import {readFileSync} from 'node:fs';
      const bytes = readFileSync('%s');
      const m = unpack(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
      console.log(JSON.stringify({W: Array.from(m.W.data), shape: m.W.shape, ctor: m.W.data.constructor.name,
        idx: Array.from(m.idx.data), loss: String(m.loss), big: String(m.big), small: String(m.small), name: m.name,
        act: Array.from(m.layers[0].act.data), empty: m.layers[1].act.data.length, tuple: m.tuple}));
    """ % ((ROOT / 'site' / 'js' / 'engine' / 'wire.js').as_uri(), blob)
    out = subprocess.run(['node', '--input-type=module', '-e', script], capture_output=True, text=True, check=True)
    decoded = json.loads(out.stdout)
    np.testing.assert_array_equal(np.float32(decoded['W']), message['W'].ravel())
    assert decoded['shape'] == [3, 5] and decoded['ctor'] == 'Float32Array'
    assert decoded['idx'] == [0, 1, 2, 3] and decoded['loss'] == 'NaN'
    assert decoded['big'] == 'Infinity' and decoded['small'] == '-Infinity'
    assert decoded['name'] == message['name'] and decoded['empty'] == 0 and decoded['tuple'] == [1, 2.5]
    np.testing.assert_array_equal(np.float32(decoded['act']), message['layers'][0]['act'].ravel())
