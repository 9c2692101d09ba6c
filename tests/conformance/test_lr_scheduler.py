"""Learning-rate schedules equal torch's, epoch by epoch, over 100 epochs."""
import math

import numpy as np
import pytest
import torch

import ember

EPOCHS = 100


def _lambda(epoch):
    return 0.95 ** epoch


def _mult(epoch):
    return 0.97


# name -> (optimizer name, optimizer options, scheduler builder given (lib, optimizer)).
SCHEDULES = {
    "LambdaLR": ("SGD", {}, lambda lib, o: lib.optim.lr_scheduler.LambdaLR(o, _lambda)),
    "MultiplicativeLR": ("SGD", {}, lambda lib, o: lib.optim.lr_scheduler.MultiplicativeLR(
        o, _mult)),
    "StepLR": ("SGD", {}, lambda lib, o: lib.optim.lr_scheduler.StepLR(o, 7, gamma=0.5)),
    "MultiStepLR": ("SGD", {}, lambda lib, o: lib.optim.lr_scheduler.MultiStepLR(
        o, [10, 30, 30, 80], gamma=0.3)),
    "ConstantLR": ("SGD", {}, lambda lib, o: lib.optim.lr_scheduler.ConstantLR(
        o, factor=0.25, total_iters=12)),
    "LinearLR": ("SGD", {}, lambda lib, o: lib.optim.lr_scheduler.LinearLR(
        o, start_factor=0.1, end_factor=0.9, total_iters=40)),
    "ExponentialLR": ("SGD", {}, lambda lib, o: lib.optim.lr_scheduler.ExponentialLR(o, 0.96)),
    "PolynomialLR": ("SGD", {}, lambda lib, o: lib.optim.lr_scheduler.PolynomialLR(
        o, total_iters=60, power=2.0)),
    "CosineAnnealingLR": ("SGD", {}, lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingLR(
        o, T_max=30, eta_min=0.001)),
    "CosineAnnealingWarmRestarts": (
        "SGD", {}, lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(
            o, T_0=5, T_mult=2, eta_min=0.01)),
    "CyclicLR": ("SGD", {"momentum": 0.9}, lambda lib, o: lib.optim.lr_scheduler.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=7, step_size_down=13, mode="triangular2")),
    "CyclicLR-exp_range": ("Adam", {}, lambda lib, o: lib.optim.lr_scheduler.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=9, mode="exp_range", gamma=0.99)),
    "OneCycleLR": ("SGD", {"momentum": 0.9}, lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(
        o, max_lr=0.5, total_steps=EPOCHS + 1)),
    "OneCycleLR-three-phase-linear": (
        "Adam", {}, lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(
            o, max_lr=[0.5, 0.2], epochs=10, steps_per_epoch=11, three_phase=True,
            anneal_strategy="linear")),
    "SequentialLR": ("SGD", {}, lambda lib, o: lib.optim.lr_scheduler.SequentialLR(
        o, [lib.optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=10),
            lib.optim.lr_scheduler.CosineAnnealingLR(o, T_max=40),
            lib.optim.lr_scheduler.ExponentialLR(o, 0.9)], milestones=[10, 50])),
    "SWALR": ("SGD", {}, lambda lib, o: lib.optim.swa_utils.SWALR(
        o, swa_lr=[0.02, 0.01], anneal_epochs=15)),
    "SWALR-linear": ("SGD", {}, lambda lib, o: lib.optim.swa_utils.SWALR(
        o, swa_lr=0.02, anneal_epochs=0, anneal_strategy="linear")),
    "ChainedScheduler": ("SGD", {}, lambda lib, o: lib.optim.lr_scheduler.ChainedScheduler(
        [lib.optim.lr_scheduler.ConstantLR(o, factor=0.1, total_iters=2),
         lib.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)])),
}


def _optimizer(lib, name, options):
    a = lib.zeros(3, requires_grad=True)
    b = lib.zeros(2, requires_grad=True)
    return getattr(lib.optim, name)([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1,
                                    **options)


def _trajectory(lib, key):
    opt_name, options, build = SCHEDULES[key]
    opt = _optimizer(lib, opt_name, options)
    scheduler = build(lib, opt)
    lrs, momenta = [], []
    for _ in range(EPOCHS):
        opt.step()
        scheduler.step()
        lrs.append(list(scheduler.get_last_lr()))
        momenta.append([g.get("momentum", g.get("betas", (None,))[0])
                        for g in opt.param_groups])
    return lrs, momenta, scheduler


@pytest.mark.parametrize("key", list(SCHEDULES))
def test_lr_sequence_equals_torch(key):
    ember_lrs, ember_momenta, _ = _trajectory(ember, key)
    torch_lrs, torch_momenta, _ = _trajectory(torch, key)
    assert ember_lrs == torch_lrs
    assert ember_momenta == torch_momenta


@pytest.mark.parametrize("key", list(SCHEDULES))
def test_state_dict_keys_equal_torch(key):
    _, _, ember_sched = _trajectory(ember, key)
    _, _, torch_sched = _trajectory(torch, key)
    ember_sd, torch_sd = ember_sched.state_dict(), torch_sched.state_dict()
    assert set(ember_sd) - {"_get_lr_called_within_step", "_is_initial"} <= set(torch_sd) | {
        "_get_lr_called_within_step", "_is_initial"}
    assert ember_sd["_last_lr"] == torch_sd["_last_lr"]


@pytest.mark.parametrize("mode,threshold_mode", [("min", "rel"), ("max", "abs")])
def test_reduce_lr_on_plateau_equals_torch(mode, threshold_mode):
    rng = np.random.default_rng(0)
    metrics = np.cumsum(rng.standard_normal(EPOCHS)) * (1 if mode == "min" else -1)
    sequences = []
    for lib in (ember, torch):
        opt = _optimizer(lib, "SGD", {})
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(
            opt, mode=mode, factor=0.5, patience=3, threshold=0.05,
            threshold_mode=threshold_mode, cooldown=2, min_lr=[0.001, 0.002])
        out = []
        for metric in metrics:
            sched.step(float(metric))
            out.append(sched.get_last_lr())
        sequences.append(out)
    assert sequences[0] == sequences[1]
    assert not math.isclose(sequences[0][-1][0], 0.1)


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "CosineAnnealingLR", "LinearLR"])
def test_step_with_epoch_uses_closed_form_like_torch(name):
    build = {"StepLR": lambda lib, o: lib.optim.lr_scheduler.StepLR(o, 3),
             "MultiStepLR": lambda lib, o: lib.optim.lr_scheduler.MultiStepLR(o, [2, 5]),
             "CosineAnnealingLR": lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingLR(o, 10),
             "LinearLR": lambda lib, o: lib.optim.lr_scheduler.LinearLR(o)}[name]
    results = []
    for lib in (ember, torch):
        opt = _optimizer(lib, "SGD", {})
        sched = build(lib, opt)
        out = []
        for epoch in (4, 1, 7, 7, 12):
            with pytest.warns(UserWarning):
                sched.step(epoch)
            out.append(sched.get_last_lr())
        results.append(out)
    assert results[0] == results[1]
