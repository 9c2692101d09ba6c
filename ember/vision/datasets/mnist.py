"""MNIST and its relatives, read from the IDX files (optionally gzipped) in root/<Name>/raw."""
from __future__ import annotations

import gzip
import os
import string
from typing import Any, Callable

import numpy as np

import ember
from ember import Tensor

from .utils import OfflineError, download_and_extract_archive, extract_archive, \
    verify_str_arg
from .vision import VisionDataset

# IDX type codes -> big-endian NumPy dtypes.
_IDX_TYPES = {8: np.uint8, 9: np.int8, 11: np.dtype(">i2"), 12: np.dtype(">i4"),
              13: np.dtype(">f4"), 14: np.dtype(">f8")}


def _open(path: str):
    if os.path.exists(path):
        return open(path, "rb")
    if os.path.exists(path + ".gz"):
        return gzip.open(path + ".gz", "rb")
    raise FileNotFoundError(path)


def read_sn3_pascalvincent_tensor(path: str, strict: bool = True) -> Tensor:
    """Read an IDX file (the 'SN3 pascalvincent' format) into a tensor of its dtype."""
    with _open(path) as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    nd, ty = magic % 256, magic // 256
    if not 1 <= nd <= 3 or ty not in _IDX_TYPES:
        raise RuntimeError(f"{path} is not an IDX file (magic number {magic:#x})")
    shape = [int.from_bytes(data[4 * (i + 1):4 * (i + 2)], "big") for i in range(nd)]
    dtype = np.dtype(_IDX_TYPES[ty])
    arr = np.frombuffer(data, dtype=dtype, offset=4 * (nd + 1))
    if strict and arr.size != int(np.prod(shape)):
        raise RuntimeError(f"{path}: header says {shape} but holds {arr.size} values")
    return ember.from_numpy(arr.astype(dtype.newbyteorder("="), copy=True).reshape(shape))


def read_label_file(path: str) -> Tensor:
    x = read_sn3_pascalvincent_tensor(path, strict=False)
    if x.dtype != ember.uint8 or x.ndim != 1:
        raise RuntimeError(f"{path}: expected a 1-d uint8 label file")
    return x.long()


def read_image_file(path: str) -> Tensor:
    x = read_sn3_pascalvincent_tensor(path, strict=False)
    if x.dtype != ember.uint8 or x.ndim != 3:
        raise RuntimeError(f"{path}: expected a 3-d uint8 image file")
    return x


class MNIST(VisionDataset):
    """The MNIST digits: 60k train / 10k test 28x28 images, returned as PIL 'L' images.

    Expects ``root/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte`` (or ``.gz``).
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
               "http://yann.lecun.com/exdb/mnist/"]
    resources = [("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                 ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                 ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                 ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")]
    training_file = "training.pt"
    test_file = "test.pt"
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root: str | os.PathLike, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        if not self._check_exists():
            raise RuntimeError(f"Dataset not found. You can use download=True to download it, "
                               f"or place the files {self._raw_names()} in {self.raw_folder}")
        self.data, self.targets = self._load_data()

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, self.__class__.__name__, "raw")

    @property
    def processed_folder(self) -> str:
        return os.path.join(self.root, self.__class__.__name__, "processed")

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {_class: i for i, _class in enumerate(self.classes)}

    def _raw_names(self) -> list[str]:
        return [os.path.splitext(os.path.basename(url))[0] for url, _ in self.resources]

    def _check_exists(self) -> bool:
        return all(os.path.isfile(os.path.join(self.raw_folder, name)) or
                   os.path.isfile(os.path.join(self.raw_folder, name + ".gz"))
                   for name in self._raw_names())

    def _file_prefix(self) -> str:
        return "train" if self.train else "t10k"

    def _load_data(self) -> tuple[Tensor, Tensor]:
        prefix = self._file_prefix()
        data = read_image_file(os.path.join(self.raw_folder, f"{prefix}-images-idx3-ubyte"))
        targets = read_label_file(os.path.join(self.raw_folder, f"{prefix}-labels-idx1-ubyte"))
        return data, targets

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from PIL import Image
        img, target = self.data.numpy()[index], int(self.targets.numpy()[index])
        img = Image.fromarray(img, mode="L")
        return self._transformed(img, target)

    def __len__(self) -> int:
        return len(self.data)

    def download(self) -> None:
        """Fetch and extract the raw files from the mirrors (md5-checked)."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        for filename, md5 in self.resources:
            errors = []
            for mirror in self.mirrors:
                try:
                    download_and_extract_archive(mirror + filename, self.raw_folder,
                                                 filename=filename, md5=md5)
                    break
                except (OfflineError, RuntimeError) as error:
                    errors.append(f"{mirror}: {error}")
            else:
                raise RuntimeError(
                    f"Error downloading {filename} (no mirror reachable; offline?). Download it "
                    f"by hand and place it in {self.raw_folder}.\n" + "\n".join(errors))

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: the MNIST format with ten kinds of clothing."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                 ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                 ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                 ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class KMNIST(MNIST):
    """Kuzushiji-MNIST: ten cursive Japanese characters in the MNIST format."""

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
                 ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
                 ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
                 ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134")]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


class EMNIST(MNIST):
    """Extended MNIST; ``split`` is one of byclass, bymerge, balanced, letters, digits, mnist.

    Expects ``root/EMNIST/raw/emnist-<split>-{train,test}-{images-idx3,labels-idx1}-ubyte``.
    """

    url = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"
    md5 = "58c8d27c78d21e728a6bc7b3cc06412e"
    splits = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    _merged_classes = {"c", "i", "j", "k", "l", "m", "o", "p", "s", "u", "v", "w", "x", "y",
                       "z"}
    _all_classes = set(string.digits + string.ascii_letters)
    classes_split_dict = {
        "byclass": sorted(list(_all_classes)),
        "bymerge": sorted(list(_all_classes - _merged_classes)),
        "balanced": sorted(list(_all_classes - _merged_classes)),
        "letters": ["N/A"] + list(string.ascii_lowercase),
        "digits": list(string.digits),
        "mnist": list(string.digits),
    }

    def __init__(self, root: str | os.PathLike, split: str, **kwargs: Any) -> None:
        self.split = verify_str_arg(split, "split", self.splits)
        self.classes = self.classes_split_dict[self.split]
        super().__init__(root, **kwargs)

    def _file_prefix(self) -> str:
        return f"emnist-{self.split}-{'train' if self.train else 'test'}"

    def _raw_names(self) -> list[str]:
        prefix = self._file_prefix()
        return [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]

    def download(self) -> None:
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        try:
            download_and_extract_archive(self.url, download_root=self.raw_folder, md5=self.md5)
        except RuntimeError as error:
            raise RuntimeError(f"Error downloading EMNIST (offline?). Place gzip.zip or the "
                               f"extracted files in {self.raw_folder}.\n{error}") from error
        gzip_folder = os.path.join(self.raw_folder, "gzip")
        for name in sorted(os.listdir(gzip_folder)):
            if name.endswith(".gz"):
                extract_archive(os.path.join(gzip_folder, name), self.raw_folder)

    def extra_repr(self) -> str:
        return f"Split: {self.split} ({'Train' if self.train else 'Test'})"
