#pragma once
// n-step return aggregation on the actor side (DESIGN.md 8's recipe uses 3-step returns).
//
// Feed every environment step with `add`; it emits the transitions that became complete:
//  * once n steps are buffered, (obs_0, a_0, sum_{j<n} gamma^j r_j, obs_n, terminated, truncated, gamma^n);
//  * when the episode ends (terminated or truncated), every remaining partial transition, with k < n steps,
//    next_obs = the final observation and discount gamma^k. Terminated transitions do not bootstrap (the
//    learner multiplies by 1 - terminated); truncated ones do, from the final observation.
// Not thread-safe: the actor owns it.

#include <cstddef>
#include <deque>
#include <span>
#include <vector>

#include "replay/transition.hpp"

namespace pib::agent {

class NStepAggregator {
 public:
  NStepAggregator(int n, double gamma) : n_(n), gamma_(gamma) {}

  struct Pending {
    replay::Transition start;  // obs and action of the first step (reward unused)
    double reward;             // reward of that step
  };

  // Adds one step; appends completed transitions to `out` (cleared first).
  void add(std::span<const float> obs, int action, double reward, std::span<const float> next_obs,
           bool terminated, bool truncated, std::vector<replay::Transition>& out) {
    out.clear();
    pending_.push_back({replay::Transition::make(obs, action, reward, next_obs, false, false), reward});
    const bool done = terminated || truncated;
    if (static_cast<int>(pending_.size()) == n_ || done) {
      while (!pending_.empty() && (static_cast<int>(pending_.size()) == n_ || done)) {
        out.push_back(aggregate(next_obs, terminated, truncated && !terminated));
        pending_.pop_front();
        if (!done) break;
      }
    }
  }

  void clear() { pending_.clear(); }
  const std::deque<Pending>& pending() const { return pending_; }
  void restore(std::deque<Pending> pending) { pending_ = std::move(pending); }

 private:
  replay::Transition aggregate(std::span<const float> next_obs, bool terminated, bool truncated) const {
    double ret = 0.0, discount = 1.0;
    for (const auto& p : pending_) {
      ret += discount * p.reward;
      discount *= gamma_;
    }
    const auto& first = pending_.front().start;
    return replay::Transition::make(first.obs_view(), first.action, ret, next_obs, terminated, truncated,
                                    discount);
  }

  int n_;
  double gamma_;
  std::deque<Pending> pending_;
};

}  // namespace pib::agent
