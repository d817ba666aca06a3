"""glassbox.plane: the decision and every neuron's output over the input plane of a 2-D dataset."""
from __future__ import annotations

import numpy as np
import pytest

from glassbox.analyses.plane import grid_points
from glassbox.protocol import Session, handle_request


@pytest.fixture(scope='module')
def trained():
    s = Session()
    s.configure({'dataset': 'xor', 'hidden': [6, 4], 'activation': 'tanh', 'init': 'glorot', 'seed': 1})
    s.train(400)
    return s


def test_grid_rows_run_top_to_bottom_and_columns_left_to_right():
    pts = grid_points([0, 4, 0, 2], 2)
    assert np.allclose(pts, [[1, 1.5], [3, 1.5], [1, 0.5], [3, 0.5]])


def test_the_plane_is_the_network_evaluated_at_each_cell_centre(trained):
    result = handle_request(trained, {'op': 'input_plane', 'grid': 16, 'neuron_grid': 8, 'points': 100})
    model = trained.trainer.model
    pts = grid_points(result['extent'], 16)
    probs = model.predict_proba(pts)
    assert np.allclose(result['prob'].ravel(), probs[:, 1], atol=1e-6)
    assert np.array_equal(result['pred'].ravel(), np.argmax(probs, axis=1))
    small = grid_points(result['extent'], 8)
    a = np.tanh(small @ model.layers[0].W + model.layers[0].b)
    assert np.allclose(result['neurons'][0], a.T.reshape(6, 8, 8), atol=1e-5)
    b = np.tanh(a @ model.layers[1].W + model.layers[1].b)
    assert np.allclose(result['neurons'][1], b.T.reshape(4, 8, 8), atol=1e-5)
    assert np.allclose(result['inputs'][0], small[:, 0].reshape(8, 8))
    assert result['points'].shape == (100, 2) and set(result['split']) == {0, 1}
    # Every data point lies inside the plane.
    x_lo, x_hi, y_lo, y_hi = result['extent']
    X = np.concatenate([trained.data['X_train'], trained.data['X_val']])
    assert X[:, 0].min() > x_lo and X[:, 0].max() < x_hi and X[:, 1].min() > y_lo and X[:, 1].max() < y_hi
    # Trained on xor, the decision agrees with the data it was trained on.
    assert np.mean(model.predict(result['points']) == result['labels']) > 0.75


def test_image_datasets_have_no_input_plane():
    s = Session()
    s.configure({'dataset': 'digits', 'hidden': [4]})
    with pytest.raises(ValueError, match='2 input features; digits has 64'):
        handle_request(s, {'op': 'input_plane'})
