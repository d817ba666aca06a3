"""Glassbox benchmark: one headless Chromium run measuring, side by side,

1. training throughput of the same MLP on the same data, same batches, same start weights,
   float32 SGD, softmax cross-entropy: Glassbox (Pyodide numpy in a worker), TensorFlow.js (wasm
   and cpu backends), ConvNetJS, and CPython numpy as a reference;
2. the app itself: training throughput with every view drawing versus no views, and the main
   thread's frame rate meanwhile;
3. start-up: navigation to first training step, cold and warm (HTTP cache), split by phase.

Run with ``python build.py bench`` (``--quick`` for the smoke-test sizes). Writes
``benchmarks/results.json`` and ``benchmarks/results.md`` (or ``--out-dir``).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'py'))
sys.path.insert(0, str(ROOT))

import build  # noqa: E402
import glassbox  # noqa: E402
from glassbox.nn import make_optimizer  # noqa: E402
from glassbox.protocol import pack  # noqa: E402
from glassbox.interop.codec import spec_to_bytes  # noqa: E402
from glassbox.interop.training_graph import training_feeds, training_spec  # noqa: E402

WORKLOADS = {  # name -> dataset, layer sizes; batch 64 and lr 0.1 for all
    'digits': ('digits', [64, 32, 10]),
    'mnist': ('mnist', [784, 128, 64, 10]),
}
SYSTEMS = ('glassbox', 'ort-wasm-1', 'ort-wasm-2', 'tfjs-wasm', 'tfjs-cpu', 'convnetjs')
PEERS = ('tfjs-wasm', 'tfjs-cpu', 'convnetjs')
BATCH = 64
LR = 0.1
# ort_k: training steps per onnxruntime call (a Loop in the graph); steps and warm-up are multiples.
FULL = {'reps': 5, 'steps': {'digits': 200, 'mnist': 100}, 'warmup': 30, 'app_steps': 600, 'ort_k': 10}
QUICK = {'reps': 1, 'steps': {'digits': 3, 'mnist': 2}, 'warmup': 1, 'app_steps': 20, 'ort_k': 1}
BENCH_VENDOR = {  # file in node_modules -> name under dist/vendor/bench
    '@tensorflow/tfjs/dist/tf.min.js': 'tf.min.js',
    '@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js': 'tf-backend-wasm.min.js',
    '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm': 'tfjs-backend-wasm.wasm',
    '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm': 'tfjs-backend-wasm-simd.wasm',
    '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm': 'tfjs-backend-wasm-threaded-simd.wasm',
    'convnetjs/build/convnet-min.js': 'convnet-min.js',
}


def make_workload(name: str, settings: dict) -> dict:
    """The one workload every system gets: data, start weights and the minibatch order."""
    dataset, sizes = WORKLOADS[name]
    data = glassbox.load_dataset(dataset, seed=0)
    X, y = data['X_train'], data['y_train']
    model = glassbox.MLP(sizes, activation='relu', init='he', seed=0)
    steps = settings['steps'][name]
    total = 1 + settings['warmup'] + settings['reps'] * steps
    rng = np.random.default_rng(0)
    order = np.concatenate([rng.permutation(len(X)) for _ in range(total * BATCH // len(X) + 1)])
    trainer = glassbox.Trainer(model, data, optimizer='sgd', lr=LR, batch_size=BATCH, seed=0)
    return {'name': name, 'sizes': sizes, 'batch': BATCH, 'lr': LR, 'loss': 'softmax_cross_entropy', 'optimizer': 'sgd',
            'steps': steps, 'warmup': settings['warmup'], 'ortStepsPerCall': settings['ort_k'],
            'ortFeeds': dict(training_feeds(trainer)),
            'X': np.ascontiguousarray(X, np.float32).ravel(), 'y': y.astype(np.int32),
            'order': order[:total * BATCH].astype(np.int32),
            'W': [p['W'].ravel() for p in model.params()], 'b': [p['b'] for p in model.params()]}


def cpython_reference(workload: dict, reps: int) -> dict:
    """The Glassbox step loop (model.backward + optimiser step) in this CPython, same inputs."""
    sizes, batch = workload['sizes'], workload['batch']
    model = glassbox.MLP(sizes, activation='relu', init='he', seed=0)
    for layer, W, b in zip(model.layers, workload['W'], workload['b']):
        layer.params()['W'][...] = W.reshape(layer.params()['W'].shape)
        layer.params()['b'][...] = b
    opt = make_optimizer('sgd', workload['lr'])
    params = [p for layer in model.layers for p in (layer.params()['W'], layer.params()['b'])]
    X = workload['X'].reshape(-1, sizes[0])
    order, y = workload['order'], workload['y']

    def run(first, count):
        loss = 0.0
        for s in range(first, first + count):
            idx = order[s * batch:(s + 1) * batch]
            loss = model.backward(X[idx], y[idx])
            opt.step(model.params(), model.grads())
        return float(loss)
    first_loss = run(0, 1)
    run(1, workload['warmup'])
    done, rates, last = 1 + workload['warmup'], [], first_loss
    for _ in range(reps):
        start = time.perf_counter()
        last = run(done, workload['steps'])
        rates.append(workload['steps'] * batch / (time.perf_counter() - start))
        done += workload['steps']
    return {'ok': True, 'system': 'cpython-numpy', 'samplesPerSec': rates, 'loss': [first_loss, last],
            'config': {'sizes': model.layer_sizes, 'batch': batch, 'lr': opt.lr, 'loss': 'softmax_cross_entropy',
                       'optimizer': 'sgd', 'activation': 'relu', 'dtype': str(params[0].dtype)}}


def prepare_site(out: Path, settings: dict) -> None:
    """Copy the benchmark pages, workloads and peer libraries into a built site."""
    bench = out / 'bench'
    bench.mkdir(parents=True, exist_ok=True)
    for name in ('bench.html', 'bench.js', 'bench-worker.js', 'headless.html'):
        shutil.copy2(ROOT / 'benchmarks' / name, bench / name)
    for source, name in BENCH_VENDOR.items():
        build.copy_file(build.NODE_MODULES / source, out / 'vendor' / 'bench' / name)
    for name in WORKLOADS:
        (bench / ('workload-%s.bin' % name)).write_bytes(pack(make_workload(name, settings)).tobytes())
        dataset, sizes = WORKLOADS[name]
        model = glassbox.MLP(sizes, activation='relu', init='he', seed=0)
        graph = training_spec(model, make_optimizer('sgd', LR), settings['ort_k'])
        (bench / ('workload-%s-train%d.onnx' % (name, settings['ort_k']))).write_bytes(spec_to_bytes(graph))


def machine() -> dict:
    model = platform.processor()
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                model = line.split(':', 1)[1].strip()
                break
        mem_kb = int(next(l for l in Path('/proc/meminfo').read_text().splitlines() if l.startswith('MemTotal')).split()[1])
    except (OSError, StopIteration, ValueError):
        mem_kb = 0
    return {'cpu': model, 'cores': os.cpu_count(), 'memory_gib': round(mem_kb / 2 ** 20, 1),
            'os': platform.platform(), 'python': platform.python_version(), 'numpy': np.__version__}


def app_measurements(browser, base: str, settings: dict) -> dict:
    """Views on vs off throughput, frame rate while training, and cold/warm start-up."""
    out = {}
    mnist = '#dataset=mnist&hidden=128,64&batch_size=64&speed=5&autoplay=false'
    train = """async (steps) => {
        await window.glassbox.ready;
        // The page trains with numpy until the chosen backend is open: measure once it is.
        while (!window.glassbox.state().backend) await new Promise((done) => setTimeout(done, 50));
        let frames = 0, worst = 0, last = performance.now(), running = true;
        const tick = (t) => { frames++; worst = Math.max(worst, t - last); last = t; if (running) requestAnimationFrame(tick); };
        requestAnimationFrame(tick);
        const t0 = performance.now();
        await window.glassbox.train({steps});
        const seconds = (performance.now() - t0) / 1000;
        running = false;
        return {samplesPerSec: steps * 64 / seconds, fps: frames / seconds, worstFrameMs: worst, seconds};
    }"""
    # A viewport taller than the whole page, so every panel is on screen and drawing (panels that
    # are scrolled away wait until they are seen; that would flatter the 'views on' figure).
    # The app trains with its default backend (auto: onnxruntime-web wasm); 'numpy' is the same
    # app forced onto the numpy path, for the speed-up the default run gets.
    for label, page_path, height, extra in (('views_on', 'index.html', 6000, ''),
                                            ('views_off', 'bench/headless.html', 1000, ''),
                                            ('numpy_views_off', 'bench/headless.html', 1000, '&backend=numpy')):
        context = browser.new_context(viewport={'width': 1400, 'height': height})
        page = context.new_page()
        page.goto(base + page_path + mnist + extra)
        page.evaluate('window.glassbox.ready')
        page.evaluate(train, 10)  # warm-up: first chunk compiles, first drawing builds the layout
        out[label] = page.evaluate(train, settings['app_steps'])
        out[label]['backend'] = page.evaluate('window.glassbox.state().backend')
        context.close()
    out['views_on_over_off'] = out['views_on']['samplesPerSec'] / out['views_off']['samplesPerSec']
    out['default_over_numpy'] = out['views_off']['samplesPerSec'] / out['numpy_views_off']['samplesPerSec']
    # Start-up on the default page (digits, autoplay): a new context has an empty HTTP cache.
    context = browser.new_context(viewport={'width': 1400, 'height': 1000})
    page = context.new_page()
    startup = {}
    for label in ('cold', 'warm'):
        if label == 'cold':
            page.goto(base + 'index.html')
        else:
            page.reload()
        page.wait_for_function('window.glassbox && window.glassbox.state().step > 0', timeout=120_000)
        timing = page.evaluate('window.glassbox.state().timing')
        nav = page.evaluate("performance.getEntriesByType('navigation')[0].toJSON()")
        startup[label] = {'firstStepMs': timing['firstStepSinceNavigationMs'], 'phases': timing['phases'],
                          'transferredKB': round(sum(e.get('transferSize', 0) for e in page.evaluate(
                              "performance.getEntriesByType('resource').map(e => e.toJSON())")) / 1024)}
        startup[label]['domContentLoadedMs'] = nav.get('domContentLoadedEventEnd')
    context.close()
    out['startup'] = startup
    return out


def summarise(results: dict) -> str:
    """Markdown table: median samples/s per system and its ratio to Glassbox, per workload."""
    lines = ['Machine: %(cpu)s, %(cores)s cores, %(memory_gib)s GiB; %(os)s.' % results['machine'],
             'Browser: %s; Glassbox runtime: Pyodide %s (%s).' % (
                 results['browser'], results['page']['runtime']['pyodide'], results['page']['runtime']['name']),
             '', '| workload | system | samples/s (median) | × Glassbox | loss first → last |',
             '|---|---|---:|---:|---|']
    for name in WORKLOADS:
        runs = [r for r in results['runs'] if r['workload'] == name]
        base = next((r['median'] for r in runs if r['system'] == 'glassbox' and r.get('ok')), None)
        for r in runs:
            if not r.get('ok'):
                lines.append('| %s | %s | failed: %s | | |' % (name, r['system'], r.get('error', '')[:80]))
                continue
            ratio = r['median'] / base if base else float('nan')
            lines.append('| %s %s | %s | %.0f | %.2f | %.3f → %.3f |' % (
                name, '-'.join(map(str, r['config']['sizes'])), r['system'], r['median'], ratio, r['loss'][0], r['loss'][1]))
    app = results.get('app')
    if app:
        lines += ['', 'App, MNIST 784-128-64-10, batch 64, speed 5 (100 steps per snapshot); views on = the page in a',
                  'viewport taller than the page, so every panel draws; views off = the same app with no views:', '',
                  '| | samples/s | main-thread fps | worst frame ms |', '|---|---:|---:|---:|']
        for label in ('views_on', 'views_off', 'numpy_views_off'):
            a = app[label]
            b = a.get('backend') or {}
            lines.append('| %s (%s, %s thread%s) | %.0f | %.1f | %.0f |' % (
                label.replace('_', ' '), b.get('name', '?'), b.get('threads', '?'), '' if b.get('threads') == 1 else 's',
                a['samplesPerSec'], a['fps'], a['worstFrameMs']))
        lines.append('')
        lines.append('Throughput with views on / off: %.2f; default backend / numpy (views off): %.2f'
                     % (app['views_on_over_off'], app['default_over_numpy']))
        lines += ['', '| start-up | first step (ms after navigation) | core | numpy | engine | data | ready | first snapshot |',
                  '|---|---:|---:|---:|---:|---:|---:|---:|']
        for label in ('cold', 'warm'):
            s = app['startup'][label]
            p = s['phases']
            lines.append('| %s | %.0f | %s |' % (label, s['firstStepMs'] or float('nan'), ' | '.join(
                '%.0f' % p[k] if k in p else '–' for k in ('core', 'numpy', 'engine', 'data', 'ready', 'firstSnapshot'))))
    lines += ['', 'Targets:'] + ['- ' + t for t in results['targets']]
    return '\n'.join(lines) + '\n'


def ort_targets(name: str, runs: dict) -> list:
    """The onnxruntime-web path's targets (the ONNX issue), as ratios measured in this one run."""
    def verdict(ok):
        return 'met' if ok else 'MISSED'
    one = runs.get('ort-wasm-1')
    if one is None:
        return ['%s: onnxruntime-web wasm did not run' % name]
    rate = one['median']
    out = []
    if name == 'mnist':
        out.append('mnist: onnxruntime-web wasm, 1 thread: %.0f samples/s (target ≥ 40000: %s)' % (rate, verdict(rate >= 40000)))
        ratio = rate / runs['glassbox']['median']
        out.append('mnist: onnxruntime-web wasm 1 thread / Glassbox numpy: %.2f× (target ≥ 4: %s)' % (ratio, verdict(ratio >= 4)))
        for peer in PEERS:
            if peer in runs:
                ratio = rate / runs[peer]['median']
                out.append('mnist: onnxruntime-web wasm 1 thread / %s: %.2f× (target > 1: %s)' % (peer, ratio, verdict(ratio > 1)))
        if 'ort-wasm-2' in runs:
            ratio = runs['ort-wasm-2']['median'] / rate
            out.append('mnist: onnxruntime-web 2 threads / 1 thread: %.2f× (target ≥ 1.6: %s)' % (ratio, verdict(ratio >= 1.6)))
    if name == 'digits' and 'tfjs-wasm' in runs:
        ratio = rate / runs['tfjs-wasm']['median']
        out.append('digits: onnxruntime-web wasm 1 thread / tfjs-wasm: %.2f× (target ≥ 1.5: %s)' % (ratio, verdict(ratio >= 1.5)))
    return out


