"""The D3 views (network, curves, export) in headless Chromium, driven by tests/harness/views.html.

The harness builds real schema-1 snapshots of small MLPs in JS (seeded weights, SGD on the probe
batch), so these tests need only site/ and d3 -- not Pyodide or the engine. The served folder is
site/ + the harness + vendor/d3.min.js, the same layout as dist/.

Measured update() timings go to test-artifacts/views-timings.json (reported; only a loose
ceiling is asserted, these machines are noisy).
"""
from __future__ import annotations

import functools
import json
import re
import shutil
import struct
import threading
import xml.etree.ElementTree as ET
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
D3_CANDIDATES = [ROOT / 'dist' / 'vendor' / 'd3.min.js', ROOT / 'node_modules' / 'd3' / 'dist' / 'd3.min.js']
DIGITS, MNIST, TOY = [64, 32, 10], [784, 128, 64, 10], [2, 8, 8, 2]
SVG = '{http://www.w3.org/2000/svg}'


@pytest.fixture(scope='session')
def views_site(tmp_path_factory) -> Path:
    d3 = next((p for p in D3_CANDIDATES if p.exists()), None)
    if d3 is None:
        pytest.skip('d3.min.js not found: build dist/ (vendor/d3.min.js) or `npm install d3`')
    out = tmp_path_factory.mktemp('views-site')
    shutil.copytree(ROOT / 'site', out, dirs_exist_ok=True)
    (out / 'vendor').mkdir(exist_ok=True)
    shutil.copy(d3, out / 'vendor' / 'd3.min.js')
    shutil.copy(ROOT / 'tests' / 'harness' / 'views.html', out / 'views.html')
    return out


class _QuietHandler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, '.js': 'text/javascript', '.mjs': 'text/javascript'}

    def log_message(self, *args):
        pass


