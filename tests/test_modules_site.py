"""The module panels in headless Chromium (offline runtime): map, zoom into a module and back,
network highlight, detail heatmaps and metrics, comparison, URL rows, errors; and the measured
cost of one recomputation (written to test-artifacts/modules-timings.json, never asserted)."""
from __future__ import annotations

import json

import pytest
from conftest import follow_link

# The page shows this mode's panels only (site/js/ui/modes.js).
pytestmark = pytest.mark.app_settings(page='modules')
MODULES_TIMEOUT_MS = 120_000


def show_modules(page, after_step=0):
    """Scroll the module panel on screen (that starts the computation) and wait for a result."""
    page.locator('[data-panel="modules"]').scroll_into_view_if_needed()
    page.wait_for_function(f'''() => {{ const r = window.glassbox.moduleView.result;
        return r && r.step >= {after_step} && JSON.stringify(r.layer_sizes) === JSON.stringify(window.glassbox.state().layers); }}''',
                           timeout=MODULES_TIMEOUT_MS)
    settled(page)  # node transitions settle
    return page.evaluate('window.glassbox.moduleView.result')


def settled(page, selector='[data-panel="modules"]'):
    """Wait until a panel's drawing stops changing (its D3 transitions have ended) for five frames."""
    page.evaluate("""async (selector) => {
        const frame = () => new Promise((done) => requestAnimationFrame(done));
        const deadline = performance.now() + 30000;
        let last = null, same = 0;
        while (same < 5 && performance.now() < deadline) {
          await frame();
          const now = document.querySelector(selector)?.innerHTML;
          same = now === last ? same + 1 : 0;
          last = now;
        }
    }""", selector)


def save_timings(artifacts_dir, entries):
    path = artifacts_dir / 'modules-timings.json'
    old = json.loads(path.read_text()) if path.exists() else {}
    old.update(entries)
    path.write_text(json.dumps(old, indent=1))


def test_map_opens_zooms_into_a_module_highlights_it_and_backs_out(app, artifacts_dir):
    page = app
    page.evaluate('window.glassbox.train({steps: 300})')
    result = show_modules(page, after_step=300)
    nodes = page.locator('.gb-module-map .gb-mod-node')
    assert nodes.count() == len(result['modules']) >= 2
    labels = page.locator('.gb-module-map .gb-mod-label').all_text_contents()
    assert all(text.startswith('M') and ':' in text for text in labels)
    assert page.locator('.gb-module-map .gb-mod-out').count() == 10
    assert page.locator('.gb-module-map .gb-mod-edge').count() > 0
    page.locator('[data-panel="modules"]').screenshot(path=str(artifacts_dir / 'modules-map.png'))
    for panel, fmt in [('modules', 'png'), ('module-detail', 'svg')]:
        with page.expect_download() as download:
            page.locator(f'[data-export="{panel}"][data-format="{fmt}"]').click()
        exported = download.value.path().read_bytes()
        assert exported.startswith(b'\x89PNG' if fmt == 'png' else b'<svg') and len(exported) > 2000

    top = result['modules'][0]
    page.locator(f'.gb-module-map .gb-mod-node[data-module="{top["id"]}"]').click()
    page.wait_for_function('window.glassbox.moduleView.zoomed === true', timeout=10_000)
    settled(page)
    assert page.evaluate('window.glassbox.moduleView.zoomed') is True
    assert page.locator('.gb-module-zoom .gb-mod-card').count() == min(48, top['size'])
    assert page.locator('.gb-module-zoom image').count() == min(48, top['size'])  # incoming weights as 8x8 images
    page.locator('[data-panel="modules"]').screenshot(path=str(artifacts_dir / 'modules-zoom.png'))
    # the network view fills exactly the module's neurons with the module's colour
    fills = page.evaluate("""() => [...document.querySelectorAll('#network-view .gb-neuron[data-column="1"]')]
        .map(e => e.getAttribute('fill'))""")
    colour = page.evaluate(f'window.d3.schemeTableau10[{top["id"]} % 10]')
    assert [i for i, f in enumerate(fills) if f == colour] == sorted(top['members'])
    page.locator('[data-panel="network"]').screenshot(path=str(artifacts_dir / 'modules-network-highlight.png'))
    detail = page.locator('[data-panel="module-detail"]')
    assert 'Ablation' in ''.join(detail.locator('text').all_text_contents())
    assert detail.locator('image[data-heatmap]').count() == 3
    detail.screenshot(path=str(artifacts_dir / 'modules-detail.png'))

    page.locator('.gb-mod-back').click()
    assert page.evaluate('window.glassbox.moduleView.zoomed') is False
    assert page.locator('.gb-module-map').is_visible() and not page.locator('.gb-module-zoom').is_visible()
    # keyboard: focus a module card and press Enter
    page.locator('.gb-module-map .gb-mod-node').nth(1).focus()
    page.keyboard.press('Enter')
    assert page.evaluate('window.glassbox.moduleView.zoomed') is True
    assert not page.errors, page.errors


