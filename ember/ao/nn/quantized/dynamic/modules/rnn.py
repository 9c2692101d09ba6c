"""Dynamic int8 LSTM and GRU: qint8 weights, each matmul's input quantized at run time."""
from __future__ import annotations

import numpy as np

from ......_device import CPU
from ......_ops import quantized_gemm as _gemm
from ......_ops.join import cat, stack
from ......_ops.rnn import gru_cell, lstm_cell
from ......_tensor import Tensor, _make
from ......nn.modules.module import Module
from ...modules._state import QuantizedState
from ......nn.modules.rnn import GRU as _FloatGRU
from ......nn.modules.rnn import LSTM as _FloatLSTM
from ...modules.utils import quantize_weight

__all__ = ["LSTM", "GRU"]


class _RNNBase(QuantizedState):
    """Recurrent layers with dynamic int8 matmuls, as PyTorch's x86 backend runs them: the
    input projection of a whole sequence is one dynamic linear (one quantization range for all
    time steps), the hidden projection one per step; gates are float32. Projections
    (``proj_size``) and packed sequences are not supported.

    The state dict uses torch's keys (``_all_weight_values.<i>.param``), each holding the
    tuple (weight_ih, bias_ih, weight_hh, bias_hh) of one layer and direction; torch stores
    TorchScript objects there, so these checkpoints load in Ember only."""

    _FLOAT_MODULE: tuple = ()
    _lstm = False

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
        return "DynamicQuantized" + type(self).__name__

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.batch_first:
            text += ", batch_first=True"
        return text + (", bidirectional=True" if self.bidirectional else "")

    def _state(self) -> dict:
        return {f"_all_weight_values.{i}.param": (w_ih.qweight, b_ih, w_hh.qweight, b_hh)
                for i, (w_ih, b_ih, w_hh, b_hh) in enumerate(self._cells)}

    def _set_state(self, state: dict) -> None:
        self._cells = [(_gemm.PackedWeight(w_ih), b_ih, _gemm.PackedWeight(w_hh), b_hh)
                       for w_ih, b_ih, w_hh, b_hh in (state[f"_all_weight_values.{i}.param"]
                                                      for i in range(len(state)))]

    def _linear(self, x: Tensor, weight, bias) -> Tensor:
        return _gemm.linear_dynamic(x, weight, bias, self.reduce_range)

    def _direction(self, x: Tensor, state: tuple, cell: tuple, reverse: bool):
        w_ih, b_ih, w_hh, b_hh = cell
        projected = self._linear(x, w_ih, b_ih)
        outputs = [None] * x.shape[0]
        for t in (reversed(range(x.shape[0])) if reverse else range(x.shape[0])):
            state = self._step(projected[t], self._linear(state[0], w_hh, b_hh), state)
            outputs[t] = state[0]
        return stack(outputs), state

    def forward(self, input: Tensor, hx=None) -> tuple:
        if not isinstance(input, Tensor):
            raise NotImplementedError(f"dynamic quantized {type(self).__name__} takes padded "
                                      "tensors only, not packed sequences")
        batched = input.ndim == 3
        x = input if batched else input.unsqueeze(1)
        if self.batch_first and batched:
            x = x.transpose(0, 1)
        directions = 2 if self.bidirectional else 1
        if hx is None:
            zeros = _make(np.zeros((self.num_layers * directions, x.shape[1], self.hidden_size),
                                   np.float32), CPU)
            states = (zeros, zeros) if self._lstm else (zeros,)
        else:
            states = tuple(hx) if self._lstm else (hx,)
            if not batched:
                states = tuple(s.unsqueeze(1) for s in states)
        finals = []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                index = layer * directions + direction
                out, state = self._direction(x, tuple(s[index] for s in states),
                                             self._cells[index], direction == 1)
                outputs.append(out)
                finals.append(state)
            x = outputs[0] if directions == 1 else cat(outputs, -1)
        final = tuple(stack(parts) for parts in zip(*finals))
        if self.batch_first and batched:
            x = x.transpose(0, 1)
        if not batched:
            x, final = x.squeeze(1), tuple(s.squeeze(1) for s in final)
        return x, (final if self._lstm else final[0])

    @classmethod
    def from_float(cls, mod: Module, use_precomputed_fake_quant: bool = False) -> "_RNNBase":
        """A dynamic quantized copy of a float layer; each weight observed on its own."""
        if not isinstance(mod, cls._FLOAT_MODULE):
            raise AssertionError(f"nn.quantized.dynamic.{cls.__name__}.from_float only works "
                                 f"for nn.{cls.__name__}, got {type(mod).__name__}")
        if not hasattr(mod, "qconfig"):
            raise AssertionError("Input float module must have qconfig defined")
        if getattr(mod, "proj_size", 0):
            raise NotImplementedError("dynamic quantized LSTM does not support proj_size")
        from .....quantization.qconfig import default_dynamic_qconfig
        qconfig = mod.qconfig if mod.qconfig is not None else default_dynamic_qconfig
        qlstm = cls(mod.input_size, mod.hidden_size, mod.num_layers, mod.bias, mod.batch_first,
                    mod.dropout, mod.bidirectional)

        def packed(name: str):
            observer = qconfig.weight()
            weight = getattr(mod, name).detach().float()
            observer(weight)
            return _gemm.PackedWeight(quantize_weight(weight, observer))

        def bias(name: str):
            return getattr(mod, name).detach().float() if mod.bias else None
        for names in mod._all_weights:
            suffix = names[0][len("weight_ih"):]
            qlstm._cells.append((packed("weight_ih" + suffix), bias("bias_ih" + suffix),
                                 packed("weight_hh" + suffix), bias("bias_hh" + suffix)))
        return qlstm


class LSTM(_RNNBase):
    """Dynamic quantized LSTM; gates in PyTorch's order (input, forget, cell, output)."""

    _FLOAT_MODULE = (_FloatLSTM,)
    _lstm = True

    @staticmethod
    def _step(projected_input: Tensor, projected_hidden: Tensor, state: tuple) -> tuple:
        return lstm_cell(projected_input + projected_hidden, state[1])


class GRU(_RNNBase):
    """Dynamic quantized GRU; gates (reset, update, new) as PyTorch."""

    _FLOAT_MODULE = (_FloatGRU,)

    @staticmethod
    def _step(projected_input: Tensor, projected_hidden: Tensor, state: tuple) -> tuple:
        return (gru_cell(projected_input, projected_hidden, state[0]),)
