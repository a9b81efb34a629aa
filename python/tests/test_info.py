"""pib.info against the C++ tests' reference values (tests/bottleneck/*.cpp), NumPy implementations of the
matrix-based Renyi formulas (DESIGN.md 2.1), finite differences, and (where torch is installed) PyTorch
autograd through the torch.autograd.Function of docs/python_torch.md."""
import numpy as np
import pytest

import pib

info = pib.info
ALPHAS = [0.5, 1.0, 1.01, 2.0]


# ---- NumPy references ---------------------------------------------------------------------------------

def col(x):
    x = np.asarray(x, dtype=float)
    return x[:, None] if x.ndim == 1 else x


def sq_dist(x):
    x = col(x)
    return ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)


def gaussian_gram(x, sigma):
    return np.exp(-sq_dist(x) / (2 * sigma**2))


def renyi(K, alpha):
    """S_alpha(K / tr K) in bits from the eigenvalues (clamped at 0, numerical zeros dropped)."""
    lam = np.clip(np.linalg.eigvalsh(K / np.trace(K)), 0, None)
    lam = lam[lam > len(lam) * np.finfo(float).eps * lam.max()]
    if alpha == 1.0:
        return -np.sum(lam * np.log2(lam))
    return np.log2(np.sum(lam**alpha)) / (1 - alpha)


def mi(Ka, Kb, alpha):
    """I = S(A) + S(B) - S(A, B), the joint from the Hadamard product."""
    return renyi(Ka, alpha) + renyi(Kb, alpha) - renyi(Ka * Kb, alpha)


def knn_width(x, k=10):
    d = np.sqrt(sq_dist(x))
    n = d.shape[0]
    k = min(k, n - 1)
    return np.mean([np.sort(np.delete(d[i], i))[:k].mean() for i in range(n)])


def one_hot_gram(labels):
    labels = np.asarray(labels)
    return (labels[:, None] == labels[None, :]).astype(float)


def discrete_renyi(p, alpha):
    p = np.asarray(p, dtype=float)
    if alpha == 1.0:
        return -np.sum(p * np.log2(p))
    return np.log2(np.sum(p**alpha)) / (1 - alpha)


def finite_difference(f, Z, h=1e-6):
    g = np.zeros_like(Z)
    for idx in np.ndindex(Z.shape):
        Zp = Z.copy()
        Zp[idx] += h
        up = f(Zp)
        Zp[idx] -= 2 * h
        g[idx] = (up - f(Zp)) / (2 * h)
    return g


def assert_gradient(analytic, fd):
    """tests/bottleneck/helpers.hpp's tolerance: |fd - analytic| <= 1e-6 + 1e-5 max|analytic| entrywise."""
    assert np.max(np.abs(analytic - fd)) <= 1e-6 + 1e-5 * np.max(np.abs(analytic))


@pytest.fixture
def rng():
    return np.random.default_rng(11)


# ---- kernel widths and Gram matrices -------------------------------------------------------------------

def test_kernel_width_rules_give_the_cpp_reference_values():
    # tests/bottleneck/test_entropy.cpp "kernel-width rules" on the points 0, 1, 3, 7.
    line = np.array([[0.0], [1.0], [3.0], [7.0]])
    assert info.kernel_width(line, width={"rule": "knn", "k": 1}) == pytest.approx((1 + 1 + 2 + 4) / 4)
    all_pairs = ((1 + 3 + 7) + (1 + 2 + 6) + (3 + 2 + 4) + (7 + 6 + 4)) / 12
    assert info.kernel_width(line, width={"rule": "knn", "k": 10}) == pytest.approx(all_pairs)
    assert info.kernel_width(line) == pytest.approx(all_pairs)  # default: knn, k = 10
    assert info.kernel_width(line, width={"rule": "median"}) == pytest.approx(3.5)
    assert info.kernel_width(line, width={"rule": "silverman"}) == pytest.approx(0.8 * 4.0 ** (-1 / 5))
    assert info.kernel_width(line, width={"rule": "fixed", "value": 2.5}) == 2.5
    assert info.kernel_width(line, width=2.5) == 2.5
    assert info.kernel_width(line[:, 0]) == pytest.approx(all_pairs)  # (n,) is n samples of one value


def test_default_width_is_the_knn_rule(rng):
    X = rng.normal(size=(25, 3))
    assert info.kernel_width(X) == pytest.approx(knn_width(X, 10), rel=1e-12)
    assert info.kernel_width(X, width={"k": 3}) == pytest.approx(knn_width(X, 3), rel=1e-12)


