#pragma once
// The latency-mismatch experiment (DESIGN.md 4.4): sweep the devices' deploy latency and forward latency
// against compute, run the same training in sync and async schedules for a fixed number of updates at each
// setting, and report wall time per update, the async speedup, the ideal overlap bound
// (T_device + T_compute) / max(T_device, T_compute) from the measured times, device utilisation and the
// mean return reached.
//
// T_device is the deploy (reconfiguration) time per update measured in the sync run: the device work an
// asynchronous schedule can hide behind compute. T_compute is the rest of the sync wall time per update
// (sampling, measurements, losses, gradients, the actor's steps).

#include <cstdint>
#include <functional>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/config.hpp"

namespace pib::agent {

struct LatencyConfig {
  RlConfig base;                                           // the training run at every setting
  std::vector<double> deploy_us = {0, 2000, 8000, 32000};  // device time per deploy, per unit
  std::vector<double> forward_us_per_sample = {1};         // device time per measured sample
  double time_scale = 10.0;                                // emulation speed-up (preserves every ratio)
  std::int64_t warmup_updates = 50;                        // not timed
  std::int64_t updates = 400;                              // timed, per mode and setting

  static LatencyConfig from_json(const nlohmann::json& j);
  nlohmann::json to_json() const;
};

struct LatencyPoint {
  double deploy_us = 0, forward_us_per_sample = 0;
  double sync_s_per_update = 0, async_s_per_update = 0;
  double async_speedup = 0, ideal_speedup = 0, fraction_of_ideal = 0;
  double t_device_s = 0, t_compute_s = 0;  // per update, wall seconds, from the sync run
  double sync_device_utilisation = 0, async_device_utilisation = 0;
  double sync_mean_return = 0, async_mean_return = 0;  // mean return of the episodes finished in the run
  double async_staleness = 0;
  nlohmann::json to_json() const;
};

// Runs the sweep; `progress` is called after each point.
std::vector<LatencyPoint> run_latency_experiment(const LatencyConfig& config,
                                                 const std::function<void(const LatencyPoint&)>& progress);

}  // namespace pib::agent
