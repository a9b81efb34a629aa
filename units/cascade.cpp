#include "units/cascade.hpp"

#include <string>

#include "common/config.hpp"
#include "common/error.hpp"
#include "units/registry.hpp"

namespace pib::units {

DeepPnn::DeepPnn(const nlohmann::json& units, std::uint64_t seed) {
  if (!units.is_array() || units.empty())
    raise<ConfigError>("units: expected a non-empty array of unit configs, got ", units.dump());
  for (std::size_t l = 0; l < units.size(); ++l) {
    const std::string where = "units[" + std::to_string(l) + "]";
    if (!units[l].is_object()) raise<ConfigError>(where, ": expected a JSON object, got ", units[l].dump());
    nlohmann::json config = units[l];
    std::optional<Eigen::Index> head_outputs;
    if (config.contains("head")) {
      Eigen::Index k = 0;
      ConfigReader head(config.at("head"), where + ".head");
      head.get("output_dim", k);
      head.finish();
      require_config(k > 0, where + ".head.output_dim", k, "> 0");
      head_outputs = k;
      config.erase("head");
    }
    Stage stage;
    try {
      stage.unit = make_unit(config, seed + l);
    } catch (const ConfigError& e) {
      raise<ConfigError>(where, ": ", e.what());
    }
    if (l > 0 && stage.unit->input_dim() != stages_.back().unit->output_dim())
      raise<ConfigError>(where, ".input_dim: ", stage.unit->input_dim(), " does not match units[", l - 1,
                         "].output_dim = ", stages_.back().unit->output_dim());
    if (head_outputs) stage.head.emplace(stage.unit->output_dim(), *head_outputs, seed + 1000 + l);
    stages_.push_back(std::move(stage));
  }
}

LinearHead* DeepPnn::head(std::size_t l) {
  auto& h = stages_.at(l).head;
  return h ? &*h : nullptr;
}

const LinearHead* DeepPnn::head(std::size_t l) const {
  const auto& h = stages_.at(l).head;
  return h ? &*h : nullptr;
}

void DeepPnn::forward(const Eigen::Ref<const Matrix>& input, std::vector<Measurement>& out, Rng& rng) {
  out.resize(stages_.size());
  for (std::size_t l = 0; l < stages_.size(); ++l) {
    if (l == 0)
      stages_[l].unit->measure(input, out[l], rng);
    else
      stages_[l].unit->measure(out[l - 1].output, out[l], rng);
  }
}

}  // namespace pib::units
