from __future__ import annotations

import numpy as np
import pytest

from glassbox.nn.optimizers import OPTIMIZERS, make_optimizer

N_STEPS = 5

# (our name, our kwargs, torch class name, torch kwargs)
CASES = [
    ("sgd", {}, "SGD", {}),
    ("sgd", {"weight_decay": 0.1}, "SGD", {}),
    ("momentum", {"momentum": 0.9}, "SGD", {"momentum": 0.9}),
    ("momentum", {"momentum": 0.8, "weight_decay": 0.05}, "SGD", {"momentum": 0.8}),
    ("adam", {}, "Adam", {}),
    ("adam", {"weight_decay": 0.01}, "Adam", {}),
    ("adam", {"betas": (0.8, 0.99), "eps": 1e-6}, "Adam", {"betas": (0.8, 0.99), "eps": 1e-6}),
]


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _params_and_grad_sequence(seed=0):
    rng = np.random.default_rng(seed)
    shapes = [(4, 3), (3, 2)]
    params = [
        {"W": rng.normal(size=s).astype(np.float32), "b": rng.normal(size=s[1]).astype(np.float32)}
        for s in shapes
    ]
    grads = [
        [
            {"W": rng.normal(size=s).astype(np.float32), "b": rng.normal(size=s[1]).astype(np.float32)}
            for s in shapes
        ]
        for _ in range(N_STEPS)
    ]
    return params, grads


def _copy(params):
    return [{k: v.copy() for k, v in p.items()} for p in params]


@pytest.mark.parametrize("name,kw,torch_name,torch_kw", CASES)
def test_updates_match_torch_optim_over_several_steps(torch, name, kw, torch_name, torch_kw):
    lr = 0.05
    params, grads = _params_and_grad_sequence()
    tparams = [{k: torch.tensor(v, requires_grad=True) for k, v in p.items()} for p in params]
    wd = kw.get("weight_decay", 0.0)
    # Biases in a separate group without decay: our L2 applies to weights only.
    groups = [
        {"params": [p["W"] for p in tparams], "weight_decay": wd},
        {"params": [p["b"] for p in tparams], "weight_decay": 0.0},
    ]
    topt = getattr(torch.optim, torch_name)(groups, lr=lr, **torch_kw)
    opt = make_optimizer(name, lr, **kw)
    for step_grads in grads:
        for tp, g in zip(tparams, step_grads):
            for k in tp:
                tp[k].grad = torch.tensor(g[k])
        topt.step()
        opt.step(params, step_grads)
    for p, tp in zip(params, tparams):
        for k in p:
            assert p[k].dtype == np.float32
            np.testing.assert_allclose(p[k], tp[k].detach().numpy(), rtol=1e-5, atol=1e-6, err_msg=k)


def test_plain_sgd_is_p_minus_lr_g_and_decay_skips_biases():
    params, grads = _params_and_grad_sequence()
    start = _copy(params)
    make_optimizer("sgd", 0.5, weight_decay=0.1).step(params, grads[0])
    for p, p0, g in zip(params, start, grads[0]):
        np.testing.assert_allclose(p["W"], p0["W"] - 0.5 * (g["W"] + 0.1 * p0["W"]), rtol=1e-6)
        np.testing.assert_allclose(p["b"], p0["b"] - 0.5 * g["b"], rtol=1e-6)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_step_updates_the_same_arrays_in_place(name):
    params, grads = _params_and_grad_sequence()
    arrays = [(p["W"], p["b"]) for p in params]
    view = params[0]["W"][0]
    before = view.copy()
    make_optimizer(name, 0.1).step(params, grads[0])
    for p, (W, b) in zip(params, arrays):
        assert p["W"] is W and p["b"] is b
    assert not np.array_equal(view, before)


