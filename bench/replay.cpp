// Replay throughput (issue 2): sampling 256-transition batches from a full buffer of 1,000,000 CartPole-sized
// transitions (4 floats per observation), and pushing. Figures are items_per_second: transitions sampled,
// pushed or re-prioritised per second. There is no peer to run in the same process here; the figures are
// pib's own.

#include <array>
#include <cstddef>
#include <vector>

#include <benchmark/benchmark.h>

#include "common/random.hpp"
#include "replay/prioritized_replay.hpp"
#include "replay/uniform_replay.hpp"

namespace {

using pib::replay::Batch;
using pib::replay::PrioritizedReplay;
using pib::replay::UniformReplay;

constexpr std::size_t kCapacity = 1'000'000;
constexpr std::size_t kObsDim = 4;
constexpr std::size_t kBatch = 256;

template <typename Buffer>
void fill(Buffer& buffer, std::size_t count, pib::Rng& rng) {
  std::array<float, kObsDim> obs{}, next{};
  for (std::size_t i = 0; i < count; ++i) {
    for (auto& v : obs)
      v = static_cast<float>(rng.uniform(-1.0, 1.0));
    for (auto& v : next)
      v = static_cast<float>(rng.uniform(-1.0, 1.0));
    buffer.push(obs, static_cast<int>(rng.below(2)), 1.0, next, rng.uniform() < 0.02, false, 0.99);
  }
}

const UniformReplay& full_uniform() {
  static const UniformReplay buffer = [] {
    UniformReplay b(kCapacity, kObsDim);
    pib::Rng rng(1);
    fill(b, kCapacity, rng);
    return b;
  }();
  return buffer;
}

PrioritizedReplay& full_prioritized() {
  static PrioritizedReplay buffer = [] {
    PrioritizedReplay b(kCapacity, kObsDim, {.alpha = 0.6, .beta = 0.4});
    pib::Rng rng(2);
    fill(b, kCapacity, rng);
    // Spread the priorities as a trained agent's |TD errors| would be.
    std::vector<std::size_t> slots(kCapacity);
    std::vector<double> priorities(kCapacity);
    for (std::size_t i = 0; i < kCapacity; ++i) {
      slots[i] = i;
      priorities[i] = 1e-3 + rng.uniform() * rng.uniform() * 5.0;
    }
    b.update_priorities(slots, priorities);
    return b;
  }();
  return buffer;
}

// Sampling a batch from a full buffer of either kind.
template <typename Replay>
void sample_batches(benchmark::State& state, const Replay& buffer, std::uint64_t seed) {
  pib::Rng rng(seed);
  Batch batch(kBatch, kObsDim);
  for (auto _ : state) {
    buffer.sample(kBatch, rng, batch);
    benchmark::DoNotOptimize(batch.obs.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
}

void BM_sample_uniform(benchmark::State& state) {
  sample_batches(state, full_uniform(), 3);
}
void BM_sample_prioritized(benchmark::State& state) {
  sample_batches(state, full_prioritized(), 4);
}

void BM_update_priorities(benchmark::State& state) {
  PrioritizedReplay& buffer = full_prioritized();
  pib::Rng rng(5);
  Batch batch(kBatch, kObsDim);
  std::vector<double> priorities(kBatch);
  for (auto _ : state) {
    state.PauseTiming();
    buffer.sample(kBatch, rng, batch);
    for (auto& p : priorities)
      p = 1e-3 + rng.uniform() * 5.0;
    state.ResumeTiming();
    buffer.update_priorities(batch.indices, priorities);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
}

template <typename Buffer>
void push_loop(benchmark::State& state, Buffer& buffer) {
  // Pre-generated transitions, so the figure is the push alone.
  constexpr std::size_t kDistinct = 4096;
  pib::Rng rng(6);
  std::vector<std::array<float, kObsDim>> obs(kDistinct), next(kDistinct);
  for (std::size_t i = 0; i < kDistinct; ++i)
    for (std::size_t d = 0; d < kObsDim; ++d) {
      obs[i][d] = static_cast<float>(rng.uniform(-1.0, 1.0));
      next[i][d] = static_cast<float>(rng.uniform(-1.0, 1.0));
    }
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t k = i++ & (kDistinct - 1);
    benchmark::DoNotOptimize(buffer.push(obs[k], static_cast<int>(k & 1), 1.0, next[k], false, false, 0.99));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_push_uniform(benchmark::State& state) {
  UniformReplay buffer(kCapacity, kObsDim);
  push_loop(state, buffer);
}

void BM_push_prioritized(benchmark::State& state) {
  PrioritizedReplay buffer(kCapacity, kObsDim);
  push_loop(state, buffer);
}

}  // namespace

BENCHMARK(BM_sample_uniform)->Name("replay_sample/uniform/256");
BENCHMARK(BM_sample_prioritized)->Name("replay_sample/prioritized/256");
BENCHMARK(BM_push_uniform)->Name("replay_push");
BENCHMARK(BM_push_prioritized)->Name("replay_push/prioritized");
BENCHMARK(BM_update_priorities)->Name("replay_update_priorities/prioritized/256");

BENCHMARK_MAIN();
