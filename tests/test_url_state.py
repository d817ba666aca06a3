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


# ---- Hostile and careless links (issue 13): each falls back to the default with a note naming
# the key, and the address the page then writes (toHash of what runs) no longer holds the value.

def parsed_with_address(hash_):
    return run_js("const p = u.parseHash(%s); return {...p, address: u.toHash(p.state), defaults: u.defaults()};"
                  % json.dumps(hash_))


@pytest.mark.parametrize('hash_, key', [
    ('#lr=NaN', 'lr'), ('#lr=Infinity', 'lr'), ('#lr=-Infinity', 'lr'), ('#lr=1e309', 'lr'), ('#l2=-1e309', 'l2'),
    ('#batch_size=NaN', 'batch_size'), ('#batch_size=1e309', 'batch_size'),
])
def test_nan_and_infinite_numbers_in_the_link_are_refused_and_dropped_from_the_address(hash_, key):
    out = parsed_with_address(hash_)
    assert out['state'] == out['defaults'] and out['address'] == ''
    assert len(out['notes']) == 1 and out['notes'][0].startswith('Ignored %s=' % key)


@pytest.mark.parametrize('hash_, key', [
    ('#hidden=0', 'hidden'), ('#hidden=-5', 'hidden'), ('#hidden=32,0', 'hidden'), ('#batch_size=0', 'batch_size'),
    ('#batch_size=-32', 'batch_size'), ('#hidden=100000', 'hidden'), ('#probe=-1', 'probe'), ('#speed=0', 'speed'),
])
def test_negative_zero_and_huge_sizes_in_the_link_are_refused(hash_, key):
    out = parsed_with_address(hash_)
    assert out['state'] == out['defaults'] and out['address'] == ''
    assert key in out['notes'][0]


def test_two_hundred_layers_in_the_link_are_refused_naming_the_count():
    out = parsed_with_address('#hidden=' + ','.join(['8'] * 200))
    assert out['state']['hidden'] == [32] and out['address'] == ''
    assert '200 entries' in out['notes'][0] and 'up to 8' in out['notes'][0]


@pytest.mark.parametrize('key', ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'colour'])
def test_unknown_and_prototype_keys_are_named_as_unknown_settings(key):
    out = parsed_with_address('#%s=1&lr=0.2' % key)
    assert out['state']['lr'] == 0.2 and out['address'] == '#lr=0.2'
    assert out['notes'] == ['Ignored %s=1: unknown setting "%s"; using the default.' % (key, key)]
    assert 'unknown type' not in out['notes'][0]


def test_html_in_a_value_comes_back_verbatim_as_text_in_the_note():
    out = parsed_with_address('#dataset=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E')
    assert out['state']['dataset'] == 'digits' and out['address'] == ''
    # The note holds the characters themselves (the page shows notes with textContent, never as HTML).
    assert '<img src=x onerror=alert(1)>' in out['notes'][0]


def test_a_100_kB_hash_is_ignored_as_a_whole_with_a_note():
    out = run_js("const p = u.parseHash('#lr=0.5&hidden=' + '8,'.repeat(50000)); return {...p, address: u.toHash(p.state)};")
    assert out['state']['lr'] == 0.1 and out['address'] == ''
    assert out['notes'] == ["The link's settings were too long (100014 characters) and were ignored."]


def test_a_key_given_twice_takes_the_last_value_with_a_note():
    out = parsed_with_address('#lr=0.2&hidden=8&lr=0.3&lr=0.4')
    assert out['state']['lr'] == 0.4 and out['state']['hidden'] == [8] and out['address'] == '#hidden=8&lr=0.4'
    assert out['notes'] == ['lr was given more than once; the last value (0.4) is used.']
    # The last one wins even when it is the bad one: it falls back to the default, named.
    out = parsed_with_address('#lr=0.2&lr=fast')
    assert out['state']['lr'] == 0.1 and out['address'] == '' and len(out['notes']) == 2


def test_empty_values_fall_back_except_an_empty_layer_list_which_means_no_hidden_layer():
    out = parsed_with_address('#lr=&batch_size=&dataset=&autoplay=')
    assert out['state'] == out['defaults'] and out['address'] == ''
    assert [note.split('=')[0] for note in out['notes']] == ['Ignored lr', 'Ignored batch_size', 'Ignored dataset',
                                                             'Ignored autoplay']
    out = parsed_with_address('#hidden=')
    assert out['state']['hidden'] == [] and out['notes'] == []


@pytest.mark.parametrize('value, problem', [
    ('[64,,32]', 'entry 2 is empty'), ('[64, true]', 'entry 2 is not a number'), ("['64']", 'entry 1 is not a number'),
    ('[NaN]', 'entry 1 is out of range'), ('[Infinity]', 'entry 1 is out of range'), ('[1e309]', 'entry 1 is out of range'),
    ('[64.5]', 'entry 1 is out of range'), ('Array(9).fill(8)', '9 entries'), ('{0: 8, length: 1}', 'it is not a list'),
])
def test_api_layer_lists_are_checked_entry_by_entry_as_the_engine_does(value, problem):
    out = run_js("return u.coerce('hidden', %s);" % value)
    assert 'value' not in out and problem in out['error'], out


def test_api_numbers_refuse_bools_null_and_objects():
    out = run_js("return [true, null, {}, [0.1], '0x10'].map((v) => u.coerce('lr', v));")
    assert all('error' in o and o['error'].startswith('Learning rate must be a number') for o in out), out


def test_the_page_mode_is_read_written_and_a_bad_one_falls_back_to_train_with_a_note():
    out = run_js("return [u.parseHash('#page=health'), u.toHash({...u.defaults(), page: 'swarm'}), u.parseHash('#page=lessons'),"
                 " u.toHash(u.defaults())];")
    good, written, bad, default = out
    assert good['notes'] == [] and good['state']['page'] == 'health'
    assert written == '#page=swarm' and default == ''
    assert bad['state']['page'] == 'train'
    assert bad['notes'] == ['Ignored page=lessons: Page mode must be one of train, inputs, health, modules, swarm, '
                            'got "lessons"; using the default.']


def test_preset_changes_name_each_engine_setting_the_preset_switched():
    script = ("import {presetChanges} from '%s';\n"
              "console.log(JSON.stringify(presetChanges({dataset: 'circle', hidden: [32], lr: 0.1, page: 'health'},"
              " {dataset: 'digits', hidden: [32, 32], lr: 0.1, page: 'train'}, ['dataset', 'hidden', 'lr'])));") % (
        (ROOT / 'site' / 'js' / 'state' / 'presets.js').as_uri())
    result = subprocess.run(['node', '--input-type=module', '-e', script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [{'key': 'dataset', 'from': 'circle', 'to': 'digits'},
                                         {'key': 'hidden', 'from': [32], 'to': [32, 32]}]
