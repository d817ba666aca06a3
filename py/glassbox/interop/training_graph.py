"""The training-step graph: forward, backward and optimiser update of an MLP as one ONNX graph.

Built as a spec (plain dicts + numpy, see spec.py), so it is made in Pyodide as well as in
CPython; onnxruntime(-web) runs it. It follows the numpy engine (nn/) up to float32 rounding.

Notation as nn/trace.py: L Dense layers, layer l maps n_l -> n_{l+1}, batch of B rows, K = n_L
classes, y the one-hot labels (B, K). One step:

    forward:  z_l = a_{l-1} W_l + b_l (Gemm),  a_l = f_l(z_l),  a_{-1} = x,  logits = a_{L-1}
    loss:     'cross_entropy': loss = -(1/B) sum(y * logsoftmax(logits)),  d = softmax - y
              'mse':           loss = (0.5/B) sum((logits - y)^2),          d = logits - y
    backward: gz_{L-1} = c * d;  gz_{l-1} = f'_{l-1} * (gz_l W_l^T)   (Gemm transB)
              G_l = a_{l-1}^T gz_l (Gemm transA),  g_l = sum_rows gz_l (ReduceSum axis 0)
    correct:  count of argmax(logits) == argmax(y)  (first index on ties, as numpy)

The backward pass is linear in its seed, so the seed scale c folds each optimiser's constant
in: c = lr/B for 'sgd' (G_l is then lr * dL/dW_l), 1/B for 'momentum', (1-beta1)/B for 'adam'.
Updates (wd = weight decay, on W only, as nn/optimizers.py; dL/db gets none):

    sgd:       W <- W - lr dL/dW                       (one Gemm with C = W: alpha = -1)
               W <- W - (lr dL/dW + lr wd W)           (with decay: C = lr wd W, then Sub)
    momentum:  v <- mu v + dL/dW + wd W                (one Gemm with C = mu v + wd W);  W <- W - lr v
    adam:      q = (1-b1)(dL/dW + wd W)                (one Gemm with C = (1-b1) wd W)
               m <- b1 m + q;  v <- b2 v + (1-b2)/(1-b1)^2 q^2
               W <- W - s m / (sqrt(v) + e),  s = lr sqrt(1-b2^t)/(1-b1^t),  e = eps sqrt(1-b2^t)
               (= torch's  W - lr/(1-b1^t) m / (sqrt(v)/sqrt(1-b2^t) + eps)), t = t0 + 1, 2, ...

Graph inputs (names stable; the JavaScript engine uses them), in this order:

    'W0', 'b0', 'W1', ...   float32, the model's shapes (n_l, n_{l+1}) and (n_{l+1},)
    buffers                 'momentum': 'W0.v', 'b0.v', 'W1.v', ...; 'adam': 'W0.m', 'W0.v', 'b0.m', ...
                            (shapes of their parameter; zeros before the optimiser's first step)
    'x'                     float32 [S, 'batch', n_0]  S minibatches of equal size
    'y'                     float32 [S, 'batch', K]    their one-hot labels
    'hyper'                 float32 [k]: HYPER[optimizer] = sgd (lr, weight_decay);
                            momentum (lr, weight_decay, momentum); adam (lr, weight_decay,
                            1 - beta1, 1 - beta2, eps): 1 - beta computed in float64 (float32
                            cannot give 1 - 0.999 from 0.999: 1.3e-5 off), 0 < 1 - beta <= 1.
                            Changing any needs no new graph (but see ``decay``)
    't0'                    float32 []  (adam only) the optimiser's t before this call (exact to 2^24)

Outputs: 'W0.next', 'b0.next', ... for every parameter and buffer (input order), then 'loss'
float32 [S] (each step's mean minibatch loss BEFORE its update) and 'correct' float32 [S].
``steps == 1`` gives the plain step (S = 1); ``steps > 1`` a Loop over x's first axis carrying
parameters and buffers, whose trip count is that axis' length (declared 'steps': any S >= 1 runs).
The weight-decay terms are in the graph when ``decay`` is true (default: the optimiser's
weight_decay != 0); a graph without them ignores hyper's weight_decay.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..nn.activations import ACTIVATIONS
from .graph_builder import FLOAT, GraphBuilder, activation_output
from .spec import make_spec, value_info

HYPER = {'sgd': ('lr', 'weight_decay'), 'momentum': ('lr', 'weight_decay', 'momentum'),
         'adam': ('lr', 'weight_decay', 'one_minus_beta1', 'one_minus_beta2', 'eps')}
BUFFERS = {'sgd': (), 'momentum': ('v',), 'adam': ('m', 'v')}
HIDDEN_ACTIVATIONS = ('relu', 'leaky_relu', 'tanh', 'sigmoid', 'linear')
LOSSES = ('cross_entropy', 'mse')


def state_names(model: "Any", optimizer: "Any") -> "List[str]":
    """Parameters then optimiser buffers, in graph-input order: 'W0', 'b0', ..., 'W0.m', ..."""
    L = len(model.layers)
    params = [p + str(l) for l in range(L) for p in ('W', 'b')]
    return params + [p + '.' + b for p in params for b in BUFFERS[_optimizer_name(optimizer)]]


def _optimizer_name(optimizer: "Any") -> str:
    name = getattr(optimizer, 'name', optimizer)
    if name not in HYPER:
        raise ValueError('training graph: optimizer must be one of %s, got %r' % (', '.join(HYPER), name))
    return name


def _check_model(model: "Any") -> None:
    if model.loss_name not in LOSSES:
        raise ValueError('training graph: loss must be one of %s, got %r' % (', '.join(LOSSES), model.loss_name))
    for l, layer in enumerate(model.layers):
        last = l == len(model.layers) - 1
        allowed = ('linear',) if last else HIDDEN_ACTIVATIONS
        if layer.activation_name not in allowed:
            raise ValueError('training graph: %s activation must be one of %s, got %r (layer %d)' % (
                'output' if last else 'hidden', ', '.join(allowed), layer.activation_name, l))


def _scalars(g: GraphBuilder, opt: str, decay: bool, loss: str) -> "Dict[str, str]":
    """Per-call constants from 'hyper' and the batch size (outside any Loop)."""
    if opt == 'adam':  # c = (1 - beta1, 1 - beta2) stays a pair for the bias corrections
        parts = g.op('Split', ['hyper', g.const([1, 1, 2, 1], np.int64)], 'h', n_out=4, axis=0)
        k = dict(zip(('lr', 'weight_decay', 'c', 'eps'), parts))
    else:
        k = dict(zip(HYPER[opt], g.op('Split', ['hyper'], 'h', n_out=len(HYPER[opt]), axis=0)))
    shape = g.op('Shape', ['x'], 'x.shape')
    k['shape'] = shape
    batch = g.op('Cast', [g.op('Gather', [shape, g.const(1, np.int64)], 'batch')], 'batch.f', to=FLOAT)
    k['loss_scale'] = g.op('Div', [g.const(-1.0 if loss == 'cross_entropy' else 0.5), batch], 'loss.scale')
    one = g.const(1.0) if opt != 'sgd' else ''
    if opt == 'sgd':
        k['seed'] = g.op('Div', [k['lr'], batch], 'seed.scale')
        if decay:
            k['lr.wd'] = g.op('Mul', [k['lr'], k['weight_decay']], 'lr.wd')
    elif opt == 'momentum':
        k['seed'] = g.op('Div', [one, batch], 'seed.scale')
    else:
        one_b1, one_b2 = g.op('Split', [k['c']], 'one_b', n_out=2, axis=0)
        betas = g.op('Sub', [one, k['c']], 'betas')
        k['beta1'], k['beta2'] = g.op('Split', [betas], 'beta', n_out=2, axis=0)
        k['seed'] = g.op('Div', [one_b1, batch], 'seed.scale')
        k['k2'] = g.op('Div', [one_b2, g.op('Mul', [one_b1, one_b1], 'one_b1.sq')], 'k2')
        # log(beta) = log1p(-c), accurately: log(1 - c) * c / (1 - (1 - c))  (Goldberg)
        k['log_b'] = g.op('Mul', [g.op('Log', [betas], 'log.betas'),
                                  g.op('Div', [k['c'], g.op('Sub', [one, betas], 'c.rounded')], 'c.ratio')], 'log_b')
        if decay:
            k['wd1'] = g.op('Mul', [one_b1, k['weight_decay']], 'wd1')
    return k


def _adam_step_scalars(g: GraphBuilder, k: "Dict[str, str]", t: str) -> "Tuple[str, str]":
    """s = lr sqrt(1-b2^t) / (1-b1^t) and e = eps sqrt(1-b2^t) for step t, the pair
    1 - beta^t = -expm1(t log beta) to float32 precision: with u = exp(x), x = t log beta clamped
    at -80 (u stays normal), -expm1(x) = (1 - u) x / log(u)  (Kahan; 1 - u alone loses 1e-4 at t = 1)."""
    limit = g.const(-80.0)
    x = g.op('Mul', [k['log_b'], t], 't.log_b')
    x = g.op('Where', [g.op('Greater', [x, limit], 'x>-80'), x, limit], 'x.clamped')
    u = g.op('Exp', [x], 'beta^t')
    bc = g.op('Div', [g.op('Mul', [g.op('Sub', [g.const(1.0), u], '1-u'), x], '(1-u)x'),
                      g.op('Log', [u], 'log.u')], 'bias_corrections')
    bc1, bc2 = g.op('Split', [bc], 'bc', n_out=2, axis=0)
    root = g.op('Sqrt', [bc2], 'bc2.sqrt')
    s = g.op('Div', [g.op('Mul', [k['lr'], root], 'lr.bc2'), bc1], 'step_size')
    return s, g.op('Mul', [k['eps'], root], 'eps_hat')


def _activation_grad(g: GraphBuilder, name: str, a: str, ga: str, l: int) -> str:
    """gz = ga * f'(z) from a = f(z), linear in ga. (relu, leaky_relu: z > 0 iff a > 0; using a
    leaves z to its Gemm alone, so onnxruntime may fuse Gemm + activation.)"""
    tag = 'gz%d' % l
    if name == 'linear':
        return ga
    if name in ('relu', 'leaky_relu'):  # Where is slow on onnxruntime's CPU/wasm kernels: a 0/1 mask
        slope = g.op('Cast', [g.op('Greater', [a, g.const(0.0)], 'a%d>0' % l)], 'mask%d' % l, to=FLOAT)
        if name == 'leaky_relu':  # 1 - s + s == 1 exactly in float32 for s = 0.01: slope is 1 or s
            s = np.float32(ACTIVATIONS['leaky_relu'].slope)
            slope = g.op('Add', [g.op('Mul', [slope, g.const(np.float32(1) - s)], 'mask%d.1-s' % l), g.const(s)],
                         "leaky'%d" % l)
        return g.op('Mul', [ga, slope], tag)
    if name == 'tanh':
        slope = g.op('Sub', [g.const(1.0), g.op('Mul', [a, a], 'a%d.sq' % l)], "tanh'%d" % l)
        return g.op('Mul', [ga, slope], tag)
    return g.op('Mul', [g.op('Mul', [ga, a], 'ga%d.a' % l), g.op('Sub', [g.const(1.0), a], '1-a%d' % l)], tag)


def _update(g: GraphBuilder, opt: str, decay: bool, k: "Dict[str, str]", adam: "Any", key: str,
            a_in: str, gz: str, src: "Dict[str, str]", dst: "Dict[str, str]") -> None:
    """Emit the update of parameter ``key`` ('W<l>' or 'b<l>') from its layer's input and gz."""
    is_w = key[0] == 'W'
    p = src[key]

    def grad(c: "Optional[str]", tag: str, out: "Optional[List[str]]" = None) -> str:
        if is_w:
            return g.op('Gemm', [a_in, gz] + ([c] if c else []), tag, out=out, transA=1)
        if not c:
            return g.op('ReduceSum', [gz, g.const([0], np.int64)], tag, out=out, keepdims=0)
        summed = g.op('ReduceSum', [gz, g.const([0], np.int64)], 'g.' + key, keepdims=0)
        return g.op('Add', [c, summed], tag, out=out)

    if opt == 'sgd':
        if is_w:
            if decay:  # one rounding of W per step, as numpy's p -= lr * (g + wd p)
                delta = grad(g.op('Mul', [p, k['lr.wd']], key + '.lr_wd'), 'delta.' + key)
                g.op('Sub', [p, delta], out=[dst[key]])
            else:
                g.op('Gemm', [a_in, gz, p], out=[dst[key]], transA=1, alpha=-1.0)
        else:
            g.op('Sub', [p, grad(None, 'lr.g.' + key)], out=[dst[key]])
        return
    if opt == 'momentum':
        c = g.op('Mul', [src[key + '.v'], k['momentum']], key + '.mu_v')
        if decay and is_w:
            c = g.op('Add', [c, g.op('Mul', [p, k['weight_decay']], key + '.wd')], key + '.mu_v_wd')
        v = grad(c, '', [dst[key + '.v']])
        g.op('Sub', [p, g.op('Mul', [v, k['lr']], key + '.lr_v')], out=[dst[key]])
        return
    step_size, eps_hat = adam
    q = grad(g.op('Mul', [p, k['wd1']], key + '.wd') if decay and is_w else None, 'q.' + key)
    m = g.op('Add', [g.op('Mul', [src[key + '.m'], k['beta1']], key + '.b1m'), q], out=[dst[key + '.m']])
    q2 = g.op('Mul', [g.op('Mul', [q, q], 'q2.' + key), k['k2']], 'k2q2.' + key)
    v = g.op('Add', [g.op('Mul', [src[key + '.v'], k['beta2']], key + '.b2v'), q2], out=[dst[key + '.v']])
    denom = g.op('Add', [g.op('Sqrt', [v], key + '.sqrt_v'), eps_hat], key + '.denom')
    ratio = g.op('Div', [m, denom], key + '.ratio')
    g.op('Sub', [p, g.op('Mul', [ratio, step_size], key + '.delta')], out=[dst[key]])


