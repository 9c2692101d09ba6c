"""Finding pretrained checkpoints: $TORCH_HOME/hub/checkpoints, downloading when online."""
from __future__ import annotations

import os
import re
from typing import Any

from ..datasets.utils import OfflineError, _urlretrieve

_HASH_PREFIX = re.compile(r"-([a-f0-9]*)\.")


def get_dir() -> str:
    """The hub directory: $TORCH_HOME/hub, by default ~/.cache/torch/hub (as torch.hub)."""
    torch_home = os.path.expanduser(os.getenv(
        "TORCH_HOME", os.path.join(os.getenv("XDG_CACHE_HOME", "~/.cache"), "torch")))
    return os.path.join(torch_home, "hub")


def download_url_to_file(url: str, dst: str, hash_prefix: str | None = None) -> None:
    """Download to ``dst`` (through a temporary file), checking the sha256 prefix if given."""
    import hashlib
    tmp = dst + ".partial"
    try:
        _urlretrieve(url, tmp)
    except OSError as exc:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise OfflineError(
            f"Could not download pretrained weights from {url} ({exc}). If this machine is "
            f"offline, download the file elsewhere and place it at {dst}") from exc
    if hash_prefix is not None:
        sha = hashlib.sha256()
        with open(tmp, "rb") as f:
            while chunk := f.read(1 << 20):
                sha.update(chunk)
        if not sha.hexdigest().startswith(hash_prefix):
            os.remove(tmp)
            raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got '
                               f'"{sha.hexdigest()}")')
    os.replace(tmp, dst)


def load_state_dict_from_url(url: str, model_dir: str | None = None, map_location: Any = None,
                             progress: bool = True, check_hash: bool = False,
                             file_name: str | None = None,
                             weights_only: bool = True) -> dict[str, Any]:
    """Load the checkpoint named by ``url`` from the hub checkpoints folder (downloading it
    first when missing) with ``ember.load``."""
    import ember
    model_dir = model_dir or os.path.join(get_dir(), "checkpoints")
    os.makedirs(model_dir, exist_ok=True)
    filename = file_name or os.path.basename(url.split("?")[0])
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        match = _HASH_PREFIX.search(filename)
        hash_prefix = match.group(1) if check_hash and match else None
        download_url_to_file(url, cached_file, hash_prefix)
    return ember.load(cached_file, map_location=map_location, weights_only=weights_only)
