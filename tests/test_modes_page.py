"""The app page as a first-time student meets it (site/js/ui/modes.js, keyboard.js, controls.js,
prediction-ui.js, style.css): mode tabs in the URL, the first screen at 1280x720, the sticky
transport, the keyboard shortcuts, phone and zoomed layouts, and the note a preset leaves.

Screenshots go to test-artifacts/ (mode-<page>-<size>.png, zoom-150.png, zoom-200.png) with each
mode's page height in test-artifacts/page-heights.json."""
from __future__ import annotations

import json

import pytest

from conftest import READY_MS, collect_errors, frames, open_app

PAGES = ['train', 'inputs', 'health', 'modules', 'swarm']
# Panels each mode shows (beside or below the network); every other mode hides them.
OWN_PANELS = {'train': ['curves', 'prediction'], 'inputs': ['inputs'], 'health': ['health', 'curves'],
              'modules': ['modules']}

VISIBLE = """(sel) => { const e = document.querySelector(sel); if (!e) return false;
    const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; }"""
BOX = """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
    return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; }"""
# The union of the network view's neurons and its input column: the drawing a student looks at.
NETWORK_BOX = """() => { const els = [...document.querySelectorAll('[data-panel="network"] .gb-neuron, [data-panel="network"] .gb-input-frame')];
    const rs = els.map((e) => e.getBoundingClientRect()).filter((r) => r.width > 0);
    return rs.length ? {left: Math.min(...rs.map((r) => r.left)), top: Math.min(...rs.map((r) => r.top)),
      right: Math.max(...rs.map((r) => r.right)), bottom: Math.max(...rs.map((r) => r.bottom)), n: rs.length} : null; }"""
SIDEWAYS = 'document.documentElement.scrollWidth - innerWidth'
# SVG text smaller than 12 CSS px (what a reader sees at zoom 1): [text, size] pairs, visible texts only.
SMALL_TEXT = """() => [...document.querySelectorAll('svg text')].filter((t) => t.getClientRects().length && t.textContent.trim())
    .map((t) => [t.textContent.trim().slice(0, 30), parseFloat(getComputedStyle(t).fontSize)]).filter(([, s]) => s < 12)"""


def settings(page):
    return page.evaluate('glassbox.state().settings')


def inside(box, width, height):
    return box['left'] >= 0 and box['top'] >= 0 and box['right'] <= width and box['bottom'] <= height


def shown_panels(page):
    return page.evaluate("""() => [...document.querySelectorAll('#layout [data-panel]')]
        .filter((p) => p.getClientRects().length && !document.getElementById('layout').hidden).map((p) => p.dataset.panel)""")


def wait_drawn(page):
    """Until the network view has drawn a snapshot (neurons on screen)."""
    page.wait_for_function("document.querySelectorAll('[data-panel=\"network\"] .gb-neuron').length > 0", timeout=READY_MS)
    frames(page)


# ---- tabs and the URL

def test_tabs_switch_the_mode_and_the_url_carries_it(app):
    tabs = app.locator('#modes [role="tab"]')
    assert tabs.count() == 5
    assert app.get_attribute('#mode-train', 'aria-selected') == 'true'
    assert set(OWN_PANELS['train']) <= set(shown_panels(app)) and 'inputs' not in shown_panels(app)
    app.click('#mode-health')
    app.wait_for_function("glassbox.state().settings.page === 'health'")
    assert 'page=health' in app.evaluate('location.hash')
    assert app.get_attribute('#mode-health', 'aria-selected') == 'true'
    assert app.get_attribute('#mode-train', 'aria-selected') == 'false'
    shown = shown_panels(app)
    assert {'network', 'health', 'curves', 'gradflow'} <= set(shown)
    assert not {'inputs', 'modules', 'prediction'} & set(shown)
    # Arrow keys move along the tab list and select (roving tabindex: only the selected tab is tabbable).
    app.focus('#mode-health')
    app.keyboard.press('ArrowRight')
    app.wait_for_function("glassbox.state().settings.page === 'modules'")
    assert app.evaluate('document.activeElement.id') == 'mode-modules'
    assert app.evaluate("[...document.querySelectorAll('#modes [role=tab]')].map((t) => t.tabIndex)") == [-1, -1, -1, 0, -1]
    app.keyboard.press('ArrowRight')
    app.wait_for_function("glassbox.state().settings.page === 'swarm'")
    assert app.is_visible('#swarm') and app.is_hidden('#layout')
    assert app.is_visible('#transport [data-action="play"]')  # the transport stays
    app.keyboard.press('Home')
    app.wait_for_function("glassbox.state().settings.page === 'train'")
    assert app.is_visible('[data-panel="network"]') and app.is_hidden('#swarm')


