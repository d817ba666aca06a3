"""benchmarks/run.py with tiny settings: it runs end to end and every system trains the same workload."""
from __future__ import annotations

import json
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / 'benchmarks'))


@pytest.fixture(scope='module')
def quick_results(tmp_path_factory, browser):
    import run as bench_run
    out = tmp_path_factory.mktemp('bench')
    results = bench_run.main(['--quick', '--out-dir', str(out), '--dist', str(out / 'dist')], browser=browser)
    return results, out


def test_every_system_trains_and_is_reported(quick_results):
    results, out = quick_results
    systems = {(r['workload'], r['system']) for r in results['runs'] if r.get('ok')}
    for workload in ('digits', 'mnist'):
        for system in ('glassbox', 'ort-wasm-1', 'ort-wasm-2', 'tfjs-wasm', 'tfjs-cpu', 'convnetjs', 'cpython-numpy'):
            assert (workload, system) in systems, [r for r in results['runs'] if not r.get('ok')]
    assert json.loads((out / 'results.json').read_text())['targets'] == results['targets']
    table = (out / 'results.md').read_text()
    assert '| × Glassbox |' in table and 'Machine:' in table and 'views on / off' in table


def test_workloads_are_equal_across_systems(quick_results):
    """Same layer sizes, batch, learning rate, loss and optimiser, read back from each system's model."""
    results, _ = quick_results
    for workload in ('digits', 'mnist'):
        configs = {r['system']: r['config'] for r in results['runs'] if r['workload'] == workload and r.get('ok')}
        keys = ('sizes', 'batch', 'lr', 'loss', 'optimizer', 'activation')
        reference = {k: configs['glassbox'][k] for k in keys}
        for system, config in configs.items():
            assert {k: config[k] for k in keys} == reference, system
        assert reference['batch'] == 64


def test_same_start_weights_and_batches_give_the_same_first_loss(quick_results):
    """An independent check that every system really got identical inputs: the first minibatch's loss agrees."""
    results, _ = quick_results
    for workload in ('digits', 'mnist'):
        first = {r['system']: r['loss'][0] for r in results['runs'] if r['workload'] == workload and r.get('ok')}
        for system, loss in first.items():
            assert loss == pytest.approx(first['cpython-numpy'], rel=1e-3), system
