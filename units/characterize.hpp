#pragma once
// `pib device characterize`: program a weight matrix, read the device repeatedly and report the statistics a
// user matches against histograms measured on a real chip (issue 4). The library function returns a struct
// both unit families fill; the command prints its to_json().
//
// Dispatch on the config's "kind":
//  * memristor_* kinds: characterize_memristor (declared in units/memristor.hpp, implemented by the crossbar
//    code in units/memristor_characterize.cpp) does the work; its JSON fills the struct (every key it reports
//    is kept under details and in to_json()). It programs its own random matrix ("parameters" is not used).
//  * optical, digital_dense (and any other kind): the generic path below.
//
// Generic path (optical, digital): deploy the config's "parameters" (a flat array, if given; removed before
// the unit is built) or a random matrix (W uniform in [-1, 1] / sqrt(fan_in), b = 0) drawn from `seed`;
// calibrate an optical unit on 256 random inputs (uniform in [-1, 1]); measure another 256 (saturation,
// levels used, device time); then measure one fixed input `reads` times. For optics the observed quantity is
// each camera pixel's intensity (the response, in DN); for a digital unit the output.
//   read_noise_rel             mean over observed channels with mean >= 1 DN (optics) / |mean| > 0 of
//   std/mean read_noise_rel_expected    (optics) the same from the configured model: sqrt(mean * 2^b-1 /
//   full_well_e
//                              + read_noise_dn^2 + 1/12) / mean
//   full_well_e_fit, read_noise_dn_fit  (optics, shot noise on) from the linear fit var = a + mean (2^b-1)/fw
//   levels, levels_used        2^camera_bits and the distinct DN values seen (optics)
//   camera_saturation_fraction pixels at full scale in the random batch (optics)
//   measure_us_per_sample, deploy_us  device time (not scaled) of one sample and of the deploy
//   faults                     {"affected_channels": [...]} output channels constant over the random batch
//                              (optics and digital units have no fault model, so normally empty)

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace pib::units {

struct DeviceCharacterization {
  std::string kind;
  int reads = 0;
  double read_noise_rel = 0.0;
  std::optional<double> program_error_uS_rms;        // crossbars
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

}  // namespace pib::units
