#include "bottleneck/features.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "common/error.hpp"
#include "common/random.hpp"

namespace pib::bottleneck {

void Estimator::validate() const {
  if (features < 0)
    raise<InvalidArgument>("PIB estimator: 'features' must be 0 (the exact n x n estimator) or > 0, got ",
                           features);
}

double sampled_width(const KernelWidth& width, const Eigen::Ref<const Matrix>& Z, Matrix& d2,
                     std::vector<double>& scratch) {
  const Eigen::Index n = Z.rows();
  const Eigen::Index q = std::min(n, kWidthQueries);
  if (width.rule == WidthRule::fixed || width.rule == WidthRule::silverman)
    return width.select_from_distances(Matrix(n, 0), Z.cols(), scratch);
  // Squared distances of the first q rows to all n: |z_i|^2 + |z_j|^2 - 2 z_i . z_j, clamped at 0.
  const Eigen::VectorXd norms = Z.rowwise().squaredNorm();
  d2.resize(q, n);
  d2.noalias() = -2.0 * Z.topRows(q) * Z.transpose();
  for (Eigen::Index i = 0; i < q; ++i) {
    d2.row(i) += norms.transpose();
    d2.row(i).array() += norms(i);
    d2.row(i) = d2.row(i).cwiseMax(0.0);
    d2(i, i) = 0.0;
  }
  double sigma = 0.0;
  if (width.rule == WidthRule::knn) {
    sigma = detail::knn_mean_distance(d2, width.k, scratch);
  } else {  // median of the distances to the other samples
    scratch.clear();
    for (Eigen::Index i = 0; i < q; ++i)
      for (Eigen::Index j = 0; j < n; ++j)
        if (j != i) scratch.push_back(d2(i, j));
    sigma = detail::median_distance(scratch);
  }
  return std::max(sigma, KernelWidth::kMinWidth);
}

namespace detail {

namespace {

// The entropy h(sum) and dh/dsum (times the factor alpha the spectral gradients leave out).
std::pair<double, double> combine(double sum, double alpha) {
  if (alpha == 1.0) return {sum, 1.0};
  return {std::log2(sum) / (1.0 - alpha), alpha / ((1.0 - alpha) * std::numbers::ln2 * sum)};
}

}  // namespace

Matrix feature_frequencies(const Estimator& est, Eigen::Index d, std::uint64_t index) {
  Rng rng = Rng::derive(est.seed, Stream::features, index + 1);
  Matrix omega(d, est.features);
  for (Eigen::Index i = 0; i < d; ++i)
    for (Eigen::Index j = 0; j < est.features; ++j)
      omega(i, j) = rng.normal();
  return omega;
}

Eigen::RowVectorXd feature_offsets(const Estimator& est) {
  Rng rng = Rng::derive(est.seed, Stream::features, 0);
  Eigen::RowVectorXd b(est.features);
  for (Eigen::Index j = 0; j < est.features; ++j)
    b(j) = rng.uniform(0.0, 2.0 * std::numbers::pi);
  return b;
}

double FeatureEntropy::spectral_sum(const Matrix& B, double alpha, Matrix* f) {
  if (alpha == 2.0) {  // sum of lambda^2 = |B|_F^2; its gradient (without the factor alpha) is B
    if (f) *f = B;
    return B.squaredNorm();
  }
  if (!f) return spectral_.spectral_sum(B, alpha, nullptr);
  f->resize(B.rows(), B.cols());
  Eigen::Ref<Matrix> grad(*f);
  return spectral_.spectral_sum(B, alpha, &grad);
}

std::pair<double, double> FeatureEntropy::with_blocks(const Matrix& Phi,
                                                      const std::vector<Eigen::Index>& order,
                                                      const std::vector<Eigen::Index>& offsets, double alpha,
                                                      double scale_marginal, double scale_blocks,
                                                      Matrix* dPhi) {
  const Eigen::Index m = Phi.cols();
  if (Phi.rows() <= m)  // the Gram side: nothing to share
    return {blocks(Phi, nullptr, nullptr, alpha, scale_marginal, dPhi),
            blocks(Phi, &order, &offsets, alpha, scale_blocks, dPhi)};
  check_alpha(alpha);
  const double t = Phi.squaredNorm();
  if (!(t > 0.0) || !std::isfinite(t))
    raise<InvalidArgument>("feature entropy: the features are all zero or not finite (trace ", t, ")");
  const std::size_t groups = offsets.size() - 1;
  if (rows_.size() < groups) rows_.resize(groups);
  if (f_.size() < groups) f_.resize(groups);
  c_.setZero(m, m);  // Phi^T Phi / t, summed over the blocks
  double sum_b = 0.0, c_b = 0.0;
  for (std::size_t g = 0; g < groups; ++g) {
    Matrix& rows = rows_[g];
    const Eigen::Index o = offsets[g], k = offsets[g + 1] - o;
    rows.resize(k, m);
    for (Eigen::Index i = 0; i < k; ++i)
      rows.row(i) = Phi.row(order[static_cast<std::size_t>(o + i)]);
    if (k == 0) continue;
    b_.setZero(m, m);
    b_.selfadjointView<Eigen::Lower>().rankUpdate(rows.transpose(), 1.0 / t);
    b_.triangularView<Eigen::StrictlyUpper>() = b_.transpose();
    c_ += b_;
    if (k <= m) {  // this block on its Gram side
      b_.noalias() = rows * rows.transpose();
      b_ *= 1.0 / t;
    }
    sum_b += spectral_sum(b_, alpha, dPhi ? &f_[g] : nullptr);
    if (dPhi) c_b += f_[g].cwiseProduct(b_).sum();
  }
  const double sum_m = spectral_sum(c_, alpha, dPhi ? &f_marginal_ : nullptr);
  const auto [s_m, dh_m] = combine(sum_m, alpha);
  const auto [s_b, dh_b] = combine(sum_b, alpha);
  if (!dPhi) return {s_m, s_b};
  const double c_m = f_marginal_.cwiseProduct(c_).sum();
  const double coef_m = scale_marginal * 2.0 * dh_m / t, coef_b = scale_blocks * 2.0 * dh_b / t;
  Matrix d;
  for (std::size_t g = 0; g < groups; ++g) {
    const Matrix& rows = rows_[g];
    if (rows.rows() == 0) continue;
    if (rows.rows() > m) {
      b_ = coef_m * f_marginal_ + coef_b * f_[g];
      d.noalias() = rows * b_;
    } else {
      d.noalias() = coef_m * rows * f_marginal_;
      d.noalias() += coef_b * f_[g] * rows;
    }
    d -= (coef_m * c_m + coef_b * c_b) * rows;
    const Eigen::Index o = offsets[g];
    for (Eigen::Index i = 0; i < rows.rows(); ++i)
      dPhi->row(order[static_cast<std::size_t>(o + i)]) += d.row(i);
  }
  return {s_m, s_b};
}

double FeatureEntropy::operator()(const Matrix& Phi, double alpha, double scale, Matrix* dPhi) {
  return blocks(Phi, nullptr, nullptr, alpha, scale, dPhi);
}

double FeatureEntropy::operator()(const Matrix& Phi, const std::vector<Eigen::Index>& order,
                                  const std::vector<Eigen::Index>& offsets, double alpha, double scale,
                                  Matrix* dPhi) {
  return blocks(Phi, &order, &offsets, alpha, scale, dPhi);
}

// With B_g = Phi_g Phi_g^T / t (or Phi_g^T Phi_g / t, the same nonzero spectrum), t = |Phi|_F^2, and
// s = sum_g spectral_sum(B_g): S = h(s) with h(s) = log2(s) / (1 - alpha) (alpha != 1) or s (alpha = 1).
// dS/dB_g = h'(s) F_g with F_g the spectral sum's gradient; through t,
//   dS/dPhi_g = (2 h' / t) (F_g Phi_g - c Phi_g)  (Gram side; Phi_g F_g on the other), c = sum_g <F_g, B_g>.
double FeatureEntropy::blocks(const Matrix& Phi, const std::vector<Eigen::Index>* order,
                              const std::vector<Eigen::Index>* offsets, double alpha, double scale,
                              Matrix* dPhi) {
  check_alpha(alpha);
  const Eigen::Index m = Phi.cols();
  const double t = Phi.squaredNorm();
  if (!(t > 0.0) || !std::isfinite(t))
    raise<InvalidArgument>("feature entropy: the features are all zero or not finite (trace ", t, ")");
  const std::size_t groups = order ? offsets->size() - 1 : 1;
  if (rows_.size() < groups) rows_.resize(groups);
  if (f_.size() < groups) f_.resize(groups);
  double sum = 0.0, c = 0.0;
  for (std::size_t g = 0; g < groups; ++g) {
    Matrix& rows = rows_[g];
    if (order) {
      const Eigen::Index o = (*offsets)[g], k = (*offsets)[g + 1] - o;
      rows.resize(k, m);
      for (Eigen::Index i = 0; i < k; ++i)
        rows.row(i) = Phi.row((*order)[static_cast<std::size_t>(o + i)]);
    }
    const Matrix& P = order ? rows : Phi;
    if (P.rows() == 0) continue;
    const bool gram_side = P.rows() <= m;
    if (gram_side) {
      b_.noalias() = P * P.transpose();
      b_ *= 1.0 / t;
    } else {
      b_.setZero(m, m);
      b_.selfadjointView<Eigen::Lower>().rankUpdate(P.transpose(), 1.0 / t);
      b_.triangularView<Eigen::StrictlyUpper>() = b_.transpose();
    }
    Matrix& f = f_[g];
    sum += spectral_sum(b_, alpha, dPhi ? &f : nullptr);
    if (dPhi) c += f.cwiseProduct(b_).sum();
  }
  const auto [s, dh] = combine(sum, alpha);  // S = h(sum), dS/dB = dh * F
  if (!dPhi) return s;
  const double coef = scale * 2.0 * dh / t;
  for (std::size_t g = 0; g < groups; ++g) {
    const Matrix& P = order ? rows_[g] : Phi;
    if (P.rows() == 0) continue;
    const Matrix& f = f_[g];
    Matrix d = P.rows() <= m ? Matrix(f * P) : Matrix(P * f);
    d -= c * P;
    if (!order) {
      dPhi->noalias() += coef * d;
      continue;
    }
    const Eigen::Index o = (*offsets)[g];
    for (Eigen::Index i = 0; i < P.rows(); ++i)
      dPhi->row((*order)[static_cast<std::size_t>(o + i)]) += coef * d.row(i);
  }
  return s;
}

}  // namespace detail

}  // namespace pib::bottleneck
