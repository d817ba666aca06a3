"""The Explore inputs panel in headless Chromium (offline runtime), driven through window.glassbox
and through the UI: morph, draw, pour, perturb, hidden space, the input plane and the force layout.

Screenshots: test-artifacts/inputs-*.png. Measured times (50-step morph, 2 x 500-sample pour, on
digits and MNIST) go to test-artifacts/inputs-timings.json; they are reported, never asserted.
"""
from __future__ import annotations

import json

import pytest
from conftest import follow_link, frames

# The page shows this mode's panels only (site/js/ui/modes.js).
pytestmark = pytest.mark.app_settings(page='inputs')

TIMINGS = {}


def save_timings(artifacts_dir):
    path = artifacts_dir / 'inputs-timings.json'
    old = json.loads(path.read_text()) if path.exists() else {}
    old.update(TIMINGS)
    path.write_text(json.dumps(old, indent=1))


def shot(page, artifacts_dir, name, selector='[data-panel="inputs"]'):
    panel = page.locator(selector)
    panel.scroll_into_view_if_needed()
    frames(page, 3)  # panels above may redraw once they have been scrolled past
    panel.scroll_into_view_if_needed()
    panel.screenshot(path=str(artifacts_dir / f'inputs-{name}.png'))


def drawing_classified(page):
    """Wait until the drawing pad shows its newest input and the prediction made from exactly it."""
    return page.evaluate("""async () => {
        const v = glassbox.inputsViews.draw, frame = () => new Promise((done) => requestAnimationFrame(done));
        const deadline = performance.now() + 60000;
        while (performance.now() < deadline) {
          await frame(); await frame();  // the pad reads its pixels in the frame after a stroke
          const x = v.input, r = v.result;
          if (x && r) {
            const again = await glassbox.classify(Array.from(x));
            if (v.input === x && v.result === r && JSON.stringify(Array.from(again.probs.data)) === JSON.stringify(Array.from(r.probs.data))) return true;
          }
        }
        throw new Error('the drawing pad did not settle on a prediction of its input within 60 s');
    }""")


def neuron_fills(page):
    return page.evaluate("""() => [...document.querySelectorAll('#network-view .gb-neuron')]
        .map(e => [+e.dataset.column, +e.dataset.index, e.getAttribute('fill')])""")


TIME_MORPH_AND_POUR = """async () => {
    const t0 = performance.now();
    const morph = await glassbox.morph({from: 5, to: 6, steps: 50});
    const t1 = performance.now();
    await glassbox.request('morph', {from: {class: 5}, to: {class: 6}, steps: 50});
    const t2 = performance.now();
    await glassbox.showTab('pour');
    const t3 = performance.now();
    const pour = await glassbox.pour({a: [0, 2, 4, 6, 8], b: [1, 3, 5, 7, 9], n: 500});
    const t4 = performance.now();
    await glassbox.request('pour', {a: [0, 2, 4, 6, 8], b: [1, 3, 5, 7, 9], n: 500});
    const t5 = performance.now();
    return {morph_ms: t1 - t0, morph_engine_ms: t2 - t1, pour_ms: t4 - t3, pour_engine_ms: t5 - t4,
            n_a: pour.n_a, n_b: pour.n_b, flips: morph.flips.length};
}"""


@pytest.mark.parametrize('dataset', [
    pytest.param('digits', marks=pytest.mark.app_settings(dataset='digits', hidden=[32])),
    pytest.param('mnist', marks=pytest.mark.app_settings(dataset='mnist', hidden=[128, 64]))])
def test_morph_and_pour_on_digits_and_mnist_are_timed(app, artifacts_dir, dataset):
    page = app
    page.evaluate('window.glassbox.train({steps: 200})')
    measured = page.evaluate(TIME_MORPH_AND_POUR)
    assert measured['n_a'] == measured['n_b'] == 500
    TIMINGS[f'{dataset}_morph_50_steps_ms'] = round(measured['morph_ms'], 1)
    TIMINGS[f'{dataset}_morph_50_steps_engine_only_ms'] = round(measured['morph_engine_ms'], 1)
    TIMINGS[f'{dataset}_pour_2x500_ms'] = round(measured['pour_ms'], 1)
    TIMINGS[f'{dataset}_pour_2x500_engine_only_ms'] = round(measured['pour_engine_ms'], 1)
    save_timings(artifacts_dir)
    shot(page, artifacts_dir, f'pour-{dataset}')
    assert not page.errors, page.errors


