#pragma once
// The shared opening of every unit config: one reader for the keys all kinds have (sizes, activation, init,
// timing), called first by each kind's config reader (units/registry.hpp).

#include <string>

#include <Eigen/Core>

#include "common/config.hpp"
#include "units/dense.hpp"
#include "units/unit.hpp"

namespace pib::units {

struct UnitBasics {
  Eigen::Index input_dim = 0;  // 0: not given (only where UnitBasicsKeys::dims_required is false)
  Eigen::Index output_dim = 0;
  Activation activation = Activation::relu;
  std::string init = "auto";  // "auto" (He for relu, Glorot otherwise) | "he" | "glorot"
  DeviceTiming timing;
};

struct UnitBasicsKeys {
  // false: input_dim / output_dim are optional (a kind whose sizes follow from a geometry checks them).
  bool dims_required = true;
  // false: deploy_us is not a key (a kind that computes its deploy time, e.g. from the cells programmed).
  bool deploy_us = true;
};

// Reads input_dim, output_dim, activation, init, forward_us_per_sample, deploy_us and time_scale into a copy
// of `defaults` and checks them, throwing ConfigError naming the key (reader.key_path): sizes > 0 (when
// given), a known activation and init, times >= 0, time_scale > 0. The caller reads its own keys and calls
// reader.finish().
UnitBasics read_unit_basics(ConfigReader& reader, UnitBasics defaults = {}, UnitBasicsKeys keys = {});

// Checks timing values (>= 0 times, time_scale > 0), ConfigError naming the key under `path`.
void validate_timing(const DeviceTiming& timing, const std::string& path);

}  // namespace pib::units
