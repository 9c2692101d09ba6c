"""Recurrent layers: RNN, LSTM, GRU and their single-step cells.

Each layer and direction does its input projection for all time steps in one matmul, then runs
``ember._ops.rnn.recurrent_layer`` (a fused op looping over time steps only). Packed sequences
go through the same op in their packed layout, so no padding work is done.
"""
from __future__ import annotations

import math
import numbers
import warnings

import ember
from ..._ops.rnn import recurrent_layer
from ..._tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _check_positive_int(name: str, value) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be greater than zero")


class RNNBase(Module):
    """Base of RNN, LSTM and GRU: parameters, argument checks and the layer loop."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__()
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or \
                isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        _check_positive_int("hidden_size", hidden_size)
        _check_positive_int("num_layers", num_layers)
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        real_hidden_size = proj_size if proj_size > 0 else hidden_size
        factory = {"device": device, "dtype": dtype}
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input_size = input_size if layer == 0 else real_hidden_size * num_directions
                shapes = [("weight_ih", (gate_size, layer_input_size)),
                          ("weight_hh", (gate_size, real_hidden_size))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                suffix = "_reverse" if direction == 1 else ""
                names = []
                for kind, shape in shapes:
                    name = f"{kind}_l{layer}{suffix}"
                    setattr(self, name, Parameter(ember.empty(shape, **factory)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias uniform in (-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """Kept for API compatibility: Ember's weights need no flattening."""

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # -- argument checks, as PyTorch words them ------------------------------------------------
    def check_input(self, input: Tensor, batch_sizes) -> None:
        expected = 2 if batch_sizes is not None else 3
        if input.dim() != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.size(-1)}")

    def get_expected_hidden_size(self, input: Tensor, batch_sizes) -> tuple:
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * num_directions, mini_batch, hidden)

    def check_hidden_size(self, hx: Tensor, expected_hidden_size: tuple,
                          msg: str = "Expected hidden size {}, got {}") -> None:
        if tuple(hx.size()) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def check_forward_args(self, input: Tensor, hidden: Tensor, batch_sizes) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return hx[:, permutation]

    # -- the computation ------------------------------------------------------------------------
    def _run(self, x: Tensor, h0: Tensor, c0: Tensor | None, batch_sizes) -> tuple:
        """All layers over packed-layout ``x``; returns (output, h_n, c_n)."""
        num_directions = 2 if self.bidirectional else 1
        gru = self.mode == "GRU"
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for direction in range(num_directions):
                index = layer * num_directions + direction
                weights = self.all_weights[index]
                w_ih, w_hh = weights[0], weights[1]
                b_ih = b_hh = w_hr = None
                if self.bias:
                    b_ih, b_hh = weights[2], weights[3]
                if self.proj_size > 0:
                    w_hr = weights[-1]
                proj = x @ w_ih.t()
                if b_ih is not None:
                    proj = proj + (b_ih if gru else b_ih + b_hh)
                result = recurrent_layer(self.mode, proj, h0[index],
                                         None if c0 is None else c0[index], w_hh,
                                         b_hh if gru else None, w_hr, batch_sizes,
                                         reverse=direction == 1)
                outs.append(result[0])
                h_n.append(result[1])
                if c0 is not None:
                    c_n.append(result[2])
            x = outs[0] if num_directions == 1 else ember.cat(outs, 1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, training=True)
        return x, ember.stack(h_n), (ember.stack(c_n) if c0 is not None else None)

    def _forward(self, input, hx, lstm: bool):
        packed = isinstance(input, PackedSequence)
        if packed:
            data, batch_sizes, sorted_indices, unsorted_indices = input
            batch_sizes_list = [int(b) for b in batch_sizes.tolist()]
            max_batch = batch_sizes_list[0]
            is_batched = True
        else:
            data, batch_sizes_list, sorted_indices, unsorted_indices = input, None, None, None
            if input.dim() not in (2, 3):
                name = "RNN" if self.mode.startswith("RNN") else self.mode
                word = " tensor" if name == "RNN" else ""
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D"
                                 f"{word} instead")
            is_batched = input.dim() == 3
            batch_dim = 0 if self.batch_first else 1
            if not is_batched:
                data = input.unsqueeze(batch_dim)
            max_batch = data.size(0) if self.batch_first else data.size(1)
        hx = self._check_hx_dims(hx, is_batched, lstm)
        num_directions = 2 if self.bidirectional else 1
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        if hx is None:
            zeros = ember.zeros(self.num_layers * num_directions, max_batch, real_hidden,
                                dtype=data.dtype, device=data.device)
            h0 = zeros
            c0 = ember.zeros(self.num_layers * num_directions, max_batch, self.hidden_size,
                             dtype=data.dtype, device=data.device) if lstm else None
        elif lstm:
            h0 = self.permute_hidden(hx[0], sorted_indices)
            c0 = self.permute_hidden(hx[1], sorted_indices)
        else:
            h0, c0 = self.permute_hidden(hx, sorted_indices), None
        self.check_input(data, batch_sizes_list)
        expected = self.get_expected_hidden_size(data, batch_sizes_list)
        if lstm:
            self.check_hidden_size(h0, expected, "Expected hidden[0] size {}, got {}")
            self.check_hidden_size(c0, (expected[0], expected[1], self.hidden_size),
                                   "Expected hidden[1] size {}, got {}")
        else:
            self.check_hidden_size(h0, expected)
        if packed:
            x = data
        else:
            seq_first = data.transpose(0, 1) if self.batch_first else data
            steps, batch = seq_first.shape[0], seq_first.shape[1]
            x = seq_first.reshape(steps * batch, self.input_size)
        out, h_n, c_n = self._run(x, h0, c0, batch_sizes_list)
        if packed:
            output = PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices)
            h_n = self.permute_hidden(h_n, unsorted_indices)
            c_n = self.permute_hidden(c_n, unsorted_indices) if lstm else None
        else:
            output = out.reshape(steps, batch, out.shape[-1])
            if self.batch_first:
                output = output.transpose(0, 1)
            if not is_batched:
                output = output.squeeze(1 if not self.batch_first else 0)
                h_n = h_n.squeeze(1)
                c_n = c_n.squeeze(1) if lstm else None
        return output, ((h_n, c_n) if lstm else h_n)

    def _check_hx_dims(self, hx, is_batched: bool, lstm: bool):
        if hx is None:
            return None
        if lstm:
            if is_batched:
                if hx[0].dim() != 3 or hx[1].dim() != 3:
                    raise RuntimeError(f"For batched 3-D input, hx and cx should also be 3-D but "
                                       f"got ({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
                return hx
            if hx[0].dim() != 2 or hx[1].dim() != 2:
                raise RuntimeError(f"For unbatched 2-D input, hx and cx should also be 2-D but "
                                   f"got ({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
            return hx[0].unsqueeze(1), hx[1].unsqueeze(1)
        if is_batched:
            if hx.dim() != 3:
                raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got "
                                   f"{hx.dim()}-D tensor")
            return hx
        if hx.dim() != 2:
            raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got "
                               f"{hx.dim()}-D tensor")
        return hx.unsqueeze(1)

    def forward(self, input, hx=None):
        return self._forward(input, hx, lstm=False)


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu)."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' "
                             "or 'relu'.")
        super().__init__(mode, *args, **kwargs)


