"""<glassbox-py-cell> (site/js/lessons/py-cell.js) in real Chromium: Python cells run by the
vendored PyScript + Pyodide core drive the live network of site/py-cell-test.html through
window.glassbox (glassbox_cell.py as `gb`), with every address off the local server blocked."""
from __future__ import annotations

import json

import pytest

from conftest import READY_MS, collect_errors

# PyScript and Pyodide's core load on the first Run: seconds, more on a busy 2-core machine.
CELL_MS = 120_000
OUTPUT = "(i) => document.querySelectorAll('glassbox-py-cell')[i].querySelector('.py-cell-output').textContent"


def offline_page(browser, site_url, blocked):
    """A page whose requests to anything but the local server are aborted (and listed in `blocked`)."""
    context = browser.new_context(viewport={'width': 1280, 'height': 900})

    def only_local(route):
        if route.request.url.startswith(site_url) or route.request.url.startswith(('data:', 'blob:')):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()
    context.route('**/*', only_local)
    return context, collect_errors(context.new_page())


def wait_cell(page, index, state):
    page.wait_for_function("([i, s]) => document.querySelectorAll('glassbox-py-cell')[i].dataset.state === s",
                           arg=[index, state], timeout=CELL_MS)


@pytest.fixture(scope='module')
def cells(browser, site_url):
    """The test page, offline, with its live network ready; shared so Python loads once."""
    blocked = []
    context, page = offline_page(browser, site_url, blocked)
    page.set_default_timeout(60_000)
    page.goto(site_url + 'py-cell-test.html')
    page.wait_for_function('window.mounted && window.glassbox', timeout=READY_MS)
    page.evaluate('window.glassbox.ready')
    page.blocked = blocked
    yield page
    context.close()


def test_running_a_cell_offline_configures_the_live_network_trains_it_and_prints_its_state(cells, artifacts_dir):
    page = cells
    before = page.evaluate('window.glassbox.state()')
    assert before['layers'] == [2, 4, 2] and before['step'] == 0
    assert page.evaluate("document.querySelector('.py-cell-output').hidden")
    page.click('glassbox-py-cell >> nth=0 >> button.py-cell-run')
    page.wait_for_function("document.querySelector('.py-cell-status').textContent.startsWith('Loading Python for cells')",
                           timeout=10_000)
    wait_cell(page, 0, 'done')
    after = page.evaluate('window.glassbox.state()')
    assert after['layers'] == [2, 8, 2]  # gb.configure(hidden=[8]) rebuilt the model (step back to 0) ...
    assert after['step'] == 50           # ... and gb.train(50) trained 50 steps
    printed = page.evaluate(OUTPUT, 0)
    assert printed.startswith('step 50: training loss %.3f, validation accuracy %.0f %%'
                              % (after['loss'], 100 * after['valAccuracy']))
    assert 'layers 2 -> 8 -> 2 (circle)' in printed
    # The live view on the page follows: its hidden layer now says 8 neurons.
    page.wait_for_function("[...document.querySelectorAll('#target svg text')].some((t) => t.textContent.startsWith('8 ·'))",
                           timeout=30_000)
    # Light on dark even though the host page styles every <pre> light (py-cell-test.html does).
    colours = page.evaluate("(() => { const s = getComputedStyle(document.querySelector('.py-cell-output'));"
                            " return [s.backgroundColor, s.color]; })()")
    assert colours == ['rgb(15, 23, 42)', 'rgb(226, 232, 240)']
    status = page.text_content('glassbox-py-cell >> nth=0 >> .py-cell-status')
    assert status.startswith('Done in ')
    first = page.evaluate("document.querySelector('glassbox-py-cell').lastRun")
    assert first['ok'] and 0 < first['loadMs'] < first['ms']
    timing = page.evaluate("performance.getEntriesByType('resource').filter((e) => /vendor\\/(pyscript|pyodide-3)/.test(e.name))"
                           ".reduce((a, e) => ({files: a.files + 1, bytes: a.bytes + (e.encodedBodySize || 0)}), {files: 0, bytes: 0})")
    (artifacts_dir / 'py-cell-timing.json').write_text(json.dumps(
        {'first_cell_status': status, 'first_cell_ms': round(first['ms']), 'of_which_loading_python_ms': round(first['loadMs']),
         'pyscript_and_pyodide_files': timing}, indent=1))
    page.screenshot(path=str(artifacts_dir / 'py-cell.png'), full_page=True)
    assert page.blocked == []  # nothing outside the local server was even asked for
    assert not [e for e in page.errors if 'pyscript' in e.lower() or 'python' in e.lower()], page.errors


def test_cells_share_variables_and_each_train_call_adds_its_steps(cells):
    page = cells
    page.click('glassbox-py-cell >> nth=1 >> button.py-cell-run')
    wait_cell(page, 1, 'done')
    assert page.evaluate(OUTPUT, 1) == 'layers: [2, 8, 2] step: 50\n'  # `state` from the first cell
    result = page.evaluate("""async () => {
        const cell = document.querySelectorAll('glassbox-py-cell')[1];
        cell.code = "before = gb.state()['step']\\nafter = await gb.train(30)\\nafter['step'] - before";
        return cell.run();
    }""")
    assert result['ok'] and result['output'] == '30\n'  # a last bare expression is printed, notebook-style
    assert page.evaluate('window.glassbox.state().step') == 80


