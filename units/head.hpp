#pragma once
// LinearHead: a digital linear layer out = Z W + b on a unit's output Z (n x d -> n x k), used as a local
// classifier or a Q head of a deep PNN (DESIGN.md 3.6). Flat parameters [W row-major (d x k), b (k)], the
// same layout as every dense layer in units/. Initialised from `seed`: W ~ N(0, 2 / (d + k)) (Glorot normal),
// b = 0.
//
// A plain value type: not thread-safe for concurrent set_parameters and forward; copies are independent.

#include <cstdint>

#include <Eigen/Core>

#include "units/unit.hpp"

namespace pib::units {

class LinearHead {
 public:
  LinearHead(Eigen::Index input_dim, Eigen::Index output_dim, std::uint64_t seed);

  Eigen::Index input_dim() const { return input_dim_; }
  Eigen::Index output_dim() const { return output_dim_; }
  Eigen::Index parameter_count() const { return parameters_.size(); }

  // out = z W + b; `out` is resized only when the batch size changes.
  void forward(const Eigen::Ref<const Matrix>& z, Matrix& out) const;
  // Given z (n x d) and dL/dout (n x k): grad (parameter_count values) and dL/dz (n x d, resized).
  void backward(const Eigen::Ref<const Matrix>& z, const Eigen::Ref<const Matrix>& dL_dout,
                Eigen::Ref<Vector> grad, Matrix& dL_dz) const;

  const Vector& parameters() const { return parameters_; }
  // Throws InvalidArgument if `parameters` does not hold parameter_count() values.
  void set_parameters(const Eigen::Ref<const Vector>& parameters);

 private:
  Eigen::Index input_dim_, output_dim_;
  Vector parameters_;
};

}  // namespace pib::units
