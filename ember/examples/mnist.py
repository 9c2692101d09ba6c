"""Train a LeNet-5 CNN on handwritten digits and report held-out accuracy.

By default it uses scikit-learn's bundled digits (laid out MNIST-style at 28x28, no download);
``--data-dir DIR`` trains on real MNIST from DIR/MNIST/raw instead. Writes into ``--out``:
model.pt (the state_dict, ember.save), metrics.json, curves.png (loss and accuracy per epoch)
and misclassified.png (a grid of the test digits the model got wrong).

    python -m ember.examples.mnist --epochs 15
    ember-mnist --data-dir ~/data --epochs 3
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

import numpy as np

import ember
from ember import nn
from ember.utils.data import DataLoader, Dataset

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ember-mnist", description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3,
                        help="Adam learning rate (cosine-annealed to 0)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None,
                        help="folder holding MNIST/raw/*-ubyte[.gz]; default: sklearn digits")
    parser.add_argument("--download", action="store_true",
                        help="download MNIST into --data-dir when it is missing")
    parser.add_argument("--out", default=os.path.join(".", "runs", "mnist"))
    parser.add_argument("--num-workers", type=int, default=0)
    parser.add_argument("--no-progress", action="store_true", help="hide the tqdm bar")
    return parser.parse_args(argv)


def build_datasets(args: argparse.Namespace) -> tuple[Dataset, Dataset, str]:
    from ember.vision import datasets, transforms
    train_tf = transforms.Compose([
        transforms.RandomAffine(8, translate=(0.08, 0.08), scale=(0.9, 1.1)),
        transforms.ToTensor(), transforms.Normalize((MNIST_MEAN,), (MNIST_STD,))])
    test_tf = transforms.Compose([transforms.ToTensor(),
                                  transforms.Normalize((MNIST_MEAN,), (MNIST_STD,))])
    if args.data_dir is None:
        return (datasets.Digits(train=True, size=28, transform=train_tf),
                datasets.Digits(train=False, size=28, transform=test_tf),
                "scikit-learn digits (28x28)")
    return (datasets.MNIST(args.data_dir, train=True, transform=train_tf,
                           download=args.download),
            datasets.MNIST(args.data_dir, train=False, transform=test_tf), "MNIST")


def evaluate(model: nn.Module, loader: DataLoader) -> tuple[float, float, list]:
    """Mean loss, accuracy, and the (image, prediction, target) triples it got wrong."""
    model.eval()
    total_loss, correct, count, wrong = 0.0, 0, 0, []
    with ember.no_grad():
        for images, targets in loader:
            logits = model(images)
            total_loss += nn.functional.cross_entropy(logits, targets, reduction="sum").item()
            preds = logits.argmax(dim=1)
            hits = (preds == targets).numpy()
            correct += int(hits.sum())
            count += len(targets)
            for i in np.flatnonzero(~hits):
                wrong.append((images[int(i)], int(preds[int(i)]), int(targets[int(i)])))
    return total_loss / count, correct / count, wrong


def train_epoch(model: nn.Module, batches, optimizer: ember.optim.Optimizer,
                report=None) -> float:
    """One pass of cross-entropy training over ``batches``; the mean loss per example.
    ``report(mean_so_far)`` runs after each step."""
    running, seen = 0.0, 0
    for images, targets in batches:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(images), targets)
        loss.backward()
        optimizer.step()
        running += loss.item() * len(targets)
        seen += len(targets)
        if report is not None:
            report(running / seen)
    return running / max(seen, 1)


def _progress(loader, enabled: bool, desc: str):
    if not enabled:
        return loader
    try:
        from tqdm import tqdm
    except ImportError:
        return loader
    return tqdm(loader, desc=desc, leave=False, dynamic_ncols=True)


def train(args: argparse.Namespace) -> dict[str, Any]:
    ember.manual_seed(args.seed)
    np.random.seed(args.seed)
    from ember.vision import models
    train_set, test_set, source = build_datasets(args)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              num_workers=args.num_workers)
    test_loader = DataLoader(test_set, batch_size=256, num_workers=args.num_workers)
    model = models.lenet5(num_classes=10)
    optimizer = ember.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = ember.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(args.epochs, 1))
    print(f"training LeNet-5 on {source}: {len(train_set)} train / {len(test_set)} test images")
    history: dict[str, list] = {"train_loss": [], "test_loss": [], "test_acc": []}
    start = time.perf_counter()
    wrong: list = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        bar = _progress(train_loader, not args.no_progress, f"epoch {epoch}/{args.epochs}")
        report = (lambda mean: bar.set_postfix(loss=f"{mean:.4f}")) \
            if bar is not train_loader else None
        train_loss = train_epoch(model, bar, optimizer, report)
        scheduler.step()
        test_loss, test_acc, wrong = evaluate(model, test_loader)
        history["train_loss"].append(train_loss)
        history["test_loss"].append(test_loss)
        history["test_acc"].append(test_acc)
        print(f"epoch {epoch:3d}  train loss {train_loss:.4f}  test loss {test_loss:.4f}  "
              f"test acc {100 * test_acc:.2f}%  ({time.perf_counter() - start:.1f}s)",
              flush=True)
    elapsed = time.perf_counter() - start
    metrics = {"source": source, "epochs": args.epochs, "seconds": elapsed,
               "test_accuracy": history["test_acc"][-1] if history["test_acc"] else None,
               "history": history,
               "misclassified": [{"predicted": p, "target": t} for _, p, t in wrong[:64]]}
    _write_outputs(args.out, model, metrics, wrong)
    return metrics


def _write_outputs(out: str, model: nn.Module, metrics: dict, wrong: list) -> None:
    os.makedirs(out, exist_ok=True)
    ember.save(model.state_dict(), os.path.join(out, "model.pt"))
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
    _plot_curves(metrics["history"], os.path.join(out, "curves.png"))
    _save_misclassified(wrong, os.path.join(out, "misclassified.png"))
    print(f"wrote model.pt, metrics.json, curves.png, misclassified.png to {out}")


def _plot_curves(history: dict, path: str) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install 'ember[vision]'): no curves.png",
              file=sys.stderr)
        return
    epochs = range(1, len(history["train_loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax_loss.plot(epochs, history["train_loss"], label="train")
    ax_loss.plot(epochs, history["test_loss"], label="test")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    ax_loss.legend()
    ax_acc.plot(epochs, [100 * a for a in history["test_acc"]], color="tab:green")
    ax_acc.set(xlabel="epoch", ylabel="%", title="test accuracy")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _save_misclassified(wrong: list, path: str) -> None:
    from ember.vision.utils import save_image
    if wrong:
        images = ember.stack([img for img, _, _ in wrong[:64]]) * MNIST_STD + MNIST_MEAN
    else:
        images = ember.zeros(1, 1, 28, 28)
    save_image(images.clamp(0, 1), path, nrow=8, padding=2, pad_value=0.5)


def main(argv: list[str] | None = None) -> None:
    """Console entry point (``ember-mnist``)."""
    train(parse_args(argv))


if __name__ == "__main__":
    main()
