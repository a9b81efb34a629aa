#pragma once
// How a native environment is written: a *model* (the physics, as pure functions of params and state) run by
// `Native<Model>`, a small value type that owns everything else once for all environments — the state, the
// elapsed step count, the RNG, the time limit, the episode phase and the checks on bad input.
//
// A model M provides (see envs/cartpole.hpp, the annotated example):
//   struct Params { ...defaults...; int max_episode_steps; void validate() const; };
//   static constexpr std::size_t kStateDim, kObservationDim;  static constexpr int kActionCount;
//   using State = std::array<double, kStateDim>;
//   explicit M(const Params&);                       // may precompute derived constants
//   const Params& params() const;
//   Box observation_space() const;
//   std::optional<double> reward_threshold() const;
//   State initial_state(Rng&) const;                 // the reset distribution
//   Transition<M> transition(const State&, int action, Rng&) const;   // action already range-checked
//   void observe(const State&, std::span<float, kObservationDim>) const;
// `Native<M>` never allocates in reset/step. `NativeEnvironment<M>` adapts it to the virtual Environment
// interface for the registry.

#include <algorithm>
#include <array>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "common/error.hpp"
#include "common/random.hpp"
#include "envs/environment.hpp"

namespace pib::envs {

// One transition of a model: the next state, the reward and whether the next state is terminal.
template <typename M>
struct Transition {
  typename M::State next;
  double reward = 0.0;
  bool terminated = false;
};

template <typename M>
concept EnvironmentModel = requires(const M& model, const typename M::State& state, int action, Rng& rng,
                                    std::span<float, M::kObservationDim> out) {
  typename M::Params;
  requires std::same_as<typename M::State, std::array<double, M::kStateDim>>;
  { M::kActionCount } -> std::convertible_to<int>;
  { model.params() } -> std::convertible_to<const typename M::Params&>;
  { model.params().max_episode_steps } -> std::convertible_to<int>;
  { model.observation_space() } -> std::convertible_to<Box>;
  { model.reward_threshold() } -> std::convertible_to<std::optional<double>>;
  { model.initial_state(rng) } -> std::same_as<typename M::State>;
  { model.transition(state, action, rng) } -> std::same_as<Transition<M>>;
  model.observe(state, out);
};

// The value-type environment: parameters, plain state, elapsed step count, injected RNG.
template <EnvironmentModel M>
class Native {
 public:
  using Model = M;
  using Params = typename M::Params;
  using State = typename M::State;
  using Observation = std::array<float, M::kObservationDim>;

  struct Step {
    Observation observation;
    double reward = 0.0;
    bool terminated = false;
    bool truncated = false;
  };

  // `rng` is the injected generator; reset(seed) reseeds it, reset() continues it.
  explicit Native(const Params& params = {}, Rng rng = Rng{0}) : model_(checked(params)), rng_(rng) {}

  const M& model() const { return model_; }
  const Params& params() const { return model_.params(); }
  int max_episode_steps() const { return model_.params().max_episode_steps; }

  Observation reset(std::uint64_t seed) {
    rng_.reseed(seed);
    return reset();
  }
  Observation reset() {
    state_ = model_.initial_state(rng_);
    elapsed_steps_ = 0;
    phase_ = Phase::kRunning;
    return observe();
  }

  // Throws InvalidActionError, StepBeforeResetError, EpisodeEndedError (environment.hpp).
  Step step(int action) {
    if (phase_ != Phase::kRunning) [[unlikely]]
      throw_not_running();
    if (action < 0 || action >= M::kActionCount) [[unlikely]]
      raise<InvalidActionError>("action ", action, " is out of range: expected an integer in [0, ",
                                M::kActionCount, ")");
    const Transition<M> t = model_.transition(state_, action, rng_);
    state_ = t.next;
    ++elapsed_steps_;  // Gymnasium's TimeLimit: truncated once elapsed >= max_episode_steps
    const bool truncated = elapsed_steps_ >= model_.params().max_episode_steps;
    if (t.terminated || truncated) phase_ = Phase::kEnded;
    return {observe(), t.reward, t.terminated, truncated};
  }

  Observation observe() const {
    Observation out;
    model_.observe(state_, std::span<float, M::kObservationDim>(out));
    return out;
  }

