#include "train/ideal.hpp"

#include "common/error.hpp"

namespace pib::train {

namespace {

nlohmann::json without_kind(const nlohmann::json& config) {
  nlohmann::json j = config;
  j.erase("kind");
  return j;
}

}  // namespace

IdealLayer IdealLayer::from_unit_config(const nlohmann::json& unit_config, const std::string& path) {
  if (!unit_config.is_object() || !unit_config.contains("kind") || !unit_config.at("kind").is_string())
    raise<ConfigError>(path, ".kind: missing (expected a unit kind name)");
  const std::string kind = unit_config.at("kind").get<std::string>();
  const auto j = without_kind(unit_config);
  IdealLayer layer;
  if (kind == "memristor_dense") {
    const auto c = units::MemristorDenseConfig::from_json(j, path);
    layer.geometry_ = c.geometry();
    layer.activation_ = c.activation;
    layer.init_ = c.init;
  } else if (kind == "memristor_conv1d") {
    const auto c = units::MemristorConv1dConfig::from_json(j, path);
    layer.geometry_ = c.geometry();
    layer.activation_ = c.activation;
    layer.init_ = c.init;
  } else if (kind == "memristor_conv2d") {
    const auto c = units::MemristorConv2dConfig::from_json(j, path);
    layer.geometry_ = c.geometry();
    layer.activation_ = c.activation;
    layer.init_ = c.init;
  } else if (kind == "digital_dense") {
    const auto c = units::DigitalDenseConfig::from_json(j, path);
    layer.geometry_.out_channels = c.output_dim;
    layer.geometry_.in_channels = c.input_dim;
    layer.activation_ = c.activation;
    layer.init_ = c.init;
  } else {
    raise<ConfigError>(
        path, ".kind: '", kind,
        "' has no ideal model (expected memristor_dense, memristor_conv1d, memristor_conv2d or "
        "digital_dense)");
  }
  return layer;
}

Eigen::VectorXd IdealLayer::initial_parameters(Rng& rng) const {
  return units::init_dense_parameters(rows(), cols(), activation_, init_, rng);
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
  units::apply_activation(activation_, z);
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
  units::apply_activation(activation_, z);
}

void IdealLayer::backward(const Eigen::VectorXd& params, const Eigen::Ref<const Matrix>& x,
                          const Eigen::Ref<const Matrix>& z, const Eigen::Ref<const Matrix>& dL_dz,
                          Eigen::Ref<Eigen::VectorXd> grad, Matrix* dL_dx, const Matrix* unpooled) const {
  PIB_EXPECTS(grad.size() == parameter_count() && z.rows() == x.rows() && dL_dz.rows() == x.rows(),
              "IdealLayer::backward shapes");
  if (geometry_.is_dense()) {
    units::dense_gradient(activation_, x, z, dL_dz, grad, dL_dx, &params);
    return;
  }
  const Eigen::Index n = x.rows(), p = geometry_.positions();
  Matrix dpre_flat;
  if (geometry_.pools()) {  // dL/dz to each window's maximum, then through the activation
    PIB_EXPECTS(unpooled != nullptr && unpooled->rows() == n && unpooled->cols() == geometry_.conv_dim(),
                "IdealLayer::backward: a pooling layer needs forward's unpooled output");
    Matrix d_full;
    geometry_.max_pool_backward(*unpooled, dL_dz, d_full);
    units::activation_backward(activation_, *unpooled, d_full, dpre_flat);
  } else {
    units::activation_backward(activation_, z, dL_dz, dpre_flat);
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
  Rng rng(seed);
  params_ = std::make_shared<const Eigen::VectorXd>(layer_.initial_parameters(rng));
}

IdealUnit::IdealUnit(std::string kind, IdealLayer layer, std::shared_ptr<const Eigen::VectorXd> params,
                     std::uint64_t version)
    : kind_(std::move(kind)), layer_(std::move(layer)), params_(std::move(params)), version_(version) {}

std::shared_ptr<const Eigen::VectorXd> IdealUnit::snapshot() const {
  std::lock_guard lock(mutex_);
  return params_;
}

void IdealUnit::measure(const Eigen::Ref<const Matrix>& input, units::Measurement& out, Rng&) {
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

void IdealUnit::gradient(const units::Measurement& m, const Eigen::Ref<const Matrix>& dL_dZ,
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

std::unique_ptr<units::Unit> IdealUnit::clone() const {
  std::lock_guard lock(mutex_);
  return std::unique_ptr<IdealUnit>(new IdealUnit(kind_, layer_, params_, version_));
}

nlohmann::json with_input_dim(const nlohmann::json& unit_config, Eigen::Index input_dim) {
  nlohmann::json j = unit_config;
  const std::string kind = j.value("kind", std::string());
  if ((kind == "memristor_dense" || kind == "digital_dense" || kind == "optical") && !j.contains("input_dim"))
    j["input_dim"] = input_dim;
  return j;
}

}  // namespace pib::train
