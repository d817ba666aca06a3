"""Networks: activations, losses, initialisers, optimisers, layers, the model, the one
forward/backward pass every analysis uses (``trace``) and the matrix-product seam (``backend``)."""
from __future__ import annotations

from .activations import ACTIVATIONS, get_activation
from .backend import get_matmul_backend, matmul, set_matmul_backend
from .initializers import INITIALIZERS, get_initializer
from .layers import Dense
from .losses import LOSSES, get_loss
from .model import MLP
from .optimizers import OPTIMIZERS, Optimizer, make_optimizer
from .trace import backprop, forward_from, input_gradient, linearize_from, outputs_from_pre, trace

__all__ = ['ACTIVATIONS', 'Dense', 'INITIALIZERS', 'LOSSES', 'MLP', 'OPTIMIZERS', 'Optimizer', 'backprop',
           'forward_from', 'get_activation', 'get_initializer', 'get_loss', 'get_matmul_backend',
           'input_gradient', 'linearize_from', 'make_optimizer', 'matmul', 'outputs_from_pre', 'set_matmul_backend', 'trace']
