// pib_loss and ssl_loss with the feature-space estimator (features.hpp), and X's features in BatchTargets.
#include <cmath>

#include "bottleneck/features.hpp"
#include "bottleneck/objectives.hpp"
#include "bottleneck/objectives_internal.hpp"

namespace pib::bottleneck {

namespace {

using Features = Workspace::Features;

// The draws for a Z of dimension d: frequencies (set 1), the second view's joint frequencies (set 2) and the
// linear projections (sets 3 and 4); set 0 is X's. Drawn once per estimator and dimension.
void draw(Features& f, const Estimator& est, Eigen::Index d) {
  if (f.dim == d && f.drawn == est && f.omega.cols() == est.features) return;
  f.omega = detail::feature_frequencies(est, d, 1);
  f.omega2 = detail::feature_frequencies(est, d, 2);
  f.proj = detail::feature_frequencies(est, d, 3);
  f.proj2 = detail::feature_frequencies(est, d, 4);
  f.offsets = detail::feature_offsets(est);
  f.drawn = est;
  f.dim = d;
}

// c = cos(Z omega / sigma), s = sin(Z omega / sigma).
void phases(const Eigen::Ref<const Matrix>& Z, const Matrix& omega, double sigma, Matrix& c, Matrix& s) {
  c.noalias() = Z * omega;
  s.resize(c.rows(), c.cols());
  const double inv = 1.0 / sigma;
  double* cp = c.data();
  double* sp = s.data();
  for (Eigen::Index i = 0; i < c.size(); ++i) {
    const double t = cp[i] * inv;
    sp[i] = std::sin(t);
    cp[i] = std::cos(t);
  }
}

// With theta's cos c and sin s and a shift u given by its cos and sin (cu, su; rows broadcast when they
// are 1 x m): out = amp cos(theta + u), and (derivative) amp sin(theta + u) into quad.
template <typename A, typename B>
void shifted(const Matrix& c, const Matrix& s, const A& cu, const B& su, double amp, Matrix& out,
             Matrix* quad) {
  out = amp * (c.array() * cu - s.array() * su).matrix();
  if (quad) *quad = amp * (s.array() * cu + c.array() * su).matrix();
}

}  // namespace

double BatchTargets::set_features(const Eigen::Ref<const Matrix>& X, Matrix& phi, Matrix& psi) {
  const Matrix omega = detail::feature_frequencies(estimator_, X.cols(), 0);
  const Eigen::RowVectorXd b = detail::feature_offsets(estimator_);
  phi.noalias() = X * omega;
  phi *= 1.0 / sigma_x_;
  phi.rowwise() += b;
  psi.resize(phi.rows(), phi.cols());
  const double amp = std::sqrt(2.0 / static_cast<double>(estimator_.features));
  for (Eigen::Index i = 0; i < phi.size(); ++i) {
    const double p = phi.data()[i];
    psi.data()[i] = amp * std::sin(p);
    phi.data()[i] = amp * std::cos(p);
  }
  detail::FeatureEntropy entropy;
  return entropy(phi, alpha_, 1.0, nullptr);
}

namespace detail {

Terms pib_loss_features(const BatchTargets& batch, const Eigen::Ref<const Matrix>& Z, const PibConfig& cfg,
                        Workspace& ws, Eigen::Ref<Matrix> dL_dZ) {
  Features& f = ws.features;
  const Estimator& est = cfg.estimator;
  const double alpha = cfg.alpha, beta = cfg.beta;
  const Eigen::Index n = Z.rows(), m = est.features;
  const double amp = std::sqrt(2.0 / static_cast<double>(m));
  const Matrix& phi_x = batch.features_x();
  const Matrix& psi_x = batch.quadrature_x();
  draw(f, est, Z.cols());

  Terms t;
  const bool linear = cfg.z_kernel == Kernel::linear;
  double norm = 0.0;
  if (linear) {
    norm = centre_unit(Z, f.phi, "pib_loss");  // exact: Phi_z = zc
    f.proj_z.noalias() = f.phi * f.proj;       // joint with X: Phi_x o (zc R)
    f.joint = phi_x.cwiseProduct(f.proj_z);
  } else {
    t.sigma_z = sampled_width(cfg.z_width, Z, f.d2q, ws.width_scratch);
    phases(Z, f.omega, t.sigma_z, f.c, f.s);
    const Eigen::RowVectorXd cb = f.offsets.array().cos(), sb = f.offsets.array().sin();
    // Phi_z = amp cos(theta + b); its derivative amp sin(theta + b) is kept in d_theta.
    shifted(f.c, f.s, cb.array().replicate(n, 1), sb.array().replicate(n, 1), amp, f.phi, &f.d_theta);
    // joint with X: amp cos(theta + P_x) = c o phi_x - s o psi_x
    shifted(f.c, f.s, phi_x.array(), psi_x.array(), 1.0, f.joint, nullptr);
  }
  f.d_phi.setZero(f.phi.rows(), f.phi.cols());
  f.d_joint.setZero(n, m);
  // L = -(S_y + S_z - S_yz) + beta (S_x + S_z - S_xz).
  const auto [s_z, s_yz] = f.entropy.with_blocks(f.phi, batch.group_order(), batch.group_offsets(), alpha,
                                                 beta - 1.0, 1.0, &f.d_phi);
  const double s_xz = f.entropy(f.joint, alpha, -beta, &f.d_joint);
  t.i_xz = batch.entropy_x() + s_z - s_xz;
  t.i_yz = batch.entropy_y() + s_z - s_yz;
  t.loss = -t.i_yz + beta * t.i_xz;

  if (linear) {
    dL_dZ = f.d_phi;
    dL_dZ.noalias() += f.d_joint.cwiseProduct(phi_x) * f.proj.transpose();
    sphere_backward(f.phi, norm, dL_dZ);
  } else {
    // d/dtheta: -d_phi o amp sin(theta + b) - d_joint o (s o phi_x + c o psi_x); then through Z omega /
    // sigma.
    f.d_theta = -(f.d_phi.array() * f.d_theta.array() +
                  f.d_joint.array() * (f.s.array() * phi_x.array() + f.c.array() * psi_x.array()))
                     .matrix();
    dL_dZ.noalias() = (1.0 / t.sigma_z) * f.d_theta * f.omega.transpose();
  }
  return t;
}

// L = -(S1 + S2 - S12) + beta (S_x1 + S1 - S_x1z1) + beta (S_x2 + S2 - S_x2z2) with features.
Terms ssl_loss_features(const BatchTargets& batch, const Eigen::Ref<const Matrix>& Z1,
                        const Eigen::Ref<const Matrix>& Z2, const PibConfig& cfg, Workspace& ws,
                        Eigen::Ref<Matrix> dL_dZ1, Eigen::Ref<Matrix> dL_dZ2) {
  Features& f = ws.features;
  const Estimator& est = cfg.estimator;
  const double alpha = cfg.alpha, beta = cfg.beta;
  const Eigen::Index n = Z1.rows(), m = est.features;
  const double amp = std::sqrt(2.0 / static_cast<double>(m));
  const Matrix &phi_x1 = batch.features_x(), &psi_x1 = batch.quadrature_x();
  const Matrix &phi_x2 = batch.features_x2(), &psi_x2 = batch.quadrature_x2();
  draw(f, est, Z1.cols());

  Terms t;
  const bool linear = cfg.z_kernel == Kernel::linear;
  double norm1 = 0.0, norm2 = 0.0;
  Matrix q1, q2, q12;  // the Gaussian features' derivatives
  if (linear) {
    norm1 = centre_unit(Z1, f.phi, "ssl_loss Z1");
    norm2 = centre_unit(Z2, f.phi2, "ssl_loss Z2");
    f.proj_z.noalias() = f.phi * f.proj;      // zc1 R
    f.proj_z2.noalias() = f.phi2 * f.proj;    // zc2 R
    f.proj_z12.noalias() = f.phi2 * f.proj2;  // zc2 R2
    f.joint = phi_x1.cwiseProduct(f.proj_z);
    f.joint2 = phi_x2.cwiseProduct(f.proj_z2);
    f.joint12 = (1.0 / std::sqrt(static_cast<double>(m))) * f.proj_z.cwiseProduct(f.proj_z12);
  } else {
    const double sigma1 = sampled_width(cfg.z_width, Z1, f.d2q, ws.width_scratch);
    const double sigma2 = sampled_width(cfg.z_width, Z2, f.d2q, ws.width_scratch);
    t.sigma_z = 0.5 * (sigma1 + sigma2);
    phases(Z1, f.omega, t.sigma_z, f.c, f.s);
    phases(Z2, f.omega, t.sigma_z, f.c2, f.s2);
    phases(Z2, f.omega2, t.sigma_z, f.c12, f.s12);
    const Eigen::RowVectorXd cb = f.offsets.array().cos(), sb = f.offsets.array().sin();
    const auto cbn = cb.array().replicate(n, 1);
    const auto sbn = sb.array().replicate(n, 1);
    shifted(f.c, f.s, cbn, sbn, amp, f.phi, &q1);
    shifted(f.c2, f.s2, cbn, sbn, amp, f.phi2, &q2);
    shifted(f.c, f.s, phi_x1.array(), psi_x1.array(), 1.0, f.joint, nullptr);
    shifted(f.c2, f.s2, phi_x2.array(), psi_x2.array(), 1.0, f.joint2, nullptr);
    // The views' joint: amp cos(theta1 + u), u = Z2 omega2 / sigma + b.
    const Matrix cu = (f.c12.array() * cbn - f.s12.array() * sbn).matrix();
    const Matrix su = (f.s12.array() * cbn + f.c12.array() * sbn).matrix();
    shifted(f.c, f.s, cu.array(), su.array(), amp, f.joint12, &q12);
  }
  f.d_phi.setZero(f.phi.rows(), f.phi.cols());
  f.d_phi2.setZero(f.phi2.rows(), f.phi2.cols());
  f.d_joint.setZero(n, m);
  f.d_joint2.setZero(n, m);
  f.d_joint12.setZero(n, m);
  const double s1 = f.entropy(f.phi, alpha, beta - 1.0, &f.d_phi);
  const double s2 = f.entropy(f.phi2, alpha, beta - 1.0, &f.d_phi2);
  const double s12 = f.entropy(f.joint12, alpha, 1.0, &f.d_joint12);
  const double s_x1z1 = f.entropy(f.joint, alpha, -beta, &f.d_joint);
  const double s_x2z2 = f.entropy(f.joint2, alpha, -beta, &f.d_joint2);
  ssl_terms(batch, beta, {s1, s2, s12, s_x1z1, s_x2z2}, t);

  if (linear) {
    const double r = 1.0 / std::sqrt(static_cast<double>(m));
    dL_dZ1 = f.d_phi;
    dL_dZ1.noalias() +=
        (f.d_joint.cwiseProduct(phi_x1) + r * f.d_joint12.cwiseProduct(f.proj_z12)) * f.proj.transpose();
    sphere_backward(f.phi, norm1, dL_dZ1);
    dL_dZ2 = f.d_phi2;
    dL_dZ2.noalias() += f.d_joint2.cwiseProduct(phi_x2) * f.proj.transpose();
    dL_dZ2.noalias() += (r * f.d_joint12.cwiseProduct(f.proj_z)) * f.proj2.transpose();
    sphere_backward(f.phi2, norm2, dL_dZ2);
  } else {
    const double inv = 1.0 / t.sigma_z;
    f.d_theta = -(f.d_phi.array() * q1.array() + f.d_joint12.array() * q12.array() +
                  f.d_joint.array() * (f.s.array() * phi_x1.array() + f.c.array() * psi_x1.array()))
                     .matrix();
    f.d_theta2 = -(f.d_phi2.array() * q2.array() +
                   f.d_joint2.array() * (f.s2.array() * phi_x2.array() + f.c2.array() * psi_x2.array()))
                      .matrix();
    f.d_theta12 = -(f.d_joint12.array() * q12.array()).matrix();
    dL_dZ1.noalias() = inv * f.d_theta * f.omega.transpose();
    dL_dZ2.noalias() = inv * f.d_theta2 * f.omega.transpose();
    dL_dZ2.noalias() += inv * f.d_theta12 * f.omega2.transpose();
  }
  return t;
}

}  // namespace detail

}  // namespace pib::bottleneck
