"""Large optimizer steps run on Ember's thread pool and give exactly the sequential result."""
import numpy as np
import pytest

import ember
from ember import _parallel

CASES = [("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
         ("Adam", {"lr": 1e-2, "amsgrad": True}), ("AdamW", {"lr": 1e-2}),
         ("Adagrad", {"lr": 0.1}), ("Adadelta", {}), ("Adamax", {}), ("NAdam", {}),
         ("RAdam", {}), ("RMSprop", {"momentum": 0.5, "centered": True})]


def _trajectory(name: str, options: dict, threads: int) -> list:
    rng = np.random.default_rng(0)
    params = [ember.tensor(rng.standard_normal(n).astype(np.float32), requires_grad=True)
              for n in (400_000, 500_000, 300_000, 7)]
    previous = ember.get_num_threads()
    ember.set_num_threads(threads)
    try:
        opt = getattr(ember.optim, name)(params, **options)
        for step in range(3):
            for i, p in enumerate(params):
                p.grad = ember.tensor(np.sin(p.detach().numpy() * (step + i + 1)))
            opt.step()
    finally:
        ember.set_num_threads(previous)
    return [p.detach().numpy().copy() for p in params]


@pytest.mark.parametrize("name,options", CASES, ids=[c[0] for c in CASES])
def test_threaded_step_equals_sequential(name, options):
    assert sum((400_000, 500_000, 300_000, 7)) >= _parallel.PARALLEL_MIN_ELEMENTS
    for a, b in zip(_trajectory(name, options, 2), _trajectory(name, options, 1)):
        np.testing.assert_array_equal(a, b)


def test_step_exception_in_a_worker_is_raised_after_all_finish():
    seen = []

    def work(i):
        seen.append(i)
        if i == 1:
            raise ValueError("bad item 1")

    previous = ember.get_num_threads()
    ember.set_num_threads(2)
    try:
        with pytest.raises(ValueError, match="bad item 1"):
            _parallel.parallel_for(work, range(4), _parallel.PARALLEL_MIN_ELEMENTS)
    finally:
        ember.set_num_threads(previous)
    assert sorted(seen) == [0, 1, 2, 3]


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_set_num_threads_rejects_non_positive_integers(bad):
    with pytest.raises(RuntimeError, match="positive integer"):
        ember.set_num_threads(bad)
