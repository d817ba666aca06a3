"""site/js/state/url-state.js run in node: the schema table (built from dist/tables.json) parses,
rejects and serialises settings."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from conftest import DIST, ROOT

pytestmark = pytest.mark.skipif(shutil.which('node') is None, reason='node is not installed')


@pytest.fixture(scope='module', autouse=True)
def _tables(dist_dir):
    """makeSchema needs the engine's tables: dist/tables.json (built when missing)."""
    assert (dist_dir / 'tables.json').exists()


def run_js(body: str):
    script = ("import {makeSchema} from '%s';\nimport fs from 'node:fs';\n"
              "const u = makeSchema(JSON.parse(fs.readFileSync(%s, 'utf8')));\n"
              "const out = (() => { %s })();\nconsole.log(JSON.stringify(out));") % (
        (ROOT / 'site' / 'js' / 'state' / 'url-state.js').as_uri(), json.dumps(str(DIST / 'tables.json')), body)
    result = subprocess.run(['node', '--input-type=module', '-e', script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_empty_hash_gives_the_defaults_without_notes():
    out = run_js("return u.parseHash('');")
    assert out['notes'] == []
    assert out['state']['dataset'] == 'digits' and out['state']['hidden'] == [32] and out['state']['lr'] == 0.1


def test_valid_values_are_read():
    out = run_js("return u.parseHash('#dataset=mnist&hidden=128,64&lr=0.05&probe=3&autoplay=false');")
    assert out['notes'] == []
    state = out['state']
    assert (state['dataset'], state['hidden'], state['lr'], state['probe'], state['autoplay']) == \
        ('mnist', [128, 64], 0.05, 3, False)


@pytest.mark.parametrize('hash_, key', [
    ('#lr=banana', 'lr'), ('#lr=-1', 'lr'), ('#lr=1e400', 'lr'), ('#lr=NaN', 'lr'), ('#lr=Infinity', 'lr'),
    ('#hidden=0', 'hidden'), ('#hidden=1,2,3,4,5,6,7,8,9', 'hidden'), ('#hidden=12.5', 'hidden'),
    ('#hidden=%3Cscript%3E', 'hidden'), ('#dataset=__proto__', 'dataset'), ('#seed=-5', 'seed'),
    ('#batch_size=3.5', 'batch_size'), ('#probe=64', 'probe'), ('#autoplay=maybe', 'autoplay'),
    ('#constructor=1', 'constructor'), ('#%E0%A4%A=1', None),
])
def test_invalid_values_fall_back_to_defaults_with_a_note(hash_, key):
    out = run_js("return [u.parseHash(%s), u.defaults()];" % json.dumps(hash_))
    parsed, defaults = out
    assert parsed['state'] == defaults
    if key is not None:
        assert len(parsed['notes']) == 1 and key in parsed['notes'][0]


def test_an_overlong_hash_is_ignored_as_a_whole():
    out = run_js("return u.parseHash('#lr=0.5&' + 'x'.repeat(5000));")
    assert out['state']['lr'] == 0.1 and 'too long' in out['notes'][0]


def test_long_hostile_values_are_shortened_in_notes():
    out = run_js("return u.parseHash('#lr=' + 'A'.repeat(500));")
    assert len(out['notes'][0]) < 200


def test_serialising_writes_only_non_defaults_and_parses_back():
    out = run_js("""
      const state = {...u.defaults(), dataset: 'spiral', hidden: [8, 8], lr: 0.03, probe: 5};
      const hash = u.toHash(state);
      return {hash, back: u.parseHash(hash).state, engine: u.engineConfig(state), empty: u.toHash(u.defaults())};
    """)
    assert out['hash'] == '#dataset=spiral&hidden=8,8&lr=0.03&probe=5'
    assert out['back']['hidden'] == [8, 8] and out['back']['probe'] == 5
    assert out['empty'] == ''
    assert set(out['engine']) == {'dataset', 'hidden', 'activation', 'init', 'optimizer', 'lr', 'batch_size', 'seed', 'l2',
                                  'bias_init'}


def test_engine_settings_match_the_python_session_defaults():
    from glassbox.train.config import DEFAULT_CONFIG, CHOICES
    out = run_js("return {config: u.engineConfig(u.defaults()), schema: u.SCHEMA};")
    assert out['config'] == DEFAULT_CONFIG
    rows = {row['key']: row for row in out['schema']}
    for key, options in CHOICES.items():
        assert rows[key]['options'] == list(options)
