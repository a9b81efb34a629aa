#pragma once
// Matrix-based Renyi alpha-entropy, joint entropy and mutual information of Gram matrices, and their
// analytic gradients (DESIGN.md 2.1 and 2.2; Sanchez Giraldo, Rao & Principe, "Measures of entropy from data
// using infinitely divisible kernels", IEEE Trans. Inf. Theory 2015; Yu et al., "Multivariate extension of
// matrix-based Renyi's alpha-order entropy functional", IEEE TPAMI 2020).
//
// Conventions: A = K / tr K; S_alpha(A) = log2(sum_i lambda_i^alpha) / (1 - alpha) in bits; alpha = 1 is the
// von Neumann entropy -sum lambda log2 lambda; alpha = 2 is the closed form -log2 |A|_F^2 with no
// eigendecomposition. Eigenvalues are clamped at 0, and eigenvalues below n * eps * lambda_max are treated
// as numerical zeros (also in the gradient, where lambda^(alpha-1) would otherwise amplify rounding noise
// for alpha < 1). Every function validates its input (InvalidArgument on n < 2, NaN/inf, mismatched sizes,
// alpha <= 0, sigma <= 0, a Gram matrix with zero trace).

#include <memory>
#include <vector>

#include <Eigen/Core>
#include <Eigen/Eigenvalues>

#include "bottleneck/kernel.hpp"
#include "bottleneck/simd.hpp"

namespace pib::bottleneck {

// A = K / tr K.
Matrix normalize_gram(const Eigen::Ref<const Matrix>& K);

// S_alpha of the eigenvalues of a trace-one matrix (any alpha > 0), in bits.
double renyi_entropy_from_eigenvalues(const Eigen::Ref<const Eigen::VectorXd>& lambda, double alpha);
// S_alpha(A) of a symmetric positive semi-definite trace-one A.
double renyi_entropy(const Eigen::Ref<const Matrix>& A, double alpha);
// S_alpha(K / tr K) of a Gram matrix K.
double gram_entropy(const Eigen::Ref<const Matrix>& K, double alpha);
// Joint entropy S_alpha(K_1 o K_2 o ... / tr(...)) of two or more Gram matrices of the same size.
double joint_entropy(const std::vector<Matrix>& grams, double alpha);
double joint_entropy(const Eigen::Ref<const Matrix>& Ka, const Eigen::Ref<const Matrix>& Kb, double alpha);

struct MutualInformation {
  double i = 0;     // I(a; b) = h_a + h_b - h_ab, bits
  double h_a = 0;   // S(A_a)
  double h_b = 0;   // S(A_b)
  double h_ab = 0;  // S(A_a, A_b)
};
// I_alpha(A; B) = S(A) + S(B) - S(A, B) of two Gram matrices.
MutualInformation mutual_information(const Eigen::Ref<const Matrix>& Ka, const Eigen::Ref<const Matrix>& Kb,
                                     double alpha);

// dS_alpha/dA at a symmetric trace-one A (spectral gradient, exact also for repeated eigenvalues):
// alpha / ((1 - alpha) ln 2) A^(alpha-1) / tr(A^alpha); alpha = 1: -(log2 A + I / ln 2); alpha = 2:
// -2 A / (ln 2 |A|_F^2).
Matrix entropy_gradient_wrt_normalized(const Eigen::Ref<const Matrix>& A, double alpha);
// dL/dK from dL/dA through A = K / tr K: dL/dA / tr K - (<dL/dA, K> / (tr K)^2) I.
Matrix gram_normalization_backward(const Eigen::Ref<const Matrix>& dL_dA, const Eigen::Ref<const Matrix>& K);
// dL/dZ from a symmetric dL/dK through the kernel of Z (sigma held fixed):
//   Gaussian: W = G o K, dL/dZ = -(2 / sigma^2) (diag(W 1) - W) Z;  linear: dL/dZ = 2 G Z.
Matrix kernel_backward(const Eigen::Ref<const Matrix>& dL_dK, const Eigen::Ref<const Matrix>& Z,
                       Kernel kernel, double sigma);

// dS_alpha(A_z)/dZ where A_z is the normalised Gram matrix of Z under `kernel`.
Matrix entropy_gradient(const Eigen::Ref<const Matrix>& Z, Kernel kernel, double sigma, double alpha);
// dI_alpha(A_z; A_other)/dZ with the other variable's Gram matrix K_other held fixed.
Matrix mutual_information_gradient(const Eigen::Ref<const Matrix>& Z, Kernel kernel, double sigma,
                                   const Eigen::Ref<const Matrix>& K_other, double alpha);

namespace detail {

void check_alpha(double alpha);
void check_gram(const Eigen::Ref<const Matrix>& K, const char* what);

// Reusable scratch for spectral entropies: one eigen-solver per matrix size, so that after the sizes of a
// workload have been seen once no call allocates. Not thread-safe: one per caller.
class SpectralScratch {
 public:
  // S_alpha(A) of a symmetric trace-one A; if grad is not null, also writes dS/dA (full symmetric) to *grad.
  // alpha = 2 never decomposes.
  double entropy(const Eigen::Ref<const Matrix>& A, double alpha, Eigen::Ref<Matrix>* grad);
  // The spectral sum of a symmetric block A (alpha != 2): sum_i lambda_i^alpha, or for alpha = 1 the von
  // Neumann sum -sum_i lambda_i log2 lambda_i. If grad is not null it receives U diag(f) U^T with
  // f = lambda^(alpha-1) (alpha != 1) or f = -(log2 lambda + 1 / ln 2) (alpha = 1). The entropy of a
  // block-diagonal matrix combines the sums of its blocks.
  double spectral_sum(const Eigen::Ref<const Matrix>& A, double alpha, Eigen::Ref<Matrix>* grad);

 private:
  using Solver = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>;
  Solver& solver_for(Eigen::Index n);

  avx2::Eigh& fast_solver_for(Eigen::Index n);

  std::vector<std::unique_ptr<Solver>> solvers_;           // indexed by matrix size
  std::vector<std::unique_ptr<avx2::Eigh>> fast_solvers_;  // the same for the AVX2 build
  Eigen::MatrixXd basis_;                                  // eigenvectors scaled by sqrt|f(lambda)|
  Eigen::VectorXd f_;                                      // f(lambda) of the gradient
};

}  // namespace detail

}  // namespace pib::bottleneck
