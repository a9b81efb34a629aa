// The annotated example unit: read this file top to bottom before writing a new unit kind.
#include "units/digital.hpp"

#include <cmath>
#include <utility>

#include "common/error.hpp"

namespace pib::units {

// ---- DigitalDenseConfig -------------------------------------------------------------------------------

// Step 1 of a new unit kind: a config struct with defaults, read once with ConfigReader (unknown keys are
// errors), opening with the keys every kind shares (read_unit_basics, units/unit_config.hpp), then validated
// with messages naming the key.
DigitalDenseConfig DigitalDenseConfig::from_json(const nlohmann::json& json, const std::string& path) {
  DigitalDenseConfig c;
  ConfigReader r(json, path);
  const UnitBasics b = read_unit_basics(r, {.timing = c.timing});
  c.input_dim = b.input_dim;
  c.output_dim = b.output_dim;
  c.activation = b.activation;
  c.init = b.init;
  c.timing = b.timing;
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
// only the initial weights) comes from `seed`, each purpose from its own derived stream (common/random.hpp);
// noise during measure comes from the caller's Rng.
DigitalDenseUnit::DigitalDenseUnit(DigitalDenseConfig config, std::uint64_t seed)
    : DigitalDenseUnit(config, [&] {
        Rng rng = Rng::derive(seed, Stream::unit_init);
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

// Step 6: the factory the registry calls.
std::unique_ptr<Unit> make_digital_dense_unit(const nlohmann::json& config, std::uint64_t seed) {
  return std::make_unique<DigitalDenseUnit>(DigitalDenseConfig::from_json(config, "digital_dense"), seed);
}

// Step 7: the kind's registry record — everything the rest of pib learns about the kind: its factory, how its
// input size is configured, its ideal model (empty if it has none), a characterizer (empty: the generic
// path), whether it has a fault model. register_builtin_unit_kinds() gets one line calling this.
UnitKind digital_dense_kind() {
  UnitKind k;
  k.make = &make_digital_dense_unit;
  k.input_size = InputSize::key;
  k.ideal = [](const nlohmann::json& config, const std::string& path) {  // the unit is its own ideal model
    const auto c = DigitalDenseConfig::from_json(config, path);
    return IdealLayer(dense_geometry(c.input_dim, c.output_dim), c.activation, c.init);
  };
  return k;
}

}  // namespace pib::units
