#include "train/ideal.hpp"

#include "units/registry.hpp"

namespace pib::train {

nlohmann::json with_input_dim(const nlohmann::json& unit_config, Eigen::Index input_dim) {
  nlohmann::json j = unit_config;
  if (!j.is_object() || !j.contains("kind") || !j.at("kind").is_string())
    return j;  // make_unit names the error
  const auto record = units::find_unit_kind(j.at("kind").get<std::string>());
  if (record && record->input_size == units::InputSize::key && !j.contains("input_dim"))
    j["input_dim"] = input_dim;
  return j;
}

}  // namespace pib::train
