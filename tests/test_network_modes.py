"""The network view follows the page's mode (settings.page): Explore
inputs' colours show only in that mode, and a click on a neuron does one thing per mode
(inputs: perturb its bias; modules: zoom its module; other modes: select it). The mode is the URL
key `page`, set through glassbox.configure as a link or the tabs would."""
from __future__ import annotations

import pytest

SET_PAGE = "(page) => glassbox.configure({page})"
NEURON = '#network-view .gb-neuron[data-column="1"][data-index="%d"]'


def colouring(page):
    return page.locator('#network-view .gb-legend-colouring').text_content()


@pytest.mark.app_settings(page='inputs', tab='pour', pour_a=[0], pour_b=[1])
def test_a_neuron_click_does_one_thing_per_mode_and_inputs_colours_stay_in_their_mode(app, artifacts_dir):
    page = app
    page.evaluate('window.glassbox.train({steps: 200})')
    page.evaluate('glassbox.pour({a: 0, b: 1, n: 100})')
    page.wait_for_function("() => document.querySelector('#network-view .gb-legend-colouring')?.textContent.includes('A only')", timeout=20_000)
    page.evaluate(SET_PAGE, 'train')
    page.wait_for_function("() => document.querySelector('#network-view .gb-legend-colouring').textContent.includes('|activation|')")
    assert 'Click a neuron: select it' in page.locator('#network-view .gb-caption').text_content()
    before = page.evaluate('glassbox.inputsViews.perturb.result?.target ?? null')
    page.locator(NEURON % 3).click()
    assert page.locator('#network-view .gb-neuron.gb-selected').count() == 1
    page.evaluate("glassbox.request('runtime')")  # the engine has answered every earlier request
    assert page.evaluate('glassbox.inputsViews.perturb.result?.target ?? null') == before
    page.locator('[data-panel="network"]').screenshot(path=str(artifacts_dir / 'network-mode-train.png'))
    page.evaluate(SET_PAGE, 'inputs')
    page.wait_for_function("() => document.querySelector('#network-view .gb-legend-colouring').textContent.includes('A only')")
    assert 'perturb its bias' in page.locator('#network-view .gb-caption').text_content()
    page.locator(NEURON % 3).click()
    page.wait_for_function("""() => { const r = glassbox.inputsViews.perturb.result;
        return r && r.target.kind === 'bias' && r.target.layer === 0 && r.target.j === 3; }""", timeout=20_000)
    page.evaluate(SET_PAGE, 'modules')
    page.wait_for_function("() => document.querySelector('#network-view .gb-caption').textContent.includes('zoom into its module')")
    assert page.locator('#network-view .gb-mark-perturbed').count() == 0  # Perturb's mark left with its mode
    assert 'A only' not in colouring(page)
    assert not page.errors, page.errors


def test_the_network_legend_says_when_it_shows_a_replayed_step(app, artifacts_dir):
    page = app
    page.evaluate('window.glassbox.train({steps: 120})')
    step = page.evaluate("glassbox.replay(60).then((r) => glassbox.store.get().replay.step)")
    page.wait_for_function("(s) => document.querySelector('#network-view .gb-legend-colouring').textContent.includes('replay of step ' + s)", arg=step)
    assert f'replay of step {step}' in page.evaluate('glassbox.healthViews.network().describe()')
    page.locator('[data-panel="network"]').screenshot(path=str(artifacts_dir / 'network-legend-replay-app.png'))
    page.evaluate("glassbox.replay('live')")
    page.wait_for_function("() => !document.querySelector('#network-view .gb-legend-colouring').textContent.includes('replay')")
    assert not page.errors, page.errors
