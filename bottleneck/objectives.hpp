#pragma once
// The local PIB objectives of DESIGN.md 2.4, each returning the loss, its parts and dL/dZ.
//
//   supervised / RL:   L = -I(Y; Z) + beta I(X; Z)                       pib_loss
//   self-supervised:   L = -I(Z1; Z2) + beta [I(X1; Z1) + I(X2; Z2)]     ssl_loss
//   RL, the TD part:   L = mean_i rho(Q(s_i, a_i) - y_i)                  td_loss
//
// Z's Gram matrix uses the Gaussian kernel with sigma chosen per batch by PibConfig::z_width and held fixed
// in the gradient, or (PibConfig::z_kernel) the linear kernel of the batch-centred Z. What depends only on
// the batch (the Gram matrices of X and Y, their entropies, the class groups of one-hot targets) lives in
// BatchTargets: build it once per batch and share it read-only between every unit and thread that uses the
// batch. Each caller owns a Workspace (scratch, sized on first use; after that an exact-estimator call for
// the same n allocates nothing apart from what Eigen's eigen-solver allocates internally, and one solver per
// new class-block size; the feature-space path allocates a few n x m temporaries per call).

#include <vector>

#include <Eigen/Core>

#include "bottleneck/entropy.hpp"
#include "bottleneck/features.hpp"
#include "bottleneck/kernel.hpp"

namespace pib::bottleneck {

struct PibConfig {
  double alpha = 1.01;  // Renyi order; must equal the alpha the BatchTargets were built with
  double beta = 0.01;   // weight of the compression term I(X; Z)
  KernelWidth z_width;  // sigma of Z per batch (default: mean distance to the 10 nearest neighbours)
  // The kernel of Z. gaussian (DESIGN.md 2.1) with sigma from z_width; linear: K = Zc Zc^T of the
  // batch-centred Z (z_width unused). A_z = K / tr K makes the linear form blind to the scale of Z, and
  // I(Y; Z) then rewards classes that are tight around distinct directions (linearly separable), where the
  // Gaussian kernel with a nearest-neighbour width rewards class-pure neighbourhoods.
  Kernel z_kernel = Kernel::gaussian;
  // The exact n x n estimator (default) or the feature-space one (features.hpp; supervised and
  // self-supervised batches), for batches larger than the features: with the linear kernel its S(Z) and
  // S(Y, Z) are exact and only the joints with X use random features.
  Estimator estimator;

  // Throws InvalidArgument naming the field if a value is out of range.
  void validate() const;
};

// What the PIB part of the RL loss uses as Y (DESIGN.md 2.4).
enum class RlTarget {
  td_target,      // Gaussian kernel on the scalar TD targets
  action,         // the action taken, one-hot with the linear kernel
  action_target,  // both: Hadamard product of the two Gram matrices
};

// The batch-constant part of an objective. Immutable after construction, so it can be shared by any number
// of threads reading it at once.
class BatchTargets {
 public:
  enum class Kind { supervised, rl, self_supervised };

  // X (n x dx) with Gaussian width sigma_x; Y = one-hot labels in [0, n_classes) with the linear kernel.
  // With a feature-space estimator X is held as its random features (no n x n matrix is built).
  static BatchTargets supervised(const Eigen::Ref<const Matrix>& X, double sigma_x,
                                 const std::vector<int>& labels, int n_classes, double alpha,
                                 const Estimator& estimator = {});
  // X = states; Y = TD targets with a Gaussian kernel of width sigma_y (sigma_y <= 0: the batch std of the
  // targets, floored at 1e-6), or the action (one-hot, linear kernel), or both (Hadamard product).
  // actions and n_actions are needed by the action modes only.
  static BatchTargets rl(const Eigen::Ref<const Matrix>& X, double sigma_x,
                         const Eigen::Ref<const Eigen::VectorXd>& td_targets, double sigma_y, double alpha,
                         RlTarget mode = RlTarget::td_target, const std::vector<int>& actions = {},
                         int n_actions = 0);
  // Two augmented views X1, X2 (n x dx each) of the same batch, both with Gaussian width sigma_x.
  static BatchTargets self_supervised(const Eigen::Ref<const Matrix>& X1, const Eigen::Ref<const Matrix>& X2,
                                      double sigma_x, double alpha, const Estimator& estimator = {});

  Eigen::Index size() const { return n_; }
  Kind kind() const { return kind_; }
  double alpha() const { return alpha_; }
  double sigma_x() const { return sigma_x_; }
  double sigma_y() const { return sigma_y_; }      // 0 when Y has no Gaussian kernel
  const Estimator& estimator() const { return estimator_; }
  // The exact estimator's Gram matrices (empty with a feature-space estimator):
  const Matrix& gram_x() const { return k_x_; }    // K_x (K_x1 for self-supervised)
  const Matrix& gram_x2() const { return k_x2_; }  // K_x2 (self-supervised only)
  const Matrix& gram_y() const { return k_y_; }    // K_y (supervised and RL)
  // The feature-space estimator's X (empty with the exact one): with the phases P = X Omega_x / sigma_x + b,
  // its features sqrt(2/m) cos(P) and their quadrature sqrt(2/m) sin(P), n x m (X2's for the second view).
  const Matrix& features_x() const { return phi_x_; }
  const Matrix& quadrature_x() const { return psi_x_; }
  const Matrix& features_x2() const { return phi_x2_; }
  const Matrix& quadrature_x2() const { return psi_x2_; }
  double entropy_x() const { return s_x_; }        // S(A_x) (S(A_x1) for self-supervised), bits
  double entropy_x2() const { return s_x2_; }
  double entropy_y() const { return s_y_; }
  // When K_y has a one-hot factor it is zero between samples of different classes/actions, so every joint
  // matrix with Y is block-diagonal: group g holds the samples group_order()[offsets[g] .. offsets[g+1]).
  // Empty when K_y has no such structure.
  const std::vector<Eigen::Index>& group_order() const { return group_order_; }
  const std::vector<Eigen::Index>& group_offsets() const { return group_offsets_; }