def test_gram_matrices_match_numpy(rng):
    X = rng.normal(size=(9, 4))
    np.testing.assert_allclose(info.gram(X, width=1.3), gaussian_gram(X, 1.3), atol=1e-13)
    np.testing.assert_allclose(info.gram(X), gaussian_gram(X, knn_width(X)), atol=1e-13)
    np.testing.assert_allclose(info.gram(X, kernel="linear"), X @ X.T, atol=1e-13)


def test_bad_widths_kernels_and_shapes_are_value_errors(rng):
    X = rng.normal(size=(6, 2))
    for width in (0.0, -1.0, float("nan"), "knn", {"rule": "knn", "k": 0}, {"rul": "knn"}, {"rule": "nope"}):
        with pytest.raises(ValueError, match="width"):
            info.entropy(X, width=width)
    with pytest.raises(ValueError, match="kernel"):
        info.entropy(X, kernel="cubic")
    with pytest.raises(ValueError, match="z_width"):
        info.pib_loss(X, np.array([0, 1, 0, 1, 0, 1]), X, z_width={"k": -1})
    with pytest.raises(ValueError, match=r"\(n, d\) or \(n,\)"):
        info.entropy(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="2 samples"):
        info.entropy(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="NaN"):
        info.entropy(np.array([[0.0], [np.nan], [1.0]]), width=1.0)
    with pytest.raises(ValueError, match="alpha"):
        info.entropy(X, alpha=0.0)
    with pytest.raises(ValueError, match="6 samples"):
        info.mutual_information(X, X[:5])


# ---- entropy, joint entropy, mutual information -------------------------------------------------------

@pytest.mark.parametrize("alpha", [0.5, 1.0, 1.01, 2.0, 3.0])
def test_one_hot_labels_give_the_renyi_entropy_of_the_class_frequencies(alpha):
    # tests/bottleneck/test_entropy.cpp: frequencies 0.2, 0.3, 0.5.
    labels = np.array([0, 1, 1, 2, 2, 2, 0, 1, 2, 2])
    one_hot = np.eye(3)[labels]
    h = info.entropy(one_hot, alpha=alpha, kernel="linear")
    assert h == pytest.approx(discrete_renyi([0.2, 0.3, 0.5], alpha), rel=1e-10)


@pytest.mark.parametrize("n", [2, 7, 32])
def test_well_separated_points_have_entropy_log2_n(n):
    Z = 100.0 * np.random.default_rng(1).normal(size=(n, 3))
    for alpha in (0.5, 1.01, 2.0):
        assert info.entropy(Z, alpha=alpha, width=1.0) == pytest.approx(np.log2(n), rel=1e-9)


@pytest.mark.parametrize("alpha", ALPHAS)
def test_entropy_is_the_renyi_entropy_of_the_normalised_gram_eigenvalues(rng, alpha):
    X = rng.normal(size=(12, 3))
    assert info.entropy(X, alpha=alpha, width=1.5) == pytest.approx(renyi(gaussian_gram(X, 1.5), alpha), rel=1e-10)
    assert info.entropy(X, alpha=alpha) == pytest.approx(renyi(gaussian_gram(X, knn_width(X)), alpha), rel=1e-10)
    assert info.entropy(X, alpha=alpha, kernel="linear") == pytest.approx(renyi(X @ X.T, alpha), rel=1e-9)


def test_alpha_2_is_minus_log2_of_the_squared_frobenius_norm(rng):
    X = rng.normal(size=(10, 2))
    A = gaussian_gram(X, 0.9) / 10
    assert info.entropy(X, alpha=2.0, width=0.9) == pytest.approx(-np.log2(np.sum(A * A)), rel=1e-12)


def test_default_alpha_is_the_librarys(rng):
    X = rng.normal(size=(8, 2))
    assert info.entropy(X) == info.entropy(X, alpha=1.01)


@pytest.mark.parametrize("alpha", ALPHAS)
def test_mutual_information_is_h_a_plus_h_b_minus_the_hadamard_joint(rng, alpha):
    X, Y = rng.normal(size=(14, 3)), rng.normal(size=(14, 2))
    Kx, Ky = gaussian_gram(X, 1.2), Y @ Y.T
    kw = dict(alpha=alpha, x_width=1.2, y_kernel="linear")
    assert info.joint_entropy(X, Y, **kw) == pytest.approx(renyi(Kx * Ky, alpha), rel=1e-9)
    assert info.mutual_information(X, Y, **kw) == pytest.approx(mi(Kx, Ky, alpha), rel=1e-8, abs=1e-12)
    h = info.entropy(X, alpha=alpha, width=1.2) + info.entropy(Y, alpha=alpha, kernel="linear")
    assert info.mutual_information(X, Y, **kw) == pytest.approx(h - info.joint_entropy(X, Y, **kw), abs=1e-12)
    # symmetric, and invariant to permuting samples
    assert info.mutual_information(Y, X, alpha=alpha, x_kernel="linear", y_width=1.2) == pytest.approx(
        info.mutual_information(X, Y, **kw), abs=1e-12)
    perm = rng.permutation(14)
    assert info.mutual_information(X[perm], Y[perm], **kw) == pytest.approx(
        info.mutual_information(X, Y, **kw), abs=1e-10)


