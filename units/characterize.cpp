#include "units/characterize.hpp"

#include <chrono>
#include <cmath>
#include <string>

#include "common/error.hpp"
#include "common/random.hpp"
#include "units/registry.hpp"

namespace pib::units {

Matrix uniform_batch(Eigen::Index n, Eigen::Index d, Rng& rng) {
  Matrix x(n, d);
  for (Eigen::Index i = 0; i < x.size(); ++i)
    x.data()[i] = rng.uniform(-1.0, 1.0);
  return x;
}

Matrix deploy_calibrate_measure(Unit& unit, const nlohmann::json& parameters, Rng& rng,
                                DeviceCharacterization& c, Measurement& m) {
  // 1. Program the weights: the config's, or a random matrix.
  Vector p(unit.parameter_count());
  if (!parameters.is_null()) {
    if (!parameters.is_array() || static_cast<Eigen::Index>(parameters.size()) != p.size())
      raise<ConfigError>("parameters: expected an array of ", p.size(), " numbers");
    for (Eigen::Index k = 0; k < p.size(); ++k)
      p[k] = parameters[static_cast<std::size_t>(k)].get<double>();
  } else {
    const Eigen::Index fan_in = (p.size() - unit.output_dim()) / unit.output_dim();
    const double scale = 1.0 / std::sqrt(static_cast<double>(fan_in));
    for (Eigen::Index k = 0; k < p.size(); ++k)
      p[k] = rng.uniform(-scale, scale);
    p.tail(unit.output_dim()).setZero();
  }
  const double deploy_before = unit.ledger().deploy_us;
  unit.deploy(p, rng);
  c.deploy_us = unit.ledger().deploy_us - deploy_before;

  // 2. Calibrate, then a random batch: device time per sample, channels read constant.
  const Eigen::Index n = 256;
  unit.calibrate(uniform_batch(n, unit.input_dim(), rng), rng);
  Matrix batch = uniform_batch(n, unit.input_dim(), rng);
  const double measure_before = unit.ledger().measure_us;
  const auto wall_start = std::chrono::steady_clock::now();
  unit.measure(batch, m, rng);
  const double wall_us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - wall_start).count();
  c.measure_us_per_sample = (unit.ledger().measure_us - measure_before) / static_cast<double>(n);
  c.details["simulation_wall_us_per_sample"] = wall_us / static_cast<double>(n);
  nlohmann::json affected = nlohmann::json::array();
  for (Eigen::Index j = 0; j < m.output.cols(); ++j)
    if (m.output.col(j).maxCoeff() == m.output.col(j).minCoeff()) affected.push_back(j);
  c.faults["affected_channels"] = affected;
  return batch;
}

namespace {

// The generic path (see the header): the output's relative read noise at one fixed input.
DeviceCharacterization characterize_generic(Unit& unit, const nlohmann::json& parameters, std::uint64_t seed,
                                            int reads) {
  Rng rng = Rng::derive(seed, Stream::measure);
  DeviceCharacterization c;
  c.kind = unit.kind();
  c.reads = reads;
  Measurement m;
  const Matrix batch = deploy_calibrate_measure(unit, parameters, rng, c, m);
  unit.measure(batch.topRows(1).replicate(reads, 1), m, rng);
  const double k = static_cast<double>(reads);
  double rel_sum = 0.0;
  int channels = 0;
  for (Eigen::Index j = 0; j < m.output.cols(); ++j) {
    const double mean = m.output.col(j).mean();
    if (!(std::abs(mean) > 0.0)) continue;
    const double var = (m.output.col(j).array() - mean).square().sum() / (k - 1.0);
    rel_sum += std::sqrt(var) / std::abs(mean);
    ++channels;
  }
  c.read_noise_rel = channels > 0 ? rel_sum / channels : 0.0;
  return c;
}

}  // namespace

nlohmann::json DeviceCharacterization::to_json() const {
  nlohmann::json j = details;
  j["kind"] = kind;
  j["reads"] = reads;
  j["read_noise_rel"] = read_noise_rel;
  if (program_error_stochastic_uS_rms)
    j["program_error_stochastic_uS_rms"] = *program_error_stochastic_uS_rms;
  if (program_error_systematic_uS_rms)
    j["program_error_systematic_uS_rms"] = *program_error_systematic_uS_rms;
  j["levels"] = levels ? nlohmann::json(*levels) : nlohmann::json(nullptr);
  if (adc_saturation_fraction) j["adc_saturation_fraction"] = *adc_saturation_fraction;
  if (camera_saturation_fraction) j["camera_saturation_fraction"] = *camera_saturation_fraction;
  j["measure_us_per_sample"] = measure_us_per_sample;
  j["deploy_us"] = deploy_us;
  j["faults"] = faults;
  return j;
}

DeviceCharacterization characterize_unit(const nlohmann::json& config, std::uint64_t seed, int reads) {
  if (reads < 2) raise<InvalidArgument>("characterize: reads must be >= 2, got ", reads);
  if (!config.is_object()) raise<ConfigError>("unit config: expected a JSON object, got ", config.dump());
  nlohmann::json unit_config = config;
  nlohmann::json parameters;
  if (unit_config.contains("parameters")) {
    parameters = unit_config.at("parameters");
    unit_config.erase("parameters");
  }
  const UnitKind record = unit_kind_of(unit_config, "");
  auto unit = make_unit(unit_config, seed);
  if (record.characterize) return record.characterize(*unit, parameters, seed, reads);
  return characterize_generic(*unit, parameters, seed, reads);
}

}  // namespace pib::units
