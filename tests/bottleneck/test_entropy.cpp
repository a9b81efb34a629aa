// Known answers, invariances and finite-difference checks of the entropy and mutual-information functions.

#include <cmath>
#include <numeric>

#include <catch2/catch.hpp>

#include "bottleneck/bottleneck.hpp"
#include "common/error.hpp"
#include "helpers.hpp"

using namespace pib::bottleneck;
using pib::bottleneck::test::finite_difference;
using pib::bottleneck::test::gradient_error;
using pib::bottleneck::test::random_batch;

namespace {

double discrete_renyi(const std::vector<double>& p, double alpha) {
  if (alpha == 1.0) {
    double h = 0;
    for (double q : p)
      if (q > 0) h -= q * std::log2(q);
    return h;
  }
  double s = 0;
  for (double q : p)
    s += std::pow(q, alpha);
  return std::log2(s) / (1.0 - alpha);
}

Matrix permute_rows(const Matrix& Z, const std::vector<int>& perm) {
  Matrix P(Z.rows(), Z.cols());
  for (Eigen::Index i = 0; i < Z.rows(); ++i)
    P.row(i) = Z.row(perm[static_cast<std::size_t>(i)]);
  return P;
}

}  // namespace

TEST_CASE("one-hot labels with the linear kernel give the Renyi entropy of the class frequencies",
          "[bottleneck]") {
  const std::vector<int> labels{0, 1, 1, 2, 2, 2, 0, 1, 2, 2};  // frequencies 0.2, 0.3, 0.5
  const std::vector<double> p{0.2, 0.3, 0.5};
  const Matrix K = linear_gram(one_hot(labels, 3));
  REQUIRE(K.isApprox(label_gram(labels, 3)));
  for (double alpha : {0.5, 1.0, 1.01, 2.0, 3.0}) {
    INFO("alpha = " << alpha);
    CHECK(gram_entropy(K, alpha) == Approx(discrete_renyi(p, alpha)).epsilon(1e-10));
  }
}

TEST_CASE("n well-separated points have entropy log2 n", "[bottleneck]") {
  pib::Rng rng(1);
  for (int n : {2, 7, 32}) {
    const Matrix Z = random_batch(rng, n, 3, 100.0);  // distances of order 100, sigma 1
    for (double alpha : {0.5, 1.01, 2.0}) {
      INFO("n = " << n << ", alpha = " << alpha);
      CHECK(gram_entropy(gaussian_gram(Z, 1.0), alpha) == Approx(std::log2(n)).epsilon(1e-9));
    }
  }
}

TEST_CASE("I(Z, Z) = S(Z) for a 0/1 Gram matrix, whose Hadamard square is itself", "[bottleneck]") {
  const std::vector<int> labels{0, 0, 1, 2, 3, 3, 3, 1};
  const Matrix K = label_gram(labels, 4);
  for (double alpha : {0.5, 1.01, 2.0}) {
    const auto mi = mutual_information(K, K, alpha);
    CHECK(mi.i == Approx(gram_entropy(K, alpha)).epsilon(1e-10));
  }
}

TEST_CASE("entropy and mutual information are invariant to permuting samples, MI is symmetric",
          "[bottleneck]") {
  pib::Rng rng(2);
  const Matrix Z = random_batch(rng, 20, 4);
  const Matrix X = random_batch(rng, 20, 6);
  std::vector<int> perm(20);
  std::iota(perm.begin(), perm.end(), 0);
  for (std::size_t i = perm.size() - 1; i > 0; --i)
    std::swap(perm[i], perm[rng.below(i + 1)]);
  for (double alpha : {0.5, 1.01, 2.0}) {
    INFO("alpha = " << alpha);
    const Matrix Kz = gaussian_gram(Z, 2.0), Kx = gaussian_gram(X, 3.0);
    const Matrix Kzp = gaussian_gram(permute_rows(Z, perm), 2.0),
                 Kxp = gaussian_gram(permute_rows(X, perm), 3.0);
    CHECK(gram_entropy(Kzp, alpha) == Approx(gram_entropy(Kz, alpha)).epsilon(1e-10));
    const auto ab = mutual_information(Kz, Kx, alpha);
    const auto ba = mutual_information(Kx, Kz, alpha);
    CHECK(ab.i == Approx(ba.i).epsilon(1e-10));
    CHECK(ab.i == Approx(mutual_information(Kzp, Kxp, alpha).i).epsilon(1e-10));
    CHECK(ab.i >= -1e-9);
    CHECK(ab.h_ab == Approx(joint_entropy(std::vector<Matrix>{Kz, Kx}, alpha)).epsilon(1e-12));
  }
}

