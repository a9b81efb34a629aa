#pragma once
// Acrobot-v1: a two-link pendulum actuated at the joint between the links; swing the free end above the bar.
// Matches Gymnasium's classic_control/acrobot.py step for step: one RK4 step of 0.2 s over the state
// augmented with the torque (Gymnasium's `rk4` with t = [0, dt]), angles wrapped to [-pi, pi], velocities
// bounded to 4 pi and 9 pi, the "book" dynamics by default ("nips" on request), reward -1 per step and 0 on
// the terminating step, reset uniform in [-0.1, 0.1]^4 rounded to float32 (as Gymnasium stores it),
// truncation at 500 steps, reward threshold -100 (Gymnasium's registry).
//
// State: theta1_rad, theta2_rad, dtheta1_radps, dtheta2_radps.
// Observation: cos theta1, sin theta1, cos theta2, sin theta2, dtheta1, dtheta2.
// Actions: 0 = torque -1, 1 = torque 0, 2 = torque +1.

#include <array>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <optional>
#include <span>

#include "common/error.hpp"
#include "common/random.hpp"
#include "envs/environment.hpp"
#include "envs/native.hpp"

namespace pib::envs {

class Acrobot {
 public:
  enum class Dynamics { kBook, kNips };
  struct Params {
    double dt_s = 0.2;
    double link_length_1_m = 1.0;
    double link_mass_1_kg = 1.0;
    double link_mass_2_kg = 1.0;
    double link_com_pos_1_m = 0.5;
    double link_com_pos_2_m = 0.5;
    double link_moi_kgm2 = 1.0;
    double max_vel_1_radps = 4 * std::numbers::pi;
    double max_vel_2_radps = 9 * std::numbers::pi;
    Dynamics dynamics = Dynamics::kBook;
    // Uniform noise in [-torque_noise_max, torque_noise_max) added to the torque (Gymnasium's default: 0).
    double torque_noise_max = 0.0;
    double reset_low = -0.1;
    double reset_high = 0.1;
    int max_episode_steps = 500;

    void validate() const {
      if (!(dt_s > 0)) raise<InvalidArgument>("Acrobot: dt_s is ", dt_s, ", expected > 0");
      if (!(torque_noise_max >= 0))
        raise<InvalidArgument>("Acrobot: torque_noise_max is ", torque_noise_max, ", expected >= 0");
      if (!(reset_low <= reset_high))
        raise<InvalidArgument>("Acrobot: reset_low (", reset_low, ") must be <= reset_high (", reset_high,
                               ")");
      if (max_episode_steps < 1)
        raise<InvalidArgument>("Acrobot: max_episode_steps is ", max_episode_steps, ", expected >= 1");
    }
  };

  static constexpr std::size_t kStateDim = 4;
  static constexpr std::size_t kObservationDim = 6;
  static constexpr int kActionCount = 3;
  using State = std::array<double, kStateDim>;

  explicit Acrobot(const Params& params) : params_(params) {}
  const Params& params() const { return params_; }

  Box observation_space() const {
    const auto v1 = static_cast<float>(params_.max_vel_1_radps);
    const auto v2 = static_cast<float>(params_.max_vel_2_radps);
    return {{-1.f, -1.f, -1.f, -1.f, -v1, -v2}, {1.f, 1.f, 1.f, 1.f, v1, v2}, {kObservationDim}};
  }
  std::optional<double> reward_threshold() const { return -100.0; }

  State initial_state(Rng& rng) const {
    // Gymnasium draws the state as float32. The float array keeps the rounding explicit (GCC 12 at -O3
    // with AVX2 vectorises a double -> float -> double round trip in this loop into no rounding at all).
    std::array<float, kStateDim> f;
    for (float& v : f) v = static_cast<float>(rng.uniform(params_.reset_low, params_.reset_high));
    State s;
    for (std::size_t i = 0; i < kStateDim; ++i) s[i] = f[i];
    return s;
  }

