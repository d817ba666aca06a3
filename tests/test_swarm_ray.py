"""The Ray executor on a local 2-CPU cluster (127.0.0.1, no dashboard): a 4-member swarm runs to
the end; one member's actor is killed after round 1 and comes back from its checkpoint; the
measurements travel through the queue. The same swarm run in-process is the reference: a
restart must change no member's steps or metrics. The Ray run's stream is written to
test-artifacts/swarm-ray-stream.jsonl (the page's browser test loads it); its wall time to
test-artifacts/swarm-ray-timing.json (reported, never asserted)."""
from __future__ import annotations

import json
import time

import pytest

from conftest import ROOT

ray = pytest.importorskip('ray', reason='ray is not installed (python build.py test installs it)')

from glassbox.swarm import LocalExecutor, Population, host_for, read_lines, run_swarm, write_lines  # noqa: E402

SWARM = dict(size=4, rounds=4, steps_per_round=200, seed=3)
KILLED = 'm1'
ARTIFACT = ROOT / 'test-artifacts' / 'swarm-ray-stream.jsonl'


def wait_until_dead(actor, limit_s=20.0):
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            ray.get(actor.pid.remote(), timeout=5)
        except ray.exceptions.RayActorError:
            return
        time.sleep(0.05)
    raise AssertionError('the killed actor still answers after %.0f s' % limit_s)


@pytest.fixture(scope='module')
def ray_run():
    from glassbox.swarm.ray_executor import RayExecutor, init_ray
    t0 = time.monotonic()
    resources = init_ray(num_cpus=2)
    try:
        population = Population(executor='ray', **SWARM)
        executor = RayExecutor(population)
        killed = {}

        def emit(record):
            # After round 1 the member's checkpoint holds its round-1 state: kill its actor then.
            if record['type'] == 'round' and record['round'] == 1:
                killed['pid'] = ray.get(executor.actors[KILLED].pid.remote())
                ray.kill(executor.actors[KILLED])
                wait_until_dead(executor.actors[KILLED])
        t_run = time.monotonic()
        records = run_swarm(population, executor, emit)
        run_s = time.monotonic() - t_run
        killed['new_pid'] = ray.get(executor.actors[KILLED].pid.remote())
        stats = {'restarts': executor.restarts, 'restart_log': list(executor.restart_log),
                 'messages': executor.messages, 'stale': executor.stale_messages, 'parallel': executor.parallel}
        executor.close()
    finally:
        ray.shutdown()
    total_s = time.monotonic() - t0
    ARTIFACT.parent.mkdir(exist_ok=True)
    with open(str(ARTIFACT), 'w', encoding='utf-8') as handle:
        write_lines(records, handle)
    (ROOT / 'test-artifacts' / 'swarm-ray-timing.json').write_text(json.dumps(
        {'swarm': SWARM, 'cluster_cpus': resources.get('CPU'), 'run_s': round(run_s, 2),
         'with_cluster_start_s': round(total_s, 2)}, indent=1))
    return {'records': records, 'stats': stats, 'killed': killed}


@pytest.fixture(scope='module')
def local_run():
    population = Population(executor='local', **SWARM)
    return run_swarm(population, LocalExecutor(host_for(population)))


def member_records(records):
    return {(r['round'], r['member']): r for r in records if r['type'] == 'member'}


def test_a_ray_swarm_runs_to_the_end_and_writes_the_whole_stream(ray_run):
    records = list(read_lines(ARTIFACT.read_text(encoding='utf-8')))
    assert len(records) == len(ray_run['records'])
    assert records[0]['type'] == 'swarm' and records[0]['executor'] == 'ray' and records[0]['size'] == 4
    rounds = [r for r in records if r['type'] == 'round']
    assert [r['round'] for r in rounds] == [1, 2, 3, 4]
    for r in rounds:
        members = [m for m in records if m['type'] == 'member' and m['round'] == r['round']]
        assert sorted(m['member'] for m in members) == sorted(r['allocation'])
        assert len(members) == 4 and sum(m['allocated'] for m in members) == 200
    assert records[-1]['type'] == 'end' and records[-1]['reason'] == 'done', records[-1]
    assert records[-1]['round'] == 4


def test_a_killed_actor_is_restarted_and_its_member_continues_from_the_checkpoint(ray_run):
    stats, killed = ray_run['stats'], ray_run['killed']
    assert killed['new_pid'] != killed['pid']
    assert stats['restarts'] == 1
    assert stats['restart_log'] == [{'member': KILLED, 'round': 2, 'during': 'train', 'error': 'ActorDiedError'}]
    by = member_records(ray_run['records'])
    before, after = by[(1, KILLED)], by[(2, KILLED)]
    # Steps continue from the round-1 checkpoint: a fresh member would be at `allocated`.
    assert before['step'] > 0 and after['step'] == before['step'] + after['allocated']
    assert 'restarted' in after['flags']
    round2 = [r for r in ray_run['records'] if r['type'] == 'round' and r['round'] == 2][0]
    assert {'kind': 'flagged', 'member': KILLED, 'round': 2, 'detail': 'restarted'} in round2['events']
    others = [r for (n, m), r in by.items() if m != KILLED]
    assert not [r for r in others if 'restarted' in r['flags']]


def test_a_restart_changes_no_members_steps_or_metrics(ray_run, local_run):
    """The in-process run of the same swarm is the reference: restored from an exact checkpoint,
    the killed member trains the same steps on the same batches; the others never notice."""
    ray_members, local_members = member_records(ray_run['records']), member_records(local_run)
    assert sorted(ray_members) == sorted(local_members)
    for key, expected in local_members.items():
        got = ray_members[key]
        assert (got['step'], got['allocated']) == (expected['step'], expected['allocated']), key
        assert got['metrics'] == pytest.approx(expected['metrics'], rel=1e-9, abs=1e-12), key
        assert got['hyperparameters'] == expected['hyperparameters'], key


def test_the_queue_carries_every_measurement(ray_run):
    n_member_records = sum(1 for r in ray_run['records'] if r['type'] == 'member')
    assert n_member_records == 16
    assert ray_run['stats']['messages'] == n_member_records
    # The killed actor died between rounds, after its round-1 message was read: nothing stale.
    assert ray_run['stats']['stale'] == 0


@pytest.mark.app_settings(page='swarm')
def test_the_ray_stream_plays_in_the_page(ray_run, app):
    """The stream file Ray wrote opens in the page's Swarm mode, drawn by the same views."""
    page = app
    text = ARTIFACT.read_text(encoding='utf-8')
    state = page.evaluate('(text) => window.glassbox.swarm.load(text)', text)
    assert state['status'] == 'playing-file' and state['round'] == 4 and state['error'] is None
    assert sorted(m['id'] for m in state['members']) == sorted(
        {r['member'] for r in ray_run['records'] if r['type'] == 'member' and r['round'] == 4})
    assert state['header']['executor'] == 'ray'
    page.wait_for_function("document.querySelectorAll('[data-panel=\"swarm-graph\"] .gb-swarm-node').length >= 4")
    page.locator('#swarm').screenshot(path=str(ROOT / 'test-artifacts' / 'swarm-ray-stream-in-page.png'))
    assert not page.errors, page.errors
