#include "units/head.hpp"

#include "common/error.hpp"
#include "common/random.hpp"
#include "units/dense.hpp"

namespace pib::units {

LinearHead::LinearHead(Eigen::Index input_dim, Eigen::Index output_dim, std::uint64_t seed)
    : input_dim_(input_dim), output_dim_(output_dim) {
  if (input_dim <= 0 || output_dim <= 0)
    raise<InvalidArgument>("LinearHead: dimensions must be > 0, got ", input_dim, " x ", output_dim);
  Rng rng(seed);
  parameters_ = init_dense_parameters(input_dim, output_dim, Activation::none, "glorot", rng);
}

void LinearHead::forward(const Eigen::Ref<const Matrix>& z, Matrix& out) const {
  if (z.cols() != input_dim_)
    raise<InvalidArgument>("LinearHead: input has ", z.cols(), " columns, expected ", input_dim_);
  const Eigen::Map<const Matrix> w(parameters_.data(), input_dim_, output_dim_);
  out.resize(z.rows(), output_dim_);
  out.noalias() = z * w;
  out.rowwise() += parameters_.tail(output_dim_).transpose();
}

void LinearHead::backward(const Eigen::Ref<const Matrix>& z, const Eigen::Ref<const Matrix>& dL_dout,
                          Eigen::Ref<Vector> grad, Matrix& dL_dz) const {
  if (z.cols() != input_dim_ || dL_dout.cols() != output_dim_ || dL_dout.rows() != z.rows())
    raise<InvalidArgument>("LinearHead::backward: z is ", z.rows(), "x", z.cols(), ", dL/dout is ",
                           dL_dout.rows(), "x", dL_dout.cols(), ", expected n x ", input_dim_, " and n x ",
                           output_dim_);
  // For activation none, dense_gradient only needs the output's shape; dL/dout stands in for it.
  dense_gradient(Activation::none, z, dL_dout, dL_dout, grad, &dL_dz, &parameters_);
}

void LinearHead::set_parameters(const Eigen::Ref<const Vector>& parameters) {
  if (parameters.size() != parameters_.size())
    raise<InvalidArgument>("LinearHead: ", parameters.size(), " parameters given, expected ",
                           parameters_.size());
  parameters_ = parameters;
}

}  // namespace pib::units
