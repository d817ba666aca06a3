"""Functional modules (glassbox.analyses: modules, module_metrics, module_report) against independent answers:
planted groups (adjusted Rand index), hand-computed gradient significance, finite differences,
numpy recomputations of ablation, read-out and edge flow, stable ids, and clear errors."""
from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip('sklearn')

import glassbox  # noqa: E402
from glassbox.analyses import module_metrics as mm  # noqa: E402
from glassbox.analyses import modules as gm  # noqa: E402
from glassbox import protocol  # noqa: E402
from glassbox.protocol import Session, handle_request  # noqa: E402
from glassbox.protocol.wire import unpack  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402

PLANTED = np.array([0] * 8 + [1] * 8)


def two_factor_data(seed, n):
    """Two independent sub-tasks: inputs 0-3 = u + noise, 4-7 = v + noise; y = 2 [u > 0] + [v > 0]."""
    rng = np.random.default_rng(seed)
    u, v = rng.normal(size=n), rng.normal(size=n)
    X = np.concatenate([u[:, None] + 0.3 * rng.normal(size=(n, 4)),
                        v[:, None] + 0.3 * rng.normal(size=(n, 4))], axis=1).astype(np.float32)
    return X, (2 * (u > 0) + (v > 0)).astype(np.int32)


def planted_session(seed=0, train_steps=0, wired=True):
    """A Session on the two-factor task with hidden neurons 0-7 reading only inputs 0-3 and 8-15
    only inputs 4-7. ``wired``: positive hand-set weights; else trained with that mask kept."""
    X, y = two_factor_data(seed, 2000)
    Xv, yv = two_factor_data(seed + 100, 600)
    data = {'name': 'planted', 'X_train': X, 'y_train': y, 'X_val': Xv, 'y_val': yv, 'n_classes': 4,
            'class_names': ['a', 'b', 'c', 'd'], 'image_shape': None,
            'feature_names': ['x%d' % i for i in range(8)]}
    model = glassbox.MLP([8, 16, 4], seed=seed)
    mask = np.zeros((8, 16), np.float32)
    mask[:4, :8] = 1
    mask[4:, 8:] = 1
    rng = np.random.default_rng(seed)
    if wired:
        model.layers[0].W = (mask * rng.uniform(0.5, 1.5, size=(8, 16))).astype(np.float32)
        model.layers[0].b = rng.uniform(0.5, 1.0, size=16).astype(np.float32)
    else:
        model.layers[0].W *= mask
    trainer = glassbox.Trainer(model, data, lr=0.1, seed=seed)
    for _ in range(train_steps):
        trainer.step()
        model.layers[0].W *= mask
    session = Session()
    session.attach(trainer)
    return session


@pytest.mark.parametrize('method', gm.METHODS)
@pytest.mark.parametrize('k', [2, 'auto'])
def test_wired_sub_tasks_are_recovered_as_modules(method, k):
    session = planted_session(wired=True)
    result = handle_request(session, {'op': 'modules', 'layer': 1, 'method': method, 'k': k, 'metrics': False})
    labels = result['layers'][0]['neuron_module']
    assert adjusted_rand_score(PLANTED, labels) >= 0.8, (method, k, labels)


@pytest.mark.parametrize('method', gm.METHODS)
def test_trained_sub_tasks_are_recovered_with_sign_free_similarity(method):
    # Trained units of one sub-task split into "on for u > 0" and "on for u < 0": co-activation
    # separates those halves, dependence (|correlation|) keeps the sub-task together.
    session = planted_session(seed=1, train_steps=1500, wired=False)
    assert session.trainer.evaluate()['accuracy'] > 0.8
    result = handle_request(session, {'op': 'modules', 'layer': 1, 'method': method, 'k': 2, 'similarity': 'dependence',
                                  'metrics': False})
    assert adjusted_rand_score(PLANTED, result['layers'][0]['neuron_module']) >= 0.8


def test_gradient_significance_matches_a_hand_computation_and_zero_case():
    a = np.array([[1.0, -2.0], [0.0, 3.0]])
    g = np.array([[0.5, 1.0], [2.0, -1.0]])
    # (1*0.5 + -2*1 + 0*2 + 3*-1) / (1 + 2 + 0 + 3) = -4.5 / 6
    assert gm.gradient_significance(a, g) == pytest.approx(-0.75)
    assert gm.gradient_significance(np.zeros((3, 2)), np.ones((3, 2))) == 0.0
    assert gm.gradient_significance(np.zeros((0, 2)), np.zeros((0, 2))) == 0.0
    with pytest.raises(ValueError, match='shape'):
        gm.gradient_significance(a, g[:1])


