"""Jets through self-attention: the Particle Transformer in miniature (Qu, Li, Qian,
"Particle Transformer for Jet Tagging", arXiv:2202.03772), after the Transformer of
Vaswani et al. (arXiv:1706.03762) and the class attention of CaiT (Touvron et al.,
arXiv:2103.17239).

Every constituent is a token. A per-particle MLP embeds its features; ``layers`` pre-norm
blocks of multi-head self-attention and a feed-forward network let every particle look at
every other one of its jet; a class token then attends to the particles once and its
state gives the logit. Nothing in it knows the order of the slots (no positional
encoding), so the output is invariant under permutations of the constituents.

Pair bias ("particle interaction" features of ParT): for each pair (i, j) of the same
jet, with Δ = (Δη, Δφ) between them and pT from the raw ``log_pt`` (GeV),

* ln ΔR_ij,   ΔR_ij = √(Δη² + Δφ²)
* ln kT_ij,   kT = min(pT_i, pT_j)·ΔR_ij       (the kT-algorithm's distance)
* ln z_ij,    z = min(pT_i, pT_j) / (pT_i + pT_j)
* ln m²_ij,   m² = 2 pT_i pT_j (cosh Δη − cos Δφ)   (massless constituents)

are standardised (buffers ``pair_mean``, ``pair_std``, fitted by :meth:`set_scaling` on
real pairs i ≠ j), mapped by a small per-pair MLP (4 → 8 → one number per head, ReLU)
and added to the attention logits q·k/√d of every block (computed once per jet, as in
ParT, and for the pairs i < j only: all four features are symmetric): the network is
told, before it learns anything, which particles are close and how hard a splitting
they would make. The diagonal and padded pairs get the bias of the mean pair.

Padding: a key padding mask sets the logits of padded keys to −inf, so no real particle
attends to padding; padded queries still see at least one real key (a jet has ≥ 1 real
particle), so no row of the softmax is all −inf (no NaN), and their outputs are zeroed
and never pooled.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .. import validate
from ..simulate.top_tagging import FEATURES
from .sets import SetModel, dropout_probability

__all__ = ["PAIR_FEATURES", "ParticleTransformer", "pair_features"]

PAIR_FEATURES = ("log_delta_r", "log_kt", "log_z", "log_m2")
PAIR_HIDDEN = 8  # width of the per-pair MLP (ParT: 64; each unit costs N·P² on a CPU)
_EPS_R = 1e-4  # ΔR floor (well below a calorimeter cell) so that ln ΔR stays finite


def pair_features(deta: torch.Tensor, dphi: torch.Tensor, log_pt: torch.Tensor) -> torch.Tensor:
    """The pairwise features :data:`PAIR_FEATURES` [N, 4, P, P] from per-particle Δη, Δφ
    (to the jet axis) and ln pT (pT in GeV), each [N, P]. Computed in log space (no
    overflow); m² uses cosh Δη − cos Δφ = 2 sinh²(Δη/2) + 2 sin²(Δφ/2) (accurate at small
    angles); ΔR is floored at 1e-4."""
    return _pair_terms(deta[:, :, None], dphi[:, :, None], log_pt[:, :, None],
                       deta[:, None, :], dphi[:, None, :], log_pt[:, None, :])


def _pair_terms(eta_i, phi_i, lp_i, eta_j, phi_j, lp_j) -> torch.Tensor:
    """:func:`pair_features` of particles i and j (broadcastable tensors), stacked on axis 1."""
    d_eta = eta_i - eta_j
    d_phi = torch.remainder(phi_i - phi_j + math.pi, 2 * math.pi) - math.pi
    log_dr = 0.5 * torch.log(torch.clamp(d_eta * d_eta + d_phi * d_phi, min=_EPS_R ** 2))
    lp_min = torch.minimum(lp_i, lp_j)
    log_kt = lp_min + log_dr
    log_z = lp_min - torch.logaddexp(lp_i, lp_j)
    angular = 2 * torch.sinh(0.5 * d_eta) ** 2 + 2 * torch.sin(0.5 * d_phi) ** 2
    log_m2 = math.log(2.0) + lp_i + lp_j + torch.log(torch.clamp(angular, min=0.5 * _EPS_R ** 2))
    return torch.stack([log_dr, log_kt, log_z, log_m2], dim=1)


def _pair_index(p: int, device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(i, j) of the T = P(P−1)/2 pairs i < j, and for each of the P² ordered pairs its
    position among them (the diagonal: position T)."""
    i, j = torch.triu_indices(p, p, offset=1, device=device)
    t = i.numel()
    position = torch.full((p, p), t, dtype=torch.long, device=device)
    position[i, j] = position[j, i] = torch.arange(t, device=device)
    return i, j, position.reshape(-1)


