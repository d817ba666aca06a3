"""The swarm's stream reader (site/js/state/swarm-state.js) and its six views (site/js/views/swarm/),
fed the fake stream of tests/swarm_fixture.py on a blank page (site/swarm-views-test.html): no engine.
Screenshots of every view go to test-artifacts/swarm-<view>.png."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from swarm_fixture import fake_stream

ROOT = Path(__file__).resolve().parents[1]
STATE_JS = ROOT / 'site' / 'js' / 'state' / 'swarm-state.js'
VIEWS = ('graph', 'heatmap', 'trajectories', 'pareto', 'allocation', 'events')
STREAM = fake_stream(members=8, rounds=12, seed=0)
needs_node = pytest.mark.skipif(shutil.which('node') is None, reason='node is not installed')


def node(script: str):
    out = subprocess.run(['node', '--input-type=module'], input=script, capture_output=True, text=True, timeout=60)  # stdin: a stream is longer than argv allows
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def records(text=STREAM):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture()
def swarm(page, site_url):
    """The test page with every view mounted and the fixture's stream drawn."""
    page.set_viewport_size({'width': 1000, 'height': 900})
    page.goto(site_url + 'swarm-views-test.html')
    page.wait_for_function('window.swarmViews', timeout=30_000)
    page.evaluate('(text) => { window.swarmViews.mount(text); }', STREAM)
    return page


# ---------------------------------------------------------------- the reader, in node

@needs_node
def test_parse_stream_reads_the_python_fixture():
    got = node("""import {parseStream, lineage} from '%s';
    const s = parseStream(%s);
    console.log(JSON.stringify({id: s.id, round: s.round, ended: s.ended && s.ended.reason, notes: s.notes,
      members: s.members.map((m) => [m.id, m.alive, m.history.length, m.parents]), rounds: s.rounds.length,
      events: s.events.map((e) => e.kind), lineage: lineage(s).map((e) => e.kind)}));""" % (STATE_JS.as_uri(), json.dumps(STREAM)))
    recs = records()
    member_ids = list(dict.fromkeys(r['member'] for r in recs if r['type'] == 'member'))
    assert got['id'] == 'fixture-0' and got['round'] == 12 and got['ended'] == 'done' and got['notes'] == []
    assert [m[0] for m in got['members']] == member_ids  # order of first appearance
    per_member = {i: sum(1 for r in recs if r['type'] == 'member' and r['member'] == i) for i in member_ids}
    assert {m[0]: m[2] for m in got['members']} == per_member
    assert got['rounds'] == 12
    assert got['events'] == [e['kind'] for r in recs if r['type'] == 'round' for e in r['events']]
    assert {'bred', 'exploited'} <= set(got['lineage'])


@needs_node
def test_culled_members_are_not_alive():
    got = node("""import {parseStream} from '%s';
    const s = parseStream(%s);
    console.log(JSON.stringify(s.members.filter((m) => !m.alive).map((m) => [m.id, m.culledRound])));""" % (STATE_JS.as_uri(), json.dumps(STREAM)))
    culled = [(e['member'], e['round']) for r in records() if r['type'] == 'round' for e in r['events'] if e['kind'] == 'culled']
    assert culled and sorted(tuple(c) for c in got) == sorted(culled)


@needs_node
def test_the_reader_rejects_a_bad_line_naming_it():
    lines = STREAM.splitlines()
    bad_json = '\n'.join(lines[:3] + ['{"type": "member", oops'] + lines[3:])
    bad_type = '\n'.join(lines[:5] + ['{"type": "gossip"}'])
    not_object = '\n'.join(lines[:2] + ['[1, 2]'])
    no_header = '\n'.join(lines[1:])
    got = node("""import {parseStream} from '%s';
    const tryIt = (t) => { try { parseStream(t); return 'no error'; } catch (e) { return e.message; } };
    console.log(JSON.stringify({json: tryIt(%s), type: tryIt(%s), object: tryIt(%s), empty: tryIt('  \\n'),
      noHeader: parseStream(%s).notes}));""" % (STATE_JS.as_uri(), json.dumps(bad_json), json.dumps(bad_type),
                                                 json.dumps(not_object), json.dumps(no_header)))
    assert got['json'].startswith('swarm stream line 4: not JSON')
    assert got['type'].startswith('swarm stream line 6: unknown record type "gossip"')
    assert got['object'].startswith('swarm stream line 3:')
    assert got['empty'] == 'the swarm stream is empty'
    assert any('no \'swarm\' header' in n for n in got['noHeader'])


