"""Text alternatives and readable text sizes (view contract: describe() -> one sentence of what the view shows now, kept
equal to the view's role=img aria-label or its sr-only caption) for every mountable view, checked
against the engine's snapshot for the network; and the health panel's fork message going away
with the fork. Uses the built site (mount-test.html)."""
from __future__ import annotations

import re

from conftest import mount_alone, open_mounted

# The text a view's describe() must match: a role=img (or, holding buttons, role=group) label or an sr-only caption inside the host.
SHOWN_TEXT = """(host) => [...host.querySelectorAll('[role="img"][aria-label], [role="group"][aria-label]')].map((e) => e.getAttribute('aria-label'))
    .concat([...host.querySelectorAll('.gb-describe')].map((e) => e.textContent))"""


def test_every_mountable_view_describes_what_it_shows_now(page, site_url):
    errors = page.errors
    page.set_viewport_size({'width': 900, 'height': 800})
    open_mounted(page, site_url, 'network')
    page.evaluate('window.glassbox.train({steps: 30})')
    names = page.evaluate("import('./js/embed.js').then((m) => Object.keys(m.MOUNTABLE))")
    described = {}
    for name in names:
        mount_alone(page, name)
        try:
            page.wait_for_function("""([name, shown]) => { const v = window.alone.view, host = document.getElementById('alone-' + name);
                return typeof v.describe === 'function' && eval(shown)(host).includes(v.describe()); }""",
                                   arg=[name, SHOWN_TEXT], timeout=30_000)
        except Exception:
            raise AssertionError((name, page.evaluate('(s) => [window.alone.view.describe?.(), eval(s)(document.body)]', SHOWN_TEXT)))
        text = page.evaluate("window.alone.view.describe()")
        assert isinstance(text, str) and len(text) > 20 and text.strip() == text, (name, text)
        described[name] = text
        # Projector readability: no drawn text under 12 px in any view.
        small = page.evaluate("""(name) => [...document.querySelectorAll(`#alone-${name} svg text`)].filter((t) => t.textContent.trim())
            .map((t) => [t.textContent.slice(0, 30), parseFloat(getComputedStyle(t).fontSize)]).filter(([, size]) => size < 12)""", name)
        assert not small, (name, small)
        page.evaluate('window.alone.destroy()')
    # The network's sentence agrees with the snapshot it draws: probe sample 0 by default.
    page.evaluate("""async () => {
        const {mountView} = await import('./js/embed.js');
        const host = Object.assign(document.createElement('div'), {id: 'alone-network'});
        document.body.replaceChildren(host);
        window.alone = await mountView(host, 'network');
        await window.glassbox.train({steps: 5});
    }""")
    page.wait_for_function("window.alone.view.describe().includes('step ' + window.glassbox.snapshot().step + ',')", timeout=30_000)
    facts = page.evaluate("""() => { const s = window.glassbox.snapshot(), n = s.layer_sizes[1];
        const act = Array.from(s.layers[0].act.data.slice(0, n)), prob = Array.from(s.probe.prob.data.slice(0, s.layer_sizes.at(-1)));
        return {n, active: act.filter((v) => Math.abs(v) > 1e-3).length, prob, label: window.alone.view.describe()}; }""")
    top = max(range(len(facts['prob'])), key=lambda k: facts['prob'][k])
    assert f"hidden layer 1: {facts['active']} of {facts['n']} neurons active" in facts['label']
    assert re.search(rf"predicted \S+ with {round(100 * facts['prob'][top])}%", facts['label']), facts['label']
    assert described['curves'].startswith(('Loss', 'Training', 'Curves', 'loss')) or 'loss' in described['curves'].lower()
    assert not errors, errors


def test_the_health_panels_fork_message_goes_with_the_fork(page, site_url):
    errors = page.errors
    open_mounted(page, site_url, 'health')
    state = page.evaluate("""async () => {
        const {create} = await import('./js/views/health/health-panel.js');
        const host = document.createElement('div');
        document.body.replaceChildren(host);
        const summary = (step) => ({step, finite: true, val_loss: 1 / (step + 1), val_accuracy: 0.5, layers: []});
        const alert = {id: 'a1', kind: 'vanishing_gradients', severity: 'warning', title: 'Vanishing gradients', columns: [1],
            layer: 1, since: 10, message: 'tiny', recommendation: 'use relu', rule: 'r', run: 'main',
            fix: {label: 'Use ReLU', changes: {activation: 'relu'}, start: 'beginning'}};
        const run = (id, alerts = []) => ({id, label: id, alerts, summaries: [summary(0), summary(10)], diverged: null});
        const view = create(host, {onFork: async () => ({run: 'fork-1'})});
        const main = run('main', [alert]);
        view.update({run: main, runs: [main]});
        const described = view.describe();
        host.querySelector('.gb-h-fix').click();
        const deadline = performance.now() + 5000;
        while (!host.querySelector('.gb-h-message').textContent.startsWith('Started') && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        const started = host.querySelector('.gb-h-message').textContent;
        view.update({run: main, runs: [main, run('fork-1')]});
        const withFork = host.querySelector('.gb-h-message').textContent;
        view.update({run: main, runs: [main]});
        return {described, caption: host.querySelector('.gb-describe').textContent, started, withFork,
                gone: host.querySelector('.gb-h-message').textContent};
    }""")
    assert state['described'] == state['caption'] == 'Health of main: 1 alert: Vanishing gradients.'
    assert state['started'].startswith('Started fork-1') and state['withFork'] == state['started']
    assert state['gone'] == ''
    assert not errors, errors
