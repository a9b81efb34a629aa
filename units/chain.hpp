#pragma once
// The one way pib chains units into a deep PNN (DESIGN.md 3.6): resolve the unit configs along the chain,
// build the units with derived seeds, measure a batch through them. Unit l measures unit l - 1's measured
// output; each unit's update needs only its own Measurement, so no gradient flows between units here.
// Heads (Q heads, readouts) and training schedules belong to the agent and the trainer, not to the chain.
//
// Thread-safety: free functions; measure_chain follows the Unit contract of the units it is given.

#include <cstdint>
#include <memory>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "common/random.hpp"
#include "units/unit.hpp"

namespace pib::units {

// Unit configs of a deep PNN with each unit's input size filled in along the chain: unit 0 gets
// `input_dim`, unit l+1 gets unit l's output_dim (the kind's record says how its input size is configured;
// a configured size that disagrees is a ConfigError naming "units[l].input_dim"). `overrides` (an object,
// may be empty/null) is merged into every unit's config (e.g. {"time_scale": 1e9}). Every unit is built
// once to check its config (a ConfigError from it is rethrown prefixed "units[l]: ") and learn its output
// size; `configs` must be a non-empty array of objects.
nlohmann::json resolve_chain(const nlohmann::json& configs, Eigen::Index input_dim,
                             const nlohmann::json& overrides = nullptr);

// Builds the units of resolved configs: unit l from make_unit(configs[l], derive_seed(seed, Stream::unit,
// l)); a ConfigError from a unit is rethrown prefixed "units[l]: ", and so is a unit whose input size is not
// the previous unit's output size.
std::vector<std::unique_ptr<Unit>> build_chain(const nlohmann::json& resolved, std::uint64_t seed);

// Measures x through the units in turn: out[0] on x, out[l] on out[l-1].output (out resized; its
// Measurements keep their buffers between calls).
void measure_chain(const std::vector<std::unique_ptr<Unit>>& units, const Eigen::Ref<const Matrix>& x,
                   std::vector<Measurement>& out, Rng& rng);

}  // namespace pib::units
