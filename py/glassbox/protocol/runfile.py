"""Run files: a whole session (the main run, its forks, their health and replay histories, and the
data when it cannot be regenerated) as one zip, and back -- exactly: a loaded run continues bit for
bit as the saved one would have.

Format ``glassbox-run`` version 1: a zip (members stored or deflated) holding

    manifest.json        (deflated) UTF-8 JSON, strict (no NaN: non-finite numbers are written as null):
                         {'format': 'glassbox-run', 'version': 1, 'created': ISO 8601 UTC,
                          'glassbox': engine version, 'config': the main run's settings,
                          'dataset': {'name', 'seed', 'fingerprint', 'embedded': bool,
                                      'n_train', 'n_val', 'n_features', 'n_classes'},
                          'runs': [{'id', 'config', 'step', 'epoch', 'layer_sizes', 'diverged',
                                    'train_loss', 'val_loss', 'val_accuracy', 'alerts': [kind]}],
                          'replay': {'limit', 'rule', 'entries': {run id: count}}}
    runs/<id>.npz        (stored) the run's trainer state in train/checkpoint.py's format (model, optimiser
                         state, epoch order, cursor, random generator state, counters)
    runs/<id>-health.npz (deflated) its monitor (history summaries, origin, alerts, divergence, drift
                         reference, last finite state) in the same encoding
    runs/<id>-replay.npz (stored) its replay history (monitor/replay.py) in the same encoding
    data.npz             (deflated) only when the data is not a registry dataset (``embedded``): X_train,
                         y_train, X_val, y_val, class_names, feature_names, image_shape, name

A registry dataset is regenerated from (name, seed) and must match the fingerprint: the SHA-256 of
the shapes and little-endian bytes of X_train (float32), y_train (int32), X_val, y_val.

Reading is bounded: a member whose declared size exceeds ``MAX_MEMBER_BYTES`` is refused before it
is inflated, and every read stops at the declared size + 1 (a member that inflates past it is
refused); the declared sizes together may not exceed ``MAX_TOTAL_BYTES``. Everything is checked
(versions, members, every array's shape against the settings, the data) before anything is built:
a bad file raises ValueError naming the problem, and the session it was meant for is untouched.
"""
from __future__ import annotations

import datetime
import hashlib
import io
import json
import math
import sys
import zipfile
from typing import Any, Dict, List, Optional, Union

import numpy as np

from ..data.registry import DATASETS, USER_DATASET, load_dataset
from ..monitor.replay import MAX_ENTRIES, Replay
from ..train.checkpoint import state_from_bytes, state_to_bytes
from ..train.config import DEFAULT_CONFIG, validate_config
from ..train.trainer import Trainer
from .runs import MAX_RUNS, Run, Session

FORMAT = 'glassbox-run'
VERSION = 1
MAX_MEMBER_BYTES = 256 * 2 ** 20   # one member, inflated (MNIST-10k data.npz: 32 MB)
MAX_TOTAL_BYTES = 768 * 2 ** 20    # all members, inflated
MAX_MANIFEST_BYTES = 2 ** 20
MAX_MEMBERS = 64
THINNING_RULE = ('at most K entries; when full, every other entry is dropped except the newest '
                 '(spacing doubles)')


class RunFileError(ValueError):
    """A run file that cannot be loaded (the message names the problem)."""


def engine_version() -> "Optional[str]":
    # The version lives in the package's __init__, which imports this module: read it, don't import it.
    return getattr(sys.modules.get(__name__.split('.')[0]), '__version__', None)


_last_fingerprint = [None, '']  # (data dict, its fingerprint): autosaves hash MNIST's 31 MB once


def data_fingerprint(data: "Dict[str, Any]") -> str:
    """SHA-256 (hex) of the shapes and little-endian bytes of X_train, y_train, X_val, y_val."""
    if _last_fingerprint[0] is data:
        return _last_fingerprint[1]
    digest = hashlib.sha256()
    for key, dtype in (('X_train', '<f4'), ('y_train', '<i4'), ('X_val', '<f4'), ('y_val', '<i4')):
        array = np.ascontiguousarray(np.asarray(data[key]), dtype=dtype)
        digest.update(('%s%s;' % (key, list(array.shape))).encode('ascii'))
        digest.update(array.tobytes())
    _last_fingerprint[:] = [data, digest.hexdigest()]
    return _last_fingerprint[1]


