#pragma once
// Creating units from JSON config by kind name (issue 4): {"kind": "optical", "input_dim": 5, ...}.
//
// A kind is registered with a factory. The built-in kinds are registered explicitly, one line each, in
// register_builtin_unit_kinds() (units/registry.cpp) — static self-registration would be dropped by the
// linker from a static library. To add a kind: write units/<kind>.{hpp,cpp} (copy units/digital.*), add one
// line there.
//
// Factory contract: it receives the unit's config object WITHOUT the "kind" key, reads every other key with a
// pib::ConfigReader whose path is the kind name (so messages read "optical.n_speckle: ..."), calls finish()
// (unknown key -> ConfigError naming it) and validates ranges (ConfigError naming the key). Every config
// carries input_dim, output_dim and activation. `seed` fixes everything random the unit owns (transmission
// matrix, chip defects, initial parameters).
//
// Thread-safety: make_unit, register_unit_kind and known_unit_kinds may be called from any thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "units/unit.hpp"

namespace pib::units {

using UnitFactory = std::function<std::unique_ptr<Unit>(const nlohmann::json& config, std::uint64_t seed)>;

// Creates a unit of config["kind"]. Throws ConfigError if "kind" is missing or unknown (listing the known
// kinds) or if the kind's factory rejects the config.
std::unique_ptr<Unit> make_unit(const nlohmann::json& config, std::uint64_t seed);

// Adds (or replaces) a kind. Useful for tests and out-of-tree kinds.
void register_unit_kind(std::string kind, UnitFactory factory);

// Every registered kind, sorted.
std::vector<std::string> known_unit_kinds();

}  // namespace pib::units
