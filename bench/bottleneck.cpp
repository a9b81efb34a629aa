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

pib::bottleneck::PibConfig config(double alpha, int features) {
  pib::bottleneck::PibConfig cfg;
  cfg.alpha = alpha;
  cfg.estimator.features = features;
  return cfg;
}

void full_step(benchmark::State& state, int n, int dx, int dz, double alpha, int features) {
  const Problem p = make_problem(n, dx, dz);
  const auto cfg = config(alpha, features);
  pib::bottleneck::Workspace ws;
  Matrix grad(n, dz);
  double loss = 0;
  for (auto _ : state) {
    const auto batch = BatchTargets::supervised(p.X, p.sigma_x, p.labels, 10, alpha, cfg.estimator);
    loss = pib::bottleneck::pib_loss(batch, p.Z, cfg, ws, grad).loss;
    benchmark::DoNotOptimize(grad.data());
  }
  state.counters["loss"] = loss;
}

void unit_step(benchmark::State& state, int n, int dx, int dz, double alpha, int features) {
  const Problem p = make_problem(n, dx, dz);
  const auto cfg = config(alpha, features);
  const auto batch = BatchTargets::supervised(p.X, p.sigma_x, p.labels, 10, alpha, cfg.estimator);
  pib::bottleneck::Workspace ws;
  Matrix grad(n, dz);
  double loss = 0;
  for (auto _ : state) {
    loss = pib::bottleneck::pib_loss(batch, p.Z, cfg, ws, grad).loss;
    benchmark::DoNotOptimize(grad.data());
  }
  state.counters["loss"] = loss;
}

void targets_only(benchmark::State& state, int n, int dx, int dz, double alpha, int features) {
  const Problem p = make_problem(n, dx, dz);
  const pib::bottleneck::Estimator estimator{features, 0};
  for (auto _ : state) {
    const auto batch = BatchTargets::supervised(p.X, p.sigma_x, p.labels, 10, alpha, estimator);
    benchmark::DoNotOptimize(batch.entropy_x());
  }
}

// The exact estimator up to n = 1,024 (at 4,096 one step takes minutes) and the feature-space estimator
// (features.hpp) with 128 and 256 random features at the large-batch sizes; names without "/features:" are
// the exact estimator.
const bool registered = [] {
  struct Case {
    int n, dx, dz, features;
  };
  for (Case c : {Case{64, 4, 64, 0}, Case{256, 784, 128, 0}, Case{1024, 784, 128, 0},
                 Case{256, 784, 128, 128}, Case{1024, 784, 128, 128}, Case{4096, 784, 128, 128},
                 Case{256, 784, 128, 256}, Case{1024, 784, 128, 256}, Case{4096, 784, 128, 256}}) {
    for (double alpha : {1.01, 2.0}) {
      std::string shape = "/n:" + std::to_string(c.n) + "/dx:" + std::to_string(c.dx) +
                          "/dz:" + std::to_string(c.dz) + "/alpha:" + (alpha == 2.0 ? "2" : "1.01");
      if (c.features > 0) shape += "/features:" + std::to_string(c.features);
      benchmark::RegisterBenchmark(("pib_loss_grad" + shape).c_str(), full_step, c.n, c.dx, c.dz, alpha,
                                   c.features)
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(("unit_loss_grad" + shape).c_str(), unit_step, c.n, c.dx, c.dz, alpha,
                                   c.features)
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(("batch_targets" + shape).c_str(), targets_only, c.n, c.dx, c.dz, alpha,
                                   c.features)
          ->Unit(benchmark::kMillisecond);
    }
  }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
