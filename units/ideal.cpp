#include "units/ideal.hpp"

#include <utility>

#include "common/error.hpp"
#include "units/registry.hpp"

namespace pib::units {

CrossbarGeometry dense_geometry(Eigen::Index in, Eigen::Index out) {
  CrossbarGeometry g;
  g.in_channels = in;
  g.out_channels = out;
  return g;
}

IdealLayer::IdealLayer(CrossbarGeometry geometry, Activation activation, std::string init)
    : geometry_(geometry), activation_(activation), init_(std::move(init)) {}

IdealLayer IdealLayer::from_unit_config(const nlohmann::json& unit_config, const std::string& path) {
  const UnitKind record = unit_kind_of(unit_config, path);
  if (!record.ideal) {
    std::string with_model;
    for (const auto& kind : known_unit_kinds()) {
      const auto other = find_unit_kind(kind);
      if (other && other->ideal) with_model += (with_model.empty() ? "" : ", ") + kind;
    }
    raise<ConfigError>(path, ".kind: '", unit_config.at("kind").get<std::string>(),
                       "' has no ideal model (kinds with one: ", with_model, ")");
  }
  nlohmann::json config = unit_config;
  config.erase("kind");
  return record.ideal(config, path);
}

Eigen::VectorXd IdealLayer::initial_parameters(Rng& rng) const {
  return init_dense_parameters(rows(), cols(), activation_, init_, rng);
}

void IdealLayer::forward(const Eigen::VectorXd& params, const Eigen::Ref<const Matrix>& x, Matrix& z,
                         Matrix* unpooled) const {
  PIB_EXPECTS(params.size() == parameter_count() && x.cols() == input_dim(), "IdealLayer::forward shapes");
  if (!geometry_.is_dense()) {
    if (!geometry_.pools()) {
      conv_forward(params, x, z);
      return;
    }
    Matrix local;
    Matrix& full = unpooled != nullptr ? *unpooled : local;
    conv_forward(params, x, full);
    geometry_.max_pool(full, z);
    return;
  }
  const Eigen::Map<const Matrix> w(params.data(), rows(), cols());
  z.noalias() = x * w;
  z.rowwise() += params.tail(cols()).transpose();
  apply_activation(activation_, z);
}

void IdealLayer::conv_forward(const Eigen::VectorXd& params, const Eigen::Ref<const Matrix>& x,
                              Matrix& z) const {
  const Eigen::Map<const Matrix> w(params.data(), rows(), cols());
  const Eigen::Index n = x.rows(), p = geometry_.positions();
  Matrix patches(n * p, rows());
  geometry_.im2col(x, patches);
  Matrix pre = patches * w;
  pre.rowwise() += params.tail(cols()).transpose();
  z.resize(n, geometry_.conv_dim());
  for (Eigen::Index s = 0; s < n; ++s)
    for (Eigen::Index c = 0; c < cols(); ++c)
      z.row(s).segment(c * p, p) = pre.col(c).segment(s * p, p).transpose();
  apply_activation(activation_, z);
}

void IdealLayer::backward(const Eigen::VectorXd& params, const Eigen::Ref<const Matrix>& x,
                          const Eigen::Ref<const Matrix>& z, const Eigen::Ref<const Matrix>& dL_dz,
                          Eigen::Ref<Eigen::VectorXd> grad, Matrix* dL_dx, const Matrix* unpooled) const {
  PIB_EXPECTS(grad.size() == parameter_count() && z.rows() == x.rows() && dL_dz.rows() == x.rows(),
              "IdealLayer::backward shapes");
  if (geometry_.is_dense()) {
    dense_gradient(activation_, x, z, dL_dz, grad, dL_dx, &params);
    return;
  }
  const Eigen::Index n = x.rows(), p = geometry_.positions();
  Matrix dpre_flat;
  if (geometry_.pools()) {  // dL/dz to each window's maximum, then through the activation
    PIB_EXPECTS(unpooled != nullptr && unpooled->rows() == n && unpooled->cols() == geometry_.conv_dim(),
                "IdealLayer::backward: a pooling layer needs forward's unpooled output");
    Matrix d_full;
    geometry_.max_pool_backward(*unpooled, dL_dz, d_full);
    activation_backward(activation_, *unpooled, d_full, dpre_flat);
  } else {
    activation_backward(activation_, z, dL_dz, dpre_flat);
  }
  Matrix dpre(n * p, cols());
  for (Eigen::Index s = 0; s < n; ++s)
    for (Eigen::Index c = 0; c < cols(); ++c)
      dpre.col(c).segment(s * p, p) = dpre_flat.row(s).segment(c * p, p).transpose();
  Matrix patches(n * p, rows());
  geometry_.im2col(x, patches);
  Eigen::Map<Matrix> gw(grad.data(), rows(), cols());
  gw.noalias() = patches.transpose() * dpre;
  grad.tail(cols()) = dpre.colwise().sum().transpose();
  if (dL_dx == nullptr) return;
  const Eigen::Map<const Matrix> w(params.data(), rows(), cols());
  const Matrix dpatches = dpre * w.transpose();
  const auto& g = geometry_;
  dL_dx->setZero(n, input_dim());
  for (Eigen::Index s = 0; s < n; ++s)
    for (Eigen::Index oh = 0; oh < g.out_h(); ++oh)
      for (Eigen::Index ow = 0; ow < g.out_w(); ++ow) {
        const Eigen::Index row = s * p + oh * g.out_w() + ow;
        Eigen::Index k = 0;
        for (Eigen::Index c = 0; c < g.in_channels; ++c)
          for (Eigen::Index kh = 0; kh < g.kernel_h; ++kh) {
            const Eigen::Index ih = oh * g.stride_h - g.pad_h + kh;
            for (Eigen::Index kw = 0; kw < g.kernel_w; ++kw, ++k) {
              const Eigen::Index iw = ow * g.stride_w - g.pad_w + kw;
              if (ih >= 0 && ih < g.height && iw >= 0 && iw < g.width)
                (*dL_dx)(s, (c * g.height + ih) * g.width + iw) += dpatches(row, k);
            }
          }
      }
}

IdealUnit::IdealUnit(const nlohmann::json& unit_config, std::uint64_t seed, const std::string& path)
    : kind_("ideal:" + unit_config.value("kind", std::string("?"))),
      layer_(IdealLayer::from_unit_config(unit_config, path)) {
  Rng rng = Rng::derive(seed, Stream::unit_init);  // as the kinds draw their initial parameters
  params_ = std::make_shared<const Eigen::VectorXd>(layer_.initial_parameters(rng));
}

IdealUnit::IdealUnit(std::string kind, IdealLayer layer, std::shared_ptr<const Eigen::VectorXd> params,
                     std::uint64_t version)
    : kind_(std::move(kind)), layer_(std::move(layer)), params_(std::move(params)), version_(version) {}

std::shared_ptr<const Eigen::VectorXd> IdealUnit::snapshot() const {
  std::lock_guard lock(mutex_);
  return params_;
}

void IdealUnit::measure(const Eigen::Ref<const Matrix>& input, Measurement& out, Rng&) {
  PIB_EXPECTS(input.cols() == input_dim(), "IdealUnit::measure: input has ", input.cols(),
              " columns, expected ", input_dim());
  std::uint64_t version = 0;
  std::shared_ptr<const Eigen::VectorXd> p;
  {
    std::lock_guard lock(mutex_);
    p = params_;
    version = version_;
  }
  out.response = input;
  layer_.forward(*p, input, out.output, &out.pre_pool);
  out.version = version;
}

void IdealUnit::gradient(const Measurement& m, const Eigen::Ref<const Matrix>& dL_dZ,
                         Eigen::Ref<Eigen::VectorXd> grad) const {
  layer_.backward(*snapshot(), m.response, m.output, dL_dZ, grad, nullptr, &m.pre_pool);
}

void IdealUnit::deploy(const Eigen::Ref<const Eigen::VectorXd>& parameters, Rng&) {
  PIB_EXPECTS(parameters.size() == parameter_count(), "IdealUnit::deploy: ", parameters.size(),
              " parameters, expected ", parameter_count());
  auto p = std::make_shared<const Eigen::VectorXd>(parameters);
  std::lock_guard lock(mutex_);
  params_ = std::move(p);
  ++version_;
}

Eigen::VectorXd IdealUnit::parameters() const {
  return *snapshot();
}

std::uint64_t IdealUnit::version() const {
  std::lock_guard lock(mutex_);
  return version_;
}

std::unique_ptr<Unit> IdealUnit::clone() const {
  std::lock_guard lock(mutex_);
  return std::unique_ptr<IdealUnit>(new IdealUnit(kind_, layer_, params_, version_));
}

}  // namespace pib::units
