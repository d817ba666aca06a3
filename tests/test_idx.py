"""glassbox.data.idx: IDX files load as a dataset, and every malformed file is named, by file and
with its numbers -- never a struct.error, an IndexError or a silently wrong array."""
from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from glassbox.data import load_idx, read_idx
from glassbox.data.idx import MAX_IDX_ELEMENTS

TYPES = {0x08: '>u1', 0x09: '>i1', 0x0D: '>f4'}


def idx_bytes(array, code=0x08):
    array = np.asarray(array)
    header = bytes([0, 0, code, array.ndim]) + struct.pack('>' + 'I' * array.ndim, *array.shape)
    return header + array.astype(TYPES[code]).tobytes()


IMAGES = np.random.default_rng(0).integers(0, 256, size=(50, 4, 3))
LABELS = np.tile(np.arange(5), 10)


def test_idx_files_load_as_a_dataset():
    data = load_idx(gzip.compress(idx_bytes(IMAGES)), idx_bytes(LABELS), seed=0)
    assert data['image_shape'] == (4, 3) and data['n_classes'] == 5
    assert len(data['X_train']) + len(data['X_val']) == 50 and data['X_train'].max() <= 1.0
    np.testing.assert_array_equal(read_idx(idx_bytes(IMAGES)), IMAGES)
    # Every image arrives, scaled by 1/255, each with its own label.
    rows = {tuple(np.round(x * 255).astype(int)): int(y) for x, y in zip(data['X_train'], data['y_train'])}
    for image, label in zip(IMAGES.reshape(50, -1), LABELS):
        assert rows.get(tuple(image), label) == label


@pytest.mark.parametrize('blob, message', [
    (b'', r'IDX file is empty \(0 bytes\)'),
    (b'<!DOCTYPE html><html><body>MNIST</body></html>', 'not an IDX file: it must start with two zero bytes.*web page'),
    (b'\x01\x00\x08\x01', 'two zero bytes'),
    (b'\x00\x00', r'header is truncated: 2 bytes'),
    (b'\x00\x00\x08\x03\x00\x00\x00\x05', 'declares 3 dimensions .*16-byte header.* only 8 bytes'),
    (b'\x00\x00\x07\x01\x00\x00\x00\x01x', 'type code 0x07'),
    (b'\x00\x00\x08\x00', 'declares 0 dimensions'),
    (b'\x00\x00\x08\x01\x00\x00\x00\x05ab', 'holds 10 bytes but its header .* promises 13: the file is truncated'),
    (idx_bytes(LABELS) + b'xx', 'holds 60 bytes but .* promises 58: the file is longer'),
    (b'\x1f\x8b\x08\x00' + b'\x00' * 6 + b'not deflate at all', 'gzip'),
    (gzip.compress(idx_bytes(IMAGES))[:-12], 'gzip data is truncated'),
], ids=['empty', 'html', 'magic', 'short-header', 'truncated-dims', 'type', 'no-dims', 'header-promises-more',
        'extra-bytes', 'corrupt-gzip', 'truncated-gzip'])
def test_a_malformed_idx_file_is_named(blob, message):
    with pytest.raises(ValueError, match=message):
        read_idx(blob)


def test_a_header_promising_more_than_the_limit_is_refused_before_allocating():
    shape = (100000, 1000, 1000)
    blob = bytes([0, 0, 8, 3]) + struct.pack('>III', *shape)
    assert int(np.prod(shape, dtype=np.int64)) > MAX_IDX_ELEMENTS
    with pytest.raises(ValueError, match='promises 100000 x 1000 x 1000 = 100000000000 values, more than the '
                                         'limit of %d' % MAX_IDX_ELEMENTS):
        read_idx(blob)
    # Gzipped, the same header stops before the data is inflated.
    with pytest.raises(ValueError, match='more than the limit'):
        read_idx(gzip.compress(blob + b'\x00' * 1000))


def test_a_gzip_bomb_stops_at_what_its_header_promises():
    bomb = gzip.compress(idx_bytes(np.zeros(10)) + b'\x00' * (50 * 2 ** 20))
    with pytest.raises(ValueError, match='inflates to more than the 18 bytes its header allows'):
        read_idx(bomb)


def test_bytes_are_required():
    with pytest.raises(ValueError, match='must be the bytes of an IDX file, got str'):
        read_idx('train-images.idx3-ubyte')


@pytest.mark.parametrize('images, labels, message', [
    (np.zeros((0, 4, 3)), np.zeros(0), 'the images file holds 0 images'),
    (IMAGES, LABELS[:7], 'the labels file holds 7 labels but the images file holds 50 images'),
    (IMAGES.reshape(50, 12), LABELS, r'the images file must have 3 dimensions .* got shape \(50, 12\)'),
    (IMAGES, LABELS.reshape(5, 10), r'the labels file must have 1 dimension .* got shape \(5, 10\)'),
    (IMAGES, np.zeros(50), 'only class 0'),
], ids=['zero-images', 'count-mismatch', 'images-not-3d', 'labels-not-1d', 'one-class'])
def test_mismatched_idx_files_are_named(images, labels, message):
    with pytest.raises(ValueError, match=message):
        load_idx(idx_bytes(images), idx_bytes(labels))


def test_float_labels_are_refused_naming_the_type():
    with pytest.raises(ValueError, match='the labels file holds float32 values: labels must be an integer'):
        load_idx(idx_bytes(IMAGES), idx_bytes(LABELS + 0.5, 0x0D))


def test_negative_labels_are_refused_naming_the_first():
    labels = LABELS.copy()
    labels[7] = -3
    with pytest.raises(ValueError, match='the labels file holds -3 at label 7: labels must be >= 0'):
        load_idx(idx_bytes(IMAGES), idx_bytes(labels, 0x09))


def test_nan_pixels_are_refused_naming_image_row_and_column():
    images = IMAGES.astype(np.float32) / 255
    images[6, 2, 1] = np.nan
    with pytest.raises(ValueError, match=r'nan at image 6, pixel \(row 2, column 1\)'):
        load_idx(idx_bytes(images, 0x0D), idx_bytes(LABELS))
