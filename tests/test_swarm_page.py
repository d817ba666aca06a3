"""Swarm mode on the app page in headless Chromium (offline runtime): a population trained on the
page's own pool of engine workers through window.glassbox.swarm, a member opened in the main
views, recorded streams (good and malformed) in the Swarm section, screenshots of the section and
of each swarm view, and the frame rate while 16 members train (printed, never asserted); plus the
executor in node with stand-in workers (action order, a crashed worker's members brought back)."""
from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import DRAWN, READY_MS, frames
from swarm_fixture import fake_stream

# The Swarm section shows in the Swarm mode only (site/js/ui/modes.js).
pytestmark = pytest.mark.app_settings(page='swarm')

SWARM_MS = 300_000   # a busy 2-core machine: Pyodide in each pool worker, then the rounds
VIEWS = ['swarm-graph', 'swarm-heatmap', 'swarm-trajectories', 'swarm-pareto', 'swarm-allocation', 'swarm-events']



def wait_swarm(page, statuses, timeout=SWARM_MS):
    page.wait_for_function('(s) => s.includes(window.glassbox.swarm.state().status) || window.glassbox.swarm.state().status === "error"',
                           arg=statuses, timeout=timeout)
    state = page.evaluate('window.glassbox.swarm.state()')
    assert state['status'] in statuses, state['error']
    return state


def stop_swarm(page):
    page.evaluate('window.glassbox.swarm.stop()')


def shoot(page, artifacts_dir, tag):
    """Screenshots of the Swarm section and of each swarm view panel."""
    page.evaluate("glassbox.configure({page: 'swarm'})")  # "Open in network view" went to Train
    section = page.locator('#swarm')
    section.scroll_into_view_if_needed()
    frames(page, 3)
    section.screenshot(path=str(artifacts_dir / ('swarm-page-%s-section.png' % tag)))
    for name in VIEWS:
        panel = page.locator('[data-panel="%s"]' % name)
        panel.scroll_into_view_if_needed()
        panel.screenshot(path=str(artifacts_dir / ('swarm-page-%s-%s.png' % (tag, name))))


def test_swarm_trains_on_the_page_and_a_member_opens_in_the_network_view(app, artifacts_dir):
    page = app
    started = time.time()
    page.evaluate('window.glassbox.swarm.start({size: 4, rounds: 3, stepsPerRound: 80, seed: 1, space: "digits"})')
    state = wait_swarm(page, ['done'])
    seconds = time.time() - started
    assert state['round'] == 3 and state['end'] and state['end']['reason'] == 'done'
    # 4 members trained in each round; the population as it stands: those measured (a member the
    # last round culled is gone) and those it made for a next round (pending, never trained)
    assert all(len(r['allocation']) == 4 for r in state['rounds'])
    assert len(state['members']) + len(state['pending']) == 4 and len(state['members']) >= 2
    assert all(m['fitness'] is not None and m['steps'] > 0 and m['round'] == 3 for m in state['members']), state['members']
    assert all(m['config']['dataset'] == 'digits' and m['config']['hidden'] for m in state['members'])
    budget = state['header']['steps_per_round']
    assert budget == 80 and len(state['rounds']) == 3
    for r in state['rounds']:
        assert sum(r['allocation'].values()) == budget, r
    kinds = {e['kind'] for e in state['events']}
    assert 'created' in kinds, kinds
    assert state['totalSteps'] == 3 * budget
    workers = state['workers']
    assert len(workers) >= 2 and all(w['alive'] for w in workers)
    # the workers hold the members that trained last (the last round's actions are not carried out)
    assert sorted(m for w in workers for m in w['members']) == sorted(state['rounds'][-1]['allocation'])
    print('\nswarm of 4 x 3 rounds x 80 steps: %.1f s from start (incl. pool start-up); %.2f s per round, %s steps/s (last round)'
          % (seconds, state['stats']['roundMs'] / 1000, round(state['stats']['stepsPerSecond'])))

    # the status line says what happened
    status = page.locator('#swarm-status').text_content()
    assert 'Finished' in status and 'round 3 of 3' in status and '4 members' in status, status

    # select: the main run becomes that member (architecture and step), the swarm is untouched
    best = max(state['members'], key=lambda m: m['fitness'])
    page.evaluate('(id) => window.glassbox.swarm.highlight(id)', best['id'])
    selection = page.locator('#swarm-selection')
    assert selection.is_visible() and best['id'] in selection.text_content()
    page.locator('#swarm-selection button.primary').click()
    page.wait_for_function('(n) => window.glassbox.state().step === n', arg=best['steps'], timeout=60_000)
    main = page.evaluate('window.glassbox.state()')
    config = best['config']
    assert main['layers'][1:-1] == config['hidden'] and main['layers'][0] == 64 and main['layers'][-1] == 10
    assert main['step'] == best['steps'] and main['settings']['lr'] == config['lr']
    assert main['settings']['activation'] == config['activation']
    frames(page, 3)
    drawn = page.evaluate("document.querySelectorAll('#network-view .gb-neuron').length")
    assert drawn == sum(main['layers']) or drawn > 0
    page.locator('[data-panel="network"]').screenshot(path=str(artifacts_dir / 'swarm-page-selected-network.png'))
    # the API call gives the same
    again = page.evaluate('(id) => window.glassbox.swarm.select(id)', state['members'][0]['id'])
    assert again['layers'][1:-1] == state['members'][0]['config']['hidden'] and again['step'] == state['members'][0]['steps']
    shoot(page, artifacts_dir, 'trained')
    assert not page.errors, page.errors


