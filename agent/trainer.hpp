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
//           oneTBB tasks; a unit's deploy runs on its programming thread while the learner samples the next
//           batch and computes the next targets, so measurements use whatever parameters the device last
//           finished deploying (the staleness is recorded).
//
// The parts: agent/actor (stepping, n-step returns, episodes, exploration, the transition sink),
// agent/learner (sampling, targets, unit updates, deploys, target updates, faults), agent/metrics,
// agent/checkpoint_io (the archives every part's serialize runs with), agent/observation (the one
// observation scaling); this file's trainer builds them and runs the one loop both schedules share.
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
#include "agent/metrics.hpp"
#include "common/transport.hpp"
#include "units/unit.hpp"

namespace pib::agent {

struct Callbacks {
  std::function<void(const EpisodeRecord&)> on_episode;
  std::function<void(const IntervalMetrics&)> on_interval;
  std::function<void(const std::filesystem::path&)> on_checkpoint;
  std::function<void(std::int64_t step, const FaultEvent&)> on_fault;  // a configured fault was injected
  std::function<void(const SolveCheck&)> on_solve_check;               // a greedy check of a solved run
  std::function<void(int rank, const std::string&)> on_actor_failure;  // a dropped actor (distributed)
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

  // Runs until total_steps or (stop_when_solved) the solve point: the 100-episode training mean at the
  // environment's threshold and, with solve_check_episodes > 0, a greedy evaluation of the current network
  // (episode seeds derived from Stream::solve_check and the step) at it too. Writes checkpoints into `checkpoint_dir`
  // (if not empty) every checkpoint_every steps and at the end.
  //
  // With distributed.actors > 0 the actors are the ranks 1.. of `actors` (this process is rank 0), or, when
  // `actors` is null, threads of this process over a LocalTransport (agent/distributed.hpp). Its checkpoints
  // hold the learner's state and every actor's step count; a resumed run's actors go on from those counts.
  Summary run(const Callbacks& callbacks, const std::filesystem::path& checkpoint_dir,
              Transport* actors = nullptr);

  // Asks a running `run` to stop at its next pass (between environment steps): it writes its checkpoint and
  // returns a Summary with interrupted = true. Safe from any thread and from a signal handler (one lock-free
  // atomic store); a request made before `run` starts ends that run at once.
  void request_stop();

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