def test_lr_can_change_between_steps():
    params, grads = _params_and_grad_sequence()
    start = _copy(params)
    opt = make_optimizer("sgd", 0.1)
    opt.lr = 0.0
    opt.step(params, grads[0])
    np.testing.assert_array_equal(params[0]["W"], start[0]["W"])
    opt.lr = 1.0
    opt.step(params, grads[1])
    np.testing.assert_allclose(params[0]["W"], start[0]["W"] - grads[1][0]["W"], rtol=1e-6)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_state_dict_round_trip_continues_identically(name):
    params, grads = _params_and_grad_sequence()
    opt = make_optimizer(name, 0.05, weight_decay=0.01)
    for g in grads[:3]:
        opt.step(params, g)
    saved = opt.state_dict()
    saved_buffers = [b.copy() for layer in saved["state"] for bufs in layer.values() for b in bufs.values()]
    forked_params = _copy(params)
    forked = make_optimizer(name, 999.0)
    forked.load_state_dict(saved)
    assert forked.lr == 0.05 and forked.weight_decay == 0.01
    for g in grads[3:]:
        opt.step(params, g)
        forked.step(forked_params, g)
    for p, q in zip(params, forked_params):
        assert p["W"].tobytes() == q["W"].tobytes() and p["b"].tobytes() == q["b"].tobytes()
    # The saved state is a deep copy: the in-place steps above did not touch it.
    assert saved["t"] == 3
    now = [b for layer in saved["state"] for bufs in layer.values() for b in bufs.values()]
    assert all(np.array_equal(a, b) for a, b in zip(saved_buffers, now))


def test_load_state_dict_rejects_other_optimizer():
    with pytest.raises(ValueError):
        make_optimizer("adam", 0.1).load_state_dict(make_optimizer("sgd", 0.1).state_dict())


def test_make_optimizer_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="adam"):
        make_optimizer("rmsprop", 0.1)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_parameters_and_buffers_stay_float32(name):
    params, grads = _params_and_grad_sequence()
    opt = make_optimizer(name, 0.1, weight_decay=0.01)
    for g in grads:
        opt.step(params, g)
    assert all(p[k].dtype == np.float32 for p in params for k in p)
    assert all(b.dtype == np.float32 for layer in opt.state for bufs in layer.values() for b in bufs.values())


@pytest.mark.parametrize("name, lr, kw, message", [
    ("sgd", 0.0, {}, r"lr must be a finite number > 0, got 0.0"),
    ("sgd", -1, {}, r"lr must be a finite number > 0, got -1"),
    ("adam", float("nan"), {}, r"lr must be a finite number > 0, got nan"),
    ("adam", float("inf"), {}, r"lr must be a finite number > 0, got inf"),
    ("sgd", True, {}, r"lr must be a finite number > 0, got True"),
    ("sgd", "0.1", {}, r"lr must be a finite number > 0, got '0.1'"),
    ("momentum", 0.1, {"momentum": 5}, r"momentum must be a number in \[0, 1\), got 5"),
    ("momentum", 0.1, {"momentum": 1.0}, r"momentum must be a number in \[0, 1\), got 1.0"),
    ("momentum", 0.1, {"momentum": -0.1}, r"momentum must be a number in \[0, 1\)"),
    ("sgd", 0.1, {"weight_decay": -0.01}, r"weight_decay must be a number in \[0, 1e\+06\], got -0.01"),
    ("adam", 0.1, {"weight_decay": float("nan")}, r"weight_decay must be a number"),
    ("adam", 0.1, {"betas": (0.9, 1.5)}, r"betas\[1\] must be a number in \[0, 1\), got 1.5"),
    ("adam", 0.1, {"betas": 0.9}, r"betas must be a pair"),
    ("adam", 0.1, {"eps": 0}, r"eps must be a finite number > 0, got 0"),
], ids=["lr-zero", "lr-negative", "lr-nan", "lr-inf", "lr-bool", "lr-string", "momentum-5", "momentum-1",
        "momentum-negative", "wd-negative", "wd-nan", "beta2", "betas-scalar", "eps-zero"])
def test_bad_hyperparameters_are_refused_by_name(name, lr, kw, message):
    with pytest.raises(ValueError, match=message):
        make_optimizer(name, lr, **kw)


def test_an_unknown_optimiser_is_refused_listing_the_names():
    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop'; valid names: adam, momentum, sgd"):
        make_optimizer("rmsprop", 0.1)
    with pytest.raises(ValueError, match="unknown optimizer"):
        make_optimizer(["adam"], 0.1)
