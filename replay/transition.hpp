#pragma once
// One transition as a fixed-size value (no heap memory), for passing between threads through
// TransitionQueue and for pushing into a replay buffer.
//
// Observations live in fixed arrays of MaxObsDim floats, of which the first obs_dim are used; this keeps
// the type trivially copyable so a lock-free queue can hold it without allocating. `Transition` (the alias
// the agent uses) holds up to kDefaultMaxObsDim = 32 values per observation, enough for every classic
// control environment; use BasicTransition<N> for larger observations.
//
// reward is the (possibly n-step discounted) return of the step(s); discount is the bootstrap multiplier
// that goes with it: gamma^k when the reward sums k steps (1.0 by default, meaning "no discount applied").

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "common/error.hpp"

namespace pib::replay {

inline constexpr std::size_t kDefaultMaxObsDim = 32;

template <std::size_t MaxObsDim>
struct BasicTransition {
  static constexpr std::size_t kMaxObsDim = MaxObsDim;

  std::array<float, MaxObsDim> obs{};
  std::array<float, MaxObsDim> next_obs{};
  std::uint32_t obs_dim = 0;
  int action = 0;
  double reward = 0.0;
  double discount = 1.0;
  bool terminated = false;
  bool truncated = false;

  // Builds a transition; throws pib::InvalidArgument when obs and next_obs differ in size or exceed
  // MaxObsDim. Values are not checked for finiteness here: the replay buffer's push() does that.
  static BasicTransition make(std::span<const float> obs, int action, double reward,
                              std::span<const float> next_obs, bool terminated, bool truncated,
                              double discount = 1.0) {
    if (obs.size() != next_obs.size())
      raise<InvalidArgument>("transition: obs has ", obs.size(), " values but next_obs has ",
                             next_obs.size());
    if (obs.size() > MaxObsDim)
      raise<InvalidArgument>("transition: obs has ", obs.size(), " values, more than the maximum ", MaxObsDim,
                             " (use BasicTransition<N> with a larger N)");
    BasicTransition t;
    for (std::size_t i = 0; i < obs.size(); ++i) {
      t.obs[i] = obs[i];
      t.next_obs[i] = next_obs[i];
    }
    t.obs_dim = static_cast<std::uint32_t>(obs.size());
    t.action = action;
    t.reward = reward;
    t.discount = discount;
    t.terminated = terminated;
    t.truncated = truncated;
    return t;
  }

  std::span<const float> obs_view() const { return {obs.data(), obs_dim}; }
  std::span<const float> next_obs_view() const { return {next_obs.data(), obs_dim}; }
};

using Transition = BasicTransition<kDefaultMaxObsDim>;
static_assert(std::is_trivially_copyable_v<Transition>);

}  // namespace pib::replay
