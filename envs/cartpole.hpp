#pragma once
// CartPole-v1 — the annotated example to copy when adding an environment (README: "Adding an environment").
//
// A pole on a cart on a frictionless track; push the cart left (action 0) or right (action 1) to keep the
// pole up. Matches Gymnasium's classic_control/cartpole.py step for step (checked per step against recorded
// Gymnasium traces in tests/envs): explicit Euler with tau = 0.02 s, termination on |x| > 2.4 m or
// |theta| > 12 deg (strict, on the new state), reward +1 on every step including the terminating one (or
// Sutton & Barto's 0 / -1 with `sutton_barto_reward`), reset uniform in [-0.05, 0.05]^4, truncation at 500
// steps, solved at a 100-episode mean return of 475 (Gymnasium's registry).
//
// A new environment is this file's shape: Params (defaults + validate), the state as an array of doubles,
// the spaces, the reset distribution, one pure transition, the observation — then one line in
// envs/registry.cpp. Native<Model> (envs/native.hpp) adds the step counter, time limit, RNG and errors.

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numbers>
#include <optional>
#include <span>

#include "common/error.hpp"
#include "common/random.hpp"
#include "envs/environment.hpp"
#include "envs/native.hpp"

namespace pib::envs {

class CartPole {
 public:
  // 1. Parameters: a struct with defaults (Gymnasium's values) and a validate() that names a bad value.
  enum class Integrator { kEuler, kSemiImplicitEuler };
  struct Params {
    double gravity_mps2 = 9.8;
    double cart_mass_kg = 1.0;
    double pole_mass_kg = 0.1;
    double pole_half_length_m = 0.5;
    double force_N = 10.0;
    double tau_s = 0.02;
    Integrator integrator = Integrator::kEuler;
    double x_threshold_m = 2.4;
    double theta_threshold_rad = 12 * 2 * std::numbers::pi / 360;  // as Gymnasium computes it
    // Sutton & Barto's reward: 0 per non-terminating step, -1 on the terminating step.
    bool sutton_barto_reward = false;
    // Reset bounds (Gymnasium's reset options low/high): every state value uniform in [low, high).
    double reset_low = -0.05;
    double reset_high = 0.05;
    int max_episode_steps = 500;

    void validate() const {
      if (!(cart_mass_kg > 0) || !(pole_mass_kg > 0) || !(pole_half_length_m > 0) || !(tau_s > 0))
        raise<InvalidArgument>("CartPole: masses, pole length and tau must be > 0");
      if (!(reset_low <= reset_high))
        raise<InvalidArgument>("CartPole: reset_low (", reset_low, ") must be <= reset_high (", reset_high,
                               ")");
      if (max_episode_steps < 1)
        raise<InvalidArgument>("CartPole: max_episode_steps is ", max_episode_steps, ", expected >= 1");
    }
  };

  // 2. Sizes and the state: plain doubles, indices documented.
  static constexpr std::size_t kStateDim = 4;  // x_m, x_dot_mps, theta_rad, theta_dot_radps
  static constexpr std::size_t kObservationDim = 4;
  static constexpr int kActionCount = 2;  // 0 = push left, 1 = push right
  using State = std::array<double, kStateDim>;

  // Derived constants are computed once, in the same order as Gymnasium's __init__, so every rounding agrees.
  explicit CartPole(const Params& params)
      : params_(params),
        total_mass_kg_(params.pole_mass_kg + params.cart_mass_kg),
        polemass_length_(params.pole_mass_kg * params.pole_half_length_m) {}

  const Params& params() const { return params_; }

  // 3. Spaces as data: Gymnasium's Box(-high, high) with high = (2 x_threshold, inf, 2 theta_threshold, inf).
  Box observation_space() const {
    constexpr float inf = std::numeric_limits<float>::infinity();
    const auto x = static_cast<float>(params_.x_threshold_m * 2);
    const auto theta = static_cast<float>(params_.theta_threshold_rad * 2);
    return {{-x, -inf, -theta, -inf}, {x, inf, theta, inf}, {kObservationDim}};
  }
  // Gymnasium's registry says 475; with Sutton & Barto's reward the best return is 0.
  std::optional<double> reward_threshold() const { return params_.sutton_barto_reward ? 0.0 : 475.0; }

  // 4. The reset distribution, drawn from the injected RNG.
  State initial_state(Rng& rng) const {
    State s;
    for (double& v : s)
      v = rng.uniform(params_.reset_low, params_.reset_high);
    return s;
  }

  // 5. One step: a pure function of (state, action). Gymnasium cartpole.py CartPoleEnv.step, operation for
  //    operation (the parenthesisation fixes the floating-point rounding).
  Transition<CartPole> transition(const State& s, int action, Rng& /*rng*/) const {
    auto [x, x_dot, theta, theta_dot] = s;
    const double force = action == 1 ? params_.force_N : -params_.force_N;
    const double costheta = std::cos(theta);
    const double sintheta = std::sin(theta);
    const double temp = (force + polemass_length_ * (theta_dot * theta_dot) * sintheta) / total_mass_kg_;
    const double thetaacc = (params_.gravity_mps2 * sintheta - costheta * temp) /
                            (params_.pole_half_length_m *
                             (4.0 / 3.0 - params_.pole_mass_kg * (costheta * costheta) / total_mass_kg_));
    const double xacc = temp - polemass_length_ * thetaacc * costheta / total_mass_kg_;
    const double tau = params_.tau_s;
    if (params_.integrator == Integrator::kEuler) {
      x = x + tau * x_dot;
      x_dot = x_dot + tau * xacc;
      theta = theta + tau * theta_dot;
      theta_dot = theta_dot + tau * thetaacc;
    } else {
      x_dot = x_dot + tau * xacc;
      x = x + tau * x_dot;
      theta_dot = theta_dot + tau * thetaacc;
      theta = theta + tau * theta_dot;
    }
    const bool terminated = x < -params_.x_threshold_m || x > params_.x_threshold_m ||
                            theta < -params_.theta_threshold_rad || theta > params_.theta_threshold_rad;
    double reward = 1.0;
    if (params_.sutton_barto_reward) reward = terminated ? -1.0 : 0.0;
    return {{x, x_dot, theta, theta_dot}, reward, terminated};
  }

  // 6. The observation: the state rounded to float.
  void observe(const State& s, std::span<float, kObservationDim> out) const {
    for (std::size_t i = 0; i < kStateDim; ++i)
      out[i] = static_cast<float>(s[i]);
  }

 private:
  Params params_;
  double total_mass_kg_;
  double polemass_length_;
};

}  // namespace pib::envs
