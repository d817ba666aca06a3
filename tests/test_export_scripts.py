"""export/: a Glassbox network becomes a torch Sequential with the same logits (from a model, an
.onnx file or a checkpoint), and a torch MLP becomes a Glassbox network with the same logits; the
command lines write files that load back."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import glassbox
from conftest import ROOT

torch = pytest.importorskip('torch')
pytest.importorskip('onnx')

from export.glassbox_to_torch import to_torch  # noqa: E402  (needs torch)
from export.torch_to_glassbox import torch_to_glassbox  # noqa: E402

TOLERANCE = 1e-5


def error(out, expected) -> float:
    """Max abs difference, relative to the logits' scale once that exceeds 1 (float32 rounding)."""
    return float(np.abs(out - expected).max()) / max(1.0, float(np.abs(expected).max()))


@pytest.fixture(scope='module')
def digits():
    return glassbox.load_dataset('digits', seed=0)


def torch_logits(module, X):
    with torch.no_grad():
        return module(torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))).numpy()


@pytest.mark.parametrize('activation', sorted(glassbox.ACTIVATIONS))
def test_glassbox_to_torch_sequential_gives_equal_logits(activation, digits):
    model = glassbox.MLP([64, 32, 16, 10], activation=activation, seed=3, bias_init=0.1)
    glassbox.Trainer(model, digits, optimizer='adam', lr=0.01).train(steps=40)
    module = to_torch(model)
    assert isinstance(module, torch.nn.Sequential)
    assert error(torch_logits(module, digits['X_val']), model.forward(digits['X_val'])) <= TOLERANCE


def test_glassbox_to_torch_reads_onnx_files_and_checkpoints(tmp_path, digits):
    trainer = glassbox.Trainer(glassbox.MLP([64, 20, 10], activation='tanh', seed=1), digits, lr=0.1)
    trainer.train(steps=30)
    onnx_path, checkpoint_path = tmp_path / 'm.onnx', tmp_path / 'm.ckpt'
    glassbox.to_onnx(trainer.model, str(onnx_path))
    checkpoint_path.write_bytes(glassbox.save_checkpoint(trainer))
    expected = trainer.model.forward(digits['X_val'])
    for path in (onnx_path, checkpoint_path):
        assert error(torch_logits(to_torch(str(path)), digits['X_val']), expected) <= TOLERANCE


def test_torch_to_onnx_to_glassbox_gives_equal_logits(tmp_path, digits):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 40), torch.nn.LeakyReLU(),
                              torch.nn.Linear(40, 20), torch.nn.LeakyReLU(), torch.nn.Linear(20, 10))
    path = tmp_path / 'net.onnx'
    model, info = torch_to_glassbox(net, (8, 8), path, with_info=True)
    X = digits['X_val']
    assert model.layer_sizes == [64, 40, 20, 10] and model.activation == 'leaky_relu'
    assert error(model.forward(X), torch_logits(net, X.reshape(-1, 8, 8))) <= TOLERANCE
    assert glassbox.from_onnx(str(path)).layer_sizes == [64, 40, 20, 10]


def run_script(*args):
    return subprocess.run([sys.executable] + [str(a) for a in args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_the_command_lines_write_files_that_load_back(tmp_path, digits):
    model = glassbox.MLP([64, 12, 10], activation='sigmoid', seed=2)
    glassbox.to_onnx(model, str(tmp_path / 'g.onnx'))
    done = run_script(ROOT / 'export' / 'glassbox_to_torch.py', tmp_path / 'g.onnx', tmp_path / 'g.pt')
    assert done.returncode == 0, done.stderr
    module = torch.load(str(tmp_path / 'g.pt'), weights_only=False)
    assert error(torch_logits(module, digits['X_val']), model.forward(digits['X_val'])) <= TOLERANCE

    done = run_script(ROOT / 'export' / 'torch_to_glassbox.py', tmp_path / 'g.pt', '--input-shape', '64',
                      '--out', tmp_path / 'back.onnx')
    assert done.returncode == 0, done.stderr
    assert 'digits' in done.stdout and '[64, 12, 10]' in done.stdout
    back = glassbox.from_onnx(str(tmp_path / 'back.onnx'))
    assert error(back.forward(digits['X_val']), model.forward(digits['X_val'])) <= TOLERANCE


def test_the_command_line_names_a_network_glassbox_cannot_read(tmp_path):
    net = torch.nn.Sequential(torch.nn.Linear(64, 8), torch.nn.ELU(), torch.nn.Linear(8, 10))
    torch.save(net, str(tmp_path / 'e.pt'))
    done = run_script(ROOT / 'export' / 'torch_to_glassbox.py', tmp_path / 'e.pt', '--input-shape', '64',
                      '--out', tmp_path / 'e.onnx')
    assert done.returncode == 1 and 'op Elu' in done.stderr