def test_mi_of_a_0_1_gram_with_itself_is_its_entropy():
    # tests/bottleneck/test_entropy.cpp: the Hadamard square of a 0/1 Gram matrix is itself.
    one_hot = np.eye(4)[[0, 0, 1, 2, 3, 3, 3, 1]]
    for alpha in (0.5, 1.01, 2.0):
        kw = dict(alpha=alpha, x_kernel="linear", y_kernel="linear")
        assert info.mutual_information(one_hot, one_hot, **kw) == pytest.approx(
            info.entropy(one_hot, alpha=alpha, kernel="linear"), rel=1e-10)


# ---- the PIB loss ----------------------------------------------------------------------------------------

def supervised_case(rng, n=14, dx=5, dz=3, classes=4):
    X, Z = rng.normal(size=(n, dx)), rng.normal(size=(n, dz))
    labels = np.concatenate([np.arange(classes), rng.integers(0, classes, n - classes)])
    return X, labels, Z


@pytest.mark.parametrize("alpha", ALPHAS)
def test_supervised_pib_loss_parts_are_the_mutual_informations(rng, alpha):
    # tests/bottleneck/test_objectives.cpp: sigma_x 2.0, sigma_z 1.7, beta 0.1.
    X, labels, Z = supervised_case(rng)
    loss, i_xz, i_yz, dZ = info.pib_loss(X, labels, Z, alpha=alpha, beta=0.1, x_width=2.0, z_width=1.7)
    Kz = gaussian_gram(Z, 1.7)
    assert i_xz == pytest.approx(mi(gaussian_gram(X, 2.0), Kz, alpha), rel=1e-8)
    assert i_yz == pytest.approx(mi(one_hot_gram(labels), Kz, alpha), rel=1e-8)
    assert loss == pytest.approx(-i_yz + 0.1 * i_xz, rel=1e-12)
    assert dZ.shape == Z.shape
    # the same through mutual_information
    assert i_yz == pytest.approx(info.mutual_information(np.eye(4)[labels], Z, alpha=alpha, x_kernel="linear",
                                                         y_width=1.7), rel=1e-9)


def test_pib_loss_defaults_are_the_librarys(rng):
    # alpha 1.01, beta 0.01, both widths the k = 10 nearest-neighbour rule on the batch.
    X, labels, Z = supervised_case(rng, n=16)
    loss, i_xz, i_yz, _ = info.pib_loss(X, labels, Z)
    Kx, Kz = gaussian_gram(X, knn_width(X)), gaussian_gram(Z, knn_width(Z))
    assert i_xz == pytest.approx(mi(Kx, Kz, 1.01), rel=1e-8)
    assert i_yz == pytest.approx(mi(one_hot_gram(labels), Kz, 1.01), rel=1e-8)
    assert loss == pytest.approx(-i_yz + 0.01 * i_xz, rel=1e-12)


@pytest.mark.parametrize("alpha", [1.01, 2.0])
def test_rl_pib_loss_for_each_choice_of_y(rng, alpha):
    # tests/bottleneck/test_objectives.cpp "RL PIB loss for each choice of Y": sigma_x 1.5, sigma_z 2.0,
    # sigma_y the batch standard deviation of the TD targets.
    n = 16
    X, Z = rng.normal(size=(n, 4)), rng.normal(size=(n, 5))
    td = 10.0 + 3.0 * rng.normal(size=n)
    actions = np.concatenate([[0, 1], rng.integers(0, 2, n - 2)])
    Ktd = gaussian_gram(td, td.std())
    Kz, Kx = gaussian_gram(Z, 2.0), gaussian_gram(X, 1.5)
    kw = dict(alpha=alpha, beta=0.05, x_width=1.5, z_width=2.0)
    for Y, extra, Ky in [(td, {}, Ktd), (td[:, None], {}, Ktd), (actions, {}, one_hot_gram(actions)),
                         (td, {"actions": actions}, one_hot_gram(actions) * Ktd),
                         (td, {"sigma_y": 4.0}, gaussian_gram(td, 4.0))]:
        loss, i_xz, i_yz, _ = info.pib_loss(X, Y, Z, **kw, **extra)
        assert i_yz == pytest.approx(mi(Ky, Kz, alpha), rel=1e-8)
        assert i_xz == pytest.approx(mi(Kx, Kz, alpha), rel=1e-8)
        assert loss == pytest.approx(-i_yz + 0.05 * i_xz, rel=1e-12)