def test_ctrl_enter_in_the_editor_runs_the_cell(cells):
    page = cells
    editor = page.locator('glassbox-py-cell >> nth=1 >> textarea')
    assert editor.get_attribute('id') == page.locator('glassbox-py-cell >> nth=1 >> label').get_attribute('for')
    editor.fill("print('sum:', sum(range(5)))")
    editor.press('Control+Enter')
    wait_cell(page, 1, 'done')
    assert page.evaluate(OUTPUT, 1) == 'sum: 10\n'
    assert editor.input_value() == "print('sum:', sum(range(5)))"  # no newline typed into the code


def test_a_python_error_shows_its_line_and_last_traceback_line(cells):
    page = cells
    editor = page.locator('glassbox-py-cell >> nth=1 >> textarea')
    editor.fill("x = 1\nprint('before')\nprint(undefined_name)")
    page.click('glassbox-py-cell >> nth=1 >> button.py-cell-run')
    wait_cell(page, 1, 'error')
    assert page.evaluate(OUTPUT, 1) == "before\nline 3: NameError: name 'undefined_name' is not defined"
    assert page.text_content('glassbox-py-cell >> nth=1 >> .py-cell-error').startswith('line 3: NameError')
    assert page.text_content('glassbox-py-cell >> nth=1 >> .py-cell-status').startswith('Error after ')
    editor.fill('def broken(:\n    pass')
    page.click('glassbox-py-cell >> nth=1 >> button.py-cell-run')
    wait_cell(page, 1, 'error')
    assert page.evaluate(OUTPUT, 1) == 'line 1: SyntaxError: invalid syntax'


def test_a_bad_setting_from_a_cell_shows_the_pages_own_message_and_changes_nothing(cells):
    page = cells
    before = page.evaluate('window.glassbox.state()')
    result = page.evaluate("""async () => {
        const cell = document.querySelectorAll('glassbox-py-cell')[1];
        cell.code = "await gb.configure(hiden=[3])";
        return cell.run();
    }""")
    assert not result['ok']
    assert result['error'].startswith('line 1: Error from the page: ') and '"hiden"' in result['error']
    after = page.evaluate('window.glassbox.state()')
    assert (after['layers'], after['step']) == (before['layers'], before['step'])
    result = page.evaluate("""async () => {
        const cell = document.querySelectorAll('glassbox-py-cell')[1];
        cell.code = "await gb.train(0)";
        return cell.run();
    }""")
    assert not result['ok'] and 'steps' in result['error'] and result['error'].startswith('line 1: Error from the page')


def test_without_a_live_network_gb_says_so(browser, site_url):
    blocked = []
    context, page = offline_page(browser, site_url, blocked)
    try:
        page.goto(site_url + 'py-cell-test.html#cells-only')
        page.wait_for_function("document.getElementById('status').textContent.startsWith('Cells only')")
        result = page.evaluate("""async () => {
            const cell = document.querySelector('glassbox-py-cell');
            cell.code = "print(1 + 1)\\ngb.state()";
            return cell.run();
        }""")
        assert result['output'].startswith('2\nline 2: RuntimeError: this page has no live network yet')
        assert blocked == [] and page.evaluate('window.glassbox === undefined')
    finally:
        context.close()


def test_when_python_cannot_load_the_cell_says_why_instead_of_waiting(browser, site_url):
    blocked = []
    context, page = offline_page(browser, site_url, blocked)
    try:
        page.route('**/vendor/pyscript/glassbox-cells.json', lambda route: route.fulfill(status=404, body='gone'))
        page.goto(site_url + 'py-cell-test.html#cells-only')
        page.click('glassbox-py-cell >> nth=0 >> button.py-cell-run')
        wait_cell(page, 0, 'error')
        message = page.text_content('glassbox-py-cell >> nth=0 >> .py-cell-error')
        assert message == ('Python for cells could not start: vendor/pyscript/glassbox-cells.json: HTTP 404 '
                           '(was the site built with build.py?)')
        assert page.is_enabled('glassbox-py-cell >> nth=0 >> button.py-cell-run')  # the student can try again
    finally:
        context.close()


def test_cells_have_no_serious_accessibility_violations(cells):
    """axe-core (npm, vendored nowhere: injected from node_modules for the test) on the cells after
    they ran: labelled editor, named Run button, live output regions, contrast of every state."""
    from conftest import ROOT
    page = cells
    page.add_script_tag(path=str(ROOT / 'node_modules' / 'axe-core' / 'axe.min.js'))
    violations = page.evaluate("""async () => {
        const result = await axe.run({include: [['glassbox-py-cell']]}, {resultTypes: ['violations']});
        return result.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
            .map((v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).join(', '));
    }""")
    assert page.evaluate("document.querySelectorAll('glassbox-py-cell .py-cell-error').length") >= 1  # an error state is checked too
    assert violations == []


def test_a_python_load_that_stalls_is_said_on_the_page(browser, site_url):
    """Pyodide never finishes (nor reports) when its .wasm is missing: after 45 s the cell says so."""
    blocked = []
    context, page = offline_page(browser, site_url, blocked)
    try:
        page.route('**/pyodide.asm.wasm', lambda route: route.fulfill(status=404, body='gone'))
        page.goto(site_url + 'py-cell-test.html#cells-only')
        page.click('glassbox-py-cell >> nth=0 >> button.py-cell-run')
        status = 'glassbox-py-cell >> nth=0 >> .py-cell-status'
        assert page.text_content(status).startswith('Loading Python for cells… (first time: a few seconds)')
        page.wait_for_function("document.querySelector('.py-cell-status').textContent.startsWith('Still loading Python after 4')",
                               timeout=70_000)
        assert 'reload to try again' in page.text_content(status)
        assert page.evaluate("document.querySelector('glassbox-py-cell').dataset.state") == 'running'
    finally:
        context.close()