def test_gradient_significance_is_the_loss_slope_of_scaling_the_module_by_finite_differences():
    session = planted_session(seed=2, train_steps=200, wired=False)
    model, X, y = session.trainer.model.astype(np.float64), session.data['X_val'][:200], session.data['y_val'][:200]
    probe = gm.probe_pass(model, X.astype(np.float64), y)
    members = [0, 3, 9, 12]
    A, G = probe['acts'][1][:, members], probe['grad_act'][1][:, members]
    significance = gm.gradient_significance(A, G)

    def mean_loss(eps):
        acts = probe['acts'][1].copy()
        acts[:, members] *= 1 + eps
        return model.loss_fn.value(mm.forward_from(model, 1, acts), y)
    slope = (mean_loss(1e-6) - mean_loss(-1e-6)) / 2e-6
    # sum a.g / N is d(mean loss)/d eps, so G = slope * N / sum |a|
    assert significance == pytest.approx(slope * len(y) / np.abs(A).sum(), rel=1e-5, abs=1e-10)


def test_a_tiny_module_significance_is_reported_exactly_and_a_dead_module_gets_zero():
    model = glassbox.MLP([2, 3, 2], seed=0)
    model.layers[0].W = np.array([[1, 0, 0], [0, 1, 0]], np.float32)
    model.layers[0].b = np.array([0, 0, -100], np.float32)  # neuron 2 never fires
    X, y = np.array([[1, 2], [3, -1]], np.float32), np.array([0, 1])
    probe = gm.probe_pass(model, X, y)
    A, G = probe['acts'][1], probe['grad_act'][1]
    stats = gm.module_stats(A, G, gm.neuron_features(A)[0], np.array([0, 0, 1]))
    hand = sum(A[s, i] * G[s, i] for s in range(2) for i in range(2)) / sum(abs(A[s, i]) for s in range(2) for i in range(2))
    assert stats[0]['gradient_significance'] == pytest.approx(hand, rel=1e-6)
    assert stats[1]['gradient_significance'] == 0.0 and stats[1]['dead_fraction'] == 1.0
    # per-sample gradient: N x the mean-loss gradient the model computes
    model.backward(X, y)
    np.testing.assert_allclose(G, model.layers[0].grad_a * 2, rtol=1e-6)


def test_recomputing_on_an_unchanged_network_keeps_every_id_and_a_rebuild_starts_afresh():
    session = Session()
    session.configure({'hidden': [24, 12], 'seed': 3})
    session.train(150)
    for method in gm.METHODS:
        first = handle_request(session, {'op': 'modules', 'method': method, 'k': 4, 'metrics': False, 'heatmaps': False})
        second = handle_request(session, {'op': 'modules', 'method': method, 'k': 4, 'metrics': False, 'heatmaps': False})
        assert [(m['id'], m['members']) for m in first['modules']] == [(m['id'], m['members']) for m in second['modules']]
        assert [len(e['modules']) for e in first['layers']] == [4, 4]
    ids = {m['id'] for m in first['modules']}
    assert len(ids) == 8  # unique across layers, so colours never clash in the map
    session.train(5)  # a few more steps barely move the members: ids survive
    later = handle_request(session, {'op': 'modules', 'method': 'nmf', 'k': 4, 'metrics': False, 'heatmaps': False})
    assert len(ids & {m['id'] for m in later['modules']}) >= 6
    session.configure({'hidden': [24, 12], 'seed': 4})
    fresh = handle_request(session, {'op': 'modules', 'method': 'nmf', 'k': 4, 'metrics': False, 'heatmaps': False})
    assert min(m['id'] for m in fresh['modules']) == 0


def test_match_ids_keeps_overlapping_modules_and_numbers_new_ones_with_the_smallest_free_id():
    previous = [{'id': 7, 'members': [0, 1, 2, 3]}, {'id': 9, 'members': [4, 5, 6]}]
    assert gm.match_ids(previous, [[4, 5, 6, 7], [0, 1, 2], [8, 9]]) == [9, 7, 0]
    assert gm.match_ids(previous, [[4, 5, 6, 7], [0, 1, 2], [8, 9]], reserved={0, 1}) == [9, 7, 2]
    assert gm.match_ids(previous, [[0, 8, 9, 10], [1, 11, 12, 13]]) == [0, 1]  # Jaccard 1/7 < 0.3: both new
    # A split: the larger half keeps the id, the other takes the next small one (not a counter's 13).
    assert gm.match_ids([{'id': 0, 'members': list(range(8))}, {'id': 1, 'members': list(range(8, 12))}],
                        [list(range(5)), [5, 6, 7], list(range(8, 12))]) == [0, 2, 1]


