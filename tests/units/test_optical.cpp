#include <algorithm>
#include <cmath>
#include <complex>
#include <set>
#include <string>

#include <Eigen/LU>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/random.hpp"
#include "units/optical.hpp"

using pib::Rng;
using pib::units::Matrix;
using pib::units::Measurement;
using pib::units::OpticalConfig;
using pib::units::OpticalUnit;
using pib::units::Vector;

namespace {

// A fast, exact test configuration: no device time, no noise, a 48-bit camera, float64.
nlohmann::json ideal_config(const std::string& encoding) {
  return {{"input_dim", 6},         {"output_dim", 4},
          {"n_speckle", 64},        {"encoding", encoding},
          {"camera_bits", 48},      {"shot_noise", false},
          {"read_noise_dn", 0.0},   {"camera_calibration_percentile", 100.0},
          {"precision", "float64"}, {"input_low", 0.0},
          {"input_high", 1.0},      {"forward_us_per_sample", 0.0},
          {"deploy_us", 0.0},       {"activation", "tanh"}};
}

OpticalUnit make(const nlohmann::json& config, std::uint64_t seed = 11) {
  return OpticalUnit(OpticalConfig::from_json(config), seed);
}

// Inputs on the 8-bit grid of [0, 1] (so the modulator's rounding is exact), some negative for binary.
Matrix grid_inputs(Eigen::Index n, Eigen::Index d, Rng& rng) {
  Matrix x(n, d);
  for (Eigen::Index i = 0; i < x.size(); ++i)
    x.data()[i] = static_cast<double>(rng.below(256)) / 255.0;
  return x;
}

// The ideal model written independently with std::complex: S = gain |T x|^2 / full_scale, Z = act(S W + b).
void ideal_model(const OpticalUnit& unit, const Matrix& x, Matrix& s, Matrix& z) {
  const auto& c = unit.config();
  const Eigen::MatrixXcd t = unit.transmission_matrix();
  const Eigen::Index m = t.cols();
  const double full_scale = std::ldexp(1.0, c.camera_bits) - 1.0;
  s.resize(x.rows(), c.n_speckle);
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    Eigen::VectorXcd field_in(m);
    for (Eigen::Index j = 0; j < m; ++j) {
      const double v = j < c.input_dim ? x(i, j) : 0.0;
      switch (c.encoding) {
        case pib::units::OpticalEncoding::binary:
          field_in[j] = j < c.input_dim ? (v > 0.0 ? 1.0 : 0.0) : 1.0;
          break;
        case pib::units::OpticalEncoding::amplitude8:
          field_in[j] = j < c.input_dim ? v : 1.0;
          break;
        case pib::units::OpticalEncoding::phase8:
          field_in[j] = std::polar(1.0, M_PI * v);
          break;
      }
    }
    const Eigen::VectorXcd out = t * field_in;
    for (Eigen::Index k = 0; k < c.n_speckle; ++k)
      s(i, k) = unit.camera_gain_dn() * std::norm(out[k]) / full_scale;
  }
  const Vector p = unit.parameters();
  const Eigen::Map<const Matrix> w(p.data(), c.n_speckle, c.output_dim);
  z = (s * w).rowwise() + p.tail(c.output_dim).transpose();
  z = z.array().tanh().matrix();
}

// Largest difference between the measured frames of n samples and gain |T f_i|^2 / full scale (48-bit
// camera), where pixel_field(i, j, q) is the field of sample i on modulator pixel q of feature j (L pixels
// per feature) and the last pixel is a reference pixel at 1.
template <typename PixelField>
double frame_error(const OpticalUnit& unit, const Measurement& m, Eigen::Index n, Eigen::Index d,
                   Eigen::Index L, PixelField pixel_field) {
  const Eigen::MatrixXcd t = unit.transmission_matrix();
  const double full_scale = std::ldexp(1.0, 48) - 1.0;
  double max_error = 0.0;
  for (Eigen::Index i = 0; i < n; ++i) {
    Eigen::VectorXcd field_in = Eigen::VectorXcd::Ones(t.cols());
    for (Eigen::Index j = 0; j < d; ++j)
      for (Eigen::Index q = 0; q < L; ++q)
        field_in[j * L + q] = pixel_field(i, j, q);
    const Eigen::VectorXcd out = t * field_in;
    for (Eigen::Index k = 0; k < t.rows(); ++k)
      max_error = std::max(
          max_error, std::abs(m.response(i, k) - unit.camera_gain_dn() * std::norm(out[k]) / full_scale));
  }
  return max_error;
}

