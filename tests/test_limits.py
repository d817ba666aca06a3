"""glassbox.train.limits (and the einsum splitting in nn/backend.py): a run that the browser engine
could not hold is refused before it is built, naming the limit and what to reduce; every product
stays under einsum's 32-bit index; an out-of-memory that still happens is named and loses nothing."""
from __future__ import annotations

import json

import numpy as np
import pytest

import glassbox
from glassbox.nn import backend
from glassbox.nn.model import MLP
from glassbox.protocol import entry
from glassbox.protocol.runs import Session
from glassbox.protocol.wire import unpack
from glassbox.train import limits
from glassbox.train import trainer as trainer_module
from glassbox.train.trainer import Trainer

USABLE = limits.HEAP_BYTES - limits.RESERVED_BYTES


@pytest.fixture(autouse=True)
def browser_limits():
    """Every test starts and ends with the browser's limits and the default backend."""
    before = backend.get_matmul_backend()
    limits.set_limits(heap_bytes=limits.HEAP_BYTES, einsum_elements=backend.EINSUM_MAX_ELEMENTS)
    yield
    limits.set_limits(heap_bytes=limits.HEAP_BYTES, einsum_elements=backend.EINSUM_MAX_ELEMENTS)
    backend.set_matmul_backend(before)


def fake_mnist(n_train=8000, n_val=2000, seed=0):
    rng = np.random.default_rng(seed)
    return {'X_train': rng.random((n_train, 784), dtype=np.float32), 'y_train': rng.integers(0, 10, n_train),
            'X_val': rng.random((n_val, 784), dtype=np.float32), 'y_val': rng.integers(0, 10, n_val),
            'n_classes': 10}


def parameters(sizes):
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def test_a_refused_network_really_needs_more_than_the_browser_engine_has():
    sizes = [784, 4096, 4096, 4096, 4096, 10]
    P = parameters(sizes)
    # Independently: what adam must hold at once, each a float32 copy of all parameters --
    # weights, gradients, m and v, one kept state (weights, m, v), the snapshot's W and dW.
    at_least = 4 * P * (1 + 1 + 2 + 3 + 2)
    assert at_least > USABLE
    with pytest.raises(ValueError, match=r'this network needs about [\d.]+ GB but the browser engine has 1.6 GB '
                                         r'.*reduce hidden widths \(4096x4\) or batch_size \(32\)'):
        limits.check_fits(sizes, 'adam', 32, 8000, 2000)


def test_a_refused_trainer_is_refused_before_its_optimiser_buffers_exist():
    model = MLP([784, 4096, 4096, 4096, 10], seed=0)  # 4096x3 on MNIST: the case
    with pytest.raises(ValueError, match=r'needs about .* GB but the browser engine has .*: reduce hidden widths '
                                         r'\(4096x3\) or batch_size'):
        Trainer(model, fake_mnist(), optimizer='sgd', batch_size=32)


def test_lifting_the_heap_limit_accepts_it_in_cpython():
    limits.set_limits(heap_bytes=None)
    estimate = limits.check_fits([784, 4096, 4096, 4096, 4096, 10], 'adam', 32, 8000, 2000)
    assert estimate['persistent'] + estimate['transient'] > USABLE
    assert limits.get_limits()['heap_bytes'] is None


def test_a_bad_limit_is_refused_by_name():
    with pytest.raises(ValueError, match='heap_bytes must be a whole number above'):
        limits.set_limits(heap_bytes=1000)
    with pytest.raises(ValueError, match='einsum_elements must be a whole number >= 1 or None, got 0'):
        limits.set_limits(einsum_elements=0)