def test_recorded_stream_shows_and_a_malformed_one_names_its_line(app, artifacts_dir):
    page = app
    stream = fake_stream(members=8, rounds=12, seed=3)
    page.locator('#swarm').scroll_into_view_if_needed()
    state = page.evaluate('(text) => window.glassbox.swarm.load(text)', stream)
    assert state['status'] == 'playing-file' and state['round'] == 12 and state['members']
    page.wait_for_function("document.querySelector('#swarm-status').textContent.includes('Showing a recorded stream')")
    status = page.locator('#swarm-status').text_content()
    assert 'round 12' in status, status
    # every view draws the stream
    for name in VIEWS:
        page.wait_for_function('(name) => (%s)(document.querySelector(`[data-panel="${name}"] .view`)) >= 3' % DRAWN,
                               arg=name, timeout=30_000)
    # clicking a member in a view selects it everywhere (a stream's member cannot be opened)
    member = state['members'][0]['id']
    page.locator('[data-panel="swarm-graph"] .gb-swarm-node[aria-label^="%s,"]' % member).click()
    page.wait_for_function('(id) => window.glassbox.store.get().swarm.selected === id', arg=member, timeout=10_000)
    for name in ('swarm-graph', 'swarm-heatmap'):
        page.wait_for_function('(name) => document.querySelector(`[data-panel="${name}"] .gb-selected`)', arg=name, timeout=10_000)
    assert page.locator('#swarm-selection').is_visible() and member in page.locator('#swarm-selection').text_content()
    assert page.locator('#swarm-selection button.primary').is_disabled()
    assert 'carries no weights' in page.locator('#swarm-selection').text_content()
    shoot(page, artifacts_dir, 'recorded')

    # a malformed stream: the error names the line; what was shown stays
    lines = stream.splitlines()
    lines[4] = '{"type": "member", "member": '
    bad = '\n'.join(lines)
    error = page.evaluate('(text) => window.glassbox.swarm.load(text).then(() => null, (e) => e.message)', bad)
    assert error and 'line 5' in error, error
    after = page.evaluate('window.glassbox.swarm.state()')
    assert after['round'] == 12 and len(after['members']) == len(state['members'])
    assert 'line 5' in page.locator('#swarm-error').text_content()
    # a stream of the wrong kind of records is named too
    error = page.evaluate("""() => window.glassbox.swarm.load('{"type": "swarm", "v": 1}\\n{"type": "weights"}')
        .then(() => null, (e) => e.message)""")
    assert 'line 2' in error and 'weights' in error, error
    # through the file picker
    page.set_input_files('#swarm-file', files=[{'name': 'swarm.jsonl', 'mimeType': 'application/json', 'buffer': stream.encode()}])
    page.wait_for_function("window.glassbox.swarm.state().error === null && window.glassbox.swarm.state().status === 'playing-file'")
    page.evaluate('window.glassbox.swarm.highlight(null)')
    assert not page.errors, page.errors


