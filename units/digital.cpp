// The annotated example unit: read this file top to bottom before writing a new unit kind.
#include "units/digital.hpp"

#include <cmath>
#include <utility>

#include "common/error.hpp"

namespace pib::units {

// ---- Dense-layer helpers ------------------------------------------------------------------------------

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

void read_timing(ConfigReader& reader, DeviceTiming& timing) {
  reader.get("forward_us_per_sample", timing.forward_us_per_sample);
  reader.get("deploy_us", timing.deploy_us);
  reader.get("time_scale", timing.time_scale);
}

void validate_timing(const DeviceTiming& timing, const std::string& path) {
  const auto key = [&](const char* name) { return path.empty() ? std::string(name) : path + "." + name; };
  require_config(timing.forward_us_per_sample >= 0.0, key("forward_us_per_sample"),
                 timing.forward_us_per_sample, ">= 0");
  require_config(timing.deploy_us >= 0.0, key("deploy_us"), timing.deploy_us, ">= 0");
  require_config(timing.time_scale > 0.0, key("time_scale"), timing.time_scale, "> 0");
}

// ---- DigitalDenseConfig -------------------------------------------------------------------------------

// Step 1 of a new unit kind: a config struct with defaults, read once with ConfigReader (unknown keys are
// errors), then validated with messages naming the key.
DigitalDenseConfig DigitalDenseConfig::from_json(const nlohmann::json& json, const std::string& path) {
  DigitalDenseConfig c;
  ConfigReader r(json, path);
  r.get("input_dim", c.input_dim);
  r.get("output_dim", c.output_dim);
  std::string activation = to_string(c.activation);
  r.get("activation", activation);
  c.activation = parse_activation(activation, r.key_path("activation"));
  r.get("init", c.init);
  read_timing(r, c.timing);
  r.finish();
  c.validate(path);
  return c;
}

void DigitalDenseConfig::validate(const std::string& path) const {
  const auto key = [&](const char* name) { return path.empty() ? std::string(name) : path + "." + name; };
  require_config(input_dim > 0, key("input_dim"), input_dim, "> 0");
  require_config(output_dim > 0, key("output_dim"), output_dim, "> 0");
  require_config(init == "auto" || init == "he" || init == "glorot", key("init"), init, "auto, he or glorot");
  validate_timing(timing, path);
}

// ---- DigitalDenseUnit ---------------------------------------------------------------------------------

DigitalDenseUnit::Params DigitalDenseUnit::unpack(const DigitalDenseConfig& config,
                                                  const Eigen::Ref<const Vector>& flat) {
  const Eigen::Index in = config.input_dim, out = config.output_dim;
  if (flat.size() != dense_parameter_count(in, out))
    raise<InvalidArgument>("digital_dense: ", flat.size(), " parameters given, expected ",
                           dense_parameter_count(in, out));
  Params p;
  p.flat = flat;
  p.w = Eigen::Map<const Matrix>(flat.data(), in, out);
  p.b = flat.tail(out).transpose();
  return p;
}

// Step 2: the seeded initial parameters and the device clock. Every random thing of the unit's own (here
// only the initial weights) comes from `seed`; noise during measure comes from the caller's Rng.
DigitalDenseUnit::DigitalDenseUnit(DigitalDenseConfig config, std::uint64_t seed)
    : DigitalDenseUnit(config, [&] {
        Rng rng(seed);
        return init_dense_parameters(config.input_dim, config.output_dim, config.activation, config.init,
                                     rng);
      }()) {}

DigitalDenseUnit::DigitalDenseUnit(DigitalDenseConfig config, const Vector& parameters)
    : config_(std::move(config)), params_(unpack(config_, parameters)), clock_(config_.timing) {}

// Step 3: measure. Take ONE snapshot of the deployed parameters (a deploy finishing meanwhile does not
// affect this call), compute into the caller's buffers (Eigen resizes only when the batch size changes),
// then hold the device's read channel for the scaled device time.
void DigitalDenseUnit::measure(const Eigen::Ref<const Matrix>& input, Measurement& out, Rng& /*rng*/) {
  if (input.cols() != config_.input_dim)
    raise<InvalidArgument>("digital_dense: input has ", input.cols(), " columns, expected ",
                           config_.input_dim);
  const auto snapshot = params_.load();
  const Params& p = *snapshot.value;
  out.response = input;
  out.output.resize(input.rows(), config_.output_dim);
  out.output.noalias() = input * p.w;
  out.output.rowwise() += p.b;
  apply_activation(config_.activation, out.output);
  out.version = snapshot.version;
  clock_.hold_measure(input.rows());
}

// Step 4: the local gradient from the measurement alone (X = response, Z = output).
void DigitalDenseUnit::gradient(const Measurement& m, const Eigen::Ref<const Matrix>& dL_dZ,
                                Eigen::Ref<Vector> grad) const {
  dense_gradient(config_.activation, m.response, m.output, dL_dZ, grad);
}

// Step 5: deploy. Validate and build the new snapshot first, hold the programming channel (measures keep
// using the old parameters meanwhile), then swap.
void DigitalDenseUnit::deploy(const Eigen::Ref<const Vector>& parameters, Rng& /*rng*/) {
  Params next = unpack(config_, parameters);
  clock_.hold_deploy(config_.timing.deploy_us);
  params_.store(std::move(next));
}

std::unique_ptr<Unit> DigitalDenseUnit::clone() const {
  return std::unique_ptr<Unit>(new DigitalDenseUnit(config_, params_.load().value->flat));
}

// Step 6: the factory the registry calls (one line in register_builtin_unit_kinds()).
std::unique_ptr<Unit> make_digital_dense_unit(const nlohmann::json& config, std::uint64_t seed) {
  return std::make_unique<DigitalDenseUnit>(DigitalDenseConfig::from_json(config, "digital_dense"), seed);
}

}  // namespace pib::units

namespace pib::units {

UnitKind digital_dense_kind() {
  UnitKind k;
  k.make = &make_digital_dense_unit;
  k.input_size = InputSize::key;
  return k;
}

}  // namespace pib::units
