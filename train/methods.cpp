// The registry of training methods (train/methods.hpp).
#include "train/methods.hpp"

#include <string>

#include "common/error.hpp"
#include "units/registry.hpp"

namespace pib::train {

const std::vector<MethodRecord>& training_methods() {
  static const std::vector<MethodRecord> methods{
      {"pib", "supervised PIB, local objectives, the configured schedule", &train_pib},
      {"backprop",
       "backprop in silico on ideal models (a first optical unit: a twin fitted from measured frames), "
       "deployed "
       "(and its readout refitted)",
       &train_backprop, ModelNeed::all},
      {"pat", "physics-aware training: measured forward, backward through the next unit's ideal-model twin",
       &train_pat, ModelNeed::after_first},
      {"dfa", "direct feedback alignment: measured forward, fixed random projections of the error",
       &train_dfa},
      {"pib_dfa", "PIB on the last unit's measured output, its gradient to the units before by DFA",
       &train_pib_dfa},
      {"phyll",
       "physical local learning: a local contrastive goodness on measured positive and negative passes",
       &train_phyll},
  };
  return methods;
}

const MethodRecord& find_method(const std::string& name, const std::string& key) {
  std::string known;
  for (const auto& m : training_methods()) {
    if (m.name == name) return m;
    known += (known.empty() ? "" : ", ") + std::string(m.name);
  }
  raise<ConfigError>(key, ": unknown method \"", name, "\" (known: ", known, ")");
}

void check_method_units(const MethodRecord& method, const nlohmann::json& units, const std::string& key,
                        const units::TwinSettings& twin, const std::string& twin_key) {
  if (method.models == ModelNeed::none) return;
  for (std::size_t l = method.models == ModelNeed::after_first ? 1 : 0; l < units.size(); ++l) {
    const auto kind = units[l].value("kind", std::string());
    const auto record = units::find_unit_kind(kind);
    if (!record || record->ideal) continue;
    if (l == 0 && record->twin) {
      if (!units[l].contains("input_dim")) continue;  // the budget is checked once the data size is known
      const auto needed = record->twin.min_samples(units[l]);
      require_config(twin.samples >= needed, twin_key + ".samples", twin.samples,
                     ">= " + std::to_string(needed) + " for units[0] of kind " + kind +
                         " (its twin's unknowns per response channel)");
      continue;
    }
    raise<ConfigError>(key, ": method ", method.name, " needs a model of units[", l, "], of kind ", kind,
                       ", which has no ideal model",
                       record->twin ? " (its fitted twin serves only as the first unit)" : "");
  }
}

nlohmann::json device_ledgers(const Chain& chain) {
  nlohmann::json device = nlohmann::json::array();
  for (const auto& u : chain.units) {
    const auto l = u->ledger();
    device.push_back({{"kind", u->kind()},
                      {"simulated", true},
                      {"measure_us", l.measure_us},
                      {"deploy_us", l.deploy_us},
                      {"busy_us", l.busy_us},
                      {"measures", l.measures},
                      {"deploys", l.deploys}});
  }
  return device;
}

}  // namespace pib::train
