#include "bottleneck/entropy.hpp"

#include <cmath>
#include <limits>
#include <numbers>

#include "common/error.hpp"

namespace pib::bottleneck {

namespace detail {

void check_alpha(double alpha) {
  if (!(alpha > 0.0) || !std::isfinite(alpha))
    raise<InvalidArgument>("Renyi order alpha must be finite and > 0, got ", alpha);
}

void check_gram(const Eigen::Ref<const Matrix>& K, const char* what) {
  if (K.rows() != K.cols())
    raise<InvalidArgument>(what, ": a Gram matrix must be square, got ", K.rows(), " x ", K.cols());
  if (K.rows() < 2) raise<InvalidArgument>(what, ": a Gram matrix needs at least 2 samples, got ", K.rows());
  if (!K.allFinite()) raise<InvalidArgument>(what, ": the Gram matrix has a NaN or infinite entry");
  if (!(K.trace() > 0.0))
    raise<InvalidArgument>(what, ": the Gram matrix has trace ", K.trace(), " (must be > 0)");
}

SpectralScratch::Solver& SpectralScratch::solver_for(Eigen::Index n) {
  const auto index = static_cast<std::size_t>(n);
  if (solvers_.size() <= index) solvers_.resize(index + 1);
  if (!solvers_[index]) solvers_[index] = std::make_unique<Solver>(n);
  return *solvers_[index];
}

avx2::Eigh& SpectralScratch::fast_solver_for(Eigen::Index n) {
  const auto index = static_cast<std::size_t>(n);
  if (fast_solvers_.size() <= index) fast_solvers_.resize(index + 1);
  if (!fast_solvers_[index]) fast_solvers_[index] = std::make_unique<avx2::Eigh>();
  return *fast_solvers_[index];
}

double SpectralScratch::entropy(const Eigen::Ref<const Matrix>& A, double alpha, Eigen::Ref<Matrix>* grad) {
  if (alpha == 2.0) {  // S_2 = -log2 |A|_F^2, dS_2/dA = -2 A / (ln 2 |A|_F^2)
    const double fro2 = A.squaredNorm();
    if (grad) *grad = A * (-2.0 / (std::numbers::ln2 * fro2));
    return -std::log2(fro2);
  }
  const double sum = spectral_sum(A, alpha, grad);
  if (alpha == 1.0) return sum;
  if (grad) *grad *= alpha / ((1.0 - alpha) * std::numbers::ln2 * sum);
  return std::log2(sum) / (1.0 - alpha);
}

double SpectralScratch::spectral_sum(const Eigen::Ref<const Matrix>& A, double alpha,
                                     Eigen::Ref<Matrix>* grad) {
  const Eigen::Index n = A.rows();
  // A is symmetric, so its row-major storage read as column-major is A itself.
  const bool fast = simd_enabled() && A.outerStride() == n;
  const double* values = nullptr;
  const double* vectors = nullptr;
  if (fast) {
    avx2::Eigh& solver = fast_solver_for(n);
    solver.compute(A.data(), n, grad != nullptr);
    values = solver.eigenvalues();
    if (grad) vectors = solver.eigenvectors();
  } else {
    Solver& solver = solver_for(n);
    solver.compute(A.transpose(), grad ? Eigen::ComputeEigenvectors : Eigen::EigenvaluesOnly);
    values = solver.eigenvalues().data();
    if (grad) vectors = solver.eigenvectors().data();
  }
  const Eigen::Map<const Eigen::VectorXd> lambda(values, n);  // ascending
  const double threshold =
      static_cast<double>(n) * std::numeric_limits<double>::epsilon() * std::max(lambda(n - 1), 0.0);
  Eigen::Index first = 0;  // first eigenvalue above the numerical-zero threshold
  while (first < n && !(lambda(first) > threshold))
    ++first;
  const Eigen::Index m = n - first;

  double sum = 0.0;
  if (alpha == 1.0) {
    for (Eigen::Index i = first; i < n; ++i)
      sum -= lambda(i) * std::log2(lambda(i));
  } else {
    for (Eigen::Index i = first; i < n; ++i)
      sum += std::pow(lambda(i), alpha);
  }
  if (!grad) return sum;

  // U diag(f(lambda)) U^T over the non-zero eigenvalues.
  f_.resize(n);
  if (alpha == 1.0) {
    for (Eigen::Index i = first; i < n; ++i)
      f_(i) = -(std::log2(lambda(i)) + 1.0 / std::numbers::ln2);
  } else {
    for (Eigen::Index i = first; i < n; ++i)
      f_(i) = std::pow(lambda(i), alpha - 1.0);
  }
  const auto U = Eigen::Map<const Eigen::MatrixXd>(vectors, n, n).rightCols(m);
  if (basis_.rows() != n || basis_.cols() != n) basis_.resize(n, n);
  auto B = basis_.leftCols(m);
  if (alpha == 1.0) {  // f changes sign: a general product
    B.noalias() = U * f_.tail(m).asDiagonal();
    grad->noalias() = B * U.transpose();
    return sum;
  }
  // f >= 0: a symmetric rank-m update with the basis scaled by sqrt(f), half the work of a general product.
  B.noalias() = U * f_.tail(m).cwiseSqrt().asDiagonal();
  grad->setZero();
  if (fast && grad->outerStride() == n)
    avx2::syrk_lower_colmajor(B.data(), n, m, 1.0, grad->data());
  else
    grad->template selfadjointView<Eigen::Lower>().rankUpdate(B);
  grad->template triangularView<Eigen::StrictlyUpper>() = grad->transpose();
  return sum;
}

}  // namespace detail

Matrix normalize_gram(const Eigen::Ref<const Matrix>& K) {
  detail::check_gram(K, "normalize_gram");
  return K / K.trace();
}

double renyi_entropy_from_eigenvalues(const Eigen::Ref<const Eigen::VectorXd>& lambda, double alpha) {
  detail::check_alpha(alpha);
  if (lambda.size() < 1) raise<InvalidArgument>("renyi_entropy_from_eigenvalues: no eigenvalues");
  if (!lambda.allFinite())
    raise<InvalidArgument>("renyi_entropy_from_eigenvalues: NaN or infinite eigenvalue");
  const double lmax = std::max(lambda.maxCoeff(), 0.0);
  const double threshold = static_cast<double>(lambda.size()) * std::numeric_limits<double>::epsilon() * lmax;
  double value = 0.0;
  double power_sum = 0.0;
  for (Eigen::Index i = 0; i < lambda.size(); ++i) {
    const double l = lambda(i);
    if (!(l > threshold)) continue;
    if (alpha == 1.0)
      value -= l * std::log2(l);
    else
      power_sum += std::pow(l, alpha);
  }
  return alpha == 1.0 ? value : std::log2(power_sum) / (1.0 - alpha);
}

double renyi_entropy(const Eigen::Ref<const Matrix>& A, double alpha) {
  detail::check_alpha(alpha);
  detail::check_gram(A, "renyi_entropy");
  detail::SpectralScratch scratch;
  return scratch.entropy(A, alpha, nullptr);
}

double gram_entropy(const Eigen::Ref<const Matrix>& K, double alpha) {
  return renyi_entropy(normalize_gram(K), alpha);
}

double joint_entropy(const std::vector<Matrix>& grams, double alpha) {
  if (grams.size() < 2)
    raise<InvalidArgument>("joint_entropy: needs at least 2 Gram matrices, got ", grams.size());
  Matrix M = grams.front();
  for (std::size_t i = 1; i < grams.size(); ++i) {
    if (grams[i].rows() != M.rows() || grams[i].cols() != M.cols())
      raise<InvalidArgument>("joint_entropy: Gram matrix ", i, " is ", grams[i].rows(), " x ",
                             grams[i].cols(), ", expected ", M.rows(), " x ", M.cols(),
                             " (mismatched batch sizes)");
    M.array() *= grams[i].array();
  }
  return gram_entropy(M, alpha);
}

double joint_entropy(const Eigen::Ref<const Matrix>& Ka, const Eigen::Ref<const Matrix>& Kb, double alpha) {
  return joint_entropy(std::vector<Matrix>{Matrix(Ka), Matrix(Kb)}, alpha);
}

MutualInformation mutual_information(const Eigen::Ref<const Matrix>& Ka, const Eigen::Ref<const Matrix>& Kb,
                                     double alpha) {
  MutualInformation mi;
  mi.h_a = gram_entropy(Ka, alpha);
  mi.h_b = gram_entropy(Kb, alpha);
  mi.h_ab = joint_entropy(Ka, Kb, alpha);
  mi.i = mi.h_a + mi.h_b - mi.h_ab;
  return mi;
}

Matrix entropy_gradient_wrt_normalized(const Eigen::Ref<const Matrix>& A, double alpha) {
  detail::check_alpha(alpha);
  detail::check_gram(A, "entropy_gradient_wrt_normalized");
  Matrix grad(A.rows(), A.cols());
  Eigen::Ref<Matrix> ref(grad);
  detail::SpectralScratch scratch;
  scratch.entropy(A, alpha, &ref);
  return grad;
}

Matrix gram_normalization_backward(const Eigen::Ref<const Matrix>& dL_dA, const Eigen::Ref<const Matrix>& K) {
  detail::check_gram(K, "gram_normalization_backward");
  if (dL_dA.rows() != K.rows() || dL_dA.cols() != K.cols())
    raise<InvalidArgument>("gram_normalization_backward: dL/dA is ", dL_dA.rows(), " x ", dL_dA.cols(),
                           ", K is ", K.rows(), " x ", K.cols());
  const double tr = K.trace();
  Matrix dK = dL_dA / tr;
  dK.diagonal().array() -= dL_dA.cwiseProduct(K).sum() / (tr * tr);
  return dK;
}

Matrix kernel_backward(const Eigen::Ref<const Matrix>& dL_dK, const Eigen::Ref<const Matrix>& Z,
                       Kernel kernel, double sigma) {
  detail::check_batch(Z, "kernel_backward");
  if (dL_dK.rows() != Z.rows() || dL_dK.cols() != Z.rows())
    raise<InvalidArgument>("kernel_backward: dL/dK is ", dL_dK.rows(), " x ", dL_dK.cols(), ", expected ",
                           Z.rows(), " x ", Z.rows(), " (mismatched batch sizes)");
  const Matrix G = 0.5 * (dL_dK + dL_dK.transpose());  // K is symmetric: only the symmetric part acts
  if (kernel == Kernel::linear) return 2.0 * G * Z;
  // Through K_ij = exp(-|z_i - z_j|^2 / (2 sigma^2)), sigma fixed: with W = G o K,
  // dL/dz_i = -(2 / sigma^2) sum_j W_ij (z_i - z_j)   (DESIGN.md 2.2).
  const Matrix W = G.cwiseProduct(gaussian_gram(Z, sigma));
  const Eigen::VectorXd deg = W.rowwise().sum();
  return -(2.0 / (sigma * sigma)) * (deg.asDiagonal() * Z - W * Z);
}

Matrix entropy_gradient(const Eigen::Ref<const Matrix>& Z, Kernel kernel, double sigma, double alpha) {
  detail::check_alpha(alpha);
  const Matrix K = gram(Z, kernel, sigma);
  const Matrix dA = entropy_gradient_wrt_normalized(normalize_gram(K), alpha);
  return kernel_backward(gram_normalization_backward(dA, K), Z, kernel, sigma);
}

Matrix mutual_information_gradient(const Eigen::Ref<const Matrix>& Z, Kernel kernel, double sigma,
                                   const Eigen::Ref<const Matrix>& K_other, double alpha) {
  detail::check_alpha(alpha);
  const Matrix K = gram(Z, kernel, sigma);
  detail::check_gram(K_other, "mutual_information_gradient");
  if (K_other.rows() != K.rows())
    raise<InvalidArgument>("mutual_information_gradient: the other Gram matrix is ", K_other.rows(), " x ",
                           K_other.cols(), " for a batch of ", K.rows(), " samples (mismatched batch sizes)");
  // I = S(A_z) + S(A_other) - S(M / tr M), M = K o K_other: dI/dK = dS(A_z)/dK - (dS/dM) o K_other.
  Matrix dK = gram_normalization_backward(entropy_gradient_wrt_normalized(normalize_gram(K), alpha), K);
  const Matrix M = K.cwiseProduct(K_other);
  const Matrix dM = gram_normalization_backward(entropy_gradient_wrt_normalized(normalize_gram(M), alpha), M);
  dK -= dM.cwiseProduct(K_other);
  return kernel_backward(dK, Z, kernel, sigma);
}

}  // namespace pib::bottleneck
