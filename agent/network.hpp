#pragma once
// The Q-network: a deep PNN of physical units, each with a local digital Q head (DESIGN.md 4.3).
//
// Per unit l it owns the online device (what the agent acts and learns with), a target device of the same
// build (same seed-fixed physics) holding lagged parameters, the unit's intended parameters, its Q head and
// the head's lagged copy. The cascade's forward pass is a sequence of measurements: unit l measures the
// measured output of unit l-1. No gradient crosses units.
//
// Thread ownership: the learner thread owns everything here except `act`, which the actor thread may call
// concurrently: it measures the online devices (safe by the Unit contract) and reads the acting head
// through a snapshot the learner publishes with `publish_policy()`.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/random.hpp"
#include "units/head.hpp"
#include "units/unit.hpp"

namespace pib::agent {

using Matrix = units::Matrix;
using Vector = units::Vector;

class QNetwork {
 public:
  // Builds the units of `unit_configs` as one chain (units::resolve_chain and build_chain: input sizes filled
  // in along the cascade, unit l seeded derive_seed(seed, Stream::unit, l)), heads with `action_count`
  // outputs (head l seeded derive_seed(seed, Stream::head, l)), target devices as clones. `time_scale` > 0
  // overrides every unit's. An optical unit whose input is bounded (the first, or after a tanh unit) gets
  // the fixed input range [-1, 1] unless its config sets input_low/input_high.
  QNetwork(const nlohmann::json& unit_configs, Eigen::Index input_dim, int action_count, double time_scale,
           std::uint64_t seed);

  std::size_t depth() const { return online_.size(); }
  int action_count() const { return action_count_; }
  units::Unit& online(std::size_t l) { return *online_[l]; }
  units::Unit& target(std::size_t l) { return *target_[l]; }
  const units::Unit& online(std::size_t l) const { return *online_[l]; }
  units::LinearHead& head(std::size_t l) { return heads_[l]; }
  units::LinearHead& target_head(std::size_t l) { return target_heads_[l]; }
  const nlohmann::json& unit_configs() const { return configs_; }

  // Calibrates every device (online and target) on `inputs` propagated through the online cascade.
  void calibrate(const Matrix& inputs, Rng& rng);
  // Calibrates the devices again mid-run, on `inputs` propagated through each cascade: the online devices
  // on the online cascade's measurements, the target devices (which hold other parameters) on the target
  // cascade's. Parameters stay as they are.
  void recalibrate(const Matrix& inputs, Rng& rng);

  // Measures the online (or target) cascade on `x`; out[l] is unit l's measurement.
  void measure_online(const Matrix& x, std::vector<units::Measurement>& out, Rng& rng);
  void measure_target(const Matrix& x, std::vector<units::Measurement>& out, Rng& rng);

  // Greedy action of the acting (last) head for one scaled observation. Actor thread.
  int act(const Matrix& x, Rng& rng);
  // Makes the current last head the actor's policy head. Learner thread.
  void publish_policy();

 private:
  nlohmann::json configs_;
  int action_count_;
  std::vector<std::unique_ptr<units::Unit>> online_, target_;
  std::vector<units::LinearHead> heads_;
  std::vector<units::LinearHead> target_heads_;

  // Actor-side state (actor thread only, except the snapshot under policy_mutex_).
  std::mutex policy_mutex_;
  Vector policy_snapshot_;            // guarded by policy_mutex_
  std::uint64_t policy_version_ = 0;  // guarded by policy_mutex_
  std::uint64_t actor_policy_version_ = ~0ULL;
  std::optional<units::LinearHead> actor_head_;
  std::vector<units::Measurement> actor_measurements_;
  Matrix actor_q_;
};

}  // namespace pib::agent