def test_pib_loss_with_the_linear_kernel_of_the_centred_z(rng):
    X, labels, Z = supervised_case(rng, n=12)
    zc = Z - Z.mean(axis=0)
    zc /= np.linalg.norm(zc)
    Kz = zc @ zc.T
    loss, i_xz, i_yz, _ = info.pib_loss(X, labels, Z, alpha=1.01, beta=0.1, x_width=2.0, z_kernel="linear")
    assert i_yz == pytest.approx(mi(one_hot_gram(labels), Kz, 1.01), rel=1e-8)
    assert i_xz == pytest.approx(mi(gaussian_gram(X, 2.0), Kz, 1.01), rel=1e-8)
    # blind to the scale and offset of Z
    moved = info.pib_loss(X, labels, 3.0 * Z + 1.0, alpha=1.01, beta=0.1, x_width=2.0, z_kernel="linear")
    assert moved[0] == pytest.approx(loss, rel=1e-10)


def test_pib_loss_feature_space_estimator(rng):
    # With the linear kernel the feature path's I(Y; Z) is the exact one (its gradient too, at beta 0); its
    # I(X; Z) comes from random features and approaches the exact value as they grow.
    X, labels, Z = supervised_case(rng, n=40)
    exact = info.pib_loss(X, labels, Z, alpha=1.01, beta=0.0, x_width=2.0, z_kernel="linear")
    feat = info.pib_loss(X, labels, Z, alpha=1.01, beta=0.0, x_width=2.0, z_kernel="linear", features=8)
    assert feat[2] == pytest.approx(exact[2], rel=1e-9)
    np.testing.assert_allclose(feat[3], exact[3], rtol=1e-8, atol=1e-12)
    full = info.pib_loss(X, labels, Z, alpha=1.01, beta=0.1, x_width=2.0)
    errors = [abs(info.pib_loss(X, labels, Z, alpha=1.01, beta=0.1, x_width=2.0, features=m,
                                feature_seed=s)[1] - full[1]) for m in (16, 4096) for s in (0, 1)]
    assert max(errors[2:]) < min(errors[:2])
    with pytest.raises(ValueError, match="features"):
        info.pib_loss(X, labels, Z, features=-1)


@pytest.mark.parametrize("alpha", [0.5, 1.01, 2.0])
@pytest.mark.parametrize("z_kernel", ["gaussian", "linear"])
@pytest.mark.parametrize("targets", ["labels", "td"])
def test_pib_loss_gradient_matches_finite_differences(rng, alpha, z_kernel, targets):
    X, labels, Z = supervised_case(rng, n=10, dz=3, classes=3)
    Y = labels if targets == "labels" else rng.normal(size=10)
    kw = dict(alpha=alpha, beta=0.1, x_width=2.0, z_width=1.7, z_kernel=z_kernel)
    _, _, _, dZ = info.pib_loss(X, Y, Z, **kw)
    assert_gradient(dZ, finite_difference(lambda z: info.pib_loss(X, Y, z, **kw)[0], Z))


def test_the_per_batch_width_is_held_fixed_in_the_gradient(rng):
    X, labels, Z = supervised_case(rng, n=16)
    sigma = info.kernel_width(Z)
    knn = info.pib_loss(X, labels, Z, x_width=2.0)
    fixed = info.pib_loss(X, labels, Z, x_width=2.0, z_width=sigma)
    assert knn[0] == pytest.approx(fixed[0], rel=1e-12)
    np.testing.assert_allclose(knn[3], fixed[3], rtol=1e-10, atol=1e-14)


def test_pib_loss_of_a_1d_z_returns_a_1d_gradient(rng):
    X, labels, Z = supervised_case(rng, dz=1)
    loss, _, _, dZ = info.pib_loss(X, labels, Z[:, 0], z_width=1.0)
    assert dZ.shape == (14,)
    assert loss == info.pib_loss(X, labels, Z, z_width=1.0)[0]