 private:
  BatchTargets() = default;
  void set_groups(const std::vector<int>& labels, int n_groups);
  // The features and quadrature of X under the feature-space estimator; returns S(A_x).
  double set_features(const Eigen::Ref<const Matrix>& X, Matrix& phi, Matrix& psi);

  Kind kind_ = Kind::supervised;
  Eigen::Index n_ = 0;
  double alpha_ = 1.01;
  double sigma_x_ = 0;
  double sigma_y_ = 0;
  Estimator estimator_;
  Matrix k_x_, k_x2_, k_y_;
  Matrix phi_x_, psi_x_, phi_x2_, psi_x2_;
  double s_x_ = 0, s_x2_ = 0, s_y_ = 0;
  std::vector<Eigen::Index> group_order_, group_offsets_;
};

// The loss and its parts, in bits. For self-supervised PIB, i_xz = I(X1; Z1), i_x2z2 = I(X2; Z2) and
// i_z1z2 = i_yz = I(Z1; Z2) (the "relevant" information of the information plane).
struct Terms {
  double loss = 0;
  double i_xz = 0;
  double i_yz = 0;
  double sigma_z = 0;  // the kernel width used for Z (self-supervised: shared by Z1 and Z2; linear kernel: 0)
  double i_z1z2 = 0;
  double i_x2z2 = 0;
};

// Per-caller scratch of pib_loss and ssl_loss. Not thread-safe: one per thread (or per unit). The members are
// an implementation detail.
class Workspace {
 public:
  Workspace() = default;
  // Sizes every buffer for batches of n samples (done automatically on first use).
  void resize(Eigen::Index n);

  Matrix d2, k1, k2, a, gtmp, g1, g2;  // n x n
  Matrix block_a, block_g;             // storage for class blocks (viewed as m x m, m <= n)
  Matrix zc, zc2;                      // n x d: the centred, unit-norm Z (Z1, Z2) of the linear kernel
  std::vector<double> width_scratch;
  detail::SpectralScratch spectral;

  // The feature-space estimator's (sized per call; nothing n x n).
  struct Features {
    Estimator drawn;  // the estimator and Z dimension the draws below belong to
    Eigen::Index dim = 0;
    Matrix omega, omega2, proj, proj2;  // d x m: Z's frequencies, a second set, linear projections
    Eigen::RowVectorXd offsets;         // b
    Matrix d2q;                         // distances of the width's query rows
    // n x m: cos and sin of the phases Z Omega / sigma (c2, s2: Z2's; c12, s12: Z2 Omega2 / sigma), the
    // features of Z (n x d for the linear kernel), of the joints with X and of the two views' joint, and
    // the gradients with respect to each.
    Matrix c, s, c2, s2, c12, s12, phi, phi2, joint, joint2, joint12, proj_z, proj_z2, proj_z12;
    Matrix d_phi, d_phi2, d_joint, d_joint2, d_joint12, d_theta, d_theta2, d_theta12;
    detail::FeatureEntropy entropy;
  } features;
};

// L = -I(Y; Z) + beta I(X; Z) for a supervised or RL batch; writes dL/dZ (n x dz) into dL_dZ.
Terms pib_loss(const BatchTargets& batch, const Eigen::Ref<const Matrix>& Z, const PibConfig& cfg,
               Workspace& ws, Eigen::Ref<Matrix> dL_dZ);

// L = -I(Z1; Z2) + beta [I(X1; Z1) + I(X2; Z2)] for a self-supervised batch; writes both gradients.
// With the Gaussian kernel one sigma (the mean of the rule applied to Z1 and to Z2) is used for both views.
Terms ssl_loss(const BatchTargets& batch, const Eigen::Ref<const Matrix>& Z1,
               const Eigen::Ref<const Matrix>& Z2, const PibConfig& cfg, Workspace& ws,
               Eigen::Ref<Matrix> dL_dZ1, Eigen::Ref<Matrix> dL_dZ2);

// The temporal-difference loss of the RL objective, L_l = L_PIB,l + lambda L_TD,l (the caller weights by
// lambda): rho(d) = d^2 / 2 (squared) or the Huber loss with threshold 1 (d^2 / 2 for |d| <= 1, |d| - 1/2
// beyond).
enum class TdLoss { squared, huber };

// L = (1/n) sum_i rho(Q(i, a_i) - y_i) over a batch of n rows of Q values (n x actions), the actions taken
// and the targets y (held constant). Writes dL/dQ into dL_dQ (n x actions): rho'(delta_i) / n at the taken
// action, 0 elsewhere. Throws InvalidArgument on mismatched sizes or an action outside [0, actions).
double td_loss(const Eigen::Ref<const Matrix>& Q, const std::vector<int>& actions,
               const Eigen::Ref<const Eigen::VectorXd>& targets, TdLoss kind, Eigen::Ref<Matrix> dL_dQ);

}  // namespace pib::bottleneck
