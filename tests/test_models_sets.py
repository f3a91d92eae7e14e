"""Jets as sets: PFN, EFN, ParticleNet and ParticleTransformer on packed jets, and the IRC
alterations of hepcourse.analysis.irc.

The physics and behaviour each model must have: invariant under permutations of the
constituent slots, blind to whatever the padded slots hold, working for jets with fewer
particles than k, the EFN IRC safe and the PFN not, learning a toy two-class set problem
above a stated AUC, reproducible from a seed. A toy stands in for Pythia jets (seconds,
not minutes): QCD-like jets have one prong, top-like ones three, with the features of
``to_padded`` computed consistently (so the IRC alterations can recover pT_jet and E_jet).
"""
import math

import numpy as np
import pytest
import torch

from hepcourse.analysis.irc import add_soft_particle, split_collinear
from hepcourse.models import EFN, PFN, ParticleNet, ParticleTransformer, pack, unpack
from hepcourse.models.graphs import knn
from hepcourse.simulate.top_tagging import FEATURES
from hepcourse.stats import auc
from hepcourse.train import fit, predict

PT_JET = 600.0  # GeV


def toy_jets(n, n_max=32, *, seed=0):
    """Packed toy jets [n, n_max, 9] and labels [n] (1: three prongs, 0: one prong);
    3 to n_max − 3 real particles each (at least two slots free), by decreasing pT."""
    rng = np.random.default_rng(seed)
    y = (np.arange(n) % 2).astype(np.float32)
    rng.shuffle(y)
    x = np.zeros((n, n_max, len(FEATURES)), np.float32)
    mask = np.zeros((n, n_max), bool)
    for i in range(n):
        m = int(rng.integers(3, n_max - 2))
        prongs = rng.normal(0, 0.25, size=(3, 2)) if y[i] else np.zeros((1, 2))
        angles = prongs[rng.integers(0, len(prongs), size=m)] + rng.normal(0, 0.05, size=(m, 2))
        z = np.sort(rng.exponential(1.0, size=m))[::-1]
        z /= z.sum()
        energy = PT_JET * z * np.cosh(rng.uniform(-1, 1) + angles[:, 0])
        x[i, :m] = np.column_stack([angles[:, 0], angles[:, 1], np.log(PT_JET * z), np.log(energy), np.log(z),
                                    np.log(energy / energy.sum()), np.hypot(angles[:, 0], angles[:, 1]),
                                    rng.integers(-1, 2, size=m)])
        mask[i, :m] = True
    return pack(torch.from_numpy(x), torch.from_numpy(mask)), torch.from_numpy(y)


SMALL = {  # sizes for the training tests (seconds on one core)
    "PFN": lambda **kw: PFN(phi=(32, 32, 32), f=(32, 32), **kw),
    "EFN": lambda **kw: EFN(phi=(32, 32, 32), f=(32, 32), **kw),
    "ParticleNet": lambda **kw: ParticleNet(k=8, blocks=((16, 16), (32, 32)), fc=32, **kw),
    "ParticleTransformer": lambda **kw: ParticleTransformer(dim=32, heads=2, layers=2, **kw),
}
DEFAULT = {"PFN": PFN, "EFN": EFN, "ParticleNet": ParticleNet, "ParticleTransformer": ParticleTransformer}
AUC_FLOOR = 0.95  # a model that ignores the particles' angles or mixes jets gets ≈ 0.5


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Small models on one thread: on a shared CPU, threads waiting for a busy core make
    these tests ten times slower, and one core is as fast for models this small."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def data():
    return toy_jets(1000, seed=1), toy_jets(600, seed=2)


@pytest.fixture(scope="module")
def trained(data):
    (X, y), (Xv, yv) = data
    models = {}
    for name, make in SMALL.items():
        torch.manual_seed(0)
        model = make().set_scaling(X)
        fit(model, (X, y), (Xv, yv), epochs=2, batch_size=128, lr=3e-3, patience=None, seed=0, progress=False)
        models[name] = model.eval()
    return models


def default_model(name, X):
    torch.manual_seed(0)
    return DEFAULT[name]().set_scaling(X).eval()


@pytest.mark.parametrize("name", DEFAULT)
def test_invariant_under_permutations_of_all_slots(name, data):
    (X, _), _ = data
    X = X[:64]
    model = default_model(name, X)
    generator = torch.Generator().manual_seed(5)
    with torch.no_grad():
        out = model(X)
        assert out.shape == (64, 1) and torch.isfinite(out).all()
        for _ in range(2):  # real and padded slots shuffled together, per jet differently
            order = torch.argsort(torch.rand(X.shape[:2], generator=generator), dim=1)
            shuffled = torch.gather(X, 1, order[..., None].expand_as(X))
            torch.testing.assert_close(model(shuffled), out, rtol=1e-5, atol=1e-5)
    # and the test can fail: swapping the features of two particles (not whole slots) is seen
    broken = X.clone()
    broken[:, [0, 1], 0] = broken[:, [1, 0], 0]
    with torch.no_grad():
        assert (model(broken) - out).abs().max() > 1e-4


