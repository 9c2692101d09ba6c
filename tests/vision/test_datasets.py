"""ember.vision.datasets: readers of the standard on-disk formats, written small here."""
import gzip
import hashlib
import os
import pickle
import struct
import tarfile

import numpy as np
import pytest
from PIL import Image

import ember
from ember.utils.data import DataLoader
from ember.vision import datasets, transforms
from ember.vision.datasets import utils


def _write_idx(path, arr, compress=False):
    header = struct.pack(">I", 0x0800 + arr.ndim) + b"".join(struct.pack(">I", s)
                                                             for s in arr.shape)
    payload = header + arr.astype(np.uint8).tobytes()
    if compress:
        with gzip.open(str(path) + ".gz", "wb") as f:
            f.write(payload)
    else:
        path.write_bytes(payload)


def _make_mnist(root, name="MNIST", n=12, compress=False, prefixes=("train", "t10k")):
    raw = root / name / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix in prefixes:
        _write_idx(raw / f"{prefix}-images-idx3-ubyte",
                   rng.integers(0, 256, (n, 28, 28)), compress)
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", np.arange(n) % 10, compress)
    return raw


def test_mnist_reads_idx_files_as_pil_l_images(tmp_path):
    _make_mnist(tmp_path)
    ds = datasets.MNIST(tmp_path, train=True)
    img, target = ds[3]
    assert len(ds) == 12 and isinstance(img, Image.Image) and img.mode == "L"
    assert img.size == (28, 28) and target == 3 and type(target) is int
    assert ds.data.dtype == ember.uint8 and ds.targets.dtype == ember.int64


def test_mnist_reads_gzipped_files(tmp_path):
    _make_mnist(tmp_path, compress=True)
    assert len(datasets.MNIST(tmp_path, train=False)) == 12


def test_mnist_applies_transforms(tmp_path):
    _make_mnist(tmp_path)
    ds = datasets.MNIST(tmp_path, transform=transforms.ToTensor(),
                        target_transform=lambda t: t + 100)
    img, target = ds[1]
    assert img.shape == (1, 28, 28) and target == 101


def test_mnist_missing_files_message_names_folder(tmp_path):
    with pytest.raises(RuntimeError, match="Dataset not found.*MNIST"):
        datasets.MNIST(tmp_path)


def test_fashion_mnist_uses_its_own_folder(tmp_path):
    _make_mnist(tmp_path, name="FashionMNIST")
    ds = datasets.FashionMNIST(tmp_path)
    assert ds.classes[0] == "T-shirt/top" and len(ds) == 12


def test_kmnist_reads(tmp_path):
    _make_mnist(tmp_path, name="KMNIST")
    assert len(datasets.KMNIST(tmp_path, train=False)) == 12


def test_emnist_split_files(tmp_path):
    _make_mnist(tmp_path, name="EMNIST", prefixes=("emnist-letters-train",))
    ds = datasets.EMNIST(tmp_path, split="letters")
    assert len(ds) == 12 and ds.classes[1] == "a"


def test_emnist_rejects_unknown_split(tmp_path):
    with pytest.raises(ValueError, match="Unknown value 'nope' for argument split"):
        datasets.EMNIST(tmp_path, split="nope")


def test_mnist_download_offline_says_where_to_put_files(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets.MNIST, "mirrors", ["http://127.0.0.1:9/"])
    with pytest.raises(RuntimeError, match=r"place it in .*MNIST[/\\]raw"):
        datasets.MNIST(tmp_path, download=True)


def _cifar_batch(path, n, key="labels"):
    rng = np.random.default_rng(1)
    entry = {"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
             key: list(rng.integers(0, 10, n))}
    with open(path, "wb") as f:
        pickle.dump(entry, f)
    return entry


class _UncheckedCIFAR10(datasets.CIFAR10):
    train_list = [[name, None] for name, _ in datasets.CIFAR10.train_list]
    test_list = [["test_batch", None]]
    meta = dict(datasets.CIFAR10.meta, md5=None)


