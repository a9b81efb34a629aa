#pragma once
// `pib device characterize`: program a weight matrix, read the device repeatedly and report the statistics a
// user matches against histograms measured on a real chip (issue 4). The library function returns a struct
// every kind fills; the command prints its to_json().
//
// Dispatch: the kind's registry record (UnitKind::characterize, units/registry.hpp) if it has one — the
// crossbar kinds (units/memristor_characterize.cpp) and optics (units/optical_characterize.cpp) do —,
// otherwise the generic path. The config's "parameters" (a flat array, if given) is removed before the unit
// is built and handed to the characterizer.
//
// Generic path (digital, and kinds without a characterizer): deploy_calibrate_measure below, then measure
// one fixed input `reads` times; read_noise_rel is the mean over output channels with |mean| > 0 of
// std/|mean|. The kinds' own keys are documented with their characterizers; every report has
//   kind, reads, read_noise_rel, levels (null if none), measure_us_per_sample, deploy_us (device time, not
//   scaled), simulation_wall_us_per_sample, faults {"affected_channels": [...]} (channels read constant).

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/random.hpp"
#include "units/unit.hpp"

namespace pib::units {

struct DeviceCharacterization {
  std::string kind;
  int reads = 0;
  double read_noise_rel = 0.0;
  // Crossbars: the programming error split into its two parts (units/memristor_characterize.cpp).
  std::optional<double> program_error_stochastic_uS_rms;  // redrawn at every programming (prog_sigma_uS)
  std::optional<double> program_error_systematic_uS_rms;  // fixed per device (the chip's d2d variation)
  std::optional<double> levels;                      // conductance states or camera levels; none for digital
  std::optional<double> adc_saturation_fraction;     // crossbars
  std::optional<double> camera_saturation_fraction;  // optics
  double measure_us_per_sample = 0.0;
  double deploy_us = 0.0;
  nlohmann::json faults = nlohmann::json::object();
  nlohmann::json details = nlohmann::json::object();  // everything else the kind reports

  // details, overlaid with the common keys (absent optionals are left out).
  nlohmann::json to_json() const;
};

// Throws ConfigError for a bad config (as make_unit), InvalidArgument if reads < 2.
DeviceCharacterization characterize_unit(const nlohmann::json& config, std::uint64_t seed, int reads = 64);

// ---- Shared steps for characterizers -------------------------------------------------------------------

// n x d, uniform in [-1, 1].
Matrix uniform_batch(Eigen::Index n, Eigen::Index d, Rng& rng);

// Deploys `parameters` (a flat array of parameter_count numbers, ConfigError otherwise; null: W uniform in
// [-1, 1] / sqrt(fan_in), b = 0, from rng), calibrates the unit on 256 random inputs and measures another
// 256 into `m`. Fills c.deploy_us, c.measure_us_per_sample, details.simulation_wall_us_per_sample and
// faults.affected_channels (output channels constant over the batch). Returns the measured batch.
Matrix deploy_calibrate_measure(Unit& unit, const nlohmann::json& parameters, Rng& rng,
                                DeviceCharacterization& c, Measurement& m);

}  // namespace pib::units
