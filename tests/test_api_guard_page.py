"""window.glassbox refuses bad arguments by name (site/js/app/guard.js, the URL schema), never lets
the page and the engine disagree (a refused configure puts the store, address bar and form back;
rapid-fire configure: the last call wins; request() cannot replace the main run), and Reset /
settings changes are undoable (site/js/ui/undo-ui.js, engine op 'undo_configure').

All on the shared started page (the ``app`` fixture): no extra Pyodide start."""
from __future__ import annotations

import json

import pytest

# Calls `expr` (a JS expression giving a promise) and reports how it settled, within 20 s: a
# promise that never settles is a failure of its own ("hung").
SETTLED = """async (expr) => {
    const timeout = new Promise((resolve) => setTimeout(() => resolve({hung: true}), 20000));
    const call = (async () => {
        try { return {ok: true, value: await eval(expr)}; }
        catch (error) { return {ok: false, message: String(error && error.message || error)}; }
    })();
    return Promise.race([call, timeout]);
}"""


def settle(page, expr):
    out = page.evaluate(SETTLED, expr)
    assert not out.get('hung'), '%s never settled' % expr
    return out


# A weight checksum of the main run's latest snapshot (sum of |W| and |b| over every layer).
CHECKSUM = """() => glassbox.snapshot().layers.reduce((t, l) =>
    t + l.W.data.reduce((a, v) => a + Math.abs(v), 0) + l.b.data.reduce((a, v) => a + Math.abs(v), 0), 0)"""


@pytest.mark.parametrize('bad, named', [
    ('[64,,32]', 'entry 2 is empty'), ('[64.5]', 'entry 1 is out of range'), ('[true]', 'entry 1 is not a number'),
    ("['64']", 'entry 1 is not a number'), ('[NaN]', 'entry 1 is out of range'), ('[Infinity]', 'entry 1 is out of range'),
    ('[1e309]', 'entry 1 is out of range'), ('[-Infinity, 8]', 'entry 1 is out of range'), ('[0]', 'entry 1 is out of range'),
    ('64', 'not a list'), ('null', 'not a list'),
])
def test_configure_refuses_bad_hidden_lists_as_the_engine_does_and_the_next_configure_works(app, bad, named):
    out = settle(app, 'glassbox.configure({hidden: %s})' % bad)
    assert not out['ok'] and 'hidden' in out['message'] and named in out['message'], out
    state = app.evaluate('glassbox.state()')
    assert state['settings']['hidden'] == [32] and state['layers'] == [64, 32, 10]
    assert 'hidden' not in app.evaluate('location.hash')
    assert app.evaluate("glassbox.configure({lr: 0.2}).then((s) => s.lr)") == 0.2


@pytest.mark.parametrize('key, bad', [
    ('lr', 'NaN'), ('lr', 'Infinity'), ('lr', '-Infinity'), ('lr', '1e309'), ('lr', "'0.1'.repeat(3)"), ('lr', 'true'),
    ('batch_size', '2.5'), ('batch_size', '0'), ('batch_size', "'32'.padStart(3, 'x')"), ('seed', '-1'),
    ('dataset', "'__proto__'"), ('activation', 'null'),
])
def test_configure_refuses_bad_numbers_and_choices_by_key(app, key, bad):
    out = settle(app, 'glassbox.configure({%s: %s})' % (key, bad))
    assert not out['ok'] and key in out['message'], out


def test_configure_with_a_setting_that_is_not_an_object_is_refused_by_name(app):
    for bad in ('5', 'null', "'lr=0.2'", '[1, 2]'):
        out = settle(app, 'glassbox.configure(%s)' % bad)
        assert not out['ok'] and 'expected an object of settings' in out['message'], (bad, out)
    out = settle(app, "glassbox.configure({__proto__: {lr: 5}, constructor: 1})")
    assert not out['ok'] and 'unknown setting "constructor"' in out['message']


# The engine refuses a configure the page accepted (here simulated at the scheduler: today's
# engine accepts everything the page does; the engine's memory limit will be such a case).
REFUSE_777 = """() => {
    const s = glassbox.scheduler, original = s.request.bind(s);
    window.__unpatch = () => { s.request = original; };
    s.request = (op, args, how) => (op === 'configure' && args.config.hidden[0] === 777
      ? original(op, {config: {...args.config, simulated_limit: 1}}, how) : original(op, args, how));
}"""


