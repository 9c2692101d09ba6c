"""VisionDataset: the base of the image datasets (root, transform, target_transform)."""
from __future__ import annotations

import os
from typing import Any, Callable

from ember.utils.data import Dataset


class VisionDataset(Dataset):
    """Holds ``root`` and the transforms; subclasses implement ``__getitem__`` and ``__len__``.

    Pass either ``transforms`` (a callable on (image, target)) or ``transform`` and
    ``target_transform``, not both.
    """

    _repr_indent = 4

    def __init__(self, root: str | os.PathLike | None = None,
                 transforms: Callable | None = None, transform: Callable | None = None,
                 target_transform: Callable | None = None) -> None:
        if isinstance(root, (str, bytes, os.PathLike)):
            root = os.path.expanduser(root)
        self.root = root
        has_transforms = transforms is not None
        has_separate = transform is not None or target_transform is not None
        if has_transforms and has_separate:
            raise ValueError("Only transforms or transform/target_transform can be passed as "
                             "argument")
        self.transform = transform
        self.target_transform = target_transform
        if has_separate:
            transforms = StandardTransform(transform, target_transform)
        self.transforms = transforms

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def extra_repr(self) -> str:
        return ""

    def _transformed(self, input: Any, target: Any) -> tuple[Any, Any]:
        """(transform(input), target_transform(target)) with the attributes as they are now:
        scripts often set ``dataset.transform`` after building the dataset."""
        return _transform_pair(self.transform, self.target_transform, input, target)

    def __repr__(self) -> str:
        head = "Dataset " + self.__class__.__name__
        body = [f"Number of datapoints: {self.__len__()}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if self.transforms is not None:
            body += [repr(self.transforms)]
        lines = [head] + [" " * self._repr_indent + line for line in body]
        return "\n".join(lines)


class StandardTransform:
    """(input, target) -> (transform(input), target_transform(target))."""

    def __init__(self, transform: Callable | None = None,
                 target_transform: Callable | None = None) -> None:
        self.transform = transform
        self.target_transform = target_transform

    def __call__(self, input: Any, target: Any) -> tuple[Any, Any]:
        return _transform_pair(self.transform, self.target_transform, input, target)


def _transform_pair(transform: Callable | None, target_transform: Callable | None, input: Any,
                    target: Any) -> tuple[Any, Any]:
    if transform is not None:
        input = transform(input)
    if target_transform is not None:
        target = target_transform(target)
    return input, target

    def __repr__(self) -> str:
        body = [self.__class__.__name__]
        if self.transform is not None:
            body.append("Transform: " + repr(self.transform).replace("\n", "\n" + " " * 11))
        if self.target_transform is not None:
            body.append("Target transform: " + repr(self.target_transform))
        return "\n".join(body)
