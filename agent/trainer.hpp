#pragma once
// The RL trainer: actor, learner and their two schedules (DESIGN.md 4.3).
//
// Data path: the actor steps the environment with the currently deployed Q-network (epsilon-greedy on the
// last unit's head), aggregates n-step transitions and sends them through a lock-free SPSC queue; the
// learner moves them into the replay buffer and, once every `update_every` environment steps, runs one
// update: measure the online cascade on the states, compute the TD targets from the target devices (Double
// DQN: the online devices pick the action), then update every unit with its own local loss
// L_l = L_PIB,l + lambda L_TD,l on its measured features, and deploy its new parameters to its device.
//
// One code path, two schedules:
//  * sync:  the actor and the learner alternate on the calling thread; every unit update and every deploy
//           finishes before the next step. Bit-reproducible for a seed, also across checkpoint/resume.
//  * async: the actor runs on its own thread (throttled to stay at most one update ahead); unit updates are
//           oneTBB tasks; a unit's deploy runs as a task while the learner samples the next batch and
//           computes the next targets, so measurements use whatever parameters the device last finished
//           deploying (the staleness is recorded).
//
// The trainer never prints: it reports through callbacks, which run on the calling (learner) thread.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/config.hpp"
#include "units/unit.hpp"

namespace pib::agent {

struct EpisodeRecord {
  std::int64_t episode = 0;  // 0-based index
  double episode_return = 0.0;
  int length = 0;
  std::int64_t step = 0;  // environment steps when it ended
};

struct UnitMetrics {
  double td_loss = 0.0;  // mean over the interval's updates
  double pib_loss = 0.0;
  double i_xz = 0.0;           // bits
  double i_yz = 0.0;           // bits
  double grad_norm_td = 0.0;   // norm of lambda * dL_TD / dtheta (unit layer), mean
  double grad_norm_pib = 0.0;  // norm of dL_PIB / dtheta (unit layer), mean
  double staleness = 0.0;      // mean parameter versions the measured device lagged behind the learner
  units::DeviceLedger ledger;  // cumulative device time
};

struct IntervalMetrics {
  std::int64_t step = 0;
  std::int64_t updates = 0;
  std::int64_t episodes = 0;
  std::optional<double> mean_return_100;  // once there are 100 episodes
  double epsilon = 0.0;
  double lr = 0.0;
  double steps_per_s = 0.0;    // over the interval
  double updates_per_s = 0.0;  // over the interval
  double wall_s = 0.0;         // since the start of this run (not counting earlier runs before a resume)
  double eta_s = 0.0;          // time left at the current rate if the run goes to total_steps
  std::vector<UnitMetrics> units;
};

struct Summary {
  std::string env;
  std::optional<std::int64_t> solved_at_step;
  std::optional<double> best_mean_return_100;
  std::int64_t env_steps = 0;
  std::int64_t updates = 0;
  std::int64_t episodes = 0;
  double wall_s = 0.0;
  double compute_s = 0.0;  // learner wall time spent in updates
  std::string schedule;
  nlohmann::json device;  // per unit: kind, timing, ledger
  nlohmann::json to_json() const;
};

struct Callbacks {
  std::function<void(const EpisodeRecord&)> on_episode;
  std::function<void(const IntervalMetrics&)> on_interval;
  std::function<void(const std::filesystem::path&)> on_checkpoint;
  std::function<void(std::int64_t step, const FaultEvent&)> on_fault;  // a configured fault was injected
};

class Trainer {
 public:
  // A fresh run.
  explicit Trainer(RlConfig config);
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  // A run restored from a checkpoint file (its config included). `overrides` may change run-length keys
  // (total_steps, stop_when_solved, checkpoint_every, metrics_every); others must match.
  static std::unique_ptr<Trainer> resume(const std::filesystem::path& checkpoint);

  // Runs until total_steps or (stop_when_solved) the solve point. Writes checkpoints into `checkpoint_dir`
  // (if not empty) every checkpoint_every steps and at the end.
  Summary run(const Callbacks& callbacks, const std::filesystem::path& checkpoint_dir);

  // Runs exactly `updates` more learner updates (the latency experiment), then returns.
  Summary run_updates(std::int64_t updates, const Callbacks& callbacks);

  // Writes the complete state atomically (temporary file + rename).
  void save_checkpoint(const std::filesystem::path& file);

  const RlConfig& config() const;
  std::int64_t env_steps() const;

  // Greedy evaluation of the current network on fresh episodes: episode e resets with
  // derive_seed(eval_seed, Stream::evaluation_episode, e); measurement noise from Stream::evaluation.
  std::vector<double> evaluate(int episodes, std::uint64_t eval_seed);

 private:
  struct Impl;
  explicit Trainer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Name of the newest checkpoint in a run directory (checkpoint_<step>.pib), or a FileError.
std::filesystem::path latest_checkpoint(const std::filesystem::path& run_dir);

}  // namespace pib::agent
