"""Self-checks of the appendix: reinforcement learning to steer a beam."""
from __future__ import annotations

import numpy as np

from .core import Feedback, array, mapping, number, register, value


def _nominal_response():
    from ...physics import optics

    return optics.response(optics.fodo_line())


def modes_needed_truth(y_start, threshold: float = 0.3) -> int:
    """The fewest SVD modes of the nominal response matrix whose one noiseless correction
    brings the readings ``y_start`` [mm] below ``threshold`` RMS (K+1 when none does)."""
    r = _nominal_response()
    u, s, vt = np.linalg.svd(r, full_matrices=False)
    for n in range(1, len(s) + 1):
        inverse = vt[:n].T @ np.diag(1 / s[:n]) @ u[:, :n].T
        if np.sqrt(np.mean((y_start - r @ inverse @ y_start) ** 2)) < threshold:
            return n
    return len(s) + 1


@register("A.1", ("modes_needed", "y_start"), "the fewest SVD modes that correct `y_start` below 0.3 mm")
def _modes_needed(modes_needed, y_start):
    y = array(y_start, "y_start", "the 10 BPM readings [mm] of the start", length=10)
    got = number(modes_needed, "modes_needed", "a whole number of modes from 1 to 10", integer=True, low=1, high=10)
    truth = modes_needed_truth(y)
    return value("the number of modes", got, truth - 1, truth, variable="modes_needed",
                 hint="Correct with the inverse of the n largest modes (svd_inverse(R, n_modes=n)), "
                      "predict the residual y + R @ Δkick, and take the smallest n whose RMS is below "
                      "the threshold. A noisy measured R can make it one mode fewer.")


@register("A.2", ("returns_to_go", "rewards", "gamma"), "the discounted return G_t of every step of an episode")
def _returns_to_go(returns_to_go, rewards, gamma):
    r = array(rewards, "rewards", "the rewards of one episode, one per step")
    g = number(gamma, "gamma", "the discount factor between 0 and 1", low=0.0, high=1.0)
    got = array(returns_to_go, "returns_to_go", "one return per step of the episode", length=len(r),
                length_of="`rewards`")
    truth = np.zeros(len(r))
    running = 0.0
    for t in range(len(r) - 1, -1, -1):
        running = r[t] + g * running
        truth[t] = running
    error = float(np.max(np.abs(got - truth)))
    if error <= 1e-6 * max(1.0, float(np.abs(truth).max())):
        return Feedback(True, f"every G_t is right (G_0 = {truth[0]:.4g}, largest error {error:.1e}).",
                        {"value": float(truth[0])})
    if np.allclose(got, np.cumsum(r[::-1])[::-1]):
        return Feedback(False, "these are the undiscounted sums of the rewards to go: multiply the "
                               "reward k steps ahead by gamma**k.")
    if np.allclose(got[::-1], truth):
        return Feedback(False, "the returns are in reverse order: G_0 belongs to the first step.")
    return Feedback(False, f"G_t differs from the discounted sum by up to {error:.3g} (G_0 should be "
                           f"{truth[0]:.4g}). Work backwards: G_T = r_T, G_t = r_t + gamma * G_(t+1).")


@register("A.3", ("gain_rates",), "the stale SVD's success rate on the family, for each gain")
def _gain_rates(gain_rates):
    given = mapping(gain_rates, "gain_rates", "a dict from the SVD gain (e.g. 0.5) to its success rate")
    if len(given) < 3:
        return Feedback(False, f"`gain_rates` holds {len(given)} gains; try at least three, "
                               "e.g. 0.3, 0.5, 0.7 and 1.0.")
    gains = np.array([number(k, "a key of gain_rates", "a gain > 0", positive=True) for k in given])
    rates = np.array([number(v, f"gain_rates[{k!r}]", "a success rate between 0 and 1", low=0.0, high=1.0)
                      for k, v in given.items()])
    if not np.any(gains == 1.0):
        return Feedback(False, "include the undamped correction, gain 1.0, to compare with.")
    best = gains[int(np.argmax(rates))]
    if best >= 1.0:
        return Feedback(False, f"the best gain you found is {best:g}; on this family a damped correction "
                               "(gain below 1) should lose fewer beams. Are the rates measured on the "
                               "family (MachineFamily) with the stale matrix?")
    return value("the success-rate gain of the best damped correction over gain 1",
                 rates.max() - rates[gains == 1.0][0], 0.0, 1.0,
                 hint="evaluate(SVDPolicy(stale, 1.0, gain=g), family) for each gain.")


@register("A.4", ("returns",), "the mean discounted return of dumping the beam and of doing nothing")
def _dump_or_idle(returns):
    given = mapping(returns, "returns", "a dict with the mean discounted returns of 'dump' and 'idle'")
    for key in ("dump", "idle"):
        if key not in given:
            return Feedback(False, f"`returns` has the keys {list(given)}; expected 'dump' and 'idle'.")
    dump = number(given["dump"], "returns['dump']", "a mean return ≤ 0", high=0.0)
    idle = number(given["idle"], "returns['idle']", "a mean return ≤ 0", high=0.0)
    truth = discounted_returns()
    for key, got in (("dump", dump), ("idle", idle)):
        target = truth[key]
        if abs(got - target) > 0.03 * abs(target) + 0.05:
            return Feedback(False, f"returns[{key!r}] = {got:.3f}, but the environment gives {target:.3f}. "
                                   "Start each episode with env.reset(seed=s) for the evaluation seeds, "
                                   "discount the reward of step t by 0.9**t and average over episodes.",
                            {"value": got})
    better = "dumping the beam" if dump > idle else "doing nothing"
    return Feedback(True, f"dump {dump:.3f}, idle {idle:.3f}: with γ = 0.9, {better} earns more.",
                    {"value": dump - idle})


def discounted_returns(gamma: float = 0.9, seeds=range(10_000, 10_100)) -> dict[str, float]:
    """Mean discounted returns on the default environment of the policies "dump" (every
    corrector pushed by +1 until the beam is lost) and "idle" (no change, to the step cap)."""
    from ...envs import BeamlineEnv

    env, out = BeamlineEnv(), {}
    for key, action in (("dump", np.ones(10, np.float32)), ("idle", np.zeros(10, np.float32))):
        totals = []
        for seed in seeds:
            env.reset(seed=seed)
            total, t, done = 0.0, 0, False
            while not done:
                _, reward, terminated, truncated, _ = env.step(action)
                total += gamma**t * reward
                t, done = t + 1, terminated or truncated
            totals.append(total)
        out[key] = float(np.mean(totals))
    return out
