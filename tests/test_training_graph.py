"""The training-step graph (interop/training_graph.py) under CPython onnxruntime (CPU, one thread).

Tolerances (float32 graph against the float32 numpy engine, same weights, SAME batches from
Trainer.plan_batches):
- 200 steps on digits (64-32-16-10, batch 32), every activation x optimiser x weight decay x loss:
  each step's loss to LOSS_RTOL = 1e-4 relative, final parameters to PARAM_ATOL = 3e-5 absolute
  (measured at the time of writing: at most 9e-6 and 3.2e-6);
- 784-128-64-10, 12 steps: the same, except Adam's few noise-gradient entries (see that test);
- the Loop (steps=K) against K single steps: losses to LOOP_RTOL = 1e-6 (reductions in another
  order), parameters to LOOP_ATOL = 1e-6 (measured: 1.8e-7);
- one step against torch autograd + torch.optim in float64 (an independent answer): every update
  and buffer to TORCH_RTOL = 1e-5 of the tensor's largest entry.
"""
from __future__ import annotations

import ast

import numpy as np
import pytest

import glassbox
from glassbox.interop import training_graph as tg
from glassbox.nn.model import MLP
from glassbox.train.trainer import Trainer
from onnx_helpers import count_nodes, session

LOSS_RTOL = 1e-4
PARAM_ATOL = 3e-5
LOOP_ATOL = 1e-6
LOOP_RTOL = 1e-6
TORCH_RTOL = 1e-5
ACTIVATIONS = ('relu', 'leaky_relu', 'tanh', 'sigmoid', 'linear')
LR = {'sgd': 0.1, 'momentum': 0.05, 'adam': 0.003}


@pytest.fixture(scope='module')
def digits():
    return glassbox.load_dataset('digits')


def make_trainer(data, sizes=(64, 32, 16, 10), activation='relu', optimizer='sgd', wd=0.0, loss='cross_entropy',
                 batch_size=32, seed=0):
    model = MLP(list(sizes), activation=activation, seed=seed, loss=loss)
    lr = LR[optimizer] / (10 if (activation, loss) == ('linear', 'mse') else 1)  # a linear net under mse diverges
    return Trainer(model, data, optimizer=optimizer, lr=lr, batch_size=batch_size, seed=seed,
                   weight_decay=wd)


def onnx_steps(trainer, sess, steps, per_call=1):
    """Train ``steps`` steps through the graph, ``per_call`` batches per call (equal lengths only);
    returns the losses."""
    losses = []
    while len(losses) < steps:
        batches = trainer.plan_batches(min(per_call, steps - len(losses)))
        groups = [[batches[0]]]
        for b in batches[1:]:
            (groups[-1].append(b) if len(b) == len(groups[-1][0]) else groups.append([b]))
        for group in groups:
            x, y = tg.one_hot_batches(trainer, group)
            feeds = tg.training_feeds(trainer)
            feeds.update(x=x, y=y)
            out = sess.run(None, feeds)
            tg.adopt_training_outputs(trainer, out, group)
            losses.extend(out[-2].tolist())
    return np.array(losses)


def max_param_diff(a, b):
    return max(float(np.abs(pa[k] - pb[k]).max()) for pa, pb in zip(a.model.params(), b.model.params())
               for k in ('W', 'b'))


@pytest.mark.parametrize('loss', ['cross_entropy', 'mse'])
@pytest.mark.parametrize('wd', [0.0, 1e-3])
@pytest.mark.parametrize('optimizer', ['sgd', 'momentum', 'adam'])
@pytest.mark.parametrize('activation', ACTIVATIONS)
def test_graph_follows_numpy_for_200_steps(digits, activation, optimizer, wd, loss):
    numpy_run = make_trainer(digits, activation=activation, optimizer=optimizer, wd=wd, loss=loss)
    graph_run = make_trainer(digits, activation=activation, optimizer=optimizer, wd=wd, loss=loss)
    sess = session(tg.training_spec(graph_run.model, graph_run.optimizer))
    expected = np.array([numpy_run.step() for _ in range(200)])
    got = onnx_steps(graph_run, sess, 200)
    assert np.all(np.isfinite(expected))
    np.testing.assert_allclose(got, expected, rtol=LOSS_RTOL, atol=0)
    assert max_param_diff(numpy_run, graph_run) < PARAM_ATOL
    assert graph_run.step_count == numpy_run.step_count == 200