def _finite(value: "Any") -> "Any":
    """``value`` with non-finite floats as None (strict JSON for the page's JSON.parse)."""
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def session_of(source: "Union[Session, Trainer]") -> Session:
    """``source`` itself, or a Trainer watched as the main run of a new Session (its settings read
    from the trainer; its data embedded when the file is written)."""
    if isinstance(source, Session):
        source.run('main')  # names the problem when there is no model yet
        return source
    if not isinstance(source, Trainer):
        raise ValueError('save_run takes a Session or a Trainer, got %s' % type(source).__name__)
    model, opt = source.model, source.optimizer
    config = {'hidden': list(model.layer_sizes[1:-1]), 'activation': model.activation, 'optimizer': opt.name,
              'lr': float(opt.lr), 'batch_size': int(source.batch_size), 'seed': int(source.seed),
              'l2': float(getattr(opt, 'weight_decay', 0.0)), 'init': model.init, 'bias_init': float(model.bias_init)}
    data = dict(source.data)
    n_out = model.layer_sizes[-1]
    data.setdefault('name', 'user')
    data.setdefault('n_classes', n_out)
    data.setdefault('class_names', [str(k) for k in range(n_out)])
    data.setdefault('image_shape', None)
    config = dict(DEFAULT_CONFIG, dataset=str(data['name']), **config)
    session = Session()
    session.replace(config, data, None, {'main': Run('main', source, config)})
    return session


def _health_state(run: Run) -> "Dict[str, Any]":
    h = run.health
    return {'origin': h.history.origin, 'items': h.history.items, 'alerts': h.alerts, 'since': h.since,
            'divergence': h.divergence, 'last_finite': h.last_finite, 'w_ref': h.w_ref,
            'w_ref_step': h.w_ref_step, 'drift': h.drift}


def _data_state(data: "Dict[str, Any]") -> "Dict[str, Any]":
    return {'name': str(data.get('name', 'user')), 'X_train': np.asarray(data['X_train'], dtype=np.float32),
            'y_train': np.asarray(data['y_train'], dtype=np.int32), 'X_val': np.asarray(data['X_val'], dtype=np.float32),
            'y_val': np.asarray(data['y_val'], dtype=np.int32), 'n_classes': int(data['n_classes']),
            'class_names': [str(c) for c in data['class_names']],
            'feature_names': [str(f) for f in data.get('feature_names') or []],
            'image_shape': list(data['image_shape']) if data.get('image_shape') else None}


def save_run(source: "Union[Session, Trainer]", path: "Optional[str]" = None, compress: bool = True) -> bytes:
    """The run file (module docstring) of a Session (every run) or a Trainer; written to ``path``
    too when given. Saving changes nothing in the session."""
    session = session_of(source)
    data, config = session.data, session.config
    key = session.data_key
    embedded = not (key is not None and key[0] in DATASETS and key == (data['name'], config['seed']))
    manifest = {
        'format': FORMAT, 'version': VERSION,
        'created': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
        'glassbox': engine_version(), 'config': config,
        'dataset': {'name': str(data['name']), 'seed': int(config['seed']), 'fingerprint': data_fingerprint(data),
                    'embedded': embedded, 'n_train': int(len(data['X_train'])), 'n_val': int(len(data['X_val'])),
                    'n_features': int(np.shape(data['X_train'])[1]), 'n_classes': int(data['n_classes'])},
        'runs': [], 'replay': {'limit': MAX_ENTRIES, 'rule': THINNING_RULE, 'entries': {}}}
    members = []
    for run in session.runs.values():
        last = run.health.history.items[-1] if run.health.history.items else {}
        manifest['runs'].append({
            'id': run.id, 'config': run.config, 'step': int(run.trainer.step_count), 'epoch': float(run.trainer.epoch),
            'layer_sizes': [int(n) for n in run.model.layer_sizes], 'diverged': bool(run.health.divergence),
            'train_loss': last.get('train_loss'), 'val_loss': last.get('val_loss'),
            'val_accuracy': last.get('val_accuracy'), 'alerts': [a.get('kind') for a in run.health.alerts]})
        manifest['replay']['entries'][run.id] = len(run.replay.entries)
        members += [('runs/%s.npz' % run.id, state_to_bytes(run.trainer.state_dict())),
                    ('runs/%s-health.npz' % run.id, state_to_bytes(_health_state(run))),
                    ('runs/%s-replay.npz' % run.id, state_to_bytes(run.replay.state()))]
    if embedded:
        members.append(('data.npz', state_to_bytes(_data_state(data))))
    text = json.dumps(_finite(manifest), allow_nan=False, indent=1, ensure_ascii=False).encode('utf-8')
    buffer = io.BytesIO()
    deflate = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(buffer, 'w', deflate) as archive:
        archive.writestr('manifest.json', text)
        for name, blob in members:
            # Trained float weights barely deflate (11 % on MNIST, at 10x the time of the whole save):
            # checkpoints and replay histories are stored, the rest deflated.
            stored = name.endswith('-replay.npz') or not name.endswith('-health.npz') and name != 'data.npz'
            archive.writestr(name, blob, compress_type=zipfile.ZIP_STORED if stored else deflate)
    blob = buffer.getvalue()
    if path is not None:
        with open(path, 'wb') as handle:
            handle.write(blob)
    return blob