def test_a_link_opens_its_mode_and_a_bad_page_value_falls_back_to_train_with_a_note(app):
    app.evaluate("location.hash = '#page=inputs&autoplay=false'")
    app.wait_for_function("document.querySelector('#mode-inputs').getAttribute('aria-selected') === 'true'")
    assert app.is_visible('[data-panel="inputs"]') and app.is_visible('[data-panel="network"]')
    app.evaluate("location.hash = '#page=%3Cscript%3E&autoplay=false'")
    app.wait_for_function("glassbox.state().notes.some((n) => n.includes('Page mode'))")
    note = [n for n in app.evaluate('glassbox.state().notes') if 'Page mode' in n][0]
    assert 'page=<script>' in note and 'train, inputs, health, modules, swarm' in note and 'default' in note
    assert app.is_visible('#notes') and 'Page mode' in app.inner_text('#notes')
    app.wait_for_function("glassbox.state().settings.page === 'train'")
    assert app.get_attribute('#mode-train', 'aria-selected') == 'true'
    with pytest.raises(Exception, match='Page mode must be one of'):
        app.evaluate("glassbox.configure({page: 'lessons'})")


# ---- the first screen, the transport

def test_first_screen_at_1280x720_shows_the_network_the_curves_and_the_prediction(app, artifacts_dir):
    app.set_viewport_size({'width': 1280, 'height': 720})
    app.evaluate('glassbox.configure({probe: 3})')
    app.evaluate('glassbox.train(40)')
    wait_drawn(app)
    app.wait_for_function("document.querySelector('#prediction-text').textContent.startsWith('Input 3')")
    net = app.evaluate(NETWORK_BOX)
    assert net and net['n'] > 40 and inside(net, 1280, 720), net
    curves = app.evaluate(BOX, '[data-panel="curves"] svg')
    assert inside(curves, 1280, 720), curves
    prediction = app.evaluate(BOX, '[data-panel="prediction"]')
    assert inside(prediction, 1280, 720), prediction
    text = app.inner_text('#prediction-text')
    assert text.startswith('Input 3 (a ') and 'predicted' in text and '%' in text
    assert app.locator('.prediction-bars li').count() == 3
    assert app.evaluate(SIDEWAYS) <= 0
    assert 'brightness is how strongly it fires' in app.inner_text('#seeing')
    app.screenshot(path=str(artifacts_dir / 'mode-train-1280x720.png'))


def test_the_seeing_line_follows_the_mode_and_the_brightness(app):
    first = app.inner_text('#seeing')
    app.evaluate("glassbox.configure({mode: 'gradient'})")
    app.wait_for_function("document.querySelector('#seeing').textContent.includes('gradient')")
    assert app.inner_text('#seeing') != first
    app.evaluate("glassbox.configure({page: 'health'})")
    app.wait_for_function("document.querySelector('#seeing').textContent.includes('vanishing gradients')")


@pytest.mark.app_settings(page='health')
def test_transport_stays_on_screen_when_scrolled_to_the_bottom(app):
    app.set_viewport_size({'width': 1280, 'height': 720})
    app.evaluate('window.scrollTo(0, document.documentElement.scrollHeight)')
    app.wait_for_function('scrollY > 300')
    for action in ['play', 'step', 'reset']:
        box = app.evaluate(BOX, f'#transport [data-action="{action}"]')
        assert inside(box, 1280, 720), (action, box)
    assert inside(app.evaluate(BOX, '#status'), 1280, 720)
    app.click('#transport [data-action="step"]')
    app.wait_for_function('glassbox.state().step === 1')
    app.wait_for_function("document.querySelector('#status').textContent.includes('step 1')")