@needs_node
def test_the_reader_is_tolerant_of_unknown_members_nulls_and_one_member():
    got = node("""import {emptySwarm, addRecord, addRecords, METRICS, latestSimilarity} from '%s';
    const s = emptySwarm();
    addRecord(s, {type: 'round', round: 1, time: 0.5, allocation: {m9: 10}, shares: {}, similarity: {combined: [['m9', 'm4', 0.9]]},
      events: [{kind: 'culled', member: 'm4', round: 1, detail: 'gone'}]});
    addRecords(s, [{type: 'member', member: 'm9', round: 2, metrics: null, loss: null, layers: null, resources: {ms_per_step: null}}]);
    const values = METRICS.map((m) => [m.key, m.accessor(s.members[0]) ?? null]);
    console.log(JSON.stringify({ids: s.members.map((m) => [m.id, m.alive]), round: s.round, values,
      edges: latestSimilarity(s, 'combined', 0.8).length, json: JSON.parse(JSON.stringify(s)).members.length}));""" % STATE_JS.as_uri())
    assert got['ids'] == [['m9', True], ['m4', False]] and got['round'] == 2 and got['edges'] == 1 and got['json'] == 2
    assert all(v is None for _, v in got['values'])


@needs_node
def test_pareto_front_equals_a_brute_force_check():
    import random
    rng = random.Random(3)
    points = [{'id': 'p%d' % i, 'x': rng.choice([1, 2, 3, 4, 5, 6]), 'y': rng.choice([0.5, 0.6, 0.7, 0.8, 0.9])} for i in range(40)]
    points.append({'id': 'nan', 'x': None, 'y': 0.99})
    got = node("import {paretoFront} from '%s'; console.log(JSON.stringify(paretoFront(%s, {x: 'x', y: (p) => p.y})));"
               % (STATE_JS.as_uri(), json.dumps(points)))
    ok = [p for p in points if p['x'] is not None]
    brute = {p['id'] for p in ok if not any(q['x'] <= p['x'] and q['y'] >= p['y'] and (q['x'] < p['x'] or q['y'] > p['y']) for q in ok)}
    assert set(got) == brute and len(got) == len(brute)


# ---------------------------------------------------------------- the views, in the browser

def test_every_view_draws_the_fixture_and_is_described(swarm, artifacts_dir):
    recs = records()
    n_members = len({r['member'] for r in recs if r['type'] == 'member'})
    n_alive = n_members - sum(1 for r in recs if r['type'] == 'round' for e in r['events'] if e['kind'] == 'culled')
    n_events = sum(len(r['events']) for r in recs if r['type'] == 'round')
    counts = swarm.evaluate("""() => {
        const q = (name, sel) => document.querySelectorAll('#view-' + name + ' ' + sel).length;
        return {graph: q('graph', 'g.gb-swarm-node'), heatmap: q('heatmap', 'g.gb-swarm-row'),
          traj: q('trajectories', 'g.gb-swarm-traj'), pareto: q('pareto', 'g.gb-swarm-pt'),
          bands: q('allocation', 'path.gb-swarm-band'), events: q('events', 'li.gb-swarm-event'),
          described: Object.values(window.swarmViews.views).map((v) => v.describe()),
          legends: [...document.querySelectorAll('.gb-swarm-legend')].map((g) => g.querySelectorAll('text').length)};
    }""")
    assert counts['graph'] == n_members          # culled members are drawn faded by default
    assert counts['heatmap'] == n_members
    assert counts['traj'] == 3                    # the best 3 by fitness
    assert counts['pareto'] == n_alive            # alive members only
    assert counts['bands'] == n_members
    assert counts['events'] == min(20, n_events)
    assert all(text and 'no members' not in text for text in counts['described'])
    assert all(n > 0 for n in counts['legends'])
    assert 'best m' in counts['described'][0]
    swarm.evaluate('() => window.swarmViews.views.events.setOptions({limit: 100})')
    assert swarm.evaluate("document.querySelectorAll('#view-events li.gb-swarm-event').length") == n_events
    for name in VIEWS:
        swarm.locator('#view-' + name).screenshot(path=str(artifacts_dir / ('swarm-%s.png' % name)))
    assert not swarm.errors, swarm.errors


