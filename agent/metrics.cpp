#include "agent/metrics.hpp"

#include <numeric>

namespace pib::agent {

nlohmann::json Summary::to_json() const {
  nlohmann::json j;
  j["env"] = env;
  j["solved_at_step"] = solved_at_step ? nlohmann::json(*solved_at_step) : nlohmann::json(nullptr);
  j["solve_checks"] = nlohmann::json::array();
  for (const auto& c : solve_checks)
    j["solve_checks"].push_back({{"step", c.step}, {"mean_return", c.mean_return}, {"passed", c.passed}});
  j["best_mean_return_100"] =
      best_mean_return_100 ? nlohmann::json(*best_mean_return_100) : nlohmann::json(nullptr);
  j["env_steps"] = env_steps;
  j["updates"] = updates;
  j["episodes"] = episodes;
  j["wall_s"] = wall_s;
  j["compute_s"] = compute_s;
  j["schedule"] = schedule;
  j["interrupted"] = interrupted;
  j["device"] = device;
  j["devices_simulated"] = true;
  return j;
}

nlohmann::json ledger_json(const units::DeviceLedger& l) {
  return {{"measure_us", l.measure_us}, {"deploy_us", l.deploy_us}, {"busy_us", l.busy_us},
          {"idle_us", l.idle_us},       {"measures", l.measures},   {"deploys", l.deploys}};
}

UnitMetrics UnitAccumulator::take(const units::DeviceLedger& ledger) {
  UnitMetrics um;
  const double c = count > 0 ? static_cast<double>(count) : 1.0;
  um.td_loss = td_loss / c;
  um.pib_loss = pib_loss / c;
  um.i_xz = i_xz / c;
  um.i_yz = i_yz / c;
  um.grad_norm_td = gn_td / c;
  um.grad_norm_pib = gn_pib / c;
  um.staleness = staleness / c;
  um.ledger = ledger;
  *this = UnitAccumulator{};
  return um;
}

void ReturnTracker::add(const EpisodeRecord& e, std::optional<double> threshold) {
  returns_.push_back(e.episode_return);
  const auto mean = mean_100();
  if (!mean) return;
  if (!best_mean_ || *mean > *best_mean_) best_mean_ = *mean;
  if (!solved_at_ && threshold && *mean >= *threshold) solved_at_ = e.step;
}

std::optional<double> ReturnTracker::mean_100() const {
  if (returns_.size() < 100) return std::nullopt;
  return std::accumulate(returns_.end() - 100, returns_.end(), 0.0) / 100.0;
}

}  // namespace pib::agent
