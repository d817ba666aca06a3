"""glassbox.swarm.stream: JSON lines in and out; a bad line is named."""
from __future__ import annotations

import io
import json

import pytest

from glassbox.swarm.stream import dumps, events_of, read_lines, write_lines


def test_records_round_trip_and_non_finite_numbers_become_null():
    records = [{'type': 'end', 'v': 1, 'round': 3, 'time': 1.5, 'reason': 'done', 'detail': float('nan')},
               {'type': 'round', 'v': 1, 'round': 3, 'events': [{'kind': 'bred', 'member': 'm9'}],
                'diversity': float('inf')}]
    handle = io.StringIO()
    written = write_lines(records, handle)
    text = handle.getvalue()
    assert written == len(text.encode('utf-8')) and text.count('\n') == 2
    back = list(read_lines(text))
    assert back[0]['detail'] is None and back[1]['diversity'] is None
    assert events_of(back) == [{'kind': 'bred', 'member': 'm9'}]
    assert json.loads(dumps(records[0]))['reason'] == 'done'


@pytest.mark.parametrize('text, message', [
    ('{"type": "end"}\nnot json\n', 'line 2 is not JSON'),
    ('[1, 2]\n', 'line 1 is not a swarm record'),
    ('{"type": "weights"}\n', 'line 1 is not a swarm record'),
])
def test_a_line_that_is_not_a_record_is_named(text, message):
    with pytest.raises(ValueError, match=message):
        list(read_lines(text))
