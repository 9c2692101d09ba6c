"""The main example: python -m ember.examples.mnist trains, evaluates and writes its outputs."""
import json
import struct

import numpy as np
import pytest

import ember
from ember.examples import mnist

@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    mnist.main(["--epochs", "1", "--out", str(out), "--no-progress", "--batch-size", "32"])
    return out


def test_one_epoch_on_digits_beats_chance(digits_run):
    metrics = json.loads((digits_run / "metrics.json").read_text())
    assert metrics["source"].startswith("scikit-learn digits")
    assert metrics["test_accuracy"] > 0.5  # chance is 0.1


def test_model_curves_and_misclassified_grid_are_written(digits_run):
    for name in ("model.pt", "curves.png", "misclassified.png"):
        assert (digits_run / name).stat().st_size > 0


def test_saved_model_loads_with_lenet_keys(digits_run):
    state = ember.load(digits_run / "model.pt")
    assert "features.0.weight" in state and state["classifier.5.weight"].shape == (10, 84)


def _write_idx(path, arr):
    header = struct.pack(">I", 0x0800 + arr.ndim) + b"".join(struct.pack(">I", s)
                                                             for s in arr.shape)
    path.write_bytes(header + arr.astype(np.uint8).tobytes())


def test_data_dir_trains_on_mnist_files(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 64), ("t10k", 32)):
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)))
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", rng.integers(0, 10, n))
    out = tmp_path / "run"
    mnist.main(["--epochs", "1", "--data-dir", str(tmp_path), "--out", str(out),
                "--no-progress"])
    assert json.loads((out / "metrics.json").read_text())["source"] == "MNIST"


def test_missing_data_dir_says_where_files_go(tmp_path):
    with pytest.raises(RuntimeError, match="Dataset not found"):
        mnist.main(["--epochs", "1", "--data-dir", str(tmp_path), "--out", str(tmp_path),
                    "--no-progress"])


def test_parse_args_defaults():
    args = mnist.parse_args([])
    assert args.epochs > 0 and args.data_dir is None and args.num_workers == 0
    assert args.out.endswith("mnist")
