"""embed.html (site/embed.html, site/js/embed/page.js) and its postMessage protocol
(site/js/embed/frame-bridge.js): one view filling an iframe, driven by a parent page on another
origin, inside sandbox="allow-scripts" with and without COOP/COEP.

Servers: A serves the built site (site_url: with COOP/COEP); B serves the parent pages written
here (another port: another origin); C serves a page whose messages the frame must refuse."""
import json

import pytest

from conftest import DRAWN, READY_MS, collect_errors

VALID_VIEWS = ('network', 'curves', 'draw', 'morph', 'pour', 'perturb', 'hidden', 'health', 'modules', 'swarm')

# The parent page's helpers: ask(frameId, message) resolves the frame's reply; every message the
# frames post is kept in window.received.
PARENT_JS = """
<script>
  window.received = [];
  const waiting = new Map();
  addEventListener('message', (event) => {
    window.received.push({origin: event.origin, data: event.data});
    const d = event.data;
    if (d && d.type === 'reply' && waiting.has(d.id)) { waiting.get(d.id)(d); waiting.delete(d.id); }
  });
  let next = 1;
  window.ask = (frameId, message) => new Promise((resolve) => {
    const id = 'q' + next++;
    waiting.set(id, resolve);
    document.getElementById(frameId).contentWindow.postMessage({...message, id}, '*');
  });
  window.post = (frameId, data) => document.getElementById(frameId).contentWindow.postMessage(data, '*');
</script>
"""


def frame_of(page, element_id):
    return page.query_selector('#' + element_id).content_frame()


@pytest.fixture(scope='module')
def servers(site_url, http_server, tmp_path_factory, dist_dir):
    folder = tmp_path_factory.mktemp('parents')
    b = http_server(folder, isolation=False)
    c = http_server(folder, isolation=False)
    a_plain = http_server(dist_dir, isolation=False)     # the site without COOP/COEP
    return {'a': site_url, 'a_plain': a_plain, 'b': b, 'c': c, 'folder': folder}


def origin(url):
    return url.rstrip('/')


# ---------------------------------------------------------------- the page alone

def test_embed_fills_the_frame_without_scrollbars_at_400x300_and_800x600(page, site_url, artifacts_dir):
    page.set_viewport_size({'width': 400, 'height': 300})
    page.goto(site_url + 'embed.html?view=network#hidden=16&autoplay=false')
    page.wait_for_function('window.glassboxFrame && window.glassboxFrame.element.view', timeout=READY_MS)
    page.evaluate('window.glassbox.ready')
    page.evaluate('window.glassbox.train({steps: 20})')
    for width, height in ((400, 300), (800, 600)):
        page.set_viewport_size({'width': width, 'height': height})
        page.wait_for_function(f'innerWidth === {width}')
        page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))')
        sizes = page.evaluate("""() => {
          const d = document.documentElement, v = document.getElementById('view').getBoundingClientRect();
          const inner = document.querySelector('#view .gb-embed-inner').getBoundingClientRect();
          const bar = document.querySelector('#view .gb-embed-controls').getBoundingClientRect();
          return {sw: d.scrollWidth, sh: d.scrollHeight, h: innerHeight, vw: v.width, vh: v.height,
                  innerBottom: inner.bottom, innerHeight: inner.height, barBottom: bar.bottom};
        }""")
        assert sizes['sw'] <= width and sizes['sh'] <= height, sizes
        assert sizes['vw'] >= width - 2 and sizes['vh'] >= height * 0.9, sizes
        assert sizes['innerBottom'] <= sizes['barBottom'] <= sizes['h'], sizes
        assert sizes['innerHeight'] >= height * 0.5, sizes            # the view uses the room
        assert page.evaluate(f'({DRAWN})(document.getElementById("view"))') > 10
        page.screenshot(path=str(artifacts_dir / f'embed-{width}x{height}.png'))
    assert page.errors == []


def test_hostile_url_values_are_named_as_text_and_not_used(page, site_url):
    page.goto(site_url + 'embed.html?view=curves#lr=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&nonsense=1&hidden=' + '9' * 50)
    page.wait_for_function('window.glassboxFrame && window.glassboxFrame.element.notes.length >= 3', timeout=30_000)
    notes = ' '.join(page.evaluate('window.glassboxFrame.element.notes'))
    assert 'Ignored lr="<img src=x onerror=alert(1)>"' in notes and 'unknown setting "nonsense"' in notes
    assert 'Ignored hidden="9999' in notes
    assert page.query_selector('img') is None                 # shown as text, never as markup
    assert page.evaluate('document.documentElement.scrollHeight <= innerHeight')


