"""How a worker hands a batch to the main process: large arrays through shared memory.

Sending a batch of images down the result pipe costs a pickle copy, a pipe transfer in 64 KiB
steps and an unpickle copy: for a (64, 3, 224, 224) float32 batch that was ~120 ms of the main
process's time. Instead the worker pickles the batch with protocol 5, which hands every large
contiguous NumPy buffer (tensors pickle as their host arrays) to a callback instead of copying
it into the pickle; those buffers are written into one file in ``/dev/shm`` and only the small
pickle and the file's name go down the pipe. The main process maps the file, unlinks it at
once (its memory is freed when the last array viewing it goes away) and unpickles the arrays
straight onto the mapping: no copy on the receiving side.

PyTorch moves tensor storages into shared memory and passes file descriptors; this is the same
idea, done per batch. Without a writable ``/dev/shm`` (or when it is full) batches go in-band.
A batch's file lives from the worker's write to the main process's read; files of batches never
read are deleted when the loader shuts its workers down (a main process killed outright leaves
them behind, as PyTorch's ``file_system`` sharing strategy does).
"""
from __future__ import annotations

import copyreg
import io
import mmap
import os
import pickle
from multiprocessing.reduction import ForkingPickler
from typing import Any

# Buffers smaller than this stay inside the pickle: a file costs more than copying them.
OUT_OF_BAND_MIN_BYTES = 64 << 10
_SHM_DIR = "/dev/shm"
_ALIGN = 64


class PackedBatch:
    """A batch pickled in the worker; its large buffers, if any, wait in the file ``path``."""

    __slots__ = ("payload", "path", "layout")

    def __init__(self, payload: bytes, path: str | None = None,
                 layout: list[tuple[int, int]] | None = None) -> None:
        self.payload = payload
        self.path = path
        self.layout = layout or []  # (offset, nbytes) of each out-of-band buffer, in order

    def load(self) -> Any:
        """The batch, its large arrays viewing the mapped file (unlinked here)."""
        if self.path is None:
            return pickle.loads(self.payload)
        fd = os.open(self.path, os.O_RDWR)
        try:
            os.unlink(self.path)
            flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
            mapped = mmap.mmap(fd, os.fstat(fd).st_size, flags=flags)
        finally:
            os.close(fd)
        view = memoryview(mapped)
        return pickle.loads(self.payload,
                            buffers=[view[offset:offset + n] for offset, n in self.layout])


class _Pickler(pickle.Pickler):
    """Protocol 5 with multiprocessing's reducers (ForkingPickler takes no buffer_callback)."""

    def __init__(self, file, buffer_callback=None) -> None:
        super().__init__(file, protocol=5, buffer_callback=buffer_callback)
        self.dispatch_table = copyreg.dispatch_table.copy()
        self.dispatch_table.update(getattr(ForkingPickler, "_extra_reducers", {}))


def _dumps(data: Any, buffer_callback=None) -> bytes:
    out = io.BytesIO()
    _Pickler(out, buffer_callback).dump(data)
    return out.getvalue()


def shared_dir_usable() -> bool:
    return os.path.isdir(_SHM_DIR) and os.access(_SHM_DIR, os.W_OK)


def pack(data: Any, prefix: str | None, serial: int) -> PackedBatch:
    """``data`` pickled; its large buffers go to the file ``/dev/shm/<prefix><serial>`` when
    ``prefix`` is given (and the space is there), in the pickle otherwise."""
    if prefix is None:
        return PackedBatch(_dumps(data))
    buffers: list[pickle.PickleBuffer] = []

    def keep_large(buffer: pickle.PickleBuffer) -> bool:
        if buffer.raw().nbytes < OUT_OF_BAND_MIN_BYTES:
            return True  # in-band
        buffers.append(buffer)
        return False

    payload = _dumps(data, keep_large)
    if not buffers:
        return PackedBatch(payload)
    layout, size = [], 0
    for buffer in buffers:
        layout.append((size, buffer.raw().nbytes))
        size += -(-buffer.raw().nbytes // _ALIGN) * _ALIGN
    path = os.path.join(_SHM_DIR, f"{prefix}{serial}")
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    except OSError:
        return PackedBatch(_dumps(data))
    try:
        # Reserve the space first: a full tmpfs then fails here, where the batch can still go
        # in-band, instead of anywhere later.
        if hasattr(os, "posix_fallocate"):
            os.posix_fallocate(fd, 0, size)
        for buffer, (offset, _) in zip(buffers, layout):
            _write_at(fd, buffer.raw(), offset)
    except OSError:
        os.close(fd)
        os.unlink(path)
        return PackedBatch(_dumps(data))
    os.close(fd)
    return PackedBatch(payload, path, layout)


def _write_at(fd: int, data: memoryview, offset: int) -> None:
    while data.nbytes:
        written = os.pwrite(fd, data, offset)
        data, offset = data[written:], offset + written


def unpack(data: Any) -> Any:
    return data.load() if isinstance(data, PackedBatch) else data


def remove_leftovers(prefix: str) -> None:
    """Delete the files of batches that were written but never loaded (at shutdown)."""
    try:
        names = os.listdir(_SHM_DIR)
    except OSError:
        return
    for name in names:
        if name.startswith(prefix):
            try:
                os.unlink(os.path.join(_SHM_DIR, name))
            except OSError:
                pass
