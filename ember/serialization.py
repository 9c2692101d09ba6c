"""ember.save / ember.load in PyTorch's zip checkpoint format (files torch.load can read).

A checkpoint is a zip archive (stored, uncompressed): ``archive/data.pkl`` is a protocol-2
pickle in which each tensor is ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
requires_grad, hooks)`` and each storage a persistent id ``('storage', torch.FloatStorage, key,
location, numel)`` whose bytes are the record ``archive/data/<key>``. The pickle names torch's
globals by string; torch itself is never imported. Tensors that share memory share a storage.

``load`` is safe by default (``weights_only=True``): only an exact allowlist of globals may be
named by the file (see ``add_safe_globals``). ``weights_only=False`` runs arbitrary pickle code
and must only be used on files you trust.
"""
from __future__ import annotations

import contextlib
import io
import os
import pickle
import random
import struct
import sys
import tempfile
import zipfile
import zlib
from collections import Counter, OrderedDict
from typing import Any, Callable

import numpy as np

from . import _dtype, _parallel
from ._ops import quantize as _quantize
from ._device import CPU, device as _device_cls
from ._tensor import Size, Tensor, _address, _make
from ._weights_only_unpickler import Unpickler as _RestrictedUnpickler

__all__ = ["save", "load"]

DEFAULT_PROTOCOL = 2
_ALIGNMENT = 64
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001

_STORAGE_NAMES = {"float32": "FloatStorage", "float64": "DoubleStorage",
                  "float16": "HalfStorage", "bfloat16": "BFloat16Storage",
                  "int64": "LongStorage", "int32": "IntStorage", "int16": "ShortStorage",
                  "int8": "CharStorage", "uint8": "ByteStorage", "bool": "BoolStorage",
                  "complex64": "ComplexFloatStorage", "complex128": "ComplexDoubleStorage",
                  "qint8": "QInt8Storage", "quint8": "QUInt8Storage", "qint32": "QInt32Storage"}


