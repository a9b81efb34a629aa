#include "units/registry.hpp"

#include <map>
#include <mutex>
#include <utility>

#include "common/error.hpp"
#include "units/digital.hpp"
#include "units/optical.hpp"
// memristor helper: include your unit headers here.
#include "units/memristor.hpp"

namespace pib::units {
namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, UnitFactory> factories;  // guarded by mutex
};

void register_builtin_unit_kinds(Registry& registry) {
  // One line per built-in kind.
  registry.factories["digital_dense"] = &make_digital_dense_unit;
  registry.factories["optical"] = &make_optical_unit;
  // ---- memristor kinds (memristor_dense, memristor_conv1d, memristor_conv2d): add your lines here ----
  registry.factories["memristor_dense"] = &make_memristor_dense_unit;
  registry.factories["memristor_conv1d"] = &make_memristor_conv1d_unit;
  registry.factories["memristor_conv2d"] = &make_memristor_conv2d_unit;
  // ---- end of memristor kinds ----
}

Registry& registry() {
  static Registry instance;  // function-local: built on first use, thread-safe initialisation
  static std::once_flag builtins;
  std::call_once(builtins, [] { register_builtin_unit_kinds(instance); });
  return instance;
}

std::string joined_kinds(const std::map<std::string, UnitFactory>& factories) {
  std::string out;
  for (const auto& [kind, factory] : factories)
    out += (out.empty() ? "" : ", ") + kind;
  return out;
}

}  // namespace

std::unique_ptr<Unit> make_unit(const nlohmann::json& config, std::uint64_t seed) {
  if (!config.is_object()) raise<ConfigError>("unit config: expected a JSON object, got ", config.dump());
  if (!config.contains("kind") || !config.at("kind").is_string()) {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    raise<ConfigError>("kind: missing or not a string (known kinds: ", joined_kinds(r.factories), ")");
  }
  const std::string kind = config.at("kind").get<std::string>();
  UnitFactory factory;
  {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    const auto it = r.factories.find(kind);
    if (it == r.factories.end())
      raise<ConfigError>("kind: unknown unit kind '", kind, "' (known: ", joined_kinds(r.factories), ")");
    factory = it->second;
  }
  nlohmann::json rest = config;
  rest.erase("kind");
  return factory(rest, seed);
}

void register_unit_kind(std::string kind, UnitFactory factory) {
  PIB_EXPECTS(static_cast<bool>(factory), "empty factory for kind '", kind, "'");
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.factories[std::move(kind)] = std::move(factory);
}

std::vector<std::string> known_unit_kinds() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<std::string> kinds;
  for (const auto& [kind, factory] : r.factories)
    kinds.push_back(kind);
  return kinds;
}

}  // namespace pib::units
