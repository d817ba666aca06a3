"""glassbox.protocol.runfile and the 'save_run' / 'load_run' ops: a whole session as one zip and back;
a loaded run continues bit for bit; every bad file is refused by name and the session survives."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile

import numpy as np
import pytest

import glassbox
from glassbox.data import load_dataset
from glassbox.protocol import Session, handle, handle_request
from glassbox.protocol.runfile import MAX_MEMBER_BYTES, data_fingerprint, load_run, save_run
from glassbox.protocol.wire import unpack
from glassbox.train.config import build_trainer, validate_config


def weights(session, run='main'):
    return [a.copy() for layer in session.runs[run].model.layers for a in (layer.W, layer.b)]


def train_chunks(session, run, chunks):
    """Train like the page: chunks of steps, a snapshot (and health summary) after each."""
    return [handle_request(session, {'op': 'train', 'run': run, 'steps': n}) for n in chunks]


def build_session(optimizer, seed=3):
    session = Session()
    handle_request(session, {'op': 'configure', 'config': {'hidden': [16, 8], 'optimizer': optimizer,
                                                           'lr': 0.05 if optimizer == 'sgd' else 0.005,
                                                           'batch_size': 40, 'seed': seed}})
    train_chunks(session, 'main', [7, 30, 13])
    handle_request(session, {'op': 'fork', 'changes': {'lr': 0.01}, 'id': 'slow'})
    train_chunks(session, 'slow', [11, 9])
    train_chunks(session, 'main', [5])
    return session


def mid_run_file():
    return save_run(build_session('sgd'))


@pytest.mark.parametrize('optimizer', ['sgd', 'adam'])
def test_a_loaded_run_continues_bit_for_bit_with_its_forks(optimizer):
    uninterrupted = build_session(optimizer)
    saved = build_session(optimizer)
    blob = glassbox.save_run(saved)
    loaded = glassbox.load_run(blob)
    assert sorted(loaded.runs) == ['main', 'slow']
    assert loaded.trainer.step_count == 55 and loaded.runs['slow'].trainer.step_count == 70
    for run in ('main', 'slow'):
        expected = train_chunks(uninterrupted, run, [17, 40])
        got = train_chunks(loaded, run, [17, 40])
        for a, b in zip(weights(uninterrupted, run), weights(loaded, run)):
            np.testing.assert_array_equal(a, b)
        for e, g in zip(expected, got):
            assert e['step'] == g['step']
            assert e['snapshot']['train'] == g['snapshot']['train'] and e['snapshot']['val'] == g['snapshot']['val']
            assert e['summary']['layers'][0]['drift'] == g['summary']['layers'][0]['drift'] or \
                np.isnan(e['summary']['layers'][0]['drift'])
    # The next minibatches are the same ones too: one more raw step gives the same loss.
    assert uninterrupted.trainer.step() == loaded.trainer.step()


def test_the_load_run_op_answers_like_configure_and_the_next_chunks_match():
    source = build_session('adam')
    saved = handle_request(source, {'op': 'save_run'})
    assert saved['file'].dtype == np.uint8 and saved['bytes'] == len(saved['file'])
    assert saved['step'] == 55 and saved['runs'] == ['main', 'slow']
    target = Session()
    handle_request(target, {'op': 'configure', 'config': {'dataset': 'xor', 'hidden': [3]}})
    answer = handle_request(target, {'op': 'load_run', 'file': saved['file']})
    assert {'config', 'info', 'snapshot', 'run', 'summary', 'alerts'} <= set(answer)
    assert answer['runs'] == ['main', 'slow'] and answer['run'] == 'main'
    assert answer['info']['layer_sizes'] == [64, 16, 8, 10] and answer['snapshot']['step'] == 55
    assert answer['config'] == source.config
    a, b = train_chunks(source, 'main', [20])[0], train_chunks(target, 'main', [20])[0]
    assert a['snapshot']['train'] == b['snapshot']['train']
    np.testing.assert_array_equal(a['snapshot']['layers'][0]['W'], b['snapshot']['layers'][0]['W'])


def test_the_run_file_crosses_the_worker_entry_point_as_bytes():
    """As the page sends it: a packed request whose 'file' is a uint8 array."""
    from glassbox.protocol.wire import pack
    blob = mid_run_file()
    session_answer = unpack(handle('', pack({'op': 'load_run', 'file': np.frombuffer(blob, np.uint8)})))
    assert session_answer['ok'], session_answer.get('error')
    assert session_answer['value']['runs'] == ['main', 'slow']


def test_saving_changes_nothing_and_health_and_replay_survive():
    session = build_session('sgd')
    before = [w.sum() for w in weights(session)], session.trainer.state_dict()['running']
    blob = save_run(session)
    assert [w.sum() for w in weights(session)] == before[0] and session.trainer.state_dict()['running'] == before[1]
    loaded = load_run(blob)
    for rid in ('main', 'slow'):
        a, b = session.runs[rid], loaded.runs[rid]
        assert [s['step'] for s in a.health.history.items] == [s['step'] for s in b.health.history.items]
        assert a.health.history.origin['step'] == b.health.history.origin['step']
        assert a.replay.steps() == b.replay.steps()
        np.testing.assert_array_equal(a.replay.entries[-1]['W'][0], b.replay.entries[-1]['W'][0])
        assert a.config == b.config


def test_a_trainer_on_its_own_data_is_saved_with_that_data_and_continues(tmp_path):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(120, 3)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int32)
    data = {'name': 'my <b>points</b>', 'X_train': X[:90], 'y_train': y[:90], 'X_val': X[90:], 'y_val': y[90:],
            'n_classes': 2, 'class_names': ['no', 'yes'], 'image_shape': None, 'feature_names': ['a', 'b', 'c']}
    model = glassbox.MLP([3, 5, 2], seed=1)
    trainer = glassbox.Trainer(model, data, optimizer='momentum', lr=0.05, batch_size=16, seed=2)
    trainer.train(23)
    path = tmp_path / 'run.zip'
    blob = glassbox.save_run(trainer, str(path))
    assert path.read_bytes() == blob
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(blob)).read('manifest.json'))
    assert manifest['dataset']['embedded'] is True and 'data.npz' in zipfile.ZipFile(io.BytesIO(blob)).namelist()
    session = glassbox.load_run(str(path))
    assert session.data['name'] == 'my <b>points</b>' and session.data['class_names'] == ['no', 'yes']
    np.testing.assert_array_equal(session.data['X_train'], X[:90])
    trainer.train(31)
    session.trainer.train(31)
    for a, b in zip(trainer.model.layers, session.trainer.model.layers):
        np.testing.assert_array_equal(a.W, b.W)


def test_a_registry_dataset_is_not_embedded_and_is_checked_by_fingerprint():
    blob = mid_run_file()
    archive = zipfile.ZipFile(io.BytesIO(blob))
    manifest = json.loads(archive.read('manifest.json'))
    assert 'data.npz' not in archive.namelist() and manifest['dataset']['embedded'] is False
    assert manifest['format'] == 'glassbox-run' and manifest['version'] == 1
    data = load_dataset('digits', seed=3)
    digest = hashlib.sha256()  # independent: the documented recipe
    for key, dtype in (('X_train', '<f4'), ('y_train', '<i4'), ('X_val', '<f4'), ('y_val', '<i4')):
        array = np.ascontiguousarray(data[key], dtype=dtype)
        digest.update(('%s%s;' % (key, list(array.shape))).encode('ascii') + array.tobytes())
    assert manifest['dataset']['fingerprint'] == digest.hexdigest() == data_fingerprint(data)
    assert set(archive.namelist()) == {'manifest.json', 'runs/main.npz', 'runs/main-health.npz',
                                       'runs/main-replay.npz', 'runs/slow.npz', 'runs/slow-health.npz',
                                       'runs/slow-replay.npz'}


def test_the_manifest_is_strict_json_even_for_a_diverged_run():
    session = Session()
    handle_request(session, {'op': 'configure', 'config': {'hidden': [8], 'lr': 10, 'dataset': 'xor'}})
    train_chunks(session, 'main', [200, 200])
    blob = save_run(session)

    def refuse(name):
        raise AssertionError('manifest holds %s' % name)
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(blob)).read('manifest.json'), parse_constant=refuse)
    assert manifest['runs'][0]['id'] == 'main'
    loaded = load_run(blob)
    assert bool(loaded.runs['main'].health.divergence) == bool(session.runs['main'].health.divergence)


# -- bad files ------------------------------------------------------------------------------------
def rewrite(blob, replace=None, drop=(), manifest=None):
    """The run file with members replaced / dropped and the manifest edited by ``manifest(m)``."""
    source = zipfile.ZipFile(io.BytesIO(blob))
    out = io.BytesIO()
    with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            if name in drop:
                continue
            content = (replace or {}).get(name, source.read(name))
            if name == 'manifest.json' and manifest is not None:
                m = json.loads(content)
                manifest(m)
                content = json.dumps(m).encode()
            target.writestr(name, content)
    return out.getvalue()


def declare_size(blob, member, size):
    """The zip with ``member``'s declared uncompressed size (central directory) set to ``size``."""
    data = bytearray(blob)
    name = member.encode()
    at = 0
    while True:
        at = data.index(b'PK\x01\x02', at)
        n = int.from_bytes(data[at + 28:at + 30], 'little')
        if bytes(data[at + 46:at + 46 + n]) == name:
            data[at + 24:at + 28] = size.to_bytes(4, 'little')
            return bytes(data)
        at += 4


