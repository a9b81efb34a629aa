#include "units/fault.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

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

std::vector<AdcChannelFault> parse_adc_channel_faults(const nlohmann::json& channels, const std::string& path,
                                                      Eigen::Index channel_count, Rng& rng) {
  if (!channels.is_object()) {
    auto faults = parse_adc_channel_faults(channels, path);
    validate_adc_channels(faults, channel_count, path);
    return faults;
  }
  ConfigReader r(channels, path);
  double fraction = 0.0;
  std::string mode = "noise";
  r.get("fraction", fraction);
  r.get("mode", mode);
  r.finish();
  require_config(fraction > 0.0 && fraction <= 1.0, r.key_path("fraction"), fraction, "in (0, 1]");
  const auto m = parse_adc_fault_mode(mode, r.key_path("mode"));
  const auto n = static_cast<std::size_t>(channel_count);
  const auto count =
      std::clamp<std::size_t>(static_cast<std::size_t>(std::lround(fraction * static_cast<double>(n))), 1, n);
  std::vector<Eigen::Index> order(n);
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  for (std::size_t i = 0; i < count; ++i)  // partial Fisher-Yates: the first `count` of a random order
    std::swap(order[i], order[i + rng.below(n - i)]);
  std::vector<AdcChannelFault> faults;
  for (std::size_t i = 0; i < count; ++i)
    faults.push_back({order[i], m});
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

nlohmann::json with_explicit_adc_channels(const nlohmann::json& faults, Eigen::Index channel_count,
                                          Rng& rng) {
  if (!faults.is_object() || !faults.contains("adc_channels") || !faults.at("adc_channels").is_object())
    return faults;
  nlohmann::json out = faults;
  auto& channels = out["adc_channels"];
  channels = nlohmann::json::array();
  for (const auto& c :
       parse_adc_channel_faults(faults.at("adc_channels"), "faults.adc_channels", channel_count, rng))
    channels.push_back({{"channel", c.channel}, {"mode", to_string(c.mode)}});
  return out;
}

std::vector<FaultEvent> read_fault_events(const nlohmann::json& json, const std::string& path,
                                          std::size_t unit_count, bool timed) {
  std::vector<FaultEvent> events;
  if (json.is_null()) return events;
  const std::string shape =
      timed ? "{\"at_step\": N, \"unit\": l, \"inject\": {...}}" : "{\"unit\": l, \"inject\": {...}}";
  if (!json.is_array()) raise<ConfigError>(path, ": expected an array of ", shape, ", got ", json.dump());
  for (std::size_t k = 0; k < json.size(); ++k) {
    const std::string item = path + "[" + std::to_string(k) + "]";
    ConfigReader r(json[k], item);
    FaultEvent e;
    if (timed) r.get("at_step", e.at_step);
    r.get("unit", e.unit);
    e.inject = r.child("inject");
    r.finish();
    require_config((!timed || r.has("at_step")) && r.has("unit") && e.inject.is_object(), item,
                   json[k].dump(), shape);
    require_config(e.at_step >= 0, item + ".at_step", e.at_step, ">= 0");
    if (timed && k > 0)
      require_config(e.at_step >= events.back().at_step, item + ".at_step", e.at_step,
                     ">= the previous fault's at_step");
    require_config(e.unit >= 0 && static_cast<std::size_t>(e.unit) < unit_count, item + ".unit", e.unit,
                   "a unit index in [0, " + std::to_string(unit_count) + ")");
    events.push_back(std::move(e));
  }
  return events;
}

nlohmann::json to_json(const std::vector<FaultEvent>& faults, bool timed) {
  auto out = nlohmann::json::array();
  for (const auto& f : faults) {
    nlohmann::json j = {{"unit", f.unit}, {"inject", f.inject}};
    if (timed) j["at_step"] = f.at_step;
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace pib::units