def test_frame_rate_while_sixteen_members_train(app, artifacts_dir):
    page = app
    page.evaluate('window.glassbox.swarm.start({size: 16, rounds: 200, stepsPerRound: 800, seed: 2})')
    wait_swarm(page, ['running'])
    page.wait_for_function('window.glassbox.swarm.state().rounds.length >= 1', timeout=SWARM_MS)
    page.locator('#swarm').scroll_into_view_if_needed()
    fps = page.evaluate("""() => new Promise((done) => {
        let n = 0; const t0 = performance.now();
        const tick = (t) => { n++; if (t - t0 < 5000) requestAnimationFrame(tick); else done(1000 * n / (t - t0)); };
        requestAnimationFrame(tick);
    })""")
    page.wait_for_function('window.glassbox.swarm.state().rounds.length >= 2', timeout=SWARM_MS)
    state = page.evaluate('window.glassbox.swarm.state()')
    stats = state['stats']
    print('\n16 members: %.1f frames/s over 5 s while training; %.2f s per round of 800 steps, %s steps/s, %d workers'
          % (fps, stats['roundMs'] / 1000, round(stats['stepsPerSecond']), len(state['workers'])))
    shoot(page, artifacts_dir, 'sixteen')
    (artifacts_dir / 'swarm-page-timings.json').write_text(json.dumps(
        {'fps_16_members': fps, 'round_ms_16_members': stats['roundMs'], 'steps_per_s_16_members': stats['stepsPerSecond'],
         'workers': len(state['workers'])}, indent=1))
    # resize while it trains: applied between two rounds, the next round's records show it
    answer = page.evaluate('window.glassbox.swarm.configure({size: 12, goals: {accuracy: 1, speed: 0.5}})')
    assert answer['size'] == 12 and answer['goals']['speed'] == 0.5, answer
    done = page.evaluate('window.glassbox.swarm.state().rounds.length')  # every round from here on is resized
    page.wait_for_function('(n) => window.glassbox.swarm.state().rounds.length >= n + 1', arg=done, timeout=SWARM_MS)
    resized = page.evaluate('window.glassbox.swarm.state()')
    assert len(resized['rounds'][-1]['allocation']) == 12, resized['rounds'][-1]
    assert sum(len(w['members']) for w in resized['workers']) == 12
    stop_swarm(page)
    assert page.evaluate('window.glassbox.swarm.state().status') == 'stopped'
    assert page.evaluate('window.glassbox.swarm.state().end.reason') == 'stopped'
    assert not page.errors, page.errors