# -- writing ------------------------------------------------------------------------------------
class _Global:
    """A global written by name (``torch._utils._rebuild_tensor_v2``) without importing it."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str):
        self.module = module
        self.name = name

    def __call__(self, *args):
        raise TypeError(f"{self.module}.{self.name} is a name written into checkpoints only")


_REBUILD_V2 = _Global("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _Global("torch._utils", "_rebuild_parameter")
_REBUILD_QTENSOR = _Global("torch._utils", "_rebuild_qtensor")
_TORCH_DEVICE = _Global("torch", "device")
_TORCH_SIZE = _Global("torch", "Size")
_STORAGE_GLOBALS = {name: _Global("torch", storage) for name, storage in _STORAGE_NAMES.items()}
_DTYPE_GLOBALS = {name: _Global("torch", name) for name in _STORAGE_NAMES}


class _StorageRef:
    """A storage to write: the root array, its dtype and location (pickled as a persistent id)."""

    __slots__ = ("key", "root", "dtype_name", "location", "numel")

    def __init__(self, key: str, root, dtype_name: str, location: str, numel: int):
        self.key = key
        self.root = root
        self.dtype_name = dtype_name
        self.location = location
        self.numel = numel


class _Reduced:
    """An object pickled as ``func(*args)`` (the data tensor inside a Parameter)."""

    __slots__ = ("func", "args")

    def __init__(self, func, args):
        self.func = func
        self.args = args


def _storage_of(array):
    """``(root, offset, strides)`` in elements: the memory ``array`` views, or a fresh copy
    when it cannot be described as a strided view of whole elements."""
    itemsize = array.itemsize
    root = array
    while isinstance(root.base, type(array)):
        root = root.base
    ok = (root.flags.c_contiguous and array.size > 0 and root.nbytes % itemsize == 0
          and all(s >= 0 and s % itemsize == 0 for s in array.strides))
    if ok:
        offset_bytes = _address(array) - _address(root)
        ok = offset_bytes >= 0 and offset_bytes % itemsize == 0
    if not ok:
        xp = np if isinstance(array, np.ndarray) else sys.modules[type(array).__module__
                                                                  .split(".")[0]]
        root = xp.ascontiguousarray(array)
        return root, 0, _contiguous_strides(array.shape)
    return root, offset_bytes // itemsize, tuple(s // itemsize for s in array.strides)


def _contiguous_strides(shape) -> tuple:
    strides, acc = [], 1
    for s in reversed(shape):
        strides.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(strides))


class _Pickler(pickle._Pickler):
    """Writes Ember tensors, dtypes, devices and sizes as the torch objects they mirror."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file):
        super().__init__(file, protocol=DEFAULT_PROTOCOL)
        self.storages: dict = {}

    def _save_global_by_name(self, obj: _Global) -> None:
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
        self.memoize(obj)

    dispatch[_Global] = _save_global_by_name

    def _save_dtype(self, obj: _dtype.dtype) -> None:
        self.save(_DTYPE_GLOBALS[obj.name])

    dispatch[_dtype.dtype] = _save_dtype

    def _save_qscheme(self, obj: _quantize.qscheme) -> None:
        self.save(_Global("torch", obj.name))

    dispatch[_quantize.qscheme] = _save_qscheme

    def persistent_id(self, obj):
        if type(obj) is _StorageRef:
            return ("storage", _STORAGE_GLOBALS[obj.dtype_name], obj.key, obj.location,
                    obj.numel)
        return None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        if type(obj) is _Reduced:
            return obj.func, obj.args
        if type(obj) is _device_cls:
            return _TORCH_DEVICE, (str(obj),)
        if type(obj) is Size:
            return _TORCH_SIZE, (tuple(obj),)
        return NotImplemented

    def _reduce_tensor(self, t: Tensor):
        if t.grad_fn is not None and t._requires_grad:
            raise RuntimeError("Can't pickle a Tensor that requires grad and is not a leaf; "
                               "save tensor.detach() instead")
        array = t._data
        root, offset, strides = _storage_of(array)
        dtype_name = t.dtype.name
        location = "cpu" if t._device.type == "cpu" else str(_canonical_location(t._device))
        ident = (_address(root), root.nbytes, location)
        ref = self.storages.get(ident)
        if ref is None:
            ref = _StorageRef(str(len(self.storages)), root, dtype_name, location,
                              root.nbytes // array.itemsize)
            self.storages[ident] = ref
        elif ref.dtype_name != dtype_name:
            raise RuntimeError("Cannot save multiple tensors or storages that view the same data "
                               "as different types")
        args = (ref, offset, tuple(array.shape), strides)
        if t.is_quantized:
            return _REBUILD_QTENSOR, args + (_quantize.quantizer_params(t), False,
                                             OrderedDict())
        if _is_parameter(t):
            inner = _Reduced(_REBUILD_V2, args + (False, OrderedDict()))
            return _REBUILD_PARAMETER, (inner, t._requires_grad, OrderedDict())
        return _REBUILD_V2, args + (t._requires_grad, OrderedDict())


def _canonical_location(dev) -> str:
    return f"{dev.type}:{dev.index or 0}"


def _is_parameter(t: Tensor) -> bool:
    nn = sys.modules.get("ember.nn.parameter")
    return nn is not None and isinstance(t, nn.Parameter)


def _record_info(name: str, offset: int) -> zipfile.ZipInfo:
    """A stored record whose data starts on a 64-byte boundary, as torch aligns storages."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    header = 30 + len(name.encode("utf-8"))
    pad = (-(offset + header + 4)) % _ALIGNMENT
    info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
    return info


def _write_zip(stream, pickled: bytes, storages, archive: str = "archive") -> None:
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        def record(name: str, data) -> None:
            offset = zf.fp.tell() if zf.fp.seekable() else 0
            info = _record_info(f"{archive}/{name}", offset)
            with zf.open(info, "w", force_zip64=len(data) > 0x7FFFFFFF) as out:
                out.write(data)

        record("data.pkl", pickled)
        record(".format_version", b"1")
        record(".storage_alignment", str(_ALIGNMENT).encode())
        record("byteorder", sys.byteorder.encode())
        for ref in sorted(storages, key=lambda r: int(r.key)):
            root = ref.root
            if not isinstance(root, np.ndarray):
                root = np.ascontiguousarray(root.get())
            record(f"data/{ref.key}", memoryview(root.reshape(-1).view(np.uint8)))
        record("version", b"3\n")
        record(".data/serialization_id",
               str(random.getrandbits(128)).zfill(40)[:40].encode())


# Saves of at least this many bytes of storages overlap the disk's work with the process's:
# see _durable_file.
_LARGE_SAVE_BYTES = 64 << 20
# Records of at least this many bytes are CRC-checked on a thread while loading goes on.
_PARALLEL_CRC_BYTES = 1 << 20
_SYNC_INTERVAL_S = 0.01


@contextlib.contextmanager
def _durable_file(path: str, large: bool):
    """A binary file that replaces ``path`` once the body has written it: atomically, durably.

    The bytes go to a temporary file in the same folder, which is flushed and fsync'ed, then
    renamed over ``path``; on any error the temporary file is removed and ``path`` is untouched.

    For a large file two costs are moved off the caller's path (both measured on ext4):
    - a thread fdatasyncs the file every few milliseconds while the body writes it, so the disk
      writes while the process is still copying bytes into the page cache and the final fsync
      waits only for the last pages (a 400 MB save went from 1.3 s to 0.8 s);
    - the file being replaced is held open across the rename and closed on a thread, because
      freeing a large file's blocks takes a quarter of a second. The kernel frees them when the
      last descriptor closes, so a crash leaves no stray file behind.
    """
    import threading
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".ember-save-", suffix=".tmp", dir=folder)
    previous = None
    try:
        with os.fdopen(fd, "wb") as out:
            done = threading.Event()
            failure: list[OSError] = []

            def sync_while_writing() -> None:
                # An fsync error is reported once per open file, so it must reach the caller
                # from here: the final fsync below may not see it again.
                datasync = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync
                try:
                    while not done.wait(_SYNC_INTERVAL_S):
                        datasync(fd)
                except OSError as exc:
                    failure.append(exc)

            syncer = threading.Thread(target=sync_while_writing, name="ember-save-sync",
                                      daemon=True) if large else None
            if syncer is not None:
                syncer.start()
            try:
                yield out
                out.flush()
            finally:
                done.set()
                if syncer is not None:
                    syncer.join()
            if failure:
                raise failure[0]
            os.fsync(fd)
        if large and os.name == "posix":
            with contextlib.suppress(OSError):
                previous = os.open(path, os.O_RDONLY)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if previous is not None:
            os.close(previous)
        raise
    if previous is not None:
        threading.Thread(target=os.close, args=(previous,), name="ember-save-free",
                         daemon=True).start()


def save(obj: Any, f, pickle_module: Any = pickle, pickle_protocol: int = DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization: bool = True) -> None:
    """Write ``obj`` to ``f`` (a path or a binary file object) in PyTorch's checkpoint format.

    Saving to a path is atomic: the data goes to a temporary file in the same folder, is
    flushed and fsync'ed, then renamed over ``f``; on any error the previous file is intact.
    (torch.save writes the path in place and does not fsync.)
    """
    buffer = io.BytesIO()
    pickler = _Pickler(buffer)
    pickler.dump(obj)
    pickled = buffer.getvalue()
    storages = list(pickler.storages.values())
    if not isinstance(f, (str, os.PathLike)):
        _write_zip(f, pickled, storages)
        return
    large = sum(ref.root.nbytes for ref in storages) >= _LARGE_SAVE_BYTES
    with _durable_file(os.fspath(f), large) as out:
        _write_zip(out, pickled, storages)


# -- reading ------------------------------------------------------------------------------------
class _StorageType:
    """What a file's ``torch.FloatStorage`` global stands for: the element dtype."""

    def __init__(self, name: str):
        self.name = name
        dtype_name = next(d for d, s in _STORAGE_NAMES.items() if s == name)
        # None: bfloat16 without the optional ml_dtypes package (an error when data is read).
        self.dtype = _dtype._BY_NAME.get(dtype_name)

    def __call__(self, *args):
        raise TypeError(f"{self.name} cannot be constructed while loading a checkpoint")


class _LoadedStorage:
    """A storage read from a file: a flat array on its device and a shared version counter."""

    __slots__ = ("array", "device", "vc")

    def __init__(self, array, dev):
        from .autograd.function import _VersionCounter
        self.array = array
        self.device = dev
        self.vc = _VersionCounter()


def _rebuild_tensor_v2(storage: _LoadedStorage, storage_offset: int, size, stride,
                       requires_grad: bool = False, backward_hooks=None, metadata=None):
    """A tensor viewing ``storage`` (what torch._utils._rebuild_tensor_v2 is loaded as)."""
    array = storage.array
    itemsize = array.itemsize
    size, stride = tuple(size), tuple(stride)
    needed = storage_offset + 1 + sum((n - 1) * s for n, s in zip(size, stride)) \
        if all(size) else storage_offset
    if needed > array.size or storage_offset < 0 or any(s < 0 for s in stride):
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                           f"offset {storage_offset} require a storage of {needed} elements but "
                           f"it has {array.size}")
    strides_bytes = tuple(s * itemsize for s in stride)
    if isinstance(array, np.ndarray):
        view = np.ndarray(size, dtype=array.dtype, buffer=array,
                          offset=storage_offset * itemsize, strides=strides_bytes)
    else:
        view = storage.device.backend.as_strided(array[storage_offset:], size, strides_bytes)
    t = _make(view, storage.device)
    t._vc = storage.vc
    if requires_grad:
        t.requires_grad = True
    return t