@pytest.mark.parametrize('loss', ['cross_entropy', 'mse'])
@pytest.mark.parametrize('optimizer', ['sgd', 'momentum', 'adam'])
@pytest.mark.parametrize('activation', ACTIVATIONS)
def test_loop_of_k_steps_equals_k_single_steps(digits, activation, optimizer, loss):
    """60 steps in calls of up to 20 (an epoch ends at step 45, whose batch is shorter: calls of
    20, 20, 4, 1, 15 batches), against 60 plain single-step calls."""
    single = make_trainer(digits, activation=activation, optimizer=optimizer, wd=1e-3, loss=loss)
    looped = make_trainer(digits, activation=activation, optimizer=optimizer, wd=1e-3, loss=loss)
    expected = onnx_steps(single, session(tg.training_spec(single.model, single.optimizer)), 60)
    loop_spec = tg.training_spec(looped.model, looped.optimizer, steps=20)
    assert [n['op'] for n in loop_spec['nodes']].count('Loop') == 1
    got = onnx_steps(looped, session(loop_spec), 60, per_call=20)
    np.testing.assert_allclose(got, expected, rtol=LOOP_RTOL, atol=0)
    assert max_param_diff(single, looped) <= LOOP_ATOL
    assert looped.optimizer.t == single.optimizer.t == 60 and looped.samples_seen == single.samples_seen


@pytest.mark.parametrize('optimizer', ['sgd', 'momentum', 'adam'])
def test_adopted_outputs_leave_the_trainer_as_a_numpy_run_would(digits, optimizer):
    numpy_run = make_trainer(digits, optimizer=optimizer, wd=1e-3)
    graph_run = make_trainer(digits, optimizer=optimizer, wd=1e-3)
    sess = session(tg.training_spec(graph_run.model, graph_run.optimizer, steps=8))
    W0 = graph_run.model.layers[0].W  # views hold this array: it must be updated in place
    for lr in (LR[optimizer], LR[optimizer] / 3):  # a new lr is a new 'hyper', not a new graph
        numpy_run.lr = graph_run.lr = lr
        expected = [numpy_run.step() for _ in range(50)]
        np.testing.assert_allclose(onnx_steps(graph_run, sess, 50, per_call=8), expected, rtol=LOSS_RTOL)
        a, b = numpy_run.consume_train_metrics(), graph_run.consume_train_metrics()
        assert b['accuracy'] == a['accuracy'] and b['loss'] == pytest.approx(a['loss'], rel=LOSS_RTOL)
    assert graph_run.model.layers[0].W is W0
    for attr in ('step_count', 'samples_seen', 'epoch'):
        assert getattr(graph_run, attr) == getattr(numpy_run, attr)
    assert graph_run.optimizer.t == numpy_run.optimizer.t == 100
    sa, sb = numpy_run.optimizer.state, graph_run.optimizer.state
    assert [{k: sorted(v) for k, v in layer.items()} for layer in sb] == \
        [{k: sorted(v) for k, v in layer.items()} for layer in sa]
    for la, lb in zip(sa, sb):
        for key in la:
            for buf in la[key]:
                np.testing.assert_allclose(lb[key][buf], la[key][buf], rtol=0, atol=PARAM_ATOL)
                assert lb[key][buf].dtype == np.float32
    for ba, bb in zip(numpy_run.plan_batches(3), graph_run.plan_batches(3)):
        np.testing.assert_array_equal(ba, bb)
    # both continue in numpy alike
    np.testing.assert_allclose(graph_run.train(5), numpy_run.train(5), rtol=LOSS_RTOL)


