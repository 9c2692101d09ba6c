"""Variable-length sequences: PackedSequence, packing, padding (``torch.nn.utils.rnn``).

A packed batch stores time step ``t`` of every sequence still running at ``t`` as consecutive
rows, longest sequences first; ``batch_sizes[t]`` says how many. Packing and unpacking are one
gather or scatter each (index arrays built once with NumPy), never a loop over batch items.
"""
from __future__ import annotations

from collections import namedtuple
import numpy as np

import ember
from ..._tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]

_PackedSequenceBase = namedtuple("PackedSequence",
                                 ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_PackedSequenceBase):
    """Holds the data and ``batch_sizes`` of a packed batch of sequences."""

    def __new__(cls, data: Tensor, batch_sizes: Tensor | None = None,
                sorted_indices: Tensor | None = None, unsorted_indices: Tensor | None = None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # PackedSequence(*pack_result) with a (data, batch_sizes) pair
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> "PackedSequence":
        """Move or cast ``data`` (indices follow its device)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        device = data.device
        sorted_i = None if self.sorted_indices is None else self.sorted_indices.to(device)
        unsorted_i = None if self.unsorted_indices is None else self.unsorted_indices.to(device)
        return type(self)(data, self.batch_sizes, sorted_i, unsorted_i)

    def cuda(self, *args, **kwargs) -> "PackedSequence":
        return self.to(*(args or ("cuda",)), **kwargs)

    def cpu(self, *args, **kwargs) -> "PackedSequence":
        return self.to("cpu")

    def double(self) -> "PackedSequence":
        return self.to(dtype=ember.float64)

    def float(self) -> "PackedSequence":
        return self.to(dtype=ember.float32)

    def half(self) -> "PackedSequence":
        return self.to(dtype=ember.float16)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return False


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The permutation that undoes ``permutation``."""
    if permutation is None:
        return None
    perm = np.asarray(permutation._host(), dtype=np.int64)
    inverse = np.empty_like(perm)
    inverse[perm] = np.arange(perm.shape[0], dtype=np.int64)
    return ember.tensor(inverse, device=permutation.device)


def _lengths_array(lengths) -> np.ndarray:
    if isinstance(lengths, Tensor):
        return np.asarray(lengths._host(), dtype=np.int64).reshape(-1)
    return np.asarray(lengths, dtype=np.int64).reshape(-1)


def _packed_index(lengths_sorted: np.ndarray) -> tuple:
    """(time, batch) index of every packed row, and the batch sizes."""
    max_len = int(lengths_sorted[0]) if lengths_sorted.size else 0
    batch_sizes = (lengths_sorted[None, :] > np.arange(max_len)[:, None]).sum(axis=1)
    running = np.arange(max_len)[:, None] < lengths_sorted[None, :]
    time_idx, batch_idx = np.nonzero(running)
    return time_idx, batch_idx, batch_sizes.astype(np.int64)


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded ``(T, B, *)`` batch (``(B, T, *)`` with ``batch_first``)."""
    lengths_np = _lengths_array(lengths)
    if enforce_sorted:
        if np.any(lengths_np[1:] > lengths_np[:-1]):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                               "`enforce_sorted` is True. You can pass `enforce_sorted=False` to "
                               "pack_padded_sequence and/or pack_sequence to sidestep this "
                               "requirement if you do not need ONNX exportability.")
        order = None
    else:
        order = np.argsort(-lengths_np, kind="stable")
        lengths_np = lengths_np[order]
    if lengths_np.size and lengths_np[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element "
                           "in 'lengths' that is <= 0")
    time_dim = 1 if batch_first else 0
    if lengths_np.size and lengths_np[0] > input.shape[time_dim]:
        raise RuntimeError(f"Expected sequence length to be at most {input.shape[time_dim]}, "
                           f"but got a sequence of length {int(lengths_np[0])}")
    time_idx, batch_idx, batch_sizes = _packed_index(lengths_np)
    if order is not None:
        batch_idx = order[batch_idx]
    key = (batch_idx, time_idx) if batch_first else (time_idx, batch_idx)
    data = input[key]
    sorted_indices = None if order is None else ember.tensor(order, device=input.device)
    return PackedSequence(data, ember.tensor(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: int | None = None) -> tuple:
    """Unpack to ``(padded, lengths)``, sequences back in their original order."""
    data, batch_sizes = sequence.data, _lengths_array(sequence.batch_sizes)
    max_len = batch_sizes.shape[0]
    if total_length is not None:
        if total_length < max_len:
            raise ValueError(f"Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {max_len}")
        max_len = total_length
    batch = int(batch_sizes[0]) if batch_sizes.size else 0
    lengths = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(axis=1)
    time_idx, batch_idx, _ = _packed_index(lengths)
    if sequence.unsorted_indices is not None:
        sorted_np = np.asarray(sequence.sorted_indices._host(), dtype=np.int64)
        batch_idx = sorted_np[batch_idx]
        lengths = lengths[np.asarray(sequence.unsorted_indices._host(), dtype=np.int64)]
    shape = (batch, max_len) if batch_first else (max_len, batch)
    padded = ember.full(shape + tuple(data.shape[1:]), padding_value, dtype=data.dtype,
                        device=data.device)
    padded[(batch_idx, time_idx) if batch_first else (time_idx, batch_idx)] = data
    return padded, ember.tensor(lengths.astype(np.int64))


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack tensors of shape ``(L_i, *)`` into ``(max L, B, *)`` (``(B, max L, *)``)."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = list(sequences)
    lengths = np.array([s.shape[0] for s in sequences], dtype=np.int64)
    max_len = int(lengths.max()) if lengths.size else 0
    first = sequences[0]
    shape = (len(sequences), max_len) if batch_first else (max_len, len(sequences))
    padded = ember.full(shape + tuple(first.shape[1:]), padding_value, dtype=first.dtype,
                        device=first.device)
    batch_idx = np.repeat(np.arange(len(sequences)), lengths)
    starts = np.cumsum(lengths) - lengths
    time_idx = np.arange(int(lengths.sum())) - np.repeat(starts, lengths)
    if padding_side == "left":
        time_idx = time_idx + np.repeat(max_len - lengths, lengths)
    data = ember.cat(sequences) if len(sequences) > 1 else sequences[0]
    padded[(batch_idx, time_idx) if batch_first else (time_idx, batch_idx)] = data
    return padded


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor,
                   batch_first: bool = False) -> list:
    """Split a padded batch back into a list of tensors of their own lengths."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[i, :int(n)] for i, n in enumerate(_lengths_array(lengths))]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of tensors of shape ``(L_i, *)``."""
    lengths = ember.tensor([s.shape[0] for s in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The list of tensors ``pack_sequence`` was given."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
