"""The beam-line appendix: linear optics (Twiss, the textbook kick response), the
gymnasium environment (API, seeding, bad actions, beam loss) and the classical SVD
correction (threshold in two steps, a stale matrix after the machine changed)."""
from __future__ import annotations

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from hepcourse.envs import (
    BeamlineEnv,
    Machine,
    measure_response,
    svd_episode,
    svd_inverse,
)
from hepcourse.physics import optics

SEEDS = range(50)


def kick_response(line, corrector, kick=0.1):
    """BPM readings [mm] for one kick [mrad] on a line with no other error, by tracking."""
    kicks = np.zeros(len(line.where("corrector")))
    kicks[corrector] = kick
    return optics.track(line, 0.0, 0.0, kicks)[0, line.where("bpm")]


def textbook(line, corrector, kick=0.1):
    """√(β_i β_j) sin(μ_i − μ_j) θ at every BPM i downstream of corrector j, 0 upstream,
    written from the Twiss functions alone."""
    t = optics.twiss(line)
    j = line.where("corrector")[corrector]
    out = []
    for i in line.where("bpm"):
        out.append(kick * np.sqrt(t["beta"][i] * t["beta"][j]) * np.sin(t["mu"][i] - t["mu"][j]) if i > j else 0.0)
    return np.array(out)


# --- optics --------------------------------------------------------------------------------

def test_twiss_follows_the_drift_formula_and_the_matched_line_repeats_itself():
    line = optics.fodo_line()
    t = optics.twiss(line)
    first = line.elements[1]  # the drift after the first corrector
    gamma0 = (1 + line.alpha0**2) / line.beta0
    s = first.value
    assert t["beta"][1] == pytest.approx(line.beta0 - 2 * line.alpha0 * s + gamma0 * s**2)
    ends = np.arange(9, len(line.elements), 10)  # the end of each FODO period
    assert np.allclose(t["beta"][ends], line.beta0) and np.allclose(t["alpha"][ends], line.alpha0)
    assert np.all(np.diff(t["mu"]) >= 0)
    # 60 degrees per FODO cell (sin(mu/2) = L/2f with L = f)
    assert np.allclose(np.diff(t["mu"][ends]), np.radians(60))


def test_the_vertical_plane_sees_every_quadrupole_with_the_other_sign():
    x, y = optics.fodo_line(), optics.fodo_line(plane="y")
    bx, by = optics.twiss(x)["beta"], optics.twiss(y)["beta"]
    quads = x.where("quad")
    assert np.all(bx[quads][0::2] > by[quads][0::2]) and np.all(bx[quads][1::2] < by[quads][1::2])
    assert np.allclose(np.sort(bx[quads]), np.sort(by[quads]))  # the same FODO, shifted by a half-cell
    with pytest.raises(ValueError, match="plane"):
        optics.fodo_line(plane="z")


def test_twiss_agrees_with_the_beam_matrix_propagated_by_the_transfer_matrices():
    line = optics.fodo_line(focal_length=1.3, half_cell=0.8).mispowered(4, 1.4)
    sigma = np.array([[line.beta0, -line.alpha0], [-line.alpha0, (1 + line.alpha0**2) / line.beta0]])
    t = optics.twiss(line)
    for e, element in enumerate(line.elements):
        m = element.matrix()
        sigma = m @ sigma @ m.T
        assert sigma[0, 0] == pytest.approx(t["beta"][e]) and -sigma[0, 1] == pytest.approx(t["alpha"][e])


@pytest.mark.parametrize("line", [optics.fodo_line(), optics.fodo_line(focal_length=1.7, corrector_to_quad=0.6),
                                  optics.fodo_line().mispowered(3, -1.0), optics.fodo_line(plane="y")],
                         ids=["nominal", "other", "reversed-quad", "vertical"])
def test_a_single_kick_gives_the_textbook_response_downstream_and_nothing_upstream(line):
    for corrector in range(len(line.where("corrector"))):
        tracked = kick_response(line, corrector)
        assert np.allclose(tracked, textbook(line, corrector), atol=1e-12)
        upstream = line.where("bpm") < line.where("corrector")[corrector]
        assert np.all(tracked[upstream] == 0) and np.abs(tracked[~upstream]).max() > 0.01
    assert np.allclose(optics.response(line), np.stack([kick_response(line, j, 1.0) for j in range(10)], axis=1))


def test_the_textbook_check_catches_a_wrong_optics():
    """The Twiss functions of the nominal line do not describe a line with a reversed quadrupole."""
    nominal, changed = optics.fodo_line(), optics.fodo_line().mispowered(3, -1.0)
    assert not np.allclose(kick_response(changed, 0), textbook(nominal, 0), atol=1e-3)
    assert not np.allclose(optics.response(changed), optics.response(nominal), atol=1e-3)


def test_a_misaligned_quadrupole_moves_the_trajectory_but_not_the_response():
    nominal, moved = optics.fodo_line(), optics.fodo_line().misaligned(2, 0.5)
    assert np.abs(optics.track(moved, 0, 0, np.zeros(10))).max() > 0.1
    assert np.allclose(optics.response(moved), optics.response(nominal))
    assert np.allclose(measure_response(Machine(moved, bpm_noise=0.0)), optics.response(nominal))