def check_targets(results: dict) -> list:
    out = []
    for name in WORKLOADS:
        runs = {r['system']: r for r in results['runs'] if r['workload'] == name and r.get('ok')}
        if 'glassbox' not in runs:
            out.append('%s: Glassbox did not run' % name)
            continue
        base = runs['glassbox']['median']
        for system in PEERS:
            if system in runs:
                ratio = base / runs[system]['median']
                out.append('%s: Glassbox numpy vs %s: %.2f× (%s)' % (name, system, ratio, 'met' if ratio >= 1 else 'MISSED by %.0f%%' % (100 * (1 - ratio))))
        out += ort_targets(name, runs)
    app = results.get('app')
    peers = [r for r in results['runs'] if r['workload'] == 'mnist' and r.get('ok') and r['system'] in PEERS]
    if app and peers:
        best = max(peers, key=lambda r: r['median'])
        ratio = app['views_on']['samplesPerSec'] / best['median']
        out.append('mnist: the app with snapshots and every view vs the fastest peer (%s, bare loop): %.2f× (%s)'
                   % (best['system'], ratio, 'met' if ratio >= 1 else 'MISSED by %.0f%%' % (100 * (1 - ratio))))
    if app:
        fps = app['views_on']['fps']
        out.append('fps with views on: %.1f (target ≥ 30: %s)' % (fps, 'met' if fps >= 30 else 'MISSED'))
        r = app['views_on_over_off']
        out.append('throughput views on / off: %.2f (target ≥ 0.90: %s)' % (r, 'met' if r >= 0.9 else 'MISSED'))
        for label, limit in (('cold', 5000), ('warm', 2000)):
            ms = app['startup'][label]['firstStepMs'] or float('inf')
            out.append('first step %s: %.0f ms (target ≤ %d ms: %s)' % (label, ms, limit, 'met' if ms <= limit else 'MISSED by %.0f ms' % (ms - limit)))
    return out


