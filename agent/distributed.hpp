#pragma once
// Distributed RL (DESIGN.md 9): one learner and N actors that talk only through a pib::Transport — MPI
// ranks 1..N under mpirun (dist/), threads of one process otherwise. The learner (rank 0) owns the online
// and target devices, the replay buffer and the updates (agent/trainer.cpp runs it); an actor owns a clone
// of the devices (the same chips: same build, same calibration) and a VectorEnv of envs_per_actor copies.
//
// The protocol, every message a record of pib's binary format naming its kind and sender:
//   policy       learner -> actor, after the first update and every sync_every updates after: the learner's
//                update count (the policy's version), every unit's parameters and the acting head's, the
//                environment steps the learner knows of, the actor's step budget, and the learner's count of
//                recalibration passes with, when it has risen since the last policy sent, the pass's states
//                (the actor then calibrates its clones on them too).
//   budget       learner -> actor, after every update: a new step budget. An actor steps while its steps
//                are under its budget (its share of learning_starts + update_every x (updates + sync_every),
//                plus one batch and one step of its environments), so the update-to-data ratio of the recipe
//                holds with any number of actors; a blocked actor sends what it has and waits for the next
//                message.
//   transitions  actor -> learner, every batch_transitions n-step transitions (and whenever the budget
//                stops the actor): the transitions, the episodes finished, the actor's steps and the policy
//                version it acted with (staleness = learner updates - that version).
//   failure      actor -> learner: the actor's error; then the actor ends.
//   stop         learner -> actor: the run is over.
//   restore      learner -> actor, first of a resumed run: the actor's step count in the checkpoint; it goes
//                on from there with new episodes (reset and exploration streams derived from that count).
// A receiver checks kind, sender and sizes; its errors name the sender.
//
// Random streams: actor a resets its environments with derive_seed(seed, Stream::actor_envs, a), explores
// with Stream::actor index a + 1 (index 0 is the single-process actor's) and programs its devices with
// Stream::actor_deploy a.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/config.hpp"
#include "agent/metrics.hpp"
#include "agent/network.hpp"
#include "common/transport.hpp"
#include "replay/transition.hpp"
#include "replay/uniform_replay.hpp"

namespace pib::agent {

struct FinishedEpisode {
  double episode_return = 0.0;
  int length = 0;
};

// A transitions message from actor rank `sender`: it acted with policy `version`, has taken `steps`
// environment steps, and sends `transitions` (observations of obs_dim values) and the episodes it finished.
std::string encode_transitions(int sender, std::int64_t version, std::int64_t steps, std::uint32_t obs_dim,
                               const std::vector<replay::Transition>& transitions,
                               const std::vector<FinishedEpisode>& finished);

// What actor rank transport.rank() runs until the learner stops it. An error in its environment or devices
// is sent to the learner as a failure message, then rethrown.
void run_actor(const RlConfig& cfg, Transport& transport);

// An actor that failed: its rank and its message.
struct ActorFailure {
  int rank = 0;
  std::string message;
};

// The learner's side of the protocol.
class ActorHub {
 public:
  // `steps` (one per actor) and `episodes`: where a resumed run's actors left off (zeros for a fresh run).
  ActorHub(const RlConfig& cfg, Transport& transport, const std::vector<std::int64_t>& steps,
           std::int64_t episodes);

  int actors() const { return static_cast<int>(actors_.size()); }
  int alive() const;
  // Environment steps of every actor together (as last reported).
  std::int64_t steps() const;
  std::vector<std::int64_t> actor_steps() const;
  std::int64_t episodes() const { return episodes_; }

  // Tells every actor with steps already taken (a resumed run) to go on from that count.
  void send_restore();
  // Sends every live actor the policy (version `updates`) with a budget for learner state `updates`, and
  // the learner's recalibration count, with its states when the count has risen since the last policy.
  void send_policy(QNetwork& net, std::int64_t updates, std::int64_t recalibrations, const Matrix& states);
  // Sends every live actor its budget for learner state `updates` when it has changed.
  void send_budget(std::int64_t updates);
  // Takes every message that has arrived: transitions go into `replay` (when `replay` is given), finished
  // episodes into `episodes` (their step: steps() after the message), failures into `failures` (the actor
  // is then dropped). `updates` is the learner's count, for staleness. Returns whether anything arrived.
  bool poll(replay::UniformReplay* replay, std::int64_t updates, std::vector<EpisodeRecord>& episodes,
            std::vector<ActorFailure>& failures);
  // Tells every live actor to stop.
  void stop();
  // Every actor's metrics since the last call.
  std::vector<ActorMetrics> take_metrics();

 private:
  struct Actor {
    int rank = 0;
    bool alive = true;
    std::int64_t steps = 0, transitions = 0, budget_sent = -1;
    std::int64_t interval_steps0 = 0;
    double staleness_sum = 0.0;
    std::int64_t batches = 0;
  };
  std::int64_t budget(std::int64_t updates) const;

  const RlConfig& cfg_;
  Transport& transport_;
  std::vector<Actor> actors_;
  std::int64_t episodes_ = 0;
  std::int64_t known_steps_sent_ = 0;
  std::int64_t recalibrations_sent_ = 0;
  std::chrono::steady_clock::time_point interval_start_;
};

}  // namespace pib::agent