EXECUTOR_IN_NODE = """
import {createExecutor} from '%s';
import {createPool} from '%s';
let round = 0, crashed = false;
const calls = [], log = [];
function fakeClient(hooks) {
  const members = {};
  return {
    start: async () => ({}), restart: async () => ({}),
    async request(op, args) {
      calls.push(op + (args.member ? ' ' + args.member : ''));
      if (op === 'swarm_start') return {records: [{type: 'swarm'}], host: {data_seed: 7},
        actions: [0, 1, 2, 3].map((i) => ({kind: 'create', member: 'm' + i, config: {hidden: [i + 1]}}))};
      if (op === 'swarm_host') return {members: 0};
      if (op === 'swarm_plan') return {round: ++round, allocation: {m0: 5, m1: 5, m2: 5, m3: 5}};
      if (op === 'member_create' || op === 'member_load') { members[args.member] = 0; return {member: args.member}; }
      if (op === 'member_state') return {member: args.member, state: 'S' + members[args.member]};
      if (op === 'member_train') {
        if (round === 2 && !crashed && args.member === 'm3') {  // this worker dies mid-round
          crashed = true;
          const error = Object.assign(new Error('out of memory'), {kind: 'Fatal'});
          hooks.onFatal(error);
          for (const k in members) delete members[k];
          throw error;
        }
        if (!(args.member in members)) throw new Error('no member ' + args.member);
        members[args.member] += args.steps;
        return {step: members[args.member]};
      }
      if (op === 'swarm_report') return {records: [{type: 'round', round, results: args.results}], done: round >= 3,
        actions: round === 1 ? [{kind: 'copy', member: 'm1', from: 'm0', config: {hidden: [9]}}] : []};
      if (op === 'swarm_stop') return {records: [{type: 'end', reason: args.reason}]};
      throw new Error('unexpected op ' + op);
    },
  };
}
const pool = createPool({size: 2, makeClient: fakeClient});
const records = [];
const executor = createExecutor({pool, onRecords: (r) => records.push(...r), onLog: (line) => log.push(line)});
await executor.start({size: 4});
await executor.finished;
console.log(JSON.stringify({status: executor.status, types: records.map((r) => r.type), last: records.at(-2).results,
  calls, log, workers: pool.describe()}));
"""


