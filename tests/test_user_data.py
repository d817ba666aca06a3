"""The user's own data in the engine (data/user.py, protocol/data_ops.py 'load_data'): arrays and IDX
files become the main run's data with a seeded stratified split and optional standardisation by the
training split; every bad input is refused with a message naming the problem and where, and the
session (its runs, steps and settings) stays as it was."""
from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from glassbox.data.registry import USER_NOT_LOADED
from glassbox.data.user import USER_LIMITS, stratified_split, user_dataset, user_idx
from glassbox.protocol import Session, handle_request, pack, shared_tables, unpack
from glassbox.protocol.entry import handle as handle_packed


def table(n=200, d=3, classes=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(5.0, 3.0, size=(n, d)).astype(np.float32)
    y = (np.arange(n) % classes).astype(np.int32)
    X[:, 0] += 8 * y  # a learnable signal
    return X, y


def idx_file(array: np.ndarray) -> bytes:
    codes = {np.dtype('uint8'): 0x08, np.dtype('>i4'): 0x0C}
    array = np.asarray(array)
    return struct.pack('>BBBB', 0, 0, codes[array.dtype], array.ndim) + \
        struct.pack('>' + 'I' * array.ndim, *array.shape) + array.tobytes()


@pytest.fixture()
def trained():
    """A session whose main run trained 7 steps on digits with non-default settings."""
    s = Session()
    s.configure({'hidden': [12], 'lr': 0.05})
    s.train(7)
    return s


def unchanged(s: Session, before: dict) -> None:
    assert s.runs['main'].trainer.step_count == before['step']
    assert s.config == before['config'] and s.data['name'] == before['dataset']
    assert sorted(s.runs) == before['runs']


def state_of(s: Session) -> dict:
    return {'step': s.runs['main'].trainer.step_count, 'config': dict(s.config), 'dataset': s.data['name'],
            'runs': sorted(s.runs)}


# ------------------------------------------------------------------ good data

def test_a_table_replaces_the_main_run_keeping_the_architecture_and_trains(trained):
    X, y = table()
    answer = handle_request(trained, {'op': 'load_data', 'X': X, 'y': y, 'class_names': ['no', 'yes'],
                                      'feature_names': ['a', 'b', 'c'], 'name': 'my.csv', 'source': 'csv',
                                      'standardize': True})
    assert answer['config']['dataset'] == 'user' and answer['config']['hidden'] == [12] and answer['config']['lr'] == 0.05
    info = answer['info']
    assert info['layer_sizes'] == [3, 12, 2] and info['class_names'] == ['no', 'yes'] and info['feature_names'] == ['a', 'b', 'c']
    assert (info['n_train'], info['n_val']) == (160, 40)
    assert info['user']['name'] == 'my.csv' and info['user']['class_counts'] == [100, 100]
    assert info['user']['bytes'] == 200 * 3 * 4 + 200 * 4 and info['user']['standardized']
    before = handle_request(trained, {'op': 'evaluate'})['val']['accuracy']
    handle_request(trained, {'op': 'train', 'steps': 200})
    assert handle_request(trained, {'op': 'evaluate'})['val']['accuracy'] > max(0.8, before)


def test_standardisation_uses_the_training_split_only():
    X, y = table(n=300, seed=3)
    data = user_dataset(X, y, standardize=True, seed=5)
    train, val = stratified_split(y, 5, 0.2)
    mu, sigma = X[train].astype(np.float64).mean(0), X[train].astype(np.float64).std(0)
    np.testing.assert_allclose(data['X_train'], (X[train] - mu) / sigma, atol=1e-5)
    np.testing.assert_allclose(data['X_val'], (X[val] - mu) / sigma, atol=1e-5)
    np.testing.assert_allclose(data['user']['standardization']['mean'], mu, rtol=1e-6)
    assert abs(data['X_val'].mean()) > 1e-3  # validation statistics did not take part


def test_the_split_is_seeded_and_stratified_with_at_least_one_of_each_class_on_each_side():
    y = np.array([0] * 50 + [1] * 5 + [2] * 2)
    train, val = stratified_split(y, 9, 0.2)
    assert sorted(np.concatenate([train, val])) == list(range(len(y)))
    assert [int((y[val] == c).sum()) for c in range(3)] == [10, 1, 1]
    again = stratified_split(y, 9, 0.2)
    assert np.array_equal(train, again[0]) and np.array_equal(val, again[1])
    assert not np.array_equal(val, stratified_split(y, 10, 0.2)[1])


def test_two_columns_get_the_input_plane():
    s = Session()
    s.configure({})
    X, y = table(d=2)
    handle_request(s, {'op': 'load_data', 'X': X, 'y': y, 'standardize': True})
    plane = handle_request(s, {'op': 'input_plane', 'grid': 8, 'neuron_grid': 4, 'points': 40})
    assert plane['prob'].shape == (8, 8) or plane['prob'].size == 64


def test_images_get_morph_and_draw():
    s = Session()
    s.configure({})
    rng = np.random.default_rng(1)
    X = rng.random((60, 64)).astype(np.float32)
    y = np.repeat(np.arange(3), 20).astype(np.int32)
    X[y == 1, :8] = 1.0
    answer = handle_request(s, {'op': 'load_data', 'X': X, 'y': y, 'image_shape': [8, 8], 'class_names': ['a', 'b', 'c']})
    assert answer['info']['image_shape'] == [8, 8]
    morph = handle_request(s, {'op': 'morph', 'from': {'class': 0}, 'to': {'class': 2}, 'steps': 5})
    assert morph['x'].shape == (5, 64)
    drawn = handle_request(s, {'op': 'classify_input', 'input': {'x': [0.5] * 64}})
    assert drawn['probs'].shape[-1] == 3


def test_idx_files_gzip_or_not_load_with_pixels_scaled_to_one():
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, size=(40, 5, 4)).astype(np.uint8)
    labels = np.repeat(np.arange(4), 10).astype(np.uint8)
    s = Session()
    s.configure({})
    answer = handle_request(s, {'op': 'load_data', 'idx_images': np.frombuffer(gzip.compress(idx_file(images)), np.uint8),
                                'idx_labels': np.frombuffer(idx_file(labels), np.uint8), 'seed': 3})
    assert answer['info']['image_shape'] == [5, 4] and answer['info']['class_names'] == ['0', '1', '2', '3']
    all_x = np.concatenate([s.data['X_train'], s.data['X_val']])
    assert sorted(map(tuple, all_x)) == sorted(map(tuple, images.reshape(40, 20) / np.float32(255)))


