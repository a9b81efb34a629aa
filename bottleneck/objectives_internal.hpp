#pragma once
// What objectives.cpp (the exact estimator) and feature_objectives.cpp (the feature-space estimator) share
// (internal to bottleneck/).

#include <Eigen/Core>

#include "bottleneck/objectives.hpp"

namespace pib::bottleneck::detail {

// The centred Z scaled to unit Frobenius norm, zc = (Z - mean) / |Z - mean|_F (the linear kernel's
// features); returns |Z - mean|_F. InvalidArgument naming `what` when every sample is the same.
double centre_unit(const Eigen::Ref<const Matrix>& Z, Matrix& zc, const char* what);
// dL/dZ from dL/dzc (in dZ, overwritten): back through the projection onto the unit sphere and the centring.
void sphere_backward(const Matrix& zc, double norm, Eigen::Ref<Matrix> dZ);

// The self-supervised terms from the entropies S(Z1), S(Z2), S(Z1, Z2), S(X1, Z1), S(X2, Z2):
// L = -I(Z1; Z2) + beta [I(X1; Z1) + I(X2; Z2)].
struct SslEntropies {
  double s1, s2, s12, s_x1z1, s_x2z2;
};
void ssl_terms(const BatchTargets& batch, double beta, const SslEntropies& s, Terms& t);

// pib_loss and ssl_loss with a feature-space estimator (called after their checks).
Terms pib_loss_features(const BatchTargets& batch, const Eigen::Ref<const Matrix>& Z, const PibConfig& cfg,
                        Workspace& ws, Eigen::Ref<Matrix> dL_dZ);
Terms ssl_loss_features(const BatchTargets& batch, const Eigen::Ref<const Matrix>& Z1,
                        const Eigen::Ref<const Matrix>& Z2, const PibConfig& cfg, Workspace& ws,
                        Eigen::Ref<Matrix> dL_dZ1, Eigen::Ref<Matrix> dL_dZ2);

}  // namespace pib::bottleneck::detail
