#pragma once
// MountainCar-v0: an under-powered car in a valley must rock back and forth to reach the flag at x = 0.5.
// Matches Gymnasium's classic_control/mountain_car.py step for step: velocity += (action - 1) force
// - cos(3 x) gravity, clipped to +-0.07; position += velocity, clipped to [-1.2, 0.6]; velocity zeroed when
// the car hits the left wall moving left; terminated when x >= 0.5 and velocity >= goal_velocity; reward -1
// per step; reset x uniform in [-0.6, -0.4), velocity 0; truncation at 200 steps; reward threshold -110
// (Gymnasium's registry).
//
// State: position_m, velocity_mps (in Gymnasium's unitless track units). Observation: the same, as float.
// Actions: 0 = accelerate left, 1 = none, 2 = accelerate right.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <optional>
#include <span>

#include "common/error.hpp"
#include "common/random.hpp"
#include "envs/environment.hpp"
#include "envs/native.hpp"

namespace pib::envs {

class MountainCar {
 public:
  struct Params {
    double min_position = -1.2;
    double max_position = 0.6;
    double max_speed = 0.07;
    double goal_position = 0.5;
    double goal_velocity = 0.0;
    double force = 0.001;
    double gravity = 0.0025;
    double reset_low = -0.6;
    double reset_high = -0.4;
    int max_episode_steps = 200;

    void validate() const {
      if (!(min_position < max_position))
        raise<InvalidArgument>("MountainCar: min_position must be < max_position");
      if (!(max_speed > 0)) raise<InvalidArgument>("MountainCar: max_speed is ", max_speed, ", expected > 0");
      if (!(reset_low <= reset_high))
        raise<InvalidArgument>("MountainCar: reset_low (", reset_low, ") must be <= reset_high (", reset_high,
                               ")");
      if (max_episode_steps < 1)
        raise<InvalidArgument>("MountainCar: max_episode_steps is ", max_episode_steps, ", expected >= 1");
    }
  };

  static constexpr std::size_t kStateDim = 2;
  static constexpr std::size_t kObservationDim = 2;
  static constexpr int kActionCount = 3;
  using State = std::array<double, kStateDim>;

  explicit MountainCar(const Params& params) : params_(params) {}
  const Params& params() const { return params_; }

  Box observation_space() const {
    return {{static_cast<float>(params_.min_position), static_cast<float>(-params_.max_speed)},
            {static_cast<float>(params_.max_position), static_cast<float>(params_.max_speed)},
            {kObservationDim}};
  }
  std::optional<double> reward_threshold() const { return -110.0; }

  State initial_state(Rng& rng) const { return {rng.uniform(params_.reset_low, params_.reset_high), 0.0}; }

  Transition<MountainCar> transition(const State& s, int action, Rng& /*rng*/) const {
    auto [position, velocity] = s;
    velocity += (action - 1) * params_.force + std::cos(3 * position) * (-params_.gravity);
    velocity = std::clamp(velocity, -params_.max_speed, params_.max_speed);
    position += velocity;
    position = std::clamp(position, params_.min_position, params_.max_position);
    if (position == params_.min_position && velocity < 0) velocity = 0;
    const bool terminated = position >= params_.goal_position && velocity >= params_.goal_velocity;
    return {{position, velocity}, -1.0, terminated};
  }

  void observe(const State& s, std::span<float, kObservationDim> out) const {
    out[0] = static_cast<float>(s[0]);
    out[1] = static_cast<float>(s[1]);
  }

 private:
  Params params_;
};

}  // namespace pib::envs
