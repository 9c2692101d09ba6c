"""Recurrent layers: one fused op runs a whole layer (one direction) over all time steps.

The input projection ``x @ W_ih^T + b`` for every time step is one matmul done by the caller;
``RecurrentLayer`` loops over time steps only, on backend arrays, and its backward runs the
hand-written BPTT the same way. Under ``create_graph`` the backward instead differentiates the
composite written with Ember ops (``layer_composite``), so higher-order gradients stay exact; the
tests check the fused op against that composite.

Sequences use PackedSequence's layout: rows ``[offset_t, offset_t + batch_sizes[t])`` of the
``(N, features)`` data hold time step ``t``; a padded ``(T, B, features)`` input is the case of
``T`` equal batch sizes. Rows past ``batch_sizes[t]`` keep their state, which makes finished
sequences (forward) and not-yet-started ones (reverse) come out right.
"""
from __future__ import annotations

from ..autograd import grad_mode
from ..autograd.function import Op
from .._tensor import Tensor, _make
from . import _registry

_state = grad_mode.state
MODES = ("RNN_TANH", "RNN_RELU", "LSTM", "GRU")
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _steps(batch_sizes, n_rows: int, batch: int, reverse: bool) -> list:
    """(start, rows) per time step, in processing order."""
    if batch_sizes is None:
        steps = [(s, batch) for s in range(0, n_rows, batch)] if batch else []
    else:
        steps, start = [], 0
        for bt in batch_sizes:
            steps.append((start, bt))
            start += bt
    return steps[::-1] if reverse else steps


# Which gates are sigmoids (the rest are tanh), in PyTorch's gate order.
_SIGMOID_GATES = {"LSTM": (True, True, False, True), "GRU": (True, True, False)}


def _gate_scale(xp, mode: str, hidden: int, dtype) -> tuple:
    """Column scale and shift turning tanh into sigmoid for the sigmoid gates:
    sigmoid(x) = (tanh(x / 2) + 1) / 2, so one tanh serves all gates of a step."""
    sigmoid = xp.repeat(xp.asarray(_SIGMOID_GATES[mode]), hidden)
    scale = xp.where(sigmoid, 0.5, 1.0).astype(dtype)
    return scale, scale * sigmoid


class RecurrentLayer(Op):
    """One layer, one direction. Inputs: ``x_proj`` (N, G*H) with the input projection and the
    biases that can be folded into it, ``h0`` (B, H_out), ``c0`` (LSTM), ``w_hh`` (G*H, H_out),
    ``b_hh`` (GRU only: it sits inside ``r * (W_hn h + b_hn)``), ``w_hr`` (LSTM proj_size).
    Returns ``(output (N, H_out), h_n[, c_n])``. Each mode has a forward and a backward
    function below; they loop over time steps on backend arrays, and the backward computes
    everything that does not depend on the dh recursion for all steps at once."""

    _backward_name = "RecurrentLayerBackward0"

    @staticmethod
    def forward(ctx, x_proj, h0, c0, w_hh, b_hh, w_hr, *, mode, batch_sizes, reverse):
        ctx.mode, ctx.batch_sizes, ctx.reverse = mode, batch_sizes, reverse
        ctx.save_for_backward(x_proj, h0, c0, w_hh, b_hh, w_hr)
        steps = _steps(batch_sizes, x_proj.shape[0], h0.shape[0], reverse)
        return _FORWARD[mode](ctx, steps, x_proj, h0, c0, w_hh, b_hh, w_hr)

    @staticmethod
    def backward(ctx, grad_out, grad_hn, grad_cn=None):
        if _state.enabled:
            return _composite_backward(ctx, grad_out, grad_hn, grad_cn)
        x_proj, h0, c0, w_hh, b_hh, w_hr = ctx.saved_tensors
        steps = _steps(ctx.batch_sizes, x_proj.shape[0], h0.shape[0], ctx.reverse)[::-1]
        grads = [None] * 6
        dh = grad_hn._data.copy()
        # d_gates: gradient of the gate pre-activations (= of x_proj); d_hidden: of W_hh h.
        d_gates, d_hidden, h_prev = _BACKWARD[ctx.mode](ctx, steps, grad_out._data, dh, grad_cn,
                                                        w_hh._data, w_hr, grads)
        grads[0], grads[1] = d_gates, dh
        if ctx.needs_input_grad[3]:
            grads[3] = d_hidden.T @ h_prev
        if b_hh is not None and ctx.needs_input_grad[4]:
            grads[4] = d_hidden.sum(axis=0)
        dev = ctx.device
        return tuple(None if g is None else _make(g, dev) for g in grads)


