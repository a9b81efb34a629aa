// The optical kind's config reader and registry record; the unit itself is in units/optical.cpp.
#include <string>
#include <vector>

#include "common/config.hpp"
#include "common/error.hpp"
#include "units/optical.hpp"
#include "units/unit_config.hpp"

namespace pib::units {
namespace {

std::vector<double> number_or_array(const nlohmann::json& value, Eigen::Index n, const std::string& key) {
  if (value.is_null()) return {};
  if (value.is_number()) return std::vector<double>(static_cast<std::size_t>(n), value.get<double>());
  if (value.is_array()) {
    std::vector<double> out;
    for (const auto& v : value) {
      if (!v.is_number()) raise<ConfigError>(key, ": expected numbers, got ", value.dump());
      out.push_back(v.get<double>());
    }
    if (static_cast<Eigen::Index>(out.size()) != n)
      raise<ConfigError>(key, ": ", out.size(), " values given, expected input_dim = ", n);
    return out;
  }
  raise<ConfigError>(key, ": expected a number or an array of input_dim numbers, got ", value.dump());
}

}  // namespace

// ---- OpticalConfig ------------------------------------------------------------------------------------

std::string OpticalConfig::encoding_name() const {
  switch (encoding) {
    case OpticalEncoding::binary:
      return "binary";
    case OpticalEncoding::phase8:
      return "phase8";
    case OpticalEncoding::amplitude8:
      return "amplitude8";
  }
  return "phase8";
}

OpticalConfig OpticalConfig::from_json(const nlohmann::json& json, const std::string& path) {
  OpticalConfig c;
  ConfigReader r(json, path);
  std::string encoding = c.encoding_name();
  r.get("encoding", encoding);
  if (encoding == "binary") {
    c.encoding = OpticalEncoding::binary;
  } else if (encoding == "phase8") {
    c.encoding = OpticalEncoding::phase8;
  } else if (encoding == "amplitude8") {
    c.encoding = OpticalEncoding::amplitude8;
  } else {
    raise<ConfigError>(r.key_path("encoding"), ": unknown encoding '", encoding,
                       "' (expected binary, phase8 or amplitude8)");
  }
  // Encoding-dependent defaults: a DMD runs at 2 kHz, an SLM at 60 Hz; a deploy refreshes one frame; only a
  // phase encoding needs a reference pixel.
  const double frame_us = c.encoding == OpticalEncoding::binary ? 500.0 : 16667.0;
  const UnitBasics b = read_unit_basics(r, {.activation = c.activation, .timing = {frame_us, frame_us, 1.0}});
  c.input_dim = b.input_dim;
  c.output_dim = b.output_dim;
  c.activation = b.activation;
  c.init = b.init;
  c.timing = b.timing;
  c.reference_pixels = c.encoding == OpticalEncoding::phase8 ? 1 : 0;

  std::string threshold = "zero";
  r.get("binary_threshold", threshold);
  if (threshold != "zero" && threshold != "median")
    raise<ConfigError>(r.key_path("binary_threshold"), ": '", threshold, "' (expected zero or median)");
  c.binary_threshold_median = threshold == "median";
  c.binary_median = number_or_array(r.child("binary_median"), c.input_dim, r.key_path("binary_median"));
  r.get("binary_levels", c.binary_levels);
  r.get("phase_harmonics", c.phase_harmonics);
  c.input_low = number_or_array(r.child("input_low"), c.input_dim, r.key_path("input_low"));
  c.input_high = number_or_array(r.child("input_high"), c.input_dim, r.key_path("input_high"));
  r.get("reference_pixels", c.reference_pixels);
  r.get("n_speckle", c.n_speckle);
  r.get("camera_bits", c.camera_bits);
  r.get("camera_calibration_percentile", c.camera_calibration_percentile);
  r.get("full_well_e", c.full_well_e);
  r.get("shot_noise", c.shot_noise);
  r.get("read_noise_dn", c.read_noise_dn);
  r.get("drift_per_s", c.drift_per_s);
  std::string precision = "float32";
  r.get("precision", precision);
  if (precision != "float32" && precision != "float64")
    raise<ConfigError>(r.key_path("precision"), ": '", precision, "' (expected float32 or float64)");
  c.single_precision = precision == "float32";
  r.finish();
  c.validate(path);
  return c;
}

void OpticalConfig::validate(const std::string& path) const {
  const auto key = [&](const char* name) { return path.empty() ? std::string(name) : path + "." + name; };
  require_config(input_dim > 0, key("input_dim"), input_dim, "> 0");
  require_config(output_dim > 0, key("output_dim"), output_dim, "> 0");
  require_config(init == "auto" || init == "he" || init == "glorot", key("init"), init, "auto, he or glorot");
  require_config(reference_pixels >= 0, key("reference_pixels"), reference_pixels, ">= 0");
  require_config(n_speckle > 0, key("n_speckle"), n_speckle, "> 0");
  require_config(camera_bits >= 1 && camera_bits <= 52, key("camera_bits"), camera_bits, "in [1, 52]");
  require_config(camera_calibration_percentile > 0.0 && camera_calibration_percentile <= 100.0,
                 key("camera_calibration_percentile"), camera_calibration_percentile, "in (0, 100]");
  require_config(full_well_e > 0.0, key("full_well_e"), full_well_e, "> 0");
  require_config(read_noise_dn >= 0.0, key("read_noise_dn"), read_noise_dn, ">= 0");
  require_config(drift_per_s >= 0.0 && drift_per_s <= 1.0, key("drift_per_s"), drift_per_s, "in [0, 1]");
  require_config(input_low.size() == input_high.size(), key("input_low"), input_low.size(),
                 "values only together with input_high");
  for (std::size_t j = 0; j < input_low.size(); ++j)
    require_config(input_high[j] > input_low[j], key("input_high"), input_high[j],
                   "> input_low for every feature");
  if (!binary_median.empty())
    require_config(encoding == OpticalEncoding::binary && binary_threshold_median && binary_levels == 1,
                   key("binary_median"), "given",
                   "only with encoding binary, binary_threshold median and binary_levels 1");
  require_config(binary_levels >= 1, key("binary_levels"), binary_levels, ">= 1");
  if (binary_levels > 1)
    require_config(encoding == OpticalEncoding::binary && binary_threshold_median, key("binary_levels"),
                   binary_levels, "1 unless encoding is binary with binary_threshold median");
  require_config(phase_harmonics >= 1 && phase_harmonics <= 64, key("phase_harmonics"), phase_harmonics,
                 "in [1, 64]");
  if (phase_harmonics > 1)
    require_config(encoding == OpticalEncoding::phase8, key("phase_harmonics"), phase_harmonics,
                   "1 unless encoding is phase8");
  validate_timing(timing, path);
}

std::unique_ptr<Unit> make_optical_unit(const nlohmann::json& config, std::uint64_t seed) {
  return std::make_unique<OpticalUnit>(OpticalConfig::from_json(config, "optical"), seed);
}

Eigen::Index OpticalConfig::pattern_features() const {
  const Eigen::Index m = modulator_inputs() + reference_pixels;
  return encoding == OpticalEncoding::phase8 ? 2 * m : m;
}

UnitKind optical_kind() {
  UnitKind k;
  k.make = &make_optical_unit;
  k.input_size = InputSize::key;
  k.characterize = &characterize_optical;
  k.has_fault_model = true;
  k.twin = {&optical_twin_min_samples, &fit_optical_twin};
  k.bound_input = [](nlohmann::json& c) {  // binary encoding thresholds instead of scaling to a range
    if (c.value("encoding", "phase8") != "binary" && !c.contains("input_low") && !c.contains("input_high")) {
      c["input_low"] = -1.0;
      c["input_high"] = 1.0;
    }
  };
  return k;
}

}  // namespace pib::units
