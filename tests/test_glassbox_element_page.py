"""<glassbox-view> (site/js/glassbox-embed.js, site/js/embed/element.js) on a course page.

The course page is served by a second server (another origin), as a course site would be: it loads
glassbox-embed.js by its absolute URL on the Glassbox server (CORS, build.py Handler) and the
engine's worker starts from a blob: URL (engine/client.js startWorker). One page load with four
elements serves every test of this module (Pyodide starts once)."""
import pytest

from conftest import DRAWN, READY_MS

COURSE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A course page</title></head>
<body>
  <h1>Lesson</h1>
  <script type="module" src="{site}js/glassbox-embed.js"></script>
  <glassbox-view id="net" view="network" dataset="digits" hidden="64" autoplay="false" controls></glassbox-view>
  <glassbox-view id="curves" view="curves" style="height: 260px"></glassbox-view>
  <glassbox-view id="other" view="curves" dataset="xor" lr="banana" colour="red"></glassbox-view>
  <glassbox-view id="bad" view="nope"></glassbox-view>
  <script>
    window.readyEvents = [];
    document.addEventListener('glassbox-ready', (e) => window.readyEvents.push(e.target.id));
  </script>
</body></html>
"""


@pytest.fixture(scope='module')
def course(browser, site_url, http_server, tmp_path_factory):
    folder = tmp_path_factory.mktemp('course')
    (folder / 'lesson.html').write_text(COURSE_PAGE.format(site=site_url))
    course_url = http_server(folder, isolation=False)
    assert course_url.split(':')[2] != site_url.split(':')[2]   # another port: another origin
    context = browser.new_context(viewport={'width': 1000, 'height': 900})
    page = context.new_page()
    page.errors = []
    page.on('pageerror', lambda exc: page.errors.append(str(exc)))
    page.goto(course_url + 'lesson.html')
    page.wait_for_function("window.readyEvents.includes('net') && window.readyEvents.includes('curves')", timeout=READY_MS)
    yield page
    context.close()


def test_play_in_one_element_trains_what_every_element_shows(course, artifacts_dir):
    """Both views follow the one shared engine: Play in the network's controls moves the curves too."""
    page = course
    assert page.evaluate("document.getElementById('net').app === window.glassbox")
    assert page.evaluate("document.getElementById('curves').app === window.glassbox")
    assert page.evaluate('window.glassbox.state().step') == 0
    page.click('#net button[data-action=play]')
    page.wait_for_function('window.glassbox.state().step >= 40', timeout=60_000)
    page.click('#net button[data-action=play]')    # now Pause
    page.wait_for_function("window.glassbox.state().status === 'paused'", timeout=30_000)
    assert page.evaluate(f'({DRAWN})(document.getElementById("net"))') > 10
    assert page.evaluate(f'({DRAWN})(document.getElementById("curves"))') > 2
    status = page.inner_text('#net .gb-embed-status')
    assert status.startswith('step ') and int(status.split()[1]) >= 40 and 'loss' in status
    assert len(page.workers) == 1                   # one worker for the whole page
    page.screenshot(path=str(artifacts_dir / 'embed-course-page.png'), full_page=True)


def test_attributes_are_url_keys_and_hidden_layers_do_not_hide_the_element(course):
    page = course
    assert page.evaluate('window.glassbox.state().layers')[1] == 64
    assert page.evaluate("getComputedStyle(document.getElementById('net')).display") == 'block'
    assert page.evaluate("document.getElementById('net').getBoundingClientRect().height") > 150


def test_a_later_element_names_the_settings_it_shares_and_the_values_it_ignored(course):
    notes = course.evaluate("document.getElementById('other').notes")
    text = ' '.join(notes)
    assert 'lr="banana"' in text and 'using the default' in text
    assert 'unknown setting "colour"' in text
    assert 'dataset is digits (asked xor)' in text
    assert course.evaluate('window.glassbox.state().dataset') == 'digits'   # not reconfigured