@pytest.mark.app_settings(dataset='mnist', hidden=[128], modules_every=3, speed=4)
def test_mnist_modules_form_while_training_and_the_recompute_cost_is_measured(app, artifacts_dir):
    page = app
    page.locator('[data-panel="modules"]').scroll_into_view_if_needed()
    first = show_modules(page)
    seen = page.evaluate("""async () => {
        const steps = [], ids = [];
        let last = null;
        const timer = setInterval(() => {
          const r = window.glassbox.moduleView.result;
          if (r && r !== last) { last = r; steps.push(r.step); ids.push(r.modules.map(m => m.id)); }
        }, 50);
        const t0 = performance.now();
        await window.glassbox.train({steps: 2400});
        const withModules = performance.now() - t0;
        clearInterval(timer);
        return {steps, ids, withModules};
    }""")
    # recomputed during training (a result of a step before the end), not only when it paused
    assert len(seen['steps']) >= 2 and first['step'] < seen['steps'][-1] and min(seen['steps'][1:]) < 2400, seen['steps']
    page.evaluate("window.glassbox.configure({modules_every: 0})")
    plain = page.evaluate('async () => { const t0 = performance.now(); await window.glassbox.train({steps: 2400}); return performance.now() - t0; }')
    cost = page.evaluate("""async () => {
        const runs = [];
        for (const [k, metrics] of [[6, false], [6, false], [6, true], ['auto', true]]) {
          const t0 = performance.now();
          const r = await window.glassbox.modules({layer: 1, method: 'kmeans', k, n: 1000, metrics, heatmaps: metrics});
          runs.push({k, metrics, engine_ms: r.timing_ms, wall_ms: performance.now() - t0, n: r.probe.n, neurons: r.layers[0].n_neurons});
        }
        return runs;
    }""")
    assert all(run['n'] == 1000 and run['neurons'] == 128 for run in cost)
    save_timings(artifacts_dir, {'mnist_128_1000_samples': cost,
                                 'train_2400_steps_ms': {'modules_every_3_snapshots': round(seen['withModules']),
                                                        'modules_off': round(plain)},
                                 'recomputations_during_2400_steps': len(seen['steps'])})
    show_modules(page)
    result = page.evaluate('window.glassbox.moduleView.result')
    assert result['image_shape'] == [28, 28]
    page.locator('[data-panel="modules"]').screenshot(path=str(artifacts_dir / 'modules-mnist-map.png'))
    page.locator(f'.gb-module-map .gb-mod-node[data-module="{result["modules"][0]["id"]}"]').click()
    page.wait_for_function('window.glassbox.moduleView.zoomed === true', timeout=10_000)
    settled(page)
    settled(page, '[data-panel="module-detail"]')
    page.locator('[data-panel="module-detail"]').screenshot(path=str(artifacts_dir / 'modules-mnist-detail.png'))
    page.locator('[data-panel="modules"]').screenshot(path=str(artifacts_dir / 'modules-mnist-zoom.png'))
    assert not page.errors, page.errors


def test_url_rows_drive_the_decomposition_and_the_side_by_side_comparison(app, artifacts_dir):
    page = follow_link(app, '#page=modules&autoplay=false&hidden=24&modules_method=agglomerative&modules_k=4&modules_vs=nmf&modules_vs_k=4')
    page.evaluate('window.glassbox.train({steps: 200})')
    result = show_modules(page, after_step=200)
    assert result['method'] == 'agglomerative' and len(result['modules']) == 4
    assert page.locator('#setting-modules_method').input_value() == 'agglomerative'
    compare = page.locator('[data-panel="module-compare"]')
    compare.scroll_into_view_if_needed()
    page.wait_for_function("document.querySelector('.gb-module-compare .gb-chart-title')", timeout=MODULES_TIMEOUT_MS)
    title = page.locator('.gb-module-compare .gb-chart-title').text_content()
    assert 'ARI' in title
    direct = page.evaluate('''window.glassbox.compareModules({layer: 1, a: {method: 'agglomerative', k: 4}, b: {method: 'nmf', k: 4}})
        .then(r => ({ari: r.ari, total: r.contingency.data.reduce((a, b) => a + b, 0)}))''')
    assert -1 <= direct['ari'] <= 1 and direct['total'] == 24
    assert title.endswith('ARI = ' + page.evaluate(f"window.d3.format('.3~g')({direct['ari']})"))
    compare.screenshot(path=str(artifacts_dir / 'modules-compare.png'))
    page.locator('#setting-modules_method').select_option('nmf')
    page.wait_for_function("window.glassbox.moduleView.result && window.glassbox.moduleView.result.method === 'nmf'",
                           timeout=MODULES_TIMEOUT_MS)
    assert 'modules_method=nmf' in page.evaluate('location.hash')
    assert not page.errors, page.errors


def test_bad_module_requests_get_clear_messages_and_the_page_keeps_working(app):
    page = follow_link(app, '#page=modules&autoplay=false&modules_k=99')
    state = page.evaluate('window.glassbox.state()')
    assert any('Modules per layer' in note for note in state['notes'])
    assert state['settings']['modules_k'] == 'auto'
    for call, word in [("{layer: 0}", 'layer'), ("{layer: 5}", 'layer'), ("{method: 'pca'}", 'method'),
                       ("{k: -1}", 'k'), ("{n: 3}", 'n'), ("{colour: 'red'}", 'unknown option')]:
        message = page.evaluate(f"window.glassbox.modules({call}).then(() => 'no error', e => e.message)")
        assert word in message, (call, message)
    ok = page.evaluate("window.glassbox.modules({layer: 1, k: 3, n: 100}).then(r => r.modules.map(m => m.members.length))")
    assert sum(ok) == 32
    page.evaluate('window.glassbox.train({steps: 5})')
    assert page.evaluate('window.glassbox.state().step') == 5
    assert not page.errors, page.errors
