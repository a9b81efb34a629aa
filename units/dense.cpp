#include "units/dense.hpp"

#include <cmath>

#include "common/error.hpp"

namespace pib::units {

Activation parse_activation(const std::string& name, const std::string& key_path) {
  if (name == "relu") return Activation::relu;
  if (name == "none") return Activation::none;
  if (name == "tanh") return Activation::tanh;
  raise<ConfigError>(key_path, ": unknown activation '", name, "' (expected relu, none or tanh)");
}

std::string to_string(Activation activation) {
  switch (activation) {
    case Activation::none:
      return "none";
    case Activation::relu:
      return "relu";
    case Activation::tanh:
      return "tanh";
  }
  return "none";
}

void activation_backward(Activation activation, const Eigen::Ref<const Matrix>& z,
                         const Eigen::Ref<const Matrix>& dL_dz, Matrix& out) {
  PIB_EXPECTS(z.rows() == dL_dz.rows() && z.cols() == dL_dz.cols(), "z is ", z.rows(), "x", z.cols(),
              ", dL/dz is ", dL_dz.rows(), "x", dL_dz.cols());
  switch (activation) {
    case Activation::none:
      out = dL_dz;
      return;
    case Activation::relu:
      out = (z.array() > 0.0).select(dL_dz, 0.0);
      return;
    case Activation::tanh:
      out = (dL_dz.array() * (1.0 - z.array().square())).matrix();
      return;
  }
}

Vector init_dense_parameters(Eigen::Index in, Eigen::Index out, Activation activation,
                             const std::string& init, Rng& rng) {
  const bool he = init == "he" || (init == "auto" && activation == Activation::relu);
  // He et al. 2015 (variance 2 / fan_in) for ReLU; Glorot & Bengio 2010 normal (2 / (fan_in + fan_out)).
  const double stddev =
      he ? std::sqrt(2.0 / static_cast<double>(in)) : std::sqrt(2.0 / static_cast<double>(in + out));
  Vector flat = Vector::Zero(dense_parameter_count(in, out));
  for (Eigen::Index i = 0; i < in * out; ++i)
    flat[i] = stddev * rng.normal();
  return flat;
}

void dense_gradient(Activation activation, const Eigen::Ref<const Matrix>& x,
                    const Eigen::Ref<const Matrix>& z, const Eigen::Ref<const Matrix>& dL_dZ,
                    Eigen::Ref<Vector> grad, Matrix* dL_dX, const Vector* w_flat) {
  const Eigen::Index in = x.cols(), out = z.cols();
  PIB_EXPECTS(x.rows() == z.rows() && dL_dZ.rows() == z.rows() && dL_dZ.cols() == out, "shapes: x ", x.rows(),
              "x", in, ", z ", z.rows(), "x", out, ", dL/dZ ", dL_dZ.rows(), "x", dL_dZ.cols());
  PIB_EXPECTS(grad.size() == dense_parameter_count(in, out), "grad has ", grad.size(), " values, expected ",
              dense_parameter_count(in, out));
  Matrix dpre;
  activation_backward(activation, z, dL_dZ, dpre);
  Eigen::Map<Matrix> grad_w(grad.data(), in, out);
  grad_w.noalias() = x.transpose() * dpre;
  grad.tail(out) = dpre.colwise().sum().transpose();
  if (dL_dX != nullptr) {
    PIB_EXPECTS(w_flat != nullptr && w_flat->size() == grad.size(), "dL/dX needs the flat parameters");
    const Eigen::Map<const Matrix> w(w_flat->data(), in, out);
    dL_dX->noalias() = dpre * w.transpose();
  }
}

void dense_gradient_single(Activation activation, const Eigen::Ref<const Matrix>& x,
                           const Eigen::Ref<const Matrix>& z, const Eigen::Ref<const Matrix>& dL_dZ,
                           Eigen::Ref<Vector> grad) {
  const Eigen::Index in = x.cols(), out = z.cols();
  PIB_EXPECTS(x.rows() == z.rows() && dL_dZ.rows() == z.rows() && dL_dZ.cols() == out, "shapes: x ", x.rows(),
              "x", in, ", z ", z.rows(), "x", out, ", dL/dZ ", dL_dZ.rows(), "x", dL_dZ.cols());
  PIB_EXPECTS(grad.size() == dense_parameter_count(in, out), "grad has ", grad.size(), " values, expected ",
              dense_parameter_count(in, out));
  using MatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Matrix dpre;
  activation_backward(activation, z, dL_dZ, dpre);
  const MatrixF xf = x.cast<float>(), df = dpre.cast<float>();
  MatrixF gw(in, out);
  gw.noalias() = xf.transpose() * df;
  Eigen::Map<Matrix>(grad.data(), in, out) = gw.cast<double>();
  grad.tail(out) = dpre.colwise().sum().transpose();
}

}  // namespace pib::units