def test_morph_endpoints_match_classifying_them_and_the_slider_drives_the_view(app, artifacts_dir):
    page = app
    page.evaluate('window.glassbox.train({steps: 300})')
    check = page.evaluate("""async () => {
        const r = await glassbox.morph({from: 5, to: 6, steps: 50});
        const a = await glassbox.classify({index: r.from.index}), b = await glassbox.classify({index: r.to.index});
        const row = (t, i) => Array.from(t.data.slice(i * t.shape[1], (i + 1) * t.shape[1]));
        const t = Array.from(r.t.data);
        return {same: JSON.stringify(row(r.probs, 0)) === JSON.stringify(Array.from(a.probs.data))
                      && JSON.stringify(row(r.probs, 49)) === JSON.stringify(Array.from(b.probs.data)),
                preds: [r.pred.data[0], a.pred, r.pred.data[49], b.pred], monotone: t.every((v, i) => i === 0 || v > t[i - 1]),
                layers: r.acts.map(x => x.shape)};
    }""")
    assert check['same'] and check['monotone'] and check['preds'] == [5, 5, 6, 6]
    assert check['layers'] == [[50, 32], [50, 10]]
    before = neuron_fills(page)
    slider = page.locator('#gbi-morph-slider')
    slider.focus()
    for _ in range(30):
        page.keyboard.press('ArrowRight')
    assert 'step 30 of 49' in page.locator('#gbi-morph-where').inner_text()
    page.wait_for_function('''(before) => JSON.stringify([...document.querySelectorAll('#network-view .gb-neuron')]
        .map(e => [+e.dataset.column, +e.dataset.index, e.getAttribute('fill')])) !== JSON.stringify(before)''', arg=before, timeout=10_000)
    assert neuron_fills(page) != before  # the network view shows the morph's activations
    page.select_option('#gbi-morph-path', 'real')
    page.wait_for_function("glassbox.inputsViews.morph.result && glassbox.inputsViews.morph.result.path === 'real'")
    assert 'morph_path=real' in page.url
    shot(page, artifacts_dir, 'morph')
    assert not page.errors, page.errors


NAN_IN_INPUTS = """() => [...document.querySelectorAll('[data-panel="inputs"] *')]
    .filter((e) => [...e.attributes].some((a) => a.name !== 'aria-label' && a.value.includes('NaN')))
    .map((e) => e.outerHTML.slice(0, 120))"""


@pytest.mark.app_settings(activation='linear', lr=10, tab='morph')
def test_morph_on_a_diverged_network_says_so_instead_of_drawing_nan(app, artifacts_dir):
    page = app
    page.evaluate('window.glassbox.train({steps: 60})')
    assert page.evaluate('window.glassbox.state().loss') is None or page.evaluate(
        '!Number.isFinite(window.glassbox.state().loss)')  # the run diverged (NaN loss)
    page.evaluate('window.glassbox.morph({from: 5, to: 6, steps: 50})')
    page.wait_for_function('window.glassbox.inputsViews.morph.result', timeout=30_000)
    frames(page, 3)
    assert page.evaluate(NAN_IN_INPUTS) == [] and not page.errors, page.errors
    assert 'this network has diverged' in page.locator('[data-panel="inputs"]').text_content()
    shot(page, artifacts_dir, 'morph-diverged')
    assert not page.errors, page.errors


