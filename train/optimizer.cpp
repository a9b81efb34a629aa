#include "train/optimizer.hpp"

#include <cmath>

#include "common/config.hpp"
#include "common/error.hpp"

namespace pib::train {

Adam::Adam(Eigen::Index size, AdamConfig config) : config_(config) {
  state_.reset(size);
}

void Adam::step(Eigen::Ref<Eigen::VectorXd> p, const Eigen::Ref<const Eigen::VectorXd>& grad,
                double lr_scale) {
  clipped_ = grad;
  config_.clip(clipped_);
  state_.step(p, clipped_, lr_scale * config_.lr, config_.beta1, config_.beta2, config_.eps,
              config_.weight_decay);
}

}  // namespace pib::train