std::string config_error(const nlohmann::json& config) {
  try {
    OpticalConfig::from_json(config);
  } catch (const pib::ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("optical unit without noise and at high resolution equals its ideal model", "[optical]") {
  for (const std::string encoding : {"binary", "amplitude8", "phase8"}) {
    SECTION(encoding) {
      auto config = ideal_config(encoding);
      config["reference_pixels"] = 1;
      OpticalUnit unit = make(config);
      Rng rng(3);
      Matrix x = grid_inputs(40, 6, rng);
      if (encoding == "binary") x.array() -= 0.5;
      unit.calibrate(x);
      Measurement m;
      unit.measure(x, m, rng);
      if (encoding == "binary") x.array() += 0.5;  // the ideal model thresholds at 0.5 instead
      if (encoding == "binary") x = (x.array() > 0.5).select(Matrix::Ones(x.rows(), x.cols()), -1.0);
      Matrix s, z;
      ideal_model(unit, x, s, z);
      CHECK((m.response - s).cwiseAbs().maxCoeff() < 1e-9);
      CHECK((m.output - z).cwiseAbs().maxCoeff() < 1e-9);
      CHECK(m.response.maxCoeff() ==
            Approx(1.0).epsilon(1e-12));  // percentile 100 maps the max to full scale
    }
  }
}

TEST_CASE("optical camera noise matches shot plus read noise", "[optical]") {
  // Variance of one pixel in DN: shot mean_dn * full_scale / full_well (Poisson in electrons), plus
  // read_noise_dn^2, plus 1/12 from rounding to integer DN. Tolerance: 5 % on the pooled ratio.
  for (const double full_well : {10000.0, 100.0}) {  // 100: dim pixels are in the exact-Poisson regime
    auto config = ideal_config("phase8");
    config["camera_bits"] = 8;
    config["shot_noise"] = true;
    config["full_well_e"] = full_well;
    config["read_noise_dn"] = 1.0;
    config["camera_calibration_percentile"] = 99.0;
    OpticalUnit unit = make(config);
    Rng rng(5);
    const Matrix one = grid_inputs(1, 6, rng);
    unit.calibrate(grid_inputs(200, 6, rng));
    Matrix s, z;
    ideal_model(unit, one, s, z);
    const Eigen::Index draws = 3000;
    const Matrix x = one.replicate(draws, 1);
    Measurement m;
    unit.measure(x, m, rng);
    const double full_scale = 255.0;
    double measured = 0.0, expected = 0.0, mean_error = 0.0;
    int pixels = 0;
    for (Eigen::Index k = 0; k < s.cols(); ++k) {
      const double mean_dn = s(0, k) * full_scale;
      if (mean_dn < 5.0 || mean_dn > 240.0) continue;
      const Eigen::ArrayXd dn = m.response.col(k).array() * full_scale;
      const double mean = dn.mean();
      measured += (dn - mean).square().sum() / static_cast<double>(draws - 1);
      expected += mean_dn * full_scale / full_well + 1.0 + 1.0 / 12.0;
      const double expected_var = mean_dn * full_scale / full_well + 1.0 + 1.0 / 12.0;
      mean_error += std::abs(mean - mean_dn) / std::sqrt(expected_var / static_cast<double>(draws));
      ++pixels;
    }
    REQUIRE(pixels > 20);
    CHECK(measured / expected == Approx(1.0).margin(0.05));
    CHECK(mean_error / pixels < 1.1);  // unbiased: mean |z-score| of the pixel means ~ 0.8
  }
}

TEST_CASE("optical camera quantises to 2^bits levels and saturates", "[optical]") {
  auto config = ideal_config("phase8");
  config["camera_bits"] = 3;
  config["camera_calibration_percentile"] = 80.0;
  OpticalUnit unit = make(config);
  Rng rng(9);
  const Matrix x = grid_inputs(300, 6, rng);
  Measurement m;
  unit.measure(x, m, rng);  // calibrates on this batch
  std::set<double> levels;
  for (Eigen::Index i = 0; i < m.response.size(); ++i) {
    const double dn = m.response.data()[i] * 7.0;
    CHECK(std::abs(dn - std::round(dn)) < 1e-12);
    levels.insert(std::round(dn));
  }
  CHECK(levels.size() == 8);
  CHECK(*levels.rbegin() == 7.0);
  // 80th percentile at full scale: about 20 % of the pixels clip at 1.
  const double saturated = (m.response.array() >= 1.0).cast<double>().mean();
  CHECK(saturated == Approx(0.2).margin(0.03));
  CHECK(m.response.maxCoeff() <= 1.0);
}

TEST_CASE("a reference pixel makes a common phase shift visible", "[optical]") {
  Rng rng(13);
  Matrix x = grid_inputs(20, 6, rng) * 0.5;
  x = (x * 255.0).array().round() / 255.0;
  const Matrix shifted = x.array() + 64.0 / 255.0;  // every phase + pi * 64/255, still inside [0, 1]
  for (const int reference : {0, 1}) {
    auto config = ideal_config("phase8");
    config["reference_pixels"] = reference;
    OpticalUnit unit = make(config);
    unit.calibrate(x);
    Measurement a, b;
    unit.measure(x, a, rng);
    unit.measure(shifted, b, rng);
    const double difference = (a.response - b.response).cwiseAbs().maxCoeff();
    if (reference == 0)
      CHECK(difference < 1e-9);  // |T x|^2 is invariant to a global phase
    else
      CHECK(difference > 0.05);
  }
}

TEST_CASE("optical gradient matches finite differences of the digital layer", "[optical]") {
  for (const std::string activation : {"tanh", "none", "relu"}) {
    auto config = ideal_config("phase8");
    config["activation"] = activation;
    config["n_speckle"] = 16;
    config["output_dim"] = 3;
    OpticalUnit unit = make(config);
    Rng rng(17);
    const Matrix x = grid_inputs(5, 6, rng);
    Matrix g(5, 3);
    for (Eigen::Index i = 0; i < g.size(); ++i)
      g.data()[i] = rng.normal();
    Measurement m;
    unit.measure(x, m, rng);
    Vector grad(unit.parameter_count());
    unit.gradient(m, g, grad);
    const Vector p0 = unit.parameters();
    const double h = 1e-6;
    for (Eigen::Index k = 0; k < p0.size(); k += 5) {
      Vector p = p0;
      p[k] += h;
      unit.deploy(p, rng);
      unit.measure(x, m, rng);
      const double up = (m.output.array() * g.array()).sum();
      p[k] -= 2 * h;
      unit.deploy(p, rng);
      unit.measure(x, m, rng);
      const double down = (m.output.array() * g.array()).sum();
      CHECK(grad[k] == Approx((up - down) / (2 * h)).margin(1e-6));
    }
    unit.deploy(p0, rng);
  }
}

TEST_CASE("optical unit is deterministic, clones share the physics, and float32 tracks float64",
          "[optical]") {
  auto config = ideal_config("phase8");
  config["camera_bits"] = 8;
  config["shot_noise"] = true;
  config["read_noise_dn"] = 1.0;
  OpticalUnit a = make(config, 21), b = make(config, 21), other = make(config, 22);
  CHECK_FALSE(a.calibrated());
  Rng data(1);
  const Matrix x = grid_inputs(32, 6, data);
  Rng r1(4), r2(4), r3(4);
  Measurement ma, mb, mc;
  a.measure(x, ma, r1);
  CHECK(a.calibrated());
  b.measure(x, mb, r2);
  CHECK(ma.output == mb.output);
  const auto copy = a.clone();
  copy->measure(x, mc, r3);
  CHECK(mc.output == ma.output);
  Rng r4(4);
  other.measure(x, mc, r4);
  CHECK(mc.response != ma.response);

  config["precision"] = "float32";
  OpticalUnit single = make(config, 21);
  Rng r5(4);
  single.measure(x, mc, r5);
  // A level can flip where float rounding straddles a DN boundary; the digital layer stays close.
  CHECK((mc.response - ma.response).cwiseAbs().maxCoeff() <= 1.0 / 255.0 + 1e-9);
  CHECK((mc.output - ma.output).cwiseAbs().mean() < 1e-3);
}

TEST_CASE("optical drift follows device time, not the wall clock, on a medium clones share", "[optical]") {
  // One device second per sample; the same calls at two emulation speeds drift identically.
  auto run = [](double time_scale) {
    auto config = ideal_config("phase8");
    config["drift_per_s"] = 0.1;
    config["forward_us_per_sample"] = 1e6;
    config["time_scale"] = time_scale;
    OpticalUnit unit = make(config);
    Rng rng(2);
    const Matrix x = grid_inputs(4, 6, rng);
    unit.calibrate(x);
    const Eigen::MatrixXcd before = unit.transmission_matrix();
    Measurement m;
    unit.measure(x, m, rng);  // no device time has passed yet: T unchanged
    CHECK((unit.transmission_matrix() - before).norm() == 0.0);
    unit.measure(x, m, rng);  // 6 device seconds have passed: 6 drift steps
    // A clone is another device on the same medium: it sees the same T, and its device time drifts it too.
    auto copy = unit.clone();
    auto* other = dynamic_cast<OpticalUnit*>(copy.get());
    REQUIRE(other != nullptr);
    CHECK((other->transmission_matrix() - unit.transmission_matrix()).norm() == 0.0);
    const Eigen::MatrixXcd shared = unit.transmission_matrix();
    other->measure(x, m, rng);
    other->measure(x, m, rng);  // the clone's 6 device seconds drift the shared medium
    CHECK((unit.transmission_matrix() - shared).norm() > 0.0);
    return std::pair{before, unit.transmission_matrix()};
  };
  const auto [before, fast] = run(1e9);
  const auto [before_slow, slow] = run(1e6);
  CHECK((fast - before).norm() / before.norm() > 0.05);
  CHECK((fast - slow).norm() == 0.0);
  // The variance of T's entries stays 1 / input_dim.
  CHECK(fast.cwiseAbs2().mean() == Approx(2.0 / 6.0).epsilon(0.25));
}

TEST_CASE("optical camera faults: a broken pixel readout reads a constant or noise", "[optical]") {
  OpticalUnit unit = make(ideal_config("phase8"));
  Rng rng(3);
  const Matrix x = grid_inputs(4, 6, rng);
  unit.calibrate(x);
  Measurement healthy, broken;
  unit.measure(x, healthy, rng);
  unit.inject_faults({{"adc_channels",
                       {{{"channel", 2}, {"mode", "zero"}},
                        {{"channel", 5}, {"mode", "full_scale"}},
                        {{"channel", 7}, {"mode", "noise"}}}}},
                     rng);
  unit.measure(x, broken, rng);
  CHECK(healthy.response.col(2).maxCoeff() > 0.0);
  CHECK(broken.response.col(2).cwiseAbs().maxCoeff() == 0.0);
  CHECK(broken.response.col(5).minCoeff() == 1.0);
  CHECK(broken.response.col(7).maxCoeff() > broken.response.col(7).minCoeff());
  // The other pixels are untouched (the ideal camera is noise-free).
  CHECK((broken.response.col(3) - healthy.response.col(3)).norm() == 0.0);
  // A clone is the same broken device.
  auto copy = unit.clone();
  Measurement cloned;
  copy->measure(x, cloned, rng);
  CHECK(cloned.response.col(5).minCoeff() == 1.0);
  CHECK_THROWS_AS(unit.inject_faults({{"adc_channels", {{{"channel", 100000}}}}}, rng), pib::ConfigError);
  CHECK_THROWS_AS(unit.inject_faults({{"stuck", 1}}, rng), pib::ConfigError);
}

TEST_CASE("optical config errors name the key", "[optical]") {
  auto base = ideal_config("phase8");
  auto with = [&](const std::string& key, const nlohmann::json& value) {
    auto c = base;
    c[key] = value;
    return config_error(c);
  };
  CHECK(with("camera_bits", 0).find("camera_bits") != std::string::npos);
  CHECK(with("n_speckle", -3).find("n_speckle") != std::string::npos);
  CHECK(with("encoding", "holographic").find("encoding") != std::string::npos);
  CHECK(with("full_well_e", 0).find("full_well_e") != std::string::npos);
  CHECK(with("read_noise_dn", -1).find("read_noise_dn") != std::string::npos);
  CHECK(with("forward_us_per_sample", -1).find("forward_us_per_sample") != std::string::npos);
  CHECK(with("input_low", nlohmann::json::array({0, 1})).find("input_low") != std::string::npos);
  CHECK(with("camera_calibration_percentile", 0).find("camera_calibration_percentile") != std::string::npos);
  CHECK(with("speckle", 10).find("speckle") != std::string::npos);
  CHECK(with("precision", "half").find("precision") != std::string::npos);
  CHECK(with("binary_levels", 3).find("binary_levels") != std::string::npos);  // phase8: one level only
  auto binary = ideal_config("binary");
  binary["binary_levels"] = 0;
  binary["binary_threshold"] = "median";
  CHECK(config_error(binary).find("binary_levels") != std::string::npos);
  binary["binary_levels"] = 2;
  binary["binary_threshold"] = "zero";
  CHECK(config_error(binary).find("binary_levels") != std::string::npos);
}

TEST_CASE("binary_levels: a thermometer code at the calibration quantiles drives L DMD pixels per feature",
          "[optical]") {
  const Eigen::Index levels = 3, d = 6, n = 40;
  auto config = ideal_config("binary");
  config["binary_levels"] = levels;
  config["binary_threshold"] = "median";
  config["reference_pixels"] = 1;
  OpticalUnit unit = make(config);
  REQUIRE(unit.transmission_matrix().cols() == d * levels + 1);
  Rng rng(8);
  const Matrix x = grid_inputs(n, d, rng);
  unit.calibrate(x);
  Measurement m;
  unit.measure(x, m, rng);
  // Thresholds by nearest rank: the ceil(n (q+1)/(L+1))-th smallest value of feature j.
  Matrix threshold(d, levels);
  for (Eigen::Index j = 0; j < d; ++j) {
    std::vector<double> column(x.col(j).begin(), x.col(j).end());
    std::sort(column.begin(), column.end());
    for (Eigen::Index q = 0; q < levels; ++q) {
      const auto rank = static_cast<std::size_t>(std::ceil(static_cast<double>(n * (q + 1)) / (levels + 1)));
      threshold(j, q) = column[rank - 1];
    }
  }
  CHECK(frame_error(unit, m, n, d, levels, [&](Eigen::Index i, Eigen::Index j, Eigen::Index q) {
          return std::complex<double>(x(i, j) > threshold(j, q) ? 1.0 : 0.0);
        }) < 1e-9);
  // One level with median thresholds is the plain binary encoding.
  config["binary_levels"] = 1;
  CHECK(make(config).transmission_matrix().cols() == d + 1);
}

TEST_CASE("phase_harmonics: feature j drives H SLM pixels at 1..H times its phase", "[optical]") {
  const Eigen::Index harmonics = 3, d = 6, n = 40;
  auto config = ideal_config("phase8");
  config["phase_harmonics"] = harmonics;
  config["reference_pixels"] = 1;
  OpticalUnit unit = make(config);
  REQUIRE(unit.transmission_matrix().cols() == d * harmonics + 1);
  Rng rng(5);
  const Matrix x = grid_inputs(n, d, rng);  // on the 8-bit grid: the modulator's rounding is exact
  unit.calibrate(x);
  Measurement m;
  unit.measure(x, m, rng);
  CHECK(frame_error(unit, m, n, d, harmonics, [&](Eigen::Index i, Eigen::Index j, Eigen::Index h) {
          return std::polar(1.0, static_cast<double>(h + 1) * M_PI * x(i, j));
        }) < 1e-9);
  // The frames carry more than one pixel per feature does: with two features and a reference pixel, the
  // intensities of one harmonic span 1 + 2 C(3, 2) = 7 functions, with three harmonics more.
  auto rank_of_frames = [&](Eigen::Index h) {
    auto c = ideal_config("phase8");
    c["input_dim"] = 2;
    c["phase_harmonics"] = h;
    c["n_speckle"] = 64;
    OpticalUnit u = make(c);
    const Matrix x2 = grid_inputs(200, 2, rng);
    u.calibrate(x2);
    Measurement frames;
    u.measure(x2, frames, rng);
    Eigen::FullPivLU<Matrix> lu(frames.response);
    lu.setThreshold(1e-9);
    return lu.rank();
  };
  CHECK(rank_of_frames(1) == 7);
  CHECK(rank_of_frames(3) > 20);
  auto with_harmonics = [](const std::string& encoding, int h) {
    auto c = ideal_config(encoding);
    c["phase_harmonics"] = h;
    return c;
  };
  CHECK(config_error(with_harmonics("binary", 2)).find("phase_harmonics") != std::string::npos);
  CHECK(config_error(with_harmonics("phase8", 0)).find("phase_harmonics") != std::string::npos);
}

TEST_CASE("optical timing defaults follow the encoding", "[optical]") {
  const auto binary = OpticalConfig::from_json({{"input_dim", 2}, {"output_dim", 2}, {"encoding", "binary"}});
  CHECK(binary.timing.forward_us_per_sample == 500.0);
  CHECK(binary.timing.deploy_us == 500.0);
  CHECK(binary.reference_pixels == 0);
  const auto phase = OpticalConfig::from_json({{"input_dim", 2}, {"output_dim", 2}});
  CHECK(phase.timing.forward_us_per_sample == 16667.0);
  CHECK(phase.reference_pixels == 1);
  CHECK(phase.n_speckle == 1024);
}
