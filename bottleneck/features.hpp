#pragma once
// The feature-space estimator of the PIB objectives: every Gram matrix is K = Phi Phi^T of an n x m feature
// matrix, and its entropy comes from the smaller of the m x m matrix Phi^T Phi and the n x n Gram matrix (the
// same nonzero spectrum), so a batch of n samples costs O(n m^2 + m^3) instead of O(n^3) and O(n^2) memory.
//
//  * The linear kernel of Z is exact: Phi = the centred, unit-norm Z (m = d).
//  * The Gaussian kernel exp(-|u - u'|^2 / (2 sigma^2)) uses m random Fourier features
//    sqrt(2/m) cos(u Omega / sigma + b), Omega standard normal, b uniform in [0, 2 pi) (Rahimi & Recht,
//    "Random features for large-scale kernel machines", NIPS 2007): E[phi(u) . phi(u')] = k(u, u').
//  * A Hadamard product of kernels (the joint entropies) uses random features of the product: the Gaussian
//    factors add their phases in one cosine, sqrt(2/m) cos(x Omega_x / sigma_x + z Omega_z / sigma_z + b),
//    and a linear factor multiplies it by its projection z r, r standard normal. The factors' draws are
//    independent, so the expectation is the product of the kernels.
//  * A one-hot Y makes every joint with Y block-diagonal: one block per class, from that class's rows of
//    Phi_z (exact given Phi_z).
//
// The draws are fixed by a seed (Stream::features): the same seed gives the same estimator in every batch.

#include <cstdint>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "bottleneck/entropy.hpp"
#include "bottleneck/kernel.hpp"

namespace pib::bottleneck {

// Which estimator an objective uses. features == 0: the exact n x n one (DESIGN.md 2.1); features = m > 0:
// the feature-space estimator above with m random features per Gaussian kernel.
struct Estimator {
  int features = 0;
  std::uint64_t seed = 0;  // the random features' draws

  bool exact() const { return features == 0; }
  bool operator==(const Estimator&) const = default;
  // Throws InvalidArgument naming the field if a value is out of range.
  void validate() const;
};

// The rows the kernel width of the feature-space estimator is measured from: sigma of Z is the configured
// rule applied to the distances of the first min(n, kWidthQueries) samples of the batch (batches are
// shuffled) to all n, so it costs O(kWidthQueries n d) instead of O(n^2 d). Equal to the exact rule when
// n <= kWidthQueries.
inline constexpr Eigen::Index kWidthQueries = 256;
double sampled_width(const KernelWidth& width, const Eigen::Ref<const Matrix>& Z, Matrix& d2,
                     std::vector<double>& scratch);

namespace detail {

// The draws of the random features, one set per input dimension: frequencies (d x m, standard normal) and,
// for a linear factor, projections (d x m, standard normal). `index` separates independent sets of a seed.
Matrix feature_frequencies(const Estimator& est, Eigen::Index d, std::uint64_t index);
// The phase offsets b (m, uniform in [0, 2 pi)) shared by every cosine of an estimator.
Eigen::RowVectorXd feature_offsets(const Estimator& est);

// S_alpha of the normalised block-diagonal matrix blockdiag_g(Phi_g Phi_g^T) / |Phi|_F^2, where group g holds
// the rows order[offsets[g] .. offsets[g+1]) of Phi (no groups: one block of every row, K = Phi Phi^T).
// Each block is decomposed on its smaller side. If dPhi is not null, scale * dS/dPhi is added to it.
class FeatureEntropy {
 public:
  double operator()(const Matrix& Phi, double alpha, double scale, Matrix* dPhi);
  double operator()(const Matrix& Phi, const std::vector<Eigen::Index>& order,
                    const std::vector<Eigen::Index>& offsets, double alpha, double scale, Matrix* dPhi);
  // Both of the above at once (S(Z) and S(Y, Z) of the objectives): when the batch is larger than the
  // features, Phi^T Phi is the sum of the blocks' Phi_g^T Phi_g and each block's gradient takes one product.
  // Returns {the marginal entropy, the block entropy}; adds scale_marginal dS/dPhi + scale_blocks dS_g/dPhi.
  std::pair<double, double> with_blocks(const Matrix& Phi, const std::vector<Eigen::Index>& order,
                                        const std::vector<Eigen::Index>& offsets, double alpha,
                                        double scale_marginal, double scale_blocks, Matrix* dPhi);

 private:
  double blocks(const Matrix& Phi, const std::vector<Eigen::Index>* order,
                const std::vector<Eigen::Index>* offsets, double alpha, double scale, Matrix* dPhi);

  // Spectral sum of B (and, with grad, its gradient into f); alpha = 2 needs no decomposition.
  double spectral_sum(const Matrix& B, double alpha, Matrix* f);

  SpectralScratch spectral_;
  std::vector<Matrix> rows_;  // the rows of each block
  std::vector<Matrix> f_;     // d(spectral sum)/dB of each block, on the side it was decomposed
  Matrix b_, c_, f_marginal_;
};

}  // namespace detail

}  // namespace pib::bottleneck
