"""The autosave op (py/glassbox/protocol/autosave_ops.py): save_run's run file with stored zip entries."""
from __future__ import annotations

import io
import zipfile

import numpy as np

from glassbox.protocol import Session, handle_request


def trained_session(steps=30):
    session = Session()
    handle_request(session, {'op': 'configure', 'config': {'dataset': 'digits', 'hidden': [16], 'optimizer': 'adam', 'lr': 0.01}})
    handle_request(session, {'op': 'train', 'steps': steps})
    return session


def test_autosave_run_is_save_runs_file_stored_and_continues_like_the_original():
    session = trained_session()
    stored = handle_request(session, {'op': 'autosave_run'})
    deflated = handle_request(session, {'op': 'save_run'})
    assert stored['step'] == deflated['step'] == 30 and stored['runs'] == ['main'] and stored['bytes'] == len(stored['file'])
    entries = zipfile.ZipFile(io.BytesIO(stored['file'].tobytes())).infolist()
    assert entries and all(e.compress_type == zipfile.ZIP_STORED for e in entries)
    names = sorted(e.filename for e in zipfile.ZipFile(io.BytesIO(deflated['file'].tobytes())).infolist())
    assert sorted(e.filename for e in entries) == names

    # Loaded into a fresh session, the stored file trains on exactly as the original does.
    other = Session()
    loaded = handle_request(other, {'op': 'load_run', 'file': stored['file']})
    assert loaded['snapshot']['step'] == 30
    a = handle_request(session, {'op': 'train', 'steps': 20})['snapshot']
    b = handle_request(other, {'op': 'train', 'steps': 20})['snapshot']
    for la, lb in zip(a['layers'], b['layers']):
        assert np.array_equal(la['W'], lb['W']) and np.array_equal(la['b'], lb['b'])
    assert a['train']['loss'] == b['train']['loss']