TEST_CASE("alpha = 2 closed form agrees with the spectrum, alpha -> 1 approaches von Neumann",
          "[bottleneck]") {
  pib::Rng rng(3);
  const Matrix A = normalize_gram(gaussian_gram(random_batch(rng, 15, 3), 1.5));
  Eigen::SelfAdjointEigenSolver<Matrix> es(A);
  CHECK(renyi_entropy(A, 2.0) ==
        Approx(renyi_entropy_from_eigenvalues(es.eigenvalues(), 2.0)).epsilon(1e-12));
  CHECK(renyi_entropy(A, 1.0 + 1e-7) == Approx(renyi_entropy(A, 1.0)).epsilon(1e-6));
  // Entropy decreases with alpha and lies in [0, log2 n].
  const double s05 = renyi_entropy(A, 0.5), s101 = renyi_entropy(A, 1.01), s2 = renyi_entropy(A, 2.0);
  CHECK(s05 > s101);
  CHECK(s101 > s2);
  CHECK(s05 <= std::log2(15.0) + 1e-12);
  CHECK(s2 >= 0.0);
}

TEST_CASE("three-way joint entropy multiplies all Gram matrices", "[bottleneck]") {
  const std::vector<int> a{0, 0, 1, 1, 0, 1}, b{0, 1, 0, 1, 0, 1}, c{1, 1, 1, 0, 0, 0};
  // Joint of three 0/1 Grams = Gram of the product label (a, b, c): frequencies of the 8 combinations.
  std::vector<double> counts(8, 0.0);
  for (std::size_t i = 0; i < a.size(); ++i)
    counts[static_cast<std::size_t>(a[i] * 4 + b[i] * 2 + c[i])] += 1.0 / 6.0;
  const double h =
      joint_entropy(std::vector<Matrix>{label_gram(a, 2), label_gram(b, 2), label_gram(c, 2)}, 1.01);
  CHECK(h == Approx(discrete_renyi(counts, 1.01)).epsilon(1e-10));
}

TEST_CASE("entropy and MI gradients match finite differences", "[bottleneck]") {
  pib::Rng rng(4);
  struct Shape {
    int n, d;
  };
  for (Shape s : {Shape{5, 7}, Shape{12, 2}, Shape{9, 3}}) {
    const Matrix Z = random_batch(rng, s.n, s.d);
    const Matrix Ko = gaussian_gram(random_batch(rng, s.n, 3), 2.0);
    const double sigma = 1.3;
    for (Kernel kernel : {Kernel::gaussian, Kernel::linear}) {
      for (double alpha : {0.5, 1.0, 1.01, 2.0}) {
        INFO("n = " << s.n << ", d = " << s.d << ", alpha = " << alpha << ", kernel "
                    << (kernel == Kernel::gaussian ? "gaussian" : "linear"));
        const auto S = [&](const Matrix& Y) { return gram_entropy(gram(Y, kernel, sigma), alpha); };
        const auto I = [&](const Matrix& Y) {
          return mutual_information(gram(Y, kernel, sigma), Ko, alpha).i;
        };
        // A rank-deficient linear Gram (d < n) has zero eigenvalues, where S is not differentiable for alpha
        // <= 1.
        if (kernel == Kernel::linear && s.d < s.n && alpha <= 1.0) continue;
        CHECK(gradient_error(entropy_gradient(Z, kernel, sigma, alpha), finite_difference(S, Z, 1e-6)) <=
              1.0);
        CHECK(gradient_error(mutual_information_gradient(Z, kernel, sigma, Ko, alpha),
                             finite_difference(I, Z, 1e-6)) <= 1.0);
      }
    }
  }
}

