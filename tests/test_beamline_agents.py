"""The beam-line appendix's package side: the family of machines, the evaluation of any
policy, the learning-curve log, Bayesian optimisation, and the RL budget: a seeded PPO run
of the chapter's budget reaches the threshold in at least 90% of the held-out starts."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from hepcourse.envs import BeamlineEnv, Machine, measure_response, svd_inverse
from hepcourse.envs.agents import EpisodeLog, evaluate, learning_curve, train
from hepcourse.envs.correction import SVDPolicy
from hepcourse.envs.family import MachineFamily, draw_line
from hepcourse.envs.optimise import bayesian_episode, expected_improvement
from hepcourse.physics import optics


def test_a_family_draws_a_new_machine_per_episode_reproducibly():
    family = MachineFamily(strength_spread=0.1, reversed_probability=0.5)
    family.reset(seed=3)
    first = family.machine.line
    family.reset(seed=4)
    assert family.machine.line != first and family.machines >= 2
    family.reset(seed=3)
    assert family.machine.line == first
    nominal = draw_line(0)
    assert nominal == optics.fodo_line()
    with pytest.raises(ValueError, match="strength_spread"):
        MachineFamily(strength_spread=-0.1)
    with pytest.raises(ValueError, match="draws its own"):
        MachineFamily(line=optics.fodo_line())


def test_evaluate_runs_the_svd_policy_like_svd_episode_and_counts_shots():
    env = BeamlineEnv()
    inverse, _ = svd_inverse(measure_response(Machine(seed=3)))
    result = evaluate(SVDPolicy(inverse, env.max_change), env, range(20))
    assert result.rate == 1.0 and np.all(result.steps <= 2) and np.all(result.shots == result.steps + 1)
    rate, low, high = result.interval()
    assert rate == 1.0 and low < 1.0 == high
    idle = evaluate(lambda readings: np.zeros(10, np.float32), env, range(5), max_steps=3)
    assert np.all(idle.steps == 3) and not idle.success.any()
    with pytest.raises(TypeError, match="policy"):
        evaluate("svd", env, range(2))


def test_a_damped_svd_loses_fewer_beams_on_a_family_with_reversed_quadrupoles():
    stale, _ = svd_inverse(measure_response(Machine(seed=3)))
    family = MachineFamily(strength_spread=0.1, reversed_probability=0.1)
    full = evaluate(SVDPolicy(stale, 1.0), family, range(60))
    damped = evaluate(SVDPolicy(stale, 1.0, gain=0.5), family, range(60))
    assert full.rate < 1.0 and damped.lost.sum() < full.lost.sum()


def test_the_episode_log_and_the_learning_curve():
    log = EpisodeLog(BeamlineEnv(max_steps=2))
    log.reset(seed=0)
    for _ in range(10):
        _, _, terminated, truncated, _ = log.step(np.zeros(10, np.float32))
        if terminated or truncated:
            log.reset()
    assert log.lengths == [2] * 5 and log.shots == [3, 6, 9, 12, 15] and not any(log.successes)
    curve = learning_curve(log, window=2, grid=[3.0, 9.0, 20.0])
    assert np.isnan(curve["success"][0]) and curve["success"][1] == 0.0
    assert np.isnan(curve["on_grid"][0]) and curve["on_grid"][1] == 0.0 and np.isnan(curve["on_grid"][2])


def test_expected_improvement_and_a_short_bayesian_optimisation():
    assert expected_improvement(np.array([0.0]), np.array([1e-15]), 1.0)[0] == pytest.approx(1.0)
    assert expected_improvement(np.array([2.0]), np.array([1.0]), 1.0)[0] < expected_improvement(
        np.array([1.0]), np.array([1.0]), 1.0)[0]
    result = bayesian_episode(BeamlineEnv(), seed=10_003, budget=12, candidates=200)
    assert result["shots"] == len(result["history"]) <= 12
    assert result["rms"] == result["history"].min() <= result["initial_rms"]


def test_ppo_reaches_the_threshold_in_90_percent_of_held_out_starts_within_the_chapter_budget():
    """The chapter's full-size PPO budget (20,000 shots), one seed; about 20 s on one core."""
    torch.set_num_threads(1)
    agent = train("ppo", BeamlineEnv(), 20_000, seed=0)
    result = evaluate(agent, BeamlineEnv())
    rate, low, high = result.interval()
    print(f"PPO, 20,000 training shots, seed 0: success in {rate:.2f} [{low:.2f}, {high:.2f}] of "
          f"{result.success.size} held-out starts, {result.shots_to_success:.2f} shots per success")
    assert rate >= 0.9
    assert agent.parameters == 10 * 64 + 64 + 64 * 64 + 64 + 64 * 10 + 10 + 10
