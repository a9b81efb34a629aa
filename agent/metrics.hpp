#pragma once
// What the RL trainer reports (DESIGN.md 4.3): episode records, update-interval metrics per unit, the run
// summary, and the bookkeeping behind them (interval sums of a unit's update terms, the episode returns
// and the solve point).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "units/unit.hpp"

namespace pib::agent {

struct EpisodeRecord {
  std::int64_t episode = 0;  // 0-based index
  double episode_return = 0.0;
  int length = 0;
  std::int64_t step = 0;  // environment steps when it ended
};

struct UnitMetrics {
  double td_loss = 0.0;  // mean over the interval's updates
  double pib_loss = 0.0;
  double i_xz = 0.0;           // bits
  double i_yz = 0.0;           // bits
  double grad_norm_td = 0.0;   // norm of lambda * dL_TD / dtheta (unit layer), mean
  double grad_norm_pib = 0.0;  // norm of dL_PIB / dtheta (unit layer), mean
  double staleness = 0.0;      // mean parameter versions the measured device lagged behind the learner
  units::DeviceLedger ledger;  // cumulative device time
};

// One distributed actor's figures over a metrics interval (agent/distributed.hpp).
struct ActorMetrics {
  int rank = 0;
  bool alive = true;
  std::int64_t steps = 0;        // environment steps so far
  double steps_per_s = 0.0;      // over the interval
  double staleness = 0.0;        // mean over the interval's batches of learner updates - acting version
  std::int64_t transitions = 0;  // received so far
};

struct IntervalMetrics {
  std::int64_t step = 0;
  std::int64_t updates = 0;
  std::int64_t episodes = 0;
  std::optional<double> mean_return_100;  // once there are 100 episodes
  double epsilon = 0.0;
  double lr = 0.0;
  double steps_per_s = 0.0;    // over the interval
  double updates_per_s = 0.0;  // over the interval
  double wall_s = 0.0;         // since the start of this run (not counting earlier runs before a resume)
  double eta_s = 0.0;          // time left at the current rate if the run goes to total_steps
  std::vector<UnitMetrics> units;
  std::vector<ActorMetrics> actors;  // distributed actors (agent/distributed.hpp)
};

// A greedy evaluation the trainer ran before stopping a solved run (RlConfig::solve_check_episodes).
struct SolveCheck {
  std::int64_t step = 0;
  double mean_return = 0.0;
  bool passed = false;
};

struct Summary {
  std::string env;
  std::optional<std::int64_t> solved_at_step;  // the first step the 100-episode training mean reached the threshold
  std::vector<SolveCheck> solve_checks;        // in order; the run stopped at a passed one
  std::optional<double> best_mean_return_100;
  std::int64_t env_steps = 0;
  std::int64_t updates = 0;
  std::int64_t episodes = 0;
  double wall_s = 0.0;
  double compute_s = 0.0;  // learner wall time spent in updates
  std::string schedule;
  bool interrupted = false;  // stopped by Trainer::request_stop (Ctrl-C) before its end
  nlohmann::json device;  // per unit: kind, timing, ledger
  nlohmann::json to_json() const;
};

nlohmann::json ledger_json(const units::DeviceLedger& ledger);

// Sums of one unit's update terms over a metrics interval. The learner adds; the trainer takes the means.
struct UnitAccumulator {
  double td_loss = 0, pib_loss = 0, i_xz = 0, i_yz = 0, gn_td = 0, gn_pib = 0, staleness = 0;
  std::int64_t count = 0;

  // The interval's means (zeros for an interval without updates) with `ledger`; starts the next interval.
  UnitMetrics take(const units::DeviceLedger& ledger);
};

// The returns of every finished episode, the best 100-episode mean and the step the run was solved at.
class ReturnTracker {
 public:
  // Records a finished episode; `threshold` is the environment's reward threshold (if any).
  void add(const EpisodeRecord& episode, std::optional<double> threshold);
  std::int64_t episodes() const { return static_cast<std::int64_t>(returns_.size()); }
  std::optional<double> mean_100() const;  // the mean of the last 100 returns, once there are 100
  std::optional<double> best_mean_100() const { return best_mean_; }
  std::optional<std::int64_t> solved_at() const { return solved_at_; }

  template <typename Archive>
  void serialize(Archive& a) {
    a(returns_);
    a(solved_at_);
    a(best_mean_);
  }

 private:
  std::vector<double> returns_;
  std::optional<std::int64_t> solved_at_;
  std::optional<double> best_mean_;
};

}  // namespace pib::agent
