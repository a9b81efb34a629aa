#include "bottleneck/kernel.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "bottleneck/simd.hpp"
#include "common/error.hpp"

namespace pib::bottleneck {

namespace detail {

void check_batch(const Eigen::Ref<const Matrix>& Z, const char* what) {
  if (Z.rows() < 2) raise<InvalidArgument>(what, ": a batch needs at least 2 samples (rows), got ", Z.rows());
  if (Z.cols() < 1) raise<InvalidArgument>(what, ": a batch needs at least 1 column");
  if (!Z.allFinite()) raise<InvalidArgument>(what, ": the batch has a NaN or infinite entry");
}

void check_sigma(double sigma, const char* what) {
  if (!(sigma > 0.0) || !std::isfinite(sigma))
    raise<InvalidArgument>(what, ": kernel width sigma must be finite and > 0, got ", sigma);
}

void gaussian_from_distances(const Eigen::Ref<const Matrix>& D2, double sigma, Eigen::Ref<Matrix> K) {
  const double scale = -1.0 / (2.0 * sigma * sigma);
  K.array() = (D2.array() * scale).exp();
}

}  // namespace detail

void squared_distances(const Eigen::Ref<const Matrix>& Z, Eigen::Ref<Matrix> D2) {
  const Eigen::Index n = Z.rows();
  PIB_EXPECTS(D2.rows() == n && D2.cols() == n, "D2 must be ", n, " x ", n);
  // |z_i - z_j|^2 = |z_i|^2 + |z_j|^2 - 2 z_i.z_j; the inner products come from one symmetric rank update
  // into the lower triangle (diagonal -2 |z_i|^2). The distances are written to the upper triangle first, so
  // the diagonal stays readable, then mirrored.
  D2.setZero();
  if (detail::simd_enabled() && Z.outerStride() == Z.cols() && D2.outerStride() == n)
    detail::avx2::syrk_lower(Z.data(), n, Z.cols(), -2.0, D2.data());
  else
    D2.template selfadjointView<Eigen::Lower>().rankUpdate(Z, -2.0);
  for (Eigen::Index i = 1; i < n; ++i) {
    const double half_ii = -0.5 * D2(i, i);
    for (Eigen::Index j = 0; j < i; ++j)
      D2(j, i) = std::max(0.0, half_ii - 0.5 * D2(j, j) + D2(i, j));
  }
  for (Eigen::Index i = 0; i < n; ++i) {
    D2(i, i) = 0.0;
    for (Eigen::Index j = 0; j < i; ++j)
      D2(i, j) = D2(j, i);
  }
}

Matrix gaussian_gram(const Eigen::Ref<const Matrix>& Z, double sigma) {
  detail::check_batch(Z, "gaussian_gram");
  detail::check_sigma(sigma, "gaussian_gram");
  Matrix K(Z.rows(), Z.rows());
  squared_distances(Z, K);
  detail::gaussian_from_distances(K, sigma, K);
  return K;
}

Matrix linear_gram(const Eigen::Ref<const Matrix>& Y) {
  detail::check_batch(Y, "linear_gram");
  Matrix K = Matrix::Zero(Y.rows(), Y.rows());
  K.selfadjointView<Eigen::Lower>().rankUpdate(Y);
  K.triangularView<Eigen::StrictlyUpper>() = K.transpose();
  return K;
}

Kernel parse_kernel(const std::string& name) {
  if (name == "gaussian") return Kernel::gaussian;
  if (name == "linear") return Kernel::linear;
  raise<InvalidArgument>("unknown kernel '", name, "' (expected gaussian or linear)");
}

const char* to_string(Kernel kernel) { return kernel == Kernel::gaussian ? "gaussian" : "linear"; }

Matrix gram(const Eigen::Ref<const Matrix>& Z, Kernel kernel, double sigma) {
  return kernel == Kernel::gaussian ? gaussian_gram(Z, sigma) : linear_gram(Z);
}

Matrix one_hot(const std::vector<int>& labels, int n_classes) {
  if (n_classes < 1) raise<InvalidArgument>("one_hot: n_classes must be >= 1, got ", n_classes);
  Matrix Y = Matrix::Zero(static_cast<Eigen::Index>(labels.size()), n_classes);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= n_classes)
      raise<InvalidArgument>("one_hot: label ", labels[i], " of sample ", i, " is outside [0, ", n_classes,
                             ")");
    Y(static_cast<Eigen::Index>(i), labels[i]) = 1.0;
  }
  return Y;
}

Matrix label_gram(const std::vector<int>& labels, int n_classes) {
  if (labels.size() < 2)
    raise<InvalidArgument>("label_gram: a batch needs at least 2 labels, got ", labels.size());
  one_hot(labels, n_classes);  // validates the labels
  const auto n = static_cast<Eigen::Index>(labels.size());
  Matrix K(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j)
      K(i, j) = labels[i] == labels[j] ? 1.0 : 0.0;
  return K;
}