class LSTM(RNNBase):
    """Long short-term memory; gates in PyTorch's order (input, forget, cell, output)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input: Tensor, batch_sizes) -> tuple:
        expected = self.get_expected_hidden_size(input, batch_sizes)
        return (expected[0], expected[1], self.hidden_size)

    def forward(self, input, hx=None):
        return self._forward(input, hx, lstm=True)


class GRU(RNNBase):
    """Gated recurrent unit; gates (reset, update, new), ``n = tanh(W_in x + b_in +
    r * (W_hn h + b_hn))`` as PyTorch."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


class RNNCellBase(Module):
    """Base of the single-step cells: ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        factory = {"device": device, "dtype": dtype}
        self.weight_ih = Parameter(ember.empty(num_chunks * hidden_size, input_size, **factory))
        self.weight_hh = Parameter(ember.empty(num_chunks * hidden_size, hidden_size, **factory))
        if bias:
            self.bias_ih = Parameter(ember.empty(num_chunks * hidden_size, **factory))
            self.bias_hh = Parameter(ember.empty(num_chunks * hidden_size, **factory))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _step(self, mode: str, input: Tensor, hx, lstm: bool):
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        states = hx if lstm and hx is not None else ((hx,) if hx is not None else ())
        for k, state in enumerate(states):
            if state.dim() not in (1, 2):
                which = "hx and cx" if lstm else "hidden"
                raise ValueError(f"{name}: Expected {which} to be 1D or 2D, got "
                                 f"{state.dim()}D instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
            states = tuple(s.unsqueeze(0) for s in states)
        if input.size(1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} expected "
                               f"{self.input_size}")
        batch = input.size(0)
        if not states:
            zeros = ember.zeros(batch, self.hidden_size, dtype=input.dtype, device=input.device)
            states = (zeros, zeros) if lstm else (zeros,)
        for k, state in enumerate(states):
            if state.size(0) != batch:
                raise RuntimeError(f"Input batch size {batch} doesn't match hidden{k} batch size "
                                   f"{state.size(0)}")
            if state.size(1) != self.hidden_size:
                raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got "
                                   f"{state.size(1)}, expected {self.hidden_size}")
        gru = mode == "GRU"
        proj = input @ self.weight_ih.t()
        if self.bias:
            proj = proj + (self.bias_ih if gru else self.bias_ih + self.bias_hh)
        result = recurrent_layer(mode, proj, states[0], states[1] if lstm else None,
                                 self.weight_hh, self.bias_hh if gru else None, None)
        if lstm:
            h, c = result[1], result[2]
            return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))
        return result[1] if is_batched else result[1].squeeze(0)


class RNNCell(RNNCellBase):
    """One Elman RNN step (tanh or relu)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device,
                         dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return self._step(mode, input, hx, lstm=False)


class LSTMCell(RNNCellBase):
    """One LSTM step; returns ``(h_1, c_1)``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device,
                         dtype=dtype)

    def forward(self, input: Tensor, hx: tuple | None = None) -> tuple:
        return self._step("LSTM", input, hx, lstm=True)


class GRUCell(RNNCellBase):
    """One GRU step."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device,
                         dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._step("GRU", input, hx, lstm=False)