# -- reading -------------------------------------------------------------------------------------
def _as_bytes(source: "Any") -> bytes:
    if isinstance(source, np.ndarray):
        return source.astype(np.uint8, copy=False).tobytes()
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, str) or hasattr(source, '__fspath__'):
        with open(source, 'rb') as handle:
            return handle.read()
    raise RunFileError('a run file is bytes, a uint8 array or a path, got %s' % type(source).__name__)


def _open_zip(blob: bytes) -> zipfile.ZipFile:
    if not blob:
        raise RunFileError('the file is empty: a run file is a zip (.glassbox-run.zip)')
    head = blob[:512].lstrip().lower()
    if head.startswith(b'<!doctype html') or head.startswith(b'<html') or head.startswith(b'<'):
        raise RunFileError('this is an HTML or XML page, not a run file (a zip); was a web page saved instead?')
    try:
        archive = zipfile.ZipFile(io.BytesIO(blob))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        if blob[:4] == b'PK\x03\x04':
            raise RunFileError('the run file is truncated or damaged (%d bytes; its zip directory is missing: %s)'
                               % (len(blob), exc))
        raise RunFileError('not a run file: not a zip (first bytes %r)' % blob[:8])
    infos = archive.infolist()
    if blob[:4] == b'PK\x03\x04' and not any(info.header_offset == 0 for info in infos):
        # The directory found is not the file's own: the end is cut off and an inner .npz's
        # directory (checkpoints are stored, not deflated) was read instead.
        raise RunFileError('the run file is truncated or damaged (%d bytes; its zip directory is missing)' % len(blob))
    if len(infos) > MAX_MEMBERS:
        raise RunFileError('the zip has %d members; a run file has at most %d' % (len(infos), MAX_MEMBERS))
    total = 0
    for info in infos:
        if info.file_size > MAX_MEMBER_BYTES:
            raise RunFileError('member %s declares %d bytes uncompressed, over the limit of %d MiB per member '
                               '(a zip bomb?)' % (info.filename, info.file_size, MAX_MEMBER_BYTES >> 20))
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        raise RunFileError('the members declare %d MiB uncompressed together, over the limit of %d MiB'
                           % (total >> 20, MAX_TOTAL_BYTES >> 20))
    return archive


def _member(archive: zipfile.ZipFile, name: str, limit: int = MAX_MEMBER_BYTES) -> bytes:
    """Member ``name``, inflating at most its declared size (+1 byte to catch a liar) and ``limit``."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise RunFileError('the run file has no %s (members: %s)' % (name, ', '.join(archive.namelist()[:12]) or 'none'))
    if info.file_size > limit:
        raise RunFileError('member %s declares %d bytes, over the limit of %d' % (name, info.file_size, limit))
    try:
        with archive.open(info) as handle:
            blob = handle.read(info.file_size + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as exc:
        raise RunFileError('member %s is damaged or truncated: %s' % (name, exc))
    if len(blob) != info.file_size:
        raise RunFileError('member %s inflates to more than its declared %d bytes' % (name, info.file_size))
    return blob


def _npz(archive: zipfile.ZipFile, name: str) -> "Dict[str, Any]":
    blob = _member(archive, name)
    try:  # checkpoint.py writes uncompressed .npz: a compressed array inside could be a second bomb
        inner = zipfile.ZipFile(io.BytesIO(blob)).infolist()
    except Exception as exc:
        raise RunFileError('member %s is not a .npz archive: %s' % (name, exc))
    packed = [i.filename for i in inner if i.compress_type != zipfile.ZIP_STORED]
    if packed:
        raise RunFileError('member %s holds compressed arrays (%s); a run file stores them uncompressed'
                           % (name, ', '.join(packed[:3])))
    try:
        return state_from_bytes(blob)
    except RunFileError:
        raise
    except Exception as exc:
        raise RunFileError('member %s: %s' % (name, exc))


def _shapes_fit(state: "Dict[str, Any]", sizes: "List[int]", where: str) -> None:
    """The checkpoint's layers must be ``sizes`` (from the settings and the data)."""
    try:
        layers = state['model']['layers']
        got = [(tuple(np.shape(l['W'])), tuple(np.shape(l['b']))) for l in layers]
        declared = [int(n) for n in state['model']['sizes']]
    except (KeyError, TypeError) as exc:
        raise RunFileError('%s is not a trainer checkpoint (missing %s)' % (where, exc))
    want = [((a, b), (b,)) for a, b in zip(sizes[:-1], sizes[1:])]
    if got != want or declared != list(sizes):
        raise RunFileError('%s holds layers %s, but its settings and data give %s (W, b shapes %s expected, got %s)'
                           % (where, declared, list(sizes), want, got))