def _forward_rnn(ctx, steps, x_proj, h0, c0, w_hh, b_hh, w_hr):
    xp = ctx.xp
    h = h0.copy()
    out = xp.empty((x_proj.shape[0], h0.shape[1]), dtype=x_proj.dtype)
    h_prev = xp.empty_like(out)
    w_hh_t = w_hh.T
    relu = ctx.mode == "RNN_RELU"
    for start, bt in steps:
        rows = slice(start, start + bt)
        h_prev[rows] = h[:bt]
        pre = h[:bt] @ w_hh_t
        pre += x_proj[rows]
        h_new = xp.maximum(pre, 0, out=pre) if relu else xp.tanh(pre, out=pre)
        h[:bt] = h_new
        out[rows] = h_new
    ctx.arrays = (out, h_prev)
    return out, h


def _backward_rnn(ctx, steps, g_out, dh, grad_cn, w, w_hr, grads):
    xp = ctx.xp
    out, h_prev = ctx.arrays
    deriv = (out > 0).astype(out.dtype) if ctx.mode == "RNN_RELU" else 1 - out * out
    d_gates = xp.empty_like(g_out)
    for start, bt in steps:
        rows = slice(start, start + bt)
        d = d_gates[rows]
        xp.add(dh[:bt], g_out[rows], out=d)
        d *= deriv[rows]
        xp.matmul(d, w, out=dh[:bt])
    return d_gates, d_gates, h_prev


def _forward_lstm(ctx, steps, x_proj, h0, c0, w_hh, b_hh, w_hr):
    xp = ctx.xp
    n_rows, hidden = x_proj.shape[0], c0.shape[1]
    h, c = h0.copy(), c0.copy()
    out = xp.empty((n_rows, h0.shape[1]), dtype=x_proj.dtype)
    h_prev = xp.empty_like(out)
    acts = xp.empty_like(x_proj)
    c_prev = xp.empty((n_rows, hidden), dtype=x_proj.dtype)
    tanh_c = xp.empty_like(c_prev)
    scale, shift = _gate_scale(xp, "LSTM", hidden, x_proj.dtype)
    x_scaled = x_proj * scale
    w_scaled = w_hh.T * scale
    for start, bt in steps:
        rows = slice(start, start + bt)
        h_prev[rows] = h[:bt]
        g = acts[rows]
        xp.matmul(h[:bt], w_scaled, out=g)
        g += x_scaled[rows]
        xp.tanh(g, out=g)
        g *= scale
        g += shift
        c_prev[rows] = c[:bt]
        c_new = g[:, hidden:2 * hidden] * c[:bt]
        c_new += g[:, :hidden] * g[:, 2 * hidden:3 * hidden]
        c[:bt] = c_new
        tc = xp.tanh(c_new, out=tanh_c[rows])
        h_new = tc * g[:, 3 * hidden:]
        if w_hr is not None:
            h_new = h_new @ w_hr.T
        h[:bt] = h_new
        out[rows] = h_new
    ctx.arrays = (acts, c_prev, tanh_c, h_prev)
    return out, h, c


def _backward_lstm(ctx, steps, g_out, dh, grad_cn, w, w_hr, grads):
    xp = ctx.xp
    acts, c_prev, tanh_c, h_prev = ctx.arrays
    n_rows, hidden = acts.shape[0], c_prev.shape[1]
    dc = grad_cn._data.copy()
    proj = w_hr._data if w_hr is not None else None
    dh_all = xp.empty_like(g_out) if proj is not None else None
    i, f = acts[:, :hidden], acts[:, hidden:2 * hidden]
    g, o = acts[:, 2 * hidden:3 * hidden], acts[:, 3 * hidden:]
    coef = xp.empty((n_rows, 3, hidden), dtype=g_out.dtype)
    coef[:, 0] = g * i * (1 - i)
    coef[:, 1] = c_prev * f * (1 - f)
    coef[:, 2] = i * (1 - g * g)
    coef_o = tanh_c * o * (1 - o)
    dc_from_dh = o * (1 - tanh_c * tanh_c)
    d_gates = xp.empty(acts.shape, dtype=g_out.dtype)
    for start, bt in steps:
        rows = slice(start, start + bt)
        dh_t = dh[:bt] + g_out[rows]
        if proj is not None:
            dh_all[rows] = dh_t
            dh_t = dh_t @ proj
        dc_t = dh_t * dc_from_dh[rows]
        dc_t += dc[:bt]
        d = d_gates[rows]
        xp.multiply(coef[rows], dc_t[:, None, :], out=d[:, :3 * hidden].reshape(bt, 3, hidden))
        xp.multiply(dh_t, coef_o[rows], out=d[:, 3 * hidden:])
        xp.multiply(dc_t, f[rows], out=dc[:bt])
        xp.matmul(d, w, out=dh[:bt])
    grads[2] = dc
    if proj is not None and ctx.needs_input_grad[5]:
        grads[5] = dh_all.T @ (tanh_c * o)
    return d_gates, d_gates, h_prev


