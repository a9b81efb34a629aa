#pragma once
// Creating units from JSON config by kind name (issue 4): {"kind": "optical", "input_dim": 5, ...}.
//
// A unit kind is ONE registry record (UnitKind): its factory and everything the rest of pib needs to know
// about the kind (how its input size is configured, its ideal model if it has one, how to characterize
// it). Nothing outside units/<kind>.{hpp,cpp} and its record names a kind. The built-in kinds are registered
// explicitly, one line each, in register_builtin_unit_kinds() (units/registry.cpp) — static
// self-registration would be dropped by the linker from a static library. To add a kind: write
// units/<kind>.{hpp,cpp} (copy units/digital.*, whose header ends with its record), add one line there.
//
// Factory contract: it receives the unit's config object WITHOUT the "kind" key, reads every other key with a
// pib::ConfigReader whose path is the kind name (so messages read "optical.n_speckle: ..."), starting with
// read_unit_basics (units/unit_config.hpp: input/output size, activation, init, timing), calls finish()
// (unknown key -> ConfigError naming it) and validates ranges (ConfigError naming the key). `seed` fixes
// everything random the unit owns (transmission matrix, chip defects, initial parameters), each purpose from
// its own derive_seed(seed, Stream::unit_physics / unit_init / unit_drift).
//
// Thread-safety: every function here may be called from any thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "units/characterize.hpp"
#include "units/ideal.hpp"
#include "units/twin.hpp"
#include "units/unit.hpp"

namespace pib::units {

using UnitFactory = std::function<std::unique_ptr<Unit>(const nlohmann::json& config, std::uint64_t seed)>;
// The ideal mathematical model of a unit config (without "kind"); `path` prefixes ConfigError messages.
using IdealFactory = std::function<IdealLayer(const nlohmann::json& config, const std::string& path)>;
// `pib device characterize` for a built unit of the kind: `parameters` is the config's flat parameter array
// (null: the characterizer chooses), see units/characterize.hpp.
using Characterizer = std::function<DeviceCharacterization(Unit& unit, const nlohmann::json& parameters,
                                                           std::uint64_t seed, int reads)>;

// How a kind's input size is configured.
enum class InputSize {
  key,      // "input_dim" is a config key: a chain fills it in when absent (units/chain.hpp)
  derived,  // it follows from other keys (a conv geometry); a chain checks it against the previous unit
};

struct UnitKind {
  UnitFactory make;  // required
  InputSize input_size = InputSize::key;
  IdealFactory ideal;            // the kind's ideal model (backprop baseline, pib_ideal); empty: none
  TwinKind twin;                 // without an ideal model: a twin fitted from measurements (units/twin.hpp)
  Characterizer characterize;    // empty: the generic path of characterize_unit
  bool has_fault_model = false;  // Unit::inject_faults works (Unit::fault_channels() > 0)
  // For kinds that encode their input over a configured range (a modulator): given a config (with "kind")
  // whose inputs the caller knows lie in [-1, 1], fixes that range unless the config sets one. A range
  // calibrated on early inputs would clip inputs the caller has not produced yet. Empty: nothing to fix.
  std::function<void(nlohmann::json& config)> bound_input;
};

// Creates a unit of config["kind"]. Throws ConfigError if "kind" is missing or unknown (listing the known
// kinds) or if the kind's factory rejects the config.
std::unique_ptr<Unit> make_unit(const nlohmann::json& config, std::uint64_t seed);

// The record of config["kind"]; ConfigError (naming `path`.kind and listing the known kinds) if "kind" is
// missing or unknown.
UnitKind unit_kind_of(const nlohmann::json& config, const std::string& path = "unit");
// The record of `kind`, or nullopt.
std::optional<UnitKind> find_unit_kind(const std::string& kind);

// Adds (or replaces) a kind. Useful for tests and out-of-tree kinds. `record.make` must not be empty.
void register_unit_kind(std::string kind, UnitKind record);

// Every registered kind, sorted.
std::vector<std::string> known_unit_kinds();

}  // namespace pib::units