def test_an_unknown_view_is_named_with_the_valid_ones(page, site_url):
    page.goto(site_url + 'embed.html#view=%3Cb%3Ebold%3C/b%3E')
    page.wait_for_selector('#view .gb-embed-error', timeout=30_000)
    text = page.inner_text('#view .gb-embed-error')
    assert 'unknown view "<b>bold</b>"' in text
    assert all(name in text for name in VALID_VIEWS)
    assert page.query_selector('b') is None


# ---------------------------------------------------------------- a cross-origin parent drives it

@pytest.fixture(scope='module')
def parent(browser, servers):
    b, c, a = servers['b'], servers['c'], servers['a']
    # C's page posts to its sibling frame (the embed): the embed must refuse C's origin.
    (servers['folder'] / 'intruder.html').write_text(
        '<!doctype html><link rel="icon" href="data:,"><title>intruder</title><script>'
        "window.attack = () => { parent.frames[0].postMessage({type: 'train', steps: 25, id: 'x'}, '*');"
        " parent.frames[0].postMessage({type: 'configure', settings: {lr: 5}, id: 'y'}, '*'); };</script>")
    (servers['folder'] / 'parent.html').write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>course</title></head><body>'
        f'<iframe id="f" title="Glassbox curves" width="800" height="600" '
        f'src="{a}embed.html?view=curves&allow={origin(b)}#autoplay=false&debug"></iframe>'
        f'<iframe id="c" title="other site" width="50" height="50" src="{c}intruder.html"></iframe>'
        + PARENT_JS + '</body></html>')
    context = browser.new_context(viewport={'width': 1000, 'height': 800})
    page = collect_errors(context.new_page())
    page.goto(b + 'parent.html')
    page.wait_for_function("window.received.some((m) => m.data && m.data.type === 'ready')", timeout=READY_MS)
    yield page
    context.close()


def test_the_frame_announces_itself_to_the_allowed_parent_only(parent, servers):
    ready = [m for m in parent.evaluate('window.received') if m['data'].get('type') == 'ready']
    assert len(ready) == 1 and ready[0]['origin'] == origin(servers['a'])
    assert ready[0]['data']['view'] == 'curves' and ready[0]['data']['state']['step'] == 0


def test_a_cross_origin_parent_configures_trains_reads_and_subscribes(parent):
    ask = lambda message: parent.evaluate('(m) => window.ask("f", m)', message)
    hello = ask({'type': 'hello'})
    assert hello['ok'] and hello['result']['version'] == 1 and hello['result']['view'] == 'curves'
    configured = ask({'type': 'configure', 'settings': {'lr': 0.05}})
    assert configured['ok'] and configured['result']['lr'] == 0.05
    trained = ask({'type': 'train', 'steps': 30})
    assert trained['ok'] and trained['result']['step'] == 30 and trained['result']['loss'] > 0
    bad = ask({'type': 'configure', 'settings': {'lr': 'fast'}})
    assert not bad['ok'] and 'lr' in bad['error']
    assert ask({'type': 'state'})['result']['step'] == 30
    sub = ask({'type': 'subscribe', 'every': 0})
    assert sub['ok'] and sub['result'] == {'subscribed': True, 'every': 0}
    assert ask({'type': 'play'})['ok']
    parent.wait_for_function("window.received.filter((m) => m.data.type === 'snapshot').length >= 3", timeout=60_000)
    paused = ask({'type': 'pause'})
    assert paused['ok'] and paused['result']['status'] == 'paused'
    snaps = [m['data']['summary'] for m in parent.evaluate('window.received') if m['data'].get('type') == 'snapshot']
    steps = [s['step'] for s in snaps]
    assert steps == sorted(steps) and steps[-1] > 30 and set(snaps[0]) >= {'step', 'loss', 'accuracy', 'status'}
    assert ask({'type': 'unsubscribe'})['result'] == {'subscribed': False}
    count = len(snaps)
    ask({'type': 'train', 'steps': 20})
    parent.wait_for_timeout(300)
    after = [m for m in parent.evaluate('window.received') if m['data'].get('type') == 'snapshot']
    assert len(after) <= count + 1        # at most one already on its way when unsubscribed
    # The frame's own views followed: the curves drew the trained steps.
    assert frame_of(parent, 'f').evaluate(f'({DRAWN})(document.getElementById("view"))') > 2


