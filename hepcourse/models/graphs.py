"""Jets as graphs: ParticleNet in miniature (Qu & Gouskos, "ParticleNet: Jet Tagging via
Particle Clouds", arXiv:1902.08570), built on the EdgeConv of Dynamic Graph CNNs (Wang et
al., arXiv:1801.07829).

Each constituent i is a node; its edges go to its k nearest neighbours j. An EdgeConv
block computes, for every edge, an MLP of the edge feature [x_i, x_j − x_i] (the particle
and where its neighbour sits relative to it), averages over the neighbours and adds a
shortcut (a linear map of x_i)::

    x_i' = ReLU( W x_i + mean_{j ∈ kNN(i)} h([x_i, x_j − x_i]) )

The first block finds the neighbours in the (Δη, Δφ) plane, the physical distance in the
detector; the later ones in the feature space the previous block learned (a "dynamic
graph": particles that the network finds alike become neighbours). A masked mean over
the real particles and a small dense network give one logit.

Padding: padded slots are at distance +inf, so they are never anybody's neighbour; a jet
with fewer than k + 1 real particles simply has fewer valid neighbours (the mean runs over
the valid ones); padded slots are left out of the pooling. The edge MLPs use LayerNorm
(per edge) rather than the paper's BatchNorm, whose batch statistics would mix the
padded slots into every jet.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .. import validate
from ..simulate.top_tagging import FEATURES
from .sets import SetModel, dropout_probability, masked_mean

__all__ = ["EdgeConv", "ParticleNet", "knn"]


def knn(points: torch.Tensor, mask: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The k nearest neighbours of every slot among the REAL slots of the same jet.

    points: [N, P, D] coordinates; mask: bool [N, P]. Returns (index long [N, P, k'],
    valid bool [N, P, k']) with k' = min(k, P − 1): the neighbour slots by increasing
    distance (a slot is not its own neighbour) and whether each is a real particle (False
    where the jet has fewer than k' + 1 real particles, or for padded query slots' spare
    entries). Squared Euclidean distance; padded slots are at +inf."""
    p = points.shape[1]
    with torch.no_grad():  # the choice of neighbours is not differentiable
        eye = torch.eye(p, dtype=torch.bool, device=points.device)
        d2 = _sq_distance(points.detach()).masked_fill((~mask)[:, None, :] | eye[None], float("inf"))
        distance, index = torch.topk(d2, max(1, min(k, p - 1)), dim=-1, largest=False, sorted=True)
    return index, torch.isfinite(distance)


def _sq_distance(points: torch.Tensor) -> torch.Tensor:
    """Pairwise squared distances [N, P, P] through one batched matrix product (clamped ≥ 0)."""
    sq = (points * points).sum(dim=-1)
    return torch.clamp(sq[:, :, None] + sq[:, None, :] - 2 * points @ points.transpose(1, 2), min=0.0)