def test_expert_settings_sit_behind_the_advanced_disclosure(app):
    for key in ['dataset', 'hidden', 'activation', 'optimizer', 'lr', 'speed']:
        assert app.is_visible(f'#setting-{key}'), key
    for key in ['init', 'bias_init', 'l2', 'seed', 'batch_size', 'backend', 'grad_scale']:
        assert app.is_hidden(f'#setting-{key}'), key
    assert app.is_hidden('#setting-preset')  # Health mode's
    # Keyboard: Tab reaches the disclosure, Enter opens it, focus is visible on it.
    app.focus('#setting-probe')
    for _ in range(12):
        app.keyboard.press('Tab')
        if app.evaluate("document.activeElement.tagName") == 'SUMMARY':
            break
    assert app.evaluate("document.activeElement.textContent") == 'Advanced settings'
    assert app.evaluate("getComputedStyle(document.activeElement).outlineStyle") != 'none'
    app.keyboard.press('Enter')
    assert app.is_visible('#setting-init') and app.is_visible('#setting-grad_scale')


# ---- keyboard

def test_s_steps_right_after_clicking_pause(app):
    app.click('#transport [data-action="play"]')
    app.wait_for_function("glassbox.state().status === 'training'")
    app.click('#transport [data-action="play"]')  # now labelled Pause
    app.wait_for_function("glassbox.state().status === 'paused'")
    assert app.evaluate('document.activeElement.dataset.action') == 'play'
    before = app.evaluate('glassbox.state().step')
    app.keyboard.press('s')
    app.wait_for_function('(n) => glassbox.state().step === n + 1', arg=before)
    app.keyboard.press('r')
    app.wait_for_function('glassbox.state().step === 0')


def test_space_on_the_focused_play_button_toggles_once(app):
    app.click('#transport [data-action="play"]')
    app.wait_for_function("glassbox.state().status === 'training'")
    app.keyboard.press(' ')  # the focused button's own click: pause, and nothing more
    app.wait_for_function("glassbox.state().status === 'paused'")
    frames(app, 6)
    app.evaluate("glassbox.request('runtime')")
    assert app.evaluate('glassbox.state().status') == 'paused'


def test_space_and_s_work_with_focus_on_the_page(app):
    app.click('#seeing')
    app.keyboard.press(' ')
    app.wait_for_function("glassbox.state().status === 'training'")
    assert app.evaluate('scrollY') == 0  # Space did not scroll the page
    app.keyboard.press(' ')
    app.wait_for_function("glassbox.state().status === 'paused'")
    before = app.evaluate('glassbox.state().step')
    app.keyboard.press('S')
    app.wait_for_function('(n) => glassbox.state().step === n + 1', arg=before)


def test_a_focused_select_keeps_its_value_when_s_or_r_is_pressed(app):
    app.evaluate('glassbox.train(3)')
    for select in ['#setting-activation', '#setting-optimizer']:
        value = app.input_value(select)
        app.focus(select)
        app.keyboard.press('s')
        app.keyboard.press('r')
        app.keyboard.press('S')
        frames(app, 3)
        app.evaluate("glassbox.request('runtime')")
        assert app.input_value(select) == value, select
    state = app.evaluate('glassbox.state()')
    assert state['step'] == 3 and state['settings']['activation'] == 'relu' and state['settings']['optimizer'] == 'sgd'


def test_keys_typed_in_a_text_field_stay_there(app):
    app.fill('#setting-hidden', '')
    app.focus('#setting-hidden')
    app.keyboard.type('s r')
    assert app.input_value('#setting-hidden') == 's r'
    frames(app, 3)
    state = app.evaluate('glassbox.state()')
    assert state['status'] == 'paused' and state['step'] == 0


# ---- the preset note

@pytest.mark.app_settings(page='health', dataset='circle')
def test_choosing_a_preset_names_what_it_switched(app):
    assert app.is_visible('#setting-preset')
    app.select_option('#setting-preset', 'vanishing')
    app.wait_for_function("document.querySelector('#preset-note').textContent.length > 0", timeout=READY_MS)
    note = app.inner_text('#preset-note')
    assert note.startswith('Preset “Vanishing gradients” switched the ')
    assert 'dataset to Digits 8×8' in note and 'activation to sigmoid' in note and 'hidden layers to 32,32,32,32,32' in note
    assert app.evaluate('glassbox.state().dataset') == 'digits'
    # A later change that clears the preset clears its note.
    app.evaluate("glassbox.configure({activation: 'tanh'})")
    app.wait_for_function("document.querySelector('#preset-note').textContent === ''")


# ---- screenshots of every mode, phone and zoom

