"""The network view's legend, marks, output summary, text alternative and click behaviour
(site/js/views/network/network-legend.js and network.js), in the views harness (no engine).

Screenshots of the legend in each colouring go to test-artifacts/network-legend-*.png.
"""
from __future__ import annotations

import re

import pytest

from test_views import DIGITS, TOY, harness, load, screen_point, views_site, views_url  # noqa: F401 (fixtures)

POUR = """(() => {
    const colour = (a, b) => `rgb(${Math.round(34 + a * 6 + b * 206)},${Math.round(34 + a * 76)},${Math.round(46 + a * 209)})`;
    const fill = [null, Array.from({length: 32}, (_, k) => colour(k % 2, (k + 1) % 2)), Array.from({length: 10}, () => colour(1, 1))];
    harness.network.setOverlay('inputs', {fill, badges: ['neurons: pour'], legend: {title: 'pour: how each neuron answers A (3) vs B (8)',
        swatches: [[colour(1, 0), 'A only'], [colour(0, 1), 'B only'], [colour(1, 1), 'both'], [colour(0, 0), 'neither']]}});
})()"""


def legend_text(page):
    return page.locator('.gb-network .gb-legend').text_content()


def colouring(page):
    return page.locator('.gb-network .gb-legend-colouring').text_content()


def test_legend_names_what_colours_the_neurons_now(harness, artifacts_dir):
    load(harness, DIGITS, steps=3)
    net = harness.locator('#network')
    assert 'neuron |activation|' in colouring(harness)
    assert harness.locator('.gb-network .gb-legend').get_attribute('data-colouring') == 'activation'
    net.screenshot(path=str(artifacts_dir / 'network-legend-activation.png'))
    harness.evaluate("harness.setOptions({mode: 'gradient'})")
    assert 'neuron |gradient|' in colouring(harness) and '|activation|' not in legend_text(harness)
    net.screenshot(path=str(artifacts_dir / 'network-legend-gradient.png'))
    harness.evaluate("harness.setOptions({mode: 'activation'})")
    harness.evaluate(POUR)
    # Pour colours are explained by pour's swatches, never under the |activation| ramp.
    text = legend_text(harness)
    assert 'A only' in text and 'B only' in text and 'neither' in text
    assert '|activation|' not in text and harness.locator('.gb-network .gb-legend .gb-ramp').count() == 0
    assert harness.locator('.gb-network .gb-legend').get_attribute('data-colouring') == 'inputs'
    assert 'Neuron colours: pour' in harness.locator('.gb-network .gb-caption').text_content()
    assert 'pour' in harness.evaluate('harness.network.describe()')
    net.screenshot(path=str(artifacts_dir / 'network-legend-pour.png'))
    harness.evaluate("""harness.network.setOverlay('modules', {fill: [null, Array.from({length: 32}, (_, k) => ['#4e79a7', '#f28e2b'][k % 2]), null],
        legend: {title: 'fill hue = module', swatches: [['#4e79a7', 'M0'], ['#f28e2b', 'M1']]}})""")
    assert 'M0' in colouring(harness) and 'A only' not in colouring(harness)  # the overlay set last colours the neurons
    net.screenshot(path=str(artifacts_dir / 'network-legend-modules.png'))
    harness.evaluate("harness.network.setOverlay('modules', null); harness.network.setOverlay('inputs', null)")
    assert 'neuron |activation|' in colouring(harness) and harness.locator('.gb-network .gb-legend .gb-ramp').count() == 1
    # Replay: the same ramp, and the legend says whose values it shows.
    harness.evaluate("harness.network.setOverlay('replay', {note: 'replay of step 20 (training paused)'})")
    assert 'neuron |activation| (per layer) · replay of step 20' in colouring(harness)
    net.screenshot(path=str(artifacts_dir / 'network-legend-replay.png'))
    harness.evaluate("harness.network.setOverlay('replay', null)")
    assert 'replay' not in colouring(harness)