def _load_data(dataset: "Dict[str, Any]", archive: zipfile.ZipFile) -> "tuple":
    """(data, data_key) of the manifest's dataset, checked against its fingerprint."""
    name = dataset.get('name')
    if dataset.get('embedded'):
        state = _npz(archive, 'data.npz')
        try:
            data = {'name': str(state['name']), 'X_train': np.asarray(state['X_train'], dtype=np.float32),
                    'y_train': np.asarray(state['y_train'], dtype=np.int32),
                    'X_val': np.asarray(state['X_val'], dtype=np.float32),
                    'y_val': np.asarray(state['y_val'], dtype=np.int32), 'n_classes': int(state['n_classes']),
                    'class_names': [str(c) for c in state['class_names']],
                    'feature_names': [str(f) for f in state['feature_names']] or None,
                    'image_shape': tuple(state['image_shape']) if state['image_shape'] else None}
        except (KeyError, TypeError, ValueError) as exc:
            raise RunFileError('data.npz is incomplete or malformed: %s' % exc)
        D = data['X_train'].shape[1] if data['X_train'].ndim == 2 else -1
        if (data['X_val'].ndim != 2 or data['X_val'].shape[1] != D or len(data['y_train']) != len(data['X_train'])
                or len(data['y_val']) != len(data['X_val']) or len(data['class_names']) != data['n_classes']):
            raise RunFileError('data.npz: the arrays disagree (X_train %s, y_train %s, X_val %s, y_val %s, %d classes)'
                               % (data['X_train'].shape, data['y_train'].shape, data['X_val'].shape,
                                  data['y_val'].shape, data['n_classes']))
        if not data['feature_names']:
            data['feature_names'] = ['x%d' % (i + 1) for i in range(D)]
        key = None
    else:
        if name not in DATASETS:
            raise RunFileError('the run trains on dataset %r, which this Glassbox does not have (it has %s)'
                               % (name, ', '.join(DATASETS)))
        seed = dataset.get('seed')
        try:
            data = load_dataset(name, seed=int(seed))
        except (FileNotFoundError, TypeError, ValueError) as exc:
            raise RunFileError('dataset %r (seed %r) cannot be loaded here: %s' % (name, seed, exc))
        key = (name, int(seed))
    fingerprint = data_fingerprint(data)
    if fingerprint != dataset.get('fingerprint'):
        raise RunFileError('the data differ from the data the run was saved with (dataset %r, seed %r: '
                           'fingerprint %s..., the file says %s...)' % (name, dataset.get('seed'), fingerprint[:12],
                                                                       str(dataset.get('fingerprint'))[:12]))
    return data, key


def _config(config: "Any", data: "Dict[str, Any]", where: str) -> "Dict[str, Any]":
    """The settings, checked; the dataset key of embedded data (not a registry name) is kept as is."""
    if not isinstance(config, dict):
        raise RunFileError('%s: the settings are not an object' % where)
    try:
        if config.get('dataset') in DATASETS or config.get('dataset') == USER_DATASET:
            return validate_config(config)
        checked = validate_config(dict(config, dataset=DEFAULT_CONFIG['dataset']))
    except ValueError as exc:
        raise RunFileError('%s: %s' % (where, exc))
    return dict(checked, dataset=str(data['name']))