def test_adopt_takes_outputs_by_name_as_flat_arrays(digits):
    """As onnxruntime-web hands them to Python: name -> flat Float32Array."""
    numpy_run, graph_run = make_trainer(digits, optimizer='momentum'), make_trainer(digits, optimizer='momentum')
    sess = session(tg.training_spec(graph_run.model, graph_run.optimizer))
    expected = numpy_run.step()
    batches = graph_run.plan_batches(1)
    x, y = tg.one_hot_batches(graph_run, batches)
    feeds = tg.training_feeds(graph_run)
    feeds.update(x=x, y=y)
    out = {o.name: v.ravel() for o, v in zip(sess.get_outputs(), sess.run(None, feeds))}
    tg.adopt_training_outputs(graph_run, out, batches)
    assert graph_run.consume_train_metrics()['loss'] == pytest.approx(expected, rel=LOSS_RTOL)
    assert max_param_diff(numpy_run, graph_run) < PARAM_ATOL and graph_run.optimizer.t == 1


def torch_step(trainer, x, y, lr):
    """Parameters and buffers after one step computed by torch autograd + torch.optim in float64,
    from the trainer's current state (its optimiser's t and buffers)."""
    torch = pytest.importorskip('torch')
    model, opt = trainer.model, trainer.optimizer
    params = [[torch.tensor(p[k], dtype=torch.float64, requires_grad=True) for k in ('W', 'b')]
              for p in model.params()]
    a = torch.tensor(x, dtype=torch.float64)
    acts = {'relu': torch.relu, 'tanh': torch.tanh, 'sigmoid': torch.sigmoid, 'linear': lambda z: z,
            'leaky_relu': lambda z: torch.nn.functional.leaky_relu(z, 0.01)}
    for (W, b), layer in zip(params, model.layers):
        a = acts[layer.activation_name](a @ W + b)
    target = torch.tensor(y, dtype=torch.float64)
    if model.loss_name == 'cross_entropy':
        loss = torch.nn.functional.cross_entropy(a, target.argmax(1))
    else:
        loss = 0.5 * ((a - target) ** 2).sum(1).mean()
    loss.backward()
    groups = [{'params': [W for W, _ in params], 'weight_decay': opt.weight_decay},
              {'params': [b for _, b in params], 'weight_decay': 0.0}]
    if opt.name == 'adam':
        topt = torch.optim.Adam(groups, lr=lr, betas=opt.betas, eps=opt.eps, foreach=False)
    else:
        topt = torch.optim.SGD(groups, lr=lr, momentum=getattr(opt, 'momentum', 0.0), foreach=False)
    for l, pair in enumerate(params):
        for key, p in zip(('W', 'b'), pair):
            if opt.name == 'momentum':
                topt.state[p]['momentum_buffer'] = torch.tensor(opt.state[l][key]['v'], dtype=torch.float64)
            if opt.name == 'adam':
                topt.state[p].update(step=torch.tensor(float(opt.t), dtype=torch.float64),
                                     exp_avg=torch.tensor(opt.state[l][key]['m'], dtype=torch.float64),
                                     exp_avg_sq=torch.tensor(opt.state[l][key]['v'], dtype=torch.float64))
    topt.step()
    out = {}
    for l, pair in enumerate(params):
        for key, p in zip(('W', 'b'), pair):
            out['%s%d' % (key, l)] = p.detach().numpy()
            names = {'momentum': {'v': 'momentum_buffer'}, 'adam': {'m': 'exp_avg', 'v': 'exp_avg_sq'}}
            for buf, tname in names.get(opt.name, {}).items():
                out['%s%d.%s' % (key, l, buf)] = topt.state[p][tname].numpy()
    correct = float((a.argmax(1) == target.argmax(1)).sum())
    return out, float(loss.detach()), correct


