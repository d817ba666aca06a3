"""Health feature in the built site (headless Chromium, offline runtime): every alert triggered
through the UI, a one-click fix training side by side, divergence and roll-back, the views'
numbers against the raw snapshot, gradient scale, pruning. Screenshots: test-artifacts/health-*.png.
"""
from __future__ import annotations

import json
import math

import pytest

from glassbox.monitor.presets import PRESETS
from conftest import frames

# The page shows this mode's panels only (site/js/ui/modes.js).
pytestmark = pytest.mark.app_settings(page='health')


NAN_IN_HEALTH_PANELS = """() => [...document.querySelectorAll(
    ['health', 'gradflow', 'distributions', 'updates', 'raster', 'pruning', 'network', 'curves']
      .map((p) => `[data-panel="${p}"] path, [data-panel="${p}"] text, [data-panel="${p}"] rect, [data-panel="${p}"] line`).join(', '))]
    .filter((e) => [...e.attributes].some((a) => a.value.includes('NaN'))).map((e) => e.outerHTML.slice(0, 120))"""


def assert_no_errors(page):
    """No console error at all, and no NaN in an attribute of this feature's panels."""
    assert page.evaluate(NAN_IN_HEALTH_PANELS) == []
    assert not page.errors, page.errors


def record_cost(artifacts_dir, key, value):
    """Add a measurement to test-artifacts/health-cost.json (reported, never asserted)."""
    path = artifacts_dir / 'health-cost.json'
    old = json.loads(path.read_text()) if path.exists() else {}
    old[key] = value
    path.write_text(json.dumps(old, indent=1))


def shot(page, panel, path):
    """Screenshot a panel after scrolling it into view (its views redraw when they become visible)."""
    loc = page.locator(f'[data-panel="{panel}"]')
    loc.scroll_into_view_if_needed()
    frames(page, 3)
    loc.screenshot(path=str(path))


def test_each_preset_chosen_in_the_menu_raises_its_alert(app, artifacts_dir):
    page = app
    for name in sorted(PRESETS, key=lambda n: n == 'plateau'):
        preset = PRESETS[name]
        if not preset['detectors']:
            continue
        page.select_option('#setting-preset', name)
        page.wait_for_function(f"glassbox.state().settings.preset === '{name}' && glassbox.state().step === 0 "
                               "&& glassbox.state().status !== 'training'", timeout=30_000)
        assert page.locator('#setting-preset').input_value() == name
        page.evaluate("""() => { window.firstSeen = {}; window.stopWatching && window.stopWatching();
            window.stopWatching = glassbox.on('run', (a) => (a.alerts || []).forEach((x) => { window.firstSeen[x.kind] ??= a.step; })); }""")
        page.click('[data-action="play"]')
        selector = ', '.join(f'[data-panel="health"] .gb-h-alert[data-kind="{k}"]' for k in preset['detectors'])
        try:
            page.wait_for_selector(selector, timeout=60_000)
        except Exception:  # say where the run was and what the monitor saw
            seen = page.evaluate("({state: (({status, step, loss, notes, error}) => ({status, step, loss, notes, error}))(glassbox.state()),"
                                 " first: window.firstSeen, alerts: glassbox.health().map((a) => a.kind)})")
            raise AssertionError('%s: no %s alert drawn within 60 s: %r' % (name, preset['detectors'], seen))
        page.evaluate('glassbox.pause()')
        first = page.evaluate('window.firstSeen')
        tripped = [k for k in preset['detectors'] if k in first]
        assert tripped and all(first[k] <= preset['within_steps'] for k in tripped), (name, first)
        found = [a for a in page.evaluate('glassbox.health()') if a['kind'] in preset['detectors']]
        assert all(a['message'] and a['recommendation'] and a['rule'] and a['fix']['changes'] for a in found)
        shot(page, 'health', artifacts_dir / f'health-{name}-alerts.png')
        shot(page, 'network', artifacts_dir / f'health-{name}-network.png')
        assert page.evaluate(NAN_IN_HEALTH_PANELS) == [], name
    assert_no_errors(page)