def test_every_mode_at_1280x720_screenshots_and_heights(app, artifacts_dir):
    app.set_viewport_size({'width': 1280, 'height': 720})
    app.evaluate('glassbox.train(40)')
    wait_drawn(app)
    heights = {}
    for mode in PAGES:
        app.evaluate('(page) => glassbox.configure({page})', mode)
        app.wait_for_function('(p) => document.body.dataset.page === p', arg=mode)
        frames(app, 3)
        app.wait_for_timeout(300)  # views that draw on becoming visible (ResizeObserver) settle
        assert app.evaluate(SIDEWAYS) <= 0, mode
        if mode != 'swarm':
            net = app.evaluate(NETWORK_BOX)
            assert net and net['top'] < 720, (mode, net)
            for panel in OWN_PANELS[mode]:
                assert app.evaluate(BOX, f'[data-panel="{panel}"]')['top'] < 720, (mode, panel)
        heights[mode] = app.evaluate('document.documentElement.scrollHeight')
        if mode != 'train':  # train's is taken by the first-screen test
            app.screenshot(path=str(artifacts_dir / f'mode-{mode}-1280x720.png'))
    record(artifacts_dir, '1280x720', heights)
    assert all(720 <= h < 20000 for h in heights.values()), heights


def record(artifacts_dir, size, heights):
    path = artifacts_dir / 'page-heights.json'
    data = json.loads(path.read_text()) if path.exists() else {}
    data[size] = heights
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + '\n')


def fresh(browser, site_url, **context):
    ctx = browser.new_context(**context)
    page = collect_errors(ctx.new_page())
    page.set_default_timeout(60_000)
    open_app(page, site_url, '#autoplay=false')
    page.evaluate('glassbox.train(40)')
    wait_drawn(page)
    return ctx, page


def test_phone_390x844_every_mode_fits_without_sideways_scroll(browser, site_url, artifacts_dir):
    ctx, page = fresh(browser, site_url, viewport={'width': 390, 'height': 844}, is_mobile=True, has_touch=True,
                      device_scale_factor=2)
    try:
        heights = {}
        for mode in PAGES:
            page.evaluate('(page) => glassbox.configure({page})', mode)
            page.wait_for_function('(p) => document.body.dataset.page === p', arg=mode)
            frames(page, 3)
            page.wait_for_timeout(300)
            assert page.evaluate(SIDEWAYS) <= 0, (mode, page.evaluate('document.documentElement.scrollWidth'))
            # The tabs scroll inside their own box, not the page.
            assert page.evaluate(BOX, '#modes')['right'] <= 390
            if mode != 'swarm':
                net = page.evaluate(NETWORK_BOX)
                assert net and net['top'] < 844 * 0.6, (mode, net)  # the network starts in the first screen's upper part
            assert page.evaluate(SMALL_TEXT) == [], mode
            heights[mode] = page.evaluate('document.documentElement.scrollHeight')
            page.screenshot(path=str(artifacts_dir / f'mode-{mode}-390x844.png'))
        record(artifacts_dir, '390x844', heights)
        # The sticky bar stays on a phone too.
        page.evaluate('window.scrollTo(0, document.documentElement.scrollHeight)')
        assert inside(page.evaluate(BOX, '#transport [data-action="step"]'), 390, 844)
        assert page.errors == []
    finally:
        ctx.close()


@pytest.mark.parametrize('zoom, viewport', [(150, {'width': 853, 'height': 480}), (200, {'width': 640, 'height': 360})])
def test_zoomed_page_reads_without_sideways_scroll(browser, site_url, artifacts_dir, zoom, viewport):
    # A 1280x720 window at 150 % / 200 % zoom lays out as these CSS viewports at 1.5 / 2 device pixels.
    ctx, page = fresh(browser, site_url, viewport=viewport, device_scale_factor=zoom / 100)
    try:
        for mode in PAGES:
            page.evaluate('(page) => glassbox.configure({page})', mode)
            page.wait_for_function('(p) => document.body.dataset.page === p', arg=mode)
            frames(page, 3)
            assert page.evaluate(SIDEWAYS) <= 0, (zoom, mode)
        page.evaluate("glassbox.configure({page: 'train'})")
        frames(page, 3)
        net = page.evaluate(NETWORK_BOX)
        # The network takes (nearly) the whole width and starts on the first screen.
        assert net['top'] < viewport['height'] and net['right'] - net['left'] > viewport['width'] * 0.55, net
        assert page.evaluate(SMALL_TEXT) == []
        page.screenshot(path=str(artifacts_dir / f'zoom-{zoom}.png'))
        assert page.errors == []
    finally:
        ctx.close()
