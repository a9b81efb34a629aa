#pragma once
// Observation scaling before the first unit (DESIGN.md 4.3): x / scale, one value per observation. The one
// place the agent scales observations: the actor's state, the learner's batches, the calibration states and
// greedy evaluation all go through it.

#include <span>
#include <string>
#include <vector>

#include "envs/environment.hpp"
#include "units/unit.hpp"

namespace pib::agent {

class ObservationScale {
 public:
  // `configured` (the config's obs_scale) must have one value per observation of `env` (a ConfigError naming
  // obs_scale and the expected length otherwise). Empty: max(|low|, |high|) of each observation's bounds in
  // the environment's observation space; an infinite (or zero) bound is a ConfigError asking for obs_scale.
  ObservationScale(const std::vector<double>& configured, const envs::Environment& env);

  const std::vector<double>& values() const { return scale_; }
  std::size_t size() const { return scale_.size(); }

  // out = raw / scale, column by column (out resized to raw's shape).
  void apply(const Eigen::Ref<const units::Matrix>& raw, units::Matrix& out) const;
  // One observation as a 1 x dim row.
  void apply(std::span<const float> obs, units::Matrix& out) const;

 private:
  std::vector<double> scale_;
};

}  // namespace pib::agent