def _step(g: GraphBuilder, model: "Any", opt: str, decay: bool, k: "Dict[str, str]", x: str, y: str,
          y_metric: str, plain: bool, src: "Dict[str, str]", dst: "Dict[str, str]", t: "Optional[str]",
          loss_out: str, correct_out: str) -> None:
    """One training step from x (B, n_0), y (B, K); ``y_metric`` is y, or (plain) y as [1, B, K]
    so that 'loss' and 'correct' come out as [1]."""
    L = len(model.layers)
    acts = [x]
    for l, layer in enumerate(model.layers):
        z = g.op('Gemm', [acts[-1], src['W%d' % l], src['b%d' % l]], 'z%d' % l)
        acts.append(activation_output(g, layer.activation_name, z, l))
    logits = acts[-1]
    all_axes = g.const([1, 2], np.int64) if plain else ''
    if model.loss_name == 'cross_entropy':
        log_p = g.op('LogSoftmax', [logits], 'log_p', axis=1)
        d = g.op('Sub', [g.op('Exp', [log_p], 'p'), y], 'd')
        total = g.op('ReduceSum', [g.op('Mul', [y_metric, log_p], 'y.log_p'), all_axes], 'sum.y.log_p', keepdims=0)
    else:
        d = g.op('Sub', [logits, y], 'd')
        squares = g.op('Mul', [d, d], 'd.sq')
        if plain:
            squares = g.op('ReduceSum', [squares, g.const([1], np.int64)], 'd.sq.rows', keepdims=0)
        total = g.op('ReduceSum', [squares] + ([g.const([0], np.int64)] if plain else []), 'sum.d.sq',
                     keepdims=1 if plain else 0)
    g.op('Mul', [total, k['loss_scale']], out=[loss_out])
    hits = g.op('Equal', [g.op('ArgMax', [logits], 'pred', axis=1, keepdims=0),
                          g.op('ArgMax', [y_metric], 'label', axis=2 if plain else 1, keepdims=0)], 'hit')
    g.op('ReduceSum', [g.op('Cast', [hits], 'hit.f', to=FLOAT)] + ([g.const([1], np.int64)] if plain else []),
         out=[correct_out], keepdims=0)
    adam = _adam_step_scalars(g, k, t) if opt == 'adam' else None
    gz = g.op('Mul', [d, k['seed']], 'gz%d' % (L - 1))
    for l in range(L - 1, -1, -1):
        for key in ('W%d' % l, 'b%d' % l):
            _update(g, opt, decay, k, adam, key, acts[l], gz, src, dst)
        if l:
            ga = g.op('Gemm', [gz, src['W%d' % l]], 'ga%d' % (l - 1), transB=1)
            gz = _activation_grad(g, model.layers[l - 1].activation_name, acts[l], ga, l - 1)


