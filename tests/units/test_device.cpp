#include <atomic>
#include <chrono>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/random.hpp"
#include "units/characterize.hpp"
#include "units/device.hpp"
#include "units/registry.hpp"

using pib::units::Matrix;
using pib::units::Measurement;
using pib::units::Vector;

namespace {
double wall_ms_of(auto&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}
}  // namespace

TEST_CASE("a deploy holds the caller for deploy_us / time_scale", "[device]") {
  // 400 ms of device time at time_scale 8: 50 ms of wall time.
  auto unit = pib::units::make_unit({{"kind", "digital_dense"},
                                     {"input_dim", 2},
                                     {"output_dim", 2},
                                     {"deploy_us", 400000},
                                     {"time_scale", 8}},
                                    1);
  pib::Rng rng(1);
  const Vector p = unit->parameters();
  const double ms = wall_ms_of([&] { unit->deploy(p, rng); });
  CHECK(ms >= 45.0);
  CHECK(ms < 250.0);
}

TEST_CASE("the device ledger adds up measure and deploy time", "[device]") {
  auto unit = pib::units::make_unit({{"kind", "optical"},
                                     {"input_dim", 3},
                                     {"output_dim", 2},
                                     {"n_speckle", 8},
                                     {"forward_us_per_sample", 500},
                                     {"deploy_us", 1000},
                                     {"time_scale", 1e6}},
                                    1);
  pib::Rng rng(1);
  Measurement m;
  for (int i = 0; i < 5; ++i)
    unit->measure(Matrix::Random(4, 3), m, rng);
  unit->deploy(unit->parameters(), rng);
  const auto ledger = unit->ledger();
  CHECK(ledger.measures == 5);
  CHECK(ledger.deploys == 1);
  CHECK(ledger.measure_us == Approx(5 * 4 * 500.0));
  CHECK(ledger.deploy_us == Approx(1000.0));
  CHECK(ledger.busy_us == Approx(ledger.measure_us + ledger.deploy_us));
  CHECK(ledger.idle_us >= 0.0);
  CHECK(unit->timing().forward_us_per_sample == 500.0);
}

TEST_CASE("a measure during a deploy uses the previous parameters", "[device][concurrency]") {
  for (const char* kind : {"digital_dense", "optical"}) {
    auto unit = pib::units::make_unit({{"kind", kind},
                                       {"input_dim", 3},
                                       {"output_dim", 2},
                                       {"forward_us_per_sample", 0},
                                       {"deploy_us", 300000},  // 300 ms at time_scale 2: 150 ms wall
                                       {"time_scale", 2}},
                                      1);
    pib::Rng rng(1), deploy_rng(2);
    const Matrix x = Matrix::Random(4, 3);
    Measurement before, during, after;
    unit->measure(x, before, rng);
    const Vector next = Vector::Constant(unit->parameter_count(), 0.25);
    std::atomic<bool> started{false};
    std::thread deployer([&] {
      started = true;
      unit->deploy(next, deploy_rng);
    });
    while (!started)
      std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    unit->measure(x, during, rng);  // while the device is still programming
    deployer.join();
    unit->measure(x, after, rng);
    CHECK(during.version == 0);
    if (std::string(kind) == "digital_dense") CHECK(during.output == before.output);
    CHECK(after.version == 1);
    CHECK(unit->version() == 1);
    CHECK(unit->parameters() == next);
  }
}

TEST_CASE("concurrent measures and deploys on one unit are safe", "[device][concurrency]") {
  auto unit = pib::units::make_unit({{"kind", "optical"},
                                     {"input_dim", 3},
                                     {"output_dim", 2},
                                     {"n_speckle", 16},
                                     {"forward_us_per_sample", 100},
                                     {"deploy_us", 1000},
                                     {"time_scale", 100}},
                                    1);
  const Matrix x = Matrix::Random(8, 3);
  std::thread deployer([&] {
    pib::Rng rng(3);
    for (int i = 0; i < 20; ++i)
      unit->deploy(Vector::Constant(unit->parameter_count(), 0.01 * i), rng);
  });
  std::thread measurer([&] {
    pib::Rng rng(4);
    Measurement m;
    std::uint64_t last = 0;
    for (int i = 0; i < 50; ++i) {
      unit->measure(x, m, rng);
      CHECK(m.version >= last);  // versions never go back
      last = m.version;
    }
  });
  pib::Rng rng(5);
  Measurement m;
  for (int i = 0; i < 50; ++i)
    unit->measure(x, m, rng);
  deployer.join();
  measurer.join();
  CHECK(unit->version() == 20);
  CHECK(unit->ledger().measures == 100);
}