def check_one_step_against_torch(trainer):
    sess = session(tg.training_spec(trainer.model, trainer.optimizer))
    batch = trainer.plan_batches(1)
    x, y = tg.one_hot_batches(trainer, batch)
    feeds = tg.training_feeds(trainer)
    expected, expected_loss, expected_correct = torch_step(trainer, x[0], y[0], trainer.lr)
    feeds.update(x=x, y=y)
    out = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, feeds)))
    assert out['loss'].shape == out['correct'].shape == (1,)
    assert out['loss'][0] == pytest.approx(expected_loss, rel=TORCH_RTOL)
    assert out['correct'][0] == expected_correct
    for name, want in expected.items():
        start = feeds[name].astype(np.float64) if '.' not in name else 0.0
        got, want = out[name + '.next'] - start, want - start
        scale = np.abs(want).max()
        assert scale > 0, name
        assert np.abs(got - want).max() <= TORCH_RTOL * scale, name


@pytest.mark.parametrize('loss', ['cross_entropy', 'mse'])
@pytest.mark.parametrize('optimizer', ['sgd', 'momentum', 'adam'])
@pytest.mark.parametrize('activation', ['relu', 'leaky_relu', 'tanh', 'sigmoid'])
def test_one_step_agrees_with_torch_autograd(digits, activation, optimizer, loss):
    """lr = 1000 makes each update (lr x gradient) dwarf the parameters, so comparing the update
    W' - W (and momentum's v, Adam's m and v) checks the gradients themselves; the trainer first
    takes 3 numpy steps so that buffers and Adam's t are not at their start."""
    trainer = make_trainer(digits, activation=activation, optimizer=optimizer, wd=1e-2, loss=loss)
    trainer.train(3)
    trainer.lr = 1000.0
    check_one_step_against_torch(trainer)


@pytest.mark.parametrize('betas', [(0.9, 0.999), (0.0, 0.99), (0.5, 0.9999)])
@pytest.mark.parametrize('t', [0, 1, 9, 999, 99999])
def test_adam_bias_corrections_at_any_step(digits, t, betas):
    """1 - beta^t from t and 1 - beta to float32 precision, from the first step (where 1 - exp(..)
    alone would be 1e-4 off) to t = 1e5 (where beta2^t underflows)."""
    trainer = make_trainer(digits, optimizer='adam')
    trainer.optimizer.betas = betas
    trainer.train(3)
    trainer.optimizer.t = t
    trainer.lr = 1000.0
    check_one_step_against_torch(trainer)


@pytest.mark.parametrize('optimizer', ['sgd', 'adam'])
def test_mnist_sized_network_follows_numpy(optimizer):
    rng = np.random.default_rng(1)
    data = {'X_train': rng.random((640, 784), dtype=np.float32), 'y_train': rng.integers(0, 10, 640),
            'X_val': rng.random((64, 784), dtype=np.float32), 'y_val': rng.integers(0, 10, 64), 'n_classes': 10}
    numpy_run, graph_run, loop_run = [make_trainer(data, sizes=(784, 128, 64, 10), optimizer=optimizer, wd=1e-4,
                                                   batch_size=64) for _ in range(3)]
    expected = [numpy_run.step() for _ in range(12)]
    got = onnx_steps(graph_run, session(tg.training_spec(graph_run.model, graph_run.optimizer)), 12)
    looped = onnx_steps(loop_run, session(tg.training_spec(loop_run.model, loop_run.optimizer, steps=6)), 12, 6)
    np.testing.assert_allclose(got, expected, rtol=LOSS_RTOL)
    np.testing.assert_allclose(looped, got, rtol=LOOP_RTOL, atol=0)
    # Adam divides by sqrt(v) elementwise: an entry whose gradient is mostly rounding noise (float32
    # sums over the batch in another order) moves by O(lr) in any float32 engine; numpy float32 is
    # itself 2.8e-4 off numpy float64 here, the graph 1e-4 (one entry of W0). So: all but 0.1% of the
    # entries within PARAM_ATOL of numpy float32, and none further than lr (one step's worth).
    diffs = np.concatenate([np.abs(p[k] - q[k]).ravel() for p, q in zip(numpy_run.model.params(),
                                                                        graph_run.model.params()) for k in 'Wb'])
    assert np.mean(diffs > PARAM_ATOL) <= 1e-3 and diffs.max() <= numpy_run.lr
    if optimizer == 'sgd':
        assert diffs.max() < PARAM_ATOL
    assert max_param_diff(loop_run, graph_run) <= LOOP_ATOL