def test_ids_stay_small_and_counts_steady_over_many_recomputations_while_training():
    session = Session()
    session.configure({'hidden': [24, 12], 'seed': 5})
    counts, previous = [], None
    for _ in range(8):
        session.train(40)
        answer = handle_request(session, {'op': 'modules', 'method': 'kmeans', 'k': 'auto', 'metrics': False, 'heatmaps': False})
        ids = [m['id'] for m in answer['modules']]
        assert len(set(ids)) == len(ids)  # unique across layers
        counts.append(len(ids))
        assert max(ids) < max(counts), ids  # smallest free ids: never above the most modules ever shown (no M0 -> M13)
        for entry in answer['layers']:  # the map's numbers agree: modules listed = distinct neuron ids = k
            assert len(entry['modules']) == entry['k'] == len(set(entry['neuron_module'].tolist()))
        if previous is not None:  # matched modules keep their ids between recomputations
            assert len(set(ids) & set(previous)) >= min(len(ids), len(previous)) - 1, (previous, ids)
        previous = ids
    changes = sum(a != b for a, b in zip(counts, counts[1:]))
    assert changes <= 3, counts


def test_auto_k_keeps_the_previous_k_while_its_silhouette_is_close_to_the_best():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 40)) * 3
    A = np.concatenate([centres[i] + 0.5 * rng.normal(size=(6, 40)) for i in range(3)]).T  # 18 neurons, 3 groups
    free = gm.decompose(A, k='auto')
    assert free['k'] == 3
    scores = {s['k']: s['silhouette'] for s in free['k_scores']}
    close = [k for k, v in scores.items() if k != 3 and v is not None and v >= scores[3] - gm.AUTO_K_MARGIN]
    far = [k for k, v in scores.items() if v is not None and v < scores[3] - gm.AUTO_K_MARGIN]
    for k in close:
        assert gm.decompose(A, k='auto', prefer_k=k)['k'] == k
    assert far and gm.decompose(A, k='auto', prefer_k=far[0])['k'] == 3


def numpy_report(y_true, y_pred, n_classes):
    precision, recall = [], []
    for c in range(n_classes):
        tp = np.sum((y_pred == c) & (y_true == c))
        precision.append(tp / np.sum(y_pred == c) if np.sum(y_pred == c) else 0.0)
        recall.append(tp / np.sum(y_true == c) if np.sum(y_true == c) else 0.0)
    return np.mean(y_true == y_pred), precision, recall


def test_module_metrics_match_a_direct_numpy_computation():
    session = Session()
    session.configure({'hidden': [16], 'seed': 0})
    session.train(300)
    result = handle_request(session, {'op': 'modules', 'layer': 1, 'k': 3, 'n': 300})
    model, trainer = session.trainer.model, session.trainer
    Xv, yv = trainer.X_val[:300], trainer.y_val[:300]
    W0, b0, W1, b1 = (np.asarray(p, np.float64) for p in (model.layers[0].W, model.layers[0].b,
                                                            model.layers[1].W, model.layers[1].b))
    hidden = np.maximum(Xv @ W0 + b0, 0)
    acc, precision, recall = numpy_report(yv, np.argmax(hidden @ W1 + b1, axis=1), 10)
    assert result['baseline']['accuracy'] == pytest.approx(acc)
    np.testing.assert_allclose(result['baseline']['recall'], recall)
    for module in result['modules']:
        silenced = hidden.copy()
        silenced[:, module['members']] = 0
        acc_m, precision_m, recall_m = numpy_report(yv, np.argmax(silenced @ W1 + b1, axis=1), 10)
        ablation = module['metrics']['ablation']
        assert ablation['accuracy'] == pytest.approx(acc_m)
        assert ablation['accuracy_drop'] == pytest.approx(acc - acc_m)
        np.testing.assert_allclose(ablation['precision'], precision_m)
        np.testing.assert_allclose(ablation['recall'], recall_m)
        # read-out: the same logistic regression refitted here, scored with numpy
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier
        Xt = np.maximum(trainer.X_train[:1000] @ W0 + b0, 0)[:, module['members']]
        mean, std = Xt.mean(0), np.where(Xt.std(0) > 1e-12, Xt.std(0), 1)
        clf = OneVsRestClassifier(LogisticRegression(solver='liblinear')).fit((Xt - mean) / std, trainer.y_train[:1000])
        acc_r, precision_r, recall_r = numpy_report(yv, clf.predict((hidden[:, module['members']] - mean) / std), 10)
        assert module['metrics']['readout']['accuracy'] == pytest.approx(acc_r, abs=0.01)
        np.testing.assert_allclose(module['metrics']['readout']['recall'], recall_r, atol=0.06)
    assert result['chance'] == pytest.approx(np.bincount(yv).max() / len(yv))