@pytest.mark.app_settings(tab='draw')
def test_drawing_with_the_mouse_and_keyboard_gives_a_live_prediction(app, artifacts_dir):
    page = app
    page.evaluate('window.glassbox.train({steps: 300})')
    pad = page.locator('#gbi-draw-pad')
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    x0, y0, w = box['x'], box['y'], box['width']
    page.mouse.move(x0 + 0.5 * w, y0 + 0.12 * w)  # a "1": one vertical stroke
    page.mouse.down()
    for k in range(20):
        page.mouse.move(x0 + 0.5 * w, y0 + (0.12 + 0.04 * k) * w)
    page.mouse.up()
    page.wait_for_function('glassbox.inputsViews.draw.result !== null')
    drawing_classified(page)
    drawn = page.evaluate('Array.from(glassbox.inputsViews.draw.input)')
    assert len(drawn) == 64 and max(drawn) > 0.5 and sum(v > 0.1 for v in drawn) >= 4
    result = page.evaluate('glassbox.inputsViews.draw.result')
    assert result['pred'] == 1
    # Keyboard: focus the pad, move the cursor, paint, undo.
    pad.focus()
    page.keyboard.press('ArrowRight')
    page.keyboard.press('Space')
    drawing_classified(page)
    painted = page.evaluate('Array.from(glassbox.inputsViews.draw.input)')
    assert painted != drawn
    page.click('#gbi-draw-undo')
    drawing_classified(page)
    assert page.evaluate('Array.from(glassbox.inputsViews.draw.input)') == pytest.approx(drawn, abs=1e-6)
    # Edit an existing sample: load it, then what the network sees is that sample.
    page.select_option('#gbi-draw-load-class', '4')
    page.click('#gbi-draw-load')
    page.wait_for_function("document.querySelector('#gbi-panel-draw .gbi-message').textContent.includes('Loaded')")
    loaded = page.evaluate("""async () => {
        const got = await glassbox.request('get_input', {input: {class: 4, nth: 0}});
        const seen = glassbox.inputsViews.draw.input;
        return Math.max(...Array.from(got.x.data, (v, i) => Math.abs(v - seen[i])));
    }""")
    assert loaded < 0.01
    shot(page, artifacts_dir, 'draw')
    assert not page.errors, page.errors


@pytest.mark.app_settings(tab='pour', pour_a=[0], pour_b=[1])
def test_pouring_colours_the_network_a_clicked_cell_shows_its_details_and_a_network_click_perturbs(app, artifacts_dir):
    page = app
    page.evaluate('window.glassbox.train({steps: 300})')
    result = page.evaluate("""async () => {
        const r = await glassbox.pour({a: 0, b: 1, n: 150});
        const same = await glassbox.pour({a: 2, b: 2, n: 30});
        return {a: r.a, b: r.b, sel: Array.from(r.layers[0].selectivity.data), cat: Array.from(r.layers[0].category.data),
                same: Math.max(...same.layers.flatMap(l => Array.from(l.selectivity.data, Math.abs)))};
    }""")
    assert result['a'] == [0] and result['b'] == [1] and result['same'] < 0.5
    page.evaluate('glassbox.pour({a: 0, b: 1, n: 150})')
    page.wait_for_function("""() => (document.querySelector('#network-view .gb-neuron[data-column="1"][data-index="0"]')
        ?.getAttribute('fill') || '').startsWith('rgb(')""", timeout=10_000)
    fills = {(c, k): f for c, k, f in neuron_fills(page)}
    assert fills[(1, 0)].startswith('rgb(')  # the pour's blue/red/purple colouring
    assert page.url.count('pour_a=0') == 1
    legend = page.locator('#network-view .gb-legend-colouring').text_content()
    assert 'A only' in legend and '|activation|' not in legend  # pour colours under pour's own legend
    # Click a neuron in pour's strip: the pour detail follows.
    page.locator('#gbi-panel-pour .gbi-pour-cell[data-column="1"][data-index="5"]').click()
    page.wait_for_function('glassbox.inputsViews.pour.selected', timeout=10_000)
    assert page.evaluate('glassbox.inputsViews.pour.selected') == {'column': 1, 'index': 5}
    assert 'hidden 1 · neuron 5' in page.locator('#gbi-panel-pour svg').first.text_content()
    shot(page, artifacts_dir, 'pour')
    shot(page, artifacts_dir, 'pour-network', '[data-panel="network"]')
    # In Explore inputs a click on a network neuron does one thing: its bias becomes Perturb's target.
    assert 'perturb its bias' in page.locator('#network-view .gb-caption').text_content()
    page.locator('#network-view .gb-neuron[data-column="1"][data-index="5"]').click()
    page.wait_for_function("""() => { const r = glassbox.inputsViews.perturb.result;
        return r && r.target.kind === 'bias' && r.target.layer === 0 && r.target.j === 5; }""", timeout=20_000)
    assert page.get_attribute('#gbi-tab-perturb', 'aria-selected') == 'true'
    page.wait_for_selector('#network-view .gb-mark-perturbed[data-column="1"][data-index="5"]', timeout=10_000)
    assert page.locator('#network-view .gb-neuron.gb-selected').count() == 0
    assert not page.errors, page.errors


