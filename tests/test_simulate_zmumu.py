"""The Z→μμ and HZZ twins: the schema of the real files, seeded determinism, physics."""
from __future__ import annotations

import awkward as ak
import numpy as np
import pytest
import uproot
import vector

from hepcourse import simulate
from hepcourse.analysis.candidates import one_candidate_per_event
from hepcourse.analysis.zpeak import Z_MASS, fit_zpeak
from hepcourse.simulate.drell_yan import MU_MASS, breit_wigner_mass


def test_zmumu_has_the_schema_of_the_real_file(shared_mirror):
    with uproot.open(shared_mirror / "uproot-Zmumu.root") as f:
        real = f["events"].arrays(entry_stop=10)
    twin = simulate.zmumu(n=10, seed=0)
    assert str(ak.type(twin)).split("*", 1)[1] == str(ak.type(real)).split("*", 1)[1]


def test_hzz_twin_matches_the_real_branch_types(shared_mirror):
    with uproot.open(shared_mirror / "uproot-HZZ.root") as f:
        real = f["events"].arrays(entry_stop=10)
    twin = simulate.hzz(n=50, seed=0)
    assert set(twin.fields) <= set(real.fields)
    for field in twin.fields:
        assert str(ak.type(twin[field])).split("*", 1)[1] == str(ak.type(real[field])).split("*", 1)[1], field
    assert ak.all(ak.num(twin.Muon_Px) == twin.NMuon) and ak.all(ak.num(twin.Jet_E) == twin.NJet)


def test_same_seed_same_events_other_seed_other_events():
    a, b, c = simulate.zmumu(seed=7), simulate.zmumu(seed=7), simulate.zmumu(seed=8)
    assert ak.to_list(a) == ak.to_list(b)
    assert not np.array_equal(ak.to_numpy(a.M), ak.to_numpy(c.M))
    assert ak.to_list(simulate.hzz(n=100, seed=1)) == ak.to_list(simulate.hzz(n=100, seed=1))


def test_muons_are_consistent_four_vectors():
    z = simulate.zmumu(n=2000, seed=1)
    for i in "12":
        mu = vector.array({"px": ak.to_numpy(z[f"px{i}"]), "py": ak.to_numpy(z[f"py{i}"]),
                           "pz": ak.to_numpy(z[f"pz{i}"]), "E": ak.to_numpy(z[f"E{i}"])})
        np.testing.assert_allclose(mu.mass, MU_MASS, atol=1e-6)
        np.testing.assert_allclose(mu.pt, ak.to_numpy(z[f"pt{i}"]), rtol=1e-9)
        assert np.all(np.abs(ak.to_numpy(z[f"eta{i}"])) < 2.4)
    m1 = vector.array({"px": ak.to_numpy(z.px1), "py": ak.to_numpy(z.py1), "pz": ak.to_numpy(z.pz1), "E": ak.to_numpy(z.E1)})
    m2 = vector.array({"px": ak.to_numpy(z.px2), "py": ak.to_numpy(z.py2), "pz": ak.to_numpy(z.pz2), "E": ak.to_numpy(z.E2)})
    np.testing.assert_allclose((m1 + m2).mass, ak.to_numpy(z.M), rtol=1e-9)
    opposite = np.mean(ak.to_numpy(z.Q1 * z.Q2) == -1)
    assert 0.9 < opposite < 0.995  # mostly opposite-sign pairs, a few same-sign fakes


def test_breit_wigner_has_the_pdg_width():
    rng = np.random.default_rng(0)
    m = breit_wigner_mass(rng, 400_000, 91.1876, 2.4952, 60.0, 120.0)
    assert 60 <= m.min() and m.max() <= 120
    assert np.median(m) == pytest.approx(91.19, abs=0.02)
    q1, q3 = np.percentile(m, [25, 75])
    assert q3 - q1 == pytest.approx(2.4952, rel=0.05)  # the FWHM of a Breit-Wigner is Γ


def test_every_event_appears_as_four_candidates_like_the_real_file():
    z = simulate.zmumu(n=400, seed=2)
    keys = list(zip(ak.to_list(z.Run), ak.to_list(z.Event)))
    assert len(set(keys)) == 100
    assert ak.to_list(z.Type[:4]) == ["GT", "TT", "GT", "GG"]
    first = z[:4]
    # the same two muons, measured four ways: momenta close, not identical
    assert np.ptp(ak.to_numpy(first.M)) < 0.1 * float(first.M[0]) and np.ptp(ak.to_numpy(first.M)) > 0
    assert len(simulate.zmumu(n=7, seed=0)) == 7