def test_edge_flow_is_weight_times_probe_gradient_and_heatmap_gradient_matches_finite_differences():
    session = Session()
    session.configure({'hidden': [12, 8], 'seed': 5})
    session.train(100)
    result = handle_request(session, {'op': 'modules', 'k': 3, 'n': 100, 'metrics': False})
    model = session.trainer.model
    Xv, yv = session.trainer.X_val[:100], session.trainer.y_val[:100]
    grads = model.gradients(Xv, yv)  # mean-loss gradients, computed by the model itself
    last = [m for m in result['modules'] if m['layer'] == 2][0]
    flow = np.abs(model.layers[2].W * grads[2]['W'])[last['members'], :]
    edges = {(e['from'], e['to']): e for e in result['edges']}
    for j in range(10):
        assert edges[('m%d' % last['id'], 'out%d' % j)]['flow'] == pytest.approx(flow[:, j].sum(), rel=1e-4, abs=1e-9)
    first = [m for m in result['modules'] if m['layer'] == 1][0]
    block = np.abs(model.layers[1].W * grads[1]['W'])[np.ix_(first['members'], last['members'])]
    assert edges[('m%d' % first['id'], 'm%d' % last['id'])]['flow'] == pytest.approx(block.sum(), rel=1e-4, abs=1e-9)
    assert edges[('m%d' % first['id'], 'm%d' % last['id'])]['weight'] == pytest.approx(
        model.layers[1].W[np.ix_(first['members'], last['members'])].sum(), rel=1e-5, abs=1e-6)
    # input gradient of a layer-2 module's mean activation, averaged over the probe samples
    model64 = model.astype(np.float64)
    X64 = Xv.astype(np.float64)

    def mean_act(X):
        return gm.probe_pass(model64, X, yv)['acts'][2][:, last['members']].mean()
    pixel = int(np.argmax(np.abs(last['input_gradient'])))
    step = np.zeros_like(X64)
    step[:, pixel] = 1e-5
    # shifting that pixel in every sample: d(mean over samples)/dh = mean of the per-sample gradients
    fd = (mean_act(X64 + step) - mean_act(X64 - step)) / 2e-5
    assert last['input_gradient'][pixel] == pytest.approx(fd, rel=1e-3)


def test_low_dimensional_features_keep_distances_and_clusterings():
    rng = np.random.default_rng(0)
    A = np.maximum(rng.normal(size=(400, 12)) @ rng.normal(size=(12, 20)), 0)
    F_full = gm._standardise(A).T / np.sqrt(400)
    F_low, _ = gm.neuron_features(A)
    assert F_low.shape[1] <= 20
    dist = lambda F: np.linalg.norm(F[:, None] - F[None], axis=2)  # noqa: E731
    np.testing.assert_allclose(dist(F_low), dist(F_full), atol=1e-9)
    for method in ('kmeans', 'agglomerative'):
        assert adjusted_rand_score(gm.cluster(F_full, None, method, 4), gm.cluster(F_low, None, method, 4)) == 1.0


