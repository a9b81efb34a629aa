#include "units/fault.hpp"

#include "common/config.hpp"
#include "common/error.hpp"

namespace pib::units {

AdcFaultMode parse_adc_fault_mode(const std::string& name, const std::string& key_path) {
  if (name == "zero") return AdcFaultMode::zero;
  if (name == "full_scale") return AdcFaultMode::full_scale;
  if (name == "noise") return AdcFaultMode::noise;
  raise<ConfigError>(key_path, ": expected \"zero\", \"full_scale\" or \"noise\", got \"", name, "\"");
}

std::string to_string(AdcFaultMode mode) {
  switch (mode) {
    case AdcFaultMode::none:
      return "none";
    case AdcFaultMode::zero:
      return "zero";
    case AdcFaultMode::full_scale:
      return "full_scale";
    case AdcFaultMode::noise:
      return "noise";
  }
  return "none";
}

std::vector<AdcChannelFault> parse_adc_channel_faults(const nlohmann::json& channels,
                                                      const std::string& path) {
  std::vector<AdcChannelFault> faults;
  if (channels.is_null()) return faults;
  if (!channels.is_array()) raise<ConfigError>(path, ": expected an array, got ", channels.dump());
  for (std::size_t k = 0; k < channels.size(); ++k) {
    const std::string item_path = path + "[" + std::to_string(k) + "]";
    ConfigReader item(channels[k], item_path);
    std::int64_t channel = -1;
    std::string mode = "zero";
    item.get("channel", channel);
    item.get("mode", mode);
    item.finish();
    if (!item.has("channel")) raise<ConfigError>(item_path, ".channel: required");
    require_config(channel >= 0, item_path + ".channel", channel, ">= 0");
    faults.push_back({channel, parse_adc_fault_mode(mode, item_path + ".mode")});
  }
  return faults;
}

void validate_adc_channels(const std::vector<AdcChannelFault>& faults, Eigen::Index channels,
                           const std::string& path) {
  for (std::size_t k = 0; k < faults.size(); ++k) {
    const std::string item_path = path + "[" + std::to_string(k) + "]";
    require_config(faults[k].channel >= 0 && faults[k].channel < channels, item_path + ".channel",
                   faults[k].channel, "a channel in [0, " + std::to_string(channels) + ")");
    require_config(faults[k].mode != AdcFaultMode::none, item_path + ".mode", to_string(faults[k].mode),
                   "zero, full_scale or noise");
  }
}

}  // namespace pib::units