  const State& state() const { return state_; }
  int elapsed_steps() const { return elapsed_steps_; }
  bool running() const { return phase_ == Phase::kRunning; }
  bool ended() const { return phase_ == Phase::kEnded; }

  // Restores the state and step count; the episode is running afterwards. Throws InvalidStateError on a
  // non-finite value or a step count outside [0, max_episode_steps).
  void set_state(const State& state, int elapsed_steps) {
    for (std::size_t i = 0; i < state.size(); ++i) {
      if (!std::isfinite(state[i]))
        raise<InvalidStateError>("state value ", i, " is ", state[i], ": expected a finite number");
    }
    if (elapsed_steps < 0 || elapsed_steps >= max_episode_steps())
      raise<InvalidStateError>("elapsed step count ", elapsed_steps, " is out of range: expected [0, ",
                               max_episode_steps(), ")");
    state_ = state;
    elapsed_steps_ = elapsed_steps;
    phase_ = Phase::kRunning;
  }

  Rng& rng() { return rng_; }
  const Rng& rng() const { return rng_; }

 private:
  enum class Phase : std::uint8_t { kNeedsReset, kRunning, kEnded };

  static const Params& checked(const Params& params) {
    params.validate();
    return params;
  }
  [[noreturn]] void throw_not_running() const {
    if (phase_ == Phase::kNeedsReset)
      raise<StepBeforeResetError>("step called before reset: call reset(seed) first");
    raise<EpisodeEndedError>("step called after the episode ended (at step ", elapsed_steps_,
                             "): call reset first");
  }

  M model_;
  Rng rng_;
  State state_{};
  int elapsed_steps_ = 0;
  Phase phase_ = Phase::kNeedsReset;
};

// Native<M> behind the virtual Environment interface (what `make` returns for a built-in id).
template <EnvironmentModel M>
class NativeEnvironment final : public Environment {
 public:
  NativeEnvironment(std::string id, const typename M::Params& params = {})
      : id_(std::move(id)), env_(params), observation_space_(env_.model().observation_space()) {
    action_space_.n = M::kActionCount;
    PIB_EXPECTS(observation_space_.size() == M::kObservationDim, "model ", id_,
                " declares a box of the wrong size");
  }

  std::string id() const override { return id_; }
  const Box& observation_space() const override { return observation_space_; }
  const Discrete& action_space() const override { return action_space_; }
  int max_episode_steps() const override { return env_.max_episode_steps(); }
  std::optional<double> reward_threshold() const override { return env_.model().reward_threshold(); }

  std::span<const float> reset(std::uint64_t seed) override {
    observation_ = env_.reset(seed);
    return observation_;
  }
  std::span<const float> reset() override {
    observation_ = env_.reset();
    return observation_;
  }
  StepResult step(int action) override {
    if (action < 0 || action >= M::kActionCount) [[unlikely]]
      raise<InvalidActionError>(id_, ": action ", action, " is out of range: expected an integer in [0, ",
                                M::kActionCount, ")");
    const auto s = env_.step(action);
    observation_ = s.observation;
    return {observation_, s.reward, s.terminated, s.truncated};
  }
  std::span<const float> observation() const override { return observation_; }
  int elapsed_steps() const override { return env_.elapsed_steps(); }

  bool supports_state() const override { return true; }
  std::size_t state_dim() const override { return M::kStateDim; }
  EnvState get_state() const override {
    const auto& s = env_.state();
    return {std::vector<double>(s.begin(), s.end()), env_.elapsed_steps()};
  }
  void set_state(std::span<const double> values, int elapsed_steps) override {
    if (values.size() != M::kStateDim)
      raise<InvalidStateError>(id_, ": state has ", values.size(), " values, expected ", M::kStateDim);
    typename M::State s;
    std::copy(values.begin(), values.end(), s.begin());
    env_.set_state(s, elapsed_steps);
    observation_ = env_.observe();
  }
  using Environment::set_state;

  std::unique_ptr<Environment> clone() const override { return std::make_unique<NativeEnvironment>(*this); }

  Native<M>& native() { return env_; }
  const Native<M>& native() const { return env_; }

 private:
  std::string id_;
  Native<M> env_;
  Box observation_space_;
  Discrete action_space_;
  typename Native<M>::Observation observation_{};
};

}  // namespace pib::envs
