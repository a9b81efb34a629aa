// The inputs of the distributed-RL throughput model (docs/distributed_rl.md): how fast the learner takes in
// transitions (decode + replay push, no updates), how fast it updates at the default config, and the sizes
// of the messages. Latency emulation off; default config configs/cartpole_optical.json.
//
//   ingest              transitions/s the learner's ActorHub::poll takes in from queued 64-transition batches
//                       (counter bytes_per_transition: a batch's bytes over its transitions)
//   learner_updates     updates/s of the sync learner at the default config (each with its own 4 actor steps)
//   policy_message      bytes of one policy message (every unit's parameters and the acting head)
#include <filesystem>
#include <fstream>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include "agent/distributed.hpp"
#include "agent/network.hpp"
#include "agent/trainer.hpp"
#include "bench/default_config.hpp"
#include "common/error.hpp"
#include "common/transport.hpp"

namespace {

nlohmann::json default_config() {
  auto j = pib::bench::default_rl_config();
  j["stop_when_solved"] = false;
  return j;
}

void ingest(benchmark::State& state) {
  auto j = default_config();
  j["distributed"] = {{"actors", 1}};
  const auto cfg = pib::agent::RlConfig::from_json(j);
  const int batches = 2000, per_batch = 64;
  std::vector<pib::replay::Transition> batch;
  const float o[4] = {0.1f, -0.2f, 0.03f, 0.4f};
  for (int k = 0; k < per_batch; ++k)
    batch.push_back(pib::replay::Transition::make(o, k % 2, 1.0, o, false, false, 0.99));
  const auto bytes = pib::agent::encode_transitions(1, 0, per_batch, 4, batch, {});
  std::int64_t total = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto group = pib::LocalTransport::group(2);
    for (int b = 0; b < batches; ++b)
      group[1].send(0, pib::agent::encode_transitions(1, 0, static_cast<std::int64_t>(b + 1) * per_batch, 4, batch, {}));
    pib::replay::UniformReplay replay(static_cast<std::size_t>(batches * per_batch), 4);
    pib::agent::ActorHub hub(cfg, group[0], {0}, 0);
    std::vector<pib::agent::EpisodeRecord> episodes;
    std::vector<pib::agent::ActorFailure> failures;
    state.ResumeTiming();
    while (hub.poll(&replay, 0, episodes, failures)) {
    }
    total += static_cast<std::int64_t>(replay.size());
  }
  state.SetItemsProcessed(total);
  state.counters["bytes_per_transition"] = static_cast<double>(bytes.size()) / per_batch;
}

void learner_updates(benchmark::State& state) {
  auto j = default_config();
  j["total_steps"] = 1000000;
  pib::agent::Trainer trainer(pib::agent::RlConfig::from_json(j));
  trainer.run_updates(1, {});
  std::int64_t updates = 0;
  for (auto _ : state) {
    trainer.run_updates(1000, {});
    updates += 1000;
  }
  state.SetItemsProcessed(updates);
}

void policy_message(benchmark::State& state) {
  const auto cfg = pib::agent::RlConfig::from_json(default_config());
  pib::agent::QNetwork net(cfg.units, 4, 2, cfg.time_scale, cfg.seed);
  auto group = pib::LocalTransport::group(2);
  auto j = default_config();
  j["distributed"] = {{"actors", 1}};
  const auto dcfg = pib::agent::RlConfig::from_json(j);
  pib::agent::ActorHub hub(dcfg, group[0], {0}, 0);
  std::size_t bytes = 0;
  const pib::units::Matrix no_states;  // a policy without a recalibration pass to pass on (the usual message)
  for (auto _ : state) {
    hub.send_policy(net, 0, 0, no_states);
    bytes = group[1].receive(0).size();
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}

}  // namespace

BENCHMARK(ingest)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
BENCHMARK(learner_updates)->Unit(benchmark::kSecond)->Iterations(2)->UseRealTime();
BENCHMARK(policy_message)->Unit(benchmark::kMicrosecond)->Iterations(10);

BENCHMARK_MAIN();
