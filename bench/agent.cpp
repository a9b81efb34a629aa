// RL training with learning at the default config (configs/cartpole_optical.json: two optical units, 8-bit
// phase encoding, 256 speckle pixels, 64 features, PIB alpha 2, update_every 4, batch 64) with device
// latency emulation off (time_scale 1e9), in the sync and async schedules. Issue 17's target: >= 6,000
// environment steps/s in one process on a 2-core machine. Steps per second of wall time: the async schedule
// runs on several threads.
//
//   rl_steps/<config>_<schedule>   throughput: 8,000 learning steps after learning_starts (items/s)
//   rl_steps/default_optical2_distributed2   the same with two distributed actors on threads (2 environments
//                                  each, a policy every 10 updates); no warm-up: its 9,000 steps include
//                                  the 1,000 before learning starts
//   time_to_solve/<schedule>       wall time to solve CartPole-v1 (seed 1, stop_when_solved, the default
//                                  greedy solve check): counters solved_at_step (0: not solved within
//                                  300,000 steps) and seconds. Slow (tens of seconds each); run them apart
//                                  with
//                                  --benchmark_filter=time_to_solve.
#include <filesystem>
#include <fstream>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include "agent/trainer.hpp"
#include "bench/default_config.hpp"
#include "common/error.hpp"

namespace {

// configs/cartpole_optical.json of the source tree this benchmark was built from.
nlohmann::json default_config() {
  auto j = pib::bench::default_rl_config();
  return j;
}

void rl_steps(benchmark::State& state, const char* schedule, int units, int actors = 0) {
  const std::int64_t steps = 8000;
  std::int64_t total = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto j = default_config();
    j["schedule"] = schedule;
    j["total_steps"] = steps + 1000;
    j["learning_starts"] = 1000;
    j["stop_when_solved"] = false;
    if (units == 1) j["units"].erase(1);
    if (actors > 0) j["distributed"] = {{"actors", actors}, {"envs_per_actor", 2}, {"sync_every", 10}};
    pib::agent::Trainer trainer(pib::agent::RlConfig::from_json(j));
    if (actors == 0) trainer.run_updates(1, {});  // reach learning_starts: the measured part is all learning
    state.ResumeTiming();
    const auto before = trainer.env_steps();
    const auto summary = trainer.run({}, {});
    total += summary.env_steps - before;
  }
  state.SetItemsProcessed(total);
}

void time_to_solve(benchmark::State& state, const char* schedule) {
  for (auto _ : state) {
    auto j = default_config();
    j["schedule"] = schedule;
    j["seed"] = 1;
    j["stop_when_solved"] = true;
    pib::agent::Trainer trainer(pib::agent::RlConfig::from_json(j));
    const auto summary = trainer.run({}, {});
    state.counters["solved_at_step"] = static_cast<double>(summary.solved_at_step.value_or(0));
    state.counters["env_steps"] = static_cast<double>(summary.env_steps);
    state.counters["seconds"] = summary.wall_s;
  }
}

}  // namespace

BENCHMARK_CAPTURE(rl_steps, default_optical2_sync, "sync", 2)
    ->Unit(benchmark::kSecond)
    ->Iterations(1)
    ->UseRealTime();
BENCHMARK_CAPTURE(rl_steps, default_optical2_async, "async", 2)
    ->Unit(benchmark::kSecond)
    ->Iterations(1)
    ->UseRealTime();
BENCHMARK_CAPTURE(rl_steps, default_optical2_distributed2, "sync", 2, 2)
    ->Unit(benchmark::kSecond)
    ->Iterations(1)
    ->UseRealTime();
BENCHMARK_CAPTURE(rl_steps, optical1_sync, "sync", 1)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();
BENCHMARK_CAPTURE(rl_steps, optical1_async, "async", 1)
    ->Unit(benchmark::kSecond)
    ->Iterations(1)
    ->UseRealTime();
BENCHMARK_CAPTURE(time_to_solve, sync, "sync")->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();
BENCHMARK_CAPTURE(time_to_solve, async, "async")->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

BENCHMARK_MAIN();
