"""nn benchmarks: one training step (forward, backward, SGD update) of five models, Ember vs
PyTorch, plus peak memory. Each (model, framework) runs in a fresh process so that peak RSS
is that workload's alone.

    python bench/bench_nn.py            # table
    python bench/bench_nn.py mlp ember  # one workload (used internally)
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

WORKLOADS = ["mlp", "cnn", "lstm", "gru", "gelu", "transformer", "resnet18"]


def _mlp(lib):
    nn = lib.nn
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10))
    x = lib.randn(64, 784)
    y = lib.randint(0, 10, (64,))
    return model, (lambda: nn.functional.cross_entropy(model(x), y)), 200


class _Cnn:
    """PyTorch's classic MNIST example network."""

    def __init__(self, lib):
        nn = lib.nn
        self.lib = lib
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)
        self.modules = [self.conv1, self.conv2, self.fc1, self.fc2]

    def parameters(self):
        return [p for m in self.modules for p in m.parameters()]

    def __call__(self, x):
        F = self.lib.nn.functional
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = self.lib.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return F.log_softmax(self.fc2(x), dim=1)


def _cnn(lib):
    model = _Cnn(lib)
    x = lib.randn(64, 1, 28, 28)
    y = lib.randint(0, 10, (64,))
    return model, (lambda: lib.nn.functional.nll_loss(model(x), y)), 10


class _LstmLm:
    def __init__(self, lib, vocab=10000, hidden=200):
        nn = lib.nn
        self.embed = nn.Embedding(vocab, hidden)
        self.lstm = nn.LSTM(hidden, hidden, num_layers=2, dropout=0.5)
        self.drop = nn.Dropout(0.5)
        self.decoder = nn.Linear(hidden, vocab)
        self.modules = [self.embed, self.lstm, self.decoder]

    def parameters(self):
        return [p for m in self.modules for p in m.parameters()]

    def __call__(self, tokens):
        out, _ = self.lstm(self.drop(self.embed(tokens)))
        return self.decoder(self.drop(out))


def _lstm(lib):
    model = _LstmLm(lib)
    x = lib.randint(0, 10000, (35, 20))
    y = lib.randint(0, 10000, (35 * 20,))
    return model, (lambda: lib.nn.functional.cross_entropy(model(x).reshape(-1, 10000), y)), 5


def _gru(lib):
    model = lib.nn.GRU(200, 200, num_layers=2)
    x = lib.randn(35, 20, 200)
    return model, (lambda: model(x)[0].pow(2).mean()), 5


class _Gelu:
    """Exact GELU forward and backward on a (16, 128, 1024) float32 activation."""

    def __init__(self, lib):
        self.x = lib.randn(16, 128, 1024, requires_grad=True)

    def parameters(self):
        return [self.x]


def _gelu(lib):
    model = _Gelu(lib)
    return model, (lambda: lib.nn.functional.gelu(model.x).sum()), 5


def _transformer(lib):
    layer = lib.nn.TransformerEncoderLayer(256, 4, 1024, batch_first=True)
    x = lib.randn(16, 128, 256)
    return layer, (lambda: layer(x).pow(2).mean()), 5


class _BasicBlock:
    def __init__(self, lib, cin, cout, stride):
        nn = lib.nn
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                      nn.BatchNorm2d(cout))
        self.lib = lib

    def modules(self):
        return [self.conv1, self.bn1, self.conv2, self.bn2] + ([self.down] if self.down else [])

    def __call__(self, x):
        F = self.lib.nn.functional
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (self.down(x) if self.down else x))


class _ResNet18:
    def __init__(self, lib):
        nn = lib.nn
        self.lib = lib
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64),
                                  nn.ReLU(), nn.MaxPool2d(3, 2, 1))
        self.blocks = []
        cin = 64
        for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            self.blocks += [_BasicBlock(lib, cin, cout, stride), _BasicBlock(lib, cout, cout, 1)]
            cin = cout
        self.fc = nn.Linear(512, 1000)

    def parameters(self):
        mods = [self.stem, self.fc] + [m for b in self.blocks for m in b.modules()]
        return [p for m in mods for p in m.parameters()]

    def __call__(self, x):
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        return self.fc(self.lib.flatten(self.lib.nn.functional.adaptive_avg_pool2d(x, 1), 1))


def _resnet18(lib):
    model = _ResNet18(lib)
    x = lib.randn(8, 3, 64, 64)
    y = lib.randint(0, 1000, (8,))
    return model, (lambda: lib.nn.functional.cross_entropy(model(x), y)), 5


def _one(name: str, framework: str) -> dict:
    if framework == "torch":
        import torch as lib
        lib.set_num_threads(2)
    else:
        import ember as lib
    lib.manual_seed(0)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    model, loss_fn, steps = globals()["_" + name](lib)
    params = list(model.parameters())
    opt = lib.optim.SGD(params, lr=0.01, momentum=0.9)

    def step():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
    step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base_rss
    return {"ms": float(np.median(times) * 1e3), "peak_mb": peak / 1024}


def _spawn(name: str, framework: str) -> dict:
    out = subprocess.run([sys.executable, os.path.abspath(__file__), name, framework],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(rounds: int = 2):
    """Each workload in fresh processes, Ember and PyTorch alternating ``rounds`` times; the
    faster median of each. This host's speed drifts by up to 2x within minutes, and one
    process of each, back to back, measured the drift as often as the frameworks."""
    rows = []
    for name in WORKLOADS:
        runs = {"ember": [], "torch": []}
        for _ in range(rounds):
            for framework in runs:
                runs[framework].append(_spawn(name, framework))
        e = min(runs["ember"], key=lambda r: r["ms"])
        t = min(runs["torch"], key=lambda r: r["ms"])
        rows.append((f"train step {name} (ms)", e["ms"], t["ms"]))
        rows.append((f"train step {name} peak memory (MB)",
                     max(max(r["peak_mb"] for r in runs["ember"]), 0.1),
                     max(max(r["peak_mb"] for r in runs["torch"]), 0.1)))
    return rows


if __name__ == "__main__":
    if len(sys.argv) == 3:
        print(json.dumps(_one(sys.argv[1], sys.argv[2])))
    else:
        for workload, e, t in run():
            print(f"{workload:50s} {e:10.2f} {t:10.2f} {e / t:6.2f}x", flush=True)