def _rebuild_qtensor(storage: _LoadedStorage, storage_offset: int, size, stride,
                     quantizer_params: tuple, requires_grad: bool = False, backward_hooks=None):
    ints = _rebuild_tensor_v2(storage, storage_offset, size, stride)
    return _quantize.from_int_repr(ints, quantizer_params)


def _rebuild_parameter(data: Tensor, requires_grad: bool, backward_hooks=None, state=None):
    from .nn.parameter import Parameter
    param = Parameter(data, requires_grad)
    param._vc = data._vc
    if state:
        param.__dict__.update(state)
    return param


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _rebuild_parameter(data, requires_grad, backward_hooks, state)


def _rebuild_from_type_v2(func, new_type, args, state):
    tensor = func(*args)
    if state:
        if hasattr(tensor, "__setstate__") and not isinstance(tensor, Tensor):
            tensor.__setstate__(state)
        else:
            tensor.__dict__.update(state if isinstance(state, dict) else state[0] or {})
    return tensor


def _codecs_encode(text: str, encoding: str = "latin1") -> bytes:
    return text.encode(encoding)


def _torch_names() -> dict[str, Any]:
    """torch's globals a checkpoint may name, mapped to their Ember equivalents."""
    names: dict[str, Any] = {
        "torch._utils._rebuild_tensor_v2": _rebuild_tensor_v2,
        "torch._utils._rebuild_parameter": _rebuild_parameter,
        "torch._utils._rebuild_qtensor": _rebuild_qtensor,
        "torch._utils._rebuild_parameter_with_state": _rebuild_parameter_with_state,
        "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2,
        "torch.Tensor": Tensor,
        "torch.Size": Size,
        "torch.device": _device_cls,
    }
    for dtype_name, storage_name in _STORAGE_NAMES.items():
        names[f"torch.{storage_name}"] = _StorageType(storage_name)
        if dtype_name in _dtype._BY_NAME:
            names[f"torch.{dtype_name}"] = _dtype.to_dtype(dtype_name)
    for alias, dt in _dtype.ALIASES.items():
        names.setdefault(f"torch.{alias}", dt)
    for scheme in _quantize._QSCHEMES.values():
        names[f"torch.{scheme.name}"] = scheme
    return names