void KernelWidth::validate() const {
  switch (rule) {
    case WidthRule::fixed:
      if (!(value > 0.0) || !std::isfinite(value))
        raise<InvalidArgument>("kernel width: 'value' of the fixed rule must be finite and > 0, got ", value);
      break;
    case WidthRule::knn:
      if (k < 1) raise<InvalidArgument>("kernel width: 'k' of the knn rule must be >= 1, got ", k);
      break;
    case WidthRule::silverman:
      if (!(gamma > 0.0) || !std::isfinite(gamma))
        raise<InvalidArgument>("kernel width: 'gamma' of the silverman rule must be finite and > 0, got ",
                               gamma);
      break;
    case WidthRule::median:
      break;
  }
}

double KernelWidth::select(const Eigen::Ref<const Matrix>& Z) const {
  detail::check_batch(Z, "kernel width");
  validate();
  if (rule == WidthRule::fixed) return value;
  if (rule == WidthRule::silverman) {
    std::vector<double> none;
    return select_from_distances(Matrix(Z.rows(), 0), Z.cols(), none);
  }
  Matrix D2(Z.rows(), Z.rows());
  squared_distances(Z, D2);
  std::vector<double> scratch;
  return select_from_distances(D2, Z.cols(), scratch);
}

double detail::knn_mean_distance(const Eigen::Ref<const Matrix>& D2, int k, std::vector<double>& scratch) {
  // Per row, the kk smallest by insertion into a sorted buffer (kk is small: most values fail the first
  // comparison), summed in ascending order.
  const Eigen::Index q = D2.rows(), n = D2.cols();
  const auto kk = static_cast<std::size_t>(std::min<Eigen::Index>(k, n - 1));
  scratch.resize(kk);
  double total = 0.0;
  for (Eigen::Index i = 0; i < q; ++i) {
    std::fill(scratch.begin(), scratch.end(), std::numeric_limits<double>::infinity());
    double worst = std::numeric_limits<double>::infinity();
    for (Eigen::Index j = 0; j < n; ++j) {
      const double v = D2(i, j);
      if (j == i || !(v < worst)) continue;
      std::size_t t = kk - 1;
      for (; t > 0 && scratch[t - 1] > v; --t)
        scratch[t] = scratch[t - 1];
      scratch[t] = v;
      worst = scratch[kk - 1];
    }
    for (std::size_t t = 0; t < kk; ++t)
      total += std::sqrt(scratch[t]);
  }
  return total / (static_cast<double>(q) * static_cast<double>(kk));
}

double detail::median_distance(std::vector<double>& d2) {
  const std::size_t m = d2.size();
  const auto mid = d2.begin() + static_cast<std::ptrdiff_t>(m / 2);
  std::nth_element(d2.begin(), mid, d2.end());
  double sigma = std::sqrt(*mid);
  if (m % 2 == 0) sigma = 0.5 * (sigma + std::sqrt(*std::max_element(d2.begin(), mid)));
  return sigma;
}

double KernelWidth::select_from_distances(const Eigen::Ref<const Matrix>& D2, Eigen::Index d,
                                          std::vector<double>& scratch) const {
  double sigma = 0.0;
  switch (rule) {
    case WidthRule::fixed:
      sigma = value;
      break;
    case WidthRule::silverman: {
      // DESIGN.md 2.3: gamma sqrt(d) n^(-1/(4+d)).
      const double n = static_cast<double>(D2.rows());
      sigma = gamma * std::sqrt(static_cast<double>(d)) * std::pow(n, -1.0 / (4.0 + static_cast<double>(d)));
      break;
    }
    case WidthRule::knn:
      sigma = detail::knn_mean_distance(D2, k, scratch);
      break;
    case WidthRule::median: {
      const Eigen::Index n = D2.rows();
      scratch.resize(static_cast<std::size_t>(n * (n - 1) / 2));
      std::size_t m = 0;
      for (Eigen::Index i = 1; i < n; ++i)
        for (Eigen::Index j = 0; j < i; ++j)
          scratch[m++] = D2(i, j);
      sigma = detail::median_distance(scratch);
      break;
    }
  }
  return std::max(sigma, kMinWidth);
}

WidthRule parse_width_rule(const std::string& name) {
  if (name == "fixed") return WidthRule::fixed;
  if (name == "knn") return WidthRule::knn;
  if (name == "silverman") return WidthRule::silverman;
  if (name == "median") return WidthRule::median;
  raise<InvalidArgument>("unknown kernel-width rule '", name, "' (expected fixed, knn, silverman or median)");
}

const char* to_string(WidthRule rule) {
  switch (rule) {
    case WidthRule::fixed:
      return "fixed";
    case WidthRule::knn:
      return "knn";
    case WidthRule::silverman:
      return "silverman";
    case WidthRule::median:
      return "median";
  }
  return "?";
}

}  // namespace pib::bottleneck
