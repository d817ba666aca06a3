"""Gradient-descent optimisers with PyTorch semantics.

Common interface:
    opt.step(params_list, grads_list)   update every array IN PLACE
    opt.lr                              plain attribute, may change between steps
    opt.state_dict() / opt.load_state_dict(d)   deep copies, for exact forking

``params_list`` and ``grads_list`` are lists with one dict {'W', 'b'} per layer
(``MLP.params()`` and ``MLP.grads()``); buffers are kept per (layer, name).
In-place updates matter: the trainer, snapshots and views hold references to
the parameter arrays.

Weight decay (L2), identical for all optimisers, as PyTorch's ``weight_decay``
but applied to weights only: before the update, g_W <- g_W + wd * W, while
biases get their raw gradient.  (Decaying biases only pulls them to zero and
does nothing for regularisation.)  To reproduce this in torch, put the biases
in a param group with weight_decay=0.

With g the (decayed) gradient and t the step count (starting at 1):
'sgd'       p <- p - lr * g
'momentum'  v <- mu * v + g  (v starts at 0);   p <- p - lr * v
            (torch.optim.SGD with momentum=mu, dampening=0, nesterov=False)
'adam'      m <- b1 * m + (1 - b1) * g;  v <- b2 * v + (1 - b2) * g**2
            p <- p - (lr / (1 - b1**t)) * m / (sqrt(v) / sqrt(1 - b2**t) + eps)
            (torch.optim.Adam, amsgrad=False; defaults b1=0.9, b2=0.999, eps=1e-8)
"""
from __future__ import annotations

import copy
import math
from typing import Any, Dict, List

import numpy as np

from ..checks import lookup, number, positive


class Optimizer:
    name = "base"
    buffer_names = ()  # type: tuple

    def __init__(self, lr: float, weight_decay: float = 0.0) -> None:
        """lr: finite > 0; weight_decay: finite >= 0 (ValueError names the argument otherwise)."""
        self.lr = positive(lr, "lr")
        self.weight_decay = number(weight_decay, "weight_decay", 0.0, 1e6)
        self.t = 0
        # state[layer][param_name][buffer_name] -> array, created on first step
        self.state = []  # type: List[Dict[str, Dict[str, np.ndarray]]]

    def __repr__(self) -> str:
        return "<%s lr=%g wd=%g>" % (self.name, self.lr, self.weight_decay)

    def hyperparams(self) -> "Dict[str, Any]":
        return {"lr": self.lr, "weight_decay": self.weight_decay}

    def step(self, params_list: "List[Dict[str, np.ndarray]]", grads_list: "List[Dict[str, np.ndarray]]") -> None:
        if len(params_list) != len(grads_list):
            raise ValueError("got %d param dicts but %d grad dicts" % (len(params_list), len(grads_list)))
        if not self.state:
            self.state = [
                {k: {b: np.zeros_like(p) for b in self.buffer_names} for k, p in params.items()}
                for params in params_list
            ]
        self.t += 1
        for params, grads, state in zip(params_list, grads_list, self.state):
            for key, p in params.items():
                g = grads[key]
                if self.weight_decay and key == "W":
                    g = g + self.weight_decay * p
                self._update(p, g, state[key])

    def _update(self, p: "np.ndarray", g: "np.ndarray", buffers: "Dict[str, np.ndarray]") -> None:
        raise NotImplementedError

    def state_dict(self) -> "Dict[str, Any]":
        d = {"name": self.name, "t": self.t, "state": copy.deepcopy(self.state)}
        d.update(self.hyperparams())
        return d

    def load_state_dict(self, d: "Dict[str, Any]") -> None:
        if d.get("name") != self.name:
            raise ValueError("state is for optimiser %r, not %r" % (d.get("name"), self.name))
        for key, value in self.hyperparams().items():
            setattr(self, key, tuple(d[key]) if isinstance(value, tuple) else float(d[key]))
        self.t = int(d["t"])
        self.state = copy.deepcopy(d["state"])


class SGD(Optimizer):
    name = "sgd"

    def _update(self, p, g, buffers):
        p -= self.lr * g


class Momentum(Optimizer):
    name = "momentum"
    buffer_names = ("v",)

    def __init__(self, lr: float, momentum: float = 0.9, weight_decay: float = 0.0) -> None:
        super().__init__(lr, weight_decay)
        self.momentum = number(momentum, "momentum", 0.0, 1.0, hi_open=True)

    def hyperparams(self):
        d = super().hyperparams()
        d["momentum"] = self.momentum
        return d

    def _update(self, p, g, buffers):
        v = buffers["v"]
        v *= self.momentum
        v += g
        p -= self.lr * v


class Adam(Optimizer):
    name = "adam"
    buffer_names = ("m", "v")

    def __init__(self, lr: float, betas: "Any" = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(lr, weight_decay)
        if not isinstance(betas, (list, tuple)) or len(betas) != 2:
            raise ValueError("betas must be a pair (beta1, beta2), got %r" % (betas,))
        self.betas = (number(betas[0], "betas[0]", 0.0, 1.0, hi_open=True),
                      number(betas[1], "betas[1]", 0.0, 1.0, hi_open=True))
        self.eps = positive(eps, "eps")

    def hyperparams(self):
        d = super().hyperparams()
        d["betas"] = self.betas
        d["eps"] = self.eps
        return d

    def _update(self, p, g, buffers):
        beta1, beta2 = self.betas
        m, v = buffers["m"], buffers["v"]
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * (g * g)
        step_size = self.lr / (1 - beta1 ** self.t)
        # math.sqrt gives a Python float, which never upcasts float32 arrays
        # (a numpy float64 scalar would under numpy 2 promotion rules).
        denom = np.sqrt(v) / math.sqrt(1 - beta2 ** self.t) + self.eps
        p -= step_size * (m / denom)


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def make_optimizer(name: str, lr: float, **kw: "Any") -> Optimizer:
    """``make_optimizer('adam', 1e-3, weight_decay=1e-4)``; ValueError on unknown names."""
    return lookup(OPTIMIZERS, name, "optimizer")(lr, **kw)
