// Environment stepping throughput (issue 2): one CartPole-v1 through the public Environment interface, and
// 1024 copies through VectorEnv. Random actions, auto-reset; items_per_second = environment steps per second.
// Target: >= 20 million steps/s single-threaded.
//
// The peer, Gymnasium's own CartPole-v1 in Python, is measured in the same run by
// bench/peers/gymnasium_cartpole.py when GYMNASIUM_PATH names a Gymnasium source checkout (python:
// $PIB_PYTHON, default /usr/bin/python3, which needs numpy). env_step/CartPole-v1 then reports
// `gymnasium_steps_per_s` (through gymnasium.make, per CPU second) and `x_gymnasium`, our steps/s divided by
// Gymnasium's. Without GYMNASIUM_PATH the peer is skipped and said so on stderr.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/random.hpp"
#include "envs/registry.hpp"
#include "envs/vector_env.hpp"

namespace {

// Gymnasium's CartPole-v1 steps per CPU second, measured once per run by the peer script (nullopt if
// skipped).
std::optional<double> gymnasium_cartpole_steps_per_s() {
  static const std::optional<double> figure = []() -> std::optional<double> {
    const char* gymnasium = std::getenv("GYMNASIUM_PATH");
    if (!gymnasium) {
      std::cerr << "bench_envs: GYMNASIUM_PATH is not set, so the Gymnasium peer is not measured\n";
      return std::nullopt;
    }
    const char* python = std::getenv("PIB_PYTHON");
    const auto script = std::filesystem::path(__FILE__).parent_path() / "peers" / "gymnasium_cartpole.py";
    const std::string command = std::string(python ? python : "/usr/bin/python3") + " '" + script.string() +
                                "' --gymnasium-path '" + gymnasium + "'";
    std::string output;
    if (FILE* pipe = popen(command.c_str(), "r")) {
      char buffer[512];
      while (std::fgets(buffer, sizeof buffer, pipe))
        output += buffer;
      pclose(pipe);
    }
    try {
      const auto result = nlohmann::json::parse(output);
      std::cerr << "bench_envs: peer: " << result.dump() << "\n";
      return result.at("make_steps_per_s").get<double>();
    } catch (const std::exception&) {
      std::cerr << "bench_envs: the Gymnasium peer failed (" << command << ")\n";
      return std::nullopt;
    }
  }();
  return figure;
}

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
  if (id != "CartPole-v1") return;
  if (const auto peer = gymnasium_cartpole_steps_per_s()) {
    state.counters["gymnasium_steps_per_s"] = *peer;
    // A rate counter is divided by the CPU time: (iterations / peer) / time = our steps/s over Gymnasium's.
    state.counters["x_gymnasium"] =
        benchmark::Counter(static_cast<double>(state.iterations()) / *peer, benchmark::Counter::kIsRate);
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