  Transition<Acrobot> transition(const State& s, int action, Rng& rng) const {
    static constexpr double kTorque[3] = {-1.0, 0.0, +1.0};
    double torque = kTorque[action];
    if (params_.torque_noise_max > 0)
      torque += rng.uniform(-params_.torque_noise_max, params_.torque_noise_max);

    // Gymnasium's rk4(derivs, y0, [0, dt]) on the augmented state (s, torque); the torque's derivative is 0,
    // so it stays `torque` in every stage.
    const double dt = params_.dt_s - 0.0;
    const double dt2 = dt / 2.0;
    const State k1 = dsdt(s, torque);
    const State k2 = dsdt(axpy(s, dt2, k1), torque);
    const State k3 = dsdt(axpy(s, dt2, k2), torque);
    const State k4 = dsdt(axpy(s, dt, k3), torque);
    const double dt6 = dt / 6.0;
    State ns;
    for (std::size_t i = 0; i < kStateDim; ++i)
      ns[i] = s[i] + dt6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);

    constexpr double pi = std::numbers::pi;
    ns[0] = wrap(ns[0], -pi, pi);
    ns[1] = wrap(ns[1], -pi, pi);
    ns[2] = bound(ns[2], -params_.max_vel_1_radps, params_.max_vel_1_radps);
    ns[3] = bound(ns[3], -params_.max_vel_2_radps, params_.max_vel_2_radps);
    const bool terminated = -std::cos(ns[0]) - std::cos(ns[1] + ns[0]) > 1.0;
    return {ns, terminated ? 0.0 : -1.0, terminated};
  }

  void observe(const State& s, std::span<float, kObservationDim> out) const {
    out[0] = static_cast<float>(std::cos(s[0]));
    out[1] = static_cast<float>(std::sin(s[0]));
    out[2] = static_cast<float>(std::cos(s[1]));
    out[3] = static_cast<float>(std::sin(s[1]));
    out[4] = static_cast<float>(s[2]);
    out[5] = static_cast<float>(s[3]);
  }

  // Gymnasium acrobot.py wrap(): shifts x by whole periods until m <= x <= M.
  static double wrap(double x, double m, double M) {
    const double diff = M - m;
    while (x > M)
      x = x - diff;
    while (x < m)
      x = x + diff;
    return x;
  }
  // Gymnasium acrobot.py bound(): min(max(x, m), M) with Python's min/max.
  static double bound(double x, double m, double M) {
    const double lo = m > x ? m : x;
    return M < lo ? M : lo;
  }

 private:
  static State axpy(const State& y, double a, const State& k) {
    State out;
    for (std::size_t i = 0; i < kStateDim; ++i)
      out[i] = y[i] + a * k[i];
    return out;
  }

  // Gymnasium AcrobotEnv._dsdt, operation for operation.
  State dsdt(const State& s, double a) const {
    const double m1 = params_.link_mass_1_kg;
    const double m2 = params_.link_mass_2_kg;
    const double l1 = params_.link_length_1_m;
    const double lc1 = params_.link_com_pos_1_m;
    const double lc2 = params_.link_com_pos_2_m;
    const double I1 = params_.link_moi_kgm2;
    const double I2 = params_.link_moi_kgm2;
    const double g = 9.8;
    constexpr double pi = std::numbers::pi;
    const double theta1 = s[0];
    const double theta2 = s[1];
    const double dtheta1 = s[2];
    const double dtheta2 = s[3];
    const double d1 =
        m1 * (lc1 * lc1) + m2 * ((l1 * l1) + (lc2 * lc2) + 2 * l1 * lc2 * std::cos(theta2)) + I1 + I2;
    const double d2 = m2 * ((lc2 * lc2) + l1 * lc2 * std::cos(theta2)) + I2;
    const double phi2 = m2 * lc2 * g * std::cos(theta1 + theta2 - pi / 2.0);
    const double phi1 = -m2 * l1 * lc2 * (dtheta2 * dtheta2) * std::sin(theta2) -
                        2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * std::sin(theta2) +
                        (m1 * lc1 + m2 * l1) * g * std::cos(theta1 - pi / 2) + phi2;
    double ddtheta2;
    if (params_.dynamics == Dynamics::kNips) {
      ddtheta2 = (a + d2 / d1 * phi1 - phi2) / (m2 * (lc2 * lc2) + I2 - (d2 * d2) / d1);
    } else {
      ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * (dtheta1 * dtheta1) * std::sin(theta2) - phi2) /
                 (m2 * (lc2 * lc2) + I2 - (d2 * d2) / d1);
    }
    const double ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
    return {dtheta1, dtheta2, ddtheta1, ddtheta2};
  }

  Params params_;
};

}  // namespace pib::envs
