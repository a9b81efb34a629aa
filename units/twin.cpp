// The settings of fitted twins (units/twin.hpp).
#include "units/twin.hpp"

#include "common/config.hpp"

namespace pib::units {

TwinSettings TwinSettings::from_json(const nlohmann::json& json, const std::string& path) {
  TwinSettings s;
  ConfigReader r(json, path);
  r.get("samples", s.samples);
  r.get("epochs", s.epochs);
  r.get("batch_size", s.batch_size);
  s.optimizer = AdamConfig::from_json(r.child("optimizer"), r.key_path("optimizer"), s.optimizer);
  r.finish();
  require_config(s.samples > 0, r.key_path("samples"), s.samples, "> 0");
  require_config(s.epochs > 0, r.key_path("epochs"), s.epochs, "> 0");
  require_config(s.batch_size > 0, r.key_path("batch_size"), s.batch_size, "> 0");
  return s;
}

nlohmann::json TwinSettings::to_json() const {
  return {{"samples", samples},
          {"epochs", epochs},
          {"batch_size", batch_size},
          {"optimizer", optimizer.to_json()}};
}

}  // namespace pib::units
