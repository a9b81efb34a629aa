#pragma once
// Faults every unit kind describes the same way (DESIGN.md 3.2): a broken ADC channel reads a constant 0,
// its full scale, or noise. For a crossbar the channel is a column's ADC; for an optical unit it is a camera
// pixel's readout. JSON: {"adc_channels": [{"channel": 3, "mode": "zero" | "full_scale" | "noise"}]}.

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

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
void validate_adc_channels(const std::vector<AdcChannelFault>& faults, Eigen::Index channels,
                           const std::string& path);

}  // namespace pib::units