def test_cifar10_reads_python_batches(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for name, _ in _UncheckedCIFAR10.train_list:
        entry = _cifar_batch(folder / name, 4)
    _cifar_batch(folder / "test_batch", 3)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": [f"c{i}" for i in range(10)]}, f)
    ds = _UncheckedCIFAR10(tmp_path, train=True)
    img, target = ds[16]
    assert len(ds) == 20 and img.size == (32, 32) and img.mode == "RGB"
    expected = entry["data"][0].reshape(3, 32, 32).transpose(1, 2, 0)
    np.testing.assert_array_equal(np.asarray(img), expected)
    assert target == entry["labels"][0] and ds.class_to_idx["c3"] == 3
    assert len(_UncheckedCIFAR10(tmp_path, train=False)) == 3


def test_cifar10_checks_md5(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for name, _ in datasets.CIFAR10.train_list + datasets.CIFAR10.test_list:
        _cifar_batch(folder / name, 2)
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted"):
        datasets.CIFAR10(tmp_path)


def test_cifar100_uses_fine_labels(tmp_path):
    class Unchecked(datasets.CIFAR100):
        train_list = [["train", None]]
        test_list = [["test", None]]
        meta = dict(datasets.CIFAR100.meta, md5=None)
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    entry = _cifar_batch(folder / "train", 5, key="fine_labels")
    _cifar_batch(folder / "test", 2, key="fine_labels")
    with open(folder / "meta", "wb") as f:
        pickle.dump({"fine_label_names": [f"f{i}" for i in range(100)]}, f)
    ds = Unchecked(tmp_path)
    assert [ds[i][1] for i in range(5)] == [int(t) for t in entry["fine_labels"]]


def test_svhn_reads_mat_and_maps_label_10_to_0(tmp_path):
    import scipy.io as sio

    class Unchecked(datasets.SVHN):
        split_list = {k: [u, f, None] for k, (u, f, _) in datasets.SVHN.split_list.items()}
    x = np.random.default_rng(0).integers(0, 256, (32, 32, 3, 4), dtype=np.uint8)
    sio.savemat(tmp_path / "test_32x32.mat", {"X": x, "y": np.array([[10], [1], [2], [3]])})
    ds = Unchecked(tmp_path, split="test")
    img, target = ds[0]
    assert target == 0 and img.size == (32, 32)
    np.testing.assert_array_equal(np.asarray(img), x[:, :, :, 0])


def test_image_folder_finds_classes_and_samples(tmp_path):
    for cls in ("cat", "dog"):
        (tmp_path / cls).mkdir()
        for i in range(2):
            Image.fromarray(np.full((6, 5, 3), i * 50, dtype=np.uint8)).save(
                tmp_path / cls / f"{i}.png")
    (tmp_path / "dog" / "notes.txt").write_text("not an image")
    ds = datasets.ImageFolder(tmp_path, transform=transforms.ToTensor())
    assert ds.classes == ["cat", "dog"] and len(ds) == 4
    img, target = ds[3]
    assert img.shape == (3, 6, 5) and target == 1


def test_image_folder_empty_class_raises(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes empty"):
        datasets.ImageFolder(tmp_path)


def test_fake_data_is_deterministic_per_index():
    ds = datasets.FakeData(size=5, image_size=(3, 8, 8), transform=transforms.ToTensor())
    a, ta = ds[2]
    b, tb = ds[2]
    assert a.shape == (3, 8, 8) and ta == tb
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_digits_split_is_disjoint_and_fixed():
    train, test = datasets.Digits(train=True), datasets.Digits(train=False)
    assert len(train) + len(test) == 1797 and len(test) == 359
    again = datasets.Digits(train=False)
    np.testing.assert_array_equal(test.data.numpy(), again.data.numpy())


def test_digits_size_28_is_mnist_shaped():
    img, target = datasets.Digits(size=28)[0]
    assert img.mode == "L" and img.size == (28, 28) and 0 <= target < 10
    arr = np.asarray(img)
    assert arr[:4].max() == 0 and arr.max() > 200


def test_digits_batches_through_dataloader():
    ds = datasets.Digits(transform=transforms.ToTensor())
    x, y = next(iter(DataLoader(ds, batch_size=16)))
    assert x.shape == (16, 1, 8, 8) and y.shape == (16,) and y.dtype == ember.int64


def test_check_integrity_verifies_md5(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"ember")
    good = hashlib.md5(b"ember").hexdigest()
    assert utils.check_integrity(path, good) and not utils.check_integrity(path, "0" * 32)
    assert not utils.check_integrity(tmp_path / "missing")


def test_extract_archive_tar_gz(tmp_path):
    (tmp_path / "a.txt").write_text("hi")
    with tarfile.open(tmp_path / "x.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "a.txt", arcname="inner/a.txt")
    out = tmp_path / "out"
    utils.extract_archive(tmp_path / "x.tar.gz", out)
    assert (out / "inner" / "a.txt").read_text() == "hi"


def test_extract_archive_gz_file(tmp_path):
    with gzip.open(tmp_path / "data.bin.gz", "wb") as f:
        f.write(b"abc")
    path = utils.extract_archive(tmp_path / "data.bin.gz")
    assert open(path, "rb").read() == b"abc" and os.path.basename(path) == "data.bin"


def test_download_url_offline_raises_clear_error(tmp_path):
    with pytest.raises(RuntimeError, match="place it at"):
        utils.download_url("http://127.0.0.1:9/file.bin", tmp_path)
    assert not (tmp_path / "file.bin").exists()


def test_download_url_skips_when_file_present(tmp_path):
    (tmp_path / "file.bin").write_bytes(b"ember")
    utils.download_url("http://127.0.0.1:9/file.bin", tmp_path,
                       md5=hashlib.md5(b"ember").hexdigest())


def test_cifar10_download_offline_names_archive_path(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets.CIFAR10, "url", "http://127.0.0.1:9/cifar-10-python.tar.gz")
    with pytest.raises(RuntimeError, match="cifar-10-python.tar.gz"):
        datasets.CIFAR10(tmp_path, download=True)


def test_transforms_set_after_construction_apply():
    ds = datasets.FakeData(size=2, image_size=(3, 4, 4))
    ds.transform = lambda img: "image"
    ds.target_transform = lambda target: "label"
    assert ds[0] == ("image", "label")