def training_spec(model: "Any", optimizer: "Any", steps: int = 1, decay: "Optional[bool]" = None) -> "Dict[str, Any]":
    """The spec of ``steps`` (1: plain; > 1: a Loop) training steps of ``model`` under ``optimizer``
    (an nn.optimizers Optimizer, or its name with ``decay`` given); see the module docstring."""
    opt = _optimizer_name(optimizer)
    _check_model(model)
    if int(steps) < 1:
        raise ValueError('training graph: steps must be >= 1, got %r' % (steps,))
    plain = int(steps) == 1
    decay = bool(getattr(optimizer, 'weight_decay', 0.0)) if decay is None else bool(decay)
    sizes = model.layer_sizes
    names = state_names(model, opt)
    shapes = {}
    for l in range(len(model.layers)):
        for suffix in ('',) + tuple('.' + b for b in BUFFERS[opt]):
            shapes['W%d%s' % (l, suffix)] = [sizes[l], sizes[l + 1]]
            shapes['b%d%s' % (l, suffix)] = [sizes[l + 1]]
    S = 1 if plain else 'steps'
    inputs = [value_info(n, 'float32', shapes[n]) for n in names] + [
        value_info('x', 'float32', [S, 'batch', sizes[0]]), value_info('y', 'float32', [S, 'batch', sizes[-1]]),
        value_info('hyper', 'float32', [len(HYPER[opt])])] + (
        [value_info('t0', 'float32', [])] if opt == 'adam' else [])
    outputs = [value_info(n + '.next', 'float32', shapes[n]) for n in names] + [
        value_info('loss', 'float32', [S]), value_info('correct', 'float32', [S])]
    g = GraphBuilder()
    g.used.update(v['name'] for v in inputs + outputs)
    k = _scalars(g, opt, decay, model.loss_name)
    nxt = {n: n + '.next' for n in names}
    if plain:
        axis0 = g.const([0], np.int64)
        x2, y2 = g.op('Squeeze', ['x', axis0], 'x0'), g.op('Squeeze', ['y', axis0], 'y0')
        t = g.op('Add', ['t0', g.const(1.0)], 't') if opt == 'adam' else None
        _step(g, model, opt, decay, k, x2, y2, 'y', True, {n: n for n in names}, nxt, t, 'loss', 'correct')
    else:
        trips = g.op('Gather', [k['shape'], g.const(0, np.int64)], 'trips')
        t1 = g.op('Add', ['t0', g.const(1.0)], 't0+1') if opt == 'adam' else None
        outer, g.nodes = g.nodes, []
        src = {n: g.fresh(n + '.in') for n in names}
        dst = {n: g.fresh(n + '.out') for n in names}
        i, cond = g.fresh('i'), g.fresh('cond')
        xi, yi = g.op('Gather', ['x', i], 'x.i'), g.op('Gather', ['y', i], 'y.i')
        t = g.op('Add', [t1, g.op('Cast', [i], 'i.f', to=FLOAT)], 't') if opt == 'adam' else None
        loss_i, correct_i = g.fresh('loss.i'), g.fresh('correct.i')
        _step(g, model, opt, decay, k, xi, yi, yi, False, src, dst, t, loss_i, correct_i)
        body = {'name': 'train_step', 'doc': 'one training step (see the graph doc)', 'initializers': [],
                'nodes': g.nodes,
                'inputs': [value_info(i, 'int64', []), value_info(cond, 'bool', [])] +
                          [value_info(src[n], 'float32', shapes[n]) for n in names],
                'outputs': [value_info(cond, 'bool', [])] + [value_info(dst[n], 'float32', shapes[n]) for n in names] +
                           [value_info(loss_i, 'float32', []), value_info(correct_i, 'float32', [])]}
        g.nodes = outer
        g.op('Loop', [trips, ''] + names, out=[nxt[n] for n in names] + ['loss', 'correct'], body=body)
    metadata = {'glassbox.training.optimizer': opt, 'glassbox.training.hyper': ','.join(HYPER[opt]),
                'glassbox.training.decay': 'on' if decay else 'off', 'glassbox.training.steps': str(int(steps)),
                'glassbox.sizes': ','.join(str(s) for s in sizes), 'glassbox.activation': model.activation,
                'glassbox.loss': model.loss_name}
    return make_spec('glassbox_train_%s' % opt, inputs, outputs, g.nodes, g.initializers, metadata,
                     doc=__doc__.split('\n\n')[0])