def _gather(h: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """h [N, P, C] at index [N, P, k] → [N, P, k, C]."""
    n, p, k = index.shape
    flat = index.reshape(n, p * k, 1).expand(-1, -1, h.shape[-1])
    return torch.gather(h, 1, flat).reshape(n, p, k, h.shape[-1])


class EdgeConv(nn.Module):
    """One EdgeConv block: x [N, P, C_in] → [N, P, widths[-1]].

    x_i' = ReLU( W_s x̂_i + Θ_L mean_j h(x̂_i, x̂_j) ), x̂ = LayerNorm(x) per particle (with
    ``norm``; the first block's inputs are the standardised features themselves), with
    h = ReLU ∘ Θ_{L−1} ∘ ... ∘ ReLU ∘ Θ_1 on the edge feature [x̂_i, x̂_j − x̂_i]. Three
    rearrangements make it cheap on a CPU without changing what it can express much:
    Θ_1·[x̂_i, x̂_j − x̂_i] = (A − B) x̂_i + B x̂_j is computed per particle and then gathered
    (k times fewer products); the last layer Θ_L is linear, so it commutes with the mean
    and runs per particle after it; and the normalisation is per particle, not per edge
    (the paper's BatchNorm on edges would mix padded slots into the batch statistics).
    The mean runs over the valid neighbours only (a weighted sum, one batched product).
    """

    def __init__(self, n_in: int, widths: Sequence[int], norm: bool = True):
        super().__init__()
        self.widths = validate.counts(widths, "block widths")
        self.n_in = n_in
        self.norm = nn.LayerNorm(n_in) if norm else nn.Identity()
        self.first = nn.Linear(2 * n_in, self.widths[0])
        self.middle = nn.ModuleList(nn.Linear(a, b) for a, b in zip(self.widths[:-2], self.widths[1:-1]))
        self.last = nn.Linear(self.widths[-2], self.widths[-1]) if len(self.widths) > 1 else nn.Identity()
        self.shortcut = nn.Linear(n_in, self.widths[-1], bias=False)

    def forward(self, x: torch.Tensor, index: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        h = self.norm(x)
        w_a, w_b = self.first.weight[:, :self.n_in], self.first.weight[:, self.n_in:]
        node = h @ (w_a - w_b).T + self.first.bias                          # [N, P, C1]
        edge = torch.relu(_gather(h @ w_b.T, index) + node[:, :, None, :])  # [N, P, k, C1]
        for layer in self.middle:
            edge = torch.relu(layer(edge))
        weight = valid.to(edge.dtype)
        weight = weight / weight.sum(dim=-1, keepdim=True).clamp(min=1.0)   # mean over valid ones
        n, p, k, c = edge.shape
        mean = torch.bmm(weight.reshape(n * p, 1, k), edge.reshape(n * p, k, c)).reshape(n, p, c)
        return torch.relu(self.shortcut(h) + self.last(mean))


class ParticleNet(SetModel):
    """ParticleNet in miniature (Qu & Gouskos, arXiv:1902.08570).

    features: input feature names (default FEATURES; "deta" and "dphi" are required, the
    first block's neighbours are found in the raw (Δη, Δφ) plane). k: neighbours per
    particle (≥ 1; 16 in the paper; jets with fewer real particles use the ones they have).
    blocks: widths of the edge MLP of each EdgeConv block (≥ 1 each); block b > 1 finds its
    neighbours in the output of block b − 1. The paper's ParticleNet has ((64,)*3,
    (128,)*3, (256,)*3) with k = 16, its ParticleNet-Lite ((32,)*3, (64,)*3) with k = 7;
    the default ((32, 32), (64, 64)) with k = 16 trains at several hundred jets per second
    on two CPU cores (benchmarks/jets_speed.py). fc: width of the hidden dense layer after
    the pooling (then one logit).
    dropout: after that layer, in [0, 1).

    Input: packed X [N, P, F+1]; output logits [N, 1]. Memory and time grow as
    N·P·k·width: train in batches of a few hundred jets on a CPU.
    """

    def __init__(self, features=FEATURES, k: int = 16,
                 blocks: Sequence[Sequence[int]] = ((32, 32), (64, 64)), fc: int = 128,
                 dropout: float = 0.1):
        super().__init__(features)
        self._require(("deta", "dphi"), "the first graph is built in the (Δη, Δφ) plane")
        self.k = validate.count(k, "k", what="a number of neighbours")
        if isinstance(blocks, (str, bytes)) or not isinstance(blocks, Sequence) or not blocks:
            raise TypeError(f"blocks={blocks!r}: expected a sequence of width sequences, e.g. ((32, 32), (64, 64))")
        self.blocks_widths = tuple(validate.counts(b, f"blocks[{i}]") for i, b in enumerate(blocks))
        self.fc_width = validate.count(fc, "fc")
        self.dropout = dropout_probability(dropout)
        self.coordinates = [self.index("deta"), self.index("dphi")]
        convs, width = [], self.n_features
        for b in self.blocks_widths:
            convs.append(EdgeConv(width, b, norm=bool(convs)))
            width = b[-1]
        self.blocks = nn.ModuleList(convs)
        head: list[nn.Module] = [nn.Linear(width, self.fc_width), nn.ReLU()]
        if self.dropout > 0:
            head.append(nn.Dropout(self.dropout))
        self.head = nn.Sequential(*head, nn.Linear(self.fc_width, 1))

    def _logits(self, raw, scaled, mask):
        h = scaled
        points = raw[..., self.coordinates]
        zero = torch.zeros((), dtype=h.dtype, device=h.device)
        for block in self.blocks:
            index, valid = knn(points, mask, self.k)
            h = torch.where(mask[..., None], block(h, index, valid), zero)
            points = h
        return self.head(masked_mean(h, mask))

    def extra_repr(self) -> str:
        return f"features={self.features}, k={self.k}, blocks={self.blocks_widths}, fc={self.fc_width}"
