#pragma once
// The ideal models the trainer uses live with the units (units/ideal.hpp); these names keep train code
// working. Nothing here names a unit kind: what a kind supports is its registry record (units/registry.hpp).

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "units/ideal.hpp"

namespace pib::train {

using Matrix = units::Matrix;
using units::IdealLayer;
using units::IdealUnit;

// A copy of `unit_config` with input_dim set to `input_dim` when the kind's input size is a config key
// (UnitKind::input_size) and the key is absent; otherwise unchanged (a derived input size is checked when
// the unit is built). units::resolve_chain (units/chain.hpp) does this for a whole chain.
nlohmann::json with_input_dim(const nlohmann::json& unit_config, Eigen::Index input_dim);

}  // namespace pib::train