def shapes_disagree(blob):
    def edit(m):
        for r in m['runs']:
            if r['id'] == 'main':
                r['config']['hidden'] = [16, 9]
    return rewrite(blob, manifest=edit)


BAD_FILES = {
    'empty file': (lambda blob: b'', 'empty'),
    'random bytes': (lambda blob: np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes(),
                     'not a zip'),
    'an HTML page': (lambda blob: b'<!DOCTYPE html><html><body>Not found</body></html>', 'HTML'),
    'a truncated run file': (lambda blob: blob[:len(blob) // 2], 'truncated'),
    'a run file missing its last bytes': (lambda blob: blob[:-10], 'truncated'),
    'a run file cut after its first member': (lambda blob: blob[:300], 'truncated'),
    'a zip without manifest': (lambda blob: rewrite(blob, drop=('manifest.json',)), 'no manifest.json'),
    'manifest of version 99': (lambda blob: rewrite(blob, manifest=lambda m: m.update(version=99)),
                               'version 99 is not supported'),
    'a manifest without a version': (lambda blob: rewrite(blob, manifest=lambda m: m.pop('version')),
                                     'version None is not supported'),
    'a missing checkpoint member': (lambda blob: rewrite(blob, drop=('runs/slow.npz',)), 'no runs/slow.npz'),
    'a checkpoint whose shapes disagree with the settings': (shapes_disagree, r'runs/main.npz holds layers'),
    'a dataset this Glassbox does not have': (
        lambda blob: rewrite(blob, manifest=lambda m: m['dataset'].update(name='cifar100')), "'cifar100'"),
    'data whose fingerprint differs': (
        lambda blob: rewrite(blob, manifest=lambda m: m['dataset'].update(fingerprint='0' * 64)), 'data differ'),
    'a zip bomb member': (lambda blob: declare_size(blob, 'runs/main.npz', MAX_MEMBER_BYTES + 1), 'zip bomb'),
    'a member that inflates past its declared size': (
        lambda blob: declare_size(blob, 'runs/main.npz', 100), 'runs/main.npz'),
    'a checkpoint that is not a .npz': (lambda blob: rewrite(blob, replace={'runs/main.npz': b'PK junk'}),
                                        'runs/main.npz'),
    'a manifest that is not JSON': (lambda blob: rewrite(blob, replace={'manifest.json': b'{"format": '}),
                                    'not valid UTF-8 JSON'),
    'a run id with a slash': (lambda blob: rewrite(blob, manifest=lambda m: m['runs'][1].update(id='../x')),
                              "no '/'"),
}


@pytest.fixture(scope='module')
def good_file():
    return mid_run_file()


@pytest.mark.parametrize('case', sorted(BAD_FILES))
def test_a_bad_run_file_is_named_and_the_current_run_is_untouched(case, good_file):
    make, message = BAD_FILES[case]
    session = Session()
    handle_request(session, {'op': 'configure', 'config': {'hidden': [12], 'seed': 4}})
    train_chunks(session, 'main', [9])
    handle_request(session, {'op': 'fork', 'changes': {'lr': 0.3}})
    before = (session.trainer.step_count, [float(w.sum()) for w in weights(session)], dict(session.config),
              sorted(session.runs), session.data)
    with pytest.raises(ValueError, match=message):
        handle_request(session, {'op': 'load_run', 'file': np.frombuffer(make(good_file), np.uint8)})
    assert (session.trainer.step_count, [float(w.sum()) for w in weights(session)], session.config,
            sorted(session.runs)) == before[:4] and session.data is before[4]
    assert handle_request(session, {'op': 'train', 'steps': 2})['step'] == 11


def test_hostile_text_in_the_manifest_stays_plain_text(good_file):
    hostile = '<img src=x onerror=alert(1)>'

    def edit(m):
        m['runs'][1]['id'] = hostile
    blob = rewrite(good_file, manifest=edit, replace={
        'runs/%s.npz' % hostile: zipfile.ZipFile(io.BytesIO(good_file)).read('runs/slow.npz'),
        'runs/%s-health.npz' % hostile: zipfile.ZipFile(io.BytesIO(good_file)).read('runs/slow-health.npz'),
        'runs/%s-replay.npz' % hostile: zipfile.ZipFile(io.BytesIO(good_file)).read('runs/slow-replay.npz')})
    # rewrite() only replaces existing names: add the renamed members.
    out = io.BytesIO(blob)
    with zipfile.ZipFile(out, 'a') as archive:
        for suffix in ('', '-health', '-replay'):
            archive.writestr('runs/%s%s.npz' % (hostile, suffix),
                             zipfile.ZipFile(io.BytesIO(good_file)).read('runs/slow%s.npz' % suffix))
    session = Session()
    answer = handle_request(session, {'op': 'load_run', 'file': np.frombuffer(out.getvalue(), np.uint8)})
    assert answer['runs'] == ['main', hostile]
    assert handle_request(session, {'op': 'train', 'run': hostile, 'steps': 3})['run'] == hostile


def test_the_save_run_of_an_empty_session_is_refused_by_name():
    with pytest.raises(ValueError, match='no model yet'):
        handle_request(Session(), {'op': 'save_run'})
    with pytest.raises(ValueError, match='Session or a Trainer'):
        save_run('run.zip')
    with pytest.raises(ValueError, match='needs file'):
        handle_request(Session(), {'op': 'load_run'})


def test_a_run_on_the_users_own_data_travels_with_its_data_and_stays_user_data():
    from glassbox.data.user import user_dataset
    rng = np.random.default_rng(5)
    X = rng.normal(size=(120, 3)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int32)
    session = Session()
    session.load_data(user_dataset(X, y, class_names=['no', 'yes'], name='my table', seed=2),
                      dict(validate_config({}), hidden=[8]))
    train_chunks(session, 'main', [3, 4])
    loaded = Session()
    answer = handle_request(loaded, {'op': 'load_run', 'file': np.frombuffer(save_run(session), dtype=np.uint8)})
    assert answer['config']['dataset'] == 'user'
    assert loaded.data['class_names'] == ['no', 'yes'] and loaded.user_data is loaded.data
    train_chunks(session, 'main', [2, 5])
    train_chunks(loaded, 'main', [2, 5])
    for a, b in zip(weights(session), weights(loaded)):
        assert np.array_equal(a, b)
    # The loaded session holds the data as the user's: a new architecture rebuilds on it.
    rebuilt = handle_request(loaded, {'op': 'configure', 'config': dict(loaded.config, hidden=[4])})
    assert rebuilt['info']['layer_sizes'] == [3, 4, 2] and rebuilt['config']['dataset'] == 'user'