def test_a_configure_the_engine_refuses_puts_the_store_url_and_form_back_and_the_next_one_works(app):
    app.evaluate('glassbox.train({steps: 7})')
    app.evaluate(REFUSE_777)
    try:
        out = settle(app, 'glassbox.configure({hidden: [777, 16]})')
    finally:
        app.evaluate('window.__unpatch()')
    assert not out['ok'] and 'simulated_limit' in out['message'], out
    state = app.evaluate('glassbox.state()')
    assert state['settings']['hidden'] == [32] and state['step'] == 7 and state['layers'] == [64, 32, 10]
    assert 'hidden' not in app.evaluate('location.hash')
    assert app.input_value('#setting-hidden') == '32'
    assert app.evaluate('glassbox.configure({lr: 0.2}).then((s) => s.settings.lr)') == 0.2
    # The address bar reproduces the run: parsing it gives the settings the engine runs.
    parsed = app.evaluate("glassbox.store.get().settings")
    assert 'lr=0.2' in app.evaluate('location.hash') and parsed['lr'] == 0.2
    runs = app.evaluate("glassbox.request('runs')")
    assert runs['runs']['main']['config']['lr'] == 0.2 and runs['runs']['main']['config']['hidden'] == [32]


def test_rapid_fire_configure_calls_the_last_one_wins(app):
    state = app.evaluate("""async () => {
        const calls = [4, 5, 6, 7, 8].map((w) => glassbox.configure({hidden: [w]}));
        await Promise.all(calls);
        return glassbox.state();
    }""")
    assert state['settings']['hidden'] == [8] and state['layers'] == [64, 8, 10]
    runs = app.evaluate("glassbox.request('runs')")
    assert runs['runs']['main']['config']['hidden'] == [8]
    assert 'hidden=8' in app.evaluate('location.hash')


@pytest.mark.parametrize('op, member', [
    ('configure', 'configure('), ('load_model', 'loadModel('), ('adopt', 'swarm.select('),
    ('undo_configure', 'undo()'), ('set_lr', 'configure({lr})'),
])
def test_request_refuses_ops_that_replace_the_main_run_naming_the_member_to_use(app, op, member):
    out = settle(app, "glassbox.request(%s, {config: {hidden: [4]}})" % json.dumps(op))
    assert not out['ok'] and member in out['message'], out
    assert app.evaluate('glassbox.state().layers') == [64, 32, 10]


def test_request_arguments_named_type_id_or_op_always_settle(app):
    for args in ("{type: 'pause'}", '{id: 3}', "{op: 'configure'}"):
        out = settle(app, "glassbox.request('runtime', %s)" % args)
        assert not out['ok'], (args, out)
        name = args[1:args.index(':')]
        assert name in out['message'], (args, out)
    assert settle(app, "glassbox.request('nope')")['message'].startswith('request(op, args): unknown op "nope"')
    assert settle(app, "glassbox.request('runtime')")['ok']


@pytest.mark.parametrize('call', [
    "glassbox.train({steps: 'x'})", 'glassbox.train({steps: NaN})', 'glassbox.train({steps: {}})',
    'glassbox.train({steps: -1})', 'glassbox.train({steps: 0})', 'glassbox.train({steps: 1e12})',
    'glassbox.train({steps: 2.5})', 'glassbox.train(null)', "glassbox.train('100')", 'glassbox.train({step: 5})',
])
def test_train_refuses_bad_steps_naming_steps_and_its_range(app, call):
    out = settle(app, call)
    assert not out['ok'] and 'steps' in out['message'] and '1,000,000' in out['message'], out
    assert 'TypeError' not in out['message']
    assert app.evaluate('glassbox.state()')['status'] == 'paused'


def test_train_with_a_number_trains_that_many_steps(app):
    assert app.evaluate('glassbox.train(12).then((s) => s.step)') == 12
    assert app.evaluate('glassbox.state().status') == 'paused'


def test_on_refuses_a_listener_that_is_not_a_function(app):
    message = app.evaluate("() => { try { glassbox.on('snapshot', 5); } catch (e) { return e.message; } }")
    assert message == 'on(event, fn): fn must be a function, got 5'
    message = app.evaluate("() => { try { glassbox.on('__proto__', () => {}); } catch (e) { return e.message; } }")
    assert message.startswith('unknown event "__proto__"')


