"""Kinematics written once (hepcourse.physics.kinematics): Breit-Wigner masses, two-body
decays, parents from (m, pT, y, φ), isotropic directions, φ wrapping; and the simulators
use these, not copies of them."""
from __future__ import annotations

import pathlib

import numpy as np
import pytest
import vector

from hepcourse.constants import MU_MASS, Z_MASS, Z_WIDTH
from hepcourse.physics.kinematics import (
    breit_wigner,
    from_pt_rapidity,
    isotropic,
    two_body_decay,
    wrap_phi,
)

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "hepcourse"


def _parents(rng, n, mass=Z_MASS):
    pt, y = rng.gamma(1.6, 9.0, n), rng.normal(0.0, 1.3, n)
    return from_pt_rapidity(np.full(n, mass), pt, y, rng.uniform(-np.pi, np.pi, n))


def test_breit_wigner_has_the_pole_the_width_and_the_truncation():
    rng = np.random.default_rng(0)
    m = breit_wigner(rng, 400_000, Z_MASS, Z_WIDTH, 60.0, 120.0)
    assert 60.0 <= m.min() and m.max() <= 120.0
    assert np.median(m) == pytest.approx(Z_MASS, abs=0.02)
    q1, q3 = np.percentile(m, [25, 75])
    assert q3 - q1 == pytest.approx(Z_WIDTH, rel=0.05)  # the FWHM of a Breit-Wigner is Γ


def test_breit_wigner_takes_one_pole_per_event_and_a_zero_width():
    rng = np.random.default_rng(1)
    centre = rng.choice([400.0, 1000.0], size=100_000)
    m = breit_wigner(rng, centre.size, centre, 0.03 * centre, 0.5 * centre, 1.5 * centre)
    for c in (400.0, 1000.0):
        assert np.median(m[centre == c]) == pytest.approx(c, rel=0.002)
        q1, q3 = np.percentile(m[centre == c], [25, 75])
        assert q3 - q1 == pytest.approx(0.03 * c, rel=0.06)
    np.testing.assert_array_equal(breit_wigner(rng, 5, 100.0, 0.0, 90.0, 110.0), np.full(5, 100.0))


@pytest.mark.parametrize("mass, width", [(np.nan, 2.0), (91.0, np.inf), (-91.0, 2.0), (91.0, -1.0)])
def test_breit_wigner_refuses_bad_parameters(mass, width):
    with pytest.raises(ValueError, match="breit_wigner"):
        breit_wigner(np.random.default_rng(0), 10, mass, width, 60.0, 120.0)


@pytest.mark.parametrize("angular", ["isotropic", "vector"])
def test_two_body_decay_conserves_four_momentum_and_gives_the_daughter_masses(angular):
    rng = np.random.default_rng(2)
    parent = _parents(rng, 20_000)
    a, b = two_body_decay(rng, parent, MU_MASS, MU_MASS, angular=angular)
    np.testing.assert_allclose(a.mass, MU_MASS, rtol=1e-6)
    np.testing.assert_allclose(b.mass, MU_MASS, rtol=1e-6)
    total = a + b
    for component in ("px", "py", "pz"):
        np.testing.assert_allclose(getattr(total, component), getattr(parent, component), atol=1e-8)
    np.testing.assert_allclose(total.E, parent.E, rtol=1e-9)
    np.testing.assert_allclose(total.mass, Z_MASS, rtol=1e-6)


def test_two_body_decay_angular_distributions():
    """Isotropic: cos θ* uniform, <cos²θ*> = 1/3. Vector boson to fermions: 1 + cos²θ*,
    <cos²θ*> = 2/5. θ* is measured in the parent's rest frame against the z axis."""
    rng = np.random.default_rng(3)
    parent = _parents(rng, 200_000)
    for angular, expected in (("isotropic", 1 / 3), ("vector", 2 / 5)):
        first, _ = two_body_decay(rng, parent, MU_MASS, MU_MASS, angular=angular)
        rest = first.boostCM_of_p4(parent)
        cos = np.asarray(rest.pz / rest.mag)
        assert np.mean(cos**2) == pytest.approx(expected, abs=0.003), angular
        assert abs(np.mean(cos)) < 0.005


def test_two_body_decay_of_unequal_masses_at_rest():
    rng = np.random.default_rng(4)
    n = 1000
    top = vector.array({"px": np.zeros(n), "py": np.zeros(n), "pz": np.zeros(n), "M": np.full(n, 172.5)})
    w, b = two_body_decay(rng, top, 80.4, 4.18)
    # p* = λ^½(M², m1², m2²) / 2M for both daughters
    lam = (172.5**2 - (80.4 + 4.18) ** 2) * (172.5**2 - (80.4 - 4.18) ** 2)
    np.testing.assert_allclose(w.mag, np.sqrt(lam) / (2 * 172.5), rtol=1e-9)
    np.testing.assert_allclose(b.mag, w.mag, rtol=1e-9)
    with pytest.raises(ValueError, match="angular"):
        two_body_decay(rng, top, 80.4, 4.18, angular="flat")


def test_from_pt_rapidity_gives_back_its_inputs():
    rng = np.random.default_rng(5)
    m, pt, y, phi = (rng.uniform(10, 200, 100), rng.uniform(1, 50, 100), rng.normal(0, 1, 100),
                     rng.uniform(-np.pi, np.pi, 100))
    p = from_pt_rapidity(m, pt, y, phi)
    np.testing.assert_allclose(p.mass, m, rtol=1e-9)
    np.testing.assert_allclose(p.pt, pt, rtol=1e-12)
    np.testing.assert_allclose(p.rapidity, y, atol=1e-9)
    np.testing.assert_allclose(p.phi, phi, atol=1e-12)


def test_isotropic_directions_are_unit_vectors_uniform_on_the_sphere():
    ux, uy, uz = isotropic(np.random.default_rng(6), 200_000)
    np.testing.assert_allclose(ux**2 + uy**2 + uz**2, 1.0, rtol=1e-12)
    for u in (ux, uy, uz):
        assert abs(u.mean()) < 0.005 and np.mean(u**2) == pytest.approx(1 / 3, abs=0.003)


def test_wrap_phi_folds_into_minus_pi_to_pi():
    phi = np.array([-7.0, -np.pi, 0.0, np.pi, 3 * np.pi + 0.1, 100.0])
    wrapped = wrap_phi(phi)
    assert np.all((wrapped >= -np.pi) & (wrapped < np.pi))
    np.testing.assert_allclose(np.cos(wrapped), np.cos(phi), atol=1e-12)
    np.testing.assert_allclose(np.sin(wrapped), np.sin(phi), atol=1e-12)


def test_the_simulators_use_these_and_keep_the_names_notebooks_import():
    from hepcourse.physics import kinematics
    from hepcourse.simulate import drell_yan, resonant_ttbar

    assert drell_yan.breit_wigner_mass is kinematics.breit_wigner
    assert resonant_ttbar.two_body is kinematics.two_body_decay
    assert drell_yan.MU_MASS == MU_MASS and resonant_ttbar.T_MASS > 170


@pytest.mark.parametrize("folder", ["simulate", "physics", "analysis"])
def test_no_copies_of_the_kinematics_or_of_the_pdg_lookup(folder):
    for path in sorted((PACKAGE / folder).glob("*.py")):
        text = path.read_text()
        assert "from_pdgid" not in text and "from particle" not in text, path.name
        if folder != "physics":
            for copy in ("def _wrap", "def _isotropic", "def _breit_wigner", "def breit_wigner",
                         "def two_body", "np.arctan((", "boost_p4("):
                assert copy not in text, f"{path.name}: {copy}"
