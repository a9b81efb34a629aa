#pragma once
// The type-erased environment every consumer of envs/ (the RL agent, the CLI, the benchmarks) talks to, the
// spaces it declares as data, and the typed errors it throws (DESIGN.md 4.1).
//
// Contract (Gymnasium's API shape):
// * `reset(seed)` reseeds the environment's own RNG, samples an initial state, sets the elapsed step count to
//   0 and returns the first observation; `reset()` does the same but continues the RNG stream.
// * `step(action)` advances one step and returns {observation, reward, terminated, truncated}. `terminated`
//   means the task reached a terminal state; `truncated` means the time limit (`max_episode_steps`) was hit.
//   Both can be true on the same step. The time limit is truncation, never a failure.
// * `step` before the first `reset`, `step` after an episode ended, and an action outside
//   [0, action_count()) throw typed errors (below); none is undefined behaviour.
// * Observations are float (as Gymnasium's float32 spaces); the internal state is double. The returned
//   observation span points into a buffer the environment owns: it stays valid until the next
//   reset/step/set_state on the same object. Neither `step` nor `reset` allocates.
// * Environments that can expose and restore their full internal state (the state vector and the elapsed
//   step count) say so with `supports_state()`; the built-in ones do.
// Environments know nothing of threads: one object is used by one thread at a time.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace pib::envs {

// ---- errors -------------------------------------------------------------------------------------------

// `make` was asked for an id nobody registered; the message lists the known ids.
class UnknownEnvironmentError : public InvalidArgument {
 public:
  using InvalidArgument::InvalidArgument;
};

// An action outside [0, action_count()).
class InvalidActionError : public InvalidArgument {
 public:
  using InvalidArgument::InvalidArgument;
};

// A state given to `set_state` has the wrong length, a NaN or infinite value, or a step count outside
// [0, max_episode_steps()).
class InvalidStateError : public InvalidArgument {
 public:
  using InvalidArgument::InvalidArgument;
};

// `step` was called before the first `reset` (or `set_state`).
class StepBeforeResetError : public StateError {
 public:
  using StateError::StateError;
};

// `step` was called after the episode terminated or was truncated, without a `reset` in between.
class EpisodeEndedError : public StateError {
 public:
  using StateError::StateError;
};

// The environment's own code failed or broke the contract: a user environment (e.g. one written in Python)
// raised, or returned an observation of the wrong shape or type. The agent adds the episode and the step.
class EnvironmentError : public Error {
 public:
  using Error::Error;
};

// ---- spaces -------------------------------------------------------------------------------------------

// A box of float observations: element i lies in [low[i], high[i]] (bounds may be +-infinity).
struct Box {
  std::vector<float> low;
  std::vector<float> high;
  std::vector<std::size_t> shape;

  std::size_t size() const { return low.size(); }
  // True when `x` has the box's size and every element lies within its bounds (NaN never does).
  bool contains(std::span<const float> x) const {
    if (x.size() != low.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!(x[i] >= low[i] && x[i] <= high[i])) return false;
    }
    return true;
  }
};

// A finite set of actions {0, 1, ..., n - 1}.
struct Discrete {
  int n = 0;
  bool contains(int action) const { return action >= 0 && action < n; }
};

// ---- results and state --------------------------------------------------------------------------------

// What one step returns. `observation` points into the environment's own buffer (see the contract above).
struct StepResult {
  std::span<const float> observation;
  double reward = 0.0;
  bool terminated = false;
  bool truncated = false;
};

// The full internal state of an environment: the state vector (double) and the elapsed step count.
struct EnvState {
  std::vector<double> values;
  int elapsed_steps = 0;
};

// ---- the interface ------------------------------------------------------------------------------------

class Environment {
 public:
  virtual ~Environment() = default;

  // The id it was created under (`make(id)`), e.g. "CartPole-v1".
  virtual std::string id() const = 0;

  virtual const Box& observation_space() const = 0;
  virtual const Discrete& action_space() const = 0;
  std::size_t observation_dim() const { return observation_space().size(); }
  int action_count() const { return action_space().n; }
  // The time limit: the step that reaches it returns truncated = true.
  virtual int max_episode_steps() const = 0;
  // The mean return over 100 episodes at which the task counts as solved (Gymnasium's registry), if any.
  virtual std::optional<double> reward_threshold() const = 0;

  // Reseeds the environment's RNG with `seed` and starts a new episode.
  virtual std::span<const float> reset(std::uint64_t seed) = 0;
  // Starts a new episode, continuing the RNG stream (what vector auto-reset uses).
  virtual std::span<const float> reset() = 0;
  // Advances one step. Throws InvalidActionError, StepBeforeResetError, EpisodeEndedError.
  virtual StepResult step(int action) = 0;
  // The current observation (of the last reset/step/set_state).
  virtual std::span<const float> observation() const = 0;
  // Elapsed steps in the current episode.
  virtual int elapsed_steps() const = 0;

  // State exposure: environments that support it return true and implement the three below; the others
  // throw StateError from them.
  virtual bool supports_state() const { return false; }
  virtual std::size_t state_dim() const { return 0; }
  virtual EnvState get_state() const;
  // Restores the state and step count and makes the episode running (a following `step` continues from it).
  // Throws InvalidStateError on a wrong length, a non-finite value or a step count outside
  // [0, max_episode_steps()).
  virtual void set_state(std::span<const double> values, int elapsed_steps);
  void set_state(const EnvState& state) { set_state(state.values, state.elapsed_steps); }

  // An independent copy (same parameters, state, step count and RNG).
  virtual std::unique_ptr<Environment> clone() const = 0;
};

}  // namespace pib::envs