def hyper_values(optimizer: "Any") -> "np.ndarray":
    """float32 [k]: the optimiser's hyper-parameters in HYPER order."""
    opt = _optimizer_name(optimizer)
    values = {'lr': optimizer.lr, 'weight_decay': optimizer.weight_decay}
    if opt == 'momentum':
        values['momentum'] = optimizer.momentum
    if opt == 'adam':
        values.update(one_minus_beta1=1.0 - optimizer.betas[0], one_minus_beta2=1.0 - optimizer.betas[1],
                      eps=optimizer.eps)
    return np.array([values[n] for n in HYPER[opt]], dtype=np.float32)


def training_feeds(trainer: "Any") -> "Dict[str, np.ndarray]":
    """name -> float32 array (copies) of every parameter, buffer, 'hyper' (and 't0'): the state of
    ``trainer``'s model and optimiser (zero buffers before its first step)."""
    opt = trainer.optimizer
    name = _optimizer_name(opt)
    feeds = OrderedDict()  # type: Dict[str, np.ndarray]
    params = trainer.model.params()
    for l, layer in enumerate(params):
        for key in ('W', 'b'):
            feeds['%s%d' % (key, l)] = np.array(layer[key], dtype=np.float32)
    for l, layer in enumerate(params):
        for key in ('W', 'b'):
            for buf in BUFFERS[name]:
                have = opt.state[l][key][buf] if opt.state else np.zeros_like(layer[key])
                feeds['%s%d.%s' % (key, l, buf)] = np.array(have, dtype=np.float32)
    feeds['hyper'] = hyper_values(opt)
    if name == 'adam':
        feeds['t0'] = np.array(opt.t, dtype=np.float32)
    return feeds


