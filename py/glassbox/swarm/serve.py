"""Serve a swarm stream file (stream.py: JSON lines) to the page while it is being written.

``GET /events``        Server-Sent Events: every record of the file, one event each
                       (``id: <line number>``, ``data: <the line>``), following the file as it
                       grows (like ``tail -f``; a file that does not exist yet is waited for), and
                       ending after the 'end' record. A reconnecting EventSource sends
                       ``Last-Event-ID`` and resumes after that line; once the end was sent, the
                       answer is 204, which tells EventSource to stop reconnecting. A line that
                       is not a swarm record becomes an ``event: error`` naming it. While nothing
                       new arrives a comment line is sent every ``heartbeat_s`` seconds, so
                       proxies keep the connection open.
``GET /stream.jsonl``  the file as it is now (``application/x-ndjson``).

Every answer carries ``Access-Control-Allow-Origin: *`` and ``Cross-Origin-Resource-Policy:
cross-origin``: the page runs cross-origin isolated on another port and may only read
resources that say so. Binds 127.0.0.1 unless told otherwise. Standard library only.
A file rewritten in place (truncated) while served is not noticed.
"""
from __future__ import annotations

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator, Optional, Tuple

from .stream import read_lines

CORS = {'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin'}


def follow(path: str, stopping: "threading.Event", poll_s: float = 0.2,
           heartbeat_s: float = 15.0) -> "Iterator[Optional[Tuple[int, str]]]":
    """(line number from 1, line without its newline) for every complete line of ``path``, now
    and as it is appended; None after each ``heartbeat_s`` without a new line. Only complete
    lines are given: a writer's half-written last line waits for its newline. Ends when
    ``stopping`` is set (the caller stops after the 'end' record)."""
    number, buffer, handle, idle_since = 0, b'', None, time.monotonic()
    try:
        while not stopping.is_set():
            if handle is None and os.path.exists(path):
                handle = open(path, 'rb')
            chunk = handle.read(1 << 16) if handle is not None else b''
            if chunk:
                buffer += chunk
                *lines, buffer = buffer.split(b'\n')
                for line in lines:
                    number += 1
                    yield number, line.decode('utf-8', 'replace').rstrip('\r')
                idle_since = time.monotonic()
                continue
            if time.monotonic() - idle_since >= heartbeat_s:
                idle_since = time.monotonic()
                yield None
            stopping.wait(poll_s)
    finally:
        if handle is not None:
            handle.close()


def record_of(line: str) -> "Optional[dict]":
    """The line's record, or None for a blank line; ValueError if it is not a swarm record."""
    records = list(read_lines(line))
    return records[0] if records else None


class StreamHandler(BaseHTTPRequestHandler):
    server_version = 'GlassboxSwarm/1'

    def log_message(self, format, *args):  # noqa: A002 -- the base class's name
        if self.server.verbose:
            BaseHTTPRequestHandler.log_message(self, format, *args)

    def _head(self, code: int, content_type: "Optional[str]" = None, length: "Optional[int]" = None,
              extra: "Optional[dict]" = None) -> None:
        self.send_response(code)
        for key, value in dict(CORS, **(extra or {})).items():
            self.send_header(key, value)
        if content_type:
            self.send_header('Content-Type', content_type)
        if length is not None:
            self.send_header('Content-Length', str(length))
        self.end_headers()

    def do_OPTIONS(self):
        self._head(204, extra={'Access-Control-Allow-Methods': 'GET, OPTIONS',
                               'Access-Control-Allow-Headers': 'Last-Event-ID, Cache-Control'})

    def do_GET(self):
        route = self.path.split('?', 1)[0]
        if route == '/events':
            return self._events()
        if route == '/stream.jsonl':
            return self._file()
        body = ('Glassbox swarm stream of %s\n/events       Server-Sent Events, one record each\n'
                '/stream.jsonl the file as it is now\n' % self.server.stream_path).encode('utf-8')
        self._head(200 if route == '/' else 404, 'text/plain; charset=utf-8', len(body))
        self.wfile.write(body)

    def _file(self):
        try:
            with open(self.server.stream_path, 'rb') as handle:
                body = handle.read()
        except FileNotFoundError:
            body = b'no stream file yet\n'
            self._head(404, 'text/plain; charset=utf-8', len(body))
        else:
            self._head(200, 'application/x-ndjson; charset=utf-8', len(body), {'Cache-Control': 'no-cache'})
        self.wfile.write(body)

    def _events(self):
        try:
            resume = int(self.headers.get('Last-Event-ID') or 0)
        except ValueError:
            resume = 0
        started = False
        try:
            if resume == 0:  # a fresh client: answer at once, even before the file exists
                self._head(200, 'text/event-stream; charset=utf-8', extra={'Cache-Control': 'no-cache'})
                started = True
            for item in follow(self.server.stream_path, self.server.stopping, self.server.poll_s,
                               self.server.heartbeat_s):
                if not started and (item is None or item[0] > resume):
                    self._head(200, 'text/event-stream; charset=utf-8', extra={'Cache-Control': 'no-cache'})
                    started = True
                if item is None:
                    self.wfile.write(b': waiting for the next record\n\n')
                    self.wfile.flush()
                    continue
                number, line = item
                try:
                    record = record_of(line)
                except ValueError as exc:
                    record, line = None, None
                    if number > resume:
                        self.wfile.write(('event: error\ndata: %s\n\n' % json.dumps(str(exc))).encode('utf-8'))
                if number <= resume:
                    if record is not None and record['type'] == 'end':
                        # The client has seen the end already: 204 stops EventSource's reconnects.
                        self._head(204)
                        return
                    continue
                if line:
                    self.wfile.write(('id: %d\ndata: %s\n\n' % (number, line)).encode('utf-8'))
                    self.wfile.flush()
                if record is not None and record['type'] == 'end':
                    return
        except (BrokenPipeError, ConnectionResetError):
            return  # the page went away


class StreamServer(ThreadingHTTPServer):
    """``ThreadingHTTPServer`` for one stream file; ``stop()`` also ends open event streams."""
    daemon_threads = True

    def __init__(self, stream_path: str, address: "Tuple[str, int]", poll_s: float = 0.2,
                 heartbeat_s: float = 15.0, verbose: bool = False) -> None:
        self.stream_path = str(stream_path)
        self.stopping = threading.Event()
        self.poll_s = float(poll_s)
        self.heartbeat_s = float(heartbeat_s)
        self.verbose = verbose
        ThreadingHTTPServer.__init__(self, address, StreamHandler)

    @property
    def url(self) -> str:
        return 'http://%s:%d/' % self.server_address[:2]

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()


def make_server(stream_path: str, host: str = '127.0.0.1', port: int = 8765, **options) -> StreamServer:
    """A StreamServer bound to ``host:port`` (port 0: a free one); call ``serve_forever()``."""
    return StreamServer(stream_path, (host, int(port)), **options)
