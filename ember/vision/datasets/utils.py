"""Download, checksum and archive helpers for the datasets (torchvision.datasets.utils)."""
from __future__ import annotations

import bz2
import gzip
import hashlib
import lzma
import os
import shutil
import tarfile
import urllib.error
import urllib.request
import zipfile
from typing import Any, Iterable

USER_AGENT = "ember/vision"


def calculate_md5(fpath: str | os.PathLike, chunk_size: int = 1024 * 1024) -> str:
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        while chunk := f.read(chunk_size):
            md5.update(chunk)
    return md5.hexdigest()


def check_md5(fpath: str | os.PathLike, md5: str, **kwargs: Any) -> bool:
    return md5 == calculate_md5(fpath, **kwargs)


def check_integrity(fpath: str | os.PathLike, md5: str | None = None) -> bool:
    """True when the file exists and, if ``md5`` is given, its checksum matches."""
    if not os.path.isfile(fpath):
        return False
    if md5 is None:
        return True
    return check_md5(fpath, md5)


class OfflineError(RuntimeError):
    """A download failed because the network could not be reached."""


def _urlretrieve(url: str, filename: str, chunk_size: int = 1024 * 32) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=30) as response, open(filename, "wb") as fh:
        while chunk := response.read(chunk_size):
            fh.write(chunk)


def download_url(url: str, root: str | os.PathLike, filename: str | None = None,
                 md5: str | None = None, max_redirect_hops: int = 3) -> None:
    """Download ``url`` into ``root/filename`` unless a file with the right md5 is there.

    Raises ``OfflineError`` (a RuntimeError) naming the path to fill by hand when the network
    cannot be reached.
    """
    root = os.path.expanduser(root)
    filename = filename or os.path.basename(url)
    fpath = os.fspath(os.path.join(root, filename))
    os.makedirs(root, exist_ok=True)
    if check_integrity(fpath, md5):
        return
    partial = fpath + ".partial"
    try:
        _urlretrieve(url, partial)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        if os.path.exists(partial):
            os.remove(partial)
        raise OfflineError(
            f"Could not download {url} ({exc}). If this machine is offline, download the file "
            f"elsewhere and place it at {fpath}") from exc
    os.replace(partial, fpath)
    if not check_integrity(fpath, md5):
        raise RuntimeError(f"File not found or corrupted: the md5 of {fpath} does not match "
                           f"{md5}.")


_COMPRESSED = {".bz2": bz2.open, ".gz": gzip.open, ".xz": lzma.open}
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tbz2", ".tar.xz", ".txz")


def _decompress(from_path: str, to_path: str | None = None,
                remove_finished: bool = False) -> str:
    base, suffix = os.path.splitext(from_path)
    if suffix not in _COMPRESSED:
        raise RuntimeError(f"Couldn't detect a compression from suffix {suffix}.")
    to_path = to_path or base
    with _COMPRESSED[suffix](from_path, "rb") as rfh, open(to_path, "wb") as wfh:
        shutil.copyfileobj(rfh, wfh)
    if remove_finished:
        os.remove(from_path)
    return to_path


def _safe_members(tar: tarfile.TarFile, to_path: str) -> Iterable[tarfile.TarInfo]:
    root = os.path.realpath(to_path)
    for member in tar.getmembers():
        target = os.path.realpath(os.path.join(to_path, member.name))
        if os.path.commonpath([root, target]) != root:
            raise RuntimeError(f"Archive member {member.name} would extract outside {to_path}")
        yield member


def extract_archive(from_path: str | os.PathLike, to_path: str | os.PathLike | None = None,
                    remove_finished: bool = False) -> str:
    """Extract a .tar(.gz/.bz2/.xz), .zip, or decompress a .gz/.bz2/.xz file; returns to_path."""
    from_path = os.fspath(from_path)
    to_path = os.fspath(to_path) if to_path is not None else os.path.dirname(from_path)
    name = from_path.lower()
    if name.endswith(_TAR_SUFFIXES):
        with tarfile.open(from_path, "r:*") as tar:
            tar.extractall(to_path, members=list(_safe_members(tar, to_path)))
    elif name.endswith(".zip"):
        with zipfile.ZipFile(from_path) as zf:
            for member in zf.namelist():
                target = os.path.realpath(os.path.join(to_path, member))
                if os.path.commonpath([os.path.realpath(to_path), target]) != \
                        os.path.realpath(to_path):
                    raise RuntimeError(f"Archive member {member} would extract outside "
                                       f"{to_path}")
            zf.extractall(to_path)
    elif os.path.splitext(name)[1] in _COMPRESSED:
        out = os.path.join(to_path, os.path.basename(os.path.splitext(from_path)[0]))
        return _decompress(from_path, out, remove_finished)
    else:
        raise RuntimeError(f"Extraction of {from_path} not supported")
    if remove_finished:
        os.remove(from_path)
    return to_path


def download_and_extract_archive(url: str, download_root: str | os.PathLike,
                                 extract_root: str | os.PathLike | None = None,
                                 filename: str | None = None, md5: str | None = None,
                                 remove_finished: bool = False) -> None:
    download_root = os.path.expanduser(download_root)
    extract_root = extract_root or download_root
    filename = filename or os.path.basename(url)
    download_url(url, download_root, filename, md5)
    extract_archive(os.path.join(download_root, filename), extract_root, remove_finished)


def iterable_to_str(iterable: Iterable) -> str:
    return "'" + "', '".join([str(item) for item in iterable]) + "'"


def verify_str_arg(value: str, arg: str | None = None, valid_values: Iterable | None = None,
                   custom_msg: str | None = None) -> str:
    if not isinstance(value, str):
        msg = "Expected type str" + ("" if arg is None else f" for argument {arg}") + \
            f", but got type {type(value)}."
        raise ValueError(msg)
    if valid_values is None or value in valid_values:
        return value
    if custom_msg is not None:
        raise ValueError(custom_msg)
    raise ValueError(f"Unknown value '{value}' for argument {arg}. Valid values are "
                     f"{{{iterable_to_str(valid_values)}}}.")