def measure_in_browser(browser, base: str, settings: dict, args, results: dict) -> None:
    results['browser'] = 'Chromium ' + browser.version
    page = browser.new_page()
    page.goto(base + 'bench/bench.html?reps=%d' % settings['reps'])
    page.wait_for_function('window.benchResults', timeout=900_000, polling=500)
    results['page'] = page.evaluate('window.benchResults')
    if 'error' in results['page']:
        raise RuntimeError('benchmark page failed: ' + results['page']['error'])
    page.close()
    if not args.no_app:
        results['app'] = app_measurements(browser, base, settings)


def main(argv=None, browser=None) -> dict:
    """Run the benchmark; pass ``browser`` (a Playwright browser) to reuse one, as the tests do."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--quick', action='store_true', help='tiny settings (smoke test)')
    parser.add_argument('--out-dir', type=Path, default=ROOT / 'benchmarks')
    parser.add_argument('--dist', type=Path, default=ROOT / 'dist-bench')
    parser.add_argument('--no-app', action='store_true', help='skip the app/start-up measurements')
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    build.ensure_chromium()
    build.build('auto', args.dist)
    prepare_site(args.dist, settings)
    # Cacheable like a real deployment, so the warm start-up really comes from the HTTP cache.
    server = build.make_server(args.dist, 0, isolation=True, cache_control='max-age=3600')
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = 'http://127.0.0.1:%d/' % server.server_address[1]
    results = {'machine': machine(), 'settings': settings, 'quick': args.quick}
    try:
        if browser is not None:
            measure_in_browser(browser, base, settings, args, results)
        else:
            from playwright.sync_api import sync_playwright
            from tests.conftest import CHROMIUM, CHROMIUM_ARGS
            with sync_playwright() as p:
                own = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                measure_in_browser(own, base, settings, args, results)
                own.close()
    finally:
        server.shutdown()
        server.server_close()
    runs = results['page']['runs']
    for name in WORKLOADS:
        runs.append(dict(cpython_reference(make_workload(name, settings), settings['reps']), workload=name))
    for r in runs:
        if r.get('ok'):
            r['median'] = statistics.median(r['samplesPerSec'])
    results['runs'] = runs
    results['targets'] = check_targets(results)
    table = summarise(results)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / 'results.json').write_text(json.dumps(results, indent=1))
    (args.out_dir / 'results.md').write_text('# Benchmark results\n\n' + table)
    print(table)
    return results


if __name__ == '__main__':
    main()
