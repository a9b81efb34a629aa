#include "agent/network.hpp"

#include "common/error.hpp"
#include "units/chain.hpp"
#include "units/registry.hpp"

namespace pib::agent {

QNetwork::QNetwork(const nlohmann::json& unit_configs, Eigen::Index input_dim, int action_count,
                   double time_scale, std::uint64_t seed)
    : action_count_(action_count) {
  if (!unit_configs.is_array() || unit_configs.empty())
    raise<ConfigError>("units: expected a non-empty array of unit configs");
  nlohmann::json configs = unit_configs;
  for (std::size_t l = 0; l < configs.size(); ++l) {
    auto& c = configs[l];
    if (!c.is_object()) raise<ConfigError>("units[", l, "]: expected a unit config object");
    // The first unit sees observations scaled into about [-1, 1]; a later unit after a tanh unit sees [-1, 1]
    // too. A kind that encodes a range (a modulator) gets that range fixed: one calibrated at the start
    // (random-policy states, untrained features) would clip inputs the policy has not produced yet, and in
    // a prototype of this agent that made two-unit optical Q-networks collapse. Intermediate units should
    // therefore be bounded (tanh); configs may set input_low/input_high explicitly instead.
    const bool bounded_input = l == 0 || configs[l - 1].value("activation", "relu") == "tanh";
    const auto kind = units::unit_kind_of(c, "units[" + std::to_string(l) + "]");
    if (bounded_input && kind.bound_input) kind.bound_input(c);
  }
  nlohmann::json overrides = nullptr;
  if (time_scale > 0.0) overrides = {{"time_scale", time_scale}};
  configs_ = units::resolve_chain(configs, input_dim, overrides);
  online_ = units::build_chain(configs_, seed);
  for (std::size_t l = 0; l < online_.size(); ++l) {
    target_.push_back(online_[l]->clone());
    heads_.emplace_back(online_[l]->output_dim(), action_count, derive_seed(seed, Stream::head, l));
    target_heads_.push_back(heads_.back());
  }
  actor_head_.emplace(heads_.back());
}

void QNetwork::calibrate(const Matrix& inputs, Rng& rng) {
  Matrix x = inputs;
  units::Measurement m;
  for (std::size_t l = 0; l < online_.size(); ++l) {
    online_[l]->calibrate(x, rng);
    online_[l]->measure(x, m, rng);  // a unit not yet calibrated calibrates on this batch
    x = m.output;
    target_[l] = online_[l]->clone();  // the same device build with the same calibration
  }
}

void QNetwork::recalibrate(const Matrix& inputs, Rng& rng) {
  units::Measurement m;
  for (auto* chain : {&online_, &target_}) {
    Matrix x = inputs;
    for (auto& unit : *chain) {
      unit->calibrate(x, rng);
      unit->measure(x, m, rng);
      x = m.output;
    }
  }
}

void QNetwork::measure_online(const Matrix& x, std::vector<units::Measurement>& out, Rng& rng) {
  units::measure_chain(online_, x, out, rng);
}

void QNetwork::measure_target(const Matrix& x, std::vector<units::Measurement>& out, Rng& rng) {
  units::measure_chain(target_, x, out, rng);
}

void QNetwork::publish_policy() {
  std::lock_guard lock(policy_mutex_);
  policy_snapshot_ = heads_.back().parameters();
  ++policy_version_;
}

int QNetwork::act(const Matrix& x, Rng& rng) {
  {
    std::lock_guard lock(policy_mutex_);
    if (policy_version_ != actor_policy_version_) {
      actor_head_->set_parameters(policy_snapshot_);
      actor_policy_version_ = policy_version_;
    }
  }
  units::measure_chain(online_, x, actor_measurements_, rng);
  actor_head_->forward(actor_measurements_.back().output, actor_q_);
  Eigen::Index best;
  actor_q_.row(0).maxCoeff(&best);
  return static_cast<int>(best);
}

}  // namespace pib::agent
