#include "train/optimizer.hpp"

namespace pib::train {

Adam::Adam(Eigen::Index size, AdamConfig config) : config_(config) {
  state_.reset(size);
}

void Adam::step(Eigen::Ref<Eigen::VectorXd> p, const Eigen::Ref<const Eigen::VectorXd>& grad,
                double lr_scale) {
  const double lr = lr_scale * config_.lr;
  if (config_.grad_clip_norm <= 0.0) {  // no copy when clipping is off
    state_.step(p, grad, lr, config_);
    return;
  }
  clipped_ = grad;
  config_.clip(clipped_);
  state_.step(p, clipped_, lr, config_);
}

}  // namespace pib::train