def one_hot_batches(trainer: "Any", batches: "Sequence[np.ndarray]") -> "Tuple[np.ndarray, np.ndarray]":
    """x float32 [S, B, n_0] and one-hot y float32 [S, B, K] for S index arrays of equal length B."""
    if not batches or len({len(b) for b in batches}) != 1:
        raise ValueError('one_hot_batches needs a non-empty list of equal-length index arrays, got lengths %s'
                         % [len(b) for b in batches])
    index = np.stack([np.asarray(b) for b in batches])
    eye = np.eye(trainer.model.layer_sizes[-1], dtype=np.float32)
    return np.ascontiguousarray(trainer.X_train[index], dtype=np.float32), eye[trainer.y_train[index]]


def adopt_training_outputs(trainer: "Any", outputs: "Any", batches: "Sequence[np.ndarray]") -> None:
    """Write a training graph's outputs (a dict by output name, or the list onnxruntime returns, in
    output order) back into ``trainer``: weights in place, optimiser buffers and t, and the step
    counters and running metrics, as ``len(batches)`` calls of ``Trainer.step`` would leave them."""
    opt = trainer.optimizer
    name = _optimizer_name(opt)
    names = state_names(trainer.model, name)
    if not isinstance(outputs, dict):
        outputs = dict(zip([n + '.next' for n in names] + ['loss', 'correct'], outputs))
    losses = np.asarray(outputs['loss'], dtype=np.float32).reshape(-1)
    corrects = np.asarray(outputs['correct']).reshape(-1)
    if len(losses) != len(batches) or len(corrects) != len(batches):
        raise ValueError('outputs hold %d steps but %d batches were given' % (len(losses), len(batches)))
    params = trainer.model.params()
    if not opt.state:  # as Optimizer.step creates it on its first step
        opt.state = [{key: {b: np.zeros_like(p) for b in opt.buffer_names} for key, p in layer.items()}
                     for layer in params]
    for l, layer in enumerate(params):  # flat arrays (from JavaScript) take their parameter's shape
        for key in ('W', 'b'):
            shape = layer[key].shape
            layer[key][...] = np.asarray(outputs['%s%d.next' % (key, l)]).reshape(shape)
            for buf in BUFFERS[name]:
                opt.state[l][key][buf][...] = np.asarray(outputs['%s%d.%s.next' % (key, l, buf)]).reshape(shape)
    opt.t += len(batches)
    trainer.record_steps([float(v) for v in losses], corrects, [len(b) for b in batches])
