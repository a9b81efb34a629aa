#pragma once
// Adam (Kingma & Ba 2015, Algorithm 1) on a flat parameter vector, with optional decoupled weight decay
// (AdamW, Loshchilov & Hutter 2019). A plain value type: one per parameter vector, not thread-safe.

#include <cstdint>
#include <string>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "common/adam.hpp"

namespace pib::train {

struct AdamConfig {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  // decoupled: p <- p - lr wd p

  static AdamConfig from_json(const nlohmann::json& json, const std::string& path);
  nlohmann::json to_json() const;
  void validate(const std::string& path) const;  // ConfigError naming the key
};

class Adam {
 public:
  Adam(Eigen::Index size, AdamConfig config);

  // p <- p - lr_scale * lr * m_hat / (sqrt(v_hat) + eps) (and the decay). grad must have p's size.
  void step(Eigen::Ref<Eigen::VectorXd> p, const Eigen::Ref<const Eigen::VectorXd>& grad,
            double lr_scale = 1.0);
  std::int64_t steps() const { return state_.t; }

 private:
  AdamConfig config_;
  AdamState state_;
};

}  // namespace pib::train