@pytest.mark.parametrize("name", DEFAULT)
def test_padded_slots_contribute_nothing(name, data):
    (X, _), _ = data
    X = X[:64]
    model = default_model(name, X)
    noisy = X.clone()
    padded = noisy[..., -1] < 0.5
    noisy[..., :-1][padded] = 1e4 * torch.randn(int(padded.sum()), X.shape[-1] - 1,
                                                generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(model(noisy), model(X), rtol=1e-6, atol=1e-6)
        # more padding changes nothing either
        wider = torch.cat([X, torch.zeros(64, 7, X.shape[-1])], dim=1)
        torch.testing.assert_close(model(wider), model(X), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", DEFAULT)
def test_jets_with_very_few_particles(name):
    """One, two and five real particles (fewer than ParticleNet's k = 16): finite, and the
    same output whether the batch is padded to 6 or to 40 slots."""
    X, _ = toy_jets(6, n_max=40, seed=3)
    for i, m in enumerate((1, 2, 5, 1, 2, 5)):
        X[i, m:] = 0.0
    model = default_model(name, toy_jets(200, seed=4)[0])
    with torch.no_grad():
        out = model(X)
        assert torch.isfinite(out).all()
        torch.testing.assert_close(model(X[:, :6]), out, rtol=1e-5, atol=1e-5)


def test_knn_never_picks_padding_or_itself():
    points = torch.tensor([[[0.0, 0.0], [0.1, 0.0], [0.3, 0.0], [0.05, 0.0], [9.0, 9.0]]])
    mask = torch.tensor([[True, True, True, False, False]])
    index, valid = knn(points, mask, k=16)
    assert index.shape == (1, 5, 4)  # k' = min(k, P − 1)
    assert valid[0, :3].sum(dim=-1).tolist() == [2, 2, 2]  # two real neighbours each
    assert index[0, 0, :2].tolist() == [1, 2] and index[0, 2, :2].tolist() == [1, 0]
    assert not torch.isin(index[0][valid[0]], torch.tensor([3, 4])).any()


def test_efn_is_irc_safe_and_pfn_is_not(trained, data):
    (X, _), _ = data
    X = X[:300]
    soft, split = add_soft_particle(X, seed=7), split_collinear(X)
    for model in (trained["EFN"], default_model("EFN", X)):
        with torch.no_grad():
            out = model(X)
            tolerance = 1e-5 * max(1.0, float(out.abs().max()))
            assert (model(soft) - out).abs().max() < tolerance
            assert (model(split) - out).abs().max() < tolerance
    pfn = trained["PFN"]
    with torch.no_grad():
        out = pfn(X)
        assert (pfn(soft) - out).abs().median() > 1e-3      # 100 × the EFN's tolerance
        assert (pfn(split) - out).abs().median() > 1e-3


def test_irc_alterations_conserve_the_jet():
    X, _ = toy_jets(50, seed=8)
    x, mask = unpack(X)
    n = mask.sum(dim=1)
    pt = torch.exp(x[..., 2]) * mask
    soft = add_soft_particle(X, fraction=1e-3, seed=0)
    xs, ms = unpack(soft)
    assert (ms.sum(dim=1) == n + 1).all()
    new = xs[torch.arange(50), n]                         # the first padded slot
    torch.testing.assert_close(new[:, 2], torch.full((50,), math.log(1e-3 * PT_JET)), rtol=1e-5, atol=1e-4)
    assert (torch.hypot(new[:, 0], new[:, 1]) < 0.8).all() and (new[:, 7] == 0).all()
    torch.testing.assert_close(new[:, 6], torch.hypot(new[:, 0], new[:, 1]))
    split = split_collinear(X)
    xc, mc = unpack(split)
    torch.testing.assert_close((torch.exp(xc[..., 2]) * mc).sum(dim=1), pt.sum(dim=1), rtol=1e-5, atol=1e-3)
    halves = xc[torch.arange(50), n]
    torch.testing.assert_close(halves[:, :2], x[:, 0, :2])
    torch.testing.assert_close(halves[:, 2:6], x[:, 0, 2:6] - math.log(2.0))
    assert torch.equal(X, toy_jets(50, seed=8)[0])     # the input is left alone


def test_irc_alterations_refuse_full_jets_and_missing_features():
    X, _ = toy_jets(4, n_max=10, seed=9)
    X[1, :, -1] = 1.0                                    # jet 1 fills every slot
    with pytest.raises(ValueError, match="n_max"):
        add_soft_particle(X)
    with pytest.raises(ValueError, match="n_max"):
        split_collinear(X)
    X, _ = toy_jets(4, n_max=10, seed=9)
    with pytest.raises(ValueError, match="log_pt_rel"):
        add_soft_particle(X[..., [0, 1, 2, 8]], features=("deta", "dphi", "log_pt"))
    with pytest.raises(ValueError, match="features"):
        split_collinear(X, features=FEATURES[:-1])
    with pytest.raises(ValueError, match="index"):
        split_collinear(X, index=9)
    with pytest.raises(ValueError, match="fraction"):
        add_soft_particle(X, fraction=0.0)


def test_bad_arguments_are_named(data):
    (X, _), _ = data
    with pytest.raises(ValueError, match="features"):
        PFN(features=("deta", "dphi", "pt"))
    with pytest.raises(ValueError, match="twice"):
        PFN(features=("deta", "deta"))
    with pytest.raises(TypeError, match="features"):
        EFN(features="deta")
    with pytest.raises(ValueError, match="log_pt"):
        EFN(features=("deta", "dphi", "charge"))
    with pytest.raises(ValueError, match="deta"):
        ParticleNet(features=("log_pt", "charge"))
    for k in (0, -3):
        with pytest.raises(ValueError, match="k="):
            ParticleNet(k=k)
    with pytest.raises(TypeError, match="k="):
        ParticleNet(k=True)
    with pytest.raises(TypeError, match="blocks"):
        ParticleNet(blocks=32)
    with pytest.raises(ValueError, match="divisible"):
        ParticleTransformer(dim=30, heads=4)
    with pytest.raises(ValueError, match="dropout"):
        PFN(dropout=1.0)
    with pytest.raises(ValueError, match="phi"):
        PFN(phi=())
    model = PFN()
    with pytest.raises(ValueError, match=r"\[N, P, F\+1\]"):
        model(X[0])                                      # one jet without the batch axis
    with pytest.raises(ValueError, match="9"):
        model(X[..., 1:])                                # a feature missing
    with pytest.raises(TypeError, match="tensor"):
        model(X.numpy())
    with pytest.raises(ValueError, match="mask"):
        pack(torch.zeros(2, 5, 3), torch.ones(2, 4, dtype=torch.bool))
    with pytest.raises(TypeError, match="bool"):
        pack(torch.zeros(2, 5, 3), torch.ones(2, 5))


def test_set_scaling_uses_real_constituents_only(data):
    (X, _), _ = data
    x, mask = unpack(X)
    real = x[mask].double().numpy()
    model = PFN().set_scaling(X)
    np.testing.assert_allclose(model.mean.numpy(), real.mean(axis=0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model.std.numpy(), real.std(axis=0, ddof=1), rtol=1e-5)
    noisy = X.clone()
    noisy[..., :-1][~mask] = 1e3                          # padding full of numbers
    again = PFN().set_scaling(noisy.numpy(), batch_size=100)
    torch.testing.assert_close(again.mean, model.mean)
    torch.testing.assert_close(again.std, model.std)
    transformer = ParticleTransformer().set_scaling(noisy)
    torch.testing.assert_close(transformer.mean, model.mean)
    assert torch.isfinite(transformer.pair_std).all() and (transformer.pair_std > 0.1).all()
    assert {"mean", "std", "pair_mean", "pair_std"} <= set(transformer.state_dict())


@pytest.mark.parametrize("name", SMALL)
def test_learns_the_toy_above_the_floor(name, trained, data):
    _, (Xv, yv) = data
    score = predict(trained[name], Xv)
    assert score.shape == (len(yv),)
    assert auc(yv.numpy(), score).value > AUC_FLOOR


@pytest.mark.parametrize("name", SMALL)
def test_same_seed_same_trained_model(name):
    X, y = toy_jets(256, n_max=20, seed=11)

    def run():
        torch.manual_seed(3)
        model = SMALL[name](dropout=0.2).set_scaling(X)   # dropout: the seed must fix it too
        fit(model, (X, y), epochs=1, batch_size=64, lr=3e-3, patience=None, seed=4, progress=False)
        return predict(model, X)

    first = run()
    np.testing.assert_array_equal(run(), first)
    assert np.std(first) > 0                              # a trained model, not a constant
