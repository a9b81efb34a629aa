#include "units/chain.hpp"

#include <string>

#include "common/error.hpp"
#include "units/registry.hpp"

namespace pib::units {
namespace {

std::string where(std::size_t l) {
  return "units[" + std::to_string(l) + "]";
}

std::unique_ptr<Unit> build_one(const nlohmann::json& config, std::size_t l, std::uint64_t seed) {
  try {
    return make_unit(config, derive_seed(seed, Stream::unit, l));
  } catch (const ConfigError& e) {
    raise<ConfigError>(where(l), ": ", e.what());
  }
}

void check_input(const Unit& unit, std::size_t l, Eigen::Index expected) {
  if (unit.input_dim() != expected)
    raise<ConfigError>(where(l), ".input_dim: ", unit.input_dim(), " does not match ",
                       l == 0 ? "the chain's input size " : where(l - 1) + ".output_dim = ", expected);
}

}  // namespace

nlohmann::json resolve_chain(const nlohmann::json& configs, Eigen::Index input_dim,
                             const nlohmann::json& overrides) {
  if (!configs.is_array() || configs.empty())
    raise<ConfigError>("units: expected a non-empty array of unit configs, got ", configs.dump());
  if (!overrides.is_null() && !overrides.is_object())
    raise<InvalidArgument>("resolve_chain: overrides must be an object, got ", overrides.dump());
  nlohmann::json resolved = nlohmann::json::array();
  Eigen::Index in = input_dim;
  for (std::size_t l = 0; l < configs.size(); ++l) {
    nlohmann::json c = configs[l];
    if (!c.is_object()) raise<ConfigError>(where(l), ": expected a JSON object, got ", c.dump());
    if (overrides.is_object()) c.update(overrides);
    const UnitKind record = unit_kind_of(c, where(l));
    if (record.input_size == InputSize::key) {
      if (c.contains("input_dim") && c.at("input_dim") != nlohmann::json(in))
        raise<ConfigError>(where(l), ".input_dim: ", c.at("input_dim").dump(), " does not match ",
                           l == 0 ? "the chain's input size " : where(l - 1) + ".output_dim = ", in);
      c["input_dim"] = in;
    }
    const auto unit = build_one(c, l, 0);
    check_input(*unit, l, in);
    in = unit->output_dim();
    resolved.push_back(std::move(c));
  }
  return resolved;
}

std::vector<std::unique_ptr<Unit>> build_chain(const nlohmann::json& resolved, std::uint64_t seed) {
  if (!resolved.is_array() || resolved.empty())
    raise<ConfigError>("units: expected a non-empty array of unit configs, got ", resolved.dump());
  std::vector<std::unique_ptr<Unit>> units;
  units.reserve(resolved.size());
  for (std::size_t l = 0; l < resolved.size(); ++l) {
    units.push_back(build_one(resolved[l], l, seed));
    if (l > 0) check_input(*units.back(), l, units[l - 1]->output_dim());
  }
  return units;
}

void measure_chain(const std::vector<std::unique_ptr<Unit>>& units, const Eigen::Ref<const Matrix>& x,
                   std::vector<Measurement>& out, Rng& rng) {
  out.resize(units.size());
  for (std::size_t l = 0; l < units.size(); ++l) {
    if (l == 0)
      units[l]->measure(x, out[l], rng);
    else
      units[l]->measure(out[l - 1].output, out[l], rng);
  }
}

}  // namespace pib::units