def test_pib_loss_rejects_bad_shapes_and_labels(rng):
    X, labels, Z = supervised_case(rng)
    with pytest.raises(ValueError, match="14 integer labels"):
        info.pib_loss(X, labels[:5], Z)
    with pytest.raises(ValueError, match="14 samples"):
        info.pib_loss(X, labels, Z[:4])
    with pytest.raises(ValueError, match=r"scalar targets.*\(14, 2\)"):
        info.pib_loss(X, rng.normal(size=(14, 2)), Z)
    with pytest.raises(ValueError, match="label -1"):
        info.pib_loss(X, np.where(labels == 0, -1, labels), Z)
    with pytest.raises(ValueError, match="outside"):
        info.pib_loss(X, labels, Z, n_classes=2)
    with pytest.raises(ValueError, match="TD targets"):
        info.pib_loss(X, labels, Z, actions=labels)
    with pytest.raises(ValueError, match="beta"):
        info.pib_loss(X, labels, Z, beta=-1.0)


# ---- PyTorch -------------------------------------------------------------------------------------------

def make_torch_pib_loss(torch):
    """The torch.autograd.Function of docs/python_torch.md."""

    class PibLoss(torch.autograd.Function):
        @staticmethod
        def forward(ctx, Z, X, Y, options):
            z = Z.detach().to("cpu", torch.float64).numpy()
            loss, i_xz, i_yz, dL_dZ = pib.info.pib_loss(X, Y, z, **options)
            ctx.save_for_backward(torch.from_numpy(dL_dZ).to(Z.device, Z.dtype))
            return Z.new_tensor(loss)

        @staticmethod
        def backward(ctx, grad_output):
            (dL_dZ,) = ctx.saved_tensors
            return grad_output * dL_dZ, None, None, None

    return PibLoss


def pib_loss_alpha2(xp, Z, Kx, Ky, sigma_z, beta):
    """L = -I(Y; Z) + beta I(X; Z) with S_2(K) = -log2 tr(A^2), A = K / tr K, written once for NumPy and
    PyTorch (xp is numpy or torch: both have trace, log2, sum and exp)."""

    def s2(K):
        A = K / xp.trace(K)
        return -xp.log2(xp.sum(A * A))

    d2 = ((Z[:, None, :] - Z[None, :, :]) ** 2).sum(-1)
    Kz = xp.exp(-d2 / (2 * sigma_z**2))
    i_xz = s2(Kx) + s2(Kz) - s2(Kx * Kz)
    i_yz = s2(Ky) + s2(Kz) - s2(Ky * Kz)
    return -i_yz + beta * i_xz


def test_the_alpha_2_closed_form_reference_is_pib_loss_in_numpy(rng):
    # The reference the PyTorch test differentiates, checked here where torch is absent.
    X, labels, Z = supervised_case(rng, n=16, dz=4)
    ref = pib_loss_alpha2(np, Z, gaussian_gram(X, 2.0), one_hot_gram(labels), 1.7, 0.1)
    loss = info.pib_loss(X, labels, Z, alpha=2.0, beta=0.1, x_width=2.0, z_width=1.7)[0]
    assert loss == pytest.approx(ref, rel=1e-12)


def test_pib_loss_matches_a_pytorch_autograd_implementation(rng):
    torch = pytest.importorskip("torch")
    PibLoss = make_torch_pib_loss(torch)
    X, labels, Z0 = supervised_case(rng, n=16, dz=4)
    W = rng.normal(size=(5, 4))  # a linear layer in front of the loss: Z = X W
    options = dict(alpha=2.0, beta=0.1, x_width=2.0, z_width=1.7)
    Kx = torch.from_numpy(gaussian_gram(X, 2.0))
    Ky = torch.from_numpy(one_hot_gram(labels))

    W_ref = torch.tensor(W, dtype=torch.float64, requires_grad=True)
    ref = pib_loss_alpha2(torch, torch.from_numpy(X) @ W_ref, Kx, Ky, 1.7, 0.1)
    (3.0 * ref).backward()

    W_pib = torch.tensor(W, dtype=torch.float64, requires_grad=True)
    loss = PibLoss.apply(torch.from_numpy(X) @ W_pib, X, labels, options)
    (3.0 * loss).backward()  # backward multiplies dL/dZ by the incoming gradient

    assert loss.item() == pytest.approx(ref.item(), rel=1e-10)
    np.testing.assert_allclose(W_pib.grad.numpy(), W_ref.grad.numpy(), rtol=1e-7, atol=1e-10)
    # and the parts match pib_loss's own
    assert loss.item() == pytest.approx(info.pib_loss(X, labels, X @ W, **options)[0], rel=1e-12)