TEST_CASE("degenerate inputs throw typed errors", "[bottleneck]") {
  using pib::InvalidArgument;
  pib::Rng rng(5);
  const Matrix Z = random_batch(rng, 6, 2);
  CHECK_THROWS_AS(gaussian_gram(Matrix(1, 3), 1.0), InvalidArgument);
  Matrix bad = Z;
  bad(2, 1) = std::nan("");
  CHECK_THROWS_AS(gaussian_gram(bad, 1.0), InvalidArgument);
  bad(2, 1) = INFINITY;
  CHECK_THROWS_AS(linear_gram(bad), InvalidArgument);
  CHECK_THROWS_AS(gaussian_gram(Z, 0.0), InvalidArgument);
  CHECK_THROWS_AS(gaussian_gram(Z, -1.0), InvalidArgument);
  CHECK_THROWS_AS(gram_entropy(gaussian_gram(Z, 1.0), 0.0), InvalidArgument);
  CHECK_THROWS_AS(gram_entropy(gaussian_gram(Z, 1.0), -2.0), InvalidArgument);
  CHECK_THROWS_AS(
      mutual_information(gaussian_gram(Z, 1.0), gaussian_gram(random_batch(rng, 7, 2), 1.0), 1.01),
      InvalidArgument);
  CHECK_THROWS_AS(gram_entropy(linear_gram(Matrix::Zero(4, 2)), 1.01), InvalidArgument);  // zero trace
  CHECK_THROWS_AS(one_hot({0, 3}, 3), InvalidArgument);
  CHECK_THROWS_AS(mutual_information_gradient(Z, Kernel::gaussian, 1.0, Matrix::Identity(5, 5), 2.0),
                  InvalidArgument);
}

TEST_CASE("identical samples give finite entropies and gradients", "[bottleneck]") {
  const Matrix Z = Matrix::Constant(8, 3, 0.25);
  for (double alpha : {0.5, 1.0, 1.01, 2.0}) {
    const Matrix K = gaussian_gram(Z, 1.0);
    CHECK(gram_entropy(K, alpha) == Approx(0.0).margin(1e-9));
    CHECK(entropy_gradient(Z, Kernel::gaussian, 1.0, alpha).allFinite());
    KernelWidth knn;
    CHECK(std::isfinite(knn.select(Z)));
  }
}

TEST_CASE("kernel-width rules", "[bottleneck]") {
  Matrix line(4, 1);
  line << 0.0, 1.0, 3.0, 7.0;
  KernelWidth w;
  w.rule = WidthRule::knn;
  w.k = 1;
  CHECK(w.select(line) == Approx((1.0 + 1.0 + 2.0 + 4.0) / 4.0));
  w.k = 10;  // clamped to n - 1 = 3
  CHECK(w.select(line) == Approx(((1 + 3 + 7) + (1 + 2 + 6) + (3 + 2 + 4) + (7 + 6 + 4)) / 12.0));
  w.rule = WidthRule::median;  // pairwise distances 1 2 3 4 6 7
  CHECK(w.select(line) == Approx(3.5));
  w.rule = WidthRule::silverman;
  CHECK(w.select(line) == Approx(0.8 * std::pow(4.0, -1.0 / 5.0)));
  w.rule = WidthRule::fixed;
  w.value = 2.5;
  CHECK(w.select(line) == 2.5);
  w.value = 0.0;
  CHECK_THROWS_AS(w.select(line), pib::InvalidArgument);
  CHECK(parse_width_rule("median") == WidthRule::median);
  CHECK_THROWS_AS(parse_width_rule("nope"), pib::InvalidArgument);
}

TEST_CASE("squared distances match the direct formula", "[bottleneck]") {
  pib::Rng rng(6);
  const Matrix Z = random_batch(rng, 11, 5);
  Matrix D2(11, 11);
  squared_distances(Z, D2);
  for (int i = 0; i < 11; ++i)
    for (int j = 0; j < 11; ++j)
      CHECK(D2(i, j) == Approx((Z.row(i) - Z.row(j)).squaredNorm()).margin(1e-12));
}
