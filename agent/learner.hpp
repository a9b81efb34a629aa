#pragma once
// The learner (DESIGN.md 4.3): samples the replay buffer, measures the online and target cascades,
// computes the Double-DQN TD targets, updates every unit with its own local loss
// L_l = L_PIB,l + lambda L_TD,l on its measured features (Adam with a global-norm clip over the unit's layer
// and its head), deploys the new parameters to the devices, and updates the targets. It also injects the
// configured faults into the devices.
//
// Schedules: both measure the three cascades and update the units on two threads (PairWorker; each cascade
// with its own random stream, so sync stays bit-reproducible); sync runs every deploy to completion, async
// runs each deploy on its unit's programming thread, overlapping the next update's sampling and measurements
// (the staleness is recorded).
//
// Thread ownership: the learner thread calls everything; updates() may be read from any thread.

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "agent/adam.hpp"
#include "agent/config.hpp"
#include "agent/metrics.hpp"
#include "agent/network.hpp"
#include "agent/observation.hpp"
#include "agent/pair_worker.hpp"
#include "agent/programmer.hpp"
#include "bottleneck/objectives.hpp"
#include "replay/uniform_replay.hpp"

namespace pib::agent {

// One unit's learner state. Touched by the learner thread and by the unit's own update/deploy tasks, never
// by two of them at once (the learner waits for a unit's tasks before touching it again).
struct UnitLearner {
  Vector params;                        // intended parameters of the unit's trainable part
  Adam adam;                            // over [params, head parameters]
  Rng deploy_rng;                       // programming noise of the online device
  Rng::State deploy_rng_before_last{};  // its state before the last deploy (exact resume)
  Rng target_rng;                       // programming noise of the target device
  Rng::State target_rng_before_last{};
  Vector target_params;
  Vector deploying;             // the parameters the in-flight deploy reads
  // deploy_lag_updates > 0: the parameters requested but not yet landed (oldest first), and those on the device.
  std::deque<Vector> lagged;
  Vector on_device;
  std::uint64_t requested = 0;  // deploys requested so far (the learner's version of the parameters)
  // requested minus the device's own deploy count when both describe the same parameters: a resumed run
  // re-programs its devices once, so their count restarts while the learner's continues.
  std::uint64_t version_offset = 0;

  // Scratch, sized once.
  bottleneck::Workspace ws;
  Matrix q, dq, dz_td, dz_pib;
  Vector grad_td, grad_pib, grad, head_grad, all_params, all_grad;

  UnitAccumulator sums;         // this metrics interval's
  DeviceProgrammer programmer;  // async: the device's programming channel, at most one deploy in flight
};

// A unit's gradient from its TD part and its PIB part (`share`: cfg.pib.share). share < 0: their sum.
// share in [0, 1]: (1 - share) g_TD + share |g_TD| g_PIB / |g_PIB|: the PIB part's norm is `share` of the two
// parts' norms together and the sum keeps TD's scale; a PIB part of norm 0 leaves (1 - share) g_TD.
void combine_unit_gradient(const Vector& td, const Vector& pib, double share, Eigen::Ref<Vector> out);

class Learner {
 public:
  // `sigma_x` is the fixed Gaussian width of the scaled states (pib.x_width on the calibration states).
  Learner(const RlConfig& cfg, QNetwork& net, const ObservationScale& scale, double sigma_x);
  ~Learner();

  replay::UniformReplay& replay() { return replay_; }
  std::int64_t updates() const { return updates_.load(std::memory_order_acquire); }
  // Updates owed after `steps` environment steps: one per update_every steps past learning_starts.
  std::int64_t updates_due(std::int64_t steps) const;
  // Whether the replay buffer holds a batch.
  bool can_update() const { return replay_.size() >= static_cast<std::size_t>(cfg_.batch_size); }
  double lr(std::int64_t steps) const;
  double compute_s() const { return compute_s_; }
  double sigma_x() const { return sigma_x_; }
  // Calibration passes done since the first one (cfg.recalibrate_every) and the scaled states of the last.
  std::int64_t recalibrations() const { return recalibrations_; }
  const Matrix& recalibration_states() const { return recalibration_states_; }

  // One update at `steps` environment steps (the learning-rate schedule's clock).
  void update(std::int64_t steps);
  // Blocks until every device has finished deploying; rethrows a deploy's error.
  void wait_deploys();

  // Injects the configured faults due at `steps` into the online and target devices of their units (one
  // chip: the same draws for both); returns the ones injected now.
  std::vector<FaultEvent> inject_due_faults(std::int64_t steps);

  // The interval's metrics of unit l; starts the next interval.
  UnitMetrics take_metrics(std::size_t l);

  // Its state: updates, sampling and measurement streams, faults injected, each unit's parameters,
  // optimiser, heads, targets and programming streams, the replay buffer. Loading re-injects the faults and
  // re-programs the devices exactly as they were. No deploy may be in flight.
  template <typename Archive>
  void serialize(Archive& a);

 private:
  void measure_cascades();  // and compute_targets, as its last task
  void compute_targets();
  void update_unit(std::size_t l, double lr_now);
  void deploy_unit(std::size_t l);
  void update_targets();
  void inject_fault(std::size_t k);
  void recalibrate();  // pass number recalibrations_ + 1 (Stream::recalibration)

  const RlConfig& cfg_;
  QNetwork& net_;
  const ObservationScale& scale_;
  double sigma_x_;
  std::vector<std::unique_ptr<UnitLearner>> units_;
  replay::UniformReplay replay_;
  Rng rng_sample_, rng_online_, rng_next_, rng_target_;
  std::atomic<std::int64_t> updates_{0};
  std::size_t faults_applied_ = 0;  // cfg.faults[0, faults_applied_) are in the devices
  double compute_s_ = 0.0;
  std::int64_t recalibrations_ = 0;  // passes done after the first calibration (cfg.recalibrate_every)
  Matrix recalibration_states_;      // the scaled states of the last one (kept for a resume)
  PairWorker pair_;  // the update's second thread (measurements, unit updates)
  bool any_drift_ = false;  // a unit drifts (Unit::drifts): sync measures its cascades one task at a time

  // Scratch of one update.
  replay::Batch batch_;
  Matrix xs_, xn_;
  std::vector<units::Measurement> m_s_, m_next_, m_target_;
  Matrix q_target_, q_online_;                           // the last heads on the next states
  std::optional<bottleneck::BatchTargets> pib_targets_;  // this update's, read by every unit's task
  Eigen::VectorXd y_;
  std::vector<int> actions_;
};

}  // namespace pib::agent