def test_the_biggest_accepted_mnist_config_trains_and_evaluates_with_every_einsum_under_the_index_limit(monkeypatch):
    config = {'dataset': 'mnist', 'hidden': [1024] * 8, 'batch_size': 4096, 'optimizer': 'adam', 'lr': 0.001}
    sizes = [784] + config['hidden'] + [10]
    assert 4096 * 784 * 1024 > 2 ** 31 - 1  # unsplit, the first layer's product overflows wasm32's index
    seen = []

    def einsum(spec, a, b, optimize=False):
        # Records every (i, j, k) count; computes with BLAS (CPython's einsum is too slow for this
        # size; the numbers of the split einsum itself are checked below on smaller shapes).
        seen.append(a.shape[0] * a.shape[1] * b.shape[1])
        assert spec == 'ij,jk->ik' and optimize is False
        return np.matmul(a, b)

    monkeypatch.setattr(backend.np, 'einsum', einsum)
    glassbox.set_matmul_backend('einsum')
    session = Session()
    session.configure(config)
    answer = session.train(1)
    full = session.trainer.evaluate('val')
    assert answer['step'] == 1 and np.isfinite(answer['snapshot']['train']['loss']) and 0 <= full['accuracy'] <= 1
    assert max(seen) <= 2 ** 31 - 1 and max(seen) > 2 ** 30  # split, and close to the limit
    estimate = limits.trainer_estimate(session.trainer)
    assert estimate['data'] + estimate['persistent'] + estimate['transient'] <= USABLE
    # The biggest accepted: no hidden width, layer or batch size beyond the schema's maxima.
    fields = {row['key']: row for row in glassbox.CONFIG_FIELDS}
    assert fields['hidden']['max'] == 1024 and fields['hidden']['maxLength'] == 8
    assert fields['batch_size']['max'] == 4096 and sizes == session.trainer.model.layer_sizes


@pytest.mark.parametrize('shape', [(50, 30, 20), (5, 300, 20), (7, 300, 400)], ids=['rows', 'inner', 'both'])
def test_einsum_products_over_the_limit_are_split_and_equal_the_whole_product(shape):
    n, k, m = shape
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, k)).astype(np.float32)
    b = rng.standard_normal((k, m)).astype(np.float32)
    glassbox.set_matmul_backend('einsum')
    whole = np.einsum('ij,jk->ik', a, b)
    limits.set_limits(einsum_elements=1000)
    split = glassbox.matmul(a, b)
    assert split.dtype == np.float32 and split.shape == (n, m)
    np.testing.assert_allclose(split, whole, rtol=1e-6, atol=1e-6 * np.abs(whole).max())


def test_chunked_evaluation_equals_unchunked_evaluation(monkeypatch):
    data = glassbox.load_dataset('digits', seed=0)
    trainer = Trainer(MLP([64, 48, 32, 10], seed=0), data, optimizer='adam', lr=0.01, batch_size=32)
    trainer.train(30)
    glassbox.set_matmul_backend('einsum')
    monkeypatch.setattr(trainer_module, 'EVAL_CHUNK', 100000)
    limits.set_limits(einsum_elements=None)
    whole = trainer.evaluate('val', predictions=True)
    monkeypatch.setattr(trainer_module, 'EVAL_CHUNK', 7)
    limits.set_limits(einsum_elements=5000)  # every product split as well
    chunked = trainer.evaluate('val', predictions=True)
    assert abs(chunked['loss'] - whole['loss']) < 1e-6 and chunked['accuracy'] == whole['accuracy']
    np.testing.assert_array_equal(chunked['predictions'], whole['predictions'])


def test_the_health_monitor_keeps_only_the_states_that_fit(monkeypatch):
    session = Session()
    session.configure({'dataset': 'digits', 'hidden': [64, 64], 'optimizer': 'adam', 'lr': 0.01})
    state = session.runs['main'].trainer.state_dict()
    nbytes = sum(a.nbytes for layer in state['model']['layers'] for a in (layer['W'], layer['b']))
    monkeypatch.setattr(limits, 'KEPT_STATE_BYTES', 3 * 4 * nbytes)  # room for 3 (each is ~4 copies)
    for _ in range(6):
        session.train(2)
    kept = session.runs['main'].health.checkpoints
    assert len(kept) == limits.states_to_keep(nbytes * 4 + 1) == 2
    assert kept[-1][0]['step_count'] == 10  # the newest is always kept
    assert limits.states_to_keep(10 ** 12) == 1 and limits.states_to_keep(1) == limits.MAX_KEPT_STATES