def test_graph_inputs_outputs_and_size():
    model = MLP([784, 128, 64, 10])
    adam = Trainer(model, {'X_train': np.zeros((4, 784), np.float32), 'y_train': np.zeros(4, int),
                           'X_val': np.zeros((4, 784), np.float32), 'y_val': np.zeros(4, int)},
                   optimizer='adam').optimizer
    spec = tg.training_spec(model, adam)
    params = ['W0', 'b0', 'W1', 'b1', 'W2', 'b2']
    buffers = [p + b for p in params for b in ('.m', '.v')]
    assert [v['name'] for v in spec['inputs']] == params + buffers + ['x', 'y', 'hyper', 't0']
    assert [v['name'] for v in spec['outputs']] == [n + '.next' for n in params + buffers] + ['loss', 'correct']
    assert spec['inputs'][params.index('W1')]['shape'] == [128, 64]
    assert spec['inputs'][-4]['shape'] == [1, 'batch', 784] and spec['inputs'][-2]['shape'] == [5]
    assert tg.HYPER['adam'] == ('lr', 'weight_decay', 'one_minus_beta1', 'one_minus_beta2', 'eps')
    assert not [n for n in spec['nodes'] if n['op'] in ('Identity', 'Transpose')]
    # Where is slow on onnxruntime's CPU kernels: only on Adam's pair of bias-correction scalars
    assert [n['name'] for n in spec['nodes'] if n['op'] == 'Where'] == ['x.clamped']
    # guards against accidental growth (counts at the time of writing: sgd 42, adam 128)
    assert count_nodes(tg.training_spec(model, 'sgd', decay=False)) <= 42
    assert count_nodes(spec) <= 128


def test_refuses_what_it_cannot_build():
    with pytest.raises(ValueError, match='output activation'):
        tg.training_spec(MLP([4, 3, 2], output_activation='sigmoid'), 'sgd')
    with pytest.raises(ValueError, match='optimizer'):
        tg.training_spec(MLP([4, 3, 2]), 'rmsprop')
    with pytest.raises(ValueError, match='steps'):
        tg.training_spec(MLP([4, 3, 2]), 'sgd', steps=0)


def test_one_hot_batches_and_feeds(digits):
    trainer = make_trainer(digits, optimizer='adam')
    batches = trainer.plan_batches(3)
    x, y = tg.one_hot_batches(trainer, batches)
    assert x.shape == (3, 32, 64) and y.shape == (3, 32, 10) and x.dtype == y.dtype == np.float32
    np.testing.assert_array_equal(y.argmax(2), trainer.y_train[np.stack(batches)])
    assert (y.sum(2) == 1).all()
    with pytest.raises(ValueError, match='equal-length'):
        tg.one_hot_batches(trainer, [batches[0], batches[1][:5]])
    feeds = tg.training_feeds(trainer)
    assert list(feeds)[:2] == ['W0', 'b0'] and float(feeds['t0']) == 0.0
    assert not feeds['W0.m'].any() and feeds['W0.v'].shape == (64, 32)
    np.testing.assert_allclose(feeds['hyper'], [LR['adam'], 0.0, 0.1, 0.001, 1e-8], rtol=1e-7)


def test_the_graph_builder_is_plain_python_and_numpy():
    """It runs in Pyodide, which has no onnx package: no onnx import, and the spec holds only
    plain data and numpy arrays."""
    path = tg.__file__
    tree = ast.parse(open(path).read())
    imported = {a.name.split('.')[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {(n.module or '').split('.')[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not imported & {'onnx', 'onnxruntime', 'torch'}

    def walk(value):
        if isinstance(value, dict):
            return all(isinstance(k, str) and walk(v) for k, v in value.items())
        if isinstance(value, list):
            return all(walk(v) for v in value)
        return isinstance(value, (str, int, float, np.ndarray))
    assert walk(tg.training_spec(MLP([4, 3, 2], activation='tanh', loss='mse'), 'momentum', steps=3))