def _forward_gru(ctx, steps, x_proj, h0, c0, w_hh, b_hh, w_hr):
    xp = ctx.xp
    n_rows, hidden = x_proj.shape[0], h0.shape[1]
    two = 2 * hidden
    h = h0.copy()
    out = xp.empty((n_rows, hidden), dtype=x_proj.dtype)
    h_prev = xp.empty_like(out)
    acts = xp.empty_like(x_proj)
    gh_n = xp.empty_like(out)
    scale, _ = _gate_scale(xp, "GRU", hidden, x_proj.dtype)
    x_scaled = x_proj[:, :two] * scale[:two]
    w_scaled = w_hh.T * scale
    b_scaled = None if b_hh is None else b_hh * scale
    for start, bt in steps:
        rows = slice(start, start + bt)
        hp = h[:bt]
        h_prev[rows] = hp
        gh = hp @ w_scaled
        if b_scaled is not None:
            gh += b_scaled
        a = acts[rows]
        rz = a[:, :two]
        xp.add(x_scaled[rows], gh[:, :two], out=rz)
        xp.tanh(rz, out=rz)
        rz *= 0.5
        rz += 0.5
        gh_n[rows] = gh[:, two:]
        # n = tanh(x_n + r * (W_hn h + b_hn)) needs r first: a second tanh.
        n = a[:, two:]
        xp.multiply(a[:, :hidden], gh[:, two:], out=n)
        n += x_proj[rows, two:]
        xp.tanh(n, out=n)
        h_new = hp - n
        h_new *= a[:, hidden:two]
        h_new += n
        h[:bt] = h_new
        out[rows] = h_new
    ctx.arrays = (acts, gh_n, h_prev)
    return out, h


def _backward_gru(ctx, steps, g_out, dh, grad_cn, w, w_hr, grads):
    xp = ctx.xp
    acts, gh_n, h_prev = ctx.arrays
    hidden = gh_n.shape[1]
    two = 2 * hidden
    r, z, n = acts[:, :hidden], acts[:, hidden:two], acts[:, two:]
    coef_n = (1 - z) * (1 - n * n)
    coef_r = gh_n * r * (1 - r)
    coef_z = (h_prev - n) * z * (1 - z)
    d_gates = xp.empty(acts.shape, dtype=g_out.dtype)
    d_hidden = xp.empty_like(d_gates)     # as d_gates, but r * dn for the new gate
    for start, bt in steps:
        rows = slice(start, start + bt)
        dh_t = dh[:bt] + g_out[rows]
        dn = xp.multiply(dh_t, coef_n[rows], out=d_gates[rows, two:])
        dg = d_hidden[rows]
        xp.multiply(dn, coef_r[rows], out=dg[:, :hidden])
        xp.multiply(dh_t, coef_z[rows], out=dg[:, hidden:two])
        xp.multiply(dn, r[rows], out=dg[:, two:])
        xp.matmul(dg, w, out=dh[:bt])
        dh_t *= z[rows]
        dh[:bt] += dh_t
    d_gates[:, :two] = d_hidden[:, :two]
    return d_gates, d_hidden, h_prev


_FORWARD = {"RNN_TANH": _forward_rnn, "RNN_RELU": _forward_rnn, "LSTM": _forward_lstm,
            "GRU": _forward_gru}