_TORCH_NAMES = _torch_names()
_DEFAULT_SAFE = dict(_TORCH_NAMES)
_DEFAULT_SAFE.update({
    "collections.OrderedDict": OrderedDict,
    "collections.Counter": Counter,
    "_codecs.encode": _codecs_encode,
    "builtins.set": set,
    "builtins.frozenset": frozenset,
    "builtins.bytearray": bytearray,
    "builtins.complex": complex,
    "ember._dtype._dtype_by_name": _dtype._dtype_by_name,
    "ember._device.device": _device_cls,
    "ember._tensor.Size": Size,
})
_user_safe: dict[str, Any] = {}


def _global_name(obj) -> str:
    return f"{obj.__module__}.{getattr(obj, '__qualname__', obj.__name__)}"


def add_safe_globals(safe_globals: list) -> None:
    """Allow ``weights_only`` loads to use these globals (objects, or ``(obj, "mod.name")``)."""
    for item in safe_globals:
        if isinstance(item, tuple):
            obj, name = item
        else:
            obj, name = item, _global_name(item)
        _user_safe[name] = obj


def get_safe_globals() -> list:
    """The globals added with ``add_safe_globals``."""
    return [obj if _global_name(obj) == name else (obj, name) for name, obj in _user_safe.items()]


def clear_safe_globals() -> None:
    _user_safe.clear()


@contextlib.contextmanager
def safe_globals(safe_globals: list):
    """Within the block, ``weights_only`` loads may also use ``safe_globals``."""
    saved = dict(_user_safe)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _user_safe.clear()
        _user_safe.update(saved)


