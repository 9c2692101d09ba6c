"""Dynamic int8 LSTM: qint8 weights, each matmul's input quantized at run time."""
from __future__ import annotations

import numpy as np

from ......_device import CPU
from ......_ops import quantize as _q
from ......_ops.join import cat, stack
from ......_tensor import Tensor, _make
from ......nn.modules.module import Module
from ......nn.modules.rnn import LSTM as _FloatLSTM
from ...modules.utils import quantize_weight

__all__ = ["LSTM"]


class LSTM(Module):
    """LSTM with dynamic int8 matmuls, as PyTorch's x86 backend runs it: the input projection
    of a whole sequence is one dynamic linear (one quantization range for all time steps),
    the hidden projection one per step; gates are float32. Projections (``proj_size``) and
    packed sequences are not supported."""

    _FLOAT_MODULE = (_FloatLSTM,)

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, dtype=None) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional = bidirectional
        self.reduce_range = True
        self._cells: list = []  # per layer and direction: (w_ih, b_ih, w_hh, b_hh)

    def _get_name(self) -> str:
        return "DynamicQuantizedLSTM"

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.batch_first:
            text += ", batch_first=True"
        return text + (", bidirectional=True" if self.bidirectional else "")

    def _linear(self, x: Tensor, weight, bias) -> Tensor:
        return _q.linear_dynamic(x, weight, bias, self.reduce_range)

    def _direction(self, x: Tensor, h: Tensor, c: Tensor, cell: tuple, reverse: bool):
        w_ih, b_ih, w_hh, b_hh = cell
        projected = self._linear(x, w_ih, b_ih)
        outputs = [None] * x.shape[0]
        for t in (reversed(range(x.shape[0])) if reverse else range(x.shape[0])):
            gates = self._linear(h, w_hh, b_hh) + projected[t]
            i, f, g, o = gates.chunk(4, -1)
            c = f.sigmoid() * c + i.sigmoid() * g.tanh()
            h = o.sigmoid() * c.tanh()
            outputs[t] = h
        return stack(outputs), h, c

    def forward(self, input: Tensor, hx: tuple | None = None) -> tuple:
        if not isinstance(input, Tensor):
            raise NotImplementedError("dynamic quantized LSTM takes padded tensors only, not "
                                      "packed sequences")
        batched = input.ndim == 3
        x = input if batched else input.unsqueeze(1)
        if self.batch_first and batched:
            x = x.transpose(0, 1)
        directions = 2 if self.bidirectional else 1
        if hx is None:
            zeros = _make(np.zeros((self.num_layers * directions, x.shape[1], self.hidden_size),
                                   np.float32), CPU)
            hx = (zeros, zeros)
        elif not batched:
            hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
        last_h, last_c = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                index = layer * directions + direction
                out, h, c = self._direction(x, hx[0][index], hx[1][index], self._cells[index],
                                            direction == 1)
                outputs.append(out)
                last_h.append(h)
                last_c.append(c)
            x = outputs[0] if directions == 1 else cat(outputs, -1)
        h_n, c_n = stack(last_h), stack(last_c)
        if self.batch_first and batched:
            x = x.transpose(0, 1)
        if not batched:
            x, h_n, c_n = x.squeeze(1), h_n.squeeze(1), c_n.squeeze(1)
        return x, (h_n, c_n)

    @classmethod
    def from_float(cls, mod: Module, use_precomputed_fake_quant: bool = False) -> "LSTM":
        """A dynamic quantized copy of a float LSTM; each weight observed on its own."""
        if not isinstance(mod, cls._FLOAT_MODULE):
            raise AssertionError(f"nn.quantized.dynamic.LSTM.from_float only works for "
                                 f"nn.LSTM, got {type(mod).__name__}")
        if not hasattr(mod, "qconfig"):
            raise AssertionError("Input float module must have qconfig defined")
        if mod.proj_size:
            raise NotImplementedError("dynamic quantized LSTM does not support proj_size")
        from .....quantization.qconfig import default_dynamic_qconfig
        qconfig = mod.qconfig if mod.qconfig is not None else default_dynamic_qconfig
        qlstm = cls(mod.input_size, mod.hidden_size, mod.num_layers, mod.bias, mod.batch_first,
                    mod.dropout, mod.bidirectional)

        def packed(name: str):
            observer = qconfig.weight()
            weight = getattr(mod, name).detach().float()
            observer(weight)
            return _q.PackedWeight(quantize_weight(weight, observer))

        def bias(name: str):
            return getattr(mod, name).detach().float() if mod.bias else None
        for names in mod._all_weights:
            suffix = names[0][len("weight_ih"):]
            qlstm._cells.append((packed("weight_ih" + suffix), bias("bias_ih" + suffix),
                                 packed("weight_hh" + suffix), bias("bias_hh" + suffix)))
        return qlstm