@pytest.mark.app_settings(probe=3)
def test_perturbing_an_edge_clicked_in_the_network_and_reset_is_exact(app, artifacts_dir):
    page = app
    page.evaluate('window.glassbox.train({steps: 300})')
    frames(page)
    # Click the middle of a drawn hidden -> output edge (the canvas is under the SVG).
    point = page.evaluate("""() => {
        const n = (c, k) => document.querySelector(`#network-view .gb-neuron[data-column="${c}"][data-index="${k}"]`);
        const a = n(1, 0).getBoundingClientRect(), b = n(2, 3).getBoundingClientRect();
        return [(a.x + a.width + b.x) / 2, (a.y + b.y + b.height) / 2];
    }""")
    page.mouse.click(*point)
    page.wait_for_function("glassbox.inputsViews.perturb.result && glassbox.inputsViews.perturb.result.target.kind === 'weight'")
    assert page.get_attribute('#gbi-tab-perturb', 'aria-selected') == 'true'
    target = page.evaluate('glassbox.inputsViews.perturb.result.target')
    assert target['layer'] == 1
    moved = page.evaluate("""async (t) => {
        const r = await glassbox.perturb({target: {layer: 1, kind: 'weight', i: 0, j: 3}, value: 6, input: {index: 5}});
        const back = await glassbox.perturb({value: null});
        const clean = await glassbox.classify({index: 5});
        return {changed: r.perturbed.logits.data[3] !== r.original.logits.data[3],
                exact: JSON.stringify(Array.from(back.perturbed.logits.data)) === JSON.stringify(Array.from(clean.logits.data)),
                robust: r.robustness, acc: r.val_accuracy};
    }""", target)
    assert moved['changed'] and moved['exact']
    assert moved['robust']['method'] in ('exact walk', 'no effect')
    page.evaluate("glassbox.perturb({value: 2.5})")
    page.wait_for_function("""() => { const t = document.querySelector('#gbi-panel-perturb svg')?.textContent || '';
        return t.includes('Validation accuracy') && (t.includes('answer stays') || t.includes('no effect')); }""", timeout=10_000)
    text = page.locator('#gbi-panel-perturb svg').first.text_content()
    assert 'Validation accuracy' in text and ('answer stays' in text or 'no effect' in text)
    page.click('#gbi-perturb-reset')
    page.wait_for_function('glassbox.inputsViews.perturb.result.target.value === glassbox.inputsViews.perturb.result.target.original',
                           timeout=10_000)
    assert page.evaluate('glassbox.inputsViews.perturb.result.target.value === glassbox.inputsViews.perturb.result.target.original')
    page.evaluate("glassbox.perturb({value: 2.5})")
    shot(page, artifacts_dir, 'perturb')
    assert not page.errors, page.errors


@pytest.mark.app_settings(tab='hidden')
def test_hidden_space_pca_follows_training_and_tsne_runs_on_demand(app, artifacts_dir):
    page = app
    page.wait_for_function('glassbox.inputsViews.hidden.result !== null')
    first = page.evaluate('Array.from(glassbox.inputsViews.hidden.result.coords.data.slice(0, 6))')
    page.evaluate('window.glassbox.train({steps: 200})')
    page.wait_for_function('(first) => JSON.stringify(Array.from(glassbox.inputsViews.hidden.result.coords.data.slice(0, 6))) '
                           '!== JSON.stringify(first)', arg=first, timeout=30_000)
    assert page.evaluate('Array.from(glassbox.inputsViews.hidden.result.coords.data.slice(0, 6))') != first
    # Hover a point: its input appears in the tooltip.
    circle = page.locator('[data-panel="inputs"] .gbi-points circle').first
    circle.hover()
    page.locator('#gbi-panel-hidden .gb-tooltip img').wait_for(timeout=10_000)
    assert page.locator('#gbi-panel-hidden .gb-tooltip img').count() == 1
    assert 'validation #' in page.locator('#gbi-panel-hidden .gb-tooltip').inner_text()
    shot(page, artifacts_dir, 'hidden-pca')
    page.select_option('#gbi-proj-method', 'tsne')
    page.click('#gbi-proj-run')
    page.wait_for_function("document.querySelector('.gbi-progress span').textContent.length > 0")
    page.wait_for_function("glassbox.inputsViews.hidden.result.method === 'tsne'", timeout=120_000)
    TIMINGS['tsne_500_points_status'] = page.locator('.gbi-progress span').inner_text()
    save_timings(artifacts_dir)
    shot(page, artifacts_dir, 'hidden-tsne')
    assert not page.errors, page.errors


