"""Connectionist temporal classification loss (ctc_loss): the forward-backward recursion over
the blank-extended targets, every sequence of the batch at once, one NumPy pass per time step."""
from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from .._tensor import Tensor, _make
from ._registry import export
from .loss import _check_reduction


def _ctc_lse(*terms):
    """log(sum(exp(terms))) elementwise, -inf safe."""
    stacked = np.stack(terms)
    peak = stacked.max(axis=0)
    safe = np.where(np.isfinite(peak), peak, 0.0)
    with np.errstate(divide="ignore"):
        return safe + np.log(np.exp(stacked - safe).sum(axis=0))


class CTCLoss(Op):
    """Per-sample CTC negative log likelihood by the forward (alpha) recursion in log space; the
    backward (beta) recursion gives the gradient, computed in forward as PyTorch does."""

    _backward_name = "CtcLossBackward0"

    @staticmethod
    def forward(ctx, log_probs, labels, input_lengths, target_lengths, blank, zero_infinity):
        backend = ctx.backend
        lp = backend.to_host(log_probs).astype(np.float64)
        n_time, batch, n_classes = lp.shape
        width = labels.shape[1] * 2 + 1
        ext = np.full((batch, width), blank, dtype=np.int64)
        ext[:, 1::2] = labels
        # s may come from s - 2 when it is a label differing from the label two back.
        skip = np.zeros((batch, width), dtype=bool)
        skip[:, 3::2] = labels[:, 1:] != labels[:, :-1]
        rows = np.arange(batch)[:, None]
        emit = lp[:, rows, ext]                                  # (T, N, width)
        ninf = -np.inf
        last = 2 * target_lengths                                # index of the final blank
        alpha = np.full((n_time, batch, width), ninf)
        alpha[0, :, 0] = emit[0, :, 0]
        alpha[0, :, 1] = np.where(target_lengths > 0, emit[0, :, 1], ninf)
        for t in range(1, n_time):
            prev = alpha[t - 1]
            shift1 = np.concatenate([np.full((batch, 1), ninf), prev[:, :-1]], axis=1)
            shift2 = np.concatenate([np.full((batch, 2), ninf), prev[:, :-2]], axis=1)
            alpha[t] = _ctc_lse(prev, shift1, np.where(skip, shift2, ninf)) + emit[t]
        end = input_lengths - 1
        final = alpha[end, np.arange(batch)]                     # (N, width)
        tail = np.take_along_axis(final, np.stack([last, np.maximum(last - 1, 0)], 1), 1)
        tail[:, 1] = np.where(target_lengths > 0, tail[:, 1], ninf)
        nll = -_ctc_lse(tail[:, 0], tail[:, 1])
        beta = np.full((n_time, batch, width), ninf)
        positions = np.arange(width)[None, :]
        for t in range(n_time - 1, -1, -1):
            starting = (t == end)[:, None]
            init = np.where((positions == last[:, None]) | ((positions == last[:, None] - 1)
                                                            & (target_lengths[:, None] > 0)),
                            emit[t], ninf)
            if t + 1 < n_time:
                nxt = beta[t + 1]
                shift1 = np.concatenate([nxt[:, 1:], np.full((batch, 1), ninf)], axis=1)
                shift2 = np.concatenate([nxt[:, 2:], np.full((batch, 2), ninf)], axis=1)
                skip_next = np.concatenate([skip[:, 2:], np.zeros((batch, 2), bool)], axis=1)
                step = _ctc_lse(nxt, shift1, np.where(skip_next, shift2, ninf)) + emit[t]
            else:
                step = np.full((batch, width), ninf)
            beta[t] = np.where(starting, init, np.where((t < end)[:, None], step, ninf))
        ab = alpha + beta                                        # (T, N, width)
        peak = ab.max(axis=2, keepdims=True)
        peak = np.where(np.isfinite(peak), peak, 0.0)
        onehot = (ext[:, :, None] == np.arange(n_classes)).astype(np.float64)  # (N, width, C)
        summed = np.matmul(np.exp(ab - peak).transpose(1, 0, 2), onehot).transpose(1, 0, 2)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            lcab = np.log(summed) + peak
            grad = np.exp(lp) - np.exp(lcab + nll[None, :, None] - lp)
        grad = np.where(np.arange(n_time)[:, None, None] < input_lengths[None, :, None], grad, 0)
        if zero_infinity:
            infinite = ~np.isfinite(nll)
            nll = np.where(infinite, 0.0, nll)
            grad = np.where(infinite[None, :, None], 0.0, grad)
        ctx.grad_array = backend.from_host(np.nan_to_num(grad).astype(log_probs.dtype))
        return backend.from_host(nll.astype(log_probs.dtype))

    @staticmethod
    def backward(ctx, grad):
        per_sample = _make(ctx.grad_array, ctx.device)
        return per_sample * grad.unsqueeze(-1), None, None, None, None, None


