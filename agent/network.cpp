#include "agent/network.hpp"

#include "common/error.hpp"
#include "units/registry.hpp"

namespace pib::agent {

QNetwork::QNetwork(const nlohmann::json& unit_configs, Eigen::Index input_dim, int action_count,
                   double time_scale, std::uint64_t seed)
    : configs_(unit_configs), action_count_(action_count) {
  if (!configs_.is_array() || configs_.empty())
    raise<ConfigError>("units: expected a non-empty array of unit configs");
  Eigen::Index in = input_dim;
  for (std::size_t l = 0; l < configs_.size(); ++l) {
    auto& c = configs_[l];
    if (!c.is_object()) raise<ConfigError>("units.", l, ": expected a unit config object");
    if (c.contains("input_dim") && c["input_dim"] != in)
      raise<ConfigError>("units.", l, ".input_dim: ", c["input_dim"].dump(), " does not match the ",
                         l == 0 ? "observation size " : "previous unit's output_dim ", in);
    c["input_dim"] = in;
    // A modulator encodes a fixed input range. The first unit sees observations scaled by obs_scale into
    // about [-1, 1]; a later unit after a tanh unit sees [-1, 1] too. Fixing that range keeps inputs the
    // policy has not produced yet inside it: a range calibrated at the start (random-policy states, untrained
    // features) would clip them later, and in a prototype of this agent that made two-unit optical
    // Q-networks collapse. Intermediate units should therefore be bounded (tanh); configs may set
    // input_low/input_high explicitly instead.
    const bool bounded_input = l == 0 || configs_[l - 1].value("activation", "relu") == "tanh";
    if (bounded_input && c.value("kind", "") == "optical" && c.value("encoding", "phase8") != "binary" &&
        !c.contains("input_low") && !c.contains("input_high")) {
      c["input_low"] = -1.0;
      c["input_high"] = 1.0;
    }
    if (time_scale > 0.0) c["time_scale"] = time_scale;
    online_.push_back(units::make_unit(c, derive_seed(seed, Stream::unit, l)));
    target_.push_back(online_.back()->clone());
    const auto out = online_.back()->output_dim();
    heads_.emplace_back(out, action_count, derive_seed(seed, Stream::head, l));
    target_heads_.push_back(heads_.back());
    in = out;
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

void QNetwork::measure(std::vector<std::unique_ptr<units::Unit>>& units, const Matrix& x,
                       std::vector<units::Measurement>& out, Rng& rng) {
  out.resize(units.size());
  for (std::size_t l = 0; l < units.size(); ++l) {
    if (l == 0) {
      units[l]->measure(x, out[l], rng);
    } else {
      units[l]->measure(out[l - 1].output, out[l], rng);
    }
  }
}

void QNetwork::measure_online(const Matrix& x, std::vector<units::Measurement>& out, Rng& rng) {
  measure(online_, x, out, rng);
}

void QNetwork::measure_target(const Matrix& x, std::vector<units::Measurement>& out, Rng& rng) {
  measure(target_, x, out, rng);
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
  measure(online_, x, actor_measurements_, rng);
  actor_head_->forward(actor_measurements_.back().output, actor_q_);
  Eigen::Index best;
  actor_q_.row(0).maxCoeff(&best);
  return static_cast<int>(best);
}

}  // namespace pib::agent
