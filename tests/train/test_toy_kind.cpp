// A unit kind is one registry record (issue 15): a kind defined in this file alone — a tiny Unit and its
// record — is trained by PIB and by the backprop-in-silico baseline through run_training, with no edit
// anywhere else in pib.

#include <memory>
#include <mutex>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/config.hpp"
#include "train/trainer.hpp"
#include "units/dense.hpp"
#include "units/ideal.hpp"
#include "units/registry.hpp"
#include "units/unit_config.hpp"

namespace {

using pib::Rng;
using pib::units::Matrix;
using pib::units::Vector;

// "toy_scaled_dense": Z = act(s (X W + b)) with a fixed gain s = 1.5 the ideal model does not know about,
// and Gaussian read noise of 0.01 on Z. Its ideal model is the plain dense layer.
class ToyScaledDense final : public pib::units::Unit {
 public:
  static constexpr double kGain = 1.5;
  static constexpr double kNoise = 0.01;

  ToyScaledDense(pib::units::UnitBasics basics, const Vector& parameters)
      : basics_(std::move(basics)), params_(parameters) {}

  std::string kind() const override { return "toy_scaled_dense"; }
  Eigen::Index input_dim() const override { return basics_.input_dim; }
  Eigen::Index output_dim() const override { return basics_.output_dim; }
  Eigen::Index parameter_count() const override {
    return pib::units::dense_parameter_count(basics_.input_dim, basics_.output_dim);
  }
  void measure(const Eigen::Ref<const Matrix>& input, pib::units::Measurement& out, Rng& rng) override {
    const Vector p = parameters();
    const Eigen::Map<const Matrix> w(p.data(), input_dim(), output_dim());
    out.response = input;
    out.output.noalias() = input * w;
    out.output.rowwise() += p.tail(output_dim()).transpose();
    out.output *= kGain;
    for (Eigen::Index i = 0; i < out.output.size(); ++i)
      out.output.data()[i] += kNoise * rng.normal();
    pib::units::apply_activation(basics_.activation, out.output);
    out.version = version();
  }
  void gradient(const pib::units::Measurement& m, const Eigen::Ref<const Matrix>& dL_dZ,
                Eigen::Ref<Vector> grad) const override {
    pib::units::dense_gradient(basics_.activation, m.response, m.output, kGain * dL_dZ, grad);
  }
  void deploy(const Eigen::Ref<const Vector>& parameters, Rng&) override {
    std::lock_guard lock(mutex_);
    params_ = parameters;
    ++version_;
  }
  Vector parameters() const override {
    std::lock_guard lock(mutex_);
    return params_;
  }
  std::uint64_t version() const override {
    std::lock_guard lock(mutex_);
    return version_;
  }
  pib::units::DeviceTiming timing() const override { return basics_.timing; }
  pib::units::DeviceLedger ledger() const override { return {}; }
  std::unique_ptr<pib::units::Unit> clone() const override {
    return std::make_unique<ToyScaledDense>(basics_, parameters());
  }

 private:
  pib::units::UnitBasics basics_;
  mutable std::mutex mutex_;
  Vector params_;              // guarded by mutex_
  std::uint64_t version_ = 0;  // guarded by mutex_
};

pib::units::UnitBasics read_toy(const nlohmann::json& config, const std::string& path) {
  pib::ConfigReader r(config, path);
  auto basics = pib::units::read_unit_basics(r);
  r.finish();
  return basics;
}

// The kind's whole registration: its record.
pib::units::UnitKind toy_kind() {
  pib::units::UnitKind k;
  k.make = [](const nlohmann::json& config, std::uint64_t seed) -> std::unique_ptr<pib::units::Unit> {
    const auto b = read_toy(config, "toy_scaled_dense");
    Rng rng = Rng::derive(seed, pib::Stream::unit_init);
    return std::make_unique<ToyScaledDense>(
        b, pib::units::init_dense_parameters(b.input_dim, b.output_dim, b.activation, b.init, rng));
  };
  k.input_size = pib::units::InputSize::key;
  k.ideal = [](const nlohmann::json& config, const std::string& path) {
    const auto b = read_toy(config, path);
    return pib::units::IdealLayer(pib::units::dense_geometry(b.input_dim, b.output_dim), b.activation,
                                  b.init);
  };
  return k;
}

}  // namespace

TEST_CASE("a unit kind registered from one record trains with PIB and the backprop baseline",
          "[train][registry]") {
  pib::units::register_unit_kind("toy_scaled_dense", toy_kind());
  const auto j = nlohmann::json::parse(R"({
    "seed": 2,
    "data": {"name": "mnist1d", "train_subset": 1000},
    "units": [{"kind": "toy_scaled_dense", "output_dim": 32}, {"kind": "toy_scaled_dense", "output_dim": 16}],
    "batch_size": 100,
    "epochs_per_unit": 3,
    "optimizer": {"lr": 0.003},
    "pib": {"alpha": 2, "beta": 0.01},
    "readout": {"epochs": 30, "lr": 0.02},
    "calibration_samples": 300,
    "compare": {"pib_ideal": true},
    "backprop": {"enabled": true, "epochs": 10, "batch_size": 50, "optimizer": {"lr": 0.003}}
  })");
  const auto result = pib::train::run_training(pib::train::TrainConfig::from_json(j));
  REQUIRE(result.pib_deployed);
  REQUIRE(result.pib_ideal);
  REQUIRE(result.bp_ideal);
  REQUIRE(result.bp_deployed);
  INFO("pib " << *result.pib_deployed << " pib_ideal " << *result.pib_ideal << " bp_ideal "
              << *result.bp_ideal << " bp_deployed " << *result.bp_deployed);
  const double chance = 0.1;  // ten classes
  CHECK(*result.pib_deployed > 2 * chance);
  CHECK(*result.pib_ideal > 2 * chance);
  CHECK(*result.bp_ideal > 2 * chance);
  CHECK(*result.bp_deployed > 2 * chance);
}
