#pragma once
// Vectorised stepping of N copies of one environment, Gymnasium's vector-env semantics with next-step
// auto-reset (gymnasium.vector.AutoresetMode.NEXT_STEP):
//
// * `reset(seed)` resets copy i with derive_seed(seed, Stream::episode, i) (so copies differ, no copy's
//   stream coincides with another batch's, and the whole batch is reproducible).
// * `step(actions)` steps every copy with its action, except a copy whose episode ended (terminated or
//   truncated) on the previous `step`: that copy is reset instead (reset() without a seed, continuing its
//   RNG stream), its action is ignored, and it reports the new episode's first observation with reward 0,
//   terminated = false, truncated = false. So the step that ends an episode reports the final observation,
//   and the next step starts the next episode.
// * Results live in buffers the VectorEnv owns (row i = copy i): observations (N x observation_dim,
//   row-major float), rewards, terminated, truncated. Spans stay valid until the next reset/step. Stepping
//   does not allocate.
// Single-threaded: one thread steps all copies, in index order.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "envs/environment.hpp"

namespace pib::envs {

class VectorEnv {
 public:
  // `num_envs` copies of the registered `id`. Throws UnknownEnvironmentError, InvalidArgument (num_envs 0).
  VectorEnv(const std::string& id, std::size_t num_envs);
  // Takes ownership of the given copies; all must declare the same spaces. Throws InvalidArgument.
  explicit VectorEnv(std::vector<std::unique_ptr<Environment>> envs);

  std::size_t num_envs() const { return envs_.size(); }
  std::size_t observation_dim() const { return observation_dim_; }
  int action_count() const { return envs_.front()->action_count(); }
  const Environment& env(std::size_t i) const { return *envs_.at(i); }

  // Resets copy i with derive_seed(seed, Stream::episode, i); returns all observations (row-major, N x
  // observation_dim).
  std::span<const float> reset(std::uint64_t seed);
  // One step of every copy (with next-step auto-reset, above). `actions.size()` must equal num_envs().
  // Throws InvalidArgument on a wrong size, StepBeforeResetError before the first reset, InvalidActionError.
  void step(std::span<const int> actions);

  std::span<const float> observations() const { return observations_; }
  std::span<const float> observation(std::size_t i) const {
    return std::span<const float>(observations_).subspan(i * observation_dim_, observation_dim_);
  }
  std::span<const double> rewards() const { return rewards_; }
  std::span<const std::uint8_t> terminated() const { return terminated_; }
  std::span<const std::uint8_t> truncated() const { return truncated_; }

 private:
  void copy_observation(std::size_t i, std::span<const float> obs);

  std::vector<std::unique_ptr<Environment>> envs_;
  std::size_t observation_dim_ = 0;
  bool was_reset_ = false;
  std::vector<float> observations_;
  std::vector<double> rewards_;
  std::vector<std::uint8_t> terminated_;
  std::vector<std::uint8_t> truncated_;
  std::vector<std::uint8_t> needs_reset_;
};

}  // namespace pib::envs