def test_an_unknown_view_is_named_with_the_valid_ones(course):
    course.wait_for_function("document.getElementById('bad').notes.length > 0", timeout=10_000)
    text = ' '.join(course.evaluate("document.getElementById('bad').notes"))
    assert 'unknown view "nope"' in text
    for name in ('network', 'curves', 'draw', 'morph', 'pour', 'perturb', 'hidden', 'health', 'modules', 'swarm'):
        assert name in text
    assert 'bad' not in course.evaluate('window.readyEvents')


def test_the_element_fits_its_box_by_scaling_the_view_down(course):
    """The curves element is given 260 px: its view is scaled so nothing spills out."""
    box = course.evaluate("""() => {
      const el = document.getElementById('curves');
      const inner = el.querySelector('.gb-embed-inner').getBoundingClientRect();
      return {el: el.getBoundingClientRect().bottom, inner: inner.bottom};
    }""")
    assert box['inner'] <= box['el'] + 1


def test_a_removed_element_cleans_up_and_the_others_keep_working(course):
    page = course
    page.evaluate("document.getElementById('curves').remove()")
    assert page.evaluate("document.getElementById('curves') === null")
    page.evaluate('window.glassbox.train({steps: 5})')
    page.wait_for_function("document.querySelector('#net .gb-embed-status').textContent.startsWith('step ')", timeout=10_000)
    assert page.errors == []


def test_an_engine_that_never_loads_is_named_instead_of_hanging(browser, site_url, http_server, tmp_path):
    """Python's loader is held forever (as a blocked download would be): after its start-timeout
    the element says the engine did not start, and never spins for ever."""
    (tmp_path / 'stuck.html').write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>stuck</title></head><body>'
        f'<script type="module" src="{site_url}js/glassbox-embed.js"></script>'
        '<glassbox-view id="v" view="curves" controls start-timeout="8"></glassbox-view>'
        "<script>window.errors = []; document.addEventListener('glassbox-error', (e) => window.errors.push(e.detail.message));</script>"
        '</body></html>')
    course_url = http_server(tmp_path, isolation=False)
    context = browser.new_context()
    held = []
    context.route('**/pyodide.js', lambda route: held.append(route))   # never answered
    page = context.new_page()
    try:
        page.goto(course_url + 'stuck.html')
        page.wait_for_function('window.errors.length > 0', timeout=60_000)
        assert held, 'the loader request was not held'
        text = page.inner_text('#v .gb-embed-error')
        assert 'The engine did not start within 8 s' in text and 'Reload the page' in text
        assert page.is_hidden('#v .gb-embed-loading')
        assert page.is_disabled('#v button[data-action=play]')
    finally:
        context.close()


def test_every_short_view_name_maps_onto_a_view_that_mounts_alone(course, site_url):
    """The element's names (network, curves, draw, morph, pour, perturb, hidden, health, modules,
    swarm) each name a MOUNTABLE view; tests/test_page_structure.py mounts and draws each of those."""
    names = course.evaluate("""async (site) => {
      const {VIEW_NAMES} = await import(site + 'js/embed/attributes.js');
      const {MOUNTABLE} = await import(site + 'js/embed.js');
      return Object.entries(VIEW_NAMES).map(([name, key]) => [name, Object.hasOwn(MOUNTABLE, key)]);
    }""", site_url)
    assert [n for n, _ in names] == ['network', 'curves', 'draw', 'morph', 'pour', 'perturb', 'hidden', 'health', 'modules', 'swarm']
    assert all(ok for _, ok in names), names


def test_changing_the_view_attribute_mounts_the_new_view_on_the_shared_engine(course):
    page = course
    page.evaluate("document.getElementById('other').setAttribute('view', 'network')")
    page.wait_for_function("document.querySelector('#other .gb-network-svg') !== null", timeout=30_000)
    page.wait_for_function(f'({DRAWN})(document.getElementById("other")) > 10', timeout=30_000)
    assert page.evaluate("document.querySelectorAll('#other .gb-embed-frame').length") == 1   # the old view is gone
    assert page.evaluate("document.getElementById('other').app === window.glassbox")
    assert len(page.workers) == 1