class _FullUnpickler(pickle.Unpickler):
    """weights_only=False: any global, with torch's names mapped to Ember's."""

    def find_class(self, module: str, name: str):
        key = f"{module}.{name}"
        if key in _TORCH_NAMES:
            return _TORCH_NAMES[key]
        if key in _DEFAULT_SAFE:
            return _DEFAULT_SAFE[key]
        if module == "torch" or module.startswith("torch."):
            import importlib
            try:
                target = importlib.import_module("ember" + module[5:])
                for part in name.split("."):
                    target = getattr(target, part)
                return target
            except (ImportError, AttributeError):
                raise pickle.UnpicklingError(f"{key} has no Ember equivalent") from None
        return super().find_class(module, name)


def _unpickle(data, weights_only: bool, persistent_load: Callable):
    stream = io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data
    if weights_only:
        allowed = dict(_DEFAULT_SAFE)
        allowed.update(_user_safe)
        unpickler = _RestrictedUnpickler(stream, allowed, persistent_load)
    else:
        unpickler = _FullUnpickler(stream, encoding="utf-8")
        unpickler.persistent_load = persistent_load
    return unpickler.load()


def _target_device(location: str, map_location):
    """Where a storage saved at ``location`` goes (None: the caller's callable decides)."""
    if map_location is None:
        dev = _device_cls(location)
    elif isinstance(map_location, dict):
        dev = _device_cls(map_location.get(location, location))
    elif isinstance(map_location, (str, _device_cls)):
        dev = _device_cls(map_location)
    else:
        return None
    if dev.type == "cuda":
        from . import cuda
        if not cuda.is_available():
            raise RuntimeError("Attempting to deserialize object on a CUDA device but "
                               "torch.cuda.is_available() is False. If you are running on a "
                               "CPU-only machine, please use torch.load with "
                               "map_location=torch.device('cpu') to map your storages to the CPU.")
    return dev


def _place(array: np.ndarray, location: str, map_location) -> _LoadedStorage:
    if callable(map_location) and not isinstance(map_location, (str, _device_cls, dict)):
        result = map_location(_make(array, CPU), location)
        if result is not None:
            if not isinstance(result, Tensor):
                raise TypeError("map_location callable must return a Tensor or None, got "
                                f"{type(result).__name__}")
            return _LoadedStorage(result._data.reshape(-1), result._device)
        map_location = None
    dev = _target_device(location, map_location)
    if dev.type != "cpu":
        return _LoadedStorage(dev.backend.from_host(array), dev)
    return _LoadedStorage(array, CPU)


class _ZipCheckpoint:
    """Reads records of a torch zip checkpoint (by direct offset: records are stored)."""

    def __init__(self, stream, name: str, use_mmap: bool):
        self.name = name
        self.stream = stream
        try:
            self.zf = zipfile.ZipFile(stream)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise RuntimeError(f"{name}: PytorchStreamReader failed reading zip archive: "
                               f"failed finding central directory ({exc}); the file is "
                               "truncated or corrupt") from None
        names = self.zf.namelist()
        pkl = [n for n in names if n.endswith("/data.pkl") or n == "data.pkl"]
        if not pkl:
            raise RuntimeError(f"{name}: not a checkpoint: no data.pkl record in the zip archive")
        self.prefix = pkl[0][:-len("data.pkl")]
        self.mmap = None
        self.pending_checks: list = []
        if use_mmap:
            import mmap
            self.mmap = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_COPY)

    def read(self, record: str) -> bytes:
        try:
            return self.zf.read(self.prefix + record)
        except KeyError:
            raise RuntimeError(f"{self.name}: record {record} is missing; the file is truncated "
                               "or corrupt") from None
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
            raise RuntimeError(f"{self.name}: record {record} could not be read ({exc}); the "
                               "file is truncated or corrupt") from None

    def array(self, record: str, dtype: np.dtype, numel: int) -> np.ndarray:
        try:
            info = self.zf.getinfo(self.prefix + record)
        except KeyError:
            raise RuntimeError(f"{self.name}: record {record} is missing; the file is truncated "
                               "or corrupt") from None
        nbytes = numel * dtype.itemsize
        if info.file_size != nbytes or info.compress_type != zipfile.ZIP_STORED:
            raise RuntimeError(f"{self.name}: record {record} holds {info.file_size} bytes, "
                               f"expected {nbytes}; the file is corrupt")
        self.stream.seek(info.header_offset)
        header = self.stream.read(30)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise RuntimeError(f"{self.name}: bad local header for record {record}; the file "
                               "is corrupt")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        start = info.header_offset + 30 + name_len + extra_len
        if self.mmap is not None:
            if start + nbytes > len(self.mmap):
                raise RuntimeError(f"{self.name}: record {record} is truncated")
            return np.frombuffer(self.mmap, dtype=dtype, count=numel, offset=start)
        out = np.empty(numel, dtype=dtype)
        self.stream.seek(start)
        got = self.stream.readinto(memoryview(out.view(np.uint8)))
        if got != nbytes:
            raise RuntimeError(f"{self.name}: record {record} is truncated ({got} of {nbytes} "
                               "bytes)")
        data = out.view(np.uint8)
        if nbytes >= _PARALLEL_CRC_BYTES and _parallel.get_num_threads() > 1:
            # zlib releases the GIL: the check runs while the next records are read.
            self.pending_checks.append((record, info.CRC,
                                        _parallel._executor().submit(zlib.crc32, data)))
        elif zlib.crc32(data) != info.CRC:
            self._crc_failed(record)
        return out

    def verify(self) -> None:
        """Wait for the CRC checks still running; raise if a record failed its check."""
        checks, self.pending_checks = self.pending_checks, []
        for record, expected, crc in checks:
            if crc.result() != expected:
                self._crc_failed(record)

    def _crc_failed(self, record: str):
        raise RuntimeError(f"{self.name}: record {record} fails its CRC-32 check; the file is "
                           "corrupt")


