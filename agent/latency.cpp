#include "agent/latency.hpp"

#include <algorithm>
#include <numeric>

#include "agent/trainer.hpp"
#include "common/config.hpp"

namespace pib::agent {

LatencyConfig LatencyConfig::from_json(const nlohmann::json& j) {
  LatencyConfig c;
  ConfigReader r(j, "");
  c.base = RlConfig::from_json(r.child("rl"));
  r.get("deploy_us", c.deploy_us);
  r.get("forward_us_per_sample", c.forward_us_per_sample);
  r.get("time_scale", c.time_scale);
  r.get("warmup_updates", c.warmup_updates);
  r.get("updates", c.updates);
  r.finish();
  require_config(!c.deploy_us.empty(), "deploy_us", "[]", "at least one value");
  require_config(!c.forward_us_per_sample.empty(), "forward_us_per_sample", "[]", "at least one value");
  for (double v : c.deploy_us)
    require_config(v >= 0, "deploy_us", v, ">= 0");
  for (double v : c.forward_us_per_sample)
    require_config(v >= 0, "forward_us_per_sample", v, ">= 0");
  require_config(c.time_scale > 0, "time_scale", c.time_scale, "> 0");
  require_config(c.warmup_updates >= 0, "warmup_updates", c.warmup_updates, ">= 0");
  require_config(c.updates > 0, "updates", c.updates, "> 0");
  return c;
}

nlohmann::json LatencyConfig::to_json() const {
  return {{"rl", base.to_json()},
          {"deploy_us", deploy_us},
          {"forward_us_per_sample", forward_us_per_sample},
          {"time_scale", time_scale},
          {"warmup_updates", warmup_updates},
          {"updates", updates}};
}

nlohmann::json LatencyPoint::to_json() const {
  return {{"deploy_us", deploy_us},
          {"forward_us_per_sample", forward_us_per_sample},
          {"sync_s_per_update", sync_s_per_update},
          {"async_s_per_update", async_s_per_update},
          {"async_speedup", async_speedup},
          {"ideal_speedup", ideal_speedup},
          {"fraction_of_ideal", fraction_of_ideal},
          {"t_device_s", t_device_s},
          {"t_compute_s", t_compute_s},
          {"sync_device_utilisation", sync_device_utilisation},
          {"async_device_utilisation", async_device_utilisation},
          {"sync_mean_return", sync_mean_return},
          {"async_mean_return", async_mean_return},
          {"async_staleness", async_staleness},
          {"devices_simulated", true}};
}

namespace {

struct ModeResult {
  double s_per_update = 0, deploy_s_per_update = 0, utilisation = 0, mean_return = 0, staleness = 0;
};

ModeResult run_mode(RlConfig cfg, const LatencyConfig& lc, double deploy_us, double forward_us,
                    Schedule mode) {
  cfg.schedule = mode;
  cfg.time_scale = lc.time_scale;
  cfg.stop_when_solved = false;
  cfg.checkpoint_every = 0;
  cfg.metrics_every = std::max<std::int64_t>(1, cfg.update_every * 50);
  cfg.total_steps = std::max<std::int64_t>(
      cfg.total_steps, cfg.learning_starts + cfg.update_every * (lc.warmup_updates + lc.updates + 2));
  for (auto& u : cfg.units) {
    u["deploy_us"] = deploy_us;
    u["forward_us_per_sample"] = forward_us;
  }
  Trainer trainer(cfg);
  std::vector<double> returns;
  Callbacks cb;
  cb.on_episode = [&](const EpisodeRecord& e) { returns.push_back(e.episode_return); };
  double staleness_sum = 0;
  int staleness_n = 0;
  cb.on_interval = [&](const IntervalMetrics& im) {
    for (const auto& u : im.units) {
      staleness_sum += u.staleness;
      ++staleness_n;
    }
  };
  if (lc.warmup_updates > 0) trainer.run_updates(lc.warmup_updates, {});
  const auto before = trainer.run_updates(1, {});  // a summary of the state after warm-up
  const auto after = trainer.run_updates(lc.updates, cb);
  ModeResult r;
  r.s_per_update = after.wall_s / static_cast<double>(lc.updates);
  double busy_before = 0, busy_after = 0, deploy_before = 0, deploy_after = 0;
  for (std::size_t l = 0; l < after.device.size(); ++l) {
    busy_before += before.device[l]["ledger"]["busy_us"].get<double>();
    busy_after += after.device[l]["ledger"]["busy_us"].get<double>();
    deploy_before += before.device[l]["ledger"]["deploy_us"].get<double>();
    deploy_after += after.device[l]["ledger"]["deploy_us"].get<double>();
  }
  const double units = static_cast<double>(after.device.size());
  r.deploy_s_per_update =
      (deploy_after - deploy_before) / lc.time_scale * 1e-6 / static_cast<double>(lc.updates);
  r.utilisation =
      after.wall_s > 0 ? (busy_after - busy_before) / lc.time_scale * 1e-6 / (after.wall_s * units) : 0;
  r.mean_return =
      returns.empty() ? 0.0 : std::accumulate(returns.begin(), returns.end(), 0.0) / returns.size();
  r.staleness = staleness_n ? staleness_sum / staleness_n : 0.0;
  return r;
}

}  // namespace

std::vector<LatencyPoint> run_latency_experiment(const LatencyConfig& lc,
                                                 const std::function<void(const LatencyPoint&)>& progress) {
  std::vector<LatencyPoint> points;
  for (double forward : lc.forward_us_per_sample) {
    for (double deploy : lc.deploy_us) {
      LatencyPoint p;
      p.deploy_us = deploy;
      p.forward_us_per_sample = forward;
      const auto s = run_mode(lc.base, lc, deploy, forward, Schedule::sync);
      const auto a = run_mode(lc.base, lc, deploy, forward, Schedule::async);
      p.sync_s_per_update = s.s_per_update;
      p.async_s_per_update = a.s_per_update;
      p.async_speedup = a.s_per_update > 0 ? s.s_per_update / a.s_per_update : 0;
      // Deploys of all units run one after another in sync; async overlaps them with the next update.
      p.t_device_s = s.deploy_s_per_update;
      p.t_compute_s = std::max(0.0, s.s_per_update - p.t_device_s);
      const double longest =
          std::max(p.t_device_s / std::max<std::size_t>(1, lc.base.units.size()), p.t_compute_s);
      p.ideal_speedup = longest > 0 ? s.s_per_update / longest : 1.0;
      p.fraction_of_ideal = p.ideal_speedup > 0 ? p.async_speedup / p.ideal_speedup : 0.0;
      p.sync_device_utilisation = s.utilisation;
      p.async_device_utilisation = a.utilisation;
      p.sync_mean_return = s.mean_return;
      p.async_mean_return = a.mean_return;
      p.async_staleness = a.staleness;
      points.push_back(p);
      if (progress) progress(p);
    }
  }
  return points;
}

}  // namespace pib::agent
