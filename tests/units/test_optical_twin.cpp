// The optical unit's fitted twin (units/optical_twin.cpp) and the modulator pattern it builds on.
#include <cmath>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/random.hpp"
#include "units/optical.hpp"
#include "units/twin.hpp"

using pib::Rng;
using pib::units::Matrix;
using pib::units::OpticalConfig;
using pib::units::OpticalUnit;

namespace {

nlohmann::json small_unit(const std::string& encoding) {
  return {{"input_dim", 8},   {"output_dim", 4},   {"n_speckle", 32},  {"encoding", encoding},
          {"input_low", 0.0}, {"input_high", 1.0}, {"time_scale", 1e9}};  // no device-time waits
}

Matrix uniform_inputs(Eigen::Index n, Eigen::Index d, Rng& rng) {
  Matrix x(n, d);
  for (Eigen::Index i = 0; i < x.size(); ++i)
    x.data()[i] = rng.uniform();
  return x;
}

double r_squared(const Matrix& predicted, const Matrix& truth) {
  const double mean = truth.mean();
  return 1.0 - (predicted - truth).squaredNorm() / (truth.array() - mean).square().sum();
}

}  // namespace

TEST_CASE("the modulator pattern is the unit's own encoding", "[units][optical][twin]") {
  Rng rng(3);
  const Matrix x = uniform_inputs(20, 8, rng);
  OpticalUnit phase(OpticalConfig::from_json(small_unit("phase8")), 5);
  Matrix p;
  phase.modulator_pattern(x, p);
  REQUIRE(p.rows() == 20);
  REQUIRE(p.cols() == phase.config().pattern_features());
  REQUIRE(p.cols() == 2 * (8 + 1));  // cos and sin of 8 pixels and the reference pixel
  for (Eigen::Index i = 0; i < p.rows(); ++i)
    for (Eigen::Index j = 0; j < 9; ++j)
      CHECK(p(i, j) * p(i, j) + p(i, 9 + j) * p(i, 9 + j) == Approx(1.0));
  CHECK(p(0, 0) == Approx(std::cos(M_PI * std::round(255.0 * x(0, 0)) / 255.0)).margin(1e-12));
  CHECK(p(0, 8) == 1.0);  // the reference pixel: phase 0
  auto binary_config = small_unit("binary");
  binary_config["binary_threshold"] = "median";
  binary_config.erase("input_low");
  binary_config.erase("input_high");
  OpticalUnit binary(OpticalConfig::from_json(binary_config), 5);
  binary.modulator_pattern(x, p);  // calibrates on x: each pixel on for half of the rows, at most one off
  REQUIRE(p.cols() == 8);
  for (Eigen::Index j = 0; j < 8; ++j) {
    CHECK(p.col(j).sum() >= 9);
    CHECK(p.col(j).sum() <= 10);
    for (Eigen::Index i = 0; i < p.rows(); ++i)
      CHECK((p(i, j) == 0.0 || p(i, j) == 1.0));
  }
  CHECK_THROWS_AS(binary.modulator_pattern(Matrix::Zero(2, 7), p), pib::InvalidArgument);
}

TEST_CASE("an optical twin fitted from measured frames predicts the unit's frames",
          "[units][optical][twin]") {
  for (const char* encoding : {"amplitude8", "phase8"}) {
    INFO(encoding);
    auto config = small_unit(encoding);
    OpticalUnit unit(OpticalConfig::from_json(config), 17);
    Rng rng(9);
    const Matrix pool = uniform_inputs(300, 8, rng);
    unit.calibrate(pool);
    pib::units::TwinSettings s;
    s.samples = 3000;
    s.epochs = 60;
    s.batch_size = 64;
    s.optimizer.lr = 0.01;
    s.optimizer.lr_final = 0.001;
    config["kind"] = "optical";
    const auto twin = pib::units::fit_optical_twin(unit, pool, s, "twin", rng);
    CHECK(twin.report["samples"] == 3000);
    CHECK(twin.report["measure_calls"] == 3);
    CHECK(twin.report["unknowns_per_pixel"] == pib::units::optical_twin_min_samples(config));
    // Fresh inputs: the twin against the measured frames (camera noise and rounding included) and against
    // the noise-free frames of the hidden physics (for the test only: gain |T e|^2 / full scale).
    const Matrix x = uniform_inputs(400, 8, rng);
    Matrix predicted;
    twin.response(x, predicted);
    pib::units::Measurement m;
    unit.measure(x, m, rng);
    CHECK(r_squared(predicted, m.response) > 0.95);
    Matrix e;
    unit.modulator_pattern(x, e);
    const Eigen::MatrixXcd t = unit.transmission_matrix();
    const Eigen::Index pixels = t.cols();
    Eigen::MatrixXcd field_in(x.rows(), pixels);
    if (std::string(encoding) == "phase8")
      field_in = e.leftCols(pixels).cast<std::complex<double>>() +
                 std::complex<double>(0, 1) * e.rightCols(pixels).cast<std::complex<double>>();
    else
      field_in = e.cast<std::complex<double>>();
    const Matrix clean = (field_in * t.transpose()).cwiseAbs2() * (unit.camera_gain_dn() / 255.0);
    CHECK(r_squared(predicted, clean.cwiseMin(1.0)) > 0.97);
    CHECK(twin.report["heldout_r2"].get<double>() > 0.95);
    // The trainable layer: the unit's digital layer on the frame.
    CHECK(twin.layer.input_dim() == 32);
    CHECK(twin.layer.output_dim() == 4);
  }
}

TEST_CASE("an optical twin's budget below its unknowns is a ConfigError naming the key",
          "[units][optical][twin]") {
  nlohmann::json c = small_unit("phase8");
  c["kind"] = "optical";
  CHECK(pib::units::optical_twin_min_samples(c) == 2 * 18 + 1);
  c["encoding"] = "binary";
  c["binary_levels"] = 2;
  c["binary_threshold"] = "median";
  c.erase("input_low");
  c.erase("input_high");
  CHECK(pib::units::optical_twin_min_samples(c) == 2 * 16 + 1);
  OpticalUnit unit(OpticalConfig::from_json(small_unit("amplitude8")), 1);
  Rng rng(2);
  pib::units::TwinSettings s;
  s.samples = 16;  // amplitude8: 8 pixels, 17 needed
  REQUIRE_THROWS_WITH(pib::units::fit_optical_twin(unit, uniform_inputs(10, 8, rng), s, "twin", rng),
                      Catch::Contains("twin.samples") && Catch::Contains(">= 17"));
  CHECK(unit.ledger().measures == 0);  // nothing measured
  REQUIRE_THROWS_WITH(pib::units::TwinSettings::from_json({{"sample", 10}}, "twin"),
                      Catch::Contains("twin") && Catch::Contains("unknown key 'sample'"));
  REQUIRE_THROWS_WITH(pib::units::TwinSettings::from_json({{"epochs", 0}}, "twin"),
                      Catch::Contains("twin.epochs"));
}