def _load_zip(ckpt: _ZipCheckpoint, map_location, weights_only: bool):
    byteorder = ckpt.zf.namelist() and ckpt.prefix + "byteorder" in ckpt.zf.namelist()
    if byteorder and ckpt.read("byteorder").decode() != sys.byteorder:
        raise RuntimeError(f"{ckpt.name}: saved on a {ckpt.read('byteorder').decode()}-endian "
                           "machine; only native byte order is supported")
    loaded: dict[str, _LoadedStorage] = {}

    def persistent_load(saved_id):
        if not isinstance(saved_id, tuple) or saved_id[0] != "storage":
            raise pickle.UnpicklingError(f"unknown persistent id {saved_id!r}")
        _, storage_type, key, location, numel = saved_id[:5]
        if key not in loaded:
            dtype = storage_type.dtype if isinstance(storage_type, _StorageType) else _dtype.uint8
            if dtype is None:
                raise RuntimeError(f"{ckpt.name}: storage {key} is {storage_type.name}; loading "
                                   "bfloat16 tensors needs the ml_dtypes package")
            array = ckpt.array(f"data/{key}", dtype.np, numel)
            loaded[key] = _place(array, location, map_location)
        return loaded[key]

    try:
        return _unpickle(ckpt.read("data.pkl"), weights_only, persistent_load)
    finally:
        ckpt.verify()


def _load_legacy(stream, name: str, map_location, weights_only: bool):
    """Files written by torch before 1.6 (or with _use_new_zipfile_serialization=False)."""
    def next_pickle(persistent_load=None):
        return _unpickle(stream, weights_only, persistent_load or _no_persistent)

    try:
        try:
            magic = next_pickle()
        except Exception:  # noqa: BLE001 - anything unreadable here is not a checkpoint
            magic = None
        if magic != _LEGACY_MAGIC:
            raise RuntimeError(f"{name}: Invalid magic number; corrupt file? (neither a zip "
                               "checkpoint nor a legacy one)")
        if next_pickle() != _LEGACY_PROTOCOL:
            raise RuntimeError(f"{name}: Invalid protocol version")
        next_pickle()  # sys_info
        storages: dict[str, np.ndarray] = {}

        def persistent_load(saved_id):
            _, storage_type, key, location, numel, view_metadata = saved_id
            if view_metadata is not None:
                raise RuntimeError(f"{name}: legacy storage views are not supported")
            if key not in storages:
                dev = _target_device(location, map_location) if not callable(map_location) \
                    or isinstance(map_location, (str, _device_cls, dict)) else CPU
                if dev.type != "cpu":
                    raise RuntimeError(f"{name}: legacy checkpoints load to the CPU only; pass "
                                       "map_location='cpu'")
                if storage_type.dtype is None:
                    raise RuntimeError(f"{name}: storage {key} is {storage_type.name}; loading "
                                       "bfloat16 tensors needs the ml_dtypes package")
                storages[key] = _LoadedStorage(np.empty(numel, storage_type.dtype.np), CPU)
            return storages[key]
        result = next_pickle(persistent_load)
        keys = next_pickle()
        for key in keys:
            array = storages[key].array
            count = struct.unpack("<q", _read_exact(stream, 8, name))[0]
            if count != array.size:
                raise RuntimeError(f"{name}: storage {key} holds {count} elements, expected "
                                   f"{array.size}; the file is corrupt")
            array.view(np.uint8)[...] = np.frombuffer(
                _read_exact(stream, array.nbytes, name), dtype=np.uint8)
    except (EOFError, struct.error) as exc:
        raise RuntimeError(f"{name}: the checkpoint is truncated ({exc})") from None
    return result


