#include "bottleneck/objectives.hpp"

#include "bottleneck/objectives_internal.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "bottleneck/simd.hpp"
#include "common/error.hpp"

namespace pib::bottleneck {

namespace {

constexpr double kMinTargetStd = 1e-6;

// S_alpha of a one-hot label Gram matrix in closed form: A = K / n has the class frequencies as eigenvalues.
double label_entropy(const std::vector<int>& labels, int n_classes, double alpha) {
  Eigen::VectorXd freq = Eigen::VectorXd::Zero(n_classes);
  for (int l : labels)
    freq(l) += 1.0;
  freq /= static_cast<double>(labels.size());
  return renyi_entropy_from_eigenvalues(freq, alpha);
}

void check_labels(const std::vector<int>& labels, Eigen::Index n, int n_classes, const char* what) {
  if (static_cast<Eigen::Index>(labels.size()) != n)
    raise<InvalidArgument>(what, ": ", labels.size(), " labels for a batch of ", n,
                           " samples (mismatched batch sizes)");
  if (n_classes < 1) raise<InvalidArgument>(what, ": the number of classes must be >= 1, got ", n_classes);
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (labels[i] < 0 || labels[i] >= n_classes)
      raise<InvalidArgument>(what, ": label ", labels[i], " of sample ", i, " is outside [0, ", n_classes,
                             ")");
}

// Entropy of the joint of K_z with a fixed Gram matrix K_f (normalised by its trace), and its contribution
// scale * (dS/dM o K_f) to dL/dK_z, where M = K_f o K_z and dS/dM = dS/dA / tr M (tr M held constant: it is
// n for a Gaussian K_z and 1 for the unit-norm linear K_z, whose sphere projection is in linear_backward).
double joint_term(const Matrix& K_f, const Matrix& K_z, double alpha, double scale, Workspace& ws,
                  Matrix& g) {
  ws.a.noalias() = K_f.cwiseProduct(K_z);
  const double tr = ws.a.trace();
  ws.a *= 1.0 / tr;
  Eigen::Ref<Matrix> grad(ws.gtmp);
  const double s = ws.spectral.entropy(ws.a, alpha, &grad);
  g.noalias() += (scale / tr) * ws.gtmp.cwiseProduct(K_f);
  return s;
}

// The same for a block-diagonal K_f (one-hot factor, alpha != 2): one small eigenproblem per group.
double joint_term_blocks(const BatchTargets& batch, const Matrix& K_z, double alpha, double scale,
                         Workspace& ws, Matrix& g) {
  const Matrix& K_f = batch.gram_y();
  const auto& order = batch.group_order();
  const auto& offsets = batch.group_offsets();
  const double tr = K_f.diagonal().dot(K_z.diagonal());
  double sum = 0.0;
  for (std::size_t b = 0; b + 1 < offsets.size(); ++b) {  // pass 1: spectral sums
    const Eigen::Index o = offsets[b], m = offsets[b + 1] - offsets[b];
    if (m == 0) continue;
    Eigen::Map<Matrix> blk(ws.block_a.data(), m, m);
    for (Eigen::Index i = 0; i < m; ++i)
      for (Eigen::Index j = 0; j < m; ++j) {
        const Eigen::Index r = order[o + i], c = order[o + j];
        blk(i, j) = K_f(r, c) * K_z(r, c) / tr;
      }
    Eigen::Map<Matrix> bg(ws.block_g.data(), m, m);
    Eigen::Ref<Matrix> grad(bg);
    sum += ws.spectral.spectral_sum(blk, alpha, &grad);
    // Scatter the unscaled block gradient (times K_f) into gtmp; the common factor is applied below.
    for (Eigen::Index i = 0; i < m; ++i)
      for (Eigen::Index j = 0; j < m; ++j) {
        const Eigen::Index r = order[o + i], c = order[o + j];
        ws.gtmp(r, c) = bg(i, j) * K_f(r, c);
      }
  }
  double s = sum;
  double factor = 1.0;  // dS/dA = factor * U diag(f) U^T
  if (alpha != 1.0) {
    s = std::log2(sum) / (1.0 - alpha);
    factor = alpha / ((1.0 - alpha) * std::numbers::ln2 * sum);
  }
  const double coef = scale * factor / tr;
  for (std::size_t b = 0; b + 1 < offsets.size(); ++b) {
    const Eigen::Index o = offsets[b], m = offsets[b + 1] - offsets[b];
    for (Eigen::Index i = 0; i < m; ++i)
      for (Eigen::Index j = 0; j < m; ++j) {
        const Eigen::Index r = order[o + i], c = order[o + j];
        g(r, c) += coef * ws.gtmp(r, c);
      }
  }
  return s;
}

// dL/dZ = -(2 / sigma^2) (diag(W 1) - W) Z with W = G o K (DESIGN.md 2.2); G is overwritten by W.
void gaussian_backward(Matrix& G, const Matrix& K, const Eigen::Ref<const Matrix>& Z, double sigma,
                       Eigen::Ref<Matrix> dZ) {
  G.array() *= K.array();
  if (detail::simd_enabled() && Z.outerStride() == Z.cols() && dZ.outerStride() == dZ.cols())
    detail::avx2::gemm_nn(G.data(), Z.data(), Z.rows(), Z.cols(), dZ.data());
  else
    dZ.noalias() = G * Z;
  const double c = 2.0 / (sigma * sigma);
  for (Eigen::Index i = 0; i < Z.rows(); ++i)
    dZ.row(i) = c * (dZ.row(i) - G.row(i).sum() * Z.row(i));
}

// K_z of a batch with the configured width; returns sigma.
double z_gram(const Eigen::Ref<const Matrix>& Z, const KernelWidth& width, Workspace& ws, Matrix& K) {
  squared_distances(Z, ws.d2);
  const double sigma = width.select_from_distances(ws.d2, Z.cols(), ws.width_scratch);
  detail::gaussian_from_distances(ws.d2, sigma, K);
  return sigma;
}

// Linear kernel of the centred Z scaled to unit Frobenius norm: zc = (Z - mean) / |Z - mean|_F and
// K = zc zc^T, so tr K = 1 and every joint with a unit-diagonal K_f has trace 1 too. Returns |Z - mean|_F.
double linear_z_gram(const Eigen::Ref<const Matrix>& Z, Matrix& zc, Matrix& K, const char* what) {
  const double norm = detail::centre_unit(Z, zc, what);
  K.noalias() = zc * zc.transpose();
  return norm;
}

// dL/dZ from a symmetric dL/dK of the linear kernel above. The loss is a function of K = zc zc^T alone
// (its traces are 1 by construction), so dL/dzc = 2 G zc.
void linear_backward(const Matrix& G, const Matrix& zc, double norm, Eigen::Ref<Matrix> dZ) {
  dZ.noalias() = 2.0 * G * zc;
  detail::sphere_backward(zc, norm, dZ);
}

void check_z(const BatchTargets& batch, const Eigen::Ref<const Matrix>& Z, const Eigen::Ref<Matrix>& dZ,
             const char* what) {
  detail::check_batch(Z, what);
  if (Z.rows() != batch.size())
    raise<InvalidArgument>(what, ": Z has ", Z.rows(), " samples, the batch targets ", batch.size(),
                           " (mismatched batch sizes)");
  if (dZ.rows() != Z.rows() || dZ.cols() != Z.cols())
    raise<InvalidArgument>(what, ": the gradient output is ", dZ.rows(), " x ", dZ.cols(), ", Z is ",
                           Z.rows(), " x ", Z.cols());
}

void check_config(const BatchTargets& batch, const PibConfig& cfg, const char* what) {
  cfg.validate();
  if (!(cfg.estimator == batch.estimator()))
    raise<InvalidArgument>(what, ": the config's estimator (features ", cfg.estimator.features, ", seed ",
                           cfg.estimator.seed,
                           ") is not the one the batch targets were built with (features ",
                           batch.estimator().features, ", seed ", batch.estimator().seed, ")");
  if (cfg.alpha != batch.alpha())
    raise<InvalidArgument>(what, ": the config has alpha ", cfg.alpha,
                           " but the batch targets were built with alpha ", batch.alpha());
}

}  // namespace

namespace detail {

// The centred Z scaled to unit Frobenius norm, zc = (Z - mean) / |Z - mean|_F (the linear kernel's
// features); returns |Z - mean|_F.
double centre_unit(const Eigen::Ref<const Matrix>& Z, Matrix& zc, const char* what) {
  zc = Z.rowwise() - Z.colwise().mean();
  const double norm = zc.norm();
  if (!(norm > 0.0))
    raise<InvalidArgument>(what,
                           ": every sample of Z is the same; the linear kernel of the centred Z is zero");
  zc *= 1.0 / norm;
  return norm;
}

// dL/dZ from dL/dzc (in dZ, overwritten): back through the projection onto the unit sphere and the centring.
void sphere_backward(const Matrix& zc, double norm, Eigen::Ref<Matrix> dZ) {
  dZ -= (dZ.cwiseProduct(zc).sum()) * zc;
  dZ *= 1.0 / norm;
  dZ.rowwise() -= dZ.colwise().mean();
}

void ssl_terms(const BatchTargets& batch, double beta, const SslEntropies& s, Terms& t) {
  t.i_z1z2 = s.s1 + s.s2 - s.s12;
  t.i_yz = t.i_z1z2;
  t.i_xz = batch.entropy_x() + s.s1 - s.s_x1z1;
  t.i_x2z2 = batch.entropy_x2() + s.s2 - s.s_x2z2;
  t.loss = -t.i_z1z2 + beta * (t.i_xz + t.i_x2z2);
}

}  // namespace detail

void PibConfig::validate() const {
  detail::check_alpha(alpha);
  if (!(beta >= 0.0) || !std::isfinite(beta))
    raise<InvalidArgument>("PIB config: 'beta' must be finite and >= 0, got ", beta);
  z_width.validate();
  estimator.validate();
}

void BatchTargets::set_groups(const std::vector<int>& labels, int n_groups) {
  group_offsets_.assign(static_cast<std::size_t>(n_groups) + 1, 0);
  for (int l : labels)
    ++group_offsets_[static_cast<std::size_t>(l) + 1];
  for (std::size_t g = 1; g < group_offsets_.size(); ++g)
    group_offsets_[g] += group_offsets_[g - 1];
  group_order_.assign(labels.size(), 0);
  std::vector<Eigen::Index> next(group_offsets_.begin(), group_offsets_.end() - 1);
  for (std::size_t i = 0; i < labels.size(); ++i)
    group_order_[static_cast<std::size_t>(next[static_cast<std::size_t>(labels[i])]++)] =
        static_cast<Eigen::Index>(i);
}

BatchTargets BatchTargets::supervised(const Eigen::Ref<const Matrix>& X, double sigma_x,
                                      const std::vector<int>& labels, int n_classes, double alpha,
                                      const Estimator& estimator) {
  detail::check_alpha(alpha);
  detail::check_batch(X, "supervised batch X");
  detail::check_sigma(sigma_x, "supervised batch sigma_x");
  check_labels(labels, X.rows(), n_classes, "supervised batch labels");
  BatchTargets t;
  t.kind_ = Kind::supervised;
  t.n_ = X.rows();
  t.alpha_ = alpha;
  t.sigma_x_ = sigma_x;
  estimator.validate();
  t.estimator_ = estimator;
  if (estimator.exact()) {
    t.k_x_ = gaussian_gram(X, sigma_x);
    t.s_x_ = gram_entropy(t.k_x_, alpha);
    t.k_y_ = label_gram(labels, n_classes);
  } else {
    t.s_x_ = t.set_features(X, t.phi_x_, t.psi_x_);
  }
  t.s_y_ = label_entropy(labels, n_classes, alpha);
  t.set_groups(labels, n_classes);
  return t;
}

BatchTargets BatchTargets::rl(const Eigen::Ref<const Matrix>& X, double sigma_x,
                              const Eigen::Ref<const Eigen::VectorXd>& td_targets, double sigma_y,
                              double alpha, RlTarget mode, const std::vector<int>& actions, int n_actions) {
  detail::check_alpha(alpha);
  detail::check_batch(X, "RL batch states X");
  detail::check_sigma(sigma_x, "RL batch sigma_x");
  BatchTargets t;
  t.kind_ = Kind::rl;
  t.n_ = X.rows();
  t.alpha_ = alpha;
  t.sigma_x_ = sigma_x;
  t.k_x_ = gaussian_gram(X, sigma_x);
  t.s_x_ = gram_entropy(t.k_x_, alpha);
  Matrix k_td;
  if (mode != RlTarget::action) {
    if (td_targets.size() != t.n_)
      raise<InvalidArgument>("RL batch: ", td_targets.size(), " TD targets for ", t.n_,
                             " states (mismatched batch sizes)");
    if (!td_targets.allFinite()) raise<InvalidArgument>("RL batch: a TD target is NaN or infinite");
    if (std::isnan(sigma_y) || std::isinf(sigma_y))
      raise<InvalidArgument>("RL batch: sigma_y is NaN or infinite");
    if (sigma_y <= 0.0) {
      const double mean = td_targets.mean();
      sigma_y = std::sqrt((td_targets.array() - mean).square().mean());
      sigma_y = std::max(sigma_y, kMinTargetStd);
    }
    t.sigma_y_ = sigma_y;
    k_td = gaussian_gram(Matrix(td_targets), sigma_y);
  }
  switch (mode) {
    case RlTarget::td_target:
      t.k_y_ = std::move(k_td);
      t.s_y_ = gram_entropy(t.k_y_, alpha);
      break;
    case RlTarget::action:
      check_labels(actions, t.n_, n_actions, "RL batch actions");
      t.k_y_ = label_gram(actions, n_actions);
      t.s_y_ = label_entropy(actions, n_actions, alpha);
      t.set_groups(actions, n_actions);
      break;
    case RlTarget::action_target:
      check_labels(actions, t.n_, n_actions, "RL batch actions");
      t.k_y_ = label_gram(actions, n_actions).cwiseProduct(k_td);
      t.s_y_ = gram_entropy(t.k_y_, alpha);
      t.set_groups(actions, n_actions);
      break;
  }
  return t;
}

BatchTargets BatchTargets::self_supervised(const Eigen::Ref<const Matrix>& X1,
                                           const Eigen::Ref<const Matrix>& X2, double sigma_x, double alpha,
                                           const Estimator& estimator) {
  detail::check_alpha(alpha);
  detail::check_batch(X1, "self-supervised view X1");
  detail::check_batch(X2, "self-supervised view X2");
  detail::check_sigma(sigma_x, "self-supervised batch sigma_x");
  if (X1.rows() != X2.rows())
    raise<InvalidArgument>("self-supervised batch: view X1 has ", X1.rows(), " samples, X2 has ", X2.rows(),
                           " (mismatched batch sizes)");
  BatchTargets t;
  t.kind_ = Kind::self_supervised;
  t.n_ = X1.rows();
  t.alpha_ = alpha;
  t.sigma_x_ = sigma_x;
  estimator.validate();
  t.estimator_ = estimator;
  if (estimator.exact()) {
    t.k_x_ = gaussian_gram(X1, sigma_x);
    t.k_x2_ = gaussian_gram(X2, sigma_x);
    t.s_x_ = gram_entropy(t.k_x_, alpha);
    t.s_x2_ = gram_entropy(t.k_x2_, alpha);
  } else {
    t.s_x_ = t.set_features(X1, t.phi_x_, t.psi_x_);
    t.s_x2_ = t.set_features(X2, t.phi_x2_, t.psi_x2_);
  }
  return t;
}

void Workspace::resize(Eigen::Index n) {
  if (d2.rows() == n) return;
  for (Matrix* m : {&d2, &k1, &k2, &a, &gtmp, &g1, &g2})
    m->resize(n, n);
  block_a.resize(n, n);
  block_g.resize(n, n);
  width_scratch.reserve(static_cast<std::size_t>(n * (n - 1) / 2));
}

Terms pib_loss(const BatchTargets& batch, const Eigen::Ref<const Matrix>& Z, const PibConfig& cfg,
               Workspace& ws, Eigen::Ref<Matrix> dL_dZ) {
  if (batch.kind() == BatchTargets::Kind::self_supervised)
    raise<InvalidArgument>("pib_loss: the batch targets are self-supervised; use ssl_loss");
  if (batch.kind() == BatchTargets::Kind::rl && !cfg.estimator.exact())
    raise<InvalidArgument>("pib_loss: the feature-space estimator (features ", cfg.estimator.features,
                           ") takes supervised and self-supervised batches; RL batches use features 0");
  check_config(batch, cfg, "pib_loss");
  check_z(batch, Z, dL_dZ, "pib_loss");
  if (!cfg.estimator.exact()) return detail::pib_loss_features(batch, Z, cfg, ws, dL_dZ);
  const Eigen::Index n = Z.rows();
  const double alpha = cfg.alpha, beta = cfg.beta;
  ws.resize(n);

  Terms t;
  const bool linear = cfg.z_kernel == Kernel::linear;
  const double z_norm = linear ? linear_z_gram(Z, ws.zc, ws.k1, "pib_loss") : 0.0;
  if (!linear) t.sigma_z = z_gram(Z, cfg.z_width, ws, ws.k1);
  // S(A_z), A_z = K_z / tr K_z: a Gaussian Gram matrix has unit diagonal (tr n), the linear one trace 1.
  const double tr_z = linear ? 1.0 : static_cast<double>(n);
  ws.a.noalias() = ws.k1 * (1.0 / tr_z);
  Eigen::Ref<Matrix> grad(ws.gtmp);
  const double s_z = ws.spectral.entropy(ws.a, alpha, &grad);
  ws.g1.noalias() = ((beta - 1.0) / tr_z) * ws.gtmp;
  // L = -(S_y + S_z - S_yz) + beta (S_x + S_z - S_xz).
  const double s_xz = joint_term(batch.gram_x(), ws.k1, alpha, -beta, ws, ws.g1);
  const bool blocks = !batch.group_offsets().empty() && alpha != 2.0;
  const double s_yz = blocks ? joint_term_blocks(batch, ws.k1, alpha, 1.0, ws, ws.g1)
                             : joint_term(batch.gram_y(), ws.k1, alpha, 1.0, ws, ws.g1);
  t.i_xz = batch.entropy_x() + s_z - s_xz;
  t.i_yz = batch.entropy_y() + s_z - s_yz;
  t.loss = -t.i_yz + beta * t.i_xz;
  if (linear)
    linear_backward(ws.g1, ws.zc, z_norm, dL_dZ);
  else
    gaussian_backward(ws.g1, ws.k1, Z, t.sigma_z, dL_dZ);
  return t;
}

Terms ssl_loss(const BatchTargets& batch, const Eigen::Ref<const Matrix>& Z1,
               const Eigen::Ref<const Matrix>& Z2, const PibConfig& cfg, Workspace& ws,
               Eigen::Ref<Matrix> dL_dZ1, Eigen::Ref<Matrix> dL_dZ2) {
  if (batch.kind() != BatchTargets::Kind::self_supervised)
    raise<InvalidArgument>("ssl_loss: the batch targets are not self-supervised; use pib_loss");
  check_config(batch, cfg, "ssl_loss");
  check_z(batch, Z1, dL_dZ1, "ssl_loss Z1");
  check_z(batch, Z2, dL_dZ2, "ssl_loss Z2");
  if (!cfg.estimator.exact()) return detail::ssl_loss_features(batch, Z1, Z2, cfg, ws, dL_dZ1, dL_dZ2);
  const Eigen::Index n = Z1.rows();
  const double alpha = cfg.alpha, beta = cfg.beta;
  const double inv_n = 1.0 / static_cast<double>(n);
  ws.resize(n);

  Terms t;
  const bool linear = cfg.z_kernel == Kernel::linear;
  double norm1 = 0.0, norm2 = 0.0;
  if (linear) {
    norm1 = linear_z_gram(Z1, ws.zc, ws.k1, "ssl_loss Z1");
    norm2 = linear_z_gram(Z2, ws.zc2, ws.k2, "ssl_loss Z2");
  } else {
    squared_distances(Z1, ws.d2);
    const double sigma1 = cfg.z_width.select_from_distances(ws.d2, Z1.cols(), ws.width_scratch);
    squared_distances(Z2, ws.k2);  // k2 holds D2 of Z2 until the width is known
    const double sigma2 = cfg.z_width.select_from_distances(ws.k2, Z2.cols(), ws.width_scratch);
    t.sigma_z = 0.5 * (sigma1 + sigma2);
    detail::gaussian_from_distances(ws.d2, t.sigma_z, ws.k1);
    detail::gaussian_from_distances(ws.k2, t.sigma_z, ws.k2);
  }
  const double inv_tr = linear ? 1.0 : inv_n;  // A = K / tr K

  // L = -(S1 + S2 - S12) + beta (S_x1 + S1 - S_x1z1) + beta (S_x2 + S2 - S_x2z2).
  Eigen::Ref<Matrix> grad(ws.gtmp);
  ws.a.noalias() = ws.k1 * inv_tr;
  const double s1 = ws.spectral.entropy(ws.a, alpha, &grad);
  ws.g1.noalias() = ((beta - 1.0) * inv_tr) * ws.gtmp;
  ws.a.noalias() = ws.k2 * inv_tr;
  const double s2 = ws.spectral.entropy(ws.a, alpha, &grad);
  ws.g2.noalias() = ((beta - 1.0) * inv_tr) * ws.gtmp;
  // The joint of Z1 and Z2 depends on both: dS12/dK1 = dS12/dM o K2 and dS12/dK2 = dS12/dM o K1, with
  // dS12/dM = (G - <G, A> I) / tr M. tr M = sum_i K1_ii K2_ii is constant only for Gaussian kernels; the
  // diagonal term is kept for both (a Gaussian kernel's backward ignores the diagonal of dL/dK).
  ws.a.noalias() = ws.k1.cwiseProduct(ws.k2);
  const double tr12 = ws.a.trace();
  ws.a *= 1.0 / tr12;
  const double s12 = ws.spectral.entropy(ws.a, alpha, &grad);
  const double g_dot_a = ws.gtmp.cwiseProduct(ws.a).sum();
  ws.g1.noalias() += (1.0 / tr12) * ws.gtmp.cwiseProduct(ws.k2);
  ws.g2.noalias() += (1.0 / tr12) * ws.gtmp.cwiseProduct(ws.k1);
  ws.g1.diagonal() -= (g_dot_a / tr12) * ws.k2.diagonal();
  ws.g2.diagonal() -= (g_dot_a / tr12) * ws.k1.diagonal();
  const double s_x1z1 = joint_term(batch.gram_x(), ws.k1, alpha, -beta, ws, ws.g1);
  const double s_x2z2 = joint_term(batch.gram_x2(), ws.k2, alpha, -beta, ws, ws.g2);

  detail::ssl_terms(batch, beta, {s1, s2, s12, s_x1z1, s_x2z2}, t);
  if (linear) {
    linear_backward(ws.g1, ws.zc, norm1, dL_dZ1);
    linear_backward(ws.g2, ws.zc2, norm2, dL_dZ2);
  } else {
    gaussian_backward(ws.g1, ws.k1, Z1, t.sigma_z, dL_dZ1);
    gaussian_backward(ws.g2, ws.k2, Z2, t.sigma_z, dL_dZ2);
  }
  return t;
}

double td_loss(const Eigen::Ref<const Matrix>& Q, const std::vector<int>& actions,
               const Eigen::Ref<const Eigen::VectorXd>& targets, TdLoss kind, Eigen::Ref<Matrix> dL_dQ) {
  const auto n = Q.rows();
  if (n == 0 || static_cast<Eigen::Index>(actions.size()) != n || targets.size() != n || dL_dQ.rows() != n ||
      dL_dQ.cols() != Q.cols())
    raise<InvalidArgument>("td_loss: ", n, " rows of Q, ", actions.size(), " actions, ", targets.size(),
                           " targets and a ", dL_dQ.rows(), " x ", dL_dQ.cols(), " gradient (expected ", n,
                           " x ", Q.cols(), ")");
  dL_dQ.setZero();
  double loss = 0.0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const int a = actions[static_cast<std::size_t>(i)];
    if (a < 0 || a >= Q.cols())
      raise<InvalidArgument>("td_loss: action ", a, " of sample ", i, " is outside [0, ", Q.cols(), ")");
    const double delta = Q(i, a) - targets(i);
    double g;
    if (kind == TdLoss::huber) {
      loss += std::abs(delta) <= 1.0 ? 0.5 * delta * delta : std::abs(delta) - 0.5;
      g = std::clamp(delta, -1.0, 1.0);
    } else {
      loss += 0.5 * delta * delta;
      g = delta;
    }
    dL_dQ(i, a) = g / static_cast<double>(n);
  }
  return loss / static_cast<double>(n);
}

}  // namespace pib::bottleneck
