// Cost of one supervised PIB loss (beta = 0.01, 10 classes) and its gradient w.r.t. Z, single-threaded
// (issue 3). The named benchmarks pib_loss_grad/... time everything a step computes from the raw batch: the
// batch-constant part (Gram matrix and entropy of X, Gram of the labels) and the unit's loss and gradient.
// unit_loss_grad/... time only the per-unit part (BatchTargets built once per batch and shared by every
// unit), batch_targets/... only the batch-constant part. sigma_x is a dataset constant, chosen once outside.
// The PyTorch peer (bench/peers/pib_loss_torch.py) is run next to this by
// bench/peers/run_bottleneck_bench.sh.

#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "bottleneck/bottleneck.hpp"
#include "common/random.hpp"

namespace {

using pib::bottleneck::BatchTargets;
using pib::bottleneck::Matrix;

struct Problem {
  Matrix X, Z;
  std::vector<int> labels;
  double sigma_x = 1.0;
};

// Class-structured inputs (10 class means plus noise) and features Z = tanh(X W / sqrt(dx)).
Problem make_problem(int n, int dx, int dz) {
  pib::Rng rng(42);
  Problem p;
  Matrix means(10, dx);
  for (int c = 0; c < 10; ++c)
    for (int j = 0; j < dx; ++j)
      means(c, j) = rng.normal();
  p.X.resize(n, dx);
  p.labels.resize(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const int c = static_cast<int>(rng.below(10));
    p.labels[static_cast<std::size_t>(i)] = c;
    for (int j = 0; j < dx; ++j)
      p.X(i, j) = means(c, j) + rng.normal();
  }
  Matrix W(dx, dz);
  for (int i = 0; i < dx; ++i)
    for (int j = 0; j < dz; ++j)
      W(i, j) = rng.normal();
  p.Z = (p.X * W / std::sqrt(static_cast<double>(dx))).array().tanh().matrix();
  p.sigma_x = pib::bottleneck::KernelWidth{}.select(p.X);
  return p;
}

void full_step(benchmark::State& state, int n, int dx, int dz, double alpha) {
  const Problem p = make_problem(n, dx, dz);
  pib::bottleneck::PibConfig cfg;
  cfg.alpha = alpha;
  pib::bottleneck::Workspace ws;
  Matrix grad(n, dz);
  double loss = 0;
  for (auto _ : state) {
    const auto batch = BatchTargets::supervised(p.X, p.sigma_x, p.labels, 10, alpha);
    loss = pib::bottleneck::pib_loss(batch, p.Z, cfg, ws, grad).loss;
    benchmark::DoNotOptimize(grad.data());
  }
  state.counters["loss"] = loss;
}

void unit_step(benchmark::State& state, int n, int dx, int dz, double alpha) {
  const Problem p = make_problem(n, dx, dz);
  pib::bottleneck::PibConfig cfg;
  cfg.alpha = alpha;
  const auto batch = BatchTargets::supervised(p.X, p.sigma_x, p.labels, 10, alpha);
  pib::bottleneck::Workspace ws;
  Matrix grad(n, dz);
  double loss = 0;
  for (auto _ : state) {
    loss = pib::bottleneck::pib_loss(batch, p.Z, cfg, ws, grad).loss;
    benchmark::DoNotOptimize(grad.data());
  }
  state.counters["loss"] = loss;
}

void targets_only(benchmark::State& state, int n, int dx, int dz, double alpha) {
  const Problem p = make_problem(n, dx, dz);
  for (auto _ : state) {
    const auto batch = BatchTargets::supervised(p.X, p.sigma_x, p.labels, 10, alpha);
    benchmark::DoNotOptimize(batch.entropy_x());
  }
}

const bool registered = [] {
  struct Case {
    int n, dx, dz;
  };
  for (Case c : {Case{64, 4, 64}, Case{256, 784, 128}}) {
    for (double alpha : {1.01, 2.0}) {
      const std::string shape = "/n:" + std::to_string(c.n) + "/dx:" + std::to_string(c.dx) +
                                "/dz:" + std::to_string(c.dz) + "/alpha:" + (alpha == 2.0 ? "2" : "1.01");
      benchmark::RegisterBenchmark(("pib_loss_grad" + shape).c_str(), full_step, c.n, c.dx, c.dz, alpha)
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(("unit_loss_grad" + shape).c_str(), unit_step, c.n, c.dx, c.dz, alpha)
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(("batch_targets" + shape).c_str(), targets_only, c.n, c.dx, c.dz, alpha)
          ->Unit(benchmark::kMillisecond);
    }
  }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
