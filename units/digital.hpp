#pragma once
// The digital unit `digital_dense` (DESIGN.md 3.4): an ideal dense layer Z = act(X W + b) behind the Unit
// interface. It is the reference physical units are compared with, the building block of in-silico
// baselines, and THE ANNOTATED EXAMPLE: to add a unit kind, copy digital.{hpp,cpp}, change the physics in
// `measure`, the local gradient in `gradient` and the kind's record (digital_dense_kind), and add one line
// to register_builtin_unit_kinds() in units/registry.cpp. Nothing else in pib names a kind.
//
// Config keys (JSON, read by DigitalDenseConfig::from_json):
//   input_dim (required, > 0), output_dim (required, > 0), activation "relu" | "none" | "tanh" (default
//   relu), init "auto" | "he" | "glorot" (default auto: He for relu, Glorot otherwise), forward_us_per_sample
//   (default 0), deploy_us (default 0), time_scale (default 1).
//
// Thread-safety: as the Unit contract says; measure/deploy from any thread, const members anywhere.

#include <cstdint>
#include <memory>
#include <string>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "common/config.hpp"
#include "common/random.hpp"
#include "units/dense.hpp"
#include "units/device.hpp"
#include "units/registry.hpp"
#include "units/unit.hpp"
#include "units/unit_config.hpp"

namespace pib::units {

// ---- The digital_dense unit --------------------------------------------------------------------------

struct DigitalDenseConfig {
  Eigen::Index input_dim = 0;
  Eigen::Index output_dim = 0;
  Activation activation = Activation::relu;
  std::string init = "auto";
  DeviceTiming timing{0.0, 0.0, 1.0};

  // Reads every key above (unknown key -> ConfigError); `path` prefixes messages ("units[0]").
  static DigitalDenseConfig from_json(const nlohmann::json& json, const std::string& path = "digital_dense");
  void validate(const std::string& path = "digital_dense") const;
};

class DigitalDenseUnit final : public Unit {
 public:
  // Parameters initialised from `seed` (see init_dense_parameters).
  DigitalDenseUnit(DigitalDenseConfig config, std::uint64_t seed);

  std::string kind() const override { return "digital_dense"; }
  Eigen::Index input_dim() const override { return config_.input_dim; }
  Eigen::Index output_dim() const override { return config_.output_dim; }
  Eigen::Index parameter_count() const override {
    return dense_parameter_count(config_.input_dim, config_.output_dim);
  }

  // Ideal: response = input, output = act(input W + b). No noise (rng unused).
  void measure(const Eigen::Ref<const Matrix>& input, Measurement& out, Rng& rng) override;
  // Exact gradient of the ideal layer at m.response.
  void gradient(const Measurement& m, const Eigen::Ref<const Matrix>& dL_dZ,
                Eigen::Ref<Vector> grad) const override;
  // Swaps the parameters in after holding the programming channel for deploy_us (default 0).
  void deploy(const Eigen::Ref<const Vector>& parameters, Rng& rng) override;
  Vector parameters() const override { return params_.load().value->flat; }
  std::uint64_t version() const override { return params_.version(); }
  DeviceTiming timing() const override { return clock_.timing(); }
  DeviceLedger ledger() const override { return clock_.ledger(); }
  std::unique_ptr<Unit> clone() const override;

  const DigitalDenseConfig& config() const { return config_; }

 private:
  struct Params {  // one immutable deployed snapshot
    Vector flat;
    Matrix w;              // input_dim x output_dim
    Eigen::RowVectorXd b;  // output_dim
  };
  static Params unpack(const DigitalDenseConfig& config, const Eigen::Ref<const Vector>& flat);
  DigitalDenseUnit(DigitalDenseConfig config, const Vector& parameters);

  DigitalDenseConfig config_;
  DeployedParameters<Params> params_;
  DeviceClock clock_;
};

// Registry factory for "digital_dense" (config without the "kind" key).
std::unique_ptr<Unit> make_digital_dense_unit(const nlohmann::json& config, std::uint64_t seed);
// The registry record of "digital_dense" (its factory, input size from the input_dim key, its ideal model).
UnitKind digital_dense_kind();

}  // namespace pib::units