def test_views_show_an_empty_state_before_data_and_survive_tiny_streams(swarm):
    one = fake_stream(members=1, rounds=1, seed=2)
    header_only = STREAM.splitlines()[0]
    texts = swarm.evaluate("""([one, headerOnly]) => {
        const host = document.createElement('div'); document.body.append(host);
        const out = {};
        for (const [name, view] of Object.entries(window.swarmViews.views)) out[name] = [];
        const fresh = {};
        return import('./js/views/swarm/swarm-graph.js').then(async () => {
          const names = ['graph', 'heatmap', 'trajectories', 'pareto', 'allocation', 'events'];
          for (const name of names) {
            const m = await import('./js/views/swarm/swarm-' + name + '.js');
            const el = document.createElement('div'); host.append(el);
            const view = m.create(el, {});
            out[name].push(el.querySelector('.gb-swarm-empty').textContent);
            view.update(window.swarmViews.state.parseStream(headerOnly)); view.flush();
            view.update(window.swarmViews.state.parseStream(one)); view.flush();
            out[name].push(el.querySelectorAll('svg *').length);
            view.destroy();
          }
          return out;
        });
    }""", [one, header_only])
    for name, (empty_text, drawn) in texts.items():
        assert 'Waiting' in empty_text, (name, empty_text)
        assert drawn > 5, name
    assert not swarm.errors, swarm.errors


def test_graph_positions_stay_stable_across_an_update(swarm):
    lines = STREAM.splitlines()
    last_round = max(i for i, line in enumerate(lines) if '"type":"round"' in line)
    # The stream up to round 11, then the same swarm one round later (same members: no cull or breed in round 12).
    before_end = max(i for i, line in enumerate(lines[:last_round]) if '"type":"round"' in line)
    moved = swarm.evaluate("""([early, full]) => {
        const {views, state} = window.swarmViews;
        views.graph.update(state.parseStream(early)); views.graph.flush();
        const a = views.graph.positions();
        views.graph.update(state.parseStream(full)); views.graph.flush();
        const b = views.graph.positions();
        views.graph.setOptions({metric: 'fitness'});
        const c = views.graph.positions();
        return Object.keys(a).map((id) => Math.max(Math.hypot(b[id][0] - a[id][0], b[id][1] - a[id][1]),
                                                  Math.hypot(c[id][0] - a[id][0], c[id][1] - a[id][1])));
    }""", ['\n'.join(lines[:before_end + 1]), STREAM])
    assert moved and max(moved) < 3, moved