def test_function_labels_name_the_classes_a_module_responds_to():
    y = np.repeat(np.arange(10), 5)
    pattern = np.where(np.isin(y, [0, 6]), 2.0, 0.1)
    info = mm.describe(pattern, y, None, [str(c) for c in range(10)], None)
    assert info['label'] == 'mostly 0 and 6' and info['top_classes'] == [0, 6]
    assert mm.describe(np.ones(50), y, None, [str(c) for c in range(10)], None)['label'] == 'no class preference'
    assert mm.describe(np.arange(50.0), y, None, [str(c) for c in range(10)], None)['label'] == 'broad, most for 9 and 8'
    X = np.stack([pattern, -pattern + np.random.default_rng(0).normal(size=50) * 0.01, np.ones(50)], axis=1)
    features = mm.describe(pattern, y, X, [str(c) for c in range(10)], ['a', 'b', 'c'])['top_features']
    assert [f['name'] for f in features[:2]] == ['a', 'b'] and features[1]['corr'] < -0.99


def test_alerts_flag_dead_starved_underperforming_and_redundant_modules():
    session = planted_session(seed=0, wired=True)
    model, rng = session.trainer.model, np.random.default_rng(0)
    for split in ('train', 'val'):                # inputs 4-7 become pure noise, unrelated to y
        X = session.data['X_' + split]
        X[:, 4:] = rng.normal(size=(len(X), 4))
        getattr(session.trainer, 'X_' + split)[:, 4:] = X[:, 4:]
    model.layers[0].b[12:] = -100.0           # neurons 12-15 never fire: a dead module
    model.layers[0].W[5:, 8:12] = 0.0         # neurons 8-11 read one noise input (a coherent group) ...
    model.layers[1].W[8:12] = 0.0             # ... and feed nothing: no gradient reaches them
    result = handle_request(session, {'op': 'modules', 'layer': 1, 'method': 'agglomerative', 'k': 4})
    kinds = {a['kind'] for a in result['alerts']}
    assert {'dead', 'gradient-starved', 'underperforming', 'redundant'} <= kinds, result['alerts']
    members = {}
    for alert in result['alerts']:  # every neuron named by alerts of each kind
        members.setdefault(alert['kind'], set()).update(
            i for m in result['modules'] if m['id'] in alert['modules'] for i in m['members'])
    assert members['dead'] == {12, 13, 14, 15}
    assert members['gradient-starved'] == members['underperforming'] == {8, 9, 10, 11}
    # the 4 clusters split one planted group in two halves, which then look alike
    assert members['redundant'] <= set(range(8)) or members['redundant'] <= {8, 9, 10, 11}
    assert all(a['advice'] for a in result['alerts'])


def test_compare_reports_the_adjusted_rand_index_of_two_decompositions():
    session = planted_session(wired=True)
    out = handle_request(session, {'op': 'modules_compare', 'layer': 1, 'a': {'method': 'kmeans', 'k': 2}, 'b': {'method': 'nmf', 'k': 2}})
    assert out['ari'] == pytest.approx(adjusted_rand_score(out['a']['neuron_module'], out['b']['neuron_module']))
    assert out['contingency'].sum() == 16 and out['ari'] >= 0.8


def test_the_op_round_trips_the_wire_and_bad_requests_are_named():
    def call(request):
        return unpack(protocol.handle(json.dumps(request)))
    assert call({'op': 'configure', 'config': {'hidden': [10]}})['ok']
    ok = call({'op': 'modules', 'layer': 1, 'k': '3', 'n': 50})
    assert ok['ok'] and len(ok['value']['modules']) == 3
    assert ok['value']['modules'][0]['pattern'].shape == (50,)
    assert ok['value']['modules'][0]['input_weighted'].shape == (64,)
    for request, word in [({'layer': 0}, 'layer'), ({'layer': 2}, 'layer'), ({'layer': 'x'}, 'layer'),
                          ({'method': 'pca'}, 'method'), ({'k': 0}, 'k'), ({'k': 'many'}, 'k'),
                          ({'n': 5}, 'n'), ({'split': 'test'}, 'split'), ({'similarity': 1}, 'similarity')]:
        bad = call(dict(request, op='modules'))
        assert bad['ok'] is False and word in bad['error'], (request, bad)
    assert 'layer' in call({'op': 'modules_compare', 'a': {}, 'b': {}})['error']
    assert 'layer' in call({'op': 'modules_compare', 'layer': 'all', 'a': {}, 'b': {}})['error']
    assert 'must be an object' in call({'op': 'modules_compare', 'layer': 1, 'a': 3, 'b': {}})['error']
    assert call({'op': 'train', 'steps': 1})['ok']  # the session survives
    protocol.SESSION.trainer.model.layers[0].W[0, 0] = np.nan  # a diverged network
    diverged = call({'op': 'modules'})
    assert diverged['ok'] is False and 'non-finite' in diverged['error']
