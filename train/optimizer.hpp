#pragma once
// Adam (Kingma & Ba 2015, Algorithm 1) on a flat parameter vector, with optional decoupled weight decay
// (AdamW, Loshchilov & Hutter 2019). A plain value type: one per parameter vector, not thread-safe.

#include <cstdint>
#include <string>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "common/adam.hpp"

namespace pib::train {

using AdamConfig = pib::AdamConfig;  // the "optimizer" object every config shares (common/adam.hpp)

class Adam {
 public:
  Adam(Eigen::Index size, AdamConfig config);

  // p <- p - lr_scale * lr * m_hat / (sqrt(v_hat) + eps) (and the decay), after clipping grad to the
  // config's grad_clip_norm (when set). grad must have p's size.
  void step(Eigen::Ref<Eigen::VectorXd> p, const Eigen::Ref<const Eigen::VectorXd>& grad,
            double lr_scale = 1.0);
  std::int64_t steps() const { return state_.t; }
  // The moments and step count (for checkpoints).
  AdamState& state() { return state_; }

 private:
  AdamConfig config_;
  AdamState state_;
  Eigen::VectorXd clipped_;  // the clipped gradient (sized once)
};

}  // namespace pib::train