def test_graph_keeps_old_nodes_near_their_place_when_a_member_is_born(swarm):
    lines = STREAM.splitlines()
    rounds = [i for i, line in enumerate(lines) if '"type":"round"' in line]
    moved = swarm.evaluate("""([early, later]) => {
        const {views, state} = window.swarmViews;
        views.graph.update(state.parseStream(early)); views.graph.flush();
        const a = views.graph.positions();
        views.graph.update(state.parseStream(later)); views.graph.flush();
        const b = views.graph.positions();
        return {ids: Object.keys(b).length - Object.keys(a).length,
                moved: Object.keys(a).map((id) => Math.hypot(b[id][0] - a[id][0], b[id][1] - a[id][1]))};
    }""", ['\n'.join(lines[:rounds[3] + 1]), '\n'.join(lines[:rounds[4] + 1])])  # round 5 breeds m8
    assert moved['ids'] == 1
    assert sorted(moved['moved'])[len(moved['moved']) // 2] < 25, moved  # a gentle nudge, not a new layout


def test_clicking_a_node_row_point_band_or_event_selects_that_member(swarm):
    swarm.evaluate('() => { window.swarmViews.selected.length = 0; }')
    swarm.click('#view-graph g.gb-swarm-node[data-member="m2"]')
    swarm.click('#view-heatmap g.gb-swarm-row[data-member="m4"] .gb-swarm-row-label')
    swarm.click('#view-pareto g.gb-swarm-pt[data-member="m1"] .gb-swarm-point')
    swarm.click('#view-allocation path.gb-swarm-band[data-member="m0"]', position={'x': 5, 'y': 5}, force=True)
    swarm.locator('#view-events li.gb-swarm-event[data-kind="bred"] button.gb-swarm-member-btn').first.click()
    swarm.focus('#view-heatmap g.gb-swarm-row[data-member="m6"]')
    swarm.keyboard.press('Enter')
    swarm.focus('#view-graph g.gb-swarm-node[data-member="m5"]')
    swarm.keyboard.press(' ')
    got = swarm.evaluate('window.swarmViews.selected')
    newest_bred = [e for r in records() if r['type'] == 'round' for e in r['events'] if e['kind'] == 'bred'][-1]['member']
    assert [(s['view'], s['id']) for s in got] == [('graph', 'm2'), ('heatmap', 'm4'), ('pareto', 'm1'),
                                                   ('allocation', got[3]['id']), ('events', newest_bred),
                                                   ('heatmap', 'm6'), ('graph', 'm5')]
    assert got[3]['id'].startswith('m')
    assert swarm.evaluate("document.querySelector('#view-graph g.gb-swarm-node[data-member=\"m5\"]').classList.contains('gb-selected')")
    assert not swarm.errors, swarm.errors


def test_pareto_view_marks_the_brute_force_front(swarm):
    got = swarm.evaluate("""() => ({front: window.swarmViews.views.pareto.front(),
        ringed: [...document.querySelectorAll('#view-pareto g.gb-swarm-pt[data-front]')].map((g) => g.dataset.member)})""")
    latest = {}
    for r in records():
        if r['type'] == 'member':
            latest[r['member']] = r
    culled = {e['member'] for r in records() if r['type'] == 'round' for e in r['events'] if e['kind'] == 'culled'}
    pts = [(m, r['resources']['ms_per_step'], r['metrics']['val_accuracy']) for m, r in latest.items()
           if m not in culled and r['metrics']['val_accuracy'] is not None]
    brute = {m for m, x, y in pts if not any(qx <= x and qy >= y and (qx < x or qy > y) for _, qx, qy in pts)}
    assert set(got['front']) == brute and set(got['ringed']) == brute


def test_heatmap_sorts_by_a_clicked_column_and_back(swarm):
    latest = {}
    for r in records():
        if r['type'] == 'member':
            latest[r['member']] = r['fitness']
    swarm.click('#view-heatmap g.gb-swarm-col-head[data-column="fitness"]')
    best_first = swarm.evaluate('window.swarmViews.views.heatmap.rowOrder()')
    swarm.click('#view-heatmap g.gb-swarm-col-head[data-column="fitness"]')
    worst_first = swarm.evaluate('window.swarmViews.views.heatmap.rowOrder()')
    assert best_first == sorted(latest, key=lambda m: -latest[m])
    assert worst_first == sorted(latest, key=lambda m: latest[m])
    swarm.evaluate("() => window.swarmViews.views.heatmap.setOptions({mode: 'time', metric: 'val_loss', sortBy: null})")
    cells = swarm.evaluate("document.querySelectorAll('#view-heatmap g.gb-swarm-row[data-member=\"m0\"] .gb-swarm-cell').length")
    assert cells == 12
    assert not swarm.errors, swarm.errors


def test_trajectories_draw_layer_series_and_weight_values(swarm):
    got = swarm.evaluate("""() => {
        const v = window.swarmViews.views.trajectories, out = {};
        for (const series of ['w_norm:0', 'w:0:5', 'w:1:70']) {
          v.setOptions({series, members: ['m0', 'm1']});
          out[series] = {lines: document.querySelectorAll('#view-trajectories g.gb-swarm-traj').length,
                         empty: document.querySelector('#view-trajectories .gb-swarm-empty').textContent};
        }
        return out;
    }""")
    assert got['w_norm:0']['lines'] == 2 and got['w:0:5']['lines'] == 2
    assert got['w:1:70']['lines'] == 0 and 'at most 64 weights' in got['w:1:70']['empty']


def test_export_svg_returns_standalone_svg_markup(swarm):
    swarm.evaluate('() => { URL.createObjectURL = () => "blob:none"; HTMLAnchorElement.prototype.click = () => {}; }')
    markups = swarm.evaluate('() => Object.values(window.swarmViews.views).map((v) => v.exportSVG())')
    for markup in markups:
        assert markup.startswith('<svg') and 'xmlns="http://www.w3.org/2000/svg"' in markup and '</svg>' in markup
    assert not swarm.errors, swarm.errors