def _read_exact(stream, n: int, name: str) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        raise RuntimeError(f"{name}: the checkpoint is truncated")
    return data


def _no_persistent(saved_id):
    raise pickle.UnpicklingError("unexpected persistent id in a checkpoint header")


def save_safetensors(tensors: dict[str, Tensor], filename, metadata: dict | None = None) -> None:
    """Write a flat ``{name: tensor}`` dict as a .safetensors file (needs ``safetensors``).

    Atomic and durable like ``save`` (safetensors' own ``save_file`` writes the path in place).
    """
    from safetensors.numpy import save
    arrays = {}
    for key, value in tensors.items():
        if not isinstance(value, Tensor):
            raise TypeError(f"save_safetensors expects tensors, got {type(value).__name__} for "
                            f"{key!r}")
        arrays[key] = np.ascontiguousarray(value._host())
    data = save(arrays, metadata=metadata)
    with _durable_file(os.fspath(filename), len(data) >= _LARGE_SAVE_BYTES) as out:
        out.write(data)


def load_safetensors(filename, device="cpu") -> dict[str, Tensor]:
    """Read a .safetensors file into ``{name: tensor}`` on ``device`` (needs ``safetensors``)."""
    from safetensors.numpy import load_file
    dev = _device_cls(device)
    return {key: _make(dev.backend.from_host(np.array(array)) if dev.type != "cpu"
                       else np.array(array), dev)
            for key, array in load_file(os.fspath(filename)).items()}


def load(f, map_location=None, pickle_module: Any = None, *, weights_only: bool | None = True,
         mmap: bool | None = None, **pickle_load_args) -> Any:
    """Read an object written by ``ember.save`` or ``torch.save``.

    ``map_location`` (a device, a string, a ``{saved: target}`` dict, or a callable
    ``(storage_tensor, location) -> tensor or None``) says where storages go.
    ``weights_only=True`` (the default) refuses any global outside the allowlist; pass
    ``weights_only=False`` only for files you trust, as loading then can run arbitrary code.
    ``mmap=True`` maps storages from the file copy-on-write instead of reading them.
    """
    if weights_only is None:
        weights_only = True
    if weights_only and pickle_module is not None and pickle_module is not pickle:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is "
                           "specified")
    opened = isinstance(f, (str, os.PathLike))
    name = os.fspath(f) if opened else getattr(f, "name", type(f).__name__)
    stream = open(f, "rb") if opened else f
    try:
        start = stream.tell()
        head = stream.read(4)
        stream.seek(start)
        if not head:
            raise RuntimeError(f"{name}: the file is empty; not a checkpoint")
        try:
            if head == b"PK\x03\x04":
                if mmap and not opened:
                    raise ValueError("f must be a file path in order to use the mmap argument")
                ckpt = _ZipCheckpoint(stream, name, bool(mmap))
                return _load_zip(ckpt, map_location, weights_only)
            if mmap:
                raise RuntimeError("mmap can only be used with files saved with "
                                   "`torch.save(_use_new_zipfile_serialization=True)`")
            return _load_legacy(stream, name, map_location, weights_only)
        except pickle.UnpicklingError as exc:
            if weights_only:
                raise pickle.UnpicklingError(
                    f"Weights only load failed for {name}. {exc} Re-running with "
                    "`weights_only=False` will likely succeed, but it can result in arbitrary "
                    "code execution. Do it only if you got the file from a trusted source."
                ) from None
            raise
    finally:
        if opened:
            stream.close()
