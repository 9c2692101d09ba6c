"""``default_collate`` (a list of samples -> one batch) and ``default_convert`` (no batching).

Tensors and NumPy arrays are stacked with one backend ``stack``; Python floats become float64,
ints int64 and bools bool, as in PyTorch. Containers are transposed and collated per field.
"""
from __future__ import annotations

import collections.abc
import copy
import re
from typing import Any, Callable

import numpy as np

from ... import _dtype
from ..._device import to_device
from ..._tensor import Tensor, _make

__all__ = ["collate", "default_collate", "default_convert", "default_collate_fn_map",
           "default_collate_err_msg_format"]

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, "
    "dicts or lists; found {}")

# Byte strings, unicode strings and objects have no tensor dtype.
_np_str_obj_array_pattern = re.compile(r"[SaUO]")
_CPU = to_device("cpu")


def _check_shapes(arrays: list) -> None:
    shape = arrays[0].shape
    for i, a in enumerate(arrays):
        if a.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(shape)} at entry 0 and {list(a.shape)} at entry {i}")


def collate_tensor_fn(batch: list, *, collate_fn_map=None) -> Tensor:
    elem = batch[0]
    device = elem._device
    for t in batch:
        if t._device != device:
            raise RuntimeError(f"Expected all tensors to be on the same device, but found at "
                               f"least two devices, {device} and {t._device}!")
    arrays = [t._data for t in batch]
    _check_shapes(arrays)
    dt = elem.dtype
    for t in batch:
        if t.dtype != dt:
            dt = _dtype.promote_types(dt, t.dtype)
    # NumPy's promotion differs from PyTorch's (int32 + float32 -> float64), so cast to
    # PyTorch's result type while stacking.
    return _make(device.backend.xp.stack(arrays, dtype=dt.np, casting="unsafe"), device)


def collate_numpy_array_fn(batch: list, *, collate_fn_map=None) -> Tensor:
    elem = batch[0]
    if _np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    _check_shapes(batch)
    out = np.stack(batch)
    _dtype.from_numpy_dtype(out.dtype)
    return _make(out, _CPU)


def collate_numpy_scalar_fn(batch: list, *, collate_fn_map=None) -> Tensor:
    out = np.asarray(batch)
    _dtype.from_numpy_dtype(out.dtype)
    return _make(out, _CPU)


def collate_float_fn(batch: list, *, collate_fn_map=None) -> Tensor:
    return _make(np.array(batch, dtype=np.float64), _CPU)


def collate_int_fn(batch: list, *, collate_fn_map=None) -> Tensor:
    return _make(np.array(batch, dtype=np.int64), _CPU)


def collate_bool_fn(batch: list, *, collate_fn_map=None) -> Tensor:
    return _make(np.array(batch, dtype=np.bool_), _CPU)


def collate_str_fn(batch: list, *, collate_fn_map=None) -> list:
    return batch


default_collate_fn_map: dict[Any, Callable] = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    bool: collate_bool_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def collate(batch: list, *, collate_fn_map: dict | None = None):
    """Collate ``batch`` by element type, using ``collate_fn_map`` for the leaves."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        fn = collate_fn_map.get(elem_type)
        if fn is not None:
            return fn(batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)

    if isinstance(elem, collections.abc.Mapping):
        fields = {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map)
                  for key in elem}
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)
                clone.update(fields)
                return clone
            return elem_type(fields)
        except TypeError:
            return fields
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return elem_type(*(collate(samples, collate_fn_map=collate_fn_map)
                           for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        elem_size = len(elem)
        if not all(len(e) == elem_size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = [collate(samples, collate_fn_map=collate_fn_map)
                      for samples in zip(*batch)]
        if isinstance(elem, tuple):
            return transposed
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                for i, field in enumerate(transposed):
                    clone[i] = field
                return clone
            return elem_type(transposed)
        except TypeError:
            return transposed
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def default_collate(batch: list):
    """Stack a list of samples into a batch: tensors/arrays/numbers -> tensors, containers
    transposed (a tuple sample gives a list), strings kept as a list."""
    return collate(batch, collate_fn_map=default_collate_fn_map)


def default_convert(data):
    """Turn NumPy arrays (and scalars) inside ``data`` into tensors; everything else is kept."""
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray) or isinstance(data, np.generic) and not isinstance(
            data, (np.str_, np.bytes_)):
        if isinstance(data, np.ndarray) and \
                _np_str_obj_array_pattern.search(data.dtype.str) is not None:
            return data
        arr = np.asarray(data)
        if arr.dtype not in _dtype._FROM_NP and np.dtype(arr.dtype) not in _dtype._FROM_NP:
            return data
        return _make(arr, _CPU)
    if isinstance(data, collections.abc.Mapping):
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update({key: default_convert(data[key]) for key in data})
                return clone
            return elem_type({key: default_convert(data[key]) for key in data})
        except TypeError:
            return {key: default_convert(data[key]) for key in data}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(data):
                    clone[i] = default_convert(d)
                return clone
            return elem_type([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