@pytest.fixture(scope='session')
def views_url(request, views_site) -> str:
    """Harness URL; served by conftest's http_server when build.py provides it, else by a local server."""
    try:
        base = request.getfixturevalue('http_server')(views_site)
        return base.rstrip('/') + '/views.html'
    except (pytest.FixtureLookupError, ImportError):
        pass
    server = ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(_QuietHandler, directory=str(views_site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    request.addfinalizer(server.shutdown)
    return 'http://127.0.0.1:%d/views.html' % server.server_address[1]


@pytest.fixture()
def harness(page, views_url):
    page.set_viewport_size({'width': 1100, 'height': 1000})
    page.goto(views_url)
    page.wait_for_function('window.harnessReady === true', timeout=20_000)
    yield page
    assert not getattr(page, 'errors', []), page.errors


def load(page, sizes, steps=0):
    page.evaluate('(s) => harness.load(s)', sizes)
    if steps:
        page.evaluate('(n) => harness.step(n)', steps)


def number(text):
    return float(text.replace('\u2212', '-'))


def network_signature(page):
    """Neuron fills plus a digest of the edge canvas: changes whenever the drawing does."""
    return page.evaluate("""() => {
        const root = harness.network.element;
        const fills = [...root.querySelectorAll('.gb-neuron')].map(e => e.getAttribute('fill')).join(',');
        const png = root.querySelector('canvas').toDataURL();
        let hash = 0; for (let i = 0; i < png.length; i++) hash = (hash * 31 + png.charCodeAt(i)) | 0;
        return {fills, hash};
    }""")


def screen_point(page, column, index):
    return page.evaluate("""([c, k]) => {
        const box = harness.network.element.querySelector('svg').getBoundingClientRect();
        const col = harness.network.inspect().columns[c];
        return [box.left + col.xs[k], box.top + col.ys[k]];
    }""", [column, index])


def tooltip_lines(page):
    page.wait_for_selector('.gb-network .gb-tooltip', state='visible')
    return page.locator('.gb-network .gb-tooltip').inner_text().splitlines()


def test_digits_network_draws_image_input_and_changes_between_snapshots(harness, artifacts_dir):
    load(harness, DIGITS)
    titles = harness.locator('.gb-layer-title').all_text_contents()
    assert titles == ['input 64', 'hidden 1', 'output 10']
    assert harness.locator('.gb-layer-detail').all_text_contents()[1] == '32 · relu'
    # 8x8 input is an image, not 64 circles; hidden + output are one element per neuron.
    assert harness.locator('.gb-input-frame').count() == 1
    assert harness.locator('.gb-neuron').count() == 32 + 10
    labels = harness.locator('.gb-output-labels text').all_text_contents()
    assert len(labels) == 10 and all(re.fullmatch(r'\d \d+%.*', t) for t in labels), labels
    before = network_signature(harness)
    harness.evaluate('harness.step(3)')
    after = network_signature(harness)
    assert before['fills'] != after['fills'], 'neuron colours did not follow the new activations'
    assert before['hash'] != after['hash'], 'edge canvas did not change with the new weights'
    harness.locator('#network').screenshot(path=str(artifacts_dir / 'views-network-digits.png'))


def test_mnist_network_stays_small_in_the_dom_and_updates_fast(harness, artifacts_dir):
    load(harness, MNIST, steps=2)
    dom = harness.evaluate('harness.domCount()')
    assert dom < 3000, dom
    info = harness.evaluate('harness.network.inspect()')
    assert info['edgeCount'] == [300, 300, 300]
    assert [c['kind'] for c in info['columns']][0] == 'image'
    timing = harness.evaluate('harness.timeUpdates(20)')
    flushed = harness.evaluate('harness.timeUpdates(20, {flush: true})')
    dom_after = harness.evaluate('harness.domCount()')
    assert dom_after == dom, 'update() on an unchanged architecture must not add elements'
    assert timing['median'] < 50, timing  # target is a few ms; the ceiling only catches regressions
    record = {'network_update_784_128_64_10_median_ms': round(timing['median'], 2),
              'network_update_784_128_64_10_max_ms': round(timing['max'], 2),
              'network_update_with_style_layout_784_128_64_10_median_ms': round(flushed['median'], 2),
              'network_dom_elements_784_128_64_10': dom,
              'page_dom_elements': harness.evaluate("document.querySelectorAll('*').length")}
    path = artifacts_dir / 'views-timings.json'
    path.write_text(json.dumps({**(json.loads(path.read_text()) if path.exists() else {}), **record}, indent=1))
    print('\nviews timing', record)
    harness.locator('#network').screenshot(path=str(artifacts_dir / 'views-network-mnist.png'))


def test_toy_network_draws_every_edge_and_feature_circles(harness, artifacts_dir):
    load(harness, TOY, steps=3)
    info = harness.evaluate('harness.network.inspect()')
    assert info['edgeCount'] == [16, 64, 16]
    assert harness.locator('circle.gb-neuron').count() == 2 + 8 + 8 + 2
    assert harness.locator('.gb-input-frame').count() == 0
    assert 'all weights' in harness.locator('.gb-caption').text_content()
    harness.locator('#network').screenshot(path=str(artifacts_dir / 'views-network-toy.png'))


def test_update_restyles_existing_elements_and_rebuilds_only_on_new_architecture(harness):
    load(harness, DIGITS)
    harness.evaluate("document.querySelector('.gb-neuron').__marker = 'kept'")
    harness.evaluate('harness.step(2)')
    assert harness.evaluate("document.querySelector('.gb-neuron').__marker") == 'kept'
    load(harness, TOY)
    assert harness.evaluate("document.querySelector('.gb-neuron').__marker") is None
    assert harness.locator('.gb-neuron').count() == 20


def test_hovering_a_neuron_shows_its_activation(harness):
    load(harness, DIGITS, steps=2)
    harness.evaluate('harness.setOptions({probe: 3})')
    harness.mouse.move(*screen_point(harness, 1, 5))
    lines = tooltip_lines(harness)
    assert lines[0] == 'hidden 1 · neuron 5'
    expected = harness.evaluate('harness.snapshot.layers[0].act.data[3 * 32 + 5]')
    shown = number(re.match(r'activation (\S+) \(sample 3\)', lines[1]).group(1))
    assert shown == pytest.approx(expected, rel=1e-3, abs=1e-6)
    bias = harness.evaluate('harness.snapshot.layers[0].b.data[5]')
    assert number(lines[-1].split()[-1]) == pytest.approx(bias, rel=1e-3, abs=1e-7)
    # Mean mode reports mean |activation| over the probe batch.
    harness.evaluate("harness.setOptions({probe: 'mean'})")
    harness.mouse.move(0, 0)
    harness.mouse.move(*screen_point(harness, 1, 5))
    lines = tooltip_lines(harness)
    expected = harness.evaluate("""(() => { const a = harness.snapshot.layers[0].act, P = a.shape[0];
        let s = 0; for (let i = 0; i < P; i++) s += Math.abs(a.data[i * 32 + 5]); return s / P; })()""")
    assert number(re.match(r'mean \|activation\| (\S+)', lines[1]).group(1)) == pytest.approx(expected, rel=1e-3, abs=1e-6)


def test_hovering_an_edge_shows_its_weight_and_gradient(harness):
    load(harness, TOY, steps=2)
    edge = harness.evaluate("""(() => { const e = harness.network.inspect().edges;
        return e.find(d => d.layer === 1 && Math.hypot(d.x2 - d.x1, d.y2 - d.y1) > 100) || e[0]; })()""")
    box = harness.evaluate("(() => { const r = harness.network.element.querySelector('svg').getBoundingClientRect(); return [r.left, r.top]; })()")
    harness.mouse.move(box[0] + (edge['x1'] + edge['x2']) / 2, box[1] + (edge['y1'] + edge['y2']) / 2)
    lines = tooltip_lines(harness)
    m = re.match(r'(\S+ \d+|input) #(\d+) → (\S+ \d+|output) #(\d+)', lines[0])
    assert m, lines
    layer = 0 if m.group(1) == 'input' else int(m.group(1).split()[1])
    i, j = int(m.group(2)), int(m.group(4))
    w, dw = harness.evaluate('([l, k]) => [harness.snapshot.layers[l].W.data[k], harness.snapshot.layers[l].dW.data[k]]',
                             [layer, i * TOY[layer + 1] + j])
    assert number(lines[1].split()[-1]) == pytest.approx(w, rel=1e-3)
    assert number(lines[2].split()[-1]) == pytest.approx(dw, rel=1e-3, abs=1e-9)


def test_probe_sample_and_gradient_mode_restyle_with_legend_and_caption(harness):
    load(harness, DIGITS, steps=2)
    assert harness.locator('.gb-image-caption').text_content().startswith('probe sample 0')  # the default: one input
    harness.evaluate("harness.setOptions({probe: 'mean'})")
    mean = network_signature(harness)
    assert 'mean over' in harness.locator('.gb-caption').text_content()
    harness.evaluate('harness.setOptions({probe: 1})')
    assert harness.locator('.gb-image-caption').text_content().startswith('probe sample 1')
    assert [t.strip().startswith('✓') for t in harness.locator('.gb-out-true').all_text_contents()].count(True) == 1
    assert network_signature(harness) != mean
    harness.evaluate("harness.setOptions({mode: 'gradient', probe: 'mean'})")
    assert 'dLoss/d activation' in harness.locator('.gb-caption').text_content()
    assert 'gradient' in harness.locator('.gb-network .gb-legend').text_content()
    assert network_signature(harness)['fills'] != mean['fills']
    label = harness.evaluate("harness.network.element.querySelector('svg').getAttribute('aria-label')")
    assert '64-32-10' in label and 'gradient' in label and harness.evaluate('harness.network.describe()') == label


def test_network_follows_container_width(harness):
    load(harness, MNIST)
    harness.evaluate("document.querySelector('#network').style.width = '560px'")
    harness.wait_for_function("Math.abs(+harness.network.element.querySelector('svg').getAttribute('width') - 560) < 2")
    # Narrow layout: the wrapped legend and caption still fit inside the drawing.
    bottom = harness.evaluate("""(() => { const svg = harness.network.element.querySelector('svg');
        return [svg.querySelector('.gb-caption').getBBox().y + svg.querySelector('.gb-caption').getBBox().height,
                +svg.getAttribute('height'), svg.querySelector('.gb-legend').getBBox().width]; })()""")
    assert bottom[0] <= bottom[1] and bottom[2] <= 560, bottom


def test_nan_loss_draws_a_gap_and_a_diverged_marker_without_errors(harness, artifacts_dir):
    load(harness, DIGITS, steps=4)
    harness.evaluate('harness.step(3, {diverge: true})')
    first_bad = 50  # snapshots are 10 steps apart: 0..40 fine, 50.. NaN
    assert harness.locator('.gb-diverged text').text_content() == f'diverged at step {first_bad}'
    current = harness.locator('.gb-chart-loss .gb-current').text_content()
    assert 'train NaN' in current and 'validation ∞' in current
    series = harness.evaluate("harness.curves.getSeries()[0]")
    assert series['divergedAt'] == first_bad and len(series['step']) == 8
    d = harness.locator('.gb-chart-loss path.gb-curve-train').get_attribute('d')
    assert d and 'NaN' not in d
    assert 'step 70' in harness.evaluate('harness.network.describe()')  # the network view kept drawing
    harness.locator('#curves').screenshot(path=str(artifacts_dir / 'views-curves-diverged.png'))


def test_curves_reset_when_a_new_run_starts_and_overlay_a_second_run(harness, artifacts_dir):
    load(harness, DIGITS, steps=30)
    assert len(harness.evaluate('harness.curves.getSeries()[0].step')) == 31
    assert harness.locator('.gb-chart-loss .gb-axis-label').all_text_contents() == ['step', 'loss']
    assert harness.locator('.gb-chart-accuracy .gb-axis-label').all_text_contents() == ['step', 'accuracy %']
    harness.evaluate("""harness.curves.setSeries('fork', Array.from({length: 25}, (_, i) => ({step: i * 12,
        train: {loss: 2.3 * Math.exp(-i / 6) + 0.2, accuracy: 0.9 - 0.8 * Math.exp(-i / 5)},
        val: {loss: 2.4 * Math.exp(-i / 6) + 0.3, accuracy: 0.85 - 0.75 * Math.exp(-i / 5)}})), {label: 'fork'})""")
    assert harness.locator('path.gb-curve-overlay').count() == 4
    assert 'fork' in harness.locator('.gb-legend-runs').text_content()
    harness.locator('#curves').screenshot(path=str(artifacts_dir / 'views-curves.png'))
    harness.evaluate('harness.restart()')  # same architecture, step back to 0
    assert harness.evaluate('harness.curves.getSeries()[0].step') == [0]
    assert harness.locator('.gb-chart-loss .gb-current').text_content().startswith('step 0')


def test_curves_with_thousands_of_points_stay_cheap(harness):
    result = harness.evaluate("""(() => {
        harness.curves.reset();
        const times = [];
        for (let i = 0; i < 5000; i++) {
            const t0 = performance.now();
            harness.curves.update({step: i, train: {loss: 2 / (1 + i / 200) + 0.05 * Math.sin(i), accuracy: i / 5000},
                                   val: {loss: i === 2500 ? NaN : 2.2 / (1 + i / 200), accuracy: i / 5200}});
            times.push(performance.now() - t0);
        }
        const d = document.querySelector('.gb-chart-loss path.gb-curve-train').getAttribute('d');
        times.sort((a, b) => a - b);
        return {median: times[2500], points: (d.match(/[ML]/g) || []).length, width: harness.curves.element.clientWidth};
    })()""")
    assert result['points'] <= 4 * result['width'], result  # drawn from a per-pixel digest, not 5000 points
    assert result['median'] < 20, result


def test_exported_svg_and_png_contain_the_drawing(harness, tmp_path):
    load(harness, DIGITS, steps=2)
    with harness.expect_download() as download:
        harness.evaluate('harness.network.exportSVG()')
    assert download.value.suggested_filename == 'glassbox-network.svg'
    root = ET.parse(download.value.path()).getroot()
    assert root.tag == SVG + 'svg'
    images = root.findall(f'.//{SVG}image')
    assert images and images[0].get('href').startswith('data:image/png;base64,')
    assert len(root.findall(f'.//{SVG}circle')) + len(root.findall(f'.//{SVG}rect')) >= 42
    texts = ''.join(root.itertext())
    assert 'hidden 1' in texts and 'output 10' in texts
    assert 'fill:' in root.find(f'.//{SVG}circle').get('style')  # computed styles were inlined

    with harness.expect_download() as download:
        harness.evaluate('harness.network.exportPNG()')
    data = Path(download.value.path()).read_bytes()
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    width, height = struct.unpack('>II', data[16:24])
    svg_width = harness.evaluate("+harness.network.element.querySelector('svg').getAttribute('width')")
    assert width == 2 * svg_width and height > 400

    with harness.expect_download() as download:
        harness.evaluate('harness.curves.exportSVG()')
    curves = ET.parse(download.value.path()).getroot()
    assert len(curves.findall(f'.//{SVG}path')) >= 4 and 'Accuracy' in ''.join(curves.itertext())


def test_curves_log_toggle_switches_the_loss_axis(harness):
    load(harness, DIGITS, steps=5)
    toggle = harness.locator('.gb-curves .gb-log-toggle')
    assert toggle.get_attribute('aria-pressed') == 'false'
    toggle.click()
    assert toggle.get_attribute('aria-pressed') == 'true'
    assert harness.locator('.gb-chart-loss .gb-axis-label').all_text_contents()[1] == 'loss (log scale)'
    assert 'NaN' not in harness.locator('.gb-chart-loss path.gb-curve-train').get_attribute('d')


def test_network_survives_sparse_and_non_finite_snapshots(harness):
    """Missing arrays (an engine that omits gradients) and NaN/Infinity everywhere must not throw."""
    result = harness.evaluate("""(() => {
        const t = (shape, fill) => ({dtype: 'float32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill)});
        const net = harness.network;
        net.update({schema: 1, step: 1, layer_sizes: [3, 4, 2], activation: 'tanh', layers: [{W: t([3, 4], 0.5)}, {W: t([4, 2], -0.5)}]});
        const sparse = net.inspect().edgeCount;
        net.setOptions({mode: 'gradient', probe: 2});
        const bad = (shape) => { const x = t(shape, NaN); x.data[0] = Infinity; return x; };
        net.update({schema: 1, step: 2, layer_sizes: [3, 4, 2], activation: 'tanh', train: {loss: NaN}, val: {loss: Infinity},
            probe: {x: bad([5, 3]), y: {dtype: 'int32', shape: [5], data: new Int32Array(5)}, prob: bad([5, 2])},
            layers: [0, 1].map((l) => { const s = [[3, 4], [4, 2]][l]; return {W: bad(s), dW: bad(s), b: bad([s[1]]),
                act: bad([5, s[1]]), pre: bad([5, s[1]]), grad_act: bad([5, s[1]]), grad_pre: bad([5, s[1]])}; })});
        harness.curves.update({step: 2, train: {loss: NaN, accuracy: null}, val: {loss: Infinity}});
        return {sparse, label: net.describe(), neurons: document.querySelectorAll('.gb-neuron').length};
    })()""")
    assert result['sparse'] == [12, 8]
    assert result['neurons'] == 3 + 4 + 2 and 'step 2' in result['label']


def test_overlays_recolour_and_mark_neurons_and_clicks_are_reported(harness):
    load(harness, [64, 32, 10], steps=3)
    harness.evaluate("""() => {
        window.clicks = [];
        harness.network.on('neuronclick', (n) => clicks.push(n));
        const fill = [null, Array.from({length: 32}, (_, k) => (k === 5 ? '#ff0000' : null)), null];
        const stroke = [null, Array.from({length: 32}, (_, k) => (k === 7 ? '#b91c1c' : null)), null];
        harness.network.setOverlay('test', {fill, stroke, badges: [null, 'dead units', null]});
    }""")
    neuron = lambda k: harness.locator('.gb-neuron[data-column="1"][data-index="%d"]' % k)
    assert neuron(5).get_attribute('fill') == '#ff0000'
    assert neuron(7).get_attribute('stroke') == '#b91c1c'
    assert 'dead units' in harness.locator('.gb-layer-badge').all_text_contents()
    x, y = screen_point(harness, 1, 5)
    harness.mouse.click(x, y)
    assert harness.evaluate('clicks') == [{'column': 1, 'index': 5}]
    harness.evaluate("harness.network.setOverlay('test', null)")
    assert neuron(5).get_attribute('fill') != '#ff0000' and neuron(7).get_attribute('stroke') is None
    assert not any(harness.locator('.gb-layer-badge').all_text_contents())
