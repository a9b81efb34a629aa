#pragma once
// Shared helpers of the bottleneck tests: seeded random batches and central finite differences.

#include <functional>
#include <vector>

#include "bottleneck/bottleneck.hpp"
#include "common/random.hpp"

namespace pib::bottleneck::test {

// A PibConfig with alpha and beta set, the rest defaulted.
inline PibConfig pib_config(double alpha, double beta) {
  PibConfig cfg;
  cfg.alpha = alpha;
  cfg.beta = beta;
  return cfg;
}

inline Matrix random_batch(Rng& rng, Eigen::Index n, Eigen::Index d, double scale = 1.0) {
  Matrix Z(n, d);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < d; ++j)
      Z(i, j) = scale * rng.normal();
  return Z;
}

inline std::vector<int> random_labels(Rng& rng, std::size_t n, int n_classes) {
  std::vector<int> labels(n);
  for (std::size_t i = 0; i < n; ++i)
    labels[i] = static_cast<int>(
        i < static_cast<std::size_t>(n_classes) ? i : rng.below(static_cast<std::uint64_t>(n_classes)));
  return labels;
}

// Central differences of f at Z, step h per entry.
inline Matrix finite_difference(const std::function<double(const Matrix&)>& f, const Matrix& Z, double h) {
  Matrix g(Z.rows(), Z.cols());
  Matrix Zp = Z;
  for (Eigen::Index i = 0; i < Z.rows(); ++i)
    for (Eigen::Index j = 0; j < Z.cols(); ++j) {
      const double z = Z(i, j);
      Zp(i, j) = z + h;
      const double up = f(Zp);
      Zp(i, j) = z - h;
      const double down = f(Zp);
      Zp(i, j) = z;
      g(i, j) = (up - down) / (2.0 * h);
    }
  return g;
}

// The stated tolerance of every gradient check: |fd - analytic| <= 1e-6 + 1e-5 max|analytic|, entrywise.
inline double gradient_error(const Matrix& analytic, const Matrix& fd) {
  const double scale = 1e-6 + 1e-5 * analytic.cwiseAbs().maxCoeff();
  return (analytic - fd).cwiseAbs().maxCoeff() / scale;  // <= 1 passes
}

}  // namespace pib::bottleneck::test
