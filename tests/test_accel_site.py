"""The onnxruntime-web training engine in the page (site/js/engine/accel.js): it trains what numpy
would (same loss trajectory for every activation and optimiser, checked against the numpy engine
run here in CPython on the same settings), falls back with a named note, and says what trains."""
from __future__ import annotations

import math

import pytest

from conftest import CHROMIUM, CHROMIUM_ARGS, READY_MS, collect_errors, open_app

import glassbox

ACTIVATIONS = ('relu', 'leaky_relu', 'tanh', 'sigmoid', 'linear')
OPTIMIZERS = {'sgd': 0.1, 'momentum': 0.05, 'adam': 0.005}
STEPS, CHUNK = 200, 10
# float32 in both engines, but different kernels (onnxruntime's Gemm vs numpy's einsum) round
# differently. Measured over 200 steps (20 snapshots): wasm within 4.4e-7 relative for every
# activation and optimiser; WebGPU (software adapter) within 1.8e-5 with ReLU (Adam; SGD and
# momentum 5e-7), and within the tolerance below for every activation.
LOSS_RTOL = {'wasm': 1e-5, 'webgpu': 1e-4}

COLLECT = """async ([settings, steps]) => {
    const gb = window.glassbox;
    await gb.configure(settings);
    await gb.reset();
    const losses = [];
    const off = gb.on('snapshot', (s) => { if (s.step > 0) losses.push(s.train.loss); });
    await gb.train({steps});
    off();
    return {losses, backend: gb.state().backend, step: gb.state().step};
}"""


def numpy_losses(settings: dict, steps: int = STEPS, chunk: int = CHUNK) -> list:
    """The running train loss after each chunk of the numpy engine (CPython), same settings."""
    session = glassbox.Session()
    keys = {row['key'] for row in glassbox.CONFIG_FIELDS}
    config = {k: v for k, v in settings.items() if k in keys}
    glassbox.handle_request(session, {'op': 'configure', 'config': config})
    return [glassbox.handle_request(session, {'op': 'train', 'steps': chunk})['snapshot']['train']['loss']
            for _ in range(steps // chunk)]


def assert_follows(page_losses, reference, rtol):
    assert len(page_losses) == len(reference)
    worst = max(abs(a - b) / max(abs(b), 1e-6) for a, b in zip(page_losses, reference))
    assert all(math.isfinite(v) for v in page_losses)
    assert worst <= rtol, 'largest relative deviation %.2e over %d snapshots' % (worst, len(reference))


@pytest.mark.app_settings(backend='wasm', speed=3)
@pytest.mark.parametrize('optimizer', sorted(OPTIMIZERS))
@pytest.mark.parametrize('activation', ACTIVATIONS)
def test_wasm_training_follows_the_numpy_engine(app, activation, optimizer):
    settings = {'activation': activation, 'optimizer': optimizer, 'lr': OPTIMIZERS[optimizer], 'l2': 1e-4,
                'backend': 'wasm', 'speed': 3}
    result = app.evaluate(COLLECT, [settings, STEPS])
    assert result['backend']['name'] == 'wasm', result['backend']
    assert result['step'] == STEPS
    assert_follows(result['losses'], numpy_losses(settings), LOSS_RTOL['wasm'])
    assert not app.errors


@pytest.mark.app_settings(backend='wasm')
def test_header_names_the_training_engine_and_its_threads(app):
    app.wait_for_function("document.querySelector('[data-testid=backend]').textContent.includes('onnxruntime-web wasm')")
    text = app.inner_text('[data-testid=backend]')
    threads = app.evaluate('glassbox.state().backend.threads')
    assert ('%d thread' % threads) in text
    # The test server sends COOP/COEP, so the page is isolated and may use threads.
    assert app.evaluate('self.crossOriginIsolated') is True


@pytest.mark.app_settings(backend='numpy')
def test_numpy_backend_trains_without_onnxruntime(app):
    state = app.evaluate('glassbox.train({steps: 20})')
    assert state['step'] == 20 and state['backend']['name'] == 'numpy'
    assert 'numpy' in app.inner_text('[data-testid=backend]')


def test_unavailable_webgpu_falls_back_to_wasm_with_a_named_note(app):
    # The shared browser runs with --disable-gpu: no WebGPU adapter.
    state = app.evaluate("glassbox.configure({backend: 'webgpu'})")
    backend = state['backend']
    assert backend['requested'] == 'webgpu' and backend['name'] == 'wasm'
    assert 'WebGPU' in backend['note']
    app.wait_for_function("!document.getElementById('backend-note').hidden")
    assert 'WebGPU' in app.inner_text('#backend-note')
    assert app.evaluate('glassbox.train({steps: 10})')['step'] == 10


@pytest.fixture(scope='module')
def webgpu_page(browser, site_url):
    """A second Chromium with WebGPU on (its software adapter: correct, not fast)."""
    args = [a for a in CHROMIUM_ARGS if a != '--disable-gpu'] + ['--enable-unsafe-webgpu']
    gpu_browser = browser.browser_type.launch(executable_path=CHROMIUM, args=args)
    page = collect_errors(gpu_browser.new_context().new_page())
    page.set_default_timeout(120_000)
    open_app(page, site_url, '#autoplay=false&backend=webgpu')
    yield page
    gpu_browser.close()


@pytest.mark.parametrize('optimizer', sorted(OPTIMIZERS))
@pytest.mark.parametrize('activation', ACTIVATIONS)
def test_webgpu_training_follows_the_numpy_engine(webgpu_page, activation, optimizer):
    webgpu_page.wait_for_function('glassbox.state().backend', timeout=READY_MS)
    backend = webgpu_page.evaluate('glassbox.state().backend')
    assert backend['name'] == 'webgpu', backend
    settings = {'activation': activation, 'optimizer': optimizer, 'lr': OPTIMIZERS[optimizer], 'l2': 1e-4,
                'backend': 'webgpu', 'speed': 3}
    result = webgpu_page.evaluate(COLLECT, [settings, STEPS])
    assert result['backend']['name'] == 'webgpu'
    assert_follows(result['losses'], numpy_losses(settings), LOSS_RTOL['webgpu'])
    assert not webgpu_page.errors


def test_a_bad_backend_is_refused_by_name_and_training_goes_on(app):
    message = app.evaluate("glassbox.configure({backend: 'gpu<b>'}).then(() => '', (e) => e.message)")
    assert 'backend' in message and 'auto, numpy, wasm, webgpu' in message
    parsed = app.evaluate("""async () => {
        const {makeSchema} = await import('./js/state/url-state.js');
        const tables = await (await fetch('tables.json')).json();
        return makeSchema(tables).parseHash('#backend=gpu<b>'); }""")
    assert parsed['state']['backend'] == 'auto' and any('backend' in note for note in parsed['notes'])
    assert app.evaluate('glassbox.state().settings.backend') == 'auto'
    assert app.evaluate('glassbox.train({steps: 5})')['step'] == 5
