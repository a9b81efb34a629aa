#include "units/unit_config.hpp"

#include "common/error.hpp"

namespace pib::units {

UnitBasics read_unit_basics(ConfigReader& reader, UnitBasics defaults, UnitBasicsKeys keys) {
  UnitBasics b = std::move(defaults);
  reader.get("input_dim", b.input_dim);
  reader.get("output_dim", b.output_dim);
  for (const char* dim : {"input_dim", "output_dim"}) {
    const Eigen::Index value = dim[0] == 'i' ? b.input_dim : b.output_dim;
    if (keys.dims_required || reader.has(dim)) require_config(value > 0, reader.key_path(dim), value, "> 0");
  }
  std::string activation = to_string(b.activation);
  reader.get("activation", activation);
  b.activation = parse_activation(activation, reader.key_path("activation"));
  reader.get("init", b.init);
  require_config(b.init == "auto" || b.init == "he" || b.init == "glorot", reader.key_path("init"), b.init,
                 "auto, he or glorot");
  reader.get("forward_us_per_sample", b.timing.forward_us_per_sample);
  if (keys.deploy_us) reader.get("deploy_us", b.timing.deploy_us);
  reader.get("time_scale", b.timing.time_scale);
  const auto key = [&](const char* name) { return reader.key_path(name); };
  require_config(b.timing.forward_us_per_sample >= 0.0, key("forward_us_per_sample"),
                 b.timing.forward_us_per_sample, ">= 0");
  require_config(b.timing.deploy_us >= 0.0, key("deploy_us"), b.timing.deploy_us, ">= 0");
  require_config(b.timing.time_scale > 0.0, key("time_scale"), b.timing.time_scale, "> 0");
  return b;
}

void validate_timing(const DeviceTiming& timing, const std::string& path) {
  const auto key = [&](const char* name) { return path.empty() ? std::string(name) : path + "." + name; };
  require_config(timing.forward_us_per_sample >= 0.0, key("forward_us_per_sample"),
                 timing.forward_us_per_sample, ">= 0");
  require_config(timing.deploy_us >= 0.0, key("deploy_us"), timing.deploy_us, ">= 0");
  require_config(timing.time_scale > 0.0, key("time_scale"), timing.time_scale, "> 0");
}
}  // namespace pib::units
