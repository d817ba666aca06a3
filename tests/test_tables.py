"""glassbox.protocol.tables: every table the page reads comes from the engine table it names."""
from __future__ import annotations

import json

from glassbox.analyses import modules
from glassbox.monitor.presets import PRESETS
from glassbox.protocol import OPS, shared_tables
from glassbox.swarm import GOALS, OPTIONS, SIMILARITIES, SPACES
from glassbox.train.config import CONFIG_FIELDS


def test_each_shared_table_is_the_engine_table_it_names():
    tables = json.loads(json.dumps(shared_tables()))  # what the page gets: JSON
    assert [row['key'] for row in tables['config_fields']] == [row['key'] for row in CONFIG_FIELDS]
    # Two sub-packages both name a SIMILARITIES table: each feature must get its own.
    assert tables['modules']['similarities'] == list(modules.SIMILARITIES)
    assert tables['modules']['methods'] == list(modules.METHODS)
    assert tables['swarm']['similarities'] == list(SIMILARITIES)
    assert tables['swarm']['spaces'] == json.loads(json.dumps(SPACES))
    assert tables['swarm']['goals'] == GOALS and set(tables['swarm']['options']) == set(OPTIONS)
    assert set(tables['presets']) == set(PRESETS) and set(tables['ops']) == set(OPS)


def test_the_limits_table_gives_the_browser_engines_memory_and_index_limits():
    from glassbox.nn.backend import EINSUM_MAX_ELEMENTS
    from glassbox.protocol.runs import MAX_RUNS
    from glassbox.train import limits
    table = json.loads(json.dumps(shared_tables()))['limits']
    # Pyodide 0.17.1's wasm memory maximum is 2**31 bytes; numpy's iterator index is a 32-bit int.
    assert table['heap_bytes'] == 2 ** 31 == limits.HEAP_BYTES
    assert table['usable_bytes'] == 2 ** 31 - limits.RESERVED_BYTES == table['heap_bytes'] - table['reserved_bytes']
    assert table['einsum_elements'] == 2 ** 31 - 1 == EINSUM_MAX_ELEMENTS
    assert table['kept_state_bytes'] == limits.KEPT_STATE_BYTES and table['max_runs'] == MAX_RUNS
