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


def js_pack(tmp_path, expression):
    """Pack ``expression`` (JS, may use `pack`) in node with site/js/engine/wire.js; the bytes."""
    out = tmp_path / 'packed.bin'
    script = """
      import {pack, unpack, hasArrays} from '%s';
      import {writeFileSync} from 'node:fs';
      const value = %s;
      const buffer = pack(value);
      writeFileSync('%s', new Uint8Array(buffer));
      const back = unpack(buffer);
      console.log(JSON.stringify({hasArrays: hasArrays(value), plain: hasArrays({a: [1, {b: 'x'}]}),
        again: Array.from(back.W.data), shape: back.W.shape}));
    """ % ((ROOT / 'site' / 'js' / 'engine' / 'wire.js').as_uri(), expression, out)
    result = subprocess.run(['node', '--input-type=module', '-e', script], capture_output=True, text=True, check=True)
    return out.read_bytes(), json.loads(result.stdout)


JS_MESSAGE = """{op: 'load_model', run: 'main', name: 'layer "1" <b>', nothing: null, skipped: undefined,
    loss: NaN, big: Infinity, small: -Infinity, lr: 0.1, tuple: [1, 2.5],
    W: {dtype: 'float32', shape: [3, 5], data: Float32Array.from({length: 15}, (_, i) => i / 7 - 1)},
    idx: Int32Array.of(0, 1, 2, 3), bytes: Uint8Array.of(1, 0, 1), wide: Float64Array.of(0.1, 1e300),
    small16: Int16Array.of(-3, 4), long: BigInt64Array.of(5n, -6n),
    spec: {initializers: [{name: 'b', dtype: 'int64', array: {dtype: 'int32', shape: [2, 1], data: Int32Array.of(7, -8)}},
                          {name: 'e', dtype: 'float32', array: {dtype: 'float32', shape: [0, 4], data: new Float32Array(0)}}]}}"""


@pytest.mark.skipif(shutil.which('node') is None, reason='node is not installed')
def test_python_reads_what_javascript_packs(tmp_path):
    """wire.js's pack is the inverse of unpack and writes wire.py's layout: Python's unpack gets the
    same values, dtypes and shapes (other integer arrays as int32, like wire.py's own pack)."""
    blob, seen = js_pack(tmp_path, JS_MESSAGE)
    assert seen['hasArrays'] and not seen['plain'] and seen['shape'] == [3, 5]
    back = unpack(blob)
    W = np.arange(15, dtype=np.float32) / np.float32(7) - 1
    assert back['W'].dtype == np.float32 and back['W'].shape == (3, 5)
    np.testing.assert_array_equal(back['W'].ravel(), np.float32(seen['again']))
    np.testing.assert_allclose(back['W'].ravel(), W, rtol=1e-6)
    assert back['idx'].dtype == np.int32 and back['idx'].tolist() == [0, 1, 2, 3]
    assert back['bytes'].dtype == np.uint8 and back['bytes'].tolist() == [1, 0, 1]
    assert back['wide'].dtype == np.float64 and back['wide'].tolist() == [0.1, 1e300]
    assert back['small16'].dtype == np.int32 and back['small16'].tolist() == [-3, 4]
    assert back['long'].dtype == np.int32 and back['long'].tolist() == [5, -6]
    init = back['spec']['initializers']
    assert init[0]['dtype'] == 'int64' and init[0]['array'].shape == (2, 1) and init[0]['array'].ravel().tolist() == [7, -8]
    assert init[1]['array'].shape == (0, 4)
    assert np.isnan(back['loss']) and back['big'] == np.inf and back['small'] == -np.inf
    assert back['name'] == 'layer "1" <b>' and back['nothing'] is None and 'skipped' not in back
    assert back['tuple'] == [1, 2.5] and back['op'] == 'load_model' and back['lr'] == 0.1
    # the same 8-byte alignment as wire.py writes
    header_len = int.from_bytes(blob[:4], 'little')
    header = json.loads(blob[4:4 + header_len])
    assert all(header[k]['$a'][2] % 8 == 0 for k in ('W', 'idx', 'bytes', 'wide', 'small16', 'long'))
    assert len(blob) % 8 == 0


@pytest.mark.skipif(shutil.which('node') is None, reason='node is not installed')
def test_engine_entry_takes_a_packed_request(tmp_path):
    """protocol.handle(request_json, blob): the blob is the whole request; without one, JSON as before."""
    from glassbox.protocol import entry
    blob, _ = js_pack(tmp_path, "{op: 'runtime', W: {dtype: 'float32', shape: [1], data: Float32Array.of(1)}}")
    answer = unpack(entry.handle('', blob))
    assert not answer['ok'] and "takes no argument 'W'" in answer['error']  # the arrays reached the ops table
    blob, _ = js_pack(tmp_path, "{op: 'runtime', W: Float32Array.of(1)}")
    assert unpack(entry.handle('ignored', memoryview(blob)))['error'].startswith("op 'runtime' takes no argument 'W'")
    assert unpack(entry.handle('{"op": "runtime"}'))['value']['python']
    assert unpack(entry.handle('', b'\x05\x00\x00\x00{"op"'))['ok'] is False  # a broken blob is answered, not raised


def test_a_scalar_array_keeps_its_empty_shape():
    """A 0-d array (an ONNX scalar tensor in a graph spec) must not come back as shape (1,)."""
    back = unpack(pack({'scalar': np.array(2.5, np.float32), 'count': np.array(7, np.int64)}))
    assert back['scalar'].shape == () and float(back['scalar']) == 2.5
    assert back['count'].shape == () and int(back['count']) == 7