@pytest.mark.app_settings(dataset='xor', hidden=[8, 6], activation='tanh', init='glorot', lr=0.3)
def test_the_input_plane_shows_each_neuron_and_updates_while_training(app, artifacts_dir):
    page = app
    page.wait_for_function('glassbox.inputsViews && document.querySelector("[data-panel=input-plane]").hidden === false')
    first = page.evaluate('glassbox.inputPlane()')
    page.evaluate('window.glassbox.train({steps: 500})')
    later = page.evaluate('glassbox.inputPlane()')
    assert [n['shape'] for n in later['neurons']] == [[8, 24, 24], [6, 24, 24]]
    assert first['prob'] != later['prob']
    assert page.locator('[data-panel="input-plane"] .gbi-plane-nodes image').count() == 2 + 8 + 6
    shot(page, artifacts_dir, 'plane', '[data-panel="input-plane"]')
    assert not page.errors, page.errors


@pytest.mark.app_settings(hidden=[24, 12])
def test_force_layout_moves_neurons_and_lives_in_the_url(app, artifacts_dir):
    page = app
    page.evaluate('window.glassbox.train({steps: 200})')
    positions = """() => [...document.querySelectorAll('#network-view circle.gb-neuron')].map(e => [+e.getAttribute('cx'), +e.getAttribute('cy')])"""
    layered = page.evaluate(positions)
    page.select_option('#gbi-layout', 'force-weight')
    page.wait_for_function(f'(layered) => location.hash.includes("layout=force") && JSON.stringify(({positions})()) !== JSON.stringify(layered)',
                           arg=layered, timeout=10_000)
    assert 'layout=force' in page.url
    forced = page.evaluate(positions)
    assert len(forced) == len(layered) and forced != layered
    shot(page, artifacts_dir, 'force-weight', '[data-panel="network"]')
    page.select_option('#gbi-layout', 'force-coactivation')
    page.wait_for_function(f'(forced) => location.hash.includes("force_by=coactivation") && JSON.stringify(({positions})()) !== JSON.stringify(forced)',
                           arg=forced, timeout=10_000)
    assert 'force_by=coactivation' in page.url and page.evaluate(positions) != forced
    shot(page, artifacts_dir, 'force-coactivation', '[data-panel="network"]')
    page.select_option('#gbi-layout', 'layered')
    page.wait_for_function(f'(layered) => JSON.stringify(({positions})()) === JSON.stringify(layered)', arg=layered, timeout=10_000)
    assert page.evaluate(positions) == layered
    assert not page.errors, page.errors


def test_bad_tab_in_the_link_falls_back_with_a_note(app):
    page = follow_link(app, '#page=inputs&autoplay=false&tab=nowhere')
    assert any('tab' in note for note in page.evaluate('glassbox.state().notes'))
    assert page.get_attribute('#gbi-tab-morph', 'aria-selected') == 'true'
    error = page.evaluate("glassbox.morph({from: {x: [1, 2, 3]}}).then(() => null, e => e.message)")
    assert 'from.x must hold 64 numbers' in error
    assert 'from.x' in page.locator('[data-panel="inputs"] .gbi-message').first.inner_text()


def test_every_tab_exports_svg_and_png(app, tmp_path):
    page = app
    page.evaluate('window.glassbox.train({steps: 50})')
    page.evaluate("glassbox.draw(Array.from({length: 64}, (_, i) => (i % 8 === 3 ? 1 : 0)))")
    for tab in ['morph', 'draw', 'pour', 'perturb', 'hidden']:
        page.click(f'#gbi-tab-{tab}')
        page.wait_for_function(f"glassbox.inputsViews['{tab}'].result")
        frames(page)
        for fmt in ['svg', 'png']:
            with page.expect_download() as download:
                page.click(f'[data-panel="inputs"] button[data-format="{fmt}"]')
            path = tmp_path / f'{tab}.{fmt}'
            download.value.save_as(path)
            data = path.read_bytes()
            if fmt == 'svg':
                assert b'<svg' in data[:300] and (b'<circle' if tab == 'hidden' else b'<image') in data, tab
            else:
                assert data[:8] == b'\x89PNG\r\n\x1a\n' and len(data) > 5000, tab
    assert page.get_attribute('#gbi-tab-hidden', 'aria-selected') == 'true' and 'tab=hidden' in page.url
    assert not page.errors, page.errors