def test_the_user_dataset_stays_in_the_session_across_configures():
    s = Session()
    s.configure({})
    X, y = table()
    handle_request(s, {'op': 'load_data', 'X': X, 'y': y})
    s.configure(dict(s.config, dataset='digits'))
    assert s.data['name'] == 'digits'
    back = s.configure(dict(s.config, dataset='user', hidden=[5]))
    assert back['info']['layer_sizes'] == [3, 5, 2] and back['info']['user']['rows'] == 200


def test_a_packed_request_from_the_page_reaches_the_op():
    s_answer = unpack(handle_packed('', pack({'op': 'configure', 'config': {}})))
    assert s_answer['ok']
    X, y = table()
    answer = unpack(handle_packed('', pack({'op': 'load_data', 'X': X, 'y': y, 'name': 'packed'})))
    assert answer['ok'], answer.get('error')
    assert answer['value']['info']['user']['name'] == 'packed'


def test_the_limits_reach_the_page_through_the_tables():
    assert shared_tables()['limits']['user_data'] == dict(USER_LIMITS, dataset='user', not_loaded=USER_NOT_LOADED)
    assert 'user' in next(r for r in shared_tables()['config_fields'] if r['key'] == 'dataset')['options']


# ------------------------------------------------------------------ bad data: named, nothing lost

def test_a_reload_without_the_data_says_it_is_not_loaded(trained):
    before = state_of(trained)
    with pytest.raises(ValueError, match="Your data set isn't loaded in this tab: load it again or open a saved run"):
        handle_request(trained, {'op': 'configure', 'config': dict(trained.config, dataset='user')})
    unchanged(trained, before)


def bad(trained, request, *words):
    before = state_of(trained)
    with pytest.raises(ValueError) as caught:
        handle_request(trained, dict({'op': 'load_data'}, **request))
    for word in words:
        assert word in str(caught.value), (word, str(caught.value))
    unchanged(trained, before)
    return str(caught.value)


def test_one_class_only_is_refused_by_name(trained):
    X, _ = table()
    bad(trained, {'X': X, 'y': np.zeros(200, np.int32), 'class_names': ['cat']}, "only one class ('cat')")


def test_a_label_with_one_sample_is_named(trained):
    X, y = table(n=41)
    y = np.where(np.arange(41) == 40, 2, y % 2).astype(np.int32)
    bad(trained, {'X': X, 'y': y, 'class_names': ['a', 'b', 'rare']}, "label 'rare' has only 1 row", 'stratified')


@pytest.mark.parametrize('value, word', [(np.nan, 'nan'), (np.inf, 'inf'), (-np.inf, '-inf')])
def test_nan_and_inf_name_the_row_and_column(trained, value, word):
    X, y = table()
    X[17, 2] = value
    bad(trained, {'X': X, 'y': y, 'feature_names': ['a', 'b', 'c'], 'name': 'f.csv'}, "'f.csv': row 18, column 'c' holds " + word)


