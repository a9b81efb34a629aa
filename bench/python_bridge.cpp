// What the Python bridge costs (python/bridge.hpp): a CartPole written in Python (python/tests/cartpole_env.py,
// the native dynamics bit for bit) stepped by its own Python loop, and through the bridge by C++ as the agent
// steps it (the GIL taken and dropped per call); and the agent's steps/s with learning on it.
//
//   bridge_overhead   per step: own_us (the Python env stepped from Python), bridge_us (the same env stepped from
//                     C++ through the bridge), overhead_us = bridge_us - own_us (target: <= 5 us),
//                     native_us (the native CartPole-v1)
//   rl_steps/native   environment steps/s with learning, default optical config, latency emulation off
//   rl_steps/python   the same on the Python CartPole (python:cartpole_env:make_env)
#include <chrono>
#include <memory>

#include <benchmark/benchmark.h>
#include <pybind11/embed.h>

#include "agent/trainer.hpp"
#include "bench/default_config.hpp"
#include "envs/registry.hpp"
#include "python/bridge.hpp"

namespace py = pybind11;

namespace {

using Clock = std::chrono::steady_clock;

// Starts the interpreter with the test's CartPole and the pib package importable.
void start_python() {
  pib::python::start_interpreter();
  pib::python::register_family();
  py::gil_scoped_acquire gil;
  auto path = py::module_::import("sys").attr("path");
  path.attr("insert")(0, PIB_SOURCE_DIR "/python/tests");
  path.attr("insert")(0, PIB_PYTHON_DIR);
}

// n steps, alternating actions, resetting at each episode's end; seconds.
double step_from_cpp(pib::envs::Environment& env, int n) {
  env.reset(0);
  int a = 0;
  const auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    const auto r = env.step(a);
    a ^= 1;
    if (r.terminated || r.truncated) env.reset();
  }
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void bridge_overhead(benchmark::State& state) {
  start_python();
  const int n = 20000;
  auto native = pib::envs::make("CartPole-v1");
  auto bridged = pib::envs::make("python:cartpole_env:make_env");
  py::object direct;
  {
    py::gil_scoped_acquire gil;
    py::dict scope;
    py::exec(R"(
from time import perf_counter
import cartpole_env
def direct(n):
    env = cartpole_env.make_env()
    step, reset = env.step, env.reset
    reset(seed=0)
    a = 0
    t0 = perf_counter()
    for i in range(n):
        obs, r, term, trunc, info = step(a)
        a ^= 1
        if term or trunc:
            reset()
    return perf_counter() - t0
)",
             scope);
    direct = scope["direct"];
  }
  double own = 0, bridge = 0, nat = 0;
  for (auto _ : state) {
    {
      py::gil_scoped_acquire gil;
      own += direct(n).cast<double>();
    }
    bridge += step_from_cpp(*bridged, n);
    nat += step_from_cpp(*native, n);
  }
  const double steps = static_cast<double>(state.iterations()) * n;
  state.counters["own_us"] = own / steps * 1e6;
  state.counters["bridge_us"] = bridge / steps * 1e6;
  state.counters["overhead_us"] = (bridge - own) / steps * 1e6;
  state.counters["native_us"] = nat / steps * 1e6;
  {
    py::gil_scoped_acquire gil;
    direct = py::object();
  }
}

void rl_steps(benchmark::State& state, const char* env) {
  start_python();
  auto j = pib::bench::default_rl_config();
  j["env"] = env;
  j["stop_when_solved"] = false;
  j["total_steps"] = 20000;
  j["metrics_every"] = 20000;
  j["checkpoint_every"] = 0;
  std::int64_t steps = 0;
  for (auto _ : state) {
    pib::agent::Trainer trainer(pib::agent::RlConfig::from_json(j));
    steps += trainer.run({}, {}).env_steps;
  }
  state.SetItemsProcessed(steps);
}

}  // namespace

BENCHMARK(bridge_overhead)->Iterations(5)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(rl_steps, native, "CartPole-v1")->Iterations(2)->Unit(benchmark::kSecond);
BENCHMARK_CAPTURE(rl_steps, python, "python:cartpole_env:make_env")->Iterations(2)->Unit(benchmark::kSecond);
BENCHMARK_MAIN();