def test_one_candidate_per_event_on_the_real_file(shared_mirror):
    with uproot.open(shared_mirror / "uproot-Zmumu.root") as f:
        real = f["events"].arrays()
    best = one_candidate_per_event(real)
    assert len(best) == 500 and set(ak.to_list(best.Type)) == {"GG"}
    only_tt = one_candidate_per_event(real[real.Type == "TT"], preference=("TT",))
    assert len(only_tt) == 500
    with pytest.raises(ValueError, match=r"candidate types \['GT', 'TT'\] are not in preference"):
        one_candidate_per_event(real, preference=("GG",))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_twin_fits_like_the_real_data(seed):
    fit = fit_zpeak(ak.to_numpy(one_candidate_per_event(simulate.zmumu(seed=seed)).M))
    assert fit.valid
    # the peak sits slightly below the pole mass: final-state radiation, as in the real data
    assert Z_MASS - 0.9 < fit.values["m"] < Z_MASS + 0.1
    assert 1.0 < fit.values["sigma"] < 2.5


@pytest.mark.parametrize("kwargs, message", [
    ({"n": 0}, "n=0: must be at least 1"), ({"n": 2.5}, "n=2.5: expected a whole number"),
    ({"signal_fraction": 1.5}, "signal_fraction=1.5: must be ≤ 1"),
    ({"mass_range": (120.0, 60.0)}, r"mass_range=\(120.0, 60.0\)"),
    ({"mass_range": (0.0, 60.0)}, "mass_range"), ({"mass_range": (60.0, float("inf"))}, "mass_range"),
])
def test_bad_arguments_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        simulate.zmumu(**kwargs)


def test_a_mass_range_below_the_z_gives_only_continuum_in_range():
    # the old generator drew the Z peak from [50, high] and failed with numpy's
    # "high - low < 0" when high < 50 GeV
    z = simulate.zmumu(400, seed=3, mass_range=(2.0, 30.0))
    truth = one_candidate_per_event(z)
    assert len(z) == 400 and np.all(ak.to_numpy(truth.M) < 40.0)


def test_the_continuum_respects_the_lower_end_of_the_mass_range():
    # the old continuum (30 GeV + an exponential) put half of its events below 60 GeV
    z = one_candidate_per_event(simulate.zmumu(4000, seed=4, signal_fraction=0.0, mass_range=(60.0, 120.0)))
    m = ak.to_numpy(z.M)
    assert np.mean(m < 55.0) < 0.05  # only final-state radiation and resolution move it below
    assert np.mean(m > 125.0) < 0.01


def test_seed_is_keyword_only_and_may_be_a_generator():
    with pytest.raises(TypeError):
        simulate.zmumu(10, 0)
    with pytest.raises(TypeError):
        simulate.hzz(10, 0)
    a = simulate.zmumu(40, seed=np.random.default_rng(5))
    b = simulate.zmumu(40, seed=np.random.default_rng(5))
    assert ak.to_list(a) == ak.to_list(b)
    assert ak.to_list(simulate.hzz(20, seed=np.random.default_rng(1))) == \
        ak.to_list(simulate.hzz(20, seed=np.random.default_rng(1)))


@pytest.mark.parametrize("kwargs, error, name", [
    ({"masses": [float("nan")] * 30}, ValueError, "masses"),
    ({"masses": np.ones((5, 6)) * 91}, ValueError, "masses"),
    ({"masses": np.full(30, 91.0), "window": (110.0, 70.0)}, ValueError, "window"),
    ({"masses": np.full(30, 91.0), "sigma": 0.0}, ValueError, "sigma"),
    ({"masses": np.full(30, 91.0), "width": float("nan")}, ValueError, "width"),
    ({"masses": "ninety-one"}, TypeError, "masses"),
])
def test_fit_zpeak_names_a_bad_argument(kwargs, error, name):
    with pytest.raises(error, match=name):
        fit_zpeak(**kwargs)


def test_one_candidate_per_event_names_a_missing_field():
    z = simulate.zmumu(8, seed=0)
    with pytest.raises(ValueError, match="type_field/key"):
        one_candidate_per_event(z, type_field="Kind")
    with pytest.raises(ValueError, match="preference"):
        one_candidate_per_event(z, preference="GG")