def test_a_fork_that_would_not_fit_beside_the_other_runs_is_refused_and_changes_nothing():
    session = Session()
    session.configure({'dataset': 'digits', 'hidden': [256, 256], 'optimizer': 'adam', 'lr': 0.01})
    session.train(3)
    one = limits.trainer_estimate(session.trainer)
    room_for_two = one['data'] + 2 * one['persistent'] + one['transient'] + one['persistent'] // 2
    limits.set_limits(heap_bytes=limits.RESERVED_BYTES + room_for_two)
    session.fork('main', {'lr': 0.02})
    with pytest.raises(ValueError, match=r'this network beside the 2 runs kept already needs about .* MB but the '
                                         r'browser engine has .*: drop a run, or reduce hidden widths \(256x2\)'):
        session.fork('main', {'lr': 0.03})
    assert sorted(session.runs) == ['fork-1', 'main'] and session.trainer.step_count == 3


def test_a_configure_that_would_not_fit_is_refused_and_the_current_run_stays():
    session = Session()
    session.configure({'dataset': 'digits', 'hidden': [32]})
    session.train(5)
    weights = session.trainer.model.layers[0].W.copy()
    limits.set_limits(heap_bytes=limits.RESERVED_BYTES + 10 ** 6)
    with pytest.raises(ValueError, match=r'needs about .* but the browser engine has 1 MB.*reduce hidden widths '
                                         r'\(512\) or batch_size \(64\)'):
        session.configure({'dataset': 'mnist', 'hidden': [512], 'batch_size': 64})
    assert session.config['dataset'] == 'digits' and session.data['name'] == 'digits'
    assert session.trainer.step_count == 5 and np.array_equal(session.trainer.model.layers[0].W, weights)


def test_changing_batch_size_or_optimiser_to_what_cannot_fit_is_refused_and_keeps_the_old():
    data = fake_mnist(n_train=2000, n_val=200)
    trainer = Trainer(MLP([784, 512, 10], seed=0), data, optimizer='sgd', batch_size=16)
    one = limits.trainer_estimate(trainer)
    limits.set_limits(heap_bytes=limits.RESERVED_BYTES + one['data'] + one['persistent'] + one['transient'] + 10 ** 5)
    with pytest.raises(ValueError, match=r'reduce hidden widths \(512\) or batch_size \(2000\)'):
        trainer.batch_size = 4096
    assert trainer.batch_size == 16
    with pytest.raises(ValueError, match="use 'sgd' \\(adam keeps 2 extra copies of the weights\\)"):
        trainer.optimizer = glassbox.make_optimizer('adam', 0.001)
    assert trainer.optimizer.name == 'sgd'


def handle(request):
    return unpack(entry.handle(json.dumps(request)))


def test_out_of_memory_during_train_is_named_and_the_run_is_kept_as_before_the_chunk(monkeypatch):
    monkeypatch.setattr(entry, 'SESSION', Session())
    assert handle({'op': 'configure', 'config': {'dataset': 'digits', 'hidden': [16], 'optimizer': 'adam'}})['ok']
    assert handle({'op': 'train', 'steps': 3})['value']['step'] == 3
    before = entry.SESSION.trainer.state_dict()
    real_step = entry.SESSION.trainer.optimizer.step
    calls = []

    def failing_step(params, grads):
        calls.append(1)
        if len(calls) == 2:  # half-way through the chunk, after one step was applied
            raise MemoryError('Unable to allocate 30.5 MiB for an array with shape (1024, 7812)')
        real_step(params, grads)

    monkeypatch.setattr(entry.SESSION.trainer.optimizer, 'step', failing_step)
    answer = handle({'op': 'train', 'steps': 5})
    assert answer['ok'] is False and answer['kind'] == 'OutOfMemory'
    assert answer['error'].startswith("the engine ran out of memory during 'train' (run main at step 3): "
                                      "reduce hidden widths or batch_size")
    assert 'the run is kept as it was before this chunk' in answer['error'] and 'Unable to allocate' in answer['error']
    after = entry.SESSION.trainer.state_dict()
    assert after['step_count'] == 3
    for a, b in zip(after['model']['layers'], before['model']['layers']):
        assert np.array_equal(a['W'], b['W']) and np.array_equal(a['b'], b['b'])
    # The restored run trains on (its optimiser is a fresh object: the failing one is gone).
    assert handle({'op': 'train', 'steps': 2})['value']['step'] == 5
