// Cost of the physical simulation against the ideal matrix product of the same shape, in the same run
// (issue 4: at most 3x). items_per_second counts samples.
//
//   ideal_gemm/<in>x<out>/batch:<n>           X (n x in) W (in x out) in double: the ideal model's product
//   unit_measure/optical/784x1024/batch:256   binary DMD encoding (real input), every non-ideality on:
//                                             Poisson shot + read noise, 8-bit camera with saturation,
//                                             drift (applied once per device second), digital layer to 128
//   unit_measure/optical_phase8/...           the same with 8-bit phase encoding + a reference pixel
//                                             (complex input: the field costs 4 real products, not 2)
//   unit_measure/memristor_dense/784x256/...  created through the registry; skipped if the kind is missing
//   unit_measure/optical_rl/4x256x64/batch:64 the RL agent's shape: CartPole states through phase8
#include <memory>
#include <string>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/random.hpp"
#include "units/registry.hpp"

namespace {

using pib::units::Matrix;

Matrix random_matrix(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
  pib::Rng rng(seed);
  Matrix m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i)
    m.data()[i] = rng.uniform(-1.0, 1.0);
  return m;
}

void ideal_gemm(benchmark::State& state, Eigen::Index in, Eigen::Index out, Eigen::Index n) {
  const Matrix x = random_matrix(n, in, 1), w = random_matrix(in, out, 2);
  Matrix z(n, out);
  for (auto _ : state) {
    z.noalias() = x * w;
    benchmark::DoNotOptimize(z.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}

void measure_unit(benchmark::State& state, nlohmann::json config, Eigen::Index n) {
  std::unique_ptr<pib::units::Unit> unit;
  try {
    unit = pib::units::make_unit(config, 42);
  } catch (const pib::Error& e) {
    state.SkipWithError(e.what());
    return;
  }
  const Matrix x = random_matrix(n, unit->input_dim(), 3);
  pib::Rng rng(7);
  pib::units::Measurement m;
  unit->measure(x, m, rng);  // calibration and buffer sizing happen here, outside the timed loop
  for (auto _ : state) {
    unit->measure(x, m, rng);
    benchmark::DoNotOptimize(m.output.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}

nlohmann::json optical(const std::string& encoding, int in, int speckle, int out,
                       const std::string& precision) {
  return {{"kind", "optical"},
          {"input_dim", in},
          {"output_dim", out},
          {"n_speckle", speckle},
          {"encoding", encoding},
          {"precision", precision},
          {"drift_per_s", 0.01},
          {"forward_us_per_sample", 0.0},  // no device holds: this measures the simulation's compute
          {"deploy_us", 0.0}};
}

void optical_binary(benchmark::State& state) {
  measure_unit(state, optical("binary", 784, 1024, 128, "float32"), 256);
}
void optical_binary_f64(benchmark::State& state) {
  measure_unit(state, optical("binary", 784, 1024, 128, "float64"), 256);
}
void optical_phase8(benchmark::State& state) {
  measure_unit(state, optical("phase8", 784, 1024, 128, "float32"), 256);
}
void optical_phase8_f64(benchmark::State& state) {
  measure_unit(state, optical("phase8", 784, 1024, 128, "float64"), 256);
}
void optical_rl(benchmark::State& state) {
  measure_unit(state, optical("phase8", 4, 256, 64, "float32"), 64);
}
void optical_rl_f64(benchmark::State& state) {
  measure_unit(state, optical("phase8", 4, 256, 64, "float64"), 64);
}

void memristor_dense(benchmark::State& state) {
  measure_unit(state,
               {{"kind", "memristor_dense"},
                {"input_dim", 784},
                {"output_dim", 256},
                {"forward_us_per_sample", 0.0},
                {"program_us_per_cell", 0.0}},
               256);
}

}  // namespace

BENCHMARK_CAPTURE(ideal_gemm, 784x1024, 784, 1024, 256)
    ->Name("ideal_gemm/784x1024/batch:256")
    ->Unit(benchmark::kMillisecond);
BENCHMARK(optical_binary)->Name("unit_measure/optical/784x1024/batch:256")->Unit(benchmark::kMillisecond);
BENCHMARK(optical_binary_f64)
    ->Name("unit_measure/optical_float64/784x1024/batch:256")
    ->Unit(benchmark::kMillisecond);
BENCHMARK(optical_phase8)
    ->Name("unit_measure/optical_phase8/784x1024/batch:256")
    ->Unit(benchmark::kMillisecond);
BENCHMARK(optical_phase8_f64)
    ->Name("unit_measure/optical_phase8_float64/784x1024/batch:256")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(ideal_gemm, 784x256, 784, 256, 256)
    ->Name("ideal_gemm/784x256/batch:256")
    ->Unit(benchmark::kMillisecond);
BENCHMARK(memristor_dense)
    ->Name("unit_measure/memristor_dense/784x256/batch:256")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(ideal_gemm, 256x64, 256, 64, 64)
    ->Name("ideal_gemm/256x64/batch:64")
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(optical_rl)->Name("unit_measure/optical_rl/4x256x64/batch:64")->Unit(benchmark::kMicrosecond);
BENCHMARK(optical_rl_f64)
    ->Name("unit_measure/optical_rl_float64/4x256x64/batch:64")
    ->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