def test_labels_and_rows_of_different_lengths_are_named(trained):
    X, y = table()
    bad(trained, {'X': X, 'y': y[:150]}, '200 rows but y has shape (150,)')


def test_too_many_rows_features_or_values_are_refused_with_the_limit(trained):
    big = np.lib.stride_tricks.as_strided(np.zeros(1, np.float32), (USER_LIMITS['max_rows'] + 1, 2), (0, 0))
    bad(trained, {'X': big, 'y': np.zeros(len(big), np.int32)}, 'rows; at most 70000')
    wide = np.zeros((4, USER_LIMITS['max_features'] + 1), np.float32)
    bad(trained, {'X': wide, 'y': np.array([0, 0, 1, 1])}, '4097 features; at most 4096')
    many = np.lib.stride_tricks.as_strided(np.zeros(1, np.float32), (20000, 4000), (0, 0))
    bad(trained, {'X': many, 'y': np.zeros(20000, np.int32)}, 'values; at most 54880000')


def test_too_many_classes_are_refused(trained):
    X = np.zeros((202, 2), np.float32)
    bad(trained, {'X': X, 'y': (np.arange(202) % 101).astype(np.int32)}, 'labels up to 100; at most 100 classes fit')


def test_images_outside_zero_one_or_of_the_wrong_shape_are_named(trained):
    X, y = table(d=4)
    bad(trained, {'X': X, 'y': y, 'image_shape': [3, 3]}, 'height x width = 4')
    bad(trained, {'X': X, 'y': y, 'image_shape': [2, 2]}, 'pixels must be in [0, 1]')


def test_idx_images_and_labels_of_different_counts_are_named(trained):
    images = np.zeros((10, 3, 3), np.uint8)
    labels = np.arange(9, dtype=np.uint8) % 2
    bad(trained, {'idx_images': np.frombuffer(idx_file(images), np.uint8), 'idx_labels': np.frombuffer(idx_file(labels), np.uint8),
                  'idx_files': ['train-images.idx3-ubyte', 'train-labels.idx1-ubyte']},
        'train-images.idx3-ubyte holds 10 images but train-labels.idx1-ubyte holds 9 labels')


def test_idx_files_swapped_or_broken_are_named(trained):
    images = idx_file(np.zeros((10, 3, 3), np.uint8))
    labels = idx_file((np.arange(10) % 2).astype(np.uint8))
    as_bytes = lambda b: np.frombuffer(b, np.uint8)  # noqa: E731
    bad(trained, {'idx_images': as_bytes(labels), 'idx_labels': as_bytes(images), 'idx_files': ['l.idx', 'i.idx']},
        'l.idx must hold images')
    bad(trained, {'idx_images': as_bytes(images[:-5]), 'idx_labels': as_bytes(labels), 'idx_files': ['cut.idx', 'l.idx']}, 'cut.idx')
    bad(trained, {'idx_images': as_bytes(images), 'idx_labels': as_bytes(labels), 'X': np.zeros((2, 2), np.float32)}, 'not both')


def test_user_idx_on_the_limit_of_bytes_refuses_before_reading():
    with pytest.raises(ValueError, match='at most 64000000 bytes'):
        user_idx(b'\0' * (USER_LIMITS['max_idx_bytes'] + 1), b'')


def test_every_analysis_answers_on_a_user_table():
    s = Session()
    s.configure({})
    X, y = table(n=240, d=5, classes=3)
    handle_request(s, {'op': 'load_data', 'X': X, 'y': y, 'standardize': True, 'class_names': ['a', 'b', 'c']})
    handle_request(s, {'op': 'train', 'steps': 30})
    assert handle_request(s, {'op': 'pour', 'a': 0, 'b': [1, 2], 'n': 20})['layers']
    assert handle_request(s, {'op': 'project', 'layer': 1, 'n': 50})['coords'].shape == (48, 2)
    assert handle_request(s, {'op': 'perturb', 'target': {'layer': 0, 'kind': 'bias', 'j': 0}, 'value': 1.0})
    assert handle_request(s, {'op': 'modules', 'layer': 1, 'n': 40})
    assert handle_request(s, {'op': 'fork', 'changes': {'lr': 0.01}})['run'] == 'fork-1'
    assert handle_request(s, {'op': 'morph', 'from': {'class': 0}, 'to': {'class': 2}, 'steps': 4})['x'].shape == (4, 5)
    with pytest.raises(ValueError, match='2 input features; user has 5'):
        handle_request(s, {'op': 'input_plane'})
