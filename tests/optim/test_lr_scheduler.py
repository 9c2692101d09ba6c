"""Learning-rate schedulers without torch: resume from state_dict, warnings, validation."""
import warnings

import pytest

import ember
from ember.optim import SGD, lr_scheduler


def _opt(lr=0.1):
    return SGD([ember.zeros(2, requires_grad=True)], lr=lr, momentum=0.9)


def test_initial_lr_is_recorded():
    opt = _opt()
    lr_scheduler.StepLR(opt, 2)
    assert opt.param_groups[0]["initial_lr"] == 0.1


def test_resume_from_state_dict_continues_the_sequence():
    opt_a = _opt()
    sched_a = lr_scheduler.CosineAnnealingLR(opt_a, T_max=10)
    for _ in range(4):
        opt_a.step()
        sched_a.step()
    opt_b = _opt()
    sched_b = lr_scheduler.CosineAnnealingLR(opt_b, T_max=10)
    opt_b.load_state_dict(opt_a.state_dict())
    sched_b.load_state_dict(sched_a.state_dict())
    for _ in range(5):
        opt_a.step()
        sched_a.step()
        opt_b.step()
        sched_b.step()
        assert sched_a.get_last_lr() == sched_b.get_last_lr()


def test_scheduler_step_before_optimizer_step_warns():
    sched = lr_scheduler.StepLR(_opt(), 2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()


def test_no_warning_in_the_right_order():
    opt = _opt()
    sched = lr_scheduler.ExponentialLR(opt, 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step()
    assert sched.get_last_lr() == [0.05]


def test_non_optimizer_raises_type_error():
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.StepLR(object(), 2)


def test_plateau_factor_must_be_below_one():
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        lr_scheduler.ReduceLROnPlateau(_opt(), factor=1.0)


def test_one_cycle_needs_a_length():
    with pytest.raises(ValueError, match="total_steps OR \\(epochs AND steps_per_epoch\\)"):
        lr_scheduler.OneCycleLR(_opt(), max_lr=1.0)


def test_one_cycle_past_the_end_raises():
    opt = _opt()
    sched = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(3):
        opt.step()
        sched.step()
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        sched.step()


def test_lambda_lr_state_dict_drops_plain_functions():
    sched = lr_scheduler.LambdaLR(_opt(), lambda epoch: 0.5 ** epoch)
    assert sched.state_dict()["lr_lambdas"] == [None]


def test_sequential_lr_milestone_count_checked():
    opt = _opt()
    with pytest.raises(ValueError, match="one more than the number of milestone points"):
        lr_scheduler.SequentialLR(opt, [lr_scheduler.StepLR(opt, 2)], milestones=[3])