def test_bad_lines_are_refused():
    with pytest.raises(ValueError, match="unstable"):
        optics.fodo_line(focal_length=0.4)
    with pytest.raises(ValueError, match="factor"):
        optics.fodo_line().mispowered(0, 0.0)
    with pytest.raises(ValueError, match="quad"):
        optics.fodo_line().mispowered(10, 1.1)
    with pytest.raises(ValueError, match="kicks"):
        optics.track(optics.fodo_line(), 0, 0, np.zeros(3))


# --- the environment -----------------------------------------------------------------------

def test_the_environment_passes_the_gymnasium_checker():
    check_env(BeamlineEnv(), skip_render_check=True)


def episode(env, seed, actions):
    observations = [env.reset(seed=seed)[0]]
    for action in actions:
        observations.append(env.step(action)[0])
    return np.array(observations)


def test_same_seed_same_episode_and_another_seed_another():
    actions = np.random.default_rng(0).uniform(-0.2, 0.2, (5, 10)).astype(np.float32)
    first, again = episode(BeamlineEnv(), 7, actions), episode(BeamlineEnv(), 7, actions)
    assert np.array_equal(first, again)
    assert not np.allclose(first, episode(BeamlineEnv(), 8, actions))


@pytest.mark.parametrize("action", [np.zeros(9), np.zeros((10, 1)), np.full(10, np.nan), np.full(10, np.inf),
                                    np.full(10, 1.5), "steer", None], ids=str)
def test_bad_actions_raise_a_clear_error(action):
    env = BeamlineEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action"):
        env.step(action)
    assert env.steps == 0  # nothing was applied


@pytest.mark.parametrize("loss_reward", [None, -300.0])
def test_losing_the_beam_ends_the_episode_with_the_loss_reward(loss_reward):
    env = BeamlineEnv(loss_reward=loss_reward)
    env.reset(seed=0)
    push = np.ones(10, dtype=np.float32)
    for _ in range(env.max_steps):
        _, reward, terminated, truncated, info = env.step(push)
        if terminated:
            break
    assert info["lost"] and terminated and not truncated and not info["success"]
    assert reward == (-env.machine.aperture if loss_reward is None else loss_reward)
    assert env.observation_space.contains(env.step(np.zeros(10, np.float32))[0])  # readings stay in range


def test_an_idle_episode_is_truncated_at_the_step_cap():
    env = BeamlineEnv(max_steps=4)
    _, info = env.reset(seed=1)
    assert info["rms"] >= env.threshold and info["interactions"] == 1
    for step in range(4):
        _, reward, terminated, truncated, info = env.step(np.zeros(10, np.float32))
        assert reward == pytest.approx(-info["rms"]) and not terminated
    assert truncated and info["interactions"] == 5


# --- the classical answer ------------------------------------------------------------------

def test_the_measured_response_matrix_matches_the_analytic_one():
    exact = optics.response(optics.fodo_line())
    machine = Machine(bpm_noise=0.0)
    assert np.allclose(measure_response(machine), exact, atol=1e-12)
    assert machine.interactions == 11 and np.all(machine.kicks == 0)  # one reference + one per corrector
    noisy = measure_response(Machine(seed=3), kick=1.0)
    error = np.abs(noisy - exact)
    assert error.max() < 5 * np.sqrt(2) * 0.02 / 1.0 and error.max() > 0  # within 5 sigma of the BPM noise


def test_truncated_svd_keeps_the_largest_modes_and_returns_every_singular_value():
    exact = optics.response(optics.fodo_line())
    inverse, s = svd_inverse(exact)
    assert np.allclose(inverse @ exact, np.eye(10)) and np.allclose(s, np.linalg.svd(exact, compute_uv=False))
    truncated, _ = svd_inverse(exact, n_modes=6)
    assert np.linalg.matrix_rank(truncated) == 6
    with pytest.raises(ValueError, match="n_modes"):
        svd_inverse(exact, n_modes=11)


@pytest.mark.parametrize("n_modes", [None, 8])
def test_svd_reaches_the_threshold_in_at_most_two_steps_from_every_seeded_start(n_modes):
    env = BeamlineEnv()
    inverse, _ = svd_inverse(measure_response(Machine(seed=3)), n_modes=n_modes)
    results = [svd_episode(env, inverse, seed=seed) for seed in SEEDS]
    assert all(r["success"] and r["steps"] <= 2 for r in results), [r for r in results if not r["success"]]
    assert min(r["initial_rms"] for r in results) >= env.threshold  # every start needed correcting
    assert all(r["interactions"] == r["steps"] + 1 for r in results)


def test_a_stale_response_matrix_fails_on_a_changed_machine_and_a_new_measurement_cures_it():
    stale, _ = svd_inverse(measure_response(Machine(seed=3)))
    changed = BeamlineEnv(line=optics.fodo_line().mispowered(3, -1.0))  # quadrupole 3 with reversed polarity
    with_stale = [svd_episode(changed, stale, seed=seed) for seed in SEEDS]
    fresh, _ = svd_inverse(measure_response(changed.machine))
    with_fresh = [svd_episode(changed, fresh, seed=seed) for seed in SEEDS]
    stale_rate = np.mean([r["success"] for r in with_stale])
    assert stale_rate < 0.8 and all(r["success"] for r in with_fresh)
    assert np.median([r["rms"] for r in with_stale]) > 3 * np.median([r["rms"] for r in with_fresh])
