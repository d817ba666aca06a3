"""The engine's heartbeat (site/js/engine/heartbeat.js, worker.js's 'beat' and 'busy' messages) and
the page's start-up under faults: a worker that dies silently is named within seconds and nothing
waits forever; restartEngine() while loading settles `ready`; a link whose settings the engine
refuses at boot falls back (note, fixed address bar) and the page keeps working.

One fresh page for all of it (one Pyodide start, plus the restarts the tests are about)."""
from __future__ import annotations

import time

import pytest
from conftest import READY_MS, collect_errors, open_app

# The engine refuses a configure the page accepts: simulated below the page, on the worker's
# message (hidden=[777] gets a config key the engine does not know). Today's engine accepts all
# the page does; its memory limit (hidden=4096,... on MNIST) will be such a case.
REFUSING_WORKER = """(() => {
    const post = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function (message, ...rest) {
        const config = message && message.type === 'request' && message.op === 'configure' && message.args && message.args.config;
        if (config && Array.isArray(config.hidden) && config.hidden[0] === 777) {
            message = {...message, args: {config: {...config, simulated_limit: 1}}};
        }
        return post.call(this, message, ...rest);
    };
})();"""


@pytest.fixture(scope='module')
def fresh(browser, site_url):
    context = browser.new_context(viewport={'width': 1400, 'height': 1000})
    context.add_init_script(REFUSING_WORKER)
    page = collect_errors(context.new_page())
    page.set_default_timeout(60_000)
    open_app(page, site_url, '#hidden=777,16&lr=0.05&autoplay=true&speed=3&mode=gradient&probe=999')
    yield page
    context.close()


def test_a_link_the_engine_refuses_at_boot_falls_back_names_why_and_fixes_the_address(fresh, artifacts_dir):
    page = fresh
    state = page.evaluate('glassbox.state()')
    assert state['status'] in ('training', 'paused') and state['error'] is None
    assert state['layers'] == [64, 32, 10] and state['settings']['hidden'] == [32]
    assert any('The engine refused these settings' in note and 'simulated_limit' in note for note in state['notes'])
    # The address bar says what runs: the invalid probe and the refused engine settings are gone,
    # the page's own valid choice (mode) stays.
    assert page.evaluate('location.hash') == '#mode=gradient'
    assert any(note.startswith('Ignored probe=999') for note in state['notes'])
    page.wait_for_selector('#notes:not([hidden])')
    assert 'simulated_limit' in page.inner_text('#notes-list')
    page.screenshot(path=str(artifacts_dir / 'heartbeat-boot-refused.png'))
    page.wait_for_function('glassbox.state().step >= 10', timeout=30_000)  # autoplay trains the fallback
    page.evaluate('glassbox.pause()')
    assert [e for e in page.errors if 'Uncaught' in e or 'pageerror' in e] == []


def test_a_worker_that_dies_silently_mid_training_is_named_within_seconds_and_nothing_hangs(fresh, artifacts_dir):
    page = fresh
    page.evaluate('glassbox.play()')
    page.wait_for_function('glassbox.state().step > 20', timeout=30_000)
    # Killed between the page's requests (only a training chunk may be running): a worker that
    # dies inside a call it announced is named after that call's allowance (60 s for an op).
    pending = page.evaluate("""async () => {
        await new Promise((resolve) => { const idle = () => (glassbox.scheduler.busy() ? setTimeout(idle, 5) : resolve()); idle(); });
        window.__settled = {};
        window.__killedAt = performance.now();
        glassbox.debug.killEngine();
        // Sent to the dead worker (the page does not know yet): must settle once it is named.
        glassbox.request('runtime').then(() => { window.__settled.request = 'resolved'; },
                                          (e) => { window.__settled.request = e.message; });
        return true; }""")
    assert pending
    started = time.monotonic()
    page.wait_for_function("glassbox.state().status === 'error'", timeout=15_000)
    detected_s = page.evaluate('(performance.now() - window.__killedAt) / 1000')
    print('dead worker detected after %.1f s' % detected_s)
    assert detected_s < 8, detected_s
    state = page.evaluate('glassbox.state()')
    assert state['error'].startswith('The engine stopped responding')
    assert page.evaluate('glassbox.pause().then((s) => s.status)') == 'error'   # settles
    out = page.evaluate("""() => Promise.race([glassbox.request('runtime').then(() => 'resolved', (e) => e.message),
                                              new Promise((r) => setTimeout(() => r('hung'), 5000))])""")
    assert out.startswith('The engine stopped responding'), out
    page.wait_for_function('window.__settled.request !== undefined', timeout=5_000)
    assert page.evaluate('window.__settled.request').startswith('The engine stopped responding')
    page.wait_for_selector('#error-restart:not([hidden])')
    assert 'stopped responding' in page.inner_text('#error-text')
    page.screenshot(path=str(artifacts_dir / 'heartbeat-not-responding.png'))
    assert time.monotonic() - started < 20