@pytest.mark.app_settings(preset='vanishing', mode='gradient', grad_scale='global')
def test_gradient_scale_then_a_fix_that_trains_side_by_side(app, artifacts_dir):
    page = app
    page.evaluate('glassbox.train({steps: 30})')
    frames(page)
    lightness = """() => {
        for (const other of ['inputs', 'modules']) glassbox.healthViews.network().setOverlay(other, null); // only our colours
        const col = (c) => [...document.querySelectorAll(`#network-view .gb-neuron[data-column="${c}"]`)].map((e) => e.getAttribute('fill'));
        const light = (hex) => { const n = parseInt(hex.slice(1), 16); return ((n >> 16) + ((n >> 8) & 255) + (n & 255)) / 765; };
        const mean = (c) => col(c).reduce((a, h) => a + light(h), 0) / col(c).length;
        return [mean(1), mean(5)];
    }"""
    first, last = page.evaluate(lightness)
    assert first > last + 0.2  # on one scale, hidden 1 (gradients ~1e-11) is far lighter than hidden 5
    shot(page, 'network', artifacts_dir / 'health-gradient-global.png')
    page.click('#advanced-settings summary')  # gradient scale is an advanced setting
    page.select_option('#setting-grad_scale', 'layer')
    page.wait_for_function("glassbox.state().settings.grad_scale === 'layer'", timeout=10_000)
    frames(page)
    per_layer = page.evaluate(lightness)
    assert abs(per_layer[0] - per_layer[1]) < first - last  # per layer, every layer spans the ramp
    assert 'grad_scale' not in page.url and 'preset=vanishing' in page.url
    page.click('[data-action="play"]')
    fix = page.locator('.gb-h-alert[data-kind="vanishing_gradients"] .gb-h-fix')
    fix.wait_for(timeout=60_000)
    fix.click()
    page.wait_for_function("glassbox.runs().includes('fork-1') && glassbox.state().status === 'training'", timeout=30_000)
    page.wait_for_function("(glassbox.healthStore.get('fork-1')?.summaries.length || 0) >= 30", timeout=60_000)
    page.evaluate('glassbox.pause()')
    costs = page.evaluate("glassbox.healthStore.get('fork-1').healthMs.slice().sort((a, b) => a - b)")
    record_cost(artifacts_dir, 'browser (Pyodide 0.17, digits 64-32x5-10, 10 steps per snapshot)',
                {'health_ms_median': costs[len(costs) // 2], 'snapshots': len(costs)})
    fork = page.evaluate("""() => { const r = glassbox.healthStore.get('fork-1'); const s = r.summaries[r.summaries.length - 1];
        return {start: r.start, changes: r.changes, acc: s.val_accuracy, alerts: r.alerts.map((a) => a.kind)}; }""")
    main = page.evaluate('glassbox.state()')
    assert fork['start'] == 'beginning' and fork['changes']['activation'] == 'relu'
    assert fork['acc'] > main['valAccuracy'] + 0.3  # the fixed run learns, the original does not
    assert page.locator('[data-panel="health"] tr[data-run="fork-1"]').count() == 1
    assert page.locator('[data-panel="curves"] path[data-run="fork-1"]').count() >= 2  # overlaid curves
    shot(page, 'curves', artifacts_dir / 'health-fix-curves.png')
    shot(page, 'health', artifacts_dir / 'health-fix-runs.png')
    # Show the fork in the health views.
    page.check('tr[data-run="fork-1"] input[type="radio"]')
    shot(page, 'gradflow', artifacts_dir / 'health-fix-gradflow.png')
    assert_no_errors(page)


@pytest.mark.app_settings(preset='exploding')
def test_divergence_stops_names_step_and_layer_and_rolls_back(app, artifacts_dir):
    page = app
    page.click('[data-action="play"]')
    page.wait_for_function("glassbox.state().status === 'diverged'", timeout=60_000)
    state = page.evaluate('glassbox.state()')
    assert 'diverged at step' in state['error'] and 'Roll back' in state['error']
    box = page.locator('.gb-h-divergence')
    box.wait_for(timeout=30_000)
    d = page.evaluate("glassbox.healthStore.get('main').divergence")
    assert d['last_finite_step'] == d['step'] - 1 and d['healthy_step'] == 0
    assert f"step {d['step']}" in box.inner_text()
    shot(page, 'health', artifacts_dir / 'health-diverged.png')
    page.click('[data-action="rollback-last-finite"]')
    page.wait_for_function(f"glassbox.state().step === {d['step'] - 1} && glassbox.state().status === 'paused'", timeout=20_000)
    page.evaluate("glassbox.train({steps: 10})")  # still doomed: it diverges again
    page.wait_for_function("glassbox.state().status === 'diverged'", timeout=20_000)
    page.click('[data-action="rollback-healthy"]')
    page.wait_for_function("glassbox.state().step === 0 && glassbox.state().status === 'paused'", timeout=20_000)
    page.fill('#setting-lr', '0.35')
    page.dispatch_event('#setting-lr', 'change')
    page.wait_for_function("glassbox.state().settings.lr === 0.35", timeout=10_000)
    after = page.evaluate("glassbox.train({steps: 200})")
    assert after['status'] == 'paused' and after['step'] == 200 and math.isfinite(after['valLoss'])
    assert after['valAccuracy'] > 0.8
    shot(page, 'curves', artifacts_dir / 'health-rolled-back-curves.png')
    assert_no_errors(page)


def test_healthy_default_views_pruning_and_exports(app, artifacts_dir):
    """No alert over a full default run; the distributions and the raster show exactly what the raw
    snapshot holds; pruning reports accuracy and draws the smaller net; every panel exports."""
    page = app
    seen = page.evaluate("""async () => {
        const kinds = new Set(), health = [], times = [];
        const off = glassbox.on('run', (a) => {
          (a.alerts || []).forEach((x) => kinds.add(x.kind));
          health.push(a.health_ms);
          times.push(performance.now());
        });
        await glassbox.train({steps: 1000});
        off();
        const median = (v) => v.slice().sort((a, b) => a - b)[v.length >> 1];
        const gaps = times.slice(1).map((t, i) => t - times[i]);
        return {kinds: [...kinds], healthMs: median(health), chunkMs: median(gaps), n: health.length};
    }""")
    assert seen['kinds'] == []
    record_cost(artifacts_dir, 'browser (Pyodide 0.17, digits 64-32-10, 10 steps per snapshot)',
                {'health_ms_median': seen['healthMs'], 'chunk_ms_median': seen['chunkMs'], 'snapshots': seen['n']})
    assert page.locator('[data-panel="health"] .gb-h-alert').count() == 0
    assert 'No problems detected' in page.locator('.gb-h-empty').inner_text()
    for panel in ('distributions', 'raster', 'updates', 'gradflow'):
        shot(page, panel, artifacts_dir / f'health-{panel}.png')
    check = page.evaluate("""() => {
        const v = glassbox.healthViews, snap = glassbox.snapshot();
        const drawn = v.distributions.data(), newest = drawn.hist[drawn.hist.length - 1];
        const W = snap.layers[0].W.data;
        let lo = Infinity, hi = -Infinity, sum = 0;
        for (const x of W) { lo = Math.min(lo, x); hi = Math.max(hi, x); sum += x; }
        // history.py's bins in float32 arithmetic: floor((x - lo) * (B / (hi - lo))), last bin closed.
        const B = newest.counts.length, scale = Math.fround(B / (hi - lo)), counts = new Array(B).fill(0);
        for (const x of W) counts[Math.min(B - 1, Math.floor(Math.fround(Math.fround(x - lo) * scale)))]++;
        const raster = v.raster.data(), act = snap.layers[0].act, n = act.shape[1], P = act.shape[0];
        let worst = 0;
        raster.neurons.forEach((neuron, row) => {
          if (neuron.column !== 1) return;
          let mean = 0;
          for (let i = 0; i < P; i++) mean += act.data[i * n + neuron.index] / P;
          const got = raster.values[row][raster.values[row].length - 1];
          worst = Math.max(worst, Math.abs(got - mean) / Math.max(1e-6, Math.abs(mean)));
        });
        return {step: snap.step, drawnStep: drawn.steps[drawn.steps.length - 1], lo, hi, counts, drawnCounts: Array.from(newest.counts),
                drawnLo: newest.lo, drawnHi: newest.hi, drawnMean: newest.mean, mean: sum / W.length,
                rasterStep: raster.steps[raster.at], rasterRel: worst, rows: raster.neurons.length};
    }""")
    assert check['drawnStep'] == check['step'] == check['rasterStep'] == 1000
    assert check['drawnLo'] == check['lo'] and check['drawnHi'] == check['hi']
    assert check['drawnCounts'] == check['counts'] and sum(check['counts']) == 64 * 32
    assert check['drawnMean'] == pytest.approx(check['mean'], rel=1e-5)
    assert check['rows'] == 32 + 10 and check['rasterRel'] < 1e-5
    # Sorting by similarity or settle time keeps every neuron exactly once.
    for sort in ('similarity', 'settled'):
        page.select_option('[data-panel="raster"] select >> nth=1', sort)
        ids = page.evaluate("glassbox.healthViews.raster.data().neurons.map((n) => n.column + ':' + n.index)")
        assert len(ids) == len(set(ids)) == 42
    shot(page, 'raster', artifacts_dir / 'health-raster-similarity.png')
    # Scrubbing the raster back to step 500 recolours the network view with that step's values.
    fills = "() => [...document.querySelectorAll('#network-view .gb-neuron[data-column=\"1\"]')].map((e) => e.getAttribute('fill')).join()"
    live = page.evaluate(fills)
    page.evaluate("""() => { const slider = document.querySelector('[data-panel="raster"] input[type="range"]');
        const steps = glassbox.healthViews.raster.data().steps; slider.value = String(steps.indexOf(500));
        slider.dispatchEvent(new Event('input')); }""")
    assert 'showing step 500' in page.locator('[data-panel="raster"] .gb-h-readout').inner_text()
    page.wait_for_function(f'(live) => ({fills})() !== live', arg=live, timeout=10_000)
    assert page.evaluate(fills) != live
    page.evaluate("""() => { const slider = document.querySelector('[data-panel="raster"] input[type="range"]');
        slider.value = slider.max; slider.dispatchEvent(new Event('input')); }""")
    page.wait_for_function(f'(live) => ({fills})() === live', arg=live, timeout=10_000)
    assert page.evaluate(fills) == live
    page.select_option('[data-panel="distributions"] select >> nth=2', 'ridge')
    assert page.evaluate('glassbox.healthViews.distributions.data().mode') == 'ridge'
    assert page.locator('[data-panel="distributions"] path.gb-ridge').count() >= 10
    shot(page, 'distributions', artifacts_dir / 'health-distributions-ridge.png')
    # Pruning the units that stay constant (dead ReLUs) keeps the accuracy and shrinks the drawing.
    page.locator('[data-panel="pruning"]').scroll_into_view_if_needed()
    page.click('[data-action="prune"]')
    page.wait_for_selector('.gb-h-prune-acc', timeout=30_000)
    result = page.evaluate('glassbox.healthViews.pruning.data().last')
    assert result['sizes_after'][1] < result['sizes_before'][1]
    assert abs(result['accuracy_after'] - result['accuracy_before']) < 0.01
    text = page.locator('.gb-h-prune-acc').inner_text()
    assert 'Validation accuracy' in text and 'before' in text and 'after' in text
    assert page.locator('.gb-h-pruned-net .gb-neuron[data-column="1"]').count() == result['sizes_after'][1]
    assert page.evaluate('glassbox.runs()') == ['main', result['run']]
    shot(page, 'pruning', artifacts_dir / 'health-pruning.png')
    for panel in ('health', 'gradflow', 'distributions', 'updates', 'raster', 'pruning'):
        page.locator(f'[data-panel="{panel}"]').scroll_into_view_if_needed()
        frames(page, 3)
        for fmt in ('svg', 'png'):
            with page.expect_download() as info:
                page.click(f'[data-export="{panel}"][data-format="{fmt}"]')
            assert info.value.suggested_filename.endswith('.' + fmt)
    assert_no_errors(page)