def test_analyses_refuse_out_of_range_layers_classes_and_values_by_name(app):
    out = settle(app, 'glassbox.project({layer: 99})')
    assert not out['ok'] and 'layer must be a whole number from 0 (the input) to 2 (the output)' in out['message'] \
        and '64, 32, 10' in out['message'], out
    for call in ('glassbox.perturb({value: NaN})', 'glassbox.perturb({value: Infinity})', "glassbox.perturb({value: '1'})"):
        out = settle(app, call)
        assert not out['ok'] and 'value must be a finite number' in out['message'], (call, out)
    for call, word in (('glassbox.morph({from: 12})', 'from'), ('glassbox.morph({to: {class: -1}})', 'to'),
                       ('glassbox.pour({a: [3, 10]})', 'a'), ('glassbox.pour({b: 1.5})', 'b')):
        out = settle(app, call)
        assert not out['ok'] and ('%s must name classes from 0 to 9' % word) in out['message'], (call, out)
    out = settle(app, 'glassbox.classify(100000)')
    assert not out['ok'] and 'index' in out['message'], out
    out = settle(app, 'glassbox.configure({probe: 64})')
    assert not out['ok'] and 'probe' in out['message'], out
    assert settle(app, 'glassbox.project({layer: 2})')['ok']


def test_calls_while_training_change_settings_and_pause_settles(app):
    app.evaluate('glassbox.play()')
    app.wait_for_function('glassbox.state().step > 20', timeout=30_000)
    assert settle(app, 'glassbox.configure({lr: 0.05})')['ok']
    assert app.evaluate('glassbox.state().status') == 'training'
    out = settle(app, 'glassbox.train({steps: 5})')
    assert out['ok'] and out['value']['status'] == 'paused'
    assert settle(app, 'glassbox.pause()')['value']['status'] == 'paused'


def test_reset_at_a_trained_step_is_undone_with_the_same_step_and_weights(app, artifacts_dir):
    app.evaluate('glassbox.train({steps: 30})')
    before = app.evaluate(CHECKSUM)
    app.click('button[data-action="reset"]')
    app.wait_for_selector('#undo-toast:not([hidden])', timeout=20_000)
    assert app.inner_text('#undo-toast').startswith('Reset at step 30.')
    assert app.evaluate('glassbox.state().step') == 0
    app.screenshot(path=str(artifacts_dir / 'guard-undo-toast.png'))
    app.focus('#undo-button')  # keyboard reachable: a real button
    app.keyboard.press('Enter')
    app.wait_for_function('glassbox.state().step === 30', timeout=20_000)
    assert app.evaluate(CHECKSUM) == pytest.approx(before, rel=0, abs=0)
    assert app.is_hidden('#undo-toast')
    assert app.evaluate('glassbox.train({steps: 2}).then((s) => s.step)') == 32


def test_a_new_architecture_from_the_api_is_undone_with_its_settings_and_address(app):
    app.evaluate('glassbox.train({steps: 10})')
    before = app.evaluate(CHECKSUM)
    app.evaluate("glassbox.configure({hidden: [8, 8], dataset: 'xor'})")
    assert app.evaluate('glassbox.store.get().undo.what') == 'Switched the dataset'
    state = app.evaluate('glassbox.undo()')
    assert state['step'] == 10 and state['layers'] == [64, 32, 10] and state['settings']['dataset'] == 'digits'
    assert app.evaluate(CHECKSUM) == before and 'xor' not in app.evaluate('location.hash')
    out = settle(app, 'glassbox.undo()')
    assert not out['ok'] and 'nothing to undo' in out['message']


@pytest.mark.app_settings(page='inputs')  # the draw pad is Explore inputs' (site/js/ui/modes.js)
def test_the_r_key_does_nothing_with_focus_in_the_draw_pad_and_resets_elsewhere(app):
    app.evaluate('glassbox.train({steps: 5})')
    app.evaluate("glassbox.showTab('draw')")
    app.wait_for_selector('#gbi-draw-pad', timeout=20_000)
    app.focus('#gbi-draw-pad')
    app.keyboard.press('r')
    app.evaluate("glassbox.request('runtime')")
    assert app.evaluate('glassbox.state().step') == 5
    app.focus('#setting-lr')
    app.keyboard.press('r')
    assert app.evaluate('glassbox.state().step') == 5
    app.evaluate('document.activeElement.blur()')
    app.keyboard.press('r')
    app.wait_for_function('glassbox.state().step === 0', timeout=20_000)
    app.wait_for_selector('#undo-toast:not([hidden])', timeout=20_000)
