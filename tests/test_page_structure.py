"""The page's structure (issue 9, page half): window.glassbox is built in one file (site/js/app/api.js)
and README.md's API table is written from it; views never call the engine; one view mounts alone on
a blank page with its data source (site/js/embed.js) and really draws.

``python tests/test_page_structure.py`` rewrites README.md's table from api.js."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import mount_alone, open_mounted

ROOT = Path(__file__).resolve().parents[1]
JS = ROOT / 'site' / 'js'
README = ROOT / 'README.md'
START, END = '<!-- api-table: written from site/js/app/api.js (python tests/test_page_structure.py) -->', '<!-- api-table end -->'


def api_members():
    script = "import {API_MEMBERS} from '%s'; console.log(JSON.stringify(API_MEMBERS));" % (JS / 'app' / 'api.js').as_uri()
    out = subprocess.run(['node', '--input-type=module', '-e', script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def render_table(members) -> str:
    rows = ['| member | what it does |', '|---|---|']
    rows += ['| `%s` | %s |' % (signature, text) for _, signature, text in members]
    return '\n'.join([START] + rows + [END])


def readme_table() -> str:
    text = README.read_text()
    assert START in text and END in text, 'README.md lost its API table markers'
    return text[text.index(START):text.index(END) + len(END)]


needs_node = pytest.mark.skipif(shutil.which('node') is None, reason='node is not installed')


@needs_node
def test_readme_api_table_is_the_one_in_api_js():
    members = api_members()
    assert readme_table() == render_table(members), 'README.md and site/js/app/api.js disagree: run python tests/test_page_structure.py'


@needs_node
def test_api_js_lists_every_member_it_builds():
    """Every member of the object api.js builds is in API_MEMBERS, and nothing else adds members."""
    source = (JS / 'app' / 'api.js').read_text()
    body = source[source.index('const glassbox = {'):source.index('  /** Page-internal wiring')]
    built = set(re.findall(r'^    (?:get |async )?([A-Za-z]+)(?:\(|:|,)', body, re.M))
    listed = {name for name, _, _ in api_members()}
    assert built == listed
    for path in JS.rglob('*.js'):
        text = path.read_text()
        assert not re.search(r'Object\.assign\((app|glassbox|window\.glassbox),', text), path
        assert not re.search(r'\bapp\.[a-zA-Z]+ = ', text), path


@needs_node
def test_scheduler_queues_coalesces_stale_requests_throttles_and_cancels():
    script = """import {createScheduler} from '%s';
    const log = [];
    const send = (op, args) => new Promise((r) => setTimeout(() => { log.push([op, args.v]); r(args.v); }, 5));
    const s = createScheduler({send});
    const a = s.request('x', {v: 1}, {key: 'k'});          // starts at once
    const b = s.request('x', {v: 2}, {key: 'k'});          // queued ...
    const c = s.request('x', {v: 3}, {key: 'k'});          // ... and replaced by this newer one
    const busy = s.busy('k');
    const d = s.request('x', {v: 4}, {key: 'k', replace: false});  // a follower joins the queued call
    const e = s.request('y', {v: 5}, {key: 'gone'});
    s.cancel('gone');
    const cancelled = await e.then(() => false, (err) => err.cancelled === true);
    const answers = await Promise.all([a, b, c, d]);
    const t0 = performance.now();
    await s.request('z', {v: 6}, {key: 't', throttleMs: 0});
    await s.request('z', {v: 7}, {key: 't', throttleMs: 60});
    const waited = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 0));
    console.log(JSON.stringify({log, answers, busy, cancelled, waited, idle: s.busy()}));""" % (JS / 'app' / 'scheduler.js').as_uri()
    out = subprocess.run(['node', '--input-type=module', '-e', script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result['log'][:2] == [['x', 1], ['x', 3]]  # the stale request (2) never reached the engine
    assert result['answers'] == [1, 3, 3, 3] and result['busy'] and result['cancelled'] and not result['idle']
    assert result['waited'] >= 55  # the second call of key 't' waited for its throttle


def test_views_never_call_the_engine():
    for path in (JS / 'views').rglob('*.js'):
        text = path.read_text()
        assert '.request(' not in text and 'ctx.app' not in text, '%s calls the engine; use its data source' % path


def test_tables_are_not_copied_into_the_page():
    for name in ('DATA_FILES', 'mnist10k.gbd.gz', "'small_uniform'", 'withinSteps'):
        hits = [str(p) for p in JS.rglob('*.js') if name in p.read_text()]
        assert not hits, '%s is declared in the engine (tables.json), not here: %s' % (name, hits)


def test_one_view_mounts_alone_on_a_blank_page_and_draws(page, site_url, artifacts_dir):
    errors = page.errors
    page.on('console', lambda msg: errors.append(msg.text) if msg.type == 'warning' else None)
    page.set_viewport_size({'width': 900, 'height': 700})
    open_mounted(page, site_url, 'curves')
    assert page.query_selector('.panel') is None  # no app page around it
    page.evaluate('window.glassbox.train({steps: 40})')
    page.wait_for_function('window.mounted.view.getSeries()[0].step.at(-1) === 40', timeout=30_000)
    drawn = page.evaluate("""() => {
        const series = window.mounted.view.getSeries()[0];
        const paths = [...document.querySelectorAll('#target svg path')].map((p) => p.getAttribute('d') || '');
        return {steps: series.step, loss: series.trainLoss, longest: Math.max(...paths.map((d) => d.length))};
    }""")
    assert drawn['steps'][-1] == 40 and all(v == v for v in drawn['loss'])  # real, finite losses
    assert drawn['longest'] > 40  # a loss path with several points, not an empty axis
    page.screenshot(path=str(artifacts_dir / 'mount-view-curves.png'))
    assert page.evaluate('window.glassbox.state().layers') == [64, 16, 10]
    assert not errors, errors


def test_every_mountable_view_mounts_alone_and_draws(page, site_url, artifacts_dir):
    """Each view of embed.js's MOUNTABLE, mounted by itself into an empty element of a blank page
    (one engine shared by them), draws real content once the network has trained a little."""
    errors = page.errors
    page.set_viewport_size({'width': 900, 'height': 800})
    open_mounted(page, site_url, 'network')
    page.evaluate('window.glassbox.train({steps: 30})')
    names = page.evaluate("import('./js/embed.js').then((m) => Object.keys(m.MOUNTABLE))")
    assert {'network', 'curves'} <= set(names)
    for name in names:
        mount_alone(page, name)
        for method in ('update', 'setOptions', 'destroy', 'exportSVG', 'exportPNG'):
            assert page.evaluate('(m) => typeof window.alone.view[m]', method) == 'function', (name, method)
        page.screenshot(path=str(artifacts_dir / ('mount-view-%s.png' % name)))
        page.evaluate('window.alone.destroy()')
    assert not errors, errors


if __name__ == '__main__':
    table = render_table(api_members())
    text = README.read_text()
    if START in text:
        text = text[:text.index(START)] + table + text[text.index(END) + len(END):]
    else:
        sys.exit('README.md has no API table markers')
    README.write_text(text)
    print('README.md API table written from site/js/app/api.js')
