"""glassbox.datasets: packed files, splits, toy sets — and that real runs learn them (IDX: test_idx.py)."""
from __future__ import annotations

import gzip

import numpy as np
import pytest

import glassbox
from glassbox.data import registry as datasets
from glassbox.data import load_dataset, pack_dataset, unpack_dataset, split


@pytest.fixture(scope='module')
def built_data(dist_dir):
    return dist_dir / 'data'


def test_packed_round_trip_is_exact():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(30, 12)).astype(np.uint8)
    y = rng.integers(0, 3, size=30)
    X_back, y_back, header = unpack_dataset(pack_dataset(X, y, 'toy', (3, 4), ['a', 'b', 'c'], 1 / 255))
    np.testing.assert_array_equal(np.rint(X_back * 255).astype(np.uint8), X)
    np.testing.assert_array_equal(y_back, y)
    assert header['image_shape'] == [3, 4] and header['class_names'] == ['a', 'b', 'c']


@pytest.mark.parametrize('blob, message', [
    (b'not gzip', 'not gzip'), (gzip.compress(b'XXXX1234'), 'magic'),
])
def test_malformed_packed_files_are_named(blob, message):
    with pytest.raises(ValueError, match=message):
        unpack_dataset(blob)


def test_truncated_packed_file_is_reported():
    blob = gzip.decompress(pack_dataset(np.zeros((4, 2)), np.zeros(4), 't', None, ['a'], 1.0))
    with pytest.raises(ValueError, match='truncated'):
        unpack_dataset(gzip.compress(blob[:-3]))


def test_built_digits_match_scikit_learn(built_data):
    sklearn_datasets = pytest.importorskip('sklearn.datasets')
    X, y, header = unpack_dataset((built_data / 'digits.gbd.gz').read_bytes())
    bunch = sklearn_datasets.load_digits()
    np.testing.assert_allclose(X, bunch.data / 16.0, atol=1e-6)
    np.testing.assert_array_equal(y, bunch.target)
    assert header['image_shape'] == [8, 8]


def test_built_mnist_has_10000_images_of_every_class(built_data):
    X, y, header = unpack_dataset((built_data / 'mnist10k.gbd.gz').read_bytes())
    assert X.shape == (10000, 784) and X.dtype == np.float32
    assert 0.0 <= X.min() and X.max() == pytest.approx(1.0)
    assert sorted(set(y.tolist())) == list(range(10)) and min(np.bincount(y)) > 800


def test_split_is_deterministic_stratified_and_disjoint():
    X = np.arange(200, dtype=np.float32).reshape(100, 2)
    y = np.repeat(np.arange(4), 25)
    a = split(X, y, seed=5)
    b = split(X, y, seed=5)
    c = split(X, y, seed=6)
    for first, second in zip(a, b):
        np.testing.assert_array_equal(first, second)
    assert not np.array_equal(a[0], c[0])
    assert np.bincount(a[3]).tolist() == [5, 5, 5, 5]
    assert not set(a[0][:, 0].tolist()) & set(a[2][:, 0].tolist())
    assert len(a[0]) + len(a[2]) == 100


@pytest.mark.parametrize('name', datasets.TOY_SETS)
def test_toy_sets_are_two_dimensional_two_class_and_seeded(name):
    a = load_dataset(name, seed=1, n_samples=200)
    b = load_dataset(name, seed=1, n_samples=200)
    assert a['X_train'].shape[1] == 2 and a['n_classes'] == 2 and a['image_shape'] is None
    assert len(a['X_train']) + len(a['X_val']) == 200
    np.testing.assert_array_equal(a['X_train'], b['X_train'])
    assert set(a['y_train'].tolist()) == {0, 1}


def test_unknown_dataset_names_the_choices():
    with pytest.raises(ValueError, match='digits, mnist'):
        load_dataset('cifar')


def test_missing_packed_file_says_how_to_build_it(tmp_path, monkeypatch):
    monkeypatch.setenv('GLASSBOX_DATA_DIR', str(tmp_path))
    monkeypatch.setattr(datasets, '_registered_blobs', {})
    with pytest.raises(FileNotFoundError, match='build.py build'):
        load_dataset('mnist')


def train_and_score(name, sizes, batch_size, steps, seed=0):
    data = load_dataset(name, seed=seed)
    model = glassbox.MLP(sizes, activation='relu', init='he', seed=seed)
    trainer = glassbox.Trainer(model, data, optimizer='sgd', lr=0.1, batch_size=batch_size, seed=seed)
    trainer.train(steps=steps)
    return trainer.evaluate()['accuracy']


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_digits_64_32_10_reaches_95_percent_validation_accuracy(built_data, seed):
    assert train_and_score('digits', [64, 32, 10], 32, 3000, seed) >= 0.95


def test_mnist_10k_784_128_64_10_reaches_90_percent_validation_accuracy(built_data):
    assert train_and_score('mnist', [784, 128, 64, 10], 64, 3000) >= 0.90


@pytest.mark.parametrize('kw, message', [
    ({'name': 'nope'}, r"unknown dataset 'nope'; choose one of digits, mnist, circle, xor, gaussians, spiral"),
    ({'name': ['xor']}, r"unknown dataset \['xor'\]"),
    ({'name': 'xor', 'n_samples': 0}, r'n_samples must be >= 10, got 0'),
    ({'name': 'xor', 'n_samples': -5}, r'n_samples must be >= 10, got -5'),
    ({'name': 'xor', 'n_samples': 10 ** 9}, r'n_samples must be at most 100000, got 1000000000'),
    ({'name': 'xor', 'n_samples': 60.5}, r'n_samples must be a whole number >= 10, got 60.5'),
    ({'name': 'xor', 'noise': float('nan')}, r'noise must be a number in \[0, 10\], got nan'),
    ({'name': 'xor', 'noise': -1}, r'noise must be a number in \[0, 10\], got -1'),
    ({'name': 'xor', 'val_fraction': -0.2}, r'val_fraction must be a number between 0 and 1 \(exclusive\), got -0.2'),
    ({'name': 'xor', 'val_fraction': 0}, r'val_fraction must be a number between 0 and 1 \(exclusive\), got 0'),
    ({'name': 'digits', 'val_fraction': 1.5}, r'val_fraction must be .* got 1.5'),
    ({'name': 'xor', 'seed': -1}, r'seed must be >= 0, got -1'),
], ids=['unknown', 'unhashable', 'n-zero', 'n-negative', 'n-huge', 'n-fraction', 'noise-nan', 'noise-negative',
        'val-negative', 'val-zero', 'val-over-1', 'seed'])
def test_bad_dataset_arguments_are_refused_by_name(kw, message):
    with pytest.raises(ValueError, match=message):
        load_dataset(**kw)


def test_a_split_that_would_leave_a_class_without_training_samples_is_refused():
    X = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = np.array([0, 0, 0, 0, 0, 7])
    with pytest.raises(ValueError, match=r'val_fraction 0.9 leaves class 7 \(1 sample\) with no training sample'):
        split(X, y, seed=0, val_fraction=0.9)
    with pytest.raises(ValueError, match=r'val_fraction 0.01 of 6 samples leaves the validation set empty'):
        split(X, y, seed=0, val_fraction=0.01)
    with pytest.raises(ValueError, match=r'split needs one label per row: X has 6 rows, y has shape \(5,\)'):
        split(X, y[:5], seed=0)


def test_a_fraction_in_range_never_swaps_train_and_validation():
    data = load_dataset('xor', n_samples=200, val_fraction=0.25)
    assert (len(data['X_train']), len(data['X_val'])) == (150, 50)