def _restore_health(run: Run, state: "Dict[str, Any]") -> None:
    h = run.health
    h.history.origin = state.get('origin')
    h.history.items = list(state.get('items') or [])
    h.alerts, h.since = list(state.get('alerts') or []), dict(state.get('since') or {})
    h.divergence, h.last_finite = state.get('divergence'), state.get('last_finite')
    h.w_ref, h.w_ref_step, h.drift = state.get('w_ref'), int(state.get('w_ref_step') or 0), state.get('drift')


def read_run(source: "Any") -> Session:
    """A new Session holding the run file's runs (module docstring); RunFileError names what is wrong."""
    archive = _open_zip(_as_bytes(source))
    try:
        manifest = json.loads(_member(archive, 'manifest.json', MAX_MANIFEST_BYTES).decode('utf-8'))
    except RunFileError:
        raise
    except (UnicodeDecodeError, ValueError) as exc:
        raise RunFileError('manifest.json is not valid UTF-8 JSON: %s' % exc)
    if not isinstance(manifest, dict) or manifest.get('format') != FORMAT:
        raise RunFileError('manifest.json does not describe a Glassbox run (format %r, expected %r)'
                           % (manifest.get('format') if isinstance(manifest, dict) else None, FORMAT))
    if manifest.get('version') != VERSION:
        raise RunFileError('run file version %r is not supported: this Glassbox reads version %d'
                           % (manifest.get('version'), VERSION))
    entries = manifest.get('runs')
    if not isinstance(entries, list) or not entries or not isinstance(manifest.get('dataset'), dict):
        raise RunFileError('manifest.json lists no runs or no dataset')
    ids = [e.get('id') if isinstance(e, dict) else None for e in entries]
    if 'main' not in ids or len(set(ids)) != len(ids) or len(ids) > MAX_RUNS or not all(
            isinstance(i, str) and 0 < len(i) <= 40 and '/' not in i and '\\' not in i for i in ids):
        raise RunFileError("manifest.json's run ids %r must be distinct names (at most 40 characters, no '/'), "
                           "one of them 'main', at most %d" % (ids[:MAX_RUNS + 1], MAX_RUNS))
    data, key = _load_data(manifest['dataset'], archive)
    runs = {}
    for entry in entries:
        rid = entry['id']
        config = _config(entry.get('config'), data, 'run %r' % rid)
        sizes = [int(data['X_train'].shape[1])] + list(config['hidden']) + [int(data['n_classes'])]
        state = _npz(archive, 'runs/%s.npz' % rid)
        _shapes_fit(state, sizes, 'runs/%s.npz' % rid)
        health = _npz(archive, 'runs/%s-health.npz' % rid)
        try:
            trainer = Trainer.from_state(data, state)
            replay = Replay.from_state(_npz(archive, 'runs/%s-replay.npz' % rid), sizes)
        except RunFileError:
            raise
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise RunFileError('run %r cannot be restored: %s' % (rid, exc))
        run = Run(rid, trainer, config)
        _restore_health(run, health)
        run.replay = replay
        runs[rid] = run
    session = Session()
    session.replace(runs['main'].config, data, key, runs)
    if runs['main'].config['dataset'] == USER_DATASET:  # the user's data travels in the file
        session.user_data = data
    return session


def load_run(source: "Any") -> Session:
    """A Session continuing exactly where the run file's session was: ``.trainer`` is the main run's
    trainer, ``.runs`` every run (forks included). ``source``: bytes, a uint8 array or a path."""
    return read_run(source)


def load_into(session: Session, source: "Any") -> "Dict[str, Any]":
    """Replace ``session``'s runs, data and settings by the run file's, once the whole file is
    checked (on error the session is untouched). Answers what 'configure' answers plus 'runs'."""
    loaded = read_run(source)
    main = loaded.runs['main']
    state, health, entries = main.trainer.state_dict(), _health_state(main), list(main.replay.entries)
    session.replace(loaded.config, loaded.data, loaded.data_key, loaded.runs)
    if loaded.user_data is not None:
        session.user_data = loaded.user_data
    answer = session.configure_answer(main)
    # The answer's snapshot consumed the running train metrics, moved the update-ratio reference and
    # re-recorded the last summary; put them back so the run goes on exactly as the saved one would.
    main.trainer.load_state_dict(state)
    _restore_health(main, health)
    main.replay.entries = entries
    answer['runs'] = list(loaded.runs)
    return answer
