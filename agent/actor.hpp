#pragma once
// The actor (DESIGN.md 4.3): steps the environment epsilon-greedy on the deployed Q-network, aggregates
// n-step transitions and hands them to the learner through the transition sink; finished episodes wait in
// a hand-off list for the trainer.
//
// Thread ownership: in the async schedule the actor's thread calls step(); the learner thread calls
// TransitionSink::drain, take_finished and steps(). In the sync schedule both run on the calling thread.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/config.hpp"
#include "agent/metrics.hpp"
#include "agent/network.hpp"
#include "agent/nstep.hpp"
#include "agent/observation.hpp"
#include "envs/environment.hpp"
#include "replay/transition_queue.hpp"
#include "replay/uniform_replay.hpp"

namespace pib::agent {

// A user's environment may return anything: a NaN or infinite observation or reward is an InvalidArgument
// naming the environment, the step and the episode (its number; < 0: a calibration episode), before it
// reaches a replay buffer.
void check_step(const std::string& env, const envs::StepResult& r, int step, std::int64_t episode);

// The one way transitions go from the actor to the learner's replay buffer: a lock-free SPSC queue. Async:
// a full queue waits for the learner thread to drain it. Sync: the learner is the actor's thread and drains
// only after the actor's steps, so a full queue is drained into the replay buffer by send itself (in order:
// the buffer ends up as if the queue were unbounded).
class TransitionSink {
 public:
  static constexpr std::size_t kCapacity = 8192;
  TransitionSink(Schedule schedule, replay::UniformReplay& replay)
      : sync_(schedule == Schedule::sync), replay_(replay) {}

  void send(const replay::Transition& t);  // actor thread
  void drain();                            // learner thread: moves every queued transition into replay
  bool empty() const { return queue_.read_available() == 0; }  // learner thread

 private:
  bool sync_;
  replay::UniformReplay& replay_;
  replay::TransitionQueue queue_{kCapacity};
};

class Actor {
 public:
  Actor(const RlConfig& cfg, QNetwork& net, const ObservationScale& scale, TransitionSink& sink);

  const envs::Environment& env() const { return *env_; }
  // Environment steps taken (written by the actor, readable from any thread).
  std::int64_t steps() const { return steps_.load(std::memory_order_acquire); }
  double epsilon(std::int64_t t) const;

  // One environment step: starts an episode if none is running (episode e resets with
  // derive_seed(seed, Stream::episode, e)), acts epsilon-greedy, sends completed n-step transitions.
  void step();
  // Episodes finished since the last call, in order (learner thread).
  std::vector<EpisodeRecord> take_finished();

  // Its state: steps, episode, environment, n-step buffer, exploration stream. Not concurrent with step().
  template <typename Archive>
  void serialize(Archive& a);

 private:
  const RlConfig& cfg_;
  std::unique_ptr<envs::Environment> env_;
  QNetwork& net_;
  const ObservationScale& scale_;
  TransitionSink& sink_;
  Rng rng_;
  NStepAggregator nstep_;
  std::vector<float> obs_;
  bool episode_running_ = false;
  double episode_return_ = 0.0;
  int episode_length_ = 0;
  std::int64_t episode_ = 0;  // episodes started
  std::atomic<std::int64_t> steps_{0};
  std::mutex finished_mutex_;
  std::vector<EpisodeRecord> finished_;  // guarded by finished_mutex_
  Matrix x_;
  std::vector<replay::Transition> emitted_;
};

}  // namespace pib::agent
