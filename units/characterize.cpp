#include "units/characterize.hpp"

#include <chrono>
#include <cmath>
#include <set>
#include <string>

#include "common/error.hpp"
#include "common/random.hpp"
#include "units/memristor.hpp"
#include "units/optical.hpp"
#include "units/registry.hpp"

namespace pib::units {
namespace {

DeviceCharacterization from_memristor_json(const nlohmann::json& j) {
  DeviceCharacterization c;
  c.kind = j.value("kind", std::string());
  c.reads = j.value("reads", 0);
  c.read_noise_rel = j.value("read_noise_rel", 0.0);
  if (j.contains("program_error_uS_rms")) c.program_error_uS_rms = j.at("program_error_uS_rms").get<double>();
  if (j.contains("levels")) c.levels = j.at("levels").get<double>();
  if (j.contains("adc_saturation_fraction"))
    c.adc_saturation_fraction = j.at("adc_saturation_fraction").get<double>();
  c.measure_us_per_sample = j.value("measure_us_per_sample", 0.0);
  c.deploy_us = j.value("deploy_us", 0.0);
  if (j.contains("faults")) c.faults = j.at("faults");
  c.details = j;
  return c;
}

Matrix uniform_batch(Eigen::Index n, Eigen::Index d, Rng& rng) {
  Matrix x(n, d);
  for (Eigen::Index i = 0; i < x.size(); ++i)
    x.data()[i] = rng.uniform(-1.0, 1.0);
  return x;
}

DeviceCharacterization characterize_generic(Unit& unit, const nlohmann::json& parameters, std::uint64_t seed,
                                            int reads) {
  Rng rng(seed);
  DeviceCharacterization c;
  c.kind = unit.kind();
  c.reads = reads;
  auto* optical = dynamic_cast<OpticalUnit*>(&unit);

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

  // 2. Calibrate (optics), then a random batch: saturation, levels used, device time per sample.
  const Eigen::Index n = 256;
  if (optical != nullptr) optical->calibrate(uniform_batch(n, unit.input_dim(), rng));
  const Matrix batch = uniform_batch(n, unit.input_dim(), rng);
  Measurement m;
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

  double full_scale = 1.0;
  if (optical != nullptr) {
    const OpticalConfig& oc = optical->config();
    full_scale = std::ldexp(1.0, oc.camera_bits) - 1.0;
    c.levels = full_scale + 1.0;
    c.camera_saturation_fraction = (m.response.array() >= 1.0).cast<double>().mean();
    std::set<double> used;
    for (Eigen::Index i = 0; i < m.response.size(); ++i)
      used.insert(m.response.data()[i]);
    c.details["levels_used"] = used.size();
    c.details["encoding"] = oc.encoding_name();
    c.details["n_speckle"] = oc.n_speckle;
    c.details["camera_bits"] = oc.camera_bits;
    c.details["full_well_e"] = oc.full_well_e;
    c.details["read_noise_dn"] = oc.read_noise_dn;
    c.details["shot_noise"] = oc.shot_noise;
    c.details["camera_gain_dn"] = optical->camera_gain_dn();
  }

  // 3. One fixed input, `reads` times: per-channel relative std (optics: pixel intensity in DN).
  const Matrix fixed = batch.topRows(1).replicate(reads, 1);
  unit.measure(fixed, m, rng);
  const Matrix observed = optical != nullptr ? Matrix(m.response * full_scale) : m.output;
  const double k = static_cast<double>(reads);
  double rel_sum = 0.0, expected_sum = 0.0;
  int channels = 0;
  double sx = 0, sy = 0, sxx = 0, sxy = 0;  // least squares var = a + b mean over unsaturated pixels
  int fit_points = 0;
  for (Eigen::Index j = 0; j < observed.cols(); ++j) {
    const double mean = observed.col(j).mean();
    const double var = (observed.col(j).array() - mean).square().sum() / (k - 1.0);
    const bool use = optical != nullptr ? mean >= 1.0 : std::abs(mean) > 0.0;
    if (!use) continue;
    rel_sum += std::sqrt(var) / std::abs(mean);
    ++channels;
    if (optical != nullptr) {
      const OpticalConfig& oc = optical->config();
      const double shot = oc.shot_noise ? mean * full_scale / oc.full_well_e : 0.0;
      expected_sum += std::sqrt(shot + oc.read_noise_dn * oc.read_noise_dn + 1.0 / 12.0) / mean;
      if (mean < full_scale - 3.0 * std::sqrt(var) - 1.0) {
        sx += mean;
        sy += var;
        sxx += mean * mean;
        sxy += mean * var;
        ++fit_points;
      }
    }
  }
  c.read_noise_rel = channels > 0 ? rel_sum / channels : 0.0;
  if (optical != nullptr) {
    c.details["read_noise_rel_expected"] = channels > 0 ? expected_sum / channels : 0.0;
    const double denom = fit_points * sxx - sx * sx;
    if (fit_points >= 3 && denom > 0.0 && optical->config().shot_noise) {
      const double slope = (fit_points * sxy - sx * sy) / denom;
      const double intercept = (sy - slope * sx) / fit_points;
      c.details["full_well_e_fit"] =
          slope > 0.0 ? nlohmann::json(full_scale / slope) : nlohmann::json(nullptr);
      c.details["read_noise_dn_fit"] = std::sqrt(std::max(0.0, intercept - 1.0 / 12.0));
    }
  }
  return c;
}

}  // namespace

nlohmann::json DeviceCharacterization::to_json() const {
  nlohmann::json j = details;
  j["kind"] = kind;
  j["reads"] = reads;
  j["read_noise_rel"] = read_noise_rel;
  if (program_error_uS_rms) j["program_error_uS_rms"] = *program_error_uS_rms;
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
  auto unit = make_unit(unit_config, seed);
  if (unit->kind().rfind("memristor", 0) == 0)
    return from_memristor_json(characterize_memristor(*unit, seed, reads));
  return characterize_generic(*unit, parameters, seed, reads);
}

}  // namespace pib::units
