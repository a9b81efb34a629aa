#pragma once
// Faults every unit kind describes the same way (DESIGN.md 3.2): a broken ADC channel reads a constant 0,
// its full scale, or noise. For a crossbar the channel is a column's ADC; for an optical unit it is a camera
// pixel's readout. JSON: {"adc_channels": [{"channel": 3, "mode": "zero" | "full_scale" | "noise"}]}.

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "common/random.hpp"

namespace pib::units {

enum class AdcFaultMode : std::int8_t { none = 0, zero = 1, full_scale = 2, noise = 3 };

// "zero" | "full_scale" | "noise"; anything else throws ConfigError naming `key_path`.
AdcFaultMode parse_adc_fault_mode(const std::string& name, const std::string& key_path);
std::string to_string(AdcFaultMode mode);

struct AdcChannelFault {
  Eigen::Index channel = 0;  // output channel of the measuring ADC (crossbar column, camera pixel)
  AdcFaultMode mode = AdcFaultMode::zero;
};

// Reads an "adc_channels" array (null: none); `path` names it in errors. Channels are checked >= 0 here and
// against the unit's channel count by `validate_adc_channels`.
std::vector<AdcChannelFault> parse_adc_channel_faults(const nlohmann::json& channels,
                                                      const std::string& path);
// The same for a unit with `channel_count` channels, also taking the random form
// {"fraction": f, "mode": m}: round(f x channel_count) channels (at least one), chosen without repetition by
// `rng`. Every channel is validated against `channel_count`.
std::vector<AdcChannelFault> parse_adc_channel_faults(const nlohmann::json& channels, const std::string& path,
                                                      Eigen::Index channel_count, Rng& rng);
void validate_adc_channels(const std::vector<AdcChannelFault>& faults, Eigen::Index channels,
                           const std::string& path);

// A copy of a kind's fault JSON whose random form {"adc_channels": {"fraction": f, "mode": m}} is replaced by
// the explicit channels it chooses (as parse_adc_channel_faults above) for a unit of `channel_count`
// channels.
nlohmann::json with_explicit_adc_channels(const nlohmann::json& faults, Eigen::Index channel_count, Rng& rng);

// A fault injected into one unit of a network: `inject` is the unit kind's fault JSON (every kind with a
// fault model takes {"adc_channels": ...} as above; crossbars also stuck cells). The one schema of every
// config's "faults" array, e.g. [{"at_step": 60000, "unit": 0, "inject": {"adc_channels": [...]}}]. pib rl
// injects a fault once the run reaches `at_step` environment steps; pib train injects every listed fault
// into the trained devices (no at_step).
struct FaultEvent {
  std::int64_t at_step = 0;
  int unit = 0;
  nlohmann::json inject;
};

// Reads a "faults" array (null: none) for a network of `unit_count` units; `timed` requires at_step (in
// non-decreasing order), otherwise at_step is an unknown key. ConfigError naming the key on bad input.
std::vector<FaultEvent> read_fault_events(const nlohmann::json& json, const std::string& path,
                                          std::size_t unit_count, bool timed);
nlohmann::json to_json(const std::vector<FaultEvent>& faults, bool timed);

}  // namespace pib::units