@pytest.mark.app_settings(dataset='mnist', hidden=[64], tab='draw')
def test_mnist_drawing_is_centred_like_mnist_and_perturb_reads_a_pixel_weight(app, artifacts_dir):
    page = app
    page.evaluate('window.glassbox.train({steps: 150})')
    pad = page.locator('#gbi-draw-pad')
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    import math
    cx, cy, r = box['x'] + 0.3 * box['width'], box['y'] + 0.35 * box['height'], 0.15 * box['width']
    page.mouse.move(cx + r, cy)
    page.mouse.down()
    for k in range(41):  # a small "0" drawn off-centre, top left
        page.mouse.move(cx + r * math.cos(2 * math.pi * k / 40), cy + 1.4 * r * math.sin(2 * math.pi * k / 40))
    page.mouse.up()
    page.wait_for_function('glassbox.inputsViews.draw.result !== null')
    drawing_classified(page)
    seen = page.evaluate('Array.from(glassbox.inputsViews.draw.input)')
    assert len(seen) == 784
    mass = sum(seen)
    row = sum(v * (i // 28) for i, v in enumerate(seen)) / mass
    col = sum(v * (i % 28) for i, v in enumerate(seen)) / mass
    assert abs(row - 13.5) < 1.5 and abs(col - 13.5) < 1.5  # centred by mass, as MNIST is
    rows = [i // 28 for i, v in enumerate(seen) if v > 0.2]
    assert 14 <= max(rows) - min(rows) <= 21  # scaled to fit a 20-pixel box
    shot(page, artifacts_dir, 'draw-mnist')
    page.evaluate("glassbox.showTab('perturb')")
    result = page.evaluate("""glassbox.perturb({target: {layer: 0, kind: 'weight', i: 14 * 28 + 14, j: 3}, value: 4, input: 'drawn'})
        .then(r => ({method: r.robustness.method, input: r.input, acc: r.val_accuracy}))""")
    assert result['method'] in ('exact walk', 'no effect') and result['input']['label'] is None
    shot(page, artifacts_dir, 'perturb-mnist')
    page.evaluate("glassbox.showTab('morph')")
    page.evaluate("glassbox.morph({from: 'drawn', to: 6, steps: 40, path: 'real'})")
    shot(page, artifacts_dir, 'morph-mnist')
    assert not page.errors, page.errors


@pytest.mark.app_settings(dataset='xor', hidden=[8], activation='tanh', lr=0.3, tab='morph', morph_path='real', morph_from=0, morph_to=1)
def test_morph_on_a_2d_dataset_draws_the_straight_path_on_the_plane(app, artifacts_dir):
    page = app
    page.evaluate('window.glassbox.train({steps: 200})')
    page.wait_for_function("glassbox.inputsViews.morph.result && glassbox.inputsViews.morph.result.path === 'pixel'", timeout=30_000)
    options = page.evaluate("[...document.querySelectorAll('#gbi-morph-path option')].map((o) => o.textContent)")
    assert options == ['Straight line between the two points']  # no "Pixel blend" / "Through real digits"
    panel = page.locator('#gbi-panel-morph')
    assert panel.locator('image:not(.gbi-heat-image)').count() == 0  # no 1x2 "image" (the black square)
    points = page.locator('#gbi-panel-morph .gbi-morph-point')
    steps = page.evaluate('glassbox.inputsViews.morph.result.t.shape[0]')
    assert points.count() == steps and panel.locator('.gbi-morph-here').count() == 1
    page.evaluate('glassbox.inputsViews.morph.setPosition(10)')
    x = page.evaluate('Array.from(glassbox.inputsViews.morph.result.x.data.slice(20, 22))')
    caption = panel.locator('.gbi-current .gbi-caption').text_content()
    assert caption.startswith('step 10 of') and 'the network says' in caption
    label = page.evaluate('glassbox.inputsViews.morph.describe()')
    assert label.startswith('Morph along the straight line from a') and 'at step 10' in label
    assert f'{x[0]:.2f}'[:3] in caption.replace('\u2212', '-')
    shot(page, artifacts_dir, 'morph-2d')
    assert not page.errors, page.errors
