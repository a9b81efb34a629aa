#include "units/registry.hpp"

#include <map>
#include <mutex>
#include <utility>

#include "common/error.hpp"
#include "units/digital.hpp"
#include "units/memristor.hpp"
#include "units/optical.hpp"

namespace pib::units {
namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, UnitKind> kinds;  // guarded by mutex
};

void register_builtin_unit_kinds(Registry& registry) {
  // One line per built-in kind: its record comes from the kind's own files.
  registry.kinds["digital_dense"] = digital_dense_kind();
  registry.kinds["optical"] = optical_kind();
  registry.kinds["memristor_dense"] = memristor_dense_kind();
  registry.kinds["memristor_conv1d"] = memristor_conv1d_kind();
  registry.kinds["memristor_conv2d"] = memristor_conv2d_kind();
}

Registry& registry() {
  static Registry instance;  // function-local: built on first use, thread-safe initialisation
  static std::once_flag builtins;
  std::call_once(builtins, [] { register_builtin_unit_kinds(instance); });
  return instance;
}

std::string joined_kinds(const std::map<std::string, UnitKind>& kinds) {
  std::string out;
  for (const auto& [kind, record] : kinds)
    out += (out.empty() ? "" : ", ") + kind;
  return out;
}

std::string key(const std::string& path, const std::string& k) {
  return path.empty() ? k : path + "." + k;
}

}  // namespace

UnitKind unit_kind_of(const nlohmann::json& config, const std::string& path) {
  if (!config.is_object()) raise<ConfigError>(path, ": expected a JSON object, got ", config.dump());
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  if (!config.contains("kind") || !config.at("kind").is_string())
    raise<ConfigError>(key(path, "kind"), ": missing or not a string (known kinds: ", joined_kinds(r.kinds),
                       ")");
  const std::string kind = config.at("kind").get<std::string>();
  const auto it = r.kinds.find(kind);
  if (it == r.kinds.end())
    raise<ConfigError>(key(path, "kind"), ": unknown unit kind '", kind, "' (known: ", joined_kinds(r.kinds),
                       ")");
  return it->second;
}

std::optional<UnitKind> find_unit_kind(const std::string& kind) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  const auto it = r.kinds.find(kind);
  if (it == r.kinds.end()) return std::nullopt;
  return it->second;
}

std::unique_ptr<Unit> make_unit(const nlohmann::json& config, std::uint64_t seed) {
  if (!config.is_object()) raise<ConfigError>("unit config: expected a JSON object, got ", config.dump());
  const UnitKind record = unit_kind_of(config, "");
  nlohmann::json rest = config;
  rest.erase("kind");
  return record.make(rest, seed);
}

void register_unit_kind(std::string kind, UnitKind record) {
  PIB_EXPECTS(static_cast<bool>(record.make), "empty factory for kind '", kind, "'");
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.kinds[std::move(kind)] = std::move(record);
}

std::vector<std::string> known_unit_kinds() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<std::string> kinds;
  for (const auto& [kind, record] : r.kinds)
    kinds.push_back(kind);
  return kinds;
}

}  // namespace pib::units
