"""The swarm's command line: ``run`` writes a valid stream; ``serve`` sends a file's records as
Server-Sent Events (same records, CORS headers), follows a file that is still growing, and
resumes after Last-Event-ID. Small swarms on the generated 2-D set (no data files needed)."""
from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time

import pytest

from conftest import ROOT

from glassbox.swarm import read_lines  # noqa: E402
from glassbox.swarm.serve import make_server  # noqa: E402

RUN = ['run', '--size', '3', '--rounds', '3', '--steps-per-round', '60', '--space', 'two-d', '--seed', '5']


@pytest.fixture(scope='module')
def cli_stream(tmp_path_factory):
    """(stream path, standard output) of ``python -m glassbox.swarm run --executor local``."""
    out = tmp_path_factory.mktemp('swarm') / 'stream.jsonl'
    env = dict(os.environ, PYTHONPATH=str(ROOT / 'py'))
    done = subprocess.run([sys.executable, '-m', 'glassbox.swarm'] + RUN + ['--executor', 'local', '--out', str(out)],
                          cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return out, done.stdout


@pytest.fixture()
def server(tmp_path):
    """Callable ``(path) -> port`` of a StreamServer on 127.0.0.1; stopped after the test."""
    servers = []

    def start(path):
        s = make_server(str(path), '127.0.0.1', 0, poll_s=0.05)
        threading.Thread(target=s.serve_forever, daemon=True).start()
        servers.append(s)
        return s.server_address[1]
    yield start
    for s in servers:
        s.stop()


def sse_get(port, path='/events', headers=None, limit_s=20.0):
    """(response, events): every SSE event up to the server closing the stream, each as
    {'id', 'data', 'event'}; the socket times out so a stalled stream fails instead of hanging."""
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=limit_s)
    conn.request('GET', path, headers=headers or {})
    response = conn.getresponse()
    events, current = [], {}
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        line = response.readline()
        if not line:
            break
        line = line.decode('utf-8').rstrip('\n')
        if not line:
            if current:
                events.append(current)
            current = {}
        elif not line.startswith(':'):
            key, _, value = line.partition(': ')
            current[key] = value
    conn.close()
    return response, events


def test_run_writes_a_valid_stream_and_a_progress_line_per_round(cli_stream):
    path, stdout = cli_stream
    records = list(read_lines(path.read_text(encoding='utf-8')))
    assert records[0]['type'] == 'swarm' and records[0]['executor'] == 'local' and records[0]['dataset'] == 'circle'
    assert [r['round'] for r in records if r['type'] == 'round'] == [1, 2, 3]
    assert sum(1 for r in records if r['type'] == 'member') == 9
    assert records[-1]['type'] == 'end' and records[-1]['reason'] == 'done'
    lines = stdout.splitlines()
    assert [l.split()[1] for l in lines if l.startswith('round ')] == ['1/3', '2/3', '3/3']
    assert lines[-1].startswith('end: done')


def test_run_rejects_a_bad_goal_with_a_message(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT / 'py'))
    done = subprocess.run([sys.executable, '-m', 'glassbox.swarm'] + RUN + ['--goals', 'beauty=1', '--out', str(tmp_path / 's')],
                          cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and 'beauty' in done.stderr and not (tmp_path / 's').exists()


def test_serve_sends_the_files_records_as_server_sent_events(cli_stream, server):
    path, _ = cli_stream
    port = server(path)
    response, events = sse_get(port)
    assert response.status == 200
    assert response.getheader('Content-Type').startswith('text/event-stream')
    assert response.getheader('Access-Control-Allow-Origin') == '*'
    assert response.getheader('Cross-Origin-Resource-Policy') == 'cross-origin'
    expected = list(read_lines(path.read_text(encoding='utf-8')))
    assert [json.loads(e['data']) for e in events] == expected
    assert [int(e['id']) for e in events] == list(range(1, len(expected) + 1))
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
    conn.request('GET', '/stream.jsonl')
    raw = conn.getresponse()
    assert raw.status == 200 and raw.getheader('Access-Control-Allow-Origin') == '*'
    assert raw.read() == path.read_bytes()
    conn.close()


def test_serve_resumes_after_last_event_id_and_says_204_once_the_end_was_sent(cli_stream, server):
    path, _ = cli_stream
    port = server(path)
    n = len(path.read_text(encoding='utf-8').splitlines())
    _, rest = sse_get(port, headers={'Last-Event-ID': str(n - 2)})
    assert [int(e['id']) for e in rest] == [n - 1, n]
    response, events = sse_get(port, headers={'Last-Event-ID': str(n)})
    assert response.status == 204 and events == []


def test_serve_follows_a_stream_file_that_is_still_growing(cli_stream, server, tmp_path):
    source = cli_stream[0].read_text(encoding='utf-8').splitlines(True)
    growing = tmp_path / 'growing.jsonl'
    growing.write_text(''.join(source[:3]), encoding='utf-8')
    port = server(growing)
    got = {}

    def client():
        got['response'], got['events'] = sse_get(port, limit_s=30)
    reader = threading.Thread(target=client)
    reader.start()
    time.sleep(0.5)  # the client has the first records and waits for more
    with open(str(growing), 'a', encoding='utf-8') as handle:
        for line in source[3:]:
            handle.write(line[:10])  # half a line must not be sent as a record
            handle.flush()
            time.sleep(0.02)
            handle.write(line[10:])
            handle.flush()
    reader.join(timeout=40)
    assert not reader.is_alive(), 'the event stream did not end after the end record'
    assert [json.loads(e['data']) for e in got['events']] == list(read_lines(''.join(source)))


def test_serve_waits_for_a_stream_file_that_does_not_exist_yet(cli_stream, server, tmp_path):
    later = tmp_path / 'later.jsonl'
    port = server(later)
    timer = threading.Timer(0.5, lambda: later.write_bytes(cli_stream[0].read_bytes()))
    timer.start()
    _, events = sse_get(port)
    timer.join()
    assert json.loads(events[0]['data'])['type'] == 'swarm' and json.loads(events[-1]['data'])['type'] == 'end'
