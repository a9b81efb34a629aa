// Environment stepping throughput (issue 2): one CartPole-v1 through the public Environment interface, and
// 1024 copies through VectorEnv. Random actions, auto-reset; items_per_second = environment steps per second.
// Target: >= 20 million steps/s single-threaded. The peer (Gymnasium's own CartPole in Python on the same
// machine) is measured by bench/peers/gymnasium_cartpole.py; pass its figure as
// PIB_PEER_GYMNASIUM_STEPS_PER_S to print the ratio next to ours.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/random.hpp"
#include "envs/registry.hpp"
#include "envs/vector_env.hpp"

namespace {

void env_step(benchmark::State& state, const std::string& id) {
  const auto env = pib::envs::make(id);
  const auto actions = static_cast<std::uint64_t>(env->action_count());
  pib::Rng policy(1);
  std::uint64_t seed = 0;
  env->reset(seed);
  for (auto _ : state) {
    const pib::envs::StepResult r = env->step(static_cast<int>(policy.below(actions)));
    benchmark::DoNotOptimize(r.observation.data());
    if (r.terminated || r.truncated) [[unlikely]]
      env->reset();
  }
  state.SetItemsProcessed(state.iterations());
  if (const char* peer = std::getenv("PIB_PEER_GYMNASIUM_STEPS_PER_S"); peer && id == "CartPole-v1") {
    state.counters["peer_gymnasium_steps_per_s"] = std::strtod(peer, nullptr);
  }
}

void env_step_vector(benchmark::State& state, const std::string& id) {
  const auto n = static_cast<std::size_t>(state.range(0));
  pib::envs::VectorEnv vec(id, n);
  const auto actions_n = static_cast<std::uint64_t>(vec.action_count());
  std::vector<int> actions(n);
  pib::Rng policy(2);
  vec.reset(0);
  for (auto _ : state) {
    for (int& a : actions)
      a = static_cast<int>(policy.below(actions_n));
    vec.step(actions);
    benchmark::DoNotOptimize(vec.observations().data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}

}  // namespace

BENCHMARK_CAPTURE(env_step, CartPole - v1, std::string("CartPole-v1"))->Name("env_step/CartPole-v1");
BENCHMARK_CAPTURE(env_step, Acrobot - v1, std::string("Acrobot-v1"))->Name("env_step/Acrobot-v1");
BENCHMARK_CAPTURE(env_step, MountainCar - v0, std::string("MountainCar-v0"))->Name("env_step/MountainCar-v0");
BENCHMARK_CAPTURE(env_step_vector, CartPole - v1, std::string("CartPole-v1"))
    ->Name("env_step_vector/CartPole-v1")
    ->Arg(1024);

BENCHMARK_MAIN();
