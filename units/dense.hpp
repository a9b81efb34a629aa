#pragma once
// The dense-layer helpers every unit with a digital trainable layer shares (digital, optical, crossbars, the
// ideal layer, heads): activations, the flat [W row-major, b] parameter layout, its initialisation and its
// gradient.

#include <string>

#include <Eigen/Core>

#include "common/random.hpp"
#include "units/unit.hpp"

namespace pib::units {

enum class Activation { none, relu, tanh };

// "relu" | "none" | "tanh"; anything else throws ConfigError naming `key_path`.
Activation parse_activation(const std::string& name, const std::string& key_path);
std::string to_string(Activation activation);

// z <- act(z), elementwise, in place (any scalar type).
template <typename Derived>
void apply_activation(Activation activation, Eigen::MatrixBase<Derived>& z) {
  switch (activation) {
    case Activation::none:
      return;
    case Activation::relu:
      z = z.cwiseMax(typename Derived::Scalar(0));
      return;
    case Activation::tanh:
      z = z.array().tanh().matrix();
      return;
  }
}

// dL/d(pre-activation) from the layer's output z = act(pre) and dL/dz, written into `out` (resized).
// relu' = [z > 0], tanh' = 1 - z^2, none' = 1.
void activation_backward(Activation activation, const Eigen::Ref<const Matrix>& z,
                         const Eigen::Ref<const Matrix>& dL_dz, Matrix& out);

// Flat parameter layout of a dense layer with `in` inputs and `out` outputs: W (in x out) row-major, then
// b (out). Size in * out + out.
inline Eigen::Index dense_parameter_count(Eigen::Index in, Eigen::Index out) {
  return in * out + out;
}

// Seeded initial parameters: W ~ N(0, 2 / in) (He, for relu) or N(0, 2 / (in + out)) (Glorot normal, for
// tanh/none); b = 0. `init`: "he", "glorot" or "auto" (He for relu, Glorot otherwise).
Vector init_dense_parameters(Eigen::Index in, Eigen::Index out, Activation activation,
                             const std::string& init, Rng& rng);

// Gradient of a loss through Z = act(X W + b) w.r.t. the flat [W, b] (into `grad`, dense_parameter_count
// values) given X (n x in), the layer's output Z (n x out) and dL/dZ (n x out). If `dL_dX` is not null it
// receives dL/dX = dL/dpre W^T (then `w_flat` must hold the flat parameters used for the forward pass).
void dense_gradient(Activation activation, const Eigen::Ref<const Matrix>& x,
                    const Eigen::Ref<const Matrix>& z, const Eigen::Ref<const Matrix>& dL_dZ,
                    Eigen::Ref<Vector> grad, Matrix* dL_dX = nullptr, const Vector* w_flat = nullptr);

// The same gradient of W with its GEMM in single precision (b's stays in double): for inputs that are already
// single-precision data, e.g. an optical unit's 8-bit camera frame. No dL/dX.
void dense_gradient_single(Activation activation, const Eigen::Ref<const Matrix>& x,
                           const Eigen::Ref<const Matrix>& z, const Eigen::Ref<const Matrix>& dL_dZ,
                           Eigen::Ref<Vector> grad);

}  // namespace pib::units