_BACKWARD = {"RNN_TANH": _backward_rnn, "RNN_RELU": _backward_rnn, "LSTM": _backward_lstm,
             "GRU": _backward_gru}


def _composite_backward(ctx, grad_out, grad_hn, grad_cn):
    """Gradients through ``layer_composite`` (used under create_graph, for higher orders)."""
    from ..autograd import grad as autograd_grad
    inputs = ctx.saved_tensors
    with grad_mode.enable_grad():
        outs = layer_composite(ctx.mode, *inputs, batch_sizes=ctx.batch_sizes,
                               reverse=ctx.reverse)
    wanted = [k for k, t in enumerate(inputs)
              if isinstance(t, Tensor) and t.requires_grad and ctx.needs_input_grad[k]]
    grad_outputs = [grad_out, grad_hn] + ([grad_cn] if ctx.mode == "LSTM" else [])
    found = autograd_grad(outs, [inputs[k] for k in wanted], grad_outputs, create_graph=True,
                          allow_unused=True)
    grads = [None] * 6
    for k, g in zip(wanted, found):
        grads[k] = g
    return tuple(grads)


def lstm_cell(gates: Tensor, c: Tensor) -> tuple:
    """(h, c) after one LSTM step, from the summed input and hidden projections (i, f, g, o
    blocks along the last dim) and the previous cell state."""
    hidden = gates.shape[-1] // 4
    i, f = gates[:, :hidden].sigmoid(), gates[:, hidden:2 * hidden].sigmoid()
    g, o = gates[:, 2 * hidden:3 * hidden].tanh(), gates[:, 3 * hidden:].sigmoid()
    c_new = f * c + i * g
    return o * c_new.tanh(), c_new


def gru_cell(gx: Tensor, gh: Tensor, h: Tensor) -> Tensor:
    """h after one GRU step, from the input and hidden projections (r, z, n blocks along the
    last dim, biases included) and the previous hidden state."""
    hidden = gx.shape[-1] // 3
    r = (gx[:, :hidden] + gh[:, :hidden]).sigmoid()
    z = (gx[:, hidden:2 * hidden] + gh[:, hidden:2 * hidden]).sigmoid()
    n = (gx[:, 2 * hidden:] + r * gh[:, 2 * hidden:]).tanh()
    return (1 - z) * n + z * h


def layer_composite(mode, x_proj, h0, c0, w_hh, b_hh, w_hr, *, batch_sizes, reverse):
    """The same layer as ``RecurrentLayer``, written with differentiable Ember ops."""
    cat = _registry.FUNCTIONS["cat"]
    steps = _steps(batch_sizes, x_proj.shape[0], h0.shape[0], reverse)
    h, c = h0, c0
    outputs = {}
    for start, bt in steps:
        gx = x_proj[start:start + bt]
        hp = h[:bt]
        if mode == "LSTM":
            h_new, c_new = lstm_cell(gx + hp @ w_hh.t(), c[:bt])
            if w_hr is not None:
                h_new = h_new @ w_hr.t()
            c = c_new if bt == c.shape[0] else cat([c_new, c[bt:]])
        elif mode == "GRU":
            gh = hp @ w_hh.t()
            h_new = gru_cell(gx, gh if b_hh is None else gh + b_hh, hp)
        else:
            pre = gx + hp @ w_hh.t()
            h_new = pre.tanh() if mode == "RNN_TANH" else _registry.FUNCTIONS["relu"](pre)
        h = h_new if bt == h.shape[0] else cat([h_new, h[bt:]])
        outputs[start] = h_new
    out = cat([outputs[s] for s in sorted(outputs)]) if outputs else \
        x_proj.new_zeros((0, h0.shape[1]))
    return (out, h, c) if mode == "LSTM" else (out, h)


def recurrent_layer(mode: str, x_proj: Tensor, h0: Tensor, c0: Tensor | None, w_hh: Tensor,
                    b_hh: Tensor | None, w_hr: Tensor | None, batch_sizes=None,
                    reverse: bool = False) -> tuple:
    """Run one layer in one direction (see ``RecurrentLayer``)."""
    if mode not in MODES:
        raise ValueError(f"Unknown mode '{mode}'")
    return RecurrentLayer.apply(x_proj, h0, c0, w_hh, b_hh, w_hr, mode=mode,
                                batch_sizes=None if batch_sizes is None else tuple(batch_sizes),
                                reverse=reverse)