def test_restart_engine_while_loading_settles_ready_and_the_page_trains_again(fresh):
    page = fresh
    out = page.evaluate("""async () => {
        const first = glassbox.restartEngine();      // a fresh worker starts loading...
        await new Promise((r) => setTimeout(r, 300));
        const second = glassbox.restartEngine();     // ...and is restarted while it loads
        const same = first === second && glassbox.ready === first;
        // Calls made while it loads wait for it, then run.
        const during = Promise.all([glassbox.train({steps: 3}).then((s) => s.status, (e) => e.message),
                                    glassbox.request('runtime').then((r) => typeof r.numpy, (e) => e.message)]);
        const state = await Promise.race([first, new Promise((_, no) => setTimeout(() => no(new Error('ready hung')), 120000))]);
        // A restart restores the run's last autosave, if the link's autoplay made one (else step 0).
        const restored = (glassbox.savedRuns.status().restored || {step: 0}).step;
        return {same, status: state.status, step: state.step, restored, layers: state.layers, during: await during};
    }""")
    assert out['same'] and out['status'] in ('paused', 'training') and out['step'] == out['restored'] and out['layers'] == [64, 32, 10]
    assert out['during'] == ['paused', 'string']
    before = page.evaluate('glassbox.pause().then((s) => s.step)')   # the link autoplays
    assert page.evaluate('glassbox.train({steps: 5}).then((s) => s.step)') == before + 5
    assert page.evaluate('glassbox.state().error') is None


# ---- site/js/engine/heartbeat.js alone, in node, on a clock the test moves (checks every 500 ms,
# as its timer does).
HEARTBEAT_JS = """
import {createHeartbeat} from '%s';
const log = [];
let t = 0;
const hb = createHeartbeat({now: () => t, onStuck: (info) => log.push({at: t, stuck: info}),
                            onBusy: (busy) => log.push({at: t, busy})});
const until = (ms) => { while (t < ms) { t += 500; hb.check(); } };
hb.start();
const out = (() => { %s })();
hb.stop();
console.log(JSON.stringify(out));
"""


def run_heartbeat(body):
    import json
    import shutil
    import subprocess
    from conftest import ROOT
    if shutil.which('node') is None:
        pytest.skip('node is not installed')
    script = HEARTBEAT_JS % ((ROOT / 'site' / 'js' / 'engine' / 'heartbeat.js').as_uri(), body)
    result = subprocess.run(['node', '--input-type=module', '-e', script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_heartbeat_names_a_silent_worker_after_five_seconds_but_not_before():
    log = run_heartbeat("hb.running(); until(5000); const early = log.length; until(6000); return {early, log};")
    assert log['early'] == 0
    assert log['log'] == [{'at': 5500, 'stuck': {'silentS': 5.5, 'op': None, 'starting': False}}]


def test_heartbeat_beats_keep_it_alive_and_starting_gets_a_longer_allowance():
    log = run_heartbeat("""until(100000); const starting = log.length;   // loading Pyodide: 120 s allowed
        hb.heard({type: 'ready'}); hb.running();
        for (let k = 0; k < 60; k++) { until(t + 1000); hb.heard({type: 'beat'}); }
        return {starting, log};""")
    assert log == {'starting': 0, 'log': []}


def test_heartbeat_shows_a_declared_long_call_and_allows_it_its_stated_time():
    log = run_heartbeat("""hb.running(); hb.heard({type: 'busy', op: 'project', allowS: 300});
        until(12000); const shown = log.filter((e) => e.busy).map((e) => e.busy);
        until(299000); const stuckEarly = log.some((e) => e.stuck);
        hb.heard({type: 'response'}); const cleared = log[log.length - 1];
        hb.heard({type: 'busy', op: 'train', allowS: 5}); until(t + 6000);
        return {first: shown[0], last: shown[shown.length - 1], stuckEarly, cleared, end: log[log.length - 1]};""")
    assert log['first'] == {'op': 'project', 'seconds': 4} and log['last'] == {'op': 'project', 'seconds': 12}
    assert log['stuckEarly'] is False and log['cleared']['busy'] is None
    assert log['end']['stuck']['op'] == 'train'


def test_heartbeat_does_not_count_time_the_page_itself_was_frozen():
    log = run_heartbeat("hb.running(); t = 30000; hb.check(); until(33000); return log;")
    assert log == []