TEST_CASE("concurrent optical measures compute in parallel and give the sequential results",
          "[device][concurrency]") {
  // Each measure has its own buffers: two threads measuring batches of different sizes at once get exactly
  // what the same calls made one after another get.
  const nlohmann::json config = {
      {"kind", "optical"}, {"input_dim", 4}, {"output_dim", 8}, {"n_speckle", 64}, {"time_scale", 1e9}};
  const Matrix big = Matrix::Random(64, 4), one = Matrix::Random(1, 4);
  auto run = [&](pib::units::Unit& unit, const Matrix& x, std::uint64_t seed, std::vector<Matrix>& out) {
    pib::Rng rng(seed);
    Measurement m;
    for (auto& o : out) {
      unit.measure(x, m, rng);
      o = m.output;
    }
  };
  pib::Rng calibration_rng(1);
  auto reference = pib::units::make_unit(config, 7);
  reference->calibrate(big, calibration_rng);
  std::vector<Matrix> want_big(200), want_one(200), got_big(200), got_one(200);
  run(*reference, big, 11, want_big);
  run(*reference, one, 12, want_one);
  auto unit = pib::units::make_unit(config, 7);
  unit->calibrate(big, calibration_rng);
  std::thread other([&] { run(*unit, one, 12, got_one); });
  run(*unit, big, 11, got_big);
  other.join();
  for (std::size_t i = 0; i < want_big.size(); ++i) {
    REQUIRE(got_big[i] == want_big[i]);
    REQUIRE(got_one[i] == want_one[i]);
  }
}

TEST_CASE("characterize reports the configured optical camera statistics back", "[device][characterize]") {
  const auto result = pib::units::characterize_unit({{"kind", "optical"},
                                                     {"input_dim", 8},
                                                     {"output_dim", 4},
                                                     {"n_speckle", 128},
                                                     {"full_well_e", 5000},
                                                     {"read_noise_dn", 2.0},
                                                     {"time_scale", 1e9}},
                                                    3, 300);
  const auto j = result.to_json();
  CHECK(j.at("kind") == "optical");
  CHECK(result.read_noise_rel == Approx(j.at("read_noise_rel_expected").get<double>()).epsilon(0.1));
  CHECK(j.at("full_well_e_fit").get<double>() == Approx(5000.0).epsilon(0.15));
  CHECK(j.at("read_noise_dn_fit").get<double>() == Approx(2.0).epsilon(0.15));
  CHECK(result.levels == 256.0);
  CHECK(*result.camera_saturation_fraction < 0.01);  // 99.9th percentile at full scale
  CHECK(result.measure_us_per_sample == Approx(16667.0));
  CHECK(result.deploy_us == Approx(16667.0));
  CHECK(j.at("faults").at("affected_channels").empty());
}

TEST_CASE("characterize a digital unit: no noise, the config's parameters", "[device][characterize]") {
  const auto result = pib::units::characterize_unit(
      {{"kind", "digital_dense"}, {"input_dim", 2}, {"output_dim", 1}, {"parameters", {0.0, 0.0, 1.0}}}, 1,
      8);
  CHECK(result.read_noise_rel < 1e-12);
  CHECK_FALSE(result.levels.has_value());
  // W = 0, b = 1: the single output channel is constant over the random batch.
  CHECK(result.faults.at("affected_channels") == nlohmann::json::array({0}));
  CHECK_THROWS_AS(
      pib::units::characterize_unit(
          {{"kind", "digital_dense"}, {"input_dim", 2}, {"output_dim", 1}, {"parameters", {1.0}}}, 1, 8),
      pib::ConfigError);
}
