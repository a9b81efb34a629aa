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
  // obs_scale and the expected length otherwise). Empty: for each observation, the smaller of its bound
  // (max(|low|, |high|) in the observation space) and kStatesMargin times its largest magnitude in `states`
  // (the random-policy calibration states): a bound far beyond what the environment does (Acrobot's angular
  // velocities) would squeeze the observation into a sliver of a modulator's range, and an infinite bound
  // needs no explicit scale. An observation that is 0 in every state keeps its finite bound (or 1).
  ObservationScale(const std::vector<double>& configured, const envs::Environment& env,
                   const units::Matrix& states);

  // How far beyond the random policy's largest magnitude the scaled range reaches. 1: the calibration states
  // fill [-1, 1]; on Acrobot-v1 with optical units 1 solved seeds 2-4 and reached -112 on seed 1, 2 solved
  // seeds 1-2 and left 3-4 at -480 (docs/rl_beyond_cartpole.md). Larger states pass on (a modulator clips
  // them at its range; digital units take them as they are).
  static constexpr double kStatesMargin = 1.0;

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