def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """softmax(q·kᵀ/√d + bias)·v for q [N, H, Q, d], k, v [N, H, K, d], bias [N, H or 1, Q
    or 1, K]. With gradients the bias is learned, which PyTorch's fused CPU attention
    cannot differentiate (it falls back to a slower generic path): there one baddbmm and a
    softmax; without gradients the fused kernel."""
    if not torch.is_grad_enabled():
        return F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
    n, h, q_len, d = q.shape
    k_len = k.shape[2]
    bias = bias.expand(n, h, q_len, k_len).reshape(n * h, q_len, k_len)
    logits = torch.baddbmm(bias, (q * d ** -0.5).reshape(n * h, q_len, d), k.reshape(n * h, k_len, d).transpose(1, 2))
    return torch.bmm(torch.softmax(logits, dim=-1), v.reshape(n * h, k_len, d)).reshape(n, h, q_len, d)


class _Attention(nn.Module):
    """Multi-head attention of queries [N, Q, D] on keys/values [N, K, D] with an additive
    float mask [N, H, Q, K] (−inf: not allowed). No dropout on the attention weights: it
    would force PyTorch's slow attention path on a CPU (a random mask per [N, H, Q, K])."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.q, self.kv, self.out = nn.Linear(dim, dim), nn.Linear(dim, 2 * dim), nn.Linear(dim, dim)

    def forward(self, query, context, bias):
        n, q_len, dim = query.shape
        split = lambda t: t.reshape(n, t.shape[1], self.heads, dim // self.heads).transpose(1, 2)
        q = split(self.q(query))
        k, v = (split(t) for t in self.kv(context).chunk(2, dim=-1))
        out = attend(q, k, v, bias)
        return self.out(out.transpose(1, 2).reshape(n, q_len, dim))


class _Block(nn.Module):
    """Pre-norm block: x + Attention(LN(x) → LN(context)), then x + Dropout(FFN(LN(x)));
    ``cross``: the context is not x (class attention) and has its own LayerNorm. One
    dropout per block: on a CPU drawing the random masks costs as much as a matrix product."""

    def __init__(self, dim: int, heads: int, dropout: float, expansion: int = 2, cross: bool = False):
        super().__init__()
        self.norm_q, self.norm_ffn = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.norm_kv = nn.LayerNorm(dim) if cross else None
        self.attention = _Attention(dim, heads)
        self.ffn = nn.Sequential(nn.Linear(dim, expansion * dim), nn.GELU(), nn.Linear(expansion * dim, dim))
        self.drop = nn.Dropout(dropout)

    def forward(self, x, context, bias):
        q = self.norm_q(x)
        kv = q if self.norm_kv is None else self.norm_kv(context)
        x = x + self.attention(q, kv, bias)
        return x + self.drop(self.ffn(self.norm_ffn(x)))


class ParticleTransformer(SetModel):
    """The Particle Transformer in miniature (Qu, Li, Qian, arXiv:2202.03772).

    features: input feature names (default FEATURES). dim: token width (divisible by
    heads). heads: attention heads. layers: self-attention blocks (≥ 1), then one
    class-attention block. pair_bias: add the per-head bias from the pair features (needs
    "deta", "dphi", "log_pt"; False gives a plain Transformer). dropout: in [0, 1), on
    the feed-forward branch of every block (not on the attention weights, nor everywhere
    as in ParT: on a CPU the random masks cost as much as the matrix products).

    Input: packed X [N, P, F+1]; output logits [N, 1]. Time and memory grow as N·P²
    (the attention matrix and the pair features): a few hundred jets per batch on a CPU.
    """

    def __init__(self, features=FEATURES, dim: int = 64, heads: int = 4, layers: int = 3,
                 pair_bias: bool = True, dropout: float = 0.1):
        super().__init__(features)
        self.dim = validate.count(dim, "dim")
        self.heads = validate.count(heads, "heads")
        if self.dim % self.heads:
            raise ValueError(f"dim={dim!r} must be divisible by heads={heads!r}")
        self.n_layers = validate.count(layers, "layers")
        if not isinstance(pair_bias, (bool, np.bool_)):
            raise TypeError(f"pair_bias={pair_bias!r}: expected True or False")
        self.pair_bias = bool(pair_bias)
        self.dropout = dropout_probability(dropout)
        if self.pair_bias:
            self._require(("deta", "dphi", "log_pt"), "the pair features come from Δη, Δφ and ln pT")
            self.pair_index = [self.index("deta"), self.index("dphi"), self.index("log_pt")]
            self.pair_hidden = nn.Linear(len(PAIR_FEATURES), PAIR_HIDDEN)
            self.pair_out = nn.Linear(PAIR_HIDDEN, self.heads)
            self.register_buffer("pair_mean", torch.zeros(len(PAIR_FEATURES)))
            self.register_buffer("pair_std", torch.ones(len(PAIR_FEATURES)))
        self.embed = nn.Sequential(nn.Linear(self.n_features, self.dim), nn.GELU(),
                                   nn.Linear(self.dim, self.dim))
        self.blocks = nn.ModuleList(_Block(self.dim, self.heads, self.dropout) for _ in range(self.n_layers))
        self.cls_token = nn.Parameter(torch.zeros(1, 1, self.dim))
        nn.init.normal_(self.cls_token, std=0.02)
        self.cls_block = _Block(self.dim, self.heads, self.dropout, cross=True)
        self.norm = nn.LayerNorm(self.dim)
        self.head = nn.Linear(self.dim, 1)

    def _pairs(self, raw: torch.Tensor) -> torch.Tensor:
        deta, dphi, log_pt = (raw[..., i] for i in self.pair_index)
        return pair_features(deta, dphi, log_pt)

    def set_scaling(self, X, batch_size: int = 256, max_jets: int = 4096) -> ParticleTransformer:
        """The per-feature scaling of :meth:`SetModel.set_scaling` and, with pair_bias, the
        mean and std of the pair features over the real pairs i ≠ j of the first
        ``max_jets`` training jets. Returns the model."""
        batch_size = validate.count(batch_size, "batch_size")
        super().set_scaling(X)
        if not self.pair_bias:
            return self
        if not isinstance(X, torch.Tensor):
            X = torch.as_tensor(np.asarray(X))
        max_jets = validate.count(max_jets, "max_jets")
        total = torch.zeros(len(PAIR_FEATURES), dtype=torch.float64)
        squares, count = torch.zeros_like(total), 0
        for start in range(0, min(X.shape[0], max_jets), batch_size):
            x, mask = self._check(X[start:min(start + batch_size, max_jets)].detach().cpu())
            raw = torch.where(mask[..., None], x, torch.zeros(()))
            eye = torch.eye(mask.shape[1], dtype=torch.bool)
            pairs = self._pairs(raw).permute(0, 2, 3, 1)
            real = pairs[mask[:, :, None] & mask[:, None, :] & ~eye].to(torch.float64)
            total += real.sum(dim=0)
            squares += (real * real).sum(dim=0)
            count += real.shape[0]
        if count >= 2:
            mean = total / count
            std = torch.sqrt(torch.clamp((squares - count * mean * mean) / (count - 1), min=0.0))
            self.pair_mean.copy_(mean.to(self.pair_mean))
            self.pair_std.copy_(torch.where(std > 1e-6, std, torch.ones_like(std)).to(self.pair_std))
        return self

    def _bias(self, raw: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The additive attention mask [N, H, P, P]: the pair bias (or 0) and −inf on padded keys."""
        n, p = mask.shape
        key_padding = (~mask)[:, None, None, :]
        if not self.pair_bias:
            zero = torch.zeros((n, 1, 1, p), dtype=raw.dtype, device=raw.device)
            return zero.masked_fill(key_padding, float("-inf"))
        # every pair feature is symmetric in i, j: computed for the pairs i < j only, then
        # the bias is spread over the full [P, P] (the diagonal: the bias of the mean pair)
        i, j, position = _pair_index(p, raw.device)
        (eta, phi, log_pt) = (raw[..., k] for k in self.pair_index)
        pairs = _pair_terms(eta[:, i], phi[:, i], log_pt[:, i], eta[:, j], phi[:, j], log_pt[:, j])
        real = (mask[:, i] & mask[:, j])[:, None]
        pairs = torch.where(real, pairs, self.pair_mean[:, None])  # padded pairs: the mean pair
        pairs = torch.cat([pairs, self.pair_mean[None, :, None].expand(n, -1, 1)], dim=2)  # [N, 4, T+1]
        # the per-pair MLP with the pairs as the last axis, [N, C, T+1] (long contiguous rows:
        # the usual [N, P, P, C] layout makes skinny matrix products, several times slower),
        # the scaling folded into the first layer: W (f − μ)/σ + b = (W/σ) f + (b − W μ/σ)
        w1 = self.pair_hidden.weight / self.pair_std
        b1 = self.pair_hidden.bias - w1 @ self.pair_mean
        hidden = torch.relu(torch.baddbmm(b1[None, :, None], w1.expand(n, -1, -1), pairs))
        bias = torch.baddbmm(self.pair_out.bias[None, :, None], self.pair_out.weight.expand(n, -1, -1), hidden)
        bias = bias[:, :, position]                                  # [N, H, P·P]
        return bias.reshape(n, self.heads, p, p).masked_fill(key_padding, float("-inf"))

    def _logits(self, raw, scaled, mask):
        bias = self._bias(raw, mask)
        zero = torch.zeros((), dtype=scaled.dtype, device=scaled.device)
        x = torch.where(mask[..., None], self.embed(scaled), zero)
        for block in self.blocks:
            x = torch.where(mask[..., None], block(x, x, bias), zero)
        cls_mask = torch.zeros((mask.shape[0], 1, 1, mask.shape[1]), dtype=x.dtype, device=x.device)
        cls_mask = cls_mask.masked_fill((~mask)[:, None, None, :], float("-inf"))
        cls = self.cls_block(self.cls_token.expand(x.shape[0], -1, -1), x, cls_mask)
        return self.head(self.norm(cls[:, 0]))

    def extra_repr(self) -> str:
        return (f"features={self.features}, dim={self.dim}, heads={self.heads}, layers={self.n_layers}, "
                f"pair_bias={self.pair_bias}")