def test_executor_carries_out_actions_in_order_and_brings_back_a_crashed_workers_members():
    """The executor in node with stand-in workers: swarm_host on every worker, creates spread over
    the least-loaded workers, a copy fetches the source's state first, the last round's training
    survives a worker crash (its members come back from a saved state or from their config, and
    the log says which), and the swarm ends with swarm_stop('done')."""
    if shutil.which('node') is None:
        pytest.skip('node is not installed')
    js = Path(__file__).resolve().parents[1] / 'site' / 'js' / 'app' / 'swarm'
    script = EXECUTOR_IN_NODE % ((js / 'executor.js').as_uri(), (js / 'pool.js').as_uri())
    out = subprocess.run(['node', '--input-type=module', '-e', script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result['status'] == 'done' and result['types'] == ['swarm', 'round', 'round', 'round', 'end']
    calls = result['calls']
    assert calls[:3] == ['swarm_start', 'swarm_host', 'swarm_host']
    assert calls.index('member_state m0') + 1 == calls.index('member_load m1')   # copy: the state, then the load
    placed = {w['name']: sorted(w['members']) for w in result['workers']}
    assert placed == {'swarm worker 1': ['m0', 'm2'], 'swarm worker 2': ['m1', 'm3']}
    assert any('swarm worker 2 crashed (out of memory)' in line for line in result['log'])
    assert any(line.startswith('m3 recreated') and 'from its config' in line for line in result['log'])
    assert all(answer['step'] > 0 for answer in result['last'].values()) and set(result['last']) == {'m0', 'm1', 'm2', 'm3'}


def test_a_live_stream_is_followed_as_it_grows_until_its_end(app, tmp_path):
    """`python -m glassbox.swarm serve` on another port (cross-origin to the isolated page): the
    page connects, shows each round as it is written, and ends quietly with the 'end' record."""
    import threading
    from glassbox.swarm import Population, dumps, run_swarm
    from glassbox.swarm.serve import make_server
    lines = [dumps(r) for r in run_swarm(Population(size=3, rounds=3, steps_per_round=30, seed=4))]
    first_round = next(i for i, line in enumerate(lines) if '"type":"round"' in line) + 1
    path = tmp_path / 'live.jsonl'
    path.write_text('\n'.join(lines[:first_round]) + '\n')
    server = make_server(str(path), '127.0.0.1', 0, poll_s=0.05)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page = app
        url = server.url + 'events'
        page.evaluate('(url) => window.glassbox.swarm.connect(url)', url)
        page.wait_for_function("window.glassbox.swarm.state().status === 'live' && window.glassbox.swarm.state().round === 1",
                               timeout=30_000)
        with open(str(path), 'a') as handle:
            handle.write('\n'.join(lines[first_round:]) + '\n')
        page.wait_for_function("window.glassbox.swarm.state().round === 3 && window.glassbox.swarm.state().status === 'done'",
                               timeout=30_000)
        state = page.evaluate('window.glassbox.swarm.state()')
        assert state['error'] is None and len(state['members']) == 3
    finally:
        server.stop()
    assert not page.errors, page.errors


def test_a_search_space_edited_in_the_form_is_the_one_the_swarm_draws_from(app, artifacts_dir):
    page = app
    page.locator('#swarm').scroll_into_view_if_needed()
    page.locator('.swarm-space-editor summary').click()
    page.select_option('#swarm-space', 'learning-rates')
    assert page.input_value('#swarm-space-widths') == '32'  # the preset fills the fields
    page.fill('#swarm-space-widths', '8, 16, oops')
    page.fill('#swarm-size', '2')
    page.fill('#swarm-rounds', '1')
    page.fill('#swarm-steps', '20')
    page.click('#swarm-controls button[type=submit]')
    page.wait_for_function("document.querySelector('#swarm-error').textContent.includes('Layer widths')")
    assert '"oops" is not a whole number' in page.locator('#swarm-error').text_content()
    page.fill('#swarm-space-widths', '8, 16')
    page.fill('#swarm-space-lr-from', '0.05')
    page.fill('#swarm-space-lr-to', '0.5')
    page.check('#swarm-space-activation-tanh')
    page.locator('#swarm-controls').screenshot(path=str(artifacts_dir / 'swarm-page-space-editor.png'))
    page.click('#swarm-controls button[type=submit]')
    state = wait_swarm(page, ['done'])
    space = state['header']['space']
    assert space['widths'] == [8, 16] and space['lr'] == [0.05, 0.5] and 'tanh' in space['activation']
    for member in state['members']:
        assert 0.05 <= member['config']['lr'] <= 0.5 and set(member['config']['hidden']) <= {8, 16}
    assert not page.errors, page.errors


def test_bad_swarm_api_arguments_are_refused_with_a_message_naming_them(app):
    page = app
    refused = page.evaluate("""async () => {
        const why = (call) => call().then(() => null, (e) => e.message);
        const gb = window.glassbox;
        return {
            size: await why(() => gb.swarm.start({size: 1})),
            sizeText: await why(() => gb.swarm.start({size: 'many'})),
            space: await why(() => gb.swarm.start({space: 'nope'})),
            rounds: await why(() => gb.swarm.start({size: 2, rounds: -1})),
            goals: await why(() => gb.swarm.start({size: 2, goals: {beauty: 1}})),
            resize: await why(() => gb.swarm.configure({size: 0})),
            select: await why(() => gb.swarm.select('ghost')),
            empty: await why(() => gb.swarm.load('')),
        };
    }""")
    assert 'size must be a whole number from 2 to 64' in refused['size']
    assert 'size must be a whole number' in refused['sizeText']
    assert 'unknown search space "nope"' in refused['space']
    assert 'rounds' in refused['rounds']
    assert 'unknown goal(s) beauty' in refused['goals']
    assert 'size must be a whole number from 2 to 64' in refused['resize']
    assert 'swarm member "ghost" is not alive' in refused['select']
    assert 'empty' in refused['empty']
    page.wait_for_function("!['starting', 'running'].includes(window.glassbox.swarm.state().status)", timeout=60_000)
