#!/usr/bin/env python3
"""PyTorch peer of bench/bottleneck.cpp: one supervised PIB loss (beta 0.01, 10 classes) and its gradient
w.r.t. Z, written the way public matrix-based IB code does it: Gaussian Gram matrices from squared
distances, Renyi entropy from torch.linalg.eigvalsh, gradients by autograd; float64, CPU, one thread.

The timed step computes everything from the raw batch (Gram and entropy of X, Gram of the one-hot labels,
sigma of Z from the 10 nearest neighbours, the three entropies with Z, backward), like pib_loss_grad/...
With --features M it computes pib's feature-space estimator instead (bottleneck/features.hpp) the same
way: random Fourier features of X, Z and their joint, entropies from the eigenvalues of the M x M matrix
Phi^T Phi (per class for the joint with Y), sigma of Z from the nearest neighbours of 256 query rows, autograd.
Prints one line per case: name, mean CPU milliseconds per step, loss.
"""
import argparse
import math
import time

import torch


def gram(Z, sigma):
    d2 = torch.cdist(Z, Z) ** 2
    return torch.exp(-d2 / (2 * sigma * sigma))


def renyi(K, alpha, closed_form_alpha2):
    A = K / torch.trace(K)
    if alpha == 2 and closed_form_alpha2:
        return -torch.log2((A * A).sum())
    lam = torch.linalg.eigvalsh(A).clamp(min=0)
    if alpha == 1:
        lam = lam[lam > 0]
        return -(lam * torch.log2(lam)).sum()
    return torch.log2((lam ** alpha).sum()) / (1 - alpha)


def knn_sigma(Z, k=10):
    with torch.no_grad():
        d = torch.cdist(Z, Z)
        d.fill_diagonal_(float("inf"))
        k = min(k, Z.shape[0] - 1)
        return torch.topk(d, k, dim=1, largest=False).values.mean().item()


def renyi_features(phi, alpha, closed_form_alpha2, groups=None):
    """S_alpha of blockdiag(phi_g phi_g^T) / |phi|_F^2 from the M x M side of each block."""
    t = (phi * phi).sum()
    blocks = [phi] if groups is None else [phi[g] for g in groups]
    covs = [b.T @ b / t for b in blocks]
    if alpha == 2 and closed_form_alpha2:
        return -torch.log2(sum((c * c).sum() for c in covs))
    lam = torch.cat([torch.linalg.eigvalsh(c) for c in covs]).clamp(min=0)
    if alpha == 1:
        lam = lam[lam > 0]
        return -(lam * torch.log2(lam)).sum()
    return torch.log2((lam ** alpha).sum()) / (1 - alpha)


def knn_sigma_sampled(Z, k=10, queries=256):
    with torch.no_grad():
        q = min(queries, Z.shape[0])
        d = torch.cdist(Z[:q], Z)
        d[torch.arange(q), torch.arange(q)] = float("inf")
        return torch.topk(d, min(k, Z.shape[0] - 1), dim=1, largest=False).values.mean().item()


def step_features(X, labels, Z0, sigma_x, alpha, beta, closed_form, m, draws):
    omega_x, omega_z, b = draws
    Z = Z0.detach().requires_grad_(True)
    amp = math.sqrt(2.0 / m)
    groups = [torch.nonzero(labels == c).flatten() for c in range(10)]
    px = X @ omega_x / sigma_x + b
    phi_x = amp * torch.cos(px)
    counts = torch.bincount(labels, minlength=10).to(torch.float64) / labels.shape[0]
    counts = counts[counts > 0]
    s_y = (-(counts * torch.log2(counts)).sum() if alpha == 1
           else torch.log2((counts ** alpha).sum()) / (1 - alpha))
    theta = Z @ omega_z / knn_sigma_sampled(Z)
    phi_z = amp * torch.cos(theta + b)
    joint = amp * torch.cos(theta + px)
    s_x = renyi_features(phi_x, alpha, closed_form)
    s_z = renyi_features(phi_z, alpha, closed_form)
    i_xz = s_x + s_z - renyi_features(joint, alpha, closed_form)
    i_yz = s_y + s_z - renyi_features(phi_z, alpha, closed_form, groups)
    loss = -i_yz + beta * i_xz
    loss.backward()
    return loss.item(), Z.grad


def make_problem(n, dx, dz, gen):
    means = torch.randn(10, dx, generator=gen, dtype=torch.float64)
    labels = torch.randint(0, 10, (n,), generator=gen)
    X = means[labels] + torch.randn(n, dx, generator=gen, dtype=torch.float64)
    W = torch.randn(dx, dz, generator=gen, dtype=torch.float64)
    Z = torch.tanh(X @ W / math.sqrt(dx))
    return X, labels, Z, knn_sigma(X)


def step(X, labels, Z0, sigma_x, alpha, beta, closed_form):
    Z = Z0.detach().requires_grad_(True)
    Kx = gram(X, sigma_x)
    Y = torch.nn.functional.one_hot(labels, 10).to(torch.float64)
    Ky = Y @ Y.T
    Kz = gram(Z, knn_sigma(Z))
    s_x = renyi(Kx, alpha, closed_form)
    s_y = renyi(Ky, alpha, closed_form)
    s_z = renyi(Kz, alpha, closed_form)
    i_xz = s_x + s_z - renyi(Kx * Kz, alpha, closed_form)
    i_yz = s_y + s_z - renyi(Ky * Kz, alpha, closed_form)
    loss = -i_yz + beta * i_xz
    loss.backward()
    return loss.item(), Z.grad


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-time", type=float, default=1.0, help="CPU seconds per case")
    parser.add_argument("--closed-form-alpha2", action="store_true",
                        help="use -log2 |A|_F^2 at alpha 2 instead of eigvalsh (not what public code does)")
    parser.add_argument("--features", type=int, default=0,
                        help="the feature-space estimator with this many random features (0: exact)")
    parser.add_argument("--sizes", default="64,256,1024,4096", help="batch sizes to run (comma-separated)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    sizes = [int(v) for v in args.sizes.split(",")]
    cases = [(64, 4, 64)] if 64 in sizes and not args.features else []
    cases += [(n, 784, 128) for n in sizes if n != 64]
    for n, dx, dz in cases:
        gen = torch.Generator().manual_seed(42)
        X, labels, Z, sigma_x = make_problem(n, dx, dz, gen)
        m = args.features
        draws = (torch.randn(dx, m, generator=gen, dtype=torch.float64),
                 torch.randn(dz, m, generator=gen, dtype=torch.float64),
                 2 * math.pi * torch.rand(m, generator=gen, dtype=torch.float64)) if m else None

        def run(alpha):
            if m:
                return step_features(X, labels, Z, sigma_x, alpha, 0.01, args.closed_form_alpha2, m, draws)
            return step(X, labels, Z, sigma_x, alpha, 0.01, args.closed_form_alpha2)

        for alpha in (1.01, 2):
            if n <= 1024:
                run(alpha)  # warm-up (at 4,096 the exact step alone takes minutes)
            reps, start = 0, time.process_time()
            while True:
                loss, _ = run(alpha)
                reps += 1
                if time.process_time() - start >= args.min_time:
                    break
            ms = (time.process_time() - start) / reps * 1e3
            suffix = f"/features:{m}" if m else ""
            print(f"pib_loss_grad/n:{n}/dx:{dx}/dz:{dz}/alpha:{alpha}{suffix} {ms:.3f} {loss:.6f}", flush=True)


if __name__ == "__main__":
    main()