def test_alert_dead_and_perturbed_marks_each_have_their_own_shape_and_legend_entry(harness, artifacts_dir):
    load(harness, DIGITS, steps=3)
    assert harness.locator('.gb-network .gb-legend [class*="gb-legend-mark-"]').count() == 0
    harness.evaluate("""(() => {
        const marks = (pick) => [null, Array.from({length: 32}, (_, k) => pick[k] || null), null];
        harness.network.setOverlay('health', {marks: marks({3: 'alert', 4: 'dead'})});
        harness.network.setOverlay('inputs', {marks: marks({9: 'perturbed'})});
    })()""")
    neuron = lambda k: harness.locator('.gb-neuron[data-column="1"][data-index="%d"]' % k)
    style = lambda k, prop: harness.evaluate(f"getComputedStyle(document.querySelector('.gb-neuron[data-column=\"1\"][data-index=\"{k}\"]')).{prop}")
    assert neuron(3).get_attribute('data-mark') == 'alert' and style(3, 'strokeDasharray') not in ('none', '')
    assert style(3, 'stroke') == 'rgb(230, 159, 0)'  # orange, dashed
    assert neuron(4).get_attribute('data-mark') == 'dead' and neuron(4).get_attribute('fill') == '#cbd5e1'
    assert style(4, 'strokeDasharray') == 'none'
    diamond = harness.locator('.gb-marks path.gb-mark-perturbed')
    assert diamond.count() == 1 and diamond.get_attribute('data-index') == '9'
    text = legend_text(harness)
    assert 'dashed orange ring = health alert' in text and 'grey disc = dead' in text and 'perturbed parameter' in text
    assert 'red' not in text  # no colour word stands for two things
    harness.locator('#network').screenshot(path=str(artifacts_dir / 'network-legend-marks.png'))
    harness.evaluate("harness.network.setOverlay('health', null); harness.network.setOverlay('inputs', null)")
    assert diamond.count() == 0 and neuron(3).get_attribute('data-mark') is None
    assert harness.locator('.gb-network .gb-legend [class*="gb-legend-mark-"]').count() == 0


def test_outputs_show_the_probe_inputs_prediction_or_say_they_are_a_mean(harness):
    load(harness, DIGITS, steps=5)
    harness.evaluate('harness.setOptions({probe: 2})')
    probs = harness.evaluate('Array.from(harness.snapshot.probe.prob.data.slice(20, 30))')
    top = max(range(10), key=lambda k: probs[k])
    summary = harness.locator('.gb-layer-detail').last.text_content()
    assert summary == f'predicted {top} · {round(100 * probs[top])}%'
    harness.evaluate("harness.setOptions({probe: 'mean'})")
    count = harness.evaluate('harness.snapshot.probe.x.shape[0]')
    assert harness.locator('.gb-layer-detail').last.text_content() == f'mean over {count} inputs'
    assert 'not a prediction' in harness.evaluate('harness.network.describe()')


def test_toy_inputs_show_the_shown_points_coordinates(harness):
    load(harness, TOY, steps=2)
    harness.evaluate('harness.setOptions({probe: 1})')
    labels = harness.locator('.gb-feature-labels text').all_text_contents()
    x = harness.evaluate('Array.from(harness.snapshot.probe.x.data.slice(2, 4))')
    assert [label.split(' = ')[0] for label in labels] == ['x1', 'x2']
    assert [float(label.split(' = ')[1].replace('\u2212', '-')) for label in labels] == pytest.approx(x, rel=1e-3, abs=1e-4)


def test_description_counts_active_neurons_and_states_the_prediction(harness):
    load(harness, DIGITS, steps=4)
    harness.evaluate('harness.setOptions({probe: 5})')
    label = harness.evaluate("harness.network.element.querySelector('svg').getAttribute('aria-label')")
    assert label == harness.evaluate('harness.network.describe()')
    active = harness.evaluate("""Array.from(harness.snapshot.layers[0].act.data.slice(5 * 32, 6 * 32)).filter((v) => Math.abs(v) > 1e-3).length""")
    assert f'hidden layer 1: {active} of 32 neurons active' in label
    probs = harness.evaluate('Array.from(harness.snapshot.probe.prob.data.slice(50, 60))')
    top = max(range(10), key=lambda k: probs[k])
    truth = harness.evaluate('harness.snapshot.probe.y.data[5]')
    assert re.search(rf'predicted {top} with {round(100 * probs[top])}% \(true label {truth}\)', label), label


def test_click_selects_a_neuron_unless_the_mode_owns_clicks(harness):
    load(harness, DIGITS, steps=2)
    harness.evaluate("() => { window.clicks = []; harness.network.on('neuronclick', (n) => clicks.push(n)); }")
    assert 'Click a neuron: select it' in harness.locator('.gb-network .gb-caption').text_content()
    harness.mouse.click(*screen_point(harness, 1, 4))
    assert harness.locator('.gb-neuron.gb-selected').count() == 1
    harness.mouse.click(*screen_point(harness, 1, 4))
    assert harness.locator('.gb-neuron.gb-selected').count() == 0
    harness.evaluate("harness.network.setOverlay('modules-click', {click: 'zoom into its module'})")
    assert 'Click a neuron: zoom into its module' in harness.locator('.gb-network .gb-caption').text_content()
    harness.mouse.click(*screen_point(harness, 1, 4))
    assert harness.locator('.gb-neuron.gb-selected').count() == 0  # the mode's action only
    assert harness.evaluate('clicks.length') == 3


def test_view_text_is_at_least_12px(harness):
    load(harness, DIGITS, steps=3)
    harness.evaluate(POUR)
    sizes = harness.evaluate("""[...document.querySelectorAll('svg text')].filter((t) => t.textContent.trim())
        .map((t) => [t.textContent.slice(0, 30), parseFloat(getComputedStyle(t).fontSize)])""")
    assert sizes and not [s for s in sizes if s[1] < 12], [s for s in sizes if s[1] < 12]