def test_messages_from_an_origin_not_allowed_are_ignored_and_counted(parent):
    frame = frame_of(parent, 'f')
    before = frame.evaluate('window.glassboxFrame.stats()')
    step = frame.evaluate('window.glassbox.state().step')
    frame_of(parent, 'c').evaluate('window.attack()')
    frame.wait_for_function(f"window.glassboxFrame.stats().ignored.origin >= {before['ignored']['origin'] + 2}", timeout=10_000)
    parent.wait_for_timeout(500)
    assert frame.evaluate('window.glassbox.state().step') == step            # not trained
    assert frame.evaluate('window.glassbox.state().lr') != 5                  # not configured
    stats = frame.evaluate('window.glassboxFrame.stats()')
    assert stats['obeyed'] == before['obeyed'] and 'not allowed' in stats['last']
    assert 'ignored 2 from other origins' in frame.inner_text('#embed-debug')


def test_malformed_and_unknown_messages_are_ignored_counted_and_answered_when_they_have_an_id(parent):
    frame = frame_of(parent, 'f')
    before = parent.evaluate('(m) => window.ask("f", m)', {'type': 'stats'})['result']
    step = frame.evaluate('window.glassbox.state().step')
    parent.evaluate("""() => {
      post('f', 'train');                                   // not an object
      post('f', [1, 2]);                                    // an array
      post('f', {type: 5, id: 'm1'});                       // type not a string
      post('f', {type: 'train', steps: 5, id: {}});         // id an object
      post('f', {type: 'train', steps: 5, filler: 'x'.repeat(30000), id: 'm2'});   // too big
      post('f', {type: 'eval', code: 'glassbox.train(99)', id: 'u1'});
      post('f', {type: '__proto__', id: 'u2'});
    }""")
    frame.wait_for_function('window.glassboxFrame.stats().ignored.unknown >= %d' % (before['ignored']['unknown'] + 2), timeout=10_000)
    parent.wait_for_function("window.received.some((m) => m.data.id === 'u2')", timeout=10_000)
    stats = parent.evaluate('(m) => window.ask("f", m)', {'type': 'stats'})['result']
    assert stats['ignored']['malformed'] == before['ignored']['malformed'] + 5
    assert stats['ignored']['unknown'] == before['ignored']['unknown'] + 2
    replies = {m['data']['id']: m['data'] for m in parent.evaluate('window.received') if m['data'].get('type') == 'reply'}
    assert replies['u1']['ok'] is False and 'unknown type "eval"' in replies['u1']['error'] and 'train' in replies['u1']['error']
    assert replies['m1']['ok'] is False and 'malformed' in replies['m1']['error']
    assert frame.evaluate('window.glassbox.state().step') == step
    assert parent.errors == []


# ---------------------------------------------------------------- sandboxed, with and without COOP/COEP

@pytest.mark.parametrize('isolation', [True, False], ids=['coop-coep', 'no-isolation'])
def test_a_sandboxed_frame_from_another_origin_draws_and_trains(browser, servers, isolation, artifacts_dir):
    a = servers['a'] if isolation else servers['a_plain']
    b = servers['b']
    name = f'sandboxed-{int(isolation)}.html'
    (servers['folder'] / name).write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>sandboxed</title></head><body>'
        '<h1 style="font: 16px sans-serif">A course page with a sandboxed Glassbox frame</h1>'
        f'<iframe id="s" sandbox="allow-scripts" title="Glassbox network" width="640" height="480" '
        f'src="{a}embed.html?view=network&allow={origin(b)}#autoplay=false&hidden=16"></iframe>'
        + PARENT_JS + '</body></html>')
    context = browser.new_context(viewport={'width': 720, 'height': 560})
    page = collect_errors(context.new_page())
    try:
        page.goto(b + name)
        page.wait_for_function("window.received.some((m) => m.data && m.data.type === 'ready')", timeout=READY_MS)
        ready = next(m for m in page.evaluate('window.received') if m['data'].get('type') == 'ready')
        assert ready['origin'] == 'null'                           # the sandbox: an opaque origin
        trained = page.evaluate('(m) => window.ask("s", m)', {'type': 'train', 'steps': 20})
        assert trained['ok'] and trained['result']['step'] == 20, trained
        frame = frame_of(page, 's')
        assert frame.evaluate('window.origin') == 'null'
        frame.wait_for_function(f'({DRAWN})(document.getElementById("view")) > 10', timeout=10_000)
        assert 'Saving runs is not available here (sandboxed page: no storage)' in frame.inner_text('#embed-info')
        saved = frame.evaluate('window.glassbox.savedRuns.status()')
        assert saved['available'] is False and saved['reason'] == 'sandboxed page: no storage'
        assert frame.evaluate("document.querySelector('#view .gb-embed-error')") is None
        if isolation:
            page.screenshot(path=str(artifacts_dir / 'embed-sandboxed.png'))
        assert page.errors == []
    finally:
        context.close()
