#include "envs/vector_env.hpp"

#include <algorithm>
#include <utility>

#include "common/random.hpp"
#include "envs/registry.hpp"

namespace pib::envs {
namespace {
std::vector<std::unique_ptr<Environment>> make_copies(const std::string& id, std::size_t num_envs) {
  if (num_envs == 0) raise<InvalidArgument>("VectorEnv: num_envs is 0, expected >= 1");
  std::vector<std::unique_ptr<Environment>> envs;
  envs.reserve(num_envs);
  for (std::size_t i = 0; i < num_envs; ++i)
    envs.push_back(make(id));
  return envs;
}
}  // namespace

VectorEnv::VectorEnv(const std::string& id, std::size_t num_envs) : VectorEnv(make_copies(id, num_envs)) {}

VectorEnv::VectorEnv(std::vector<std::unique_ptr<Environment>> envs) : envs_(std::move(envs)) {
  if (envs_.empty()) raise<InvalidArgument>("VectorEnv: no environments given");
  for (const auto& e : envs_) {
    if (!e) raise<InvalidArgument>("VectorEnv: a null environment was given");
    if (e->observation_dim() != envs_.front()->observation_dim() ||
        e->action_count() != envs_.front()->action_count())
      raise<InvalidArgument>("VectorEnv: copies declare different spaces (", e->id(), " vs ",
                             envs_.front()->id(), ")");
  }
  observation_dim_ = envs_.front()->observation_dim();
  const std::size_t n = envs_.size();
  observations_.assign(n * observation_dim_, 0.0f);
  rewards_.assign(n, 0.0);
  terminated_.assign(n, 0);
  truncated_.assign(n, 0);
  needs_reset_.assign(n, 0);
}

void VectorEnv::copy_observation(std::size_t i, std::span<const float> obs) {
  std::copy(obs.begin(), obs.end(),
            observations_.begin() + static_cast<std::ptrdiff_t>(i * observation_dim_));
}

std::span<const float> VectorEnv::reset(std::uint64_t seed) {
  for (std::size_t i = 0; i < envs_.size(); ++i) {
    copy_observation(i, envs_[i]->reset(derive_seed(seed, Stream::episode, i)));
    rewards_[i] = 0.0;
    terminated_[i] = truncated_[i] = needs_reset_[i] = 0;
  }
  was_reset_ = true;
  return observations_;
}

void VectorEnv::step(std::span<const int> actions) {
  if (actions.size() != envs_.size())
    raise<InvalidArgument>("VectorEnv::step: ", actions.size(), " actions for ", envs_.size(), " copies");
  if (!was_reset_) raise<StepBeforeResetError>("VectorEnv::step called before reset: call reset(seed) first");
  // Check every action first, so a bad one leaves no copy stepped.
  const int n_actions = action_count();
  for (std::size_t i = 0; i < actions.size(); ++i) {
    if ((actions[i] < 0 || actions[i] >= n_actions) && !needs_reset_[i])
      raise<InvalidActionError>("VectorEnv::step: action ", actions[i], " of copy ", i,
                                " is out of range: expected an integer in [0, ", n_actions, ")");
  }
  for (std::size_t i = 0; i < envs_.size(); ++i) {
    if (needs_reset_[i]) {
      copy_observation(i, envs_[i]->reset());
      rewards_[i] = 0.0;
      terminated_[i] = truncated_[i] = needs_reset_[i] = 0;
      continue;
    }
    const StepResult r = envs_[i]->step(actions[i]);
    copy_observation(i, r.observation);
    rewards_[i] = r.reward;
    terminated_[i] = r.terminated;
    truncated_[i] = r.truncated;
    needs_reset_[i] = r.terminated || r.truncated;
  }
}

}  // namespace pib::envs