def _lengths(value) -> np.ndarray:
    if isinstance(value, Tensor):
        return np.asarray(value._device.backend.to_host(value._data)).astype(np.int64).reshape(-1)
    return np.asarray(value, dtype=np.int64).reshape(-1)


@export(nn=True, method=False)
def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """CTC loss of (T, N, C) or unbatched (T, C) log-probabilities; ``targets`` padded (N, S)
    or concatenated 1-D. 'mean' divides each loss by its target length, then averages."""
    _check_reduction(reduction)
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
        targets = targets.reshape(1, -1) if targets.ndim == 1 else targets
    if log_probs.ndim != 3:
        raise RuntimeError(f"ctc_loss: expected log_probs to be 2D or 3D, got {log_probs.ndim}D")
    n_time, batch, n_classes = log_probs.shape
    in_lens = _lengths(input_lengths)
    tgt_lens = _lengths(target_lengths)
    if in_lens.size != batch:
        raise RuntimeError(f"input_lengths must be of size batch_size, but got {in_lens.size}")
    if tgt_lens.size != batch:
        raise RuntimeError(f"target_lengths must be of size batch_size, but got {tgt_lens.size}")
    if (in_lens > n_time).any():
        raise RuntimeError(f"Expected input_lengths to have value at most {n_time}, but got "
                           f"value {int(in_lens.max())}")
    if not 0 <= blank < n_classes:
        raise RuntimeError("blank must be in label range")
    flat = np.asarray(targets._device.backend.to_host(targets._data)).astype(np.int64)
    max_len = int(tgt_lens.max()) if batch else 0
    labels = np.full((batch, max(max_len, 1)), blank, dtype=np.int64)
    if flat.ndim == 1:
        offsets = np.concatenate([[0], np.cumsum(tgt_lens)[:-1]])
        for n in range(batch):  # one slice per sample, no per-element work
            labels[n, :tgt_lens[n]] = flat[offsets[n]:offsets[n] + tgt_lens[n]]
    else:
        if (tgt_lens > flat.shape[1]).any():
            raise RuntimeError(f"Expected tensor to have size at least {int(tgt_lens.max())} at "
                               f"dimension 1, but got size {flat.shape[1]}")
        width = min(flat.shape[1], labels.shape[1])
        labels[:, :width] = flat[:, :width]
        labels = np.where(np.arange(labels.shape[1]) < tgt_lens[:, None], labels, blank)
    losses = CTCLoss.apply(log_probs, labels, in_lens, tgt_lens, int(blank), bool(zero_infinity))
    if reduction == "mean":
        divisor = np.maximum(tgt_lens, 1).astype(log_probs._data.dtype)
        scaled = losses / _make(log_probs._device.backend.from_host(divisor), log_probs._device)
        return scaled.mean()
    if reduction == "sum":
        return losses.sum()
    return losses.reshape(()) if unbatched else losses
