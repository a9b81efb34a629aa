#pragma once
// The PIB term as every config writes it: one "pib" object with one reader for `pib rl` and `pib train`.
//
//   "pib": {"alpha": 1.01, "beta": 0.01,
//           "z_width": {"rule": "knn", "k": 10, "value": 1.0, "gamma": 0.8},   sigma of Z, per batch
//           "z_kernel": "gaussian",                                            or "linear"
//           "x_width": {"rule": "knn", "k": 10, ...},                          sigma of X, fixed per run
//           "features": 0, "feature_seed": 0}          the estimator: 0 exact n x n, m > 0 features.hpp
//
// Owners add their own keys to the same object (pib rl: enabled, y, sigma_y): read_pib_term reads the shared
// ones, the owner reads its own and calls finish().

#include <string>

#include <nlohmann/json.hpp>

#include "bottleneck/kernel.hpp"
#include "bottleneck/objectives.hpp"
#include "common/config.hpp"

namespace pib::bottleneck {

// The objective's settings (alpha, beta, z_width, z_kernel) and the rule that fixes sigma of X for a run.
struct PibTerm : PibConfig {
  KernelWidth x_width;
};

// A kernel-width object {"rule", "value", "k", "gamma"}; absent keys keep `width`'s values. ConfigError
// naming the key for unknown keys and bad values.
KernelWidth read_kernel_width(const nlohmann::json& json, const std::string& path, KernelWidth width);
nlohmann::json to_json(const KernelWidth& width);

// Reads the shared keys of a "pib" object into `term` (absent keys keep its values) and validates them.
// The caller reads its own keys from `reader`, then calls reader.finish().
void read_pib_term(ConfigReader& reader, PibTerm& term);
// The shared keys as JSON (owners add theirs).
nlohmann::json to_json(const PibTerm& term);

}  // namespace pib::bottleneck
