"""Chapter 6's analysis steps on jets of particles: jet images from constituents, shuffles
that test permutation invariance, the substructure table, the jet display, and FastJet's
banner kept out of notebook cells."""
from __future__ import annotations

import subprocess
import sys

import awkward as ak
import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")

from hepcourse.analysis.jet_tagging import SUBSTRUCTURE, jet_images, shuffle_constituents, substructure  # noqa: E402
from hepcourse.models.sets import pack  # noqa: E402


def _sample(constituents, pt=600.0):
    """A crafted sample: jets with the given constituents (lists of dicts) and jet-level fields."""
    n = len(constituents)
    fields = {k: np.full(n, v) for k, v in (("pt", pt), ("eta", 0.1), ("phi", 0.2), ("mass", 170.0),
                                             ("tau21", 0.5), ("tau32", 0.6), ("m_w", 80.0))}
    fields["n_particles"] = np.array([len(c) for c in constituents])
    fields["label"] = np.arange(n) % 2
    return ak.zip({**fields, "constituents": ak.Array(constituents)}, depth_limit=1)


def _particle(pt, deta, dphi, pid=211):
    return {"pt": pt, "deta": deta, "dphi": dphi, "energy": pt, "charge": 1.0, "pid": pid}


def test_jet_images_put_each_pt_fraction_in_its_pixel_and_drop_what_is_outside():
    sample = _sample([[_particle(300.0, 0.0, 0.0), _particle(150.0, -0.99, 0.99), _particle(60.0, 1.2, 0.0)],
                      [_particle(600.0, 0.51, -0.26)]])
    images = jet_images(sample, pixels=32, half_width=1.0)
    assert images.shape == (2, 1, 32, 32) and images.dtype == np.float32
    assert images[0, 0, 16, 16] == pytest.approx(0.5)            # Δη = Δφ = 0: the centre pixel
    assert images[0, 0, 0, 31] == pytest.approx(0.25)            # the corner (−0.99, +0.99)
    assert images[0].sum() == pytest.approx(0.75)                # Δη = 1.2 is outside the window
    row, col = np.unravel_index(np.argmax(images[1, 0]), (32, 32))
    assert (row, col) == (int((0.51 + 1) * 16), int((-0.26 + 1) * 16)) and images[1].sum() == pytest.approx(1.0)


def test_jet_images_refuse_bad_arguments():
    sample = _sample([[_particle(600.0, 0.0, 0.0)]])
    with pytest.raises(ValueError, match="pixels"):
        jet_images(sample, pixels=0)
    with pytest.raises(ValueError, match="half_width"):
        jet_images(sample, half_width=-1.0)


def test_shuffling_keeps_every_jets_particles_and_its_padding_last():
    x = torch.randn(50, 12, 3)
    mask = torch.arange(12)[None, :] < torch.randint(1, 13, (50, 1))
    X = pack(x * mask[..., None], mask)
    shuffled = shuffle_constituents(X, seed=3)
    assert not torch.equal(shuffled, X)
    assert torch.equal(shuffled[..., -1], X[..., -1])             # the padding stays where it was
    for jet in range(50):
        real = X[jet][X[jet, :, -1] > 0]
        moved = shuffled[jet][shuffled[jet, :, -1] > 0]
        assert torch.equal(torch.sort(real[:, 0]).values, torch.sort(moved[:, 0]).values)
    assert torch.equal(shuffle_constituents(X, seed=3), shuffled)   # seeded
    with pytest.raises(TypeError, match="packed torch tensor"):
        shuffle_constituents(X.numpy())


def test_substructure_gives_the_bdt_columns_and_refuses_other_arrays():
    sample = _sample([[_particle(600.0, 0.0, 0.0)]] * 3)
    frame = substructure(sample)
    assert list(frame.columns) == list(SUBSTRUCTURE) and len(frame) == 3
    assert frame["mass"].tolist() == [170.0] * 3
    with pytest.raises(ValueError, match="columns"):
        substructure(sample, columns=("mass", "constituents"))
    with pytest.raises(TypeError, match="hepcourse.simulate.jets"):
        substructure(ak.Array([{"pt": 1.0}]))


def test_the_jet_display_draws_every_constituent_by_kind_and_its_neighbour_graph():
    import matplotlib.pyplot as plt

    from hepcourse import plot

    jet = _sample([[_particle(300.0, 0.0, 0.0), _particle(50.0, 0.3, 0.1, pid=22), _particle(20.0, -0.2, 0.4, pid=130),
                    _particle(10.0, 0.1, -0.5)]])[0]
    ax = plot.jet_constituents(jet, knn=2)
    points = sum(len(c.get_offsets()) for c in ax.collections)
    assert points == 4
    assert len(ax.lines) == 4 * 2                                  # two edges from every constituent
    assert ax.get_xlabel().startswith(r"$\Delta\eta$")
    plt.close("all")


@pytest.mark.parametrize("quiet", [False, True])
def test_fastjet_s_banner_stays_out_of_the_output_once_silenced(quiet):
    code = ("import awkward as ak, fastjet\n"
            "from hepcourse.simulate._pythia_jets import quiet_fastjet_banner\n"
            + ("quiet_fastjet_banner()\n" if quiet else "") +
            "a = ak.Array([[{'px': 10.0, 'py': 0.0, 'pz': 0.0, 'E': 20.0}]])\n"
            "fastjet.ClusterSequence(a, fastjet.JetDefinition(fastjet.antikt_algorithm, 0.8)).inclusive_jets()\n"
            "print('clustered')\n")
    pytest.importorskip("fastjet")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "clustered" in out
    assert ("FastJet release" in out) is not quiet
